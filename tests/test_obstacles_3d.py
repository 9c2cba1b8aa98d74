"""Obstacles in the 3D view (issue 14, "Scenes"): spheres, boxes and capsules of a spatial
arm drawn in perspective, judged by their pixels; the clearance in the spatial panel."""

from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from armsim.scene import build_simulation, load
from armsim.view import DEFAULT_THEME
from armsim.view.export import export_gif
from armsim.view.orbit import OrbitCamera
from armsim.view.render import spatial_obstacles
from armsim.view.spatial import _panel_lines, render_spatial

ROOT = Path(__file__).resolve().parents[1]
PANDA = ROOT / "scenes" / "panda_obstacle.toml"
SIZE = (640, 480)
FILL, EDGE = DEFAULT_THEME.separator, DEFAULT_THEME.waypoint


@pytest.fixture(scope="module")
def panda():
    scene = load(PANDA)
    sim = build_simulation(scene)
    sim.step()
    return sim, OrbitCamera.from_view(scene.view, reach=sim.chain.reach)


def centre_px(camera, point):
    px, _, front = camera.project(np.asarray(point, float)[None], SIZE)
    assert front[0]
    return int(round(px[0, 0])), int(round(px[0, 1]))


def test_sphere_centre_is_drawn_in_the_obstacle_colour(panda):
    sim, camera = panda
    obstacles = spatial_obstacles(sim)
    assert [o["kind"] for o in obstacles] == ["circle"]
    x, y = centre_px(camera, obstacles[0]["center"])
    img = render_spatial(sim.state, camera, SIZE, obstacles=obstacles)
    assert tuple(img[y, x]) == FILL
    bare = render_spatial(sim.state, camera, SIZE, obstacles=())
    assert tuple(bare[y, x]) != FILL
    # a disc of the projected radius: f r / depth, its rim in the outline colour
    depth = camera.to_camera(obstacles[0]["center"])[2]
    r = camera.focal_px(SIZE) * obstacles[0]["radius"] / depth
    row = img[y, x:x + int(r) + 3]
    rim = np.flatnonzero(np.all(row == EDGE, axis=-1))
    assert rim.size and abs(rim[-1] - r) <= 1.5
    assert np.all(np.all(img[y, x:x + int(r) - 1] == FILL, axis=-1))


def test_box_and_capsule_outlines(panda):
    sim, camera = panda
    box = {"kind": "box", "center": np.array([0.4, -0.3, 0.2]), "size": np.array([0.1, 0.1, 0.1]),
           "margin": 0.0}
    cap = {"kind": "capsule", "a": np.array([0.3, 0.3, 0.1]), "b": np.array([0.3, 0.3, 0.5]),
           "center": np.array([0.3, 0.3, 0.3]), "radius": 0.04, "margin": 0.0}
    bare = render_spatial(sim.state, camera, SIZE, obstacles=())
    for ob in (box, cap):
        img = render_spatial(sim.state, camera, SIZE, obstacles=[ob])
        x, y = centre_px(camera, ob["center"])
        win = (slice(y - 40, y + 40), slice(x - 40, x + 40))
        edge = np.all(img[win] == EDGE, axis=-1).sum() - np.all(bare[win] == EDGE, axis=-1).sum()
        assert edge > 60, (ob["kind"], edge)


def test_the_spatial_panel_states_the_clearance(panda):
    sim, _ = panda
    lines = [s for s, _ in _panel_lines(sim.state, False, 0.3, DEFAULT_THEME)]
    assert f"clearance {sim.state.clearance * 1000:.1f} mm" in lines


def test_the_gif_draws_the_sphere(tmp_path):
    scene = load(PANDA)
    sim = build_simulation(scene)
    camera = OrbitCamera.from_view(scene.view, reach=sim.chain.reach)
    centre = spatial_obstacles(sim)[0]["center"]
    export_gif(sim, tmp_path / "p.gif", frames=1, size=SIZE, camera=camera)
    x, y = centre_px(camera, centre)
    assert tuple(iio.imread(tmp_path / "p.gif")[0][y, x, :3]) == FILL
