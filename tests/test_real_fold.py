"""``armsim calibrate``'s projection past its distortion's fold: OpenCV's radial distortion
``r (1 + k1 r^2 + k2 r^4 + k3 r^6)`` stops growing at some radius when a coefficient is
negative (k1 = -0.3: 1.054 focal lengths off the axis) and turns back, so a point far
outside the field of view was drawn onto the image and a fit could settle there.  Past the
fold the projection now continues on the fold's tangent (monotone, continuous), and a fit
that leaves corners there is said, exit status 3, as one that leaves them behind a camera.

Data: tests/_real_data.py (a Panda, a marker on its flange, two fixed cameras)."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

import armsim
from _real_data import SETUP, Synthetic
from armsim.ad import dual as ad
from armsim.cli import main
from armsim.kinematics.spatial import rpy_matrix
from armsim.vision.real import format_joints, format_observations, parse_setup
from armsim.vision.real.lens import fold
from armsim.vision.real.model import Model

URDF = armsim.robots.path("panda")
LEFT = "distortion = [-0.08, 0.11, 0.0004, -0.0003, 0.0]"
FOLDING = SETUP.replace(LEFT, "distortion = [-0.3, 0.0, 0.0, 0.0, 0.0]")


def test_the_fold_is_where_the_distorted_radius_stops_growing():
    assert fold((-0.3, 0.0, 0.0, 0.0, 0.0)) == pytest.approx(1 / 0.9, rel=1e-15)
    assert fold((0.0,) * 5) == math.inf and fold((0.1, 0.02, 0.01, 0.01, 0.0)) == math.inf
    assert fold((-0.08, 0.11, 0.0004, -0.0003, 0.0)) == math.inf     # (the tests' left camera)
    for d in [(0.05, -0.04, 0.0, 0.0, 0.0), (-0.28, 0.09, 0.001, -0.0007, -0.01),
              (0.0, 0.0, 0.0, 0.0, -0.5), (0.3, -0.2, 0, 0, 0.01)]:
        k1, k2, _, _, k3 = d
        u = fold(d)
        slope = 1 + 3 * k1 * u + 5 * k2 * u ** 2 + 7 * k3 * u ** 3       # d (r radial) / d r
        assert 0 < u < math.inf and abs(slope) < 1e-12, (d, u, slope)
        below = np.linspace(0.0, u, 1000)[:-1]          # (and no fold nearer the axis)
        assert np.all(1 + 3 * k1 * below + 5 * k2 * below ** 2 + 7 * k3 * below ** 3 > 0)


@pytest.fixture(scope="module")
def folding():
    return Synthetic(0, poses=10, heldout=1, setup_text=FOLDING)


def test_a_point_past_the_fold_is_not_drawn_back_onto_the_image(folding):
    # 1.8 focal lengths off the axis (61 degrees) was drawn 0.05 off it, at (699, 509.5) in
    # a 1280 x 1024 image; 1.83 and farther were mirrored through its centre
    m, cam = folding.model, folding.setup.cameras[0]
    uv, _ = m.project(folding.truth, cam, np.array([[1.8, 0.0, 1.0], [-2.5, 0.0, 1.0]]))
    for u, v in uv:
        assert not (0 <= u < cam.width and 0 <= v < cam.height), (u, v)
    # along any ray out from the axis the pixel moves on outward, without a jump
    for angle in (0.0, 0.7, 2.0, 4.0):
        r = np.linspace(0.0, 6.0, 6001)
        Xc = np.column_stack([r * math.cos(angle), r * math.sin(angle), np.ones_like(r)])
        uv, _ = m.project(folding.truth, cam, Xc)
        out = np.hypot(uv[:, 0] - cam.cx, (uv[:, 1] - cam.cy) * cam.fx / cam.fy)
        assert np.all(np.diff(out) > 0)
        assert np.max(np.diff(out)) < 1.01 * cam.fx * (r[1] - r[0])
    # short of the fold it is OpenCV's model, to the last bit
    front = np.array([[0.3, -0.2, 1.0], [1.0, 0.2, 1.0]])
    uv, _ = m.project(folding.truth, cam, front)
    x, y = front[:, 0], front[:, 1]
    xd, yd = x * (1 - 0.3 * (x * x + y * y)), y * (1 - 0.3 * (x * x + y * y))
    assert uv.tolist() == np.stack([cam.fx * xd + cam.cx, cam.fy * yd + cam.cy], -1).tolist()


def test_the_projections_jacobian_past_the_fold_is_its_central_differences(folding):
    """Of the point and, when the camera learns them, of its intrinsics."""
    s = folding
    text = FOLDING.replace('cy = 509.5\n', 'cy = 509.5\nlearn_intrinsics = true\n')
    setup = parse_setup(text, "setup.toml", robot=s.robot)
    m = Model(s.robot, setup, s.joints.names)
    cam = setup.cameras[0]
    theta = m.nominal.copy()
    at = m.intrinsics_at["left"]
    theta[at + 4:at + 9] = (-0.3, -0.05, 0.001, -0.002, 0.01)
    Xc = np.array([[1.2, 0.5, 1.0], [-0.4, 2.0, 0.9], [3.0, -3.0, 1.1], [0.2, 0.1, 1.0]])
    assert np.sum(np.sum(np.square(Xc[:, :2] / Xc[:, 2:]), 1) > m.fold(theta, cam)) == 3
    for what in ("point", "intrinsics"):
        if what == "point":
            x0, free = Xc.ravel(), np.ones(Xc.size, bool)

            def f(v):
                return m.project(theta, cam, ad.reshape(v, Xc.shape))[0]
        else:
            x0, free = theta, np.isin(np.arange(m.dim), np.arange(at, at + 9))

            def f(v):
                return m.project(v, cam, Xc)[0]
        jac = np.asarray(ad.reshape(f(ad.Dual.variables_of(x0, free)), (-1,)).tangent)
        for j, k in enumerate(np.flatnonzero(free)):
            h = 1e-7 * max(1.0, abs(x0[k]))
            e = np.zeros(x0.size)
            e[k] = h
            numeric = (np.ravel(f(x0 + e)) - np.ravel(f(x0 - e))) / (2 * h)
            np.testing.assert_allclose(jac[:, j], numeric, rtol=1e-5,
                                       atol=1e-6 * np.abs(numeric).max() + 1e-6)


def test_a_fit_started_turned_away_does_not_settle_past_the_fold(folding, monkeypatch):
    # the start's left camera turned 60 degrees: the fit drew its corners on the fold's far
    # side (up to 1.97 focal lengths off its axis, 56 px RMS, said as "the model does not
    # fit the data; check the cameras' intrinsics")
    import armsim.vision.real.identify as identify
    start = identify.hand_eye

    def turned(model, data, source="observations"):
        theta, poses = start(model, data, source)
        T = model.pose_matrix(theta, "left")
        T[:3, :3] = T[:3, :3] @ rpy_matrix(np.array([0.0, math.radians(60.0), 0.0]))
        model.set_pose(theta, "left", T)
        return theta, poses
    monkeypatch.setattr(identify, "hand_eye", turned)
    s = folding
    model = Model(s.robot, s.setup, s.joints.names)
    data = model.data(s.observations, s.joints)
    result = identify.calibrate(model, data)
    assert result.converged and result.rms_px_after < 0.6
    assert model.folded(result.start, data).any()
    assert not model.folded(result.theta, data).any() and result.folded == {}


def test_a_fit_that_leaves_corners_past_the_fold_is_said_and_exit_3(tmp_path, capsys):
    # a distortion given that turns back inside the image (k1 = -1.5: 25 degrees, 361 px
    # off the centre; 9 corners of the images lie farther): the fit put 4 past it
    s = Synthetic(0, poses=10, heldout=1)
    (tmp_path / "joints.csv").write_text(format_joints(s.joints))
    (tmp_path / "obs.csv").write_text(format_observations(s.observations))
    (tmp_path / "setup.toml").write_text(SETUP.replace(LEFT, "distortion = [-1.5, 0, 0, 0, 0]"))
    argv = ["calibrate", str(URDF), "--joints", str(tmp_path / "joints.csv"), "--observations",
            str(tmp_path / "obs.csv"), "--setup", str(tmp_path / "setup.toml"), "--out",
            str(tmp_path / "c.urdf")]
    assert main(argv) == 3
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith(
        "armsim calibrate: warning: the calibration puts ") and err[0].endswith(
        " corners camera 'left' sees over 25.2 degrees off its axis, past the angle where its "
        "distortion (k1, k2, k3) turns back and would draw a corner farther off nearer its "
        "centre, which no lens does: its distortion is wrong for its images, or its start "
        "(OpenCV's hand-eye) or the solve turned the camera away from its markers; check its "
        "distortion, the joint readings (their columns, signs and units) and its images")
    assert err[1].endswith("(exit status 3)")
    assert (tmp_path / "c.urdf").exists()


def test_corners_past_the_fold_are_said_and_not_called_a_misfit():
    from armsim.commands.calibrate import _doubts
    result = SimpleNamespace(converged=True, rounds=3, corner_noise_px=0.5, rms_px_after=56.0,
                             tool=None, identified=True, behind={},
                             folded={"left": (31, 40, math.sqrt(1 / 0.9))})
    assert _doubts(result, None) == [
        "the calibration puts 31 of the 40 corners camera 'left' sees over 46.5 degrees off its "
        "axis, past the angle where its distortion (k1, k2, k3) turns back and would draw a "
        "corner farther off nearer its centre, which no lens does: its distortion is wrong for "
        "its images, or its start (OpenCV's hand-eye) or the solve turned the camera away from "
        "its markers; check its distortion, the joint readings (their columns, signs and "
        "units) and its images"]
