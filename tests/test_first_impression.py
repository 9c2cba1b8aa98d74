"""Issue 9, items 1, 3 and 4: the default scene does not freeze, the solver says where it
stops short, the first command works headless, and the window can be resized."""

import os
import re
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pygame
import pytest

from armsim.view import window as app
from armsim.view import DEFAULT_THEME, render_array, scaled_theme, status_lines
from armsim.scene import build_simulation, default_scene, load, override
from armsim.view.planar import bands

ROOT = Path(__file__).resolve().parents[1]


# -- item 1: the default scene reaches where the original law froze ------------------------
def test_default_scene_reaches_the_issue_targets():
    sim = build_simulation(default_scene())
    for _ in range(200):
        sim.step(target=(-0.4, 0.3))
    for _ in range(900):
        st = sim.step(target=(0.3025, -0.5))
    assert st.error < 1e-5 and not st.stalled and status_lines(st) == []
    for _ in range(300):
        st = sim.step(target=(1.35, 0.0))
    assert st.best == pytest.approx(0.35)
    assert st.error - st.best < 5e-3          # the original law: 0.03 m more
    assert status_lines(st)[0].startswith("target out of reach: the tip 0.35")


def test_original_law_freezes_and_says_so():
    sim = build_simulation(override(default_scene(), {"solver.correction": "clip",
                                                      "solver.iterations_per_frame": 4}))
    for _ in range(200):
        sim.step(target=(-0.4, 0.3))
    for _ in range(900):
        st = sim.step(target=(0.3025, -0.5))
    assert st.error == pytest.approx(0.163, abs=2e-3) and st.stalled
    assert status_lines(st) == [f"stalled: error {st.error:.3f} m, not falling"]
    # the words are on the picture: warning-coloured pixels in the panel band (issue 13: beside
    # the workspace, under the panel; they used to be in the bottom-left corner, over it)
    _, band = bands((480, 360))
    pixels = render_array(st, (480, 360))
    warn = np.all(pixels == DEFAULT_THEME.warning, axis=-1)
    assert warn[band.top:band.bottom, band.left:band.right].any()
    assert warn.sum() == warn[band.top:band.bottom, band.left:band.right].sum()
    plain = render_array(build_simulation(default_scene()).state, (480, 360))
    assert not np.any(np.all(plain == DEFAULT_THEME.warning, axis=-1))


def test_joint_limit_is_named():
    sim = build_simulation(load(ROOT / "scenes" / "joint_limits.toml"))
    for _ in range(200):
        st = sim.step(target=(-0.9, -0.1))
    assert st.at_limit == (1, 2)
    assert "joints 1, 2 at their limits" in status_lines(st)


def test_comparison_scene_shows_the_original_law_beside_the_default():
    sim = build_simulation(load(ROOT / "scenes" / "original_vs_default.toml"))
    for _ in range(299):
        st = sim.step()
    assert (st.method, st.correction, st.companions[0].correction) == ("gradient", "clip", "backtrack")
    assert st.stalled and st.error > 0.16
    assert st.companions[0].error < 1e-5


# -- item 3: the first command under every headless setting ------------------------------------
@pytest.mark.parametrize("driver", ["dummy", "offscreen", None])
def test_first_command_headless_writes_the_demo_gif(tmp_path, driver):
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "DISPLAY",
                                                            "WAYLAND_DISPLAY")}
    if driver:
        env["SDL_VIDEODRIVER"] = driver
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "--frames", "3"], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    reason = (f"SDL video driver '{driver}' has no screen" if driver
              else "neither DISPLAY nor WAYLAND_DISPLAY is set")
    assert r.stderr == f"armsim: no display available ({reason}); writing armsim-demo.gif instead\n"
    assert iio.imread(tmp_path / "armsim-demo.gif", index=None).shape == (3, 360, 480, 3)


# -- item 4: resize --------------------------------------------------------------------------
def _click_after_resize(sim, new_size, pos):
    screen = app.open_window((480, 360), allow_headless=True)
    pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, size=new_size, w=new_size[0],
                                         h=new_size[1]))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1))
    app.run_window(sim, max_frames=2, screen=screen)
    return sim.state


def test_open_window_is_resizable_and_refuses_dummy_by_default():
    with pytest.raises(app.DisplayError, match="SDL video driver 'dummy' has no screen"):
        app.open_window((480, 360))
    screen = app.open_window((480, 360), allow_headless=True)
    assert screen.get_flags() & pygame.RESIZABLE
    pygame.display.quit()


def test_click_after_resize_lands_under_the_mouse():
    sim = build_simulation(default_scene())
    st = _click_after_resize(sim, (960, 540), (700, 100))
    # base at the window centre, reach 1 m filling 0.45 x min(W, H) pixels
    scale = 0.45 * 540 / 1.0
    assert st.target == pytest.approx([(700 - 480) / scale, (270 - 100) / scale])


def test_click_after_resize_side_by_side():
    sim = build_simulation(load(ROOT / "scenes" / "original_vs_default.toml"))
    st = _click_after_resize(sim, (1000, 400), (750, 300))
    # two columns of 500 x 400; the click is in the second one, at (250, 300) in it.  The
    # column leaves no room for the panel beside the workspace, so its band takes
    # 0.34 x 400 = 136 px on the left and the workspace (base at its centre) the other 364
    free, band = bands((500, 400))
    assert tuple(band) == (0, 0, 136, 400) and tuple(free) == (136, 0, 364, 400)
    # reach filling 0.45 x 364 px, or less so that the farthest waypoint (this scene's last,
    # beyond the reach) sits 0.47 x 364 px from the base
    base = np.asarray(sim.state.base, float)
    far = max(np.hypot(*(np.asarray(w, float) - base)) for w in sim.state.waypoints)
    scale = max(0.5 * 0.45 * 364 / sim.chain.reach,
                min(0.45 * 364 / sim.chain.reach, 0.47 * 364 / far))
    assert scale < 0.45 * 364 / sim.chain.reach          # (the waypoint is that far)
    assert st.target == pytest.approx([(250 - (136 + 182)) / scale, (200 - 300) / scale])


def test_click_after_resize_calibration_scene():
    from armsim.view import layout, world_at
    sim = build_simulation(load(ROOT / "scenes" / "calibrate-gecco.toml"))
    st = _click_after_resize(sim, (900, 300), (450, 150))
    # the canvas is fitted to the new window: the click in its middle is the canvas centre
    expected = world_at(layout(sim.state, (900, 300)), (450, 150))
    old = world_at(layout(sim.state, (480, 360)), (450, 150))
    assert st.target == pytest.approx(expected)
    assert not np.allclose(expected, old)


def test_sizes_scale_with_the_window():
    big = scaled_theme(DEFAULT_THEME, (960, 720))
    assert (big.font_size, big.segment_width, big.line_width) == (40, 14, 4)
    assert scaled_theme(DEFAULT_THEME, (480, 360)) is DEFAULT_THEME
    sim = build_simulation(default_scene())
    st = sim.step()
    small, large = render_array(st, (480, 360)), render_array(st, (960, 720))

    def segment_pixels(p):
        return int(np.all(p == DEFAULT_THEME.segments[0], axis=-1).sum())
    # twice the size: about 4 times the pixels of the first segment (twice long, twice wide)
    assert 3.0 < segment_pixels(large) / segment_pixels(small) < 5.0


# -- the README's pictures are what the commands beside them write -----------------------------
README_GIFS = [(m.group(1), m.group(2)) for m in re.finditer(
    r"\(`python (run_arm\.py [^`]*--gif (assets/[\w.-]+\.gif)[^`]*)` writes it", (
        ROOT / "README.md").read_text(encoding="utf-8"))]


def test_the_readme_names_a_command_for_each_of_its_gifs():
    shown = sorted(set(re.findall(r"\]\((assets/[\w.-]+\.gif)\)",
                                  (ROOT / "README.md").read_text("utf-8"))))
    assert shown and sorted(gif for _, gif in README_GIFS) == shown


@pytest.mark.parametrize("command, gif", README_GIFS, ids=[g for _, g in README_GIFS])
def test_each_readme_gif_starts_as_its_command_draws_it_today(tmp_path, command, gif):
    # the first frames of the command's output, against those of the committed GIF: a
    # change to the picture that leaves the README's GIF behind fails here (assets/demo.gif
    # had kept an old panel: 'error 0.0047 m' where the command draws 'error 0.004709 m')
    args = command.split()[1:]
    args[args.index("--gif") + 1] = str(tmp_path / "out.gif")
    if "--frames" in args:
        args[args.index("--frames") + 1] = "3"
    else:
        args += ["--frames", "3"]
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), *args], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    fresh = iio.imread(tmp_path / "out.gif", index=None)
    kept = iio.imread(ROOT / gif, index=None)[:3]
    assert fresh.shape == kept.shape
    # (not bit for bit: another machine's maths library may move an edge by a pixel; the
    # stale demo.gif differed in 11,535-15,215 of its 172,800 pixels a frame)
    differ = np.any(fresh != kept, axis=-1).reshape(len(fresh), -1).mean(axis=1)
    assert differ.max() <= 0.005, f"{gif} is not what `python {command}` draws ({differ})"
