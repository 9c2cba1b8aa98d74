"""The interactive window.

Controls
--------
mouse drag   press anywhere to put the target under the mouse; it follows the
             mouse while the button is held and stays where it is released
space        pause / resume
r            reset the scene (and give the target back to its script)
Esc, q       quit (closing the window quits too)

The arm chases the target a few solver iterations per frame, at most 60
frames per second.  In a calibration scene the hidden reference arm chases
the target (``rounds_per_frame`` rounds per frame) while the population
learns it; once dragged, the target stays the user's instead of jumping.
With ``ARMSIM_STATE_OUT=path`` in the environment the window writes its
state (frame, target, tip; for a calibration scene the hidden arm's tip and the
round) as JSON to that path every 30 frames and on quit, so a test can drive
it from outside.
"""

from __future__ import annotations

import json
import os

import pygame

from armsim.files import Outputs
from armsim.view.render import draw, layout, world_at

__all__ = ["run_window", "open_window", "DisplayError"]

CAPTION = "armsim"


class DisplayError(Exception):
    """No window can be opened (no display)."""


def open_window(size, allow_headless=False):
    """Open the (resizable) window or raise :class:`DisplayError` in one line.

    Under the ``dummy`` and ``offscreen`` SDL drivers there is no screen: that
    is a :class:`DisplayError` too, unless ``allow_headless`` (tests drive the
    window's event loop there).
    """
    try:
        pygame.display.init()
        pygame.font.init()
        driver = pygame.display.get_driver()
        if driver in ("dummy", "offscreen") and not allow_headless:
            raise DisplayError(f"SDL video driver '{driver}' has no screen")
        screen = pygame.display.set_mode(size, pygame.RESIZABLE)
    except pygame.error as exc:
        pygame.display.quit()
        raise DisplayError(str(exc) or "no display") from None
    except DisplayError:
        pygame.display.quit()
        raise
    pygame.display.set_caption(CAPTION)
    return screen


RESIZE_EVENTS = (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED)


def _resized(screen, event):
    """The display surface after a resize event (the picture and the mouse mapping
    are fitted to its new size by the caller)."""
    size = getattr(event, "size", None) or (getattr(event, "x", 0), getattr(event, "y", 0))
    w, h = (max(1, int(v)) for v in size)
    current = pygame.display.get_surface()
    if current is not None and current.get_size() == (w, h):
        return current
    try:
        return pygame.display.set_mode((w, h), pygame.RESIZABLE)
    except pygame.error:
        return current or screen


def _write_state(path, sim, frames, user_target, target_history_len):
    """Write the window's state as JSON through an :class:`armsim.files.Outputs` destination
    (a temporary file renamed into place).

    ``target_history_len`` counts the target positions the user has set with
    the mouse (one per press and per drag motion) since the start or last reset.
    """
    st = sim.state
    data = {
        "frames": frames,
        "target": [float(v) for v in st.target],
        "user_target": None if user_target is None else [float(v) for v in user_target],
        "target_history_len": target_history_len,
    }
    data["window"] = list(pygame.display.get_surface().get_size()) if pygame.display.get_surface() else None
    if hasattr(st, "joints"):          # an arm chasing the target by IK
        data["tip"] = [float(v) for v in st.joints[-1]]
        data["error"] = float(st.error)
        data["reach"] = float(st.reach)
    else:                              # a calibration run: the hidden reference's tip
        data["tip"] = [float(v) for v in st.reference[-1]]
        data["round"] = int(st.round)
    with Outputs() as outs:
        outs.add(path).file.write(json.dumps(data).encode())


def run_window(sim, size=(800, 600), fps=60, max_frames=None, draw_options=None, screen=None):
    """Run ``sim`` in a window until the user quits.  Returns the frames shown."""
    draw_options = draw_options or {}
    screen = screen or open_window(size)
    clock = pygame.time.Clock()
    state_out = os.environ.get("ARMSIM_STATE_OUT")
    panels = layout(sim.state, screen.get_size())   # one column per arm; redone on resize
    panels_size = screen.get_size()
    dragging = False
    user_target = None          # once the user has placed the target, it stays theirs
    target_history_len = 0      # mouse-set target positions since start / reset
    paused = False
    frames = 0
    running = True
    try:
        while running:
            for event in pygame.event.get():
                if event.type == pygame.QUIT:
                    running = False
                elif event.type == pygame.KEYDOWN:
                    if event.key in (pygame.K_ESCAPE, pygame.K_q):
                        running = False
                    elif event.key == pygame.K_SPACE:
                        paused = not paused
                    elif event.key == pygame.K_r:
                        sim.reset()
                        user_target = None
                        target_history_len = 0
                elif event.type in RESIZE_EVENTS:
                    screen = _resized(screen, event)
                    panels = layout(sim.state, screen.get_size())
                elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                    dragging = True
                    user_target = world_at(panels, event.pos)
                    target_history_len += 1
                elif event.type == pygame.MOUSEMOTION and dragging:
                    user_target = world_at(panels, event.pos)
                    target_history_len += 1
                elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
                    dragging = False
            if not running:
                break
            if not paused:
                sim.step(target=user_target)
                frames += 1
            if screen.get_size() != panels_size:
                panels = layout(sim.state, screen.get_size())
            panels_size = screen.get_size()
            draw(screen, sim.state, **draw_options)
            pygame.display.flip()
            if state_out and frames % 30 == 0:
                _write_state(state_out, sim, frames, user_target, target_history_len)
            if max_frames is not None and frames >= max_frames:
                break
            clock.tick(fps)
    finally:
        if state_out:
            _write_state(state_out, sim, frames, user_target, target_history_len)
        pygame.display.quit()
    return frames
