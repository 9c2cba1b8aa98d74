"""Corners of forward-mode AD (armsim.ad.dual) found by an audit against central
differences and numpy: each test failed on the code before its fix."""

import warnings

import numpy as np
import pytest

import armsim
from armsim.ad import dual as ad
from armsim.ad import reverse
from armsim.ad.pruning import jacobian as pruned_jacobian


def test_a_quotient_by_a_tiny_number_is_numpys_and_its_tangent_has_no_nan():
    # x * (1 / y) overflowed where 1 / y does (|y| < 5.6e-309) though x / y is finite:
    # 1e-10 / 1e-310 was inf, not 1e300, and the tangent's zero entries 0 * inf = NaN
    x = ad.Dual(np.array([1e-10, 3.0]), np.array([[1.0, 0.0], [0.0, 1.0]]))
    with np.errstate(over="ignore"):        # the slope along x is 1e310: inf, as it is
        for y in (x[0] / 1e-310, x[0] / ad.Dual(1e-310, [0.0, 0.0]), 1e-320 / (x[0] * 1e-300)):
            assert np.isfinite(y.value) and not np.isnan(y.tangent).any()
            assert y.tangent[1] == 0.0
        assert (x[0] / 1e-310).value == 1e-10 / 1e-310
    assert abs((1e-320 / (x[0] * 1e-300)).tangent[0] + 1.0) < 1e-4     # (subnormals)
    f = lambda v: v[0] / v[1] + 2.0 / v[1]                  # noqa: E731
    for at in ([1e-300, 1e-300], [0.3, -0.7]):
        with np.errstate(over="ignore"):     # d (2 / y) / dy = -2e600 at 1e-300: -inf
            J = ad.jacobian(f, at)
            np.testing.assert_allclose(reverse.grad(f, np.array(at)), J, rtol=1e-15)
            np.testing.assert_array_equal(pruned_jacobian(f, at, 2, representation="sparse"), J)
        assert not np.isnan(J).any()


def test_atan2_and_hypot_keep_their_slopes_at_tiny_arguments():
    # x^2 + y^2 underflowed to 0 below 1e-162 and 1 / hypot overflowed at subnormals: the
    # slopes were read as 0 (as at the origin), though 5e169 and 0.707 there
    for a in (1e-170, 1e-310):
        d = ad.Dual.variables([a, a])
        h = ad.hypot(d[0], d[1])
        np.testing.assert_allclose(h.tangent, [0.5 ** 0.5] * 2, rtol=1e-12)
        assert reverse.grad(lambda v: ad.hypot(v[0], v[1]), np.array([a, a]))[0] > 0.7
    t = ad.atan2(*ad.Dual.variables([1e-170, 2e-170]))        # (y, x): d/dy = x / r^2
    np.testing.assert_allclose(t.tangent, [2e170 / 5, -1e170 / 5], rtol=1e-12)
    g = reverse.grad(lambda v: ad.atan2(v[0], v[1]), np.array([1e-170, 2e-170]))
    np.testing.assert_allclose(g, t.tangent, rtol=1e-15)
    for f in (ad.atan2, ad.hypot):                            # the origin: 0, finite
        assert np.array_equal(f(*ad.Dual.variables([0.0, 0.0])).tangent, [0.0, 0.0])
        assert np.array_equal(reverse.grad(lambda v: f(v[0], v[1]), np.zeros(2)), [0.0, 0.0])



def test_geometry_norm_keeps_its_slope_at_tiny_and_huge_lengths():
    # its squares underflowed below 1e-162 (a length of 0 and a slope of 0, as at the
    # origin) and overflowed above 1e154 (a length of inf, a slope of 0, a warning)
    from armsim.ik.geometry import norm
    for s in (1e-200, 1e-310, 1e200):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            v, J = ad.value_and_jacobian(norm, np.array([3.0, 4.0]) * s)
        assert v == pytest.approx(5.0 * s, rel=1e-12, abs=0.0)
        np.testing.assert_allclose(J, [0.6, 0.8], rtol=1e-12)
    # at the origin the length has no slope (a cone's tip): it is taken as 0, finite
    v, J = ad.value_and_jacobian(norm, np.zeros(3))
    assert v == 0.0 and np.array_equal(J, np.zeros(3))
    # a batch: each row by its own scale; an ordinary row's bits are the plain formula's
    x = np.array([[3e-200, 4e-200, 0.0], [0.3, -0.2, 0.7], [0.0, 0.0, 0.0]])
    v, J = ad.value_and_jacobian(norm, x)
    assert v[0] == pytest.approx(5e-200, rel=1e-12) and v[2] == 0.0
    np.testing.assert_allclose(J[0, 0], [0.6, 0.8, 0.0], rtol=1e-12)
    plain = ad.value_and_jacobian(lambda y: ad.sqrt(ad.sum(y * y, axis=-1)), x[1])
    assert v[1] == plain[0] and np.array_equal(J[1, 1], plain[1]) and not J[2].any()
    assert norm(x[:1])[0] == v[0]                             # plain arrays alike


def test_concatenate_with_no_axis_flattens_the_values_not_the_tangents():
    # axis=None flattened each tangent with its value: value (24,), tangent (288,) (K lost)
    x = np.arange(12.0).reshape(3, 4)
    y = ad.concatenate([ad.Dual.variables(x), np.ones(2)], axis=None)
    assert y.shape == (14,) and y.tangent.shape == (14, 12)
    assert np.array_equal(y.value, np.concatenate([x, np.ones(2)], axis=None))
    assert np.array_equal(y.tangent, np.vstack([np.eye(12), np.zeros((2, 12))]))
    f = lambda v: ad.sum(ad.concatenate([v, v * v], axis=None) * np.arange(24.0))  # noqa: E731
    np.testing.assert_array_equal(reverse.grad(f, x), ad.jacobian(f, x))


def test_a_tangent_that_is_a_number_is_refused_in_one_line():
    # Dual([1, 2], 1.0) had a tangent (2,) read as 2 directions of one element, wrong shape for
    # every later rule; Dual(3.0, 1.0) an IndexError at its first .k
    for value in (3.0, [1.0, 2.0]):
        with pytest.raises(ValueError, match=r"^a tangent needs a last axis of K directions, "
                           r"shape S \+ \(K,\); got a number for value shape \(.*\) "
                           r"\(one direction: \[1\]\)$"):
            ad.Dual(value, 1.0)
    assert ad.Dual(3.0, [1.0]).k == 1 and ad.Dual([1.0, 2.0], [1.0]).tangent.shape == (2, 1)


@pytest.mark.parametrize("make", [
    lambda x: ad.Dual(np.array([1 + 2j]), [[1.0]]),          # was cast, a ComplexWarning
    lambda x: ad.Dual(1.0, [2j]),                              # was a TypeError from float()
    lambda x: x + np.array([1j, 0, 0]),                        # was cast, a ComplexWarning
    lambda x: np.array([1j, 0, 0]) - x,
    lambda x: x * 1j,                                          # was a TypeError from float()
    lambda x: 1j / x,
    lambda x: x / np.array([1j, 1, 1]),
    lambda x: x ** (0.5 + 1j),
    lambda x: (2 + 1j) ** x,
    lambda x: ad.where(x > 2, x, np.array([1j, 0, 0])),
    lambda x: ad.maximum(x, np.array([1j, 0, 0])),
    lambda x: ad.atan2(x, 1j),
    lambda x: ad.matmul(np.ones((2, 3)) * 1j, x),
    lambda x: ad.Dual.constant(np.array([1j]), 3),
])
def test_complex_operands_are_refused_in_one_line(make):
    x = ad.Dual.variables([1.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # numpy's ComplexWarning was the only sign of a cast
        with pytest.raises(ValueError, match=r"^a Dual's values must be real numbers, got "
                           r"complex numbers \("):
            make(x)


def test_numpy_sum_of_a_dual_is_its_sum():
    # numpy.sum calls the method with out=None: a TypeError ("unexpected keyword argument")
    x = np.arange(6.0).reshape(2, 3)
    for kw in ({}, {"axis": 0}, {"axis": -1, "keepdims": True}, {"axis": (0, 1)},
               {"dtype": float}):
        J = ad.jacobian(lambda v: np.sum(v, **kw), x)
        plain = {k: a for k, a in kw.items() if k != "dtype"}
        np.testing.assert_array_equal(J, ad.jacobian(lambda v: ad.sum(v, **plain), x))
        assert np.array_equal(np.sum(ad.Dual.variables(x), **kw).value, np.sum(x, **kw))
    with pytest.raises(ValueError, match=r"^a Dual's sum is a new Dual of floats: no out= and "
                       r"no dtype= but float, got out=ndarray, dtype=None$"):
        np.sum(ad.Dual.variables(x), out=np.zeros(()))



def test_a_dual_stored_in_a_float_array_is_refused_not_its_slope_dropped():
    # numpy stores a Dual in a float array through its float: the tangent was dropped and
    # the Jacobian was zeros without a word (float(dual) alike)
    from armsim.ad.nofloat import MESSAGE
    from armsim.ad.pruning import jacobian as pruned
    from armsim.ik.problems import FunctionProblem

    def into_zeros(v):
        out = np.zeros(2)
        out[0], out[1] = v[0] * v[1], v[0]
        return out

    def column(q):                              # a batch's column written in place
        out = np.zeros((len(q), 1))
        out[:, 0] = q[:, 0] ** 2
        return out

    calls = [lambda: ad.jacobian(into_zeros, [1.0, 2.0]), lambda: pruned(into_zeros, [1, 2], 1),
             lambda: ad.jacobian(lambda v: np.array([v[0], 1.0], dtype=float), [1.0]),
             lambda: ad.jacobian(column, np.ones((2, 1))), lambda: float(ad.Dual(1.0, [0.0]))]
    for i, call in enumerate(calls):
        with pytest.raises(TypeError) as err:
            call()
        assert str(err.value) == MESSAGE
        if i < 2:                               # its traceback still shows the line that did
            assert "out[0], out[1] = v[0] * v[1], v[0]" in str(err.getrepr())
    # called by armsim's solvers (a function to solve, an objective): the refusal too
    with pytest.raises(TypeError) as err:
        FunctionProblem(column, 1, 1).value_and_jacobian(np.ones((2, 1)))
    assert str(err.value) == MESSAGE
    chain = armsim.Chain([1.0, 1.0])
    with pytest.raises(TypeError) as err:
        armsim.solve(chain, [1.0, 1.0], objectives=[armsim.Objective(lambda q, c: column(q))])
    assert str(err.value) == MESSAGE
    assert np.array_equal(FunctionProblem(column, 1, 1).value(np.full((2, 1), 3.0)), [[9], [9]])

    def into_objects(v):                        # the remedies the message names
        out = np.empty(2, dtype=object)
        out[0], out[1] = v[0] * v[1], 1.0
        return out
    assert np.array_equal(ad.jacobian(into_objects, [1.0, 2.0]), [[2.0, 1.0], [0.0, 0.0]])
    J = ad.jacobian(lambda v: ad.stack([v[0] * v[1], v[0]]), [1.0, 2.0])
    assert np.array_equal(J, [[2.0, 1.0], [1.0, 0.0]])


def test_a_numpy_function_given_a_dual_is_named_with_its_remedy():
    # np.sin(dual) raised numpy's "operand 'Dual' does not support ufuncs
    # (__array_ufunc__=None)", which names no remedy (helper 115's report)
    from armsim.ad.nofloat import UFUNC_MESSAGE
    chain = armsim.Chain([0.4, 0.3, 0.2])
    objective = armsim.Objective(lambda q, c: np.sin(q[:, 0]) - 0.2, name="s")
    for call in (lambda: armsim.solve(chain, [0.3, 0.5], objectives=[objective]),
                 lambda: ad.jacobian(lambda v: np.exp(v), [1.0, 2.0])):
        with pytest.raises(TypeError) as err:
            call()
        assert str(err.value) == UFUNC_MESSAGE
        assert "np.sin(q[:, 0])" in str(err.getrepr()) or "np.exp(v)" in str(err.getrepr())
    # armsim.dual's own functions take it
    got = armsim.solve(chain, [0.3, 0.5], objectives=[armsim.Objective(
        lambda q, c: ad.sin(q[:, 0]) - 0.2, name="s")])
    assert np.isfinite(got.residual)
