"""Drawing a calibration state, checked by pixels."""

import numpy as np
import pytest

from armsim.vision.calibration import CalibrationState
from armsim.view import (DEFAULT_THEME, LIGHT_THEME, CanvasView, draw, layout, render_array,
                           world_at)
from armsim.scene import build_simulation, loads
from _pixels import count

SIZE = (300, 300)
T = DEFAULT_THEME


def make_state(doomed=(False, False), focuses=((600.0, 300.0),)):
    """A hand-made state: reference on the left half, two candidates, cameras on the right."""
    reference = np.array([[200.0, 300.0], [200.0, 420.0], [110.0, 480.0], [60.0, 400.0]])
    candidates = np.array([
        [[200.0, 300.0], [260.0, 200.0], [300.0, 120.0], [380.0, 90.0]],
        [[200.0, 300.0], [120.0, 260.0], [60.0, 180.0], [20.0, 90.0]],
    ])
    m = len(candidates)
    return CalibrationState(
        round=1200, generation=6, reference=reference, candidates=candidates,
        doomed=np.array(doomed, dtype=bool), focuses=np.array(focuses, dtype=float),
        target=np.array([450.0, 520.0]), losses=np.array([0.3, 0.5]), accumulated=np.ones(m),
        best=0, best_loss=0.3, length_error_px=np.array([12.0, 40.0]),
        length_error_rel=np.array([0.1, 0.3]), angle_error=np.array([0.2, 0.9]),
        converged=False, learner="proportional", criterion="loss", canvas=(600.0, 600.0))


def pixel(img, xy):
    x, y = (int(round(v)) for v in xy)
    return tuple(int(c) for c in img[y, x])


def near(img, xy, color, r=2):
    x, y = (int(round(v)) for v in xy)
    patch = img[max(y - r, 0):y + r + 1, max(x - r, 0):x + r + 1]
    return count(patch, color) > 0


@pytest.mark.parametrize("theme", [DEFAULT_THEME, LIGHT_THEME], ids=["dark", "light"])
def test_reference_joints_are_blue(theme):
    state = make_state()
    img = render_array(state, SIZE, theme=theme, show_panel=False)
    view = CanvasView.fit(state, SIZE)
    for joint in view.to_screen(state.reference[1:]):
        assert pixel(img, joint) == theme.reference
    # the base is the square, not a joint
    assert pixel(img, view.to_screen(state.reference[0])) == theme.base


@pytest.mark.parametrize("show_panel", [False, True])
def test_red_exactly_when_candidates_are_marked(show_panel):
    calm = render_array(make_state(doomed=(False, False)), SIZE, show_panel=show_panel)
    assert count(calm, T.doomed) == 0
    assert count(calm, T.candidate) > 100
    marked = render_array(make_state(doomed=(False, True)), SIZE, show_panel=show_panel)
    assert count(marked, T.doomed) > 100
    if show_panel:
        return
    # the marked candidate is drawn red along its whole length, the other stays green
    view = CanvasView.fit(make_state(), SIZE)
    for p in view.to_screen(make_state().candidates[1, 1:]):
        assert near(marked, p, T.doomed) and not near(marked, p, T.candidate, r=0)
    for p in view.to_screen(make_state().candidates[0, 1:]):
        assert near(marked, p, T.candidate)


def test_cameras_and_sight_lines_are_drawn():
    state = make_state(focuses=((600.0, 200.0), (600.0, 400.0)))
    img = render_array(state, SIZE, show_panel=False)
    view = CanvasView.fit(state, SIZE)
    base = view.to_screen(state.reference[0])
    for f in view.to_screen(state.focuses):
        u = (base - f) / np.linalg.norm(base - f)
        inside = f - 0.45 * 11 * u                    # the icon's centroid
        assert pixel(img, inside) == T.camera
        for joint in view.to_screen(state.reference[1:]):
            mid = f + 0.35 * (joint - f)              # a third of the way: only the sight line there
            assert near(img, mid, T.sight, r=1)
    none = render_array(make_state(focuses=np.zeros((0, 2))), SIZE, show_panel=False)
    assert count(none, T.camera) == 0 and count(none, T.sight) == 0


def test_target_and_panel():
    state = make_state()
    bare = render_array(state, SIZE, show_panel=False)
    view = CanvasView.fit(state, SIZE)
    c = view.to_screen(state.target)
    assert near(bare, c + [T.target_radius, 0], T.goal)
    with_panel = render_array(state, SIZE, show_panel=True)
    # the panel sits in the top-right corner, the legend along the bottom
    assert not np.array_equal(with_panel[:60, -120:], bare[:60, -120:])
    assert not np.array_equal(with_panel[-25:, :120], bare[-25:, :120])


def test_canvas_view_keeps_y_down_and_fits_canvas_and_cameras():
    state = make_state(focuses=((600.0, 200.0), (600.0, 400.0)))
    for size in ((300, 300), (480, 240), (200, 400)):
        view = CanvasView.fit(state, size)
        corners = view.to_screen([[0.0, 0.0], [600.0, 600.0], [600.0, 200.0]])
        assert np.all(corners >= 0) and np.all(corners[:, 0] <= size[0]) and np.all(corners[:, 1] <= size[1])
        assert corners[1, 1] > corners[0, 1]                  # larger canvas y is lower on screen
        np.testing.assert_allclose(view.to_world(view.to_screen([[123.0, 456.0]])), [[123.0, 456.0]])
        # square canvas pixels stay square
        d = view.to_screen([[100.0, 100.0]]) - view.to_screen([[0.0, 0.0]])
        assert d[0, 0] == pytest.approx(d[0, 1])


def test_window_layout_maps_mouse_to_canvas_points():
    state = make_state()
    panels = layout(state, (400, 400))
    assert len(panels) == 1
    view = panels[0][1]
    px = view.to_screen([450.0, 520.0])
    np.testing.assert_allclose(world_at(panels, px), [450.0, 520.0])


def test_a_running_scene_renders_every_frame_finite_and_the_draw_returns_its_view():
    import pygame
    sim = build_simulation(loads('[calibration]\nrounds_per_frame = 20\n[genetic]\npopulation = 5\n'
                                 '[cameras]\npreset = "stereo"\n'))
    for _ in range(3):
        img = render_array(sim.step(), (160, 120))
        assert img.shape == (120, 160, 3)
    surface = pygame.Surface((160, 120))
    assert isinstance(draw(surface, sim.state), CanvasView)
    assert count(img, T.reference) > 0 and count(img, T.sight) > 0
    bare = render_array(sim.state, (160, 120), show_panel=False)
    assert count(bare, T.camera) > 0


def test_the_panel_keeps_to_the_free_column_beside_the_canvas():
    # at 1280 x 800 the panel ran 50 px into the canvas and over its camera
    size = (1280, 800)
    state = make_state()
    bare = render_array(state, size, show_panel=False)
    with_panel = render_array(state, size, show_panel=True)
    view = CanvasView.fit(state, size)
    right = max(view.to_screen([600.0, 600.0])[0], view.to_screen(state.focuses)[:, 0].max() + 12)
    changed = np.flatnonzero(np.any(with_panel[:size[1] // 2] != bare[:size[1] // 2], axis=(0, 2)))
    assert changed.size and changed.min() > right           # drawn, and all of it beside
    # a narrow window has no such column: the panel keeps its top-right corner
    small = render_array(state, SIZE, show_panel=True)
    small_bare = render_array(state, SIZE, show_panel=False)
    assert not np.array_equal(small[:60, -120:], small_bare[:60, -120:])
