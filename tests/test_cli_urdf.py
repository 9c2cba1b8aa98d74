"""``run_arm.py PATH.urdf``: a robot the project has never seen, in one command, no scene
file; ``--tip`` / ``--base`` choose the chain; bad choices are one line and status 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

import armsim

ROOT = Path(__file__).resolve().parents[1]


def run(args, cwd, module=False):
    cmd = [sys.executable] + (["-m", "armsim"] if module else [str(ROOT / "run_arm.py")])
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", PYTHONPATH=str(ROOT))
    return subprocess.run(cmd + args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def _joint(name, kind, parent, child, xyz, axis, lo=-2.5, hi=2.5):
    limit = "" if kind in ("fixed", "continuous") else (
        f'<limit lower="{lo}" upper="{hi}" effort="1" velocity="1"/>')
    return (f'<joint name="{name}" type="{kind}"><parent link="{parent}"/><child link="{child}"/>'
            f'<origin xyz="{xyz}" rpy="0 0 0"/><axis xyz="{axis}"/>{limit}</joint>')


def _write(path, joints):
    links = sorted({j[2] for j in joints} | {j[3] for j in joints})
    text = ('<?xml version="1.0"?>\n<robot name="made_here">\n'
            + "".join(f'<link name="{k}"/>' for k in links) + "\n"
            + "\n".join(_joint(*j) for j in joints) + "\n</robot>\n")
    path.write_text(text)
    return path


@pytest.fixture
def four_joints(tmp_path):
    """A yaw, two pitches and a slide, with a fixed camera branch (two leaves)."""
    return _write(tmp_path / "arm4.urdf", [
        ("j1", "revolute", "base", "l1", "0 0 0.1", "0 0 1", -3.0, 3.0),
        ("j2", "revolute", "l1", "l2", "0 0 0.05", "0 1 0", -2.0, 2.0),
        ("j3", "revolute", "l2", "l3", "0 0 0.3", "0 1 0"),
        ("j4", "prismatic", "l3", "tool", "0 0 0.25", "0 0 1", 0.0, 0.1),
        ("cam", "fixed", "l1", "camera", "0.05 0 0", "1 0 0"),
    ])


@pytest.fixture
def six_joints(tmp_path):
    axes = ["0 0 1", "0 1 0", "0 1 0", "1 0 0", "0 1 0", "1 0 0"]
    offsets = ["0 0 0.2", "0 0 0.1", "0 0 0.35", "0.3 0 0", "0.05 0 0", "0.05 0 0"]
    names = ["root"] + [f"link{i}" for i in range(1, 7)]
    return _write(tmp_path / "six.urdf", [
        (f"joint{i}", "continuous" if i == 0 else "revolute", names[i], names[i + 1], offsets[i],
         axes[i]) for i in range(6)])


def _report(tmp_path):
    return json.loads((tmp_path / "r.json").read_text())


def test_a_urdf_never_seen_runs_in_one_command(tmp_path, four_joints):
    r = run([four_joints.name, "--gif", "out.gif", "--frames", "24", "--size", "160x120",
             "--report", "r.json"], tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    frames = iio.imread(tmp_path / "out.gif")
    assert frames.shape[:3] == (24, 120, 160)
    assert (frames[0] != frames[0, 0, 0]).any(axis=-1).mean() > 0.01    # something is drawn
    rep = _report(tmp_path)
    # four joints: the tool's position is tracked (no orientation), and it is on its target
    assert rep["kind"] == "position" and rep["frames"] == 24
    assert rep["final_error"] < 1e-6 and np.isfinite(rep["mean_error"])


def test_a_joint_of_a_huge_range_gets_a_start_a_scene_takes(tmp_path):
    # the start was drawn anywhere in +-1e5 rad; a scene takes angles within +-1e4, so the
    # command refused its own scene ("arm.angles[0]: must be <= 10000"), by chance of a draw
    path = _write(tmp_path / "wide.urdf", [
        ("j1", "revolute", "base", "l1", "0 0 0.1", "0 0 1", -1e5, 1e5),
        ("j2", "revolute", "l1", "l2", "0 0 0.2", "0 1 0", -2.0, 2.0),
        ("j3", "revolute", "l2", "tool", "0 0 0.3", "0 1 0", -2.0, 2.0)])
    r = run([path.name, "--gif", "out.gif", "--frames", "3", "--size", "64x48"], tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_six_joints_track_a_pose_and_armsim_takes_the_same_arguments(tmp_path, six_joints):
    r = run([six_joints.name, "--gif", "out.gif", "--frames", "12", "--size", "160x120",
             "--report", "r.json"], tmp_path, module=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    rep = _report(tmp_path)
    assert rep["kind"] == "pose" and rep["final_error"] < 1e-6
    assert rep["final_orientation_error"] < 1e-6


def test_tip_and_base_choose_the_chain(tmp_path, four_joints):
    r = run([four_joints.name, "--tip", "l3", "--base", "l1", "--gif", "out.gif", "--frames", "4",
             "--size", "96x96", "--report", "r.json"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert _report(tmp_path)["frames"] == 4


@pytest.mark.parametrize("args, message", [
    (["--tip", "hand"], "{urdf}: no link named 'hand' (the tip); links: "),
    (["--base", "l1", "--tip", "camera"], "{urdf}: no movable joint between links 'l1' and 'camera'"),
    (["--base", "tool", "--tip", "l1"], "{urdf}: link 'l1' is not below link 'tool'"),
])
def test_a_bad_link_is_one_line_and_status_2(tmp_path, four_joints, args, message):
    r = run([str(four_joints)] + args + ["--gif", "out.gif"], tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith(message.format(urdf=four_joints)), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.gif").exists()


def test_tip_without_a_robot_is_refused(tmp_path):
    r = run(["--tip", "hand", "--gif", "out.gif"], tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("armsim: error: argument --tip: only a robot (PATH.urdf or --robot NAME) "
                        "has links to choose; the default scene is a scene file\n")


def test_a_urdf_of_several_tools_says_which_leaf_it_took(tmp_path):
    """``PATH.urdf`` of a hand took a finger (the leaf with the most joints) as the tool,
    silently; it says so in one line, and how to name another or several."""
    hand = ROOT / "assets" / "robots" / "panda_hand.urdf"
    r = run([str(hand), "--gif", "out.gif", "--frames", "2", "--size", "96x96"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == (
        f"armsim: note: {hand} has 3 tools (panda_tcp, panda_leftfinger_tip, "
        f"panda_rightfinger_tip); moving the chain to 'panda_leftfinger_tip', the one with the "
        f"most joints (--tip LINK: another; --tips A,B: several tools at once)\n")
    for args in (["--tip", "panda_tcp"], ["--tips", "panda_tcp,panda_leftfinger_tip"]):
        r = run([str(hand), *args, "--gif", "out.gif", "--frames", "2", "--size", "96x96"],
                tmp_path)
        assert (r.returncode, r.stderr) == (0, "")      # a tool named: nothing to say
    one = ROOT / "assets" / "robots" / "panda.urdf"      # one tool: as before, nothing said
    r = run([str(one), "--gif", "out.gif", "--frames", "2", "--size", "96x96"], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")


PANDA_LINKS = ("panda_link0, panda_link1, panda_link2, panda_link3, panda_link4, panda_link5, "
               "panda_link6, panda_link7, panda_link8")


@pytest.mark.parametrize("args, message", [
    (["--tips", "a,b"], "--robot panda: no link named 'a' (a tip); links: " + PANDA_LINKS),
    (["--tip", "a"], "--robot panda: no link named 'a' (the tip); links: " + PANDA_LINKS),
    (["--base", "x"], "--robot panda: no link named 'x' (the base); links: " + PANDA_LINKS),
])
def test_a_bad_link_of_a_shipped_robot_names_the_robot_not_its_file(tmp_path, args, message):
    # it named the packaged file ("--robot panda: /.../armsim/kinematics/models/panda.urdf:
    # no link named 'a'"), a path the user never gave
    r = run(["--robot", "panda"] + args + ["--gif", "out.gif"], tmp_path)
    assert (r.returncode, r.stderr) == (2, message + "\n")
    assert not (tmp_path / "out.gif").exists()


def test_a_bad_link_of_a_shipped_robot_names_the_robot_in_the_api_and_a_scene():
    import armsim
    from armsim.scene import SceneError, loads
    with pytest.raises(ValueError) as err:
        armsim.robots.load("panda", tip="a")
    assert str(err.value) == "panda: no link named 'a' (the tip); links: " + PANDA_LINKS
    with pytest.raises(ValueError) as err:
        armsim.robots.load_robot("panda", tips=["a"])
    assert str(err.value) == "panda: no link named 'a' (a tip); links: " + PANDA_LINKS
    with pytest.raises(SceneError) as err:
        loads('[arm]\nrobot = "panda"\ntips = ["a"]\n[[tool]]\nlink = "a"\nkind = "fixed"\n'
              'point = [0.3, 0.0, 0.3]\n', source="s.toml")
    assert str(err.value) == ("s.toml: arm.tips: panda: no link named 'a' (a tip); links: "
                              + PANDA_LINKS)


def test_a_shipped_robot_with_another_tip(tmp_path):
    r = run(["--robot", "panda", "--tip", "panda_link5", "--gif", "out.gif", "--frames", "6",
             "--size", "96x96", "--report", "r.json"], tmp_path)
    assert r.returncode == 0, r.stderr
    rep = _report(tmp_path)
    assert rep["kind"] == "position" and rep["final_error"] < 1e-6    # five joints: a position


def test_a_whole_robot_from_any_urdf_with_tips(tmp_path):
    """``--tips A,B``: the whole robot, a target on each named tool (no scene file)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_tree import TWO_ARMS
    urdf = tmp_path / "two.urdf"
    urdf.write_text(TWO_ARMS)
    r = run([str(urdf), "--tips", "left_tool, right_tool", "--gif", "out.gif", "--frames", "12",
             "--report", "r.json"], tmp_path)           # (a space after the comma: no name)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    frames = iio.imread(tmp_path / "out.gif", index=None)
    assert frames.shape[0] == 12
    report = json.loads((tmp_path / "r.json").read_text())
    assert "left_tool" in json.dumps(report) and "right_tool" in json.dumps(report)
    bad = run([str(urdf), "--tips", "left_tool,hand", "--gif", "bad.gif"], tmp_path)
    assert bad.returncode == 2 and not (tmp_path / "bad.gif").exists()
    assert bad.stderr.strip().splitlines() == [
        f"{urdf}: no link named 'hand' (a tip); links: base, torso, l1, l2, l3, left_tool, "
        f"finger_a, finger_b, r1, r2, r3, right_tool"]
    both = run([str(urdf), "--tips", "left_tool", "--tip", "right_tool"], tmp_path)
    assert both.returncode == 2
    assert both.stderr.strip() == ("armsim: error: argument --tip: not with --tips (name the "
                                   "tools once: --tips A,B or --tip A --tip B)")
    based = run([str(urdf), "--tips", "left_tool,right_tool", "--base", "torso"], tmp_path)
    assert based.returncode == 2 and based.stderr.strip() == (
        "armsim: error: argument --base: not with --tips (a whole robot's tools hang from its "
        "root)")
    for tips in ("left_tool,,right_tool", ",", "left_tool, "):    # an empty name was dropped
        empty = run([str(urdf), "--tips", tips, "--gif", "empty.gif"], tmp_path)
        assert empty.returncode == 2 and not (tmp_path / "empty.gif").exists()
        assert empty.stderr.strip() == (f"armsim: error: argument --tips: an empty link name "
                                        f"in {tips!r} (give LINK,LINK)")


def test_tip_given_twice_is_the_whole_robot(tmp_path):
    """``--tip A --tip B`` (issue 24's form): the same run as ``--tips A,B``; one ``--tip``
    is still a chain; several with --tips or --base is one line, exit 2."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_tree import TWO_ARMS
    urdf = tmp_path / "two_arms.urdf"
    urdf.write_text(TWO_ARMS)
    r = run([str(urdf), "--tip", "left_tool", "--tip", "right_tool", "--gif", "two.gif",
             "--frames", "6", "--size", "160x120"], tmp_path)
    assert r.returncode == 0, r.stderr
    ref = run([str(urdf), "--tips", "left_tool,right_tool", "--gif", "ref.gif", "--frames", "6",
               "--size", "160x120"], tmp_path)
    assert ref.returncode == 0, ref.stderr
    assert (tmp_path / "two.gif").read_bytes() == (tmp_path / "ref.gif").read_bytes()
    bad = run([str(urdf), "--tip", "left_tool", "--tip", "right_tool", "--base", "torso"],
              tmp_path)
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "armsim: error: argument --tip: several --tip name a whole robot's tools; give them "
        "without --tips or --base")


def test_a_robot_mounted_away_from_its_root_circles_as_it_does_at_the_root(tmp_path):
    # the circle's plane faces the robot's first joint: it faced the root frame's origin, so
    # the same arm mounted at (50, 50, 0) in a world frame circled in a plane turned 45 deg
    import tomllib

    from armsim.cli import robot_scene
    arm = [("j1", "revolute", "base", "l1", "0 0 0.1", "0 0 1", -3.0, 3.0),
           ("j2", "revolute", "l1", "l2", "0 0 0.05", "0 1 0", -2.0, 2.0),
           ("j3", "revolute", "l2", "l3", "0 0 0.3", "0 1 0"),
           ("j4", "revolute", "l3", "tool", "0 0 0.25", "1 0 0")]
    home = _write(tmp_path / "home.urdf", arm)
    away = _write(tmp_path / "away.urdf", [("mount", "fixed", "world", "base", "50 50 0",
                                            "1 0 0")] + arm)
    a, b = (tomllib.loads(robot_scene(urdf=p))["target"] for p in (home, away))
    assert np.allclose(a["normal"], b["normal"], atol=1e-5)
    assert np.allclose(np.subtract(b["center"], a["center"]), [50, 50, 0], atol=1e-4)
    assert a["radius"] == b["radius"]


def test_a_file_name_with_an_escape_code_is_shown_escaped(four_joints, tmp_path):
    # a name holding ESC (a terminal's colour code) was printed as it was: the terminal
    # turned red (or cleared) instead of showing the name
    named = four_joints.rename(tmp_path / "arm\x1b[31m.urdf")
    r = run([named.name, "--tip", "nowhere"], cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("arm\\x1b[31m.urdf: no link named 'nowhere' (the tip); links: base, "
                        "camera, l1, l2, l3, tool\n")
    r = run([named.name, "--gif", "\x1b[2J/out.gif"], cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("armsim: error: cannot write '\\x1b[2J/out.gif': folder '\\x1b[2J' "
                        "does not exist\n")


def test_a_nul_in_a_scenes_urdf_is_one_line_and_status_2(tmp_path):
    # a shell cannot pass a NUL in an argument, but a scene's string can hold one
    scene = tmp_path / "nul.toml"
    scene.write_text('[arm]\nurdf = "a\\u0000b.urdf"\n')
    r = run([str(scene)], cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == f"{scene}: arm.urdf: must not contain a NUL character\n"


def test_a_robot_whose_only_leaf_turns_in_place_says_so_not_to_name_another(tmp_path):
    # its one moving leaf 0.1 mm from its joint's axis was refused with "name a link farther
    # out as the tool", of a file with no link farther out
    one = _write(tmp_path / "one.urdf", [
        ("j1", "revolute", "base", "wheel", "0 0 0.1", "0 0 1", -1.0, 1.0),
        ("f", "fixed", "wheel", "tool", "0 0 0.0001", "1 0 0")])
    r = run([str(one), "--gif", "out.gif", "--frames", "2"], tmp_path)
    assert (r.returncode, r.stderr) == (2, (
        f"{one}: the one leaf below link 'base' that a joint moves, 'tool', is carried less "
        f"than 1 mm by its joints (a wheel, rotor or finger turning in place), and no link is "
        f"farther out: no tool to move (a tool must be 1 mm or more from its first joint)\n"))
    # the same line from Python (load_urdf with no tip), where it came from
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(one)
    assert str(err.value) == r.stderr.rstrip("\n")
    # named, a link farther out is what to try: as it was
    r = run([str(one), "--tip", "wheel", "--gif", "out.gif"], tmp_path)
    assert r.returncode == 2 and "name a link farther out as the tool" in r.stderr, r.stderr
    # several leaves, each turning in place: one line, none named as the tool
    wheels = _write(tmp_path / "wheels.urdf", [
        ("s1", "continuous", "base", "w1", "0.2 0 0", "0 1 0"),
        ("s2", "continuous", "base", "w2", "-0.2 0 0", "0 1 0")])
    r = run([str(wheels), "--gif", "out.gif"], tmp_path)
    assert (r.returncode, r.stderr) == (2, (
        f"{wheels}: no leaf below link 'base' is carried 1 mm or more by its joints (wheels, "
        f"rotors and fingers turning in place): no tool to move\n"))
    assert not (tmp_path / "out.gif").exists()


def _mobile(arms):
    """A base on four wheels (one continuous joint each, turning in place) with ``arms``
    two-joint arms (a yaw and a pitch, a tool 0.3 m out)."""
    joints = [(f"spin{i}", "continuous", "base", f"wheel{i}", f"{x} {y} 0", "0 1 0")
              for i, (x, y) in enumerate([(0.2, 0.15), (0.2, -0.15), (-0.2, 0.15),
                                          (-0.2, -0.15)])]
    for side, y in list(zip(("left", "right"), (0.1, -0.1)))[:arms]:
        joints += [(f"{side}_yaw", "revolute", "base", f"{side}_1", f"0 {y} 0.2", "0 0 1"),
                   (f"{side}_pitch", "revolute", f"{side}_1", f"{side}_2", "0 0 0.1", "0 1 0"),
                   (f"{side}_mount", "fixed", f"{side}_2", f"{side}_tool", "0.3 0 0", "1 0 0")]
    return joints


def test_the_note_of_a_urdf_of_several_tools_names_no_wheel(tmp_path):
    # wheels were listed among the tools to pass to --tips ("has 6 tools (wheel0, wheel1,
    # wheel2, wheel3, left_tool, right_tool)"), which the whole robot leaves out as turning
    # in place
    two = _write(tmp_path / "two.urdf", _mobile(2))
    r = run([str(two), "--gif", "out.gif", "--frames", "2", "--size", "96x96"], tmp_path)
    assert (r.returncode, r.stderr) == (0, (
        f"armsim: note: {two} has 2 tools (left_tool, right_tool); moving the chain to "
        f"'left_tool', the one with the most joints (--tip LINK: another; --tips A,B: several "
        f"tools at once)\n"))
    one = _write(tmp_path / "one.urdf", _mobile(1))     # one arm: its tool, nothing to say
    r = run([str(one), "--gif", "out.gif", "--frames", "2", "--size", "96x96"], tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    # wheel0 steered and cambered (three joints about its centre: the most, turning in place)
    steered = _write(tmp_path / "steered.urdf", [
        ("steer0", "revolute", "base", "knuckle0", "0.2 0.15 0", "0 0 1"),
        ("camber0", "revolute", "knuckle0", "hub0", "0 0 0", "1 0 0")] + [
        ("spin0", "continuous", "hub0", "wheel0", "0 0 0", "0 1 0")] + _mobile(2)[1:])
    r = run([str(steered), "--gif", "out.gif", "--frames", "2", "--size", "96x96"], tmp_path)
    assert (r.returncode, r.stderr) == (0, (
        f"armsim: note: {steered} has 2 tools (left_tool, right_tool); moving the chain to "
        f"'left_tool', the one with the most joints that does not turn in place (--tip LINK: "
        f"another; --tips A,B: several tools at once)\n"))


def test_bad_input_after_the_note_of_which_tool_is_one_line(tmp_path):
    # the note of the tool a URDF's run took was printed first, so bad input was two lines:
    # the note and the error ("armsim: note: panda_hand.urdf has 3 tools ..." then "armsim:
    # error: cannot write ..."; a mimic of a missing joint: "... moving the whole robot with
    # 'f' as its tool" then "joint 'jf' mimics 'nosuch' ..."); it is said once all is good
    hand = ROOT / "assets" / "robots" / "panda_hand.urdf"
    for extra in (["--report", str(tmp_path / "no" / "r.json")], ["--fps", "100"],
                  ["--learner", "adam"]):
        r = run([str(hand), "--gif", "out.gif", "--frames", "2", *extra], tmp_path)
        assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r.stderr
        assert r.stderr.startswith("armsim: error: argument --" if extra[0] != "--report"
                                   else "armsim: error: cannot write"), r.stderr
    mimic = tmp_path / "mimic.urdf"
    mimic.write_text(
        '<robot name="m"><link name="b"/><link name="l1"/><link name="l2"/><link name="f"/>'
        + _joint("j1", "revolute", "b", "l1", "0 0 0.1", "0 0 1")
        + _joint("j2", "revolute", "l1", "l2", "0.3 0 0", "0 1 0")
        + _joint("jf", "revolute", "l2", "f", "0.3 0 0", "0 0 1").replace(
            "</joint>", '<mimic joint="nosuch"/></joint>') + "</robot>")
    r = run([str(mimic), "--gif", "out.gif", "--frames", "2"], tmp_path)
    assert (r.returncode, r.stderr) == (2, f"{mimic}: joint 'jf' mimics 'nosuch', which is not "
                                           f"a movable joint of the robot\n")
    assert not (tmp_path / "out.gif").exists()


def test_a_shipped_robot_s_name_given_as_a_file_points_to_robot(tmp_path):
    # "run_arm.py panda" said "panda: cannot read scene file: No such file or directory"
    for args, name in ((["panda"], "panda"), (["dual_arm.urdf", "--tips", "a,b"], "dual_arm")):
        r = run(args + ["--gif", "out.gif"], tmp_path)
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr == (f"{args[0]}: no such file ('{name}' is a robot armsim ships: "
                            f"--robot {name})\n")
    (tmp_path / "panda").mkdir()        # a folder of that name here: read as given
    r = run(["panda", "--gif", "out.gif"], tmp_path)
    assert r.returncode == 2 and "armsim ships" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["panda"]
