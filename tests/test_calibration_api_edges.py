"""Bad arguments to the planar calibration's Python interface: one ValueError each."""

import math

import pytest

from armsim.vision import PRESETS
from armsim.vision.simulation import CalibrationSimulation


@pytest.mark.parametrize("target, message", [
    ((math.nan, 1.0), "target must be two finite numbers, got [nan, 1.0]"),
    ((math.inf, 0.0), "target must be two finite numbers, got [inf, 0.0]"),
    ((1.0, 2.0, 3.0), "target must be two finite numbers, got [1.0, 2.0, 3.0]"),
    ("ab", "target must be an array of numbers, got 'ab'"),
])
def test_a_frame_refuses_a_bad_target_as_the_run_does(target, message):
    # a NaN, an inf or three numbers was ignored without a word (the arm chased the old
    # target), 'ab' was numpy's "could not convert string to float"
    sim = CalibrationSimulation(PRESETS["lm"], seed=1, rounds_per_frame=1)
    with pytest.raises(ValueError) as err:
        sim.step(target=target)
    assert str(err.value) == message
    assert (sim.frame, sim.run.round, sim.user_target) == (0, 0, None)
    sim.step(target=(300, 400))
    assert sim.user_target.tolist() == sim.run.target.tolist() == [300.0, 400.0]


def _not_an_experiment():
    from armsim.vision import Experiment, calibration, sweep
    from armsim.vision.calibration import CalibrationRun
    presets = "(armsim.vision.PRESETS has gecco, lm), got "
    return [
        (lambda: calibration.run("gecco", 1, 5), "experiment must be an Experiment " + presets
         + "'gecco'"),
        (lambda: CalibrationRun({}, 1), "experiment must be an Experiment " + presets + "{}"),
        (lambda: CalibrationSimulation("lm"), "experiment must be an Experiment " + presets
         + "'lm'"),
        (lambda: sweep.tasks("lm", [{}], [1]), "base must be an Experiment " + presets + "'lm'"),
        (lambda: Experiment(calibration={}).validate(),
         "calibration: must be a CalibrationSettings, got {}"),
        (lambda: Experiment(genetic=None).validate(),
         "genetic: must be a GeneticSettings, got None"),
    ]


@pytest.mark.parametrize("case", range(6))
def test_a_run_refuses_what_is_not_an_experiment_in_one_line(case):
    # each was an AttributeError ("'str' object has no attribute 'validate'")
    call, message = _not_an_experiment()[case]
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == message


def test_a_simulation_of_no_experiment_runs_the_gecco_preset_as_the_run_does():
    # CalibrationRun(None) is the gecco preset; the frames of it failed at the first step
    # (AttributeError: 'NoneType' object has no attribute 'calibration')
    sim = CalibrationSimulation(None, seed=1, rounds_per_frame=3)
    assert sim.step().round == 3 and sim.experiment == PRESETS["gecco"]
    assert sim.report()["rounds"] == 3


@pytest.mark.parametrize("kwargs, message", [
    (dict(jobs=2.5), "jobs must be an integer >= 1, got 2.5"),
    (dict(jobs="2"), "jobs must be an integer >= 1, got '2'"),
    (dict(jobs=0), "jobs must be an integer >= 1, got 0"),
    (dict(jobs=-3), "jobs must be an integer >= 1, got -3"),
    (dict(skip=-1), "skip must be an integer from 0 to 2, got -1"),
    (dict(skip=3), "skip must be an integer from 0 to 2, got 3"),
    (dict(skip=1.0 + 0.5), "skip must be an integer from 0 to 2, got 1.5"),
])
def test_a_sweep_refuses_bad_jobs_or_skip_before_any_run(kwargs, message):
    # jobs 2.5 was the pool's TypeError and 0 or -3 ran serially without a word; skip -1
    # ran the last task alone and numbered its row -1, skip 3 ran nothing
    from armsim.vision import sweep
    rows = []
    with pytest.raises(ValueError) as err:
        sweep.sweep(PRESETS["lm"], [{}], [1, 2], max_rounds=2, progress=False,
                    on_row=lambda i, row: rows.append(i), **kwargs)
    assert str(err.value) == message and rows == []
    assert len(sweep.sweep(PRESETS["lm"], [{}], [1, 2], max_rounds=2, progress=False,
                           skip=2)) == 0


@pytest.mark.parametrize("angle_range", [(2e6, 2e6 + 6.0), (-1e17, 0.0), (0.0, 10000.5)])
def test_an_angle_range_a_run_cannot_keep_is_refused(angle_range):
    # drawn past the +-1e6 rad that unwrapped angles are kept within, the gecco variant's
    # candidates were cut back to 1e6 at their first step while the reference stayed at 2e6:
    # lm never identified the arm (identified in 18 rounds from [0, 2 pi)); a scene refuses
    # past +-1e4
    exp = PRESETS["gecco"].with_value("calibration.angle_range", angle_range)
    with pytest.raises(ValueError) as err:
        exp.validate()
    assert str(err.value) == (f"calibration.angle_range: must lie within [-10000, 10000] rad, "
                              f"got {list(angle_range)}")
    PRESETS["gecco"].with_value("calibration.angle_range", (-1e4, 1e4)).validate()


@pytest.mark.parametrize("key, value, message", [
    ("calibration.length_range", (1e308, 1.5e308),
     "calibration.length_range: must be two numbers within +-1000000 px, got [1e+308, 1.5e+308]"),
    ("calibration.base", (1e308, 0.0),
     "calibration.base: must be two numbers within +-1000000 px, got [1e+308, 0.0]"),
    ("calibration.canvas", (1e7, 1.0),
     "calibration.canvas: must be two numbers within +-1000000 px, got [10000000.0, 1.0]"),
    ("calibration.target_start", (0.0, -2e6),
     "calibration.target_start: must be two numbers within +-1000000 px, got [0.0, -2000000.0]"),
    ("camera.focuses", ((-1e308, 0.0),),
     "camera.focuses: every coordinate must be within +-1000000 px, got ((-1e+308, 0.0),)"),
])
def test_pixels_past_a_scenes_bound_are_refused(key, value, message):
    # lengths of 1e308 overflowed their sums (every learned parameter and the reference NaN,
    # numpy's RuntimeWarnings on stderr); a base and a focus 1e308 either side made every
    # gradient NaN; a scene refuses past 1e6 px
    with pytest.raises(ValueError) as err:
        PRESETS["lm"].with_value(key, value).validate()
    assert str(err.value) == message


def test_pixels_at_a_scenes_bound_run_finite():
    import numpy as np
    from armsim.vision import CalibrationRun
    exp = (PRESETS["lm"].with_value("calibration.length_range", (1e6, 1e6))
           .with_value("calibration.base", (1e6, -1e6))
           .with_value("camera.focuses", ((-1e6, 1e6),)))
    run = CalibrationRun(exp, 2)
    for _ in range(20):
        run.step()
    assert np.all(np.isfinite(run.params)) and np.all(np.isfinite(run._grad))


def test_settings_refuse_more_rounds_than_run_and_a_scene_take():
    # CalibrationSettings.max_rounds took 10**30, where run(), scenes and sweep refuse a
    # count over 10**8 (docs/calibration.md says so of every entry)
    import dataclasses
    from armsim.vision import PRESETS
    exp = PRESETS["lm"]
    bad = dataclasses.replace(exp, calibration=dataclasses.replace(exp.calibration,
                                                                   max_rounds=10**30))
    with pytest.raises(ValueError) as err:
        bad.validate()
    assert str(err.value) == ("calibration.max_rounds: must be <= 100,000,000, got "
                              "1000000000000000000000000000000")
    ok = dataclasses.replace(exp, calibration=dataclasses.replace(exp.calibration,
                                                                  max_rounds=10**8))
    assert ok.validate() is not None
