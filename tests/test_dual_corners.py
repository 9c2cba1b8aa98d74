"""Corners of forward-mode AD (armsim.ad.dual) found by an audit against central
differences and numpy: each test failed on the code before its fix."""

import warnings

import numpy as np

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
