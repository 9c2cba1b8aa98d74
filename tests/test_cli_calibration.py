"""Calibration scenes and the sweep through the real command line (subprocesses)."""

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from _xvfb import needs_xvfb, wait_for
from armsim.scene import load

ROOT = Path(__file__).resolve().parents[1]
# every calibration scene (a 3D one has `robot =` in its [calibration]; its pictures:
# tests/test_window_calibration_spatial.py)
CALIBRATE = sorted((ROOT / "scenes").glob("calibrate-*.toml"))
ENV = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")

TINY = """seed = 3
[calibration]
learner = "lm"
criterion = "identified"
check_period = 1
max_rounds = 150
rounds_per_frame = 2
[render]
size = [96, 96]
frames = 3
"""


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, str(ROOT / "run_arm.py"), *map(str, args)],
                          cwd=cwd or ROOT, env=ENV, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("path", CALIBRATE, ids=[p.name for p in CALIBRATE])
def test_each_calibration_scene_exports_a_few_frames_and_a_report(tmp_path, path):
    out, rep = tmp_path / "a.gif", tmp_path / "a.json"
    r = run_cli(path, "--gif", out, "--report", rep, "--frames", 3, "--size", "96x96")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    scene_fps = load(path).render.fps
    assert r.stdout == f"armsim: wrote {out} (3 frames, 96x96, {scene_fps:g} frames/s), {rep}\n"
    frames = iio.imread(out)
    assert frames.shape[:3] == (3, 96, 96)
    scene = load(path)
    report = json.loads(rep.read_text())
    rpf = scene.calibration.rounds_per_frame
    if scene.calibration.robot is not None:          # 3D: a robot seen by [[camera]] tables
        assert report["kind"] == "calibration_spatial" and report["scene"] == str(path)
        assert report["frames"] == 3 and report["rounds"] == min(3 * rpf, scene.calibration.max_rounds)
        assert report["robot"] == scene.calibration.robot
        assert report["cameras"] == len(scene.camera) == 2
        for k in ("best_loss", "best_rms_px", "best_max_rel_error"):
            assert np.isfinite(report[k]) and report[k] >= 0
        return
    assert report["kind"] == "calibration" and report["scene"] == str(path) and report["seed"] == scene.seed
    assert report["frames"] == 3 and report["rounds"] == min(3 * rpf, scene.calibration.max_rounds)
    assert report["segments"] == scene.calibration.segments
    assert report["population"] == scene.genetic.population
    for k in ("converged", "identified"):
        assert isinstance(report[k], bool)
    for k in ("best_loss", "length_error_px", "length_error_pct", "angle_error"):
        assert np.isfinite(report[k]) and report[k] >= 0
    assert len(report["reference"]["lengths"]) == scene.calibration.segments


def test_rounds_per_frame_and_learner_options(tmp_path):
    (tmp_path / "s.toml").write_text(TINY)
    r = run_cli("s.toml", "--gif", "a.gif", "--report", "a.json", "--rounds-per-frame", 5,
                "--learner", "adam", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["rounds"] == 15 and report["learner"] == "adam" and report["rounds_per_frame"] == 5


def test_same_seed_same_gif_bytes(tmp_path):
    (tmp_path / "s.toml").write_text(TINY)
    for name in ("a.gif", "b.gif"):
        assert run_cli("s.toml", "--gif", name, cwd=tmp_path).returncode == 0
    assert run_cli("s.toml", "--gif", "c.gif", "--seed", 4, cwd=tmp_path).returncode == 0
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.gif", "b.gif", "c.gif"))
    assert a == b
    assert a != c


@pytest.mark.parametrize("args, message", [
    (["--method", "dls"], "armsim: error: argument --method: only an IK scene (one with [arm]) has this "
                          "option; s.toml is a calibration scene"),
    (["--learner", "newton"], "armsim: error: argument --learner: unknown learner 'newton'; "
                              "choose one of plain, proportional, adam, lm"),
    (["--rounds-per-frame", "0"], "armsim: error: argument --rounds-per-frame: must be >= 1, got 0"),
])
def test_bad_options_for_a_calibration_scene(tmp_path, args, message):
    (tmp_path / "s.toml").write_text(TINY)
    r = run_cli("s.toml", "--gif", "a.gif", *args, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr == message + "\n"
    assert not (tmp_path / "a.gif").exists()


def test_calibration_options_refused_for_an_ik_scene(tmp_path):
    (tmp_path / "k.toml").write_text('[arm]\nlengths = [1]\n[target]\nkind = "fixed"\npoint = [0, 1]\n')
    r = run_cli("k.toml", "--gif", "a.gif", "--learner", "lm", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("armsim: error: argument --learner: only a calibration scene (one with "
                        "[calibration]) has this option; k.toml is an IK scene\n")


def test_orbit_on_a_3d_calibration_scene_says_why_it_is_refused(tmp_path):
    # it said "only a spatial scene has a 3D camera" of a scene drawn by a 3D camera that
    # its window's o key turns
    scene = ROOT / "scenes" / "calibrate-ur5-stereo.toml"
    r = run_cli(scene, "--gif", "a.gif", "--orbit", "10", cwd=tmp_path)
    assert r.returncode == 2 and not (tmp_path / "a.gif").exists()
    assert r.stderr == (f"armsim: error: argument --orbit: only a spatial scene (arm.robot, "
                        f"arm.urdf or arm.dh, or --robot) takes it; {scene} is a 3D calibration "
                        f"scene, whose camera frames the robot and its cameras itself (o turns "
                        f"it in the window)\n")


def test_bad_calibration_scene_is_one_line(tmp_path):
    (tmp_path / "s.toml").write_text("[calibration]\nsegments = 0\n")
    r = run_cli("s.toml", "--gif", "a.gif", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr == "s.toml: calibration.segments: must be >= 1, got 0\n"


# -- armsim sweep -------------------------------------------------------------------

SWEEP_SCENE = """seed = 1
[calibration]
learner = "lm"
criterion = "identified"
check_period = 1
max_rounds = 200
"""


def test_sweep_writes_one_row_per_run_and_a_plot(tmp_path):
    (tmp_path / "s.toml").write_text(SWEEP_SCENE)
    r = run_cli("sweep", "s.toml", "--vary", "calibration.segments=1:2", "--vary", "genetic.population=2:3",
                "--vary", "calibration.window=10,20", "--seeds", "5,6", "--csv", "o.csv",
                "--plot", "o.png", "--jobs", 2, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader((tmp_path / "o.csv").open()))
    assert len(rows) == 2 * 2 * 2 * 2
    got = sorted((int(w["segments"]), int(w["population"]), int(w["calibration.window"]), int(w["seed"]))
                 for w in rows)
    assert got == sorted((s, p, w, seed) for s in (1, 2) for p in (2, 3) for w in (10, 20) for seed in (5, 6))
    for w in rows:
        assert w["learner"] == "lm" and w["criterion"] == "identified"
        assert int(w["rounds"]) <= 200 and float(w["seconds"]) >= 0
        assert w["converged"] in ("True", "False")
        for k in ("length_error_px", "length_error_pct", "angle_error"):
            assert np.isfinite(float(w[k]))
    assert "segments" in r.stdout and "wrote o.csv" in r.stdout
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib" in r.stderr
    else:
        assert (tmp_path / "o.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep_short_names_and_presets(tmp_path):
    r = run_cli("sweep", "--preset", "lm", "--vary", "segments=1", "--vary", "population=2",
                "--seeds", "3", "--max-rounds", 50, "--csv", "o.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (row,) = list(csv.DictReader((tmp_path / "o.csv").open()))
    assert (row["segments"], row["population"], row["seed"], row["learner"]) == ("1", "2", "3", "lm")
    assert int(row["rounds"]) <= 50


@pytest.mark.parametrize("args, message", [
    (["s.toml", "--vary", "segments=0:1"],
     "armsim sweep: error: --vary calibration.segments: must be >= 1, got 0"),
    (["s.toml", "--vary", "genetic.popultion=2:3"],
     "armsim sweep: error: --vary genetic.popultion: unknown key; choose one of "),
    (["s.toml", "--vary", "segments=3:1"], "armsim sweep: error: --vary 'segments=3:1': empty range 3:1"),
    (["s.toml", "--jobs", "0"], "armsim sweep: error: argument --jobs: must be >= 1, got 0"),
    (["s.toml", "--seeds", "a,b"], "armsim sweep: error: argument --seeds: expected comma-separated integers, got 'a,b'"),
    (["k.toml"], "armsim sweep: error: k.toml is not a calibration scene (it has no [calibration] table)"),
    (["--preset", "best"], "armsim sweep: error: argument --preset: unknown preset 'best'; choose one of gecco, lm"),
    (["nope.toml"], "nope.toml: cannot read scene file: No such file or directory"),
])
def test_sweep_errors_are_one_line_with_status_2(tmp_path, args, message):
    (tmp_path / "s.toml").write_text(SWEEP_SCENE)
    (tmp_path / "k.toml").write_text('[arm]\nlengths = [1]\n[target]\nkind = "fixed"\npoint = [0, 1]\n')
    r = run_cli("sweep", *args, "--csv", "o.csv", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(message), r.stderr
    assert r.stdout == "" and not (tmp_path / "o.csv").exists()


# -- the window: drag the target the hidden reference arm chases (Xvfb + xdotool) ----

WINDOW_SCENE = """seed = 2
[calibration]
learner = "lm"
target_period = 20          # the script would jump every 20 rounds: the user's target must stay
max_speed = 0.002
rounds_per_frame = 20
[render]
size = [400, 400]
"""


@needs_xvfb
def test_window_drag_sets_the_target_the_reference_chases(tmp_path, x_app):
    from armsim.view import CanvasView
    (tmp_path / "w.toml").write_text(WINDOW_SCENE)
    x = x_app("w.toml", env={"PYTHONPATH": str(ROOT)})
    x0, y0, w, h = x.geometry()
    assert wait_for(x.state_path.exists, 15), "the app wrote no state"
    start_tip = np.array(json.loads(x.state_path.read_text())["tip"])
    end = (w // 2 + 30, h // 2 - 60)
    x.drag((x0, y0), (w // 2, h // 2), end)
    time.sleep(2.5)
    x.key("Escape")
    x.app.wait(timeout=15)
    assert x.app.returncode == 0, x.app.stderr.read()
    state = json.loads(x.state_path.read_text())

    class Geometry:             # what CanvasView.fit reads: the scene's canvas, camera and base
        canvas = (600.0, 600.0)
        focuses = [[600.0, 300.0]]
        reference = [[200.0, 300.0]]

    expected = CanvasView.fit(Geometry, (w, h)).to_world(np.array(end, dtype=float))
    target = np.array(state["target"])
    assert np.linalg.norm(target - expected) < 3.0, (target, expected)   # canvas px, y down
    assert state["user_target"] == state["target"]                        # kept through the jumps
    assert state["round"] > 20 * 30
    tip = np.array(state["tip"])
    assert np.linalg.norm(tip - target) < 0.5 * np.linalg.norm(start_tip - target)   # it chased it


def test_sweep_grid_maps_scene_keys_onto_the_experiment():
    from armsim.vision.camera import CAMERA_PRESETS
    from armsim.scene import loads
    from armsim.commands.sweep import grid_experiments
    scene = loads(SWEEP_SCENE, "s.toml")
    base, points, changes = grid_experiments(
        scene, [("cameras.preset", ["mono", "stereo"]), ("population", [2, 5]), ("genetic.enabled", [False])])
    assert points == [{"cameras.preset": c, "genetic.population": p, "genetic.enabled": False}
                      for c in ("mono", "stereo") for p in (2, 5)]
    assert changes[0] == {"genetic.population": 2, "genetic.enabled": False}
    assert changes[3] == {"camera.focuses": CAMERA_PRESETS["stereo"], "genetic.population": 5,
                          "genetic.enabled": False}
    for change in changes:                  # every change is a key the core's sweep accepts
        exp = base
        for k, v in change.items():
            exp = exp.with_value(k, v)
        exp.validate()
