"""The screen: drawing one frame, the interactive window and headless GIF export.

:mod:`~armsim.view.style` holds colours, sizes and drawing primitives;
:mod:`~armsim.view.planar` draws an arm chasing a target, :mod:`~armsim.view.calibration`
the visual problem; :mod:`~armsim.view.render` lays out and draws any state onto a
surface or into an array; :mod:`~armsim.view.window` runs the window and
:mod:`~armsim.view.export` writes GIFs.  The window and the GIF consume the same frames.
Only this package imports pygame.
"""

from armsim.view.calibration import CanvasView, draw_calibration
from armsim.view.planar import View, status_lines
from armsim.view.render import draw, layout, render_array, world_at
from armsim.view.style import (DEFAULT_THEME, LIGHT_THEME, THEMES, Theme, scaled_theme,
                               theme_from_scene)

__all__ = ["draw", "render_array", "layout", "world_at", "draw_calibration", "View", "CanvasView",
           "status_lines", "Theme", "DEFAULT_THEME", "LIGHT_THEME", "THEMES", "scaled_theme",
           "theme_from_scene"]
