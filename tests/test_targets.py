"""Target sources: positions at known frames, periods, determinism."""

import numpy as np
import pytest

from armsim.ik.tracking import figure_eight
from armsim.scene.targets import Circle, FigureEight, Fixed, Line, Mouse, RandomPoints, Waypoints


def test_fixed_and_mouse():
    np.testing.assert_array_equal(Fixed([1, 2])(50), [1, 2])
    m = Mouse([0.5, -0.5])
    assert m.interactive and not Fixed([0, 0]).interactive
    np.testing.assert_array_equal(m(1000), [0.5, -0.5])


def test_circle_hand_values():
    c = Circle([1, 1], 2.0, period=8)
    np.testing.assert_allclose(c(0), [3, 1])
    np.testing.assert_allclose(c(2), [1, 3], atol=1e-12)      # a quarter turn, counter-clockwise
    np.testing.assert_allclose(c(8), c(0), atol=1e-12)
    cw = Circle([1, 1], 2.0, period=8, clockwise=True)
    np.testing.assert_allclose(cw(2), [1, -1], atol=1e-12)
    for f in range(0, 20, 3):
        assert np.linalg.norm(c(f) - [1, 1]) == pytest.approx(2.0)


def test_figure_eight_matches_the_sim_path_and_repeats():
    a = FigureEight((0.1, 0.25), (0.6, 0.45), 240, phase=0.7)
    b = figure_eight((0.1, 0.25), (0.6, 0.45), 240, phase=0.7)
    for f in (0, 17, 100, 239):
        np.testing.assert_allclose(a(f), b(f))
    np.testing.assert_allclose(a(240), a(0), atol=1e-12)
    np.testing.assert_allclose(FigureEight((0, 0), (1, 1), 4)(1), [1, 0], atol=1e-12)


def test_line_back_and_forth():
    line = Line([0, 0], [2, 4], period=10)
    np.testing.assert_allclose(line(0), [0, 0])
    np.testing.assert_allclose(line(5), [2, 4])
    np.testing.assert_allclose(line(2.5), [1, 2])
    np.testing.assert_allclose(line(7.5), [1, 2])
    np.testing.assert_allclose(line(10), [0, 0])


def test_waypoints_with_holds_times_and_loop():
    pts = [[0, 0], [1, 0], [2, 0]]
    w = Waypoints.from_holds(pts, [3, 2, 4])
    assert [w.waypoint_index(f) for f in range(12)] == [0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2]
    np.testing.assert_array_equal(w(4), [1, 0])
    looped = Waypoints.from_holds(pts, [3, 2, 4], loop=True)
    assert [looped.waypoint_index(f) for f in range(8, 13)] == [2, 0, 0, 0, 1]
    timed = Waypoints(pts, [5, 10, 11])
    assert [timed.waypoint_index(f) for f in (0, 5, 9, 10, 11, 99)] == [0, 0, 0, 1, 2, 2]
    np.testing.assert_array_equal(timed.waypoints, pts)
    with pytest.raises(ValueError, match="strictly increasing"):
        Waypoints(pts, [0, 2, 2])


def test_random_points_seeded_in_disc_and_order_independent():
    a = RandomPoints([1, -1], 0.5, every=4, seed=3)
    b = RandomPoints([1, -1], 0.5, every=4, seed=3)
    late_first = [b(f) for f in (400, 0, 4)]
    np.testing.assert_array_equal(late_first, [a(400), a(0), a(4)])
    np.testing.assert_array_equal(a(0), a(3))            # the same point for `every` frames
    assert not np.array_equal(a(3), a(4))
    pts = np.array([a(f) for f in range(0, 4000, 4)])
    assert np.all(np.linalg.norm(pts - [1, -1], axis=1) <= 0.5)
    assert not np.array_equal(RandomPoints([0, 0], 1, 1, seed=4)(0), RandomPoints([0, 0], 1, 1, seed=3)(0))


def test_random_points_asked_far_first_are_those_asked_in_order():
    """A source asked for frame 200 first drew 201 radii then 201 angles at once; asked in
    order it draws 64 of each at a time: different points from the same seed."""
    jump, walk = RandomPoints([0, 0], 1, 1, seed=5), RandomPoints([0, 0], 1, 1, seed=5)
    far = jump(200)
    in_order = [walk(f) for f in range(201)]
    np.testing.assert_array_equal(far, in_order[200])
    np.testing.assert_array_equal([jump(f) for f in range(201)], in_order)


def test_bad_parameters():
    with pytest.raises(ValueError, match="period must be > 0, got 0.0"):
        Circle([0, 0], 1, 0)
    with pytest.raises(ValueError, match="radius must be > 0"):
        Circle([0, 0], -1, 5)
    with pytest.raises(ValueError, match="every must be an integer >= 1, got 0"):
        RandomPoints([0, 0], 1, 0)
    with pytest.raises(ValueError, match="point must be two or three finite numbers"):
        Fixed([np.nan, 0])
