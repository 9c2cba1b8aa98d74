"""The rules of an attempt live in one place (armsim.ik.rules): a rule changed there changes
every speed path alike -- the planar float path (armsim.ik.scalar), the spatial float path
and its unbatched-array fallback (armsim.ik.spatial_scalar) and the batch path
(Solver._attempt with steps.dls)."""

import numpy as np
import pytest

import armsim
from armsim import Chain
from armsim.ik import DEFAULTS, rules, settings, spatial_scalar
from armsim.ik.loop import Solver
from armsim.ik.problems import SpatialTarget

TOL = 1e-9
#: each rule changed to a value that changes the iterations (the damping's factors and
#: bounds, the stall test's patience and what counts as a lower error)
CHANGES = [("NU_DOWN", 0.7), ("NU_UP", 3.0), ("NU_MIN", 0.05), ("NU_MAX", 0.02),
           ("PATIENCE", 2), ("LOWER", 0.5)]


def _planar(seed):
    """One start from a random q0 (60 iterations at most) of a 7-joint chain with limits:
    long runs, rejected steps and stalls, so every rule shows."""
    rng = np.random.default_rng(seed)
    chain = Chain(rng.uniform(0.2, 1.0, 7), limits=np.tile([-2.0, 2.0], (7, 1)))
    targets = chain.reach * rng.uniform(-1.2, 1.2, (30, 2))      # some beyond reach
    solver = Solver(chain, **dict(DEFAULTS, restarts=0, max_iter=60))
    return solver, targets, rng.uniform(-2, 2, (30, 7))


def _planar_runs(solver, targets, q0):
    assert solver._scalar       # solve takes the float path
    batch = solver.solve_batch(targets, q0)
    return [solver.solve(t, q) for t, q in zip(targets, q0)], batch


def _spatial(seed):
    """The Panda from random starts, one start of 25 iterations at most (past PATIENCE,
    short of the long runs whose rounding the three paths amplify differently): 10
    reachable poses and 2 beyond the reach."""
    chain = armsim.robots.load("panda")
    rng = np.random.default_rng(seed)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (12, 7)))
    prob = SpatialTarget(chain)
    out = T[10:, :3, 3] - prob._origin
    T[10:, :3, 3] = prob._origin + 1.5 * prob._bound * out / np.linalg.norm(out, axis=1)[:, None]
    rows = np.concatenate([T[:, :3, 3], T[:, :3, :3].reshape(-1, 9)], axis=-1)
    solver = Solver(prob, max_iter=25, restarts=0, damping=prob.default_damping, tol=1e-5)
    return solver, rows, rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (12, 7))


def _spatial_runs(solver, rows, q0, monkeypatch):
    """(float path, unbatched-array path, batch) of every row."""
    floats = [solver.solve(r, q) for r, q in zip(rows, q0)]
    with monkeypatch.context() as m:
        m.setattr(spatial_scalar, "run_one", lambda *args: None)    # the array fallback
        arrays = [solver.solve(r, q) for r, q in zip(rows, q0)]
    return floats, arrays, solver.solve_batch(rows, q0)


def _assert_same(ones, batch, atol):
    """The same iterations, reason and success; q to ``atol`` when converged.  (The paths
    differ in the order of sums -- LU against Cholesky, numpy's pairwise sums -- so an
    unfinished run, wandering over a flat valley, may end elsewhere after the same
    iterations: its q is not compared.)"""
    for i, one in enumerate(ones):
        assert one.iterations == batch.iterations[i], i
        assert one.reason == batch.reason[i] and one.success == batch.success[i], i
        if one.reason == "converged":
            np.testing.assert_allclose(one.q, batch.q[i], rtol=0, atol=atol)


@pytest.mark.parametrize("seed", [7, 8])
@pytest.mark.parametrize("name, value", CHANGES, ids=[c[0] for c in CHANGES])
def test_a_rule_changed_in_one_place_changes_every_planar_path(name, value, seed, monkeypatch):
    solver, targets, q0 = _planar(seed)
    before = _planar_runs(solver, targets, q0)[1].iterations
    monkeypatch.setattr(rules, name, value)
    ones, batch = _planar_runs(solver, targets, q0)
    assert not np.array_equal(batch.iterations, before), "the change changed nothing"
    _assert_same(ones, batch, atol=1e-12)


@pytest.mark.parametrize("seed", [2027, 2028])
@pytest.mark.parametrize("name, value", CHANGES, ids=[c[0] for c in CHANGES])
def test_a_rule_changed_in_one_place_changes_every_spatial_path(name, value, seed, monkeypatch):
    solver, rows, q0 = _spatial(seed)
    before = [r.iterations for r in _spatial_runs(solver, rows, q0, monkeypatch)[0]]
    monkeypatch.setattr(rules, name, value)
    floats, arrays, batch = _spatial_runs(solver, rows, q0, monkeypatch)
    assert [r.iterations for r in floats] != before, "the change changed nothing"
    _assert_same(floats, batch, atol=TOL)
    _assert_same(arrays, batch, atol=TOL)


def test_the_give_up_factor_reaches_the_single_and_the_batch_path(monkeypatch):
    """settings.GIVE_UP_FACTOR, read by the batch loop and the spatial float path when they
    run: with every restart counted as no progress (factor 0), give_up=2 ends a missed
    search after two restarts on every path."""
    solver, rows, q0 = _spatial(2027)
    solver = Solver(solver.problem, max_iter=2, first_iter=2, restarts=30, give_up=2,
                    tol=1e-5, first_start="nearer")        # short budgets: most starts miss
    rows, q0 = rows[:10], q0[:10]                          # the reachable poses
    before = [r.iterations for r in _spatial_runs(solver, rows, q0, monkeypatch)[0]]
    monkeypatch.setattr(settings, "GIVE_UP_FACTOR", 0.0)
    floats, arrays, batch = _spatial_runs(solver, rows, q0, monkeypatch)
    assert [r.iterations for r in floats] != before, "the change changed nothing"
    _assert_same(floats, batch, atol=TOL)
    _assert_same(arrays, batch, atol=TOL)
