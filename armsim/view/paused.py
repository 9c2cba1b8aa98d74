"""What the window draws while paused: the state with the target where the user put it
(the arm stays; it chases the target when the run resumes), the panel's numbers measured to
that target (:class:`armsim.view.window.App`)."""

from __future__ import annotations

import copy

import numpy as np

from armsim.kinematics.spatial import rotation_vector

__all__ = ["shown_target"]


def shown_target(state, user_target, spatial, ik):
    """``state`` as drawn with ``user_target`` (a (2,) point, a (3,) position or a (4, 4)
    pose) for its target; ``spatial``: a spatial arm's state, ``ik``: an arm chasing the
    target by IK (else a calibration run, whose round's numbers stay the run's)."""
    if not hasattr(state, "target"):
        return state
    shown = copy.copy(state)
    u = np.asarray(user_target, dtype=float)
    if not ik:
        shown.target = u.copy()
    elif spatial:
        T = np.array(state.target, dtype=float)
        if u.shape == (4, 4):
            T = u.copy()
        else:
            T[:3, 3] = u
        shown.target = T
        tool = np.asarray(state.tool, dtype=float)          # the panel's errors: to it
        shown.error = float(np.linalg.norm(T[:3, 3] - tool[:3, 3]))
        if state.kind == "pose":
            shown.orientation_error = float(np.linalg.norm(rotation_vector(
                T[:3, :3] @ tool[:3, :3].T)))
    else:
        shown.target = u.copy()
        shown.error = float(np.linalg.norm(u - np.asarray(state.joints, float)[-1]))
    return shown
