"""What real URDFs write, read as their authors meant.

Limits that mean "none":

* A mobile base written as ROS writes it: slides with limits of +-999999 m (the Ridgeback's
  and the QUT Frankie's URDFs, robotics-toolbox's data) before the arm.  Such a slide is read
  by a whole robot as a moving base's translation (limits clipped to +-BASE_TRAVEL), and a
  chain names it and says how to load the robot.
* A revolute joint limited to +-1e16 rad (Gazebo's and SDF's "no limit": the Iris drone of
  example-robot-data) is continuous, on a chain and a tree; a mimic's: no limits of its own.

And a fixed joint that keeps a ``<mimic>`` (Talos's reduced models, their grippers made
fixed): it cannot move, the tag is left aside.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import armsim
from armsim.kinematics.tree import BASE_TRAVEL

ROOT = Path(__file__).resolve().parents[1]


def _urdf(lx="-999999", ux="999999", ly="-999999", uy="999999"):
    return f"""<robot name="mobile">
  <link name="world"/><link name="v1"/><link name="v2"/><link name="chassis"/>
  <link name="a1"/><link name="a2"/><link name="tool"/>
  <joint name="vx" type="prismatic"><parent link="world"/><child link="v1"/>
    <axis xyz="1 0 0"/><limit lower="{lx}" upper="{ux}" effort="1" velocity="1"/></joint>
  <joint name="vy" type="prismatic"><parent link="v1"/><child link="v2"/>
    <axis xyz="0 1 0"/><limit lower="{ly}" upper="{uy}" effort="1" velocity="1"/></joint>
  <joint name="yaw" type="continuous"><parent link="v2"/><child link="chassis"/>
    <axis xyz="0 0 1"/></joint>
  <joint name="aj1" type="revolute"><parent link="chassis"/><child link="a1"/>
    <origin xyz="0 0 0.2"/><axis xyz="0 0 1"/><limit lower="-3" upper="3"/></joint>
  <joint name="aj2" type="revolute"><parent link="a1"/><child link="a2"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="aj3" type="fixed"><parent link="a2"/><child link="tool"/>
    <origin xyz="0.4 0 0"/></joint>
</robot>
"""


def _write(tmp_path, text, name="m.urdf"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_unbounded_slides_are_a_moving_base(tmp_path):
    robot = armsim.load_robot(_write(tmp_path, _urdf()))
    assert robot.joint_names == ("vx", "vy", "yaw", "aj1", "aj2")
    assert robot.limits[:2].tolist() == [[-BASE_TRAVEL, BASE_TRAVEL]] * 2
    assert {"vx", "vy"} <= robot.base_joints
    assert robot.base_translations.tolist() == [True, True, False, False, False]
    # the robot's own size leaves the slides' travel out: 0.2 + 0.1 + 0.4 m from the yaw
    assert robot.arm_reach == pytest.approx(0.7, rel=1e-9) and robot.reach > 200
    # one side beyond the accepted travel: that side clipped, the other kept
    robot = armsim.load_robot(_write(tmp_path, _urdf(lx="0", ly="-2", uy="5000"), "b.urdf"))
    assert robot.limits[:2].tolist() == [[0.0, BASE_TRAVEL], [-2.0, BASE_TRAVEL]]


def test_a_virtual_base_drives_to_a_far_pose(tmp_path):
    robot = armsim.load_robot(_write(tmp_path, _urdf()))
    for seed in range(3):
        q = np.zeros(robot.n)
        rng = np.random.default_rng(seed)
        q[:2] = rng.uniform(-80, 80, 2)
        q[2:] = rng.uniform(-1.5, 1.5, 3)
        targets = {"tool": robot.frames(q, ["tool"])["tool"][:3, 3]}
        res = armsim.solve(robot, targets)
        tool = robot.frames(res.q, ["tool"])["tool"][:3, 3]
        assert res.success and np.linalg.norm(tool - targets["tool"]) < 1e-5, seed
        assert np.all(np.abs(res.q[:2]) <= BASE_TRAVEL)


@pytest.mark.parametrize("limits, message", [
    # a range wholly beyond +-BASE_TRAVEL is no base's: refused as any slide's
    (dict(lx="-999999", ux="-500"), "joint 'vx': limits must be within [-1000, 1000] m "
                                    "(a prismatic joint's travel), got (-999999, -500)"),
    (dict(lx="-1e7"), "joint 'vx': limit lower must be within [-1e+06, 1e+06] m, got -1e+07"),
])
def test_slides_no_base_could_have_are_refused(tmp_path, limits, message):
    path = _write(tmp_path, _urdf(**limits))
    with pytest.raises(ValueError) as got:
        armsim.load_robot(path)
    assert str(got.value) == f"{path}: {message}"


def test_a_chain_names_the_unbounded_slide_and_the_whole_robot(tmp_path):
    path = _write(tmp_path, _urdf())
    message = (f"{path}: joint 'vx': limits (-999999, 999999) m, an unbounded slide (a moving "
               f"base's): a chain's travel must be within [-1000, 1000] m; load the whole "
               f"robot (armsim.load_robot, or run_arm.py with --tips LINK)")
    with pytest.raises(ValueError) as got:
        armsim.load_urdf(path, tip="tool")
    assert str(got.value) == message
    env = {"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    run = [sys.executable, str(ROOT / "run_arm.py"), str(path), "--frames", "2", "--gif"]
    out = subprocess.run(run + [str(tmp_path / "a.gif"), "--tip", "tool"],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 2 and out.stderr.strip() == message
    assert not (tmp_path / "a.gif").exists()
    out = subprocess.run(run + [str(tmp_path / "b.gif"), "--tips", "tool"],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert (tmp_path / "b.gif").stat().st_size > 0


def _turns(lo="-1e+16", hi="1e+16", mimic=""):
    return f"""<robot name="turns">
  <link name="base"/><link name="l1"/><link name="l2"/><link name="f"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/>
    <limit lower="{lo}" upper="{hi}" effort="0" velocity="0"/></joint>
  <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/>
    <origin xyz="0.3 0 0"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="jf" type="revolute"><parent link="l2"/><child link="f"/>
    <origin xyz="0.3 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-1e+16" upper="1e+16" effort="0" velocity="0"/>{mimic}</joint>
</robot>
"""


def test_a_turn_limited_to_1e16_is_continuous(tmp_path):
    path = _write(tmp_path, _turns())
    chain = armsim.load_urdf(path, tip="f")
    assert [j.type for j in chain.joints] == ["continuous", "revolute", "continuous"]
    assert np.isinf(chain.limits[[0, 2]]).all() and chain.limits[1].tolist() == [-2, 2]
    robot = armsim.load_robot(path)
    assert robot.types == ("continuous", "revolute", "continuous")
    target = robot.frames(np.array([2.5, 0.7, 0.0]), ["f"])["f"][:3, 3]
    res = armsim.solve(robot, {"f": target})
    assert res.success and np.linalg.norm(
        robot.frames(res.q, ["f"])["f"][:3, 3] - target) < 1e-5
    # a mimic so limited has no limits of its own: its source keeps its range
    robot = armsim.load_robot(_write(tmp_path, _turns(mimic='<mimic joint="j2"/>'), "m.urdf"))
    assert robot.joint_names == ("j1", "j2") and robot.limits[1].tolist() == [-2, 2]
    # one side limited: refused as any turn beyond the range
    path = _write(tmp_path, _turns(hi="1"), "h.urdf")
    with pytest.raises(ValueError) as got:
        armsim.load_robot(path)
    assert str(got.value) == (f"{path}: joint 'j1': limit lower must be within "
                              f"[-1e+06, 1e+06] rad, got -1e+16")


@pytest.mark.parametrize("text, why", [
    (_urdf(), "joint 'vx' is an unbounded slide (a moving base's)"),
    (_turns(mimic='<mimic joint="j2"/>'), "joint 'jf' is a mimic joint"),
])
def test_the_command_line_moves_the_whole_robot_when_the_leaf_needs_it(tmp_path, text, why):
    # run_arm.py PATH.urdf named no tip: the leaf it takes hangs by a joint a chain does not
    # take, so the whole robot runs with that leaf its tool (it was refused: the Ridgeback's,
    # the Frankie's, PR2's and Talos's URDFs)
    path = _write(tmp_path, text)
    tip = "tool" if "mobile" in text else "f"
    env = {"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(path), "--frames", "2",
                          "--gif", str(tmp_path / "a.gif")],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == [
        f"armsim: note: {path}: {why}, which a chain does not take; moving the whole robot "
        f"with '{tip}' as its tool (--tips A,B: several tools at once)"]
    assert (tmp_path / "a.gif").stat().st_size > 0


def test_a_mimic_that_pins_its_source_at_zero_solves(tmp_path):
    # PR2's gripper: a mimic of multiplier -1 whose own limits are its source's, [0, 0.548],
    # pins the source at [0, -0.0]; the restart draw then raised numpy's "high - low < 0"
    path = _write(tmp_path, _turns(lo="-3", hi="3").replace(
        '<limit lower="-1e+16" upper="1e+16" effort="0" velocity="0"/>',
        '<limit lower="0" upper="0.548"/><mimic joint="j3" multiplier="-1"/>').replace(
        "</robot>", '<link name="g"/><joint name="j3" type="revolute"><parent link="l2"/>'
                    '<child link="g"/><axis xyz="1 0 0"/><limit lower="0" upper="0.548"/>'
                    '</joint></robot>'), "pin.urdf")
    robot = armsim.load_robot(path, tips=["f", "g"])
    assert robot.joint_names == ("j1", "j2", "j3")
    assert robot.limits[2].tolist() == [0.0, 0.0] and not np.signbit(robot.limits[2]).any()
    target = robot.frames(np.array([0.5, 0.7, 0.0]), ["g"])["g"][:3, 3]
    res = armsim.solve(robot, {"g": target})
    assert res.success and np.linalg.norm(robot.frames(res.q, ["g"])["g"][:3, 3] - target) < 1e-5


def test_a_fixed_joint_s_mimic_tag_is_left_aside(tmp_path):
    # "joint 'gripper_left_inner_double_joint' is fixed and cannot mimic another joint":
    # example-robot-data's talos_reduced.urdf and three more were refused as whole robots
    path = _write(tmp_path, _turns(lo="-3", hi="3").replace(
        '<joint name="jf" type="revolute">', '<joint name="jf" type="fixed">').replace(
        '<limit lower="-1e+16" upper="1e+16" effort="0" velocity="0"/>',
        '<mimic joint="j2" multiplier="2"/>'), "fixed.urdf")
    robot = armsim.load_robot(path)
    assert robot.joint_names == ("j1", "j2") and robot.mimic == {}
    q = np.array([0.3, 0.4])
    F = robot.frames(q, ["l2", "f"])
    assert np.array_equal(F["f"][:3, :3], F["l2"][:3, :3])      # f turns with l2 alone
    assert np.allclose(F["f"][:3, 3], F["l2"][:3, 3] + F["l2"][:3, :3] @ [0.3, 0.0, 0.0])
    # a base cannot mimic: still refused
    bad = _write(tmp_path, _turns().replace('<joint name="jf" type="revolute">',
                                            '<joint name="jf" type="planar">').replace(
        '<limit lower="-1e+16" upper="1e+16" effort="0" velocity="0"/>',
        '<mimic joint="j2"/>'), "planar.urdf")
    with pytest.raises(ValueError) as got:
        armsim.load_robot(bad)
    assert str(got.value) == f"{bad}: joint 'jf' is planar and cannot mimic another joint"


def _rover(arm=True):
    """A base with a steered wheel (two joints, turning in place) and, with ``arm``, a
    one-joint arm 0.3 m long (without: a second wheel)."""
    text = """<robot name="rover">
  <link name="base"/><link name="hub"/><link name="wheel"/>
  <joint name="steer" type="revolute"><parent link="base"/><child link="hub"/>
    <origin xyz="0.2 0 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/></joint>
  <joint name="spin" type="continuous"><parent link="hub"/><child link="wheel"/>
    <axis xyz="0 1 0"/></joint>
"""
    if not arm:     # a second wheel
        text += """  <link name="hub2"/><link name="wheel2"/>
  <joint name="steer2" type="revolute"><parent link="base"/><child link="hub2"/>
    <origin xyz="-0.2 0 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/></joint>
  <joint name="spin2" type="continuous"><parent link="hub2"/><child link="wheel2"/>
    <axis xyz="0 1 0"/></joint>
"""
    if arm:
        text += """  <link name="boom"/><link name="hook"/>
  <joint name="lift" type="revolute"><parent link="base"/><child link="boom"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-1" upper="1"/></joint>
  <joint name="end" type="fixed"><parent link="boom"/><child link="hook"/>
    <origin xyz="0.3 0 0"/></joint>
"""
    return text + "</robot>\n"


def test_with_no_tip_a_leaf_turning_in_place_gives_way_to_one_that_moves(tmp_path):
    # the leaf with the most joints (a steered wheel) reaches 0 m: the chain was refused
    # with "name a link farther out", which a wheeled robot without an arm has none of
    path = _write(tmp_path, _rover())
    chain = armsim.load_urdf(path)
    assert chain.tip == "hook" and chain.leaves == {"wheel": 2, "hook": 1}
    wheels = _write(tmp_path, _rover(arm=False), "wheels.urdf")
    with pytest.raises(ValueError) as got:
        armsim.load_urdf(wheels)
    assert str(got.value) == (f"{wheels}: no leaf below link 'base' is carried 1 mm or more "
                              f"by its joints (wheels, rotors and fingers turning in place): "
                              f"no tool to move")
    with pytest.raises(ValueError, match="reaches 0 m from its first joint"):
        armsim.load_urdf(path, tip="wheel")                 # named: as it was
    env = {"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(path), "--frames", "2",
                          "--gif", str(tmp_path / "a.gif")],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    # the wheel is no tool (the whole robot leaves it out): the hook is the one, nothing said
    assert (out.returncode, out.stderr) == (0, "")


@pytest.mark.parametrize("attr, message", [
    ('<origin xyz="$(optenv IMU_XYZ 0.19 0 0.149)"/>',
     "joint 'j2': origin xyz must be three numbers, got '$(optenv IMU_XYZ 0.19 0 0.149)'"),
    ('<origin xyz="0 ${arm_len} 0"/>', "joint 'j2': origin xyz[1] must be a number, got "
                                       "'${arm_len}'"),
])
def test_an_unexpanded_xacro_expression_is_named(tmp_path, attr, message):
    # pybullet's husky.urdf keeps "$(optenv HUSKY_IMU_XYZ 0.19 0 0.149)": the line said only
    # that three numbers were expected
    path = _write(tmp_path, _turns(lo="-3", hi="3").replace('<origin xyz="0.3 0 0"/>', attr, 1),
                  "x.urdf")
    hint = " (an unexpanded xacro expression: expand the file with xacro first)"
    for load in (armsim.load_robot, armsim.load_urdf):
        with pytest.raises(ValueError) as got:
            load(path)
        assert str(got.value) == f"{path}: {message}{hint}"


def _balls():
    """Two ball joints (pybullet's spherical) in a row, 0.4 m apart, a tool 0.3 m out."""
    return """<robot name="balls">
  <link name="base"/><link name="upper"/><link name="lower"/><link name="tool"/>
  <joint name="shoulder" type="spherical"><parent link="base"/><child link="upper"/>
    <origin xyz="0 0 0.5"/></joint>
  <joint name="elbow" type="spherical"><parent link="upper"/><child link="lower"/>
    <origin xyz="0.4 0 0"/><limit lower="-1" upper="1"/></joint>
  <joint name="end" type="fixed"><parent link="lower"/><child link="tool"/>
    <origin xyz="0.3 0 0"/></joint>
</robot>
"""


def _rot(yaw, pitch, roll):
    cz, sz, cy, sy, cx, sx = (np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch),
                              np.cos(roll), np.sin(roll))
    Rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    Ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    Rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    return Rz @ Ry @ Rx


def test_a_spherical_joint_is_three_turns(tmp_path):
    # pybullet's humanoid.urdf (8 ball joints) was refused: "has an unknown type 'spherical'"
    path = _write(tmp_path, _balls(), "b.urdf")
    robot = armsim.load_robot(path)
    assert robot.joint_names == ("shoulder_yaw", "shoulder_pitch", "shoulder_roll",
                                 "elbow_yaw", "elbow_pitch", "elbow_roll")
    assert robot.types == ("continuous",) * 6 and np.isinf(robot.limits).all()
    assert robot.links == ("base", "upper", "lower", "tool")        # hidden links left out
    q = np.array([0.4, -0.3, 0.2, 1.1, 0.5, -0.7])
    R1, R2 = _rot(*q[:3]), _rot(*q[3:])
    tool = robot.frames(q, ["tool"])["tool"]
    np.testing.assert_allclose(tool[:3, :3], R1 @ R2, atol=1e-14)
    np.testing.assert_allclose(tool[:3, 3], [0, 0, 0.5] + R1 @ ([0.4, 0, 0] + R2 @ [0.3, 0, 0]),
                               atol=1e-14)
    # the AD Jacobian through the turns against central differences
    from armsim.ad import dual as ad

    def f(x):
        R, p = robot.poses(x, ["tool"])["tool"]
        return ad.concatenate([p, ad.reshape(R, np.shape(ad.value_of(R))[:-2] + (9,))], axis=-1)
    J = ad.jacobian(f, q)
    h = 1e-6
    fd = np.stack([(f(q + h * e) - f(q - h * e)) / (2 * h) for e in np.eye(6)], axis=-1)
    np.testing.assert_allclose(J, fd, rtol=0, atol=1e-7)
    # solved as a pose: by forward kinematics
    for seed in range(3):
        target = robot.frames(np.random.default_rng(seed).uniform(-2, 2, 6), ["tool"])["tool"]
        res = armsim.solve(robot, {"tool": target})
        got = robot.frames(res.q, ["tool"])["tool"]
        assert res.success and np.abs(got - target).max() < 1e-5, seed


def test_a_spherical_joint_on_a_chain_runs_the_whole_robot(tmp_path):
    path = _write(tmp_path, _balls(), "b.urdf")
    with pytest.raises(ValueError, match="joint 'shoulder' is spherical; a chain"):
        armsim.load_urdf(path)
    env = {"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(path), "--frames", "2",
                          "--gif", str(tmp_path / "a.gif")],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0 and out.stderr.splitlines() == [
        f"armsim: note: {path}: joint 'shoulder' is spherical, which a chain does not take; "
        f"moving the whole robot with 'tool' as its tool (--tips A,B: several tools at once)"]


def test_a_ball_joint_type_says_what_to_write_instead(tmp_path):
    path = _write(tmp_path, _turns(lo="-3", hi="3").replace(
        '<joint name="j2" type="revolute">', '<joint name="j2" type="ball">'), "b.urdf")
    for load in (armsim.load_robot, armsim.load_urdf):
        with pytest.raises(ValueError) as got:
            load(path)
        assert str(got.value) == (f"{path}: joint 'j2' has an unknown type 'ball' (write a ball "
                                  f"joint as three revolute or continuous joints in a row)")


def test_a_chain_leaves_a_fixed_joint_s_mimic_tag_aside_as_the_whole_robot_does(tmp_path):
    # load_urdf refused it ("joint 'jf' is a mimic joint; a chain ... takes no mimic") where
    # load_robot reads the same file: a fixed joint cannot move
    path = _write(tmp_path, _turns(lo="-3", hi="3").replace(
        '<joint name="jf" type="revolute">', '<joint name="jf" type="fixed">').replace(
        '<limit lower="-1e+16" upper="1e+16" effort="0" velocity="0"/>',
        '<mimic joint="j2" multiplier="2"/>'), "fixed.urdf")
    chain = armsim.load_urdf(path, tip="f")
    robot = armsim.load_robot(path, tips=["f"])
    assert [j.name for j in chain.joints] == list(robot.joint_names) == ["j1", "j2"]
    q = np.array([0.3, 0.4])
    R, p = chain.pose(q)
    assert np.allclose(p, robot.frames(q, ["f"])["f"][:3, 3], atol=1e-12)


@pytest.mark.parametrize("kind, axis", [("prismatic", "1 0 0"), ("revolute", "0 0 1")])
def test_a_mimic_limited_lower_above_upper_has_no_limits_of_its_own(tmp_path, kind, axis):
    # pybullet's "no limit" on a mimic slide was read as a moving base's +-1e6 m, then
    # refused: "joint 'jf': limits must be within [-1000, 1000] m (a prismatic joint's
    # travel), got (-1e+06, 1e+06)", figures the file never wrote
    path = _write(tmp_path, _turns(lo="-3", hi="3").replace(
        '<joint name="jf" type="revolute">', f'<joint name="jf" type="{kind}">').replace(
        '<axis xyz="0 0 1"/>\n    <limit lower="-1e+16" upper="1e+16" effort="0" velocity="0"/>',
        f'<axis xyz="{axis}"/>\n    <limit lower="1" upper="-1" effort="0" velocity="0"/>'
        f'<mimic joint="j2" multiplier="0.5"/>'), "mimic.urdf")
    robot = armsim.load_robot(path)
    assert robot.joint_names == ("j1", "j2") and robot.mimic == {"jf": ("j2", 0.5, 0.0)}
    assert robot.limits.tolist() == [[-3.0, 3.0], [-2.0, 2.0]]
    F = robot.frames(np.array([0.0, 0.8]), ["l2", "f"])
    moved = np.linalg.inv(F["l2"]) @ F["f"]
    if kind == "prismatic":
        assert np.allclose(moved[:3, 3], [0.3 + 0.4, 0.0, 0.0], atol=1e-12)
    else:
        c, s = np.cos(0.4), np.sin(0.4)
        assert np.allclose(moved[:3, :3], [[c, -s, 0], [s, c, 0], [0, 0, 1]], atol=1e-12)


@pytest.mark.parametrize("limits, message", [
    (dict(lx="-1e7"), "joint 'vx': limit lower must be within [-1e+06, 1e+06] m, got -1e+07"),
    (dict(lx="-1e16", ux="0"),
     "joint 'vx': limit lower must be within [-1e+06, 1e+06] m, got -1e+16"),
    (dict(lx="inf", ux="-inf"),
     "joint 'vx': limit lower must be within [-1e+06, 1e+06] m, got inf"),
])
def test_a_chain_does_not_send_to_the_whole_robot_a_slide_it_refuses(tmp_path, limits, message):
    # the chain said "an unbounded slide (a moving base's) ...: load the whole robot", which
    # then refused the same limits
    path = _write(tmp_path, _urdf(**limits))
    for load in (armsim.load_robot, lambda p: armsim.load_urdf(p, tip="tool")):
        with pytest.raises(ValueError) as got:
            load(path)
        assert str(got.value) == f"{path}: {message}"


def test_a_chain_reads_a_turn_limited_lower_above_upper_as_the_whole_robot_does(tmp_path):
    # (1e300, -1e300): the chain read a continuous joint, the whole robot refused it
    path = _write(tmp_path, _turns(lo="1e300", hi="-1e300"))
    message = f"{path}: joint 'j1': limit lower must be within [-1e+06, 1e+06] rad, got 1e+300"
    for load in (armsim.load_robot, lambda p: armsim.load_urdf(p, tip="l2")):
        with pytest.raises(ValueError) as got:
            load(path)
        assert str(got.value) == message
    assert armsim.load_urdf(_write(tmp_path, _turns(lo="1", hi="-1"), "b.urdf"),
                            tip="l2").joints[0].type == "continuous"


def test_with_no_tip_many_leaves_turning_in_place_are_not_told_to_name_a_link_farther_out(
        tmp_path):
    # 100 wheels on a base: past the 65 leaves tried, the first's "name a link farther out
    # as the tool" was said, of a wheel with no link beyond it
    wheels = "".join(f'<link name="w{i}"/><joint name="j{i}" type="continuous"><parent '
                     f'link="base"/><child link="w{i}"/><origin xyz="{0.01 * i} 0 0"/>'
                     f'<axis xyz="0 1 0"/></joint>' for i in range(100))
    path = _write(tmp_path, f'<robot name="w"><link name="base"/>{wheels}</robot>')
    with pytest.raises(ValueError) as got:
        armsim.load_urdf(path)
    assert str(got.value) == (
        f"{path}: none of the 65 leaves tried of the 100 below link 'base' (most joints "
        f"first) is carried 1 mm or more by its joints (wheels, rotors and fingers turning "
        f"in place): name the tool (tip=LINK; on the command line --tip LINK)")


@pytest.mark.parametrize("text, tip, message", [
    (_turns(lo="-1", hi="1e7"), "f",
     "joint 'j1': limit upper must be within [-1e+06, 1e+06] rad, got 1e+07"),
    (_turns(lo="0", hi="inf"), "f",
     "joint 'j1': limit upper must be within [-1e+06, 1e+06] rad, got inf"),
    (_turns(lo="nan", hi="1"), "f",
     "joint 'j1': limit lower must be within [-1e+06, 1e+06] rad, got nan"),
    (_urdf(lx="200", ux="1e7"), "tool",
     "joint 'vx': limit upper must be within [-1e+06, 1e+06] m, got 1e+07"),
])
def test_a_chain_refuses_limits_beyond_the_range_in_the_whole_robot_s_words(
        tmp_path, text, tip, message):
    # the chain said "limits must be within [-1e+06, 1e+06] rad, got (-1, 1e+07)", "limits
    # must be finite with lower <= upper, got (0.0, inf)" or, of a slide, "limits must be
    # within [-1000, 1000] m (a prismatic joint's travel), got (200, 1e+07)" where the whole
    # robot names the one number beyond its range
    path = _write(tmp_path, text)
    for load in (armsim.load_robot, lambda p: armsim.load_urdf(p, tip=tip)):
        with pytest.raises(ValueError) as got:
            load(path)
        assert str(got.value) == f"{path}: {message}"
