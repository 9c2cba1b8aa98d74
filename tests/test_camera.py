"""Cameras: bearings by hand, wrapping across the cut, derivatives against finite differences."""

import math

import numpy as np
import pytest

from armsim.ad import dual as ad
from armsim.vision.camera import CameraSettings, bearing_residuals, bearings, wrap, wrap_positive


def test_bearings_by_hand():
    pts = np.array([[700.0, 300.0], [600.0, 200.0], [500.0, 300.0], [600.0, 400.0]])
    b = bearings(pts, [(600.0, 300.0)])
    assert b.shape == (4, 1)
    np.testing.assert_allclose(b[:, 0], [0.0, -math.pi / 2, math.pi, math.pi / 2])


def test_stereo_gives_one_column_per_focus():
    b = bearings(np.array([[600.0, 300.0]]), CameraSettings.preset("stereo").array)
    np.testing.assert_allclose(b, [[math.pi / 2, -math.pi / 2]])


def test_wrap_range_and_values():
    x = np.linspace(-20, 20, 1001)
    w = wrap(x)
    assert np.all(w > -math.pi) and np.all(w <= math.pi)
    np.testing.assert_allclose(np.cos(w), np.cos(x), atol=1e-12)
    assert wrap(math.pi) == pytest.approx(math.pi)
    assert wrap(-math.pi) == pytest.approx(math.pi)
    assert wrap(1.5 * math.pi) == pytest.approx(-0.5 * math.pi)
    assert np.all((wrap_positive(x) >= 0) & (wrap_positive(x) < 2 * math.pi))


def test_residual_across_the_cut_is_small():
    # 0.01 rad below +pi against 0.01 rad above -pi: 0.02 rad apart, not 2 pi - 0.02
    r = bearing_residuals(np.array(math.pi - 0.01), np.array(-math.pi + 0.01))
    assert float(r) == pytest.approx(-0.02)


def test_residual_keeps_the_tangent():
    seen = ad.Dual(np.array([3.1, -3.1]), np.eye(2))
    r = bearing_residuals(seen, np.array([-3.1, 3.1]))
    np.testing.assert_allclose(r.value, wrap(np.array([6.2, -6.2])))
    np.testing.assert_array_equal(r.tangent, np.eye(2))


def test_bearing_derivative_matches_finite_differences():
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 600, (5, 2))
    foc = CameraSettings.preset("stereo").array
    d = bearings(ad.seed(pts), foc)                   # tangent (5, 2, 10)
    h = 1e-6
    for i in range(5):
        for k in range(2):
            e = np.zeros_like(pts)
            e[i, k] = h
            fd = (bearings(pts + e, foc) - bearings(pts - e, foc)) / (2 * h)
            np.testing.assert_allclose(d.tangent[..., 2 * i + k], fd, atol=1e-7)


def test_point_on_the_focus_stays_finite():
    d = bearings(ad.seed(np.array([[600.0, 300.0]])), [(600.0, 300.0)])
    assert np.all(np.isfinite(d.value)) and np.all(np.isfinite(d.tangent))


@pytest.mark.parametrize("focuses, message", [
    ((), "focuses: must be a non-empty list of [x, y] pairs"),
    (((1.0, 2.0, 3.0),), "focuses: must be a non-empty list of [x, y] pairs"),
    (((1.0, float("nan")),), "focuses: every coordinate must be finite"),
    ((("a", 1.0),), "focuses: must be a list of [x, y] pairs of numbers"),
])
def test_invalid_focuses(focuses, message):
    with pytest.raises(ValueError) as err:
        CameraSettings(focuses=focuses).validate()
    assert str(err.value).startswith(message)


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown camera preset 'tri'; choose one of mono, stereo"):
        CameraSettings.preset("tri")
