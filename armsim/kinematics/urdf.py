"""URDF files as spatial chains (:func:`load_urdf`), parsed by yourdfpy.

The file is read with yourdfpy (a dependency of armsim) without meshes or
scene graphs: only links and joints matter.  One chain is taken from the link
tree, from ``base`` to ``tip`` (by default the root and the leaf with the most
movable joints below it); fixed joints on it are folded into the next joint's
origin (or the tool offset after the last one).  Mimic, floating and planar
joints on the chain are refused.  Anything wrong with the file is one
``ValueError`` line: ``PATH: what is wrong``.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np

from armsim.kinematics.spatial import Joint, SpatialChain, matrix_rpy

__all__ = ["load_urdf"]

MOVABLE = ("revolute", "continuous", "prismatic")
REFUSED = ("floating", "planar")


def _parse(path):
    try:
        import yourdfpy
    except ImportError:
        raise ValueError(f"{path}: reading URDF needs yourdfpy, a dependency of armsim: "
                         "pip install yourdfpy") from None
    from lxml import etree   # a dependency of yourdfpy: strict XML first, for a clear message
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the file ({exc})") from None
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"{path}: not well-formed XML: {exc.msg}") from None
    if tree.getroot().tag != "robot":
        raise ValueError(f"{path}: the root element must be <robot>, got <{tree.getroot().tag}>")
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            urdf = yourdfpy.URDF.load(str(path), build_scene_graph=False, load_meshes=False,
                                      build_collision_scene_graph=False,
                                      load_collision_meshes=False)
    except KeyError as exc:
        raise ValueError(f"{path}: a URDF element lacks its {exc.args[0]!r} attribute") from None
    except Exception as exc:   # yourdfpy's own errors carry no common type
        raise ValueError(f"{path}: not a valid URDF ({str(exc).splitlines()[0][:120]})") from None
    return urdf.robot


def load_urdf(path, base=None, tip=None) -> SpatialChain:
    """The serial chain of a URDF file from link ``base`` to link ``tip``.

    Parameters
    ----------
    path : str or Path
    base : str, optional
        The first link (default: the root of the link tree).
    tip : str, optional
        The tool link (default: the leaf below ``base`` with the most movable joints
        on its way, the first in the file on a tie).

    Returns
    -------
    SpatialChain
    """
    path = Path(path)
    robot = _parse(path)
    links = [lk.name for lk in robot.links]
    if not links:
        raise ValueError(f"{path}: no <link> in the file")
    names = set(links)
    parent_joint = {}          # child link -> joint
    children = {lk: [] for lk in links}
    for j in robot.joints:
        for end, link in (("parent", j.parent), ("child", j.child)):
            if link not in names:
                raise ValueError(f"{path}: joint {j.name!r}: {end} link {link!r} is not "
                                 f"a <link> of the file")
        if j.child in parent_joint:
            raise ValueError(f"{path}: link {j.child!r} is the child of two joints "
                             f"({parent_joint[j.child].name!r}, {j.name!r})")
        parent_joint[j.child] = j
        children[j.parent].append(j.child)
    roots = [lk for lk in links if lk not in parent_joint]
    if len(roots) != 1:
        raise ValueError(f"{path}: the links must form one tree, found {len(roots)} roots"
                         + (f" ({', '.join(map(repr, roots[:4]))})" if roots else ""))
    for which, name in (("base", base), ("tip", tip)):
        if name is not None and name not in names:
            raise ValueError(f"{path}: no link named {str(name)[:60]!r} (the {which}); links: "
                             f"{', '.join(links[:12])}{', ...' if len(links) > 12 else ''}")
    base = roots[0] if base is None else base
    if tip is None:
        tip = _deepest(base, children, parent_joint)
    chain = []
    link = tip
    while link != base:
        j = parent_joint.get(link)
        if j is None:
            raise ValueError(f"{path}: link {tip!r} is not below link {base!r}")
        chain.append(j)
        link = j.parent
    chain.reverse()
    joints = []
    pending = np.eye(4)                    # fixed transforms since the last movable joint
    for j in chain:
        T = np.eye(4) if j.origin is None else np.asarray(j.origin, dtype=float)
        if j.mimic is not None:
            raise ValueError(f"{path}: joint {j.name!r} is a mimic joint; mimic, floating and "
                             f"planar joints are not supported")
        if j.type in REFUSED:
            raise ValueError(f"{path}: joint {j.name!r} is {j.type}; mimic, floating and "
                             f"planar joints are not supported")
        if j.type == "fixed":
            pending = pending @ T
            continue
        if j.type not in MOVABLE:
            raise ValueError(f"{path}: joint {j.name!r} has an unknown type {j.type!r}")
        T = pending @ T
        pending = np.eye(4)
        axis = (1.0, 0.0, 0.0) if j.axis is None else tuple(np.asarray(j.axis, dtype=float))
        lo, hi = -np.inf, np.inf
        if j.type != "continuous":
            lim = j.limit
            if lim is None or lim.lower is None or lim.upper is None:
                raise ValueError(f"{path}: joint {j.name!r} ({j.type}) needs <limit lower=... "
                                 f"upper=...>")
            lo, hi = float(lim.lower), float(lim.upper)
        try:
            joints.append(Joint(j.name, j.type, tuple(T[:3, 3]), tuple(matrix_rpy(T[:3, :3])),
                                axis, lo, hi))
            SpatialChain(joints[-1:])          # check this joint alone
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    if not joints:
        raise ValueError(f"{path}: no movable joint between links {base!r} and {tip!r}")
    return SpatialChain(joints, pending[:3, 3], matrix_rpy(pending[:3, :3]), base=base, tip=tip)


def _deepest(base, children, parent_joint):
    """The leaf below ``base`` with the most movable joints on its way (first on a tie)."""
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
    return best
