"""The window while paused (helper 97's review): what it draws and says is measured to the
target where the user left it.  Events posted to the real event loop (SDL_VIDEODRIVER=dummy),
judged by the app's state and the pixels it drew."""

from pathlib import Path

import numpy as np
import pygame
import pytest

from armsim.scene import build_simulation, load
from armsim.view import window as W
from armsim.view.render import layout

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("display_closed")


def key(k, char=""):
    return pygame.event.Event(pygame.KEYDOWN, key=k, unicode=char, mod=0)


def press(app, *events, loops=2):
    for e in events:
        pygame.event.post(e)
    app.run(max_loops=loops, close=False)
    return app


def drag(start, end):
    return (pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=start),
            pygame.event.Event(pygame.MOUSEMOTION, pos=end, rel=(0, 0), buttons=(1, 0, 0)),
            pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=end))


def make_app(scene, size=(640, 480)):
    sim = build_simulation(load(ROOT / "scenes" / scene))
    app = W.App(sim, W.open_window(size, allow_headless=True), fps=10_000)
    app.run(max_loops=2, close=False)
    return app


def test_a_calibration_scene_pauses_after_a_drag():
    # space after a drag in calibrate-gecco: AttributeError: 'CalibrationState' object has
    # no attribute 'joints' (the paused picture measured an arm's tip error)
    app = make_app("calibrate-gecco.toml")
    press(app, *drag((300, 200), (340, 260)), loops=2)
    target = np.array(app.user_target, dtype=float)
    press(app, key(pygame.K_SPACE, " "), loops=3)
    assert app.paused and app.running
    press(app, *drag((340, 260), (200, 150)), loops=2)      # dragged on while paused
    moved = np.array(app.user_target, dtype=float)
    assert not np.allclose(moved, target)
    shown = app._shown_target(app.sim.state)
    np.testing.assert_array_equal(shown.target, moved)      # drawn where the user put it
    np.testing.assert_array_equal(app.sim.state.target, target)     # the run waits
    press(app, key(pygame.K_SPACE, " "), loops=2)
    np.testing.assert_array_equal(app.sim.state.target, moved)
