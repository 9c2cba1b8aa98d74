"""How well a calibration places the tool: its parameters' covariance carried to a link.

The solve's covariance of the free parameters, ``s^2 (J^T W J)^-1`` (the Cramér-Rao bound
whose diagonal gives the report's sigmas: :mod:`armsim.vision.real.identify`), is carried
to the position of a link's origin in the URDF's root frame by the link's Jacobian with
respect to the kinematic parameters (forward mode, :meth:`Model.link_poses
<armsim.vision.real.model.Model.link_poses>` on :class:`~armsim.ad.dual.Dual` numbers): at a
pose, ``Sigma = J_p C J_p^T`` (3 x 3), and the pose's 1-sigma position uncertainty is
``sqrt(trace Sigma)``, the RMS length of the position error the noise leaves.  A held
parameter (a gauge, or every kinematic parameter when the URDF's kinematics are kept) has
no variance and contributes nothing; the markers' and cameras' poses do not move a link.

The tool is the link a marker or an eye-in-hand camera is fixed to, among those a joint
moves, whose uncertainty is the largest (on an arm with one marker on its flange: the
flange).  Its figure is the RMS of the per-pose uncertainty over the calibration's own
poses and :data:`SAMPLES` poses drawn uniformly within the joint limits (seeded with
:data:`SEED`, the same every run: a continuous joint over one turn), so that a
calibration whose poses pin the arm down only where they were taken is not read as good
everywhere (:func:`tool_sigma`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from armsim.ad import dual as ad

__all__ = ["ToolSigma", "tool_sigma", "tool_links", "position_sigma", "sample_readings",
           "SAMPLES", "SEED", "MAX_TOOL_SIGMA_MM"]

SAMPLES = 200           # poses drawn within the joint limits, besides the calibration's
SEED = 0                # their seed: the same poses every run
#: the largest tool sigma [mm] of a calibration to be trusted (``armsim calibrate
#: --max-tool-sigma``): the benchmark's uncalibrated Panda (origins 1-2 mm, offsets 5-10
#: mrad off) places its tool 5.6 mm off on average, and a calibration less sure than that is
#: not expected to beat the URDF; there 10 and 30 poses give at most 3.3 and 1.0 mm, 4 and
#: 5 poses 52 mm or more (docs/calibrate_real.md)
MAX_TOOL_SIGMA_MM = 5.0


@dataclass
class ToolSigma:
    """The tool's 1-sigma position uncertainty [mm]: ``sigma_mm`` the RMS over ``poses``
    poses (the calibration's and the drawn ones), ``max_mm`` the largest; ``link`` the
    tool's link (None when no joint moves a marker or camera: then 0).  NaN when the free
    parameters are not all identified.  ``unseen_mm``: when the URDF's kinematics are kept
    (held: ``sigma_mm`` 0), the ``sigma_mm`` the fit that freed them gave, how far off the
    tool may be with no deviation the data could show; else None."""

    link: object
    sigma_mm: float
    max_mm: float
    poses: int
    unseen_mm: object = None


def tool_links(model):
    """The links carrying a marker or an eye-in-hand camera that a calibrated joint moves,
    in the model's order."""
    moved = set()
    for j, at, _ in model.steps:
        if at is not None or j.parent in moved:
            moved.add(j.child)
    links = [m.link for m in model.markers] + [c.link for c in model.cameras if c.link]
    out = []
    for link in links:
        if link in moved and link not in out:
            out.append(link)
    return out


def sample_readings(model, count=SAMPLES, seed=SEED):
    """``count`` readings (count, J) in ``joints.csv``'s columns, uniform within each
    joint's URDF limits (a joint without finite limits: one turn about 0)."""
    robot = model.robot
    lo, hi = [], []
    for name in model.joint_names:
        low, high = robot.limits[robot.joint_names.index(name)]
        if not (np.isfinite(low) and np.isfinite(high)):
            low, high = -math.pi, math.pi
        lo.append(low)
        hi.append(high)
    return np.random.default_rng(seed).uniform(lo, hi, (count, len(lo)))


def position_sigma(model, theta, covariance, readings, link):
    """The 1-sigma position uncertainty [m] (P,) of ``link``'s origin at ``readings`` (P, J),
    ``sqrt(trace(J_p C J_p^T))`` over the kinematic parameters with a variance in
    ``covariance`` (D, D); NaN where it is not finite."""
    readings = np.asarray(readings, float)
    kin = np.arange(model.kinematic)
    var = np.diag(covariance)[kin]
    use = kin[~(var == 0.0)]               # (a NaN variance is kept: it spoils the figure)
    if not use.size:
        return np.zeros(len(readings))
    C = covariance[np.ix_(use, use)]
    p = model.link_poses(ad.Dual.variables_of(np.asarray(theta, float), use), readings)[link][1]
    J = p.tangent                                                # (P, 3, F)
    var_p = np.einsum("pif,fg,pig->p", J, C, J)
    return np.sqrt(np.maximum(var_p, 0.0)) if np.all(np.isfinite(var_p)) else \
        np.full(len(readings), np.nan)


def tool_sigma(model, theta, covariance, readings, samples=SAMPLES, seed=SEED):
    """:class:`ToolSigma` of a calibration: ``theta`` and ``covariance`` its parameters
    and their covariance, ``readings`` (P, J) its poses (module's docstring)."""
    links = tool_links(model)
    if not links:
        return ToolSigma(None, 0.0, 0.0, 0)
    poses = np.vstack([np.asarray(readings, float).reshape(-1, len(model.joint_names)),
                       sample_readings(model, samples, seed)])
    best = None
    for link in links:
        s = 1e3 * position_sigma(model, theta, covariance, poses, link)
        figure = ToolSigma(link, float(np.sqrt(np.mean(s ** 2))), float(np.max(s)), len(s))
        if best is None or not (figure.sigma_mm <= best.sigma_mm          # (NaN wins,
                                or math.isnan(best.sigma_mm)):            # and stays)
            best = figure
    return best
