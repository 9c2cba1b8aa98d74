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
