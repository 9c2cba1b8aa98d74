"""``report.json`` of a real calibration: what was identified, how well, and from what.

:func:`build_report` turns a :class:`~armsim.vision.real.identify.Result` into plain JSON
data; docs/calibrate_report.schema.json is its JSON Schema (tests/test_real_identify.py
validates a produced report against it).  The keys:

* ``cameras``: ``{name: {"world_from_camera": 4x4, "fx", "fy", "cx", "cy", "distortion"}}``
  for a fixed camera, ``{"link": ..., "link_from_camera": 4x4, ...}`` for one on a link;
* ``markers``: ``{"<id>": {"link": ..., "link_from_marker": 4x4}}``;
* ``start``: the same two blocks as OpenCV's hand-eye methods gave them on the nominal
  kinematics (the baseline of the benchmark);
* ``joints``: ``{name: {"xyz", "rpy", "zero_offset"}}``, the identified origins (as the
  calibrated URDF writes them before folding the offsets in);
* ``parameters``: ``[{"name", "value", "sigma", "held"}]`` (``sigma`` 0 for a held
  parameter, null when the free parameters are not all identifiable);
* ``rms_px_before`` (at the hand-eye start), ``rms_px_nominal`` (cameras and markers
  refined, kinematics nominal), ``rms_px_after``; ``noise_px`` (the measured pixel noise
  the sigmas use), ``huber_px`` (the Huber threshold), ``outlier_px``; ``corner_noise_px``
  (the corners' own scatter, each marker in each image fitted by a pose of its own:
  :func:`armsim.vision.real.handeye.corner_noise`);
* ``rank``, ``dim``, ``condition``, ``gauges`` (the null directions, named), ``held``;
* ``detections``: one entry per image, as :func:`armsim.vision.real.detect.detect_images`
  reports it (or built from ``obs.csv``); ``outliers``: the corners flagged;
* ``kinematics``: the likelihood-ratio test of the kinematics against the URDF
  (:class:`~armsim.vision.real.identify.Deviation`: ``deviate``, ``statistic``, ``dof``,
  ``residual_dof``, ``limit``, ``significance``); when they do not deviate, the URDF's are kept;
* ``converged``, ``identified``, ``rounds``, ``seconds``, ``poses``, ``corners``;
* ``by_camera``: ``{name: {"corners", "rms_px", "outliers"}}``, each camera's own fit
  (``rms_px`` per coordinate, as ``rms_px_after``): a camera whose setup is wrong (its focal
  length, its distortion) fits worse than the others (:func:`by_camera`);
* ``tool``: ``{"link", "sigma_mm", "max_mm", "poses", "unseen_mm", "limit_mm"}``, the tool's
  predicted 1-sigma position uncertainty [mm], the parameters' covariance carried to the
  link a marker (or camera) is on (:func:`armsim.vision.real.tool.tool_sigma`: RMS and
  largest over ``poses`` poses, the calibration's and a fixed sample within the joint
  limits; null when not identified); ``unseen_mm``, when the URDF's kinematics are kept,
  the ``sigma_mm`` of the fit that freed them (how far off the tool may be with no
  deviation these data could show; null otherwise, or when not identified); and the
  largest accepted (``armsim calibrate --max-tool-sigma``).
"""

from __future__ import annotations

import numpy as np

from armsim.vision.real.identify import OUTLIER, SIGNIFICANCE, robust_sigma
from armsim.vision.real.tool import MAX_TOOL_SIGMA_MM

__all__ = ["build_report", "observation_detections", "by_camera", "REPORT_KEYS"]

REPORT_KEYS = ("cameras", "markers", "start", "joints", "parameters", "rms_px_before",
               "rms_px_nominal", "rms_px_after", "noise_px", "huber_px", "outlier_px",
               "corner_noise_px", "rank", "dim", "condition", "gauges", "held", "detections",
               "outliers", "kinematics", "converged", "identified", "rounds", "seconds",
               "poses", "corners", "by_camera", "tool")


def _matrix(T):
    return [[float(x) for x in row] for row in np.asarray(T, float)]


def _cameras(model, theta, poses=None):
    out = {}
    for cam in model.cameras:
        fx, fy, cx, cy, d = model.intrinsics(np.asarray(theta, float), cam)
        T = model.pose_matrix(theta, cam.name) if poses is None else poses[cam.name]
        entry = {}
        if cam.link is None:
            entry["world_from_camera"] = _matrix(T)
        else:
            entry["link"] = cam.link
            entry["link_from_camera"] = _matrix(T)
        entry.update(fx=float(fx), fy=float(fy), cx=float(cx), cy=float(cy),
                     distortion=[float(x) for x in d])
        out[cam.name] = entry
    return out


def _markers(model, theta, poses=None):
    return {str(m.id): {"link": m.link,
                        "link_from_marker": _matrix(model.pose_matrix(theta, m.id)
                                                    if poses is None else poses[m.id])}
            for m in model.markers}


def observation_detections(observations, setup, poses):
    """Per-image entries (as detect_images reports them) for corners read from ``obs.csv``:
    one for each camera and pose of ``joints.csv``."""
    seen = {}
    for p, c, m in zip(observations.pose, observations.camera, observations.marker):
        seen.setdefault((c, p), set()).add(int(m))
    wanted = set(setup.marker_ids)
    out = []
    for cam in setup.camera_names:
        for pose in poses:
            got = seen.get((cam, pose), set())
            out.append({"camera": cam, "pose": pose, "image": None, "size": None,
                        "seen": sorted(got), "missing": sorted(wanted - got), "twice": [],
                        "unrefined": [], "other": [], "error": None})
    return out


def _finite(x):
    x = float(x)
    return x if np.isfinite(x) else None


def build_report(result, detections, max_tool_sigma_mm=MAX_TOOL_SIGMA_MM):
    """The report (a dict of plain JSON data) of ``result``; ``detections`` is the list of
    per-image entries; ``max_tool_sigma_mm`` the tool sigma accepted (``tool.limit_mm``)."""
    model, data, theta = result.model, result.data, result.theta
    names = model.names
    params = []
    for i, name in enumerate(names):
        sigma = 0.0 if result.held[i] else _finite(result.sigma[i])
        params.append({"name": name, "value": float(theta[i]), "sigma": sigma,
                       "held": bool(result.held[i])})
    joints = {}
    for j in model.joints:
        xyz, rpy, d = model.joint_origin(theta, j)
        joints[j] = {"xyz": [float(v) for v in xyz], "rpy": [float(v) for v in rpy],
                     "zero_offset": float(d)}
    cams = [c.name for c in model.cameras]
    ids = [m.id for m in model.markers]
    r = result.residuals.reshape(-1, 2)
    outliers = [{"pose": data.poses[data.pose[i]], "camera": cams[data.camera[i]],
                 "marker": int(ids[data.marker[i]]), "corner": int(data.corner[i]),
                 "residual_px": [float(r[i, 0]), float(r[i, 1])]} for i in result.outliers]
    start_poses = result.start_poses
    report = {
        "cameras": _cameras(model, theta),
        "markers": _markers(model, theta),
        "start": {"cameras": _cameras(model, result.start, start_poses),
                  "markers": _markers(model, result.start, start_poses)},
        "joints": joints,
        "parameters": params,
        "rms_px_before": result.rms_px_before,
        "rms_px_nominal": result.rms_px_nominal,
        "rms_px_after": result.rms_px_after,
        "noise_px": result.noise_px,
        "huber_px": result.huber_px,
        "outlier_px": OUTLIER * robust_sigma(result.residuals),
        "corner_noise_px": float(result.corner_noise_px),
        "rank": int(result.rank),
        "dim": int(model.dim),
        "condition": _finite(result.condition),
        "gauges": list(result.gauges),
        "held": [names[i] for i in np.flatnonzero(result.held)],
        "detections": list(detections),
        "outliers": outliers,
        "kinematics": {"deviate": bool(result.deviation.deviate),
                       "statistic": _finite(result.deviation.statistic),
                       "dof": int(result.deviation.dof),
                       "residual_dof": int(result.deviation.residual_dof),
                       "limit": float(result.deviation.limit),
                       "significance": SIGNIFICANCE},
        "converged": bool(result.converged),
        "identified": bool(result.identified),
        "rounds": int(result.rounds),
        "seconds": float(result.seconds),
        "poses": len(data.poses),
        "corners": len(data),
        "by_camera": by_camera(result),
        "tool": {"link": result.tool.link, "sigma_mm": _finite(result.tool.sigma_mm),
                 "max_mm": _finite(result.tool.max_mm), "poses": int(result.tool.poses),
                 "unseen_mm": (None if result.tool.unseen_mm is None
                               else _finite(result.tool.unseen_mm)),
                 "limit_mm": float(max_tool_sigma_mm)},
    }
    return report


def by_camera(result):
    """``{camera name: {"corners", "rms_px", "outliers"}}`` of a calibration's residuals at
    its answer: each camera's corners, their RMS per coordinate [px] and how many of them
    were flagged outliers."""
    data, cams = result.data, [c.name for c in result.model.cameras]
    r = np.asarray(result.residuals, float).reshape(-1, 2)
    flagged = np.bincount(np.asarray(data.camera)[np.asarray(result.outliers, dtype=int)],
                          minlength=len(cams))
    out = {}
    for c, name in enumerate(cams):
        rows = np.flatnonzero(np.asarray(data.camera) == c)
        out[name] = {"corners": int(rows.size),
                     "rms_px": float(np.sqrt(np.mean(r[rows] ** 2))) if rows.size else 0.0,
                     "outliers": int(flagged[c])}
    return out
