"""``armsim.prepare``: build what the solves of a chain or robot need before the first one.

A new chain's first solves build their problem, their restart table (when a start comes
from it) and their float pass, which runs from its program until it is compiled after
:data:`armsim.ik.spatial_scalar.COMPILE_AFTER` evaluations: a few milliseconds spread over
the first solves.  A control loop that must keep its period calls :func:`prepare` at
start-up instead, and its first solves build nothing.
"""

from __future__ import annotations

from armsim.ik import compiled, restart_table, spatial_scalar
from armsim.ik.inputs import solve_target
from armsim.ik.problems import PlanarPoint, _restart_table, as_problem, for_target
from armsim.ik.settings import DEFAULTS
from armsim.ik.tree import Robot, for_tree
from armsim.kinematics.planar import MAX_COORDINATE

__all__ = ["prepare"]


def prepare(task, target, seed=DEFAULTS["seed"]):
    """Build now what solving ``task`` toward targets like ``target`` needs: the problem
    (as :func:`~armsim.ik.loop.solve` makes it from the target's kind and weights: a
    (4, 4) pose or a (3,) position, or a robot's dict of them), its float pass compiled,
    its restart table for ``seed`` (a robot's tools' own tables too) and, with the compiled
    solve on (``armsim[fast]``), the compiled kernel loaded; for a planar chain, its restart
    patterns (for ``seed`` and solve's default restarts).  ``target`` gives the kind: it is
    checked as a solve checks it (a spatial target's shape and a pose's rotation, a planar
    one's values too), and not used further.  Later solves give the same answers as
    without it.  Returns None."""
    if isinstance(task, Robot):
        prob, _ = for_tree(task, target, False)
    else:
        prob, _ = for_target(task, target)
        if not hasattr(prob, "kind"):            # not a spatial chain: as solve takes it
            prob = as_problem(prob)
            solve_target(target, prob.target_size, MAX_COORDINATE)
            if isinstance(prob, PlanarPoint) and seed is not None:
                _restart_table(prob.chain.lengths, DEFAULTS["restarts"], seed)
            return None
    C = spatial_scalar._compiled(prob, now=True)
    if seed is not None:                        # a table of seed None is new every solve
        spatial_scalar._table(prob, C, seed)
        if isinstance(task, Robot):
            prob._own_tables(restart_table.NEAREST, seed)
    if compiled.enabled():
        compiled.kernel()
    return None
