"""The calibrated URDF: identified origins and zero offsets written into a copy of the input."""

import numpy as np
import pytest

import armsim
from armsim.vision.real.errors import DataError
from armsim.vision.real.urdf_out import (JointCalibration, calibrated_urdf_text,
                                         write_calibrated_urdf)


def _identified(chain, urdf, rng, spread=1.0):
    """Each movable joint's origin as the file writes it, moved by up to 2 mm and 0.01 rad
    (times ``spread``), and a zero offset of up to 0.01 (rad or m)."""
    from lxml import etree
    root = etree.parse(str(urdf)).getroot()
    out = {}
    for j in root.findall("joint"):
        if j.get("type") not in ("revolute", "continuous", "prismatic"):
            continue
        o = j.find("origin")
        xyz = np.array([float(x) for x in (o.get("xyz", "0 0 0") if o is not None
                                           else "0 0 0").split()])
        rpy = np.array([float(x) for x in (o.get("rpy", "0 0 0") if o is not None
                                           else "0 0 0").split()])
        out[j.get("name")] = JointCalibration(tuple(xyz + spread * rng.uniform(-2e-3, 2e-3, 3)),
                                              tuple(rpy + spread * rng.uniform(-0.01, 0.01, 3)),
                                              float(rng.uniform(-0.01, 0.01)))
    return out


@pytest.mark.parametrize("name", ["panda", "ur5", "iiwa14"])
def test_the_calibrated_file_gives_the_identified_kinematics_of_the_readings(tmp_path, name):
    urdf = armsim.robots.path(name)
    chain = armsim.load_urdf(urdf)
    rng = np.random.default_rng(3)
    cal = _identified(chain, urdf, rng)
    # the identified model: the new origins, the offsets not folded (true = reading + offset)
    plain = {k: JointCalibration(c.xyz, c.rpy, 0.0) for k, c in cal.items()}
    write_calibrated_urdf(urdf, plain, tmp_path / "identified.urdf")
    out = write_calibrated_urdf(urdf, cal, tmp_path / "calibrated.urdf")
    model = armsim.load_urdf(tmp_path / "identified.urdf")
    calibrated = armsim.load_urdf(out)
    offsets = np.array([cal[n].zero_offset for n in calibrated.names])
    readings = rng.uniform(calibrated.limits[:, 0], calibrated.limits[:, 1], (50, chain.n))
    np.testing.assert_allclose(calibrated.matrix(readings), model.matrix(readings + offsets),
                               rtol=0, atol=1e-12)
    # the limits are the same physical range, read in readings
    np.testing.assert_allclose(calibrated.limits, chain.limits - offsets[:, None], atol=1e-15)
    # outside the joints, the file is the input's (the robot's name and every link)
    assert calibrated.robot_name == chain.robot_name
    assert (tmp_path / "calibrated.urdf").read_text().startswith('<?xml version="1.0"?>')


def test_every_joint_position_moves_with_the_offset_and_the_header_stays(tmp_path):
    # the soft limits and the homing edges stayed where they were (a soft upper limit then
    # lay past the hard one), and the comment before <robot> (a licence, the source of the
    # numbers) was dropped
    from lxml import etree
    text = armsim.robots.path("panda").read_text().replace(
        '<joint name="panda_joint2" type="revolute">',
        '<joint name="panda_joint2" type="revolute"><safety_controller k_position="100" '
        'k_velocity="40" soft_lower_limit="-1.7628" soft_upper_limit="1.7628"/>'
        '<calibration rising="0.5" falling="-0.25"/>')
    urdf = tmp_path / "robot.urdf"
    urdf.write_text(text)
    d = 0.0125
    cal = {"panda_joint2": JointCalibration((0.0, 0.0, 0.0), (-np.pi / 2, 0.0, 0.0), d)}
    out = write_calibrated_urdf(urdf, cal, tmp_path / "c.urdf")
    written = out.read_text()
    j = {e.get("name"): e for e in etree.fromstring(written.encode()).findall("joint")}
    j2 = j["panda_joint2"]
    assert float(j2.find("limit").get("upper")) == pytest.approx(1.7628 - d, abs=1e-12)
    sc, homing = j2.find("safety_controller"), j2.find("calibration")
    assert (float(sc.get("soft_lower_limit")), float(sc.get("soft_upper_limit"))) == (
        -1.7628 - d, 1.7628 - d)
    assert (sc.get("k_position"), sc.get("k_velocity")) == ("100", "40")
    assert (float(homing.get("rising")), float(homing.get("falling"))) == (0.5 - d, -0.25 - d)
    header = text[text.index("<!--"):text.index("-->") + 3]
    assert written.startswith('<?xml version="1.0"?>\n' + header)
    assert armsim.load_urdf(out).n == 7

def test_bad_calibrations_are_one_line_errors_and_write_nothing(tmp_path):
    urdf = armsim.robots.path("panda")
    good = JointCalibration((0, 0, 0.333), (0, 0, 0), 0.0)
    with pytest.raises(DataError, match=r"panda.urdf: joint 'nope': no such joint in the URDF$"):
        write_calibrated_urdf(urdf, {"nope": good}, tmp_path / "c.urdf")
    with pytest.raises(DataError, match=r"joint 'panda_joint8': a fixed joint has no zero "
                                        r"offset or motion to calibrate$"):
        calibrated_urdf_text(urdf, {"panda_joint8": good})
    with pytest.raises(DataError, match=r"joint 'panda_joint1': xyz must be 3 finite numbers"):
        calibrated_urdf_text(urdf, {"panda_joint1": JointCalibration((0, np.nan, 0), (0, 0, 0))})
    with pytest.raises(DataError, match=r"joint 'panda_joint1': zero_offset must be finite"):
        calibrated_urdf_text(urdf, {"panda_joint1": JointCalibration((0, 0, 0), (0, 0, 0),
                                                                     float("inf"))})
    assert not list(tmp_path.iterdir())
    hand = armsim.robots.path("panda_hand")
    with pytest.raises(DataError, match=r"joint 'panda_finger_joint2': a mimic joint follows "
                                        r"its source; calibrate the source$"):
        calibrated_urdf_text(hand, {"panda_finger_joint2": good})


@pytest.mark.parametrize("name", ["panda", "ur5", "iiwa14"])
def test_a_file_no_joint_of_which_changes_is_written_back_byte_for_byte(name):
    # the comment before <robot> was dropped, then joined to it on one line
    path = armsim.robots.path(name)
    assert '<?xml version="1.0"?>\n' + calibrated_urdf_text(path, {}) == path.read_text()
    # every joint named with the origin the file gives it and no offset: its text stays
    # ("0 0 0" was rewritten "0.0 -0.0 0.0")
    same = {k: JointCalibration(c.xyz, c.rpy, 0.0) for k, c in _identified(
        None, path, np.random.default_rng(0), spread=0.0).items()}
    assert len(same) >= 6
    assert '<?xml version="1.0"?>\n' + calibrated_urdf_text(path, same) == path.read_text()


def test_relative_mesh_paths_are_rewritten_for_the_output_s_folder(tmp_path):
    # calibrate --out into another folder copied <mesh filename="meshes/box.obj"/> as it was:
    # the calibrated URDF then named a file that is not there ("drawing a generated shape")
    from armsim.vision.real.urdf_out import calibrated_urdf_text
    src = tmp_path / "in"
    (src / "meshes").mkdir(parents=True)
    (src / "meshes" / "box.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    text = (armsim.robots.path("panda")).read_text()
    text = text.replace('<link name="panda_link3"/>', '<link name="panda_link3"><visual>'
                        '<geometry><mesh filename="meshes/box.obj"/></geometry></visual>'
                        '<visual><geometry><mesh filename="package://p/m.stl"/></geometry>'
                        '</visual></link><gazebo><plugin name="c" filename="libc.so"/></gazebo>',
                        1)
    assert "meshes/box.obj" in text
    (src / "r.urdf").write_text(text)
    out = tmp_path / "elsewhere" / "deeper" / "cal.urdf"
    out.parent.mkdir(parents=True)
    got = calibrated_urdf_text(src / "r.urdf", {}, out)
    assert 'filename="../../in/meshes/box.obj"' in got
    assert (out.parent / "../../in/meshes/box.obj").resolve() == (src / "meshes" / "box.obj")
    assert 'filename="package://p/m.stl"' in got                  # a package path: kept
    assert 'filename="libc.so"' in got          # a Gazebo plugin's library name: kept
    assert 'filename="meshes/box.obj"' in calibrated_urdf_text(src / "r.urdf", {}, None)
    assert 'filename="meshes/box.obj"' in calibrated_urdf_text(src / "r.urdf", {}, src / "c.urdf")
