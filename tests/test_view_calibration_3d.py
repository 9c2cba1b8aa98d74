"""Issue 23, item 5: the 3D calibration picture.  The robot and the cameras fill the drawing
area (about 70 % of it, centred); the whole width is drawn (no band kept for a plot that is
off); a legend names the colours; every inset has a label counting the points its camera
sees; the header says in words what the run does, and "done" once its report says
identified.  Judged by the pixels of the real picture and the strings the code draws."""

from pathlib import Path

import numpy as np
import pytest

from armsim.scene import build_simulation, load, loads
from armsim.view import DEFAULT_THEME, scaled_theme
from armsim.view.calibration_spatial import (CAMERA, CANDIDATE, DOOMED, FILL, _polyline,
                                             calibration_layout, calibration_status, framing,
                                             header_text, inset_label, legend_entries,
                                             render_calibration_spatial)
from armsim.view.style import _font, fit_lines, type_scale
from _pixels import count

ROOT = Path(__file__).resolve().parents[1]
UR5 = ROOT / "scenes" / "calibrate-ur5-stereo.toml"
SIZES = [(640, 480), (1280, 800), (480, 360)]


@pytest.fixture(scope="module")
def run():
    sim = build_simulation(load(UR5))
    for _ in range(3):
        sim.step()
    return sim


def _box(camera, state, size):
    pts = np.vstack([_polyline(state.reference), state.camera_positions])
    px, _, front = camera.project(pts, size)
    assert front.all()
    return px.min(axis=0), px.max(axis=0)


@pytest.mark.parametrize("size", SIZES)
def test_robot_and_cameras_fill_the_drawing_area(run, size):
    """Before: a sphere round them fitted the shorter side, the cameras sat near the eye and
    the robot took a corner (framing had no size: one view for every picture)."""
    state = run.state
    camera = framing(state, size=size)
    area = calibration_layout(state, size).area
    lo, hi = _box(camera, state, size)
    w, h = (hi - lo) / np.array(area.size)
    assert max(w, h) == pytest.approx(FILL, abs=0.03)          # the binding side: 70 %
    assert w >= 0.5                                             # at least half the width
    np.testing.assert_allclose(0.5 * (lo + hi), area.center, atol=0.02 * min(size))
    # and by pixels: the robot (blue) and the cameras (their colour) are drawn inside it
    img = render_calibration_spatial(state, camera, size, status=calibration_status(run))
    ref = scaled_theme(DEFAULT_THEME, size).reference
    for color in (ref, CAMERA, CANDIDATE, scaled_theme(DEFAULT_THEME, size).sight):
        ys, xs = np.nonzero(np.all(img == color, axis=-1))
        inside = (ys >= area.top) & (ys < area.bottom)
        assert inside.sum() > 20, color


@pytest.mark.parametrize("size", SIZES)
def test_no_empty_band_on_the_right(run, size):
    """The right 40 % of the drawing area has the scene in it (robot, cameras or the floor
    grid): the picture uses the whole width while no plot is shown."""
    state = run.state
    img = render_calibration_spatial(state, None, size)
    area = calibration_layout(state, size).area
    x0 = int(area.left + 0.6 * area.w)
    part = img[area.top:area.bottom, x0:area.right].reshape(-1, 3)
    background = scaled_theme(DEFAULT_THEME, size).background
    drawn = np.any(part != background, axis=1).mean()
    assert drawn > 0.005, drawn
    # the cameras' apexes are not pushed to the left either: the box is centred
    lo, hi = _box(framing(state, size=size), state, size)
    assert hi[0] > area.left + 0.6 * area.w


def test_legend_names_every_colour_drawn(run):
    size = (1280, 800)
    state = run.state
    th = scaled_theme(DEFAULT_THEME, size)
    words = [w for w, _, _ in legend_entries(state, th)]
    assert words[:2] == ["reference arm (hidden)", "candidates"] and "cameras, lines of sight" in words
    assert "replaced next" not in words                      # lm replaces none
    img = render_calibration_spatial(state, None, size, status=calibration_status(run))
    panel = calibration_layout(state, size).panel
    assert panel.w > 0.25 * size[0] and panel.bottom <= size[1]
    for _, color, _ in legend_entries(state, th)[:4]:       # each swatch in the panel box
        assert count(img, color, panel) >= 4, color
    assert count(img, th.text, panel) > 200                  # and its words
    off = render_calibration_spatial(state, None, size, show_panel=False)
    assert count(off, th.reference, panel) == 0


def test_a_genetic_run_names_red_in_the_legend():
    from armsim.vision import spatial_calibration as sc
    from armsim.vision.spatial_run import SpatialCalibrationRun
    p = sc.make_problem(sc.SpatialSetup(poses=6), seed=1)
    st = SpatialCalibrationRun(p, learner="proportional", population=4, period=50).state
    assert st.doomed.sum() == 1
    assert legend_entries(st)[2][:2] == ("replaced next", DOOMED)
    img = render_calibration_spatial(st, None, (640, 480))
    assert count(img, DOOMED, calibration_layout(st, (640, 480)).panel) >= 4    # its swatch


def test_insets_are_labelled_with_the_points_each_camera_sees(run):
    state = run.state
    for cam in range(len(state.intrinsics)):
        n = int(np.asarray(state.seen[cam]).sum())
        assert inset_label(state, cam) == f"camera {cam + 1}: {n} points seen"
    # the occluded camera sees fewer at some pose: the label follows the data, not the model
    sim = build_simulation(load(UR5))
    counts = {int(np.asarray(sim.step().seen[0]).sum()) for _ in range(40)}
    assert len(counts) > 1
    size = (640, 480)
    th = scaled_theme(DEFAULT_THEME, size)
    img = render_calibration_spatial(state, None, size)
    lay = calibration_layout(state, size)
    assert len(lay.labels) == len(lay.insets) == 2
    for label, inset in zip(lay.labels, lay.insets):
        assert label.bottom <= inset.top and label.w == inset.w
        assert count(img, th.text, label) > 40                # the words are there
        assert not any(label.colliderect(other) for other in lay.insets)


def _identified_sim():
    text = UR5.read_text()
    assert text.count("sigma = 0.5") == 2
    return build_simulation(loads(text.replace("sigma = 0.5", "sigma = 0.0"), source=str(UR5)))


def test_header_says_identifying_then_done_as_the_report_does():
    sim = _identified_sim()
    sim.step()
    status = calibration_status(sim)
    report = sim.report()
    free = report["parameters"] - len(report["held"])
    st = sim.state
    rms = np.sqrt(st.best_loss)
    words = header_text(st, status)
    assert words.startswith(f"identifying: {free} parameters, {rms:.2g} px RMS, "
                            f"largest relative parameter error {st.best_error:.2g} (goal 0.01)")
    for _ in range(59):
        sim.step()
    report = sim.report()
    assert report["identified"] is True and report["converged"] is True
    words = header_text(sim.state, calibration_status(sim))
    assert words.startswith(f"done: identified in {report['converged_round']} rounds: {free} parameters")
    # drawn, in the header's rect
    size = (640, 480)
    img = render_calibration_spatial(sim.state, None, size, status=calibration_status(sim))
    header = calibration_layout(sim.state, size).header
    th = scaled_theme(DEFAULT_THEME, size)
    assert count(img, th.text, header) > 150
    noisy = build_simulation(load(UR5))
    noisy.max_rounds = 2            # (the noise floor is round 4's)
    for _ in range(3):
        noisy.step()
    assert header_text(noisy.state, calibration_status(noisy)).startswith(
        "stopped after 2 rounds, not identified: ")


def test_header_says_a_noisy_run_is_at_the_noise_floor():
    """0.5 px of noise: the best candidate stops at 0.48 px RMS and 0.7 relative error, what
    the noise allows (the Cramer-Rao bound's standard deviation: 0.59), never 0.01; the header
    says so rather than "identifying" for ever."""
    sim = build_simulation(load(UR5))
    for _ in range(3):
        sim.step()
    assert header_text(sim.state, calibration_status(sim)).startswith("identifying: 26 ")
    for _ in range(3):
        sim.step()
    assert header_text(sim.state, calibration_status(sim)) == (
        "at the noise floor in 4 rounds: 0.48 px RMS, errors within 1.9 standard deviations "
        "of the Cramér-Rao bound; relative error 0.7 (goal 0.01, the noise allows 0.59)")
    size = (640, 480)
    img = render_calibration_spatial(sim.state, None, size, status=calibration_status(sim))
    lay = calibration_layout(sim.state, size)
    ts = type_scale(*size)
    lines = fit_lines([header_text(sim.state, calibration_status(sim))], _font(ts.title),
                      lay.header.w, lay.header.h)
    assert len(lines) == 2 and not lines[-1].endswith("...")       # the whole of it shown
    assert count(img, scaled_theme(DEFAULT_THEME, size).text, lay.header) > 300


def test_the_window_puts_the_plot_beside_the_panel_words(display_closed):
    """A wide panel (1280x800) keeps its words left and takes the live plot on its right: the
    plot covers neither the robot, the cameras, the insets nor the words."""
    import pygame

    from armsim.view import window as W
    screen = W.open_window((1280, 800), allow_headless=True)
    app = W.App(build_simulation(load(UR5)), screen, fps=10_000)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_l, unicode="l", mod=0))
    app.run(max_loops=3, close=False)
    lay = calibration_layout(app.sim.state, (1280, 800))
    rect = app.plot_rect()
    assert rect == lay.plot and lay.panel.contains(rect) and rect.w > 0.25 * 1280
    assert not rect.colliderect(lay.area)
    assert not any(rect.colliderect(r) for r in lay.insets + lay.labels)
    th = scaled_theme(DEFAULT_THEME, (1280, 800))
    words = pygame.Rect(lay.panel.x, lay.panel.y, rect.x - lay.panel.x, lay.panel.h)
    assert count(app.last_frame, th.text, words) > 200
    assert count(app.last_frame, th.goal, rect) > 50                # the loss curve
    # a narrow picture's panel keeps its whole width; the plot goes over the area's corner
    small = calibration_layout(app.sim.state, (640, 480))
    assert small.area.contains(small.plot) and not small.plot.colliderect(small.panel)
