"""What the window draws while paused: the state with the target where the user put it
(the arm stays; it chases the target when the run resumes), the obstacles where the user
dragged them, the panel's numbers measured to them (:class:`armsim.view.window.App`)."""

from __future__ import annotations

import copy

import numpy as np

from armsim.ik.tracking import clearance, joints_at_limit, shapes
from armsim.kinematics.spatial import rotation_vector

__all__ = ["shown_target", "obstacles_now"]


def obstacles_now(sim, state, arm):
    """``state`` with the clearance of ``sim``'s obstacles where they are now (dragged while
    paused) from the pose it shows, and a planar state's obstacles drawn there (a spatial
    picture draws the simulation's own); ``arm``: the chain or robot ``sim`` moves."""
    objectives = getattr(sim, "objectives", ())
    if not any(hasattr(o, "clearance_of") for o in objectives):
        return state
    shown = copy.copy(state)
    shown.clearance = clearance(objectives, arm, state.q)
    if isinstance(getattr(state, "obstacles", None), tuple):
        shown.obstacles = shapes(objectives)
    return shown


def shown_target(sim, state, user_target, spatial, ik):
    """``state`` (of ``sim``) as drawn while paused: with ``user_target`` (None: the run's;
    a (2,) point, a (3,) position or a (4, 4) pose) for its target and the obstacles where
    they are now (:func:`obstacles_now`); ``spatial``: a spatial arm's state, ``ik``: an arm
    chasing the target by IK (else a calibration run, whose round's numbers stay the run's).
    An arm's errors, its bound ``best`` (the simulation's ``bound``) and the joints
    ``at_limit`` are measured to the moved target as the run measures them; it has not ``stalled`` (nor ``restarted``) on it."""
    if ik:
        state = obstacles_now(sim, state, sim.chain)
    if user_target is None or not hasattr(state, "target"):
        return state
    shown = copy.copy(state)
    u = np.asarray(user_target, dtype=float)
    if not ik:
        shown.target = u.copy()
        return shown
    if spatial:
        T = np.array(state.target, dtype=float)
        if u.shape == (4, 4):
            T = u.copy()
        else:
            T[:3, 3] = u
        if np.array_equal(T, state.target):     # the run's own target: its words stay
            return state
        shown.target = T
        tool = np.asarray(state.tool, dtype=float)          # the panel's errors: to it
        shown.error = float(np.linalg.norm(T[:3, 3] - tool[:3, 3]))
        if state.kind == "pose":
            shown.orientation_error = float(np.linalg.norm(rotation_vector(
                T[:3, :3] @ tool[:3, :3].T)))
        chain = sim.chain
        shown.best, _, short = sim.bound(T, shown.error, shown.orientation_error)
        shown.restarted = False
    else:
        if np.array_equal(u, state.target):
            return state
        shown.target = u.copy()
        shown.error = float(np.linalg.norm(u - np.asarray(state.joints, float)[-1]))
        chain = sim.chain
        shown.best, short = sim.bound(u, shown.error)
        # a comparison's other arms chase the same target (Simulation.step passes it on)
        shown.companions = [shown_target(s, c, u, False, True)
                            for s, c in zip(sim.companions, state.companions)]
    shown.stalled = False
    shown.at_limit = joints_at_limit(state.q, chain.limits) if short else ()
    return shown
