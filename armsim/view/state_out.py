"""The window's state file (``ARMSIM_STATE_OUT``): what a test driving the window from
outside reads back -- frames, the target the user set, the tool, errors, the switches."""

from __future__ import annotations

import json

import numpy as np
import pygame

from armsim.files import Outputs
from armsim.view.render import is_spatial

__all__ = ["write_state"]


def write_state(path, sim, frames, user_target, target_history_len, extra=None):
    """Write the window's state as JSON through an :class:`armsim.files.Outputs` destination
    (a temporary file renamed into place).

    ``target_history_len`` counts the target positions the user has set with
    the mouse (one per press and per drag motion) since the start or last reset.
    """
    st = sim.state
    data = {
        "frames": frames,
        "target": None if is_spatial(st) or not hasattr(st, "target") else
        [float(v) for v in st.target],
        "user_target": None if user_target is None or is_spatial(st) else
        [float(v) for v in user_target],
        "target_history_len": target_history_len,
    }
    data["window"] = list(pygame.display.get_surface().get_size()) if pygame.display.get_surface() else None
    if is_spatial(st):                 # a spatial arm: positions [m], poses (4, 4) as rows
        T = np.asarray(st.target, dtype=float)
        data["target"] = [float(v) for v in T[:3, 3]]
        data["target_pose"] = T.tolist()
        if user_target is not None:
            u = np.asarray(user_target, dtype=float)
            data["user_target"] = [float(v) for v in (u[:3, 3] if u.shape == (4, 4) else u)]
        data["tip"] = [float(v) for v in np.asarray(st.tool)[:3, 3]]
        data["tool_pose"] = np.asarray(st.tool, dtype=float).tolist()
        data["kind"] = st.kind
        data["error"] = float(st.error)
        data["orientation_error"] = float(st.orientation_error)
        data["reach"] = float(st.reach)
        data["base"] = [0.0, 0.0, 0.0]
    elif hasattr(st, "joints"):        # an arm chasing the target by IK
        data["tip"] = [float(v) for v in st.joints[-1]]
        data["error"] = float(st.error)
        data["reach"] = float(st.reach)
        data["base"] = [float(v) for v in st.base]
    else:                              # a calibration run: the hidden reference's tip
        data["tip"] = [float(v) for v in st.reference[-1]]
        data["round"] = int(st.round)
        data["best_loss"] = float(st.best_loss) if np.isfinite(st.best_loss) else None
    data.update(extra or {})
    with Outputs() as outs:
        outs.add(path).file.write(json.dumps(data).encode())
