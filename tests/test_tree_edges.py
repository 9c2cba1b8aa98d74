"""A user's URDF at its edges: mimic rules (a slide driven by a continuous joint, a multiplier
of 0, rules chained past their bounds, every joint a mimic), the planar base's axes, many
tools, many visuals, odd names and paths, and targets far beyond reach."""

import math
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import armsim
from armsim.ik.tree import MAX_TOOLS
from armsim.kinematics.visuals import MAX_VISUALS, chain_visuals

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


SCREW = """<robot name="screw"><link name="a"/><link name="b"/><link name="c"/><link name="d"/>
<joint name="spin" type="continuous"><parent link="a"/><child link="b"/>
  <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/></joint>
<joint name="lead" type="prismatic"><parent link="b"/><child link="c"/>
  <origin xyz="0.2 0 0"/><axis xyz="1 0 0"/><limit lower="0" upper="1"/>
  <mimic joint="spin" multiplier="{m}" offset="{o}"/></joint>
<joint name="tool" type="fixed"><parent link="c"/><child link="d"/><origin xyz="0.1 0 0"/></joint>
</robot>"""


@pytest.mark.parametrize("m, o", [(0.05, 0.0), (0.0, 0.03)])
def test_a_slide_driven_by_a_continuous_joint_stays_a_slide(tmp_path, m, o):
    robot = armsim.load_robot(_write(tmp_path, "screw.urdf", SCREW.format(m=m, o=o)))
    q = np.array([2.0])
    # by hand: turn 2 rad about z at 0.1 m up, then slide along the turned x by 2 m + o
    c, s = math.cos(2.0), math.sin(2.0)
    reach = 0.2 + 2.0 * m + o + 0.1
    want = np.array([c * reach, s * reach, 0.1])
    assert np.allclose(robot.frames(q)["d"][:3, 3], want, rtol=0, atol=1e-12)
    chain, cols, mult, off = robot.chain("d")
    assert [j.type for j in chain.joints] == ["continuous", "prismatic"]
    assert np.allclose(chain.matrix(q[cols] * mult + off)[:3, 3], want, rtol=0, atol=1e-12)
    lo, hi = chain.joints[1].lower, chain.joints[1].upper
    # the slide's own limits [0, 1] bound its source (it no longer turns): 0 to 20 rad
    assert (lo, hi) == ((o, o) if m == 0.0 else (0.0, 1.0))
    assert robot.continuous[0] == (m == 0.0) and list(robot.limits[0]) == (
        [-math.inf, math.inf] if m == 0.0 else [0.0, 20.0])      # (held at o: it turns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # no 0 x inf on the way
        r = armsim.solve(robot, {"d": robot.frames(q)["d"][:3, 3]}, tol=1e-9)
    assert r.success and np.allclose(robot.frames(r.q)["d"][:3, 3], want, rtol=0, atol=1e-9)


def _mimic_chain(levels, mult):
    links = "".join(f'<link name="l{i}"/>' for i in range(levels + 1))
    joints = "".join(
        f'<joint name="j{i}" type="revolute"><parent link="l{i}"/><child link="l{i + 1}"/>'
        f'<origin xyz="0 0 0.1"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/>'
        + (f'<mimic joint="j{i - 1}" multiplier="{mult}"/>' if i else "") + "</joint>"
        for i in range(levels))
    return f'<robot name="m">{links}{joints}</robot>'


def test_mimic_rules_followed_past_their_bounds_are_refused_at_load(tmp_path):
    path = _write(tmp_path, "m.urdf", _mimic_chain(4, 1000))
    with pytest.raises(ValueError, match=r"^.*m\.urdf: joint 'j2': its mimic rules followed to "
                                         r"joint 'j0' multiply it by 1e\+06 and add 0; each "
                                         r"must stay within \+-1000 and \[-1e\+06, 1e\+06\]$"):
        armsim.load_robot(path)
    armsim.load_robot(_write(tmp_path, "ok.urdf", _mimic_chain(4, 10)))     # 1000: bounded


@pytest.mark.parametrize("text, message", [
    ('<joint name="j1" type="revolute"><parent link="a"/><child link="b"/><axis xyz="0 0 1"/>'
     '<limit lower="-1" upper="1"/><mimic joint="j1"/></joint>',
     "mimic joints form a cycle: 'j1' -> 'j1'"),
    ('<joint name="j1" type="revolute"><parent link="a"/><child link="b"/><axis xyz="0 0 1"/>'
     '<limit lower="-1" upper="1"/><mimic joint="j2"/></joint>'
     '<joint name="j2" type="revolute"><parent link="b"/><child link="c"/><axis xyz="0 0 1"/>'
     '<limit lower="-1" upper="1"/><mimic joint="j1"/></joint>',
     "mimic joints form a cycle: 'j1' -> 'j2' -> 'j1'"),
    ('<joint name="j0" type="fixed"><parent link="a"/><child link="b"/></joint>'
     '<joint name="j1" type="revolute"><parent link="b"/><child link="c"/><axis xyz="0 0 1"/>'
     '<limit lower="-1" upper="1"/><mimic joint="j0"/></joint>',
     "joint 'j1' mimics 'j0', which is not a movable joint of the robot"),
    # a <mimic/> without joint=: it said "mimics 'None'", and followed a joint named None
    ('<joint name="None" type="revolute"><parent link="a"/><child link="b"/><axis xyz="0 0 1"/>'
     '<limit lower="-1" upper="1"/></joint>'
     '<joint name="j1" type="revolute"><parent link="b"/><child link="c"/><axis xyz="0 0 1"/>'
     '<origin xyz="0 0 0.1"/><limit lower="-1" upper="1"/><mimic/></joint>',
     "joint 'j1': its <mimic> lacks its joint=... (the joint it follows)"),
])
def test_a_robot_of_mimics_alone_names_the_rule_at_fault(tmp_path, text, message):
    links = '<link name="a"/><link name="b"/>' + ('<link name="c"/>' if 'link="c"' in text else "")
    path = _write(tmp_path, "r.urdf", f'<robot name="r">{links}{text}</robot>')
    with pytest.raises(ValueError) as err:
        armsim.load_robot(path)
    assert str(err.value) == f"{path}: {message}"


def test_a_tool_of_no_reach_is_refused_at_load(tmp_path):
    # load_robot returned the robot; its reach, a solve or a picture then raised without the
    # file's name (load_urdf refused the same file at load)
    def robot(tool):
        return ('<robot name="r"><link name="a"/><link name="b"/><link name="cam"/>'
                '<joint name="j" type="revolute"><parent link="a"/><child link="b"/>'
                '<origin xyz="0 0 0.1"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/>'
                '</joint><joint name="m" type="fixed"><parent link="a"/><child link="cam"/>'
                '<origin xyz="0.2 0 0"/></joint>' + tool + '</robot>')
    path = _write(tmp_path, "z.urdf", robot(""))
    with pytest.raises(ValueError) as err:
        armsim.load_robot(path)             # its only leaf on the axis: no default tool
    assert str(err.value) == (f"{path}: no leaf link is carried 1 mm or more by a joint: the "
                              f"robot has no tool to solve (name the tools: tips=[...])")
    with pytest.raises(ValueError) as err:
        armsim.load_robot(path, tips=["b"])
    assert str(err.value) == (f"{path}: the arm from link 'a' to link 'b' reaches 0 m from its "
                              f"first joint (a tool this close to the first joint barely "
                              f"moves: name a link farther out as the tool; lengths are in "
                              f"metres); a robot model's reach must be within [0.001, 1000] m")
    # a tool 0.1 m off the axis loads; the fixed mount on the base (no joint moves it) is
    # not a tool
    ok = armsim.load_robot(_write(tmp_path, "ok.urdf", robot(
        '<link name="t"/><joint name="k" type="fixed"><parent link="b"/><child link="t"/>'
        '<origin xyz="0.1 0 0"/></joint>')))
    assert list(ok.tips) == ["t"] and ok.reach == pytest.approx(0.1)


def test_the_planar_base_slides_along_its_planes_x_and_y(tmp_path):
    arm = _write(tmp_path, "arm.urdf", """<robot name="r"><link name="a"/><link name="b"/>
      <joint name="j" type="revolute"><parent link="a"/><child link="b"/>
      <origin xyz="0.3 0 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/></joint></robot>""")
    robot = armsim.load_robot(arm, base_joint="planar")
    assert robot.joint_names[:3] == ("base_x", "base_y", "base_yaw")
    for i, want in enumerate(([1.0, 0, 0], [0, 1.0, 0])):
        q = np.zeros(robot.n)
        q[i] = 1.0
        assert np.allclose(robot.frames(q)["a"][:3, 3], want, rtol=0, atol=1e-15)
    # a planar joint in the file whose plane is the y-z plane: x along the parent's y
    side = _write(tmp_path, "side.urdf", """<robot name="s"><link name="a"/><link name="b"/>
      <link name="c"/><joint name="p" type="planar"><parent link="a"/><child link="b"/>
      <axis xyz="1 0 0"/></joint><joint name="j" type="revolute"><parent link="b"/>
      <child link="c"/><origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-1" upper="1"/>
      </joint></robot>""")
    robot = armsim.load_robot(side)
    q = np.zeros(robot.n)
    q[0], q[1] = 1.0, 2.0
    assert np.allclose(robot.frames(q)["b"][:3, 3], [0, 1.0, 2.0], rtol=0, atol=1e-15)


def test_a_solve_takes_at_most_max_tools_targets(tmp_path):
    tips = "".join(f'<link name="t{i}"/><joint name="f{i}" type="fixed"><parent link="hub"/>'
                   f'<child link="t{i}"/><origin xyz="0.1 {0.001 * i} 0"/></joint>'
                   for i in range(MAX_TOOLS + 1))
    path = _write(tmp_path, "fan.urdf", f"""<robot name="fan"><link name="root"/>
      <link name="hub"/><joint name="j0" type="revolute"><parent link="root"/>
      <child link="hub"/><origin xyz="0 0 0.1"/><axis xyz="0 0 1"/>
      <limit lower="-1" upper="1"/></joint>{tips}</robot>""")
    robot = armsim.load_robot(path)
    F = robot.frames(np.array([0.3]))
    with pytest.raises(ValueError, match=rf"^give at most {MAX_TOOLS} targets in one solve, "
                                         rf"got {MAX_TOOLS + 1}$"):
        armsim.solve(robot, {t: F[t] for t in robot.tips})
    r = armsim.solve(robot, {t: F[t] for t in robot.tips[:MAX_TOOLS]}, tol=1e-9)
    assert r.success and abs(r.q[0] - 0.3) < 1e-8


def test_many_visuals_are_cut_with_one_warning_and_a_mesh_is_read_once(tmp_path, monkeypatch):
    from armsim.kinematics import visuals
    read = []
    real = visuals._load_mesh
    monkeypatch.setattr(visuals, "_load_mesh", lambda *a: read.append(a) or real(*a))
    (tmp_path / "box.obj").write_text("v 0 0 0\nv 0.1 0 0\nv 0 0.1 0\nv 0 0 0.1\n"
                                      "f 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n")
    vis = '<visual><geometry><mesh filename="box.obj"/></geometry></visual>' * (MAX_VISUALS + 5)
    path = _write(tmp_path, "many.urdf", f"""<robot name="r"><link name="a"/>
      <link name="b">{vis}</link><link name="c"/>
      <joint name="j" type="revolute"><parent link="a"/><child link="b"/><axis xyz="0 0 1"/>
      <limit lower="-1" upper="1"/></joint><joint name="k" type="revolute"><parent link="b"/>
      <child link="c"/><origin xyz="0.3 0 0"/><axis xyz="0 1 0"/><limit lower="-1" upper="1"/>
      </joint></robot>""")
    warned = []
    got = chain_visuals(armsim.load_urdf(path, tip="c"), warn=warned.append)
    assert sum(map(len, got)) == MAX_VISUALS and len(read) == 1
    assert warned == [f"{path}: the chain has more than {MAX_VISUALS} visuals; the rest (from "
                      f"link 'b' on) are left out"]


def test_a_mesh_name_the_system_refuses_is_a_missing_mesh(tmp_path):
    path = _write(tmp_path, "long.urdf", f"""<robot name="r"><link name="a"/>
      <link name="b"><visual><geometry><mesh filename="{'a' * 5000}.stl"/></geometry>
      </visual></link><link name="c"/>
      <joint name="j" type="revolute"><parent link="a"/><child link="b"/>
      <origin xyz="0.3 0 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/></joint>
      <joint name="t" type="fixed"><parent link="b"/><child link="c"/><origin xyz="0.3 0 0"/>
      </joint></robot>""")
    warned = []
    assert chain_visuals(armsim.load_urdf(path), warn=warned.append) == [[], []]
    assert len(warned) == 1 and "not found; drawing a generated shape" in warned[0]


def test_frames_refuses_what_is_not_joint_values_or_link_names(tmp_path):
    robot = armsim.robots.load_robot("dual_arm")
    q = np.zeros(robot.n)
    for bad, message in (
            (np.array([object()] * robot.n, dtype=object), "joint values must be an array of "
                                                           "numbers"),
            ([10 ** 400] + [0] * (robot.n - 1), "joint values must be an array of numbers"),
            (q + 0.5j, "joint values must be real numbers, got complex numbers")):
        with pytest.raises(ValueError, match=f"^{message}"):
            robot.frames(bad)
    with pytest.raises(ValueError, match="^links must be a link name or a list of them, "
                                         "got int$"):
        robot.frames(q, 3)
    assert list(robot.frames(q, (link for link in ["left_tool"]))) == ["left_tool"]


def test_messages_quote_link_names_with_line_breaks(tmp_path):
    path = _write(tmp_path, "odd.urdf", """<robot name="r"><link name="root"/>
      <link name="new&#10;line"/><joint name="j" type="revolute"><parent link="root"/>
      <child link="new&#10;line"/><origin xyz="0.3 0 0"/><axis xyz="0 0 1"/>
      <limit lower="-1" upper="1"/></joint><link name="tool"/><joint name="f" type="fixed">
      <parent link="new&#10;line"/><child link="tool"/><origin xyz="0.1 0 0"/></joint></robot>""")
    robot = armsim.load_robot(path)
    for call in (lambda: armsim.load_robot(path, tips=["zz"]),
                 lambda: robot.frames(np.zeros(1), ["zz"]),
                 lambda: armsim.solve(robot, {"zz": np.zeros(3)})):
        with pytest.raises(ValueError) as err:
            call()
        assert "\n" not in str(err.value) and r"root, 'new\nline'" in str(err.value)


def test_a_urdf_path_with_a_line_break_runs_on_the_command_line(tmp_path):
    path = _write(tmp_path, "odd\nname.urdf", SCREW.format(m=0.05, o=0.0))
    out = tmp_path / "out.gif"
    run = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(path), "--tips", "d",
                          "--gif", str(out), "--frames", "2", "--size", "64x48"],
                         capture_output=True, text=True, timeout=120,
                         env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin",
                              "PYTHONPATH": str(ROOT)})
    assert run.returncode == 0, run.stderr
    assert out.stat().st_size > 0


@pytest.mark.parametrize("far", [10.0, 1e6, 1e45])
def test_a_target_however_far_leaves_the_other_tools_solved(far):
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    F = robot.frames(np.full(robot.n, 0.3), ["left_tool", "right_tool"])
    T = np.eye(4)
    T[0, 3] = far
    with warnings.catch_warnings():
        warnings.simplefilter("error")        # no float32 overflow from the restart tables
        one = armsim.solve(robot, {"left_tool": T, "right_tool": F["right_tool"]})
        batch = armsim.solve_batch(robot, {"left_tool": T[None],
                                           "right_tool": F["right_tool"][None]})
    assert one.reason == "unreachable" and one.targets["right_tool"] < 1e-6
    assert batch.reason[0] == "unreachable" and batch.targets["right_tool"][0] < 1e-6
    assert np.isfinite(one.q).all() and np.isfinite(batch.q).all()


def _one_far(robot, rows=(0,)):
    F = robot.frames(np.array(robot.limits).mean(axis=1))
    far = F["right_tool"][:3, 3] + [0.0, -1.5, 0.0]          # beyond the right arm's reach
    return F["left_tool"], far


@pytest.mark.parametrize("kw", [{"priority": True}, {"max_step": 10.0},
                                {"objectives": [armsim.Obstacle([5.0, 5.0, 5.0], 0.1)]}])
def test_objectives_never_turn_a_tool_beyond_reach_into_success(kw):
    # the loop's residual weighs a far tool 1e-6 of its miss; success is every tool's own
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    left, far = _one_far(robot)
    one = armsim.solve(robot, {"left_tool": left, "right_tool": far}, **kw)
    batch = armsim.solve_batch(robot, {"left_tool": left[None], "right_tool": far[None]}, **kw)
    for success, reason, residual in ((one.success, one.reason, one.residual),
                                      (batch.success[0], batch.reason[0], batch.residual[0])):
        assert not success and reason == "unreachable" and abs(residual - 1.5) < 1e-6
    assert one.targets["left_tool"] < 1e-6


def test_a_compiled_batch_row_with_a_tool_beyond_reach_is_the_default_paths():
    from armsim.ik import compiled
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    rng = np.random.default_rng(9)
    Q = rng.uniform(robot.limits[:, 0], robot.limits[:, 1], (40, robot.n))
    F = robot.frames(Q, ["left_tool", "right_tool"])
    L, P = F["left_tool"], F["right_tool"][:, :3, 3].copy()
    P[::7] += [0.0, -1.5, 0.0]                  # rows 0, 7, 14, ...: the right tool out of reach
    got = {}
    for on in (False, True):
        compiled.use(on)
        try:
            for rows in ([7], [7, 14], list(range(40))):
                b = armsim.solve_batch(robot, {"left_tool": L[rows], "right_tool": P[rows]})
                got[on, len(rows)] = (b.q, b.iterations)
        finally:
            compiled.use(False)
    for n in (1, 2, 40):
        assert np.array_equal(got[True, n][1], got[False, n][1])
        assert np.allclose(got[True, n][0], got[False, n][0], rtol=0, atol=1e-9)
    assert np.allclose(got[True, 2][0][0], got[True, 1][0][0], rtol=0, atol=1e-9)  # row 7 alone
    assert got[True, 2][1][0] == got[True, 1][1][0]                                 # or not


def test_many_weights_on_one_robot_keep_a_bounded_cache():
    from armsim.ik import tree
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    F = robot.frames(np.array(robot.limits).mean(axis=1))
    rng = np.random.default_rng(0)
    for _ in range(40):
        armsim.solve(robot, {"left_tool": armsim.Target(F["left_tool"],
                                                        weights=rng.uniform(0.5, 1.5, 6)),
                             "right_tool": F["right_tool"]})
    assert len(tree._TREES[robot]) <= 32


@pytest.mark.parametrize("kw, message", [
    ({"weights": {"left_tool": "abc"}}, "the weights of 'left_tool' must be an array of numbers, "
                                        "got 'abc'"),
    ({"reach_tolerance": "x"}, r"reach_tolerance must be a number > 0 and <= 1e\+50, got 'x'"),
    ({"q0": "x"}, "q0 must be an array of numbers, got 'x'"),
    ({"weights": {"left_tool": [1, 1]}}, r"the weights of target 'left_tool' must be 6 finite "
                                         r"numbers .*, got \(1.0, 1.0\)"),
    ({"path": "abc"}, r"the target of 'left_tool' \(frame 0\) must be an array of numbers, "
                      r"got 'abc'"),
    ({"path": [np.nan, 0.0, 0.0]}, r"target of 'left_tool' must be a position \(3,\) or a pose "
                                   r"\(4, 4\) of finite numbers within \+-1e\+06, got numbers "
                                   r"that are not finite or beyond it"),
])
def test_a_tree_simulation_names_the_argument_at_fault(kw, message):
    from armsim.ik.tree_tracking import TreeSimulation
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    T0 = robot.frames(np.array(robot.limits).mean(axis=1))["left_tool"]
    target = kw.pop("path", T0)
    with pytest.raises(ValueError, match=f"^{message}$"):
        TreeSimulation(robot, {"left_tool": lambda k: target}, **kw)


def test_a_tool_beyond_reach_stretches_toward_its_target_by_its_own_joints():
    # it weighs 1e-6 in the solve: the other tool arrived at once and the far arm did not
    # move at all (the README says it stretches toward its target)
    from armsim.ik import compiled
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    mid = np.array(robot.limits).mean(axis=1)
    left, far = _one_far(robot)
    targets = {"left_tool": left, "right_tool": far}
    one = armsim.solve(robot, targets, q0=mid)
    assert one.reason == "unreachable" and one.targets["left_tool"] < 1e-9
    assert one.targets["right_tool"] < 1.5 - 0.3                 # closer by its own joints
    own = [i for i, n in enumerate(robot.joint_names) if n.startswith("right_")]
    assert np.abs(np.delete(one.q - mid, own)).max() < 1e-9     # the others held
    batch = armsim.solve_batch(robot, {k: v[None] for k, v in targets.items()}, q0=mid[None])
    np.testing.assert_allclose(batch.q[0], one.q, atol=1e-9)
    assert batch.targets["right_tool"][0] == pytest.approx(one.targets["right_tool"], abs=1e-9)
    if compiled.available():                    # the compiled solve (numba), stretched too
        old = compiled.use(True)
        try:
            fast = armsim.solve(robot, targets, q0=mid)
        finally:
            compiled.use(old)
        assert fast.targets["right_tool"] == pytest.approx(one.targets["right_tool"], abs=1e-6)


MOBILE = """<robot name="mobile">
<link name="base_link"/><link name="wheel"/><link name="l1"/><link name="gripper"/>
<joint name="wheel_joint" type="continuous"><parent link="base_link"/><child link="wheel"/>
  <origin xyz="0 0.2 0.05"/><axis xyz="0 1 0"/></joint>
<joint name="a1" type="revolute"><parent link="base_link"/><child link="l1"/>
  <origin xyz="0 0 0.3"/><axis xyz="0 0 1"/><limit lower="-3" upper="3"/></joint>
<joint name="a2" type="revolute"><parent link="l1"/><child link="gripper"/>
  <origin xyz="0.4 0 0"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
</robot>"""


def test_a_wheel_turning_on_its_axis_is_not_a_default_tool(tmp_path):
    # every moved leaf was a default tool: a mobile robot's wheel (reach 0 from its joint)
    # made load_robot refuse the whole file
    path = _write(tmp_path, "mobile.urdf", MOBILE)
    robot = armsim.load_robot(path)
    assert robot.tips == ("gripper",) and "wheel_joint" in robot.joint_names
    q = np.array([0.3, 0.4, 0.5])
    T = robot.frames(q, ["gripper"])["gripper"]
    r = armsim.solve(robot, {"gripper": T[:3, 3]})
    got = robot.frames(r.q, ["gripper"])["gripper"][:3, 3]
    assert r.success and np.linalg.norm(got - T[:3, 3]) < 1e-5
    with pytest.raises(ValueError, match="the arm from link 'base_link' to link 'wheel' "
                       "reaches 0 m from its first joint"):
        armsim.load_robot(path, tips=["gripper", "wheel"])     # named: refused as before


ARM = """<robot name="arm2"><link name="base"/><link name="l1"/><link name="l2"/>
<link name="hand"/><link name="hand_tip"/>
<joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
  <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/><limit lower="-3" upper="3"/></joint>
<joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/>
  <origin xyz="0 0 0.2"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
<joint name="j3" type="revolute"><parent link="l2"/><child link="hand"/>
  <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
<joint name="t" type="fixed"><parent link="hand"/><child link="hand_tip"/>
  <origin xyz="0 0 0.2"/></joint></robot>"""


def test_a_robots_only_tool_beyond_reach_stretches_as_its_chain_does(tmp_path):
    # the far tool weighed 1e-6 with no other tool to weigh it against: 3 steps of nothing,
    # 0.97 m short where the same arm as a chain ends 0.4 m short (the best there is)
    from armsim.ik import compiled
    path = _write(tmp_path, "arm.urdf", ARM)
    robot, chain = armsim.load_robot(path), armsim.load_urdf(path, tip="hand_tip")
    target = np.array([0.9, 0.0, 0.3])            # 0.9 m from the first joint; reach 0.7 m
    c = armsim.solve(chain, target)
    assert c.reason == "unreachable" and c.residual == pytest.approx(0.4, abs=1e-6)
    runs = [armsim.solve(robot, {"hand_tip": target}).residual,
            armsim.solve_batch(robot, {"hand_tip": np.array([target] * 3)}).residual]
    if compiled.available():
        old = compiled.use(True)
        try:
            runs += [armsim.solve(robot, {"hand_tip": target}).residual,
                     armsim.solve_batch(robot, {"hand_tip": np.array([target] * 3)}).residual]
        finally:
            compiled.use(old)
    for got in runs:
        np.testing.assert_allclose(got, 0.4, atol=1e-6)


def test_a_tools_own_joints_never_count_a_mimic_and_its_source_apart(tmp_path):
    # the tool's last joints: a, e and a mimic of a; its own table sampled a and the
    # mimic as two joints and wrote both into a's column
    from armsim.ik.tree import for_tree
    from armsim.ik.tree_starts import own_chains
    text = ARM.replace('<link name="hand_tip"/>', '<link name="hand_tip"/><link name="m"/>'
                       '<link name="other"/>').replace(
        '<joint name="t" type="fixed"><parent link="hand"/><child link="hand_tip"/>',
        '<joint name="mm" type="revolute"><parent link="hand"/><child link="m"/>'
        '<origin xyz="0 0 0.1"/><axis xyz="1 0 0"/><limit lower="-3" upper="3"/>'
        '<mimic joint="j2"/></joint><joint name="o" type="fixed"><parent link="l1"/>'
        '<child link="other"/><origin xyz="0.3 0 0"/></joint>'
        '<joint name="t" type="fixed"><parent link="m"/><child link="hand_tip"/>')
    robot = armsim.load_robot(_write(tmp_path, "m.urdf", text), tips=["hand_tip", "other"])
    q = np.array([0.1, 0.2, 0.3])
    F = robot.frames(q, ["hand_tip", "other"])
    prob, _ = for_tree(robot, {k: v for k, v in F.items()}, batch=False)
    for own, (cols, _, _, _) in zip(own_chains(prob), prob._maps):
        if own is not None:
            assert len(set(own[2].tolist())) == len(own[2])     # each column once


def test_a_target_on_a_link_only_the_moving_base_carries_can_succeed(tmp_path):
    # the default tol's length left the base's travel out of the reach: 0 m for the base
    # link itself, so tol was 0 and 923 iterations ended 'stalled' at a residual of 0.0
    robot = armsim.load_robot(_write(tmp_path, "arm.urdf", ARM), tips=["base", "hand_tip"],
                              base_joint="floating")
    T = np.eye(4)
    T[:3, 3] = [1.0, 2.0, 0.5]
    for r in (armsim.solve(robot, {"base": T}),
              armsim.solve_batch(robot, {"base": T[None]})):
        assert np.all(r.success) and np.all(r.iterations < 50)
        got = robot.frames(np.atleast_2d(r.q)[0], ["base"])["base"]
        assert np.abs(got - T).max() < 1e-9


GEAR = """<robot name="g"><link name="base"/><link name="l1"/><link name="l2"/><link name="tool"/>
<joint name="a" type="{a}"><parent link="base"/><child link="l1"/><origin xyz="0 0 0.1"/>
  <axis xyz="0 0 1"/>{a_limit}</joint>
<joint name="b" type="revolute"><parent link="l1"/><child link="l2"/><origin xyz="0 0 0.2"/>
  <axis xyz="0 1 0"/>{b_limit}<mimic joint="a" multiplier="{m}"/></joint>
<joint name="e" type="revolute"><parent link="l2"/><child link="tool"/><origin xyz="0.3 0 0"/>
  <axis xyz="0 1 0"/><limit lower="-1" upper="1"/></joint></robot>"""


def _gear(tmp_path, a="revolute", a_limit='<limit lower="-3" upper="3"/>', b_limit="", m=2):
    return armsim.load_robot(_write(tmp_path, "g.urdf", GEAR.format(
        a=a, a_limit=a_limit, b_limit=b_limit, m=m)))


def _solves(robot, qs):
    out = []
    for q in qs:
        T = robot.frames(np.array([q, 0.3]), ["tool"])["tool"]
        one, many = armsim.solve(robot, {"tool": T}), armsim.solve_batch(robot, {"tool": T[None]})
        for q_got in (one.q, many.q[0]):
            out.append(np.abs(robot.frames(q_got, ["tool"])["tool"] - T).max() < 1e-5)
        assert one.success == out[-2] and many.success[0] == out[-1]
    return out


def test_a_mimic_without_limits_leaves_its_sources_range(tmp_path):
    # it got the default (-pi, pi) as its own limits, which narrowed its source (x 2) to
    # (-pi/2, pi/2): the file's -3..3 silently lost, a pose at a = 2.5 'stalled'
    robot = _gear(tmp_path)
    assert list(robot.limits[0]) == [-3.0, 3.0]
    assert all(_solves(robot, [2.5, -2.9]))


def test_a_continuous_joint_a_mimics_limits_bound_has_limits(tmp_path):
    # b (-0.5 to 0.5) mimics a continuous joint: its limits were ignored (b at 2.0 'solved')
    robot = _gear(tmp_path, a="continuous", a_limit="", b_limit='<limit lower="-0.5" '
                  'upper="0.5"/>', m=1)
    assert list(robot.limits[0]) == [-0.5, 0.5] and not robot.continuous[0]
    assert all(_solves(robot, [0.4, -0.45]))
    T = robot.frames(np.array([2.0, 0.3]), ["tool"])["tool"]
    r = armsim.solve(robot, {"tool": T})
    assert not r.success and np.all(np.abs(r.q[0]) <= 0.5)


def test_a_continuous_joint_driving_a_half_rate_gear_is_not_wrapped(tmp_path):
    # wrapped to [-pi, pi) (and turned back by whole turns), it moved the gear by pi: a
    # pose at a = 3.3 'stalled'; now it is solved anywhere over the gear's two turns
    robot = _gear(tmp_path, a="continuous", a_limit="", m=0.5)
    assert not robot.continuous[0] and list(robot.limits[0]) == [-math.inf, math.inf]
    assert all(_solves(robot, np.linspace(-6.0, 6.0, 9)))


def test_every_path_reports_each_tools_residual(tmp_path):
    # the compiled solve of a one-tool robot gave targets=None from its second solve on
    # (its shortcut returned before the robot's finish), and a batch of 0 rows gave None
    from armsim.ik import compiled
    robot = armsim.load_robot(_write(tmp_path, "arm.urdf", ARM))
    empty = armsim.solve_batch(robot, {"hand_tip": np.zeros((0, 3))})
    assert list(empty.targets) == ["hand_tip"] and empty.targets["hand_tip"].shape == (0,)
    runs = [False] + ([True] if compiled.available() else [])
    for use in runs:
        old = compiled.use(use)
        try:
            for q in ([0.3, 0.4, 0.5], [0.1, -0.2, 0.3], [0.2, 0.1, 0.1]):
                T = robot.frames(np.array(q), ["hand_tip"])["hand_tip"]
                r = armsim.solve(robot, {"hand_tip": T})
                assert r.success and r.targets["hand_tip"] == r.residual < 1e-5
        finally:
            compiled.use(old)


def test_a_bad_tool_target_names_its_tool_in_one_short_line(tmp_path):
    # a pose's NaN or bottom row said only "target:", and a 5,000-character link name
    # made a 5,085-character line
    long = "k" * 5000
    robot = armsim.load_robot(_write(tmp_path, "arm.urdf", ARM.replace("hand_tip", long)),
                              tips=["hand", long])
    T = np.eye(4)
    T[0, 3] = np.nan
    with pytest.raises(ValueError) as err:
        armsim.solve(robot, {"hand": np.array([0, 0, 0.5]), long: T})
    assert "a homogeneous pose must be finite numbers, got nan at [0, 3]" in str(err.value)
    assert str(err.value).startswith("target 'kkkk") and len(str(err.value)) < 300
    with pytest.raises(ValueError) as err:
        armsim.solve(robot, {"hand": np.eye(4) * 2})
    assert str(err.value).startswith("target 'hand': a homogeneous pose's bottom row must be")
    for bad in (np.zeros(5), armsim.Target(np.zeros(3), weights=[1, 2])):
        with pytest.raises(ValueError) as err:
            armsim.solve(robot, {long: bad})
        assert len(str(err.value)) < 300


def _urdf(tmp_path, name, body):
    return _write(tmp_path, name, f'<robot name="r">{body}</robot>')


def _links(*names):
    return "".join(f'<link name="{n}"/>' for n in names)


def test_a_stretch_keeps_a_continuous_source_within_its_mimics_limits(tmp_path):
    # the tool beyond its reach was stretched by its own joint j1 to 2 rad: j1's mimic (its
    # own limits +-0.5 bound j1) went 1.5 rad past its limit
    path = _urdf(tmp_path, "s.urdf", _links("base", "l1", "A", "lb", "B", "lm", "mt") + (
        '<joint name="j1" type="continuous"><parent link="base"/><child link="l1"/>'
        '<axis xyz="0 0 1"/></joint><joint name="ja" type="fixed"><parent link="l1"/>'
        '<child link="A"/><origin xyz="1 0 0"/></joint><joint name="j0" type="revolute">'
        '<parent link="base"/><child link="lb"/><origin xyz="0 0 1"/><axis xyz="0 0 1"/>'
        '<limit lower="-2" upper="2"/></joint><joint name="jb" type="fixed"><parent link="lb"/>'
        '<child link="B"/><origin xyz="1 0 0"/></joint><joint name="jm" type="revolute">'
        '<parent link="base"/><child link="lm"/><origin xyz="0 0 -1"/><axis xyz="0 0 1"/>'
        '<limit lower="-0.5" upper="0.5"/><mimic joint="j1"/></joint>'
        '<joint name="jt" type="fixed"><parent link="lm"/><child link="mt"/>'
        '<origin xyz="0.3 0 0"/></joint>'))
    robot = armsim.load_robot(path, tips=["A", "B"])
    far = np.array([3 * np.cos(2), 3 * np.sin(2), 0.0])
    near = robot.frames(np.array([0.0, 1.0]), ["B"])["B"][:3, 3]
    for got in (armsim.solve(robot, {"A": far, "B": near}).q,
                armsim.solve_batch(robot, {"A": far[None], "B": near[None]}).q[0]):
        assert np.all(got >= robot.limits[:, 0]) and np.all(got <= robot.limits[:, 1])


def test_a_slide_of_a_geared_continuous_joint_needs_limits(tmp_path):
    # the joint no longer turns (it drives a half-rate gear), so the slide it drives without
    # limits is unbounded; its reach was taken over one turn, and a reachable pose 'unreachable'
    body = _links("base", "l1", "l2", "l3", "tool") + (
        '<joint name="j1" type="continuous"><parent link="base"/><child link="l1"/>'
        '<axis xyz="0 0 1"/></joint><joint name="j2" type="prismatic"><parent link="l1"/>'
        '<child link="l2"/><origin xyz="0.2 0 0"/><axis xyz="1 0 0"/>{lim}'
        '<mimic joint="j1" multiplier="0.5"/></joint><joint name="j3" type="revolute">'
        '<parent link="l2"/><child link="l3"/><origin xyz="0.1 0 0"/><axis xyz="0 0 1"/>'
        '<mimic joint="j1" multiplier="0.5"/></joint><joint name="jt" type="fixed">'
        '<parent link="l3"/><child link="tool"/><origin xyz="0.1 0 0"/></joint>')
    path = _urdf(tmp_path, "g.urdf", body.format(lim=""))
    with pytest.raises(ValueError) as err:
        armsim.load_robot(path)
    assert str(err.value) == (f"{path}: joint 'j2': a slide driven by continuous joint 'j1', "
                              f"which also drives a gear of a ratio that is not whole (so it "
                              f"does not turn within [-pi, pi)): give 'j2' a <limit>")
    robot = armsim.load_robot(_urdf(tmp_path, "h.urdf", body.format(
        lim='<limit lower="0" upper="1"/>')))            # its limits bound j1: 0 to 2 rad
    assert list(robot.limits[0]) == [0.0, 2.0]
    for a in (0.3, 1.5, 1.9):
        T = robot.frames(np.array([a]), ["tool"])["tool"]
        r = armsim.solve(robot, {"tool": T[:3, 3]})
        assert r.success and np.linalg.norm(
            robot.frames(r.q, ["tool"])["tool"][:3, 3] - T[:3, 3]) < 1e-5


def test_a_revolute_joint_wider_than_a_turn_driving_a_gear_draws_over_its_turns(tmp_path):
    # restarts over one turn: 16 of 40 poses over -9 to 9 rad solved (continuous: 40)
    path = _urdf(tmp_path, "w.urdf", _links("base", "l1", "l2", "tool") + (
        '<joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>'
        '<axis xyz="0 0 1"/><limit lower="-9" upper="9"/></joint><joint name="j2" '
        'type="revolute"><parent link="l1"/><child link="l2"/><origin xyz="1 0 0"/>'
        '<axis xyz="0 0 1"/><mimic joint="j1" multiplier="0.5"/></joint><joint name="jt" '
        'type="fixed"><parent link="l2"/><child link="tool"/><origin xyz="1 0 0"/></joint>'))
    robot = armsim.load_robot(path)
    ok = [armsim.solve(robot, {"tool": robot.frames(np.array([a]), ["tool"])["tool"][:3, 3]})
          .success for a in np.linspace(-8.9, 8.9, 20)]
    assert all(ok)


def test_a_robot_built_directly_works_out_its_default_tools_when_asked():
    # every leaf's chain was built at construction: a 201-link comb took 0.4 s (8 ms
    # before) and a 130-joint serial tree, which frames() takes, was refused outright
    from armsim.kinematics.tree import Robot, TreeJoint
    links, joints, prev = ["base"], [], "base"
    for i in range(130):
        links.append(f"s{i}")
        joints.append(TreeJoint(f"j{i}", "revolute", prev, f"s{i}", (0.05, 0, 0), (0, 0, 0),
                                (0, 0, 1), -1, 1))
        prev = f"s{i}"
    robot = Robot(links, joints)
    assert robot.tips == ("s129",)             # (its chain, over 128 joints, is refused
    assert np.all(np.isfinite(robot.frames(np.zeros(130))["s129"]))   # where it is used)


@pytest.mark.parametrize("lower, upper, message", [
    (-1e17, 1e17, "joint 's': limit lower must be within [-1e+06, 1e+06] m, got -1e+17"),
    (-5.0, 1e300, "joint 's': limit upper must be within [-1e+06, 1e+06] m, got 1e+300"),
])
def test_a_robot_built_directly_refuses_a_slide_load_robot_refuses(tmp_path, lower, upper,
                                                                  message):
    # a hand-built slide of +-1e17 m was read as a moving base's (clipped to +-100 m) where
    # load_robot refuses the same limits in a URDF: now both say the same line
    from armsim.kinematics.tree import Robot, TreeJoint
    joints = [TreeJoint("s", "prismatic", "w", "a", axis=(1, 0, 0), lower=lower, upper=upper),
              TreeJoint("j", "revolute", "a", "t", xyz=(0, 0, 0.1), axis=(0, 0, 1))]
    with pytest.raises(ValueError) as got:
        Robot(["w", "a", "t"], joints)
    assert str(got.value) == message
    path = tmp_path / "s.urdf"
    path.write_text(f"""<robot name="r"><link name="w"/><link name="a"/><link name="t"/>
  <joint name="s" type="prismatic"><parent link="w"/><child link="a"/><axis xyz="1 0 0"/>
    <limit lower="{lower!r}" upper="{upper!r}"/></joint>
  <joint name="j" type="revolute"><parent link="a"/><child link="t"/><origin xyz="0 0 0.1"/>
    <axis xyz="0 0 1"/><limit lower="-3" upper="3"/></joint></robot>""")
    with pytest.raises(ValueError) as got:
        armsim.load_robot(path)
    assert str(got.value) == f"{path}: {message}"
    robot = Robot(["w", "a", "t"], [replace(joints[0], lower=-999999.0, upper=999999.0),
                                    joints[1]])         # (within +-1e6 m: a moving base's)
    assert robot.limits[0].tolist() == [-100.0, 100.0] and robot.base_joints == {"s"}


def test_default_obstacle_margins_of_a_robot_on_a_moving_base_are_of_the_robot_not_its_slides():
    # the README's example puts an Obstacle on a robot with base_joint="floating": its default
    # clearance was 2 % of Robot.reach, which counts the base's 100 m slides (302 m for the
    # dual arm), so every link had to keep 6 m from a 0.1 m sphere and the solve failed;
    # now 2 % of the robot's own size (arm_reach, as the default tol), as without the base
    fixed = armsim.robots.load_robot("dual_arm")
    moving = armsim.load_robot(ROOT / "assets" / "robots" / "dual_arm.urdf",
                               base_joint="floating")
    assert moving.reach > 300 and moving.arm_reach < 2.5     # (from the root: 0.5 m more)
    q = fixed.clip(np.zeros(fixed.n))
    F = fixed.frames(q)
    targets = {"left_tool": F["left_tool"], "right_tool": F["right_tool"][:3, 3] + [0, 0, 0.05]}
    q0 = moving.clip(np.zeros(moving.n))
    for objective in (armsim.Obstacle([0.3, 0.6, 0.9], 0.1), armsim.SelfCollision()):
        res = armsim.solve(moving, targets, q0=q0, restarts=0, objectives=[objective])
        assert res.success, (objective, res.reason, res.objectives)
        assert objective._margin == pytest.approx(0.02 * moving.arm_reach)
