"""dls on a spatial target: joints a step would drive past a limit leave the step (steps._clamped)."""

import numpy as np
import pytest

import armsim
from armsim.ik import steps
from armsim.ik.loop import Solver
from armsim.ik.problems import SpatialTarget


def _reduced_step(jac, e, lam2, free, fixed):
    """The damped least-squares step of the free joints for e - J fixed, written plainly."""
    jf = jac[:, free]
    r = e - jac @ fixed
    dq = fixed.copy()
    dq[free] = jf.T @ np.linalg.solve(jf @ jf.T + lam2 * np.eye(len(e)), r)
    return dq


def test_a_joint_driven_past_its_limit_stops_there_and_the_others_solve_the_rest():
    rng = np.random.default_rng(3)
    jac = rng.normal(size=(1, 6, 7))
    e = rng.normal(size=(1, 6))
    lam2 = np.array([1e-3])
    limits = np.tile([-1.0, 1.0], (7, 1))
    q = np.zeros((1, 7))
    q[0, 2] = 0.999                      # joint 2 right under its upper limit
    g = jac[0] @ jac[0].T + lam2[0] * np.eye(6)
    plain = jac[0].T @ np.linalg.solve(g, e[0])
    if plain[2] <= 0.001:                # make joint 2 the one the plain step drives out
        e, plain = -e, -plain
    assert q[0, 2] + plain[2] > 1.0
    out = np.abs(q[0] + plain) > 1.0
    dq = steps._clamped(q, plain[None].copy(), jac, e, lam2, limits)[0]
    assert q[0, 2] + dq[2] == pytest.approx(1.0, abs=1e-15)
    assert np.all(np.abs(q[0] + dq) <= 1.0 + 1e-15)
    # the joints left free solve exactly the damped problem of what the fixed ones leave
    free = np.abs(q[0] + dq) < 1.0 - 1e-12
    assert not free[2] and free.sum() >= 7 - out.sum() - 2
    fixed = np.where(free, 0.0, dq)
    np.testing.assert_allclose(dq, _reduced_step(jac[0], e[0], lam2[0], free, fixed), atol=1e-12)
    # the one-row version gives the same numbers
    one = steps._clamped_one(q[0], plain.copy(), jac[0], e[0], lam2[0], limits[:, 0],
                             limits[:, 1], np.eye(6))
    np.testing.assert_allclose(one, dq, atol=1e-14)


def test_rows_no_joint_leaves_are_untouched_bit_for_bit():
    rng = np.random.default_rng(4)
    jac = rng.normal(size=(5, 6, 7))
    e = 1e-3 * rng.normal(size=(5, 6))
    dq = 1e-3 * rng.normal(size=(5, 7))
    limits = np.tile([-1.0, 1.0], (7, 1))
    q = np.zeros((5, 7))
    q[1, 0] = 1.0                        # row 1: joint 0 on its limit
    dq[1, 0] = 0.01                      # ... and pushed further
    out = steps._clamped(q, dq.copy(), jac, e, np.full(5, 1e-6), limits)
    keep = [0, 2, 3, 4]
    assert np.array_equal(out[keep], dq[keep])
    assert out[1, 0] == 0.0 and not np.array_equal(out[1], dq[1])


def _panda_poses(count, seed=11):
    chain = armsim.robots.load("panda")
    rng = np.random.default_rng(seed)
    qs = rng.uniform(chain.limits[:, 0], chain.limits[:, 1], size=(count, chain.n))
    return chain, chain.matrix(qs)


def test_clamping_solves_more_panda_poses_than_clipping_from_the_middle_of_the_ranges():
    chain, T = _panda_poses(200)
    mid = chain.limits.mean(axis=1)
    rates = {}
    for clamps in (True, False):
        prob = SpatialTarget(chain, "pose")
        prob.clamps = clamps
        solver = Solver(prob, tol=1e-5, max_iter=20)
        r = solver.solve_batch(SpatialTarget.target_rows(T, True)[1],
                               np.broadcast_to(mid, (len(T), 7)))
        # judged by the forward kinematics of the answer, not the flag
        M = chain.matrix(r.q)
        pos = np.linalg.norm(M[:, :3, 3] - T[:, :3, 3], axis=1)
        assert np.array_equal(r.success, r.residual < 1e-5)
        assert np.all(r.success <= (pos < 1e-5))
        assert chain.within_limits(r.q)
        rates[clamps] = r.success.mean()
    # measured: 0.79 with clamps, 0.585 with clipping (20 iterations, no restarts)
    assert rates[True] >= rates[False] + 0.1, rates
