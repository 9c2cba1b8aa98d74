"""Issue 13, the window as a teacher would use it: every control the help lists, posted as a
KEYDOWN event to the real event loop (SDL_VIDEODRIVER=dummy), judged by the app's state and
the pixels it drew."""

from pathlib import Path

import numpy as np
import pygame
import pytest

from armsim.ik import CORRECTIONS, METHODS
from armsim.ik.tracking import MAX_SEGMENTS
from armsim.scene import build_simulation, default_scene, load
from armsim.view import DEFAULT_THEME, scaled_theme
from armsim.view import window as W
from armsim.view.planar import band_slots, bands
from _pixels import count

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1280, 800)


def key(k, char=""):
    return pygame.event.Event(pygame.KEYDOWN, key=k, unicode=char, mod=0)


def make_app(sim=None, size=SIZE, title=None):
    sim = sim or build_simulation(default_scene())
    screen = W.open_window(size, allow_headless=True, title=title)
    return W.App(sim, screen, fps=10_000, title=title)


def press(app, *events, loops=2):
    for e in events:
        pygame.event.post(e)
    app.run(max_loops=loops, close=False)
    return app


pytestmark = pytest.mark.usefixtures("display_closed")


def theme():
    return scaled_theme(DEFAULT_THEME, SIZE)


# -- one check per binding: the table and the tests cannot drift ------------------------------
def check_help(app):
    assert not app.show_help
    before = app.last_frame.copy()
    press(app, key(pygame.K_h, "h"))
    assert app.show_help
    r = app.help_rect
    assert r.w > 0.4 * SIZE[0] and r.h > 0.5 * SIZE[1]
    # the overlay changed the middle of the picture and names every control in the key colour
    assert np.any(app.last_frame[r.top:r.bottom, r.left:r.right] != before[r.top:r.bottom, r.left:r.right])
    assert count(app.last_frame, theme().warning, r) > 200
    press(app, key(pygame.K_SLASH, "?"))          # shift + / types "?": closes it again
    assert not app.show_help


def check_pause(app):
    frames = app.frames
    press(app, key(pygame.K_SPACE, " "), loops=5)
    assert app.paused and app.frames == frames and app.sim.state.frame == frames
    banner = app.paused_rect()
    assert count(app.last_frame, theme().warning, banner) > 100     # PAUSED, in the warning colour
    press(app, key(pygame.K_SPACE, " "), loops=3)
    assert not app.paused and app.frames == frames + 3
    assert count(app.last_frame, theme().warning, banner) == 0


def check_method(app):
    seen = [app.sim.solver.method]
    for _ in METHODS:
        press(app, key(pygame.K_m, "m"), loops=1)
        seen.append(app.sim.state.method)
    i = METHODS.index("gradient")
    assert seen == [METHODS[(i + k) % len(METHODS)] for k in range(len(METHODS) + 1)]
    assert app.frames == 2 + len(METHODS)      # the run went on through every switch


def check_correction(app):
    assert app.sim.solver.correction == "backtrack"
    press(app, key(pygame.K_c, "c"), loops=1)
    assert app.sim.state.correction == CORRECTIONS[(CORRECTIONS.index("backtrack") + 1) % 4]
    assert app.message == f"correction: {app.sim.state.correction}"
    press(app, key(pygame.K_m, "m"), key(pygame.K_c, "c"), loops=1)   # pinv: no correction
    assert app.sim.state.method == "pinv" and app.sim.state.correction == ""
    assert "only meaningful for gradient" in app.message
    from armsim.view.planar import _panel_lines
    lines = _panel_lines(app.sim.state)
    i = lines.index(f"correction  {app.sim.solver.correction}")
    assert lines[i + 1] == "  (gradient only)"


def check_add_segment(app):
    n, reach = app.sim.chain.n, app.sim.chain.reach
    mean = float(np.mean(app.sim.chain.lengths))
    press(app, key(pygame.K_EQUALS, "+"), loops=1)
    assert app.sim.chain.n == n + 1 and app.sim.state.q.shape == (n + 1,)
    assert app.sim.chain.reach == pytest.approx(reach)
    # the new one is as long as the mean of the others, before all are scaled to keep the reach
    k = reach / (reach + mean)
    assert app.sim.chain.lengths[-1] == pytest.approx(mean * k)
    assert len(app.sim.state.joints) == n + 2


def check_remove_segment(app):
    n = app.sim.chain.n
    press(app, key(pygame.K_MINUS, "-"), loops=1)
    assert app.sim.chain.n == n - 1 and app.sim.chain.reach == pytest.approx(1.0)


def _legend_rect(app):
    return band_slots(bands(SIZE)[1])[1]


def check_jacobian(app):
    legend = _legend_rect(app)
    assert count(app.last_frame, theme().text, legend) > 50
    press(app, key(pygame.K_j, "j"), loops=1)
    assert app.show["jacobian"] is False
    assert count(app.last_frame, theme().text, legend) == 0          # no legend
    assert count(app.last_frame, theme().segment_color(0), legend) == 0


def check_trail(app):
    press(app, loops=20)
    assert count(app.last_frame, theme().trail) > 50
    press(app, key(pygame.K_t, "t"), loops=1)
    assert app.show["trail"] is False and count(app.last_frame, theme().trail) == 0


def check_reach(app):
    assert count(app.last_frame, theme().reach) > 500
    press(app, key(pygame.K_w, "w"), loops=1)
    assert app.show["reach"] is False and count(app.last_frame, theme().reach) == 0


def check_panel(app):
    slot = band_slots(bands(SIZE)[1])[0]
    assert count(app.last_frame, theme().text, slot) > 100
    press(app, key(pygame.K_p, "p"), loops=1)
    assert app.show["panel"] is False and count(app.last_frame, theme().text, slot) == 0


def check_plot(app):
    press(app, key(pygame.K_l, "l"), loops=30)
    assert app.show_plot
    rect = app.plot_rect()
    assert count(app.last_frame, theme().target, rect) > 100       # the error curve
    press(app, key(pygame.K_l, "l"), loops=1)
    assert not app.show_plot and count(app.last_frame, theme().target, rect) == 0


def check_screenshot(app, tmp_path, capsys):
    (tmp_path / "armsim-screenshot-0001.png").write_bytes(b"older")
    press(app, key(pygame.K_s, "s"), loops=1)
    shot = tmp_path / "armsim-screenshot-0002.png"
    assert (tmp_path / "armsim-screenshot-0001.png").read_bytes() == b"older"   # not clobbered
    assert capsys.readouterr().out == f"armsim: screenshot saved to {shot.resolve()}\n"
    img = pygame.image.load(str(shot))
    assert img.get_size() == SIZE
    assert not list(tmp_path.glob(".*.tmp"))


def check_reset(app):
    press(app, loops=25)
    app.user_target = np.array([0.2, 0.2])
    press(app, key(pygame.K_r, "r"), loops=1)
    assert app.sim.state.frame == 1 and app.user_target is None and len(app.history.frames) == 1
    assert list(app.history.frames) == [1]      # the run's frame, as the panel (was the loop's)


def check_quit(app):
    for k, c in ((pygame.K_q, "q"), (pygame.K_ESCAPE, "\x1b")):
        app.running = True
        frames = app.frames
        press(app, key(k, c), loops=50)
        assert not app.running and app.frames == frames


def _planar_says_3d_only(app, *events):
    """The 3D view's keys in a planar scene: a note on screen, nothing changed (what they do
    in a spatial scene: tests/test_window_spatial.py)."""
    for e in events:
        target, frames = app.user_target, app.frames
        press(app, e, loops=1)
        assert app.message.endswith(": the 3D view only (a spatial arm)"), app.message
        assert app.user_target is target and app.frames == frames + 1


def check_reset_view(app):
    _planar_says_3d_only(app, key(pygame.K_v, "v"))


def check_toggle_orbit(app):
    _planar_says_3d_only(app, key(pygame.K_o, "o"))


def check_toggle_solids(app):
    _planar_says_3d_only(app, key(pygame.K_k, "k"))


def check_turn_target(app):
    _planar_says_3d_only(app, *(key(k) for k in (pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP,
                                                  pygame.K_DOWN, pygame.K_PAGEUP,
                                                  pygame.K_PAGEDOWN)))


CHECKS = {
    "reset_view": check_reset_view, "toggle_orbit": check_toggle_orbit,
    "turn_target": check_turn_target, "toggle_solids": check_toggle_solids,
    "toggle_help": check_help, "toggle_pause": check_pause, "next_method": check_method,
    "next_correction": check_correction, "add_segment": check_add_segment,
    "remove_segment": check_remove_segment, "toggle_jacobian": check_jacobian,
    "toggle_trail": check_trail, "toggle_reach": check_reach, "toggle_panel": check_panel,
    "toggle_plot": check_plot, "screenshot": check_screenshot, "reset": check_reset,
    "quit": check_quit,
}


def test_every_binding_has_a_check_and_a_help_row():
    assert set(CHECKS) == {b.action for b in W.BINDINGS}
    rows = W.help_lines()
    assert [r[0] for r in rows[:len(W.BINDINGS)]] == [b.label for b in W.BINDINGS]
    assert all(r[1] for r in rows)


@pytest.mark.parametrize("action", sorted(CHECKS))
def test_binding_does_what_the_help_says(action, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    app = press(make_app())
    check = CHECKS[action]
    if action == "screenshot":
        check(app, tmp_path, capsys)
    else:
        check(app)


def test_every_key_code_of_a_binding_triggers_it():
    for b in W.BINDINGS:
        for k in b.keys:
            assert W.binding_for(key(k)) is b, (b.label, k)
        for c in b.chars:
            assert W.binding_for(key(pygame.K_UNKNOWN, c)) is b



def test_a_key_held_with_ctrl_is_not_its_binding():
    # Ctrl+C switched the correction (c); a character typed with a modifier still counts
    for b in W.BINDINGS:
        for k in b.keys:
            for mod in (pygame.KMOD_LCTRL, pygame.KMOD_RCTRL, pygame.KMOD_META):
                ev = pygame.event.Event(pygame.KEYDOWN, key=k, unicode="", mod=mod)
                assert W.binding_for(ev) is None, (b.label, k, mod)
    shifted = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SLASH, unicode="?",
                                 mod=pygame.KMOD_LSHIFT)
    assert W.binding_for(shifted).action == "toggle_help"
    numpad = pygame.event.Event(pygame.KEYDOWN, key=pygame.K_KP_PLUS, unicode="+",
                                mod=pygame.KMOD_NUM)
    assert W.binding_for(numpad) is not None

# -- item 1: title ---------------------------------------------------------------------------
def test_title_names_the_scene():
    from armsim.cli import scene_title
    assert scene_title(default_scene()) == "default scene"
    scene = load(ROOT / "scenes" / "joint_limits.toml")
    assert scene_title(scene) == "joint_limits.toml"
    make_app(build_simulation(scene), title=scene_title(scene))
    assert pygame.display.get_caption()[0] == "armsim \u2014 joint_limits.toml"
    pygame.display.quit()
    W.open_window(SIZE, allow_headless=True)
    assert pygame.display.get_caption()[0] == "armsim \u2014 default scene"


# -- item 2: segments at their bounds, joint limits, calibration scenes ------------------------
def test_segments_stay_between_one_and_the_maximum():
    app = make_app()
    press(app, *[key(pygame.K_KP_PLUS, "+")] * (MAX_SEGMENTS + 5), loops=1)
    assert app.sim.chain.n == MAX_SEGMENTS
    assert app.message.startswith(f"{MAX_SEGMENTS} segments: the most allowed")
    assert len({W.DEFAULT_THEME.segment_color(j) for j in range(MAX_SEGMENTS)}) == MAX_SEGMENTS
    press(app, *[key(pygame.K_MINUS, "-")] * (MAX_SEGMENTS + 5), loops=1)
    assert app.sim.chain.n == 1 and app.sim.chain.reach == pytest.approx(1.0)
    assert app.message.startswith("1 segment: the fewest allowed")
    assert np.isfinite(app.sim.state.error)


def test_added_segment_keeps_joint_limits_consistent():
    sim = build_simulation(load(ROOT / "scenes" / "joint_limits.toml"))
    limits = sim.chain.limits.copy()
    app = make_app(sim)
    press(app, key(pygame.K_PLUS, "+"), loops=3)
    new = app.sim.chain.limits
    assert new.shape == (len(limits) + 1, 2)
    np.testing.assert_array_equal(new[:-1], limits)
    np.testing.assert_array_equal(new[-1], limits[-1])
    assert app.sim.chain.within_limits(app.sim.state.q)
    press(app, key(pygame.K_MINUS, "-"), key(pygame.K_MINUS, "-"), loops=3)
    np.testing.assert_array_equal(app.sim.chain.limits, limits[:-1])


def test_companion_arm_gets_the_same_segments():
    sim = build_simulation(load(ROOT / "scenes" / "original_vs_default.toml"))
    app = make_app(sim)
    n = sim.chain.n
    press(app, key(pygame.K_PLUS, "+"), loops=3)
    assert sim.chain.n == sim.companions[0].chain.n == n + 1
    assert sim.state.companions[0].q.shape == (n + 1,)


def test_removing_a_segment_a_point_objective_names_is_refused_and_the_arm_stays():
    """A point objective on the tip (point 4 of 4): '-' raised the objective's ValueError out
    of the key handler (a traceback closing the window), the arm left half changed."""
    from armsim.scene import loads
    sim = build_simulation(loads('[arm]\nlengths = [0.3, 0.3, 0.2, 0.2]\n[target]\n'
                                 'kind = "fixed"\npoint = [0.4, 0.3]\n[[objective]]\n'
                                 'kind = "posture"\nrest = [0.1, 0.2, 0.3, 0.4]\n'
                                 '[[objective]]\nkind = "point"\npoint = 4\n'
                                 'target = [0.4, 0.3]\n'))
    app = make_app(sim)
    q, error = sim.q.copy(), sim.state.error
    press(app, key(pygame.K_MINUS, "-"), loops=1)
    assert app.message.startswith("cannot give the arm 3 segments: PointTarget: point must be")
    assert sim.chain.n == 4 and sim.solver.problem.n == 4 and sim.q.shape == (4,)
    np.testing.assert_array_equal(sim.objectives[0].q_rest, [0.1, 0.2, 0.3, 0.4])
    press(app, loops=3)
    assert sim.state.q.shape == (4,) and sim.state.error < 0.5 * error
    assert not np.array_equal(sim.q, q)
    press(app, key(pygame.K_PLUS, "+"), loops=2)              # adding stays possible
    assert sim.chain.n == 5 and sim.objectives[0].q_rest.shape == (5,)


def test_ik_keys_in_a_calibration_scene_say_they_do_not_apply():
    sim = build_simulation(load(ROOT / "scenes" / "calibrate-gecco.toml"))
    app = make_app(sim, size=(640, 480))
    for k, c in ((pygame.K_m, "m"), (pygame.K_c, "c"), (pygame.K_PLUS, "+")):
        press(app, key(k, c), loops=1)
        assert app.message.endswith("not in a calibration scene (IK scenes only)")
    press(app, key(pygame.K_l, "l"), loops=4)
    assert app.show_plot and len(app.history.frames) == 7
    assert [s.name for s in app.history.series] == ["best loss", "lengths (rel.)", "angles [rad]"]


def test_readme_controls_table_is_the_bindings_table():
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- begin: controls -->\n", 1)[1].split("<!-- end: controls -->", 1)[0]
    assert W.controls_markdown() in block


def _banners(monkeypatch):
    """The banners the window draws from now on: a list of (first line, rect)."""
    drawn = []
    real = W.draw_banner

    def spy(screen, lines, theme, color, where, avoid=None, prefer_off=None):
        drawn.append((lines[0], real(screen, lines, theme, color, where, avoid, prefer_off)))
        return drawn[-1][1]
    monkeypatch.setattr(W, "draw_banner", spy)
    return drawn


def test_a_message_is_drawn_above_the_live_plot(monkeypatch):
    # the message banner ("live plot on", "3 segments (reach 1 m)") covered the plot's
    # lower half when the window was narrow
    app = make_app(size=(640, 420))
    drawn = _banners(monkeypatch)
    press(app, key(pygame.K_l, "l"), key(pygame.K_PLUS, "+"), loops=3)
    assert app.show_plot and drawn
    for text, rect in drawn:
        assert not rect.colliderect(app.plot_rect()), (text, rect, app.plot_rect())


def test_a_message_stays_off_every_arm_s_text_in_a_comparison(monkeypatch):
    # original_vs_default at 1600 x 1000: "reset" was drawn over the right-hand arm's panel
    app = make_app(build_simulation(load(ROOT / "scenes" / "original_vs_default.toml")),
                   size=(1600, 1000))
    drawn = _banners(monkeypatch)
    press(app, key(pygame.K_r, "r"), loops=2)
    texts = [bands(rect.size)[1].move(rect.topleft) for rect, _ in app.panels]
    assert len(texts) == 2 and drawn and drawn[-1][0] == "reset"
    for _, rect in drawn:
        assert not any(rect.colliderect(t) for t in texts), (rect, texts)
        assert rect.top >= 0


def test_every_waypoint_is_inside_its_arm_s_picture():
    # original_vs_default's waypoint beyond the reach was cut by the column's edge
    from armsim.view.planar import View
    app = make_app(build_simulation(load(ROOT / "scenes" / "original_vs_default.toml")),
                   size=(1600, 1000))
    state = app.sim.state
    for (rect, view), st in zip(app.panels, [state] + list(state.companions)):
        free = bands(rect.size)[0]
        px = view.to_screen(np.asarray(st.waypoints, float))
        r = scaled_theme(DEFAULT_THEME, (1600, 1000)).joint_radius     # a waypoint's circle
        assert np.all(px[:, 0] - r >= free.left) and np.all(px[:, 0] + r <= free.right)
        assert np.all(px[:, 1] - r >= free.top) and np.all(px[:, 1] + r <= free.bottom)
    # a scene whose waypoints sit within the picture keeps the usual scale
    near = build_simulation(default_scene()).state
    assert View.fit(near, (800, 600)).scale == pytest.approx(
        0.45 * min(bands((800, 600))[0].size) / near.reach)


@pytest.mark.parametrize("size", [(1280, 800), (640, 420)])
def test_a_long_message_stays_off_the_live_plot_beside_a_side_band(size, monkeypatch):
    # a wide window's text band is as tall as the window: a banner that met both the band
    # and the plot stayed where it was, over the plot
    app = make_app(size=size)
    drawn = _banners(monkeypatch)
    press(app, key(pygame.K_l, "l"), loops=2)
    app.say("correction: backtrack - only meaningful for gradient (method now dls)")
    drawn.clear()
    press(app, loops=1)
    assert app.show_plot and drawn
    assert not drawn[-1][1].colliderect(app.plot_rect()), (drawn[-1], app.plot_rect())


def test_a_screenshot_that_cannot_be_written_leaves_the_window_running(tmp_path, monkeypatch,
                                                                       capsys):
    # from a folder where no file can be written (/proc), 's' ended the whole window with
    # exit status 2
    monkeypatch.chdir("/proc")
    app = make_app()
    press(app, key(pygame.K_s, "s"), loops=2)
    assert app.screenshots == [] and app.message == "screenshot not saved (see the terminal)"
    err = capsys.readouterr().err
    assert err.startswith("armsim: screenshot not saved: ") and err.count("\n") == 1
    press(app, loops=2)               # it goes on


@pytest.mark.parametrize("size", [(300, 50), (16, 16), (40, 30)])
def test_a_banner_in_a_window_too_low_for_a_line_is_left_out(size):
    # under about 60 px not one title line fits 0.3 x the height: max() of nothing (a
    # traceback from pressing space, or any key with a message)
    from armsim.view.overlay import banner_layout
    rect, _, _, shown = banner_layout(size, ["PAUSED  (space resumes)"], "top")
    assert shown == [] and rect.size == (0, 0)
    app = make_app(size=size)
    press(app, key(pygame.K_SPACE, " "), key(pygame.K_p, "p"), loops=3)
    assert app.paused and app.last_frame.shape[:2] == (size[1], size[0])
