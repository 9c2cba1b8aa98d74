"""The picture of a planar arm chasing a target: segments, joints, Jacobian arrows, trail, panel
and the words that say why the solver stopped short."""


from __future__ import annotations

import math
from dataclasses import dataclass, field

import os

import numpy as np


os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from armsim.view.style import (Theme, _SCREEN_MARGIN, _as_point, _as_points, _check_size,
    _draw_arrow, _draw_target, _finite_positive, _font, _num, _pixel, fit_lines, type_scale,
    readable, wrap_lines, wrote)

#: the workspace circle's radius as a fraction of min(width, height) of its area
WORKSPACE_FRACTION = 0.45
WAYPOINT_MARGIN = 0.03     # View.fit: a far waypoint stays this fraction of the area inside
#: the panel band's width (wide surface) or height (tall one), as a fraction of min(width, height)
PANEL_FRACTION = 0.34
#: the Jacobian arrows' fixed scale [rad]: arrow i is the tip's motion for this turn of joint i
JACOBIAN_SCALE = 0.25


def bands(size) -> tuple[pygame.Rect, pygame.Rect]:
    """(workspace area, panel band) of a surface of ``size``.

    A wide surface (w >= h) has its band on the left, a tall one at the bottom.
    When the margin beside the centred workspace square (side 2 x
    :data:`WORKSPACE_FRACTION` x min(w, h)) is at least :data:`PANEL_FRACTION` x
    min(w, h), the workspace keeps the whole surface and the band is that
    margin; otherwise the band takes that much and the workspace is fitted into
    the rest.  The workspace circle's bounding box never meets the band.
    """
    w, h = _check_size(size)
    m = min(w, h)
    need = int(math.ceil(PANEL_FRACTION * m))
    if w >= h:
        margin = int((w - 2 * WORKSPACE_FRACTION * h) // 2)
        if margin >= need:
            return pygame.Rect(0, 0, w, h), pygame.Rect(0, 0, margin, h)
        need = min(need, w - 1)
        return pygame.Rect(need, 0, max(w - need, 1), h), pygame.Rect(0, 0, need, h)
    margin = int((h - 2 * WORKSPACE_FRACTION * w) // 2)
    if margin >= need:
        return pygame.Rect(0, 0, w, h), pygame.Rect(0, h - margin, w, margin)
    need = min(need, h - 1)
    return pygame.Rect(0, 0, w, max(h - need, 1)), pygame.Rect(0, h - need, w, need)


@dataclass(frozen=True)
class View:
    """Affine map between world coordinates [m] (y up) and pixels (y down).

    Parameters
    ----------
    size : (int, int)
        Surface width and height [px].
    center : ndarray (2,) [m]
        World point shown at the centre of the surface.
    scale : float
        Pixels per metre (positive).
    """

    size: tuple[int, int]
    center: np.ndarray = field(default_factory=lambda: np.zeros(2))
    scale: float = 100.0
    pixel_center: tuple | None = None      # where ``center`` is drawn; the surface's centre if None

    @classmethod
    def fit(cls, state, size) -> "View":
        """The default view of ``state``: base at the centre of the workspace area
        (:func:`bands`: the whole surface, or what the panel's band leaves), ``state.reach``
        filling 0.45·min(width, height) of that area, or less so that the farthest
        waypoint stays inside it (down to half that scale).  Degenerate reach or base
        values fall back to 1 m and the origin."""
        width, height = _check_size(size)
        reach = _finite_positive(getattr(state, "reach", 1.0), 1.0)
        base = np.asarray(getattr(state, "base", (0.0, 0.0)), dtype=float).reshape(-1)
        if base.shape != (2,) or not np.all(np.isfinite(base)):
            base = np.zeros(2)
        free, _ = bands((width, height))
        scale = WORKSPACE_FRACTION * min(free.size) / reach
        return cls((width, height), base.copy(), _shrunk(state, base, scale, min(free.size)),
                   (free.x + free.w / 2.0, free.y + free.h / 2.0))

    @classmethod
    def centred(cls, state, size) -> "View":
        """``state``'s (or a chain's) base at the centre of the surface, its ``reach`` filling
        :data:`WORKSPACE_FRACTION` x min(width, height): the picture with no panel's band."""
        width, height = _check_size(size)
        base = np.asarray(getattr(state, "base", (0.0, 0.0)), dtype=float).reshape(-1)
        base = base if base.shape == (2,) and np.all(np.isfinite(base)) else np.zeros(2)
        reach = _finite_positive(getattr(state, "reach", 1.0), 1.0)
        side = min(width, height)
        return cls((width, height), base.copy(),
                   _shrunk(state, base, WORKSPACE_FRACTION * side / reach, side))

    def checked(self, size) -> "View":
        """This view, when it can draw a picture of ``size`` (w, h); a one-line ValueError
        otherwise (``armsim.render``'s ``view``): one made for another size put the arm off
        the picture, a NaN centre raised pygame's TypeError, a scale <= 0 mirrored the arm
        or drew it as a dot."""
        w, h = size
        if tuple(self.size) != (w, h):
            raise ValueError(f"view: a View of size {self.size[0]}x{self.size[1]} cannot draw "
                             f"a picture of {w}x{h}; make it with the picture's size, "
                             f"View(({w}, {h}), center, scale)")
        if _numbers(self.center, 2) is None:
            got = self.center.tolist() if isinstance(self.center, np.ndarray) else self.center
            raise ValueError(f"view.center must be 2 finite numbers [m], got {str(got)[:40]}")
        scale = _numbers(self.scale, 1)
        if scale is None or scale[0] <= 0:
            raise ValueError(f"view.scale must be a finite number > 0 [px per m], got "
                             f"{self.scale!r:.40}")
        if self.pixel_center is not None and _numbers(self.pixel_center, 2) is None:
            raise ValueError(f"view.pixel_center must be None or 2 finite numbers [px], got "
                             f"{str(self.pixel_center)[:40]}")
        return self

    def _pc(self):
        if self.pixel_center is None:
            return self.size[0] / 2.0, self.size[1] / 2.0
        return float(self.pixel_center[0]), float(self.pixel_center[1])

    def to_screen(self, xy) -> np.ndarray:
        """World points ``xy`` (..., 2) [m] -> pixel positions (..., 2) [px], float."""
        xy = np.asarray(xy, dtype=float)
        cx, cy = self._pc()
        out = np.empty(np.broadcast_shapes(xy.shape, (2,)))
        out[..., 0] = cx + (xy[..., 0] - self.center[0]) * self.scale
        out[..., 1] = cy - (xy[..., 1] - self.center[1]) * self.scale
        return out

    def to_world(self, px) -> np.ndarray:
        """Pixel positions ``px`` (..., 2) [px] -> world points (..., 2) [m]."""
        px = np.asarray(px, dtype=float)
        cx, cy = self._pc()
        out = np.empty(np.broadcast_shapes(px.shape, (2,)))
        out[..., 0] = self.center[0] + (px[..., 0] - cx) / self.scale
        out[..., 1] = self.center[1] - (px[..., 1] - cy) / self.scale
        return out


def _numbers(v, n):
    """``v`` as ``n`` finite floats (n,), or None."""
    if isinstance(v, (str, bytes, bool)):
        return None
    try:
        a = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        return None
    return a.reshape(-1) if a.size == n and a.ndim <= 1 and np.all(np.isfinite(a)) else None


def _shrunk(state, base, scale, side) -> float:
    """``scale`` [px per m], or less so that the farthest waypoint and the farthest point of
    an obstacle (``state.obstacles``) sit inside a square of ``side`` px centred on the base,
    :data:`WAYPOINT_MARGIN` of it from its edge: at most to half (a waypoint far away does
    not shrink the arm to a few pixels; an obstacle that half the scale does not show
    leaves the scale as it is)."""
    inside = (0.5 - WAYPOINT_MARGIN) * side
    far = _farthest(getattr(state, "waypoints", None), base)
    shown = _obstacles_farthest(getattr(state, "obstacles", None), base)
    if shown * 0.5 * scale <= inside:
        far = max(far, shown)
    if far * scale > inside:
        scale = max(0.5 * scale, inside / far)
    return scale


def _obstacles_farthest(obstacles, base) -> float:
    """The largest finite distance from ``base`` of a point of the obstacles (the drawn
    dicts: a circle's rim, a capsule's, a box's corners; 0 for none)."""
    far = 0.0
    for ob in obstacles or ():
        try:
            if ob.get("kind") == "box":
                half = 0.5 * np.abs(np.asarray(ob["size"], float).reshape(2))
                c = np.asarray(ob["center"], float).reshape(2) - base
                d = float(np.hypot(abs(c[0]) + half[0], abs(c[1]) + half[1]))
            else:
                ends = [ob["a"], ob["b"]] if ob.get("kind") == "capsule" else [ob["center"]]
                p = np.asarray(ends, float).reshape(-1, 2) - base
                d = float(np.hypot(*p.T).max()) + abs(float(ob["radius"]))
        except (KeyError, TypeError, ValueError):
            continue
        if np.isfinite(d):
            far = max(far, d)
    return far


def _farthest(points, base) -> float:
    """The largest finite distance of ``points`` (W, 2) from ``base`` (0 for none)."""
    try:
        p = np.asarray(points, dtype=float).reshape(-1, 2)
    except (TypeError, ValueError):
        return 0.0
    d = np.hypot(*(p - base).T) if len(p) else np.zeros(0)
    d = d[np.isfinite(d)]
    return float(d.max()) if len(d) else 0.0


def _panel_lines(state) -> list[str]:
    method = str(getattr(state, "method", "") or "-")   # (no solver: as in 3D)
    correction = str(getattr(state, "correction", "") or "")
    chosen = str(getattr(state, "chosen_correction", "") or "")
    unused = not correction and bool(chosen)
    corr = correction or chosen or "-"
    label = str(getattr(state, "label", "") or "")
    n = len(getattr(state, "q", ()) if getattr(state, "q", None) is not None else ())
    return ([label] if label else []) + [
        f"frame  {int(getattr(state, 'frame', 0))}",
        f"error  {_num(getattr(state, 'error', float('nan')))} m",
        f"method  {method}",
        f"correction  {corr}",
    ] + (["  (gradient only)"] if unused else []) + [
        f"step  {_num(getattr(state, 'step', float('nan')))} rad",
        f"segments  {n}",
    ] + ([f"clearance  {_num(state.clearance)} m"]
         if getattr(state, "clearance", None) is not None else [])


def status_lines(state) -> list[str]:
    """The words saying where the solver stops short, from the state's ``best``,
    ``stalled`` and ``at_limit`` (see :class:`armsim.ik.tracking.State`); empty when it does not."""
    lines = []
    try:
        error, best = float(state.error), float(getattr(state, "best", 0.0))
    except (TypeError, ValueError, AttributeError):
        return lines
    if not (math.isfinite(error) and math.isfinite(best)):
        return lines
    if best > 0:
        lines.append(f"target out of reach: the tip {error:.3f} m from it (best {best:.3f} m)")
    if getattr(state, "stalled", False):
        if best > 0:
            lines.append(f"stalled: {error - best:.3f} m over the best, not falling")
        else:
            lines.append(f"stalled: error {error:.3f} m, not falling")
    joints = tuple(getattr(state, "at_limit", ()) or ())
    if len(joints) == 1:
        lines.append(f"joint {joints[0]} at its limit")
    elif joints:
        lines.append(f"joints {', '.join(str(j) for j in joints)} at their limits")
    return lines


def _draw_status(surface, state, theme: Theme, rect, size=None) -> pygame.Rect | None:
    """:func:`status_lines` in the warning colour (font ``size``, default the body size of
    the surface's :func:`~armsim.view.style.type_scale`), wrapped to fit ``rect`` (in the
    band, under the panel).  Returns the box drawn, None without any."""
    lines = status_lines(state)
    if not lines or rect.w < 20 or rect.h < 10:
        return None
    return _text_box(surface, lines, theme, rect, colors=[theme.warning] * len(lines), size=size)


def _text_box(surface, lines, theme, rect, colors=None, alpha=200, size=None) -> pygame.Rect:
    """``lines`` on a translucent box inside ``rect`` (top-left) in the font of ``size``
    (default: the body size of the surface's :func:`~armsim.view.style.type_scale`): lines
    too wide are wrapped, and the lines ``rect`` has no room for are left out (never a
    smaller font).  Returns the box drawn."""
    pad = max(2, min(rect.w, rect.h) // 40)
    font = _font(size or type_scale(*surface.get_size()).body)
    colors = colors or [theme.text] * len(lines)
    shown, shown_colors = [], []
    for line, c in zip(lines, colors):
        parts = wrap_lines([line], font, rect.w - 2 * pad - 2)
        shown += parts
        shown_colors += [c] * len(parts)
    keep = fit_lines(shown, font, rect.w - 2 * pad - 2, rect.h - 2 * pad)
    said = readable(keep)                   # lines cut to "fr...", ".." say nothing
    keep, shown_colors = [keep[i] for i in said], [shown_colors[i] for i in said]
    if not keep:
        return pygame.Rect(rect.x, rect.y, 0, 0)
    texts = [font.render(line, True, c) for line, c in zip(keep, shown_colors)]
    w = min(max(t.get_width() for t in texts) + 2 * pad, rect.w)
    h = min(sum(t.get_height() for t in texts) + 2 * pad, rect.h)
    box = pygame.Surface((w, h), pygame.SRCALPHA)
    box.fill((*theme.panel, alpha))
    surface.blit(box, rect.topleft)
    y = rect.y + pad
    for t in texts:
        surface.blit(t, (rect.x + pad, y), area=pygame.Rect(0, 0, max(w - 2 * pad, 0), t.get_height()))
        y += t.get_height()
    return wrote(surface, pygame.Rect(rect.x, rect.y, w, h))


def _inset(rect, k=0.03) -> pygame.Rect:
    d = max(2, int(k * min(rect.w, rect.h)) if min(rect.w, rect.h) > 80 else 2)
    return rect.inflate(-2 * d, -2 * d) if rect.w > 2 * d + 4 and rect.h > 2 * d + 4 else rect.copy()


def band_slots(band) -> tuple[pygame.Rect, pygame.Rect, pygame.Rect]:
    """(panel, legend, plot) rectangles inside the band: stacked top to bottom in a
    side band, side by side in a bottom band."""
    b = _inset(band)
    if band.h >= band.w:        # a side band
        h1, h2 = int(0.32 * b.h), int(0.30 * b.h)
        return (pygame.Rect(b.x, b.y, b.w, h1), pygame.Rect(b.x, b.y + h1, b.w, h2),
                pygame.Rect(b.x, b.y + h1 + h2, b.w, b.h - h1 - h2))
    w1, w2 = int(0.32 * b.w), int(0.34 * b.w)
    return (pygame.Rect(b.x, b.y, w1, b.h), pygame.Rect(b.x + w1, b.y, w2, b.h),
            pygame.Rect(b.x + w1 + w2, b.y, b.w - w1 - w2, b.h))


def _draw_panel(surface, state, theme: Theme, rect=None, size=None) -> pygame.Rect:
    """The text panel inside ``rect`` (default: the panel slot of the band) in the font of
    ``size`` (default: the body size of the surface's type scale). Returns its box."""
    if rect is None:
        rect = band_slots(bands(surface.get_size())[1])[0]
    return _text_box(surface, _panel_lines(state), theme, rect, size=size)


def legend_lines(n) -> list[str]:
    """The words of the Jacobian legend (the colours follow, one swatch per joint)."""
    return ["Jacobian arrows",
            f"arrow i = {JACOBIAN_SCALE:g} rad x d tip/d q_i",
            f"({JACOBIAN_SCALE:g} m per 1 m/rad)",
            f"joints 1..{n}:"]


def _draw_jacobian_legend(surface, state, theme: Theme, rect, size=None) -> pygame.Rect:
    """Which colour is which joint, and the arrows' fixed scale, inside ``rect``, in the font
    of ``size`` (default: the small size of the surface's
    :func:`~armsim.view.style.type_scale`), the words wrapped to the width."""
    n = int(np.shape(getattr(state, "jacobian", np.zeros((2, 0))))[-1])
    if n == 0 or rect.w < 20 or rect.h < 20:
        return pygame.Rect(rect.x, rect.y, 0, 0)
    pad = max(2, min(rect.w, rect.h) // 40)
    font = _font(size or type_scale(*surface.get_size()).small)
    words = legend_lines(n)
    width = rect.w - 2 * pad - 2
    head = wrap_lines([words[0], words[-1]], font, width)      # title, "joints 1..n:"
    tail = wrap_lines(words[1:-1], font, width)                   # the scale
    line = font.get_linesize()
    # the swatches (a grid of cells "■ i", as many columns as fit) come under the title; the
    # words on the scale follow as far as the rect has room (lines left out, never shrunk)
    sw = max(4, int(0.7 * font.get_height()))
    cell_w = font.size(str(n))[0] + sw + 3 + 2 * pad
    cols = max(1, (rect.w - 2 * pad) // max(cell_w, 1))
    rows = -(-n // cols)
    room = (rect.h - 2 * pad) // line - len(head) - rows
    if room < 0:            # a short box: the swatches before the title (the colours are
        head = wrap_lines([words[-1]], font, width)    # what the legend is for)
        room = (rect.h - 2 * pad) // line - len(head) - rows
    tail = fit_lines(tail, font, width, max(room, 0) * line)
    head = fit_lines(head, font, width, rect.h - 2 * pad)
    whole = (rect.h - pad - font.get_height()) // line + 1  # rows of text drawn whole
    if whole - len(head) < rows:    # the swatches alone, as many whole rows as fit
        head = []
    fit = min(rows, max(whole - len(head), 0))
    shown = n if fit == rows else fit * cols        # the last cell then says "..."
    if shown == 1 < n:                              # that cell alone: no colour at all
        fit = shown = 0
    head, tail = ([t[i] for i in readable(t)] for t in (head, tail))
    if not (shown or head or tail):
        return pygame.Rect(rect.x, rect.y, 0, 0)
    h = min(rect.h, 2 * pad + (len(head) + fit + len(tail)) * line)
    box = pygame.Surface((rect.w, h), pygame.SRCALPHA)
    box.fill((*theme.panel, 200))
    surface.blit(box, rect.topleft)
    clip = surface.get_clip()
    surface.set_clip(pygame.Rect(rect.x, rect.y, rect.w, h).clip(clip))
    y = rect.y + pad
    for word in head:
        surface.blit(font.render(word, True, theme.text), (rect.x + pad, y))
        y += line
    for j in range(shown):
        cx = rect.x + pad + (j % cols) * cell_w
        cy = y + (j // cols) * line
        if j == shown - 1 < n - 1:
            surface.blit(font.render("...", True, theme.text), (cx, cy))
            break
        pygame.draw.rect(surface, theme.segment_color(j),
                         pygame.Rect(cx, cy + (font.get_height() - sw) // 2, sw, sw))
        surface.blit(font.render(str(j + 1), True, theme.text), (cx + sw + 3, cy))
    y += fit * line
    for word in tail:
        surface.blit(font.render(word, True, theme.text), (rect.x + pad, y))
        y += line
    surface.set_clip(clip)
    return wrote(surface, pygame.Rect(rect.x, rect.y, rect.w, h))


def _stadium(surface, color, a, b, r, width=0) -> None:
    """The points within ``r`` [px] of the segment a-b [px]: filled, or its outline."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    length = float(np.hypot(*d))
    ri = max(int(round(r)), 1)
    if length < 1.0:
        pygame.draw.circle(surface, color, (int(round(a[0])), int(round(a[1]))), ri, width)
        return
    side = np.array([-d[1], d[0]]) / length * r
    quad = [tuple(np.round(p).astype(int)) for p in (a + side, b + side, b - side, a - side)]
    if width:
        import math
        ang = math.atan2(-d[1], d[0])       # pygame arcs: angles counter-clockwise, y up
        for c, start in ((b, ang - math.pi / 2), (a, ang + math.pi / 2)):
            box = pygame.Rect(int(round(c[0] - r)), int(round(c[1] - r)), 2 * ri, 2 * ri)
            pygame.draw.arc(surface, color, box, start, start + math.pi, width)
        pygame.draw.line(surface, color, quad[0], quad[1], width)
        pygame.draw.line(surface, color, quad[2], quad[3], width)
        return
    pygame.draw.polygon(surface, color, quad)
    for c in (a, b):
        pygame.draw.circle(surface, color, (int(round(c[0])), int(round(c[1]))), ri)


#: rows of pixels a large obstacle is rasterised in at a time (bounded memory)
_RASTER_ROWS = 256


def _core_distance(ob, view, xs, ys):
    """The distance [px] of pixel centres (xs (w,), ys (rows,)) from an obstacle's core:
    a circle's centre, a capsule's segment, a box's rectangle (signed: below 0 inside)."""
    px, py = xs[None, :], ys[:, None]
    if ob.get("kind") == "box":
        c = view.to_screen(ob["center"])
        half = np.abs(np.asarray(ob["size"], float)) * view.scale / 2
        dx, dy = np.abs(px - c[0]) - half[0], np.abs(py - c[1]) - half[1]
        return np.hypot(np.maximum(dx, 0.0), np.maximum(dy, 0.0)) + np.minimum(
            np.maximum(dx, dy), 0.0)
    if ob.get("kind") == "capsule":
        a, b = view.to_screen(ob["a"]), view.to_screen(ob["b"])
    else:
        a = b = view.to_screen(ob["center"])
    d = b - a
    dd = float(d @ d)
    t = 0.0 if dd == 0.0 else np.clip(((px - a[0]) * d[0] + (py - a[1]) * d[1]) / dd, 0.0, 1.0)
    return np.hypot(px - a[0] - t * d[0], py - a[1] - t * d[1])


def _raster_obstacle(surface, ob, theme: Theme, view: View, r, m) -> None:
    """:func:`draw_obstacles` of an obstacle far larger than the surface, pixel by pixel
    (pygame's circles, arcs and rounded rectangles take time in their radius: a radius of
    1e8 px took seconds a frame): the points within ``r`` [px] of its core filled, their
    outline, and the outline of the margin ``m`` [px]."""
    w, h = surface.get_size()
    xs = np.arange(w) + 0.5
    pixels = pygame.surfarray.pixels3d(surface)       # (w, h, 3), locked while it lives
    try:
        for y0 in range(0, h, _RASTER_ROWS):
            ys = np.arange(y0, min(h, y0 + _RASTER_ROWS)) + 0.5
            dist = _core_distance(ob, view, xs, ys).T           # (w, rows)
            block = pixels[:, y0:y0 + len(ys)]
            block[dist <= r] = theme.separator[:3]
            block[(dist <= r) & (dist > r - 1.0)] = theme.waypoint[:3]
            if m >= 1:
                block[(dist <= r + m) & (dist > r + m - 1.0)] = theme.reach[:3]
    finally:
        del pixels


def draw_obstacles(surface, obstacles, theme: Theme, view: View) -> None:
    """The obstacles (``state.obstacles``: circle, box, capsule) filled, each with a
    faint outline of its clearance margin (where the links' centre lines stay outside)."""
    big = 2.0 * max(surface.get_size())
    for ob in obstacles or ():
        kind, m = ob.get("kind"), float(ob.get("margin", 0.0)) * view.scale
        c = view.to_screen(ob["center"])
        r = 0.0 if kind == "box" else float(ob["radius"]) * view.scale
        size = (max(np.abs(np.asarray(ob["size"], float))) * view.scale if kind == "box"
                else 0.0)
        if not np.all(np.isfinite(c)) or not np.isfinite(r + m + size):
            continue
        if max(r + m, size) > big:              # larger than the picture: by its pixels
            _raster_obstacle(surface, ob, theme, view, r, m)
            continue
        if np.any(np.abs(c) > _SCREEN_MARGIN):
            continue
        if kind == "box":
            w, h = np.asarray(ob["size"], float) * view.scale
            rect = pygame.Rect(int(round(c[0] - w / 2)), int(round(c[1] - h / 2)),
                               max(int(round(w)), 1), max(int(round(h)), 1))
            pygame.draw.rect(surface, theme.separator, rect)
            pygame.draw.rect(surface, theme.waypoint, rect, 1)
            if m >= 1:
                pygame.draw.rect(surface, theme.reach, rect.inflate(2 * int(round(m)),
                                 2 * int(round(m))), 1, border_radius=int(round(m)))
        elif kind == "capsule":
            a, b = view.to_screen(ob["a"]), view.to_screen(ob["b"])
            r = float(ob["radius"]) * view.scale
            _stadium(surface, theme.separator, a, b, r)
            _stadium(surface, theme.waypoint, a, b, r, 1)
            if m >= 1:
                _stadium(surface, theme.reach, a, b, r + m, 1)
        else:
            r = float(ob["radius"]) * view.scale
            centre = (int(round(c[0])), int(round(c[1])))
            pygame.draw.circle(surface, theme.separator, centre, max(int(round(r)), 1))
            pygame.draw.circle(surface, theme.waypoint, centre, max(int(round(r)), 1), 1)
            if m >= 1:
                pygame.draw.circle(surface, theme.reach, centre, int(round(r + m)), 1)


def _draw_waypoints(surface, state, theme: Theme, view: View) -> None:
    points = _as_points(getattr(state, "waypoints", None))
    try:
        reached = np.asarray(getattr(state, "reached", ()), dtype=bool).reshape(-1)
    except (TypeError, ValueError):
        reached = np.zeros(0, dtype=bool)
    size = surface.get_size()
    r = max(theme.joint_radius - 1, 2)
    for i, p in enumerate(points):
        c = _pixel(view.to_screen(p), size) if np.all(np.isfinite(p)) else None
        if c is None:
            continue
        if i < len(reached) and reached[i]:
            pygame.draw.circle(surface, theme.waypoint, c, r)
        else:
            pygame.draw.circle(surface, theme.waypoint, c, r, 2)


def _draw_one(surface, state, *, theme, show_jacobian, show_trail, show_panel, show_reach,
              show_waypoints, view, type_sizes=None, plot_slot=False) -> View:
    """:func:`draw` for one arm; its text in ``type_sizes`` (the
    :func:`~armsim.view.style.type_scale` of the whole window, so side-by-side arms share
    it; default: of this surface).  ``plot_slot``: the band's plot slot is kept free (the
    window's live plot is drawn there)."""
    size = surface.get_size()
    ts = type_sizes or type_scale(*size)
    if view is None:
        view = View.fit(state, size)
    surface.fill(theme.background)

    joints = _as_points(getattr(state, "joints", None))
    joints_px = view.to_screen(joints)
    tip = joints[-1] if len(joints) else None
    tip = tip if tip is not None and np.all(np.isfinite(tip)) else None
    target = _as_point(getattr(state, "target", None))

    if show_reach:
        base = _as_point(getattr(state, "base", None))
        reach = _finite_positive(getattr(state, "reach", None), 0.0)
        centre = _pixel(view.to_screen(base), size) if base is not None else None
        radius = reach * view.scale
        if centre is not None and 2 <= radius < _SCREEN_MARGIN:
            pygame.draw.circle(surface, theme.reach, centre, int(round(radius)), 1)

    if show_trail:
        trail = _as_points(getattr(state, "trail", None))
        trail = trail[np.all(np.isfinite(trail), axis=1)]
        if len(trail) >= 2:
            pts = [_pixel(p, size) for p in view.to_screen(trail)]
            pygame.draw.lines(surface, theme.trail, False, pts, theme.line_width)

    if show_waypoints:
        _draw_waypoints(surface, state, theme, view)

    draw_obstacles(surface, getattr(state, "obstacles", ()), theme, view)

    for j in range(len(joints) - 1):
        a, b = _pixel(joints_px[j], size), _pixel(joints_px[j + 1], size)
        if a is not None and b is not None:
            pygame.draw.line(surface, theme.segment_color(j), a, b, theme.segment_width)
    # joints shrink on short segments (a 20-link snake) so they do not hide them
    seg_px = np.hypot(*np.diff(joints_px, axis=0).T) if len(joints) > 1 else np.zeros(0)
    seg_px = seg_px[np.isfinite(seg_px)]
    joint_r = theme.joint_radius
    if len(seg_px) and seg_px.min() < 4 * joint_r:
        joint_r = int(max(2, min(joint_r, seg_px.min() / 4)))
    for p in joints_px[1:-1]:
        c = _pixel(p, size)
        if c is not None:
            pygame.draw.circle(surface, theme.joint_fill, c, joint_r)
            pygame.draw.circle(surface, theme.joint, c, joint_r, 1 if joint_r < 4 else 2)
    if len(joints):
        c = _pixel(joints_px[0], size)
        if c is not None:
            half = theme.joint_radius + 3
            pygame.draw.rect(surface, theme.base, pygame.Rect(c[0] - half, c[1] - half, 2 * half + 1, 2 * half + 1))

    if tip is not None and target is not None and np.hypot(*(target - tip)) * view.scale >= 1.0:
        a, b = _pixel(view.to_screen(tip), size), _pixel(view.to_screen(target), size)
        pygame.draw.line(surface, theme.direction, a, b, 1)

    if show_jacobian and tip is not None:
        _draw_jacobian(surface, state, theme, view, tip)

    if tip is not None:
        pygame.draw.circle(surface, theme.tip, _pixel(view.to_screen(tip), size), theme.joint_radius - 1)

    if target is not None:
        _draw_target(surface, theme.target, _pixel(view.to_screen(target), size), theme.target_radius,
                     theme.line_width)

    # the band: panel, then the words saying where the solver stops short, then the legend.
    # In a side band the panel may run into the legend's slot (by half of it) and the legend
    # into the plot's slot when no live plot is there: the text is laid out, never shrunk
    band = bands(size)[1]
    panel_rect, legend_rect, plot_rect = band_slots(band)
    side = band.h >= band.w
    gap = max(2, ts.small // 4)
    legend_bottom = legend_rect.bottom if (plot_slot or not side) else plot_rect.bottom
    if side:
        panel_rect = pygame.Rect(panel_rect.x, panel_rect.y, panel_rect.w,
                                 panel_rect.h + legend_rect.h // 2)
    y = panel_rect.y
    # a bottom band too narrow for the panel's words (two arms at 400x300: "gradie...",
    # "frame..." beside the legend's swatches): the panel takes the legend's column too
    wide = show_panel and not side and not _fits(_panel_lines(state), panel_rect, ts.body)
    if wide:
        panel_rect = panel_rect.union(legend_rect)
    if show_panel:
        y = _draw_panel(surface, state, theme, panel_rect, ts.body).bottom + gap
    bottom = legend_rect.bottom if side else panel_rect.bottom
    status_rect = pygame.Rect(panel_rect.x, y, panel_rect.w, bottom - y)
    moved = not side and not wide and not _fits(status_lines(state), status_rect, ts.body)
    if not moved:
        status = _draw_status(surface, state, theme, status_rect, ts.body)
        if status is not None:
            y = status.bottom + gap
    top = legend_rect.y
    if show_panel and show_jacobian and not wide:
        top = max(legend_rect.y, y) if side else legend_rect.y
        top = _draw_jacobian_legend(surface, state, theme,
                                    pygame.Rect(legend_rect.x, top, legend_rect.w,
                                                legend_bottom - top), ts.small).bottom + gap
    if moved:
        # a bottom band whose panel leaves the words no room: under the legend, in its
        # column (the end of a run, "stalled: ...", was cut to "...")
        _draw_status(surface, state, theme, pygame.Rect(legend_rect.x, top, legend_rect.w,
                                                         legend_rect.bottom - top), ts.body)
    return view


def _fits(lines, rect, size) -> bool:
    """Whether :func:`_text_box` shows every one of ``lines`` whole in ``rect``."""
    if not lines:
        return True
    pad = max(2, min(rect.w, rect.h) // 40)
    font = _font(size)
    wrapped = wrap_lines(lines, font, rect.w - 2 * pad - 2)
    return rect.w >= 20 and len(wrapped) * max(font.get_linesize(), 1) <= rect.h - 2 * pad


def _draw_jacobian(surface, state, theme: Theme, view: View, tip: np.ndarray) -> None:
    """Column j of the Jacobian (2, N) as an arrow from the tip, colour of segment j.

    One fixed scale for every frame and arm: arrow j is :data:`JACOBIAN_SCALE` x
    column j, the tip's motion for a turn of that many radians at joint j (a
    column is at most the reach long, so an arrow is at most a quarter of it).
    Zero-length and non-finite columns are skipped.
    """
    try:
        jac = np.asarray(getattr(state, "jacobian", None), dtype=float)
    except (TypeError, ValueError):
        return
    if jac.ndim != 2 or jac.shape[0] != 2 or jac.shape[1] == 0:
        return
    norms = np.hypot(jac[0], jac[1])
    usable = np.isfinite(norms) & (norms > 1e-12)
    if not usable.any():
        return
    k = JACOBIAN_SCALE
    tip_px = view.to_screen(tip)
    for j in np.flatnonzero(usable):
        end_px = view.to_screen(tip + k * jac[:, j])
        _draw_arrow(surface, theme.segment_color(int(j)), tip_px, end_px, theme.line_width,
                    4.5 * theme.line_width)
