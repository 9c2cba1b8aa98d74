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
