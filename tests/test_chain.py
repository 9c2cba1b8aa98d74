"""The planar chain: positions, shapes, and Jacobians against finite differences."""

import numpy as np
import pytest

from armsim import Chain, joint_positions
from armsim import dual as ad

RNG = np.random.default_rng(7)


def fd(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def analytic_jacobian(lengths, q):
    """Hand-written reference: column j = sum over segments k >= j of l_k (-sin, cos)(theta_k)."""
    theta = np.cumsum(q)
    sx = np.cumsum((lengths * np.sin(theta))[::-1])[::-1]
    cx = np.cumsum((lengths * np.cos(theta))[::-1])[::-1]
    return np.stack([-sx, cx])


def test_two_link_hand_values():
    c = Chain([1.0, 1.0])
    np.testing.assert_allclose(c.joints([0.0, np.pi / 2]), [[0, 0], [1, 0], [1, 1]], atol=1e-15)
    np.testing.assert_allclose(c.jacobian([0.0, np.pi / 2]), [[-1, -1], [1, 0]], atol=1e-15)
    # straight along +y: J = [[-2, -1], [0, 0]]
    np.testing.assert_allclose(c.jacobian([np.pi / 2, 0.0]), [[-2, -1], [0, 0]], atol=1e-15)
    # base offsets everything
    c2 = Chain([2.0, 1.0], base=(1.0, -1.0))
    np.testing.assert_allclose(c2.tip([0.0, 0.0]), [4.0, -1.0])


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20])
def test_angle_jacobian_matches_finite_differences_and_analytic(n):
    lengths = RNG.uniform(0.1, 1.0, n)
    c = Chain(lengths, base=RNG.normal(size=2))
    for _ in range(5):
        q = RNG.uniform(-np.pi, np.pi, n)
        J = c.jacobian(q)
        assert J.shape == (2, n)
        np.testing.assert_allclose(J, fd(c.tip, q), atol=1e-8)
        np.testing.assert_allclose(J, analytic_jacobian(lengths, q), atol=1e-12)


def test_length_and_base_jacobian():
    n = 4
    lengths = RNG.uniform(0.1, 1.0, n)
    base = RNG.normal(size=2)
    c = Chain(lengths, base=base)
    q = RNG.uniform(-np.pi, np.pi, n)
    J = c.jacobian(q, wrt=("angles", "lengths", "base"))
    assert J.shape == (2, 2 * n + 2)
    np.testing.assert_allclose(J[:, :n], fd(c.tip, q), atol=1e-8)
    np.testing.assert_allclose(J[:, n:2 * n], fd(lambda L: Chain(L, base).tip(q), lengths), atol=1e-8)
    np.testing.assert_allclose(J[:, 2 * n:], np.eye(2), atol=1e-12)
    # every joint's position w.r.t. lengths (what calibration needs)
    JJ = c.joints_jacobian(q, wrt="lengths")
    assert JJ.shape == (n + 1, 2, n)
    np.testing.assert_allclose(JJ, fd(lambda L: Chain(L, base).joints(q), lengths), atol=1e-8)


def test_batch_shapes_and_equality_with_single():
    n, b = 5, 6
    c = Chain(RNG.uniform(0.1, 1.0, n))
    q = RNG.uniform(-3, 3, (b, n))
    assert c.joints(q).shape == (b, n + 1, 2)
    assert c.tip(q).shape == (b, 2)
    J = c.jacobian(q)
    assert J.shape == (b, 2, n)
    for i in range(b):
        np.testing.assert_allclose(J[i], c.jacobian(q[i]), atol=1e-15)
        np.testing.assert_allclose(c.joints(q)[i], c.joints(q[i]), atol=1e-15)
    assert c.jacobian(q, wrt=("angles", "lengths", "base")).shape == (b, 2, 2 * n + 2)


def test_same_code_on_floats_and_duals():
    lengths = np.array([0.5, 0.3])
    q = np.array([0.2, -0.4])
    plain = joint_positions(q, lengths)
    dual = joint_positions(ad.Dual.variables(q), lengths)
    assert isinstance(plain, np.ndarray)
    np.testing.assert_array_equal(plain, dual.value)


def test_segments_keep_their_lengths():
    c = Chain([0.3, 0.5, 0.2])
    pts = c.joints(RNG.uniform(-3, 3, (10, 3)))
    np.testing.assert_allclose(np.linalg.norm(np.diff(pts, axis=-2), axis=-1),
                               np.broadcast_to(c.lengths, (10, 3)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(lengths=[1.0, -1.0]), "segment lengths must be finite and > 0"),
    (dict(lengths=[]), "at least one segment"),
    (dict(lengths=[1.0, np.nan]), "segment lengths must be finite and > 0"),
    (dict(lengths=[1.0], base=(0, 0, 0)), "base must be two finite numbers"),
    (dict(lengths=[1.0, 1.0], limits=[[0, 1]]), r"limits must have shape \(2, 2\)"),
    (dict(lengths=[1.0], limits=[[1, 0]]), "lower <= upper"),
])
def test_invalid_chains(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Chain(**kwargs)


def test_bad_wrt_and_bad_angles():
    c = Chain([1.0, 1.0])
    with pytest.raises(ValueError, match="unknown parameter group 'mass'"):
        c.jacobian([0, 0], wrt="mass")
    with pytest.raises(ValueError, match=r"angles must have shape \(\.\.\., 2\)"):
        c.tip([0, 0, 0])
