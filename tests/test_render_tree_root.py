"""A whole robot whose root link draws nothing of the URDF's (its mesh is not found, or it
has no visual) is drawn with generated shapes for it, as the loader's warning says and as a
chain draws its bare base: the cylinders from the root to its children.  They were left
out (a generated cylinder belonged to the link it leads to, and none leads to the root), so
the arms floated in the air."""

import numpy as np
import pytest

import armsim
from armsim.ik.tree_tracking import tree_snapshot
from armsim.view.orbit import OrbitCamera
from armsim.view.solids import AMBIENT, GENERIC, tree_body_of
from armsim.view.tree3d import render_tree, tree_parts

SIZE = (480, 360)
CAMERA = OrbitCamera(30, 20, 2.6, (0, 0, 0.5), 45)


def _arm(side, y):
    out, parent = [], "torso"
    for i in range(3):
        name = f"{side}{i}"
        xyz = f"0 {y} 0.5" if i == 0 else "0 0 0.3"
        out.append(f'<link name="{name}"><visual><origin xyz="0 0 0.15"/><geometry>'
                   f'<box size="0.06 0.06 0.3"/></geometry></visual></link>'
                   f'<joint name="{name}_j" type="revolute"><parent link="{parent}"/>'
                   f'<child link="{name}"/><origin xyz="{xyz}"/><axis xyz="0 1 0"/>'
                   f'<limit lower="-2" upper="2"/></joint>')
        parent = name
    return "\n".join(out)


def _robot(tmp_path, torso):
    path = tmp_path / "twoarms.urdf"
    path.write_text(f'<robot name="twoarms"><link name="torso">{torso}</link>\n'
                    f'{_arm("l", 0.3)}\n{_arm("r", -0.3)}\n</robot>')
    return armsim.load_robot(path, tips=["l2", "r2"]), path


def _generic(img):
    """Mask of the pixels painted in the generic look's link colour times a shading factor
    in [AMBIENT, 1] (the robot's solids, lit)."""
    c = np.array(GENERIC.link, float)
    flat = img.reshape(-1, 3).astype(float)
    s = flat @ c / (c @ c)
    ok = (s >= AMBIENT - 0.01) & (s <= 1.01) & (np.abs(flat - s[:, None] * c).max(axis=1) <= 2)
    return ok.reshape(img.shape[:2])


@pytest.mark.parametrize("torso", ['<visual><geometry><mesh filename="gone.stl"/></geometry>'
                                   '</visual>', ""])
def test_a_bare_root_link_is_drawn_as_the_cylinders_from_it(tmp_path, capsys, torso):
    robot, path = _robot(tmp_path, torso)
    body = tree_body_of(robot)
    state = tree_snapshot(robot, np.zeros(robot.n), {})
    img = render_tree(state, CAMERA, SIZE, body=body, show_panel=False, show_trail=False,
                      show_grid=False)
    generic = _generic(img)
    # the middle of each cylinder from the torso (the origin) to a shoulder (0, +-0.3, 0.5)
    middles = np.round(CAMERA.project(np.array([[0, 0.15, 0.25], [0, -0.15, 0.25]]),
                                      SIZE)[0]).astype(int)
    for x, y in middles:
        assert generic[y - 2:y + 3, x - 2:x + 3].all()
    # the arms are their boxes (shaded from the generic look's link colour too, as the
    # visuals have no material): nothing generated is drawn for them
    parts = tree_parts(state, GENERIC, robot.reach, body)
    assert len(parts) == 6 + 2          # six boxes and the torso's two cylinders
    err = capsys.readouterr().err
    if torso:
        assert err.strip().endswith("mesh 'gone.stl' not found; drawing a generated shape")
    # armsim.render draws it too
    view = dict(azimuth_deg=30, elevation_deg=20, distance=2.6, center=[0, 0, 0.5], fov_deg=45)
    drawn = _generic(np.asarray(armsim.render(robot, np.zeros(robot.n), size=SIZE, view=view,
                                              show_grid=False)))
    for x, y in middles:
        assert drawn[y - 2:y + 3, x - 2:x + 3].all()


def test_a_root_with_its_own_visual_draws_no_generated_shape(tmp_path):
    robot, _ = _robot(tmp_path, '<visual><geometry><box size="0.2 0.5 0.2"/></geometry>'
                                '</visual>')
    state = tree_snapshot(robot, np.zeros(robot.n), {})
    assert len(tree_parts(state, GENERIC, robot.reach, tree_body_of(robot))) == 7
