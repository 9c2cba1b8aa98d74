"""Every field of IKResult is filled by the solves it describes: a field no solve writes is
a promise of nothing (``history``, a list declared on every result and never filled, was
removed; a convergence trace needs ``restarts=0`` and ``max_iter`` stepped by hand)."""

import dataclasses

import numpy as np

import armsim
from armsim.ik.result import IKResult


def test_every_field_is_filled_by_some_solve():
    planar = armsim.solve(armsim.Chain([0.4, 0.3, 0.2]), [0.3, 0.5])
    panda = armsim.robots.load("panda")
    spatial = armsim.solve(panda, panda.matrix(np.full(7, 0.3)))
    with_objective = armsim.solve(panda, panda.matrix(np.full(7, 0.3)),
                                  objectives=[armsim.Posture(np.zeros(7), 0.01)])
    robot = armsim.robots.load_robot("dual_arm")
    F = robot.frames(np.full(robot.n, 0.2), ["left_tool", "right_tool"])
    tree = armsim.solve(robot, F)
    filled = set()
    for r in (planar, spatial, with_objective, tree):
        for f in dataclasses.fields(IKResult):
            v = getattr(r, f.name)
            if v is not None and not (isinstance(v, (list, dict)) and not v):
                filled.add(f.name)
    assert filled == {f.name for f in dataclasses.fields(IKResult)}
    assert not hasattr(planar, "history")
    assert set(tree.targets) == {"left_tool", "right_tool"}
    assert set(with_objective.objectives) == {"posture"}
    assert spatial.position_residual is not None and planar.position_residual is None
