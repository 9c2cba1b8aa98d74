"""A real robot's data files (issue 26 item 1): setup.toml, joints.csv, obs.csv.

Each bad input gets one exact line naming the file and the key, line, pose, joint or camera;
good files read back exactly what was written."""

import json
from pathlib import Path

import numpy as np
import pytest

import armsim
from armsim.vision.real import (DataError, Joints, format_joints, format_observations,
                                parse_joints, parse_observations, parse_setup, read_joints,
                                read_observations, read_setup, write_text)
from armsim.vision.real.setup import CAMERA_KEYS, DICTIONARIES, MARKER_KEYS

ROOT = Path(__file__).resolve().parents[1]
PANDA = ROOT / "armsim" / "kinematics" / "models" / "panda.urdf"
HAND = ROOT / "armsim" / "kinematics" / "models" / "panda_hand.urdf"

SETUP = """\
[[camera]]
name = "left"
width = 640
height = 480
fx = 800.0
fy = 801.0
cx = 319.5
cy = 239.5
distortion = [0.1, -0.02, 0.001, 0.0, 0.0]
learn_intrinsics = true

[[camera]]
name = "wrist"
width = 320
height = 240
fx = 400
fy = 400
cx = 160
cy = 120
link = "panda_link8"

[[marker]]
id = 3
dictionary = "DICT_4X4_50"
size = 0.05
link = "panda_link8"

[[marker]]
id = 7
dictionary = "DICT_5X5_100"
size = 0.04
link = "panda_link0"
"""


@pytest.fixture(scope="module")
def panda():
    return armsim.load_robot(PANDA)


@pytest.fixture(scope="module")
def setup(panda):
    return parse_setup(SETUP, "setup.toml", panda)


def test_setup_reads_every_key(setup):
    left, wrist = setup.cameras
    assert (left.name, left.width, left.height, left.fx, left.fy, left.cx, left.cy) == \
        ("left", 640, 480, 800.0, 801.0, 319.5, 239.5)
    assert left.distortion == (0.1, -0.02, 0.001, 0.0, 0.0) and left.learn_intrinsics
    assert left.link is None and wrist.link == "panda_link8" and not wrist.learn_intrinsics
    assert wrist.distortion == (0.0,) * 5 and isinstance(wrist.fx, float)
    m3, m7 = setup.markers
    assert (m3.id, m3.dictionary, m3.size, m3.link, m3.bits) == (3, "DICT_4X4_50", 0.05,
                                                                  "panda_link8", 4)
    assert (m7.bits, setup.marker(7).link) == (5, "panda_link0")
    assert setup.camera_names == ("left", "wrist") and setup.marker_ids == (3, 7)


def test_setup_from_a_file(tmp_path, panda):
    path = tmp_path / "setup.toml"
    path.write_text(SETUP)
    assert read_setup(path, panda).cameras == parse_setup(SETUP, "x", panda).cameras
    with pytest.raises(DataError, match=f"^{tmp_path}/none.toml: No such file or directory$"):
        read_setup(tmp_path / "none.toml")
    with pytest.raises(DataError, match=f"^{tmp_path}: it is a directory, not a regular file$"):
        read_setup(tmp_path)


def _edit(old, new, count=1):
    assert old in SETUP
    return SETUP.replace(old, new, count)


@pytest.mark.parametrize("text, message", [
    (_edit('fy = 801.0', 'fyy = 801.0'),
     "setup.toml: camera[0].fyy: unknown key (did you mean 'fy'?)"),
    (_edit('fy = 801.0', 'zoom = 1'),
     "setup.toml: camera[0].zoom: unknown key; expected one of name, width, height, fx, fy, "
     "cx, cy, distortion, learn_intrinsics, link"),
    (_edit('fy = 801.0\n', ''), "setup.toml: camera[0]: no 'fy'; give it"),
    (_edit('fx = 800.0', 'fx = -800.0'), "setup.toml: camera[0].fx: must be >= 1.0, got -800.0"),
    # values past their ranges failed later, blamed on obs.csv (a hand-eye start not found)
    (_edit('fx = 800.0', 'fx = 1e300'), "setup.toml: camera[0].fx: must be <= 1e+06, got 1e+300"),
    (_edit('fx = 800.0', 'fx = 1e-320'),
     "setup.toml: camera[0].fx: must be >= 1.0, got 1e-320"),
    (_edit('cy = 239.5', 'cy = 1e300'), "setup.toml: camera[0].cy: must be <= 1e+06, got 1e+300"),
    (_edit('fx = 800.0', 'fx = nan'), "setup.toml: camera[0].fx: must be a finite number, got nan"),
    (_edit('fx = 800.0', 'fx = "800"'), "setup.toml: camera[0].fx: must be a number, got '800'"),
    (_edit('width = 640', 'width = 640.0'),
     "setup.toml: camera[0].width: must be an integer, got 640.0"),
    (_edit('width = 640', 'width = 0'), "setup.toml: camera[0].width: must be > 0, got 0"),
    (_edit('width = 640', 'width = true'),
     "setup.toml: camera[0].width: must be an integer, got True"),
    (_edit('height = 480', 'height = 200000'),
     "setup.toml: camera[0].height: must be <= 100000, got 200000"),
    (_edit('width = 640\nheight = 480', 'width = 30000\nheight = 30000'),  # a 1 MB PNG
     "setup.toml: camera[0]: width x height must be at most 120,000,000 pixels (an image is "
     "decoded whole), got 30,000 x 30,000 = 900,000,000"),
    (_edit('distortion = [0.1, -0.02, 0.001, 0.0, 0.0]', 'distortion = [0.1, 0.2]'),
     "setup.toml: camera[0].distortion: must be 5 numbers [k1, k2, p1, p2, k3], got [0.1, 0.2]"),
    (_edit('distortion = [0.1, -0.02, 0.001, 0.0, 0.0]', 'distortion = [0.1, 0, 0, 0, inf]'),
     "setup.toml: camera[0].distortion: must be finite numbers within +-10000, got "
     "[0.1, 0, 0, 0, inf]"),
    (_edit('distortion = [0.1, -0.02, 0.001, 0.0, 0.0]', 'distortion = [1e300, 0, 0, 0, 0]'),
     "setup.toml: camera[0].distortion: must be finite numbers within +-10000, got "
     "[1e+300, 0, 0, 0, 0]"),
    (_edit('learn_intrinsics = true', 'learn_intrinsics = "yes"'),
     "setup.toml: camera[0].learn_intrinsics: must be true or false, got 'yes'"),
    (_edit('name = "wrist"', 'name = "left"'),
     "setup.toml: camera[1].name: 'left' is also camera[0]'s name"),
    (_edit('name = "wrist"', 'name = "a/b"'),
     "setup.toml: camera[1].name: a camera name must be 1 to 100 letters, digits, '_', '.' or "
     "'-' (not starting with '.' or '-'), got 'a/b'"),
    (_edit('link = "panda_link8"', 'link = "panda_link9"'),
     "setup.toml: camera[1].link: no link 'panda_link9' in the URDF (did you mean "
     "'panda_link8'?)"),
    (_edit('id = 7', 'id = 3'), "setup.toml: marker[1].id: 3 is also marker[0]'s id"),
    (_edit('id = 7', 'id = 100'), "setup.toml: marker[1].id: DICT_5X5_100 has ids 0 to 99, got 100"),
    (_edit('id = 7', 'id = -1'), "setup.toml: marker[1].id: must be >= 0, got -1"),
    (_edit('"DICT_5X5_100"', '"DICT_5x5_100"'),
     "setup.toml: marker[1].dictionary: unknown dictionary 'DICT_5x5_100' (did you mean "
     "'DICT_5X5_100'?)"),
    (_edit('"DICT_5X5_100"', '"QR"'),
     "setup.toml: marker[1].dictionary: unknown dictionary 'QR'; e.g. 'DICT_4X4_50'"),
    # a list or a table was looked up in the dictionaries: TypeError, a traceback
    (_edit('"DICT_5X5_100"', '["DICT_5X5_100"]'),
     "setup.toml: marker[1].dictionary: must be a dictionary's name, e.g. 'DICT_4X4_50', got "
     "['DICT_5X5_100']"),
    (_edit('"DICT_5X5_100"', '{ name = "DICT_5X5_100" }'),
     "setup.toml: marker[1].dictionary: must be a dictionary's name, e.g. 'DICT_4X4_50', got "
     "{'name': 'DICT_5X5_100'}"),
    (_edit('size = 0.04', 'size = 0'), "setup.toml: marker[1].size: must be >= 0.0001, got 0"),
    (_edit('size = 0.04', 'size = 1e-300'),
     "setup.toml: marker[1].size: must be >= 0.0001, got 1e-300"),
    (_edit('size = 0.04', 'sise = 0.04'),
     "setup.toml: marker[1].sise: unknown key (did you mean 'size'?)"),
    (_edit('link = "panda_link0"', 'link = "base"'),
     "setup.toml: marker[1].link: no link 'base' in the URDF"),
    (_edit('link = "panda_link0"', 'link = 3'),
     "setup.toml: marker[1].link: must be a link name, got 3"),
    ("[[camera]]\nname = 'x'\n[[marker]]\n", "setup.toml: camera[0]: no 'width'; give it"),
    (SETUP.split("[[marker]]")[0], "setup.toml: no [[marker]] table; give at least one"),
    ("marker = 3\n" + SETUP.split("[[marker]]")[0],
     "setup.toml: marker: must be an array of tables ([[marker]]), got 3"),
    ("[[cameras]]\n", "setup.toml: cameras: unknown table (did you mean 'camera'?)"),
    ("[light]\n", "setup.toml: light: unknown table; expected 'camera' and 'marker'"),
])
def test_each_bad_setup_gets_one_exact_line(text, message, panda):
    with pytest.raises(DataError) as err:
        parse_setup(text, "setup.toml", panda)
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_a_toml_syntax_error_is_tomllibs_line():
    import tomllib
    with pytest.raises(tomllib.TOMLDecodeError) as raw:
        tomllib.loads("[[camera]\n")
    with pytest.raises(DataError) as err:
        parse_setup("[[camera]\n", "setup.toml")
    assert str(err.value) == f"setup.toml: not TOML: {raw.value}"
    assert "(at line 1, column 9)" in str(err.value)
    # a key of 2000 dotted parts (tomllib keeps each prefix: 50,000 parts took 10 GB)
    with pytest.raises(DataError) as err:
        parse_setup(SETUP + "a" + ".a" * 1999 + " = 1\n", "setup.toml")
    assert str(err.value) == (f"setup.toml: line {SETUP.count(chr(10)) + 1}, column 1: a key "
                              f"of 2000 dotted parts; at most 32 are accepted")


def test_a_setup_with_cr_line_endings_is_named_as_such(tmp_path, panda):
    # CR-only (old Mac OS) endings: one line to TOML, whose words named a column of it
    path = tmp_path / "setup.toml"
    path.write_bytes(SETUP.replace("\n", "\r").encode())
    with pytest.raises(DataError) as err:
        read_setup(path, panda)
    assert str(err.value) == (
        f"{path}: line endings are CR only (old Mac OS style: a carriage return with no line "
        f"feed), which TOML does not accept; save the file with LF or CRLF line endings "
        f"(e.g. tr '\\r' '\\n' < old.toml > new.toml)")
    path.write_bytes(SETUP.replace("\n", "\r\n").encode())       # CRLF: read as it is
    assert read_setup(path, panda).cameras == parse_setup(SETUP, "x", panda).cameras
    stray = SETUP.replace('name = "left"\n', 'name = "left"\r', 1)    # one CR ending alone
    with pytest.raises(DataError) as err:
        parse_setup(stray, "setup.toml", panda)
    assert str(err.value).startswith("setup.toml: line 2, column 14: a CR line ending (old "
                                     "Mac OS style")


def test_setup_links_are_checked_only_with_a_robot():
    s = parse_setup(_edit('link = "panda_link0"', 'link = "base"'), "setup.toml")
    assert s.marker(7).link == "base"


def test_dictionaries_match_opencv():
    import cv2
    for name, (bits, count) in DICTIONARIES.items():
        code = getattr(cv2.aruco, name, None) or getattr(cv2.aruco, name.upper())
        d = cv2.aruco.getPredefinedDictionary(code)
        assert (d.markerSize, d.bytesList.shape[0]) == (bits, count), name


# -- joints.csv ---------------------------------------------------------------------

JOINTS = ("pose,panda_joint1,panda_joint2\n"
          "p0,0.1,-0.2\n"
          "p1,1e-3,1\n"
          "\n"
          "p2, 0.5 ,0\n")


def test_joints_read(panda):
    j = parse_joints(JOINTS, "joints.csv", panda)
    assert j.names == ("panda_joint1", "panda_joint2") and j.poses == ("p0", "p1", "p2")
    np.testing.assert_array_equal(j.values, [[0.1, -0.2], [1e-3, 1.0], [0.5, 0.0]])
    np.testing.assert_array_equal(j.reading("p1"), [1e-3, 1.0])


def test_joints_round_trip_exactly(tmp_path, panda):
    rng = np.random.default_rng(5)
    values = rng.normal(size=(20, 7)) * 10.0 ** rng.integers(-8, 1, (20, 7))
    j = Joints(panda.joint_names, tuple(f"pose-{i}" for i in range(20)),
               np.clip(values, panda.limits[:, 0], panda.limits[:, 1]))   # readings: in them
    path = tmp_path / "joints.csv"
    write_text(path, format_joints(j))
    back = read_joints(path, panda)
    assert back.names == j.names and back.poses == j.poses
    np.testing.assert_array_equal(back.values, j.values)


@pytest.mark.parametrize("text, message", [
    ("", "joints.csv: empty; expected a header 'pose,<joint name>,...'"),
    ("pose,panda_joint1\n", "joints.csv: no poses; give one row per robot pose after the header"),
    ("Pose,panda_joint1\n", "joints.csv: line 1: the first column must be 'pose', got 'Pose'"),
    ("pose\np0\n", "joints.csv: line 1: no joint columns after 'pose'"),
    ("pose,panda_joint9\n", "joints.csv: line 1: joint 'panda_joint9' is not in the URDF "
     "(did you mean 'panda_joint7'?)"),
    ("pose,elbow\n", "joints.csv: line 1: joint 'elbow' is not in the URDF (its joints: "
     "panda_joint1, panda_joint2, panda_joint3, panda_joint4, panda_joint5, panda_joint6, "
     "panda_joint7)"),
    ("pose,panda_joint1,panda_joint1\n", "joints.csv: line 1: joint 'panda_joint1' appears twice"),
    ("pose,panda_joint1\np0,0.1\np0,0.2\n",
     "joints.csv: line 3 (pose 'p0'): pose 'p0' appears twice (first on line 2)"),
    ("pose,panda_joint1\np0,nan\n",
     "joints.csv: line 2 (pose 'p0'): panda_joint1: not a finite number: 'nan'"),
    ("pose,panda_joint1\np0,-inf\n",
     "joints.csv: line 2 (pose 'p0'): panda_joint1: not a finite number: '-inf'"),
    ("pose,panda_joint1\np0,0.1x\n",
     "joints.csv: line 2 (pose 'p0'): panda_joint1: not a number: '0.1x'"),
    # Python's float() read "1_0" as 10 rad and a full-width or Arabic-Indic digit as it
    ("pose,panda_joint1\np0,1_0\n",
     "joints.csv: line 2 (pose 'p0'): panda_joint1: not a number: '1_0'"),
    ("pose,panda_joint1\np0,\uff11\n",
     "joints.csv: line 2 (pose 'p0'): panda_joint1: not a number: '\uff11'"),
    ("pose,panda_joint1,panda_joint2\np0,0.1\n",
     "joints.csv: line 2 (pose 'p0'): 2 columns, expected 3 (pose and 2 joints)"),
    ("pose,panda_joint1\n../x,0.1\n", "joints.csv: line 2: a pose name must be 1 to 100 "
     "letters, digits, '_', '.' or '-' (not starting with '.' or '-'), got '../x'"),
    ('pose,panda_joint1\n"p0\n', "joints.csv: line 2: not CSV: unexpected end of data"),
    # a reading beyond its joint's limits (degrees given as radians gave a URDF metres off)
    ("pose,panda_joint1,panda_joint7\np0,0.1,0.2\np1,0.1,9\n",
     "joints.csv: line 3 (pose 'p1'): panda_joint7: 9 rad is outside the URDF's limits "
     "[-2.8973, 2.8973] rad (by more than 0.1 rad; degrees given as radians?)"),
    ("pose,panda_joint4\np0,-0.0697\np1,5.7\n",
     "joints.csv: line 3 (pose 'p1'): panda_joint4: 5.7 rad is outside the URDF's limits "
     "[-3.0718, -0.0698] rad (by more than 0.1 rad; degrees given as radians?)"),
])
def test_each_bad_joints_file_gets_one_exact_line(text, message, panda):
    with pytest.raises(DataError) as err:
        parse_joints(text, "joints.csv", panda)
    assert str(err.value) == message



def test_the_docs_quote_the_header_errors_the_reader_gives(panda):
    # docs/calibrate_real.md's Errors block said "did you mean 'panda_joint1'?" for a header
    # naming panda_joint9, where the reader suggests panda_joint7
    doc = (ROOT / "docs" / "calibrate_real.md").read_text(encoding="utf-8")
    block = doc.split("\n## Errors\n", 1)[1].split("```\n", 2)[1]
    quoted = [line for line in block.splitlines() if line.startswith("joints.csv: line 1: ")]
    assert len(quoted) == 2
    for line in quoted:
        name = line.split("joint '", 1)[1].split("'", 1)[0]
        with pytest.raises(DataError) as err:
            parse_joints(f"pose,{name}\n", "joints.csv", panda)
        assert str(err.value) == line

def test_a_reading_beyond_a_limit_by_more_than_a_zero_offset_is_refused(panda):
    # the limits bound reading + zero offset: 0.09 rad beyond is read, 0.11 rad refused
    lo, hi = -2.8973, 2.8973
    j = parse_joints(f"pose,panda_joint7\np0,{hi + 0.09}\np1,{lo - 0.09}\n", "joints.csv",
                     panda)
    np.testing.assert_array_equal(j.values[:, 0], [hi + 0.09, lo - 0.09])
    with pytest.raises(DataError, match=r"^joints.csv: line 2 \(pose 'p0'\): panda_joint7: "
                       r"-3.0073 rad is outside the URDF's limits \[-2.8973, 2.8973\] rad"):
        parse_joints(f"pose,panda_joint7\np0,{lo - 0.11}\n", "joints.csv", panda)
    # without a robot (or with names only) nothing bounds the readings
    j = parse_joints("pose,panda_joint7\np0,9\n", "j.csv", ("panda_joint7",))
    assert j.values[0, 0] == 9


def test_an_unknown_joint_lists_the_urdfs_joints_shortened():
    names = tuple(f"link_{i}_joint" for i in range(20))
    with pytest.raises(DataError) as err:
        parse_joints("pose,elbow\np0,0\n", "joints.csv", names)
    assert str(err.value) == ("joints.csv: line 1: joint 'elbow' is not in the URDF (its "
                              "joints: " + ", ".join(names[:8]) + ", ... (20 in all))")


def test_a_mimic_joint_is_named_with_its_leader():
    hand = armsim.load_robot(HAND)
    with pytest.raises(DataError, match=r"^joints.csv: line 1: joint 'panda_finger_joint2' "
                       r"mimics 'panda_finger_joint1'; give 'panda_finger_joint1' instead$"):
        parse_joints("pose,panda_finger_joint2\np,0\n", "joints.csv", hand)


#: an arm on a floating joint 'root' of the file's own (armsim reads it as root_x ... root_roll)
FLOATING = """<robot name="f"><link name="world"/><link name="a"/><link name="b"/>
  <joint name="root" type="floating"><parent link="world"/><child link="a"/></joint>
  <joint name="j1" type="revolute"><parent link="a"/><child link="b"/>
  <origin xyz="0 0 0.3"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/></joint></robot>
"""


@pytest.fixture
def floating(tmp_path):
    """The robot of :data:`FLOATING` (a floating root joint under one revolute joint)."""
    path = tmp_path / "f.urdf"
    path.write_text(FLOATING)
    return armsim.load_robot(path)


def test_a_floating_joints_column_names_its_coordinates(floating):
    # was: "joint 'root' is not in the URDF (did you mean 'root_z'?)", root being in it
    robot = floating
    with pytest.raises(DataError) as err:
        parse_joints("pose,root,j1\np0,0,0\n", "joints.csv", robot)
    assert str(err.value) == (
        "joints.csv: line 1: joint 'root' is a floating joint, read as its 6 coordinates: "
        "give their columns root_x, root_y, root_z, root_yaw, root_pitch, root_roll instead")


def test_a_floating_joints_coordinate_beyond_armsims_travel_says_whose_limits(floating):
    # was: "outside the URDF's limits [-100, 100] m", limits the URDF never gave
    robot = floating
    with pytest.raises(DataError) as err:
        parse_joints("pose,root_x,j1\np0,500,0\n", "joints.csv", robot)
    assert str(err.value) == (
        "joints.csv: line 2 (pose 'p0'): root_x: 500 m is outside [-100, 100] m (by more "
        "than 0.01 m), the travel armsim allows the x coordinate of floating joint 'root' "
        "(joint 'root_x'): a URDF gives a floating joint no limits")
    # within the travel it is read; the file's own joints keep the URDF's limits
    assert parse_joints("pose,root_x,j1\np0,99,0\n", "j.csv", robot).values.tolist() == \
        [[99.0, 0.0]]
    with pytest.raises(DataError, match=r"j1: 5 rad is outside the URDF's limits \[-1, 1\]"):
        parse_joints("pose,root_x,j1\np0,0,5\n", "j.csv", robot)


def test_joints_file_errors_name_the_file(tmp_path):
    path = tmp_path / "joints.csv"
    path.write_bytes(b"pose,a\np0,\xff\n")
    with pytest.raises(DataError, match=rf"^{path}: not UTF-8 text \(byte 10\)$"):
        read_joints(path)


# -- obs.csv ------------------------------------------------------------------------

def _obs(rows, header="pose,camera,marker,corner,u,v"):
    return header + "\n" + "".join(r + "\n" for r in rows)


GOOD = [f"p0,left,3,{k},{10 + k}.25,{20 - k}.5" for k in range(4)] + \
       [f"p1,wrist,7,{k},{k},{k}" for k in (3, 1, 0, 2)]


def test_observations_read_and_group(setup):
    o = parse_observations(_obs(GOOD), setup, "obs.csv", ("p0", "p1"))
    assert len(o) == 8 and o.pose[:4] == ("p0",) * 4 and o.camera[4] == "wrist"
    images = o.images()
    np.testing.assert_array_equal(images[("p0", "left")][3], [[10.25, 20.5], [11.25, 19.5],
                                                              [12.25, 18.5], [13.25, 17.5]])
    np.testing.assert_array_equal(images[("p1", "wrist")][7], [[0, 0], [1, 1], [2, 2], [3, 3]])


def test_observations_round_trip_exactly(tmp_path, setup):
    rng = np.random.default_rng(3)
    images = {(f"p{i}", cam): {m: rng.uniform(0, 239.5, (4, 2)) for m in (3, 7)}
              for i in range(5) for cam in ("left", "wrist")}
    from armsim.vision.real import Observations
    o = Observations.from_images(images)
    path = tmp_path / "obs.csv"
    write_text(path, format_observations(o))
    back = read_observations(path, setup, Joints(("panda_joint1",), tuple(f"p{i}" for i in
                                                                          range(5)), np.zeros((5, 1))))
    assert back.pose == o.pose and back.camera == o.camera
    np.testing.assert_array_equal(back.marker, o.marker)
    np.testing.assert_array_equal(back.corner, o.corner)
    np.testing.assert_array_equal(back.uv, o.uv)
    got = back.images()
    assert set(got) == set(images)
    for key in images:
        for m in (3, 7):
            np.testing.assert_array_equal(got[key][m], images[key][m])


@pytest.mark.parametrize("rows, message", [
    ([], None),
    (["p9,left,3,0,1,1"], "obs.csv: line 2: pose 'p9' is not in joints.csv"),
    (["p_0,left,3,0,1,1"], "obs.csv: line 2: pose 'p_0' is not in joints.csv (did you mean "
     "'p0'?)"),
    (["p0,top,3,0,1,1"], "obs.csv: line 2 (pose 'p0', camera 'top'): camera 'top' is not "
     "in the setup (cameras: left, wrist)"),
    (["p0,lefty,3,0,1,1"], "obs.csv: line 2 (pose 'p0', camera 'lefty'): camera 'lefty' is not "
     "in the setup (cameras: left, wrist) (did you mean 'left'?)"),
    (["p0,left,4,0,1,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): marker 4 is not in the "
     "setup (markers: 3, 7)"),
    (["p0,left,x,0,1,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): marker: not an integer "
     "id (digits, no sign, no leading zero): 'x'"),
    (["p0,left,03,0,1,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): marker: not an integer "
     "id (digits, no sign, no leading zero): '03'"),
    (["p0,left,+3,0,1,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): marker: not an integer "
     "id (digits, no sign, no leading zero): '+3'"),
    (["p0,left,3_0,0,1,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): marker: not an integer "
     "id (digits, no sign, no leading zero): '3_0'"),
    (["p0,left,\u0663,0,1,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): marker: not an "
     "integer id (digits, no sign, no leading zero): '\u0663'"),
    (["p0,left,3,4,1,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): corner must be 0, 1, 2 "
     "or 3, got '4'"),
    (["p0,left,3,0,nan,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): u: not a finite "
     "number: 'nan'"),
    (["p0,left,3,0,1,"], "obs.csv: line 2 (pose 'p0', camera 'left'): v: not a number: ''"),
    (["p0,left,3,0,1_0,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): u: not a number: "
     "'1_0'"),
    (["p0,left,3,0,1,\u0661"], "obs.csv: line 2 (pose 'p0', camera 'left'): v: not a number: "
     "'\u0661'"),
    (["p0,left,3,0,640,1"], "obs.csv: line 2 (pose 'p0', camera 'left'): u = 640 is outside "
     "camera 'left''s image (-0.5 to 639.5)"),
    (["p0,wrist,3,0,1,-0.6"], "obs.csv: line 2 (pose 'p0', camera 'wrist'): v = -0.6 is outside "
     "camera 'wrist''s image (-0.5 to 239.5)"),
    (["p0,left,3,0,1,1", "p0,left,3,0,2,2"], "obs.csv: line 3 (pose 'p0', camera 'left'): "
     "marker 3 corner 0 appears twice (first on line 2)"),
    (["p0,left,3,0,1,1", "p0,left,3,2,2,2"], "obs.csv: line 2 (pose 'p0', camera 'left'): "
     "marker 3 has corners 0, 2 only; give all four (0-3)"),
    (["p0,left,3,0,1"], "obs.csv: line 2: 5 columns, expected 6 (pose,camera,marker,corner,u,v)"),
])
def test_each_bad_observation_gets_one_exact_line(rows, message, setup):
    if message is None:        # the header alone is a valid, empty file
        assert len(parse_observations(_obs(rows), setup, "obs.csv", ("p0",))) == 0
        return
    with pytest.raises(DataError) as err:
        parse_observations(_obs(rows), setup, "obs.csv", ("p0", "p1"))
    assert str(err.value) == message


def test_observations_header_is_checked(setup):
    with pytest.raises(DataError, match=r"^obs.csv: line 1: the header must be "
                       r"'pose,camera,marker,corner,u,v', got 'pose,cam,marker,corner,u,v'$"):
        parse_observations(_obs([], "pose,cam,marker,corner,u,v"), setup, "obs.csv")
    with pytest.raises(DataError, match=r"^obs.csv: empty; expected a header "
                       r"'pose,camera,marker,corner,u,v'$"):
        parse_observations("", setup, "obs.csv")


# -- the documented format -----------------------------------------------------------

SCHEMA = json.loads((ROOT / "docs" / "calibrate_setup.schema.json").read_text())


def test_schema_lists_exactly_the_loaders_keys():
    props = SCHEMA["properties"]
    cam = props["camera"]["items"]
    mark = props["marker"]["items"]
    assert set(props) == {"camera", "marker"} and SCHEMA["additionalProperties"] is False
    assert list(cam["properties"]) == list(CAMERA_KEYS)
    assert sorted(cam["required"]) == sorted(k for k, r in CAMERA_KEYS.items() if r)
    assert list(mark["properties"]) == list(MARKER_KEYS)
    assert sorted(mark["required"]) == sorted(k for k, r in MARKER_KEYS.items() if r)
    assert cam["additionalProperties"] is False and mark["additionalProperties"] is False
    assert mark["properties"]["dictionary"]["enum"] == list(DICTIONARIES)


def test_schema_agrees_with_the_loader_on_the_documented_example_and_bad_values():
    import tomllib

    import jsonschema
    doc = (ROOT / "docs" / "calibrate_real.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    jsonschema.validate(tomllib.loads(example), SCHEMA)
    parse_setup(example, "docs example")
    jsonschema.validate(tomllib.loads(SETUP), SCHEMA)
    for old, new in (('fx = 800.0', 'fx = -800.0'), ('width = 640', 'width = 640.5'),
                     ('size = 0.04', 'size = 0'), ('"DICT_5X5_100"', '"QR"'),
                     ('fy = 801.0', 'fyy = 801.0'), ('id = 7', 'id = -1'),
                     ('distortion = [0.1, -0.02, 0.001, 0.0, 0.0]', 'distortion = [0.1]')):
        text = _edit(old, new)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(tomllib.loads(text), SCHEMA)
        with pytest.raises(DataError):
            parse_setup(text, "setup.toml")
