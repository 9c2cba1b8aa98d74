"""What a robot model may hold: the one range of every quantity, size bounds, the link tree.

Every robot model -- a URDF file (:func:`armsim.load_urdf`), a DH table
(:meth:`SpatialChain.from_dh`) or a list of joints (:class:`SpatialChain`) -- is checked
here before any arithmetic is done on it, so that nothing downstream (the solvers, the
camera, the view) meets a number it cannot use.  Importing this module has no side
effects: the scene and the view read the ranges from it.

The ranges (:data:`RANGES`, ``quantity -> (lo, hi, unit)``; every bound inclusive):

=============  ====================  =====  ================================================
quantity       range                 unit   what has it
=============  ====================  =====  ================================================
``length``     [-1e3, 1e3]           m      each coordinate of a joint origin or the tool
                                            offset; DH ``a`` and ``d``; a prismatic joint's
                                            limits (its travel)
``angle``      [-1e6, 1e6]           rad    roll, pitch, yaw; DH ``alpha`` and ``theta``;
                                            a revolute joint's limits
``axis``       [-1e6, 1e6]           1      each coordinate of a joint axis (then made unit;
                                            its norm must be at least :data:`AXIS_MIN_NORM`)
``reach``      [1e-3, 1e3]           m      the arm's reach (:attr:`SpatialChain.reach`): a
                                            model smaller than 1 mm or larger than 1 km is
                                            refused, so that tolerances and cameras scaled by
                                            the reach stay meaningful
``position``   [-1e6, 1e6]           m      each coordinate of a point the arm is asked to
                                            reach (targets, :func:`armsim.pose`)
``joint``      [-1e6, 1e6]           rad/m  a joint value given to the pose or the Jacobian
                                            (may lie outside the joint's limits)
=============  ====================  =====  ================================================

A prismatic rail of +-1e6 m is therefore refused (its travel is a length); the longest
rail is 1 km, and the whole arm with its rail extended must reach at most 1 km.

Sizes, checked before anything is allocated per link or joint: a URDF file holds at most
:data:`MAX_URDF_BYTES` bytes (16 MiB; the shipped robots are 3-7 KB, real URDF files with
many links a few hundred KB), 200,000 XML tags (:data:`MAX_TAGS`) and 200,000 attributes
(:data:`MAX_ATTRIBUTES`), both counted on its bytes before parsing, so that a file within
the bounds is read in under 150 MB more memory (``tests/test_urdf_edges.py`` runs the worst
case under that address-space limit), 10,000 links (:data:`MAX_LINKS`) and 10,000 joints
(:data:`MAX_JOINTS`); a chain has at most 128 movable joints (:data:`MAX_CHAIN_JOINTS`).

Every check raises a one-line ``ValueError`` without the file's name (the loader adds it).
"""

from __future__ import annotations

import math
import re

import numpy as np

from armsim import ranges

__all__ = ["listed", "RANGES", "LENGTH_RANGE", "ANGLE_RANGE", "AXIS_RANGE", "REACH_RANGE", "POSITION_RANGE",
           "JOINT_VALUE_RANGE",
           "AXIS_MIN_NORM", "MAX_URDF_BYTES", "MAX_TAGS", "MAX_ATTRIBUTES", "MAX_LINKS",
           "MAX_JOINTS", "MAX_CHAIN_JOINTS", "number", "vector", "joint", "unlimited_turn",
           "reach", "chain_size",
           "markup", "counts", "tree", "dh", "shown"]

#: quantity -> (lo, hi, unit), every bound inclusive; see the table above
RANGES = {
    "length": (-1e3, 1e3, "m"),
    "angle": (-1e6, 1e6, "rad"),
    "axis": (-1e6, 1e6, ""),
    "reach": (1e-3, 1e3, "m"),
    "position": (-1e6, 1e6, "m"),
    "joint": (-1e6, 1e6, "rad or m"),
    "multiplier": (-1e3, 1e3, ""),      # a mimic's (armsim.kinematics.tree.MAX_MULTIPLIER)
}
LENGTH_RANGE = RANGES["length"]
ANGLE_RANGE = RANGES["angle"]
AXIS_RANGE = RANGES["axis"]
REACH_RANGE = RANGES["reach"]
POSITION_RANGE = RANGES["position"]
JOINT_VALUE_RANGE = RANGES["joint"]
#: the shortest joint axis accepted (before it is made unit)
AXIS_MIN_NORM = 1e-12

MAX_URDF_BYTES = 16 << 20        # 16 MiB
MAX_TAGS = 200_000               # '<' characters in a URDF file (tags, comments, ...)
MAX_ATTRIBUTES = 200_000         # '=' characters in a URDF file (attributes and text)
MAX_LINKS = 10_000
MAX_JOINTS = 10_000
MAX_CHAIN_JOINTS = 128           # movable joints from the base to the tool

JOINT_TYPES = ("revolute", "continuous", "prismatic")


def shown(name, size=60) -> str:
    """``repr`` of a name, cut to ``size`` characters (a message stays one short line)."""
    text = str(name)
    return repr(text[:size] + "...") if len(text) > size else repr(text)


def listed(names, count=12, size=300) -> str:
    """The first ``count`` names joined by commas for a message, cut to ``size``
    characters: a plain name as it is, one with a line break, a comma or a quote as
    :func:`shown` gives it (the message stays one line)."""
    def one(n):
        n = str(n)
        return n if n.isprintable() and not any(c in n for c in ",'\"") else shown(n)
    names = list(names)
    return (", ".join(map(one, names[:count]))[:size]
            + (", ..." if len(names) > count else ""))


def _interval(quantity) -> str:
    lo, hi, unit = RANGES[quantity]
    return f"[{lo:g}, {hi:g}]" + (f" {unit}" if unit else "")


#: a number as a URDF (or any text) writes it: ASCII digits, an optional sign, point and
#: exponent, or inf / nan (Python's float() also takes "1_0" as 10 and full-width digits)
NUMBER_TEXT = re.compile(r"[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                         r"|(?i:inf|infinity|nan))")


def number_text(text) -> bool:
    """Whether the string ``text`` (spaces around it aside) is a number as text writes it."""
    return NUMBER_TEXT.fullmatch(text.strip()) is not None


def _unexpanded(value) -> str:
    """What to add when ``value`` is text holding a xacro expression (``$(...)`` or
    ``${...}``: a ``.xacro`` file, or one expanded only in part, read as a URDF)."""
    if isinstance(value, str) and ("$(" in value or "${" in value):
        return " (an unexpanded xacro expression: expand the file with xacro first)"
    return ""


def number(value, quantity, what) -> float:
    """``value`` as a float within the range of ``quantity`` (a key of :data:`RANGES`)."""
    if isinstance(value, str) and not number_text(value):
        raise ValueError(f"{what} must be a number, got {value[:40]!r}{_unexpanded(value)}")
    try:
        v = float(value)
    except OverflowError:                    # an integer beyond the floats
        v = math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {ranges.shown(value)!r}") from None
    lo, hi, _ = RANGES[quantity]
    if not lo <= v <= hi:           # also NaN
        raise ValueError(f"{what} must be within {_interval(quantity)}, got {v:g}")
    return v


def vector(values, quantity, what, size=3) -> np.ndarray:
    """``size`` numbers (a sequence, an array or a URDF string ``"x y z"``) within the range
    of ``quantity``, each checked before any arithmetic."""
    if isinstance(values, str):
        items = values.split()
    else:
        try:
            items = list(np.asarray(values, dtype=object).reshape(-1))
        except (TypeError, ValueError):
            items = None
    if items is None or len(items) != size:
        words = {3: "three", 4: "four"}.get(size, str(size))
        raise ValueError(f"{what} must be {words} numbers, got {ranges.shown(values)!r}"
                         f"{_unexpanded(values)}")
    return np.array([number(x, quantity, f"{what}[{i}]") for i, x in enumerate(items)])


def joint(j):
    """The checked numbers of one :class:`~armsim.kinematics.spatial.Joint`: origin ``xyz``
    (3,) [m], ``rpy`` (3,) [rad], the unit ``axis`` (3,) and the limits ``(lo, hi)`` [rad or m]
    (a continuous joint: -inf, inf)."""
    where = f"joint {shown(j.name)}"
    if not isinstance(j.type, str) or j.type not in JOINT_TYPES:     # (an array: one line)
        raise ValueError(f"{where}: type must be one of {', '.join(JOINT_TYPES)}, "
                         f"got {ranges.shown(j.type)!r}")
    xyz = vector(j.xyz, "length", f"{where}: xyz")
    rpy = vector(j.rpy, "angle", f"{where}: rpy")
    axis = vector(j.axis, "axis", f"{where}: axis")
    size = math.sqrt(sum(float(a) * float(a) for a in axis))   # each |a| <= 1e6: no overflow
    if size < AXIS_MIN_NORM:
        raise ValueError(f"{where}: axis must not be zero")
    if j.type == "continuous":
        return xyz, rpy, axis / size, (-math.inf, math.inf)
    try:
        lo, hi = float(j.lower), float(j.upper)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{where}: limits must be two numbers, got ({str(j.lower)[:20]}, "
                         f"{str(j.upper)[:20]})") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
        raise ValueError(f"{where}: limits must be finite with lower <= upper, got "
                         f"({j.lower}, {j.upper})")
    quantity = "length" if j.type == "prismatic" else "angle"
    qlo, qhi, _ = RANGES[quantity]
    if not (qlo <= lo and hi <= qhi):
        travel = " (a prismatic joint's travel)" if j.type == "prismatic" else ""
        raise ValueError(f"{where}: limits must be within {_interval(quantity)}{travel}, "
                         f"got ({lo:g}, {hi:g})")
    return xyz, rpy, axis / size, (lo + 0.0, hi + 0.0)    # (-0.0 as 0.0: a draw's hi - lo >= 0)


def unlimited_turn(kind, lower, upper) -> bool:
    """Whether a joint of type ``kind`` with these limits is a revolute joint limited on
    neither side: both finite and beyond :data:`ANGLE_RANGE` (Gazebo's and SDF's
    +-1e16 for "no limit"); the readers take it as continuous."""
    if kind != "revolute":
        return False
    try:
        lo, hi = float(lower), float(upper)
    except (TypeError, ValueError, OverflowError):
        return False
    return math.isfinite(lo) and math.isfinite(hi) and lo < ANGLE_RANGE[0] and hi > ANGLE_RANGE[1]


def reach(value, arm) -> float:
    """Refuse an arm (named ``arm``, e.g. ``"the arm from 'base' to 'tool'"``) whose reach
    [m] is outside :data:`REACH_RANGE` (the ValueError's ``reach_short``: True when under
    its bottom)."""
    lo, hi, unit = REACH_RANGE
    if not lo <= value <= hi:
        why = (" (a tool this close to the first joint barely moves: name a link farther "
               "out as the tool; lengths are in metres)" if value < lo else "")
        err = ValueError(f"{arm} reaches {value:g} {unit} from its first joint{why}; a robot "
                         f"model's reach must be within {_interval('reach')}")
        err.reach_short = value < lo
        raise err
    return value


def chain_size(n, what) -> None:
    """Refuse ``what`` (a chain) with more than :data:`MAX_CHAIN_JOINTS` movable joints."""
    if n > MAX_CHAIN_JOINTS:
        raise ValueError(f"{what} has {n} movable joints, at most {MAX_CHAIN_JOINTS} are "
                         f"accepted")


def markup(data: bytes) -> None:
    """Refuse a URDF document with more tags or attributes than :data:`MAX_TAGS` and
    :data:`MAX_ATTRIBUTES`, counted on its bytes before it is parsed (the XML tree takes
    ~120 bytes per element: 4 million empty tags in 16 MiB would take 500 MB)."""
    tags = data.count(b"<")
    if tags > MAX_TAGS:
        raise ValueError(f"too much markup for a robot model: {tags} tags, at most {MAX_TAGS}")
    attributes = data.count(b"=")
    if attributes > MAX_ATTRIBUTES:
        raise ValueError(f"too much markup for a robot model: {attributes} '=' signs "
                         f"(attributes), at most {MAX_ATTRIBUTES}")


def counts(links, joints) -> None:
    """Refuse more than :data:`MAX_LINKS` links or :data:`MAX_JOINTS` joints."""
    for n, most, what in ((links, MAX_LINKS, "links"), (joints, MAX_JOINTS, "joints")):
        if n > most:
            raise ValueError(f"{n} {what}, at most {most} are accepted")


def tree(links, joints):
    """Check that ``links`` (names, in file order) and ``joints`` (each with ``name``,
    ``parent``, ``child``) form exactly one tree, and return it.

    Refused: two links or two joints of one name, a joint naming a link that is not there,
    a link that is the child of two joints, a joint from a link to itself, a cycle anywhere
    (also one detached from the arm), more than one root.  Every walk is iterative with a
    visited set, so a cycle can neither recurse nor loop.

    Returns
    -------
    root : str
    parent_joint : dict  child link -> its joint
    children : dict      link -> list of child links (in file order)
    """
    counts(len(links), len(joints))
    names = set()
    for link in links:
        if link in names:
            raise ValueError(f"two links are named {shown(link)}")
        names.add(link)
    joint_names = set()
    parent_joint = {}
    children = {link: [] for link in links}
    for j in joints:
        if j.name in joint_names:
            raise ValueError(f"two joints are named {shown(j.name)}")
        joint_names.add(j.name)
        for end, link in (("parent", j.parent), ("child", j.child)):
            if link not in names:
                raise ValueError(f"joint {shown(j.name)}: {end} link {shown(link)} is not "
                                 f"a <link> of the file")
        if j.parent == j.child:
            raise ValueError(f"joint {shown(j.name)} has link {shown(j.child)} as both parent "
                             f"and child")
        if j.child in parent_joint:
            raise ValueError(f"link {shown(j.child)} is the child of two joints "
                             f"({shown(parent_joint[j.child].name)}, {shown(j.name)})")
        parent_joint[j.child] = j
        children[j.parent].append(j.child)
    _no_cycle(links, parent_joint)
    roots = [link for link in links if link not in parent_joint]
    if len(roots) != 1:
        raise ValueError(f"the links must form one tree, found {len(roots)} roots"
                         + (f" ({', '.join(map(shown, roots[:4]))})" if roots else ""))
    # one root and no cycle: every link is below the root; count them as the proof
    seen, stack = {roots[0]}, [roots[0]]
    while stack:
        for child in children[stack.pop()]:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    if len(seen) != len(links):        # unreachable by the checks above; kept as a guard
        lost = next(link for link in links if link not in seen)
        raise ValueError(f"link {shown(lost)} is not below the root {shown(roots[0])}")
    return roots[0], parent_joint, children


def _no_cycle(links, parent_joint):
    """Refuse a cycle of links.  Each link has at most one parent, so following parents
    from every link (each link walked once: 0 new, 1 on this walk, 2 done) finds them all."""
    state = dict.fromkeys(links, 0)
    order = {link: i for i, link in enumerate(links)}
    for start in links:
        path, link = [], start
        while link is not None and state[link] == 0:
            state[link] = 1
            path.append(link)
            j = parent_joint.get(link)
            link = None if j is None else j.parent
        if link is not None and state[link] == 1:
            ring = path[path.index(link):][::-1]           # parent -> child order
            first = min(range(len(ring)), key=lambda i: order[ring[i]])
            ring = ring[first:] + ring[:first]
            hops = [parent_joint[ring[(i + 1) % len(ring)]].name for i in range(len(ring))]
            more = f" ... ({len(ring)} links)" if len(ring) > 6 else ""
            raise ValueError(f"the links form a cycle: "
                             f"{' -> '.join(map(shown, ring[:6] + [ring[0]] * (len(ring) <= 6)))}"
                             f"{more} (joints {', '.join(map(shown, hops[:6]))}"
                             f"{', ...' if len(hops) > 6 else ''}); a URDF must be one tree")
        for p in path:
            state[p] = 2


def dh(table, convention, types, limits, tool, names):
    """The checked arguments of :meth:`SpatialChain.from_dh`: ``table`` (n, 4) with
    ``a``, ``d`` lengths and ``alpha``, ``theta`` angles, ``types`` (n,), ``limits`` (n, 2)
    (default (-pi, pi); checked per joint by :func:`joint`), ``tool`` (4, 4) a rigid
    transform (default the identity), ``names`` (n,)."""
    try:
        rows = [list(row) for row in table]
    except TypeError:
        rows = None
    if not rows or any(len(r) != 4 for r in rows):
        got = "no rows" if not rows else \
            f"{len(rows)} rows of {'/'.join(map(str, sorted({len(r) for r in rows})))} items"
        raise ValueError(f"a DH table must have shape (n, 4) rows (a, alpha, d, theta), "
                         f"got {got}")
    n = len(rows)
    chain_size(n, "the DH table")
    out = np.empty((n, 4))
    for i, row in enumerate(rows):
        for k, (col, quantity) in enumerate(zip(("a", "alpha", "d", "theta"),
                                                ("length", "angle", "length", "angle"))):
            out[i, k] = number(row[k], quantity, f"DH table row {i + 1}: {col}")
    if not isinstance(convention, str) or convention not in ("standard", "modified"):
        raise ValueError(f"convention must be 'standard' or 'modified', got "
                         f"{ranges.shown(convention)!r}")

    def items(value, default, what):
        value = default if value is None else list(value)
        if len(value) != n:
            raise ValueError(f"DH table: {what} must have {n} item(s), one per row, got {len(value)}")
        return value

    types = items(types, ["revolute"] * n, "types")
    limits = items(limits, [(-math.pi, math.pi)] * n, "limits")
    for i, lim in enumerate(limits):
        try:
            lo, hi = lim
        except (TypeError, ValueError):
            raise ValueError(f"DH table: limits[{i}] must be (lower, upper), got "
                             f"{ranges.shown(lim)}") from None
    names = items(names, [f"joint{i + 1}" for i in range(n)], "names")
    if tool is None:
        return out, types, limits, np.eye(4), names
    T = np.array([vector(row, "length", f"DH tool row {i + 1}", 4)
                  for i, row in enumerate(_rows(tool, 4, "DH tool"))])
    R = T[:3, :3]
    if T[3].tolist() != [0.0, 0.0, 0.0, 1.0] or abs(R @ R.T - np.eye(3)).max() > 1e-6 \
            or np.linalg.det(R) < 0:
        raise ValueError("DH tool must be a rigid transform: a rotation (R R^T = I within "
                         "1e-6, determinant +1), a translation and the last row 0 0 0 1")
    return out, types, limits, T, names


def _rows(value, count, what):
    try:
        rows = list(value)
    except TypeError:
        rows = []
    if len(rows) != count:
        raise ValueError(f"{what} must be a {count} x {count} matrix, got {ranges.shown(value)}")
    return rows
