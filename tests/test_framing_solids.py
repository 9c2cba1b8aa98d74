"""The 3D framing keeps the drawn solids in view: the boxes of a URDF's visuals at the start
and over the preview, so the whole robot as drawn is on screen and the eye is outside every
solid (pybullet's r2d2.urdf filled the frame with its body, cube_no_rotation.urdf with
--tips put the eye inside the cube, minitaur.urdf's upper legs ran off the picture)."""

import io

import numpy as np
import pytest
from PIL import Image

from armsim.cli import main
from armsim.view import orbit

#: the solids' colour in the files below (magenta: no theme, axis or marker colour has it)
MAGENTA = '<material name="m"><color rgba="1 0 1 1"/></material>'

#: a small arm on a big box body (1.2 x 0.9 x 0.6 m under an arm of 0.45 m reach)
BIG_BODY = f"""<robot name="bigbody">
  <link name="body"><visual><origin xyz="0 0 0.3"/><geometry><box size="1.2 0.9 0.6"/>
    </geometry>{MAGENTA}</visual></link>
  <joint name="j1" type="revolute"><parent link="body"/><child link="upper"/>
    <origin xyz="0 0 0.6"/><axis xyz="0 0 1"/><limit lower="-3" upper="3"/></joint>
  <link name="upper"><visual><origin xyz="0 0 0.125"/><geometry>
    <cylinder radius="0.02" length="0.25"/></geometry></visual></link>
  <joint name="j2" type="revolute"><parent link="upper"/><child link="fore"/>
    <origin xyz="0 0 0.25"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <link name="fore"><visual><origin xyz="0.1 0 0" rpy="0 1.5708 0"/><geometry>
    <cylinder radius="0.02" length="0.2"/></geometry></visual></link>
  <joint name="j3" type="fixed"><parent link="fore"/><child link="tool"/>
    <origin xyz="0.2 0 0"/></joint>
  <link name="tool"/>
</robot>"""

#: a 1 m cube on three slides and a hinge (pybullet's cube_no_rotation.urdf, --tips baseLink:
#: a moving base's unlimited slides, then the cube)
CUBE = """<robot name="cube"><link name="world"/>""" + "".join(f"""<link name="{a}"/>
  <joint name="slide_{a}" type="prismatic"><parent link="{p}"/><child link="{a}"/>
    <axis xyz="{v}"/><limit lower="1" upper="-1"/></joint>""" for a, p, v in (
    ("x", "world", "1 0 0"), ("y", "x", "0 1 0"), ("z", "y", "0 0 1"))) + f"""
  <joint name="turn" type="continuous"><parent link="z"/><child link="block"/>
    <axis xyz="0 1 0"/></joint>
  <link name="block"><visual><geometry><box size="1 1 1"/></geometry>{MAGENTA}</visual>
  </link></robot>"""

#: a body with two short legs whose drawn upper parts stand 0.5 m above their hips
#: (minitaur.urdf's upper legs: the joints are low, the boxes tall)
LEGS = f"""<robot name="legs">
  <link name="body"><visual><geometry><box size="0.6 0.3 0.1"/></geometry>{MAGENTA}
    </visual></link>""" + "".join(f"""
  <joint name="hip{s}" type="revolute"><parent link="body"/><child link="leg{s}"/>
    <origin xyz="{x} 0.2 0"/><axis xyz="0 1 0"/><limit lower="-1" upper="1"/></joint>
  <link name="leg{s}"><visual><origin xyz="0 0 0.2"/><geometry><box size="0.04 0.04 0.6"/>
    </geometry>{MAGENTA}</visual></link>
  <joint name="knee{s}" type="revolute"><parent link="leg{s}"/><child link="foot{s}"/>
    <origin xyz="0 0 -0.1"/><axis xyz="0 1 0"/><limit lower="-1" upper="1"/></joint>
  <link name="foot{s}"><visual><origin xyz="0 0 -0.05"/><geometry><sphere radius="0.02"/>
    </geometry></visual></link>""" for s, x in (("A", 0.25), ("B", -0.25))) + "\n</robot>"


def _magenta(frame):
    """Where a frame shows the magenta solids (any shade of them, GIF palette and all)."""
    f = np.asarray(frame, int)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    return (r > 90) & (b > 90) & (np.abs(r - b) < 40) & (g < 0.5 * np.minimum(r, b))


def _gif(tmp_path, text, *args, frames=12):
    """The frames of the command line's GIF of ``text`` written as a URDF."""
    urdf = tmp_path / "robot.urdf"
    urdf.write_text(text)
    out = tmp_path / "out.gif"
    assert main([str(urdf), "--gif", str(out), "--frames", str(frames), "--size", "320x240",
                 *args]) == 0
    im = Image.open(out)
    shots = []
    for k in range(im.n_frames):
        im.seek(k)
        shots.append(np.asarray(im.convert("RGB")))
    return np.stack(shots)


def _border(a, width=2):
    return np.concatenate([a[:width].ravel(), a[-width:].ravel(), a[:, :width].ravel(),
                           a[:, -width:].ravel()])


@pytest.mark.parametrize("name, text, args", [
    ("big body", BIG_BODY, ()),
    ("cube", CUBE, ("--tips", "block")),
    ("legs", LEGS, ("--tips", "footA,footB")),
], ids=["big-body", "cube", "legs"])
def test_the_whole_robot_as_drawn_is_on_screen(tmp_path, name, text, args):
    # before: the big body ran off three sides (its magenta on 340 border pixels of the
    # first frame), the eye sat inside the cube, and the legs' tops ran off the top
    shots = _gif(tmp_path, text, *args)
    for k, shot in enumerate(shots):
        solid = _magenta(shot)
        assert solid.sum() > 0.03 * solid.size, (name, k, solid.sum())   # it is drawn...
        assert not _border(solid, 3).any(), (name, k)                    # ...and all of it


def _scene_and_sim(tmp_path, text, args):
    from armsim import cli
    from armsim.scene import build_simulation
    from armsim.scene.robot_arm import reading
    urdf = tmp_path / "robot.urdf"
    urdf.write_text(text)
    with reading():
        scene = cli._scene_from(cli.build_parser().parse_args([str(urdf), *args]))
    sim = build_simulation(scene)
    return scene, sim


@pytest.mark.parametrize("text, args", [(CUBE, ("--tips", "block")), (BIG_BODY, ())],
                         ids=["cube", "big-body"])
def test_the_eye_is_outside_every_solid(tmp_path, text, args):
    # pybullet's cube_no_rotation.urdf with --tips baseLink: the eye at (0.55, 0.55, 0.36),
    # against the edge of the 1 m cube about the origin, the picture two grey halves
    from armsim.cli import scene_camera
    scene, sim = _scene_and_sim(tmp_path, text, args)
    camera = scene_camera(scene, sim)
    if text is CUBE:        # the cube about its link's origin, turned with it
        k = list(sim.chain.links).index("block")
        R, p = sim.state.link_R[k], sim.state.link_p[k]
        eye, half = R.T @ (camera.eye - p), np.full(3, 0.5)
    else:                   # the body on the floor about the origin
        eye, half = camera.eye - [0.0, 0.0, 0.3], np.array([0.6, 0.45, 0.3])
    # outside it by more than half its size (before: 7 cm beside the cube's edge, the view
    # filled by two of its faces)
    assert np.linalg.norm(np.maximum(np.abs(eye) - half, 0.0)) > half.min(), (camera, eye)
    # and the picture shows it from outside: its top and two sides, each shaded alike
    shot = np.asarray(_gif(tmp_path, text, *args, frames=1)[0], int)
    colours = {tuple(c) for c in shot[_magenta(shot)]}
    assert 3 <= len(colours) <= 12, sorted(colours)


def test_a_mesh_counts_as_the_8_corners_of_its_bounding_box(tmp_path):
    # the preview places 8 corners a visual a frame, whatever its mesh's size
    from armsim.kinematics.visuals import Visual
    rng = np.random.default_rng(3)
    V = rng.uniform([-0.1, -0.2, 0.0], [0.3, 0.2, 0.5], (5000, 3))
    T = np.eye(4)
    T[:3, 3] = [1.0, 0.0, 0.0]
    items = [[Visual("mesh", np.ones(3), T, "a", None, V, np.zeros((1, 3), int))],
             [Visual("cylinder", np.array([0.1, 0.1, 0.4]), np.eye(4), "b"),
              Visual("sphere", np.array([0.2, 0.2, 0.2]), np.eye(4), "c")]]
    corners, frame = orbit.solid_boxes(items)
    assert corners.shape == (24, 3) and frame.tolist() == [0] * 8 + [1] * 16
    np.testing.assert_allclose(corners[:8].min(axis=0), V.min(axis=0) + [1, 0, 0])
    np.testing.assert_allclose(corners[:8].max(axis=0), V.max(axis=0) + [1, 0, 0])
    np.testing.assert_allclose(corners[8:16].max(axis=0), [0.1, 0.1, 0.2])
    np.testing.assert_allclose(corners[16:].min(axis=0), [-0.2, -0.2, -0.2])
    assert orbit.solid_boxes([[], []]) is None


def test_the_preview_takes_the_solids_where_the_arm_goes(tmp_path):
    # 8 corners a visual at the start and at each state of the preview (every fifth frame)
    scene, sim = _scene_and_sim(tmp_path, BIG_BODY, ())
    seen = orbit.sim_framing(sim, 30)
    visuals = len(orbit.sim_boxes(sim)[0]) // 8
    assert visuals == 3 and len(seen["solids"]) == 8 * visuals * (1 + 30 // 5)
    assert sim.frame == 0
    # the arm points alone are what they were
    np.testing.assert_array_equal(seen["points"], orbit.sim_points(sim, 30))


@pytest.mark.parametrize("text, tips", [(BIG_BODY, None), (LEGS, ["footA", "footB"])],
                         ids=["chain", "whole-robot"])
def test_armsim_render_frames_the_solids_too(tmp_path, text, tips):
    import armsim
    urdf = tmp_path / "robot.urdf"
    urdf.write_text(text)
    robot = armsim.load_urdf(urdf) if tips is None else armsim.load_robot(urdf, tips=tips)
    shot = np.asarray(armsim.render(robot, size=(320, 240)).convert("RGB"))
    solid = _magenta(shot)
    assert solid.sum() > 0.03 * solid.size and not _border(solid, 3).any()


def test_a_small_solid_far_off_is_left_out_as_a_far_point(tmp_path):
    # a 10 cm box 200 m beside the big body's arm: the camera framed it too, 254 m away, and
    # the arm (and the body) were a dot; it is left out as a point 3 reaches off would be
    text = BIG_BODY.replace('<link name="tool"/>', '<link name="tool"/>\n'
                            '  <joint name="jf" type="fixed"><parent link="body"/>'
                            '<child link="far"/><origin xyz="200 0 0"/></joint>\n'
                            '  <link name="far"><visual><geometry><box size="0.1 0.1 0.1"/>'
                            f'</geometry>{MAGENTA}</visual></link>')
    shot = _gif(tmp_path, text, frames=1)[0]
    solid = _magenta(shot)
    assert solid.sum() > 0.03 * solid.size and not _border(solid, 3).any(), solid.sum()
    # a solid about the arm stays however big (pybullet's cartpole rail)
    near = np.array([[x, y, z] for x in (-15, 15) for y in (-0.1, 0.1) for z in (0, 0.1)])
    cam = orbit.OrbitCamera.framing(0.5, points=[[0, 0, 0], [0.3, 0, 0.3]], solids=near)
    assert cam.distance > 15


def test_a_skeleton_is_framed_without_the_solids_it_does_not_draw(tmp_path):
    # armsim.render / animate with show_solids=False framed the big body's box though only
    # the skeleton was drawn: the arm shrank to the middle of an empty picture; now the
    # picture is the one of the same arm without the body (the framing of its points)
    import armsim
    bare = tmp_path / "bare.urdf"
    bare.write_text(BIG_BODY.replace(BIG_BODY[BIG_BODY.index("<visual>"):
                                              BIG_BODY.index("</link>")], ""))
    full = tmp_path / "full.urdf"
    full.write_text(BIG_BODY.replace('size="1.2 0.9 0.6"', 'size="12 9 6"'))
    legs = tmp_path / "legs.urdf"
    legs.write_text(LEGS.replace('size="0.6 0.3 0.1"', 'size="6 3 1"'))
    bare_legs = tmp_path / "bare_legs.urdf"
    bare_legs.write_text(LEGS.replace(LEGS[LEGS.index("<visual>"):LEGS.index("</link>")], ""))
    for a, b, tips in ((full, bare, None), (legs, bare_legs, ["footA", "footB"])):
        shots = []
        for path in (a, b):
            robot = armsim.load_urdf(path) if tips is None else armsim.load_robot(path, tips=tips)
            shots.append(np.asarray(armsim.render(robot, size=(160, 120), show_solids=False)))
            clip = armsim.animate(robot, [np.zeros(robot.n)] * 2, size=(160, 120),
                                  show_solids=False)
            shots.append(np.asarray(Image.open(io.BytesIO(clip.data))
                                    .convert("RGB")))
        np.testing.assert_array_equal(shots[0], shots[2])
        np.testing.assert_array_equal(shots[1], shots[3])
