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
    _draw_arrow, _draw_target, _finite_positive, _font, _num, _pixel)

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
