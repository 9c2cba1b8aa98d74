"""A running simulation: an arm chasing a target, a few solver steps per frame.

No pygame here.  The window (:mod:`armsim.view.window`) and the GIF exporter
(:mod:`armsim.view.export`) both consume the :class:`State` this produces.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from armsim.kinematics.planar import Chain
from armsim.ik import METHODS, Solver
from armsim.ik.planar import workspace, wrap
from armsim.ranges import shown, whole

__all__ = ["State", "RunStats", "Simulation", "default_simulation", "figure_eight", "MAX_SEGMENTS",
           "MAX_TRAIL"]


@dataclass
class State:
    """Everything a renderer needs to draw one frame.

    Attributes
    ----------
    frame : int                 frames advanced so far
    q : ndarray (N,) [rad]      joint angles, relative to the previous segment
    joints : ndarray (N+1, 2)   world positions [m], base first, tip last
    target : ndarray (2,)       world position [m]
    jacobian : ndarray (2, N)   d tip / d q at q [m/rad]
    error : float               |tip - target| [m]
    method, correction : str    solver in use ("" when the method has no correction)
    chosen_correction : str     the correction set, even when the method does not use it
    step : float                largest |joint change| of the last frame [rad]
    iterations : int            solver iterations spent this frame
    trail : ndarray (T, 2)      recent tip positions, oldest first
    reach : float               total arm length [m]
    base : ndarray (2,)
    label : str                 caption of this arm ("" for a single arm)
    waypoints : ndarray (W, 2)  the target's waypoints [m] (empty without any)
    reached : ndarray (W,) bool which waypoints the tip has reached so far
    companions : list[State]    other arms stepped in lockstep (same target)
    best : float [m]            the least error any pose can have: 0 for a target in
                                the workspace, its distance outside it otherwise
    stalled : bool              the target has been still for STALL_WINDOW frames, the
                                error is over the best by more than SHORT x reach and
                                fell by less than 1 % of that excess over the window
    at_limit : tuple[int, ...]  joints (1 = next to the base) at a joint limit while the
                                error is over the best by more than SHORT x reach
    """

    frame: int
    q: np.ndarray
    joints: np.ndarray
    target: np.ndarray
    jacobian: np.ndarray
    error: float
    method: str
    correction: str
    step: float
    iterations: int
    trail: np.ndarray
    reach: float
    base: np.ndarray
    label: str = ""
    waypoints: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    reached: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    companions: list = field(default_factory=list)
    best: float = 0.0
    stalled: bool = False
    at_limit: tuple = ()
    chosen_correction: str = ""
    #: with obstacles or self-collision: the smallest surface distance of any link [m]
    clearance: float | None = None
    #: the obstacles to draw: dicts with "kind" (circle, box, capsule), their geometry
    #: ("center", "radius", "size", "a", "b") and "margin" (clearance plus link radius) [m]
    obstacles: tuple = ()


#: the tip positions a trail keeps at most (a scene's ``trail_length`` bound)
MAX_TRAIL = 100_000


#: the most segments :meth:`Simulation.set_segments` gives an arm
MAX_SEGMENTS = 50
#: frames the target must stay still (and the error not fall) before a stall is reported
STALL_WINDOW = 30
#: an error this far over the best possible (x reach) counts as short of it
SHORT = 1e-3
#: an unlimited joint's angle is brought back by whole turns (the same pose) once it passes
#: this many radians: a long run, or a large gradient step, stays within the chain's +-1e6 rad
TURN_BACK = 1e3


@dataclass
class RunStats:
    """Running summary of a simulation, for reports.

    Attributes
    ----------
    frames : int            frames stepped
    error_sum : float       sum of the tip error over the stepped frames [m]
    final_error : float     tip error at the last frame [m]
    iterations_sum : int    solver iterations over the stepped frames
    reached : ndarray (W,) bool
        Waypoint ``i`` counts as reached when the tip came within the
        tolerance while waypoint ``i`` was the target.
    """

    frames: int = 0
    error_sum: float = 0.0
    final_error: float = 0.0
    iterations_sum: int = 0
    reached: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def record(self, state, path, frame, close) -> None:
        """Count ``state`` (its ``error`` and ``iterations``), and mark the waypoint that
        ``path`` aims at on ``frame`` as reached when ``close``."""
        self.frames += 1
        self.error_sum += state.error
        self.final_error = state.error
        self.iterations_sum += state.iterations
        index = path.waypoint_index(frame) if hasattr(path, "waypoint_index") else -1
        if close and 0 <= index < len(self.reached):
            self.reached[index] = True

    def summary(self) -> dict:
        """Plain-JSON dictionary: frames, final/mean error, iterations per frame, waypoints."""
        n = max(self.frames, 1)
        return {
            "frames": self.frames,
            "final_error": self.final_error,
            "mean_error": self.error_sum / n if self.frames else self.final_error,
            "iterations_per_frame": self.iterations_sum / n if self.frames else 0.0,
            "waypoints_reached": [bool(r) for r in self.reached],
        }


def joints_at_limit(q, limits) -> tuple:
    """Joints (1 = next to the base) of ``q`` (n,) sitting on a finite limit of ``limits``
    (n, 2) (or None: no limits), to 1e-9 relative; not a joint locked by lower == upper
    (:func:`locked`: always on them, which says nothing of a run)."""
    if limits is None:
        return ()
    lim = np.asarray(limits, dtype=float)
    with np.errstate(invalid="ignore"):
        near = np.abs(np.asarray(q)[:, None] - lim) <= 1e-9 * np.maximum(1.0, np.abs(lim))
    hit = np.any(near & np.isfinite(lim), axis=1) & ~locked(lim)
    return tuple(int(j) + 1 for j in np.flatnonzero(hit))


def locked(limits) -> np.ndarray:
    """(n,) bool: the joints of ``limits`` (n, 2) whose lower and upper limits are equal
    (to 1e-9 relative): they cannot move."""
    lim = np.asarray(limits, dtype=float).reshape(-1, 2)
    lo, hi = lim[:, 0], lim[:, 1]
    with np.errstate(invalid="ignore"):
        return np.isfinite(lo) & (np.abs(hi - lo) <= 1e-9 * np.maximum(1.0, np.abs(lo)))


def figure_eight(center, size, period, phase=0.0):
    """A target path: a figure-eight (lemniscate of Gerono) of given period [frames]."""
    center = np.asarray(center, dtype=float)
    sx, sy = size

    def path(frame):
        t = 2 * np.pi * frame / period + phase
        return center + np.array([sx * np.sin(t), sy * np.sin(t) * np.cos(t)])

    return path


class Simulation:
    """An arm whose solver chases a target path, frame by frame.

    Parameters
    ----------
    chain : Chain
    path : callable frame -> (2,) target [m]
    q0 : array_like (N,) [rad]
    method, correction : solver names (see :mod:`armsim.ik`)
    iterations_per_frame : int
    trail_length : int
        Number of recent tip positions kept for drawing.
    label : str
        Caption of this arm (shown when several arms are drawn).
    reach_tolerance : float [m], optional
        A waypoint of ``path`` (see :class:`armsim.scene.targets.TargetSource`)
        counts as reached when the tip comes this close while it is the
        target; default ``0.02 * reach``.
    objectives : list, optional
        :mod:`armsim.ik.objectives` objects stacked under the target in every frame's
        solve (a :class:`~armsim.ik.objectives.Smoothness` gets the previous frame's
        angles each frame; obstacles may be moved between frames).
    **solver_options : passed to :class:`armsim.ik.Solver`

    Attributes
    ----------
    state : State
    stats : RunStats
    companions : list[Simulation]
        Arms stepped together with this one, toward the same target
        (:meth:`add_companion`); their states are ``state.companions``.
    """

    def __init__(self, chain, path, q0, method="gradient", correction="clip",
                 iterations_per_frame=4, trail_length=60, *, label="", reach_tolerance=None,
                 objectives=None, **solver_options):
        self.chain = chain
        self.objectives = list(objectives or ())
        self.path = path
        self.label = str(label)
        self.reach_tolerance = 0.02 * chain.reach if reach_tolerance is None else float(reach_tolerance)
        if not np.isfinite(self.reach_tolerance) or self.reach_tolerance <= 0:
            raise ValueError(f"reach_tolerance must be > 0, got {reach_tolerance}")
        self.companions = []
        self.q0 = chain.clip(np.array(q0, dtype=float))
        if self.q0.shape != (chain.n,):
            raise ValueError(f"q0 must have shape ({chain.n},), got {self.q0.shape}")
        self.iterations_per_frame = whole("iterations_per_frame", iterations_per_frame, 1)
        self._solver_options = dict(solver_options)
        if self.objectives:
            self._solver_options["objectives"] = self.objectives
        self.solver = Solver(chain, method=method, correction=correction,
                             max_iter=self.iterations_per_frame, **self._solver_options)
        self.trail_length = whole("trail_length", trail_length, 0, MAX_TRAIL)
        self.reset()

    # -- live changes (the window's keys) -------------------------------------------
    @property
    def methods(self) -> tuple:
        """The methods this arm can use (:data:`armsim.ik.METHODS` its problem supports)."""
        supported = self.solver.problem.supports
        return tuple(m for m in METHODS if m in supported)

    def set_solver(self, method=None, correction=None) -> None:
        """Switch the method and/or the correction from the next frame on (the pose,
        target and frame count stay); companions are not changed."""
        self.solver = Solver(self.chain, method=method or self.solver.method,
                             correction=correction or self.solver.correction,
                             max_iter=self.iterations_per_frame, **self._solver_options)
        self.state = self._make_state(record_trail=False)

    def set_segments(self, n) -> int:
        """Give the arm ``n`` segments (1 to :data:`MAX_SEGMENTS`) from now on, keeping its reach.

        A new segment is as long as the mean of the existing ones, straight on
        from the tip (angle 0, clipped to its limits), with the last joint's
        limits; removing drops the last segments.  The lengths are then scaled
        so that the reach (and so the workspace and every target path) is
        unchanged.  Companions get the same arm.  Returns the new count.
        An objective that cannot take the new arm (a point objective past its tip) leaves
        every arm as it was and raises ValueError.
        """
        try:                                # clamped into the range (the window's keys)
            n = int(min(max(int(n), 1), MAX_SEGMENTS))
        except (TypeError, ValueError, OverflowError):      # inf, NaN, text
            raise ValueError(f"segments must be an integer, got {shown(n)}") from None
        chain = self.chain
        if n == chain.n:
            return n
        lengths = list(chain.lengths[:n])
        limits = None if chain.limits is None else [list(r) for r in chain.limits[:n]]
        while len(lengths) < n:
            lengths.append(float(np.mean(lengths)))
            if limits is not None:
                limits.append(list(limits[-1]))
        lengths = np.array(lengths) * (chain.reach / float(np.sum(lengths)))
        new = Chain(lengths, chain.base, limits)
        sims = self.companions + [self]          # self last: its state holds theirs
        saved = [(sim, sim.q0, sim.q) for sim in sims]
        rests = [(o, o.q_rest) for sim in sims for o in sim.objectives if hasattr(o, "q_rest")]
        try:
            for sim in sims:
                sim._rechain(new)
        except ValueError as exc:   # an objective that cannot take it (a point past the tip)
            for o, rest in rests:
                o.q_rest = rest
            for sim, q0, q in saved:            # every arm back as it was, objectives rebound
                sim.q0, sim.q = q0, q
                sim._rechain(chain)
            raise ValueError(f"cannot give the arm {n} segment{'s' if n != 1 else ''}: "
                             f"{exc}") from None
        return n

    def _rechain(self, chain):
        n = chain.n

        def fit(q):
            q = np.concatenate([q[:n], np.zeros(max(n - len(q), 0))])
            return chain.clip(q)
        self.chain = chain
        self.q0, self.q = fit(self.q0), fit(self.q)
        for o in self.objectives:           # a rest of one angle per joint: refitted
            if hasattr(o, "q_rest"):
                o.q_rest = fit(o.q_rest)
        self.solver = Solver(chain, method=self.solver.method, correction=self.solver.correction,
                             max_iter=self.iterations_per_frame, **self._solver_options)
        self._still.clear()
        self.state = self._make_state(record_trail=False)

    def reset(self):
        """Back to frame 0 with the initial angles."""
        self.frame = 0
        self.q = self.q0.copy()
        self._trail = deque(maxlen=max(self.trail_length, 1))
        self._last_step = 0.0
        self._last_iters = 0
        self._target = np.asarray(self.path(0), dtype=float)
        self._still = deque(maxlen=STALL_WINDOW + 1)   # (target, error) of recent frames
        self._waypoints = np.asarray(getattr(self.path, "waypoints", np.zeros((0, 2))), dtype=float)
        self.stats = RunStats(reached=np.zeros(len(self._waypoints), dtype=bool))
        for other in self.companions:
            other.reset()
        self.state = self._make_state()
        self.stats.final_error = self.state.error

    def add_companion(self, other: "Simulation") -> None:
        """Step ``other`` with this simulation from now on, toward this one's target."""
        if other is self or other in self.companions:
            raise ValueError("a simulation cannot be its own companion or be added twice")
        self.companions.append(other)
        other.reset()
        self.state.companions = [c.state for c in self.companions]

    def step(self, target=None):
        """Advance one frame.  ``target`` (2,) overrides the scripted path."""
        if target is None:
            target = self.path(self.frame + 1)
        target = np.asarray(target, dtype=float)
        if target.shape != (2,) or not np.all(np.isfinite(target)):
            raise ValueError(f"target must be two finite numbers, got {target.tolist()}")
        self.frame += 1                     # (a refused target leaves the frame as it was)
        for other in self.companions:
            other.step(target)
        self._target = target
        smooth_to(self.objectives, self.q)
        q, iters, _, _ = self.solver.run(target[None], self.q[None])
        q = q[0]
        self._last_step = float(np.max(np.abs(q - self.q))) if self.chain.n else 0.0
        self._last_iters = int(iters[0])
        if np.max(np.abs(q), initial=0.0) > TURN_BACK:
            q = turned_back(q, self.chain.limits)
        self.q = q
        self.state = self._make_state()
        self._record()
        self.state.reached = self.stats.reached.copy()
        return self.state

    def _record(self):
        # a waypoint is reached by the tip coming near it, not near a target that replaced
        # it (one dragged in the window, passed to step)
        wp = self._waypoints
        index = self.path.waypoint_index(self.frame) if len(wp) else -1
        close = 0 <= index < len(wp) and float(np.linalg.norm(
            self.state.joints[-1] - wp[index])) <= self.reach_tolerance
        self.stats.record(self.state, self.path, self.frame, close)

    def bound(self, target, error):
        """(the best error any pose reaches for ``target``: its distance outside the
        workspace annulus, whether ``error`` is more than :data:`SHORT` reaches above it)."""
        chain = self.chain
        r_in, r_out = workspace(chain)
        dist = float(np.linalg.norm(target - chain.base))
        best = max(0.0, dist - r_out, r_in - dist)
        return best, error - best > SHORT * chain.reach

    def _shortfall(self, error):
        """(best possible error, stalled, joints at a limit) for the current frame."""
        chain = self.chain
        best, short = self.bound(self._target, error)
        still = self._still
        if still and not np.array_equal(still[-1][0], self._target):
            still.clear()
        still.append((self._target.copy(), error))
        stalled = bool(short and len(still) == still.maxlen
                       and still[0][1] - error < 0.01 * (error - best))
        at_limit = joints_at_limit(self.q, chain.limits) if short else ()
        return best, stalled, at_limit

    def report(self) -> dict:
        """JSON-ready summary of the run so far (:meth:`RunStats.summary`), per arm."""
        out = {"label": self.label, "method": self.solver.method,
               "correction": self.state.correction, **self.stats.summary()}
        if self.companions:
            out["companions"] = [c.report() for c in self.companions]
        return out

    def _make_state(self, record_trail=True):
        joints_dual = self.chain._seeded(self.q, "angles")
        joints = joints_dual.value
        jac = joints_dual.tangent[-1]
        tip = joints[-1]
        if record_trail or not self._trail:
            self._trail.append(tip.copy())
        solver = self.solver
        error = float(np.linalg.norm(self._target - tip))
        best, stalled, at_limit = self._shortfall(error)
        return State(
            frame=self.frame, q=self.q.copy(), joints=joints, target=self._target.copy(),
            jacobian=jac, error=error, best=best, stalled=stalled, at_limit=at_limit,
            method=solver.method, correction=solver.correction if solver.method == "gradient" else "",
            chosen_correction=solver.correction,
            step=self._last_step, iterations=self._last_iters,
            trail=np.array(self._trail).reshape(-1, 2), reach=self.chain.reach,
            base=self.chain.base.copy(), label=self.label, waypoints=self._waypoints.copy(),
            reached=self.stats.reached.copy(), companions=[c.state for c in self.companions],
            clearance=clearance(self.objectives, self.chain, self.q),
            obstacles=shapes(self.objectives),
        )


def turned_back(q, limits):
    """``q`` with each angle past :data:`TURN_BACK` brought back by whole turns (the same
    pose): an unlimited joint's to [-pi, pi), one open on one side next to its finite bound,
    within its limits (n, 2) (None: no limits); a joint limited on both sides is kept."""
    q = np.asarray(q, dtype=float)
    lo, hi = (np.full_like(q, -np.inf), np.full_like(q, np.inf)) if limits is None else \
        (limits[:, 0], limits[:, 1])
    turn = 2.0 * np.pi
    with np.errstate(invalid="ignore"):
        back = np.where(np.isfinite(lo), q - turn * np.floor((q - lo) / turn),
                        np.where(np.isfinite(hi), q + turn * np.floor((hi - q) / turn), wrap(q)))
    far = (np.abs(q) > TURN_BACK) & ~(np.isfinite(lo) & np.isfinite(hi))
    return np.where(far, np.clip(back, lo, hi), q)


def joint_step(q, prev, continuous) -> float:
    """The largest joint change from ``prev`` to ``q`` [rad or m], a continuous joint's taken
    the short way round (wrapped to [-pi, pi) while solved, it changes by 2 pi in numbers, not
    in pose, as it passes pi)."""
    d = np.asarray(q, dtype=float) - prev
    wrap = np.asarray(continuous, dtype=bool)
    if wrap.any():
        d = np.where(wrap, (d + np.pi) % (2.0 * np.pi) - np.pi, d)
    return float(np.max(np.abs(d), initial=0.0))


def smooth_to(objectives, q):
    """Give every :class:`~armsim.ik.objectives.Smoothness` the previous angles ``q``."""
    from armsim.ik.objectives import Smoothness
    for o in objectives:
        if isinstance(o, Smoothness):
            o.q_rest = np.array(q, dtype=float)


def shapes(objectives) -> tuple:
    """The obstacles among ``objectives`` as plain dicts, for drawing (see State)."""
    from armsim.ik.objectives import Box, Capsule, Obstacle
    out = []
    for o in objectives:
        if not isinstance(o, Obstacle):
            continue
        margin = float(getattr(o, "_margin", o.clearance or 0.0)) + o.link_radius
        if isinstance(o, Box):
            out.append({"kind": "box", "center": o.center.copy(), "size": o.size.copy(),
                        "margin": margin})
        elif isinstance(o, Capsule):
            out.append({"kind": "capsule", "a": o.a.copy(), "b": o.b.copy(), "radius": o.radius,
                        "center": o.center.copy(), "margin": margin})
        else:
            out.append({"kind": "circle", "center": o.center.copy(), "radius": o.radius,
                        "margin": margin})
    return tuple(out)


def clearance(objectives, chain, q):
    """The smallest surface distance [m] of the obstacles and self-collision objectives
    at ``q`` (None without any, or when no link counts: every joint locked)."""
    values = [float(o.clearance_of(chain, np.asarray(q, float)[None])[0])
              for o in objectives if hasattr(o, "clearance_of")]
    values = [v for v in values if v < np.inf]
    return min(values) if values else None


def default_simulation(seed=0, method=None, correction=None):
    """The built-in scene: a 4-segment arm (reach 1 m) chasing a figure-eight.

    ``seed`` sets the starting angles and the phase of the path.
    """
    rng = np.random.default_rng(seed)
    chain = Chain([0.35, 0.3, 0.2, 0.15])
    q0 = rng.uniform(-1.0, 1.0, size=chain.n)
    path = figure_eight(center=(0.1, 0.25), size=(0.6, 0.45), period=240,
                        phase=float(rng.uniform(0, 2 * np.pi)))
    return Simulation(chain, path, q0, method=method or "gradient",
                      correction=correction or "clip", iterations_per_frame=4)
