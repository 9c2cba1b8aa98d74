"""A spatial arm chasing a target frame by frame, and what a renderer needs to draw it.

:class:`SpatialState` is the spatial counterpart of :class:`armsim.ik.tracking.State`:
the 3D view (:mod:`armsim.view.spatial`) draws it, a :class:`SpatialSimulation`
produces it.  :func:`snapshot` builds one from a chain, its joint values and a target
pose, so a picture of any configuration needs no simulation.  No pygame here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from armsim.ik.inputs import check_rotations
from armsim.ik.loop import Solver
from armsim.ik.problems import SpatialTarget
from armsim.ik.tracking import (MAX_TRAIL, SHORT, STALL_WINDOW, RunStats, clearance, joint_step,
                                joints_at_limit, smooth_to)
from armsim.kinematics.spatial import MAX_OFFSET, SpatialChain, rotation_vector
from armsim.ranges import whole

__all__ = ["SpatialState", "snapshot", "SpatialSimulation", "restart_solver"]


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
    restarted : bool              this target's stall was met by restarts (``armsim.solve``'s
                                  rule) that found a better pose; the arm moved there
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
    restarted: bool = False
    waypoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    reached: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    best: float = 0.0
    stalled: bool = False
    at_limit: tuple = ()
    #: with obstacles or self-collision: the smallest surface distance of any link [m]
    clearance: float | None = None


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
    jac = np.asarray(chain.geometric_jacobian(q, (axes, origins), p_tool), dtype=float)
    if trail is None:
        trail = p_tool[None].copy()
    return SpatialState(
        frame=int(frame), q=q.copy(), frames_R=np.asarray(Rs), frames_p=np.asarray(ps),
        axes=np.asarray(axes), origins=np.asarray(origins), tool=tool, target=T_target,
        kind=kind, jacobian=jac, error=error, orientation_error=orient,
        trail=np.asarray(trail, dtype=float).reshape(-1, 3), reach=float(chain.reach),
        limits=np.asarray(chain.limits, dtype=float).copy(),
        prismatic=np.asarray(chain.prismatic, dtype=bool).copy(), **extra)



#: a waypoint with an orientation counts as reached when the tool's orientation is this
#: close [rad] (and its position within ``reach_tolerance``)
ORIENTATION_TOLERANCE = 0.05


def restart_solver(problem):
    """The solver of :func:`armsim.solve`'s restarts (the spatial defaults, ``"nearer"``
    first start) on ``problem``: what a tracking simulation runs when the arm stalls."""
    P = SpatialTarget
    return Solver(problem, method="dls", max_iter=P.default_max_iter,
                  first_iter=P.default_first_iter, restarts=P.default_restarts,
                  give_up=P.default_give_up, damping=P.default_damping, first_start="nearer")


class SpatialSimulation:
    """A spatial arm whose solver chases a target path, frame by frame.

    The spatial counterpart of :class:`armsim.ik.tracking.Simulation`: each frame runs
    ``iterations_per_frame`` solver iterations from the previous frame's joint values
    (no restarts unless asked for, so the arm keeps its branch).

    Parameters
    ----------
    chain : SpatialChain
    path : callable frame -> (3,) position or (4, 4) pose [m]
        May have ``waypoints`` (W, 3) and ``waypoint_index(frame)`` (as
        :class:`armsim.scene.targets.TargetSource` does).
    q0 : array_like (n,), optional
        Start [rad or m] (default: the middle of the joint ranges, 0 for a continuous
        joint); clipped to the limits.
    method, correction : solver names (see :mod:`armsim.ik`); ``fabrik`` is refused
    iterations_per_frame : int >= 1
    trail_length : int
        Recent tool positions kept for drawing (a bounded deque).
    label : str
        Caption of this arm.
    weights : array_like (3,) or (6,), optional
        Per-axis weights of the error (0 masks an axis), for the target kind of that size.
    reach_tolerance : float [m], optional
        A waypoint counts as reached when the tool comes this close while it is the
        target (default ``0.02 * reach``), and, for a pose, its orientation within
        :data:`ORIENTATION_TOLERANCE`.
    objectives : list, optional
        :mod:`armsim.ik.objectives` objects stacked under the target in every frame's
        solve (as :class:`armsim.ik.tracking.Simulation`).
    **solver_options : passed to :class:`armsim.ik.Solver` (tol, restarts, damping, ...)

    Attributes
    ----------
    state : SpatialState
    stats : armsim.ik.tracking.RunStats

    Flags of :class:`SpatialState`
    ------------------------------
    best : ``max(0, |p_target - o_1| - reach)`` with ``o_1`` the first joint's origin: a
        lower bound of the position error any pose can have (``reach`` bounds the tool's
        distance from ``o_1``), so ``best > 0`` means the target is out of reach for sure;
        ``best = 0`` does not mean it is reachable.
    stalled : the target has been still for ``STALL_WINDOW`` frames, the shortfall
        ``max(error - best, reach * orientation_error)`` is over ``SHORT * reach`` and fell
        by less than 1 % of itself over the window.  A stalled target that no bound proves
        out of reach (``best = 0``) gets, once, the restarts of :func:`armsim.solve` (its
        spatial defaults) from the current joints; when they find a pose nearer the target
        the arm goes there and ``restarted`` is set (with ``restart_on_stall=False``, never).
    at_limit : joints (1 = next to the base) at a finite limit while short.
    """

    def __init__(self, chain, path, q0=None, method="dls", correction="backtrack",
                 iterations_per_frame=4, trail_length=60, *, label="", weights=None,
                 reach_tolerance=None, objectives=None, restart_on_stall=True,
                 **solver_options):
        self.chain = chain
        self.restart_on_stall = bool(restart_on_stall)
        self.objectives = list(objectives or ())
        self.path = path
        self.label = str(label)
        self.reach_tolerance = (0.02 * chain.reach if reach_tolerance is None
                                else float(reach_tolerance))
        if not np.isfinite(self.reach_tolerance) or self.reach_tolerance <= 0:
            raise ValueError(f"reach_tolerance must be > 0, got {reach_tolerance}")
        iterations_per_frame = whole("iterations_per_frame", iterations_per_frame, 1)
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        self._settings = dict(method=method, correction=correction,
                              max_iter=int(iterations_per_frame), **solver_options)
        if self.objectives:
            self._settings["objectives"] = self.objectives
        self._solvers = {}
        kind, _ = self._rows(path(0))
        self.solver = self._solver(kind)            # validates method, options, weights
        start = SpatialTarget(chain, "position").default_start() if q0 is None else q0
        self.q0 = self.solver.problem.clip(np.array(start, dtype=float))
        if self.q0.shape != (chain.n,) or not np.all(np.isfinite(self.q0)):
            raise ValueError(f"q0 must be {chain.n} finite numbers, got shape {self.q0.shape}")
        self.trail_length = whole("trail_length", trail_length, 0, MAX_TRAIL)
        self.reset()

    def _solver(self, kind):
        if kind not in self._solvers:
            w = self.weights
            if w is not None and kind == "position" and w.size == 6:
                w = w[:3]          # pose weights on a position target: its position axes
            self._solvers[kind] = Solver(SpatialTarget(self.chain, kind, w), **self._settings)
        return self._solvers[kind]

    @staticmethod
    def _rows(target):
        """(kind, row (3,) or (12,)) of a target, or a ValueError."""
        t = np.asarray(target, dtype=float)
        if t.shape not in ((3,), (4, 4)) or not np.all(np.isfinite(t)) or \
                not np.all(np.abs(t) <= MAX_OFFSET):
            raise ValueError(f"target must be a position (3,) or a pose (4, 4) of finite "
                             f"numbers within +-{MAX_OFFSET:g}, got shape {t.shape}")
        kind, rows = SpatialTarget.target_rows(t, batch=False)
        if kind == "pose":      # a rotation, as armsim.solve takes (not a reflection)
            check_rotations(t[None, :3, :3])
        return kind, rows[0]

    @property
    def methods(self) -> tuple:
        """The methods this arm can use (:data:`armsim.ik.METHODS` its problem supports: no
        fabrik; with objectives, no ccd either)."""
        from armsim.ik.loop import METHODS
        return tuple(m for m in METHODS if m in self.solver.problem.supports)

    def set_solver(self, method=None, correction=None) -> None:
        """Switch the method and/or the correction from the next frame on (the pose,
        target and frame count stay)."""
        for name, value in (("method", method), ("correction", correction)):
            if value:
                self._settings[name] = value
        self._solvers.clear()
        self.solver = self._solver(self._kind)
        self.state.method = self.solver.method
        self.state.correction = self.solver.correction if self.solver.method == "gradient" else ""

    def reset(self):
        """Back to frame 0 with the initial joint values."""
        self.frame = 0
        self.q = self.q0.copy()
        self._trail = deque(maxlen=max(self.trail_length, 1))
        self._last_step, self._last_iters = 0.0, 0
        self._target = np.asarray(self.path(0), dtype=float).copy()
        self._kind = self._rows(self._target)[0]
        self._still = deque(maxlen=STALL_WINDOW + 1)      # (target, shortfall) of recent frames
        self._restarted_for = None       # the target whose stall the restarts met (once each)
        self._restarted = False
        wp = np.asarray(getattr(self.path, "waypoints", np.zeros((0, 3))), dtype=float)
        self._waypoints = wp.reshape(-1, 3) if wp.size else np.zeros((0, 3))
        self.stats = RunStats(reached=np.zeros(len(self._waypoints), dtype=bool))
        self.final_orientation_error = 0.0
        self.state = self._make_state()
        self.stats.final_error = self.state.error

    def step(self, target=None) -> SpatialState:
        """Advance one frame.  ``target`` ((3,) or (4, 4)) overrides the scripted path."""
        if target is None:
            target = self.path(self.frame + 1)
        kind, row = self._rows(target)
        self.frame += 1                     # (a refused target leaves the frame as it was)
        solver = self._solver(kind)
        self._target, self._kind = np.asarray(target, dtype=float).copy(), kind
        smooth_to(self.objectives, self.q)
        q, iters, _, _ = solver.run(row[None], self.q[None])
        self._last_step = joint_step(q[0], self.q, self.chain.continuous)
        self._last_iters = int(iters[0])
        self.q = q[0]
        self.solver = solver
        self.state = self._make_state()
        if (self.restart_on_stall and self.state.stalled and self.state.best == 0
                and not np.array_equal(self._restarted_for, self._target)):
            self._restart(kind, row)
        self._record()
        self.state.reached = self.stats.reached.copy()
        return self.state

    def _restart(self, kind, row):
        """The restarts of :func:`armsim.solve` from the current joints, once per target; the
        arm takes their answer when its error is lower (the state says ``restarted``)."""
        self._restarted_for = self._target.copy()
        q = restart_solver(self.solver.problem).run(row[None], self.q[None])[0][0]

        def shortfall(st):
            return max(st.error, self.chain.reach * st.orientation_error)
        found = snapshot(self.chain, q, self._target, kind=kind)
        if shortfall(found) < shortfall(self.state):
            self.q = q
            self._still.clear()
            self._restarted = True
            self.state = self._make_state()

    def _record(self):
        st = self.state
        self.final_orientation_error = st.orientation_error
        got = st
        if len(self._waypoints):
            # a waypoint is reached by the tool, not by a target that replaced it (one
            # dragged in the window, given to step): then measured against the path's own
            aim = np.asarray(self.path(self.frame), dtype=float)
            if not np.array_equal(aim, self._target):
                got = snapshot(self.chain, self.q, aim, kind=self._rows(aim)[0])
        self.stats.record(st, self.path, self.frame, got.error <= self.reach_tolerance
                          and got.orientation_error <= ORIENTATION_TOLERANCE)

    def bound(self, target, error, orientation_error):
        """(the best position error any pose reaches for ``target``: its distance beyond the
        reach of the first joint, the excess of the errors over it, whether that excess is
        more than :data:`SHORT` reaches)."""
        chain = self.chain
        reach = chain.reach
        p = target[:3, 3] if target.shape == (4, 4) else target
        best = max(0.0, float(np.linalg.norm(p - chain.xyz[0])) - reach)
        excess = max(error - best, reach * orientation_error)
        return best, excess, excess > SHORT * reach

    def _shortfall(self, error, orientation_error):
        """(best possible position error, stalled, joints at a limit) for this frame."""
        chain = self.chain
        best, excess, short = self.bound(self._target, error, orientation_error)
        still = self._still
        if still and not np.array_equal(still[-1][0], self._target):
            still.clear()
        still.append((self._target.copy(), excess))
        stalled = bool(short and len(still) == still.maxlen
                       and still[0][1] - excess < 0.01 * excess)
        at_limit = joints_at_limit(self.q, chain.limits) if short else ()
        return best, stalled, at_limit

    def _make_state(self):
        solver = self.solver
        state = snapshot(self.chain, self.q, self._target, frame=self.frame, kind=self._kind,
                         method=solver.method,
                         correction=solver.correction if solver.method == "gradient" else "",
                         step=self._last_step, iterations=self._last_iters, label=self.label,
                         waypoints=self._waypoints.copy(), reached=self.stats.reached.copy())
        self._trail.append(state.tool[:3, 3].copy())
        state.trail = np.array(self._trail).reshape(-1, 3)
        state.best, state.stalled, state.at_limit = self._shortfall(state.error,
                                                                    state.orientation_error)
        if not np.array_equal(self._restarted_for, self._target):
            self._restarted = False                 # a new target: the flag is the old one's
        state.restarted = self._restarted
        state.clearance = clearance(self.objectives, self.chain, self.q)
        return state

    def report(self) -> dict:
        """JSON-ready summary of the run so far (:meth:`RunStats.summary`) and the final
        orientation error [rad]."""
        return {"label": self.label, "method": self.solver.method,
                "correction": self.state.correction, "kind": self._kind,
                **self.stats.summary(),
                "final_orientation_error": float(self.final_orientation_error)}
