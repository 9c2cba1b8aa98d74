"""A chain's general forward pass (armsim.ad.twist.seeded on the float pass's frames) against
the factor-by-factor twist product (spatial.forward) and central differences."""

import numpy as np
import pytest

from armsim.ad import dual as ad
from armsim.ad import opcount
from armsim.kinematics import batch
from armsim.kinematics.spatial import Joint, SpatialChain, forward


def _mixed_chain():
    """Revolute, prismatic and continuous joints about tilted axes, a tilted tool."""
    rng = np.random.default_rng(3)
    joints = []
    for i, kind in enumerate(["revolute", "prismatic", "continuous", "revolute", "prismatic",
                              "revolute"]):
        axis = rng.normal(size=3)
        joints.append(Joint(f"j{i}", kind, tuple(rng.uniform(-0.3, 0.3, 3)),
                            tuple(rng.uniform(-1, 1, 3)), tuple(axis / np.linalg.norm(axis)),
                            -1.0, 1.0))
    return SpatialChain(joints, (0.01, 0.02, 0.1), (0.1, 0.2, 0.3))


def _stepwise(chain, qd, frames=False):
    """The factor-by-factor product of twists (the pass with no chain rule applied)."""
    return forward(qd, chain._R0, chain.xyz, chain.axes, chain.prismatic, chain._tool_R,
                   chain.tool_xyz, frames=frames)


# a single row (unbatched), a small batch (batch-first float pass) and a batch past
# LAST_ROWS (the batch-last pass); tangents per row and one shared by the batch (strides 0)
SHAPES = [(), (5,), (batch.LAST_ROWS + 8,)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("shared", [False, True])
def test_the_pose_of_a_dual_equals_the_factor_by_factor_product(shape, shared):
    chain = _mixed_chain()
    rng = np.random.default_rng(len(shape) + 2 * shared)
    q = rng.uniform(-1, 1, shape + (chain.n,))
    k = 4
    dq = rng.normal(size=(chain.n, k))
    dq = np.broadcast_to(dq, q.shape + (k,)) if shared else rng.normal(size=q.shape + (k,))
    qd = ad.Dual(q, dq)
    R, p = chain.pose(qd)
    Rs, ps = _stepwise(chain, qd)
    np.testing.assert_allclose(R.value, Rs.value, atol=1e-14)
    np.testing.assert_allclose(p.value, ps.value, atol=1e-14)
    np.testing.assert_allclose(R.tangent, Rs.tangent, atol=1e-13)
    np.testing.assert_allclose(p.tangent, ps.tangent, atol=1e-13)
    assert R.tangent.shape == q.shape[:-1] + (3, 3, k) and p.tangent.shape == q.shape[:-1] + (3, k)


# and batches whose rotation tangents are computed in blocks (Motion.duals: uneven blocks
# of rows, and blocks along the first of two batch axes)
@pytest.mark.parametrize("shape", SHAPES + [(200,), (4, 60)])
@pytest.mark.parametrize("shared", [False, True])
def test_every_frame_of_a_dual_equals_the_factor_by_factor_product(shape, shared):
    chain = _mixed_chain()
    n = chain.n
    rng = np.random.default_rng(10 + len(shape) + 2 * shared)
    q = rng.uniform(-1, 1, shape + (n,))
    eye = np.broadcast_to(np.eye(n), q.shape + (n,))          # the objectives' seed
    qd = ad.Dual(q, eye if shared else rng.normal(size=q.shape + (n,)))
    R, p = chain.frames(qd)
    tR, tp, Rs, ps = _stepwise(chain, qd, frames=True)
    assert R.tangent.shape == q.shape[:-1] + (n + 2, 3, 3, n)
    assert not R.tangent[..., 0, :, :, :].any() and not p.tangent[..., 0, :, :].any()  # base
    for f, (Rf, pf) in enumerate(zip(Rs + [tR], ps + [tp]), start=1):
        np.testing.assert_allclose(R.value[..., f, :, :], Rf.value, atol=1e-14)
        np.testing.assert_allclose(p.value[..., f, :], pf.value, atol=1e-14)
        np.testing.assert_allclose(R.tangent[..., f, :, :, :], Rf.tangent, atol=1e-13)
        np.testing.assert_allclose(p.tangent[..., f, :, :], pf.tangent, atol=1e-13)


@pytest.mark.parametrize("rows", [1, batch.LAST_ROWS + 8])
def test_the_general_jacobian_matches_central_differences_and_the_structured_pass(rows):
    chain = _mixed_chain()
    rng = np.random.default_rng(rows)
    q = rng.uniform(-1, 1, (rows, chain.n))
    R, p, J = chain.pose_and_jacobian(q, structured=False)
    Rg, pg, G = chain.pose_and_jacobian(q)
    np.testing.assert_allclose(J, G, atol=1e-12)
    np.testing.assert_allclose(R, Rg, atol=1e-14)
    np.testing.assert_allclose(p, pg, atol=1e-14)
    h = 1e-6
    for i in range(chain.n):
        dq = np.zeros(chain.n)
        dq[i] = h
        (Rp, pp), (Rm, pm) = chain.pose(q + dq), chain.pose(q - dq)
        np.testing.assert_allclose(J[:, :3, i], (pp - pm) / (2 * h), atol=1e-8)
        dR = (Rp - Rm) / (2 * h) @ np.swapaxes(R, -1, -2)            # [w]^ (skew)
        w = np.stack([dR[:, 2, 1], dR[:, 0, 2], dR[:, 1, 0]], axis=-1)
        np.testing.assert_allclose(J[:, 3:, i], w, atol=1e-8)


def test_under_a_hook_the_dual_pose_is_each_operation_of_the_stepwise_product():
    """Operation counting watches every Dual operation: the chain's pass then takes the
    factor-by-factor product (counted) and gives the same numbers."""
    chain = _mixed_chain()
    q = np.random.default_rng(7).uniform(-1, 1, (3, chain.n))
    qd = ad.Dual(q, np.broadcast_to(np.eye(chain.n), (3, chain.n, chain.n)))
    fast = chain.pose(qd)
    with opcount.counting() as counts:
        watched = chain.pose(qd)
    assert counts.nodes >= chain.n          # at least each joint value taken apart
    for a, b in zip(fast, watched):
        np.testing.assert_allclose(a.tangent, b.tangent, atol=1e-13)


@pytest.mark.parametrize("shape", SHAPES)
def test_an_identity_seed_skips_the_product_and_gives_its_numbers(shape):
    # the objectives' seed (one identity row broadcast, strides 0) is read as one-hot seeds;
    # the same identity written out per row takes the product by dq: the same numbers
    from armsim.ad import twist
    chain = _mixed_chain()
    n = chain.n
    q = np.random.default_rng(21).uniform(-1, 1, shape + (n,))
    shared = np.broadcast_to(np.eye(n), q.shape + (n,))
    dense = np.array(shared) + 0.0
    # (one row written out is (n, n): the identity itself, read as such)
    assert twist._identity(shared) and twist._identity(dense) == (shape == ())
    for how in (chain.pose, chain.frames):
        a, b = how(ad.Dual(q, shared)), how(ad.Dual(q, dense))
        for x, y in zip(a, b):
            assert x.tangent.shape == y.tangent.shape
            np.testing.assert_array_equal(x.tangent, y.tangent)
            np.testing.assert_array_equal(x.value, y.value)


def test_a_seed_that_is_not_the_identity_takes_the_product():
    from armsim.ad import twist
    n = _mixed_chain().n
    for dq in (2.0 * np.eye(n), np.eye(n)[:, :4], np.eye(n)[::-1],
               np.broadcast_to(np.eye(n) + 1e-300, (3, n, n))):
        assert not twist._identity(dq)
    assert twist._identity(np.eye(n)) and twist._identity(np.broadcast_to(np.eye(n), (2, 3, n, n)))


@pytest.mark.parametrize("shape", [(0,), (3, 0)])
def test_a_dual_of_an_empty_batch_gives_empty_tangents(shape):
    # numpy gives an empty array strides 0: it has no identity row to read (was IndexError)
    from armsim import robots
    chain = _mixed_chain()
    robot = robots.load_robot("dual_arm")
    for thing in (chain, robot):
        n = thing.n
        for dq in (np.broadcast_to(np.eye(n), shape + (n, n)), np.zeros(shape + (n, n))):
            qd = ad.Dual(np.zeros(shape + (n,)), dq)
            if thing is chain:
                assert chain.pose(qd)[1].tangent.shape == shape + (3, n)
                assert chain.frames(qd)[1].tangent.shape == shape + (n + 2, 3, n)
            else:
                tip = robot.poses(qd, [robot.tips[0]])[robot.tips[0]]
                assert tip[0].tangent.shape == shape + (3, 3, n)
                assert robot.link_positions(qd).tangent.shape == shape + (
                    len(robot.links), 3, n)
