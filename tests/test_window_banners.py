"""The window's banners (a message after a key, PAUSED) in small windows, 2D and 3D: judged by
the pixels of the real picture, the words of the panels left as they were."""

from pathlib import Path

import numpy as np
import pygame
import pytest

from armsim.cli import draw_options, robot_scene, scene_camera
from armsim.scene import build_simulation, default_scene, load, loads
from armsim.view import window as W
from armsim.view.window_tree import TreeApp

ROOT = Path(__file__).resolve().parents[1]
SCENES = ["default", "panda", "dual_arm", "calibrate-ga", "calibrate-ur5-stereo"]
SIZES = [(320, 240), (400, 300)]

pytestmark = pytest.mark.usefixtures("display_closed")


def make_app(name, size):
    """The app the command line opens for ``name`` (default scene, ``--robot panda``, or a
    shipped scene) in a window of ``size``, two frames in."""
    if name == "default":
        scene = default_scene()
    elif name == "panda":
        scene = loads(robot_scene("panda"))
    else:
        scene = load(ROOT / "scenes" / f"{name}.toml")
    sim = build_simulation(scene)
    screen = W.open_window(size, allow_headless=True)
    cls = TreeApp if hasattr(sim.state, "tools") else W.App
    app = cls(sim, screen, fps=10_000, camera=scene_camera(scene, sim),
              draw_options=draw_options(scene))
    app.run(max_frames=2, close=False)
    app.message = ""
    return app


def picture(app, message="", paused=False, panel=True):
    """The window's picture of the same frame (no step) with these switches."""
    app.message, app.paused, app.show["panel"] = "", paused, panel
    if message:
        app.say(message)
    app.render()
    return pygame.surfarray.array3d(app.screen).transpose(1, 0, 2).copy()


def panel_pixels(app, plain):
    """Where the panel draws: the pixels that change when it is switched off."""
    mask = np.any(picture(app, panel=False) != plain, axis=-1)
    assert mask.sum() > 300, mask.sum()               # the panel has words to keep
    return mask


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", SCENES)
def test_a_message_leaves_the_panel_s_words_as_they_were(name, size):
    # "Jacobian arrows off", "j (Jacobian arrows): a chain's only ..." were drawn over the
    # panel's lines in a 320 x 240 or 400 x 300 window (the Panda's, both tools' of
    # dual_arm, the calibrations' legend and header)
    app = make_app(name, size)
    plain = picture(app)
    words = panel_pixels(app, plain)
    for text in ("Jacobian arrows off",
                 "j (Jacobian arrows): a chain's only (a whole robot's picture has none)"):
        shown = picture(app, message=text)
        banner = np.any(shown != plain, axis=-1)
        assert banner.sum() > 200, (text, banner.sum())              # it is drawn
        assert not np.any(banner & words), (text, np.argwhere(banner & words)[:3])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", SCENES)
def test_paused_and_a_message_leave_the_words_and_each_other(name, size):
    # PAUSED at the top centre covered the 3D calibration's header, dual_arm's panel and
    # the 2D calibration's panel
    app = make_app(name, size)
    plain = picture(app)
    words = panel_pixels(app, plain)
    paused = np.any(picture(app, paused=True) != plain, axis=-1)
    assert paused.sum() > 200 and not np.any(paused & words)
    r = app.paused_rect()
    assert paused[r.top:r.bottom, r.left:r.right].sum() == paused.sum()   # where it says
    both = np.any(picture(app, message="Jacobian arrows off", paused=True) != plain, axis=-1)
    message = both & ~paused
    assert message.sum() > 200 and not np.any(both & words)
    assert not np.any(message[r.top:r.bottom, r.left:r.right])            # not over PAUSED


@pytest.mark.parametrize("size", [(100, 80), (160, 120)])
@pytest.mark.parametrize("name", SCENES + ["panda_hand"])
def test_a_banner_with_no_room_beside_the_panel_s_words_makes_the_panel_give_way(name, size):
    # in a 100 x 80 or 160 x 120 window a message ("Jacobian arrows on", "panel on") or
    # PAUSED with no place off the panel's words was drawn over them (in every scene here
    # but the Panda's at 160 x 120): now the words are left as they were, or the picture is
    # the one without the panel (as the panel switched off shows it) while the banner shows
    app = make_app(name, size)
    plain = picture(app)
    words = panel_pixels(app, plain)
    bare = picture(app, panel=False)
    for message, paused in [("Jacobian arrows on", False), ("panel on", False), ("", True),
                            ("panel on", True)]:
        shown = picture(app, message=message, paused=paused)
        drawn = np.any(shown != plain, axis=-1)
        if np.any(drawn & words):                            # the panel gave way
            without = picture(app, message=message, paused=paused, panel=False)
            assert np.array_equal(shown, without), (message, paused)
            drawn = np.any(shown != bare, axis=-1)
        assert drawn.sum() > 200, (message, paused, drawn.sum())     # it is drawn
