"""A URDF's ``<visual>`` geometry, placed in the frames of its spatial chain (numpy, no drawing).

:func:`chain_visuals` reads the file a :class:`~armsim.kinematics.spatial.SpatialChain` came
from (:func:`~armsim.kinematics.urdf.load_urdf` keeps its path) with the same checks
(:func:`~armsim.kinematics.urdf.parse_root`: bounded size and markup, no entities) and
returns, for each frame of the chain (0 = the base, ``i + 1`` = the link after movable joint
``i``), the visual items of the links that move with it: the links of the chain itself and
those hanging from them by fixed joints.  The chain folds fixed joints into the next movable
joint's origin, so a link between two movable joints sits in the frame of the first at the
product of the fixed origins after it; that product is folded into each item's ``origin``.

Items are :class:`Visual`: a ``box`` (size x y z), a ``cylinder`` (radius, length along z,
centred), a ``sphere`` (radius) or a ``mesh`` (vertices and triangles, ``scale`` applied)
read by trimesh (imported only when a mesh is named: STL, OBJ, and what else trimesh reads)
and decimated by vertex clustering to at most :data:`MAX_TRIANGLES` triangles a mesh.  A
mesh path is relative to the URDF file; ``package://NAME/rest`` is looked up as
``DIR/NAME/rest`` (or ``DIR/rest`` when ``DIR`` is itself called NAME) in each of
``package_dirs``, then of ``ROS_PACKAGE_PATH``, then the URDF's folder and each folder
above it (a URDF inside its package, ``NAME/urdf/robot.urdf``).  A mesh that cannot be found
or read is left out with one line to ``warn`` (the meshes of a package not found: one line for
the package), which says what is drawn instead: generated shapes when nothing else of the file
moves with that link, else nothing (its other visuals are drawn); a bad shape is left out
alone the same way.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from armsim import ranges
from armsim.files import InputError, read_regular, short_name
from armsim.kinematics import validate
from armsim.kinematics.spatial import rpy_matrix
from armsim.kinematics.validate import shown

__all__ = ["Visual", "chain_visuals", "link_visuals", "decimate", "resolve_mesh", "MAX_TRIANGLES",
           "MAX_MESH_BYTES"]

#: triangles a mesh keeps at most (more are merged by vertex clustering)
MAX_TRIANGLES = 2000
#: visual items of one chain, at most (each mesh at most MAX_TRIANGLES): the rest are left
#: out with one warning line
MAX_VISUALS = 256
#: the largest mesh file read [bytes]
MAX_MESH_BYTES = 64 << 20
#: the mesh formats read (trimesh's plain ones: its archives, zip, zae, 3mf, tar, bz2,
#: would unpack without a bound, 186 KB of zip to 4 GB)
MESH_FORMATS = ("stl", "obj", "dae", "ply", "off", "glb")
#: a mesh vertex's largest coordinate after its scale [m] (a URDF length's range)
MAX_VERTEX = 1.0e3
KINDS = ("box", "cylinder", "sphere", "mesh")


@dataclass
class Visual:
    """One visual item of a link, in its chain frame.

    kind : "box", "cylinder", "sphere" or "mesh"
    scale : (3,) the unit shape's scale: box sizes; cylinder (r, r, length); sphere (r, r, r);
            a mesh's (already applied to ``vertices``)
    origin : (4, 4) the item's pose in its chain frame
    link : the link's name
    color : (3,) RGB 0-255 from its ``<material>`` (None = the look's)
    vertices, faces : a mesh's (V, 3) [m] and (F, 3) int
    """

    kind: str
    scale: np.ndarray
    origin: np.ndarray
    link: str
    color: tuple | None = None
    vertices: np.ndarray | None = None
    faces: np.ndarray | None = field(default=None, repr=False)


def _pose(element, where):
    """An ``<origin xyz rpy>`` (or its absence) as a 4x4, each number checked."""
    T = np.eye(4)
    if element is not None:
        T[:3, 3] = validate.vector(element.get("xyz", "0 0 0"), "length", f"{where}: origin xyz")
        T[:3, :3] = rpy_matrix(validate.vector(element.get("rpy", "0 0 0"), "angle",
                                               f"{where}: origin rpy"))
    return T


def _positive(text, what, size=1):
    """Lengths > 0 and at most the length range's bound (a size, a radius)."""
    items = [] if text is None else str(text).split()
    if not items:
        lengths = "a length" if size == 1 else f"{size} lengths"
        raise ValueError(f"{what} is missing (give {lengths} in metres)")
    if size == 1 and len(items) != 1:
        raise ValueError(f"{what} must be one number, got {ranges.shown(text)!r}")
    top = validate.LENGTH_RANGE[1]
    if len(items) == size and all(validate.number_text(x) for x in items) and not all(
            0.0 < float(x) <= top for x in items):
        raise ValueError(f"{what} must be positive, at most {top:g} m, got "
                         f"{ranges.shown(text)!r}")
    return validate.vector(text, "length", what, size)     # (not numbers, or not `size`)


def _empty(shape):
    """Whether ``shape`` (a box, cylinder or sphere) has a size of exactly zero and none
    negative: a marker the file means unseen (pybullet's laikago_toes.urdf gives each toe a
    sphere of radius 0.0), drawn as nothing, without a warning."""
    keys = {"box": ("size",), "cylinder": ("radius", "length"), "sphere": ("radius",)}
    items = [x for key in keys.get(shape.tag, ()) for x in str(shape.get(key, "")).split()]
    return (bool(items) and all(validate.number_text(x) for x in items)
            and all(float(x) >= 0.0 for x in items) and any(float(x) == 0.0 for x in items))


def _nonzero(text, what, size=1):
    """A mesh scale: lengths that are not zero (a negative one mirrors the mesh)."""
    v = validate.vector(text if text is not None else "", "length", what, size)
    if np.any(v == 0):
        raise ValueError(f"{what} must not be zero, got {ranges.shown(text)!r}")
    return v


def _color(material, named):
    """RGB 0-255 of a ``<material>`` (inline colour or one named at the top level)."""
    if material is None:
        return None
    c = material.find("color")
    if c is None:
        c = named.get(material.get("name"))
    if c is None or c.get("rgba") is None:
        return None
    try:
        rgba = validate.vector(c.get("rgba"), "axis", "material rgba", 4)
    except ValueError:
        return None
    return tuple(int(round(255 * min(max(x, 0.0), 1.0))) for x in rgba[:3])


def resolve_mesh(filename, urdf_path, package_dirs=None) -> Path | None:
    """Where a ``<mesh filename>`` is: relative to the URDF's folder, ``file://`` absolute,
    ``package://NAME/rest`` through ``package_dirs``, ``ROS_PACKAGE_PATH``, then the URDF's
    folder and each above it; None when no candidate exists."""
    name = str(filename)
    if name.startswith("file://"):
        name = name[len("file://"):]
    if name.startswith("package://"):
        pkg, _, sub = name[len("package://"):].partition("/")
        for d in _package_search(urdf_path, package_dirs):
            for cand in ((d / sub) if d.name == pkg else None, d / pkg / sub):
                if cand is not None and _is_file(cand):
                    return cand
        return None
    p = Path(name)
    p = p if p.is_absolute() else Path(urdf_path).resolve().parent / p
    return p if _is_file(p) else None


def _package_search(urdf_path, package_dirs):
    """The folders a ``package://`` path is looked up in, in order: ``package_dirs``,
    ``ROS_PACKAGE_PATH``, the URDF's folder and each above it."""
    dirs = list(package_dirs or ()) + [d for d in os.environ.get("ROS_PACKAGE_PATH",
                                                                 "").split(os.pathsep) if d]
    try:        # then the URDF's folder and those above it (a file inside its package)
        here = Path(urdf_path).resolve().parent
        dirs += [here, *here.parents]
    except (OSError, RuntimeError, ValueError):
        pass
    return [Path(d) for d in dirs]


def _package_folder(pkg, urdf_path, package_dirs):
    """The first folder of package ``pkg`` :func:`resolve_mesh` looks in (one called
    ``pkg``, or ``pkg`` inside a folder searched), else None."""
    for d in _package_search(urdf_path, package_dirs):
        for cand in (d if d.name == pkg else None, d / pkg):
            try:
                if cand is not None and cand.is_dir():
                    return cand
            except (OSError, ValueError):
                pass
    return None


def _missing(filename, urdf_path):
    """Why :func:`resolve_mesh` found no file: "not found", or "is not a regular file" (a
    device, pipe or folder of that name)."""
    name = str(filename)
    if filename is None or name.startswith("package://"):
        return "not found"
    p = Path(name[len("file://"):] if name.startswith("file://") else name)
    p = p if p.is_absolute() else Path(urdf_path).resolve().parent / p
    try:
        return "is not a regular file" if p.exists() else "not found"
    except (OSError, ValueError):
        return "not found"


def _is_file(p):
    """Whether p is a file (a name the system refuses, too long or not encodable: no)."""
    try:
        return p.is_file()
    except (OSError, ValueError):
        return False


_KEY_CLUSTERS = 1 << 21     # decimate: a triangle's corners as one int64 key below this many


def decimate(vertices, faces, budget=MAX_TRIANGLES):
    """At most ``budget`` triangles of a mesh by vertex clustering: vertices snapped to a
    grid (coarser until the triangles fit) and merged into their cell's mean; triangles
    that collapse or repeat are dropped.  Deterministic.  The clusters are numbered in the
    order of their cells (x, then y, then z) and a repeated triangle keeps its first
    copy, in the order of its sorted corners: each cell and each triangle is one integer
    key (a 1-D sort, not a sort of rows; rows past :data:`_KEY_CLUSTERS` clusters)."""
    V = np.asarray(vertices, dtype=float)
    F = np.asarray(faces, dtype=int)
    if len(F) <= budget:
        return V, F
    if not np.all(np.isfinite(V)):
        raise ValueError("decimate: the vertices must be finite")
    lo, hi = V.min(axis=0), V.max(axis=0)
    extent = float(np.max(hi - lo)) or 1.0
    cells = max(2, int(np.sqrt(budget / 2.0)))
    while True:
        step = extent / cells
        key = np.floor((V - lo) / step).astype(np.int64)
        size = key.max(axis=0) + 1                          # cells along x, y, z
        flat = (key[:, 0] * size[1] + key[:, 1]) * size[2] + key[:, 2]
        if int(np.prod(size)) <= max(4 * len(V), 1 << 16):
            # few cells: counted (no sort); the occupied ones numbered in order
            counts = np.bincount(flat)
            rank = np.cumsum(counts > 0) - 1
            cluster, counts = rank[flat], counts[counts > 0]
        else:
            _, cluster, counts = np.unique(flat, return_inverse=True, return_counts=True)
            cluster = cluster.reshape(-1)
        merged = np.stack([np.bincount(cluster, weights=V[:, i], minlength=len(counts))
                           for i in range(3)], axis=1)
        merged /= counts[:, None]
        G = cluster[F]
        keep = (G[:, 0] != G[:, 1]) & (G[:, 1] != G[:, 2]) & (G[:, 0] != G[:, 2])
        G = G[keep]
        S = np.sort(G, axis=1)
        m = len(counts)
        if m < _KEY_CLUSTERS:           # (m^3 < 2^63: the key fits in int64)
            first = np.unique((S[:, 0] * m + S[:, 1]) * m + S[:, 2], return_index=True)[1]
        else:
            first = np.unique(S, axis=0, return_index=True)[1]
        G = G[first]
        if len(G) <= budget or cells <= 2:
            return merged, G
        cells = max(2, int(cells / 1.4))


def _load_mesh(path, scale):
    """(vertices, faces) of a mesh file read by trimesh, scaled; ValueError if unreadable."""
    kind = path.suffix.lstrip(".").lower()
    if kind not in MESH_FORMATS:
        raise ValueError(f"mesh format {path.suffix or '(none)'!r} is not read (the formats: "
                         f"{', '.join(MESH_FORMATS)})")
    try:
        data = read_regular(path, MAX_MESH_BYTES)
    except InputError as exc:
        raise ValueError(f"cannot read the mesh: {exc}") from None
    try:
        import trimesh
    except ImportError:
        raise ValueError("reading meshes needs trimesh (a dependency of yourdfpy)") from None
    log = logging.getLogger("trimesh")
    level = log.level
    log.setLevel(logging.CRITICAL)          # its own messages stay quiet: ours is one line
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")     # (huge vertices: ours is the one line)
            mesh = trimesh.load(io.BytesIO(data), file_type=kind, force="mesh", process=True)
            V, F = np.asarray(mesh.vertices, float), np.asarray(mesh.faces, int)
            far = float(np.abs(V * scale).max(initial=0.0))
        if F.ndim != 2 or F.shape[1] != 3 or len(F) == 0 or not np.all(np.isfinite(V)):
            # (trimesh drops a triangle with a vertex that is not a number)
            raise _Unread("the mesh has no triangles of finite vertices")
        if not far <= MAX_VERTEX:
            raise _Unread(f"the mesh's vertices must be within +-{MAX_VERTEX:g} m, got "
                          f"{far:.3g} m")
        if np.prod(np.sign(scale)) < 0:     # mirrored: the faces keep their winding
            F = F[:, ::-1]
        V, F = decimate(V * scale, F)
        # one winding, outward (the view drops back faces), on the decimated triangles: on
        # a 29,000-face leg of 400 parts it took 12 s, on its 830 triangles 0.6 s
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fixed = trimesh.Trimesh(V, F, process=False)
                fixed.fix_normals()
                V, F = np.asarray(fixed.vertices, float), np.asarray(fixed.faces, int)
            except Exception:       # needs a graph library trimesh may lack: keep as is
                pass
    except _Unread as exc:
        raise ValueError(str(exc)) from None
    except Exception as exc:            # trimesh raises many types for a bad file
        text = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ValueError(f"cannot read the mesh ({text[:100]})") from None
    finally:
        log.setLevel(level)
    return V, F


class _Unread(Exception):
    """A mesh read whose numbers are refused (its message is the line said)."""


def _tree(root):
    """Parent joint element of each child link, children of each link (element order)."""
    parent, children = {}, {}
    for j in root.findall("joint"):
        p, c = j.find("parent"), j.find("child")
        if p is None or c is None:
            continue
        parent[c.get("link")] = j
        children.setdefault(p.get("link"), []).append(j)
    return parent, children


def chain_visuals(chain, package_dirs=None, warn=None) -> list[list[Visual]]:
    """The visual items of ``chain`` (read from ``chain.urdf``), one list per chain frame
    (``chain.n + 1`` lists; see the module's docstring).  ``warn(line)`` is told of each
    mesh left out (default: nobody)."""
    from armsim.kinematics.urdf import parse_root
    path = Path(chain.urdf)
    root = parse_root(path)
    parent, children = _tree(root)
    links = {lk.get("name"): lk for lk in root.findall("link")}
    named = {m.get("name"): m.find("color") for m in root.findall("material")}
    # the chain's links, tip to base: each with its frame index and fixed offset
    path_links = []
    link = chain.tip
    while link != chain.base:
        path_links.append(link)
        j = parent.get(link)
        if j is None:
            raise ValueError(f"{short_name(path)}: link {shown(link)} is not below link "
                             f"{shown(chain.base)}")
        link = j.find("parent").get("link")
    path_links.append(chain.base)
    path_links.reverse()
    on_path = set(path_links)
    placed = {chain.base: (0, np.eye(4))}
    k, pending = 0, np.eye(4)
    for link in path_links[1:]:
        j = parent[link]
        T = pending @ _pose(j.find("origin"), f"joint {shown(j.get('name'))}")
        if j.get("type") == "fixed":
            pending = T
        else:
            k, pending = k + 1, np.eye(4)
        placed[link] = (k, pending.copy())
    # links hanging from the chain by fixed joints move with the link they hang from
    stack = list(path_links)
    while stack:
        link = stack.pop()
        for j in children.get(link, ()):
            c = j.find("child").get("link")
            if c in on_path or c in placed or j.get("type") != "fixed":
                continue
            fk, fT = placed[link]
            placed[c] = (fk, fT @ _pose(j.find("origin"), f"joint {shown(j.get('name'))}"))
            stack.append(c)
    return _collect([(name, k, T) for name, (k, T) in placed.items()], chain.n + 1, links,
                    path, package_dirs, named, warn, "chain")


def _collect(placed, size, elements, path, package_dirs, named, warn, what):
    """``size`` lists: in list k the items of each (link name, k, its pose ``T_link`` in
    frame k) of ``placed``; at most :data:`MAX_VISUALS` in all (``what``: "chain" or
    "robot", for the warning), a bad shape left out alone.  Each warning ends in what is
    drawn instead, known once every item is read: a generated shape when nothing else is
    in the frame, else nothing (the frame's other visuals are drawn)."""
    out = [[] for _ in range(size)]
    count, meshes = 0, {}                   # meshes: each file and scale read once
    missing = {}                            # package -> (link, k) whose mesh is not found
    said = []                               # (text, link, k, named) of each item left out
    for name, k, T_link in placed:
        element = elements.get(name)
        for vis in ([] if element is None else element.findall("visual")):
            if count == MAX_VISUALS:
                _say(said, out, warn)
                if warn is not None:
                    warn(f"{short_name(path)}: the {what} has more than {MAX_VISUALS} visuals; "
                         f"the rest (from link {shown(name)} on) are left out")
                _unfound_packages(missing, path, warn, out)
                return out
            count += 1
            try:
                item = _item(vis, name, k, T_link, path, package_dirs, named, said, meshes,
                             missing)
            except ValueError as exc:      # a bad shape: this item alone is left out
                said.append((str(exc), name, k, False))
                item = None
            if item is not None:
                out[k].append(item)
    _say(said, out, warn)
    _unfound_packages(missing, path, warn, out)
    return out


def _say(said, out, warn):
    """One warning line for each item of ``said`` (text, link, frame, whether the text
    names the link already), ending in what is drawn instead."""
    if warn is None:
        return
    for text, link, k, named in said:
        if out[k]:
            warn(f"{text}; left out (the other visuals that move with link {shown(link)} "
                 f"are drawn)")
        else:
            end = "" if named else f" for link {shown(link)}"
            warn(f"{text}; drawing a generated shape{end}")


def _instead(places, out):
    """What a line about several links' items left out ends in: generated shapes for the
    links whose frame draws nothing else, left out for the others."""
    bare = list(dict.fromkeys(link for link, k in places if not out[k]))
    kept = [link for link in dict.fromkeys(link for link, _ in places) if link not in bare]
    parts = []
    if bare:
        parts.append(f"drawing generated shapes for link{'s' if len(bare) > 1 else ''} "
                     f"{_some(bare)}")
    if kept:
        parts.append(f"left out for link{'s' if len(kept) > 1 else ''} {_some(kept)} (the "
                     f"other visuals that move with {'them' if len(kept) > 1 else 'it'} are "
                     f"drawn)")
    return "; ".join(parts)


def _some(links):
    return ", ".join(shown(link) for link in links[:3]) + (", ..." if len(links) > 3 else "")


def _unfound_packages(missing, path, warn, out):
    """One warning line for each package of ``missing`` (name -> (link, frame) of each
    ``package://`` mesh not found), naming its first links and where to point; one line for
    the other meshes not found (key None: (link, frame, file name, where its package is)
    each: a path, or a package found without the file)."""
    if warn is None:
        return
    files = missing.pop(None, [])       # meshes named by a path: one line for them all
    if len(files) == 1:
        link, k, name, where = files[0]
        end = ("drawing a generated shape" if not out[k] else
               f"left out (the other visuals that move with link {shown(link)} are drawn)")
        warn(f"{short_name(path)}: link {shown(link)}: mesh {shown(name)} not found{where}; "
             f"{end}")
    elif files:
        names = list(dict.fromkeys(str(f) for _, _, f, _ in files))
        warn(f"{short_name(path)}: {len(files)} meshes not found ("
             f"{', '.join(shown(f) for f in names[:3])}{', ...' if len(names) > 3 else ''}"
             f"); {_instead([(link, k) for link, k, _, _ in files], out)}")
    for pkg, places in missing.items():
        n = len(places)
        warn(f"{short_name(path)}: {n} mesh{'es' if n > 1 else ''} of "
             f"package {shown(pkg)} not found (give the folder holding {shown(pkg)} with "
             f"--package-dir or ROS_PACKAGE_PATH); {_instead(places, out)}")


def link_visuals(urdf, links, package_dirs=None, warn=None) -> list[list[Visual]]:
    """The visual items of each link of ``links`` (names; a whole robot's, every link has
    its own frame) read from the URDF file ``urdf``, each ``origin`` in its own link's frame
    (a link the file does not have, or without visuals: an empty list); the same checks,
    warnings and bound (:data:`MAX_VISUALS` items in all) as :func:`chain_visuals`."""
    from armsim.kinematics.urdf import parse_root
    path = Path(urdf)
    root = parse_root(path)
    elements = {lk.get("name"): lk for lk in root.findall("link")}
    named = {m.get("name"): m.find("color") for m in root.findall("material")}
    return _collect([(name, k, np.eye(4)) for k, name in enumerate(links)], len(links),
                    elements, path, package_dirs, named, warn, "robot")


def _item(vis, link, k, T_link, path, package_dirs, named, said, meshes, missing):
    """The :class:`Visual` of one ``<visual>`` element of ``link`` (frame ``k``), or None:
    nothing to draw, or a mesh left out (said to ``said`` or ``missing``, see
    :func:`_collect`); a bad number is a ValueError naming the link."""
    where = f"{short_name(path)}: link {shown(link)}: visual"
    geom = vis.find("geometry")
    shape = None if geom is None else next((g for g in geom if g.tag in KINDS), None)
    if shape is None:
        return None
    origin = T_link @ _pose(vis.find("origin"), where)
    color = _color(vis.find("material"), named)
    if _empty(shape):
        return None
    if shape.tag == "box":
        return Visual("box", _positive(shape.get("size"), f"{where}: box size", 3), origin,
                      link, color)
    if shape.tag == "cylinder":
        r = _positive(shape.get("radius"), f"{where}: cylinder radius")[0]
        length = _positive(shape.get("length"), f"{where}: cylinder length")[0]
        return Visual("cylinder", np.array([r, r, length]), origin, link, color)
    if shape.tag == "sphere":
        r = _positive(shape.get("radius"), f"{where}: sphere radius")[0]
        return Visual("sphere", np.array([r, r, r]), origin, link, color)
    filename = shape.get("filename")
    if filename is None or not filename.strip():
        raise ValueError(f"{where}: <mesh> lacks its filename=...")
    scale = np.ones(3) if shape.get("scale") is None else \
        _nonzero(shape.get("scale"), f"{where}: mesh scale", 3)
    found = resolve_mesh(filename, path, package_dirs)
    if found is None:
        pkg = str(filename)[len("package://"):].partition("/")[0]
        folder = None
        if filename.startswith("package://") and pkg:
            folder = _package_folder(pkg, path, package_dirs)
        if folder is None and filename.startswith("package://") and pkg:
            missing.setdefault(pkg, []).append((link, k))      # (one line per package)
        elif folder is not None or _missing(filename, path) == "not found":
            # (a package found without the file: the file is what is missing)
            where = "" if folder is None else f" (package {shown(pkg)} is {folder})"
            missing.setdefault(None, []).append((link, k, filename, where))   # (one line)
        else:
            said.append((f"{short_name(path)}: link {shown(link)}: mesh {shown(filename)} "
                         f"{_missing(filename, path)}", link, k, True))
        return None
    try:
        key = (str(found), tuple(scale.tolist()))
        if key not in meshes:
            meshes[key] = _load_mesh(found, scale)
        V, F = meshes[key]
    except ValueError as exc:
        said.append((f"{found}: {exc}", link, k, False))
        return None
    return Visual("mesh", scale, origin, link, color, V, F)
