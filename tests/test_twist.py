"""Forward mode on rigid transforms (armsim.ad.twist): twists against Duals and differences."""

import numpy as np

from armsim.ad import dual as ad
from armsim.ad import twist
from armsim.kinematics.spatial import rpy_matrix


def _transform(x):
    """A rigid transform of 6 numbers (x, y, z, roll, pitch, yaw), arrays or Duals."""
    return rpy_matrix(x[..., 3:]), x[..., :3]


def _dual_product(xa, xb):
    Ra, pa = _transform(xa)
    Rb, pb = _transform(xb)
    return ad.matmul(Ra, Rb), pa + ad.matmul(Ra, pb)


def test_a_product_of_motions_carries_the_duals_derivatives():
    rng = np.random.default_rng(0)
    for _ in range(5):
        x = rng.uniform(-1.0, 1.0, 12)
        d = ad.Dual.variables(x)
        R, p = _dual_product(d[:6], d[6:])          # the Dual pass: dR, dp
        A = twist.from_duals(*_transform(d[:6]))
        B = twist.from_duals(*_transform(d[6:]))
        Rt, pt = twist.compose(A, B).duals()         # the twist pass, as Duals at the end
        np.testing.assert_allclose(Rt.value, R.value, atol=1e-15)
        np.testing.assert_allclose(Rt.tangent, R.tangent, atol=1e-13)
        np.testing.assert_allclose(pt.tangent, p.tangent, atol=1e-13)


def test_turns_and_slides_match_central_differences():
    rng = np.random.default_rng(1)
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    origin = twist.constant(rpy_matrix(np.array([0.3, -0.2, 0.9])), np.array([0.1, 0.2, -0.3]))
    q = rng.uniform(-2.0, 2.0, 4)

    def pose(v):
        m = twist.compose(twist.compose(origin, twist.turn(v[..., 0], axis)),
                          twist.slide(v[..., 1], axis[::-1]))
        return m.R, m.p
    x = np.array([q[0], q[1]])
    m = twist.compose(twist.compose(origin, twist.turn(ad.Dual.variables(x)[0], axis)),
                      twist.slide(ad.Dual.variables(x)[1], axis[::-1]))
    R, p = m.duals()
    h = 1e-6
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        Rp, pp = pose(x + e)
        Rm, pm = pose(x - e)
        np.testing.assert_allclose(R.tangent[..., k], (Rp - Rm) / (2 * h), atol=1e-9)
        np.testing.assert_allclose(p.tangent[..., k], (pp - pm) / (2 * h), atol=1e-9)


def test_one_hot_seeds_store_only_their_columns_and_equal_dense_ones():
    rng = np.random.default_rng(2)
    axes = rng.normal(size=(4, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    q = rng.uniform(-1, 1, (3, 4))
    sparse = dense = None
    qd = ad.Dual(q, np.broadcast_to(np.eye(4), (3, 4, 4)).copy())
    for i in range(4):
        s = twist.turn(q[:, i], axes[i], k=4, lo=i)          # one-hot, without a Dual
        d = twist.turn(qd[:, i], axes[i])
        assert s.v.shape[-1] == 1 and d.v.shape[-1] == 4
        sparse = s if sparse is None else twist.compose(sparse, s)
        dense = d if dense is None else twist.compose(dense, d)
        assert sparse.lo == 0 and sparse.v.shape[-1] == i + 1      # one column a joint
    np.testing.assert_allclose(sparse.jacobian(), dense.jacobian(), atol=1e-14)
    np.testing.assert_allclose(sparse.R, dense.R, atol=0)


def test_the_whole_seeded_product_equals_the_factor_by_factor_one():
    """twist.seeded_product (every one-hot seed carried at once) against compose, factor by
    factor, with revolute and prismatic joints."""
    from armsim.kinematics.spatial import forward_motion
    rng = np.random.default_rng(5)
    n = 5
    axes = rng.normal(size=(n, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    R0 = rpy_matrix(rng.uniform(-1, 1, (n, 3)))
    p0 = rng.uniform(-0.3, 0.3, (n, 3))
    prismatic = (False, True, False, False, True)
    tool_R, tool_p = rpy_matrix(np.array([0.1, 0.2, 0.3])), np.array([0.0, 0.05, 0.1])
    q = rng.uniform(-1, 1, (4, n))
    whole = twist.seeded_product(q, R0, p0, axes, prismatic, tool_R, tool_p, n + 2, 1)
    qd = ad.Dual(q, np.broadcast_to(np.eye(n + 2)[1:n + 1], (4, n, n + 2)).copy())
    stepwise, _ = forward_motion(qd, R0, p0, axes, prismatic, tool_R, tool_p)
    np.testing.assert_allclose(whole.R, stepwise.R, atol=1e-15)
    np.testing.assert_allclose(whole.p, stepwise.p, atol=1e-15)
    np.testing.assert_allclose(whole.jacobian(), stepwise.jacobian(), atol=1e-14)
    assert not whole.jacobian()[..., [0, n + 1]].any()          # the unseeded columns
