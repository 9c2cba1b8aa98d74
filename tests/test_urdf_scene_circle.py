"""The scene ``run_arm.py ANY.urdf`` writes moves the tool on a circle the arm can follow.

A SCARA (slide range 0.2 m) was started with its slide at the top of its range and given a
circle of radius 0.12 x reach (0.106 m) above and below that: half the lap out of reach
(mean error 33 mm in its report).  An arm of six joints, one locked by lower == upper,
was given its tool's rotation to hold, which five moving joints cannot (mean error 56 mm).
Now the scene's circle is the first radius and start whose points a solve reaches, and
the rotation is held only where the moving joints turn the tool every way."""

import numpy as np
import pytest

import armsim
import armsim.scene as scene_mod
from armsim.commands import robot_scenes as rs
from armsim.scene.targets import Circle

SCARA = """<?xml version="1.0"?>
<robot name="test_scara">
  <link name="base"/><link name="arm1"/><link name="arm2"/><link name="quill"/>
  <link name="flange"/><link name="tool"/>
  <joint name="shoulder" type="revolute"><parent link="base"/><child link="arm1"/>
    <origin xyz="0 0 0.4"/><axis xyz="0 0 1"/>
    <limit lower="-2.5" upper="2.5" effort="1" velocity="1"/></joint>
  <joint name="elbow" type="revolute"><parent link="arm1"/><child link="arm2"/>
    <origin xyz="0.35 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-2.6" upper="2.6" effort="1" velocity="1"/></joint>
  <joint name="z_slide" type="prismatic"><parent link="arm2"/><child link="quill"/>
    <origin xyz="0.25 0 0"/><axis xyz="0 0 -1"/>
    <limit lower="0" upper="0.2" effort="1" velocity="1"/></joint>
  <joint name="wrist" type="continuous"><parent link="quill"/><child link="flange"/>
    <origin xyz="0 0 -0.05"/><axis xyz="0 0 1"/></joint>
  <joint name="tool_fixed" type="fixed"><parent link="flange"/><child link="tool"/>
    <origin xyz="0.03 0 -0.02"/></joint>
</robot>
"""


def six_joints(locked):
    """A six-joint arm (UR-like offsets, our own numbers); joint 3 locked at 0.4 rad when
    ``locked``."""
    axes = ["0 0 1", "0 1 0", "0 1 0", "0 1 0", "0 0 1", "0 1 0"]
    xyz = ["0 0 0.1", "0 0.12 0", "0.3 0 0", "0.28 0 0", "0 0.1 0", "0 0 0.09"]
    links = "".join(f'<link name="l{i}"/>' for i in range(7))
    joints = []
    for i, (a, o) in enumerate(zip(axes, xyz)):
        lo, hi = ("0.4", "0.4") if locked and i == 2 else ("-2.8", "2.8")
        joints.append(f'<joint name="j{i + 1}" type="revolute"><parent link="l{i}"/>'
                      f'<child link="l{i + 1}"/><origin xyz="{o}"/><axis xyz="{a}"/>'
                      f'<limit lower="{lo}" upper="{hi}" effort="1" velocity="1"/></joint>')
    return f'<?xml version="1.0"?><robot name="six">{links}{"".join(joints)}</robot>'


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def circle_of(text):
    """The scene's circle target and whether it holds a rotation."""
    import tomllib
    doc = tomllib.loads(text)
    t = doc["target"]
    return Circle(t["center"], t["radius"], 24, normal=t["normal"]), "quaternion" in t, doc


@pytest.mark.parametrize("kind", ["scara", "locked"])
def test_the_scene_of_an_unusual_arm_tracks_its_circle(tmp_path, kind):
    path = (write(tmp_path, "scara.urdf", SCARA) if kind == "scara"
            else write(tmp_path, "six.urdf", six_joints(True)))
    text = rs.robot_scene(urdf=str(path))
    circle, rotation, doc = circle_of(text)
    assert not rotation                 # 4 joints; 5 that move
    chain = armsim.load_urdf(path)
    start = np.array(doc["arm"]["angles"])
    for k in range(24):                 # every point of the lap is reached
        r = armsim.solve(chain, circle(k), q0=start)
        assert r.success and r.residual < 1e-5, k
    # the scene itself: its tool on the target all lap long
    scene_file = write(tmp_path, "s.toml", text)
    sim = scene_mod.build_simulation(scene_mod.load(str(scene_file)))
    errors = []
    for _ in range(doc["render"]["frames"]):
        sim.step()
        t = np.asarray(sim.state.target, dtype=float)
        aim = t[:3, 3] if t.ndim == 2 else t[:3]
        errors.append(float(np.linalg.norm(chain.tip_position(sim.state.q) - aim)))
    assert max(errors) < 1e-4


def test_a_scaras_circle_is_within_its_slide(tmp_path):
    chain = armsim.load_urdf(write(tmp_path, "scara.urdf", SCARA))
    start, (R, centre, normal, radius) = rs.fitting_circle(chain)
    assert R is None
    assert radius < 0.1                 # the slide's 0.2 m holds the circle's diameter
    assert 0.0 < start[2] < 0.2         # the slide started away from both ends


def test_an_arm_of_six_moving_joints_holds_its_rotation(tmp_path):
    text = rs.robot_scene(urdf=str(write(tmp_path, "six.urdf", six_joints(False))))
    assert circle_of(text)[1]
    assert rs.holds_pose(armsim.load_urdf(tmp_path / "six.urdf"))
    assert not rs.holds_pose(armsim.load_urdf(write(tmp_path, "six_locked.urdf",
                                                    six_joints(True))))


def test_a_singular_start_still_holds_the_rotation_of_a_snake():
    # snake20's start is singular (rank 5) but its joints turn the tool every way elsewhere
    chain = armsim.robots.load("snake20")
    assert rs.holds_pose(chain)
    assert "quaternion" in rs.robot_scene(name="snake20")
