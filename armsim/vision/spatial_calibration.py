"""The visual problem in 3D: calibrate a spatial arm and the cameras that watch it, from pixels.

A hidden **reference** robot (a shipped model, :func:`armsim.robots.load`) differs from
its nominal model by seeded deviations: a zero offset of every joint (``q_true = q +
dq``, uniform in ``+-zero_offset`` [rad]) and of every joint origin and the tool
offset (``xyz``, uniform in ``+-origin_offset`` [m] per coordinate).  It moves through
``poses`` commanded configurations, known as a real robot's encoders are.  One or two
pinhole cameras (:mod:`armsim.vision.camera3d`) whose poses are unknown (eye-to-hand)
see every joint origin and the tool; the pixels carry Gaussian noise of ``sigma`` px;
points behind a camera, outside its image or (optionally) behind a link capsule are
not observed.  Two cameras are either a calibrated stereo *rig* (their relative pose
known, one unknown pose for the pair) or two independent cameras.

The learned parameter vector (:class:`SpatialModel`, ``names``) is every joint's zero
offset [rad], every joint origin's ``xyz`` [m] (absolute, nominal plus deviation),
the tool point's ``xyz`` (a marker, :data:`MARKER`, in the last link's frame) [m], then per unknown camera pose its ``roll, pitch, yaw`` [rad]
and ``x, y, z`` [m] (world from camera).  :meth:`SpatialModel.residuals` gives the
stacked pixel residuals of every observed point and, from one forward-mode pass with
:class:`~armsim.ad.dual.Dual` tangents seeded on the parameters (the kinematics are
:func:`armsim.kinematics.spatial.forward` over Duals), their Jacobian with respect to
every kinematic and camera parameter.

**Identifiability** (:func:`identify`): rank and condition number of the column-scaled
Jacobian, and its null space as named directions.  Pixels cannot tell apart parameter
sets related by a *gauge*: moving the world (base position against the camera
positions: 3 directions), turning it about the first joint's axis (joint 1's zero
offset against the camera rotations: 1), scaling it (every length against the camera
distances: 1, unless a length is known, e.g. a stereo rig's baseline), turning the
last joint's zero offset into the tool offset (1), and trading zero offsets between
consecutive parallel joints against the origin between them (UR5 joints 2-3-4: 2).
The learner holds one parameter per null direction (chosen from the null space's
projector: :func:`armsim.vision.identifiability.identify`) at its starting value and learns
the rest; its errors are measured against the truth expressed in that gauge
(:func:`gauge_truth`: the point of the truth's gauge orbit with the held parameters at
their starting values).

**Learners**: :func:`solve_lm` (Levenberg-Marquardt with Marquardt's diagonal scaling
on the stacked residual) and :func:`solve_proportional` (the original rule ``p -= lr *
dL/dp * |p|`` with the genetic algorithm of :mod:`armsim.vision.genetic` over
per-parameter rates).  **Accuracy limit**: the Cramér-Rao bound ``sigma^2 (J^T J)^-1``
of the learned parameters at the gauge truth (:func:`crlb`).
"""

from __future__ import annotations

import functools
import inspect
import time
from dataclasses import dataclass

import numpy as np

from armsim.ad import dual as ad
from armsim.kinematics import robots
from armsim.kinematics.spatial import forward, matrix_rpy, rpy_matrix
from armsim import ranges
from armsim.ranges import real_array
from armsim.vision import genetic
from armsim.vision.identifiability import Identifiability, identify
from armsim.vision.camera3d import Camera, Intrinsics, observe, project, visible
from armsim.vision.population import ADAM_RATE, LEARNERS, Population

__all__ = ["SpatialSetup", "SpatialModel", "Problem", "make_problem", "identify",
           "Identifiability", "solve_lm", "solve_proportional", "solve_adam", "gauge_truth",
           "crlb", "run", "ROBOTS", "RIG_BASELINE", "LEARNERS", "ADAM_RATE", "MIN_SIGMA",
           "MAX_SIGMA", "sigma_problem", "check_seen"]

ROBOTS = ("ur5", "panda")
#: the stereo rig: second camera 0.3 m along the first's image x, turned in by 0.15 rad
RIG_BASELINE = 0.3
RIG_TOE_IN = 0.15
#: what a camera looks at (near the middle of both arms' workspaces) [m]
LOOK_AT = (0.0, 0.0, 0.4)
#: a relative error is taken against max(|value|, FLOOR): 1 cm for lengths, 10 mrad for angles
FLOOR = 0.01
#: the nominal tool point: a marker 5 cm off the flange axis and 5 cm out along it [m]
MARKER = (0.05, 0.0, 0.05)

#: the largest pixel noise of a camera [px] (a scene's bound too); a nonzero one is at least
#: MIN_SIGMA (:func:`sigma_problem`)
MAX_SIGMA = 1000
MIN_SIGMA = 1e-6


def sigma_problem(sigma) -> str | None:
    """None if ``sigma`` [px] is an accepted pixel noise (0, or from :data:`MIN_SIGMA` to
    :data:`MAX_SIGMA`), else what is wrong, as one phrase with the range and why."""
    if sigma == 0 or MIN_SIGMA <= sigma <= MAX_SIGMA:
        return None
    return (f"must be 0 (noise-free) or from {MIN_SIGMA:g} to {MAX_SIGMA:g} px, got {sigma!r} "
            f"(sub-pixel detectors reach about 0.01 px; a noise under {MIN_SIGMA:g} px is "
            f"rounding, and the 1 / sigma^2 of its bound overflows)")


@dataclass(frozen=True)
class SpatialSetup:
    """One calibration setup.

    Attributes
    ----------
    robot : "ur5" or "panda"
    cameras : 1 or 2
    rig : bool          two cameras are a stereo rig of known relative pose (else independent)
    poses : int         commanded configurations
    sigma : float       pixel noise [px]
    zero_offset : float size of the joint zero offsets [rad] (uniform in +-)
    origin_offset : float size of the joint origin and tool offsets [m] (uniform in +-)
    camera_error : float size of the initial camera pose error [rad and m] (uniform in +-)
    distance : float    camera distance from the look-at point [m]
    occlusion : float or None  link capsule radius [m]: joints behind a link are not seen
    marker : (3,)       the observed tool point in the tool frame [m], nominal: a marker off
                        the flange axis (on the axis, the last wrist joint's zero offset
                        moves it only by the 2 mm of the deviations: all but unidentifiable)
    """

    robot: str = "ur5"
    cameras: int = 1
    rig: bool = True
    poses: int = 50
    sigma: float = 0.0
    zero_offset: float = 0.01
    origin_offset: float = 0.002
    camera_error: float = 0.03
    distance: float = 2.2
    occlusion: float | None = None
    marker: tuple = MARKER

    def validate(self):
        if self.robot not in ROBOTS:
            raise ValueError(f"robot: unknown robot {self.robot!r}; choose one of {', '.join(ROBOTS)}")
        if self.cameras not in (1, 2):
            raise ValueError(f"cameras: must be 1 or 2, got {self.cameras!r}")
        if not (_is_int(self.poses) and 1 <= self.poses <= 100_000):
            raise ValueError(f"poses: must be an integer in [1, 100000], got {self.poses!r}")
        for name in ("sigma", "zero_offset", "origin_offset", "camera_error"):
            v = getattr(self, name)
            if not (_is_real(v) and 0.0 <= v <= 1.0e3):
                raise ValueError(f"{name}: must be a number in [0, 1000], got {v!r}")
        if sigma_problem(self.sigma) is not None:
            raise ValueError(f"sigma: {sigma_problem(self.sigma)}")
        if not (_is_real(self.distance) and 0.1 <= self.distance <= 1.0e3):
            raise ValueError(f"distance: must be a number in [0.1, 1000] m, got {self.distance!r}")
        if not isinstance(self.rig, (bool, np.bool_)):   # ("no" was a rig: truthy)
            raise ValueError(f"rig: must be True or False, got {self.rig!r}")
        m = self.marker
        if not (isinstance(m, (tuple, list, np.ndarray)) and len(m) == 3
                and all(_is_real(v) and abs(v) <= 10.0 for v in m)):
            raise ValueError(f"marker: must be three numbers in [-10, 10] m, got {str(m)[:60]}")
        if self.occlusion is not None and not (_is_real(self.occlusion) and self.occlusion > 0):
            raise ValueError(f"occlusion: must be a capsule radius > 0 or none, got {self.occlusion!r}")
        return self


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _is_real(x) -> bool:
    return (isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)
            and bool(np.isfinite(x)))


class SpatialModel:
    """The parameter layout and the forward pass: parameters -> pixels of every camera.

    Parameters
    ----------
    chain : SpatialChain   the nominal robot (axes, origin rotations and joint types kept)
    intrinsics : sequence of :class:`Intrinsics`, one per camera (known)
    relative : sequence of (R (3, 3), t (3,)) per camera or None
        With a rig: each camera's pose in the rig frame (the first camera's is the
        identity); the rig has one unknown pose.  None: every camera has its own.
    """

    def __init__(self, chain, intrinsics, relative=None, marker=(0.0, 0.0, 0.0)):
        self.chain = chain
        self.intrinsics = tuple(intrinsics)
        self.relative = None if relative is None else tuple(
            (np.asarray(R, float), np.asarray(t, float)) for R, t in relative)
        n = chain.n
        names = [f"{j}.dq" for j in chain.names]
        names += [f"{j}.{c}" for j in chain.names for c in "xyz"]
        names += [f"tool.{c}" for c in "xyz"]
        blocks = 1 if self.relative is not None else len(self.intrinsics)
        prefix = ["rig"] if self.relative is not None else [f"camera{k}" for k in range(blocks)]
        for p in prefix:
            names += [f"{p}.{c}" for c in ("roll", "pitch", "yaw", "x", "y", "z")]
        self.names = tuple(names)
        self.kinematic = n + 3 * n + 3
        self.blocks = blocks
        self.angular = np.array([nm.endswith((".dq", ".roll", ".pitch", ".yaw")) for nm in names])
        self._R0 = rpy_matrix(chain.rpy)
        self._tool_R = rpy_matrix(chain.tool_rpy)
        self.tool_nominal = chain.tool_xyz + self._tool_R @ np.asarray(marker, dtype=float)

    @property
    def dim(self) -> int:
        return len(self.names)

    @property
    def points(self) -> int:
        """Observed points per pose: the n joint origins and the tool."""
        return self.chain.n + 1

    def nominal(self, camera_poses):
        """The nominal parameters with the given camera poses (blocks, 6)."""
        c = self.chain
        return np.concatenate([np.zeros(c.n), c.xyz.ravel(), self.tool_nominal,
                               np.asarray(camera_poses, float).ravel()])

    # -- the forward pass -------------------------------------------------------------------
    def world_points(self, theta, qs):
        """Joint origins and tool (B, n + 1, 3) [m] for parameters ``theta`` (array or Dual)."""
        c, n = self.chain, self.chain.n
        dq = theta[0:n]
        xyz = ad.reshape(theta[n:4 * n], (n, 3))
        tool = theta[4 * n:4 * n + 3]
        q = dq + np.asarray(qs, dtype=float)
        _, tool_p, _, ps = forward(q, self._R0, xyz, c.axes, c.prismatic, self._tool_R, tool,
                                   frames=True)
        batch = np.shape(qs)[:-1]
        ps = [ad.broadcast_to(p, batch + (3,)) for p in ps] + [tool_p]
        return ad.stack(ps, axis=-2)

    def camera_poses(self, theta):
        """(rotation, position) of every camera, arrays or Duals."""
        k0 = self.kinematic
        out = []
        for b in range(self.blocks):
            block = theta[k0 + 6 * b:k0 + 6 * b + 6]
            out.append((rpy_matrix(block[0:3]), block[3:6]))
        if self.relative is None:
            return out
        R, c = out[0]
        return [(ad.matmul(R, Rr), c + ad.matmul(R, tr)) for Rr, tr in self.relative]

    def pixels(self, theta, qs):
        """Pixels (C, B, P, 2) and depths (C, B, P) of every point in every camera."""
        X = self.world_points(theta, qs)
        pix, depth = [], []
        for (R, c), k in zip(self.camera_poses(theta), self.intrinsics):
            p, d = project(X, R, c, k)
            pix.append(p)
            depth.append(d)
        return ad.stack(pix, axis=0), ad.stack(depth, axis=0)

    def residuals(self, theta, data, free=None):
        """Stacked residuals (R,) [px] of the observed points and, when ``free`` (a boolean
        mask (D,) or index array) is given, their Jacobian (R, F) with respect to the free
        parameters, from one forward pass over the whole batch."""
        theta = np.asarray(theta, dtype=float)
        if free is not None:
            theta = ad.Dual.variables_of(theta, free)
        pix, _ = self.pixels(theta, data.qs)
        seen = pix[data.seen]                     # (R/2, 2)
        r = ad.reshape(seen - data.observed[data.seen], (-1,))
        if free is None:
            return ad.value_of(r), None
        return r.value, r.tangent


@dataclass
class Problem:
    """A hidden reference and what the cameras saw of it.

    Attributes
    ----------
    model : SpatialModel
    truth : ndarray (D,)          the reference's parameters
    start : ndarray (D,)          the learner's starting point (nominal kinematics, a rough
                                  guess of the camera poses)
    qs : ndarray (B, n)           commanded joint values [rad]
    observed : ndarray (C, B, P, 2) noisy pixels [px];  clean : the same without noise
    seen : ndarray (C, B, P) bool which points were observed
    """

    model: SpatialModel
    setup: SpatialSetup
    truth: np.ndarray
    start: np.ndarray
    qs: np.ndarray
    observed: np.ndarray
    clean: np.ndarray
    seen: np.ndarray

    def clean_data(self):
        return Problem(self.model, self.setup, self.truth, self.start, self.qs, self.clean,
                       self.clean, self.seen)


def _cameras(setup, rng):
    """True cameras and (for a rig) the relative poses."""
    base_az = -0.6 if setup.robot == "ur5" else -0.5
    target = np.asarray(LOOK_AT) + rng.uniform(-0.05, 0.05, 3)
    az = base_az + rng.uniform(-0.2, 0.2)
    el = 0.25 + rng.uniform(-0.1, 0.1)

    def at(a):
        eye = target + setup.distance * np.array([np.cos(el) * np.cos(a), np.cos(el) * np.sin(a),
                                                  np.sin(el)])
        return Camera.look_at(eye, target, roll=rng.uniform(-0.05, 0.05))

    first = at(az)
    if setup.cameras == 1:
        return [first], None
    if setup.rig:
        rel = [(np.eye(3), np.zeros(3)),
               (rpy_matrix(np.array([0.0, -RIG_TOE_IN, 0.0])), np.array([RIG_BASELINE, 0.0, 0.0]))]
        R2 = first.rotation @ rel[1][0]
        c2 = np.asarray(first.position) + first.rotation @ rel[1][1]
        second = Camera(tuple(matrix_rpy(R2)), tuple(c2), first.intrinsics)
        return [first, second], rel
    return [first, at(az + 1.2)], None


def _capsules(model):
    """Capsule axes between consecutive observed points (joint origins, tool), and which
    points own each (:func:`~armsim.vision.camera3d.occluded`): the two it joins, and
    every point at the same place in the nominal model (joints joined by a zero length)."""
    n = model.chain.n
    lengths = np.linalg.norm(np.vstack([model.chain.xyz[1:], model.tool_nominal]), axis=1)
    place = np.concatenate([[0], np.cumsum(lengths > 1e-9)])     # of each of the n + 1 points
    links = [(i, i + 1) for i in range(n)]
    own = np.array([[place[p] in (place[i], place[j]) for p in range(n + 1)] for i, j in links])
    return links, own


def check_seen(problem):
    """Raise ValueError when a camera of ``problem`` sees none of the robot's points (its
    residual would be empty: nothing to learn from), saying what to change: its aim, or
    the capsule radius (wider than the spacing of the joints, it buries them all)."""
    p = problem
    for k, count in enumerate(p.seen.reshape(len(p.seen), -1).sum(axis=1)):
        if count:
            continue
        pix, depth = p.model.pixels(p.truth, p.qs)
        hint = "point it at the robot"
        if p.setup.occlusion and visible(pix[k], depth[k], p.model.intrinsics[k]).any():
            hint = f"link capsules of radius {p.setup.occlusion:g} m hide them all: make it smaller"
        raise ValueError(f"camera[{k}]: sees none of the robot's points in {p.setup.poses} "
                         f"poses ({hint})")


@functools.lru_cache(maxsize=None)
def _robot(name):
    return robots.load(name)


def make_problem(setup=None, seed=0, cameras=None, sigmas=None, occlude=None):
    """A seeded hidden reference, its commanded poses and what the cameras saw.

    Parameters
    ----------
    setup : SpatialSetup
    seed : int
    cameras : sequence of :class:`Camera`, optional
        The true cameras (``setup.cameras`` of them); default: the seeded arrangement
        of the benchmark (:data:`LOOK_AT`, ``setup.distance``).  With ``setup.rig`` and
        two cameras, their relative pose is known to the learner.
    sigmas : sequence of float, optional   pixel noise of each camera (default ``setup.sigma``)
    occlude : sequence of bool, optional   which cameras lose joints behind a link capsule of
        radius ``setup.occlusion`` (default: every camera, when ``setup.occlusion`` is set)
    """
    setup = (setup or SpatialSetup()).validate()
    rng = np.random.default_rng(ranges.seed(seed))
    chain = _robot(setup.robot)
    n = chain.n
    if cameras is None:
        cams, rel = _cameras(setup, rng)
    else:
        cams = list(cameras)
        if len(cams) != setup.cameras:
            raise ValueError(f"cameras: {len(cams)} given for a setup of {setup.cameras}")
        for k, c in enumerate(cams):
            if not isinstance(c, Camera):
                raise ValueError(f"cameras[{k}]: must be a Camera, got {str(c)[:40]}")
            c.validate()
        rel = None
        if setup.rig and len(cams) == 2:
            R1, c1 = cams[0].rotation, np.asarray(cams[0].position, float)
            rel = [(np.eye(3), np.zeros(3)),
                   (R1.T @ cams[1].rotation, R1.T @ (np.asarray(cams[1].position, float) - c1))]
    sigmas = np.full(len(cams), setup.sigma) if sigmas is None else real_array("sigmas", sigmas)
    if sigmas.shape != (len(cams),) or not np.all((sigmas >= 0) & (sigmas <= MAX_SIGMA)):
        raise ValueError(f"sigmas must be {len(cams)} number(s) from 0 to {MAX_SIGMA:g} px, "
                         f"got {str(sigmas.tolist())[:40]}")
    for k, sigma in enumerate(sigmas.tolist()):
        if sigma_problem(sigma) is not None:
            raise ValueError(f"sigmas[{k}]: {sigma_problem(sigma)}")
    occlude = [True] * len(cams) if occlude is None else list(occlude)
    if len(occlude) != len(cams):
        raise ValueError(f"occlude must be {len(cams)} flag(s), one a camera, got {occlude}")
    model = SpatialModel(chain, [c.intrinsics for c in cams], rel, setup.marker)
    blocks = [cams[0].pose] if (rel is not None or len(cams) == 1) else [c.pose for c in cams]
    nominal = model.nominal(blocks)
    truth = nominal.copy()
    truth[:n] += rng.uniform(-setup.zero_offset, setup.zero_offset, n)
    truth[n:model.kinematic] += rng.uniform(-setup.origin_offset, setup.origin_offset, 3 * n + 3)
    start = nominal.copy()
    start[model.kinematic:] += rng.uniform(-setup.camera_error, setup.camera_error,
                                           model.dim - model.kinematic)
    lo = np.maximum(chain.limits[:, 0], -np.pi)
    hi = np.minimum(chain.limits[:, 1], np.pi)
    qs = rng.uniform(lo, hi, size=(setup.poses, n))
    X = model.world_points(truth, qs)
    clean, seen = [], []
    links, own = _capsules(model)
    for cam, hide in zip(cams, occlude):
        pix, s = observe(cam, X, 0.0, links=links, radius=setup.occlusion if hide else None,
                         own=own)
        clean.append(pix)
        seen.append(s)
    clean = np.stack(clean)
    noise = rng.normal(0.0, 1.0, size=clean.shape)
    observed = clean + sigmas[:, None, None, None] * noise
    return Problem(model, setup, truth, start, qs, observed, clean, np.stack(seen))


# -- learners -------------------------------------------------------------------------------
@dataclass
class Solution:
    theta: np.ndarray
    rounds: int
    seconds: float
    rms_px: float
    reason: str


def solve_lm(model, data, theta0, free, max_rounds=200, damping=1e-3, xtol=1e-10, ftol=1e-10):
    """Levenberg-Marquardt on the stacked pixel residual over the ``free`` parameters.

    Marquardt's diagonal scaling (``(J^T J + lambda diag(J^T J)) delta = -J^T r``), the
    damping shrunk by 3 on a step that lowers the loss and grown by 4 on one that does
    not.  Converged when the step moves every parameter by at most ``xtol`` times
    max(|value|, FLOOR), or when the linear model predicts it lowers the loss by at most
    ``ftol`` of the loss: the step is then kept if it does not raise the loss, and the
    solve stops.  Both tests read values that are far above rounding where they decide
    (the first step past them is 1e-10 of a parameter or of the loss, not 1e-16), so
    the number of rounds is the same under every BLAS kernel.  (The stop used to be an
    accepted step under 1e-14, reached through accept/reject tests decided by the loss's
    last bits: the rounds differed between Haswell and SkylakeX in 43 of 48 runs.)
    Also stops when the damping passes 1e12 (no step lowers the loss) or after
    ``max_rounds`` rounds.  A start whose residual or Jacobian is not finite is
    ``"not finite"`` at once, no round made (every step was rejected against a NaN loss
    until the damping passed 1e12, and that stop said "converged").
    """
    t0 = time.perf_counter()
    max_rounds = ranges.rounds("max_rounds", max_rounds)
    # (a NaN damping rejected every step for max_rounds rounds; a negative one was taken)
    for name, v, low in (("damping", damping, 1e-15), ("xtol", xtol, 0.0), ("ftol", ftol, 0.0)):
        if not (_is_real(v) and low <= v <= 1e12):
            raise ValueError(f"{name} must be a number from {low:g} to 1e12, got {str(v)[:40]}")
    theta = np.array(theta0, dtype=float)
    free = np.asarray(free, dtype=bool)
    r, jac = model.residuals(theta, data, free)
    loss = float(r @ r)
    lam, reason, rounds = damping, "max_rounds", 0
    if not (np.isfinite(loss) and np.isfinite(jac).all()):
        return Solution(theta, 0, time.perf_counter() - t0, float("inf"), "not finite")
    for rounds in range(1, max_rounds + 1):
        a = jac.T @ jac
        g = jac.T @ r
        d = np.diag(a)
        d = d + 1e-15 * (d.max() + 1.0)
        try:
            step = np.linalg.solve(a + lam * np.diag(d), -g)
        except np.linalg.LinAlgError:
            lam *= 4.0
            continue
        moved = jac @ step
        predicted = -(2.0 * float(r @ moved) + float(moved @ moved))
        done = (np.all(np.abs(step) <= xtol * np.maximum(np.abs(theta[free]), FLOOR))
                or predicted <= ftol * loss)
        trial = theta.copy()
        trial[free] += step
        r_trial, _ = model.residuals(trial, data)
        trial_loss = float(r_trial @ r_trial)
        if np.isfinite(trial_loss) and trial_loss <= loss:
            theta, loss = trial, trial_loss
            lam = max(lam / 3.0, 1e-15)
            r, jac = model.residuals(theta, data, free)
            done = done or loss == 0.0
        else:
            lam *= 4.0
            done = done or lam > 1e12
        if done:
            reason = "converged"
            break
    rms = float(np.sqrt(loss / max(r.size, 1)))
    return Solution(theta, rounds, time.perf_counter() - t0, rms, reason)


def solve_proportional(model, data, theta0, free, rng, rounds=500, population=6, period=50,
                       mutation=0.2):
    """The original rule with the genetic algorithm over per-parameter learning rates.

    ``population - 1`` candidates start at ``theta0``; every round each takes the step
    ``p -= rate * dL/dp * |p|`` on the free parameters, ``L`` the mean squared pixel
    residual; every ``period`` rounds :func:`armsim.vision.genetic.next_generation`
    replaces the worst half by children of the best.  Rates are drawn uniformly in
    ``[0, r_max)`` (numpy's uniform draw) with
    ``r_max = 1 / (lambda_max(2 J^T J / R) max|p|^2)`` at the start
    (the largest rate whose proportional step cannot overshoot the stiffest direction).
    Returns the best candidate's :class:`Solution`.
    """
    return _solve_population("proportional", model, data, theta0, free, rng, rounds,
                             population, period, mutation)


def solve_adam(model, data, theta0, free, rng, rounds=500, population=6, period=50,
               mutation=0.2):
    """Adam with the genetic algorithm over per-parameter learning rates.

    As :func:`solve_proportional`, with the step ``p -= rate * m_hat / (sqrt(v_hat) +
    eps)`` (running means of the gradient and of its square, bias-corrected, per
    candidate): a parameter moves by about ``rate`` [rad or m] a round whatever its
    gradient's scale.  Rates are drawn in ``(0, ADAM_RATE]``; a candidate the GA replaces
    starts its moments again.
    """
    return _solve_population("adam", model, data, theta0, free, rng, rounds, population,
                             period, mutation)


def _solve_population(learner, model, data, theta0, free, rng, rounds, population, period,
                      mutation):
    t0 = time.perf_counter()
    rounds = ranges.rounds("rounds", rounds)
    run = Population.from_parts(model, data, theta0, free, rng, learner=learner,
                                population=population, period=period, mutation=mutation)
    for step in range(1, rounds + 1):
        run.step(breed=step < rounds)
    best = int(np.argmin(run.losses))
    theta = np.array(theta0, dtype=float)
    theta[run.free] = run.params[best]
    return Solution(theta, rounds, time.perf_counter() - t0, float(np.sqrt(run.losses[best])),
                    "max_rounds")


def gauge_truth(problem, held, values):
    """The truth expressed in the learner's gauge: the point of the truth's gauge orbit with
    the ``held`` parameters at ``values`` (where the learner holds them), found by a
    noise-free solve that starts at the truth with those parameters moved there.  Its
    pixels equal the truth's (tests: residual below 1e-9 px)."""
    model = problem.model
    theta = problem.truth.copy()
    theta[held] = values
    free = np.ones(model.dim, dtype=bool)
    free[held] = False
    return solve_lm(model, problem.clean_data(), theta, free, max_rounds=200).theta


def crlb(model, data, theta, free, sigma):
    """Cramér-Rao bound ``sigma^2 (J^T J)^-1`` (F, F) of the free parameters at ``theta``;
    ``sigma`` [px] one number, or one a camera (> 0): ``(sum_k J_k^T J_k / sigma_k^2)^-1``."""
    _, jac = model.residuals(theta, data, free)
    sigma = np.asarray(sigma, dtype=float)
    if sigma.ndim:          # the residual stacks camera after camera, 2 rows a seen point
        seen = np.asarray(data.seen).reshape(len(sigma), -1).sum(axis=1)
        jac = jac / np.repeat(sigma, 2 * seen)[:, None]
        return np.linalg.inv(jac.T @ jac)
    return sigma ** 2 * np.linalg.inv(jac.T @ jac)


def relative_errors(estimate, reference, free):
    """``|estimate - reference| / max(|reference|, FLOOR)`` of the free parameters."""
    e, g = estimate[free], reference[free]
    return np.abs(e - g) / np.maximum(np.abs(g), FLOOR)


def run(setup=None, seed=0, learner="lm", **options):
    """Calibrate one seeded setup; returns a dict of every figure.

    Keys: the setup, ``observed`` (points seen), ``dim``, ``rank``, ``condition``,
    ``null`` (named directions at the truth), ``held`` (the parameters the learner
    holds), ``rounds``, ``seconds``, ``rms_px``, ``max_rel_error`` (against the gauge
    truth), ``crlb_z2`` (sum over the free parameters of error^2 / CRLB variance; its
    expectation is ``free`` for an efficient estimator) and ``free``.
    """
    if learner not in LEARNERS:
        raise ValueError(f"unknown learner {learner!r}; choose one of {', '.join(LEARNERS)}")
    takes = [n for n in inspect.signature(solve_lm if learner == "lm" else solve_adam).parameters
             if n not in ("model", "data", "theta0", "free", "rng")]
    bad = sorted(set(options) - set(takes))
    if bad:             # (a TypeError from the solve, after the problem was made)
        raise ValueError(f"learner {learner!r} takes no option {bad[0]!r}; its options: "
                         f"{', '.join(takes)}")
    seed = ranges.seed(seed)
    problem = make_problem(setup, seed)
    check_seen(problem)         # (an empty residual was an IndexError in identify)
    setup, model = problem.setup, problem.model
    everything = np.ones(model.dim, dtype=bool)
    _, jac_true = model.residuals(problem.truth, problem.clean_data(), everything)
    at_truth = identify(jac_true, model.names)
    _, jac_start = model.residuals(problem.start, problem, everything)
    at_start = identify(jac_start, model.names)
    sol, held, rounds, seconds = None, at_start.held, 0, 0.0
    theta = problem.start
    for _stage in range(3):
        # a null direction at the start may be identifiable elsewhere (UR5: the nominal tool
        # sits on joint 6's origin, so joint 5's offset looks free there): re-check at the
        # solution and solve again with the held set found there
        free = np.ones(model.dim, dtype=bool)
        free[held] = False
        if learner == "lm":
            sol = solve_lm(model, problem, theta, free, **options)
        else:
            solve = solve_proportional if learner == "proportional" else solve_adam
            sol = solve(model, problem, theta, free, np.random.default_rng(seed), **options)
        rounds, seconds = rounds + sol.rounds, seconds + sol.seconds
        theta = sol.theta
        _, jac = model.residuals(theta, problem, everything)
        again = identify(jac, model.names)
        if again.deficit >= len(held) or learner != "lm":
            break
        held = again.held
    reference = gauge_truth(problem, held, theta[held])
    rel = relative_errors(sol.theta, reference, free)
    out = {"robot": setup.robot, "cameras": setup.cameras, "rig": setup.rig,
           "poses": setup.poses, "sigma": setup.sigma, "occlusion": setup.occlusion,
           "seed": seed, "learner": learner,
           "observed": int(problem.seen.sum()), "possible": int(problem.seen.size),
           "dim": model.dim, "rank": at_truth.rank, "condition": at_truth.condition,
           "null": at_truth.directions, "held": [model.names[i] for i in held],
           "free": int(free.sum()), "rounds": rounds, "seconds": seconds,
           "rms_px": sol.rms_px, "reason": sol.reason, "max_rel_error": float(rel.max())}
    if setup.sigma > 0:
        cov = crlb(model, problem, reference, free, setup.sigma)
        err = sol.theta[free] - reference[free]
        out["crlb_z2"] = float(np.sum(err ** 2 / np.diag(cov)))
        out["crlb_rms"] = float(np.sqrt(np.mean(np.diag(cov) / np.maximum(np.abs(reference[free]), FLOOR) ** 2)))
    return out

