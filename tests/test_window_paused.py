"""The window while paused (helper 97's review): what it draws and says is measured to the
target where the user left it.  Events posted to the real event loop (SDL_VIDEODRIVER=dummy),
judged by the app's state and the pixels it drew."""

from pathlib import Path

import numpy as np
import pygame
import pytest

from armsim.scene import build_simulation, load
from armsim.view import window as W

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


def _pixel(app, point):
    rect, view = app.panels[0]
    px = view.to_screen(np.asarray(point, dtype=float)[None])[0] + np.array(rect.topleft)
    return tuple(int(round(v)) for v in px)


def test_the_words_out_of_reach_follow_a_target_moved_while_paused():
    # unreachable.toml, paused, the target dragged into reach: the panel still said
    # "target out of reach ... (best 0.500 m)", the bound to the old target
    from armsim.view.planar import status_lines
    app = make_app("unreachable.toml")
    press(app, loops=30)
    assert app.sim.state.best > 0.4
    press(app, key(pygame.K_SPACE, " "), loops=1)
    target = np.asarray(app.sim.state.target, dtype=float)
    press(app, *drag(_pixel(app, target), _pixel(app, [0.3, 0.2])), loops=2)
    shown = app._shown_target(app.sim.state)
    assert np.linalg.norm(shown.target - [0.3, 0.2]) < 0.02
    assert shown.best == 0 and not any("out of reach" in t for t in status_lines(shown))
    far = np.array([-1.3, -0.4])            # 0.36 m past the reach of 1 m
    press(app, *drag(_pixel(app, [0.3, 0.2]), _pixel(app, far)), loops=2)
    shown = app._shown_target(app.sim.state)
    assert shown.best == pytest.approx(np.linalg.norm(shown.target) - 1.0, abs=1e-12)
    assert shown.best == pytest.approx(0.36, abs=0.02)
    assert any(f"(best {shown.best:.3f} m)" in t for t in status_lines(shown))
    press(app, key(pygame.K_SPACE, " "), loops=1)           # the run's own bound agrees
    assert app.sim.state.best == pytest.approx(shown.best, abs=1e-12)


def test_a_spatial_panel_s_reach_bound_follows_a_target_moved_while_paused():
    # --robot ur5 paused after a drag: "the tool 1029 mm from it (at least 463 mm)", the
    # bound to the target before the drag
    from armsim.view.render import default_camera
    from armsim.view.spatial import _panel_lines
    from armsim.view.style import DEFAULT_THEME
    sim = build_simulation(load(ROOT / "scenes" / "panda_circle.toml"))
    app = W.App(sim, W.open_window((640, 480), allow_headless=True), fps=10_000,
                camera=default_camera(sim))
    app.run(max_loops=2, close=False)
    chain = app.sim.chain
    base = np.asarray(chain.xyz[0], dtype=float)
    T = np.array(app.sim.state.target, dtype=float)
    T[:3, 3] = base + [chain.reach + 0.5, 0.0, 0.0]            # out of reach by 0.5 m
    app.user_target = T
    press(app, loops=20)
    assert app.sim.state.best == pytest.approx(0.5, abs=1e-9)
    press(app, key(pygame.K_SPACE, " "), loops=1)
    near = T.copy()
    near[:3, 3] = np.asarray(app.sim.state.tool, dtype=float)[:3, 3] + [0.0, 0.0, 0.05]
    app.user_target = near
    press(app, loops=1)
    shown = app._shown_target(app.sim.state)
    lines = [t for t, _ in _panel_lines(shown, False, 0.3, DEFAULT_THEME)]
    assert shown.best == 0 and not any("out of reach" in t for t in lines), lines
    assert not shown.stalled


def test_a_comparison_s_second_arm_shows_the_target_moved_while_paused():
    # original_vs_default paused, the target dragged: the right-hand arm's panel kept the
    # old target and its error to it (both arms chase the dragged target on resume)
    app = make_app("original_vs_default.toml", size=(800, 400))
    press(app, key(pygame.K_SPACE, " "), loops=1)
    state = app.sim.state
    press(app, *drag((200, 200), (150, 120)), loops=2)
    u = np.asarray(app.user_target, dtype=float)
    shown = app._shown_target(app.sim.state)
    assert len(shown.companions) == 1
    other, before = shown.companions[0], state.companions[0]
    np.testing.assert_array_equal(other.target, u)
    tip = np.asarray(before.joints, dtype=float)[-1]
    assert other.error == pytest.approx(float(np.linalg.norm(u - tip)), abs=1e-12)
    np.testing.assert_array_equal(app.sim.state.companions[0].target, before.target)
    press(app, key(pygame.K_SPACE, " "), loops=1)
    np.testing.assert_array_equal(app.sim.state.companions[0].target, u)


def test_an_obstacle_dragged_while_paused_moves_on_screen():
    # obstacle_reach paused: the circle dragged away stayed drawn where it was (the picture
    # drew the obstacles of the last frame's state), and the panel's clearance was to it
    from armsim.ik.tracking import clearance
    from armsim.view.planar import _panel_lines
    app = make_app("obstacle_reach.toml")
    press(app, key(pygame.K_SPACE, " "), loops=1)
    circle = app.obstacles[0]
    c0 = circle.center.copy()
    before = app.last_frame.copy()
    start, end = _pixel(app, c0), _pixel(app, c0 + [0.0, 0.35])
    press(app, *drag(start, end), loops=2)
    assert not np.allclose(circle.center, c0)
    shown = app._shown_target(app.sim.state)
    np.testing.assert_allclose(shown.obstacles[0]["center"], circle.center)
    sim = app.sim
    assert shown.clearance == pytest.approx(clearance(sim.objectives, sim.chain, sim.q))
    assert any(f"{shown.clearance:.4g}" in line for line in _panel_lines(shown))
    fill = np.array(before[start[1], start[0]], dtype=int)       # the disc's colour
    now = app.last_frame.astype(int)
    assert np.abs(now[end[1], end[0]] - fill).sum() < 30            # drawn where it went
    assert np.abs(now[start[1], start[0]] - fill).sum() > 30        # and gone from there


@pytest.mark.parametrize("scene", ["panda_obstacle.toml", "dual_arm_obstacle.toml"])
def test_a_3d_panel_s_clearance_follows_an_obstacle_moved_while_paused(scene):
    # the obstacle was drawn where it was dragged, the panel's clearance was to where it was
    from armsim.cli import scene_camera
    from armsim.ik.tracking import clearance
    from armsim.view.window_tree import TreeApp
    sc = load(ROOT / "scenes" / scene)
    sim = build_simulation(sc)
    cls = TreeApp if hasattr(sim.state, "tools") else W.App
    app = cls(sim, W.open_window((640, 480), allow_headless=True), fps=10_000,
              camera=scene_camera(sc, sim))
    press(app, key(pygame.K_SPACE, " "), loops=2)
    arm = getattr(sim, "robot", None) or sim.chain
    before = sim.state.clearance
    assert before is not None and before > 0
    o = app.obstacles[0]
    o.move_to(o.center + [0.0, 0.0, 0.3])
    press(app, loops=1)
    shown = app._shown_target(sim.state)
    assert shown.clearance == pytest.approx(clearance(sim.objectives, arm, sim.q))
    assert shown.clearance != pytest.approx(before) and sim.state.clearance == before
