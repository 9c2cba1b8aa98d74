"""Issue 13: the live error plot and --plot, the Jacobian legend, colours and fixed scale, the
panel beside the workspace, the default window size."""

import itertools
import math
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pygame
import pytest

from armsim.cli import main
from armsim.scene import build_simulation, default_scene, load
from armsim.view import DEFAULT_THEME, LIGHT_THEME, View, render_array, scaled_theme
from armsim.view import window as W
from armsim.view.planar import JACOBIAN_SCALE, _draw_jacobian_legend, _draw_panel, band_slots, bands
from armsim.view.plot import FLOOR, History, RunHistory, draw_plot, series_for, values_of

ROOT = Path(__file__).resolve().parents[1]


def near(img, xy, color, radius=1):
    x, y = int(round(xy[0])), int(round(xy[1]))
    patch = img[max(y - radius, 0):y + radius + 1, max(x - radius, 0):x + radius + 1].reshape(-1, 3)
    return bool(np.any(np.all(patch == np.array(color, dtype=np.uint8), axis=1)))


def errors_of_default_run(frames):
    sim = build_simulation(default_scene())
    return [sim.step().error for _ in range(frames)]


# -- item 3: the live plot ---------------------------------------------------------------------
def test_live_plot_draws_the_measured_errors_at_their_log_heights():
    sim = build_simulation(default_scene())
    screen = W.open_window((1280, 800), allow_headless=True)
    app = W.App(sim, screen, fps=10_000)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_l, unicode="l", mod=0))
    app.run(max_frames=150)
    frames, (values,) = app.history.arrays()
    assert frames.tolist() == list(range(1, 151))
    assert values.tolist() == errors_of_default_run(150)       # the plot holds what was measured
    (axis,) = app.plot_axes
    assert 10.0 ** axis.lo <= values.min() and values.max() <= 10.0 ** axis.hi
    img = app.last_frame
    color = scaled_theme(DEFAULT_THEME, (1280, 800)).target
    on = [near(img, (axis.x(f), axis.y(v)), color) for f, v in zip(frames, values)]
    assert all(on)
    # log scale: 1e-4 sits (hi + 4) / (hi - lo) of the way down, not at the bottom as on a linear one
    y = axis.y(1e-4)
    assert y == pytest.approx(axis.rect.bottom - 2 - (-4 - axis.lo) / (axis.hi - axis.lo) * (axis.rect.h - 3))


def test_live_history_is_bounded():
    h = History(series_for(build_simulation(default_scene()).state, DEFAULT_THEME))
    for k in range(2000):
        h.add(k, [1.0 / (k + 1)])
    f, (v,) = h.arrays()
    assert len(f) == len(v) == 600 and f[0] == 1400 and f[-1] == 1999


def test_run_history_decimates_to_a_bounded_size():
    h = RunHistory(series_for(build_simulation(default_scene()).state, DEFAULT_THEME), capacity=64)
    for k in range(1, 10_001):
        h.add(k, [float(k)])
    f, (v,) = h.arrays()
    assert len(f) <= 64 and h.stride == 256
    assert np.all(f % h.stride == 0) and np.all(np.diff(f) == h.stride)
    np.testing.assert_array_equal(v, f)


def test_plot_of_known_values_lands_at_log_heights_and_zero_at_the_floor():
    hist = History(series_for(build_simulation(default_scene()).state, DEFAULT_THEME))
    values = [1e-1, 1e-2, 1e-3, 3e-4, 1e-5, 0.0]
    for k, v in enumerate(values):
        hist.add(k * 10, [v])
    surf = pygame.Surface((600, 400), 0, 24)
    surf.fill(DEFAULT_THEME.background)
    (axis,) = draw_plot(surf, surf.get_rect(), hist, DEFAULT_THEME)
    assert (axis.lo, axis.hi) == (math.floor(math.log10(FLOOR)), -1)
    img = np.ascontiguousarray(pygame.surfarray.array3d(surf).transpose(1, 0, 2))
    for k, v in enumerate(values):
        expected_y = axis.rect.bottom - 2 - (math.log10(max(v, FLOOR)) - axis.lo) / (axis.hi - axis.lo) * (axis.rect.h - 3)
        assert near(img, (axis.x(k * 10), expected_y), DEFAULT_THEME.target), v


def test_calibration_plot_series_are_the_best_loss_and_true_errors():
    sim = build_simulation(load(ROOT / "scenes" / "calibrate-gecco.toml"))
    st = sim.step()
    b = st.best
    assert values_of(st) == [st.best_loss, st.length_error_rel[b], st.angle_error[b]]
    names = [(s.row, s.name) for s in series_for(st, DEFAULT_THEME)]
    assert names == [(0, "best loss"), (1, "lengths (rel.)"), (1, "angles [rad]")]


# -- item 3: --plot ------------------------------------------------------------------------------
def test_plot_option_writes_the_runs_error_plot(tmp_path):
    gif, png = tmp_path / "run.gif", tmp_path / "run-plot.png"
    assert main(["--gif", str(gif), "--frames", "60", "--plot", str(png)]) == 0
    assert gif.exists()
    img = iio.imread(png)[..., :3]
    from armsim.view.export import PLOT_SIZE
    assert img.shape == (PLOT_SIZE[1], PLOT_SIZE[0], 3)
    # redraw the same history: the PNG is exactly that picture, and its curve at the log heights
    hist = RunHistory(series_for(build_simulation(default_scene()).state, DEFAULT_THEME))
    for k, e in enumerate(errors_of_default_run(60)):
        hist.add(k + 1, [e])
    surf = pygame.Surface(PLOT_SIZE, 0, 24)
    theme = scaled_theme(DEFAULT_THEME, PLOT_SIZE)
    surf.fill(theme.background)
    (axis,) = draw_plot(surf, surf.get_rect(), hist, theme, title="default scene: 60 frames, log scale")
    np.testing.assert_array_equal(img, pygame.surfarray.array3d(surf).transpose(1, 0, 2))
    f, (v,) = hist.arrays()
    assert all(near(img, (axis.x(a), axis.y(b)), theme.target) for a, b in zip(f, v))


@pytest.mark.parametrize("argv, message", [
    (["--plot", "p.png"], "armsim: error: argument --plot: only with --gif OUT or --export "
                          "(the plot is of an exported run)\n"),
    (["--gif", "a.gif", "--plot", "no/such/dir/p.png"],
     "armsim: error: cannot write 'no/such/dir/p.png': folder 'no/such/dir' does not exist\n"),
    (["--gif", "a.gif", "--plot", "a.gif"],
     "armsim: error: argument --plot: the plot and the GIF are the same file\n"),
])
def test_bad_plot_path_is_one_line_and_writes_nothing(tmp_path, argv, message):
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "--frames", "3", *argv],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2 and r.stderr == message
    assert list(tmp_path.iterdir()) == []


# -- item 4: colours, legend, fixed scale, panel outside the workspace --------------------------
@pytest.mark.parametrize("theme", [DEFAULT_THEME, LIGHT_THEME])
@pytest.mark.parametrize("n", [7, 20, 50])
def test_segment_colours_are_pairwise_distinct(theme, n):
    colors = [np.array(theme.segment_color(j), dtype=float) for j in range(n)]
    assert min(np.linalg.norm(a - b) for a, b in itertools.combinations(colors, 2)) >= 10
    assert min(np.linalg.norm(c - theme.background) for c in colors) >= 100


def _stepped(n_segments=None, frames=20):
    sim = build_simulation(default_scene())
    if n_segments:
        sim.set_segments(n_segments)
    for _ in range(frames):
        sim.step()
    return sim.state


@pytest.mark.parametrize("size", [(480, 360), (1280, 800), (800, 1000)])
def test_panel_and_legend_never_meet_the_workspace(size):
    state = _stepped()
    view = View.fit(state, size)
    c = view.to_screen(state.base)
    r = state.reach * view.scale
    workspace = pygame.Rect(int(c[0] - r), int(c[1] - r), int(2 * r) + 1, int(2 * r) + 1)
    assert pygame.Rect(0, 0, *size).contains(workspace)
    surf = pygame.Surface(size, 0, 24)
    theme = scaled_theme(DEFAULT_THEME, size)
    panel_slot, legend_slot, plot_slot = band_slots(bands(size)[1])
    panel = _draw_panel(surf, state, theme, panel_slot)
    legend = _draw_jacobian_legend(surf, state, theme, legend_slot)
    for rect in (panel, legend, plot_slot):
        assert rect.w > 0 and rect.h > 0 and not rect.colliderect(workspace), (rect, workspace)
    # and by pixels: the panel and legend change nothing inside the workspace's box
    on = render_array(state, size, show_panel=True)
    off = render_array(state, size, show_panel=False)
    ys, xs = np.nonzero(np.any(on != off, axis=-1))
    assert len(xs) > 100
    assert not np.any((xs >= workspace.left) & (xs < workspace.right)
                      & (ys >= workspace.top) & (ys < workspace.bottom))
    # tall windows get a bottom band, wide ones a side band
    band = bands(size)[1]
    assert (band.bottom == size[1] and band.w == size[0]) if size[1] > size[0] else band.x == 0


def test_legend_shows_every_joint_colour_and_the_scale():
    from armsim.view.planar import legend_lines
    assert legend_lines(7)[1:3] == ["arrow i = 0.25 rad x d tip/d q_i", "(0.25 m per 1 m/rad)"]
    for n in (7, 20, 50):
        state = _stepped(n, frames=2)
        size = (1280, 800)
        img = render_array(state, size)
        theme = scaled_theme(DEFAULT_THEME, size)
        legend = band_slots(bands(size)[1])[1]
        part = img[legend.top:legend.bottom, legend.left:legend.right].reshape(-1, 3)
        for j in range(n):
            assert np.any(np.all(part == theme.segment_color(j), axis=1)), (n, j)


def test_jacobian_arrows_have_one_fixed_scale():
    size = (1280, 800)
    opts = dict(show_panel=False, show_trail=False, show_reach=False)
    theme = scaled_theme(DEFAULT_THEME, size)
    for frames in (5, 60):                      # different poses, different column lengths
        state = _stepped(frames=frames)
        view = View.fit(state, size)
        img = render_array(state, size, **opts)
        tip = state.joints[-1]
        end = view.to_screen(tip + JACOBIAN_SCALE * state.jacobian[:, 0])
        assert near(img, end, theme.segment_color(0), radius=2), frames
        # not the old per-frame rescaling (longest arrow = 0.25 reach)
        old = view.to_screen(tip + 0.25 * state.reach / np.linalg.norm(state.jacobian, axis=0).max()
                             * state.jacobian[:, 0])
        assert np.linalg.norm(old - end) > 3


# -- item 5: window size ---------------------------------------------------------------------------
def test_default_window_is_large_and_shrinks_to_fit():
    assert W.window_size(None, (1920, 1080)) == (1280, 800)
    assert W.window_size(None, (1024, 768)) == (942, 588)       # 0.92 x 1024 wide, same aspect
    assert W.window_size(None, None) == (1280, 800)
    assert W.window_size((640, 480), (1024, 768)) == (640, 480)  # --size is taken as given


def test_cli_opens_the_default_window_unless_size_is_given(monkeypatch):
    calls = []

    def fake_open(size=None, allow_headless=False, title=None):
        calls.append((size, title))
        return pygame.Surface((10, 10))

    monkeypatch.setattr(W, "open_window", fake_open)
    monkeypatch.setattr(W, "run_window", lambda *a, **k: 0)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    assert main([]) == 0 and main(["--size", "640x480", str(ROOT / "scenes" / "joint_limits.toml")]) == 0
    assert calls == [(None, "default scene"), ((640, 480), "joint_limits.toml")]


def test_panel_text_scales_with_the_window():
    state = _stepped()
    heights = []
    for size in ((480, 360), (1280, 800)):
        surf = pygame.Surface(size, 0, 24)
        heights.append(_draw_panel(surf, state, scaled_theme(DEFAULT_THEME, size)).h)
    # min side 360 -> 800 (issue 23: by the type scale, whose small text keeps 11 px at 360)
    assert 1.15 < heights[1] / heights[0] < 2.6


def test_calibration_live_plot_shows_best_loss_and_true_errors_beside_the_canvas():
    scene = load(ROOT / "scenes" / "calibrate-gecco.toml")
    sim = build_simulation(scene)
    screen = W.open_window((1280, 800), allow_headless=True)
    app = W.App(sim, screen, fps=10_000)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_l, unicode="l", mod=0))
    app.run(max_frames=25, close=False)
    rect = app.plot_rect()
    view = app.panels[0][1]
    canvas_right = view.to_screen(np.array([float(v) for v in sim.state.canvas[:2]]))[0]
    assert rect.left > canvas_right                    # beside the canvas, not over it
    pygame.display.quit()
    frames, values = app.history.arrays()
    other = build_simulation(scene)
    expected = np.array([values_of(other.step()) for _ in range(25)])
    np.testing.assert_array_equal(np.array(values).T, expected)
    loss_axis, error_axis = app.plot_axes
    theme = scaled_theme(DEFAULT_THEME, (1280, 800))
    img = app.last_frame
    assert all(near(img, (loss_axis.x(f), loss_axis.y(v)), theme.goal) for f, v in zip(frames, values[0]))
    assert all(near(img, (error_axis.x(f), error_axis.y(v)), theme.candidate)
               for f, v in zip(frames, values[2]))
