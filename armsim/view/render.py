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


import os

import numpy as np

from armsim.vision.calibration import CalibrationState
from armsim.vision.spatial_run import SpatialCalibrationState

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from armsim.view.calibration import CanvasView, draw_calibration
from armsim.view.planar import View, _draw_one
from armsim.view.style import (DEFAULT_THEME, Theme, _check_size, scaled_theme, text_rects,
                               type_scale)

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
    """The world point [m] under pixel ``pos`` of a surface laid out by :func:`layout`; a
    pixel past the panels (a drag released outside the window) is taken at their edge, so a
    dropped target stays on the picture."""
    x, y = float(pos[0]), float(pos[1])
    left, right = min(r.left for r, _ in panels), max(r.right for r, _ in panels)
    top, bottom = min(r.top for r, _ in panels), max(r.bottom for r, _ in panels)
    x, y = min(max(x, left), right - 1), min(max(y, top), bottom - 1)
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
    plot_slot: bool = False,
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
    plot_slot : bool
        Keep the panel band's plot slot free (the window's live plot is drawn there);
        otherwise the Jacobian legend may use it.
        Ignored when several arms are drawn (each column fits its arm).

    Returns
    -------
    View
        The mapping used (of the first column when there are several), so a
        caller can turn mouse positions into world points.

    Non-finite values in the state are skipped, never drawn.  A
    :class:`~armsim.vision.calibration.CalibrationState` is drawn by
    :func:`draw_calibration` (only ``theme`` and ``show_panel`` apply), a
    :class:`~armsim.vision.spatial_run.SpatialCalibrationState` by
    :func:`~armsim.view.calibration_spatial.draw_calibration_spatial` as its
    :func:`~armsim.view.calibration_spatial.framing` sees it (the same two options; the
    returned value is then that camera).
    """
    if is_spatial_calibration(state):
        from armsim.view.calibration_spatial import draw_calibration_spatial
        return draw_calibration_spatial(surface, state, None, theme=theme or DEFAULT_THEME,
                                        show_panel=show_panel)
    theme = scaled_theme(DEFAULT_THEME if theme is None else theme, surface.get_size())
    if isinstance(state, CalibrationState):
        return draw_calibration(surface, state, theme=theme, show_panel=show_panel,
                                view=view if isinstance(view, CanvasView) else None)
    options = dict(theme=theme, show_jacobian=show_jacobian, show_trail=show_trail,
                   show_panel=show_panel, show_reach=show_reach, show_waypoints=show_waypoints,
                   plot_slot=plot_slot)
    if not getattr(state, "companions", None):
        return _draw_one(surface, state, view=view, **options)
    panels = layout(state, surface.get_size())
    states = [state] + list(state.companions)
    sizes = type_scale(*surface.get_size())        # one type scale across the columns
    for (rect, panel_view), st in zip(panels, states):
        _draw_one(surface.subsurface(rect), st, view=panel_view, type_sizes=sizes, **options)
    for rect, _ in panels[1:]:
        pygame.draw.line(surface, theme.separator, (rect.left, 0), (rect.left, rect.bottom), 1)
    return panels[0][1]


#: the options of :func:`armsim.view.spatial.draw_spatial` (a spatial frame ignores the rest)
SPATIAL_OPTIONS = ("theme", "show_jacobian", "show_trail", "show_limits", "show_panel",
                   "show_grid", "jacobian_scale", "obstacles", "show_solids", "body", "keep_out")


def spatial_obstacles(sim):
    """The obstacles of a spatial arm's simulation as :func:`armsim.ik.tracking.shapes`
    dicts, where they are now (for the ``obstacles`` option of a spatial frame)."""
    from armsim.ik.tracking import shapes
    return shapes(getattr(sim, "objectives", ()))


def is_tree(state) -> bool:
    """True for a :class:`~armsim.ik.tree_tracking.TreeState` (a whole robot, drawn in
    perspective by :func:`~armsim.view.tree3d.draw_tree`)."""
    return hasattr(state, "tools") and hasattr(state, "link_p")


def is_spatial(state) -> bool:
    """True for a :class:`~armsim.ik.spatial_tracking.SpatialState` (drawn in perspective)."""
    return hasattr(state, "frames_p")


def is_spatial_calibration(state) -> bool:
    """True for a :class:`~armsim.vision.spatial_run.SpatialCalibrationState` (a 3D
    calibration round, drawn in perspective)."""
    return isinstance(state, SpatialCalibrationState)


def drawn_in_3d(state) -> bool:
    """True for a state drawn by a camera: a spatial arm, a whole robot, a 3D calibration."""
    return is_spatial(state) or is_tree(state) or is_spatial_calibration(state)


def default_camera(sim, size=None):
    """The 3D view of ``sim`` when the scene names none: the framing of a spatial arm's
    reach and of where it and its solids go (:func:`~armsim.view.orbit.sim_framing`) and of
    its obstacles (:func:`~armsim.view.orbit.framed_camera`), or
    of a 3D calibration's robot and cameras (for a picture of ``size``, default
    :data:`~armsim.view.calibration_spatial.FRAME_SIZE`); None for a planar picture."""
    from armsim.view.orbit import framed_camera, sim_framing, view_reach
    if is_spatial(sim.state) or is_tree(sim.state):         # (its obstacles too, as a scene's)
        return framed_camera({}, view_reach(sim.chain), sim_framing(sim), spatial_obstacles(sim))
    if is_spatial_calibration(sim.state):
        from armsim.view.calibration_spatial import FRAME_SIZE, framing
        return framing(sim.state, size=size or FRAME_SIZE)
    return None


def draw_frame(surface, state, camera=None, **options):
    """One frame as the window and the GIF draw it: a spatial state through
    :func:`~armsim.view.spatial.draw_spatial` seen by ``camera`` (an
    :class:`~armsim.view.orbit.OrbitCamera`; default: its framing of the arm's reach), with
    the options it takes (:data:`SPATIAL_OPTIONS`); a 3D calibration state through
    :func:`~armsim.view.calibration_spatial.draw_calibration_spatial` seen by ``camera``
    (default: its :func:`~armsim.view.calibration_spatial.framing`; pass one camera for
    every frame and the view stays steady) with ``theme``, ``show_panel`` and ``status`` (the
    run's :func:`~armsim.view.calibration_spatial.calibration_status`); any other
    state through :func:`draw`."""
    if is_spatial_calibration(state):
        from armsim.view.calibration_spatial import draw_calibration_spatial
        return draw_calibration_spatial(surface, state, camera,
                                        theme=options.get("theme") or DEFAULT_THEME,
                                        show_panel=options.get("show_panel", True),
                                        status=options.get("status"))
    from armsim.view.orbit import OrbitCamera
    if is_tree(state):
        from armsim.view.tree3d import TREE_OPTIONS as keys, draw_tree as draw_3d
    elif is_spatial(state):
        from armsim.view.spatial import draw_spatial as draw_3d
        keys = SPATIAL_OPTIONS
    else:
        return draw(surface, state, **options)
    if camera is None:
        camera = OrbitCamera.framing(state.reach)
    if options.get("theme") is None:
        options.pop("theme", None)
    draw_3d(surface, state, camera, **{k: v for k, v in options.items() if k in keys})
    return camera


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


def render_picture(state, size=(480, 360), **options) -> np.ndarray:
    """:func:`render_array` of one picture (:func:`armsim.render`): a planar arm fitted
    beside the panel's band (no ``view`` given) is drawn again centred
    (:meth:`View.centred`) when the band shows no line (a picture too small for a readable
    word has nothing to make room for)."""
    with text_rects() as written:
        pixels = render_array(state, size, **options)
    if (written or options.get("view") is not None or drawn_in_3d(state)
            or isinstance(state, CalibrationState) or getattr(state, "companions", None)):
        return pixels
    return render_array(state, size, **{**options, "view": View.centred(state, size)})
