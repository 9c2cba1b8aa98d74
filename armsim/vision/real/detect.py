"""Markers in image files: OpenCV's ArUco detector, then corners without bias.

The only module of armsim that imports OpenCV (``cv2``, from the ``vision`` extra:
``pip install armsim[vision]``), and only when a function here is called.  Each marker
the detector finds is refined by :func:`armsim.vision.real.corners.refine_corners` (lines
fitted to its edges), not by OpenCV's ``cornerSubPix``, which pulls corners toward the
marker's centre (bench/marker_corners.py).

Images are ``DIR/<camera>/<pose>.png`` (or ``.jpg``/``.jpeg``), 8-bit grey or colour.  An
image with transparency (RGBA, grey and alpha, a palette's transparent colour) is read as it
looks, composited over white (:func:`_over_white`).
:func:`detect_images` reports per image the markers seen, the markers of the setup not seen,
markers seen twice (both copies dropped), markers whose edges could not be measured (dropped)
and images that cannot be read; none of these is fatal unless no corner is left at all.
A camera folder the setup does not name, an image of a pose ``joints.csv`` does not name, or
an image of the wrong size is a :class:`~armsim.vision.real.errors.DataError`.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from armsim.files import InputError, read_regular, stderr_silenced
from armsim.vision.real.corners import refine_corners
from armsim.vision.real.errors import DataError, NAME, show, suggest
from armsim.vision.real.lens import Lens
from armsim.vision.real.setup import DICTIONARIES
from armsim.vision.real.tables import Observations

__all__ = ["opencv", "find_markers", "detect_images", "Detections", "REFINEMENTS",
           "IMAGE_SUFFIXES", "MISSING_OPENCV"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_IMAGE_BYTES = 256 << 20
REFINEMENTS = ("lines", "subpix", "none")
MISSING_OPENCV = ("marker detection needs OpenCV: pip install armsim[vision] "
                  "(or pip install opencv-python-headless)")


def opencv():
    """The ``cv2`` module, or an ImportError of one line naming the extra to install."""
    try:
        import cv2
    except ImportError:
        raise ImportError(MISSING_OPENCV) from None
    return cv2


def _decoded(cv2, data):
    """``cv2.imdecode`` of the bytes ``data`` with OpenCV's own log lines (a truncated
    PNG's) kept off stderr while it runs (armsim says once what it could not read); the
    process's log level is put back after.  libpng prints its own errors ("libpng error:
    IDAT: CRC error") on the process's standard error, past OpenCV's log: that is silenced
    at the file level while the image is decoded."""
    with stderr_silenced():
        try:
            from cv2.utils import logging as cv_log
            level = cv_log.getLogLevel()
            cv_log.setLogLevel(cv_log.LOG_LEVEL_SILENT)
        except (ImportError, AttributeError):
            return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        try:
            return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        finally:
            cv_log.setLogLevel(level)


def _detector(dictionary, refine):
    cv2 = opencv()
    aruco = cv2.aruco
    params = aruco.DetectorParameters()
    params.cornerRefinementMethod = (aruco.CORNER_REFINE_SUBPIX if refine == "subpix"
                                     else aruco.CORNER_REFINE_NONE)
    # OpenCV 4.8+ spells the AprilTag names in capitals too; both are accepted here
    code = getattr(aruco, dictionary, None)
    if code is None:
        code = getattr(aruco, dictionary.upper())
    return aruco.ArucoDetector(aruco.getPredefinedDictionary(code), params)


def find_markers(gray, dictionary, refine="lines", lens=None):
    """The markers of ``dictionary`` in one image.

    Parameters
    ----------
    gray : ndarray (H, W) uint8     the image
    dictionary : str                e.g. ``"DICT_4X4_50"``
    refine : str                    ``"lines"`` (edges fitted, the default), ``"subpix"``
                                    (OpenCV's cornerSubPix, for comparison) or ``"none"``
    lens : Lens or None             the camera's distortion, for ``"lines"``
                                    (:class:`~armsim.vision.real.lens.Lens`)

    Returns
    -------
    found : dict  ``{id: ndarray (4, 2)}``: corners in ArUco order [px], (0, 0) at the centre
                  of the top-left pixel
    twice : list  ids seen more than once (dropped from ``found``)
    unrefined : list  ids whose edges could not be measured (dropped from ``found``)
    """
    if refine not in REFINEMENTS:
        raise ValueError(f"unknown refinement {refine!r}; choose one of {', '.join(REFINEMENTS)}")
    if dictionary not in DICTIONARIES:
        raise ValueError(f"unknown dictionary {show(dictionary)}"
                         + (suggest(dictionary, DICTIONARIES) or "; e.g. 'DICT_4X4_50'"))
    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    corners, ids, _ = _detector(dictionary, refine).detectMarkers(gray)
    ids = [] if ids is None else [int(i) for i in np.ravel(ids)]
    counts = {i: ids.count(i) for i in ids}
    twice = sorted(i for i, n in counts.items() if n > 1)
    found, unrefined = {}, []
    bits = DICTIONARIES[dictionary][0]
    for i, quad in zip(ids, corners):
        if counts[i] > 1:
            continue
        quad = np.asarray(quad, float).reshape(4, 2)
        if refine == "lines":
            quad = refine_corners(gray, quad, bits, lens)
            if quad is None:
                unrefined.append(i)
                continue
        found[i] = quad
    return found, twice, sorted(unrefined)


@dataclass(frozen=True)
class Detections:
    """What :func:`detect_images` found: ``observations`` (obs.csv's rows) and ``images``,
    one report (a dict) per image or missing image::

        {"camera": "left", "pose": "p3", "image": "DIR/left/p3.png", "size": [W, H],
         "seen": [1, 2], "missing": [3], "twice": [], "unrefined": [], "other": [7],
         "error": None}          # or "cannot be read: ..." / "no image"
    """

    observations: Observations
    images: tuple


def _header_size(data):
    """(width, height) an image file's header declares, or None when PIL cannot tell (read
    without decoding the pixels)."""
    try:
        from PIL import Image
    except ImportError:         # pragma: no cover (pillow comes with imageio)
        return None
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None   # the header only: no
    try:                                                           # pixels are decoded
        with Image.open(io.BytesIO(data)) as img:
            return tuple(int(v) for v in img.size)
    except Exception:           # not an image PIL knows: OpenCV's decoder says why
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _decode(path, size=None):
    """(grey image, None), or (None, why it cannot be read); with ``size`` = (w, h), an
    image whose header declares another size is (None, (w, h)) before any decoding (a
    small file may declare a huge image)."""
    cv2 = opencv()
    try:
        data = read_regular(path, MAX_IMAGE_BYTES)
    except InputError as exc:
        return None, f"cannot be read: {exc}"
    if not data:
        return None, "cannot be read: the file is empty"
    declared = None if size is None else _header_size(data)
    if declared is not None and declared != tuple(size):
        return None, declared
    try:
        image = _decoded(cv2, data)
    except cv2.error:
        image = None
    if image is None:
        return None, "cannot be read: not a PNG or JPEG image OpenCV can decode"
    if image.dtype != np.uint8:
        return None, f"cannot be read: {image.dtype} pixels; expected 8-bit grey or colour"
    if image.ndim == 3:
        code = {3: cv2.COLOR_BGR2GRAY, 4: cv2.COLOR_BGRA2GRAY}.get(image.shape[2])
        if code is None:
            return None, f"cannot be read: {image.shape[2]} channels"
        grey = cv2.cvtColor(image, code)
        image = _over_white(grey, image[..., 3]) if image.shape[2] == 4 else grey
    return image, None


def _over_white(grey, alpha):
    """The grey image ``grey`` of an image with the transparency ``alpha`` (H, W) as it looks:
    composited over white, ``(grey * alpha + 255 * (255 - alpha)) / 255`` rounded (an opaque
    image as it is).  White, not black: a marker is black on white with a white margin, and
    one saved with a transparent page (black ink, the white left out: the marker drawn in
    the alpha channel alone) looks right on a white page, as a viewer or a print shows it;
    over black its ink would vanish.  (OpenCV's grey conversion dropped the alpha: such an
    image was all black, "no marker seen".)"""
    if alpha.min() == 255:
        return grey
    a = alpha.astype(np.uint16)
    return ((grey * a + 255 * (255 - a) + 127) // 255).astype(np.uint8)


def _listed(folder):
    """The entries of ``folder`` by name; one that cannot be listed is a :class:`DataError`
    naming it (an OSError escaping the read was blamed on the first output)."""
    try:
        return sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise DataError(folder, "", f"cannot be read: {exc.strerror or exc}") from None


def _folder(entry):
    """Whether ``entry`` is a folder (links followed); a link loop is a :class:`DataError`."""
    try:
        return entry.is_dir()
    except OSError as exc:
        raise DataError(entry.path, "", f"cannot be read: {exc.strerror or exc}") from None


def _images(directory, setup, poses):
    """``[(camera, pose, path)]`` of every image under ``directory``, checked."""
    root = Path(directory)
    if not root.is_dir():
        raise DataError(directory, "", "not a folder of images (a file)" if root.exists()
                        else "no such folder of images")
    cameras = setup.camera_names
    out = []
    for entry in _listed(root):
        if entry.name.startswith(".") or not _folder(entry):
            continue
        if entry.name not in cameras:
            raise DataError(root / entry.name, "", f"camera {entry.name!r} is not in the setup "
                            f"(cameras: {', '.join(cameras)})" + suggest(entry.name, cameras))
        seen = {}
        for image in _listed(entry.path):
            path = Path(image.path)
            if image.name.startswith(".") or path.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            pose = path.stem
            if not NAME.match(pose):
                raise DataError(path, "", f"{show(pose)} is not a pose name (letters, digits, "
                                "'_', '.' or '-')")
            if poses is not None and pose not in poses:
                raise DataError(path, "", f"pose {pose!r} is not in joints.csv"
                                + suggest(pose, poses))
            if pose in seen:
                raise DataError(path, "", f"a second image of pose {pose!r} "
                                f"(also {seen[pose].name})")
            seen[pose] = path
            out.append((entry.name, pose, path))
    return out


def detect_images(directory, setup, poses=None, refine="lines"):
    """Detect the setup's markers in ``DIR/<camera>/<pose>.png``; a :class:`Detections`.

    ``poses``: ``joints.csv``'s :class:`~armsim.vision.real.tables.Joints` (or pose names):
    an image of another pose is refused, a pose with no image is reported.  Raises
    :class:`DataError` for a camera folder or pose not named, an image of the wrong size,
    or when no marker corner is found in any image."""
    pose_names = None if poses is None else tuple(getattr(poses, "poses", poses))
    files = _images(directory, setup, pose_names)
    by_dict = {}
    for m in setup.markers:
        by_dict.setdefault(m.dictionary, set()).add(m.id)
    wanted = set(setup.marker_ids)
    reports, found_all = [], {}
    for cam_name, pose, path in files:
        cam = setup.camera(cam_name)
        report = {"camera": cam_name, "pose": pose, "image": str(path), "size": None,
                  "seen": [], "missing": sorted(wanted), "twice": [], "unrefined": [],
                  "other": [], "error": None}
        reports.append(report)
        image, error = _decode(path, (cam.width, cam.height))
        if isinstance(error, tuple):            # the header's size, not the camera's
            w, h = error
            raise DataError(path, "", f"the image is {w}x{h} pixels; camera {cam_name!r} is "
                            f"{cam.width}x{cam.height} in {setup.source}")
        if error:
            report["error"] = error
            continue
        h, w = image.shape
        report["size"] = [w, h]
        if (w, h) != (cam.width, cam.height):
            raise DataError(path, "", f"the image is {w}x{h} pixels; camera {cam_name!r} is "
                            f"{cam.width}x{cam.height} in {setup.source}")
        seen = {}
        for dictionary, ids in sorted(by_dict.items()):
            found, twice, unrefined = find_markers(image, dictionary, refine, Lens.of(cam))
            seen.update({i: q for i, q in found.items() if i in ids})
            report["twice"] += [i for i in twice if i in ids]
            report["unrefined"] += [i for i in unrefined if i in ids]
            report["other"] += [i for i in list(found) + twice + unrefined if i not in ids]
        for key in ("twice", "unrefined", "other"):
            report[key] = sorted(set(report[key]))
        report["seen"] = sorted(seen)
        report["missing"] = sorted(wanted - set(seen) - set(report["twice"])
                                   - set(report["unrefined"]))
        if seen:
            found_all[(pose, cam_name)] = seen
    if pose_names is not None:
        have = {(c, p) for c, p, _ in files}
        for cam_name in setup.camera_names:
            for pose in pose_names:
                if (cam_name, pose) not in have:
                    reports.append({"camera": cam_name, "pose": pose, "image": None,
                                    "size": None, "seen": [], "missing": sorted(wanted),
                                    "twice": [], "unrefined": [], "other": [],
                                    "error": "no image"})
    if not found_all:
        why = "no images" if not files else f"none of the {len(files)} images"
        other = sorted({i for r in reports for i in r["other"]})
        hint = (f"; found marker(s) {', '.join(map(str, other[:10]))}, which the setup does "
                f"not list (its markers: {', '.join(map(str, sorted(wanted)))})" if other else
                "; expected images DIR/<camera>/<pose>.png")
        raise DataError(directory, "", f"no marker of the setup was found ({why}){hint}")
    return Detections(Observations.from_images(found_all), tuple(reports))
