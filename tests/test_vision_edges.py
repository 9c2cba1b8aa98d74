"""Edges of the visual problem found by an audit: each case failed on the code before."""

import numpy as np

from armsim.vision import PRESETS, CalibrationRun
from armsim.vision.spatial_calibration import identify


def test_a_large_rate_on_unwrapped_angles_keeps_every_parameter_finite():
    # the gecco protocol leaves angles unwrapped: at rate 10 they overflowed and every
    # parameter was NaN by round 1427 (then --report failed on the NaN)
    run = CalibrationRun(PRESETS["gecco"].with_value("calibration.rate_range", (10.0, 10.0)), 123)
    for _ in range(1500):
        run.step()
    assert np.all(np.isfinite(run.params)) and np.all(np.isfinite(run.losses))


def test_lm_with_a_damping_too_small_to_lift_its_window_still_steps():
    # a one-round window's J^T J is rank-short; 1e-17 damping was LinAlgError: Singular matrix
    run = CalibrationRun(PRESETS["lm"].with_value("calibration.damping", 1e-17), 1)
    for _ in range(30):
        run.step()
    assert np.all(np.isfinite(run.params)) and float(np.min(run.losses)) < 1e-20


def test_identify_holds_a_parameter_per_null_direction_with_few_residuals():
    # one residual, three parameters: two null directions (was held = [])
    info = identify(np.array([[1.0, 2.0, 3.0]]), ["a", "b", "c"])
    assert (info.rank, info.deficit) == (1, 2)
    assert len(info.held) == 2 and len(info.directions) == 2
