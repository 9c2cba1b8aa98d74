"""Robots a user brings: layouts the shipped models do not have (a gripper whose fingers
each have one joint at the tool, a tool and its parent both solved, many tools), solved
from Python and the command line."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import armsim

ROOT = Path(__file__).resolve().parents[1]

GRIPPER = """<robot name="gripper">
  <link name="base"/><link name="palm"/><link name="fa"/><link name="fb"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="palm"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="ja" type="revolute"><parent link="palm"/><child link="fa"/>
    <origin xyz="0 0.05 0.1"/><axis xyz="1 0 0"/><limit lower="-1" upper="1"/></joint>
  <joint name="jb" type="revolute"><parent link="palm"/><child link="fb"/>
    <origin xyz="0 -0.05 0.1"/><axis xyz="1 0 0"/><limit lower="-1" upper="1"/></joint>
</robot>
"""

# l3 hangs from l2 by one joint whose axis passes through l3: solving both l2 and l3 leaves
# l3 one joint of its own that only turns it about itself
STACK = """<robot name="stack">
  <link name="base"/><link name="l1"/><link name="l2"/><link name="l3"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/><limit lower="-2" upper="2"/></joint>
  <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="j3" type="revolute"><parent link="l2"/><child link="l3"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
</robot>
"""


# two arms straight from the root: no joint comes before either arm's own joints
TWO_ARMS = """<robot name="two">
  <link name="torso"/><link name="a1"/><link name="a2"/><link name="b1"/><link name="b2"/>
""" + "".join(f"""  <joint name="j{s}1" type="revolute"><parent link="torso"/><child link="{s}1"/>
    <origin xyz="0 {y} 0"/><axis xyz="0 0 1"/><limit lower="-2" upper="2"/></joint>
  <joint name="j{s}2" type="revolute"><parent link="{s}1"/><child link="{s}2"/>
    <origin xyz="0.3 0 0"/><axis xyz="0 0 1"/><limit lower="-2" upper="2"/></joint>
""" for s, y in (("a", 0.2), ("b", -0.2))) + "</robot>\n"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def _fk_ok(robot, q, targets, tol):
    F = robot.frames(np.asarray(q, dtype=float), list(targets))
    return all(np.linalg.norm(F[k][:3, 3] - np.asarray(t)[..., :3, 3]
                              if np.shape(t) == (4, 4) else F[k][:3, 3] - t) < tol
               for k, t in targets.items())


@pytest.mark.parametrize("text, tips", [(GRIPPER, None), (STACK, ["l2", "l3"])])
@pytest.mark.parametrize("pose", [False, True])
def test_a_tool_whose_own_joint_turns_it_about_itself_is_solved(tmp_path, text, tips, pose):
    robot = armsim.load_robot(_write(tmp_path, "r.urdf", text),
                              **({"tips": tips} if tips else {}))
    rng = np.random.default_rng(3)
    for _ in range(3):
        q = rng.uniform(-0.8, 0.8, robot.n)
        F = robot.frames(q, list(robot.tips))
        targets = {k: (F[k] if pose else F[k][:3, 3]) for k in robot.tips}
        r = armsim.solve(robot, targets, tol=1e-7)
        assert r.success and _fk_ok(robot, r.q, targets, 1e-6)
        b = armsim.solve_batch(robot, {k: np.repeat(v[None], 2, axis=0)
                                       for k, v in targets.items()}, tol=1e-7)
        assert b.success.all()
        assert all(_fk_ok(robot, qb, targets, 1e-6) for qb in b.q)


def test_tools_that_share_no_joint_restart_from_their_own_tables(tmp_path):
    # the single solve's restart read the frame its own joints hang from, which a tool
    # whose first joint hangs from the root has not: a TypeError on the first restart
    robot = armsim.load_robot(_write(tmp_path, "two.urdf", TWO_ARMS))
    assert list(robot.joint_names) == ["ja1", "ja2", "jb1", "jb2"]
    targets = {"a2": np.array([0.0, 0.5, 0.0]), "b2": np.array([0.0, -0.5, 0.0])}
    res = armsim.solve(robot, targets)
    assert res.success and _fk_ok(robot, res.q, targets, 1e-6)
    batch = armsim.solve_batch(robot, {k: v[None] for k, v in targets.items()})
    np.testing.assert_allclose(batch.q[0], res.q, atol=1e-9)


def test_the_gripper_runs_from_a_scene_with_restarts(tmp_path):
    _write(tmp_path, "gripper.urdf", GRIPPER)
    scene = _write(tmp_path, "grip.toml", """seed = 0
[arm]
urdf = "gripper.urdf"
tips = ["fa", "fb"]
angles = [0.0, 0.0, 0.0]
[[tool]]
link = "fa"
kind = "circle"
center = [0.0, 0.05, 0.4]
normal = [1.0, 0.0, 0.0]
radius = 0.05
period = 30
[[tool]]
link = "fb"
kind = "circle"
center = [0.0, -0.05, 0.4]
normal = [1.0, 0.0, 0.0]
radius = 0.05
period = 30
[solver]
method = "dls"
iterations_per_frame = 8
restarts = 5
[render]
size = [120, 90]
frames = 6
""")
    out = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(scene), "--gif",
                          str(tmp_path / "g.gif")], capture_output=True, text=True,
                         cwd=tmp_path, env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin",
                                            "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "g.gif").stat().st_size > 0


def _hedgehog(arms):
    """A base with ``arms`` two-joint arms, each ending in a tool 0.2 m out."""
    out = ['<robot name="hedgehog">', '  <link name="base"/>']
    for i in range(arms):
        a = 2 * np.pi * i / arms
        out += [f'  <link name="u{i}"/><link name="t{i}"/><link name="e{i}"/>',
                f'  <joint name="ja{i}" type="revolute"><parent link="base"/><child link="u{i}"/>'
                f'<origin xyz="{0.3 * np.cos(a):.6f} {0.3 * np.sin(a):.6f} 0"/><axis xyz="0 0 1"/>'
                '<limit lower="-1" upper="1"/></joint>',
                f'  <joint name="jb{i}" type="revolute"><parent link="u{i}"/><child link="t{i}"/>'
                '<origin xyz="0.1 0 0"/><axis xyz="0 1 0"/><limit lower="-1" upper="1"/></joint>',
                f'  <joint name="je{i}" type="fixed"><parent link="t{i}"/><child link="e{i}"/>'
                '<origin xyz="0.2 0 0"/></joint>']
    return "\n".join(out + ["</robot>"])


def test_many_tools_solve_on_the_arrays_in_bounded_memory(tmp_path):
    from armsim.ik import restart_table
    from armsim.ik.loop import FLOAT_ROWS, Solver
    from armsim.ik.tree import for_tree
    robot = armsim.load_robot(_write(tmp_path, "h.urdf", _hedgehog(17)))
    q = np.random.default_rng(4).uniform(-0.9, 0.9, robot.n)
    F = robot.frames(q, list(robot.tips))
    targets = {k: F[k][:3, 3] for k in robot.tips}
    prob, _ = for_tree(robot, targets, batch=False)
    assert prob.m == 51 > FLOAT_ROWS
    solver = Solver(prob)
    assert not solver._float_one        # no generated solve of 51 rows
    r = armsim.solve(robot, targets, tol=1e-7)
    assert r.success and _fk_ok(robot, r.q, targets, 1e-6)
    # a table of many features holds fewer entries: at most TABLE_BYTES of features
    assert restart_table.table_entries(12) == restart_table.TABLE_SIZE
    wide = 12 * 1024
    assert restart_table.table_entries(wide) * wide * 8 <= restart_table.TABLE_BYTES
    assert restart_table.table_entries(10**9) == restart_table.NEAREST


def _run(tmp_path, *args):
    return subprocess.run([sys.executable, str(ROOT / "run_arm.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": str(ROOT)})


def test_a_parser_message_with_a_line_break_is_one_line(tmp_path):
    path = tmp_path / "nul.urdf"
    path.write_bytes(b'<robot name="r">\0<link name="a"/></robot>')
    with pytest.raises(ValueError, match="not well-formed XML") as got:
        armsim.load_robot(path)
    assert "\n" not in str(got.value)
    out = _run(tmp_path, path, "--gif", tmp_path / "n.gif")
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out.stderr
    assert "not well-formed XML" in out.stderr and not (tmp_path / "n.gif").exists()


def test_a_planar_joint_with_no_axis_is_named_in_one_line(tmp_path):
    path = _write(tmp_path, "p.urdf", """<robot name="p">
  <link name="world"/><link name="base"/><link name="tool"/>
  <joint name="fb" type="planar"><parent link="world"/><child link="base"/><axis xyz="0 0 0"/></joint>
  <joint name="j1" type="revolute"><parent link="base"/><child link="tool"/>
    <origin xyz="0.3 0 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/></joint>
</robot>""")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"joint 'fb': a planar joint's axis \(the normal "
                                             r"of its plane\) must not be zero$"):
            armsim.load_robot(path)


CAMERA = """<robot name="cam">
  <link name="base"/><link name="l1"/><link name="tool"/><link name="camera"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="j2" type="revolute"><parent link="l1"/><child link="tool"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="mount" type="fixed"><parent link="base"/><child link="camera"/>
    <origin xyz="0.2 0 0.5"/></joint>
</robot>"""


def test_the_default_tools_are_the_leaves_a_joint_moves(tmp_path):
    robot = armsim.load_robot(_write(tmp_path, "c.urdf", CAMERA))
    assert robot.tips == ("tool",)
    assert robot.reach == pytest.approx(0.3)
    assert robot.frames(np.zeros(2), []) == {}
    fixed = CAMERA.replace('type="revolute"', 'type="fixed"')
    with pytest.raises(ValueError, match="no link is moved by a joint|movable"):
        armsim.load_robot(_write(tmp_path, "f.urdf", fixed))
    with pytest.raises(ValueError, match="tips must be a list of link names, got int$"):
        armsim.load_robot(tmp_path / "c.urdf", tips=5)


def test_link_names_with_marks_and_generated_base_names_do_not_clash(tmp_path):
    text = STACK.replace('"l3"', '"l#3"').replace('"l1"', '"world_base"')
    robot = armsim.load_robot(_write(tmp_path, "s.urdf", text), base_joint="floating")
    assert "l#3" in robot.links and "world_base" in robot.links
    q = np.zeros(robot.n)
    q[-3:] = (0.2, 0.4, 0.3)
    target = robot.frames(q, ["l#3"])["l#3"]
    r = armsim.solve(robot, {"l#3": target}, q0=q * 0.9, tol=1e-7)
    assert r.success and _fk_ok(robot, r.q, {"l#3": target}, 1e-6)
    # the file's own names are kept; the added base takes the next free ones
    clash = STACK.replace('name="j1"', 'name="base_x"').replace('"base"', '"world"')
    robot = armsim.load_robot(_write(tmp_path, "w.urdf", clash), base_joint="planar")
    assert robot.root == "world_2" and robot.joint_names[:4] == (
        "base_2_x", "base_2_y", "base_2_yaw", "base_x")


def test_a_repeated_tip_is_taken_as_one_name_and_the_report_error_names_its_file(tmp_path):
    _write(tmp_path, "c.urdf", GRIPPER.replace('"fb"', '"f,b"'))
    out = _run(tmp_path, "c.urdf", "--tip", "fa", "--tip", "f,b", "--gif", "g.gif",
               "--frames", "2", "--size", "120x90")
    assert out.returncode == 0, out.stderr
    if Path("/dev/full").exists():
        out = _run(tmp_path, "c.urdf", "--tip", "fa", "--tip", "f,b", "--gif", "h.gif",
                   "--report", "/dev/full", "--frames", "2", "--size", "120x90")
        assert out.returncode == 2 and out.stderr.strip() == (
            "armsim: error: cannot write '/dev/full': No space left on device")
        assert not (tmp_path / "h.gif").exists()


@pytest.mark.parametrize("weights", [[object(), 1, 1], [1j, 1, 1], "abc", [1e300, 1, 1],
                                     [1e-9, 1, 1], [1, 1]])
def test_bad_weights_are_one_line_errors(tmp_path, weights):
    robot = armsim.load_robot(_write(tmp_path, "g.urdf", GRIPPER))
    with pytest.raises(ValueError, match=r"^the weights of target 'fa' must be 3 finite "
                                         r"numbers >= 0, not all 0, within a ratio of 1e\+06"):
        armsim.solve(robot, {"fa": armsim.Target(np.zeros(3), weights=weights)})
    from armsim.ik.problems import SpatialTarget
    arm = armsim.load_urdf(tmp_path / "g.urdf", tip="fa")
    with pytest.raises(ValueError, match=r"^weights must be 3 finite numbers >= 0"):
        SpatialTarget(arm, "position", weights=weights)


def test_priority_with_a_main_task_of_lower_rank_stays_finite(tmp_path):
    arm = armsim.load_urdf(_write(tmp_path, "s.urdf", STACK), tip="l3")   # l3 on j3's axis
    p = arm.pose(np.array([0.3, 0.4, -0.5]))[1]
    r = armsim.solve(arm, p, objectives=[armsim.Posture(np.zeros(3))], priority=True,
                     tol=1e-7)
    assert np.isfinite(r.q).all() and r.success
    assert np.linalg.norm(arm.pose(r.q)[1] - p) < 1e-6
    assert abs(r.q[2]) < 1e-6          # j3 moves nothing of the task: the posture keeps it 0


def test_a_moving_base_does_not_loosen_the_default_tolerance(tmp_path):
    from armsim.ik.tree import for_tree
    robot = armsim.load_robot(_write(tmp_path, "g.urdf", GRIPPER), base_joint="floating")
    assert robot.reach > 300.0                       # its slides' travel: 100 m each
    q = np.zeros(robot.n)
    q[:6] = (0.4, -0.2, 0.1, 0.3, 0.0, 0.0)
    q[6:] = (0.5, 0.3, -0.2)
    F = robot.frames(q, list(robot.tips))
    targets = {k: F[k][:3, 3] for k in robot.tips}
    prob, _ = for_tree(robot, targets, batch=False)
    # the arm's reach from the base: the palm 0.3 m up, a finger 0.112 m from the wrist
    assert prob.tol_scale == pytest.approx(0.3 + np.hypot(0.05, 0.1))
    r = armsim.solve(robot, targets)                 # the default tol: 1e-6 x the arm's reach
    assert r.success and _fk_ok(robot, r.q, targets, 1e-6 * 0.5)


MOBILE = """<robot name="mp">
  <link name="world"/><link name="chassis"/><link name="a1"/><link name="a2"/><link name="tool"/>
  <joint name="plane" type="planar"><parent link="world"/><child link="chassis"/>
    <axis xyz="0 0 1"/></joint>
  <joint name="aj1" type="revolute"><parent link="chassis"/><child link="a1"/>
    <origin xyz="0 0 0.2"/><axis xyz="0 0 1"/><limit lower="-3" upper="3"/></joint>
  <joint name="aj2" type="revolute"><parent link="a1"/><child link="a2"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="aj3" type="fixed"><parent link="a2"/><child link="tool"/>
    <origin xyz="0.4 0 0"/></joint>
</robot>
"""


@pytest.mark.parametrize("travel", [10.0, 30.0])
def test_a_moving_base_is_not_turned_by_whole_turns_after_a_restart(tmp_path, travel):
    # a restart's answer had its unbounded joints turned by whole turns towards the start,
    # the base's slides too: 2 pi metres (a target 10 m away ended 4 pi m from the tool)
    robot = armsim.load_robot(_write(tmp_path, "m.urdf", MOBILE))
    assert list(robot.joint_names)[:2] == ["plane_x", "plane_y"]
    q = np.zeros(robot.n)
    q[0] = travel
    targets = {"tool": robot.frames(q, ["tool"])["tool"][:3, 3]}
    res = armsim.solve(robot, targets)
    assert res.success and _fk_ok(robot, res.q, targets, 1e-6)
    assert robot.n == 5 and list(armsim.ik.tree.for_tree(robot, targets, False)[0]
                                  .turnable()) == [False] * 5     # (yaw: wrapped by clip)


@pytest.mark.parametrize("base", ["planar", "floating"])
def test_a_moving_base_drives_to_a_far_target(tmp_path, base):
    # each attempt was cut short by the progress rule (the error must halve every 3
    # iterations) and every restart put the base back at the origin: a pose 90 m away
    # ended 74 m off after 183 iterations, where one attempt of 9 iterations reaches it
    robot = armsim.load_robot(_write(tmp_path, "m.urdf", MOBILE.replace('"planar"',
                                                                          f'"{base}"')))
    q = np.zeros(robot.n)
    q[:2] = (90.0, 30.0)
    targets = {"tool": robot.frames(q, ["tool"])["tool"]}
    res = armsim.solve(robot, targets)
    assert res.success and res.iterations < 40
    F = robot.frames(res.q, ["tool"])["tool"]
    assert np.abs(F - targets["tool"]).max() < 1e-5


def test_a_function_s_variables_are_not_turned_by_whole_turns():
    # a FunctionProblem's variable is no angle: turning a restart's answer by -2 pi left
    # q^3 - 4 q = 20 unsolved (residual 37, success False)
    from armsim.ik.problems import FunctionProblem
    res = armsim.solve(FunctionProblem(lambda q: q**3 - 4 * q, n=1, m=1), [20.0], q0=[-3.0],
                       restarts=5)
    assert res.success and abs(res.q[0] ** 3 - 4 * res.q[0] - 20.0) < 1e-5


FINGERS = """<robot name="g">
  <link name="palm"/><link name="f1"/><link name="f2"/>
  <joint name="finger1" type="prismatic"><parent link="palm"/><child link="f1"/>
    <origin xyz="0 0.02 0.05"/><axis xyz="0 1 0"/><limit lower="0" upper="0.04"/></joint>
  <joint name="finger2" type="prismatic"><parent link="palm"/><child link="f2"/>
    <origin xyz="0 -0.02 0.05"/><axis xyz="0 1 0"/><limit lower="{lo}" upper="{hi}"/>
    <mimic joint="finger1" multiplier="-1" offset="0.01"/></joint>
</robot>
"""


def test_a_mimic_s_own_limits_bound_the_joint_it_mimics(tmp_path):
    # finger2 = 0.01 - finger1 within [-0.01, 0.01] holds finger1 in [0, 0.02]; its limits
    # were ignored (a solve left finger2 at -0.025 and said success)
    robot = armsim.load_robot(_write(tmp_path, "g.urdf", FINGERS.format(lo=-0.01, hi=0.01)))
    assert robot.limits.tolist() == [[0.0, 0.02]]
    far = {"f1": robot.frames(np.array([0.02]), ["f1"])["f1"][:3, 3] + [0, 0.015, 0]}
    res = armsim.solve(robot, far)
    assert not res.success and res.q[0] == pytest.approx(0.02)
    F = robot.frames(res.q, ["f2"])["f2"]
    assert F[1, 3] == pytest.approx(-0.02 + (0.01 - 0.02), abs=1e-12)   # finger2 at -0.01
    with pytest.raises(ValueError, match=r"b.urdf: joint 'finger2': its limits \[0.5, 0.6\] allow no "
                                         r"value of joint 'finger1' \(it mimics it\) within "
                                         r"\[0, 0.04\]$"):
        armsim.load_robot(_write(tmp_path, "b.urdf", FINGERS.format(lo=0.5, hi=0.6)))


# -- objectives on whole robots ----------------------------------------------------------------
def _dual_targets(seed):
    robot = armsim.robots.load_robot("dual_arm")
    q = np.random.default_rng(seed).uniform(robot.limits[:, 0], robot.limits[:, 1])
    F = robot.frames(q)
    return robot, q, {t: F[t] for t in robot.tips}


def test_an_objective_no_joint_can_change_is_refused_or_left_out():
    robot, q, targets = _dual_targets(5)
    with pytest.raises(ValueError, match=r"^PointTarget: 'base_link' is not moved by any joint$"):
        armsim.solve(robot, targets, objectives=[armsim.PointTarget("base_link", [1.0, 0, 0])])
    panda = armsim.robots.load("panda")
    with pytest.raises(ValueError, match=r"^PointTarget: point 1 is not moved by any joint$"):
        armsim.solve(panda, np.eye(4), objectives=[armsim.PointTarget(1, [1.0, 0, 0])])
    # a slab the fixed pedestal passes through: the pedestal is left out, the arms are not
    slab = armsim.Box([0, 0, 0.2], [1.0, 1.0, 0.1])
    r = armsim.solve(robot, targets, objectives=[slab])
    assert r.success and slab.clearance_of(robot, r.q[None])[0] > 0
    assert _fk_ok(robot, r.q, targets, 1e-5)


def test_self_collision_leaves_out_pairs_no_pose_parts():
    """Panda links 2-3 and 4-5 are joined by a 0.0825 m offset: with 0.05 m capsules they
    always touch, so the pair is left out (before: every solve ran out its restarts and the
    hand never succeeded, 0 of 8)."""
    robot = armsim.robots.load_robot("panda_hand")
    sc = armsim.SelfCollision(link_radius=0.05)
    rng = np.random.default_rng(1)
    for _ in range(6):
        q = rng.uniform(robot.limits[:, 0], robot.limits[:, 1])
        F = robot.frames(q)
        targets = {t: F[t] for t in robot.tips}
        r = armsim.solve(robot, targets, objectives=[sc])
        assert r.success and r.iterations < 600 and _fk_ok(robot, r.q, targets, 1e-5)
        if sc.clearance_of(robot, q[None])[0] > sc._margin:   # the targets' own pose is clear
            assert sc.clearance_of(robot, r.q[None])[0] > 0.0
    pairs = set(zip(sc._i.tolist(), sc._j.tolist()))
    d = sc.distance(armsim.ik.geometry.chain_points(
        robot, armsim.ik.geometry.samples(robot, 256, seed=11)))
    assert np.all(d.max(axis=0) > sc._margin) and len(pairs) == d.shape[1]


# a slide at 0 on its parent's origin (its link has no length there) and a second arm
SLIDE = """<robot name="slide">
  <link name="base"/><link name="l1"/><link name="l2"/><link name="tool"/>
  <link name="l1b"/><link name="toolb"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="s" type="prismatic"><parent link="l1"/><child link="l2"/>
    <origin xyz="0 0 0"/><axis xyz="0 0 1"/><limit lower="0" upper="0.6"/></joint>
  <joint name="t" type="fixed"><parent link="l2"/><child link="tool"/>
    <origin xyz="0 0 0.1"/></joint>
  <joint name="j2" type="revolute"><parent link="base"/><child link="l1b"/>
    <origin xyz="0.5 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="tb" type="fixed"><parent link="l1b"/><child link="toolb"/>
    <origin xyz="0 0 0.5"/></joint>
</robot>
"""


def test_a_slide_s_link_counts_though_it_has_no_length_at_zero(tmp_path):
    """The link a slide moves out was left out of obstacles and self-collision (of no length
    at the start, the joints at 0): a sphere on the slid-out link read 0.2 m clear, and the
    slide crossing the other arm 0.091 m clear, solved as it was."""
    path = _write(tmp_path, "slide.urdf", SLIDE)
    robot = armsim.load_robot(path, tips=["tool", "toolb"])
    sphere = armsim.Obstacle([0.0, 0.0, 0.55], 0.05)      # on the slide, 0.5 m out
    assert sphere.clearance_of(robot, [0.0, 0.5, 0.0]) == pytest.approx(-0.05, abs=1e-12)
    chain = armsim.load_urdf(path, tip="tool")             # a chain of the same joints
    assert sphere.clearance_of(chain, [0.0, 0.5]) == pytest.approx(-0.05, abs=1e-12)
    q = np.array([1.4, 0.6, 0.0])          # the slide runs through the other arm's link
    sc = armsim.SelfCollision(margin=0.02)
    assert sc.clearance_of(robot, q) == 0.0
    target = {"tool": robot.frames(q)["tool"][:3, 3]}
    res = armsim.solve(robot, target, q0=q, objectives=[sc])
    assert res.success and _fk_ok(robot, res.q, target, 1e-5)
    assert sc.clearance_of(robot, res.q) > 0.02 - 1e-6


@pytest.mark.parametrize("make, message", [
    (lambda: armsim.PointTarget([], []), r"^point must be numbers >= 0, got \[\]$"),
    (lambda: armsim.Obstacle([0.5, 0, 0.5], 1e300), r"^radius must be at most 1e\+06, got 1e\+300$"),
    (lambda: armsim.Obstacle([1e300, 0, 0], 0.1), r"^center must be numbers within \+-1e\+06"),
])
def test_objective_values_out_of_range_are_one_line_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_one_objective_may_be_given_alone():
    robot, q, targets = _dual_targets(3)
    one = armsim.solve(robot, targets, objectives=armsim.Posture(q))
    listed = armsim.solve(robot, targets, objectives=[armsim.Posture(q)])
    np.testing.assert_array_equal(one.q, listed.q)
    with pytest.raises(ValueError, match=r"^objectives must be a list of armsim objectives, "
                                         r"got int$"):
        armsim.solve(robot, targets, objectives=3)


def test_a_tiny_circle_normal_is_named_with_its_file_and_key(tmp_path):
    scene = _write(tmp_path, "n.toml", """[arm]
robot = "dual_arm"
[[tool]]
link = "left_tool"
kind = "circle"
center = [0.4, 0.4, 0.9]
radius = 0.1
period = 60
[[tool]]
link = "right_tool"
kind = "circle"
center = [0.4, -0.4, 0.9]
radius = 0.1
period = 60
normal = [1e-300, 0.0, 0.0]
""")
    out = _run(tmp_path, scene, "--gif", tmp_path / "x.gif")
    assert out.returncode == 2 and out.stderr.strip() == (
        f"{scene}: tool[1].normal: must be three finite numbers of length at least 1e-12, "
        f"got [1e-300, 0.0, 0.0]")
    assert not (tmp_path / "x.gif").exists()


def test_a_row_that_restarts_does_not_turn_another_rows_joints():
    """A row whose own solve never restarted keeps its answer when another row of the batch
    restarts (the whole-turn rule ran on every row: a 2 pi jump from the single solve)."""
    ch = armsim.Chain([0.4, 0.3, 0.2, 0.1])
    T = np.array([[0.01091582, 0.12839364], [0.0, 0.0]])
    kw = dict(method="ccd", first_start="q0")
    one = armsim.solve(ch, T[0], **kw)
    both = armsim.solve_batch(ch, T, **kw)
    np.testing.assert_allclose(both.q[0], one.q, rtol=0, atol=1e-12)
    assert both.iterations[0] == one.iterations


def test_views_trails_and_long_labels_are_checked_or_cut_fast():
    import pygame
    from armsim.view.style import _cut
    with pytest.raises(ValueError, match=r"^view.azimuth_deg: expected a number, got '90'$"):
        armsim.render(armsim.robots.load("panda"), view={"azimuth_deg": "90"})
    ch = armsim.Chain([0.5, 0.5])
    for bad in (float("inf"), None, 10**20, float("nan"), -1):
        with pytest.raises(ValueError, match=r"^trail_length must be an integer from 0 to "):
            armsim.animate(ch, np.zeros((3, 2)), trail_length=bad)
    pygame.font.init()
    real = pygame.font.Font(None, 16)

    class Counted:                      # the measurements a cut takes
        calls = 0

        def size(self, text):
            Counted.calls += 1
            return real.size(text)
    cut = _cut("x" * 30000, Counted(), 150)
    assert Counted.calls < 40           # bisection (one character at a time: 30,000)
    assert cut.endswith("...") and real.size(cut)[0] <= 150
    assert real.size("x" * (len(cut) - 2) + "...")[0] > 150     # the longest that fits


def test_a_tool_moved_by_fewer_than_six_joints_tracks_its_position_in_the_window(tmp_path):
    # as a chain of fewer than six joints does; held as a full pose, a small drag of one
    # tool pulled the other off its target (26 mm and 25 mm, stalled)
    from armsim.cli import tree_scene
    from armsim.scene import build_simulation, loads
    arm = "".join(f"""  <joint name="{s}{i}" type="revolute"><parent link="{p}"/><child link="{s}{i}l"/>
    <origin xyz="{x}"/><axis xyz="{ax}"/><limit lower="-2" upper="2"/></joint>
""" for s, y in (("a", 0.2), ("b", -0.2)) for i, (p, x, ax) in enumerate(
        [("torso", f"0 {y} 0.3", "0 0 1"), (f"{s}0l", "0 0 0.1", "0 1 0"),
         (f"{s}1l", "0.3 0 0", "0 1 0")]))
    links = "".join(f'<link name="{s}{i}l"/>' for s in "ab" for i in range(3))
    text = (f'<robot name="w"><link name="base"/><link name="torso"/>{links}'
            '<link name="a"/><link name="b"/>'
            '<joint name="waist" type="revolute"><parent link="base"/><child link="torso"/>'
            '<axis xyz="0 0 1"/><limit lower="-2" upper="2"/></joint>' + arm +
            '<joint name="ta" type="fixed"><parent link="a2l"/><child link="a"/>'
            '<origin xyz="0.25 0 0"/></joint>'
            '<joint name="tb" type="fixed"><parent link="b2l"/><child link="b"/>'
            '<origin xyz="0.25 0 0"/></joint></robot>')
    path = _write(tmp_path, "w.urdf", text)
    scene = loads(tree_scene(urdf=str(path), tips=["a", "b"]), "<w>")
    assert all(t.target.quaternion is None for t in scene.sections["tool"].items)
    sim = build_simulation(scene)
    start = {t.link: np.array(t.target, float) for t in sim.state.tools}
    a = start["a"][:3, 3] + [-0.05, 0.03, -0.04]        # (inward: the arms start straight)
    for _ in range(10):
        sim.step(targets={"a": a})
    st = sim.state
    assert st.tool("a").error < 1e-6 and st.tool("b").error < 1e-6
    dual = loads(tree_scene("dual_arm"), "<dual>")
    assert all(t.target.quaternion is not None for t in dual.sections["tool"].items)


def test_the_points_a_bind_samples_are_measured_once_per_chain():
    """moving_points and long_links judge the chain's points at the start and at four drawn
    joint vectors, measured once per chain (every objective's bind asked again: 3-4 ms on
    the dual arm): the kept points equal a fresh measure, read-only, and the same object
    for the next bind; the judgements are those of the points."""
    from armsim.ik import geometry
    for chain in (armsim.robots.load("panda"), armsim.robots.load_robot("dual_arm")):
        got = geometry._probed(chain)
        start = chain.clip(np.zeros(chain.n))[None]
        q = np.concatenate([start, geometry.samples(chain, 4, seed=7)])
        np.testing.assert_array_equal(got, geometry.chain_points(chain, q))
        assert not got.flags.writeable and geometry._probed(chain) is got
        moving = np.any(np.linalg.norm(got[1:] - got[1:2], axis=-1) > 1e-9, axis=0)
        np.testing.assert_array_equal(geometry.moving_points(chain), moving)
        assert geometry.long_links(chain).sum() > 0
        armsim.SelfCollision().bind(chain)
        assert geometry._probed(chain) is got
