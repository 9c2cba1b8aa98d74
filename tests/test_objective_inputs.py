"""A user objective's residual must be real numbers: anything else is refused in one line
naming the objective (it was numpy's "could not convert string to float" or a silent cast
of a complex value).  A NaN is not refused: a step into a region where the function is not
defined is rejected, so a function with a limited domain still solves."""

import numpy as np
import pytest

import armsim

SEVEN = armsim.Chain([0.3] * 7)


def test_a_residual_that_is_not_real_numbers_is_refused():
    words = armsim.Objective(lambda q, c: np.full((len(q), 1), "x"), name="words")
    with pytest.raises(ValueError) as err:
        armsim.solve(SEVEN, [0.5, 0.3], objectives=[words])
    assert str(err.value) == "objective 'words': fun must return real numbers, got dtype <U1"
    twisted = armsim.Objective(lambda q, c: np.ones((len(q), 1)) * 1j, name="complex")
    with pytest.raises(ValueError) as err:
        armsim.solve_batch(SEVEN, np.array([[0.5, 0.3], [0.1, 0.2]]), objectives=[twisted])
    assert str(err.value) == ("objective 'complex': fun must return real numbers, got dtype "
                              "complex128")


def test_a_function_with_a_limited_domain_still_solves():
    # defined (finite) only while the first joint stays below 0.6 rad: the steps that would
    # leave the domain are rejected, the answer stays inside it and reaches the target
    def domain(q, c):
        x = armsim.dual.maximum(0.6 - q[:, :1], 0.0)
        return 0.01 * x + np.where(np.asarray(armsim.dual.value_of(q))[:, :1] < 0.6, 0.0, np.nan)
    res = armsim.solve(SEVEN, [0.5, 0.3], objectives=[armsim.Objective(domain, name="domain")])
    assert res.success and res.q[0] < 0.6 and np.isfinite(res.objectives["domain"])
