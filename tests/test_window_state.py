"""ARMSIM_STATE_OUT: the window's state file for every kind of scene (a 3D calibration scene
raised AttributeError)."""

import json
from pathlib import Path

import pytest

from armsim.scene import build_simulation, load
from armsim.view import window as W

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("scene", ["calibrate-ur5-stereo.toml", "calibrate-ga.toml",
                                   "panda_circle.toml", "seven_link_figure8.toml"])
def test_the_state_file_is_written_for_every_kind_of_scene(tmp_path, monkeypatch, scene,
                                                            display_closed):
    out = tmp_path / "state.json"
    monkeypatch.setenv("ARMSIM_STATE_OUT", str(out))
    sim = build_simulation(load(ROOT / "scenes" / scene))
    app = W.App(sim, W.open_window((320, 240), allow_headless=True), fps=10_000)
    app.run(max_loops=2)
    data = json.loads(out.read_text())
    assert data["frames"] == 2 and data["window"] is None or data["window"] == [320, 240]
    if scene.startswith("calibrate"):
        assert data["round"] >= 1
        assert len(data["tip"]) == (3 if "ur5" in scene else 2)
        assert data["best_loss"] >= 0.0
    else:
        assert data["error"] >= 0.0


def test_o_starts_an_orbit_when_the_scene_keeps_the_camera_still(display_closed):
    """--robot's scene has view.orbit_deg_per_s = 0: o said so and did nothing; it now turns
    the camera at KEY_ORBIT_DEG_PER_S, and o again stops it."""
    import pygame

    from armsim.cli import robot_scene, scene_camera
    from armsim.scene import loads
    from armsim.view.window3d import KEY_ORBIT_DEG_PER_S
    scene = loads(robot_scene("panda"), source="<--robot panda>")
    sim = build_simulation(scene)
    camera = scene_camera(scene, sim)
    assert camera.orbit_deg_per_s == 0
    app = W.App(sim, W.open_window((320, 240), allow_headless=True), fps=30, camera=camera)
    assert app.orbiting is False            # a still scene: no orbit until o
    az = app.camera.azimuth_deg
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_o, unicode="o", mod=0))
    app.run(max_loops=4, close=False)
    assert app.orbiting and app.message == f"camera orbit on ({KEY_ORBIT_DEG_PER_S:g} deg/s)"
    assert app.camera.azimuth_deg == pytest.approx(az + 3 * KEY_ORBIT_DEG_PER_S / 30)
