"""``joints.csv`` and ``obs.csv``: a real robot's joint readings and the marker corners seen.

``joints.csv``: a header ``pose,<joint name>,...`` and one row per robot pose, the readings
in the URDF's units (rad or m).  ``obs.csv``: ``pose,camera,marker,corner,u,v``, one row per
marker corner in an image: ``corner`` 0-3 in OpenCV's ArUco order (top-left, top-right,
bottom-right, bottom-left of the marker), ``u, v`` pixels with (0, 0) at the centre of the
top-left pixel.  It is what :mod:`armsim.vision.real.detect` writes; a user with another
detector can write it too.

Readers refuse, with one :class:`~armsim.vision.real.errors.DataError` line naming the file,
the line and the pose, joint or camera: a wrong header, a non-finite value, a duplicate row,
a name the URDF or the setup does not know, a joint reading beyond the URDF's limits by more
than :data:`LIMIT_SLACK`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from armsim.files import Outputs
from armsim.vision.real.errors import DataError, check_name, finite, read_text, show, suggest

__all__ = ["Joints", "Observations", "read_joints", "parse_joints", "format_joints",
           "read_observations", "parse_observations", "format_observations", "write_text",
           "OBS_HEADER"]

MAX_CSV_BYTES = 256 << 20
OBS_HEADER = ("pose", "camera", "marker", "corner", "u", "v")
#: how far a reading may lie beyond its joint's URDF limits [rad for a revolute joint, m for
#: a prismatic one].  The limits bound the true joint value, which is the reading plus the
#: zero offset the calibration learns, so a reading at a limit may lie beyond it by that
#: offset (an encoder mounted a few mrad off; the benchmark draws 5 to 10 mrad); 0.1 rad
#: (5.7 degrees) and 1 cm leave room for that and for an overshoot at a limit, and refuse
#: readings in other units (degrees given as radians: up to 170 for the Panda's 2.9 rad).
LIMIT_SLACK = {"revolute": 0.1, "prismatic": 0.01}


@dataclass(frozen=True)
class Joints:
    """names : tuple (J,); poses : tuple (P,) of str; values : ndarray (P, J) [rad or m]."""

    names: tuple
    poses: tuple
    values: np.ndarray

    def reading(self, pose) -> np.ndarray:
        """The readings (J,) of ``pose``."""
        return self.values[self.poses.index(pose)]


@dataclass(frozen=True)
class Observations:
    """Marker corners seen, one entry a row of ``obs.csv``.

    pose, camera : tuple (N,) of str; marker, corner : ndarray (N,) int; uv : ndarray (N, 2) [px]
    """

    pose: tuple
    camera: tuple
    marker: np.ndarray
    corner: np.ndarray
    uv: np.ndarray

    def __len__(self):
        return len(self.pose)

    def images(self) -> dict:
        """``{(pose, camera): {marker: ndarray (4, 2)}}`` (corners in order 0-3)."""
        out = {}
        for p, c, m, k, uv in zip(self.pose, self.camera, self.marker, self.corner, self.uv):
            out.setdefault((p, c), {}).setdefault(int(m), np.zeros((4, 2)))[int(k)] = uv
        return out

    @classmethod
    def from_images(cls, images) -> "Observations":
        """The inverse of :meth:`images` (rows sorted by pose, camera, marker, corner)."""
        rows = [(p, c, m, k, *np.asarray(corners, float)[k])
                for (p, c), markers in sorted(images.items())
                for m, corners in sorted(markers.items()) for k in range(4)]
        return cls(tuple(r[0] for r in rows), tuple(r[1] for r in rows),
                   np.array([r[2] for r in rows], int), np.array([r[3] for r in rows], int),
                   np.array([r[4:] for r in rows], float).reshape(-1, 2))


def _rows(text, source):
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue                              # blank lines are skipped
            yield reader.line_num, [c.strip() for c in row]
    except csv.Error as exc:
        raise DataError(source, f"line {reader.line_num}", f"not CSV: {exc}") from None


def read_joints(path, robot=None) -> Joints:
    """The :class:`Joints` in the CSV file ``path``.  ``robot`` (an :class:`armsim.Robot`
    or a sequence of joint names) checks the header's joint names."""
    return parse_joints(read_text(path, MAX_CSV_BYTES), str(path), robot)


def parse_joints(text, source="<joints>", robot=None) -> Joints:
    """:func:`read_joints` on the CSV ``text``."""
    rows = _rows(text, source)
    first = next(rows, None)
    if first is None:
        raise DataError(source, "", "empty; expected a header 'pose,<joint name>,...'")
    line, header = first
    if header[0] != "pose":
        raise DataError(source, f"line {line}", f"the first column must be 'pose', "
                        f"got {show(header[0])}")
    names = header[1:]
    if not names:
        raise DataError(source, f"line {line}", "no joint columns after 'pose'")
    known = None if robot is None else tuple(getattr(robot, "joint_names", robot))
    bounds = _bounds(robot)
    base = {n: (robot.describe_joint(n), _coordinate(robot, n)[1]) for n in bounds
            if _coordinate(robot, n)}
    mimic = {} if robot is None else dict(getattr(robot, "mimic", {}) or {})
    for i, name in enumerate(names):
        if name in names[:i]:
            raise DataError(source, f"line {line}", f"joint {show(name)} appears twice")
        if known is not None and name not in known:
            if name in mimic:
                raise DataError(source, f"line {line}", f"joint {show(name)} mimics "
                                f"{mimic[name][0]!r}; give {mimic[name][0]!r} instead")
            coords = _coordinates(robot, name)
            if coords:          # a floating, planar or spherical joint: its coordinates
                kind = robot.coordinate_of(coords[0])[1]
                raise DataError(source, f"line {line}", f"joint {show(name)} is a {kind} "
                                f"joint, read as its {len(coords)} coordinates: give their "
                                f"columns {', '.join(coords)} instead")
            raise DataError(source, f"line {line}", f"joint {show(name)} is not in the URDF"
                            + (suggest(name, known) or _listed(known)))
    poses, values, first_line = [], [], {}
    for line, row in rows:
        pose = check_name(row[0], "a pose name", source, f"line {line}")
        where = f"line {line} (pose {pose!r})"
        if len(row) != len(header):
            raise DataError(source, where, f"{len(row)} columns, expected {len(header)} "
                            f"(pose and {len(names)} joints)")
        if pose in first_line:
            raise DataError(source, where, f"pose {pose!r} appears twice "
                            f"(first on line {first_line[pose]})")
        first_line[pose] = line
        poses.append(pose)
        row_values = [finite(v, source, where, name) for name, v in zip(names, row[1:])]
        for name, v in zip(names, row_values):
            if name in bounds:
                _within(v, bounds[name], source, where, name, base.get(name))
        values.append(row_values)
    if not poses:
        raise DataError(source, "", "no poses; give one row per robot pose after the header")
    return Joints(tuple(names), tuple(poses), np.array(values, float))


def _listed(names, shown=8):
    """``" (its joints: a, b, ...)"``: the first ``shown`` names, and how many in all."""
    names = list(names)
    more = f", ... ({len(names)} in all)" if len(names) > shown else ""
    return f" (its joints: {', '.join(names[:shown])}{more})"


def _bounds(robot):
    """``{joint: (lower, upper, kind)}`` of ``robot``'s free joints with finite limits ({}
    for a sequence of names or None)."""
    limits, types = getattr(robot, "limits", None), getattr(robot, "types", None)
    if limits is None or types is None:
        return {}
    out = {}
    for name, (lo, hi), kind in zip(robot.joint_names, np.asarray(limits, float), types):
        if np.isfinite(lo) and np.isfinite(hi):
            out[name] = (float(lo), float(hi), "prismatic" if kind == "prismatic" else
                         "revolute")
    return out


def _coordinate(robot, name):
    """``(joint, type, part)`` when ``name`` is a coordinate armsim makes of a floating,
    planar or spherical joint of ``robot`` (``root_x`` of floating joint ``root``), else
    None (and for a sequence of names)."""
    of = getattr(robot, "coordinate_of", None)
    return of(name) if of is not None else None


def _coordinates(robot, joint):
    """The coordinates (names, in ``robot``'s order) armsim makes of its floating, planar or
    spherical joint ``joint``; [] when ``joint`` is none of those."""
    names = getattr(robot, "joint_names", ()) if robot is not None else ()
    return [n for n in names if (_coordinate(robot, n) or (None,))[0] == joint]


def _within(value, bound, source, where, name, base=None):
    """Refuse a reading beyond its joint's limits by more than :data:`LIMIT_SLACK`;
    ``base``: ``(what it is, its joint's type)`` for a coordinate of a floating or planar
    joint (its limits are armsim's travel, not the URDF's)."""
    lo, hi, kind = bound
    slack = LIMIT_SLACK[kind]
    if lo - slack <= value <= hi + slack:
        return
    unit = "m" if kind == "prismatic" else "rad"
    hint = "" if kind == "prismatic" else "; degrees given as radians?"
    if base is not None:        # (armsim's travel: a URDF gives the joint no limits)
        raise DataError(source, where, f"{name}: {value:g} {unit} is outside [{lo:g}, "
                        f"{hi:g}] {unit} (by more than {slack:g} {unit}), the travel armsim "
                        f"allows {base[0]}: a URDF gives a {base[1]} joint no limits")
    raise DataError(source, where, f"{name}: {value:g} {unit} is outside the URDF's limits "
                    f"[{lo:g}, {hi:g}] {unit} (by more than {slack:g} {unit}{hint})")


def format_joints(joints) -> str:
    """``joints.csv``'s text (values with ``repr``: read back exactly)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(("pose", *joints.names))
    for pose, row in zip(joints.poses, np.asarray(joints.values, float)):
        w.writerow((pose, *(repr(float(v)) for v in row)))
    return out.getvalue()


def read_observations(path, setup, poses=None) -> Observations:
    """The :class:`Observations` in the CSV file ``path``, checked against ``setup`` (a
    :class:`~armsim.vision.real.setup.Setup`) and ``poses`` (``joints.csv``'s, or None)."""
    return parse_observations(read_text(path, MAX_CSV_BYTES), setup, str(path), poses)


def parse_observations(text, setup, source="<obs>", poses=None) -> Observations:
    """:func:`read_observations` on the CSV ``text``."""
    rows = _rows(text, source)
    first = next(rows, None)
    if first is None:
        raise DataError(source, "", f"empty; expected a header {','.join(OBS_HEADER)!r}")
    line, header = first
    if tuple(header) != OBS_HEADER:
        raise DataError(source, f"line {line}", f"the header must be "
                        f"{','.join(OBS_HEADER)!r}, got {show(','.join(header))}")
    cameras = {c.name: c for c in setup.cameras}
    markers = set(setup.marker_ids)
    known_poses = None if poses is None else set(getattr(poses, "poses", poses))
    out, seen, corners_of = [], {}, {}
    for line, row in rows:
        if len(row) != len(OBS_HEADER):
            raise DataError(source, f"line {line}", f"{len(row)} columns, expected 6 "
                            f"({','.join(OBS_HEADER)})")
        pose, cam, marker, corner, u, v = row
        check_name(pose, "a pose name", source, f"line {line}")
        if known_poses is not None and pose not in known_poses:
            raise DataError(source, f"line {line}", f"pose {pose!r} is not in joints.csv"
                            + suggest(pose, known_poses))
        where = f"line {line} (pose {pose!r}, camera {show(cam)})"
        if cam not in cameras:
            raise DataError(source, where, f"camera {show(cam)} is not in the setup "
                            f"(cameras: {', '.join(cameras)})" + suggest(cam, cameras))
        if not (marker.isascii() and marker.isdigit()) or (marker[0] == "0" and marker != "0"):
            # as setup.toml writes an id (Python's int() also reads "1_0", " 3", "+3" and
            # other scripts' digits; "03" would match marker 3 by a name it never had)
            raise DataError(source, where, f"marker: not an integer id (digits, no sign, "
                            f"no leading zero): {show(marker)}")
        marker = int(marker)
        if marker not in markers:
            raise DataError(source, where, f"marker {marker} is not in the setup "
                            f"(markers: {', '.join(str(m) for m in sorted(markers))})")
        if corner not in ("0", "1", "2", "3"):
            raise DataError(source, where, f"corner must be 0, 1, 2 or 3, got {show(corner)}")
        corner = int(corner)
        u, v = finite(u, source, where, "u"), finite(v, source, where, "v")
        c = cameras[cam]
        for name, x, size in (("u", u, c.width), ("v", v, c.height)):
            if not -0.5 <= x <= size - 0.5:
                raise DataError(source, where, f"{name} = {x:g} is outside camera {cam!r}'s "
                                f"image (-0.5 to {size - 0.5:g})")
        key = (pose, cam, marker, corner)
        if key in seen:
            raise DataError(source, where, f"marker {marker} corner {corner} appears twice "
                            f"(first on line {seen[key]})")
        seen[key] = line
        corners_of.setdefault((pose, cam, marker), (line, set()))[1].add(corner)
        out.append((pose, cam, marker, corner, u, v))
    for (pose, cam, marker), (line, got) in corners_of.items():
        if len(got) != 4:
            raise DataError(source, f"line {line} (pose {pose!r}, camera {cam!r})",
                            f"marker {marker} has corners {', '.join(map(str, sorted(got)))} "
                            "only; give all four (0-3)")
    return Observations(tuple(r[0] for r in out), tuple(r[1] for r in out),
                        np.array([r[2] for r in out], int), np.array([r[3] for r in out], int),
                        np.array([r[4:] for r in out], float).reshape(-1, 2))


def format_observations(obs) -> str:
    """``obs.csv``'s text (pixels with ``repr``: read back exactly)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(OBS_HEADER)
    for p, c, m, k, (u, v) in zip(obs.pose, obs.camera, obs.marker, obs.corner, obs.uv):
        w.writerow((p, c, int(m), int(k), repr(float(u)), repr(float(v))))
    return out.getvalue()


def write_text(path, text, label=None):
    """Write ``text`` to ``path`` whole or not at all (:class:`armsim.files.Outputs`)."""
    with Outputs() as outs:
        dest = outs.add(path, label)
        dest.file.write(text.encode("utf-8"))
