"""``armsim calibrate`` at the edges of its inputs and outputs: a folder of images that
cannot be listed, an output that is the plots folder or one of its plots; each one line,
exit status 2, nothing written."""

import os

import numpy as np

import armsim
from _real_data import SETUP
from armsim.cli import main
from armsim.vision.real import Joints, format_joints

URDF = armsim.robots.path("panda")


def _inputs(tmp_path):
    """joints.csv (three poses), setup.toml (cameras left and right) and images/left/."""
    robot = armsim.load_robot(URDF)
    readings = robot.limits.mean(axis=1) + 0.1 * np.arange(3)[:, None]   # within the limits
    joints = Joints(tuple(robot.joint_names), ("p0", "p1", "p2"), readings)
    (tmp_path / "joints.csv").write_text(format_joints(joints))
    (tmp_path / "setup.toml").write_text(SETUP)
    (tmp_path / "images" / "left").mkdir(parents=True)
    return ["calibrate", str(URDF), "--joints", str(tmp_path / "joints.csv"), "--images",
            str(tmp_path / "images"), "--setup", str(tmp_path / "setup.toml")]


def test_a_camera_folder_that_is_a_symlink_loop_is_the_images_fault(tmp_path, capsys):
    argv = _inputs(tmp_path)
    os.symlink("right", tmp_path / "images" / "right")         # right -> right: a loop
    (tmp_path / "out.urdf").write_text("old")
    assert main(argv + ["--out", str(tmp_path / "out.urdf")]) == 2
    assert capsys.readouterr().err == (f"{tmp_path}/images/right: cannot be read: Too many "
                                       f"levels of symbolic links\n")
    assert (tmp_path / "out.urdf").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images", "joints.csv", "out.urdf",
                                                          "setup.toml"]


def _observed(tmp_path):
    """joints.csv, obs.csv and setup.toml of a small synthetic calibration."""
    from _real_data import Synthetic
    from armsim.vision.real import format_observations
    s = Synthetic(1, poses=12, heldout=1)
    (tmp_path / "joints.csv").write_text(format_joints(s.joints))
    (tmp_path / "obs.csv").write_text(format_observations(s.observations))
    (tmp_path / "setup.toml").write_text(SETUP)
    return ["calibrate", str(URDF), "--joints", str(tmp_path / "joints.csv"),
            "--observations", str(tmp_path / "obs.csv"), "--setup", str(tmp_path / "setup.toml")]


def test_an_output_that_is_the_plots_folder_or_one_of_its_plots_is_refused(tmp_path, capsys):
    argv = _observed(tmp_path)
    given = sorted(p.name for p in tmp_path.iterdir())
    plots = tmp_path / "plots"
    for option in ("--out", "--report"):
        assert main(argv + [option, str(plots), "--plots", str(plots)]) == 2
        assert capsys.readouterr().err == (f"armsim calibrate: error: {option} and --plots are "
                                           f"the same path: {plots}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == given
    plots.mkdir()                  # (the URDF was written, then replaced by the plot: exit 0)
    assert main(argv + ["--out", str(plots / "left_p000.png"), "--report",
                        str(tmp_path / "r.json"), "--plots", str(plots)]) == 2
    assert capsys.readouterr().err == (
        f"armsim calibrate: error: argument --plots: the plot of camera 'left' at pose 'p000' "
        f"would replace --out '{plots}/left_p000.png'; name another file\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(given + ["plots"])
    assert not any(plots.iterdir())
    assert main(argv + ["--out", str(plots / "c.urdf"), "--plots", str(plots)]) == 0  # beside
    assert (plots / "c.urdf").read_text().startswith("<?xml")
    assert (plots / "left_p000.png").read_bytes()[:4] == b"\x89PNG"


def test_a_suspect_calibration_with_no_output_does_not_say_it_wrote_them(tmp_path, capsys):
    # the last line said "the outputs are written for inspection" with none given
    argv = _observed(tmp_path)
    (tmp_path / "setup.toml").write_text(SETUP.replace("size = 0.08", "size = 0.16"))
    assert main(argv) == 3
    captured = capsys.readouterr()
    assert "nothing written: give --out CALIBRATED.urdf" in captured.out
    assert captured.err.splitlines()[-1] == (
        "armsim calibrate: nothing is written (no --out, --report or --plots); do not use "
        "this calibration (exit status 3)")
    assert main(argv + ["--out", str(tmp_path / "c.urdf")]) == 3
    assert capsys.readouterr().err.splitlines()[-1] == (
        "armsim calibrate: the outputs are written for inspection; do not use them as a "
        "calibration (exit status 3)")


def test_markers_seen_but_not_placed_on_the_intrinsics_name_the_intrinsics(tmp_path, capsys):
    # fx = fy = 1 (allowed): OpenCV's solvePnP placed the marker in 1 of its 12 poses; the
    # line said only that a marker must be seen in 3 poses, not why it was not
    argv = _observed(tmp_path)
    (tmp_path / "setup.toml").write_text(SETUP.replace("fx = 1150.0\nfy = 1148.0",
                                                       "fx = 1.0\nfy = 1.0"))
    assert main(argv + ["--out", str(tmp_path / "c.urdf")]) == 2
    assert capsys.readouterr().err == (
        f"{tmp_path}/obs.csv: camera 'left': the hand-eye start needs a marker on a moving "
        f"link seen in at least 3 poses by this camera; marker 3 is seen in 12 poses, but "
        f"OpenCV's solvePnP placed it on this camera's intrinsics in 1 (check its fx, fy, "
        f"cx, cy and distortion)\n")
    assert not (tmp_path / "c.urdf").exists()


def test_plots_to_standard_output_is_refused(tmp_path, capsys, monkeypatch):
    # --plots - made a folder named '-' in the current folder ('-' is standard output for
    # --out and --report)
    argv = _observed(tmp_path)
    monkeypatch.chdir(tmp_path)
    given = sorted(p.name for p in tmp_path.iterdir())
    assert main(argv + ["--plots", "-"]) == 2
    assert capsys.readouterr().err == (
        "armsim calibrate: error: argument --plots: expected a folder name, got '-' (standard "
        "output takes --out or --report, not a folder of PNGs)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == given


def _mirrored_start(monkeypatch):
    """The calibration's start with camera 'left' turned about and moved past the markers
    along its axis: every corner it sees 1.4 to 1.6 m behind it."""
    import armsim.vision.real.identify as identify
    start = identify.hand_eye

    def mirrored(model, data, source="observations"):
        theta, poses = start(model, data, source)
        T = model.pose_matrix(theta, "left")
        T[:3, :3] = T[:3, :3] @ np.diag([-1.0, -1.0, 1.0])
        T[:3, 3] += 3.2 * T[:3, 2]
        model.set_pose(theta, "left", T)
        return theta, poses
    monkeypatch.setattr(identify, "hand_eye", mirrored)


def test_a_start_behind_a_camera_is_plotted_not_a_traceback(tmp_path, capsys, monkeypatch):
    # its corners are projected as if 1 mm deep, 1e16 px off: cv2.line's "Can't parse
    # 'pt1'" traceback drawing the start's marks
    from _real_data import Synthetic
    from armsim.vision.real import format_observations
    s = Synthetic(0, poses=6, heldout=1)
    (tmp_path / "joints.csv").write_text(format_joints(s.joints))
    (tmp_path / "obs.csv").write_text(format_observations(s.observations))
    (tmp_path / "setup.toml").write_text(SETUP)
    _mirrored_start(monkeypatch)
    assert main(["calibrate", str(URDF), "--joints", str(tmp_path / "joints.csv"),
                 "--observations", str(tmp_path / "obs.csv"), "--setup",
                 str(tmp_path / "setup.toml"), "--plots", str(tmp_path / "plots")]) == 3
    assert len(list((tmp_path / "plots").glob("left_*.png"))) == 6
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.endswith("(exit status 3)\n")
    # the solve moved camera 'left' 12,000 km off, said as a misfit ("check the cameras'
    # intrinsics and distortion, the markers' size ..."); now the camera is named
    (line, last) = err.splitlines()
    assert line.startswith("armsim calibrate: warning: the calibration puts camera 'left' ")
    assert "out of the scene" in line and "calibrated RMS" not in err


def test_corners_a_fit_puts_behind_a_camera_are_said_and_not_called_a_misfit():
    from types import SimpleNamespace
    from armsim.commands.calibrate import _doubts
    result = SimpleNamespace(converged=True, rounds=3, corner_noise_px=0.5, rms_px_after=3e9,
                             tool=None, identified=True, behind={"left": (20, 24)})
    assert _doubts(result, None) == [
        "the calibration puts 20 of the 24 corners camera 'left' sees on or behind it (nearer "
        "than 1 mm along its axis), which no camera sees: its start (OpenCV's hand-eye) or the "
        "solve put the camera past its markers; check the joint readings (their columns, signs "
        "and units) and its images"]


def test_a_fit_left_behind_a_camera_counts_its_corners_there(monkeypatch):
    # 3 poses from the start past the markers: the solve stays there, 7e9 px RMS, said as
    # "the model does not fit the data; check the cameras' intrinsics ..."
    from _real_data import Synthetic
    from armsim.vision.real.identify import calibrate
    from armsim.vision.real.model import Model
    s = Synthetic(0, poses=3, heldout=1)
    model = Model(s.robot, s.setup, s.joints.names)
    _mirrored_start(monkeypatch)
    result = calibrate(model, model.data(s.observations, s.joints))
    assert result.behind == {"left": (12, 12)}


def test_a_camera_that_escapes_a_start_behind_it_is_named(monkeypatch):
    # 6 poses from the start past the markers: the solve moved camera 'left' 1.2e7 m away,
    # where every corner it sees falls on one point (148 px RMS), with none behind it, and
    # the one line said "the model does not fit the data; check the cameras' intrinsics"
    from _real_data import Synthetic
    from armsim.commands.calibrate import _doubts
    from armsim.vision.real.identify import FAR, apparent_depth, calibrate
    from armsim.vision.real.model import Model
    s = Synthetic(0, poses=6, heldout=1)
    model = Model(s.robot, s.setup, s.joints.names)
    data = model.data(s.observations, s.joints)
    _mirrored_start(monkeypatch)
    result = calibrate(model, data)
    (line,) = _doubts(result)
    assert line.startswith("the calibration puts camera 'left' ") and "out of the scene" in line
    assert result.behind == {} and list(result.far) == ["left"]
    fitted, apparent = result.far["left"]
    assert fitted > 1e6 and 1.0 < apparent < 3.0
    assert np.linalg.norm(model.pose_matrix(result.theta, "left")[:3, 3]) > 1e6
    # the depth the markers' size in the images says is the fitted one's, in a right fit
    monkeypatch.undo()
    right = calibrate(model, data)
    _, depth = model.predict(right.theta, data)
    for c, seen in apparent_depth(model, data).items():
        assert 0.8 < np.median(depth[data.camera == c]) / seen < 1.1 < FAR
    assert right.far == {} and not any("out of the scene" in x for x in _doubts(right))


def test_a_camera_out_of_the_scene_is_said_and_not_called_a_misfit():
    from types import SimpleNamespace
    from armsim.commands.calibrate import _doubts
    result = SimpleNamespace(converged=True, rounds=3, corner_noise_px=0.5, rms_px_after=148.4,
                             tool=None, identified=True, behind={}, folded={},
                             far={"left": (1.2414e7, 2.3904)})
    assert _doubts(result, None) == [
        "the calibration puts camera 'left' 1.24e+07 m from the corners it sees, 5.19e+06 times "
        "as far as their size in its images says (2.39 m), where they all fall on one point: "
        "the solve moved the camera out of the scene, away from a start (OpenCV's hand-eye) "
        "past or beside its markers, and fits nothing; check the joint readings (their "
        "columns, signs and units) and its images"]
