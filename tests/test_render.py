"""Rendering, judged by the pixels of real frames."""

import numpy as np
import pytest

from armsim.view import DEFAULT_THEME, View, render_array
from armsim.ik.tracking import default_simulation

SIZE = (320, 240)


def frame_after(steps, seed=0, **options):
    sim = default_simulation(seed=seed)
    for _ in range(steps):
        sim.step()
    return sim.state, render_array(sim.state, SIZE, **options)


def color_near(img, px, color, radius=4, tol=40):
    x, y = int(round(px[0])), int(round(px[1]))
    patch = img[max(y - radius, 0):y + radius + 1, max(x - radius, 0):x + radius + 1].reshape(-1, 3)
    return bool(np.any(np.all(np.abs(patch.astype(int) - color) <= tol, axis=1)))


def test_frame_shape_and_background():
    _, img = frame_after(5)
    assert img.shape == (SIZE[1], SIZE[0], 3) and img.dtype == np.uint8
    # bottom-right corner is plain background
    assert tuple(img[-2, -2]) == DEFAULT_THEME.background


def test_target_and_segments_are_where_the_state_says():
    state, img = frame_after(20)
    view = View.fit(state, SIZE)
    assert color_near(img, view.to_screen(state.target), DEFAULT_THEME.target, radius=12)
    for j in range(len(state.q)):
        mid = view.to_screen((state.joints[j] + state.joints[j + 1]) / 2)
        assert color_near(img, mid, DEFAULT_THEME.segment_color(j), radius=3), j


def test_jacobian_arrows_drawn_in_segment_colours():
    state, with_arrows = frame_after(20)
    _, without = frame_after(20, show_jacobian=False)
    differ = np.any(with_arrows != without, axis=-1)
    assert differ.sum() > 50
    # the changed pixels carry the segment colours
    changed = with_arrows[differ].astype(int)
    for j in range(len(state.q)):
        if np.linalg.norm(state.jacobian[:, j]) > 1e-3:
            c = np.array(DEFAULT_THEME.segment_color(j))
            assert np.any(np.all(np.abs(changed - c) <= 30, axis=1)), j


def test_different_states_give_different_frames_and_same_state_same_frame():
    _, a = frame_after(10)
    _, b = frame_after(40)
    _, a2 = frame_after(10)
    assert np.any(a != b)
    np.testing.assert_array_equal(a, a2)


def test_degenerate_states_draw_without_error():
    sim = default_simulation(seed=0)
    st = sim.step(target=sim.state.joints[-1])        # zero error
    img = render_array(st, SIZE)
    assert img.shape == (SIZE[1], SIZE[0], 3)
    st.jacobian = np.zeros_like(st.jacobian)           # singular: no arrows
    st.trail = np.zeros((0, 2))
    render_array(st, SIZE)
    st.target = np.array([1e9, -1e9])                  # far off screen
    render_array(st, SIZE)


def test_bad_size():
    state, _ = frame_after(1)
    with pytest.raises(ValueError):
        render_array(state, (0, 10))
