"""``setup.toml``: the cameras that watch a real robot and the markers it carries.

::

    [[camera]]
    name = "left"                 # images in DIR/left/<pose>.png
    width = 1280                  # pixels
    height = 1024
    fx = 1100.0                   # focal lengths and principal point [px]; (0, 0) is the
    fy = 1100.0                   # centre of the top-left pixel
    cx = 639.5
    cy = 511.5
    distortion = [0.0, 0.0, 0.0, 0.0, 0.0]   # optional: OpenCV's k1, k2, p1, p2, k3
    learn_intrinsics = false      # optional: learn fx, fy, cx, cy and distortion
    link = "panda_hand"           # optional: mounted on this link (eye-in-hand)

    [[marker]]
    id = 3
    dictionary = "DICT_4X4_50"
    size = 0.05                   # side of the black square [m]
    link = "panda_link8"

:func:`read_setup` checks every key (an unknown key is refused, naming the closest known
one) and, given the robot, that every link exists.  docs/calibrate_real.md describes the
format; docs/calibrate_setup.schema.json is its JSON Schema.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass

from armsim.files import MAX_KEY_PARTS, bare_cr, long_toml_key
from armsim.vision.camera3d import principal_problem
from armsim.vision.real.errors import DataError, check_name, read_text, show, suggest

__all__ = ["Camera", "Marker", "Setup", "read_setup", "parse_setup", "DICTIONARIES",
           "CAMERA_KEYS", "MARKER_KEYS"]

MAX_SETUP_BYTES = 1 << 20
MAX_PIXELS = 100_000                 # largest accepted image side [px]
#: largest accepted image [px]: its decoded copy, grey copy and the detector's buffers in
#: memory (ad hoc: 256 megapixels took 1.2 GB; 900 megapixels failed at 2.7 GB)
MAX_IMAGE_PIXELS = 120_000_000
MAX_SIZE = 100.0                     # largest accepted marker side [m]
MIN_SIZE = 1e-4                      # smallest accepted marker side [m] (0.1 mm)
FOCAL_RANGE = (1.0, 1e6)             # accepted focal lengths fx, fy [px]
MAX_CENTRE = 1e6                     # accepted principal point cx, cy: within +- [px]
MAX_DISTORTION = 1e4                 # accepted distortion coefficients: within +-

#: the ArUco dictionaries OpenCV names: name -> (bits a side, number of ids)
DICTIONARIES = {
    **{f"DICT_{n}X{n}_{k}": (n, k) for n in (4, 5, 6, 7) for k in (50, 100, 250, 1000)},
    "DICT_ARUCO_ORIGINAL": (5, 1024),
    "DICT_APRILTAG_16h5": (4, 30),
    "DICT_APRILTAG_25h9": (5, 35),
    "DICT_APRILTAG_36h10": (6, 2320),
    "DICT_APRILTAG_36h11": (6, 587),
    "DICT_ARUCO_MIP_36h12": (6, 250),
}

#: each table's keys: name -> (required, what it must be)
CAMERA_KEYS = {"name": True, "width": True, "height": True, "fx": True, "fy": True, "cx": True,
               "cy": True, "distortion": False, "learn_intrinsics": False, "link": False}
MARKER_KEYS = {"id": True, "dictionary": True, "size": True, "link": True}
TOP_KEYS = ("camera", "marker")


@dataclass(frozen=True)
class Camera:
    """One camera.  Pixels have (0, 0) at the centre of the top-left pixel.

    distortion : tuple (5,)  OpenCV's (k1, k2, p1, p2, k3)
    link : str or None       the link it is mounted on (eye-in-hand), None: fixed in the world
    """

    name: str
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    distortion: tuple = (0.0, 0.0, 0.0, 0.0, 0.0)
    learn_intrinsics: bool = False
    link: str | None = None


@dataclass(frozen=True)
class Marker:
    """One square ArUco marker fixed to a link; ``size`` is the black square's side [m]."""

    id: int
    dictionary: str
    size: float
    link: str

    @property
    def bits(self) -> int:
        """Data bits a side (the marker is ``bits + 2`` cells wide with its border)."""
        return DICTIONARIES[self.dictionary][0]


@dataclass(frozen=True)
class Setup:
    """The cameras and markers of ``setup.toml``; ``source`` is the file it came from."""

    cameras: tuple
    markers: tuple
    source: str = "<setup>"

    def camera(self, name) -> Camera:
        for c in self.cameras:
            if c.name == name:
                return c
        raise KeyError(name)

    def marker(self, id) -> Marker:
        for m in self.markers:
            if m.id == id:
                return m
        raise KeyError(id)

    @property
    def camera_names(self) -> tuple:
        return tuple(c.name for c in self.cameras)

    @property
    def marker_ids(self) -> tuple:
        return tuple(m.id for m in self.markers)


def read_setup(path, robot=None) -> Setup:
    """The :class:`Setup` in the TOML file ``path``; ``robot`` (an :class:`armsim.Robot`,
    or a sequence of link names) checks that every ``link`` exists.  Raises
    :class:`DataError` (one line naming the file and the key)."""
    return parse_setup(read_text(path, MAX_SETUP_BYTES), source=str(path), robot=robot)


def parse_setup(text, source="<setup>", robot=None) -> Setup:
    """:func:`read_setup` on the TOML ``text``."""
    long_key = long_toml_key(text)      # (tomllib's memory grows with its square)
    if long_key:
        raise DataError(source, f"line {long_key[0]}, column {long_key[1]}",
                        f"a key of {long_key[2]} dotted parts; at most {MAX_KEY_PARTS} are "
                        f"accepted")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        cr = bare_cr(text, (int(m.group(1)), int(m.group(2))) if m else None)
        if cr is not None:                  # a CR-only file is one line to TOML
            raise DataError(source, *cr) from None
        raise DataError(source, "", f"not TOML: {str(exc).splitlines()[0]}") from None
    for key in doc:
        if key not in TOP_KEYS:
            raise DataError(source, key, "unknown table" + (suggest(key, TOP_KEYS)
                            or f"; expected {' and '.join(repr(k) for k in TOP_KEYS)}"))
    links = None
    if robot is not None:
        links = tuple(getattr(robot, "links", robot))
    cameras = _tables(doc, "camera", source)
    markers = _tables(doc, "marker", source)
    cams = tuple(_camera(t, source, f"camera[{i}]", links) for i, t in enumerate(cameras))
    marks = tuple(_marker(t, source, f"marker[{i}]", links) for i, t in enumerate(markers))
    _unique([c.name for c in cams], source, "camera", "name")
    _unique([m.id for m in marks], source, "marker", "id")
    return Setup(cams, marks, source)


def _tables(doc, name, source):
    tables = doc.get(name)
    if tables is None:
        raise DataError(source, "", f"no [[{name}]] table; give at least one")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise DataError(source, name, f"must be an array of tables ([[{name}]]), "
                        f"got {show(tables)}")
    if not tables:
        raise DataError(source, name, f"no [[{name}]] table; give at least one")
    return tables


def _unique(values, source, table, key):
    seen = {}
    for i, v in enumerate(values):
        if v in seen:
            raise DataError(source, f"{table}[{i}].{key}",
                            f"{show(v)} is also {table}[{seen[v]}]'s {key}")
        seen[v] = i


def _keys(table, allowed, source, where):
    for k in table:
        if k not in allowed:
            hint = suggest(k, allowed) or "; expected one of " + ", ".join(allowed)
            raise DataError(source, f"{where}.{k}", "unknown key" + hint)
    for k, required in allowed.items():
        if required and k not in table:
            raise DataError(source, where, f"no {k!r}; give it")


def _number(table, key, source, where, low=None, strict=True, integer=False, high=None):
    v = table[key]
    at = f"{where}.{key}"
    kind = "an integer" if integer else "a number"
    if isinstance(v, bool) or not isinstance(v, int if integer else (int, float)):
        raise DataError(source, at, f"must be {kind}, got {show(v)}")
    if not math.isfinite(v):
        raise DataError(source, at, f"must be a finite number, got {show(v)}")
    if low is not None and (v <= low if strict else v < low):
        raise DataError(source, at, f"must be {'>' if strict else '>='} {low}, got {v}")
    if high is not None and v > high:
        raise DataError(source, at, f"must be <= {high:g}, got {v}")
    return v if integer else float(v)


def _link(table, source, where, links):
    v = table["link"]
    if not isinstance(v, str) or not v:
        raise DataError(source, f"{where}.link", f"must be a link name, got {show(v)}")
    if links is not None and v not in links:
        raise DataError(source, f"{where}.link", f"no link {show(v)} in the URDF"
                        + suggest(v, links))
    return v


def _camera(t, source, where, links) -> Camera:
    _keys(t, CAMERA_KEYS, source, where)
    name = check_name(t["name"], "a camera name", source, f"{where}.name")
    w = _number(t, "width", source, where, 0, integer=True, high=MAX_PIXELS)
    h = _number(t, "height", source, where, 0, integer=True, high=MAX_PIXELS)
    if w * h > MAX_IMAGE_PIXELS:
        raise DataError(source, where, f"width x height must be at most "
                        f"{MAX_IMAGE_PIXELS:,} pixels (an image is decoded whole), got "
                        f"{w:,} x {h:,} = {w * h:,}")
    # (values past these ranges, fx = 1e300 or 1e-320, failed later, blamed on obs.csv)
    fx = _number(t, "fx", source, where, FOCAL_RANGE[0], strict=False, high=FOCAL_RANGE[1])
    fy = _number(t, "fy", source, where, FOCAL_RANGE[0], strict=False, high=FOCAL_RANGE[1])
    cx = _number(t, "cx", source, where, -MAX_CENTRE, strict=False, high=MAX_CENTRE)
    cy = _number(t, "cy", source, where, -MAX_CENTRE, strict=False, high=MAX_CENTRE)
    for key, value, size, side in (("cx", cx, w, "width"), ("cy", cy, h, "height")):
        detail = principal_problem(value, size, side)
        if detail is not None:
            raise DataError(source, f"{where}.{key}", detail)
    dist = (0.0,) * 5
    if "distortion" in t:
        d = t["distortion"]
        if (not isinstance(d, list) or len(d) != 5
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in d)):
            raise DataError(source, f"{where}.distortion",
                            f"must be 5 numbers [k1, k2, p1, p2, k3], got {show(d)}")
        if not all(math.isfinite(x) and abs(x) <= MAX_DISTORTION for x in d):
            raise DataError(source, f"{where}.distortion", f"must be finite numbers within "
                                                          f"+-{MAX_DISTORTION:g}, got {show(d)}")
        dist = tuple(float(x) for x in d)
    learn = t.get("learn_intrinsics", False)
    if not isinstance(learn, bool):
        raise DataError(source, f"{where}.learn_intrinsics",
                        f"must be true or false, got {show(learn)}")
    link = _link(t, source, where, links) if "link" in t else None
    return Camera(name, w, h, fx, fy, cx, cy, dist, learn, link)


def _marker(t, source, where, links) -> Marker:
    _keys(t, MARKER_KEYS, source, where)
    d = t["dictionary"]
    if not isinstance(d, str):        # (a list or a table is no key of DICTIONARIES)
        raise DataError(source, f"{where}.dictionary", f"must be a dictionary's name, e.g. "
                        f"'DICT_4X4_50', got {show(d)}")
    if d not in DICTIONARIES:
        raise DataError(source, f"{where}.dictionary", f"unknown dictionary {show(d)}"
                        + (suggest(d, DICTIONARIES) or "; e.g. 'DICT_4X4_50'"))
    count = DICTIONARIES[d][1]
    id = _number(t, "id", source, where, 0, strict=False, integer=True)
    if id >= count:
        raise DataError(source, f"{where}.id", f"{d} has ids 0 to {count - 1}, got {id}")
    size = _number(t, "size", source, where, MIN_SIZE, strict=False, high=MAX_SIZE)
    return Marker(id, d, size, _link(t, source, where, links))
