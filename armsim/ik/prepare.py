"""``armsim.prepare``: build what the solves of a chain or robot need before the first one.

A new chain's first solves build their problem, their restart table (when a start comes
from it) and their float pass, which runs from its program until it is compiled after
:data:`armsim.ik.spatial_scalar.COMPILE_AFTER` evaluations: a few milliseconds spread over
the first solves.  A control loop that must keep its period calls :func:`prepare` at
start-up instead, and its first solves build nothing.
"""

from __future__ import annotations

import numpy as np

from armsim.ik import planar as kin
from armsim.ik import restart_table, spatial_scalar
from armsim.ik.loop import solve
from armsim.ik.problems import PlanarPoint, _restart_table, as_problem, for_target
from armsim.ik.settings import DEFAULT, DEFAULTS, _seed
from armsim.ik.tree import Robot, for_tree

__all__ = ["prepare", "on_load"]

_POSE = np.eye(4)
_POSE.setflags(write=False)


def prepare(task, target, **settings):
    """Build now what the solves of ``task`` toward targets like ``target`` need, so that
    the first of them builds nothing: the problem (as :func:`~armsim.ik.loop.solve` makes
    it from the target's kind and weights: a (4, 4) pose or a (3,) position, or a robot's
    dict of them), its float pass compiled (else it runs from its program for its first
    evaluations and is compiled between two steps of a later solve), its restart tables for
    the settings' seed (a robot's tools' own tables too; a planar chain's restart
    patterns, and with limits its table of joint vectors), and two solves of ``target``
    with ``settings`` (:func:`solve`'s keyword arguments, as the later solves will pass
    them; their answers are not kept), which make
    and keep the solver of those settings in this thread and, with the compiled solve on
    (``armsim[fast]``), load its kernels.  ``target`` is checked as a solve checks it:
    choose one the solves will meet (a start pose), since a target out of reach runs every
    restart.  Later solves give the same answers as without it.  Returns None."""
    # the first solve makes the problem and the solver (kept); the second takes the path
    # of every later solve once the problem is known (a float array target skips Python's
    # checks there: with the compiled solve on, it goes to another kernel)
    for _ in range(2):
        solve(task, target, **settings)
    seed = settings.get("seed", DEFAULTS["seed"])
    if isinstance(task, Robot):
        prob, _ = for_tree(task, target, False)
    else:
        prob, _ = for_target(task, target)
    if not hasattr(prob, "kind"):                   # a planar chain, or another problem
        prob = as_problem(prob)
        if isinstance(prob, PlanarPoint) and seed is not None:
            restarts = settings.get("restarts", DEFAULT)
            _restart_table(prob.chain.lengths,
                           DEFAULTS["restarts"] if restarts is DEFAULT else restarts, seed)
            if prob.chain.limits is not None:       # its table of joint vectors
                kin.limited_table(prob.chain, seed)
        return None
    C = spatial_scalar._compiled(prob, now=True)     # a spatial chain or robot
    seed = _seed(seed, prob)                        # as the solver keeps it
    if seed is not None:                            # a table of seed None is new every solve
        spatial_scalar._table(prob, C, seed)
        if isinstance(task, Robot):
            prob._own_tables(restart_table.NEAREST, seed)
    return None


def on_load(chain):
    """What loading a spatial chain builds (:data:`armsim.kinematics.urdf.ON_LOAD`): the
    problem of a pose target without weights and its float pass (from its program, or the
    compiled pass the disk cache holds), which its first pose solve would build otherwise,
    as a peer builds its solver object when it loads a robot.  Nothing else (no restart
    table, no compile)."""
    prob, _ = for_target(chain, _POSE)
    spatial_scalar._compiled(prob)
