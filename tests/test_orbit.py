"""The orbit camera: projections checked against hand-computed numbers and round trips."""

import math

import numpy as np
import pytest

from armsim.view.orbit import OrbitCamera

SIZE = (200, 100)


def simple():
    # eye at (2, 0, 0) looking at the origin; fov 90 deg over the 100 px height: f = 50 px
    return OrbitCamera(azimuth_deg=0, elevation_deg=0, distance=2.0, center=(0, 0, 0), fov_deg=90)


def test_a_point_lands_on_the_hand_computed_pixel():
    cam = simple()
    np.testing.assert_allclose(cam.eye, [2, 0, 0], atol=1e-15)
    px, depth, front = cam.project([0.0, 0.5, 0.25], SIZE)
    # x_cam = 0.5 (world +y is to the right), y_cam = 0.25, depth 2: 100 + 50 * 0.25, 50 - 50 * 0.125
    np.testing.assert_allclose(px, [112.5, 43.75], atol=1e-12)
    assert depth == pytest.approx(2.0) and bool(front)
    px, _, _ = cam.project([0.0, 0.0, 0.0], SIZE)
    np.testing.assert_allclose(px, [100.0, 50.0], atol=1e-12)


def test_points_behind_the_camera_are_flagged():
    cam = simple()
    _, depth, front = cam.project(np.array([[3.0, 0, 0], [1.0, 0, 0], [2.0, 1.0, 0]]), SIZE)
    assert front.tolist() == [False, True, False]
    np.testing.assert_allclose(depth, [-1.0, 1.0, 0.0], atol=1e-12)


def test_elevation_looks_down_at_the_floor():
    cam = OrbitCamera(azimuth_deg=90, elevation_deg=45, distance=math.sqrt(2), fov_deg=60)
    np.testing.assert_allclose(cam.eye, [0, 1, 1], atol=1e-12)
    right, up, forward = cam.basis()
    np.testing.assert_allclose(forward, [0, -1 / math.sqrt(2), -1 / math.sqrt(2)], atol=1e-12)
    np.testing.assert_allclose(right, [-1, 0, 0], atol=1e-12)
    assert up[2] > 0


@pytest.mark.parametrize("az, el", [(0, 0), (35, 25), (200, -60), (300, 89)])
def test_unproject_inverts_project_on_the_view_plane(az, el):
    cam = OrbitCamera(az, el, 2.5, (0.1, -0.2, 0.3), 50)
    rng = np.random.default_rng(0)
    right, up, _ = cam.basis()
    through = np.array([0.3, 0.1, 0.5])
    for _ in range(20):
        p = through + rng.normal(size=2) @ np.stack([right, up]) * 0.4   # on the plane
        px, _, _ = cam.project(p, (1280, 800))
        np.testing.assert_allclose(cam.unproject(px, (1280, 800), through), p, atol=1e-9)


def test_a_drag_of_k_pixels_moves_the_point_by_the_expected_amount():
    cam = OrbitCamera(35, 25, 3.0, (0, 0, 0.3), 45)
    size, k = (1280, 800), 37.0
    p = np.array([0.4, -0.2, 0.6])
    depth = float((p - cam.eye) @ cam.basis()[2])
    expected = k * depth * 2 * math.tan(math.radians(45) / 2) / 800
    for d in ([k, 0], [0, k], [-k, 0]):
        q = cam.drag(p, d, size)
        assert np.linalg.norm(q - p) == pytest.approx(expected, rel=1e-12)
        # the point stays under the mouse: it projects k pixels away, on the same plane
        a, _, _ = cam.project(p, size)
        b, depth_b, _ = cam.project(q, size)
        np.testing.assert_allclose(b - a, d, atol=1e-9)
        assert depth_b == pytest.approx(depth, abs=1e-12)
    # the same through unproject: the target under a pixel k to the right
    a, _, _ = cam.project(p, size)
    q = cam.unproject(a + [k, 0], size, p)
    assert np.linalg.norm(q - p) == pytest.approx(expected, rel=1e-9)


def test_along_view_moves_the_point_along_the_view_axis():
    cam = simple()
    p = np.array([0.0, 0.3, 0.1])
    q = cam.along_view(p, 0.5)
    np.testing.assert_allclose(q, [-0.5, 0.3, 0.1], atol=1e-12)
    # 0.5 m deeper along the view axis (the pixel moves towards the centre)
    assert cam.project(q, SIZE)[1] == pytest.approx(2.5)
    # never to behind the eye
    r = cam.along_view(p, -10.0)
    assert cam.project(r, SIZE)[2]


def test_orbit_then_reset_restores_the_exact_projection():
    cam = OrbitCamera(35, 25, 3.0, (0, 0, 0.3), 45)
    pts = np.random.default_rng(1).normal(size=(50, 3))
    before = cam.project(pts, (1280, 800))[0].copy()
    cam.orbit(123.4, 40.0)
    cam.zoom(0.37)
    cam.pan(13, -7, (1280, 800))
    moved = cam.project(pts, (1280, 800))[0]
    assert np.abs(moved - before).max() > 10
    cam.reset()
    assert np.array_equal(cam.project(pts, (1280, 800))[0], before)


def test_elevation_and_zoom_are_clamped():
    cam = OrbitCamera(0, 80, 2.0)
    cam.orbit(0, 50)
    assert cam.elevation_deg == 90.0            # straight down: allowed, see test_view_ranges
    cam.orbit(0, -500)
    assert cam.elevation_deg == -90.0
    cam.zoom(1e-9)
    assert cam.distance == pytest.approx(0.1)
    cam.zoom(1e9)
    assert cam.distance == pytest.approx(40.0)
    cam.zoom(float("nan"))
    assert cam.distance == pytest.approx(40.0)


def test_pan_moves_the_scene_with_the_mouse():
    cam = simple()
    p = np.array([0.0, 0.2, 0.1])
    a = cam.project(p, SIZE)[0]
    cam.pan(10, -4, SIZE)
    np.testing.assert_allclose(cam.project(p, SIZE)[0] - a, [10, -4], atol=1e-9)


def test_advance_orbits_at_the_given_rate():
    cam = OrbitCamera(350, 20, 2.0, orbit_deg_per_s=6.0)
    cam.advance(5.0)
    assert cam.azimuth_deg == pytest.approx(20.0)
    cam.advance(0.5, orbit_deg_per_s=-40)
    assert cam.azimuth_deg == pytest.approx(0.0)


def test_from_view_fills_missing_keys_from_the_framing():
    framed = OrbitCamera.framing(1.0)
    assert OrbitCamera.from_view({}, reach=1.0).settings() == framed.settings()
    cam = OrbitCamera.from_view({"azimuth_deg": 90, "center": [0, 0, 1], "orbit_deg_per_s": 3},
                                reach=1.0)
    assert cam.azimuth_deg == 90 and cam.distance == framed.distance
    assert cam.center.tolist() == [0, 0, 1] and cam.orbit_deg_per_s == 3
    wide = OrbitCamera.from_view({"fov_deg": 90}, reach=1.0)
    assert wide.distance == pytest.approx(0.9 / math.sin(math.radians(45)))


def test_framing_fits_the_reach_sphere():
    cam = OrbitCamera.framing(2.0)
    size = (480, 360)
    # a sphere of radius 0.9 x 2 about the centre projects inside the shorter side
    right, up, _ = cam.basis()
    for d in (right, up, -right, -up):
        px, _, front = cam.project(cam.center + 1.8 * d, size)
        assert front and 0 <= px[0] <= size[0] and 0 <= px[1] <= size[1]


@pytest.mark.parametrize("view, message", [
    ({"zoom": 2}, "view: unknown key 'zoom'; expected one of azimuth_deg"),
    ({"distance": -1}, "view.distance: must be >= 1e-06, got -1.0"),
    ({"center": [0, 1]}, "view.center: expected 3 numbers [x, y, z], got [0, 1]"),
    ({"center": [0, 2e6, 0]}, "view.center[1]: must be <= 1e+06, got 2000000.0"),
    ({"elevation_deg": 90.5}, "view.elevation_deg: must be <= 90, got 90.5"),
    ({"fov_deg": "wide"}, "view.fov_deg: expected a number, got 'wide'"),
    ({"fov_deg": 179.5}, "view.fov_deg: must be <= 170, got 179.5"),
])
def test_from_view_names_what_is_wrong(view, message):
    with pytest.raises(ValueError) as e:
        OrbitCamera.from_view(view, reach=1.0)
    assert str(e.value).startswith(message)
    if "unknown key" not in message:            # the whole message, one line
        assert str(e.value) == message


def test_a_point_behind_the_camera_is_dragged_with_the_mouse():
    # unprojected on its own plane (a negative depth), a target behind the camera moved
    # against the mouse: right went left
    cam = OrbitCamera(azimuth_deg=30, elevation_deg=20, distance=2.0, center=(0, 0, 0.3),
                      fov_deg=60)
    right, _, forward = cam.basis()
    behind = cam.eye - 0.13 * forward
    size = (640, 480)
    xs = [float((cam.unproject((px, 240), size, through=behind) - cam.eye) @ right)
          for px in (400, 450, 500, 550, 600)]
    assert all(b > a for a, b in zip(xs, xs[1:]))                # with the mouse
    p = cam.unproject((320, 240), size, through=behind)          # the centre pixel: the
    np.testing.assert_allclose(p, cam.center, atol=1e-12)       # view's centre plane
    front = cam.eye + 1.0 * forward                               # in front: its own plane
    assert float((cam.unproject((100, 80), size, through=front) - cam.eye) @ forward) == \
        pytest.approx(1.0)
