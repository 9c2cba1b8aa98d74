"""URDF files: chains from yourdfpy's parse, fixed joints collapsed, errors by exact message."""

import sys

import numpy as np
import pytest

import armsim


PLANAR = """<?xml version="1.0"?>
<robot name="planar3">
  <link name="world"/><link name="mount"/><link name="l1"/><link name="l2"/><link name="l3"/>
  <link name="tool"/><link name="side"/><link name="side2"/>
  <joint name="mount" type="fixed"><parent link="world"/><child link="mount"/></joint>
  <joint name="j1" type="revolute"><parent link="mount"/><child link="l1"/>
    <axis xyz="0 0 1"/><limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
  <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/>
    <origin xyz="0.7 0 0"/><axis xyz="0 0 1"/><limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
  <joint name="j3" type="continuous"><parent link="l2"/><child link="l3"/>
    <origin xyz="0.5 0 0"/><axis xyz="0 0 1"/></joint>
  <joint name="tool" type="fixed"><parent link="l3"/><child link="tool"/><origin xyz="0.3 0 0"/></joint>
  <joint name="s1" type="revolute"><parent link="mount"/><child link="side"/>
    <axis xyz="1 0 0"/><limit lower="-1" upper="1" effort="1" velocity="1"/></joint>
  <joint name="s2" type="fixed"><parent link="side"/><child link="side2"/><origin xyz="0 0.2 0"/></joint>
</robot>
"""


@pytest.fixture
def planar_file(tmp_path):
    p = tmp_path / "planar3.urdf"
    p.write_text(PLANAR)
    return p


def test_planar_urdf_equals_chain(planar_file):
    chain = armsim.load_urdf(planar_file)
    assert (chain.n, chain.base, chain.tip, chain.names) == (3, "world", "tool", ("j1", "j2", "j3"))
    assert chain.limits.tolist() == [[-3, 3], [-3, 3], [-np.inf, np.inf]]
    planar = armsim.Chain([0.7, 0.5, 0.3])
    q = np.random.default_rng(0).uniform(-3, 3, (100, 3))
    R, p = chain.pose(q)
    assert np.abs(p[:, :2] - planar.tip(q)).max() < 1e-12
    assert np.abs(chain.jacobian(q)[:, :2] - planar.jacobian(q)).max() < 1e-12


def test_base_and_tip_by_name(planar_file):
    side = armsim.load_urdf(planar_file, tip="side2")
    assert (side.n, side.names, side.base) == (1, ("s1",), "world")
    part = armsim.load_urdf(planar_file, base="l1", tip="l3")
    assert part.names == ("j2", "j3")
    R, p = part.pose([0.0, 0.0])
    assert np.allclose(p, [1.2, 0, 0], atol=1e-15)


CASES = {
    "<robot name='r'><link name='a'/": "not well-formed XML: attributes construct error, line 1, column 31",
    "<foo/>": "the root element must be <robot>, got <foo>",
    "<robot name='r'></robot>": "no <link> in the file",
    "<robot name='r'><link name='a'/><link name='b'/></robot>":
        "the links must form one tree, found 2 roots ('a', 'b')",
    "<robot name='r'><link name='a'/><joint name='j' type='revolute'><parent link='a'/>"
    "<child link='zz'/><limit lower='-1' upper='1'/></joint></robot>":
        "joint 'j': child link 'zz' is not a <link> of the file",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='weird'>"
    "<parent link='a'/><child link='b'/></joint></robot>": "joint 'j' has an unknown type 'weird'",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<parent link='a'/><child link='b'/></joint></robot>":
        "joint 'j' (revolute) needs <limit lower=... upper=...>",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='floating'>"
    "<parent link='a'/><child link='b'/></joint></robot>":
        "joint 'j' is floating; a chain (load_urdf, --tip) takes no mimic, "
        "floating, planar or spherical joint: load the whole robot (armsim.load_robot; on the "
        "command line --tips)",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='planar'>"
    "<parent link='a'/><child link='b'/></joint></robot>":
        "joint 'j' is planar; a chain (load_urdf, --tip) takes no mimic, "
        "floating, planar or spherical joint: load the whole robot (armsim.load_robot; on the "
        "command line --tips)",
    "<robot name='r'><link name='a'/><link name='b'/><link name='c'/><joint name='j' "
    "type='revolute'><parent link='a'/><child link='b'/><limit lower='-1' upper='1'/></joint>"
    "<joint name='k' type='revolute'><parent link='b'/><child link='c'/><limit lower='-1' "
    "upper='1'/><mimic joint='j'/></joint></robot>":
        "joint 'k' is a mimic joint; a chain (load_urdf, --tip) takes no mimic, "
        "floating, planar or spherical joint: load the whole robot (armsim.load_robot; on the "
        "command line --tips)",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<parent link='a'/><child link='b'/><axis xyz='0 0 0'/><limit lower='-1' upper='1'/>"
    "</joint></robot>": "joint 'j': axis must not be zero",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<parent link='a'/><child link='b'/><origin xyz='0 x 0'/><limit lower='-1' upper='1'/>"
    "</joint></robot>": "joint 'j': origin xyz[1] must be a number, got 'x'",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<parent link='a'/><child link='b'/><limit lower='x' upper='1'/>"
    "</joint></robot>": "joint 'j': <limit> lower must be a number, got 'x'",   # was "not a
    # valid URDF (could not convert string to float: 'x')", the joint unnamed
    "<robot name='r'><link name='a'/><link name='b'/><link name='c'/><joint name='j' "
    "type='revolute'><parent link='a'/><child link='b'/><limit lower='-1' upper='1'/></joint>"
    "<joint name='k' type='revolute'><parent link='b'/><child link='c'/><limit lower='-1' "
    "upper='1'/><mimic joint='j' multiplier='two'/></joint></robot>":
        "joint 'k': <mimic> multiplier must be a number, got 'two'",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<child link='b'/><limit lower='-1' upper='1'/></joint></robot>":
        "joint 'j' lacks its <parent link=...>",
    # Python's float() read "1_0" as 10 and full-width digits as digits
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<parent link='a'/><child link='b'/><origin xyz='0 0 1_0'/><limit lower='-1' upper='1'/>"
    "</joint></robot>": "joint 'j': origin xyz[2] must be a number, got '1_0'",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<parent link='a'/><child link='b'/><origin xyz='0 0 \uff10.\uff13'/><limit lower='-1' "
    "upper='1'/></joint></robot>": "joint 'j': origin xyz[2] must be a number, got '\uff10.\uff13'",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<parent link='a'/><child link='b'/><origin xyz='0 0 1'/><limit lower='-1_0' upper='1'/>"
    "</joint></robot>": "joint 'j': <limit> lower must be a number, got '-1_0'",
    # two <origin> (or <parent>) in a joint: the first was read, the second ignored
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<parent link='a'/><child link='b'/><origin xyz='0 0 1'/><origin xyz='0 0 2'/>"
    "<limit lower='-1' upper='1'/></joint></robot>":
        "joint 'j' has 2 <origin> elements; a joint has one",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='revolute'>"
    "<parent link='a'/><parent link='b'/><child link='b'/><limit lower='-1' upper='1'/>"
    "</joint></robot>": "joint 'j' has 2 <parent> elements; a joint has one",
    "<robot name='r'><link name='a'/><link name='b'/><joint name='j' type='fixed'>"
    "<parent link='a'/><child link='b'/></joint></robot>":
        "the robot has no movable joint (2 links, 1 fixed joint)",
}


@pytest.mark.parametrize("text, message", list(CASES.items()))
def test_malformed_urdf_is_one_line_naming_the_file(tmp_path, capsys, text, message):
    p = tmp_path / "robot.urdf"
    p.write_text(text)
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(p)
    assert str(err.value) == f"{p}: {message}"
    assert capsys.readouterr() == ("", "")       # yourdfpy's chatter is swallowed


def test_no_movable_joint_below_the_base_says_so(tmp_path):
    # with no tip named it said "no movable joint between links 'b' and 'b'", a leaf the
    # user never named
    p = tmp_path / "r.urdf"
    p.write_text("<robot name='r'><link name='a'/><link name='b'/><link name='c'/>"
                 "<joint name='j' type='revolute'><parent link='a'/><child link='b'/>"
                 "<limit lower='-1' upper='1'/><origin xyz='0 0 0.5'/></joint>"
                 "<joint name='k' type='fixed'><parent link='b'/><child link='c'/></joint>"
                 "</robot>")
    for kwargs, message in [
            ({"base": "b"}, "no movable joint below link 'b' (revolute, continuous or "
                            "prismatic): nothing to move"),
            ({"base": "b", "tip": "c"}, "no movable joint between links 'b' and 'c'")]:
        with pytest.raises(ValueError) as err:
            armsim.load_urdf(p, **kwargs)
        assert str(err.value) == f"{p}: {message}"


def test_missing_file_and_unknown_links(tmp_path, planar_file):
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(tmp_path / "none.urdf")
    assert str(err.value) == f"{tmp_path / 'none.urdf'}: no such file"
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(planar_file, tip="nope")
    assert str(err.value).startswith(f"{planar_file}: no link named 'nope' (the tip); links: world")
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(planar_file, base="side", tip="l3")
    assert str(err.value) == f"{planar_file}: link 'l3' is not below link 'side'"


NO_YOURDFPY = "reading URDF needs yourdfpy, a dependency of armsim: pip install yourdfpy"


def test_missing_yourdfpy_is_one_line_and_status_2(monkeypatch, capsys, planar_file):
    from armsim import cli
    monkeypatch.setitem(sys.modules, "yourdfpy", None)      # `import yourdfpy` raises ImportError
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(planar_file)
    assert str(err.value) == f"{planar_file}: {NO_YOURDFPY}"
    gif = planar_file.parent / "x.gif"
    assert cli.main(["--robot", "panda", "--gif", str(gif), "--frames", "1"]) == 2
    assert capsys.readouterr() == ("", f"--robot panda: {NO_YOURDFPY}\n")   # (not its file)
    assert not gif.exists()


def test_a_missing_file_named_as_a_shipped_robot_says_how_to_load_it(tmp_path, monkeypatch):
    # armsim.load_robot("dual_arm") said only "dual_arm: no such file"
    monkeypatch.chdir(tmp_path)
    for name, stem in (("dual_arm", "dual_arm"), ("panda.urdf", "panda")):
        for load in (armsim.load_robot, armsim.load_urdf):
            with pytest.raises(ValueError) as err:
                load(name)
            assert str(err.value) == (
                f"{name}: no such file ('{stem}' is a robot armsim ships: "
                f"armsim.robots.load_robot('{stem}') for the whole robot, "
                f"armsim.robots.load('{stem}') for one chain)")
    # a path in a folder, another name, or a file that exists: no hint
    for name in ("robots/panda.urdf", "pandas", str(tmp_path / "ur5.urdf")):
        with pytest.raises(ValueError) as err:
            armsim.load_urdf(name)
        assert str(err.value).endswith(": no such file")
