"""Drawing one simulation frame onto a ``pygame.Surface``.

This module has no event loop and never opens a window: :func:`draw` paints a
:class:`~armsim.ik.tracking.State` onto any surface, :func:`render_array` paints it onto
an off-screen surface and returns the pixels.  The interactive window
(:mod:`armsim.view.window`) and the GIF exporter (:mod:`armsim.view.export`) are the two
consumers.

The picture, back to front: dark background, reach circle, tip trail, the
segments (each its own colour from a cycling palette), joints, base square,
the thin line from tip to target, the Jacobian columns as arrows at the tip
(in the colour of their segment), the tip, the target (ring and cross), and a
small text panel.

World units are metres with y up; screen units are pixels with y down.  The
mapping between the two is a :class:`View`.
"""

from __future__ import annotations

import math
import dataclasses
from dataclasses import dataclass, field

import os

import numpy as np

from armsim.vision.calibration import CalibrationState

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

Color = tuple[int, int, int]

# Pixel coordinates are clamped to this far outside the surface, so that a
# point far off screen still draws (clipped) and never overflows pygame's ints.
_SCREEN_MARGIN = 10_000


@dataclass(frozen=True)
class Theme:
    """Colours and sizes of the picture.  Every colour is an RGB triple."""

    background: Color = (18, 20, 28)
    reach: Color = (48, 54, 72)
    trail: Color = (90, 100, 130)
    base: Color = (150, 155, 170)
    joint: Color = (225, 228, 236)
    joint_fill: Color = (30, 33, 44)
    tip: Color = (255, 255, 255)
    target: Color = (255, 64, 64)
    direction: Color = (130, 136, 160)
    panel: Color = (10, 11, 16)
    text: Color = (220, 224, 235)
    waypoint: Color = (160, 168, 196)
    separator: Color = (70, 76, 96)
    segments: tuple[Color, ...] = (
        (78, 201, 176),   # teal
        (242, 166, 90),   # orange
        (155, 140, 255),  # violet
        (247, 211, 92),   # yellow
        (90, 180, 242),   # blue
        (239, 111, 168),  # pink
    )
    segment_width: int = 7
    joint_radius: int = 6
    target_radius: int = 10
    font_size: int = 20
    line_width: int = 2       # trail, Jacobian arrows, target ring
    warning: Color = (255, 196, 64)   # the words saying the solver stops short
    # calibration scenes (the same on both themes): the hidden reference arm, the
    # candidate models, those the next generation replaces, cameras and sight lines
    reference: Color = (60, 130, 255)
    candidate: Color = (60, 200, 100)
    doomed: Color = (230, 50, 50)
    camera: Color = (200, 204, 216)
    sight: Color = (104, 112, 150)
    goal: Color = (250, 190, 40)

    def segment_color(self, j: int) -> Color:
        """Colour of segment ``j`` (0 = next to the base); the palette cycles."""
        return self.segments[j % len(self.segments)]


DEFAULT_THEME = Theme()

#: the picture size the theme's sizes are for; other sizes scale them by min(W, H) / this
REFERENCE_SIDE = 360


def scaled_theme(theme: Theme, size) -> Theme:
    """``theme`` with its line widths, radii and font size scaled to a surface of ``size``
    (by ``min(W, H) / REFERENCE_SIDE``, never below 1 px; the same theme at 480x360)."""
    k = min(size) / REFERENCE_SIDE
    if abs(k - 1.0) < 1e-9:
        return theme
    def sc(v, lo=1):
        return max(lo, int(round(v * k)))
    return dataclasses.replace(theme, segment_width=sc(theme.segment_width),
                               joint_radius=sc(theme.joint_radius, 2),
                               target_radius=sc(theme.target_radius, 3),
                               font_size=sc(theme.font_size, 8), line_width=sc(theme.line_width))


def _finite_positive(x, fallback: float) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return fallback
    return x if math.isfinite(x) and x > 0 else fallback


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

    @classmethod
    def fit(cls, state, size) -> "View":
        """The default view of ``state``: base at the centre, ``state.reach``
        filling 0.45·min(width, height).  Degenerate reach or base values fall
        back to 1 m and the origin."""
        width, height = _check_size(size)
        reach = _finite_positive(getattr(state, "reach", 1.0), 1.0)
        base = np.asarray(getattr(state, "base", (0.0, 0.0)), dtype=float).reshape(-1)
        if base.shape != (2,) or not np.all(np.isfinite(base)):
            base = np.zeros(2)
        return cls((width, height), base.copy(), 0.45 * min(width, height) / reach)

    def to_screen(self, xy) -> np.ndarray:
        """World points ``xy`` (..., 2) [m] -> pixel positions (..., 2) [px], float."""
        xy = np.asarray(xy, dtype=float)
        cx, cy = self.size[0] / 2.0, self.size[1] / 2.0
        out = np.empty(np.broadcast_shapes(xy.shape, (2,)))
        out[..., 0] = cx + (xy[..., 0] - self.center[0]) * self.scale
        out[..., 1] = cy - (xy[..., 1] - self.center[1]) * self.scale
        return out

    def to_world(self, px) -> np.ndarray:
        """Pixel positions ``px`` (..., 2) [px] -> world points (..., 2) [m]."""
        px = np.asarray(px, dtype=float)
        cx, cy = self.size[0] / 2.0, self.size[1] / 2.0
        out = np.empty(np.broadcast_shapes(px.shape, (2,)))
        out[..., 0] = self.center[0] + (px[..., 0] - cx) / self.scale
        out[..., 1] = self.center[1] - (px[..., 1] - cy) / self.scale
        return out


def _check_size(size) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height), got {size!r}") from None
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, got {width}x{height}")
    return width, height


def _pixel(p, size) -> tuple[int, int] | None:
    """One pixel position as ints, or None if it is not finite."""
    x, y = float(p[0]), float(p[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    lo_x, hi_x = -_SCREEN_MARGIN, size[0] + _SCREEN_MARGIN
    lo_y, hi_y = -_SCREEN_MARGIN, size[1] + _SCREEN_MARGIN
    return (int(round(min(max(x, lo_x), hi_x))), int(round(min(max(y, lo_y), hi_y))))


_FONTS: dict[int, pygame.font.Font] = {}


def _font(size: int) -> pygame.font.Font:
    """The default pygame font at ``size``; works without a display."""
    if not pygame.font.get_init():
        pygame.font.init()
        _FONTS.clear()  # fonts made before a pygame.quit() are dead
    if size not in _FONTS:
        _FONTS[size] = pygame.font.Font(None, size)
    return _FONTS[size]


def _as_points(a) -> np.ndarray:
    """``a`` as a float array (M, 2); an empty (0, 2) array if it is not one."""
    try:
        a = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        return np.zeros((0, 2))
    if a.ndim != 2 or a.shape[1] != 2:
        return np.zeros((0, 2))
    return a


def _as_point(a) -> np.ndarray | None:
    try:
        a = np.asarray(a, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return None
    if a.shape != (2,) or not np.all(np.isfinite(a)):
        return None
    return a


def _draw_target(surface, color, c, r, width=2) -> None:
    """The target marker: a ring of radius ``r`` with a cross through it, centred on pixel ``c``."""
    pygame.draw.circle(surface, color, c, r, width)
    arm, thin = r + 2 * width, max(1, width // 2)
    pygame.draw.line(surface, color, (c[0] - arm, c[1]), (c[0] + arm, c[1]), thin)
    pygame.draw.line(surface, color, (c[0], c[1] - arm), (c[0], c[1] + arm), thin)


def _draw_arrow(surface, color, start, end, width=2, head=9.0) -> None:
    """A line from ``start`` to ``end`` (pixels, float) with a filled head."""
    d = np.asarray(end, float) - np.asarray(start, float)
    length = float(np.hypot(d[0], d[1]))
    a, b = _pixel(start, surface.get_size()), _pixel(end, surface.get_size())
    if a is None or b is None or length < 1.0:
        return
    u = d / length
    n = np.array([-u[1], u[0]])
    h = min(head, 0.45 * length)
    neck = np.asarray(end, float) - u * h
    pygame.draw.line(surface, color, a, _pixel(neck, surface.get_size()), width)
    corners = [np.asarray(end, float), neck + n * h * 0.5, neck - n * h * 0.5]
    pts = [_pixel(c, surface.get_size()) for c in corners]
    pygame.draw.polygon(surface, color, pts)


def _panel_lines(state) -> list[str]:
    method = str(getattr(state, "method", "") or "?")
    correction = str(getattr(state, "correction", "") or "")
    solver = f"{method} / {correction}" if correction else method
    label = str(getattr(state, "label", "") or "")
    return ([label] if label else []) + [
        f"frame  {int(getattr(state, 'frame', 0))}",
        f"error  {_num(getattr(state, 'error', float('nan')))} m",
        f"solver {solver}",
        f"step   {_num(getattr(state, 'step', float('nan')))} rad",
    ]


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
        lines.append(f"target out of reach: {error:.3f} m short (best {best:.3f} m)")
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


def _draw_status(surface, state, theme: Theme) -> None:
    """:func:`status_lines` at the bottom left, in the warning colour."""
    lines = status_lines(state)
    if not lines:
        return
    font = _font(theme.font_size)
    texts = [font.render(line, True, theme.warning) for line in lines]
    pad = max(2, theme.font_size // 3)
    w = max(t.get_width() for t in texts) + 2 * pad
    h = sum(t.get_height() for t in texts) + 2 * pad
    box = pygame.Surface((w, h), pygame.SRCALPHA)
    box.fill((*theme.panel, 200))
    y0 = surface.get_height() - h - pad
    surface.blit(box, (pad, y0))
    y = y0 + pad
    for t in texts:
        surface.blit(t, (2 * pad, y))
        y += t.get_height()


def _num(x) -> str:
    try:
        return f"{float(x):.4f}"
    except (TypeError, ValueError):
        return "?"


def _draw_panel(surface, state, theme: Theme) -> None:
    font = _font(theme.font_size)
    texts = [font.render(line, True, theme.text) for line in _panel_lines(state)]
    pad, gap = max(2, (2 * theme.font_size) // 5), 2
    w = max(t.get_width() for t in texts) + 2 * pad
    h = sum(t.get_height() for t in texts) + gap * (len(texts) - 1) + 2 * pad
    box = pygame.Surface((w, h), pygame.SRCALPHA)
    box.fill((*theme.panel, 200))
    surface.blit(box, (6, 6))
    y = 6 + pad
    for t in texts:
        surface.blit(t, (6 + pad, y))
        y += t.get_height() + gap


def layout(state, size) -> list[tuple[pygame.Rect, View]]:
    """Where each arm of ``state`` is drawn: one panel per arm, side by side.

    A calibration state is one panel with its :class:`CanvasView`.

    ``state`` and each of ``state.companions`` get an equal-width column of
    the surface (a single arm gets all of it) and the :meth:`View.fit` of that
    column.  Returns a list of (rectangle on the surface [px], view of the panel).
    """
    width, height = _check_size(size)
    if isinstance(state, CalibrationState):
        return [(pygame.Rect(0, 0, width, height), CanvasView.fit(state, (width, height)))]
    states = [state] + list(getattr(state, "companions", None) or [])
    k = len(states)
    out = []
    for i, st in enumerate(states):
        x0, x1 = i * width // k, (i + 1) * width // k
        rect = pygame.Rect(x0, 0, max(x1 - x0, 1), height)
        out.append((rect, View.fit(st, rect.size)))
    return out


def world_at(panels, pos) -> np.ndarray:
    """The world point [m] under pixel ``pos`` of a surface laid out by :func:`layout`."""
    x, y = float(pos[0]), float(pos[1])
    for rect, view in panels:
        if rect.left <= x < rect.right:
            return view.to_world(np.array([x - rect.left, y - rect.top]))
    rect, view = panels[-1] if x >= panels[-1][0].right else panels[0]
    return view.to_world(np.array([x - rect.left, y - rect.top]))


def draw(
    surface: pygame.Surface,
    state,
    *,
    theme: Theme | None = None,
    show_jacobian: bool = True,
    show_trail: bool = True,
    show_panel: bool = True,
    show_reach: bool = True,
    show_waypoints: bool = True,
    view: View | None = None,
) -> View:
    """Draw ``state`` onto ``surface``, covering it entirely.

    Parameters
    ----------
    surface : pygame.Surface
        Where to draw; any size.
    state : armsim.ik.tracking.State
        Uses ``joints`` (N+1, 2) [m], ``target`` (2,) [m], ``jacobian``
        (2, N) [m/rad], ``trail`` (T, 2) [m], ``reach`` [m], ``base`` (2,) [m],
        ``waypoints`` (W, 2) [m] and ``reached`` (W,) when present, and, for
        the panel, ``frame``, ``error``, ``method``, ``correction``, ``step``
        and ``label``.  When ``state.companions`` is not empty, each arm is
        drawn in its own column, side by side (see :func:`layout`).
    theme : Theme, optional
        Colours and sizes; :data:`DEFAULT_THEME` if None.
    show_jacobian, show_trail, show_panel, show_reach, show_waypoints : bool
        Switch the Jacobian arrows, tip trail, text panel, reach circle and
        waypoints (hollow until reached, then filled).
    view : View, optional
        World-to-screen mapping; :meth:`View.fit` of the state if None.
        Ignored when several arms are drawn (each column fits its arm).

    Returns
    -------
    View
        The mapping used (of the first column when there are several), so a
        caller can turn mouse positions into world points.

    Non-finite values in the state are skipped, never drawn.  A
    :class:`~armsim.vision.calibration.CalibrationState` is drawn by
    :func:`draw_calibration` (only ``theme`` and ``show_panel`` apply).
    """
    theme = scaled_theme(DEFAULT_THEME if theme is None else theme, surface.get_size())
    if isinstance(state, CalibrationState):
        return draw_calibration(surface, state, theme=theme, show_panel=show_panel,
                                view=view if isinstance(view, CanvasView) else None)
    options = dict(theme=theme, show_jacobian=show_jacobian, show_trail=show_trail,
                   show_panel=show_panel, show_reach=show_reach, show_waypoints=show_waypoints)
    if not getattr(state, "companions", None):
        return _draw_one(surface, state, view=view, **options)
    panels = layout(state, surface.get_size())
    states = [state] + list(state.companions)
    for (rect, panel_view), st in zip(panels, states):
        _draw_one(surface.subsurface(rect), st, view=panel_view, **options)
    for rect, _ in panels[1:]:
        pygame.draw.line(surface, theme.separator, (rect.left, 0), (rect.left, rect.bottom), 1)
    return panels[0][1]


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
              show_waypoints, view) -> View:
    """:func:`draw` for one arm."""
    size = surface.get_size()
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

    if show_panel:
        _draw_panel(surface, state, theme)
    _draw_status(surface, state, theme)
    return view


def _draw_jacobian(surface, state, theme: Theme, view: View, tip: np.ndarray) -> None:
    """Column j of the Jacobian (2, N) as an arrow from the tip, colour of segment j.

    Arrows share one scale: the longest is 0.25·reach long.  Zero-length and
    non-finite columns are skipped.
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
    reach = _finite_positive(getattr(state, "reach", None), 1.0)
    k = 0.25 * reach / norms[usable].max()
    tip_px = view.to_screen(tip)
    for j in np.flatnonzero(usable):
        end_px = view.to_screen(tip + k * jac[:, j])
        _draw_arrow(surface, theme.segment_color(int(j)), tip_px, end_px, theme.line_width,
                    4.5 * theme.line_width)


def render_array(state, size=(480, 360), **options) -> np.ndarray:
    """Draw ``state`` off screen and return the pixels.

    Never opens a window (works with ``SDL_VIDEODRIVER=dummy``).

    Parameters
    ----------
    state : armsim.ik.tracking.State
    size : (int, int)
        Width and height [px].
    **options
        Passed on to :func:`draw` (``theme``, ``show_jacobian``, ...).

    Returns
    -------
    ndarray (H, W, 3) uint8
        RGB pixels, row 0 at the top.
    """
    width, height = _check_size(size)
    surface = pygame.Surface((width, height), 0, 24)
    draw(surface, state, **options)
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2))


# -- scenes: themes, waypoints, several arms -----------------------------------

LIGHT_THEME = Theme(
    background=(246, 246, 242),
    reach=(214, 216, 224),
    trail=(150, 160, 190),
    base=(90, 95, 110),
    joint=(40, 44, 56),
    joint_fill=(250, 250, 250),
    tip=(20, 22, 28),
    target=(214, 40, 40),
    direction=(130, 136, 160),
    panel=(255, 255, 255),
    text=(25, 28, 36),
    waypoint=(110, 116, 140),
    camera=(70, 76, 96),
    sight=(160, 168, 196),
    goal=(225, 150, 0),
    segments=(
        (24, 150, 128),   # teal
        (222, 120, 30),   # orange
        (110, 90, 230),   # violet
        (190, 150, 20),   # ochre
        (30, 120, 200),   # blue
        (200, 60, 130),   # pink
    ),
)

THEMES = {"dark": DEFAULT_THEME, "light": LIGHT_THEME}


def _hex(color: str) -> Color:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def theme_from_scene(render) -> Theme:
    """The :class:`Theme` a scene's ``[render]`` table asks for: the named theme
    with the ``[render.colors]`` overrides applied.  ``render`` is an
    :class:`armsim.scene.format.RenderSection`."""
    theme = THEMES[render.theme]
    colors = getattr(render, "colors", None)
    if colors is None:
        return theme
    changes = {}
    for name in ("background", "reach", "trail", "base", "joint", "tip", "target", "direction", "text"):
        value = getattr(colors, name)
        if value is not None:
            changes[name] = _hex(value)
    if colors.segments:
        changes["segments"] = tuple(_hex(c) for c in colors.segments)
    return dataclasses.replace(theme, **changes)


# -- calibration scenes: the hidden arm, the population, the cameras -----------

@dataclass(frozen=True)
class CanvasView:
    """Map between canvas pixels of the calibration problem (y down) and the surface.

    The canvas keeps its orientation (y down on both sides) and its aspect
    ratio: the smallest box holding the canvas rectangle, the base and every
    camera, plus a margin, is centred on the surface at one scale.

    Parameters
    ----------
    size : (int, int)       surface width and height [px]
    origin : ndarray (2,)   canvas point drawn at the surface's top-left corner [canvas px]
    scale : float           surface pixels per canvas pixel
    """

    size: tuple[int, int]
    origin: np.ndarray
    scale: float

    @classmethod
    def fit(cls, state, size, margin=0.04) -> "CanvasView":
        """The view of ``state.canvas`` (w, h), ``state.focuses`` (C, 2) and the base
        (``state.reference[0]``), with ``margin`` x the box size around them."""
        width, height = _check_size(size)
        cw, ch = (_finite_positive(v, 600.0) for v in tuple(getattr(state, "canvas", (600, 600)))[:2])
        focuses = _as_points(getattr(state, "focuses", None))
        base = _as_points(getattr(state, "reference", None))[:1]
        pts = np.concatenate([[[0.0, 0.0], [cw, ch]], focuses, base])
        pts = pts[np.all(np.isfinite(pts), axis=1)]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = margin * float(max(hi - lo))
        lo, hi = lo - pad, hi + pad
        scale = min(width / (hi[0] - lo[0]), height / (hi[1] - lo[1]))
        centre = 0.5 * (lo + hi)
        origin = centre - 0.5 * np.array([width, height]) / scale
        return cls((width, height), origin, scale)

    def to_screen(self, xy) -> np.ndarray:
        """Canvas points (..., 2) -> surface pixels (..., 2), float."""
        return (np.asarray(xy, dtype=float) - self.origin) * self.scale

    def to_world(self, px) -> np.ndarray:
        """Surface pixels (..., 2) -> canvas points (..., 2)."""
        return np.asarray(px, dtype=float) / self.scale + self.origin


def _polyline(surface, color, points_px, width):
    pts = [_pixel(p, surface.get_size()) for p in points_px]
    for a, b in zip(pts[:-1], pts[1:]):
        if a is not None and b is not None:
            pygame.draw.line(surface, color, a, b, width)


def _camera_icon(surface, color, focus_px, toward_px, size=11):
    """A filled triangle at the focus, its tip pointing at ``toward_px`` (the base)."""
    d = np.asarray(toward_px, float) - np.asarray(focus_px, float)
    norm = float(np.hypot(*d))
    u = d / norm if norm > 1e-9 else np.array([-1.0, 0.0])
    n = np.array([-u[1], u[0]])
    f = np.asarray(focus_px, float)
    corners = [f + u * size * 0.6, f - u * size + n * size * 0.8, f - u * size - n * size * 0.8]
    pts = [_pixel(c, surface.get_size()) for c in corners]
    if all(p is not None for p in pts):
        pygame.draw.polygon(surface, color, pts)


def _calibration_panel_lines(state) -> list[str]:
    best = int(getattr(state, "best", 0))
    lpx = np.asarray(state.length_error_px, dtype=float)
    lrel = np.asarray(state.length_error_rel, dtype=float)
    ang = np.asarray(state.angle_error, dtype=float)
    m = len(lpx)
    err = (f"{lpx[best]:.1f} px ({100 * lrel[best]:.1f}%), {ang[best]:.3f} rad"
           if 0 <= best < m else "?")
    cams = len(_as_points(state.focuses))
    return [
        f"round {int(state.round)}   generation {int(state.generation)}",
        f"best loss {float(state.best_loss):.2e} rad^2",
        f"true error {err}",
        f"{state.learner}, {m + 1} arms, {cams} camera{'s' if cams != 1 else ''}",
        f"criterion {state.criterion}: {'converged' if state.converged else 'not yet'}",
    ]


def _draw_text_box(surface, lines, theme):
    """Lines of text on a translucent box in the top-right corner (the font shrinks
    on small surfaces so the box keeps to a corner)."""
    font = _font(max(10, min(theme.font_size - 2, surface.get_height() // 26)))
    texts = [font.render(line, True, theme.text) for line in lines]
    pad, gap = max(2, (2 * theme.font_size) // 5), 2
    w = max(t.get_width() for t in texts) + 2 * pad
    h = sum(t.get_height() for t in texts) + gap * (len(texts) - 1) + 2 * pad
    x0, y0 = surface.get_width() - w - 6, 6
    box = pygame.Surface((w, h), pygame.SRCALPHA)
    box.fill((*theme.panel, 200))
    surface.blit(box, (x0, y0))
    y = y0 + pad
    for t in texts:
        surface.blit(t, (x0 + pad, y))
        y += t.get_height() + gap


def _draw_legend(surface, entries, theme):
    """One row along the bottom edge: a short line in each colour, then its name."""
    font = _font(max(10, min(theme.font_size - 4, surface.get_height() // 30)))
    texts = [font.render(name, True, theme.text) for name, _ in entries]
    swatch, gap, pad = 12, 12, 5
    w = sum(t.get_width() + swatch + 4 for t in texts) + gap * (len(texts) - 1) + 2 * pad
    h = max(t.get_height() for t in texts) + 2 * pad
    x, y0 = 6, surface.get_height() - h - 6
    box = pygame.Surface((w, h), pygame.SRCALPHA)
    box.fill((*theme.panel, 170))
    surface.blit(box, (x, y0))
    x += pad
    for (name, color), t in zip(entries, texts):
        mid = y0 + h // 2
        pygame.draw.line(surface, color, (x, mid), (x + swatch, mid), 4)
        x += swatch + 4
        surface.blit(t, (x, y0 + pad))
        x += t.get_width() + gap


def draw_calibration(surface, state, *, theme: Theme | None = None, show_panel: bool = True,
                     view: CanvasView | None = None) -> CanvasView:
    """Draw a :class:`~armsim.vision.calibration.CalibrationState` onto ``surface``.

    Back to front: the canvas outline; every camera's sight lines to the
    reference's joints (base excluded, tip included); the candidate models in
    green, those the next generation would replace (``state.doomed``) in red;
    the hidden reference arm in blue with filled joints; the cameras (a
    triangle at each focus, pointing at the base); the target (ring and
    cross); a panel (round, generation, best loss, true parameter error of
    the best candidate, learner, criterion) and a legend.

    Parameters
    ----------
    surface : pygame.Surface
    state : CalibrationState
        ``reference`` (n+1, 2), ``candidates`` (M, n+1, 2), ``focuses``
        (C, 2), ``target`` (2,), ``canvas`` (w, h), all canvas pixels, y down.
    theme : Theme, optional
        Background, text, panel and the calibration colours ``reference``,
        ``candidate``, ``doomed``, ``camera``, ``sight`` and ``goal``.
    show_panel : bool
        The text panel and the legend.
    view : CanvasView, optional
        Default :meth:`CanvasView.fit` of the state.

    Returns
    -------
    CanvasView  (the window turns mouse positions into canvas points with it)
    """
    theme = DEFAULT_THEME if theme is None else theme
    size = surface.get_size()
    view = CanvasView.fit(state, size) if view is None else view
    surface.fill(theme.background)

    cw, ch = (_finite_positive(v, 600.0) for v in tuple(state.canvas)[:2])
    a, b = view.to_screen([0.0, 0.0]), view.to_screen([cw, ch])
    rect = pygame.Rect(int(round(a[0])), int(round(a[1])), int(round(b[0] - a[0])), int(round(b[1] - a[1])))
    pygame.draw.rect(surface, theme.reach, rect, 1)

    reference = _as_points(state.reference)
    ref_px = view.to_screen(reference)
    focuses = _as_points(state.focuses)
    focus_px = view.to_screen(focuses)
    for f in focus_px:
        for p in ref_px[1:]:
            fa, pb = _pixel(f, size), _pixel(p, size)
            if fa is not None and pb is not None:
                pygame.draw.line(surface, theme.sight, fa, pb, 1)

    candidates = np.asarray(state.candidates, dtype=float)
    doomed = np.asarray(state.doomed, dtype=bool).reshape(-1)
    if candidates.ndim == 3 and candidates.shape[-1] == 2:
        order = sorted(range(len(candidates)), key=lambda i: bool(i < len(doomed) and doomed[i]))
        for i in order:         # survivors first, so a red arm is never hidden under a green one
            color = theme.doomed if i < len(doomed) and doomed[i] else theme.candidate
            pts = view.to_screen(candidates[i])
            _polyline(surface, color, pts, 3)
            for p in pts[1:]:
                c = _pixel(p, size)
                if c is not None:
                    pygame.draw.circle(surface, color, c, 3)

    _polyline(surface, theme.reference, ref_px, 5)
    for p in ref_px[1:]:
        c = _pixel(p, size)
        if c is not None:
            pygame.draw.circle(surface, theme.reference, c, 6)
    if len(ref_px):
        c = _pixel(ref_px[0], size)
        if c is not None:
            half = 7
            pygame.draw.rect(surface, theme.base, pygame.Rect(c[0] - half, c[1] - half, 2 * half + 1, 2 * half + 1))

    base_px = ref_px[0] if len(ref_px) else view.to_screen([cw / 2, ch / 2])
    for f in focus_px:
        _camera_icon(surface, theme.camera, f, base_px)

    target = _as_point(state.target)
    if target is not None:
        _draw_target(surface, theme.goal, _pixel(view.to_screen(target), size), theme.target_radius)

    if show_panel:
        _draw_text_box(surface, _calibration_panel_lines(state), theme)
        legend = [("reference", theme.reference), ("candidates", theme.candidate)]
        if doomed.any():       # red appears only when some candidate is marked
            legend.append(("replaced next", theme.doomed))
        legend.append(("target", theme.goal))
        _draw_legend(surface, legend, theme)
    return view
