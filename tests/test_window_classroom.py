"""The planar window as a teacher uses it: what a key says and what the picture then shows
(the comparison scenes' captions, the live plot where it has no room, its axis labels),
checked on the pictures the App draws (SDL's dummy driver)."""

from pathlib import Path

import numpy as np
import pygame

from armsim.scene import build_simulation, load
from armsim.view import window as W
from armsim.view.style import DEFAULT_THEME, _font, scaled_theme, type_scale

ROOT = Path(__file__).resolve().parents[1]


def app_for(scene, size=(1280, 800), frames=5):
    sim = build_simulation(load(ROOT / "scenes" / scene))
    screen = W.open_window(size, allow_headless=True)
    app = W.App(sim, screen, fps=10_000)
    app.run(max_frames=frames, close=False)
    return app


def press(app, key, char=""):
    app.handle(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=char, mod=0))
    app.step()
    app.render()


def picture(app):
    return np.ascontiguousarray(pygame.surfarray.array3d(app.screen).transpose(1, 0, 2))


def shows_text(img, text, size, color, rect=None):
    """Whether ``text`` in the font of ``size`` is drawn in ``color`` somewhere in ``img``
    (inside the pygame ``rect``): every pixel its glyphs cover whole has that colour."""
    glyphs = _font(size).render(text, True, (255, 255, 255))
    alpha = pygame.surfarray.array_alpha(glyphs).T
    ys, xs = np.nonzero(alpha == 255)
    if rect is not None:
        img = img[rect.top:rect.bottom, rect.left:rect.right]
    hit = np.all(img == np.array(color, np.uint8), axis=-1)
    h, w = alpha.shape
    H, W_ = hit.shape
    if H < h or W_ < w:
        return False
    ok = np.ones((H - h + 1, W_ - w + 1), bool)
    for y, x in zip(ys, xs):
        ok &= hit[y:y + H - h + 1, x:x + W_ - w + 1]
        if not ok.any():
            return False
    return True


def test_m_in_a_comparison_renames_the_left_arms_caption_and_curve():
    """original_vs_dls: m switches the left arm from gradient/clip to pinv; its caption said
    'gradient/clip' on over 'method pinv' (and so did its curve's name in the live plot)."""
    app = app_for("original_vs_dls.toml")
    press(app, pygame.K_l, "l")
    w, h = app.screen.get_size()
    theme = scaled_theme(DEFAULT_THEME, (w, h))
    body = type_scale(w, h).body
    left = pygame.Rect(0, 0, w // 2, h)
    assert shows_text(picture(app), "gradient/clip", body, theme.text, left)
    press(app, pygame.K_m, "m")
    assert app.sim.solver.method == "pinv"
    img = picture(app)
    assert not shows_text(img, "gradient/clip", body, theme.text, left)
    assert shows_text(img, "pinv", body, theme.text, left)
    switched = app.sim.frame     # the curve's name says from which frame it is pinv's
    assert [s.name for s in app.history.series] == [f"pinv from frame {switched}",
                                                    "damped least squares"]
    assert "left arm; 'damped least squares' keeps its own" in app.message
    press(app, pygame.K_m, "m")
    press(app, pygame.K_m, "m")
    press(app, pygame.K_m, "m")
    press(app, pygame.K_m, "m")                           # round to gradient, then c
    assert app.sim.solver.method == "gradient"
    press(app, pygame.K_c, "c")
    assert app.sim.state.label == "gradient/norm" and app.sim.solver.correction == "norm"
    assert shows_text(picture(app), "gradient/norm", body, theme.text, left)
    assert app.sim.state.companions[0].label == "damped least squares"


def test_l_says_so_when_the_window_has_no_room_for_the_plot():
    """400x300 with two arms, 160x120 with one: l said 'live plot on' and nothing was drawn."""
    for scene, size in (("original_vs_default.toml", (400, 300)),
                        ("seven_link_figure8.toml", (160, 120))):
        app = app_for(scene, size)
        press(app, pygame.K_l, "l")
        assert app.show_plot and app.plot_axes == []           # nothing drawn: no room
        assert "no room" in app.message and "a larger window" in app.message, app.message
    app = app_for("original_vs_default.toml", (1280, 800))
    press(app, pygame.K_l, "l")
    assert app.plot_axes and app.message == "live plot on"


_HISTORY = []


def _placed_plot(size, rect):
    """(axes, words drawn) of the default scene's first 120 frames' plot in ``rect``."""
    from armsim.scene import default_scene
    from armsim.view.plot import History, draw_plot, series_for
    if not _HISTORY:
        sim = build_simulation(default_scene())
        _HISTORY.append(History(series_for(sim.state, DEFAULT_THEME)))
        for _ in range(120):
            st = sim.step()
            _HISTORY[0].add(st.frame, [st.error])
    hist = _HISTORY[0]
    surf = pygame.Surface(size)
    placed = []
    axes = draw_plot(surf, rect, hist, scaled_theme(DEFAULT_THEME, size),
                     title="last 600 frames, log scale", placed=placed)
    return axes, [t for t, _ in placed]


def test_a_short_plot_labels_its_top_and_bottom_decades_or_drops_the_title():
    """The window's plot at 400x300 (97x112 px): a 12 px curve box beside '1e-8' alone, under
    a three-line title; the curve (1e-7 to 1e-3) looked as if it lay at 1e-8."""
    size = (400, 300)
    for h in range(60, 140, 4):
        axes, words = _placed_plot(size, pygame.Rect(3, 185, 97, h))
        for a in axes:          # two decades at least: the scale can be read
            assert f"1e{a.lo}" in words, (h, words)
            assert len([t for t in words if t.startswith("1e")]) >= 2, (h, words)
    axes, words = _placed_plot(size, pygame.Rect(3, 185, 97, 112))
    assert axes and axes[0].rect.h >= 30


def test_the_plots_frame_numbers_are_named():
    """Where 'frame 1' had no room beside the last frame, the last was drawn bare ('120')."""
    for w in range(60, 200, 6):
        axes, words = _placed_plot((640, 480), pygame.Rect(0, 0, w, 180))
        numbers = [t for t in words if t.isdigit()]
        assert not numbers or any(t.startswith("frame ") for t in words), (w, words)


def test_an_empty_live_plot_shows_no_scale_and_says_why():
    """Paused, r, l: the plot of no frames drew decades 1e-3..1e0 and 'frame 0 ... 1'."""
    app = app_for("seven_link_figure8.toml")
    press(app, pygame.K_SPACE, " ")
    press(app, pygame.K_r, "r")
    press(app, pygame.K_l, "l")
    assert len(app.plot_axes) == 1
    w, h = app.screen.get_size()
    theme = scaled_theme(DEFAULT_THEME, (w, h))
    small = type_scale(w, h).small
    img = picture(app)
    box = app.plot_rect()
    for word in ("1e0", "1e-3", "frame 0"):
        assert not shows_text(img, word, small, theme.text, box), word
    assert shows_text(img, "no frames yet", small, theme.text, box)
