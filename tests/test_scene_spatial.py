"""Spatial scene files: robot / urdf / dh arms, 3D target paths, [view]; exact messages."""

import shutil
from pathlib import Path

import numpy as np
import pytest

import armsim
import armsim.scene as sc
from armsim.ik.spatial_tracking import SpatialSimulation

ROOT = Path(__file__).resolve().parent.parent
VIEW_KEYS = ["azimuth_deg", "elevation_deg", "distance", "center", "fov_deg", "orbit_deg_per_s"]


def _run(sim, frames):
    return [sim.step() for _ in range(frames)]


def test_panda_circle_reaches_its_first_target():
    scene = sc.load(ROOT / "scenes" / "panda_circle.toml")
    assert scene.spatial and scene.arm.chain.n == 7
    sim = sc.build_simulation(scene)
    assert isinstance(sim, SpatialSimulation)
    states = _run(sim, 3)          # measured: under 1e-9 from frame 1
    st = states[-1]
    assert st.kind == "pose" and st.error < 1e-5 and st.orientation_error < 1e-5
    # the circle: centre (0.45, 0, 0.3), radius 0.12, normal +z, 240 frames a turn
    t = 2 * np.pi * 3 / 240
    assert np.allclose(st.target[:3, 3], [0.45 + 0.12 * np.cos(t), 0.12 * np.sin(t), 0.3])
    assert np.allclose(st.target[:3, :3], np.diag([1.0, -1.0, -1.0]))     # q = (0, 1, 0, 0)
    assert scene.view == {"azimuth_deg": 35.0, "elevation_deg": 25.0, "distance": 2.2,
                          "center": (0.25, 0.0, 0.35), "fov_deg": 45.0, "orbit_deg_per_s": 10.0}


def test_ur5_waypoints_reach_every_waypoint_with_its_orientation():
    scene = sc.load(ROOT / "scenes" / "ur5_waypoints.toml")
    sim = sc.build_simulation(scene)
    states = _run(sim, 30)
    assert states[-1].error < 1e-5 and states[-1].orientation_error < 1e-5
    assert states[-1].waypoints.shape == (4, 3)
    _run(sim, 210)
    assert sim.report()["waypoints_reached"] == [True, True, True, True]
    assert list(scene.view) == VIEW_KEYS and scene.view["fov_deg"] == 45.0   # default filled


def test_iiwa_line_masks_the_turn_about_z():
    scene = sc.load(ROOT / "scenes" / "iiwa_line.toml")
    sim = sc.build_simulation(scene)
    st = _run(sim, 3)[-1]
    assert st.error < 1e-5
    R = st.tool[:3, :3]
    assert np.allclose(R[:, 2], [0, 0, -1], atol=1e-5)       # tool z down: rx, ry held
    assert st.orientation_error > 0.1                        # rz free (masked)
    reach = scene.arm.chain.reach
    assert scene.view["distance"] == pytest.approx(2.5 * reach)   # default from the reach
    assert scene.view["center"] == (0.3, 0.0, 0.5)


def test_spatial_scene_round_trips_through_dumps():
    for name in ("panda_circle", "ur5_waypoints", "iiwa_line"):
        scene = sc.load(ROOT / "scenes" / f"{name}.toml")
        again = sc.loads(sc.dumps(scene), source=str(ROOT / "scenes" / f"{name}.toml"))
        assert again == scene and again.view == scene.view


def test_urdf_relative_to_the_scene_file_and_dh(tmp_path):
    (tmp_path / "models").mkdir()
    shutil.copy(armsim.robots.path("panda"), tmp_path / "models" / "arm.urdf")
    text = ('[arm]\nurdf = "models/arm.urdf"\ntip_link = "panda_link7"\n'
            '[target]\nkind = "fixed"\npoint = [0.4, 0.1, 0.5]\n[solver]\nmethod = "dls"\n')
    (tmp_path / "s.toml").write_text(text)
    scene = sc.load(tmp_path / "s.toml")
    assert scene.arm.chain.n == 7 and scene.arm.chain.tip == "panda_link7"
    st = _run(sc.build_simulation(scene), 10)[-1]
    assert st.error < 1e-5 and st.kind == "position"
    dh = ('[arm]\ndh = [[0, 1.5707963, 0.3, 0], [0.4, 0, 0, 0], [0.3, 0, 0, 0]]\n'
          'dh_convention = "modified"\nangles = [0.1, 0.5, -0.5]\n'
          '[target]\nkind = "line"\nstart = [0.3, 0.1, 0.5]\nend = [0.3, -0.1, 0.5]\n'
          'period = 100\n[solver]\nmethod = "ccd"\niterations_per_frame = 20\n')
    scene = sc.loads(dh, source="dh.toml")
    assert scene.arm.chain.n == 3 and scene.view["orbit_deg_per_s"] == 0.0
    expected = armsim.SpatialChain.from_dh([[0, 1.5707963, 0.3, 0], [0.4, 0, 0, 0],
                                           [0.3, 0, 0, 0]], "modified")
    assert np.allclose(scene.arm.chain.matrix([0.1, 0.5, -0.5]),
                       expected.matrix([0.1, 0.5, -0.5]))
    assert np.allclose(sc.build_simulation(scene).q, [0.1, 0.5, -0.5])


ARM = '[arm]\nrobot = "ur5"\n'
FIX = '[target]\nkind = "fixed"\npoint = [0.4, 0.1, 0.3]\n'
PLANAR = '[arm]\nlengths = [1, 1]\n'
INVALID = [
    ('[arm]\nrobot = "pandas"\n' + FIX,
     "arm.robot: unknown robot 'pandas'; choose one of panda, ur5, iiwa14, snake20, dual_arm, "
     "panda_hand "
     "(did you mean 'panda'?)"),
    ('[arm]\nurdf = "nowhere/robot.urdf"\n' + FIX,
     "arm.urdf: no such file '{folder}/nowhere/robot.urdf'"),
    (ARM + 'tip_link = "nope"\n' + FIX, "arm.tip_link: ur5: no link named 'nope' (the tip); "
     "links: base_link, link1, link2, link3, link4, link5, link6, tool0"),
    (ARM + '[target]\nkind = "fixed"\npoint = [0.4, 0.1, 0.3]\nquaternion = [1, 1, 0, 0]\n',
     "target.quaternion: must have unit norm (|q| = 1 within 1e-06), got |q| = 1.41421"),
    (ARM + '[target]\nkind = "waypoints"\npoints = [[0.4, 0.1, 0.3], [0.3, 0, 0.4]]\nhold = 10\n'
     'quaternions = [[1, 0, 0, 0], [0.5, 0, 0, 0]]\n',
     "target.quaternions[1]: must have unit norm (|q| = 1 within 1e-06), got |q| = 0.5"),
    (ARM + '[target]\nkind = "fixed"\npoint = [0.4, 0.1, 0.3]\nquaternion = [1, 0, 0]\n',
     "target.quaternion: must have at least 4 item(s), got 3"),
    (ARM + '[target]\nkind = "fixed"\npoint = [0.4, 0.1, 0.3]\nquaternion = [0, 1, 0, 0]\n'
     'rpy = [0, 0, 0]\n', "target.rpy: give target.quaternion or target.rpy, not both"),
    (ARM + FIX + '[view]\nelevation_deg = 100\n', "view.elevation_deg: must be <= 90, got 100.0"),
    (ARM + FIX + '[view]\nfov_deg = 0\n', "view.fov_deg: must be >= 1, got 0.0"),
    (ARM + FIX + '[view]\nfov_deg = 179.5\n', "view.fov_deg: must be <= 170, got 179.5"),
    (ARM + FIX + '[view]\ndistance = -1\n', "view.distance: must be >= 1e-06, got -1.0"),
    (ARM + FIX + '[view]\ncenter = [0, 0, 1e7]\n', "view.center[2]: must be <= 1e+06, got 10000000.0"),
    (ARM + FIX + '[view]\ncenter = [0, 0]\n', "view.center: must have at least 3 item(s), got 2"),
    (ARM + FIX + '[view]\norbit_deg_per_s = "fast"\n',
     "view.orbit_deg_per_s: expected a number, got string 'fast'"),
    (ARM + FIX + '[view]\nzoom = 2\n', "view.zoom: unknown key; expected one of azimuth_deg, "
     "elevation_deg, distance, center, fov_deg, orbit_deg_per_s"),
    (PLANAR + '[target]\nkind = "fixed"\npoint = [0.4, 0.1, 0.3]\n',
     "target.point: a planar arm takes [x, y], got 3 numbers"),
    (PLANAR + '[target]\nkind = "fixed"\npoint = [0.4, 0.1]\n[view]\nfov_deg = 30\n',
     "view: only a scene with a spatial [arm] (arm.robot, arm.urdf or arm.dh) has [view]"),
    (PLANAR + '[target]\nkind = "fixed"\npoint = [0.4, 0.1]\nquaternion = [1, 0, 0, 0]\n',
     "target.quaternion: only a spatial arm (arm.robot, arm.urdf or arm.dh) has this key"),
    (ARM + '[target]\nkind = "fixed"\npoint = [0.4, 0.1]\n',
     "target.point: a spatial arm takes [x, y, z], got 2 numbers"),
    (ARM + '[target]\nkind = "waypoints"\npoints = [[0.4, 0.1, 0.3], [0.3, 0]]\nhold = 10\n',
     "target.points[1]: a spatial arm takes [x, y, z], got 2 numbers"),
    (ARM + '[target]\nkind = "figure8"\nsize = [0.1, 0.1]\nperiod = 10\n',
     "target.kind: 'figure8' is for a planar arm; a spatial arm takes one of fixed, mouse, "
     "waypoints, circle, line"),
    (ARM + '[target]\nkind = "circle"\ncenter = [0.3, 0, 0.3]\nnormal = [0, 0, 0]\n'
     'radius = 0.1\nperiod = 10\n', "target.normal: must not be [0, 0, 0]"),
    (ARM + '[target]\nkind = "fixed"\npoint = [0.4, 0.1, 0.3]\nweights = [1, 1, 1, 1, 1, 0]\n',
     "target.weights: must have 3 items (x, y, z: the target has no orientation), got 6"),
    (ARM + 'base = [0, 0]\n' + FIX, "arm.base: a spatial arm has no base position (its base "
     "is the origin of the model); give base_link to choose a link"),
    (ARM + 'lengths = [1]\n' + FIX,
     "arm.robot: give one of arm.lengths, arm.robot, arm.urdf, arm.dh, got arm.lengths and arm.robot"),
    ('[arm]\nangles = [0]\n' + FIX, "arm.lengths: missing; give arm.lengths (a planar arm) or "
     "one of arm.robot, arm.urdf, arm.dh (a spatial arm)"),
    (ARM + 'angles = [0, 0]\n' + FIX, "arm.angles: must have 6 item(s), one per joint, got 2"),
    (ARM + 'angles = [0, 0, 0, 0, 0, 9]\n' + FIX,
     "arm.angles[5]: must be within the joint's limits [-6.28318530718, 6.28318530718] rad, "
     "got 9.0 rad"),
    (ARM + 'limits = [[0, 1]]\n' + FIX, "arm.limits: only an arm with arm.lengths or arm.dh "
     "has this key (the model has its own limits)"),
    (ARM + FIX + '[solver]\nmethod = "fabrik"\n', "solver.method: 'fabrik' needs a planar arm; "
     "a spatial arm takes dls, gradient, pinv or ccd"),
    (ARM + FIX + '[compare]\nmethod = "pinv"\n',
     "compare: a spatial scene runs one arm: [compare] is for planar arms"),
    # a planar-only kind written for the spatial arm is refused by its kind, before its keys
    # are read (they said 'target.center: must have at most 2 item(s)', 'target.every: missing')
    (ARM + '[target]\nkind = "figure8"\ncenter = [0.4, 0, 0.4]\nsize = [0.1, 0.1]\nperiod = 9\n',
     "target.kind: 'figure8' is for a planar arm; a spatial arm takes one of fixed, mouse, "
     "waypoints, circle, line"),
    (ARM + '[target]\nkind = "figure8"\ncenter = [0.4, 0, 0.4]\nradius = 0.1\nperiod = 9\n',
     "target.kind: 'figure8' is for a planar arm; a spatial arm takes one of fixed, mouse, "
     "waypoints, circle, line"),
    (ARM + '[target]\nkind = "random"\n', "target.kind: 'random' is for a planar arm; a "
     "spatial arm takes one of fixed, mouse, waypoints, circle, line"),
    # degrees for a prismatic joint were turned into radians and read as metres: 1.1 deg
    # gave the finger 19 mm (the limits of a DH slide likewise)
    ('[arm]\nrobot = "panda_hand"\ntip_link = "panda_leftfinger_tip"\n'
     'angles_deg = [0, -17, 0, -126, 0, 109, 45, 1.1]\n' + FIX,
     "arm.angles_deg[7]: joint 'panda_finger_joint1' is prismatic: its value is a length [m], "
     "not an angle; give arm.angles (rad, m for a prismatic joint)"),
    ('[arm]\nrobot = "panda_hand"\nangles_deg = [0, -17, 0, -126, 0, 109, 45, 1.1]\n'
     '[[tool]]\nlink = "panda_tcp"\nkind = "fixed"\npoint = [0.4, 0, 0.4]\n',
     "arm.angles_deg[7]: joint 'panda_finger_joint1' is prismatic: its value is a length [m], "
     "not an angle; give arm.angles (rad, m for a prismatic joint)"),
    ('[arm]\ndh = [[0.3, 0, 0.1, 0], [0.3, 0, 0, 0]]\njoint_types = ["revolute", "prismatic"]\n'
     'limits_deg = [[-90, 90], [0, 20]]\n' + FIX,
     "arm.limits_deg[1]: joint 'joint2' is prismatic: its value is a length [m], not an "
     "angle; give arm.limits (rad, m for a prismatic joint)"),
    # a prismatic joint's value and limits are in metres (the line said rad)
    ('[arm]\ndh = [[0.3, 0, 0.1, 0], [0.3, 0, 0, 0]]\njoint_types = ["prismatic", "revolute"]\n'
     'limits = [[0, 0.5], [-1, 1]]\nangles = [0.7, 0]\n' + FIX,
     "arm.angles[0]: must be within arm.limits[0] = [0.0, 0.5] m, got 0.7 m"),
    ('[arm]\nrobot = "panda_hand"\ntip_link = "panda_leftfinger_tip"\n'
     'angles = [0, -0.3, 0, -2.2, 0, 1.9, 0.785, 0.05]\n' + FIX,
     "arm.angles[7]: must be within the joint's limits [0.0, 0.04] m, got 0.05 m"),
    # a continuous joint's limits went unused: angle 3 beside limits [-1, 1] was accepted
    ('[arm]\ndh = [[0.3, 0, 0.1, 0], [0.3, 0, 0, 0]]\njoint_types = ["continuous", "revolute"]\n'
     'limits = [[-1, 1], [-1, 1]]\nangles = [3, 0]\n' + FIX,
     "arm.limits[0]: joint 'joint1' is continuous: it has no limits (give its arm.joint_types "
     "item 'revolute' to limit it)"),
    # a DH table as a chain takes it: the reference and the schema said rows up to 1000 of
    # numbers within +-1e6, and such a table was refused at arm.dh in the chain's words
    ('[arm]\ndh = [[5000, 0, 0, 0]]\n' + FIX, "arm.dh[0][0]: must be <= 1000, got 5000.0"),
    ('[arm]\ndh = [[0.3, 0, -1e4, 0]]\n' + FIX, "arm.dh[0][2]: must be >= -1000, got -10000.0"),
    ('[arm]\ndh = [' + ", ".join(["[0.01, 0, 0, 0]"] * 129) + ']\n' + FIX,
     "arm.dh: must have at most 128 item(s), got 129"),
    # without kind, the kinds a spatial arm takes (figure8 and random were offered too)
    (ARM + '[target]\npoint = [0.4, 0.1, 0.3]\n', "target.kind: missing; expected one of "
     "'fixed', 'mouse', 'waypoints', 'circle', 'line'"),
]


@pytest.mark.parametrize("text, message", INVALID, ids=[m.split(":")[0] for _, m in INVALID])
def test_bad_spatial_scene_by_exact_message(text, message):
    path = ROOT / "scenes" / "x.toml"
    message = message.format(folder=ROOT / "scenes")
    with pytest.raises(sc.SceneError) as err:
        sc.loads(text, source=str(path))
    assert str(err.value) == f"{path}: {message}"


def test_planar_scenes_have_no_view():
    scene = sc.load(ROOT / "scenes" / "two_link_reach.toml")
    assert not scene.spatial and scene.view is None


def test_an_orientation_in_degrees_is_refused_at_its_item_saying_why():
    # rpy = [180, 0, 90] (degrees) was taken as radians (within +-1e4; a camera's +-1e6)
    why = ("(in radians: one turn either way holds every orientation; 90 degrees is "
           "1.5708 rad)")
    with pytest.raises(sc.SceneError) as err:
        sc.loads('[arm]\nrobot = "panda"\n[target]\nkind = "fixed"\npoint = [0.4, 0.1, 0.4]\n'
                 'rpy = [3.14159, 0, 90]\n', source="s.toml")
    assert str(err.value) == f"s.toml: target.rpy[2]: must be <= 6.28319, got 90.0 {why}"
    with pytest.raises(sc.SceneError) as err:
        sc.loads('[arm]\nrobot = "panda"\n[target]\nkind = "waypoints"\n'
                 'points = [[0.4, 0.1, 0.4], [0.4, -0.1, 0.4]]\n'
                 'rpy = [[0, 0, 0], [-180, 0, 0]]\n', source="s.toml")
    assert str(err.value) == f"s.toml: target.rpy[1][0]: must be >= -6.28319, got -180.0 {why}"
    scene = sc.loads('[arm]\nrobot = "panda"\n[target]\nkind = "fixed"\n'
                     'point = [0.4, 0.1, 0.4]\nrpy = [3.14159, 0, -6.28]\n')
    assert scene.target.rpy == (3.14159, 0.0, -6.28)              # within a turn: as before
