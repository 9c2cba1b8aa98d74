"""Drawing one frame of a spatial arm in perspective (the window and the GIF share it).

:func:`draw_spatial` paints a :class:`~armsim.ik.spatial_tracking.SpatialState` seen by an
:class:`~armsim.view.orbit.OrbitCamera` onto any ``pygame.Surface``; :func:`render_spatial`
paints it off screen and returns the pixels.  No event loop, no window.

The picture, back to front: background, floor grid (the z = 0 plane), the base disk on
the floor, the tip trail; then the robot: by default as shaded solids (its URDF's visuals or
generated cylinders and housings, :mod:`armsim.view.solids`) with each joint's axis as a thin
line on top, or (``show_solids=False``) as the skeleton: the links as capsules, each in the
colour of the joint that moves it, fading towards the background with depth, and the joints
as disks with a short marker along the axis, sorted far to near (painter's order); joint-limit
arcs;
waypoints, the target (a frame for a pose target, a ring for a position target) and the
line from tool to target; the tool frame (x red, y green, z blue); the Jacobian's linear
columns as arrows at the tool at a fixed scale (:data:`JACOBIAN_SCALE` metres drawn per
m/rad, stated in the panel); the tool marker; a text panel in the corner the arm covers
least.  Widths, radii and text scale with ``min(w, h)``; links and joints also shrink with
depth like the solid bodies they stand for.
"""

from __future__ import annotations

import colorsys
import functools
import math
import os

import numpy as np

from armsim.view.obstacles3d import draw_obstacles_3d, obstacle_depths
from armsim.view.offscreen import draw_offscreen_arrow
from armsim.view.orbit import OrbitCamera
from armsim.view.solids import GENERIC, Body, chain_points as _chain_points, draw_solids
from armsim.view.style import (DEFAULT_THEME, Color, Theme, _check_size, _cut, _font,
                               _text_panel, _words, readable, scaled_theme, type_scale,
                               wrap_lines)

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

__all__ = ["draw_spatial", "render_spatial", "joint_color", "shade", "link_radius", "JACOBIAN_SCALE",
           "AXIS_COLORS", "LINK_RADIUS"]

#: metres drawn per m/rad (m/m for a prismatic joint) of a Jacobian column
JACOBIAN_SCALE = 0.3
#: the lines the panel keeps at least when it leaves some out to clear the arm
PANEL_MIN_LINES = 2
#: the panel's corner is one the arm's points keep this share of the shorter side clear of,
#: where one is (the parts drawn about a point, a tool's frame, a solid, reach past it)
PANEL_CLEARANCE = 0.06
#: the tool and target frames' axes: x red, y green, z blue
AXIS_COLORS: tuple[Color, Color, Color] = ((235, 70, 60), (70, 200, 90), (70, 130, 255))
#: link radius as a fraction of the arm's reach
LINK_RADIUS = 0.018
#: how far the farthest part of the arm fades towards the background (0 = not at all)
DEPTH_FADE = 0.55
_LIMIT: Color = (200, 190, 120)
_GOLDEN = 0.618033988749895


def joint_color(j: int, theme: Theme = DEFAULT_THEME) -> Color:
    """A colour for joint ``j`` (0 = next to the base) and the link it moves, distinct for
    any number of joints (hues a golden angle apart), readable on the theme's background."""
    return _joint_color(int(j), sum(theme.background) < 3 * 128)


@functools.lru_cache(maxsize=512)
def _joint_color(j: int, dark: bool) -> Color:
    h = (0.47 + j * _GOLDEN) % 1.0
    r, g, b = colorsys.hsv_to_rgb(h, 0.62 if dark else 0.8, 0.95 if dark else 0.72)
    return (int(round(255 * r)), int(round(255 * g)), int(round(255 * b)))


def shade(color, t, background) -> Color:
    """``color`` faded towards ``background`` by depth fraction ``t`` in [0, 1]
    (0 = nearest, 1 = farthest)."""
    a = DEPTH_FADE * min(max(float(t), 0.0), 1.0)
    return tuple(int(round(c + a * (bg - c))) for c, bg in zip(color, background))


# -- caches (bounded) ----------------------------------------------------------------

_GRID_CACHE: dict = {}
_TEXT_CACHE: dict = {}
_CACHE_LIMIT = 256


def _text(s: str, size: int, color) -> pygame.Surface:
    if not pygame.font.get_init():
        _TEXT_CACHE.clear()
    key = (s, size, tuple(color))
    surf = _TEXT_CACHE.get(key)
    if surf is None:
        if len(_TEXT_CACHE) >= _CACHE_LIMIT:
            _TEXT_CACHE.clear()
        surf = _TEXT_CACHE[key] = _font(size).render(s, True, color)
    return surf


def _nice_step(extent: float) -> float:
    """A round grid spacing giving about 5 to 10 cells over ``extent``."""
    raw = extent / 6.0
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * power >= raw:
            return m * power
    return 10.0 * power


def _grid(camera: OrbitCamera, size, reach: float):
    """The floor grid as pixel segments (ints) and which of them are the axes through the
    origin; cached per camera pose, size and reach."""
    key = (camera.key(), tuple(size), reach)
    hit = _GRID_CACHE.get(key)
    if hit is not None:
        return hit
    step = _nice_step(2.4 * reach)
    count = int(math.ceil(1.2 * reach / step))
    e = count * step
    ticks = np.arange(-count, count + 1) * step
    a = np.concatenate([np.stack([ticks, np.full_like(ticks, -e), 0 * ticks], 1),
                        np.stack([np.full_like(ticks, -e), ticks, 0 * ticks], 1)])
    b = np.concatenate([np.stack([ticks, np.full_like(ticks, e), 0 * ticks], 1),
                        np.stack([np.full_like(ticks, e), ticks, 0 * ticks], 1)])
    pa, pb, _, _, vis = camera.project_segments(a, b, size)
    axis = np.concatenate([ticks == 0, ticks == 0])
    pa, pb = np.floor(pa).astype(int).tolist(), np.floor(pb).astype(int).tolist()
    lines = [(pa[i], pb[i], bool(axis[i])) for i in range(len(a)) if vis[i]]
    if len(_GRID_CACHE) >= 16:
        _GRID_CACHE.clear()
    _GRID_CACHE[key] = lines
    return lines


def _mix(a, b, t) -> Color:
    return tuple(int(round(x + t * (y - x))) for x, y in zip(a, b))


def _ipx(p) -> list:
    return np.floor(p).astype(int).tolist()


# -- the arm -------------------------------------------------------------------------

def link_radius(state, reach) -> float:
    """The drawn radius of the links [m]: :data:`LINK_RADIUS` x reach, at most a quarter of
    the median link length (so a snake of short links stays a chain)."""
    pts, _ = _chain_points(state)
    lengths = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    lengths = lengths[np.isfinite(lengths) & (lengths > 1e-9)]
    r = LINK_RADIUS * reach
    return min(r, 0.25 * float(np.median(lengths))) if len(lengths) else r


def _shades(colors, t, background) -> list:
    """:func:`shade` for many colours (k, 3) and depth fractions (k,) at once."""
    a = DEPTH_FADE * np.clip(t, 0.0, 1.0)[:, None]
    c = np.asarray(colors, dtype=float)
    return np.rint(c + a * (np.asarray(background, float) - c)).astype(int).tolist()


def _draw_arm(surface, state, camera, size, th, reach, r_world, lw):
    """Links and joints, far to near; returns the projected chain points (for the panel)."""
    pts, owner = _chain_points(state)
    a, b = pts[:-1], pts[1:]
    seg_len = np.linalg.norm(b - a, axis=1)
    pa, pb, za, zb, vis = camera.project_segments(a, b, size)
    origins = np.asarray(state.origins, dtype=float).reshape(-1, 3)
    axes = np.asarray(state.axes, dtype=float).reshape(-1, 3)
    n = len(origins)
    j_px, j_depth, j_front = camera.project(origins, size)
    e_px, _, e_front = camera.project(np.concatenate([origins + 2.4 * r_world * axes,
                                                      origins - 2.4 * r_world * axes]), size)
    seg_ok = vis & (seg_len > 1e-9) & np.all(np.isfinite(pa) & np.isfinite(pb), axis=1)
    joint_ok = j_front & np.all(np.isfinite(j_px), axis=1)
    # one list of items: links (kind 0) then joints (kind 1); a joint sits on the link
    # ends, so it counts as a little nearer than they do
    depth = np.concatenate([0.5 * (za + zb), j_depth - 1.5 * r_world])
    kind = np.concatenate([np.zeros(len(a), int), np.ones(n, int)])
    index = np.concatenate([np.arange(len(a)), np.arange(n)])
    ok = np.concatenate([seg_ok, joint_ok])
    depth, kind, index = depth[ok], kind[ok], index[ok]
    order = np.lexsort((np.arange(len(depth)), -depth))          # far first, stable
    near_d = camera.distance - reach
    t = (depth - near_d) / max(2 * reach, 1e-9)
    f = camera.focal_px(size)
    radius = np.minimum(0.06 * min(size), np.maximum(1.0, f * r_world
                                                     / np.maximum(depth, camera.near)))
    link_rgb = np.array([th.base if owner[i] < 0 else joint_color(owner[i], th)
                         for i in range(len(a))]).reshape(-1, 3)
    base_rgb = np.where((kind == 0)[:, None], link_rgb[np.where(kind == 0, index, 0)],
                        np.asarray(th.joint_fill))
    fills = _shades(base_rgb, t, th.background)
    rings = _shades(np.broadcast_to(np.asarray(th.joint), (len(t), 3)), t, th.background)
    # capsule corners for every link at once
    d = pb - pa
    L = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-12)
    nrm = np.stack([-d[:, 1], d[:, 0]], 1) / L[:, None]
    pa_i, pb_i = _ipx(pa), _ipx(pb)
    jp_i, e_i = _ipx(j_px), _ipx(e_px)
    wl = max(1, lw)
    for k in order:
        i, r = index[k], radius[k]
        if kind[k] == 0:
            ri = max(1, int(round(r)))
            color = fills[k]
            if L[i] > 0.5:
                off = nrm[i] * r
                A, B = pa[i], pb[i]
                pygame.draw.polygon(surface, color, ((A[0] + off[0], A[1] + off[1]),
                                                     (B[0] + off[0], B[1] + off[1]),
                                                     (B[0] - off[0], B[1] - off[1]),
                                                     (A[0] - off[0], A[1] - off[1])))
            pygame.draw.circle(surface, color, pa_i[i], ri)
            pygame.draw.circle(surface, color, pb_i[i], ri)
        else:
            rj = max(2, int(round(1.35 * r)))
            pygame.draw.circle(surface, fills[k], jp_i[i], rj)
            pygame.draw.circle(surface, rings[k], jp_i[i], rj, wl)
            if e_front[i] and e_front[i + n]:
                pygame.draw.line(surface, rings[k], e_i[i], e_i[i + n], wl)
    return camera.project(pts, size)[0]


def _draw_solid_arm(surface, state, camera, size, th, reach, body):
    """The arm as shaded solids (:mod:`armsim.view.solids`), then each joint's axis as a
    thin line through its housing; returns the pixels of the arm (for the panel)."""
    body = body if body is not None else Body(GENERIC)
    drawn = draw_solids(surface, body.parts(state, reach), camera, size)
    origins = np.asarray(state.origins, dtype=float).reshape(-1, 3)
    axes = np.asarray(state.axes, dtype=float).reshape(-1, 3)
    half = 0.75 * body.look.housing_length * body.look.radius * reach
    pa, pb, _, _, vis = camera.project_segments(origins - half * axes, origins + half * axes,
                                                size)
    ok = vis & np.all(np.isfinite(pa) & np.isfinite(pb), axis=1)
    pa, pb = _ipx(pa), _ipx(pb)
    for i in np.flatnonzero(ok):
        pygame.draw.line(surface, th.joint, pa[i], pb[i], 1)
    return drawn


def _draw_limits(surface, state, camera, size, th, r_world, lw):
    """For each revolute joint with finite limits narrower than a full turn: an arc about
    its axis over the allowed range, and a tick at the current angle."""
    q = np.asarray(state.q, dtype=float).reshape(-1)
    limits = np.asarray(state.limits, dtype=float).reshape(-1, 2)
    prismatic = np.asarray(state.prismatic, dtype=bool).reshape(-1)
    origins = np.asarray(state.origins, dtype=float).reshape(-1, 3)
    axes = np.asarray(state.axes, dtype=float).reshape(-1, 3)
    fp = np.asarray(state.frames_p, dtype=float).reshape(-1, 3)
    n = len(q)
    if not (len(limits) == len(prismatic) == len(origins) == len(axes) == n
            and len(fp) == n + 2):
        return
    lo, hi = limits[:, 0], limits[:, 1]
    want = (~prismatic & np.isfinite(lo) & np.isfinite(hi) & (hi - lo < 2 * math.pi - 1e-6)
            & (hi > lo) & np.isfinite(q))
    idx = np.flatnonzero(want)
    if len(idx) == 0:
        return
    m = 25
    # the current angle points along the next link (it turns with the joint): the first
    # later frame off the axis (usually the next one)
    z = axes[idx]
    d = fp[idx + 2] - origins[idx]
    perp = d - np.sum(d * z, axis=1)[:, None] * z
    length = np.linalg.norm(d, axis=1)
    for k in np.flatnonzero(np.linalg.norm(perp, axis=1) <= 1e-6):
        for p in fp[idx[k] + 3:]:
            dk = p - origins[idx[k]]
            pk = dk - (dk @ z[k]) * z[k]
            if np.linalg.norm(pk) > 1e-6:
                perp[k], length[k] = pk, np.linalg.norm(dk)
                break
    pn = np.linalg.norm(perp, axis=1)
    keep = pn > 1e-6
    if not keep.any():
        return
    idx, z, perp, pn, length = idx[keep], z[keep], perp[keep], pn[keep], length[keep]
    # fits beside the joint: no wider than the link beyond it
    rho = np.minimum(3.0 * r_world, 0.45 * length)
    E = perp * (rho / pn)[:, None]                                 # (k, 3)
    W = np.cross(z, E)
    phi = np.linspace(0.0, 1.0, m)[None, :] * (hi[idx] - lo[idx])[:, None] + (lo[idx] -
                                                                               q[idx])[:, None]
    arc = (origins[idx][:, None, :] + np.cos(phi)[..., None] * E[:, None, :]
           + np.sin(phi)[..., None] * W[:, None, :])
    tip = origins[idx] + 1.35 * E
    k_n = len(idx)
    allpts = np.concatenate([arc.reshape(-1, 3), origins[idx], tip])
    px, _, front = camera.project(allpts, size)
    arc_px, arc_front = px[:k_n * m].reshape(k_n, m, 2), front[:k_n * m].reshape(k_n, m)
    ok = (arc_front.all(axis=1) & front[k_n * m:k_n * (m + 1)] & front[k_n * (m + 1):]
          & np.all(np.isfinite(px[:k_n * m]).reshape(k_n, -1), axis=1))
    extent = np.ptp(arc_px, axis=1).max(axis=1)
    ok &= extent >= 8                                       # too small to read: skip
    ipx = np.floor(px).astype(int).tolist()
    at_limit = {int(j) - 1 for j in getattr(state, "at_limit", ())}
    for k in np.flatnonzero(ok):
        color = th.warning if int(idx[k]) in at_limit else _LIMIT
        pts = ipx[k * m:(k + 1) * m]
        o, t = ipx[k_n * m + k], ipx[k_n * (m + 1) + k]
        pygame.draw.lines(surface, color, False, pts, 1)
        pygame.draw.line(surface, color, o, pts[0], 1)
        pygame.draw.line(surface, color, o, pts[-1], 1)
        pygame.draw.line(surface, color, o, t, max(1, lw))


def _draw_frame(surface, camera, size, T, length, width, light=0.0, background=(0, 0, 0)):
    """Three axes of the pose ``T`` (4, 4): x red, y green, z blue."""
    o = T[:3, 3]
    ends = o + length * T[:3, :3].T
    px, _, front = camera.project(np.vstack([o, ends]), size)
    if not front[0] or not np.all(np.isfinite(px)):
        return
    for k in range(3):
        if front[k + 1]:
            color = _mix(AXIS_COLORS[k], background, light)
            pygame.draw.line(surface, color, _ipx(px[0]), _ipx(px[k + 1]), width)


def _arrow(surface, color, a, b, width, head):
    d = b - a
    length = math.hypot(d[0], d[1])
    if length < 1.0:
        return
    u = d / length
    h = min(head, 0.45 * length)
    neck = b - u * h
    nrm = np.array([-u[1], u[0]]) * 0.5 * h
    pygame.draw.line(surface, color, _ipx(a), _ipx(neck), width)
    pygame.draw.polygon(surface, color, [tuple(b), tuple(neck + nrm), tuple(neck - nrm)])


def _moving_at_limit(state) -> tuple:
    """The joints of ``state.at_limit`` (1 = next to the base) that can move: a joint
    locked by lower == upper limits is always on them, which says nothing of the run."""
    from armsim.ik.tracking import locked as _locked
    joints = tuple(getattr(state, "at_limit", ()) or ())
    locked = _locked(getattr(state, "limits", np.zeros((0, 2))))
    return tuple(j for j in joints if not (0 < int(j) <= len(locked) and locked[int(j) - 1]))


def _panel_lines(state, show_jacobian, jacobian_scale, th):
    lines = []
    if getattr(state, "label", ""):
        lines.append((state.label, th.text))
    err = float(state.error)
    lines.append((f"error {err * 1000:.1f} mm" if math.isfinite(err) else "error ?", th.text))
    if state.kind == "pose":
        o = math.degrees(float(state.orientation_error))
        lines.append((f"orientation {o:.1f} deg" if math.isfinite(o) else "orientation ?",
                      th.text))
    method = state.method or "-"
    if state.correction:
        method += f" + {state.correction}"
    lines.append((f"method {method}", th.text))
    lines.append((f"frame {int(state.frame)}", th.text))
    clear = getattr(state, "clearance", None)
    if clear is not None:
        c = float(clear)
        lines.append((f"clearance {c * 1000:.1f} mm" if math.isfinite(c) else "clearance ?",
                      th.warning if math.isfinite(c) and c < 0 else th.text))
    best = float(getattr(state, "best", 0.0) or 0.0)
    if best > 0 and math.isfinite(err):      # no pose comes nearer than best: say so
        lines.append((f"target out of reach: the tool {err * 1000:.0f} mm from it (at least "
                      f"{best * 1000:.0f} mm)", th.warning))
    if getattr(state, "restarted", False):
        lines.append(("restarted (the solver was stuck; new starts found a better pose)",
                      th.warning))
    if getattr(state, "stalled", False):
        lines.append(("stalled", th.warning))
    moving = _moving_at_limit(state)
    if moving:
        lines.append(("at limit: joint " + ", ".join(str(j) for j in moving), th.warning))
    if show_jacobian:
        lines.append((f"arrows: dp/dq, {jacobian_scale:g} m per m/rad", th.text))
    return lines


def _wrap_at_colon(line, font, width) -> list[str]:
    """``line`` wrapped to ``width``: a "name: values" line after its colon when that takes
    no more rows ("panda_1_hand:" over "  0.0 mm, 0.0 deg", not "...: 0.0 mm," over
    "  0.0 deg")."""
    rows = wrap_lines([line], font, width)
    key, sep, value = line.partition(": ")
    if len(rows) > 1 and sep and key.strip() and value.strip():
        lead = line[:len(line) - len(line.lstrip(" "))]
        split = wrap_lines([key + ":", lead + "  " + value], font, width)
        if len(split) <= len(rows):
            return split
    return rows


def _draw_panel(surface, lines, arm_px, th, size, keep_out=()):
    """The panel in the body size of the surface's type scale, in the corner the arm (and the
    target) cover least (of those, the first the points stay :data:`PANEL_CLEARANCE` clear
    of, else the one they come least near), never one whose box meets a rectangle of ``keep_out`` (the live
    plot's) while another is free; lines wider than a third of the width (at least 12
    characters, at most the width less the margins) are wrapped, and lines the height has
    no room for (60 % of it) left out.  Where every corner's box would cover some of the
    arm (a small surface), lines are left out from the end, down to
    :data:`PANEL_MIN_LINES`, until one corner covers none (or covers least)."""
    fs = type_scale(*size).body
    font = _font(fs)
    margin = max(4, int(min(size) * 0.012))
    pad = max(2, fs // 4)
    most = size[0] - 2 * margin - 2 * pad
    # a third of the width (at least 12 characters), more for a word (a tool's name, "0.0 deg")
    # that would be cut, up to half the width
    word = max((font.size(w)[0] for s, _ in lines for w in _words(s.strip())), default=0)
    width = max(1, min(max(size[0] // 3, font.size("M" * 12)[0], min(word, size[0] // 2)),
                       most))
    groups = [_wrap_at_colon(s, font, width) for s, _ in lines]
    wrapped = [(part, c) for g, (_, c) in zip(groups, lines) for part in g]
    # where a line's rows start: lines are left out whole (a tool's "0.0 deg" never alone)
    starts = set(np.cumsum([0] + [len(g) for g in groups]).tolist())
    axes_row = [_text(s, fs, c) for s, c in zip(("tool", "x", "y", "z"),
                                                 (th.text, *AXIS_COLORS))]
    gap = max(1, fs // 10)
    W, H = size
    row = axes_row[0].get_height() + gap
    # the rows the height has room for (60 % of it, and all of it less the margins); the
    # axes' row ("tool x y z") only where it fits whole beside and under a line of words
    avail = H - 2 * margin - 2 * pad
    if sum(t.get_width() for t in axes_row) + 3 * pad > W - 2 * margin - 2 * pad or avail < 2 * row:
        axes_row = []
    room = min(int(0.6 * size[1]) // font.get_linesize() - 1, avail // row - bool(axes_row))
    if room < 1:
        return                  # not one line of words fits
    pts = arm_px[np.all(np.isfinite(arm_px), axis=1)]

    def placed(count):
        """(points covered, corner, texts, w, h) of the panel with the first ``count`` lines
        (the last kept says more were left out; lines cut to nothing readable left out)."""
        count = max([k for k in starts if 0 < k <= count] or [count])
        shown = wrapped[:count]
        if count < len(wrapped):
            shown[-1] = (_cut(shown[-1][0].rstrip(".") + "...", font, width), shown[-1][1])
        shown = [shown[i] for i in readable([s for s, _ in shown])]
        texts = [_text(s, fs, c) for s, c in shown]
        w = min(max([t.get_width() for t in texts] + [sum(t.get_width() for t in axes_row)
                                                      + 3 * pad]) + 2 * pad, W - 2 * margin)
        h = (sum(t.get_height() for t in texts) + (row - gap if axes_row else 0)
             + gap * len(texts) + 2 * pad)
        corners = [(margin, margin), (W - w - margin, margin), (margin, H - h - margin),
                   (W - w - margin, H - h - margin)]
        free = [c for c in corners
                if not any(pygame.Rect(c, (w, h)).colliderect(r) for r in keep_out)]

        def covered(c):
            x0, y0 = c
            return int(np.sum((pts[:, 0] >= x0 - margin) & (pts[:, 0] <= x0 + w + margin)
                              & (pts[:, 1] >= y0 - margin) & (pts[:, 1] <= y0 + h + margin)))

        def near(c):
            """How much nearer than :data:`PANEL_CLEARANCE` of the shorter side the
            nearest point comes to the box (0: none does)."""
            if not len(pts):
                return 0.0
            x0, y0 = c
            dx = np.maximum(np.maximum(x0 - pts[:, 0], pts[:, 0] - (x0 + w)), 0.0)
            dy = np.maximum(np.maximum(y0 - pts[:, 1], pts[:, 1] - (y0 + h)), 0.0)
            return max(0.0, PANEL_CLEARANCE * min(W, H) - float(np.hypot(dx, dy).min()))
        # the corner covering fewest points; of those, one the points keep clear of (the
        # drawn parts, a tool's frame, a finger's solid, reach past them), else the first
        corner = min(free or corners, key=lambda c: (covered(c), near(c)))
        return covered(corner), corner, texts, w, h

    count = min(len(wrapped), room)
    got = placed(count)
    best = got
    while got[0] and count > min(PANEL_MIN_LINES, len(wrapped)):
        count -= 1
        got = placed(count)
        if got[0] < best[0]:
            best = got
    _, (x0, y0), texts, w, h = best
    if w - 2 * pad < 1 or not texts:
        return                  # no room for a word (a surface 16 or 17 px wide)
    texts = [t.subsurface(pygame.Rect(0, 0, min(t.get_width(), w - 2 * pad), t.get_height()))
             for t in texts]                      # a word wider than the panel: cut at its edge
    y = _text_panel(surface, texts, (x0, y0), (w, h), pad, gap, th.panel)
    x = x0 + pad
    for t in axes_row:
        surface.blit(t, (x, y))
        x += t.get_width() + pad


# -- the whole picture ---------------------------------------------------------------

def draw_spatial(surface, state, camera: OrbitCamera, *, theme: Theme = DEFAULT_THEME,
                 show_jacobian=True, show_trail=True, show_limits=True, show_panel=True,
                 show_grid=True, jacobian_scale=JACOBIAN_SCALE, obstacles=None,
                 show_solids=True, body=None, keep_out=()) -> None:
    """Paint ``state`` (a :class:`~armsim.ik.spatial_tracking.SpatialState`) as ``camera``
    sees it onto ``surface`` (the whole surface; its size is the viewport).

    ``jacobian_scale`` : metres drawn per m/rad of a Jacobian column (fixed, so arrow
    lengths compare across frames; stated in the panel).  ``obstacles``: the dicts of
    :func:`armsim.ik.tracking.shapes` (default ``state.obstacles`` when it has them), drawn
    by :func:`~armsim.view.obstacles3d.draw_obstacles_3d`: those whose centre is farther
    from the camera than the arm's middle before the arm, the others after it.
    ``show_solids``: the arm as shaded solids (:mod:`armsim.view.solids`) with its joint
    axes on top, or (False) as the skeleton of flat links and joint disks.  ``body``: a
    :class:`~armsim.view.solids.Body` (:func:`~armsim.view.solids.body_of` a chain gives
    its URDF's visuals and look; default: generated shapes in the generic look)."""
    size = surface.get_size()
    th = scaled_theme(theme, size)
    lw = max(1, th.line_width)
    fp = np.asarray(state.frames_p, dtype=float).reshape(-1, 3)
    reach = float(state.reach)
    if not (math.isfinite(reach) and reach > 0):
        finite = fp[np.all(np.isfinite(fp), axis=1)]
        reach = float(np.linalg.norm(finite, axis=1).max()) if len(finite) else 1.0
        reach = reach if reach > 1e-9 else 1.0
    surface.fill(th.background)
    if show_grid:
        grid, axis_c = _mix(th.background, th.text, 0.13), _mix(th.background, th.text, 0.3)
        for a, b, is_axis in _grid(camera, size, reach):
            pygame.draw.line(surface, axis_c if is_axis else grid, a, b, 1)
    r_world = link_radius(state, reach)
    # the base: a disk on the floor
    ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    rb = 4.0 * r_world
    disk = np.stack([rb * np.cos(ang), rb * np.sin(ang), 0 * ang], 1)
    d_px, _, d_front = camera.project(disk, size)
    if d_front.all():
        pygame.draw.polygon(surface, _mix(th.background, th.base, 0.6), _ipx(d_px))
    if show_trail:
        trail = np.asarray(state.trail, dtype=float).reshape(-1, 3)
        trail = trail[np.all(np.isfinite(trail), axis=1)]
        if len(trail) >= 2:
            t_px, _, t_front = camera.project(trail, size)
            if t_front.all():
                pygame.draw.lines(surface, th.trail, False, _ipx(t_px), lw)
            else:                                  # some behind the eye: clip each piece
                pa, pb, _, _, vis = camera.project_segments(trail[:-1], trail[1:], size)
                pa, pb = _ipx(pa), _ipx(pb)
                for k in np.flatnonzero(vis):
                    pygame.draw.line(surface, th.trail, pa[k], pb[k], lw)
    obstacles = list(getattr(state, "obstacles", ()) if obstacles is None else obstacles)
    if obstacles:
        o_depth = obstacle_depths(obstacles, camera)
        middle = float(np.nanmean(camera.to_camera(fp)[:, 2])) if len(fp) else 0.0
        order = np.argsort(-o_depth, kind="stable")
        far = [obstacles[k] for k in order if o_depth[k] >= middle]
        near = [obstacles[k] for k in order if o_depth[k] < middle]
        draw_obstacles_3d(surface, far, camera, th, size)
    if show_solids:
        arm_px = _draw_solid_arm(surface, state, camera, size, th, reach, body)
    else:
        arm_px = _draw_arm(surface, state, camera, size, th, reach, r_world, lw)
    if obstacles:
        draw_obstacles_3d(surface, near, camera, th, size)
    if show_limits:
        if show_solids:           # the arcs go round the housings, not inside them
            look = body.look if body is not None else GENERIC
            r_world = max(r_world, 0.45 * look.radius * look.housing_radius * reach)
        _draw_limits(surface, state, camera, size, th, r_world, lw)
    # waypoints, the target and the line to it
    wp = np.asarray(state.waypoints, dtype=float).reshape(-1, 3)
    reached = np.asarray(state.reached, dtype=bool).reshape(-1)
    if len(wp):
        w_px, _, w_front = camera.project(wp, size)
        rw = max(2, th.joint_radius // 2)
        for k in range(len(wp)):
            if w_front[k] and np.all(np.isfinite(w_px[k])):
                filled = k < len(reached) and reached[k]
                pygame.draw.circle(surface, th.waypoint, _ipx(w_px[k]), rw, 0 if filled else 1)
    tool = np.asarray(state.tool, dtype=float)
    target = np.asarray(state.target, dtype=float)
    frame_len = 0.07 * reach
    if np.all(np.isfinite(tool)) and np.all(np.isfinite(target)):
        pa, pb, _, _, vis = camera.project_segments(tool[:3, 3], target[:3, 3], size)
        if vis:
            pygame.draw.line(surface, th.direction, _ipx(pa), _ipx(pb), 1)
    if np.all(np.isfinite(target)):
        t_px, _, t_front = camera.project(target[:3, 3], size)
        if t_front:
            c = _ipx(t_px)
            r = th.target_radius
            pygame.draw.circle(surface, th.target, c, r, lw)
            if state.kind == "pose":
                _draw_frame(surface, camera, size, target, frame_len, lw, 0.35, th.background)
            else:
                arm = r + 2 * lw
                pygame.draw.line(surface, th.target, (c[0] - arm, c[1]), (c[0] + arm, c[1]), 1)
                pygame.draw.line(surface, th.target, (c[0], c[1] - arm), (c[0], c[1] + arm), 1)
    arrow = None
    if np.all(np.isfinite(target)) and np.all(np.isfinite(tool)):   # a target off the picture
        far = float(np.linalg.norm(target[:3, 3] - tool[:3, 3]))
        arrow = draw_offscreen_arrow(surface, camera, target[:3, 3], th.target, scale=lw,
                                     label=f"target, {far:.2f} m from the tool",
                                     font=_font(type_scale(*size).small), backing=th.panel)
    if np.all(np.isfinite(tool)):
        _draw_frame(surface, camera, size, tool, frame_len, 2 * lw)
        p_px, _, p_front = camera.project(tool[:3, 3], size)
        if show_jacobian:
            J = np.asarray(state.jacobian, dtype=float)
            if J.ndim == 2 and J.shape[0] >= 3 and p_front:
                ends = tool[:3, 3] + jacobian_scale * J[:3].T
                e_px, _, e_front = camera.project(ends, size)
                for j in range(J.shape[1]):
                    if e_front[j] and np.all(np.isfinite(e_px[j])):
                        _arrow(surface, joint_color(j, th), p_px, e_px[j], lw,
                               3.5 * lw + 3)
        if p_front:
            pygame.draw.circle(surface, th.tip, _ipx(p_px), max(2, th.joint_radius // 2 + 1))
    if show_panel:
        keep_clear = np.vstack([arm_px, camera.project(target[:3, 3], size)[0][None]])
        _draw_panel(surface, _panel_lines(state, show_jacobian, jacobian_scale, th), keep_clear,
                    th, size, tuple(keep_out) + ((arrow,) if arrow else ()))


def render_spatial(state, camera: OrbitCamera, size=(480, 360), **options) -> np.ndarray:
    """``state`` drawn off screen at ``size`` = (w, h): an RGB array (h, w, 3) uint8.
    ``options`` are those of :func:`draw_spatial`."""
    w, h = _check_size(size)
    surface = pygame.Surface((w, h))
    draw_spatial(surface, state, camera, **options)
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).swapaxes(0, 1))
