"""The calibrated URDF: a copy of the input file with corrected joint origins.

What a calibration identifies for each joint it names: the origin (``xyz`` [m], ``rpy``
[rad], in the parent link's frame, as URDF writes it) and the zero offset ``d``: the joint's
true value is its reading plus ``d``.  The file written is the input, byte for byte outside
the joints it corrects (comments, visuals, inertias, other joints kept; a relative mesh or
texture path rewritten for the output's folder); in each corrected joint:

* ``<origin xyz rpy>`` is the identified origin with the zero offset folded in: for a
  revolute or continuous joint, ``T_origin Rot(axis, d)`` (a turn about the joint's own axis
  commutes with the joint's motion, so the reading drives the calibrated joint exactly as
  ``reading + d`` drives the identified one); for a prismatic joint, ``T_origin Trans(axis
  d)``;
* ``<limit lower upper>`` shifts by ``-d``, so the same physical range is read in readings;
  so do ``<safety_controller soft_lower_limit soft_upper_limit>`` and ``<calibration
  rising falling>``.

Loading the file with :func:`armsim.load_urdf` then gives the identified model's forward
kinematics of the readings (``tests/test_real_urdf_out.py``: to 1e-12).  Numbers are written
with ``repr`` (shortest round-trip), so nothing is lost to formatting.  The file is written
whole or not at all (:class:`armsim.files.Outputs`): a failure leaves no partial URDF.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from armsim.files import Outputs, short_name
from armsim.kinematics.spatial import axis_angle_matrix, matrix_rpy, rpy_matrix
from armsim.kinematics.urdf import parse_root
from armsim.vision.real.errors import DataError

__all__ = ["JointCalibration", "write_calibrated_urdf", "calibrated_urdf_text"]


@dataclass(frozen=True)
class JointCalibration:
    """One joint's identified origin (``xyz`` [m], ``rpy`` [rad]) and zero offset
    (``zero_offset`` [rad or m]: true value = reading + offset)."""

    xyz: tuple
    rpy: tuple
    zero_offset: float = 0.0


def _numbers(values, size, what):
    try:
        a = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        a = np.full(size + 1, np.nan)
    if a.shape != (size,) or not np.all(np.isfinite(a)):
        raise ValueError(f"{what} must be {size} finite numbers, got {str(values)[:60]}")
    return a


def _fmt(v):
    return " ".join(repr(float(x) + 0.0) for x in v)      # (+ 0.0: -0.0 written as 0.0)


def _set_numbers(element, key, values):
    """``element``'s attribute ``key`` set to ``values``, unless it already reads as those
    numbers (the file's own text kept: "0 0 0" stays, not "0.0 0.0 0.0")."""
    old = element.get(key)
    if old is not None:
        try:
            same = np.array_equal(np.array([float(x) for x in old.split()]),
                                  np.asarray(values, float))
        except ValueError:
            same = False
        if same:
            return
    element.set(key, _fmt(values))


def calibrated_urdf_text(path, joints, out=None) -> str:
    """The calibrated URDF's text for the input ``path`` and ``joints`` ({joint name:
    :class:`JointCalibration`}); a :class:`~armsim.vision.real.errors.DataError` names an
    unknown, fixed or mimic joint, or a number that is not finite.  With ``out`` (the path it
    will be written to; not ``-``), a relative ``filename`` (a mesh's, a texture's) is
    rewritten relative to ``out``'s folder, so it names the same file from there."""
    from lxml import etree
    try:
        root = parse_root(path, comments=True)
    except ValueError as exc:                     # already "PATH: what is wrong"
        text = str(exc)
        prefix = f"{short_name(path)}: "
        raise DataError(path, "", text[len(prefix):] if text.startswith(prefix) else text) \
            from None
    by_name = {j.get("name"): j for j in root.findall("joint")}
    for name, cal in joints.items():
        j = by_name.get(name)
        where = f"joint {name!r}"
        if j is None:
            raise DataError(path, where, "no such joint in the URDF")
        kind = j.get("type")
        if kind not in ("revolute", "continuous", "prismatic"):
            raise DataError(path, where, f"a {kind} joint has no zero offset or motion to "
                                         f"calibrate")
        if j.find("mimic") is not None:
            raise DataError(path, where, "a mimic joint follows its source; calibrate the source")
        try:
            xyz = _numbers(cal.xyz, 3, "xyz")
            rpy = _numbers(cal.rpy, 3, "rpy")
            d = float(cal.zero_offset)
            if not math.isfinite(d):
                raise ValueError(f"zero_offset must be finite, got {d}")
        except ValueError as exc:
            raise DataError(path, where, str(exc)) from None
        axis_el = j.find("axis")
        axis = np.array([float(x) for x in ("1 0 0" if axis_el is None else
                                            axis_el.get("xyz", "1 0 0")).split()])
        axis = axis / np.linalg.norm(axis)
        R = rpy_matrix(rpy)
        if kind == "prismatic":
            xyz = xyz + R @ (axis * d)                  # T_origin Trans(axis d)
        else:
            R = R @ axis_angle_matrix(axis, d)          # T_origin Rot(axis, d)
            rpy = matrix_rpy(R)
        origin = j.find("origin")
        if origin is None:
            origin = etree.SubElement(j, "origin")
        _set_numbers(origin, "xyz", xyz)
        _set_numbers(origin, "rpy", rpy)
        for tag, keys in _POSITIONS:
            element = j.find(tag)
            if element is not None and d != 0.0:
                for key in keys:
                    value = element.get(key)
                    if value is not None and _is_number(value):
                        element.set(key, repr(float(value) - d))
    if out is not None and str(out) != "-":
        _moved_files(root, Path(path).resolve().parent, Path(out).resolve().parent)
    # the whole document: the comments before and after <robot> kept, each on its own line
    nodes = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
    return "\n".join(etree.tostring(n, encoding="unicode", with_tail=False)
                     for n in nodes) + "\n"


#: a joint's positions in its readings, each shifted by -d (the same physical place):
#: the hard limits, the safety controller's soft limits, the homing switch's edges
_POSITIONS = (("limit", ("lower", "upper")),
              ("safety_controller", ("soft_lower_limit", "soft_upper_limit")),
              ("calibration", ("rising", "falling")))


def _moved_files(root, src, dst):
    """Each relative ``filename`` of a ``<mesh>`` or ``<texture>`` (not ``package://``,
    ``file://`` or absolute) rewritten from folder ``src`` to folder ``dst``; the same file."""
    if src == dst:
        return
    for element in root.iter("mesh", "texture"):    # (a Gazebo plugin's filename is a
        name = element.get("filename")                # library's name: kept)
        if not name or "://" in name or os.path.isabs(name):
            continue
        element.set("filename", Path(os.path.relpath(src / name, dst)).as_posix())


def _is_number(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def write_calibrated_urdf(path, joints, out):
    """Write :func:`calibrated_urdf_text` to ``out``, whole or not at all."""
    text = calibrated_urdf_text(path, joints, out)
    with Outputs() as outs:
        dest = outs.add(out, "--out")
        dest.file.write(('<?xml version="1.0"?>\n' + text).encode("utf-8"))
    return out
