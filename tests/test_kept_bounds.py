"""What a process keeps for its solves stays bounded however the callers vary their settings:
a solve per seed, or per set of weights, on one chain keeps a few restart tables, not one
each (about 0.6 MB each for the Panda)."""

import numpy as np

import armsim
from armsim.ik import restart_table

BOUND = 8       # tables a chain may keep (restart_table.TABLES_KEPT)


def _far(arm):
    """A reachable pose and a start far from it (its solve reads the restart table)."""
    q = arm.clip(np.zeros(arm.n))
    return arm.matrix(q + 0.3), arm.clip(q - 1.0)


def test_a_solve_per_seed_keeps_a_bounded_number_of_tables(monkeypatch):
    monkeypatch.setenv("ARMSIM_CACHE_DIR", "")
    monkeypatch.setattr(restart_table, "_TABLES", type(restart_table._TABLES)())
    arm = armsim.robots.load("panda")
    T, q0 = _far(arm)
    first = armsim.solve(arm, T, q0, seed=0, restarts=2, first_start="q0", first_iter=0)
    for seed in range(1, 3 * BOUND):
        armsim.solve(arm, T, q0, seed=seed, restarts=2, first_start="q0", first_iter=0)
        assert len(restart_table._TABLES.get(arm, {})) <= BOUND
    again = armsim.solve(arm, T, q0, seed=0, restarts=2, first_start="q0", first_iter=0)
    assert again.q.tolist() == first.q.tolist() and again.iterations == first.iterations


def test_a_solve_per_set_of_weights_keeps_a_bounded_number_of_tables(monkeypatch):
    monkeypatch.setenv("ARMSIM_CACHE_DIR", "")
    monkeypatch.setattr(restart_table, "_TABLES", type(restart_table._TABLES)())
    robot = armsim.robots.load_robot("dual_arm")
    F = robot.frames(robot.clip(np.zeros(robot.n)) + 0.2)
    for k in range(3 * BOUND):
        w = [1.0 + k / 10] * 3 + [1.0] * 3
        armsim.solve(robot, {t: armsim.Target(F[t], weights=w) for t in robot.tips},
                     np.zeros(robot.n), restarts=1, first_start="q0", first_iter=0)
        assert len(restart_table._TABLES.get(robot, {})) <= BOUND
