"""The robot as shaded solids in the 3D view (drawn by :func:`draw_solids`).

A robot is a list of *parts*, each a small polygon mesh placed in one of the chain's frames
(0 = the base, ``i + 1`` = the link after joint ``i``; :class:`~armsim.ik.spatial_tracking.
SpatialState` ``frames_R``/``frames_p`` say where they are now):

* the URDF's own ``<visual>`` geometry (:func:`armsim.kinematics.visuals.chain_visuals`:
  boxes, cylinders, spheres and meshes) where the file has it, through a :class:`Body`;
* otherwise generated shapes: a cylinder from each joint origin to the next (the links) and
  a short, wider cylinder along each joint axis (the housings), their radii a fraction of
  the arm's reach (at most a fraction of the median link length, so a snake of short links
  stays a chain); the shipped robots get their colours and radii from :data:`LOOKS`.

Shading is Lambert's: a face's colour is its part's colour times ``AMBIENT + (1 - AMBIENT)
max(0, n . l)`` with ``n`` its normal and ``l`` the fixed :data:`LIGHT` direction, both in
the camera frame, so a shaded pixel is always the part colour scaled by a factor in
[AMBIENT, 1].  Faces turned away from the eye are dropped, the rest painted far to near by
the depth of their centres (painter's order), so near parts hide far ones.
"""

from __future__ import annotations

import functools
import gc
import math
import os
import sys
import weakref
from dataclasses import dataclass

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

__all__ = ["Look", "LOOKS", "GENERIC", "Body", "body_of", "tree_body_of", "draw_solids",
           "generated_parts",
           "shaded_colors", "use_package_dirs", "PACKAGE_DIRS", "AMBIENT", "LIGHT", "SIDES"]

#: the unlit share of a face's colour
AMBIENT = 0.5
#: direction towards the light in the camera frame (right, up, depth): above, left, behind
#: the eye
LIGHT = np.array([-0.35, 0.5, -0.8]) / np.linalg.norm([-0.35, 0.5, -0.8])
#: sides of a generated cylinder
SIDES = 14
#: faces :func:`draw_solids` shades at a time (its work arrays: about 1 KB a face)
FACE_CHUNK = 2048


@dataclass(frozen=True)
class Look:
    """How a robot's generated shapes look: colours of its links and of its joint housings
    (RGB), link radius as a fraction of the reach, housing radius and length as multiples
    of the link radius, and whether the housings are round (spheres)."""

    link: tuple = (200, 204, 212)
    housing: tuple = (120, 126, 140)
    radius: float = 0.05
    housing_radius: float = 1.3
    housing_length: float = 2.6
    rounded: bool = False          # housings as spheres (of the housing radius)


GENERIC = Look()
#: the shipped robots' looks, by the ``<robot name=...>`` of their URDF: the Panda white
#: with grey joints, the UR5 grey-blue housings on silver tubes, the iiwa orange with grey
#: rounded housings (short, wide)
LOOKS = {
    "panda": Look(link=(236, 236, 232), housing=(150, 152, 158), radius=0.062,
                  housing_radius=1.12, housing_length=2.3),
    "ur5": Look(link=(196, 202, 210), housing=(92, 134, 188), radius=0.052,
                housing_radius=1.35, housing_length=2.7),
    "iiwa14": Look(link=(240, 128, 36), housing=(150, 150, 156), radius=0.068,
                   housing_radius=1.15, housing_length=1.9, rounded=True),
}


# -- unit meshes ---------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def _cylinder(sides=SIDES, segments=1):
    """A cylinder of radius 1 along z from 0 to 1 cut into ``segments`` bands (finer faces
    sort better far to near): vertices (s (b + 1), 3) and faces (s b + 2, s) (quads padded
    by repeating their last corner, then the two caps), outward winding."""
    a = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    ring = np.stack([np.cos(a), np.sin(a), 0 * a], 1)
    v = np.concatenate([ring + [0, 0, k / segments] for k in range(segments + 1)])
    i = np.arange(sides)
    j = (i + 1) % sides
    quads = np.concatenate([np.stack([i, j, j + sides, i + sides], 1) + k * sides
                            for k in range(segments)])
    quads = np.concatenate([quads, np.repeat(quads[:, -1:], sides - 4, 1)], 1) if sides > 4 \
        else quads
    caps = np.stack([i[::-1], i + segments * sides])
    return v, np.concatenate([quads, caps])


@functools.lru_cache(maxsize=2)
def _box():
    """The cube [-0.5, 0.5]^3: vertices (8, 3) and faces (6, 4), outward winding."""
    v = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
    f = np.array([[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4],
                  [1, 5, 7, 3]])
    return v, f


@functools.lru_cache(maxsize=2)
def _sphere(rings=7, sides=SIDES):
    """The unit sphere as a latitude-longitude mesh of quads (triangles at the poles)."""
    th = np.linspace(0, np.pi, rings + 1)
    ph = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    v = np.stack([np.sin(th)[:, None] * np.cos(ph), np.sin(th)[:, None] * np.sin(ph),
                  np.cos(th)[:, None] + 0 * ph], -1).reshape(-1, 3)
    f = []
    for r in range(rings):
        for s in range(sides):
            a, b = r * sides + s, r * sides + (s + 1) % sides
            f.append([a, a + sides, b + sides, b])
    return v, np.array(f)


def _frame_between(a, b):
    """A 4x4 placing the unit cylinder (z from 0 to 1) from ``a`` to ``b`` (scale in z)
    (plain float arithmetic: it runs for every link of every frame)."""
    ax, ay, az = float(a[0]), float(a[1]), float(a[2])
    dx, dy, dz = float(b[0]) - ax, float(b[1]) - ay, float(b[2]) - az
    length = math.sqrt(dx * dx + dy * dy + dz * dz)
    zx, zy, zz = dx / length, dy / length, dz / length
    # x = z cross (0, 0, 1), or z cross (1, 0, 0) when z is near vertical
    xx, xy, xz = (zy, -zx, 0.0) if abs(zz) < 0.9 else (0.0, zz, -zy)
    k = 1.0 / math.sqrt(xx * xx + xy * xy + xz * xz)
    xx, xy, xz = xx * k, xy * k, xz * k
    yx, yy, yz = zy * xz - zz * xy, zz * xx - zx * xz, zx * xy - zy * xx      # z cross x
    return np.array([[xx, yx, dx, ax], [xy, yy, dy, ay], [xz, yz, dz, az],
                     [0.0, 0.0, 0.0, 1.0]])


# -- parts ---------------------------------------------------------------------------

def _unit(kind):
    return {"cylinder": _cylinder, "box": _box, "sphere": _sphere}[kind]()


def chain_points(state):
    """The arm as a polyline of world points and, per segment, the joint that moves it
    (-1 = the base post): base, then for each joint its origin and its moved frame
    (different for a prismatic joint), then the tool."""
    fp = np.asarray(state.frames_p, dtype=float).reshape(-1, 3)
    o = np.asarray(state.origins, dtype=float).reshape(-1, 3)
    n = len(o)
    pts, owner = [fp[0]], []
    for i in range(n):
        pts.append(o[i])
        owner.append(i - 1)               # the rigid link between joint i-1 and joint i
        pts.append(fp[i + 1])
        owner.append(i)                   # the slide of joint i (zero length if revolute)
    pts.append(fp[-1])
    owner.append(n - 1)
    return np.array(pts), np.array(owner)



def generated_parts(state, look: Look, reach: float, frames=None):
    """The generated shapes of ``state`` in the world: a list of (vertices (V, 3), faces
    (F, K), colour).  ``frames``: only the links and housings of these chain frames
    (default all; frame 0 holds the post from the base to joint 0, frame ``i + 1`` the
    link after joint ``i`` and joint ``i``'s housing)."""
    o = np.asarray(state.origins, dtype=float).reshape(-1, 3)
    axes = np.asarray(state.axes, dtype=float).reshape(-1, 3)
    n = len(o)
    # the polyline base -> joint 0 -> (its slide) -> joint 1 -> ... -> tool, each segment
    # owned by the frame it moves with (frame j + 1 moves with joint j; frame 0 the base)
    pts, owner = chain_points(state)
    owner = owner + 1
    lengths = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    ok_len = lengths[np.isfinite(lengths) & (lengths > 1e-9)]
    r = look.radius * reach
    if len(ok_len):
        r = min(r, 0.3 * float(np.median(ok_len)))
    want = set(range(n + 1)) if frames is None else set(frames)
    parts = []
    rh, hl = look.housing_radius * r, look.housing_length * r
    # a link stops inside the housings at its ends (what would be hidden there is not drawn,
    # so it cannot show through the housing when faces are sorted by their centres)
    # (where its rim meets the housing: sqrt(rh^2 - r^2) from the joint)
    enter = np.sqrt(max(rh * rh - r * r, 0.0))
    tuck = 0.95 * (enter if look.rounded else min(enter, 0.5 * hl))
    cv, cf = _cylinder()
    for k in range(len(pts) - 1):
        if not (owner[k] in want and lengths[k] > 1e-9 and np.isfinite(lengths[k])):
            continue
        a, b = pts[k].copy(), pts[k + 1].copy()
        u = (b - a) / lengths[k]
        length = lengths[k]
        for end, sign in ((a, 1.0), (b, -1.0)):
            if n and np.min(np.linalg.norm(o - end, axis=1)) < 1e-9 + 1e-9 * reach \
                    and length > 2.5 * tuck:
                end += sign * tuck * u
                length -= tuck
        T = _frame_between(a, b)
        T[:3, :2] *= r
        lv, lf = _cylinder(SIDES, int(min(12, max(1, length // (1.5 * r)))))
        parts.append((lv @ T[:3, :3].T + T[:3, 3], lf, look.link))
    sv, sf = _sphere()
    for i in range(n):
        if i + 1 in want and np.all(np.isfinite(o[i])) and np.all(np.isfinite(axes[i])):
            if look.rounded:
                parts.append((sv * rh + o[i], sf, look.housing))
                continue
            T = _frame_between(o[i] - 0.5 * hl * axes[i], o[i] + 0.5 * hl * axes[i])
            T[:3, :2] *= rh
            parts.append((cv @ T[:3, :3].T + T[:3, 3], cf, look.housing))
    return parts


# -- a robot's body: its look and the URDF's visuals ---------------------------------

class Body:
    """What a chain looks like: its :class:`Look` and, per chain frame, the URDF's visual
    items (:class:`armsim.kinematics.visuals.Visual`; an empty list = generated shapes)."""

    def __init__(self, look: Look = GENERIC, visuals=None):
        self.look = look
        self.visuals = [list(v) for v in (visuals or [])]
        self._meshes = []           # per frame: [(vertices (V, 3) in the frame, faces, rgb)]
        for items in self.visuals:
            meshes = []
            for it in items:
                if it.kind == "mesh":
                    v, f = np.asarray(it.vertices, float), np.asarray(it.faces, int)
                else:
                    v, f = _unit(it.kind)
                    if it.kind == "cylinder":              # URDF's: centred on its origin
                        v = v - [0.0, 0.0, 0.5]
                    v = v * np.asarray(it.scale, float)
                v = v @ it.origin[:3, :3].T + it.origin[:3, 3]
                meshes.append((v, f, tuple(it.color) if it.color is not None else look.link))
            self._meshes.append(meshes)

    def parts(self, state, reach):
        """The body's parts in the world at ``state``: (vertices, faces, colour) each."""
        R = np.asarray(state.frames_R, dtype=float)
        p = np.asarray(state.frames_p, dtype=float)
        parts, bare = [], []
        for k in range(len(p) - 1):
            meshes = self._meshes[k] if k < len(self._meshes) else []
            if not meshes:
                bare.append(k)
            for v, f, c in meshes:
                parts.append((v @ R[k].T + p[k], f, c))
        if bare:
            parts += generated_parts(state, self.look, reach,
                                     None if len(bare) == len(p) - 1 else bare)
        return parts


#: where ``package://`` meshes are looked up first (the CLI's ``--package-dir``)
PACKAGE_DIRS: list = []


def use_package_dirs(dirs) -> None:
    """Set :data:`PACKAGE_DIRS` (the folders :func:`body_of` searches by default)."""
    PACKAGE_DIRS[:] = [str(d) for d in (dirs or ())]


_BODIES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_WARNED: set = set()


def _warn(message):
    """One line on stderr, once per message (a missing mesh file is named once)."""
    if message not in _WARNED:
        _WARNED.add(message)
        print(f"armsim: warning: {message}", file=sys.stderr)


def _cached_body(obj, package_dirs, kind, read) -> Body:
    """The :class:`Body` ``read(package_dirs)`` makes for ``obj``, kept per object, search
    folders and ``ROS_PACKAGE_PATH`` (``package_dirs`` default: :data:`PACKAGE_DIRS`)."""
    package_dirs = list(PACKAGE_DIRS if package_dirs is None else package_dirs)
    key = (kind, tuple(map(str, package_dirs)), os.environ.get("ROS_PACKAGE_PATH", ""))
    try:
        hit = _BODIES.get(obj)
    except TypeError:
        hit = None
    if hit is not None and hit[0] == key:
        return hit[1]
    body = read(package_dirs)
    try:
        _BODIES[obj] = (key, body)
    except TypeError:
        pass
    return body


def body_of(chain, package_dirs=None) -> Body:
    """The :class:`Body` of a :class:`~armsim.kinematics.spatial.SpatialChain` (cached per
    chain): its URDF's visuals (when the chain was read from a file that has them; meshes
    found through ``package_dirs`` and ``ROS_PACKAGE_PATH``) and the look :data:`LOOKS`
    gives its robot's name (:data:`GENERIC` otherwise).  ``package_dirs`` default:
    :data:`PACKAGE_DIRS`."""
    def read(dirs):
        visuals = None
        if getattr(chain, "urdf", None) is not None:
            from armsim.kinematics.visuals import chain_visuals
            try:
                visuals = chain_visuals(chain, package_dirs=dirs, warn=_warn)
            except ValueError as exc:
                _warn(f"{exc}; drawing generated shapes")
        return Body(LOOKS.get(getattr(chain, "robot_name", None), GENERIC), visuals)
    return _cached_body(chain, package_dirs, "chain", read)


def tree_body_of(robot, package_dirs=None) -> Body:
    """:func:`body_of` of a whole robot (:class:`~armsim.kinematics.tree.Robot`): its
    URDF's visuals per link, in ``robot.links`` order (cached per robot)."""
    def read(dirs):
        visuals = None
        if getattr(robot, "urdf", None) is not None:
            from armsim.kinematics.visuals import link_visuals
            try:
                visuals = link_visuals(robot.urdf, list(robot.links), package_dirs=dirs,
                                       warn=_warn)
            except ValueError as exc:
                _warn(f"{exc}; drawing generated shapes")
        return Body(LOOKS.get(getattr(robot, "name", None), GENERIC), visuals)
    return _cached_body(robot, package_dirs, "tree", read)


# -- drawing -------------------------------------------------------------------------

def draw_solids(surface, parts, camera, size) -> np.ndarray:
    """Paint ``parts`` (vertices (V, 3) world, faces (F, K), colour) shaded, far faces
    first; returns the pixels of every vertex drawn (for the panel to keep clear of).

    The faces are shaded :data:`FACE_CHUNK` at a time (consecutive parts; each face's
    numbers are its own) and only what the sort and the painting need of those facing the
    eye is kept (about 30 bytes a face), so the work arrays of a 10,000-link robot's 300,000
    faces take about 25 MB (all at once: 200 MB).  pygame truncates a corner's pixel to
    ints, so the corners go to it truncated (the same picture), and a face whose corners all
    lie past one edge of the surface's clip is not sent (it would paint nothing)."""
    if not parts:
        return np.zeros((0, 2))
    K = max(f.shape[1] for _, f, _ in parts)
    n_verts = sum(len(v) for v, _, _ in parts)
    n_faces = sum(len(f) for _, f, _ in parts)
    index = np.int32 if n_verts < 2 ** 31 else np.intp
    px, front = np.empty((n_verts, 2)), np.empty(n_verts, dtype=bool)
    key, shade = np.empty(n_faces), np.empty((n_faces, 3), dtype=np.int16)
    first, arity = np.empty((n_faces, min(K, 4)), dtype=index), np.empty(n_faces, np.int8)
    caps = []                               # (kept face, its K corners) of those with > 4
    base = kept = start = 0
    while start < len(parts):
        stop, count = start + 1, len(parts[start][1])
        while stop < len(parts) and count + len(parts[stop][1]) <= FACE_CHUNK:
            count += len(parts[stop][1])
            stop += 1
        p, f, k, s, F, a, big_F = _shade(parts[start:stop], K, camera, size)
        px[base:base + len(p)], front[base:base + len(p)] = p, f
        rows = slice(kept, kept + len(F))
        key[rows], shade[rows], first[rows] = k, s, F + base
        arity[rows] = np.minimum(a, 5)                     # (5: a cap of more corners)
        if len(big_F):
            caps.append((np.flatnonzero(a > 4) + kept, (big_F + base).astype(index),
                         a[a > 4]))
        base, kept, start = base + len(p), kept + len(F), stop
    order = np.argsort(key[:kept], kind="stable")
    del key
    # the caps' rows (ascending), their K corners and their number of corners
    cap_at = [np.concatenate([c[i] for c in caps]) if caps else np.zeros(0, dtype=index)
              for i in range(3)]
    del caps
    ipx = px.astype(index)                                 # as pygame truncates them
    clip = surface.get_clip()
    x, y = ipx[:, 0], ipx[:, 1]
    # per vertex, the edges of the clip it lies past (bits: left, right, above, below)
    past = ((x < clip.left) | (x >= clip.right) << 1 | (y < clip.top) << 2
            | (y >= clip.bottom) << 3).astype(np.uint8)
    del x, y
    draw = pygame.draw.polygon
    # the corner lists hold only ints: the cyclic collector has nothing to find in them,
    # yet (with gc on) it walked every object of the program every few thousand faces
    collecting = gc.isenabled()
    gc.disable()
    try:
        _paint(surface, draw, order, ipx, first, arity, shade, cap_at, past)
    finally:
        if collecting:
            gc.enable()
    return px[front]


def _paint(surface, draw, order, ipx, first, arity, shade, cap_at, past):
    """Paint the kept faces in ``order`` (the loop of :func:`draw_solids`)."""
    for at in range(0, len(order), FACE_CHUNK):
        rows = order[at:at + FACE_CHUNK]
        big = arity[rows] > 4
        # a face whose corners all lie past one edge paints nothing (a cap: more corners)
        shown = big | (np.bitwise_and.reduce(past[first[rows]], axis=1) == 0)
        rows = rows[shown]
        corners = ipx[first[rows]]                         # (n, 4, 2): triangles' last twice
        # a triangle's fourth corner repeats its third: pygame paints the same without it
        three = corners.shape[1] == 3 or np.array_equal(corners[:, 3], corners[:, 2])
        P = corners[:, :3].tolist() if three else corners.tolist()
        if big.any():
            cap_rows, cap_F, cap_n = cap_at
            for i in np.flatnonzero(big[shown]).tolist():
                j = np.searchsorted(cap_rows, rows[i])
                P[i] = ipx[cap_F[j, :cap_n[j]]].tolist()   # a cap: all its corners
        for pts, col in zip(P, shade[rows].tolist()):
            draw(surface, col, pts)


def _shade(parts, K, camera, size):
    """The pixels (V, 2) and in-front flags (V,) of ``parts``' vertices and, per face that
    faces the eye (in order), its sort key (minus its centre's depth), shade (3,) ints,
    first corners (up to 4; padded by repeating the last) and number of corners; and the
    ``K`` corners of those of more than 4 (in their order).

    Triangles are worked on as (F, 3) (most of a mesh robot's faces), the others padded to
    ``K``; a face's numbers come out the same either way (its padding adds zeros)."""
    verts, groups, colors = [], {3: [], K: []}, []
    offset = at = 0
    for v, f, c in parts:
        verts.append(v)
        groups[3 if f.shape[1] == 3 else K].append((f, offset, at))
        colors.append((c, len(f)))
        offset, at = offset + len(v), at + len(f)
    V = np.concatenate(verts)
    C = np.concatenate([np.broadcast_to(np.asarray(c, float), (m, 3)) for c, m in colors])
    cam = camera.to_camera(V)
    px, depth, front = camera.project(V, size)
    normal, centre = np.empty((at, 3)), np.empty((at, 3))
    arity, seen = np.empty(at, dtype=np.intp), np.empty(at, dtype=bool)
    first = np.empty((at, min(K, 4)), dtype=np.intp)
    wide = np.zeros(at, dtype=bool)
    for width, group in groups.items():
        if not group:
            continue
        G = np.concatenate([_padded(f, width) + off for f, off, _ in group])
        where = np.concatenate([np.arange(a, a + len(f)) for f, _, a in group])
        first[where] = G[:, :min(K, 4)] if width > 3 or K == 3 else G[:, [0, 1, 2, 2]]
        fc = cam[G]                                        # (F, width, 3)
        # the camera axes (right, up, depth) are left-handed: b x a is the outward normal
        nrm = _cross(fc[:, 2] - fc[:, 0], fc[:, 1] - fc[:, 0])
        # a degenerate first corner (a cap or a pole): the next ones give the normal (a
        # triangle's next corner is its last again, as padded to K: no normal)
        weak = np.einsum("ij,ij->i", nrm, nrm) < 1e-30
        if weak.any() and K > 3:
            nrm[weak] = 0.0 if width == 3 else _cross(fc[weak, 3] - fc[weak, 0],
                                                       fc[weak, 2] - fc[weak, 0])
        # corners past a face's own are its last one repeated (padding): leave them out
        ar = width - (G[:, 1:] == G[:, :-1]).sum(axis=1)
        normal[where], arity[where] = nrm, ar
        if width == 3 and (ar == 3).all():
            centre[where] = (fc[:, 0] + fc[:, 1] + fc[:, 2]) / 3.0
        else:
            real = np.arange(width)[None, :] < ar[:, None]
            centre[where] = (fc * real[..., None]).sum(axis=1) / ar[:, None]
        seen[where] = front[G].all(axis=1)
        if width > 4:
            wide[where] = ar > 4
            big = G[ar > 4]
    toward = np.einsum("ij,ij->i", normal, -centre)        # > 0: faces the eye
    nn = np.linalg.norm(normal, axis=1)
    ok = (toward > 0) & seen & (nn > 0) & np.isfinite(nn)
    lam = np.clip((normal[ok] @ LIGHT) / nn[ok], 0.0, 1.0)
    shade = np.rint(C[ok] * (AMBIENT + (1.0 - AMBIENT) * lam)[:, None]).astype(int)
    caps = big[ok[wide]] if wide.any() else np.zeros((0, K), dtype=np.intp)
    return px, front, -centre[ok, 2], shade, first[ok], arity[ok], caps


def _padded(f, width):
    """Faces ``f`` (F, k) padded to ``width`` corners by repeating their last."""
    if f.shape[1] == width:
        return f
    return np.concatenate([f, np.repeat(f[:, -1:], width - f.shape[1], axis=1)], axis=1)


def _cross(a, b):
    """``np.cross`` of (N, 3) rows (the same numbers, without its checks and copies)."""
    out = np.empty(a.shape)
    out[:, 0] = a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1]
    out[:, 1] = a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2]
    out[:, 2] = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    return out


def shaded_colors(look: Look, levels=None):
    """Every colour a part of ``look`` can be painted (for pixel tests): each of its
    colours scaled by ``AMBIENT + (1 - AMBIENT) t`` for t in [0, 1], rounded."""
    t = np.linspace(0, 1, 256) if levels is None else np.asarray(levels)
    s = AMBIENT + (1 - AMBIENT) * t
    return {tuple(int(x) for x in np.rint(np.asarray(c, float) * k))
            for c in (look.link, look.housing) for k in s}

