"""Giving up: a target the reach bound proves unreachable gets one start and no restarts;
restarts end once ``give_up`` in a row found no better start; ``timeout`` caps a call's wall
clock with reason "timeout".  The single (float) path and the batch path agree."""

import numpy as np
import pytest

import armsim
from armsim.ik.problems import SpatialTarget


@pytest.fixture(scope="module")
def panda():
    return armsim.robots.load("panda")


def _inside_the_bound_out_of_reach(chain, count, seed=5):
    """Pose targets whose position lies at 0.97 x the reach bound from the first joint (a
    Panda cannot stretch that far with its offsets), random orientations."""
    prob = SpatialTarget(chain, "pose")
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(count, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (count, chain.n)))
    T[:, :3, 3] = np.asarray(prob._origin) + 0.97 * prob._bound * u
    return T


@pytest.mark.parametrize("scale", [1.05, 1.2, 2.0])
def test_a_proved_unreachable_target_gets_one_start(panda, scale):
    prob = SpatialTarget(panda, "pose")
    T = panda.matrix(panda.limits.mean(axis=1))
    T[:3, 3] = np.asarray(prob._origin) + scale * prob._bound * np.array([0.6, 0.0, 0.8])
    one = armsim.solve(panda, T)
    batch = armsim.solve_batch(panda, np.stack([T, T]))
    for reason, iters in ((one.reason, one.iterations), *zip(batch.reason, batch.iterations)):
        assert reason == "unreachable"
        assert iters <= SpatialTarget.default_max_iter + SpatialTarget.default_first_iter
    # the same answer on both paths, and no restart ran: the same as restarts=0 with the
    # full budget
    np.testing.assert_allclose(batch.q[0], one.q, atol=1e-9)
    alone = armsim.solve(panda, T, restarts=0, max_iter=SpatialTarget.default_max_iter)
    assert one.iterations == alone.iterations
    np.testing.assert_allclose(one.q, alone.q, atol=1e-12)


def test_restarts_give_up_on_a_target_out_of_the_workspace(panda):
    T = _inside_the_bound_out_of_reach(panda, 6)
    every = armsim.solve_batch(panda, T, give_up=None)
    assert not every.success.any()                 # out of reach: no start succeeds
    bounded = armsim.solve_batch(panda, T)          # the default give_up
    assert not bounded.success.any() and set(bounded.reason) == {"stalled"}
    assert (bounded.iterations < every.iterations).all()
    assert bounded.iterations.sum() < 0.6 * every.iterations.sum()
    # the float path stops at the same restart with the same answer
    for i in range(len(T)):
        one = armsim.solve(panda, T[i])
        assert (one.reason, one.iterations) == (bounded.reason[i], bounded.iterations[i])
        np.testing.assert_allclose(one.q, bounded.q[i], atol=1e-9)


def test_give_up_truncates_the_same_search(panda):
    """give_up only ends the restarts early: a row solved with it is solved exactly as
    without it (same q, same iterations), and a row it ends is "stalled" after fewer
    iterations than the unbounded search spent."""
    rng = np.random.default_rng(3)
    T = panda.matrix(rng.uniform(panda.limits[:, 0], panda.limits[:, 1], (200, 7)))
    a = armsim.solve_batch(panda, T, give_up=None, tol=1e-5)
    for k in (1, 3):
        b = armsim.solve_batch(panda, T, give_up=k, tol=1e-5)
        assert b.success.sum() > 150
        ok = b.success
        assert a.success[ok].all()
        np.testing.assert_allclose(a.q[ok], b.q[ok], atol=1e-9)   # other batch groupings
        np.testing.assert_array_equal(a.iterations[ok], b.iterations[ok])
        assert (b.reason[~ok] == "stalled").all()
        assert (b.iterations[~ok] < a.iterations[~ok]).all()


def test_a_timeout_ends_the_search_with_reason_timeout(panda):
    T = panda.matrix(np.random.default_rng(3).uniform(panda.limits[:, 0], panda.limits[:, 1],
                                                       (200, 7)))
    full = armsim.solve_batch(panda, T, tol=1e-5)
    hard = np.flatnonzero(full.success & (full.iterations > SpatialTarget.default_first_iter))
    assert hard.size                              # poses that needed restarts
    M = T[hard[0]]
    # the float path checks the clock before every iteration: nothing runs after the deadline
    r = armsim.solve(panda, M, tol=1e-5, timeout=1e-9)
    assert (r.reason, r.success, r.iterations) == ("timeout", False, 0)
    # the batch path checks it before every start: the first start runs, no restart
    b = armsim.solve_batch(panda, T[hard[:3]], tol=1e-5, timeout=1e-9)
    assert list(b.reason) == ["timeout"] * 3 and not b.success.any()
    assert (b.iterations <= SpatialTarget.default_first_iter).all()
    # the residual is reported truthfully: by forward kinematics of the returned q
    p = panda.pose(b.q)[1]
    np.testing.assert_allclose(b.position_residual, np.linalg.norm(p - T[hard[:3], :3, 3], axis=1),
                               atol=1e-12)
    # a generous cap changes nothing
    g = armsim.solve(panda, M, tol=1e-5, timeout=60.0)
    s = armsim.solve(panda, M, tol=1e-5)
    assert g.success and (g.iterations, g.reason) == (s.iterations, s.reason)
    # a solved or proved-unreachable target keeps its own reason
    assert armsim.solve(panda, panda.matrix(panda.limits.mean(axis=1)), timeout=1e-9).reason in (
        "converged", "timeout")


def test_timeout_on_a_planar_chain():
    chain = armsim.Chain([0.5, 0.4, 0.3])
    r = armsim.solve(chain, [0.6, 0.5], timeout=60.0)
    assert r.success and r.reason == "converged"
    r = armsim.solve_batch(chain, np.array([[0.6, 0.5]]), timeout=60.0)
    assert r.success.all()


GIVE_UP = "give_up must be an integer >= 0 and <= 1000000000000 or None, got"


@pytest.mark.parametrize("kw, message", [
    (dict(timeout=0), r"^timeout must be a number > 0 and <= 1e\+06, got 0$"),
    (dict(timeout=-1.0), r"^timeout must be a number > 0 and <= 1e\+06, got -1.0$"),
    (dict(timeout=float("nan")), r"^timeout must be a number > 0 and <= 1e\+06, got nan$"),
    (dict(timeout="soon"), r"^timeout must be a number > 0 and <= 1e\+06, got 'soon'$"),
    (dict(give_up=-1), rf"^{GIVE_UP} -1$"), (dict(give_up=2.5), rf"^{GIVE_UP} 2.5$"),
])
def test_bad_give_up_and_timeout_are_refused(panda, kw, message):
    with pytest.raises(ValueError, match=message):
        armsim.solve(panda, panda.matrix(panda.limits.mean(axis=1)), **kw)


def test_solve_batch_runs_blas_on_one_thread_and_restores_it(panda, monkeypatch):
    from threadpoolctl import threadpool_info

    from armsim.ik import loop, settings

    def blas():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    seen = []
    run = loop.Solver.run

    def spy(self, targets, q0, *details):
        seen.append((len(targets), blas()))
        return run(self, targets, q0, *details)

    monkeypatch.setattr(loop.Solver, "run", spy)
    T = panda.matrix(np.random.default_rng(0).uniform(panda.limits[:, 0], panda.limits[:, 1],
                                                       (settings.BATCH_BLAS_ROWS, 7)))
    armsim.solve_batch(panda, T)
    armsim.solve_batch(panda, T[:2])
    assert seen[0] == (len(T), [1] * len(before))
    assert seen[1] == (2, before)                 # a small batch leaves the threads alone
    assert blas() == before
