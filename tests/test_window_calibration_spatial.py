"""A 3D calibration scene in the GIF and the window: the picture is
draw_calibration_spatial's through one kept camera; mouse and keys posted to the real event
loop (SDL_VIDEODRIVER=dummy), judged by the app's state and its pixels."""

import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pygame
import pytest

from armsim.scene import build_simulation, load
from armsim.view import DEFAULT_THEME, scaled_theme
from armsim.view import window as W
from armsim.view.calibration_spatial import calibration_status, framing, render_calibration_spatial
from armsim.view.export import export_gif
from armsim.view.window3d import ZOOM_PER_NOTCH
from _pixels import count

ROOT = Path(__file__).resolve().parents[1]
UR5 = ROOT / "scenes" / "calibrate-ur5-stereo.toml"
SIZE = (1280, 800)
#: GIF quantisation: a frame's colours not in the first frame's palette go to the nearest
#: entry; measured: max |GIF - render| = 2 (of 255) on 85 of 307,200 pixels (4 frames, 320x240)
#: for colours of the first frame; a colour that first appears later lands further (26 on 4
#: pixels of 307,200 with the held set chosen from the null-space projector)
GIF_TOLERANCE = 2


def _gif_matches(got, want):
    """Within GIF_TOLERANCE where the colour is in the first frame; off elsewhere on at
    most 1e-4 of the pixels."""
    diff = np.abs(got - want).max(axis=-1)
    packed = (want[..., 0] << 16) | (want[..., 1] << 8) | want[..., 2]
    first = np.isin(packed, np.unique(packed[0]))
    assert diff[first].max() <= GIF_TOLERANCE
    assert np.mean(diff > GIF_TOLERANCE) < 1e-4


def key(k, char=""):
    return pygame.event.Event(pygame.KEYDOWN, key=k, unicode=char, mod=0)


def button(kind, b, pos):
    return pygame.event.Event(kind, button=b, pos=pos)


def motion(pos):
    return pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=(0, 0, 0))


def wheel(y):
    return pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=y, flipped=False, precise_x=0.0,
                              precise_y=float(y))


def drag(b, start, end):
    return [button(pygame.MOUSEBUTTONDOWN, b, start), motion(end),
            button(pygame.MOUSEBUTTONUP, b, end)]


def press(app, *events, loops=1):
    for e in events:
        pygame.event.post(e)
    app.run(max_loops=loops, close=False)
    return app


def sim():
    return build_simulation(load(UR5))


def make_app(size=SIZE):
    screen = W.open_window(size, allow_headless=True)
    return W.App(sim(), screen, fps=10_000)


def paused_app():
    app = press(make_app(), loops=2)
    return press(app, key(pygame.K_SPACE, " "))


def theme():
    return scaled_theme(DEFAULT_THEME, SIZE)


pytestmark = pytest.mark.usefixtures("display_closed")


# -- the GIF -------------------------------------------------------------------------------
def _expected(frames, size):
    s = sim()
    camera = framing(s.state, size=size)
    return np.stack([render_calibration_spatial(s.step(), camera, size, status=calibration_status(s))
                     for _ in range(frames)])


def test_gif_frames_are_the_spatial_calibration_pictures(tmp_path):
    size = (320, 240)
    out = tmp_path / "c.gif"
    export_gif(sim(), out, frames=4, fps=10, size=size)
    got = iio.imread(out)[..., :3].astype(int)
    want = _expected(4, size).astype(int)
    assert got.shape == want.shape == (4, 240, 320, 3)
    _gif_matches(got, want)
    assert np.mean(np.any(got != want, axis=-1)) < 0.001
    assert len({f.tobytes() for f in got}) == 4          # the candidates move each round


def test_command_line_gif_is_the_same_picture(tmp_path):
    out = tmp_path / "c.gif"
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(UR5), "--gif", str(out),
                        "--frames", "3", "--size", "320x240"], cwd=ROOT, capture_output=True,
                       text=True, timeout=120, env={**__import__("os").environ,
                                                    "SDL_VIDEODRIVER": "dummy"})
    assert r.returncode == 0 and r.stderr == "", r.stderr
    got = iio.imread(out)[..., :3].astype(int)
    _gif_matches(got, _expected(3, (320, 240)).astype(int))


# -- the window: the camera ------------------------------------------------------------------
def test_window_draws_the_calibration_through_its_kept_camera():
    app = paused_app()
    # the framing of the first round, kept (a later round's framing differs)
    assert app.camera.settings() == framing(sim().state, size=SIZE).settings()
    want = render_calibration_spatial(app.sim.state, app.camera, SIZE,
                                      status=calibration_status(app.sim))
    banner = app.paused_rect()
    got = app.last_frame.copy()
    got[banner.top:banner.bottom, banner.left:banner.right] = \
        want[banner.top:banner.bottom, banner.left:banner.right]
    # the display is 32-bit, render_calibration_spatial's surface 24-bit: antialiased text
    # blends differ by 1 (measured: 11,546 of 3,072,000 values with the header, the inset
    # labels and the panel in words), the rest is equal
    diff = np.abs(got.astype(int) - want.astype(int))
    assert diff.max() <= 1 and np.count_nonzero(diff) < 20000


def test_right_drag_orbits_and_v_restores_the_picture_bit_for_bit():
    app = paused_app()
    before, settings = app.last_frame.copy(), app.camera.settings()
    press(app, *drag(3, (600, 400), (700, 380)))
    assert app.camera.settings()["azimuth_deg"] == pytest.approx(settings["azimuth_deg"] - 40.0)
    assert int(np.any(app.last_frame != before, axis=-1).sum()) > 500
    press(app, key(pygame.K_v, "v"))
    assert app.camera.settings() == settings
    np.testing.assert_array_equal(app.last_frame, before)


def test_wheel_zooms_middle_drag_pans_left_drag_only_says_scripted():
    app = paused_app()
    d0, c0 = app.camera.distance, np.array(app.camera.center)
    press(app, wheel(1))
    assert app.camera.distance == pytest.approx(d0 * ZOOM_PER_NOTCH)
    press(app, *drag(2, (600, 400), (650, 400)))
    assert np.linalg.norm(np.array(app.camera.center) - c0) > 1e-3
    settings, frame = app.camera.settings(), app.last_frame.copy()
    press(app, *drag(1, (600, 400), (700, 300)))
    assert app.camera.settings() == settings and app.user_target is None
    assert app.message.startswith("drag: the commanded poses are scripted")
    # the picture changed only by the message banner at the bottom
    rows = np.flatnonzero(np.any(app.last_frame != frame, axis=(1, 2)))
    assert rows.size and rows.min() > SIZE[1] // 2


# -- every binding in this scene kind --------------------------------------------------------
def _unchanged(app, event, message_end):
    """A key that does not apply: a note on screen, the run and the view as they were."""
    rounds, settings, frames = app.sim.state.round, app.camera.settings(), app.frames
    press(app, event)
    assert app.message.endswith(message_end), app.message
    assert app.sim.state.round == rounds + 1 and app.frames == frames + 1
    assert app.camera.settings() == settings and app.user_target is None


IK_ONLY = "not in a calibration scene (IK scenes only)"


def c_help(app):
    before = app.last_frame.copy()
    press(app, key(pygame.K_h, "h"))
    r = app.help_rect
    assert app.show_help and r.w > 0.4 * SIZE[0] and r.h > 0.5 * SIZE[1]
    assert np.any(app.last_frame[r.top:r.bottom, r.left:r.right] != before[r.top:r.bottom, r.left:r.right])
    assert count(app.last_frame, theme().warning, r) > 200
    press(app, key(pygame.K_SLASH, "?"))
    assert not app.show_help


def c_pause(app):
    rounds = app.sim.state.round
    press(app, key(pygame.K_SPACE, " "), loops=4)
    assert app.paused and app.sim.state.round == rounds
    assert count(app.last_frame, theme().warning, app.paused_rect()) > 100
    press(app, key(pygame.K_SPACE, " "), loops=3)
    assert not app.paused and app.sim.state.round == rounds + 3


def c_panel(app):
    strip = pygame.Rect(0, 0, SIZE[0], 30)
    assert count(app.last_frame, theme().text, strip) > 100          # round, learner, RMS
    press(app, key(pygame.K_p, "p"))
    assert app.show["panel"] is False and count(app.last_frame, theme().text, strip) == 0


def c_plot(app):
    press(app, key(pygame.K_l, "l"), loops=6)
    assert app.show_plot and [s.name for s in app.history.series] == ["best loss", "max rel. error"]
    frames, values = app.history.arrays()
    assert len(frames) == 8 and np.all(np.isfinite(values[0])) and values[0][-1] < values[0][0]
    rect = app.plot_rect()
    assert count(app.last_frame, theme().goal, rect) > 100          # the best-loss curve
    press(app, key(pygame.K_l, "l"))
    assert not app.show_plot and count(app.last_frame, theme().goal, rect) == 0


def test_the_live_plot_without_the_panel_keeps_off_the_scene():
    # p then l in calibrate-ur5-stereo: the plot was drawn over the 3D scene's top right,
    # on the cameras and their lines of sight, while the corner right of the insets, where
    # the panel had been, stood empty
    from armsim.view.calibration_spatial import calibration_layout
    app = press(make_app(), loops=2)
    before = calibration_layout(app.sim.state, SIZE, True)
    press(app, key(pygame.K_p, "p"), key(pygame.K_l, "l"), loops=6)
    lay = calibration_layout(app.sim.state, SIZE, False)
    rect = app.plot_rect()
    assert not app.show["panel"] and app.show_plot
    assert not rect.colliderect(lay.area) and not any(rect.colliderect(r) for r in lay.insets)
    assert before.panel.contains(rect) and pygame.Rect(0, 0, *SIZE).contains(rect)
    assert count(app.last_frame, theme().goal, rect) > 100          # the best-loss curve


@pytest.mark.parametrize("size", [(700, 450), (560, 360)])
def test_a_short_live_plot_draws_its_curves(size):
    # at 700 x 450 the live plot's box held its title and both rows' headings, and no curve:
    # each row's plot area came out under 10 px and was left out, the words kept
    screen = W.open_window(size, allow_headless=True)
    app = press(W.App(sim(), screen, fps=10_000), loops=2)
    press(app, key(pygame.K_l, "l"), loops=8)
    rect = app.plot_rect()
    first = app.history.series[0]
    assert first.name == "best loss"
    assert count(app.last_frame, first.color, rect) > 50          # its curve is drawn
    if size == (700, 450):                                         # and so is the other's
        assert count(app.last_frame, app.history.series[1].color, rect) > 50


def c_screenshot(app, tmp_path):
    press(app, key(pygame.K_SPACE, " "))
    press(app, key(pygame.K_s, "s"))
    shot = tmp_path / "armsim-screenshot-0001.png"
    img = pygame.surfarray.array3d(pygame.image.load(str(shot))).transpose(1, 0, 2)
    np.testing.assert_array_equal(img[:SIZE[1] // 2], app.last_frame[:SIZE[1] // 2])


def c_reset(app):
    press(app, loops=3)
    press(app, *drag(3, (600, 400), (650, 400)), key(pygame.K_r, "r"))
    assert app.sim.state.round == 1 and len(app.history.frames) == 1 and app.message == "reset"


def c_reset_view(app):
    settings = app.camera.settings()
    press(app, wheel(2), *drag(3, (600, 400), (500, 450)), *drag(2, (600, 400), (620, 410)))
    assert app.camera.settings() != settings
    press(app, key(pygame.K_v, "v"))
    assert app.camera.settings() == settings


def c_orbit(app):
    from armsim.view.window3d import KEY_ORBIT_DEG_PER_S
    assert app.orbiting is False            # the scene's rate is 0: the camera is still
    press(app, key(pygame.K_o, "o"))      # o starts a slow orbit
    assert app.orbiting is True and app.camera.orbit_deg_per_s == KEY_ORBIT_DEG_PER_S
    assert app.message == f"camera orbit on ({KEY_ORBIT_DEG_PER_S:g} deg/s)"
    press(app, key(pygame.K_o, "o"))
    assert app.orbiting is False and app.message == f"camera orbit off ({KEY_ORBIT_DEG_PER_S:g} deg/s)"


def c_turn(app):
    for k in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP, pygame.K_DOWN, pygame.K_PAGEUP,
              pygame.K_PAGEDOWN):
        _unchanged(app, key(k), "the commanded poses are scripted (a 3D calibration has no "
                                "target to move)")


def c_quit(app):
    for k, c in ((pygame.K_q, "q"), (pygame.K_ESCAPE, "\x1b")):
        app.running = True
        rounds = app.sim.state.round
        press(app, key(k, c), loops=20)
        assert not app.running and app.sim.state.round == rounds


CHECKS = {
    "toggle_help": c_help, "toggle_pause": c_pause, "toggle_panel": c_panel,
    "toggle_plot": c_plot, "screenshot": c_screenshot, "reset": c_reset,
    "reset_view": c_reset_view, "toggle_orbit": c_orbit, "turn_target": c_turn,
    "quit": c_quit,
    "next_method": lambda app: _unchanged(app, key(pygame.K_m, "m"), IK_ONLY),
    "next_correction": lambda app: _unchanged(app, key(pygame.K_c, "c"), IK_ONLY),
    "add_segment": lambda app: _unchanged(app, key(pygame.K_EQUALS, "+"), IK_ONLY),
    "remove_segment": lambda app: _unchanged(app, key(pygame.K_MINUS, "-"), IK_ONLY),
    "toggle_jacobian": lambda app: _unchanged(app, key(pygame.K_j, "j"), IK_ONLY),
    "toggle_trail": lambda app: _unchanged(app, key(pygame.K_t, "t"), IK_ONLY),
    "toggle_reach": lambda app: _unchanged(app, key(pygame.K_w, "w"), IK_ONLY),
    "toggle_solids": lambda app: _unchanged(app, key(pygame.K_k, "k"), IK_ONLY),
}


def test_every_binding_has_a_check_in_a_3d_calibration_scene():
    assert set(CHECKS) == {b.action for b in W.BINDINGS}


@pytest.mark.parametrize("action", sorted(CHECKS))
def test_binding_does_what_the_help_says_in_a_3d_calibration(action, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = press(make_app(), loops=2)
    if action == "screenshot":
        CHECKS[action](app, tmp_path)
    else:
        CHECKS[action](app)
