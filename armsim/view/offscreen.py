"""An arrow at the edge of the picture toward a point the camera does not show.

:func:`draw_offscreen_arrow` draws, when ``point`` projects outside the viewport (or lies
behind the camera), a filled arrowhead just inside the border, on the line from the
picture's centre toward the point, with the distance to it in words.  The 3D view draws it
for its target, so a target dragged or scripted out of the picture is never lost.
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from armsim.view.style import wrote  # noqa: E402

__all__ = ["offscreen_direction", "draw_offscreen_arrow"]

#: the arrow's tip stays this many pixels (x the text scale) inside the border
MARGIN = 14


def offscreen_direction(camera, point, size):
    """The unit direction (2,) [px, y down] from the picture's centre toward ``point`` (3,)
    when it is not in the picture, else None.  A point behind the camera points the way it
    lies in the camera's image plane (the arrow says 'turn this way')."""
    point = np.asarray(point, dtype=float)
    if point.shape != (3,) or not np.all(np.isfinite(point)):
        return None
    px, _, front = camera.project(point, size)
    w, h = size
    if front and 0 <= px[0] < w and 0 <= px[1] < h:
        return None
    c = camera.to_camera(point)
    d = np.array([c[0], -c[1]]) if not front else np.array([px[0] - 0.5 * w, px[1] - 0.5 * h])
    n = float(np.hypot(*d))
    if not math.isfinite(n) or n < 1e-12:
        return np.array([0.0, 1.0])      # straight behind: point down, toward the floor
    return d / n


def _edge_point(direction, size, margin):
    """Where the ray from the centre along ``direction`` leaves the box inset by margin."""
    w, h = size
    hx, hy = max(0.5 * w - margin, 1.0), max(0.5 * h - margin, 1.0)
    t = min(hx / abs(direction[0]) if direction[0] else math.inf,
            hy / abs(direction[1]) if direction[1] else math.inf)
    return np.array([0.5 * w, 0.5 * h]) + t * direction


def draw_offscreen_arrow(surface, camera, point, color, *, scale=1.0, label=None,
                         font=None, text_color=None, backing=None):
    """Draw the arrow toward ``point`` if it is off the picture; returns the rectangle it
    and its label cover (what a panel must keep clear of), None when it drew nothing.
    ``label``: a short text drawn beside the arrow (e.g. the distance), on a translucent
    box of the colour ``backing`` when given (readable over the robot)."""
    size = surface.get_size()
    d = offscreen_direction(camera, point, size)
    if d is None:
        return None
    s = max(1.0, float(scale))
    tip = _edge_point(d, size, MARGIN * s)
    length, half = 18.0 * s, 8.0 * s
    base = tip - length * d
    normal = np.array([-d[1], d[0]])
    pts = [tip, base + half * normal, base - half * normal]
    pygame.draw.polygon(surface, color, [(int(round(x)), int(round(y))) for x, y in pts])
    tail = base - 1.2 * length * d
    pygame.draw.line(surface, color, (int(tail[0]), int(tail[1])), (int(base[0]), int(base[1])),
                     max(2, int(round(3 * s))))
    xs, ys = [p[0] for p in pts] + [tail[0]], [p[1] for p in pts] + [tail[1]]
    covered = pygame.Rect(int(min(xs)), int(min(ys)), int(max(xs) - min(xs)) + 1,
                          int(max(ys) - min(ys)) + 1)
    if label and font is not None:
        img = font.render(label, True, text_color or color)
        at = tail - (0.8 * length) * d
        rect = img.get_rect(center=(int(at[0]), int(at[1])))
        rect.clamp_ip(surface.get_rect())
        if backing is not None:
            box = pygame.Surface(rect.inflate(6, 2).size, pygame.SRCALPHA)
            box.fill((*backing, 200))
            surface.blit(box, rect.inflate(6, 2).topleft)
        surface.blit(img, rect)
        covered.union_ip(wrote(surface, rect.inflate(6, 2)))
    return covered
