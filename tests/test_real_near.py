"""``armsim calibrate``'s projection on and behind the camera's plane: a corner nearer than
NEAR is projected as if at NEAR (finite, continuous, far off the image, never mirrored onto
it), its Jacobian is the central differences of the residuals there, and a fit cannot put a
camera behind the markers its images see.

Data: tests/_real_data.py (a Panda, a marker on its flange, two fixed cameras with
distortion)."""

import numpy as np
import pytest

from _real_data import Synthetic
from armsim.ad import dual as ad
from armsim.vision.real.identify import calibrate
from armsim.vision.camera3d import NEAR
from armsim.vision.real.model import Data, Model
from armsim.vision.real.tables import Joints


@pytest.fixture(scope="module")
def synthetic():
    return Synthetic(2, poses=8, heldout=1)


def test_a_point_on_or_behind_the_camera_plane_is_projected_as_if_at_near(synthetic):
    # on the plane x / z was inf or NaN (with numpy's warnings), and a point behind it
    # was projected through the centre onto the image, mirrored
    m, cam = synthetic.model, synthetic.setup.cameras[0]
    lateral = np.array([0.002, -0.001])
    depths = [NEAR, 0.0, 1e-300, -1e-300, -0.5, -1.5]
    Xc = np.array([[*lateral, z] for z in depths])
    with np.errstate(all="raise"):
        uv, z = m.project(synthetic.truth, cam, Xc)
    assert np.all(np.isfinite(uv)) and z.tolist() == depths
    np.testing.assert_array_equal(uv, np.broadcast_to(uv[0], uv.shape))
    # a marker's corners 1.5 m behind the camera land far off its image, not on it
    behind, _ = m.project(synthetic.truth, cam, np.array([[0.1, -0.05, -1.5]]))
    assert not (0 <= behind[0, 0] < cam.width and 0 <= behind[0, 1] < cam.height)
    # in front of NEAR it is OpenCV's pinhole as before, to the last bit
    front = np.array([[0.1, -0.2, 1.5], [0.003, 0.001, 2 * NEAR]])
    uv, _ = m.project(synthetic.truth, cam, front)
    fx, fy, cx, cy, d = m.intrinsics(synthetic.truth, cam)
    x, y = front[:, 0] / front[:, 2], front[:, 1] / front[:, 2]
    r2 = x * x + y * y
    radial = 1.0 + r2 * (d[0] + r2 * (d[1] + r2 * d[4]))
    xd = x * radial + 2.0 * d[2] * x * y + d[3] * (r2 + 2.0 * x * x)
    yd = y * radial + d[2] * (r2 + 2.0 * y * y) + 2.0 * d[3] * x * y
    assert uv.tolist() == np.stack([fx * xd + cx, fy * yd + cy], axis=-1).tolist()


def test_the_projections_jacobian_is_its_central_differences_near_the_plane(synthetic):
    m, cam = synthetic.model, synthetic.setup.cameras[0]
    Xc = np.array([[0.003, -0.002, z] for z in
                   (3 * NEAR, 1.5 * NEAR, 1.01 * NEAR, 0.99 * NEAR, 0.5 * NEAR, 0.0, -0.3)])
    dual = ad.Dual.variables_of(Xc.ravel(), np.ones(Xc.size, bool))
    uv, _ = m.project(synthetic.truth, cam, ad.reshape(dual, Xc.shape))
    jac = np.asarray(ad.reshape(uv, (-1,)).tangent)                # (2 N, 3 N)
    assert np.all(np.isfinite(jac))
    h = 1e-9                    # (each point over 1e-5 m from NEAR: no kink within h)
    for k in range(Xc.size):
        e = np.zeros(Xc.size)
        e[k] = h
        up, _ = m.project(synthetic.truth, cam, (Xc.ravel() + e).reshape(Xc.shape))
        down, _ = m.project(synthetic.truth, cam, (Xc.ravel() - e).reshape(Xc.shape))
        numeric = (up - down).ravel() / (2 * h)
        np.testing.assert_allclose(jac[:, k], numeric, rtol=2e-5,
                                   atol=1e-6 * np.abs(numeric).max() + 1e-6)


def test_the_residuals_jacobian_is_their_central_differences_with_corners_behind(synthetic):
    """A fixed camera moved along its optical axis into the markers' poses: some corners in
    front, some between the plane and NEAR, some behind; every parameter."""
    s = synthetic
    m = Model(s.robot, s.setup, s.joints.names)
    theta = s.truth.copy()
    T = m.pose_matrix(theta, "left")
    readings = s.readings[:3]
    P = len(readings)
    rows = np.array([(p, c, 0, k) for p in range(P) for c in range(2) for k in range(4)])
    data = Data(tuple(range(P)), readings, rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3],
                np.zeros((len(rows), 2)), np.ones(2 * len(rows)))
    _, depth = m.predict(theta, data)
    left = depth[data.camera == 0]
    T[:3, 3] += T[:3, 2] * (np.sort(left)[len(left) // 2] - 0.5 * NEAR)   # one 0.5 NEAR deep
    m.set_pose(theta, "left", T)
    _, depth = m.predict(theta, data)
    left = depth[data.camera == 0]
    assert (left < 0).any() and ((left > 0) & (left < NEAR)).any() and (left > NEAR).any()
    assert np.abs(left - NEAR).min() > 1e-6
    r, jac = m.residuals(theta, data, np.ones(m.dim, bool))
    assert np.all(np.isfinite(r)) and np.all(np.isfinite(jac))
    h = 1e-9
    for k in range(m.dim):
        e = np.zeros(m.dim)
        e[k] = h * max(1.0, abs(theta[k]))
        up, _ = m.residuals(theta + e, data)
        down, _ = m.residuals(theta - e, data)
        numeric = (up - down) / (2 * e[k])
        np.testing.assert_allclose(jac[:, k], numeric, rtol=1e-4,
                                   atol=1e-6 * np.abs(jac).max(), err_msg=m.names[k])


def test_a_fit_of_mislabelled_joint_columns_keeps_every_corner_in_front(synthetic):
    # joints.csv's columns under each other's names: the calibration stepped a camera past
    # the markers its images see, 12 corners behind it, projected through its centre
    # mirrored onto its image, and fitted there (53.6 px RMS)
    s = synthetic
    swapped = s.joints.values[:, np.random.default_rng(2).permutation(7)]
    model = Model(s.robot, s.setup, s.joints.names)
    data = model.data(s.observations, Joints(s.joints.names, s.joints.poses, swapped))
    result = calibrate(model, data)
    for theta in (result.start, result.nominal_fit, result.theta):
        _, depth = model.predict(theta, data)
        assert depth.min() > NEAR
