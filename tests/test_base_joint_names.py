"""Messages about a robot's floating, planar or spherical joint: the one-axis joints armsim
makes of it (``base_x`` of the base ``base_joint=`` adds, ``root_x`` of a file's joint
``root``) are said to be what they are, in the user's own names."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import armsim
from armsim.kinematics.tree import Robot, TreeJoint

ROOT = Path(__file__).resolve().parents[1]

ARM = """<robot name="r"><link name="a"/><link name="b"/><link name="c"/>
  <joint name="j1" type="revolute"><parent link="a"/><child link="b"/>
  <origin xyz="0 0 0.3"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/></joint>
  <joint name="j2" type="revolute"><parent link="b"/><child link="c"/>
  <origin xyz="0.3 0 0"/><axis xyz="0 1 0"/><limit lower="-1" upper="1"/></joint></robot>
"""
# the arm on a floating joint 'root' of the file's own
FLOATING = ARM.replace('<robot name="r">', '<robot name="f"><link name="world"/>'
                       '<joint name="root" type="floating"><parent link="world"/>'
                       '<child link="a"/></joint>')


def _write(tmp_path, text, name="r.urdf"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _refusal(fn):
    with pytest.raises(ValueError) as err:
        fn()
    return str(err.value)


def test_a_joint_named_as_a_coordinate_is_refused_naming_both(tmp_path):
    path = _write(tmp_path, FLOATING.replace('name="j2"', 'name="root_x"'))
    assert _refusal(lambda: armsim.load_robot(path)) == (
        f"{path}: joint 'root_x' has the name armsim gives the x coordinate of floating joint "
        f"'root': rename one of the two")      # (was: two joints are named 'root_x')
    ball = [TreeJoint("hip", "spherical", "w", "a"),
            TreeJoint("hip_roll", "revolute", "a", "b", (0.3, 0, 0), axis=(0, 0, 1))]
    assert _refusal(lambda: Robot(["w", "a", "b"], ball)) == (
        "joint 'hip_roll' has the name armsim gives the roll angle of spherical joint 'hip': "
        "rename one of the two")
    twice = [TreeJoint("hip", "spherical", "w", "a"),
             TreeJoint("hip", "floating", "a", "b", (0.3, 0, 0))]
    assert _refusal(lambda: Robot(["w", "a", "b"], twice)) == "two joints are named 'hip'"


def test_a_mimic_of_a_floating_joint_names_its_coordinates(tmp_path):
    mimic = '<limit lower="-1" upper="1"/><mimic joint="{}"/></joint></robot>'
    text = FLOATING.replace('<limit lower="-1" upper="1"/></joint></robot>', mimic)
    path = _write(tmp_path, text.format("root"))
    assert _refusal(lambda: armsim.load_robot(path)) == (
        f"{path}: joint 'j2' mimics 'root', a floating joint of 6 coordinates: a mimic "
        f"follows one of them (root_x, root_y, root_z, root_yaw, root_pitch, root_roll)")
    robot = armsim.load_robot(_write(tmp_path, text.format("root_yaw")))     # one: by name
    assert robot.mimic == {"j2": ("root_yaw", 1.0, 0.0)}


def test_a_split_joints_origin_is_checked_under_its_own_name():
    arm = TreeJoint("j", "revolute", "a", "b", (0.3, 0, 0), axis=(0, 0, 1))
    for kind in ("floating", "planar", "spherical"):
        far = TreeJoint("fb", kind, "w", "a", xyz=(5000.0, 0.0, 0.0), axis=(0, 0, 1))
        assert _refusal(lambda: Robot(["w", "a", "b"], [far, arm])) == (
            "joint 'fb': xyz[0] must be within [-1000, 1000] m, got 5000")   # (was 'fb_x')
    bad = TreeJoint("fb", "floating", "w", "a", rpy=(float("nan"), 0.0, 0.0))
    assert _refusal(lambda: Robot(["w", "a", "b"], [bad, arm])) == (
        "joint 'fb': rpy[0] must be within [-1e+06, 1e+06] rad, got nan")
    tilted = TreeJoint("p", "planar", "w", "a", axis=(float("nan"), 0.0, 1.0))
    assert _refusal(lambda: Robot(["w", "a", "b"], [tilted, arm])) == (
        "joint 'p': axis[0] must be within [-1e+06, 1e+06], got nan")


def _snake(n, step):
    text = '<robot name="s"><link name="l0"/>' + "".join(f'<link name="l{i + 1}"/>'
                                                        for i in range(n))
    text += "".join(f'<joint name="j{i}" type="revolute"><parent link="l{i}"/><child '
                    f'link="l{i + 1}"/><origin xyz="{step if i else 0} 0 0"/><axis '
                    f'xyz="0 0 1"/><limit lower="-1" upper="1"/></joint>' for i in range(n))
    return text + "</robot>\n"
