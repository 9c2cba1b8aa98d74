"""The picture of the visual problem: the hidden reference arm (blue), the candidates (green;
red: replaced at the next generation), the cameras and their sight lines, and a panel."""


from __future__ import annotations

from dataclasses import dataclass

import os

import numpy as np


os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from armsim.view.style import (DEFAULT_THEME, Theme, _as_point, _as_points, _check_size,
    _draw_legend, _draw_target, _draw_text_box, _finite_positive, _pixel, _polyline)

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
        xs = focus_px[:, 0][np.isfinite(focus_px[:, 0])] if len(focus_px) else []
        right = max([rect.right] + [int(x) + 12 for x in xs])       # the canvas, the cameras
        panel = _draw_text_box(surface, _calibration_panel_lines(state), theme,
                               room=size[0] - right)
        legend = [("reference", theme.reference), ("candidates", theme.candidate)]
        if doomed.any():       # red appears only when some candidate is marked
            legend.append(("replaced next", theme.doomed))
        legend.append(("target", theme.goal))
        _draw_legend(surface, legend, theme, keep_off=panel)
    return view
