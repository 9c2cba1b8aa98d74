"""Identification of a real robot, its cameras and markers from marker corners.

:func:`calibrate` runs three stages on the :class:`~armsim.vision.real.model.Model`:

1. **start**: OpenCV's hand-eye solution on the nominal kinematics
   (:func:`armsim.vision.real.handeye.hand_eye`);
2. **cameras and markers**: their poses (and the intrinsics asked for) refined by :func:`lm`
   with the kinematics held at nominal;
3. **everything**: joint zero offsets, joint origins, marker and camera poses and the
   intrinsics asked for, with one parameter held per null direction (:func:`gauges`).

:func:`lm` is :func:`armsim.vision.spatial_calibration.solve_lm` (Levenberg-Marquardt on the
forward-mode Jacobian) under a **Huber loss** by iteratively reweighted least squares: a
residual (one pixel coordinate) ``r`` gets the weight ``min(1, c / |r|)`` with ``c`` =
:data:`HUBER` x the robust sigma of the residuals (1.4826 x their median absolute value);
``c`` is set after the first, unweighted solve; the weights are recomputed after each
solve until none changes by more than 0.01.  A corner whose residual is longer than
:data:`OUTLIER` robust sigmas is flagged an outlier.

**Identifiability**: rank, condition and null directions of the column-scaled Jacobian
(:func:`armsim.vision.spatial_calibration.identify`), one parameter held per null direction,
chosen in this order of preference: with fixed cameras the world is the URDF's root, so
the first joint's origin (x, y, z, rx, ry, rz) and zero offset, and the second joint's
position along the first joint's axis, only move the world against the cameras; then each
joint's origin turn about its own axis (its zero offset's twin), and its position along
and turn about the axis of the joint above it (that joint's position along its axis, and
its zero offset, do the same); then the rest in parameter order (joints, markers, cameras).  A preferred parameter
is held when its share of the null space is at least 0.1 % of the largest share left.

**Do the kinematics deviate?**  The fall of the (Huber-weighted) squared residual from
stage 2 to stage 3, over the pixel noise variance, is chi-square with as many degrees of
freedom ``k`` as kinematic parameters identified when the URDF is right (a likelihood-ratio
test).  The variance is not known but estimated from stage 3's own residual, with ``m`` =
residuals - free parameters degrees of freedom, so the statistic is ``k F(k, m)``, and its
limit ``k`` x the F quantile of upper tail :data:`SIGNIFICANCE` (:func:`f_quantile`; the
chi-square quantile it tends to as ``m`` grows passed noise-fitted kinematics with 3 poses,
``m`` = 24: 22.7 against 33.3).  Below it, the data do not show a
deviation and the calibration keeps the URDF's kinematics (stage 2's cameras and markers,
with stage 2's sigmas; the kinematic parameters are then held, sigma 0): fitting them
anyway would only fit the pixel noise (:class:`Deviation`).

**Uncertainty**: sigma of each free parameter from the Cramér-Rao bound ``s^2 (J^T W
J)^-1``, ``s`` the measured pixel noise: the weighted residual's RMS over the degrees of
freedom left, read as the sigma of Gaussian noise under the Huber weights
(:func:`huber_scale`; the RMS alone is low by 9 %).  The deviation test divides by the RMS
itself, the variance of the weighted residuals it compares.  The whole covariance is kept
(:attr:`Result.covariance`) and carried to the tool's position
(:func:`armsim.vision.real.tool.tool_sigma`): few poses can fit the pixels with kinematics
that place the tool centimetres off elsewhere.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from armsim.kinematics.spatial import rpy_matrix
from armsim.vision.real.handeye import corner_noise, hand_eye
from armsim.vision.real.lens import undistort
from armsim.vision.real.model import INTRINSICS, NEAR
from armsim.vision.real.tool import tool_sigma
from armsim.vision.spatial_calibration import identify, solve_lm

__all__ = ["calibrate", "lm", "gauges", "preferred", "robust_sigma", "Result", "Deviation",
           "chi2_quantile", "f_quantile", "beta_upper", "apparent_depth", "HUBER", "OUTLIER",
           "SIGNIFICANCE", "FAR"]

HUBER = 1.345           # Huber threshold in robust sigmas (95 % efficiency on Gaussian noise)
OUTLIER = 5.0           # a corner whose residual is longer than this many robust sigmas
MAX_REWEIGHTS = 20
SETTLED = 0.01          # the weights have settled when none changes by more than this
TIE = 0.999           # a preferred parameter is held at >= (1 - TIE) of the largest share
SIGNIFICANCE = 1e-3     # the kinematics deviate when a fit this unlikely under the URDF
#: a camera fitted over this many times farther from the corners it sees than their size in
#: its images says has left the scene (:func:`apparent_depth`; 0.91 to 1.0 in right fits of
#: 10 poses, seeds 0-2; a start past its markers escaped to 1.2e7 m, 5e6 times)
FAR = 10.0


def robust_sigma(r):
    """1.4826 x the median absolute residual (the standard deviation for Gaussian noise)."""
    r = np.abs(np.asarray(r, float))
    return float(1.4826 * np.median(r)) if r.size else 0.0


def huber_scale(s, c):
    """The noise sigma whose Huber-weighted residuals (weights ``min(1, c / |r|)``) have the
    RMS ``s``: for Gaussian noise the weighted square ``min(r^2, c |r|)`` has the mean
    ``sigma^2 erf(c / (sigma sqrt 2))`` (the probability of ``|r| <= c``), so ``s`` alone
    reads sigma low (by 9 % at c = 1.345 sigma, ad hoc on the benchmark's data: 0.441 and
    0.465 px for 0.5 px drawn); solved by a few fixed-point steps from ``s``."""
    sigma = s
    for _ in range(20):
        if not (sigma > 0.0 and c > 0.0):
            return s
        sigma = s / math.sqrt(max(math.erf(c / (sigma * math.sqrt(2.0))), 1e-12))
    return sigma


def _huber(r, c):
    a = np.abs(r)
    return np.where(a <= c, 1.0, c / np.maximum(a, 1e-300))


@dataclass
class Fit:
    theta: np.ndarray
    weights: np.ndarray
    rounds: int
    converged: bool
    threshold: float


def lm(model, data, theta, free, max_rounds=200):
    """Levenberg-Marquardt under the Huber loss (see the module's docstring): the
    threshold ``c`` is set from the residuals of the first, unweighted solve and kept; the
    weights are then recomputed after each solve until none changes by more than
    :data:`SETTLED`."""
    w = np.ones(2 * len(data))
    rounds, converged, c = 0, False, None
    for _ in range(MAX_REWEIGHTS):
        sol = solve_lm(model, data.weighted(w), theta, free, max_rounds=max_rounds)
        rounds += sol.rounds
        theta = sol.theta
        r, _ = model.residuals(theta, data.weighted(np.ones_like(w)))
        if c is None:
            c = HUBER * max(robust_sigma(r), 1e-9)
        new = _huber(r, c)
        settled = float(np.max(np.abs(new - w), initial=0.0)) <= SETTLED
        w = new
        if settled:
            converged = sol.reason == "converged"
            break
    return Fit(theta, w, rounds, converged, c)


def _aligned(v):
    """The coordinate (0, 1, 2) the unit vector ``v`` lies along, or None."""
    v = np.asarray(v, float) / np.linalg.norm(v)
    i = int(np.argmax(np.abs(v)))
    return i if abs(v[i]) > 0.99 else None


def preferred(model):
    """Parameter indices in the order they are held when null (module's docstring)."""
    out = []
    movable = [(j, at) for j, at, _ in model.steps if at is not None]
    fixed_cameras = all(c.link is None or not model.robot.path(c.link)[1]   # (or on the
                        for c in model.cameras)                               # base)
    if fixed_cameras and movable:
        out += list(range(movable[0][1], movable[0][1] + 7))
    # each link's frame relative to the child frame of the nearest movable joint above it
    above = {model.robot.root: (None, np.eye(3))}
    for j, at, _ in model.steps:
        up, R = above[j.parent]
        R_origin = rpy_matrix(np.asarray(j.rpy, float))
        if at is None:
            above[j.child] = (up, R @ R_origin)
            continue
        axis = np.asarray(j.axis, float) / np.linalg.norm(j.axis)
        own = _aligned(axis)
        if own is not None:
            out.append(at + 4 + own)                          # its turn about its own axis
        if up is not None:
            prev = R.T @ up                                   # the axis above, in the parent
            k = _aligned(prev)
            if k is not None:
                out.append(at + 1 + k)                        # position along the axis above
            k = _aligned(R_origin.T @ prev)
            if k is not None:
                out.append(at + 4 + k)                        # turn about the axis above
        above[j.child] = (axis, np.eye(3))
    seen = []
    for i in out + list(range(model.dim)):
        if i not in seen:
            seen.append(i)
    return seen


def gauges(model, jac):
    """:class:`~armsim.vision.spatial_calibration.Identifiability` of the Jacobian (R, D)
    of every parameter, and the held parameters (indices, one per null direction, chosen
    by :func:`preferred`)."""
    order = np.array(preferred(model))
    ident = identify(jac[:, order], [model.names[i] for i in order], tie=TIE)
    return ident, np.sort(order[ident.held])


@dataclass
class Result:
    """What :func:`calibrate` found; ``theta`` and ``sigma`` are (D,) in ``model.names``
    order (``sigma`` is 0 for a held parameter).  ``held``: the parameters not free in the
    stage whose values are given (stage 3's gauges; every kinematic parameter when the
    URDF's kinematics are kept, and then ``sigma``, ``noise_px`` and ``huber_px`` are
    stage 2's).  ``covariance`` (D, D): the free parameters' (``sigma`` its diagonal's
    root), 0 in a held parameter's row and column, NaN where ``sigma`` is; ``tool``: the
    tool's position uncertainty it gives (:class:`~armsim.vision.real.tool.ToolSigma`);
    ``behind``: ``{camera name: (corners, of its corners)}`` for each camera ``theta`` puts
    corners it sees nearer than :data:`~armsim.vision.real.model.NEAR` to (on or behind
    its plane: no calibration); ``far``: ``{camera name: (fitted, apparent)}`` for each
    camera ``theta`` puts over :data:`FAR` times farther from the corners it sees (their
    median depth [m]) than their size in its images says (:func:`apparent_depth` [m]): a
    camera that left the scene, where its corners all fall on one point; ``folded``:
    ``{camera name: (corners, of its corners, radius)}`` for each camera ``theta`` puts
    corners it sees in front of but farther off its axis than ``radius`` (normalised: the
    tangent of the angle), where its distortion turns back
    (:meth:`~armsim.vision.real.model.Model.folded`: no lens draws them there; no
    calibration either)."""

    model: object
    data: object
    theta: np.ndarray
    start: np.ndarray
    nominal_fit: np.ndarray
    start_poses: dict
    sigma: np.ndarray
    held: np.ndarray
    rank: int
    condition: float
    gauges: list
    rms_px_before: float
    rms_px_nominal: float
    rms_px_after: float
    noise_px: float
    huber_px: float
    outliers: np.ndarray
    converged: bool
    identified: bool
    rounds: int
    seconds: float
    residuals: np.ndarray = field(repr=False, default=None)
    start_residuals: np.ndarray = field(repr=False, default=None)
    deviation: object = None
    corner_noise_px: float = 0.0
    covariance: np.ndarray = field(repr=False, default=None)
    tool: object = None
    behind: dict = field(default_factory=dict)
    folded: dict = field(default_factory=dict)
    far: dict = field(default_factory=dict)


@dataclass
class Deviation:
    """The likelihood-ratio test of the kinematics against the URDF: ``statistic`` is the
    fall of the weighted squared residual, in units of the pixel noise variance estimated
    from stage 3's residual (``residual_dof`` degrees of freedom), from the nominal
    kinematics (stage 2) to the identified ones (stage 3); ``dof`` x F(``dof``,
    ``residual_dof``) when the URDF is right, ``dof`` the kinematic parameters identified.
    ``deviate``: above ``limit``, its (1 - :data:`SIGNIFICANCE`) quantile; otherwise the
    calibration keeps the URDF's kinematics (stage 2's answer)."""

    deviate: bool
    statistic: float
    dof: int
    limit: float
    residual_dof: int = 0


def chi2_quantile(dof, tail):
    """The chi-square quantile with ``dof`` degrees of freedom whose upper tail is ``tail``
    (Wilson and Hilferty's cube-root normal approximation, within 1 % from 10 degrees of
    freedom at 0.001)."""
    if dof <= 0:
        return 0.0
    z = _normal_quantile(1.0 - tail)
    a = 2.0 / (9.0 * dof)
    return float(dof * (1.0 - a + z * np.sqrt(a)) ** 3)


def _beta_fraction(a, b, x):
    """The continued fraction of the incomplete beta function (modified Lentz), good for
    ``x < (a + 1) / (a + b + 2)``."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def beta_upper(a, b, x):
    """``1 - I_x(a, b)``, the upper tail of the regularized incomplete beta function
    (a, b > 0, x in [0, 1]), by its continued fraction on the side where it converges."""
    if x <= 0.0:
        return 1.0
    if x >= 1.0:
        return 0.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return 1.0 - front * _beta_fraction(a, b, x) / a
    return front * _beta_fraction(b, a, 1.0 - x) / b


def f_quantile(d1, d2, tail):
    """The quantile of Fisher's F(``d1``, ``d2``) whose upper tail is ``tail``: the ``f``
    with ``P(F > f) = tail``, ``P(F > f) = 1 - I_x(d1/2, d2/2)`` at ``x = d1 f / (d1 f +
    d2)``; bisection on ``x`` (the tail falls as ``x`` grows)."""
    if d1 <= 0 or d2 <= 0:
        return 0.0
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if beta_upper(0.5 * d1, 0.5 * d2, mid) > tail:
            lo = mid
        else:
            hi = mid
    x = 0.5 * (lo + hi)
    return float(d2 * x / (d1 * (1.0 - x))) if x < 1.0 else math.inf


def _normal_quantile(p):
    """The standard normal quantile by bisection on math.erf (p in (0, 1))."""
    lo, hi = -10.0, 10.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _rms(r):
    return float(np.sqrt(np.mean(np.square(r)))) if r.size else 0.0


def _uncertainty(model, data, theta, free, fit):
    """The weighted residual ``r`` of ``fit`` at ``theta``, the sigma (D,) of the ``free``
    parameters (0 elsewhere), the pixel noise, the weighted residual's own RMS over its
    degrees of freedom and whether the free parameters' Jacobian has full rank with
    residual coordinates left over (if not, the sigmas are meaningless: with as many free
    parameters as coordinates the fit passes through every corner and its residual, 0,
    measures no noise)."""
    r, jac_free = model.residuals(theta, data.weighted(fit.weights), free)
    left = r.size - int(free.sum())
    spread = float(np.sqrt(r @ r / max(left, 1)))  # the weighted residual's own RMS
    noise = huber_scale(spread, fit.threshold)     # the pixel noise sigma it reads
    a = jac_free.T @ jac_free
    sigma = np.zeros(model.dim)
    covariance = np.zeros((model.dim, model.dim))
    s = np.linalg.svd(a / np.sqrt(np.outer(np.diag(a), np.diag(a)) + 1e-300),
                      compute_uv=False)
    full = bool(left > 0 and s[-1] > 1e-12 * s[0])
    if full:
        cov = noise ** 2 * np.linalg.inv(a)
        sigma[free] = np.sqrt(np.maximum(np.diag(cov), 0.0))
        covariance[np.ix_(free, free)] = cov
    else:
        covariance[np.ix_(free, free)] = np.nan
    return r, sigma, noise, spread, full, covariance


def apparent_depth(model, data):
    """``{camera index: depth [m]}``: the median depth of the markers each camera sees whole
    as their size in its images says, on the setup's intrinsics (nothing fitted): each
    marker's 4 corners undistorted, the area ``a`` of their quadrilateral in normalised
    coordinates, and its side over ``sqrt(a)`` (a square facing the camera; one turned by
    ``t`` from it reads ``1 / sqrt(cos t)`` times farther)."""
    key = np.stack([data.pose, data.camera, data.marker], axis=1)
    groups, which = np.unique(key, axis=0, return_inverse=True)
    which = np.ravel(which)
    uv = np.full((len(groups), 4, 2), np.nan)
    uv[which, data.corner] = data.uv
    whole = np.bincount(which, minlength=len(groups)) == 4
    out = {}
    for c, cam in enumerate(model.cameras):
        mine = whole & (groups[:, 1] == c)
        if not mine.any():
            continue
        f, centre = np.array([cam.fx, cam.fy]), np.array([cam.cx, cam.cy])
        size = np.array([m.size for m in model.markers])[groups[mine, 2]]
        with np.errstate(all="ignore"):     # (a corner no lens draws: not finite, dropped)
            xy = undistort((uv[mine] - centre) / f, cam.distortion)
            x, y = xy[..., 0], xy[..., 1]
            area = 0.5 * np.abs(np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y,
                                       axis=1))
            z = size / np.sqrt(area)
        z = z[np.isfinite(z)]
        if z.size:
            out[c] = float(np.median(z))
    return out


def calibrate(model, data, source="observations", max_rounds=200):
    """Calibrate ``model`` on ``data`` (:class:`~armsim.vision.real.model.Data`): a
    :class:`Result` (stages in the module's docstring)."""
    t0 = time.perf_counter()
    start, poses = hand_eye(model, data, source)
    plain = data.weighted(np.ones(2 * len(data)))
    r_start, _ = model.residuals(start, plain)
    # stage 2: the cameras' and markers' poses, kinematics and intrinsics at nominal
    free = np.zeros(model.dim, bool)
    for at in list(model.marker_at.values()) + list(model.camera_at.values()):
        free[at:at + 6] = True
    for at in model.intrinsics_at.values():          # the intrinsics asked for
        free[at:at + len(INTRINSICS)] = True
    fit = lm(model, data, start, free, max_rounds)
    nominal_fit, rounds = fit.theta, fit.rounds
    stage2 = (fit, free)
    r_nominal, _ = model.residuals(nominal_fit, plain)
    # stage 3: everything, one parameter held per null direction
    everything = np.ones(model.dim, bool)
    _, jac = model.residuals(nominal_fit, plain, everything)
    ident, held = gauges(model, jac)
    theta = nominal_fit
    for _stage in range(3):
        free = np.ones(model.dim, bool)
        free[held] = False
        fit = lm(model, data, theta, free, max_rounds)
        theta, rounds = fit.theta, rounds + fit.rounds
        _, jac = model.residuals(theta, plain, everything)
        again, held_again = gauges(model, jac)
        if again.deficit >= len(held):
            ident = again
            break
        ident, held = again, held_again
    r, sigma, noise, spread, full, cov = _uncertainty(model, data, theta, free, fit)
    identified = full and ident.deficit == len(held)
    if not identified:
        sigma[free] = np.nan
        cov[np.ix_(free, free)] = np.nan
    dof = max(r.size - int(free.sum()), 0)      # (0: no noise measured; not identified)
    # do the data show the kinematics deviate from the URDF?  The likelihood ratio of the
    # two fits, on the same weights, over the variance estimated with dof degrees of
    # freedom: k F(k, dof) when the URDF is right
    k = int(free[:model.kinematic].sum())
    r2, _ = model.residuals(nominal_fit, data.weighted(fit.weights))
    statistic = float((r2 @ r2 - r @ r) / max(spread, 1e-12) ** 2)
    limit = k * f_quantile(k, max(dof, 1), SIGNIFICANCE)
    deviate = bool(statistic > limit) if k else False
    mask = np.zeros(model.dim, bool)
    mask[held] = True
    threshold = fit.threshold
    unseen = None
    if not deviate:               # the nominal kinematics explain the data: keep them,
        # (how far off the tool may be with no deviation these data could show: the tool's
        # sigma of the fit that freed them)
        unseen = tool_sigma(model, theta, cov, data.readings).sigma_mm
        theta = nominal_fit       # with stage 2's cameras and markers, their sigmas and
        fit, free = stage2        # noise, and the kinematics held (sigma 0)
        _, sigma, noise, _, full, cov = _uncertainty(model, data, theta, free, fit)
        if not full:
            sigma[free] = np.nan
        mask, threshold = ~free, fit.threshold
    r_after, _ = model.residuals(theta, plain)
    _, depth = model.predict(theta, data)
    behind = {}
    for c, cam in enumerate(model.cameras):       # (a start past the markers stays there)
        mine = data.camera == c
        if np.any(depth[mine] <= NEAR):
            behind[cam.name] = (int(np.sum(depth[mine] <= NEAR)), int(np.sum(mine)))
    far, apparent = {}, apparent_depth(model, data)
    for c, cam in enumerate(model.cameras):       # (a start past its markers that escaped
        mine = (data.camera == c) & (depth > NEAR)          # to thousands of km)
        if c in apparent and cam.name not in behind and np.any(mine):
            fitted = float(np.median(depth[mine]))
            if fitted > FAR * apparent[c]:
                far[cam.name] = (fitted, apparent[c])
    folded, past = {}, model.folded(theta, data)
    for c, cam in enumerate(model.cameras):       # (a start turned away, or a distortion
        mine = data.camera == c                   # that turns back inside the image)
        if np.any(past[mine]):
            folded[cam.name] = (int(np.sum(past[mine])), int(np.sum(mine)),
                                math.sqrt(model.fold(theta, cam)))
    corner = np.hypot(*r_after.reshape(-1, 2).T)
    outliers = np.flatnonzero(corner > OUTLIER * max(robust_sigma(r_after), 1e-9))
    tool = tool_sigma(model, theta, cov, data.readings)
    if tool.link is not None:
        tool.unseen_mm = unseen
    return Result(model, data, theta, start, nominal_fit, poses, sigma, mask, ident.rank,
                  float(ident.condition), list(ident.directions), _rms(r_start),
                  _rms(r_nominal), _rms(r_after), noise, threshold, outliers,
                  bool(fit.converged), identified, rounds, time.perf_counter() - t0,
                  r_after, r_start, Deviation(deviate, statistic, k, limit, dof),
                  corner_noise(model, data), cov, tool, behind, folded, far)
