"""A whole robot's tools chasing their targets frame by frame, and what a renderer needs.

The tree counterpart of :mod:`armsim.ik.spatial_tracking`: a :class:`TreeSimulation` moves
a :class:`~armsim.kinematics.tree.Robot` so that each named tool follows its own target path
(every frame one solve of all tools at once, :func:`armsim.ik.tree.for_tree`, from the
previous frame's joints with a small iteration budget), and produces a :class:`TreeState`:
every link's frame, the segments between them, the joint axes, and per tool its frame, its
target, its errors and whether the target is out of its reach.  :func:`tree_snapshot` builds
a state from any joint values (a picture needs no simulation).  No pygame here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from armsim.ik.loop import Solver
from armsim.ik.spatial_tracking import restart_solver
from armsim.ik.tracking import MAX_TRAIL, SHORT, STALL_WINDOW, clearance, joint_step, smooth_to
from armsim.ik.tree import Target, for_tree
from armsim.kinematics.spatial import MAX_OFFSET, rotation_vector
from armsim.kinematics.validate import listed, shown
from armsim.ik.settings import _real
from armsim.ranges import real_array, whole

__all__ = ["ToolState", "TreeState", "tree_snapshot", "TreeSimulation", "joint_axes"]

#: a waypoint with an orientation counts as reached when the tool's orientation is this
#: close [rad] (and its position within ``reach_tolerance``)
ORIENTATION_TOLERANCE = 0.05


@dataclass
class ToolState:
    """One tool of a :class:`TreeState`.

    Attributes
    ----------
    link : str                 the tool link
    frame : ndarray (4, 4)     its pose in the root's frame
    target : ndarray (4, 4)    its target (rotation = identity for a position target)
    kind : str                 "pose" or "position"
    error : float [m]          |p_tool - p_target|
    orientation_error : float [rad]  angle of R_target R_tool^T (0 for a position)
    best : float [m]           ``max(0, |p_target - o_1| - reach)`` (``o_1``: the first joint
                               of the tool's chain): a lower bound of the position error any
                               pose has, so ``best > 0`` proves the target out of reach
    out_of_reach : bool        ``best > 0``
    trail : ndarray (T, 3)     recent tool positions, oldest first
    waypoints : ndarray (W, 3) the target path's waypoints (empty without any)
    reached : ndarray (W,) bool
    """

    link: str
    frame: np.ndarray
    target: np.ndarray
    kind: str
    error: float
    orientation_error: float
    best: float = 0.0
    out_of_reach: bool = False
    trail: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    waypoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    reached: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass
class TreeState:
    """One frame of a whole robot.

    Attributes
    ----------
    frame : int                 frames advanced so far
    q : ndarray (n,)            the free joints' values (``robot.joint_names`` order)
    links : tuple of str        every link (``robot.links``)
    link_R : ndarray (L, 3, 3)  each link's rotation in the root's frame
    link_p : ndarray (L, 3)     each link's origin [m]
    segments : list of (i, j)   ``robot.segments``: link i's origin -> link j's origin
    origins, axes : ndarray (M, 3)  each movable joint's origin [m] and unit axis (world)
    tools : list of ToolState   one per tool, in the order of the simulation's paths
    reach : float [m]           ``robot.arm_reach`` (a moving base's travel left out)
    error : float [m]           the largest tool error;  orientation_error [rad] likewise
    method, correction : str;  iterations : int (this frame);  step : float [rad or m]
    stalled, restarted : bool   as :class:`~armsim.ik.spatial_tracking.SpatialState`'s
    label : str;  name : str (the robot's name)
    clearance : float or None [m]  with obstacles or self-collision: the smallest surface
                                distance of any link (as a chain's state), else None
    """

    frame: int
    q: np.ndarray
    links: tuple
    link_R: np.ndarray
    link_p: np.ndarray
    segments: list
    origins: np.ndarray
    axes: np.ndarray
    tools: list
    reach: float
    error: float = 0.0
    orientation_error: float = 0.0
    method: str = ""
    correction: str = ""
    iterations: int = 0
    step: float = 0.0
    stalled: bool = False
    restarted: bool = False
    label: str = ""
    name: str = ""
    clearance: float | None = None

    @property
    def frames(self) -> dict:
        """``{link: its pose (4, 4)}``."""
        out = {}
        for k, link in enumerate(self.links):
            T = np.eye(4)
            T[:3, :3], T[:3, 3] = self.link_R[k], self.link_p[k]
            out[link] = T
        return out

    def tool(self, link) -> ToolState:
        """The :class:`ToolState` of ``link``."""
        for t in self.tools:
            if t.link == link:
                return t
        raise KeyError(link)


def _row(name, w):
    """A tool's weights as one row (3 or 6 of them, checked by its solve): a 2-D array is
    refused (flattened, (2, 3) or (6, 1) were taken as six weights)."""
    a = real_array(name, w)
    if a.ndim != 1:
        raise ValueError(f"{name} must be 3 or 6 numbers in one row, got shape {a.shape}")
    return tuple(a.tolist())


def joint_axes(robot, q):
    """Every movable joint's world origin (M, 3) and unit axis (M, 3) at ``q`` (n,), each
    joint once, in tree order, a moving base's coordinates left out (no housing): by
    :meth:`Robot.joint_axes <armsim.kinematics.tree.Robot.joint_axes>`, the numbers of the
    chains through them at a cost linear in the joints (a chain per leaf took leaves x depth:
    minutes and 1 GB for 10,000 links with 1,000 joints)."""
    z, o = robot.joint_axes(np.asarray(q, dtype=float))
    keep = [k for k, name in enumerate(robot.movable_names) if name not in robot.base_joints]
    if not keep:
        return np.zeros((0, 3)), np.zeros((0, 3))
    return o[keep], z[keep]


def _as_pose(target):
    """(4, 4) pose and kind of a (3,) position or (4, 4) pose."""
    t = np.asarray(target, dtype=float)
    T = np.eye(4)
    if t.shape == (3,):
        T[:3, 3] = t
        return T, "position"
    return t.copy(), "pose"


def _tool_errors(frame, T, kind):
    error = float(np.linalg.norm(T[:3, 3] - frame[:3, 3]))
    orient = 0.0
    if kind == "pose":
        orient = float(np.linalg.norm(rotation_vector(T[:3, :3] @ frame[:3, :3].T)))
    return error, orient


def _best(robot, link, p):
    chain = robot.chain(link)[0]
    return max(0.0, float(np.linalg.norm(p - np.asarray(chain.xyz[0]))) - float(chain.reach))


def tree_snapshot(robot, q, targets, *, frame=0, **extra) -> TreeState:
    """The :class:`TreeState` of ``robot`` at ``q`` (n,) with ``targets`` ``{link: (3,)
    position or (4, 4) pose}``; ``extra`` fills the other fields (method, label, ...)."""
    q = robot.clip(np.asarray(q, dtype=float))
    F = robot.frames(q)
    links = tuple(robot.links)
    R = np.array([F[link][:3, :3] for link in links])
    p = np.array([F[link][:3, 3] for link in links])
    origins, axes = joint_axes(robot, q)
    tools = []
    for link, target in targets.items():
        T, kind = _as_pose(target)
        e, o = _tool_errors(F[link], T, kind)
        best = _best(robot, link, T[:3, 3])
        tools.append(ToolState(link, F[link].copy(), T, kind, e, o, best, best > 0,
                               trail=F[link][None, :3, 3].copy()))
    # a moving base's segment (from the root to the link it carries) is its travel, not a link
    segments = [(i, j) for i, j in robot.segments
                if robot._parent_joint[links[j]].name not in robot.base_joints]
    return TreeState(frame=int(frame), q=q.copy(), links=links, link_R=R, link_p=p,
                     segments=segments, origins=origins, axes=axes, tools=tools,
                     reach=float(robot.arm_reach),
                     error=max((t.error for t in tools), default=0.0),
                     orientation_error=max((t.orientation_error for t in tools), default=0.0),
                     name=robot.name, **extra)


class TreeSimulation:
    """A whole robot whose tools chase their target paths, frame by frame.

    Each frame runs one solve of every tool at once (the :class:`~armsim.ik.tree.TreeTargets`
    problem, :class:`~armsim.ik.loop.Solver` with ``iterations_per_frame`` iterations, no
    restarts) from the previous frame's joints, so the robot keeps its branch; a tool whose
    target is provably beyond its reach is then stretched toward it by its own joints, as
    :func:`armsim.solve` does, ``iterations_per_frame`` damped steps a frame.

    Parameters
    ----------
    robot : armsim.kinematics.tree.Robot
    paths : dict link -> callable frame -> (3,) position or (4, 4) pose [m]
        One per tool (a link of the robot), each as a
        :class:`~armsim.ik.spatial_tracking.SpatialSimulation`'s ``path`` (``waypoints``,
        ``waypoint_index`` when it has them).
    q0 : array_like (n,), optional
        Start (``robot.joint_names`` order; default the middle of the ranges), clipped.
    method, correction : "dls", "gradient" or "pinv"; a gradient correction
    iterations_per_frame : int >= 1
    trail_length : int;  label : str
    weights : dict link -> 3 or 6 weights, optional (0 masks an axis)
    reach_tolerance : float [m], optional
        A waypoint counts as reached when its tool comes this close (and, for a pose,
        within :data:`ORIENTATION_TOLERANCE`) while it is the target (default 0.02 x reach).
    restart_on_stall : bool
        A stalled set of targets none of which is proved out of reach gets, once, the
        restarts of :func:`armsim.solve` from the current joints; the robot takes their
        answer when it falls short by less (``restarted``), as
        :class:`~armsim.ik.spatial_tracking.SpatialSimulation` does.
    objectives : list, optional
        :mod:`armsim.ik.objectives` objects (obstacles, self-collision, posture, ...) stacked
        under the tools' targets in every frame's solve and in the restarts, as
        :class:`~armsim.ik.spatial_tracking.SpatialSimulation`'s (a ``Smoothness`` gets the
        previous frame's joints); a far tool's stretch is kept only where it leaves every
        hard objective (obstacle, self-collision, joint-limit barrier) no worse.
    **solver_options : passed to :class:`~armsim.ik.loop.Solver` (tol, damping, ...)
    """

    def __init__(self, robot, paths, q0=None, method="dls", correction="backtrack",
                 iterations_per_frame=4, trail_length=60, *, label="", weights=None,
                 reach_tolerance=None, restart_on_stall=True, objectives=None,
                 **solver_options):
        if not isinstance(paths, dict) or not paths:
            raise ValueError("paths must be a non-empty dict from tool link to target path")
        for link, path in paths.items():
            if link not in robot.links:
                raise ValueError(f"no link named {shown(link)} (a tool); links: "
                                 f"{listed(robot.links)}")
            if not callable(path):
                raise ValueError(f"the path of {link!r} must be callable (frame -> target)")
        iterations_per_frame = whole("iterations_per_frame", iterations_per_frame, 1)
        self.robot, self.paths = robot, dict(paths)
        self.label = str(label)
        self.restart_on_stall = bool(restart_on_stall)
        self.weights = {k: (None if w is None else _row(f"the weights of {shown(k)}", w))
                        for k, w in (weights or {}).items()}
        for link in self.weights:
            if link not in self.paths:
                raise ValueError(f"weights name {link!r}, which has no path")
        self.reach_tolerance = (0.02 * robot.reach if reach_tolerance is None
                                else _real("reach_tolerance", reach_tolerance))
        self._settings = dict(method=method, correction=correction,
                              max_iter=int(iterations_per_frame), **solver_options)
        self.objectives = list(objectives or ())
        if self.objectives:
            self._settings["objectives"] = self.objectives
        self._solvers = {}
        prob, _ = self._problem(self._targets_at(0))
        self.solver = self._solver(prob)                 # checks method and options
        start = prob.default_start() if q0 is None else q0
        q0 = np.array(real_array("q0", start), dtype=float)
        if q0.shape != (robot.n,) or not np.all(np.isfinite(q0)):
            raise ValueError(f"q0 must be {robot.n} finite numbers (the joints of "
                             f"robot.joint_names), got shape {q0.shape}")
        self.q0 = prob.clip(q0[None])[0]
        self.trail_length = whole("trail_length", trail_length, 0, MAX_TRAIL)
        self.reset()

    # -- targets and solvers ------------------------------------------------------------
    @property
    def methods(self) -> tuple:
        """The methods a robot's tools can use."""
        return ("dls", "gradient", "pinv")

    @property
    def chain(self):
        """The robot (what a caller asking for the arm's ``reach`` gets)."""
        return self.robot

    def _targets_at(self, frame, override=None):
        out = {}
        for link, path in self.paths.items():
            t = path(frame) if override is None or override.get(link) is None else override[link]
            t = real_array(f"the target of {shown(link)} (frame {frame})", t)
            if t.shape not in ((3,), (4, 4)) or not np.all(np.abs(t) <= MAX_OFFSET):
                got = (f"shape {t.shape}" if t.shape not in ((3,), (4, 4)) else
                       "numbers that are not finite or beyond it")
                raise ValueError(f"target of {shown(link)} must be a position (3,) or a pose "
                                 f"(4, 4) of finite numbers within +-{MAX_OFFSET:g}, got {got}")
            out[link] = t.copy()
        return out

    def _problem(self, targets):
        spec = {}
        for link, t in targets.items():
            w = self.weights.get(link)
            if w is not None and t.shape == (3,) and len(w) == 6:
                w = w[:3]                   # pose weights on a position: its position axes
            spec[link] = Target(t, w) if w is not None else t
        return for_tree(self.robot, spec, batch=False)

    def _solver(self, prob):
        if prob not in self._solvers:
            self._solvers[prob] = Solver(prob, **self._settings)
        return self._solvers[prob]

    def set_solver(self, method=None, correction=None) -> None:
        """Switch the method and/or correction from the next frame on."""
        for name, value in (("method", method), ("correction", correction)):
            if value:
                self._settings[name] = value
        self._solvers.clear()
        self.solver = self._solver(self.solver.problem)
        self.state.method = self.solver.method
        self.state.correction = self.solver.correction if self.solver.method == "gradient" else ""

    # -- running ------------------------------------------------------------------------
    def reset(self):
        """Back to frame 0 with the initial joints."""
        self.frame = 0
        self.q = self.q0.copy()
        self._targets = self._targets_at(0)
        self._trails = {link: deque(maxlen=max(self.trail_length, 1)) for link in self.paths}
        self._waypoints = {}
        for link, path in self.paths.items():
            wp = np.asarray(getattr(path, "waypoints", np.zeros((0, 3))), dtype=float)
            self._waypoints[link] = wp.reshape(-1, 3) if wp.size else np.zeros((0, 3))
        self._reached = {k: np.zeros(len(w), dtype=bool) for k, w in self._waypoints.items()}
        self._still = deque(maxlen=STALL_WINDOW + 1)
        self._restarted_for, self._restarted = None, False
        self._last_step, self._last_iters = 0.0, 0
        self.frames_run, self._error_sum, self._iter_sum = 0, 0.0, 0
        self.state = self._make_state()

    def step(self, targets=None) -> TreeState:
        """Advance one frame.  ``targets``: ``{link: (3,) or (4, 4)}`` overriding the scripted
        paths of those tools (the window's dragged targets); the others follow their paths."""
        unknown = sorted(set(targets or ()) - set(self.paths))
        if unknown:
            raise ValueError(f"targets name no tool of this simulation: {unknown[0]!r} (its "
                             f"tools: {', '.join(self.paths)})")
        new = self._targets_at(self.frame + 1, targets)
        prob, row = self._problem(new)      # (a refused target changes nothing)
        self.frame, self._targets = self.frame + 1, new
        solver = self._solver(prob)
        smooth_to(self.objectives, self.q)
        q, iters, _, _ = solver.run(row[None], self.q[None])
        if prob._far_any(row[None]):      # a tool beyond its reach: its own joints stretch
            self._stretch(prob, solver, q, row)                              # (as solve's)
        q = q[0]
        if not np.all(np.isfinite(q)):         # never expected; the pose stays finite
            q = self.q.copy()
        self._last_step = joint_step(q, self.q, self.robot.continuous)
        self._last_iters = int(iters[0])
        self.q, self.solver = q, solver
        self.state = self._make_state()
        if (self.restart_on_stall and self.state.stalled
                and not any(t.out_of_reach for t in self.state.tools)
                and not self._same_targets(self._restarted_for)):
            self._restart(prob, row)
        self._record()
        return self.state

    def _stretch(self, prob, solver, q, row):
        """:meth:`~armsim.ik.tree.TreeTargets._stretch` of ``q`` (1, n) in place, undone
        when it leaves any hard objective worse (the stretch knows no obstacle)."""
        before = q.copy()
        if prob._stretch(q, row[None], budget=self._settings["max_iter"]) and \
                self._hard(solver, q) > self._hard(solver, before) + 1e-12:
            q[:] = before

    def _hard(self, solver, q):
        """The hard objectives' residual norms at ``q`` (1, n), summed (0 without any)."""
        stack = solver.problem
        if not self.objectives:
            return 0.0
        res = stack.objective_residuals(np.asarray(q, dtype=float).reshape(1, -1))
        return float(sum(res[name][0] for name, o in zip(stack.names, stack.objectives)
                         if o.hard))

    def _same_targets(self, other):
        return other is not None and all(np.array_equal(other.get(k), v)
                                         for k, v in self._targets.items())

    def _shortfall(self, state):
        reach = self.robot.reach
        return max(max(t.error - t.best, reach * t.orientation_error) for t in state.tools)

    def _restart(self, prob, row):
        """:func:`armsim.solve`'s restarts from the current joints, once per set of targets;
        the robot takes their answer when it falls short by less."""
        self._restarted_for = {k: v.copy() for k, v in self._targets.items()}
        solver = self._solver(prob)             # (with the objectives: stacked under it)
        q = restart_solver(solver.problem).run(row[None], self.q[None])[0][0]
        found = tree_snapshot(self.robot, q, self._targets)
        if (np.all(np.isfinite(q)) and self._shortfall(found) < self._shortfall(self.state)
                and self._hard(solver, q) <= self._hard(solver, self.q) + 1e-12):
            self.q = q
            self._still.clear()
            self._restarted = True
            self.state = self._make_state()

    def _record(self):
        st = self.state
        self.frames_run += 1
        self._error_sum += st.error
        self._iter_sum += st.iterations
        for t in st.tools:
            path = self.paths[t.link]
            index = path.waypoint_index(self.frame) if hasattr(path, "waypoint_index") else -1
            close = t.error <= self.reach_tolerance and t.orientation_error <= ORIENTATION_TOLERANCE
            if 0 <= index < len(self._reached[t.link]):
                # reached by the tool, not by a target that replaced it (a dragged one)
                aim = np.asarray(path(self.frame), dtype=float)
                if not np.array_equal(aim, self._targets[t.link]):
                    e, o = _tool_errors(t.frame, *_as_pose(aim))
                    close = e <= self.reach_tolerance and o <= ORIENTATION_TOLERANCE
            if close and 0 <= index < len(self._reached[t.link]):
                self._reached[t.link][index] = True
            t.reached = self._reached[t.link].copy()

    def _make_state(self):
        solver = self.solver
        st = tree_snapshot(self.robot, self.q, self._targets, frame=self.frame,
                           method=solver.method,
                           correction=solver.correction if solver.method == "gradient" else "",
                           iterations=self._last_iters, step=self._last_step, label=self.label)
        for t in st.tools:
            trail = self._trails[t.link]
            trail.append(t.frame[:3, 3].copy())
            t.trail = np.array(trail).reshape(-1, 3)
            t.waypoints = self._waypoints[t.link].copy()
            t.reached = self._reached[t.link].copy()
        st.clearance = clearance(self.objectives, self.robot, self.q)
        # stalled: the targets still for STALL_WINDOW frames, short by more than SHORT x
        # reach, and the shortfall fell by less than 1 % of itself over the window
        excess = self._shortfall(st)
        still = self._still
        if still and not self._same_targets(still[-1][0]):
            still.clear()
        still.append(({k: v.copy() for k, v in self._targets.items()}, excess))
        st.stalled = bool(excess > SHORT * self.robot.reach and len(still) == still.maxlen
                          and still[0][1] - excess < 0.01 * excess)
        if not self._same_targets(self._restarted_for):
            self._restarted = False
        st.restarted = self._restarted
        return st

    def report(self) -> dict:
        """JSON-ready summary: frames, per tool its final errors and waypoints reached,
        the largest tool error's final and mean value, iterations per frame, every tool's
        waypoints reached (tools in order)."""
        n = max(self.frames_run, 1)
        st = self.state
        return {"label": self.label, "method": self.solver.method,
                "correction": st.correction, "kind": "tree", "robot": self.robot.name,
                "frames": self.frames_run, "final_error": float(st.error),
                "mean_error": self._error_sum / n if self.frames_run else float(st.error),
                "iterations_per_frame": self._iter_sum / n if self.frames_run else 0.0,
                "final_orientation_error": float(st.orientation_error),
                "waypoints_reached": [bool(r) for t in st.tools for r in t.reached],
                "tools": {t.link: {"kind": t.kind, "final_error": float(t.error),
                                   "final_orientation_error": float(t.orientation_error),
                                   "out_of_reach": bool(t.out_of_reach),
                                   "waypoints_reached": [bool(r) for r in t.reached]}
                          for t in st.tools}}
