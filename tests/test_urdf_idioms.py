"""URDF idioms of real files (pybullet's data among them) that a user expects to load: each
file is written here, small, in the idiom's own words."""

import numpy as np
import pytest

import armsim
from armsim.kinematics.urdf import parse_root


def arm(header='<?xml version="1.0"?>'):
    return (f"{header}\n<robot name='two'><link name='base'/><link name='l1'/><link name='tip'/>"
            "<joint name='j1' type='revolute'><parent link='base'/><child link='l1'/>"
            "<origin xyz='0 0 0.3'/><axis xyz='0 0 1'/>"
            "<limit lower='-1' upper='1' effort='1' velocity='1'/></joint>"
            "<joint name='j2' type='continuous'><parent link='l1'/><child link='tip'/>"
            "<origin xyz='0.4 0 0'/><axis xyz='0 1 0'/></joint></robot>")


def test_xml_declaration_of_version_0_0_is_read(tmp_path):
    # pybullet writes <?xml version="0.0" ?> (26 of its URDF files); libxml2 refused it:
    # "not well-formed XML: Unsupported version '0.0', line 1, column 20"
    for header in ('<?xml version="0.0" ?>', "\ufeff<?xml version = '2.0'?>"):
        path = tmp_path / "robot.urdf"
        path.write_text(arm(header), encoding="utf-8")
        chain = armsim.load_urdf(path)
        assert [j.name for j in chain.joints] == ["j1", "j2"]
        assert parse_root(path).get("name") == "two"
        assert armsim.load_robot(path).joint_names == ("j1", "j2")


def test_blank_lines_before_the_declaration_and_a_trailing_nul_are_read(tmp_path):
    # pybullet's biped2d_pybullet.urdf starts with three blank lines, its humanoid.urdf ends
    # in a NUL byte: "XML declaration allowed only at the start of the document, line 4,
    # column 6", "Extra content at the end of the document"
    path = tmp_path / "robot.urdf"
    for text in ("\n\n\n" + arm(), arm() + "\r\n\0", "\r\n " + arm() + "\0\0"):
        path.write_text(text, encoding="utf-8")
        assert [j.name for j in armsim.load_urdf(path).joints] == ["j1", "j2"]
    # a later line keeps its number in a message: <robot ...> is the file's line 4
    path.write_text("\n\n" + arm().replace("<link name='l1'/>", "<link name='l1'>"))
    with pytest.raises(ValueError, match="not well-formed XML: Opening and ending tag mismatch: "
                                         "link line 4 and robot, line 4, column 378$"):
        armsim.load_urdf(path)


def test_a_utf16_file_with_its_byte_order_mark_is_read(tmp_path):
    # Windows PowerShell 5 writes `xacro robot.xacro > robot.urdf` as UTF-16 with a byte-order
    # mark, which libxml2 reads; the NUL bytes trimmed from the end took the high byte of the
    # last character: "not well-formed XML: Invalid bytes in character encoding, line 1, ..."
    path = tmp_path / "robot.urdf"
    for encoding in ("utf-16-le", "utf-16-be"):
        for header in ("", '<?xml version="1.0" encoding="UTF-16"?>'):
            path.write_bytes("\ufeff".encode(encoding) + (arm(header) + "\r\n").encode(encoding))
            assert [j.name for j in armsim.load_urdf(path).joints] == ["j1", "j2"]
            assert armsim.load_robot(path).joint_names == ("j1", "j2")
            assert parse_root(path).get("name") == "two"


def slider(tmp_path):
    # pybullet's cube_no_rotation.urdf and biped2d_pybullet.urdf: lower > upper, "no limit"
    nolimit = "<limit effort='0' lower='1' upper='-1' velocity='1000'/>"
    text = ("<?xml version='1.0'?><robot name='slider'><link name='world'/><link name='x'/>"
            "<link name='arm'/><link name='tip'/>"
            "<joint name='x_to_world' type='prismatic'><parent link='world'/>"
            f"<child link='x'/><axis xyz='1 0 0'/>{nolimit}</joint>"
            "<joint name='turn' type='revolute'><parent link='x'/><child link='arm'/>"
            f"<origin xyz='0 0 0.2'/><axis xyz='0 0 1'/>{nolimit}</joint>"
            "<joint name='tool' type='fixed'><parent link='arm'/><child link='tip'/>"
            "<origin xyz='0.3 0 0'/></joint></robot>")
    path = tmp_path / "slider.urdf"
    path.write_text(text)
    return path


def test_limits_lower_above_upper_are_no_limit(tmp_path):
    # they were refused: "joint 'x_to_world': limits must be finite with lower <= upper,
    # got (1.0, -1.0)"
    path = slider(tmp_path)
    arm = armsim.load_urdf(path, base="x")           # the revolute joint: a turn
    assert arm.joints[0].type == "continuous"
    assert arm.limits.tolist() == [[-np.inf, np.inf]]
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(path)
    assert str(err.value) == (
        f"{path}: joint 'x_to_world': limits lower 1 > upper -1, no limit (pybullet's rule), an "
        "unbounded slide (a moving base's): a chain's travel must be within [-1000, 1000] m; "
        "load the whole robot (armsim.load_robot, or run_arm.py with --tips LINK)")
    robot = armsim.load_robot(path)                  # the slide: a moving base's
    assert robot.joint_names == ("x_to_world", "turn")
    assert robot.base_joints == {"x_to_world"}
    assert robot.limits[0].tolist() == [-100.0, 100.0]
    assert robot.types == ("prismatic", "continuous")
    assert robot.limits[1].tolist() == [-np.inf, np.inf]


def test_an_object_without_movable_joints_is_named_so(tmp_path):
    # pybullet's cube.urdf (one link) said "no movable joint between links 'baseLink' and
    # 'baseLink'", its xarm/base.urdf "... between links 'world' and 'link_base'"
    path = tmp_path / "cube.urdf"
    path.write_text('<?xml version="1.0"?><robot name="cube"><link name="baseLink"/></robot>')
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(path)
    assert str(err.value) == f"{path}: the robot has no movable joint (1 link, no fixed joints)"
    path.write_text("<robot name='base'><link name='world'/><link name='b'/><joint name='w' "
                    "type='fixed'><parent link='world'/><child link='b'/></joint></robot>")
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(path)
    assert str(err.value) == f"{path}: the robot has no movable joint (2 links, 1 fixed joint)"
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(path, tip="world")      # any chain of it
    assert str(err.value) == f"{path}: the robot has no movable joint (2 links, 1 fixed joint)"
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(slider(tmp_path), base="arm", tip="tip")
    assert str(err.value).endswith("slider.urdf: no movable joint between links 'arm' and 'tip'")


def test_an_element_repeated_word_for_word_is_read_once(tmp_path):
    # pybullet's spirit40newer.urdf repeats <axis xyz="0 1 0"/> in a joint: it was refused,
    # "joint 'RL_lower_joint' has 2 <axis> elements; a joint has one"
    path = tmp_path / "robot.urdf"
    path.write_text(arm().replace("<axis xyz='0 1 0'/>", "<axis xyz='0 1 0'/><axis xyz='0 1 0' />"))
    chain = armsim.load_urdf(path)
    assert chain.joints[1].axis == (0.0, 1.0, 0.0)
    path.write_text(arm().replace("<axis xyz='0 1 0'/>", "<axis xyz='0 1 0'/><axis xyz='1 0 0'/>"))
    with pytest.raises(ValueError) as err:           # two that differ: which one is meant?
        armsim.load_urdf(path)
    assert str(err.value) == f"{path}: joint 'j2' has 2 <axis> elements; a joint has one"


def test_a_shape_of_size_zero_is_an_unseen_marker(tmp_path):
    # pybullet's laikago_toes.urdf gives each toe a <sphere radius="0.0"/>: it warned "link
    # 'toeFR': visual: sphere radius must be positive, at most 1000 m, got '0.0'; drawing a
    # generated shape for link 'toeFR'" (4 lines for the four toes of --tips)
    from armsim.kinematics.visuals import chain_visuals, link_visuals
    path = tmp_path / "robot.urdf"
    text = arm().replace("<link name='l1'/>", "<link name='l1'><visual><geometry><box size="
                         "'0.1 0.1 0.4'/></geometry></visual></link>")
    for zero in ("<sphere radius='0.0'/>", "<box size='0 0.1 0.1'/>",
                 "<cylinder radius='0.01' length='0'/>"):
        path.write_text(text.replace("<link name='tip'/>", "<link name='tip'><visual><geometry>"
                                     f"{zero}</geometry></visual></link>"))
        told = []
        items = chain_visuals(armsim.load_urdf(path), warn=told.append)
        assert [[(v.kind, v.link) for v in frame] for frame in items] == [[], [("box", "l1")], []]
        robot = armsim.load_robot(path)
        assert [len(v) for v in link_visuals(path, robot.links, warn=told.append)] == [0, 1, 0]
        assert told == []
    told = []                                        # (a negative size still warns)
    path.write_text(text.replace("<link name='tip'/>", "<link name='tip'><visual><geometry>"
                                 "<box size='0 -1 1'/></geometry></visual></link>"))
    chain_visuals(armsim.load_urdf(path), warn=told.append)
    assert told == [f"{path}: link 'tip': visual: box size must be positive, at most 1000 m, "
                    "got '0 -1 1'; drawing a generated shape for link 'tip'"]


def test_meshes_not_found_are_one_warning_line(tmp_path):
    # pybullet's racecar_differential.urdf names 12 meshes under 'differential/' beside it,
    # none there: 12 warning lines, one a mesh; now one line (one mesh alone: as before)
    from armsim.kinematics.visuals import chain_visuals, link_visuals
    path = tmp_path / "robot.urdf"
    mesh = "<visual><geometry><mesh filename='parts/{}.stl'/></geometry></visual>"
    text = arm().replace("<link name='base'/>", f"<link name='base'>{mesh.format('a')}"
                         f"{mesh.format('b')}</link>").replace(
        "<link name='l1'/>", f"<link name='l1'>{mesh.format('c')}{mesh.format('d')}</link>")
    path.write_text(text)
    told = []
    assert chain_visuals(armsim.load_urdf(path), warn=told.append) == [[], [], []]
    assert told == [f"{path}: 4 meshes not found ('parts/a.stl', 'parts/b.stl', "
                    "'parts/c.stl', ...); drawing generated shapes for links 'base', 'l1'"]
    told = []
    link_visuals(path, armsim.load_robot(path).links, warn=told.append)
    assert len(told) == 1 and told[0].startswith(f"{path}: 4 meshes not found")
    path.write_text(arm().replace("<link name='l1'/>", f"<link name='l1'>{mesh.format('c')}"
                                  "</link>"))
    told = []
    chain_visuals(armsim.load_urdf(path), warn=told.append)
    assert told == [f"{path}: link 'l1': mesh 'parts/c.stl' not found; drawing a generated "
                    "shape"]


def test_a_limit_without_lower_and_upper_is_no_limit(tmp_path):
    # pybullet's minitaur.urdf and quadruped.urdf write <limit effort="100" velocity="100"/>
    # on revolute knees (pybullet's defaults: lower 0, upper -1, "no limit"); they were
    # refused: "joint 'knee_front_rightR_link' (revolute) needs <limit lower=... upper=...>"
    path = tmp_path / "robot.urdf"
    path.write_text(arm().replace("lower='-1' upper='1' ", ""))
    chain = armsim.load_urdf(path)
    assert [j.type for j in chain.joints] == ["continuous", "continuous"]
    assert armsim.load_robot(path).types == ("continuous", "continuous")
    path.write_text(arm().replace("<limit lower='-1' upper='1' effort='1' velocity='1'/>", ""))
    with pytest.raises(ValueError) as err:            # no <limit> at all: as before
        armsim.load_urdf(path)
    assert str(err.value) == f"{path}: joint 'j1' (revolute) needs <limit lower=... upper=...>"
