"""``armsim calibrate`` at the edges of its inputs and outputs: a folder of images that
cannot be listed, outputs that clash; each one line, exit status 2, nothing written."""

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
