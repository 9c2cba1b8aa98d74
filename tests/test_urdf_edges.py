"""Hostile robot models (issue 22): loops, overflowing offsets, huge files, special paths,
arms too small to see.  Each is refused up front with one ValueError line naming the file
(or the DH table) and what is wrong; none hangs, warns or grows without bound."""

import os
import subprocess
import sys
import textwrap
import time
import warnings

from pathlib import Path

import numpy as np
import pytest

import armsim
from armsim.kinematics import validate
from armsim.kinematics.spatial import Joint, SpatialChain


ROOT = Path(__file__).resolve().parents[1]

LIMIT = "<limit lower='-1' upper='1' effort='1' velocity='1'/>"


def joint(name, parent, child, kind="revolute", xyz="0 0 0.3", extra=""):
    limit = LIMIT if kind in ("revolute", "prismatic") else ""
    return (f"<joint name='{name}' type='{kind}'><parent link='{parent}'/><child link='{child}'/>"
            f"<origin xyz='{xyz}'/><axis xyz='0 0 1'/>{limit}{extra}</joint>")


def robot(links, joints):
    return ("<?xml version='1.0'?><robot name='r'>" + "".join(f"<link name='{n}'/>" for n in links)
            + "".join(joints) + "</robot>")


ARM_LINKS = ["base", "l1", "l2", "tool"]
ARM_JOINTS = [joint("j1", "base", "l1"), joint("j2", "l1", "l2"),
              joint("t", "l2", "tool", "fixed", "0.2 0 0")]
# two links, each the child of the other: a loop beside the arm, not attached to it
LOOP_LINKS = ["c1", "c2"]
LOOP_JOINTS = [joint("k1", "c1", "c2"), joint("k2", "c2", "c1")]
LOOP_LINE = "the links form a cycle: 'c1' -> 'c2' -> 'c1' (joints 'k1', 'k2'); a URDF must be one tree"


def write(tmp_path, text, name="robot.urdf"):
    p = tmp_path / name
    p.write_text(text)
    return p


def refused(path, **kw):
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(path, **kw)
    return str(err.value)


# -- 1. kinematic loops ----------------------------------------------------------------------

def test_cycle_detached_from_the_arm_is_refused(tmp_path):
    p = write(tmp_path, robot(ARM_LINKS + LOOP_LINKS, ARM_JOINTS + LOOP_JOINTS))
    assert refused(p) == f"{p}: {LOOP_LINE}"


def test_tool_on_a_cycle_returns_at_once(tmp_path):
    # before: the walk from the tool up to the base went round the loop for ever, growing
    # ~85 MB/s; in a child process so that a regression fails instead of hanging the run
    p = write(tmp_path, robot(ARM_LINKS + LOOP_LINKS, ARM_JOINTS + LOOP_JOINTS))
    code = textwrap.dedent(f"""
        import armsim
        try:
            armsim.load_urdf({str(p)!r}, tip="c2")
        except ValueError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=ROOT)
    assert out.stdout == f"{p}: {LOOP_LINE}\n" and out.stderr == ""


def test_base_on_a_cycle_is_refused(tmp_path):
    p = write(tmp_path, robot(ARM_LINKS + LOOP_LINKS, ARM_JOINTS + LOOP_JOINTS))
    t = time.perf_counter()
    assert refused(p, base="c1") == f"{p}: {LOOP_LINE}"
    assert time.perf_counter() - t < 1.0


def test_cycle_through_the_arm_and_self_loop(tmp_path):
    # every link has one parent, so there is no root; the cycle is named, not "0 roots"
    p = write(tmp_path, robot(["a", "b", "c"], [joint("ab", "a", "b"), joint("bc", "b", "c"),
                                                joint("ca", "c", "a")]))
    assert refused(p) == (f"{p}: the links form a cycle: 'a' -> 'b' -> 'c' -> 'a' (joints 'ab', "
                          f"'bc', 'ca'); a URDF must be one tree")
    p = write(tmp_path, robot(["a", "b"], [joint("ab", "a", "b"), joint("bb", "b", "b")]))
    assert refused(p) == f"{p}: joint 'bb' has link 'b' as both parent and child"


def test_duplicate_names_are_refused(tmp_path):
    p = write(tmp_path, robot(["a", "b", "a"], [joint("ab", "a", "b")]))
    assert refused(p) == f"{p}: two links are named 'a'"
    p = write(tmp_path, robot(["a", "b", "c"], [joint("j", "a", "b"), joint("j", "b", "c")]))
    assert refused(p) == f"{p}: two joints are named 'j'"


# -- 2. numbers out of their range, checked before any arithmetic -----------------------------

def test_overflowing_fixed_offsets_give_one_line_and_no_warning(tmp_path):
    p = write(tmp_path, robot(["w", "m", "b", "l1", "tool"], [
        joint("f1", "w", "m", "fixed", "1e308 1e308 0"), joint("f2", "m", "b", "fixed", "1e308 0 0"),
        joint("j1", "b", "l1"), joint("t", "l1", "tool", "fixed", "0.3 0 0")]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        msg = refused(p)
    assert msg == f"{p}: joint 'f1': origin xyz[0] must be within [-1000, 1000] m, got 1e+308"


@pytest.mark.parametrize("attr, value, line", [
    ("origin", "<origin xyz='0 0 0.3' rpy='0 nan 0'/>", "joint 'j2': origin rpy[1] must be within "
                                                        "[-1e+06, 1e+06] rad, got nan"),
    ("origin", "<origin xyz='0 0 inf'/>", "joint 'j2': origin xyz[2] must be within [-1000, 1000] m, "
                                          "got inf"),
    ("origin", "<origin xyz='0 0'/>", "joint 'j2': origin xyz must be three numbers, got '0 0'"),
    ("axis", "<axis xyz='1e308 1e308 0'/>", "joint 'j2': axis[0] must be within [-1e+06, 1e+06], "
                                            "got 1e+308"),
])
def test_bad_numbers_on_the_chain(tmp_path, attr, value, line):
    j2 = (f"<joint name='j2' type='revolute'><parent link='l1'/><child link='l2'/>{value}"
          + ("<axis xyz='0 0 1'/>" if attr != "axis" else "") + LIMIT + "</joint>")
    p = write(tmp_path, robot(ARM_LINKS, [ARM_JOINTS[0], j2, ARM_JOINTS[2]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert refused(p) == f"{p}: {line}"


def test_prismatic_rail_beyond_the_length_range_is_refused(tmp_path):
    rail = ("<joint name='rail' type='prismatic'><parent link='base'/><child link='l1'/>"
            "<axis xyz='1 0 0'/><limit lower='-1e6' upper='1e6' effort='1' velocity='1'/></joint>")
    p = write(tmp_path, robot(ARM_LINKS, [rail] + ARM_JOINTS[1:]))
    # (a whole robot reads it as a moving base's slide: tests/test_virtual_base.py)
    assert refused(p) == (f"{p}: joint 'rail': limits (-1e+06, 1e+06) m, an unbounded slide "
                          f"(a moving base's): a chain's travel must be within [-1000, 1000] "
                          f"m; load the whole robot (armsim.load_robot, or run_arm.py with "
                          f"--tips LINK)")


def test_fixed_offsets_that_add_up_beyond_the_range(tmp_path):
    fixed = [joint(f"f{i}", f"m{i}", f"m{i + 1}", "fixed", "900 0 0") for i in range(3)]
    p = write(tmp_path, robot([f"m{i}" for i in range(4)] + ["l1", "tool"], fixed + [
        joint("j1", "m3", "l1"), joint("t", "l1", "tool", "fixed", "0.3 0 0")]))
    assert refused(p) == (f"{p}: joint 'j1': its origin with the fixed joints before it is "
                          f"[2700, 0, 0.3] m, beyond [-1000, 1000] m")


# -- 3. size and counts before parsing --------------------------------------------------------

def _limited(code, mb):
    """Run ``code`` in a child process whose address space may grow by ``mb`` MiB after
    numpy, lxml, yourdfpy and armsim are imported."""
    head = textwrap.dedent(f"""
        import resource, time
        import armsim, armsim.kinematics.urdf, lxml.etree, yourdfpy
        vm = int(open('/proc/self/status').read().split('VmSize:')[1].split()[0]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + {mb} * 2**20, vm + {mb} * 2**20))
    """)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-c", head + textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=env)


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    p = tmp_path / "big.urdf"
    text = robot(ARM_LINKS, ARM_JOINTS)
    with open(p, "w") as f:          # a 50 MB file: the robot, then blanks
        f.write(text[:-len("</robot>")])
        f.write(" " * (50 << 20))
        f.write("</robot>")
    out = _limited(f"""
        t = time.perf_counter()
        try:
            armsim.load_urdf({str(p)!r})
        except ValueError as exc:
            print(exc)
        print(time.perf_counter() - t < 0.5)
    """, 100)
    assert out.stdout == (f"{p}: URDF file too large: more than {validate.MAX_URDF_BYTES} bytes "
                          f"(16 MiB)\nTrue\n"), out.stderr


def test_too_many_tags_are_refused_before_parsing(tmp_path):
    # 4 million empty elements in 16 MiB took ~500 MB in the XML tree alone
    p = tmp_path / "tags.urdf"
    n = (validate.MAX_URDF_BYTES - 100) // 4
    p.write_text("<robot name='r'>" + "<a/>" * n + "</robot>")
    out = _limited(f"""
        try:
            armsim.load_urdf({str(p)!r})
        except ValueError as exc:
            print(exc)
    """, 100)
    assert out.stdout == (f"{p}: too much markup for a robot model: {n + 2} tags, at most "
                          f"{validate.MAX_TAGS}\n"), out.stderr


def test_the_largest_file_within_the_bounds_is_read_in_bounded_memory(tmp_path):
    # just under MAX_TAGS tags with one attribute each (the worst case measured: libxml2
    # takes ~400 bytes per element with an attribute): refused for its links, within 150 MB
    p = tmp_path / "wide.urdf"
    n = min(validate.MAX_TAGS, validate.MAX_ATTRIBUTES) - 10
    p.write_text("<robot name='r'>" + "".join(f"<link name='{i:07d}'/>" for i in range(n))
                 + "</robot>")
    out = _limited(f"""
        try:
            armsim.load_urdf({str(p)!r})
        except ValueError as exc:
            print(exc)
    """, 150)
    assert out.stdout == f"{p}: {n} links, at most {validate.MAX_LINKS} are accepted\n", out.stderr


def test_too_many_links_and_a_chain_too_long(tmp_path):
    n = validate.MAX_LINKS + 1
    p = write(tmp_path, robot([f"l{i}" for i in range(n)], []))
    assert refused(p) == f"{p}: {n} links, at most {validate.MAX_LINKS} are accepted"
    m = validate.MAX_CHAIN_JOINTS + 1
    p = write(tmp_path, robot([f"l{i}" for i in range(m + 1)],
                              [joint(f"j{i}", f"l{i}", f"l{i + 1}", xyz="0 0 0.001") for i in range(m)]))
    assert refused(p) == (f"{p}: the chain from link 'l0' to link 'l{m}' has {m} movable joints, "
                          f"at most {validate.MAX_CHAIN_JOINTS} are accepted")


def test_entity_declarations_are_refused(tmp_path):
    p = write(tmp_path, "<?xml version='1.0'?><!DOCTYPE robot [<!ENTITY z SYSTEM '/dev/zero'>]>"
                        "<robot name='r'><link name='a'/>&z;</robot>")
    assert refused(p) == f"{p}: XML entity declarations (<!ENTITY ...>) are not accepted in a URDF"


# -- 4. paths that are not regular files -----------------------------------------------------

def test_fifo_device_and_folder_are_named(tmp_path):
    fifo = tmp_path / "pipe.urdf"
    os.mkfifo(fifo)
    t = time.perf_counter()
    assert refused(fifo) == f"{fifo}: cannot read the file: it is a pipe (FIFO), not a regular file"
    assert time.perf_counter() - t < 1.0
    assert refused("/dev/zero") == ("/dev/zero: cannot read the file: it is a character device, "
                                    "not a regular file")
    assert refused(tmp_path) == f"{tmp_path}: cannot read the file: it is a directory, not a regular file"
    link = tmp_path / "gone.urdf"
    link.symlink_to(tmp_path / "nothing.urdf")
    assert refused(link) == (f"{link}: no such file (a symbolic link to "
                             f"'{tmp_path / 'nothing.urdf'}', which does not exist)")
    loop = tmp_path / "loop.urdf"
    loop.symlink_to(loop)
    assert refused(loop) == f"{loop}: cannot read the file: Too many levels of symbolic links"
    assert refused("a\0b.urdf") == ("a\\x00b.urdf: cannot read the file: a file name cannot "
                                   "contain a NUL character")       # (shown escaped)
    assert refused(None) == "a URDF file's path must be a string or a Path, got NoneType"


# -- 5. arms too small (or too large) to be an arm --------------------------------------------

def test_zero_reach_dh_arm_is_refused_naming_it():
    with pytest.raises(ValueError) as err:
        SpatialChain.from_dh([[0, 0, 0, 0], [0, 1.5, 0, 0], [0, 0, 0, 0]])
    assert str(err.value) == ("the DH arm (3 joints) reaches 0 m from its first joint "
                              "(a tool this close to the first joint barely moves: name a "
                              "link farther out as the tool; lengths are in metres); a robot "
                              "model's reach must be within [0.001, 1000] m")


def test_tiny_dh_arm_is_refused():
    with pytest.raises(ValueError) as err:
        SpatialChain.from_dh([[1e-7, 0, 0, 0]] * 3)
    assert str(err.value) == ("the DH arm (3 joints) reaches 3e-07 m from its first joint "
                              "(a tool this close to the first joint barely moves: name a "
                              "link farther out as the tool; lengths are in metres); a robot "
                              "model's reach must be within [0.001, 1000] m")


def test_dh_table_numbers_are_checked_before_any_arithmetic():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError) as err:
            SpatialChain.from_dh([[0.3, 0, 0, 0], [1e308, np.nan, 0, 0]])
        assert str(err.value) == "DH table row 2: a must be within [-1000, 1000] m, got 1e+308"
        with pytest.raises(ValueError) as err:
            SpatialChain.from_dh([[0.3, 0, 0, 0]], types=["revolute", "revolute"])
        assert str(err.value) == "DH table: types must have 1 item(s), one per row, got 2"


def test_zero_reach_urdf_and_joint_list_are_refused(tmp_path):
    p = write(tmp_path, robot(["a", "b"], [joint("j", "a", "b")]))
    # its one leaf: no link farther out to name as the tool (that hint is a named tip's)
    assert refused(p) == (f"{p}: the one leaf below link 'a' that a joint moves, 'b', is "
                          f"carried less than 1 mm by its joints (a wheel, rotor or finger "
                          f"turning in place), and no link is farther out: no tool to move (a "
                          f"tool must be 1 mm or more from its first joint)")
    assert refused(p, tip="b") == (
        f"{p}: the arm from link 'a' to link 'b' reaches 0 m from its first joint (a tool this "
        f"close to the first joint barely moves: name a link farther out as the tool; lengths "
        f"are in metres); a robot model's reach must be within [0.001, 1000] m")
    with pytest.raises(ValueError) as err:
        SpatialChain([Joint("x", "revolute", (1e3, 0, 0)), Joint("y", "revolute", (1e3, 0, 0))],
                     tool_xyz=(1e3, 0, 0))
    assert str(err.value) == ("the arm from 'base' to 'tool' reaches 2000 m from its first joint; "
                              "a robot model's reach must be within [0.001, 1000] m")


def test_ranges_are_one_table():
    assert validate.RANGES["length"] == validate.LENGTH_RANGE == (-1e3, 1e3, "m")
    assert validate.RANGES["reach"] == validate.REACH_RANGE == (1e-3, 1e3, "m")
    assert validate.RANGES["angle"] == validate.ANGLE_RANGE == (-1e6, 1e6, "rad")
    for name in ("panda", "ur5", "iiwa14", "snake20"):      # the shipped robots pass with room
        arm = armsim.robots.load(name)
        assert 0.5 < arm.reach < 10 and arm.n <= validate.MAX_CHAIN_JOINTS
        assert armsim.robots.path(name).stat().st_size < validate.MAX_URDF_BYTES / 1000


def test_a_scene_names_the_special_file_its_urdf_key_gives(tmp_path):
    """A scene's arm.urdf that is a pipe, a folder or a device is named for what it is (the
    scene said 'no such file' before loading it)."""
    import os

    from armsim import scene as sc
    os.mkfifo(tmp_path / "p.urdf")
    (tmp_path / "d.urdf").mkdir()
    for name, what in (("p.urdf", "a pipe (FIFO)"), ("d.urdf", "a directory"),
                       ("/dev/zero", "a character device")):
        path = tmp_path / "s.toml"
        path.write_text(f'[arm]\nurdf = "{name}"\n[target]\nkind = "fixed"\n'
                        'point = [0.3, 0.2, 0.4]\n')
        with pytest.raises(sc.SceneError) as err:
            sc.load(path)
        full = name if name.startswith("/") else str(tmp_path / name)
        assert str(err.value) == (f"{path}: arm.urdf: {full}: cannot read the file: it is "
                                  f"{what}, not a regular file")


def test_a_control_character_in_the_path_is_shown_escaped(tmp_path):
    """A NUL in the path (no file can have one) or an escape code and a line break in a
    file's name show as their escapes: the error stays one line a terminal prints as it is
    (load_urdf and load_robot put the NUL in their message raw)."""
    for load in (armsim.load_urdf, armsim.load_robot):
        with pytest.raises(ValueError) as err:
            load("a\x00b.urdf")
        assert str(err.value) == ("a\\x00b.urdf: cannot read the file: a file name cannot "
                                  "contain a NUL character")
    p = write(tmp_path, robot(ARM_LINKS + LOOP_LINKS, ARM_JOINTS + LOOP_JOINTS),
              "arm\x1b[2J\n.urdf")
    for load in (armsim.load_urdf, armsim.load_robot):
        with pytest.raises(ValueError) as err:
            load(p)
        assert str(err.value) == f"{tmp_path}/arm\\x1b[2J\\n.urdf: {LOOP_LINE}"


@pytest.mark.parametrize("axis, line", [
    ("nan 0 0", "axis[0] must be within [-1e+06, 1e+06], got nan"),
    ("0 inf 0", "axis[1] must be within [-1e+06, 1e+06], got inf"),
    ("1 0", "axis must be three numbers, got '1 0'"),
])
def test_a_fixed_joints_malformed_axis_is_refused_by_both_loaders(tmp_path, axis, line):
    """A URDF's <axis> is read for every joint: a fixed joint's non-finite axis on the chain
    is malformed for load_urdf as for load_robot, one line naming the joint (load_urdf took
    it: the chain ignored a fixed joint's axis)."""
    fixed = joint("t", "l2", "tool", "fixed", "0.2 0 0").replace("0 0 1'/>", f"{axis}'/>")
    p = write(tmp_path, robot(ARM_LINKS, ARM_JOINTS[:2] + [fixed]))
    for load in (armsim.load_urdf, armsim.load_robot):
        with pytest.raises(ValueError) as err:
            load(p)
        assert str(err.value) == f"{p}: joint 't': {line}"


def test_a_fixed_joint_without_an_axis_or_with_a_zero_one_loads_in_both(tmp_path):
    for extra in ("", "<axis xyz='0 0 0'/>"):
        fixed = (f"<joint name='t' type='fixed'><parent link='l2'/><child link='tool'/>"
                 f"<origin xyz='0.2 0 0'/>{extra}</joint>")
        p = write(tmp_path, robot(ARM_LINKS, ARM_JOINTS[:2] + [fixed]))
        assert armsim.load_urdf(p).n == 2 and armsim.load_robot(p).tips == ("tool",)
