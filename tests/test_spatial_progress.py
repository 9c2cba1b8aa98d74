"""The progress rule of spatial dls with restarts (SpatialTarget.progress): an attempt whose
f fell by less than the factor r over its last W iterations ends, stalled, and the next
start runs."""

import numpy as np
import pytest

import armsim
from armsim.ik.loop import Solver
from armsim.ik.problems import SpatialTarget, for_target
from armsim.kinematics.spatial import rotation_vector


def _poses(chain, count, seed):
    q = np.random.default_rng(seed).uniform(chain.limits[:, 0], chain.limits[:, 1],
                                            (count, chain.n))
    return chain.matrix(q)


def _f(prob, rows, q):
    aim = prob.aim(rows)[0]
    e = prob.error(aim, prob.value(q))
    return 0.5 * np.einsum("bi,bi->b", e, e)


def test_the_spatial_problem_watches_progress_and_the_planar_one_does_not():
    assert SpatialTarget.progress == (3, 0.49)
    chain = armsim.robots.load("panda")
    prob, _ = for_target(chain, chain.matrix(chain.limits.mean(axis=1)))
    assert Solver(prob, method="dls", restarts=4)._progress == (3, 0.49)
    # no restarts: the only attempt keeps its whole budget; other methods are never cut
    assert Solver(prob, method="dls", restarts=0)._progress is None
    assert Solver(prob, method="gradient", restarts=4)._progress is None
    planar, _ = for_target(armsim.Chain([1.0, 1.0]), np.array([1.0, 0.5]))
    assert Solver(planar, method="dls", restarts=4)._progress is None


def test_an_attempt_ends_at_the_first_iteration_its_error_fell_too_little():
    """The batch attempt with the rule ends each row at the first k >= 3 where
    f_k > 0.49 f_(k-3) (f_k read off the same attempt without the rule, cut at k), or
    where it converges or runs out of budget, and says so in ``stalled``."""
    chain = armsim.robots.load("panda")
    T = _poses(chain, 120, seed=41)
    prob, rows = for_target(chain, T, batch=True)
    aim, reach = prob.aim(rows)
    q0 = np.broadcast_to(chain.limits.mean(axis=1), (len(T), chain.n)).copy()
    budget = 25
    plain = Solver(prob, method="dls", restarts=0, max_iter=budget, tol=1e-5)
    fs = np.array([_f(prob, rows, plain._attempt(rows, aim, reach, q0, k)[0])
                   for k in range(budget + 1)])            # (budget + 1, B)
    watched = Solver(prob, method="dls", restarts=1, max_iter=budget, tol=1e-5)
    q, iters, res, off, stalled = watched._attempt(rows, aim, reach, q0, budget)
    cut = 0
    for b in range(len(T)):
        k = 0
        while not (fs[k, b] < 0.5e-10 or k == budget
                   or (k >= 3 and fs[k, b] > 0.49 * fs[k - 3, b])):
            k += 1
        slow = k >= 3 and fs[k, b] > 0.49 * fs[k - 3, b] and not fs[k, b] < 0.5e-10
        assert iters[b] == k, b
        assert bool(stalled[b]) == slow, b
        cut += slow
    assert 10 <= cut < len(T) - 10          # the rule both cut attempts and let others run


def test_every_path_cuts_the_same_attempts():
    """solve (Python floats), solve_batch of one row (unbatched arrays) and solve_batch of
    many rows (batch arrays) give the same iterations, success, reason and q."""
    chain = armsim.robots.load("ur5")
    T = _poses(chain, 40, seed=7)
    mid = chain.limits.mean(axis=1)
    batch = armsim.solve_batch(chain, T, q0=np.broadcast_to(mid, (len(T), chain.n)), tol=1e-5)
    for i in range(len(T)):
        one = armsim.solve(chain, T[i], q0=mid, tol=1e-5)
        row = armsim.solve_batch(chain, T[i:i + 1], q0=mid[None], tol=1e-5)
        for other_q, other_it, other_ok, other_reason in (
                (batch.q[i], batch.iterations[i], batch.success[i], batch.reason[i]),
                (row.q[0], row.iterations[0], row.success[0], row.reason[0])):
            assert one.iterations == other_it and one.success == other_ok
            assert one.reason == other_reason
            np.testing.assert_allclose(one.q, other_q, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["panda", "ur5"])
def test_the_rule_saves_iterations_and_loses_no_pose(name, monkeypatch):
    """Round trip on 150 poses: every pose solved (judged by forward kinematics) with and
    without the rule, in fewer iterations with it."""
    chain = armsim.robots.load(name)
    T = _poses(chain, 150, seed=2026)
    q0 = np.broadcast_to(chain.limits.mean(axis=1), (len(T), chain.n))
    runs = {}
    for progress in ((3, 0.49), None):
        monkeypatch.setattr(SpatialTarget, "progress", progress)
        r = armsim.solve_batch(chain, T, q0=q0, tol=1e-5)
        M = chain.matrix(r.q)
        pos = np.linalg.norm(M[:, :3, 3] - T[:, :3, 3], axis=-1)
        ori = np.linalg.norm(rotation_vector(T[:, :3, :3] @ np.swapaxes(M[:, :3, :3], -1, -2)),
                             axis=-1)
        assert np.all(pos < 1e-5) and np.all(ori < 1e-5) and np.all(r.success)
        runs[progress] = np.mean(r.iterations)
    assert runs[(3, 0.49)] < 0.95 * runs[None]


def test_a_spatial_target_starts_dls_with_its_own_damping_unless_given():
    """solve and solve_batch start a spatial target's dls at nu = SpatialTarget.default_damping (0.01; the Solver itself,
    as the tracking simulation builds it, keeps 1.0, like every planar problem)."""
    chain = armsim.robots.load("iiwa14")
    prob, _ = for_target(chain, chain.matrix(chain.limits.mean(axis=1)))
    d0 = SpatialTarget.default_damping
    assert d0 == 0.01
    assert Solver(prob, method="dls").options.damping == 1.0
    assert not hasattr(for_target(armsim.Chain([1.0, 1.0]), np.array([1.0, 0.5]))[0],
                       "default_damping")
    T = _poses(chain, 30, seed=5)
    mid = chain.limits.mean(axis=1)
    its = {d: [armsim.solve(chain, M, q0=mid, tol=1e-5, damping=d).iterations for M in T]
           for d in (d0, 1.0)}
    assert its[d0] != its[1.0]             # the damping reaches the float path
    assert [armsim.solve(chain, M, q0=mid, tol=1e-5).iterations for M in T] == its[d0]
    batch = armsim.solve_batch(chain, T, q0=np.broadcast_to(mid, (len(T), chain.n)), tol=1e-5)
    assert batch.iterations.tolist() == its[d0]
