"""URDF files as spatial chains (:func:`load_urdf`), parsed by yourdfpy.

Only links and joints matter (no meshes, no scene graphs).  The file is checked in this
order, each step bounded before the next allocates anything (the bounds and ranges are
in :mod:`armsim.kinematics.validate`):

1. it is a regular file of at most 16 MiB (:data:`~validate.MAX_URDF_BYTES`), read
   without blocking: a folder, a pipe (FIFO) or a device is named for what it is;
2. its bytes hold at most 200,000 tags and 200,000 attributes; then it is parsed as XML
   without entities (a ``<!ENTITY`` declaration is refused), comments or network, and holds
   at most 10,000 links and 10,000 joints;
3. the links form exactly one tree (:func:`validate.tree`: no cycle anywhere in the file,
   one root, no link the child of two joints; walks are iterative with a visited set);
4. one chain is taken from ``base`` to ``tip`` (by default the root and the leaf with the
   most movable joints below it), at most 128 movable joints long;
5. each number on the chain is read from the file's text and checked against the range of
   its quantity (origins within +-1e3 m, angles within +-1e6 rad, a prismatic joint's
   travel within +-1e3 m; a fixed joint's axis too, as :func:`load_robot` reads it) before
   any arithmetic; fixed joints are then folded into the next joint's origin (or the tool
   offset after the last one), and the arm's reach must be within 1e-3 to 1e3 m.

Limits written lower > upper are pybullet's "no limit": a revolute joint is then read as a
continuous one, a prismatic one as a moving base's slide (refused on a chain, as a slide
beyond +-1e3 m is).  Mimic, floating and planar joints on the chain are refused
(:func:`load_robot` reads them).  Anything wrong is one ``ValueError`` line: ``PATH: what is
wrong``, naming the link or joint.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import io
import os
import re
import sys
import threading
import types
import warnings
from pathlib import Path

import numpy as np

from armsim import ranges
from armsim.files import InputError, read_regular, short_beside, short_name
from armsim.kinematics import validate
from armsim.kinematics.spatial import Joint, SpatialChain, matrix_rpy, rpy_matrix
from armsim.kinematics.tree import Robot, TreeJoint, ordered_tips, unbounded_slide
from armsim.kinematics.validate import shown

__all__ = ["load_urdf", "load_robot"]

MOVABLE = ("revolute", "continuous", "prismatic")
# a slide's limits when the file says lower > upper, pybullet's "no limit": beyond the
# accepted travel, so the tree reads it as a moving base's (tree.unbounded_slide)
UNLIMITED_SLIDE = 1e6
REFUSED = ("floating", "planar", "spherical")
# joint types some tools write that URDF does not define, and what to write instead
_NOT_URDF = {"ball": " (write a ball joint as three revolute or continuous joints in a row)",
             "universal": " (write it as two revolute joints in a row)"}
#: with no tip named, the leaves tried after the one with the most joints turns in place
MAX_TRIED_LEAVES = 64
# functions :func:`load_urdf` gives each chain it returns (:mod:`armsim.ik` adds one that
# builds the chain's float pass for pose targets, as a peer builds its solver when it loads)
ON_LOAD = []


def _read(path) -> bytes:
    try:
        return read_regular(path, validate.MAX_URDF_BYTES)
    except InputError as exc:
        if exc.too_large:
            limit = validate.MAX_URDF_BYTES
            raise ValueError(f"{short_name(path)}: URDF file too large: more than {limit} bytes "
                             f"({limit >> 20} MiB)") from None
        if exc.errno == errno.ENOENT:
            if os.path.islink(path):
                target = short_beside(path, os.readlink(path))
                raise ValueError(f"{short_name(path)}: no such file (a symbolic link to "
                                 f"'{target}', which does not exist)") from None
            raise ValueError(f"{short_name(path)}: no such file{_shipped_hint(path)}") from None
        raise ValueError(f"{short_name(path)}: cannot read the file: {exc}") from None


def shipped_name(path):
    """The shipped robot a missing file's name names (``panda``, ``dual_arm.urdf``: no
    folder), else None."""
    name = os.fspath(path)
    stem = name[:-5] if name.lower().endswith(".urdf") else name
    if not stem or os.sep in name or (os.altsep and os.altsep in name) or stem.startswith("."):
        return None
    try:
        shipped = (Path(__file__).resolve().parent / "models" / f"{stem}.urdf").is_file()
    except (OSError, ValueError):       # a name too long for a file name (or with a NUL)
        return None
    return stem if shipped else None


def _shipped_hint(path):
    """What to call instead when a missing file's name is a shipped robot's: the functions
    that load it by name."""
    stem = shipped_name(path)
    if stem is None:
        return ""
    return (f" ({stem!r} is a robot armsim ships: armsim.robots.load_robot({stem!r}) for the "
            f"whole robot, armsim.robots.load({stem!r}) for one chain)")


def _framed(data):
    """``data`` without what ROS's and pybullet's readers skip around the document and libxml2
    refuses: blank lines before the XML declaration (moved after it, so that every later
    line keeps its number; pybullet's biped2d_pybullet.urdf, diff_ring.urdf) and NUL bytes
    at its end (pybullet's humanoid.urdf ends in one).  A UTF-16 file (its byte-order mark
    first: Windows PowerShell 5 writes ``xacro x.xacro > x.urdf`` so) is left as it is: a NUL
    byte there is half of a character, and libxml2 reads it whole."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data
    data = data.rstrip(b"\0")
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    body = data[len(bom):]
    start = len(body) - len(body.lstrip(b" \t\r\n"))
    if start and body.startswith(b"<?xml", start):
        end = body.find(b"?>", start)
        if end > 0:
            return bom + body[start:end + 2] + body[:start] + body[end + 2:]
    return data


# an XML declaration's version (at most 20 characters), after an optional byte-order mark
_DECLARATION = re.compile(rb"\A(\xef\xbb\xbf)?(<\?xml\s+version\s*=\s*)(['\"])([^'\"]{0,20})\3")


def _xml_version_one(data):
    """``data`` with its XML declaration's version read as 1.0 when it is not 1.x: libxml2
    refuses '0.0' (pybullet writes ``<?xml version="0.0" ?>`` in 26 of its URDF files),
    where ROS's and pybullet's readers ignore the version."""
    m = _DECLARATION.match(data)
    if m is None or re.fullmatch(rb"1\.[0-9]+", m.group(4)):
        return data
    return data[:m.start(4)] + b"1.0" + data[m.end(4):]


def parse_root(path, comments=False):
    """The file's <robot> element (lxml), after checks 1 and 2 of the module's docstring:
    a bounded regular file, bounded markup, strict XML without entities, bounded counts;
    ``comments``: the file's comments kept in its tree (a file written back)."""
    from lxml import etree   # a dependency of yourdfpy: strict XML first, for a clear message
    data = _xml_version_one(_framed(_read(path)))
    try:
        validate.markup(data)
    except ValueError as exc:
        raise ValueError(f"{short_name(path)}: {exc}") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True,
                             remove_comments=not comments,
                             remove_pis=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{short_name(path)}: not well-formed XML: "
                         f"{' '.join(str(exc.msg).split())}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ValueError(f"{short_name(path)}: XML entity declarations (<!ENTITY ...>) are not "
                         f"accepted in a URDF")
    if root.tag != "robot":
        raise ValueError(f"{short_name(path)}: the root element must be <robot>, got "
                         f"<{ranges.shown(root.tag)}>")
    try:
        validate.counts(len(root.findall("link")), len(root.findall("joint")))
    except ValueError as exc:
        raise ValueError(f"{short_name(path)}: {exc}") from None
    return root


# -- yourdfpy without trimesh ----------------------------------------------------------------
# yourdfpy's module imports trimesh at its top (and trimesh imports scipy, networkx, ...:
# about 400 ms of the first load_urdf), but what armsim asks of it -- URDF._parse_robot of
# links and joints without origins or geometry -- never touches trimesh.  So while yourdfpy
# is imported (and trimesh is not imported yet), the names 'trimesh' and
# 'trimesh.transformations' are stand-ins (_Deferred) that import the real trimesh on the
# first use of any attribute and then rebind yourdfpy.urdf's names to the real modules:
# everything of yourdfpy that uses trimesh (meshes, scenes, its forward kinematics) works
# as before, and pays for trimesh when it is used.  Two attributes read while yourdfpy's
# module runs, the annotations ``trimesh.Trimesh`` and ``trimesh.Scene``, are the strings
# ``from __future__ import annotations`` would make them (in the importing thread only);
# any other attribute imports the real trimesh at once.  The stand-ins leave sys.modules
# when yourdfpy's import ends (bench/first_solve.py: import armsim + load_urdf).
_DEFERRED_NAMES = ("trimesh", "trimesh.transformations")
_ANNOTATIONS = ("Trimesh", "Scene")
_IMPORT_LOCK = threading.RLock()
_importing = [None]          # the thread importing yourdfpy under the stand-ins


class _Deferred(types.ModuleType):
    """A stand-in for trimesh (or trimesh.transformations): the real module on first use."""

    def __getattr__(self, attr):
        if (attr in _ANNOTATIONS and self.__name__ == "trimesh"
                and _importing[0] == threading.get_ident()):
            return f"trimesh.{attr}"
        return getattr(_real_trimesh(self.__name__), attr)


def _real_trimesh(name):
    """The real module ``name`` (trimesh or trimesh.transformations), imported now; the
    stand-ins leave sys.modules and yourdfpy.urdf's names point to the real modules."""
    with _IMPORT_LOCK:
        for n in _DEFERRED_NAMES:
            if isinstance(sys.modules.get(n), _Deferred):
                del sys.modules[n]
        real = importlib.import_module(name)
        module = sys.modules.get("yourdfpy.urdf")
        if module is not None:
            for attr, target in (("trimesh", "trimesh"), ("tra", "trimesh.transformations")):
                if isinstance(vars(module).get(attr), _Deferred):
                    setattr(module, attr, importlib.import_module(target))
        return real


def _yourdfpy():
    """yourdfpy, imported without trimesh when neither is imported yet (see above);
    ImportError when it is missing."""
    if "yourdfpy" in sys.modules or "trimesh" in sys.modules:
        import yourdfpy
        return yourdfpy
    with _IMPORT_LOCK:
        if "yourdfpy" in sys.modules or "trimesh" in sys.modules:
            import yourdfpy
            return yourdfpy
        tra = _Deferred("trimesh.transformations")
        stand_in = _Deferred("trimesh")
        stand_in.transformations = tra
        sys.modules["trimesh"], sys.modules["trimesh.transformations"] = stand_in, tra
        _importing[0] = threading.get_ident()
        try:
            import yourdfpy
        finally:
            _importing[0] = None
            for n, mod in zip(_DEFERRED_NAMES, (stand_in, tra)):
                if sys.modules.get(n) is mod:
                    del sys.modules[n]
        return yourdfpy


def _number_text(path, joint, tag, key, value):
    """A joint's ``<tag key=value>`` that yourdfpy reads with ``float()``: a one-line
    ValueError naming the joint and the attribute when it is not a number."""
    if not validate.number_text(value):     # (float() takes "1_0" and full-width digits)
        raise ValueError(f"{short_name(path)}: joint {shown(joint.get('name'))}: <{tag}> {key} "
                         f"must be a number, got {ranges.shown(value)!r}")


def _parse(path):
    """The file's <robot> element (lxml) and yourdfpy's robot of its links and joints."""
    try:
        yourdfpy = _yourdfpy()
    except ImportError:
        raise ValueError(f"{short_name(path)}: reading URDF needs yourdfpy, a dependency of armsim: "
                         "pip install yourdfpy") from None
    from lxml import etree
    root = parse_root(path)
    links = root.findall("link")
    joints = root.findall("joint")
    # yourdfpy reads the structure only: links by name (their visuals, collisions and
    # inertias are never used), joints by name, type, parent, child, limit and mimic; the
    # numbers of origins and axes are read here (:func:`_origin`), each checked first
    lean = etree.Element("robot", {"name": str(root.get("name", "robot"))})
    for link in links:
        etree.SubElement(lean, "link", dict(link.attrib))
    for j in joints:
        for tag in ("parent", "child", "origin", "axis", "limit", "mimic"):
            # (the first is read: one repeated word for word, as pybullet's spirit40newer.urdf
            # repeats an <axis>, says nothing more; another would be ignored, so is refused)
            found = [(dict(e.attrib), (e.text or "").strip(), len(e)) for e in j.findall(tag)]
            if any(f != found[0] for f in found[1:]):
                raise ValueError(f"{short_name(path)}: joint {shown(j.get('name'))} has "
                                 f"{len(j.findall(tag))} <{tag}> elements; a joint has one")
        copy = etree.SubElement(lean, "joint", dict(j.attrib))
        for tag in ("parent", "child", "limit", "mimic"):
            element = j.find(tag)
            if element is None and tag in ("parent", "child"):
                raise ValueError(f"{short_name(path)}: joint {shown(j.get('name'))} lacks its <{tag} "
                                 f"link=...>")
            if element is not None:
                if tag in ("limit", "mimic"):       # yourdfpy's float(): named here
                    for key, value in element.attrib.items():
                        if key in ("lower", "upper", "effort", "velocity", "multiplier",
                                   "offset"):
                            _number_text(path, j, tag, key, value)
                etree.SubElement(copy, tag, dict(element.attrib))
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            robot = yourdfpy.URDF._parse_robot(xml_element=lean)
    except KeyError as exc:
        raise ValueError(f"{short_name(path)}: a URDF element lacks its {exc.args[0]!r} "
                         f"attribute") from None
    except Exception as exc:   # yourdfpy's own errors carry no common type
        text = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ValueError(f"{short_name(path)}: not a valid URDF ({text[:120]})") from None
    return robot, {j.get("name"): j for j in joints}


def load_urdf(path, base=None, tip=None, tips=None, base_joint=None):
    """The serial chain of a URDF file from link ``base`` to link ``tip``.

    Parameters
    ----------
    path : str or Path
        A regular file of at most 16 MiB (see the module's docstring for every check).
    base : str, optional
        The first link (default: the root of the link tree).
    tip : str, optional
        The tool link (default: the leaf below ``base`` with the most movable joints
        on its way, the first in the file on a tie).
    tips, base_joint : optional
        Given either, the whole robot: :func:`load_robot` (``base`` and ``tip`` must then
        be left out).

    Returns
    -------
    SpatialChain (or :class:`~armsim.kinematics.tree.Robot` with ``tips`` or ``base_joint``)

    Raises
    ------
    ValueError
        One line, ``PATH: what is wrong``, e.g. ``robot.urdf: the links form a cycle:
        'c1' -> 'c2' -> 'c1' (joints 'k1', 'k2'); a URDF must be one tree``.
    """
    if tips is not None or base_joint is not None:
        if base is not None or tip is not None:
            raise ValueError("give tips= (a whole robot) or base=/tip= (one chain), not both")
        return load_robot(path, tips=tips, base_joint=base_joint)
    path = _path_of(path)
    robot, elements, links, (root, parent_joint, children) = _tree_of(path)
    names = set(links)
    for which, name in (("base", base), ("tip", tip)):
        if name is not None and (not isinstance(name, str) or name not in names):
            raise ValueError(f"{short_name(path)}: no link named {shown(name)} (the {which}); links: "
                             f"{validate.listed(links)}")
    base = root if base is None else base
    leaves = None
    if tip is None:
        tip, leaves = _deepest(base, children, parent_joint)
        if not leaves and base != root and any(j.type != "fixed" for j in robot.joints):
            raise ValueError(f"{short_name(path)}: no movable joint below link {shown(base)} "
                             f"(revolute, continuous or prismatic): nothing to move")
    if leaves is None:
        chain = _chain(path, robot, elements, links, parent_joint, base, tip)
    else:       # the leaf taken, else (it turns in place) the next with most joints that moves
        order = [leaf for leaf in sorted(leaves, key=lambda leaf: -leaves[leaf])   # (stable:
                 if leaf != tip]                                             # file order)
        for leaf in [tip] + order[:MAX_TRIED_LEAVES]:
            try:
                chain = _chain(path, robot, elements, links, parent_joint, base, leaf)
                break
            except ValueError as exc:
                if not getattr(exc, "reach_short", False):
                    raise
        else:
            if not order:       # no link farther out to name
                raise ValueError(f"{short_name(path)}: the one leaf below link {shown(base)} "
                                 f"that a joint moves, {shown(tip)}, is carried less than 1 mm "
                                 f"by its joints (a wheel, rotor or finger turning in place), "
                                 f"and no link is farther out: no tool to move (a tool must be "
                                 f"1 mm or more from its first joint)") from None
            if len(order) > MAX_TRIED_LEAVES:   # (the others were not tried)
                raise ValueError(f"{short_name(path)}: none of the {MAX_TRIED_LEAVES + 1} "
                                 f"leaves tried of the {len(leaves)} below link {shown(base)} "
                                 f"(most joints first) is carried 1 mm or more by its joints "
                                 f"(wheels, rotors and fingers turning in place): name the "
                                 f"tool (tip=LINK; on the command line --tip LINK)") from None
            raise ValueError(f"{short_name(path)}: no leaf below link {shown(base)} is carried "
                             f"1 mm or more by its joints (wheels, rotors and fingers turning "
                             f"in place): no tool to move") from None
    # where it came from, for its <visual> geometry (armsim.kinematics.visuals) and look
    chain.urdf, chain.robot_name = path, str(robot.name)
    # with no tip named: {leaf: its movable joints} of every leaf below the base that a
    # joint moves, in file order (the tip, the one with the most, among them), for a caller
    # to say which it took
    chain.leaves = leaves
    for built in ON_LOAD:
        built(chain)
    return chain


def _chain(path, robot, elements, links, parent_joint, base, tip):
    """The :class:`SpatialChain` of the parsed file from ``base`` to ``tip``, or one line
    (a chain whose reach is under 1 mm: its ValueError's ``reach_short``)."""
    chain = []
    link = tip
    while link != base:                  # the links form a tree: this ends at the root
        j = parent_joint.get(link)
        if j is None:
            raise ValueError(f"{short_name(path)}: link {shown(tip)} is not below link {shown(base)}")
        chain.append(j)
        link = j.parent
    chain.reverse()
    arm = f"the arm from link {shown(base)} to link {shown(tip)}"
    try:
        validate.chain_size(sum(j.type in MOVABLE for j in chain),
                            f"the chain from link {shown(base)} to link {shown(tip)}")
        joints, tool = _joints(chain, elements)
    except ValueError as exc:
        err = ValueError(f"{short_name(path)}: {exc}")
        # a joint only a whole robot reads: why (its caller may load the robot instead)
        err.whole_robot, err.tip = getattr(exc, "whole_robot", None), tip
        err.remedy = getattr(exc, "remedy", None)
        raise err from None
    if not joints and not any(j.type != "fixed" for j in robot.joints):
        fixed = len(robot.joints)           # (an object: load_robot says the same)
        raise ValueError(f"{short_name(path)}: the robot has no movable joint ({len(links)} "
                         f"link{'s' if len(links) > 1 else ''}, "
                         f"{fixed or 'no'} fixed joint{'s' if fixed != 1 else ''})")
    if not joints:
        raise ValueError(f"{short_name(path)}: no movable joint between links {shown(base)} and "
                         f"{shown(tip)}")
    try:
        chain = SpatialChain(joints, tool[:3, 3], matrix_rpy(tool[:3, :3]), base=base, tip=tip,
                             name=arm)
    except ValueError as exc:
        err = ValueError(f"{short_name(path)}: {exc}")
        err.reach_short = getattr(exc, "reach_short", False)
        raise err from None
    return chain


def _tree_of(path):
    """The parsed file (:func:`_parse`), its link names and its one tree
    (:func:`validate.tree`: root, parent joint of each link, children), or one line."""
    robot, elements = _parse(path)
    links = [lk.name for lk in robot.links]
    if not links:
        raise ValueError(f"{short_name(path)}: no <link> in the file")
    try:
        for j in robot.joints:
            if j.parent is None or j.child is None:
                raise ValueError(f"joint {shown(j.name)} lacks its <parent link=...> or "
                                 f"<child link=...>")
        return robot, elements, links, validate.tree(links, robot.joints)
    except ValueError as exc:
        raise ValueError(f"{short_name(path)}: {exc}") from None


def _path_of(path):
    try:
        return Path(path)
    except TypeError:
        raise ValueError(f"a URDF file's path must be a string or a Path, got "
                         f"{type(path).__name__}") from None


def load_robot(path, tips=None, base_joint=None):
    """The whole robot of a URDF file: a :class:`~armsim.kinematics.tree.Robot` (a kinematic
    tree with every joint type a chain has, mimic joints, and a floating or planar base).

    Parameters
    ----------
    path : str or Path
        Checked as for :func:`load_urdf` (size, markup, one tree, every number's range).
    tips : list or tuple of str, optional
        The tool links, in order (a set is refused: its order changes between runs;
        default: every leaf of the tree).
    base_joint : None, "floating" or "planar"
        Add a moving base above the file's root (6 or 3 free coordinates, named
        ``base_x``, ``base_y``, ..., below a link ``world``; ``base_2_x``, ``world_2`` ...
        when the file has those names); a file's own ``floating`` or ``planar`` joint is
        read as one.

    Raises
    ------
    ValueError
        One line, ``PATH: what is wrong``.
    """
    path = _path_of(path)
    if base_joint not in (None, "floating", "planar"):
        raise ValueError(f"base_joint must be None, 'floating' or 'planar', got "
                         f"{ranges.shown(base_joint)!r}")
    ordered_tips(tips)
    robot, elements, links, (root, _, _) = _tree_of(path)
    try:
        joints = [_tree_joint(j, elements[j.name]) for j in robot.joints]
        added = None
        if base_joint is not None:
            world, added = _base_names(links, [j.name for j in joints])
            links = [world] + links
            joints.insert(0, TreeJoint(added, base_joint, world, root, axis=(0.0, 0.0, 1.0)))
        tree = Robot(links, joints, tips=tips, name=str(robot.name), added_base=added)
        for tip in tree.tips:       # each tool's arm checked now (its reach), as load_urdf
            if tree._path(tip)[1]:  # checks a chain's, not at its first use
                tree.chain(tip)
    except ValueError as exc:
        raise ValueError(f"{short_name(path)}: {exc}") from None
    tree.urdf = path
    return tree


def _base_names(links, joints):
    """The added base's link and joint names: ``world`` and ``base`` (its coordinates
    ``base_x``, ``base_y``, ...), or with ``_2``, ``_3``, ... when the file uses them."""
    links, joints = set(links), set(joints)
    world = next(w for w in (f"world{s}" for s in _suffixes()) if w not in links)
    name = next(b for b in (f"base{s}" for s in _suffixes()) if not any(
        b + part in joints for part in ("", "_x", "_y", "_z", "_yaw", "_pitch", "_roll")))
    return world, name


def _suffixes():
    yield ""
    i = 2
    while True:
        yield f"_{i}"
        i += 1


def _tree_joint(j, element):
    """A yourdfpy joint as a :class:`TreeJoint`, each number read from the file's text and
    checked first."""
    where = f"joint {shown(j.name)}"
    if j.type not in MOVABLE + REFUSED + ("fixed",):
        raise ValueError(f"{where} has an unknown type {ranges.shown(j.type)!r}"
                         f"{_NOT_URDF.get(j.type, '')}")
    T = _origin(element, where)
    axis = _axis(element, where)
    mimic_el = element.find("mimic")
    kind, limits, _ = _limits(j.type, element.find("limit"), mimic_el is not None, where)
    if limits is None:      # a mimic's: none of its own (its source's rule); else not read
        limits = (-np.inf, np.inf) if kind in ("revolute", "prismatic") else (-np.pi, np.pi)
    mimic = None
    if mimic_el is not None and j.type == "fixed":
        mimic_el = None     # (it cannot move: Talos's reduced models keep their grippers' tags)
    if mimic_el is not None:
        if j.type not in MOVABLE:
            raise ValueError(f"{where} is {j.type} and cannot mimic another joint")
        if mimic_el.get("joint") is None:       # (str(None) mimicked a joint named 'None')
            raise ValueError(f"{where}: its <mimic> lacks its joint=... (the joint it follows)")
        mult = validate.number(mimic_el.get("multiplier", "1"), "multiplier",
                               f"{where}: mimic multiplier")
        off = validate.number(mimic_el.get("offset", "0"), "joint", f"{where}: mimic offset")
        mimic = (str(mimic_el.get("joint")), mult, off)
    return TreeJoint(str(j.name), kind, str(j.parent), str(j.child),
                     tuple(T[:3, 3]), tuple(matrix_rpy(T[:3, :3])), tuple(axis), *limits, mimic)


def _limits(kind, limit, mimic, where):
    """A joint's limits as both readers take them (:func:`load_urdf`'s chain and
    :func:`load_robot`'s tree), from the text of its ``<limit>`` element (or None) and whether
    it mimics another joint: ``(kind, (lo, hi) or None, slide)``, the kind read, its limits
    (None: none of its own) and, for an unbounded slide (a moving base's, which a chain
    refuses), its limits in words (else None); or a one-line ValueError.  A revolute or
    prismatic joint's limits are each within +-1e6 rad or m; the idioms of "no limit":
    +-1e16 on a turn (SDF's, :func:`validate.unlimited_turn`), lower > upper (pybullet's),
    a ``<limit>`` with neither (pybullet's defaults 0 and -1 then: minitaur.urdf) make a turn
    continuous, a slide unbounded and a mimic free of limits of its own; a slide beyond
    +-1e3 m is unbounded too (:func:`tree.unbounded_slide`)."""
    if kind not in ("revolute", "prismatic"):
        return kind, None, None
    lower, upper = (None, None) if limit is None else (limit.get("lower"), limit.get("upper"))
    if limit is not None and lower is None and upper is None and not mimic:
        lower, upper = "0", "-1"      # pybullet's defaults
    if validate.unlimited_turn(kind, lower, upper):
        return ("revolute" if mimic else "continuous"), None, None
    if lower is None or upper is None:
        if mimic:
            return kind, None, None
        raise ValueError(f"{where} ({kind}) needs <limit lower=... upper=...>")
    quantity = "position" if kind == "prismatic" else "angle"
    lo = validate.number(lower, quantity, f"{where}: limit lower")
    hi = validate.number(upper, quantity, f"{where}: limit upper")
    if lo > hi and (mimic or kind == "revolute"):     # pybullet's "no limit"
        return kind if mimic else "continuous", None, None
    if lo > hi:
        return kind, (-UNLIMITED_SLIDE, UNLIMITED_SLIDE), (f"limits lower {lo:g} > upper "
                                                           f"{hi:g}, no limit (pybullet's rule)")
    slide = not mimic and unbounded_slide(types.SimpleNamespace(type=kind, lower=lo, upper=hi))
    return kind, (lo, hi), f"limits ({lo:g}, {hi:g}) m" if slide else None


def _origin(element, where):
    """A joint's origin (4, 4) from the file's text, each number checked first."""
    origin = element.find("origin")
    xyz, rpy = ("0 0 0", "0 0 0") if origin is None else (origin.get("xyz", "0 0 0"),
                                                           origin.get("rpy", "0 0 0"))
    T = np.eye(4)
    T[:3, 3] = validate.vector(xyz, "length", f"{where}: origin xyz")
    T[:3, :3] = rpy_matrix(validate.vector(rpy, "angle", f"{where}: origin rpy"))
    return T


def _axis(element, where):
    """A joint's ``<axis xyz>`` (3,) from the file's text, each number checked first: read
    for every joint (a fixed one's too), so a non-finite axis is malformed in any joint and
    :func:`load_urdf` and :func:`load_robot` refuse it in the same words."""
    axis_el = element.find("axis")
    return validate.vector("1 0 0" if axis_el is None else axis_el.get("xyz", "1 0 0"),
                           "axis", f"{where}: axis")


def _joints(chain, elements):
    """The movable :class:`Joint` of ``chain`` (yourdfpy joints, base first) with the fixed
    joints folded in, and the tool offset (4, 4) after the last one."""
    joints = []
    pending = np.eye(4)                    # fixed transforms since the last movable joint
    lo_len, hi_len, _ = validate.LENGTH_RANGE
    for j in chain:
        where = f"joint {shown(j.name)}"
        if (j.mimic is not None and j.type != "fixed") or j.type in REFUSED:
            # (a fixed joint's <mimic> is left aside, as load_robot does: it cannot move)
            what = "a mimic joint" if j.mimic is not None else j.type
            remedy = "(armsim.load_robot; on the command line --tips)"
            err = ValueError(f"{where} is {what}; a chain (load_urdf, --tip) takes no mimic, "
                             f"floating, planar or spherical joint: load the whole robot "
                             f"{remedy}")
            err.whole_robot, err.remedy = f"{where} is {what}", remedy
            raise err
        if j.type != "fixed" and j.type not in MOVABLE:
            raise ValueError(f"{where} has an unknown type {ranges.shown(j.type)!r}"
                         f"{_NOT_URDF.get(j.type, '')}")
        element = elements[j.name]
        T = pending @ _origin(element, where)    # every entry within +-1e3 per joint: finite
        axis = _axis(element, where)        # a fixed joint's too: its text is read, as load_robot
        if j.type == "fixed":
            pending = T
            continue
        pending = np.eye(4)
        if not np.all((T[:3, 3] >= lo_len) & (T[:3, 3] <= hi_len)):
            raise ValueError(f"{where}: its origin with the fixed joints before it is "
                             f"[{', '.join(f'{x:g}' for x in T[:3, 3])}] m, beyond "
                             f"[{lo_len:g}, {hi_len:g}] m")
        kind, limits, slide = _limits(j.type, element.find("limit"), False, where)
        if slide:
            remedy = "(armsim.load_robot, or run_arm.py with --tips LINK)"
            err = ValueError(f"{where}: {slide}, an unbounded slide (a moving base's): a "
                             f"chain's travel must be within [{lo_len:g}, {hi_len:g}] m; load "
                             f"the whole robot {remedy}")
            err.whole_robot = f"{where} is an unbounded slide (a moving base's)"
            err.remedy = remedy         # (what a scene says instead: armsim.scene.sections)
            raise err
        joint = Joint(j.name, kind, tuple(T[:3, 3]), tuple(matrix_rpy(T[:3, :3])),
                      tuple(axis), *(limits or (-np.inf, np.inf)))
        validate.joint(joint)                    # this joint alone, named
        joints.append(joint)
    if not np.all((pending[:3, 3] >= lo_len) & (pending[:3, 3] <= hi_len)):
        raise ValueError(f"the tool offset (the fixed joints after the last movable one) is "
                         f"[{', '.join(f'{x:g}' for x in pending[:3, 3])}] m, beyond "
                         f"[{lo_len:g}, {hi_len:g}] m")
    return joints, pending


def _deepest(base, children, parent_joint):
    """The leaf below ``base`` with the most movable joints on its way (first on a tie), and
    {leaf: its count} of every leaf with a movable joint on its way (depth-first, in file
    order)."""
    best, best_count = base, -1
    stack = [(base, 0)]
    order = []
    while stack:
        link, count = stack.pop()
        kids = children[link]
        if not kids:
            order.append((link, count))
        for c in reversed(kids):
            stack.append((c, count + (parent_joint[c].type != "fixed")))
    for link, count in order:       # depth-first, in file order
        if count > best_count:
            best, best_count = link, count
    return best, {link: count for link, count in order if count}
