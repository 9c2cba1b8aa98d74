"""Obstacles in a whole robot's 3D view: scenes/dual_arm_obstacle.toml's sphere drawn by the
robot's picture, the window (TreeApp) and the GIF export, judged by pixels; its panel's
clearance."""

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pygame
import pytest

from armsim.cli import draw_options, scene_camera
from armsim.scene import build_simulation, load
from armsim.view import DEFAULT_THEME
from armsim.view import window as W
from armsim.view.export import export_gif
from armsim.view.orbit import OrbitCamera
from armsim.view.render import spatial_obstacles
from armsim.view.tree3d import _panel_lines, render_tree
from armsim.view.window_tree import TreeApp

ROOT = Path(__file__).resolve().parents[1]
SCENE = ROOT / "scenes" / "dual_arm_obstacle.toml"
SIZE = (640, 480)
FILL, EDGE = DEFAULT_THEME.separator, DEFAULT_THEME.waypoint


def _setup():
    scene = load(SCENE)
    sim = build_simulation(scene)
    return scene, sim, OrbitCamera.from_view(scene.view, reach=sim.chain.reach)


def _centre_px(camera, point):
    px, _, front = camera.project(np.asarray(point, float)[None], SIZE)
    assert front[0]
    return int(round(px[0, 0])), int(round(px[0, 1]))


def _fill_around(img, x, y, half=6):
    return int(np.all(img[y - half:y + half, x - half:x + half] == FILL, axis=-1).sum())


def test_the_robot_s_picture_draws_the_sphere_and_its_rim():
    scene, sim, camera = _setup()
    st = sim.step()
    obstacles = spatial_obstacles(sim)
    assert [o["kind"] for o in obstacles] == ["circle"]
    x, y = _centre_px(camera, obstacles[0]["center"])
    img = render_tree(st, camera, SIZE, obstacles=obstacles, show_panel=False)
    bare = render_tree(st, camera, SIZE, show_panel=False)
    assert tuple(img[y, x]) == FILL and tuple(bare[y, x]) != FILL
    assert _fill_around(img, x, y) == 12 * 12 and _fill_around(bare, x, y) == 0
    # a disc of the projected radius f r / depth, its rim in the outline colour (upward: the
    # robot's arms are beside and below the sphere, not above it)
    depth = camera.to_camera(obstacles[0]["center"])[2]
    r = camera.focal_px(SIZE) * obstacles[0]["radius"] / depth
    col = img[y - int(r) - 3:y + 1, x][::-1]
    rim = np.flatnonzero(np.all(col == EDGE, axis=-1))
    assert rim.size and abs(rim[-1] - r) <= 1.5


def test_the_panel_states_the_clearance():
    _, sim, _ = _setup()
    st = sim.step()
    lines = [s for s, _ in _panel_lines(st, DEFAULT_THEME)]
    assert f"clearance {st.clearance * 1000:.1f} mm" in lines
    assert st.clearance > 0.0299


def test_the_gif_draws_the_sphere(tmp_path):
    _, sim, camera = _setup()
    centre = spatial_obstacles(sim)[0]["center"]
    export_gif(sim, tmp_path / "d.gif", frames=1, size=SIZE, camera=camera)
    x, y = _centre_px(camera, centre)
    frame = iio.imread(tmp_path / "d.gif")[0][..., :3]
    assert tuple(frame[y, x]) == FILL and _fill_around(frame, x, y) == 12 * 12


def _window():
    """(sim, screen, app): the scene in the robot window, two frames shown."""
    scene = load(SCENE)
    sim = build_simulation(scene)
    screen = W.open_window(SIZE, allow_headless=True)
    app = TreeApp(sim, screen, fps=10_000, camera=scene_camera(scene, sim),
                  draw_options=draw_options(scene))
    app.orbiting = False
    app.run(max_loops=2, close=False)
    return sim, screen, app


@pytest.mark.usefixtures("display_closed")
def test_the_window_draws_the_sphere():
    sim, screen, app = _window()
    centre = spatial_obstacles(sim)[0]["center"]
    px = app.camera.project(np.asarray(centre, float), screen.get_size())[0]
    x, y = int(round(px[0])), int(round(px[1]))
    img = pygame.surfarray.array3d(screen).swapaxes(0, 1)
    assert tuple(img[y, x]) == FILL and _fill_around(img, x, y) == 12 * 12


@pytest.mark.usefixtures("display_closed")
def test_a_left_drag_on_the_sphere_moves_it_and_no_target_and_r_puts_it_back():
    """A press on an obstacle holds it (as a chain's window does): the sphere's centre
    follows the mouse in the plane facing the camera, no tool target is picked or moved,
    the robot keeps its clearance of it where it is now; r puts it back."""
    sim, screen, app = _window()
    sphere = app.obstacles[0]
    home = sphere.center.copy()
    c = app.camera.project(home, screen.get_size())[0]
    start = (int(round(c[0])) + 3, int(round(c[1])) - 2)
    end = (start[0] + 40, start[1] - 30)
    for e in (pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=start),
              pygame.event.Event(pygame.MOUSEMOTION, pos=end, rel=(0, 0), buttons=(1, 0, 0)),
              pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=end)):
        pygame.event.post(e)
    app.run(max_loops=30, close=False)
    moved = app.camera.project(sphere.center, screen.get_size())[0]
    assert np.allclose(moved, (c[0] + 40, c[1] - 30), atol=1.0)
    assert app.picked is None and app.user_targets == {}
    assert spatial_obstacles(sim)[0]["center"] == pytest.approx(sphere.center)
    assert sim.state.clearance >= 0.0
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_r, mod=0, unicode="r"))
    app.run(max_loops=2, close=False)
    np.testing.assert_array_equal(sphere.center, home)
