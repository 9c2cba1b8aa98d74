"""The start of a real calibration: OpenCV's hand-eye solution on the nominal kinematics.

1. Each marker in each image: its pose in the camera, ``cv2.solvePnP`` with
   ``SOLVEPNP_IPPE_SQUARE`` (the marker's corners in OpenCV's ArUco order,
   :func:`armsim.vision.real.model.corner_points`) on the camera's known intrinsics.
2. A camera fixed in the world (eye-to-hand; or on a link no joint moves, the base)
   watching a marker on a moving link:
   ``cv2.calibrateRobotWorldHandEye`` (Shah's and Li's methods, the one that reprojects
   the corners best) on ``camera_from_marker_i  marker_from_link =
   camera_from_world  world_from_link_i`` (OpenCV's ``cTw wTb = cTg gTb`` with the marker
   as its "world" and the link as its "gripper"), ``world_from_link_i`` the nominal forward
   kinematics of the readings: gives world_from_camera and link_from_marker.
   A camera on a link (eye-in-hand) watching a marker on a link no joint moves:
   ``cv2.calibrateHandEye`` (Tsai, Park, Horaud, Andreff, Daniilidis: the best
   reprojection) gives link_from_camera, and the marker's pose is the mean of
   ``world_from_link_i link_from_camera camera_from_marker_i``.
   A marker seen by several cameras takes the estimate of the camera that saw it most.
   A fixed marker seen by a fixed camera is placed from that camera's pose.

OpenCV is imported when called (:func:`armsim.vision.real.detect.opencv`).  The poses are
those of the nominal kinematics: this is the baseline of armsim's calibration (OpenCV's
hand-eye methods assume the arm is exact).
"""

from __future__ import annotations

import numpy as np

from armsim.vision.real.errors import DataError
from armsim.vision.real.model import corner_points

__all__ = ["marker_poses", "hand_eye", "mean_pose", "invert", "corner_noise"]

MIN_VIEWS = 3          # hand-eye needs at least 3 poses (2 motions)


def invert(T):
    """The inverse of a rigid transform (4, 4)."""
    out = np.eye(4)
    out[:3, :3] = T[:3, :3].T
    out[:3, 3] = -T[:3, :3].T @ T[:3, 3]
    return out


def mean_pose(Ts):
    """The mean of rigid transforms (k, 4, 4): the positions averaged, the rotations
    averaged and projected back on a rotation (SVD)."""
    Ts = np.asarray(Ts, float)
    U, _, Vt = np.linalg.svd(Ts[:, :3, :3].sum(axis=0))
    R = U @ np.diag([1.0, 1.0, np.linalg.det(U @ Vt)]) @ Vt
    out = np.eye(4)
    out[:3, :3], out[:3, 3] = R, Ts[:, :3, 3].mean(axis=0)
    return out


def _unplaced(model, data, seen, c, moved):
    """``"; marker 3 is seen in 12 poses, but ... placed it ... in 0 (check ...)"`` for the
    marker the camera ``c`` saw in the most poses, when it saw it in enough but
    ``cv2.solvePnP`` placed it in too few (intrinsics far off: fx = 1), else ``""``."""
    cam = model.cameras[c]
    best = (0, 0, None)
    for k, marker in enumerate(model.markers):
        if (cam.link is None) != moved[marker.link]:
            continue                    # (not a pair the hand-eye start can use)
        rows = (data.camera == c) & (data.marker == k)
        views = len(set(data.pose[rows].tolist()))
        placed = sum(1 for key in seen if key[1] == c and key[2] == k)
        best = max(best, (views, -placed, marker.id))
    views, placed, mid = best
    if views < MIN_VIEWS:
        return ""
    return (f"; marker {mid} is seen in {views} poses, but OpenCV's solvePnP placed it on "
            f"this camera's intrinsics in {-placed} (check its fx, fy, cx, cy and distortion)")


def marker_poses(model, data):
    """``{(pose index, camera index, marker index): camera_from_marker (4, 4)}`` by
    ``cv2.solvePnP`` (IPPE_SQUARE) of every marker seen, on each camera's intrinsics."""
    from armsim.vision.real.detect import opencv
    cv2 = opencv()
    groups = {}
    for i, key in enumerate(zip(data.pose, data.camera, data.marker)):
        groups.setdefault(tuple(int(k) for k in key), np.zeros((4, 2)))[data.corner[i]] = \
            data.uv[i]
    out = {}
    for (p, c, m), uv in groups.items():
        cam = model.cameras[c]
        K = np.array([[cam.fx, 0.0, cam.cx], [0.0, cam.fy, cam.cy], [0.0, 0.0, 1.0]])
        ok, rvec, tvec = cv2.solvePnP(corner_points(model.markers[m].size), uv, K,
                                      np.asarray(cam.distortion, float),
                                      flags=cv2.SOLVEPNP_IPPE_SQUARE)
        if not ok:
            continue
        T = np.eye(4)
        T[:3, :3] = cv2.Rodrigues(rvec)[0]
        T[:3, 3] = np.ravel(tvec)
        out[(p, c, m)] = T
    return out


def corner_noise(model, data):
    """The corners' own scatter [px per coordinate]: each marker seen in an image fitted by
    a pose of its own (``cv2.solvePnP``, IPPE_SQUARE, then ``cv2.solvePnPRefineLM``) on its
    camera's intrinsics, and the RMS of the reprojection residuals over the degrees of
    freedom left (8 coordinates - 6 pose parameters = 2 per marker seen).  Nothing of the
    arm, its joints or the cameras' poses enters, so it is the detection noise that a
    calibration's own residual cannot go much below; 0.0 when no marker could be fitted."""
    from armsim.vision.real.detect import opencv
    cv2 = opencv()
    groups = {}
    for i, key in enumerate(zip(data.pose, data.camera, data.marker)):
        groups.setdefault(tuple(int(k) for k in key), np.zeros((4, 2)))[data.corner[i]] = \
            data.uv[i]
    total, dof = 0.0, 0
    for (_, c, m), uv in groups.items():
        cam = model.cameras[c]
        K = np.array([[cam.fx, 0.0, cam.cx], [0.0, cam.fy, cam.cy], [0.0, 0.0, 1.0]])
        dist = np.asarray(cam.distortion, float)
        X = corner_points(model.markers[m].size)
        ok, rvec, tvec = cv2.solvePnP(X, uv, K, dist, flags=cv2.SOLVEPNP_IPPE_SQUARE)
        if not ok:
            continue
        rvec, tvec = cv2.solvePnPRefineLM(X, uv, K, dist, rvec, tvec)
        got, _ = cv2.projectPoints(X, rvec, tvec, K, dist)
        r = got.reshape(-1, 2) - uv
        if np.all(np.isfinite(r)):
            total += float(np.sum(r * r))
            dof += 2
    return float(np.sqrt(total / dof)) if dof else 0.0


def _link_pose(frames, link, p):
    R, t = frames[link]
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R[p], t[p]
    return T


def _rms(model, data, keys, c, k, camera_from_marker):
    """RMS reprojection error [px] of marker ``k`` in camera ``c`` over the images
    ``keys`` for the poses ``camera_from_marker`` (one per key)."""
    cam = model.cameras[c]
    corners = corner_points(model.markers[k].size)
    # the rows of each pose, in file order (grouped once: a mask per image was quadratic
    # in the poses, 67 s for 24,000)
    mine = np.flatnonzero((data.camera == c) & (data.marker == k))
    mine = mine[np.argsort(data.pose[mine], kind="stable")]
    pose_of = data.pose[mine]
    err = []
    for key, T in zip(keys, camera_from_marker):
        Xc = corners @ T[:3, :3].T + T[:3, 3]
        uv, _ = model.project(model.nominal, cam, Xc)
        rows = mine[np.searchsorted(pose_of, key[0], "left"):
                    np.searchsorted(pose_of, key[0], "right")]
        err.append(uv[data.corner[rows]] - data.uv[rows])
    return float(np.sqrt(np.mean(np.square(np.concatenate(err)))))


def _matrix(R, t):
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, np.ravel(t)
    return T


_NO_POSE = ("no hand-eye method gave a finite pose: the poses must turn the marker (or the "
            "camera) about at least two different axes, and the cameras' intrinsics be right")


def _robot_world(cv2, model, data, keys, A, B, c, k):
    """``calibrateRobotWorldHandEye`` by each of OpenCV's methods (Shah, Li); the one whose
    poses reproject the corners best: (marker_from_link, camera_from_world)."""
    best = None
    for method in (cv2.CALIB_ROBOT_WORLD_HAND_EYE_SHAH, cv2.CALIB_ROBOT_WORLD_HAND_EYE_LI):
        try:
            Rx, tx, Rz, tz = cv2.calibrateRobotWorldHandEye(
                [a[:3, :3] for a in A], [a[:3, 3:4] for a in A],
                [b[:3, :3] for b in B], [b[:3, 3:4] for b in B], method=method)
        except cv2.error:       # degenerate motions (one axis): OpenCV's own assertion
            continue
        X, Z = _matrix(Rx, tx), _matrix(Rz, tz)
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Z))):
            continue
        rms = _rms(model, data, keys, c, k, [Z @ b @ invert(X) for b in B])
        if best is None or rms < best[0]:
            best = (rms, X, Z)
    if best is None:
        raise np.linalg.LinAlgError(_NO_POSE)
    return best[1], best[2]


def _hand_eye(cv2, model, data, keys, A, B, c, k):
    """``calibrateHandEye`` by each of OpenCV's methods (Tsai, Park, Horaud, Andreff,
    Daniilidis); the one whose poses reproject the corners best: link_from_camera."""
    best = None
    for method in (cv2.CALIB_HAND_EYE_TSAI, cv2.CALIB_HAND_EYE_PARK, cv2.CALIB_HAND_EYE_HORAUD,
                   cv2.CALIB_HAND_EYE_ANDREFF, cv2.CALIB_HAND_EYE_DANIILIDIS):
        try:
            R, t = cv2.calibrateHandEye([b[:3, :3] for b in B], [b[:3, 3:4] for b in B],
                                        [a[:3, :3] for a in A], [a[:3, 3:4] for a in A],
                                        method=method)
        except cv2.error:       # degenerate motions (one axis): OpenCV's own assertion
            continue
        X = _matrix(R, t)
        if not np.all(np.isfinite(X)):
            continue
        world = mean_pose([b @ X @ a for a, b in zip(A, B)])      # world_from_marker
        rms = _rms(model, data, keys, c, k, [invert(b @ X) @ world for b in B])
        if best is None or rms < best[0]:
            best = (rms, X)
    if best is None:
        raise np.linalg.LinAlgError(_NO_POSE)
    return best[1]


def _degenerate(method, model, cam, marker):
    """``method`` whose failure (no finite pose: the poses' motions are degenerate) is a
    :class:`DataError` naming ``joints.csv`` (the model's source), the camera and the
    marker."""
    def run(*args):
        try:
            return method(*args)
        except np.linalg.LinAlgError:
            raise DataError(getattr(model, "source", "joints.csv"),
                            f"camera {cam.name!r}, marker {marker.id}", _NO_POSE) from None
    return run


def hand_eye(model, data, source="observations"):
    """The start: the model's nominal parameters with every camera's and marker's pose
    from OpenCV's hand-eye methods (see the module's docstring).  Returns ``(theta,
    poses)``: ``poses`` maps each camera name and marker id to its (4, 4) as OpenCV gave it
    (``world_from_camera`` or ``link_from_camera``; ``link_from_marker``)."""
    from armsim.vision.real.detect import opencv
    cv2 = opencv()
    theta = model.nominal.copy()
    frames = model.link_poses(theta, data.readings)
    seen = marker_poses(model, data)
    moved = {m.link: bool(model.robot.path(m.link)[1]) for m in model.markers}
    for c in model.cameras:
        if c.link is not None:
            moved[c.link] = bool(model.robot.path(c.link)[1])
    cams, marks = {}, {}          # name -> T; id -> (views, T)

    def fixed(cam):               # in the world, or on a link no joint moves (the base)
        return cam.link is None or not moved[cam.link]

    def from_world(cam, T):       # world_from_camera -> the camera's pose parameters
        return T if cam.link is None else invert(_link_pose(frames, cam.link, 0)) @ T

    def to_world(cam, T):         # the inverse of from_world
        return T if cam.link is None else _link_pose(frames, cam.link, 0) @ T

    order = sorted(range(len(model.cameras)), key=lambda c: not fixed(model.cameras[c]))
    for c in order:
        cam = model.cameras[c]
        best = None
        for k, marker in enumerate(model.markers):
            keys = sorted(key for key in seen if key[1] == c and key[2] == k)
            if fixed(cam) and moved[marker.link]:
                if len(keys) < MIN_VIEWS:
                    continue
                A = [seen[key] for key in keys]                      # camera_from_marker
                B = [_link_pose(frames, marker.link, key[0]) for key in keys]  # world_from_link
                X, Z = _degenerate(_robot_world, model, cam, marker)(
                    cv2, model, data, keys, A, B, c, k)
                if best is None or len(keys) > best[0]:
                    best = (len(keys), from_world(cam, invert(Z)))
                if marker.id not in marks or len(keys) > marks[marker.id][0]:
                    marks[marker.id] = (len(keys), invert(X))
            elif not fixed(cam) and not moved[marker.link]:
                if len(keys) < MIN_VIEWS:
                    continue
                A = [seen[key] for key in keys]
                B = [_link_pose(frames, cam.link, key[0]) for key in keys]   # world_from_link
                X = _degenerate(_hand_eye, model, cam, marker)(       # link_from_camera
                    cv2, model, data, keys, A, B, c, k)
                if best is None or len(keys) > best[0]:
                    best = (len(keys), X)
                Ml = _link_pose(frames, marker.link, 0)
                world = mean_pose([b @ X @ a for a, b in zip(A, B)])
                if marker.id not in marks or len(keys) > marks[marker.id][0]:
                    marks[marker.id] = (len(keys), invert(Ml) @ world)
        if best is None:
            what = "a marker on a moving link" if fixed(cam) else \
                "a marker on a link no joint moves"
            raise DataError(source, f"camera {cam.name!r}", f"the hand-eye start needs "
                            f"{what} seen in at least {MIN_VIEWS} poses by this camera"
                            + _unplaced(model, data, seen, c, moved))
        cams[cam.name] = best[1]
    # fixed markers seen by fixed cameras: placed from the camera's pose
    for k, marker in enumerate(model.markers):
        if marker.id in marks:
            continue
        for c, cam in enumerate(model.cameras):
            keys = [key for key in seen if key[1] == c and key[2] == k]
            if fixed(cam) and not moved[marker.link] and keys:
                Ml = _link_pose(frames, marker.link, 0)
                marks[marker.id] = (len(keys), invert(Ml) @ mean_pose(
                    [to_world(cam, cams[cam.name]) @ seen[key] for key in keys]))
                break
        else:
            views = sum(1 for key in seen if key[2] == k)
            raise DataError(source, f"marker {marker.id}", (
                "seen in no image; take it out of the setup, or add images where it is seen"
                if not views else
                f"seen in {views} image(s), too few to place it: the hand-eye start needs "
                f"it in at least {MIN_VIEWS} poses of one camera"))
    poses = dict(cams)
    for mid, (_, T) in marks.items():
        poses[mid] = T
    for key, T in poses.items():
        model.set_pose(theta, key, T)
    return theta, poses
