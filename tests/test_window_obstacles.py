"""Obstacles dragged with the left mouse button in the planar window (issue 14, "Scenes"):
events posted to the real event loop (SDL_VIDEODRIVER=dummy), judged by the obstacle
objects, the target and the arm's clearance."""

from pathlib import Path

import numpy as np
import pygame
import pytest

from armsim.scene import build_simulation, load
from armsim.view import window as W
from armsim.view.render import world_at

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "obstacle_reach.toml"
SIZE = (640, 480)


def button(kind, pos):
    return pygame.event.Event(kind, button=1, pos=pos)


def motion(pos):
    return pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(1, 0, 0))


def press(app, *events, loops=1):
    for e in events:
        pygame.event.post(e)
    app.run(max_loops=loops, close=False)
    return app


pytestmark = pytest.mark.usefixtures("display_closed")


def make_app():
    screen = W.open_window(SIZE, allow_headless=True)
    return press(W.App(build_simulation(load(SCENE)), screen, fps=10_000), loops=2)


def pixel_of(app, point):
    rect, view = app.panels[0]
    x, y = view.to_screen(np.asarray(point, float))
    return int(round(x)) + rect.left, int(round(y)) + rect.top


def drag(app, start, d):
    end = (start[0] + d[0], start[1] + d[1])
    return press(app, button(pygame.MOUSEBUTTONDOWN, start), motion(end),
                 button(pygame.MOUSEBUTTONUP, end))


def test_press_inside_the_circle_drags_it_not_the_target():
    app = make_app()
    circle, box = app.obstacles
    c0, b0 = circle.center.copy(), box.center.copy()
    start, d = pixel_of(app, c0 + [0.02, 0.0]), (25, -30)       # off centre, inside
    moved = world_at(app.panels, (start[0] + d[0], start[1] + d[1])) - world_at(app.panels, start)
    frame = app.sim.frame
    drag(app, start, d)
    np.testing.assert_allclose(circle.center, c0 + moved, atol=1e-12)
    np.testing.assert_allclose(moved, np.array([d[0], -d[1]]) / app.panels[0][1].scale)
    np.testing.assert_array_equal(box.center, b0)
    assert app.user_target is None and app.target_history_len == 0
    np.testing.assert_allclose(app.sim.state.target, app.sim.path(app.sim.frame))   # scripted
    assert app.sim.frame == frame + 1
    # the state draws it where it now is
    np.testing.assert_allclose(app.sim.state.obstacles[0]["center"], circle.center)
    # the arm keeps clear of it afterwards
    clear = []
    for _ in range(60):
        press(app)
        clear.append(app.sim.state.clearance)
    assert min(clear) >= 0.0, min(clear)


def test_box_drags_too_and_reset_puts_them_back():
    app = make_app()
    circle, box = app.obstacles
    c0, b0 = circle.center.copy(), box.center.copy()
    drag(app, pixel_of(app, b0), (-20, 10))
    assert np.linalg.norm(box.center - b0) == pytest.approx(np.hypot(20, 10) / app.panels[0][1].scale)
    np.testing.assert_array_equal(circle.center, c0)
    press(app, pygame.event.Event(pygame.KEYDOWN, key=pygame.K_r, unicode="r", mod=0))
    np.testing.assert_array_equal(box.center, b0)


def test_press_outside_the_obstacles_still_moves_the_target():
    app = make_app()
    circle, box = app.obstacles
    c0, b0 = circle.center.copy(), box.center.copy()
    start = pixel_of(app, [-0.5, -0.5])
    drag(app, start, (10, 0))
    np.testing.assert_allclose(app.user_target, world_at(app.panels, (start[0] + 10, start[1])))
    np.testing.assert_array_equal(circle.center, c0)
    np.testing.assert_array_equal(box.center, b0)


def test_obstacle_at_picks_inside_and_within_the_tolerance():
    app = make_app()
    circle, box = app.obstacles
    c = circle.center
    assert W.obstacle_at(app.obstacles, c) is circle
    assert W.obstacle_at(app.obstacles, c + [circle.radius - 1e-6, 0]) is circle
    assert W.obstacle_at(app.obstacles, c + [circle.radius + 0.01, 0]) is None
    assert W.obstacle_at(app.obstacles, c + [circle.radius + 0.01, 0], tolerance=0.011) is circle
    assert W.obstacle_at(app.obstacles, box.center + 0.5 * box.size - 1e-6) is box


def test_m_in_a_3d_scene_with_obstacles_cycles_the_methods_it_can_use():
    # the window of scenes/panda_obstacle.toml died with a traceback on the third m
    # ("method 'ccd' cannot take objectives"): the 3D arm offered every method but fabrik
    from armsim.cli import draw_options, scene_camera
    scene = load(ROOT / "scenes" / "panda_obstacle.toml")
    sim = build_simulation(scene)
    app = press(W.App(sim, W.open_window(SIZE, allow_headless=True), fps=10_000,
                      camera=scene_camera(scene, sim), draw_options=draw_options(scene)), loops=2)
    seen = []
    for _ in range(4):
        press(app, pygame.event.Event(pygame.KEYDOWN, key=pygame.K_m, mod=0, unicode="m"))
        seen.append(app.sim.solver.method)
    assert seen == ["gradient", "pinv", "dls", "gradient"]
    assert app.message == "method: gradient / backtrack"
    assert app.running and np.all(np.isfinite(app.sim.state.q))
