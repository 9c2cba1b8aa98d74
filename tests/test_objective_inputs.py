"""A user objective whose residual is not a finite real number is refused in one line that
names it and the joints where it happened (it was run to max_iter and reported as NaN)."""

import numpy as np
import pytest

import armsim

SEVEN = armsim.Chain([0.3] * 7)
ROW = "[0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]"     # the default start of SEVEN


@pytest.mark.parametrize("bad, shown", [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf")])
def test_a_non_finite_residual_is_refused_naming_the_objective_and_the_joints(bad, shown):
    mine = armsim.Objective(lambda q, c: q[:, :2] * 0.0 + np.array([0.1, bad]), name="mine")
    message = f"objective 'mine': fun returned {shown}, not a finite number, at q = {ROW}"
    with pytest.raises(ValueError) as err:
        armsim.solve(SEVEN, [0.5, 0.3], objectives=[mine])
    assert str(err.value) == message
    with pytest.raises(ValueError) as err:
        armsim.solve_batch(SEVEN, np.array([[0.5, 0.3], [0.1, 0.2]]), objectives=[mine])
    assert str(err.value) == message


def test_a_residual_that_is_not_real_numbers_is_refused():
    words = armsim.Objective(lambda q, c: np.full((len(q), 1), "x"), name="words")
    with pytest.raises(ValueError) as err:
        armsim.solve(SEVEN, [0.5, 0.3], objectives=[words])
    assert str(err.value) == "objective 'words': fun must return real numbers, got dtype <U1"
    twisted = armsim.Objective(lambda q, c: np.ones((len(q), 1)) * 1j, name="complex")
    with pytest.raises(ValueError) as err:
        armsim.solve(SEVEN, [0.5, 0.3], objectives=[twisted])
    assert str(err.value) == ("objective 'complex': fun must return real numbers, got dtype "
                              "complex128")


def test_a_finite_objective_still_solves():
    lean = armsim.Objective(lambda q, c: q[:, :1] * 0.01, name="lean")
    res = armsim.solve(SEVEN, [0.5, 0.3], objectives=[lean])
    assert res.success and np.isfinite(res.objectives["lean"])
