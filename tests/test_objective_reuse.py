"""One objective object in solvers of two chains: each solve measures it on its own chain.
Binding it to a second chain (a second Solver, a solve, clearance_of) replaced what it had
measured for the first (its margin, links, limits, link indices): a Solver on the first chain
then solved with the second's margin, or raised an IndexError or a broadcasting error."""

import numpy as np
import pytest

import armsim
from armsim.ik.problems import SpatialTarget

SEVEN = armsim.Chain([0.22, 0.19, 0.16, 0.13, 0.12, 0.1, 0.08])
BIG = armsim.Chain([2.0, 1.5, 1.0])


def test_a_solver_keeps_its_chain_s_margin_after_another_chain_bound_the_obstacle():
    obs = armsim.Obstacle([0.5, 0.3], 0.05)         # default margin: 2 % of each reach
    target = [0.4, 0.45]
    solver = armsim.Solver(SEVEN, objectives=[obs], restarts=8)
    alone = solver.solve(target)
    armsim.Solver(BIG, objectives=[obs])                 # (its margin 0.09 m)
    again = solver.solve(target)
    assert alone.success and np.array_equal(alone.q, again.q)
    assert again.objectives == alone.objectives
    fresh = armsim.Solver(SEVEN, objectives=[armsim.Obstacle([0.5, 0.3], 0.05)], restarts=8)
    assert np.array_equal(fresh.solve(target).q, alone.q)


@pytest.mark.parametrize("make", [
    lambda tip: armsim.Obstacle(tip + [0.0, 0.15, 0.1], 0.05),
    lambda tip: armsim.SelfCollision(0.05),
    lambda tip: armsim.JointLimitBarrier(0.3),
    lambda tip: armsim.Box(tip + [0.0, 0.15, 0.1], [0.1, 0.1, 0.1]),
])
def test_a_chain_s_solver_after_a_robot_s_solve_with_the_same_objective(make):
    panda = armsim.robots.load("panda")
    hand = armsim.robots.load_robot("panda_hand")
    tip = panda.tip_position(panda.clip(np.array([0.0, -0.5, 0.0, -2.0, 0.0, 1.6, 0.8])))
    o = make(tip)
    solver = armsim.Solver(SpatialTarget(panda, "position"), objectives=[o], restarts=5)
    first = solver.solve(tip + [0.0, 0.05, 0.0])
    armsim.solve(hand, {"panda_tcp": tip}, objectives=[o], restarts=2)
    second = solver.solve(tip + [0.0, 0.05, 0.0])
    assert first.success and np.array_equal(first.q, second.q)
    assert first.objectives == second.objectives


def test_a_point_target_by_link_name_on_two_robots():
    # the dual arm with a floating base holds the link at another index than without it
    from armsim.ik.tree import TreeTargets
    dual = armsim.robots.load_robot("dual_arm")
    free = armsim.load_robot(_urdf("dual_arm"), base_joint="floating")
    assert dual.links.index("left_link4") != free.links.index("left_link4")
    f = dual.frames(np.full(dual.n, 0.2))
    elbow = f["left_link4"][:3, 3]
    point = armsim.PointTarget("left_link4", elbow)
    spec = [("left_tool", "position", None), ("right_tool", "position", None)]
    tg = np.concatenate([f["left_tool"][:3, 3], f["right_tool"][:3, 3]])
    solver = armsim.Solver(TreeTargets(dual, spec), objectives=[point], restarts=3)
    first = solver.solve(tg, np.zeros(dual.n))
    armsim.solve(free, {"left_tool": f["left_tool"][:3, 3]}, objectives=[point], restarts=1)
    second = solver.solve(tg, np.zeros(dual.n))
    assert first.success and np.array_equal(first.q, second.q)
    assert first.objectives == second.objectives
    assert np.linalg.norm(dual.frames(second.q)["left_link4"][:3, 3] - elbow) < 1e-6


def _urdf(name):
    import pathlib
    import armsim.kinematics
    return str(pathlib.Path(armsim.kinematics.__file__).parent / "models" / f"{name}.urdf")
