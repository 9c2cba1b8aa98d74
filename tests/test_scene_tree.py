"""Whole robots in scene files: [arm] tips and [[tool]] tables, round trips, the simulation a
scene builds, and every bad input by its exact one-line message (API and command line)."""

from pathlib import Path

import numpy as np
import pytest

from armsim.cli import main
from armsim.ik.tree_tracking import TreeSimulation
from armsim.scene import SceneError, build_simulation, dumps, load, loads

ROOT = Path(__file__).resolve().parents[1]
SCENES = [ROOT / "scenes" / n for n in ("dual_arm.toml", "panda_hand.toml",
                                        "dual_arm_obstacle.toml")]

TOOL = '[[tool]]\nlink = "{}"\nkind = "fixed"\npoint = [0.4, 0.5, 0.9]\n'
ARM = '[arm]\nrobot = "dual_arm"\n'


@pytest.mark.parametrize("path", SCENES, ids=lambda p: p.name)
def test_shipped_tree_scenes_round_trip_and_build_a_tree_simulation(path):
    scene = load(path)
    assert scene.arm.tree is not None and scene.target is None
    assert loads(dumps(scene), source=str(path)) == scene
    sim = build_simulation(scene)
    assert isinstance(sim, TreeSimulation)
    assert [t.link for t in sim.state.tools] == [t.link for t in scene.tool.items]
    assert np.allclose(sim.q0, scene.arm.angles)


def test_tools_without_tips_make_the_leaves_the_tips():
    scene = loads(ARM + TOOL.format("right_tool"))
    assert scene.arm.tree.tips == ("left_tool", "right_tool")
    sim = build_simulation(scene)
    sim.step()
    assert [t.link for t in sim.state.tools] == ["right_tool"]
    assert sim.state.tools[0].target[:3, 3].tolist() == [0.4, 0.5, 0.9]


def test_a_mouse_tool_without_start_starts_at_its_tool():
    scene = loads(ARM + '[[tool]]\nlink = "left_tool"\nkind = "mouse"\n')
    sim = build_simulation(scene)
    t = sim.state.tools[0]
    assert t.error == 0.0
    assert np.allclose(t.target[:3, 3], t.frame[:3, 3])


BAD = [
    (TOOL.format("left_link3"),
     "tool[0].link: 'left_link3' is not a tip of the robot; its tips: left_tool, right_tool"),
    ('tips = ["left_tool"]\n',
     "tool: missing; a whole robot (arm.tips) takes one [[tool]] per tool it moves "
     "(its tips: left_tool)"),
    ('tips = ["left_tool"]\n[target]\nkind = "fixed"\npoint = [0.4, 0.5, 0.9]\n',
     "target: a whole robot (arm.tips) takes one [[tool]] per tool, not [target]"),
    (TOOL.format("left_tool") + '[target]\nkind = "fixed"\npoint = [0.4, 0.5, 0.9]\n',
     "tool: give [target] (one tool) or [[tool]] (a whole robot's tools), not both"),
    (TOOL.format("left_tool") + TOOL.format("left_tool"),
     "tool[1].link: 'left_tool' has a [[tool]] already (one per tip)"),
    ('tip_link = "left_tool"\n' + TOOL.format("left_tool"),
     "arm.tip_link: a whole robot has no tip_link (its tools are arm.tips, or [[tool]] links)"),
    ('angles = [0.0]\n' + TOOL.format("left_tool"),
     "arm.angles: must have 15 item(s), one per free joint of the robot "
     "(robot.joint_names), got 1"),
    ('angles = [' + ", ".join(["0.0"] * 4) + ', 0.0' + ", 0.0" * 10 + ']\n'
     + TOOL.format("left_tool"),
     "arm.angles[4]: must be within the joint's limits [-3.0718, -0.0698] rad "
     "(left_joint4), got 0.0 rad"),
    (TOOL.format("left_tool") + '[solver]\nmethod = "ccd"\n',
     "solver.method: 'ccd' cannot move a whole robot; use one of dls, gradient, pinv"),
    ('[[tool]]\nlink = "left_tool"\nkind = "figure8"\nsize = [1, 1]\nperiod = 3\n',
     "tool[0].kind: 'figure8' is for a planar arm; a spatial arm takes one of fixed, mouse, "
     "waypoints, circle, line"),
    ('[[tool]]\nlink = "left_tool"\nkind = "figure8"\ncenter = [0.4, 0, 0.4]\nperiod = 3\n',
     "tool[0].kind: 'figure8' is for a planar arm; a spatial arm takes one of fixed, mouse, "
     "waypoints, circle, line"),
    ('[[tool]]\nlink = "left_tool"\nkind = "random"\n',
     "tool[0].kind: 'random' is for a planar arm; a spatial arm takes one of fixed, mouse, "
     "waypoints, circle, line"),
    ('[[tool]]\nlink = "left_tool"\nkind = "fixed"\npoint = [1, 1]\n',
     "tool[0].point: a spatial arm takes [x, y, z], got 2 numbers"),
    ('[[tool]]\nkind = "fixed"\npoint = [1, 1, 1]\n',
     "tool[0].link: missing; expected a non-empty string (a tip of the robot)"),
    ('[[tool]]\nlink = "left_tool"\npoint = [1, 1, 1]\n',
     # (it offered 'figure8' and 'random' too, which a tool's kind then refuses)
     "tool[0].kind: missing; expected one of 'fixed', 'mouse', 'waypoints', 'circle', "
     "'line'"),
    ('[[tool]]\nlink = "left_tool"\nkind = "fixed"\npoint = [1, 1, 1]\nweights = [1, 1, 1, 1, 1, 1]\n',
     "tool[0].weights: must have 3 items (x, y, z: the target has no orientation), got 6"),
    (TOOL.format("left_tool") + '[compare]\nmethod = "pinv"\n',
     "compare: a whole robot's scene has no [compare] (one robot, its tools' targets only)"),
    (TOOL.format("left_tool") + '[[objective]]\nkind = "point"\npoint = 3\n'
     'target = [0.3, 0.3, 0.9]\n',
     "objective[0].kind: a whole robot's scene takes no 'point' objective (its point is a "
     "chain's index; a robot's links have names)"),
    (TOOL.format("left_tool") + '[[obstacle]]\nkind = "circle"\ncenter = [1, 1, 1]\nradius = 0.1\n',
     "obstacle[0].kind: a spatial arm takes 'sphere', not 'circle'"),
    (TOOL.format("left_tool") + '[[obstacle]]\nkind = "box"\ncenter = [1, 1]\nsize = [1, 1]\n',
     "obstacle[0].center: a spatial arm takes 3 numbers, got 2"),
    (TOOL.format("left_tool") + '[[objective]]\nkind = "posture"\nrest = [0, 0]\n',
     "objective[0].rest: must have one angle per joint (15), got 2"),
    (TOOL.format("left_tool") + '[[obstacle]]\nkind = "sphere"\ncenter = [1, 1, 1]\nradius = 0.1\n'
     '[solver]\nmethod = "ccd"\n',
     "solver.method: 'ccd' cannot move a whole robot; use one of dls, gradient, pinv"),
]

OBJECTIVES = ('[[obstacle]]\nkind = "sphere"\ncenter = [0.6, 0.0, 1.05]\nradius = 0.2\n'
              'clearance = 0.03\nlink_radius = 0.06\n'
              '[[obstacle]]\nkind = "box"\ncenter = [0.5, 0.9, 0.3]\nsize = [0.2, 0.2, 0.2]\n'
              '[[obstacle]]\nkind = "capsule"\na = [0.5, -0.9, 0.2]\nb = [0.5, -0.9, 0.5]\n'
              'radius = 0.05\n'
              '[[objective]]\nkind = "self_collision"\nlink_radius = 0.03\n'
              '[[objective]]\nkind = "posture"\nweight = 0.01\n'
              '[[objective]]\nkind = "joint_limits"\n'
              '[[objective]]\nkind = "smoothness"\n')


def test_a_whole_robot_s_scene_takes_obstacles_and_objectives():
    import armsim
    scene = loads(ARM + TOOL.format("left_tool") + OBJECTIVES, source="s.toml")
    assert loads(dumps(scene), source="s.toml") == scene
    sim = build_simulation(scene)
    assert [type(o) for o in sim.objectives] == [
        armsim.SelfCollision, armsim.Posture, armsim.JointLimitBarrier, armsim.Smoothness,
        armsim.Obstacle, armsim.Box, armsim.Capsule]
    np.testing.assert_array_equal(sim.objectives[1].q_rest, sim.q0)    # rest: the start
    for _ in range(30):
        st = sim.step()
    assert st.clearance == pytest.approx(min(o.clearance_of(sim.robot, st.q)
                                             for o in sim.objectives
                                             if hasattr(o, "clearance_of")), abs=1e-12)
    assert st.clearance > 0 and st.error < 1e-3


def test_an_obstacle_round_the_robot_s_base_is_named_by_its_item():
    bad = '[[obstacle]]\nkind = "sphere"\ncenter = [0, 0, 0.5]\nradius = 0.3\n'
    with pytest.raises(SceneError) as err:
        build_simulation(loads(ARM + TOOL.format("left_tool") + bad, source="s.toml"))
    assert str(err.value) == ("s.toml: obstacle[0]: Obstacle: the robot's point (0, 0, 0.5), "
                              "which no joint moves (its base), is inside it: no pose can "
                              "clear it")


@pytest.mark.parametrize("rest, message", BAD, ids=[m.split(":")[0] + str(i)
                                                     for i, (_, m) in enumerate(BAD)])
def test_bad_tree_scene_by_exact_message(rest, message):
    with pytest.raises(SceneError) as err:        # arm keys first, then the tables
        loads(ARM + rest, source="s.toml")
    assert str(err.value) == f"s.toml: {message}"


@pytest.mark.parametrize("text, message", [
    ('[arm]\nlengths = [1.0, 1.0]\n' + TOOL.format("a"),
     "arm.lengths: a scene with [[tool]] moves a whole robot: give arm.robot or arm.urdf"),
    ('[arm]\ndh = [[0, 0, 1, 0]]\ntips = ["a"]\n' + TOOL.format("a"),
     "arm.tips: only an arm with arm.robot or arm.urdf has this key"),
    (ARM + 'tool = 3\n', None),
    ('tool = 3\n' + ARM, "tool: expected an array of tables ([[tool]] ...), got 3"),
    ('tool = [3]\n' + ARM, "tool[0]: expected a table, got 3"),
])
def test_tree_keys_on_other_arms_by_exact_message(text, message):
    if message is None:        # `tool = 3` under [arm] is a key of the arm
        with pytest.raises(SceneError, match=r"^s.toml: arm.tool: unknown key; expected one of "):
            loads(text, source="s.toml")
        return
    with pytest.raises(SceneError) as err:
        loads(text, source="s.toml")
    assert str(err.value) == f"s.toml: {message}"


def test_a_bad_tree_scene_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(ARM + TOOL.format("left_link3"))
    out = tmp_path / "out.gif"
    assert main([str(bad), "--gif", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == (f"{bad}: tool[0].link: 'left_link3' is not a tip of the robot; its tips: "
                   f"left_tool, right_tool\n")
    assert not out.exists()


@pytest.mark.parametrize("robot", ["panda", "dual_arm"])
def test_a_circle_whose_path_leaves_the_coordinate_range_is_refused(robot):
    """A circle of centre 1e6 and radius 0.12 would move its target past +-1e6 m (found by
    tests/test_fuzz_cli.py: a ValueError mid-run); the scene refuses it up front, for a
    chain's target and a whole robot's tool alike."""
    if robot == "panda":
        text = ('[arm]\nrobot = "panda"\n[target]\nkind = "circle"\n'
                'center = [0.4, 0.0, 1000000.0]\nradius = 0.12\nperiod = 240\n')
        where = "target.center"
    else:
        text = (ROOT / "scenes" / "dual_arm.toml").read_text().replace(
            "center = [0.4635, -0.4828, 0.95]", "center = [0.4635, -0.4828, 1000000.0]")
        where = "tool[1].center"
    with pytest.raises(SceneError) as err:
        loads(text, source="s.toml")
    assert str(err.value) == (f"s.toml: {where}: with radius 0.12 the target's path leaves "
                              "+-1e+06 m (largest coordinate 1e+06)")


WP = ('[[tool]]\nlink = "right_tool"\nkind = "waypoints"\n'
      'points = [[0.4, 0.5, 0.9], [0.5, 0.5, 0.9]]\n')
LINE = '[[tool]]\nlink = "right_tool"\nkind = "line"\nperiod = 60\nstart = [0.4, 0.5, 0.9]\n'


@pytest.mark.parametrize("rest, message", [
    (TOOL.format("left_tool") + 'quaternion = [1, 0, 0, 0]\nrpy = [0, 0, 0]\n',
     "tool[0].rpy: give tool[0].quaternion or tool[0].rpy, not both"),
    (TOOL.format("left_tool") + WP,
     "tool[1].hold: give exactly one of tool[1].hold [frames] and tool[1].times [frames]"),
    (TOOL.format("left_tool") + WP + 'times = [5, 5]\n',
     "tool[1].times[1]: must be > tool[1].times[0] = 5.0, got 5.0"),
    (TOOL.format("left_tool") + WP + 'times = [5, 6]\nloop = true\n',
     "tool[1].loop: loop needs tool[1].hold, not tool[1].times"),
    (WP + 'hold = 5\nquaternions = [[1, 0, 0, 0], [1, 0, 0, 0]]\nrpy = [[0, 0, 0], [0, 0, 0]]\n',
     "tool[0].rpy: give tool[0].quaternions or tool[0].rpy, not both"),
    (LINE + 'end = [0.4, 0.5, 0.9]\n', "tool[0].end: must differ from tool[0].start, got "
                                       "[0.4, 0.5, 0.9]"),
])
def test_a_tools_message_names_its_own_keys_not_targets(rest, message):
    # a [[tool]]'s keys were called a [target]'s in its messages: "tool[0].rpy: give
    # target.quaternion or target.rpy, not both", "tool[1].times[1]: must be > target.times[0]"
    with pytest.raises(SceneError) as err:
        loads(ARM + rest, source="s.toml")
    assert str(err.value) == f"s.toml: {message}"
