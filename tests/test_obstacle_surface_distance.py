"""Obstacle.surface_distance: each shape's signed distance to its own surface, by hand."""

import math

import numpy as np
import pytest

import armsim
from armsim.ik.objectives import Box, Capsule, Obstacle


def test_sphere_outside_on_and_inside():
    o = Obstacle([0.1, 0.2, 0.3], 0.1, link_radius=0.05)       # link_radius is not subtracted
    assert o.surface_distance([0.1, 0.2, 0.7]) == pytest.approx(0.3, abs=1e-15)
    assert o.surface_distance([0.2, 0.2, 0.3]) == pytest.approx(0.0, abs=1e-15)
    assert o.surface_distance([0.1, 0.2, 0.3]) == pytest.approx(-0.1, abs=1e-15)
    assert isinstance(o.surface_distance([0.0, 0.0, 0.0]), float)


def test_many_points_keep_their_shape():
    o = Obstacle([0.0, 0.0], 0.5)
    pts = np.array([[[3.0, 4.0], [0.0, 0.0], [0.5, 0.0]]] * 2)          # (2, 3, 2)
    d = o.surface_distance(pts)
    assert d.shape == (2, 3)
    np.testing.assert_allclose(d[0], [4.5, -0.5, 0.0], atol=1e-15)
    np.testing.assert_array_equal(d[0], d[1])


def test_box_corner_face_and_inside():
    b = Box([0.0, 0.0, 0.0], [2.0, 4.0, 6.0])           # half sizes 1, 2, 3
    assert b.surface_distance([2.0, 0.0, 0.0]) == pytest.approx(1.0, abs=1e-15)
    assert b.surface_distance([2.0, 3.0, 4.0]) == pytest.approx(math.sqrt(3.0), abs=1e-15)
    assert b.surface_distance([0.5, 0.0, 0.0]) == pytest.approx(-0.5, abs=1e-15)


def test_capsule_beside_and_beyond_its_ends():
    c = Capsule([0.0, 0.0, 0.0], [1.0, 0.0, 0.0], 0.1)
    assert c.surface_distance([0.5, 0.3, 0.0]) == pytest.approx(0.2, abs=1e-15)
    assert c.surface_distance([-0.3, 0.0, 0.4]) == pytest.approx(0.4, abs=1e-15)
    assert c.surface_distance([0.5, 0.0, 0.0]) == pytest.approx(-0.1, abs=1e-15)


def test_a_moved_obstacle_measures_from_where_it_is():
    o = Obstacle([0.0, 0.0, 0.0], 0.1)
    o.move_to([1.0, 0.0, 0.0])
    assert o.surface_distance([1.0, 0.0, 0.5]) == pytest.approx(0.4, abs=1e-15)


@pytest.mark.parametrize("points, shape", [([0.0, 0.0], "(2,)"), (1.0, "()"),
                                           ([[0.0, 0.0, math.nan]], "(1, 3)")])
def test_bad_points_are_one_line(points, shape):
    o = Obstacle([0.0, 0.0, 0.0], 0.1)
    with pytest.raises(ValueError) as err:
        o.surface_distance(points)
    assert str(err.value) == ("Obstacle.surface_distance: points must be finite numbers of "
                              f"shape (3,) or (..., 3), got shape {shape}")


def test_the_package_exports_the_same_class():
    assert armsim.Obstacle is Obstacle
