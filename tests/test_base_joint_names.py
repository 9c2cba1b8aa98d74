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


def test_joint_values_of_the_wrong_shape_name_the_bases_coordinates(tmp_path):
    added = armsim.load_robot(_write(tmp_path, ARM), base_joint="floating")
    assert _refusal(lambda: added.frames(np.zeros(3))) == (
        "joint values must have shape (..., 8), got (3,); their order "
        "(robot.joint_names): base_x ... base_roll (the x, y, z, yaw, pitch and roll of "
        "the floating base), j1, j2")
    planar = armsim.load_robot(_write(tmp_path, ARM), base_joint="planar")
    assert _refusal(lambda: planar.link_positions(np.zeros(2))) == (
        "joint values must have shape (..., 5), got (2,); their order (robot.joint_names): "
        "base_x ... base_yaw (the x, y and yaw of the planar base), j1, j2")
    own = armsim.load_robot(_write(tmp_path, FLOATING))
    assert _refusal(lambda: own.frames(np.zeros(7))) == (
        "joint values must have shape (..., 8), got (7,); their order (robot.joint_names): "
        "root_x ... root_roll (the x, y, z, yaw, pitch and roll of floating joint 'root'), "
        "j1, j2")
    plain = armsim.load_robot(_write(tmp_path, ARM))
    assert _refusal(lambda: plain.frames([1.0, 2.0, 3.0])) == (
        "joint values must have shape (..., 2), got (3,); their order (robot.joint_names): "
        "j1, j2")


def test_clip_and_within_limits_refuse_a_wrong_shape_in_one_line(tmp_path):
    added = armsim.load_robot(_write(tmp_path, ARM), base_joint="floating")
    said = ("joint values must have shape (..., 8), got (3,); their order "
            "(robot.joint_names): base_x ... base_roll (the x, y, z, yaw, pitch and roll of "
            "the floating base), j1, j2")
    assert _refusal(lambda: added.clip(np.zeros(3))) == said           # (was numpy's)
    assert _refusal(lambda: added.within_limits(np.zeros((2, 3)))) == said.replace(
        "(3,)", "(2, 3)")
    chain = armsim.load_urdf(_write(tmp_path, ARM))
    assert _refusal(lambda: chain.clip(np.zeros(3))) == (
        "joint values must have shape (..., 2), got (3,)")
    assert _refusal(lambda: chain.clip("a")) == "joint values must be an array of numbers, got 'a'"
    assert np.array_equal(added.clip(np.full((2, 8), 500.0))[:, :3], np.full((2, 3), 100.0))
    assert added.within_limits(np.zeros(8)) and not chain.within_limits([0.0, 2.0])


def test_describe_joint_and_coordinate_of(tmp_path):
    added = armsim.load_robot(_write(tmp_path, FLOATING), base_joint="floating")
    assert added.describe_joint("base_x") == (
        "the x coordinate of the floating base (joint 'base_x')")
    assert added.describe_joint("root_pitch") == (
        "the pitch angle of floating joint 'root' (joint 'root_pitch')")
    assert added.describe_joint("j1") == "joint 'j1'"
    assert added.coordinate_of("root_yaw") == ("root", "floating", "yaw")
    assert added.coordinate_of("j1") is None
    # the base base_joint= adds takes names the file does not use
    robot = armsim.load_robot(_write(tmp_path, ARM.replace('name="j2"', 'name="base_x"')),
                              base_joint="planar")
    assert robot.joint_names == ("base_2_x", "base_2_y", "base_2_yaw", "j1", "base_x")
    assert robot.describe_joint("base_x") == "joint 'base_x'"
    assert robot.describe_joint("base_2_y") == (
        "the y coordinate of the planar base (joint 'base_2_y')")


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
    # the base base_joint= adds is not the file's to mimic
    path = _write(tmp_path, ARM.replace('<limit lower="-1" upper="1"/></joint></robot>',
                                        mimic.format("base")))
    assert _refusal(lambda: armsim.load_robot(path, base_joint="floating")) == (
        f"{path}: joint 'j2' mimics 'base', which is not a movable joint of the robot")


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


def test_a_chain_too_long_or_far_on_a_base_says_what_the_base_adds(tmp_path):
    path = _write(tmp_path, _snake(125, 0.1))
    assert armsim.load_robot(path).n == 125
    assert _refusal(lambda: armsim.load_robot(path, base_joint="floating")) == (
        f"{path}: the arm from the floating base under link 'l0' to link 'l125' has 131 "
        f"movable joints, at most 128 are accepted; 6 of them are base_x ... base_roll (the "
        f"x, y, z, yaw, pitch and roll of the floating base)")
    path = _write(tmp_path, _snake(4, 250.0))
    assert armsim.load_robot(path).reach == pytest.approx(750.0)
    assert _refusal(lambda: armsim.load_robot(path, base_joint="floating")) == (
        f"{path}: the arm from the floating base under link 'l0' to link 'l4' reaches 1050 m "
        f"from its first joint; a robot model's reach must be within [0.001, 1000] m; 300 m "
        f"of it is the travel of base_x ... base_z (the x, y and z of the floating base)")
    own = _write(tmp_path, _snake(4, 250.0).replace(
        '<robot name="s">', '<robot name="s"><link name="w"/><joint name="root" '
        'type="floating"><parent link="w"/><child link="l0"/></joint>'))
    assert _refusal(lambda: armsim.load_robot(own)) == (
        f"{own}: the arm from link 'w' to link 'l4' reaches 1050 m from its first joint; a "
        f"robot model's reach must be within [0.001, 1000] m; 300 m of it is the travel of "
        f"root_x ... root_z (the x, y and z of floating joint 'root')")


def test_a_scene_names_the_coordinate_beyond_its_limits_in_metres(tmp_path):
    _write(tmp_path, FLOATING, "f.urdf")
    scene = _write(tmp_path, '[arm]\nurdf = "f.urdf"\ntips = ["c"]\n'
                   'angles = [0, 0, 500, 0, 0, 0, 0, 0]\n'
                   '[[tool]]\nlink = "c"\nkind = "fixed"\npoint = [0.3, 0, 0.3]\n', "s.toml")
    run = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(scene), "--gif",
                          str(tmp_path / "o.gif"), "--frames", "2"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and not (tmp_path / "o.gif").exists()
    assert run.stderr.strip().splitlines() == [
        f"{scene}: arm.angles[2]: must be within the limits of the z coordinate of floating "
        f"joint 'root' (joint 'root_z'), [-100.0, 100.0] m, got 500.0 m"]


def test_render_names_the_coordinate_beyond_its_limits(tmp_path):
    robot = armsim.load_robot(_write(tmp_path, ARM), base_joint="floating")
    q = np.zeros(robot.n)
    q[0] = 500.0
    assert _refusal(lambda: armsim.render(robot, q)) == (
        "q[0] must be within the limits of the x coordinate of the floating base (joint "
        "'base_x') [-100, 100], got 500")
    q[0], q[7] = 0.0, 3.0
    assert _refusal(lambda: armsim.render(robot, q)) == (
        "q[7] must be within joint 8 (j2)'s limits [-1, 1], got 3")
