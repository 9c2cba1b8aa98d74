"""The scene side of the command line, through the real CLI (subprocesses)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

import armsim
from armsim import cli
from armsim.scene import load
from armsim.ik import METHODS

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenes").glob("*.toml"))
# IK scenes (the calibration scenes' CLI tests are in tests/test_cli_calibration.py)
SHIPPED_IK = [p for p in SHIPPED if not p.name.startswith("calibrate-")]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")

ARM = '[arm]\nlengths = [0.5, 0.3, 0.2]\n'
FIXED = '[target]\nkind = "fixed"\npoint = [0.4, 0.3]\n'


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "run_arm.py"), *map(str, args)],
                          cwd=cwd or ROOT, env=ENV, capture_output=True, text=True, timeout=120)


BAD = [
    (ARM.replace("0.2]", "-1]") + FIXED, "arm.lengths[2]: must be >= 1e-06, got -1.0"),
    ('[arm]\nlenghts = [1]\n' + FIXED, "arm.lenghts: unknown key; did you mean 'lengths'?"),
    ('[arm]\nlengths = "abc"\n' + FIXED,
     "arm.lengths: expected an array of numbers >= 1e-06 and <= 1e+06 [m], got string 'abc'"),
    (ARM + 'limits = [[0, 1], [1, 0.5], [0, 0]]\n' + FIXED,
     "arm.limits[1]: limits reversed: lower 1.0 > upper 0.5"),
    (ARM + FIXED + '[render]\nfps = 0\n', "render.fps: must be > 0, got 0.0"),
    (ARM + '[target]\nkind = "circle"\nradius = 1\nperiod = 0\n', "target.period: must be > 0, got 0.0"),
    (ARM + '[target]\nkind = "circle"\nradius = nan\nperiod = 10\n',
     "target.radius: must be a finite number, got nan"),
    (ARM + FIXED + '[render]\nfps = = 3\n', "line 7, column 7: invalid TOML: Invalid value"),
]


@pytest.mark.parametrize("text, message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_scene_exits_2_with_one_line_and_no_file(tmp_path, text, message):
    scene = tmp_path / "x.toml"
    scene.write_text(text)
    out, report = tmp_path / "out.gif", tmp_path / "r.json"
    kept = tmp_path / "kept.gif"
    kept.write_bytes(b"old content")
    for target in (out, kept):
        r = run_cli("x.toml", "--gif", target.name, "--report", report.name, "--frames", 2, cwd=tmp_path)
        assert r.returncode == 2
        assert r.stderr == f"x.toml: {message}\n"
        assert "Traceback" not in r.stderr and r.stdout == ""
    assert not out.exists() and not report.exists()
    assert kept.read_bytes() == b"old content"          # not truncated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.gif", "x.toml"]


def test_missing_scene_file(tmp_path):
    r = run_cli("nope.toml", "--gif", "o.gif", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "nope.toml: cannot read scene file: No such file or directory\n"
    assert not any(tmp_path.iterdir())


SMALL = ARM + '[target]\nkind = "random"\nevery = 2\n' + \
    '[render]\nframes = 4\nfps = 10\nsize = [80, 60]\n[output]\ngif = "out/s.gif"\nreport = "out/s.json"\n'


def test_scene_values_are_used(tmp_path):
    (tmp_path / "s.toml").write_text(SMALL)
    r = run_cli("s.toml", "--gif", "a.gif", "--report", "a.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""                            # no progress bar when not on a terminal
    # one line says what was written (the scene's 4 frames, 80x60, 10 frames/s)
    assert r.stdout == "armsim: wrote a.gif (4 frames, 80x60, 10 frames/s), a.json\n"
    frames = iio.imread(tmp_path / "a.gif")
    assert frames.shape[:3] == (4, 60, 80)
    assert iio.immeta(tmp_path / "a.gif")["duration"] == 100
    rep = json.loads((tmp_path / "a.json").read_text())
    # no [solver]: the scene's default method is dls, as armsim.solve and --robot
    assert rep["frames"] == 4 and rep["seed"] == 0 and rep["method"] == "dls"


def test_options_override_the_scene(tmp_path):
    (tmp_path / "s.toml").write_text(SMALL)
    r = run_cli("s.toml", "--gif", "b.gif", "--report", "b.json", "--frames", 3, "--fps", 20,
                "--size", "64x48", "--seed", 4, "--method", "ccd", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert iio.imread(tmp_path / "b.gif").shape[:3] == (3, 48, 64)
    assert iio.immeta(tmp_path / "b.gif")["duration"] == 50
    rep = json.loads((tmp_path / "b.json").read_text())
    assert (rep["frames"], rep["seed"], rep["method"], rep["correction"]) == (3, 4, "ccd", "")
    # --seed changes the random targets, so the run differs from seed 0
    run_cli("s.toml", "--gif", "c.gif", "--frames", 3, "--size", "64x48", "--method", "ccd", cwd=tmp_path)
    assert (tmp_path / "b.gif").read_bytes() != (tmp_path / "c.gif").read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--size", "8x100"], "armsim: error: argument --size: must be >= 16, got 8"),
    (["--size", "-10x10"],        # was argparse's "expected one argument"
     "armsim: error: argument --size: width and height must be >= 16, got '-10x10'"),
    (["--seed", "-1"], "armsim: error: argument --seed: must be >= 0, got -1"),
    (["--correction", "clp"], "armsim: error: argument --correction: unknown correction 'clp'"),
    (["--gif", "s.toml"], "armsim: error: argument --gif: refusing to overwrite the scene file 's.toml'"),
    (["--gif", "x.gif", "--export"], "armsim: error: argument --export: not allowed with argument --gif"),
])
def test_bad_options_with_a_scene(tmp_path, args, message):
    (tmp_path / "s.toml").write_text(SMALL)
    if "--gif" not in args:
        args = args + ["--gif", "x.gif"]
    r = run_cli("s.toml", *args, "--report", "r.json", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith(message), r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_the_urdf_a_scene_loads_is_never_an_output(tmp_path):
    # --report, --gif through a link and [output] report overwrote the URDF the scene names
    # (the scene file itself, and a URDF given as the scene, were refused)
    import shutil
    shutil.copy(armsim.robots.path("ur5"), tmp_path / "my.urdf")
    body = ('seed = 0\n[arm]\nurdf = "my.urdf"\n[target]\nkind = "fixed"\n'
            'point = [0.3, 0.1, 0.4]\n')
    (tmp_path / "s.toml").write_text(body)
    (tmp_path / "e.toml").write_text(body + '[output]\ngif = "o.gif"\nreport = "my.urdf"\n')
    (tmp_path / "link.gif").symlink_to("my.urdf")
    before = (tmp_path / "my.urdf").read_bytes()
    urdf = tmp_path / "my.urdf"
    for args, option in ((["s.toml", "--gif", "q.gif", "--report", "my.urdf"], "--report"),
                         (["s.toml", "--gif", "link.gif"], "--gif"),
                         (["e.toml", "--export"], "--export ([output] report of e.toml)")):
        r = run_cli(*args, "--frames", 2, cwd=tmp_path)
        assert r.returncode == 2 and r.stderr == (
            f"armsim: error: argument {option}: refusing to overwrite the scene's URDF "
            f"'{urdf}'\n"), r.stderr
    assert (tmp_path / "my.urdf").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.toml", "link.gif", "my.urdf",
                                                           "s.toml"]


def test_export_writes_the_scene_outputs_next_to_the_scene(tmp_path):
    (tmp_path / "scenes").mkdir()
    (tmp_path / "scenes" / "s.toml").write_text(SMALL)
    (tmp_path / "elsewhere").mkdir()
    r = run_cli("../scenes/s.toml", "--export", cwd=tmp_path / "elsewhere")
    assert r.returncode == 0, r.stderr
    assert iio.imread(tmp_path / "scenes" / "out" / "s.gif").shape[0] == 4
    rep = json.loads((tmp_path / "scenes" / "out" / "s.json").read_text())
    assert rep["frames"] == 4 and rep["gif"].endswith("s.gif")
    assert not any((tmp_path / "elsewhere").iterdir())
    (tmp_path / "t.toml").write_text(ARM + FIXED)
    r = run_cli("t.toml", "--export", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == "armsim: error: --export: the scene t.toml has no [output] gif; give --gif OUT\n"
    # a scene's gif under another name: refused as --gif refuses it (was written as a GIF)
    (tmp_path / "p.toml").write_text(ARM + FIXED + '[output]\ngif = "x.png"\n')
    r = run_cli("p.toml", "--export", cwd=tmp_path)
    assert r.returncode == 2 and not (tmp_path / "x.png").exists()
    assert r.stderr == (f"armsim: error: argument --export ([output] gif of p.toml): "
                        f"'{tmp_path / 'x.png'}' would hold a GIF under another name; end it "
                        f"in .gif (e.g. 'x.gif')\n")


@pytest.mark.parametrize("path", SHIPPED_IK, ids=[p.name for p in SHIPPED_IK])
def test_every_shipped_scene_loads_and_exports(tmp_path, path):
    out, rep = tmp_path / "a.gif", tmp_path / "a.json"
    assert cli.main([str(path), "--gif", str(out), "--report", str(rep), "--frames", "3",
                     "--size", "96x72"]) == 0
    scene = load(path)
    frames = iio.imread(out)
    assert frames.shape[:3] == (3, 72, 96)
    assert iio.immeta(out)["duration"] == pytest.approx(1000 / scene.render.fps, abs=10)   # GIF stores 1/100 s
    report = json.loads(rep.read_text())
    assert report["frames"] == 3 and report["scene"] == str(path)
    assert np.isfinite(report["final_error"]) and np.isfinite(report["mean_error"])
    assert report["iterations_per_frame"] <= (scene.solver.iterations_per_frame
                                              * (1 + scene.solver.restarts))
    points = getattr(scene.target, "points", ()) if scene.target is not None else [
        p for t in scene.tool.items for p in getattr(t.target, "points", ())]   # a tree
    assert len(report["waypoints_reached"]) == len(points)
    assert ("companions" in report) == (scene.compare is not None)


def test_report_of_the_waypoint_snake(tmp_path):
    rep = tmp_path / "r.json"
    assert cli.main([str(ROOT / "scenes" / "snake_waypoints.toml"), "--gif", str(tmp_path / "s.gif"),
                     "--size", "64x48", "--report", str(rep)]) == 0
    report = json.loads(rep.read_text())
    assert report["frames"] == 270 and report["waypoints_reached"] == [True] * 6
    assert report["final_error"] < 0.01 and report["method"] == "dls"


def test_compare_scene_draws_two_panels(tmp_path):
    out = tmp_path / "c.gif"
    assert cli.main([str(ROOT / "scenes" / "original_vs_dls.toml"), "--gif", str(out),
                     "--frames", "2", "--size", "200x100"]) == 0
    frame = iio.imread(out)[1].astype(int)
    left, right = frame[:, :100], frame[:, 100:]
    assert np.abs(left - right).sum() > 0          # two different arms, one per column


def test_progress_bar_only_on_a_terminal():
    import io

    from armsim.view.export import progress_bar

    class Tty(io.StringIO):
        def isatty(self):
            return True

    quiet = io.StringIO()
    with progress_bar(5, stream=quiet) as progress:
        assert progress is None
    assert quiet.getvalue() == ""
    tty = Tty()
    with progress_bar(5, stream=tty, desc="x.gif") as progress:
        for i in range(1, 6):
            progress(i)
    assert "x.gif" in tty.getvalue() and "0/5 [" in tty.getvalue()   # a tqdm bar of 5 frames


def test_subcommand_dispatch_and_methods_listed_in_help(tmp_path):
    assert set(cli.SUBCOMMANDS) >= {"ops"}
    r = run_cli("--help", cwd=tmp_path)
    assert r.returncode == 0
    for name in METHODS:
        assert name in r.stdout
    for opt in ("SCENE", "--export", "--report", "--gif", "--frames", "--fps", "--size", "--seed",
                "--method", "--correction"):
        assert opt in r.stdout


def test_version():
    r = run_cli("--version", cwd=ROOT)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"armsim {armsim.__version__}\n", "")


def test_a_scene_gif_named_as_a_folder_keeps_its_slash_in_the_message(tmp_path):
    # "'.../sub' would hold a GIF under another name": the slash the user wrote was dropped
    import os as _os
    import subprocess as _sp
    import sys as _sys
    root = Path(__file__).resolve().parents[1]
    scene = tmp_path / "o.toml"
    scene.write_text('[arm]\nlengths = [0.35, 0.3]\n[target]\nkind = "fixed"\n'
                     'point = [0.1, 0.1]\n[output]\ngif = "sub/"\n')
    env = dict(_os.environ, SDL_VIDEODRIVER="dummy", PYTHONPATH=str(root))
    r = _sp.run([_sys.executable, str(root / "run_arm.py"), str(scene), "--export"],
                capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2 and r.stderr == (
        f"armsim: error: argument --export ([output] gif of {scene}): '{tmp_path}/sub/' names "
        f"a folder (it ends in '/'); name a file ending in .gif\n")
    assert list(tmp_path.iterdir()) == [scene]


@pytest.mark.parametrize("name", ["arm.xml", "arm.urdf.xml", "arm.xacro", "arm.toml"])
def test_a_urdf_under_another_name_is_named_as_xml_not_as_bad_toml(tmp_path, name):
    # a robot's URDF named .xml (or a .xacro) was read as a scene: "line 1, column 1:
    # invalid TOML: Invalid statement", with no word of XML or of the .urdf name it needs
    text = (ROOT / "assets" / "robots" / "ur5.urdf").read_text()
    (tmp_path / name).write_text("\n  " + text)
    r = run_cli(name, "--gif", "out.gif", "--frames", 2, cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == "" and not (tmp_path / "out.gif").exists()
    assert r.stderr == (f"{name}: not a scene (TOML): the file is XML; a URDF runs from a "
                        f"name ending in .urdf (expand a .xacro to a URDF first)\n")
