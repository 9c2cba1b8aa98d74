"""The command line through real subprocesses."""

import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = [sys.executable, str(ROOT / "run_arm.py")]


def run(args, cwd, env_extra=None, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_extra or {})
    return subprocess.run(RUN + args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_gif_export(tmp_path):
    r = run(["--gif", "out.gif", "--frames", "6", "--size", "100x80", "--fps", "10"], tmp_path)
    assert r.returncode == 0, r.stderr
    frames = iio.imread(tmp_path / "out.gif")
    assert frames.shape[:3] == (6, 80, 100)
    # a name holding a line break: the message stays one line (it spanned two)
    r = run(["--gif", "a\nb.gif", "--frames", "2", "--size", "100x80"], tmp_path)
    assert r.returncode == 0 and (tmp_path / "a\nb.gif").is_file()
    assert r.stdout == "armsim: wrote 'a\\nb.gif' (2 frames, 100x80, 30 frames/s)\n"


def test_a_correction_an_export_does_not_use_is_named(tmp_path):
    # only the gradient method takes a correction; an export never switches method (a
    # window keeps the correction for a switch to gradient), so it says it went unused
    r = run(["--gif", "o.gif", "--frames", "2", "--size", "100x80", "--method", "dls",
             "--correction", "clip"], tmp_path)
    assert r.returncode == 0 and (tmp_path / "o.gif").is_file()
    assert r.stderr == ("armsim: note: --correction clip was not used: only the gradient "
                        "method takes a correction, and this run's is dls\n")
    r = run(["--gif", "o.gif", "--frames", "2", "--size", "100x80", "--method", "gradient",
             "--correction", "clip"], tmp_path)
    assert r.returncode == 0 and r.stderr == ""


def test_an_output_named_by_its_path_to_standard_output_is_standard_output(tmp_path):
    # /dev/stdout was an ordinary file name: the "wrote" line followed the JSON report (and
    # the sweep's table its CSV), and --gif /dev/stdout was refused for its suffix
    import json
    r = run(["--gif", "a.gif", "--frames", "2", "--size", "64x48", "--report", "/dev/stdout"],
            tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)["gif"] == "a.gif"
    r = subprocess.run(RUN + ["--gif", "/dev/stdout", "--frames", "2", "--size", "64x48"],
                       cwd=tmp_path, capture_output=True, timeout=120)
    assert r.returncode == 0 and iio.imread(r.stdout).shape[:3] == (2, 48, 64)
    r = run(["sweep", "--preset", "lm", "--vary", "segments=1:2", "--seeds", "1",
             "--max-rounds", "20", "--csv", "/dev/stdout"], tmp_path)
    assert r.returncode == 0 and r.stdout.splitlines()[0].startswith("segments,population,")
    assert len(r.stdout.splitlines()) == 3 and "segments   P" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["--size", "0x5"], "armsim: error: argument --size: width and height must be >= 16, got '0x5'"),
    (["--size", "abc"], "armsim: error: argument --size: expected WxH (e.g. 480x360), got 'abc'"),
    (["--fps", "0"], "armsim: error: argument --fps: must be a finite number > 0, got 0"),
    (["--fps", "inf"], "armsim: error: argument --fps: must be a finite number > 0, got inf"),
    (["--frames", "0"], "armsim: error: argument --frames: must be >= 1, got 0"),
    (["--method", "newton"], "armsim: error: argument --method: unknown method 'newton'; choose one of"),
    (["--gif", "missing/out.gif"], "armsim: error: cannot write 'missing/out.gif': folder 'missing' does not exist"),
    (["--bogus"], "armsim: error: unrecognized arguments: --bogus"),
    (["--gif", "z.png"], "armsim: error: argument --gif: 'z.png' would hold a GIF under another "
                         "name; end it in .gif (e.g. 'z.gif')"),
    (["--gif", "z.gif", "--plot", "p.svg"], "armsim: error: argument --plot: 'p.svg' would hold "
                                            "a PNG under another name; end it in .png (e.g. 'p.png')"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, message):
    if "--gif" not in args:
        args = args + ["--gif", "out.gif"]
    r = run(args, tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith(message), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr
    assert not any(tmp_path.iterdir())   # no output file, not even a temporary one


def test_no_display_falls_back_to_demo_gif(tmp_path):
    r = run(["--frames", "4", "--size", "64x48"], tmp_path,
            drop=("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display available" in lines[0] and "armsim-demo.gif" in lines[0]
    assert iio.imread(tmp_path / "armsim-demo.gif").shape[0] == 4


@pytest.mark.parametrize("args, name", [
    (["--robot", "ur5"], "armsim-ur5.gif"),
    ([str(ROOT / "scenes" / "calibrate-ga.toml")], "armsim-calibrate-ga.gif"),
    ([str(ROOT / "assets" / "robots" / "iiwa14.urdf")], "armsim-iiwa14.gif"),
])
def test_the_fallback_gif_is_named_after_what_runs(tmp_path, args, name):
    r = run(args + ["--frames", "2", "--size", "64x48"], tmp_path,
            drop=("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().endswith(f"writing {name} instead")
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert iio.imread(tmp_path / name).shape[:3] == (2, 48, 64)


def test_the_fallback_names_the_report_it_writes_too(tmp_path):
    # the one line named only the GIF, though --report was written beside it
    r = run(["--frames", "2", "--size", "64x48", "--report", "r.json"], tmp_path,
            drop=("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip().endswith("writing armsim-demo.gif instead (and the report, r.json)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["armsim-demo.gif", "r.json"]

def test_a_display_that_cannot_be_reached_is_named(tmp_path):
    """DISPLAY set with no server behind it: the line says the connection failed (it blamed
    SDL's fallback driver), and the demo GIF is written instead."""
    display = ":5399"
    assert not Path(f"/tmp/.X11-unix/X{display[1:]}").exists()
    r = run(["--frames", "2", "--size", "64x48"], tmp_path,
            env_extra={"DISPLAY": display, "XDG_RUNTIME_DIR": str(tmp_path)},
            drop=("SDL_VIDEODRIVER", "WAYLAND_DISPLAY"))
    assert r.returncode == 0, r.stderr
    assert (f"armsim: no display available (cannot connect to the display DISPLAY='{display}' "
            "(is an X or Wayland server running there?)") in r.stderr
    assert (tmp_path / "armsim-demo.gif").exists()
    # without XDG_RUNTIME_DIR, SDL's Wayland probe printed "error: XDG_RUNTIME_DIR is invalid
    # or not set in the environment." before armsim's one line
    r = run(["--frames", "2", "--size", "64x48"], tmp_path, env_extra={"DISPLAY": display},
            drop=("SDL_VIDEODRIVER", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR"))
    assert r.returncode == 0 and len(r.stderr.splitlines()) == 1, r.stderr
    assert r.stderr.startswith("armsim: no display available (cannot connect")


def test_help_lists_options_with_defaults(tmp_path):
    r = run(["--help"], tmp_path)
    assert r.returncode == 0
    for opt in ("--gif", "--frames", "--fps", "--size", "--seed", "--method", "--correction"):
        assert opt in r.stdout
    assert "default: scene render.frames; 240" in r.stdout


def test_schema_refuses_one_file_for_both_outputs_and_a_document_not_utf8(tmp_path, capsys):
    from armsim.cli import main
    doc = tmp_path / "d.md"
    doc.write_text("<!-- begin: reference -->\n<!-- end: reference -->\n")
    with pytest.raises(SystemExit) as got:
        main(["schema", "--json", str(doc), "--markdown", str(doc)])
    assert got.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        f"argument --markdown: the same file as --json: {doc}")
    doc.write_bytes(b"\xff\xfe<!-- begin: reference -->\n<!-- end: reference -->\n")
    with pytest.raises(SystemExit) as got:
        main(["schema", "--markdown", str(doc)])
    assert got.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().endswith(f"argument --markdown: '{doc}' is not UTF-8 text")
    assert len(err.strip().splitlines()) == 1


def test_schema_reads_no_device_pipe_or_folder_as_its_document(tmp_path, capsys):
    # --markdown /dev/zero read without bound (memory grew until killed); a FIFO blocked
    import os
    from armsim.cli import main
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, why in (("/dev/zero", "it is a character device, not a regular file"),
                      (str(fifo), "it is a pipe (FIFO), not a regular file"),
                      (str(tmp_path), "it is a directory, not a regular file")):
        with pytest.raises(SystemExit) as got:
            main(["schema", "--markdown", path])
        assert got.value.code == 2
        err = capsys.readouterr().err
        assert err == f"armsim schema: error: argument --markdown: cannot read '{path}': {why}\n"


def test_schema_shows_a_names_escape_code_escaped(tmp_path, capsys):
    # '--json <ESC>[2J/x.json' cleared the terminal in its error line
    from armsim.cli import main
    assert main(["schema", "--json", str(tmp_path / "\x1b[2J" / "x.json")]) == 2
    assert capsys.readouterr().err == (
        f"armsim schema: error: argument --json: cannot write '{tmp_path}/\\x1b[2J/x.json': "
        f"folder '{tmp_path}/\\x1b[2J' does not exist\n")
    with pytest.raises(SystemExit) as got:
        main(["schema", "--markdown", str(tmp_path / "\x1b[2J.md")])
    assert got.value.code == 2
    assert capsys.readouterr().err == (
        f"armsim schema: error: argument --markdown: cannot read '{tmp_path}/\\x1b[2J.md': "
        f"No such file or directory\n")


def test_schema_rewrites_a_document_with_crlf_line_endings(tmp_path):
    # read as bytes, a CRLF document "had no reference block" (text mode read it before)
    from armsim.cli import main
    doc = tmp_path / "d.md"
    doc.write_bytes(b"# D\r\n<!-- begin: reference -->\r\nOLD-XYZ\r\n<!-- end: reference -->\r\ntail\r\n")
    assert main(["schema", "--markdown", str(doc)]) == 0
    text = doc.read_text()
    assert "OLD-XYZ" not in text and text.endswith("<!-- end: reference -->\ntail\n")


def test_package_dir_with_a_planar_scene_is_refused_not_ignored(tmp_path, capsys):
    from armsim.cli import main
    assert main(["--package-dir", str(tmp_path), "--gif", str(tmp_path / "o.gif"),
                 "--frames", "2"]) == 2
    assert capsys.readouterr().err == ("armsim: error: argument --package-dir: only a spatial "
                                       "robot (a URDF's) has meshes to find; the default scene "
                                       "is not one\n")
    assert list(tmp_path.iterdir()) == []


def _cut(name):
    """A long name as an error line shows it: its first 48 and last 49 characters."""
    return f"{name[:48]}...{name[-49:]}"


def test_a_5000_character_file_name_gives_a_line_of_at_most_200_characters(tmp_path):
    # the line held the whole name: 5,044 characters for the scene, 5,049 for the GIF
    scene = "/nonexistent/" + "s" * 4982 + ".toml"
    gif = "/nonexistent/" + "g" * 4983 + ".gif"
    assert len(scene) == len(gif) == 5000
    for args, line in (
            ([scene], f"{_cut(scene)}: cannot read scene file: File name too long"),
            (["--gif", gif], f"armsim: error: cannot write '{_cut(gif)}': File name too long")):
        r = run(args, tmp_path)
        assert r.returncode == 2
        assert r.stderr == line + "\n" and len(line) <= 200
    # a name within the system's limit, in folders that do not exist: two names, one line
    deep = "/nonexistent/" + "d" * 200 + ("/" + "d" * 200) * 14
    r = run(["--gif", deep + "/out.gif"], tmp_path)
    line = (f"armsim: error: cannot write '{_cut(deep + '/out.gif')}': folder "
            f"'{deep[:10]}...{deep[-11:]}' does not exist")
    assert r.returncode == 2 and r.stderr == line + "\n" and len(line) <= 200


def test_a_scenes_long_urdf_name_is_shown_by_its_start_and_end(tmp_path):
    # it was its first 200 characters (the file's name cut off): a 320-character line
    urdf = "/nonexistent/" + "u" * 200 + ("/" + "u" * 200) * 14 + "/arm.urdf"
    (tmp_path / "s.toml").write_text(f'[arm]\nurdf = "{urdf}"\n')
    r = run([str(tmp_path / "s.toml")], tmp_path)
    line = f"{tmp_path / 's.toml'}: arm.urdf: no such file '{_cut(urdf)}'"
    # (the scene's own path is as long as the test's folder: the URDF's part is bounded)
    assert r.returncode == 2 and r.stderr == line + "\n"
    assert len(line) - len(str(tmp_path / "s.toml")) <= 130
