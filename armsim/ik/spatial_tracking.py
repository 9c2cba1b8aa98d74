"""What a renderer needs to draw one frame of a spatial arm.

:class:`SpatialState` is the spatial counterpart of :class:`armsim.ik.tracking.State`:
the 3D view (:mod:`armsim.view.spatial`) draws it, a spatial simulation produces it.
:func:`snapshot` builds one from a chain, its joint values and a target pose, so a
picture of any configuration needs no simulation.  No pygame here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from armsim.kinematics.spatial import SpatialChain, rotation_vector

__all__ = ["SpatialState", "snapshot"]


@dataclass
class SpatialState:
    """One frame of a spatial arm.

    Attributes
    ----------
    frame : int                   frames advanced so far
    q : ndarray (n,)              joint values [rad or m]
    frames_R : ndarray (n+2, 3, 3) rotation of the base (identity), of the link after
                                  each joint, and of the tool (last), in the world frame
    frames_p : ndarray (n+2, 3)   their origins [m] (base first, tool last)
    axes : ndarray (n, 3)         each joint's axis (unit) in the world frame
    origins : ndarray (n, 3)      each joint's origin [m] in the world frame
    tool : ndarray (4, 4)         tool pose
    target : ndarray (4, 4)       target pose (rotation = identity when ``kind`` is
                                  "position")
    kind : str                    "pose" (m = 6) or "position" (m = 3)
    jacobian : ndarray (6, n)     linear rows [m/rad] then angular rows [rad/rad]
    error : float                 |p_tool - p_target| [m]
    orientation_error : float     angle of R_target R_tool^T [rad] (0 for "position")
    method, correction : str
    step : float                  largest |joint change| of the last frame
    iterations : int              solver iterations spent this frame
    trail : ndarray (T, 3)        recent tool positions, oldest first
    reach : float                 an upper bound of the distance base -> tool [m]
    limits : ndarray (n, 2)       joint limits (continuous joints: -inf, inf)
    prismatic : ndarray (n,) bool
    label : str                   caption ("" for a single arm)
    waypoints : ndarray (W, 3)    the target's waypoints [m] (empty without any)
    reached : ndarray (W,) bool
    best : float [m]              least position error any pose can have (0 when unknown)
    stalled : bool
    at_limit : tuple[int, ...]    joints (1 = next to the base) at a limit while short
    """

    frame: int
    q: np.ndarray
    frames_R: np.ndarray
    frames_p: np.ndarray
    axes: np.ndarray
    origins: np.ndarray
    tool: np.ndarray
    target: np.ndarray
    kind: str
    jacobian: np.ndarray
    error: float
    orientation_error: float
    method: str = ""
    correction: str = ""
    step: float = 0.0
    iterations: int = 0
    trail: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    reach: float = 0.0
    limits: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    prismatic: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    label: str = ""
    waypoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    reached: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    best: float = 0.0
    stalled: bool = False
    at_limit: tuple = ()


def _pose(target):
    """A target as a (4, 4) pose and its kind: (3,) position or (4, 4) pose."""
    t = np.asarray(target, dtype=float)
    if t.shape == (3,):
        T = np.eye(4)
        T[:3, 3] = t
        return T, "position"
    if t.shape == (4, 4):
        return t.copy(), "pose"
    raise ValueError(f"target must be a position (3,) or a pose (4, 4), got shape {t.shape}")


def snapshot(chain: SpatialChain, q, target, *, frame=0, kind=None, trail=None, **extra):
    """The :class:`SpatialState` of ``chain`` at joint values ``q`` aiming at ``target``
    ((3,) position or (4, 4) pose).  ``kind`` overrides the kind the target's shape
    implies; ``extra`` fills the remaining fields (method, trail, waypoints, ...)."""
    q = np.asarray(chain.clip(q), dtype=float)
    T_target, implied = _pose(target)
    kind = kind or implied
    Rs, ps = chain.frames(q)
    axes, origins = chain.joint_axes(q)
    R_tool, p_tool = Rs[-1], ps[-1]
    tool = np.eye(4)
    tool[:3, :3], tool[:3, 3] = R_tool, p_tool
    error = float(np.linalg.norm(T_target[:3, 3] - p_tool))
    orient = 0.0
    if kind == "pose":
        orient = float(np.linalg.norm(rotation_vector(T_target[:3, :3] @ R_tool.T)))
    jac = np.asarray(chain.geometric_jacobian(q), dtype=float)
    if trail is None:
        trail = p_tool[None].copy()
    return SpatialState(
        frame=int(frame), q=q.copy(), frames_R=np.asarray(Rs), frames_p=np.asarray(ps),
        axes=np.asarray(axes), origins=np.asarray(origins), tool=tool, target=T_target,
        kind=kind, jacobian=jac, error=error, orientation_error=orient,
        trail=np.asarray(trail, dtype=float).reshape(-1, 3), reach=float(chain.reach),
        limits=np.asarray(chain.limits, dtype=float).copy(),
        prismatic=np.asarray(chain.prismatic, dtype=bool).copy(), **extra)
