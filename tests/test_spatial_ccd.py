"""ccd on spatial chains: each joint turned about its own axis (or slid along it)."""

import numpy as np
import pytest

import armsim
from armsim.ik import SpatialTarget
from armsim.kinematics.spatial import Joint, SpatialChain, rotation_vector

TARGET_SEED = 12345    # not 0: the restarts' uniform draws come from default_rng(0)


def _poses(chain, count):
    rng = np.random.default_rng(TARGET_SEED)
    lo = np.where(chain.continuous, -np.pi, chain.limits[:, 0])
    hi = np.where(chain.continuous, np.pi, chain.limits[:, 1])
    return chain.matrix(rng.uniform(lo, hi, (count, chain.n)))


def _true_success(chain, q, T, tol, pose):
    R, p = chain.pose(q)
    pos = np.linalg.norm(p - T[:, :3, 3], axis=-1)
    if not pose:
        return pos < tol
    ori = np.linalg.norm(rotation_vector(T[:, :3, :3] @ np.swapaxes(R, -1, -2)), axis=-1)
    return (pos < tol) & (ori < tol)


# measured with these 40 poses, defaults (20 sweeps a start, 150 restarts, the first 64 from
# the table): panda 92.5 %, ur5 97.5 %, iiwa14 92.5 %, snake20 100 % (see docs/solvers.md)
@pytest.mark.parametrize("name, least", [("panda", 0.85), ("ur5", 0.9), ("iiwa14", 0.85),
                                         ("snake20", 0.95)])
def test_ccd_round_trip_position_every_robot(name, least):
    chain = armsim.robots.load(name)
    T = _poses(chain, 40)
    res = armsim.solve_batch(chain, T[:, :3, 3], method="ccd")
    tol = 1e-6 * chain.reach
    true = _true_success(chain, res.q, T, tol, pose=False)
    assert np.array_equal(res.success, true)             # never a false success (nor a missed one)
    assert res.success.mean() >= least
    assert all(chain.within_limits(q) for q in res.q)
    single = armsim.solve(chain, T[0, :3, 3], method="ccd")
    assert single.success == bool(true[0]) and np.allclose(single.q, res.q[0])


def test_ccd_pose_targets_are_judged_by_forward_kinematics():
    chain = armsim.robots.load("ur5")
    T = _poses(chain, 12)
    res = armsim.solve_batch(chain, T, method="ccd", max_iter=300, first_iter=300, restarts=8)
    tol = 1e-6 * chain.reach
    assert np.array_equal(res.success, _true_success(chain, res.q, T, tol, pose=True))
    assert res.success.mean() >= 0.5       # measured 80 % on 40 such poses
    assert np.all(res.orientation_residual[res.success] < tol)


def test_ccd_one_revolute_joint_pose_is_exact_in_one_sweep():
    # the closed-form turn: a reachable pose of a one-joint arm is met in one sweep
    chain = SpatialChain([Joint("j", "revolute", (0.1, 0, 0.2), (0.3, -0.2, 0.1),
                                (1.0, 2.0, 0.5), -3.0, 3.0)], tool_xyz=(0.4, 0.1, 0.0),
                         tool_rpy=(0.2, 0.0, 0.7))
    prob = SpatialTarget(chain, "pose")
    goal = np.array([[1.7]])
    rows = prob.value(goal)
    q = prob.ccd_sweep(np.zeros((1, 1)), rows)
    assert abs(q[0, 0] - 1.7) < 1e-12


def test_ccd_prismatic_and_continuous_joints():
    joints = [Joint("turn", "continuous", (0, 0, 0), (0, 0, 0), (0, 0, 1)),
              Joint("lift", "prismatic", (0, 0, 0.1), (0, 0, 0), (0, 0, 1), 0.0, 0.5),
              Joint("elbow", "revolute", (0.3, 0, 0), (0, 0, 0), (0, 1, 0), -2.0, 2.0)]
    chain = SpatialChain(joints, tool_xyz=(0.25, 0, 0))
    target = chain.pose(np.array([3.0, 0.3, 0.6]))[1]
    res = armsim.solve(chain, target, method="ccd", q0=[-3.0, 0.0, 0.0], restarts=0,
                       max_iter=200)
    assert res.success and res.position_residual < 1e-6 * chain.reach
    # the continuous joint: 3.0 turned to within pi of its start -3.0 (the same angle)
    assert abs(res.q[0] - -3.0) <= np.pi and np.isclose(np.cos(res.q[0]), np.cos(3.0))
    assert 0.0 <= res.q[1] <= 0.5 and -2.0 <= res.q[2] <= 2.0
    # out of the prismatic range: the slide stops at its limit, no false success
    far = armsim.solve(chain, [0.0, 0.0, 2.0], method="ccd", restarts=0, max_iter=50)
    assert not far.success and far.q[1] == 0.5


def test_fabrik_is_refused_on_a_spatial_chain():
    chain = armsim.robots.load("ur5")
    with pytest.raises(ValueError) as err:
        armsim.solve(chain, [0.3, 0.1, 0.4], method="fabrik")
    assert str(err.value) == ("method 'fabrik' needs a planar chain; for this problem choose "
                              "one of dls, gradient, pinv, ccd")


def test_ccd_keeps_its_own_default_sweeps_on_a_spatial_target():
    # dls defaults to 10 iterations a restart (25 for q0); ccd counts sweeps and keeps 20
    chain = armsim.robots.load("ur5")
    p = _poses(chain, 6)[:, :3, 3]
    plain = armsim.solve_batch(chain, p, method="ccd")
    chosen = armsim.solve_batch(chain, p, method="ccd", max_iter=20, first_iter=20, restarts=150)
    assert np.array_equal(plain.q, chosen.q)
    assert np.array_equal(plain.iterations, chosen.iterations)
    short = armsim.solve_batch(chain, p, method="ccd", max_iter=10, first_iter=25, restarts=150)
    assert not np.array_equal(plain.iterations, short.iterations)
