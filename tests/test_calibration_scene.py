"""Calibration scenes: the [calibration], [cameras] and [genetic] tables, scene kinds,
the mapping onto the core's Experiment, and the frame-by-frame simulation."""

import json
from pathlib import Path

import numpy as np
import pytest

from armsim import scene as sc
from armsim.vision.experiment import PRESETS, Experiment
from armsim.scene.calibration import CalibrationSection, CamerasSection, GeneticSection, experiment
from armsim.vision.simulation import CalibrationSimulation
from armsim.vision.camera import CAMERA_PRESETS, CameraSettings
from armsim.scene import SceneError, build_simulation, dumps, load, loads, override

ROOT = Path(__file__).resolve().parents[1]
# every calibration scene (a 3D one has `robot =` in its [calibration]; more on those in
# tests/test_calibration_spatial_scene.py)
CALIBRATE = sorted((ROOT / "scenes").glob("calibrate-*.toml"))
C = "[calibration]\n"


def error_of(text):
    with pytest.raises(SceneError) as info:
        loads(text, "scenes/x.toml")
    return str(info.value)


def test_the_three_example_scenes_ship():
    assert {p.name for p in CALIBRATE} >= {"calibrate-gecco.toml", "calibrate-stereo-lm.toml",
                                           "calibrate-ga.toml"}


@pytest.mark.parametrize("path", CALIBRATE, ids=[p.name for p in CALIBRATE])
def test_example_scenes_round_trip(path):
    s = load(path)
    assert s.kind == "calibration"
    assert s.arm is None and s.target is None and s.solver is None and s.compare is None
    text = dumps(s)
    again = loads(text)
    assert again == s and dumps(again) == text
    if s.calibration.robot is None:            # a 3D calibration is no planar experiment
        assert experiment(again) == experiment(s)


def test_gecco_scene_is_the_gecco_preset():
    s = load(ROOT / "scenes" / "calibrate-gecco.toml")
    assert experiment(s) == PRESETS["gecco"]


def test_variant_table_is_checked():
    with pytest.raises(SceneError, match=r"variant.angles: unknown angles 'wrap'; "
                                         r"choose one of wrapped, unwrapped"):
        loads("[calibration]\n[variant]\nangles = 'wrap'\n", "v.toml")
    with pytest.raises(SceneError, match=r"v.toml: variant: only a scene with \[calibration\] has \[variant\]"):
        loads("[arm]\nlengths = [1.0]\n[target]\nkind = 'fixed'\npoint = [0.5, 0.0]\n"
              "[variant]\n", "v.toml")


def test_stereo_lm_scene_maps_onto_the_core():
    e = experiment(load(ROOT / "scenes" / "calibrate-stereo-lm.toml"))
    assert e.camera == CameraSettings.preset("stereo") and e.camera.count == 2
    assert e.calibration.learner == "lm" and e.calibration.criterion == "identified"
    assert e.calibration.check_period == 1 and e.calibration.segments == 4


def test_every_key_reaches_the_experiment():
    s = loads(C + "segments = 2\nlength_range = [60, 150]\nangle_range = [0.5, 1.5]\nbase = [10, 20]\n"
              "canvas = [300, 200]\ntarget_start = [5, 6]\ntarget_period = 7\nmax_speed = 0.002\n"
              "learner = \"adam\"\nrate_range = [0.001, 0.002]\ncriterion = \"identified\"\n"
              "loss_threshold = 0.5\ncheck_period = 3\nlength_tolerance = 0.05\nangle_tolerance = 0.02\n"
              "window = 9\ndamping = 0.1\nmax_rounds = 99\nrounds_per_frame = 4\n"
              "[cameras]\nfocuses = [[1, 2], [3, 4], [5, 6]]\n"
              "[genetic]\npopulation = 6\nenabled = false\nperiod = 11\nreplaced = 1\nmutation = 0.5\n")
    e = experiment(s)
    cal = e.calibration
    assert (cal.segments, cal.length_range, cal.angle_range, cal.base, cal.canvas) == \
        (2, (60.0, 150.0), (0.5, 1.5), (10.0, 20.0), (300.0, 200.0))
    assert (cal.target_start, cal.target_period, cal.max_speed, cal.learner, cal.rate_range) == \
        ((5.0, 6.0), 7, 0.002, "adam", (0.001, 0.002))
    assert (cal.criterion, cal.loss_threshold, cal.check_period, cal.length_tolerance,
            cal.angle_tolerance, cal.window, cal.damping, cal.max_rounds) == \
        ("identified", 0.5, 3, 0.05, 0.02, 9, 0.1, 99)
    assert e.camera.focuses == ((1.0, 2.0), (3.0, 4.0), (5.0, 6.0))
    g = e.genetic
    assert (g.population, g.enabled, g.period, g.replaced, g.mutation) == (6, False, 11, 1, 0.5)
    assert build_simulation(s).rounds_per_frame == 4
    assert loads(dumps(s)) == s


def test_defaults_are_the_cores():
    s = loads(C)
    assert s.cameras == CamerasSection() and s.genetic == GeneticSection()
    assert experiment(s) == Experiment(CameraSettings.preset("mono"))
    assert s.calibration.rounds_per_frame == 10
    assert CamerasSection(preset="stereo").settings().focuses == CAMERA_PRESETS["stereo"]


def test_scene_kinds():
    ik = loads('[arm]\nlengths = [1]\n[target]\nkind = "fixed"\npoint = [0, 0]\n')
    assert ik.kind == "ik" and ik.calibration is None and ik.cameras is None and ik.genetic is None
    with pytest.raises(ValueError, match="not a calibration scene"):
        experiment(ik)
    assert isinstance(build_simulation(loads(C)), CalibrationSimulation)


INVALID = [
    (C + "segments = 0\n", "calibration.segments: must be >= 1, got 0"),
    (C + "segments = 2.0\n", "calibration.segments: expected an integer, got 2.0"),
    (C + "segments = 21\n", "calibration.segments: must be <= 20, got 21"),
    (C + 'learner = "newton"\n',
     "calibration.learner: unknown learner 'newton'; choose one of plain, proportional, adam, lm"),
    (C + 'criterion = "los"\n',
     "calibration.criterion: unknown criterion 'los'; choose one of loss, identified (did you mean 'loss'?)"),
    (C + "length_range = [200, 50]\n", "calibration.length_range: limits reversed: lower 200.0 > upper 50.0"),
    (C + "length_range = [0, 50]\n", "calibration.length_range[0]: must be >= 1e-06, got 0.0"),
    (C + "angle_range = [0, nan]\n", "calibration.angle_range[1]: must be a finite number, got nan"),
    (C + "rate_range = [1e-5]\n", "calibration.rate_range: must have at least 2 item(s), got 1"),
    (C + "max_rounds = 0\n", "calibration.max_rounds: must be >= 1, got 0"),
    (C + "rounds_per_frame = 0\n", "calibration.rounds_per_frame: must be >= 1, got 0"),
    (C + "window = 0\n", "calibration.window: must be >= 1, got 0"),
    (C + "max_speed = -1\n", "calibration.max_speed: must be > 0, got -1.0"),
    (C + "canvas = [600, 0]\n", "calibration.canvas[1]: must be >= 1, got 0.0"),
    (C + "sgments = 3\n", "calibration.sgments: unknown key; did you mean 'segments'?"),
    (C + "[genetic]\npopulation = 1\n", "genetic.population: must be >= 2, got 1"),
    (C + "[genetic]\nreplaced = 3\n",
     "genetic.replaced: must be <= population - 2 = 2 so the best candidate survives, got 3"),
    (C + "[genetic]\nmutation = 1.5\n", "genetic.mutation: must be <= 1, got 1.5"),
    (C + "[genetic]\nenabled = 1\n", "genetic.enabled: expected true or false, got 1"),
    (C + '[cameras]\npreset = "tri"\n', "cameras.preset: unknown camera preset 'tri'; choose one of mono, stereo"),
    (C + '[cameras]\npreset = "mono"\nfocuses = [[600, 300]]\n',
     "cameras.focuses: give cameras.preset or cameras.focuses, not both"),
    (C + "[cameras]\nfocuses = [[600, 300, 1]]\n", "cameras.focuses[0]: must have at most 2 item(s), got 3"),
    (C + "[cameras]\nfocuses = []\n", "cameras.focuses: must have at least 1 item(s), got 0"),
    (C + "[arm]\nlengths = [1]\n", "arm: a calibration scene (one with [calibration]) has no [arm] table"),
    (C + '[solver]\nmethod = "dls"\n', "solver: a calibration scene (one with [calibration]) has no [solver] table"),
    ('[arm]\nlengths = [1]\n[target]\nkind = "fixed"\npoint = [0, 0]\n[genetic]\npopulation = 3\n',
     "genetic: only a scene with [calibration] has [genetic]"),
]


@pytest.mark.parametrize("text, message", INVALID, ids=[m.split(":")[0] + f"#{i}" for i, (_, m) in enumerate(INVALID)])
def test_invalid_calibration_settings(text, message):
    assert error_of(text) == "scenes/x.toml: " + message


def test_override_checks_like_a_file():
    s = load(ROOT / "scenes" / "calibrate-gecco.toml")
    t = override(s, {"calibration.segments": 5, "genetic.population": 3})
    assert experiment(t).calibration.segments == 5 and experiment(t).genetic.population == 3
    with pytest.raises(SceneError) as info:
        override(s, {"calibration.segments": 0})
    assert str(info.value) == f"{s.source}: calibration.segments: must be >= 1, got 0"


# -- the simulation a calibration scene builds ------------------------------------

def small(**keys):
    extra = "".join(f"{k} = {v}\n" for k, v in keys.items())
    return loads(C + "segments = 2\nlearner = \"lm\"\n" + extra + "[genetic]\npopulation = 3\n")


def test_a_frame_is_rounds_per_frame_rounds_and_max_rounds_stops():
    sim = build_simulation(small(rounds_per_frame=7, max_rounds=30))
    assert sim.step().round == 7 and sim.step().round == 14
    for _ in range(5):
        st = sim.step()
    assert st.round == 30 and sim.frame == 7
    sim.reset()
    assert sim.state.round == 0 and sim.frame == 0


def test_same_seed_same_frames():
    a, b = (build_simulation(small(rounds_per_frame=5)) for _ in range(2))
    for _ in range(4):
        sa, sb = a.step(), b.step()
    np.testing.assert_array_equal(sa.candidates, sb.candidates)
    np.testing.assert_array_equal(sa.reference, sb.reference)
    c = build_simulation(override(small(rounds_per_frame=5), {"seed": 1}))
    assert not np.array_equal(c.step().reference, CalibrationSimulation(
        experiment(small()), seed=0, rounds_per_frame=5).step().reference)


def test_a_user_target_replaces_the_jumps():
    sim = build_simulation(small(rounds_per_frame=6, target_period=4))
    start = sim.state.target.copy()
    jumped = sim.step().target
    assert not np.array_equal(jumped, start)              # the script jumps every 4 rounds
    for _ in range(3):
        st = sim.step(target=[321.0, 123.0] if _ == 0 else None)
        np.testing.assert_array_equal(st.target, [321.0, 123.0])    # kept across jump rounds
    sim.reset()
    np.testing.assert_array_equal(sim.state.target, start)


def test_report_is_json_and_tells_the_truth():
    sim = build_simulation(small(rounds_per_frame=3, criterion='"identified"', check_period=1))
    rep = sim.report()
    assert rep["final_loss"] is None and rep["rounds"] == 0      # nothing checked yet: no inf
    json.dumps(rep, allow_nan=False)
    for _ in range(40):
        sim.step()
    rep = sim.report()
    json.dumps(rep, allow_nan=False)
    assert rep["rounds"] == 120 and rep["frames"] == 40 and rep["population"] == 3
    assert rep["converged"] and rep["identified"] and rep["converged_round"] <= 120
    ref, best = rep["reference"], rep["best_candidate"]
    assert np.max(np.abs(np.subtract(best["lengths"], ref["lengths"]))) == pytest.approx(
        rep["length_error_px"], abs=1e-9)
    assert rep["length_error_pct"] <= 1.0 and rep["angle_error"] <= 0.01


def test_simulation_refuses_a_bad_frame_size():
    with pytest.raises(ValueError, match="rounds_per_frame must be an integer >= 1, got 0"):
        CalibrationSimulation(PRESETS["gecco"], rounds_per_frame=0)


def test_sections_are_registered():
    for name, cls in (("calibration", CalibrationSection), ("cameras", CamerasSection),
                      ("genetic", GeneticSection)):
        assert sc.SECTIONS[name].cls is cls and sc.SECTIONS[name].kinds == ("calibration",)
    assert sc.SECTIONS["calibration"].marks == "calibration"
