"""The robot as shaded solids, and the URDF's visual geometry, judged by real pixels."""

import numpy as np
import pytest

import armsim
from armsim.ik.spatial_tracking import snapshot
from armsim.kinematics import robots
from armsim.kinematics.spatial import Joint, SpatialChain
from armsim.kinematics.urdf import load_urdf
from armsim.kinematics.visuals import Visual, chain_visuals, decimate
from armsim.view import DEFAULT_THEME
from armsim.view.orbit import OrbitCamera
from armsim.view.solids import AMBIENT, GENERIC, LOOKS, Body, body_of, shaded_colors
from armsim.view.spatial import render_spatial

BG = np.array(DEFAULT_THEME.background)
SIZE = (480, 360)
CLEAN = dict(show_panel=False, show_jacobian=False, show_trail=False, show_limits=False,
             show_grid=False)


def _code(rgb):
    a = np.asarray(rgb, dtype=np.int64).reshape(-1, 3)
    return (a[:, 0] << 16) | (a[:, 1] << 8) | a[:, 2]


def painted(img, look):
    """Mask of the pixels painted in one of ``look``'s shaded colours."""
    cols = np.array(sorted(shaded_colors(look)))
    return np.isin(_code(img), _code(cols)).reshape(img.shape[:2])


def shaded_from(pixel, color, tol=2):
    """True when ``pixel`` is ``color`` times a shading factor in [AMBIENT, 1]."""
    p, c = np.asarray(pixel, float), np.asarray(color, float)
    s = float(p @ c / (c @ c))
    return AMBIENT - 0.01 <= s <= 1.01 and np.abs(p - s * c).max() <= tol


# -- generated solids ----------------------------------------------------------------------

def test_a_panda_render_is_mostly_robot():
    # armsim.render at the middle of the joint ranges, default view, grid on, no panel: the
    # robot's own shaded colours (not the grid, the overlays or the floor disk) cover >= 12 %
    # of the frame (the stick figure before: 1.3 % of pixels differed from the background
    # and the grid, everything drawn counted)
    img = np.asarray(armsim.render(robots.load("panda"), size=(640, 480)))
    share = painted(img, LOOKS["panda"]).mean()
    assert share >= 0.12, share


def test_the_toggle_draws_the_skeleton_again():
    chain = robots.load("panda")
    q = chain.clip(np.array([0.3, -0.4, 0.2, -1.8, 0.1, 1.6, 0.5]))
    state = snapshot(chain, q, chain.matrix(q))
    cam = OrbitCamera.framing(chain.reach)
    body = body_of(chain)
    solid = render_spatial(state, cam, SIZE, body=body, **CLEAN)
    skeleton = render_spatial(state, cam, SIZE, body=body, show_solids=False, **CLEAN)
    assert painted(solid, LOOKS["panda"]).sum() > 3000
    assert painted(skeleton, LOOKS["panda"]).sum() < 50          # no solid left
    # the skeleton is the stick figure of before: its links in their joints' (saturated)
    # colours, where the solid Panda is white and grey
    def saturated(img):
        return int((np.ptp(img.astype(int), axis=-1) > 60).sum())
    assert saturated(skeleton) > saturated(solid) + 300
    assert np.array_equal(skeleton, render_spatial(state, cam, SIZE, show_solids=False,
                                                   **CLEAN))   # no body: the same skeleton


def crossing_chain():
    """Link A (frame 1, along y at x = 0, z = 0.5) and link C (frame 3, along z at x = 0.5):
    seen along the x axis they cross at the image of (., 0, 0.5)."""
    joints = [Joint("a", "continuous", xyz=(0, -0.5, 0.5)),
              Joint("b", "continuous", xyz=(0, 1.0, 0)),
              Joint("c", "continuous", xyz=(0.5, -0.5, -0.5))]
    return SpatialChain(joints, tool_xyz=(0, 0, 1.0))


RED, BLUE = (230, 40, 40), (40, 60, 230)


def crossing_body():
    def box(centre, size, color):
        T = np.eye(4)
        T[:3, 3] = centre
        return Visual("box", np.array(size, float), T, "l", color)
    # thin generated shapes for the frames without visuals (the post, the link b -> c)
    from armsim.view.solids import Look
    return Body(Look(radius=0.004), [[], [box((0, 0.5, 0), (0.12, 1.0, 0.12), RED)], [],
                          [box((0, 0, 0.5), (0.12, 0.12, 1.0), BLUE)]])


def test_near_solids_hide_far_ones_from_either_side():
    chain = crossing_chain()
    state = snapshot(chain, np.zeros(3), [0.5, 0.0, 1.0])
    cam = OrbitCamera(0, 0, 3.0, (0.25, 0, 0.5), 60)
    body = crossing_body()

    def at(img, p):
        x, y = np.floor(cam.project(np.array(p, float), SIZE)[0]).astype(int)
        return img[y, x]
    # (the crossing pixel is off the joint axes' lines, which are drawn on top)
    crossing = (0.25, 0.05, 0.45)
    for turn, near, far in ((0, BLUE, RED), (180, RED, BLUE)):
        cam.reset()
        cam.orbit(turn, 0)
        img = render_spatial(state, cam, SIZE, body=body, **CLEAN)
        assert shaded_from(at(img, crossing), near), (turn, at(img, crossing))
        assert not shaded_from(at(img, crossing), far)
        # each link shows its own colour away from the crossing
        assert shaded_from(at(img, (0.5, 0, 0.7)), BLUE)
        assert shaded_from(at(img, (0, -0.3, 0.5)), RED)


def test_shading_follows_the_light():
    # the faces of a box turned to the light are brighter than those turned away, and every
    # painted pixel is the box's colour times a factor in [AMBIENT, 1]
    chain = crossing_chain()
    state = snapshot(chain, np.zeros(3), [0.5, 0.0, 1.0])
    cam = OrbitCamera(30, 30, 3.0, (0.25, 0, 0.5), 60)
    img = render_spatial(state, cam, SIZE, body=crossing_body(), **CLEAN)
    blue = np.array(BLUE, float)
    mask = np.all(np.abs(img - np.outer(img.reshape(-1, 3) @ blue / (blue @ blue),
                                        blue).reshape(img.shape)) <= 2, axis=-1) & \
        np.any(img != BG, axis=-1)
    levels = np.unique(img[mask][:, 2])
    assert len(levels) >= 2                      # at least two faces, two shades


# -- the URDF's visual geometry ------------------------------------------------------------

URDF = """<?xml version="1.0"?>
<robot name="boxy">
  <material name="clay"><color rgba="0.9 0.5 0.2 1"/></material>
  <link name="base"/>
  <link name="arm">
    <visual>
      <origin xyz="0.05 0.0 0.3" rpy="0 0 0.4"/>
      <geometry>{geometry}</geometry>
      <material name="clay"/>
    </visual>
  </link>
  <link name="tool"/>
  <joint name="j1" type="revolute">
    <parent link="base"/><child link="arm"/>
    <origin xyz="0 0 0"/><axis xyz="0 0 1"/>
    <limit lower="-2" upper="2" effort="1" velocity="1"/>
  </joint>
  <joint name="fix" type="fixed">
    <parent link="arm"/><child link="tool"/>
    <origin xyz="0.0 0 0.6"/>
  </joint>
</robot>
"""
CLAY = (230, 128, 51)
BOX = (0.2, 0.3, 0.6)


def write_urdf(folder, geometry):
    path = folder / "boxy.urdf"
    path.write_text(URDF.format(geometry=geometry))
    return path


def clay_mask(img):
    c = np.array(CLAY, float)
    flat = img.reshape(-1, 3).astype(float)
    s = flat @ c / (c @ c)
    ok = (s >= AMBIENT - 0.01) & (s <= 1.01) & (np.abs(flat - s[:, None] * c).max(axis=1) <= 2)
    return ok.reshape(img.shape[:2])


def hull_mask(points, size):
    """Pixels inside the convex hull of 2D ``points`` (PIL draws the polygon)."""
    from PIL import Image, ImageDraw
    from scipy.spatial import ConvexHull
    hull = points[ConvexHull(points).vertices]
    im = Image.new("L", size, 0)
    ImageDraw.Draw(im).polygon([tuple(p) for p in hull], fill=1)
    return np.asarray(im, bool)


def box_render(chain, q, cam):
    state = snapshot(chain, q, chain.matrix(q))
    return render_spatial(state, cam, SIZE, body=body_of(chain), **CLEAN)


def test_box_visuals_render_as_the_boxes(tmp_path):
    chain = load_urdf(write_urdf(tmp_path, f'<box size="{BOX[0]} {BOX[1]} {BOX[2]}"/>'))
    items = chain_visuals(chain)
    assert [len(v) for v in items] == [0, 1] and items[1][0].kind == "box"
    assert items[1][0].color == CLAY
    q = np.array([0.7])
    cam = OrbitCamera(40, 30, 1.6, (0, 0, 0.3), 45)
    img = box_render(chain, q, cam)
    # the box's corners where the chain's frame 1 carries them
    R, p = chain.frames(q)
    from armsim.kinematics.spatial import rpy_matrix
    corners = np.array([[x, y, z] for x in (-.5, .5) for y in (-.5, .5) for z in (-.5, .5)]) * BOX
    local = corners @ rpy_matrix(np.array([0, 0, 0.4])).T + [0.05, 0, 0.3]
    world = local @ np.asarray(R[1]).T + p[1]
    hull = hull_mask(cam.project(world, SIZE)[0], SIZE)
    drawn = clay_mask(img)
    from scipy.ndimage import binary_dilation, binary_erosion
    assert drawn.sum() > 2000
    assert not np.any(drawn & ~binary_dilation(hull, iterations=2))    # nothing outside
    inner = binary_erosion(hull, iterations=2)
    assert (inner & ~drawn).sum() < 0.03 * inner.sum()                 # the overlays only


@pytest.mark.parametrize("ext", ["stl", "obj", "dae"])
def test_a_mesh_file_renders_like_the_box(tmp_path, ext):
    trimesh = pytest.importorskip("trimesh")
    trimesh.creation.box(extents=BOX).export(tmp_path / f"box.{ext}")
    mesh_chain = load_urdf(write_urdf(tmp_path, f'<mesh filename="box.{ext}"/>'))
    items = chain_visuals(mesh_chain)
    assert items[1][0].kind == "mesh" and len(items[1][0].faces) == 12
    a, b = _beside_the_box(tmp_path, mesh_chain)
    assert a.sum() > 2000
    assert (a ^ b).sum() < 0.02 * a.sum()        # the same silhouette (edges may differ)


def _beside_the_box(tmp_path, chain):
    """The clay pixels of ``chain`` and of the chain with a BOX visual, seen alike."""
    box_dir = tmp_path / "b"
    box_dir.mkdir()
    box_chain = load_urdf(write_urdf(box_dir, f'<box size="{BOX[0]} {BOX[1]} {BOX[2]}"/>'))
    q = np.array([-0.5])
    cam = OrbitCamera(40, 30, 1.6, (0, 0, 0.3), 45)
    return clay_mask(box_render(chain, q, cam)), clay_mask(box_render(box_chain, q, cam))


def test_a_mesh_scale_is_applied(tmp_path):
    trimesh = pytest.importorskip("trimesh")
    trimesh.creation.box(extents=(1.0, 1.0, 1.0)).export(tmp_path / "unit.stl")
    chain = load_urdf(write_urdf(tmp_path, f'<mesh filename="unit.stl" scale="{BOX[0]} '
                                           f'{BOX[1]} {BOX[2]}"/>'))
    v = chain_visuals(chain)[1][0].vertices
    np.testing.assert_allclose(np.ptp(v, axis=0), BOX, atol=1e-12)


def test_a_missing_mesh_warns_once_and_draws_the_generated_shape(tmp_path, capsys):
    chain = load_urdf(write_urdf(tmp_path, '<mesh filename="meshes/gone.stl"/>'))
    state = snapshot(chain, np.array([0.3]), chain.matrix(np.array([0.3])))
    cam = OrbitCamera(40, 30, 1.6, (0, 0, 0.3), 45)
    img = render_spatial(state, cam, SIZE, body=body_of(chain), **CLEAN)
    render_spatial(state, cam, SIZE, body=body_of(chain), **CLEAN)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0] == (f"armsim: warning: {tmp_path / 'boxy.urdf'}: link 'arm': mesh "
                      f"'meshes/gone.stl' not found; drawing a generated shape")
    assert painted(img, GENERIC).sum() > 500 and not clay_mask(img).any()



def test_a_mesh_that_is_a_device_or_folder_is_named_for_what_it_is(tmp_path, capsys):
    # "mesh 'file:///dev/zero' not found": it exists, and is not read (not a regular file)
    (tmp_path / "meshes").mkdir()
    for name in ("file:///dev/zero", "meshes"):
        chain = load_urdf(write_urdf(tmp_path, f'<mesh filename="{name}"/>'))
        assert body_of(chain) is not None
        err = capsys.readouterr().err.splitlines()
        assert err == [f"armsim: warning: {tmp_path / 'boxy.urdf'}: link 'arm': mesh "
                       f"{name!r} is not a regular file; drawing a generated shape"], err

def test_an_unreadable_mesh_warns_once(tmp_path, capsys):
    (tmp_path / "bad.stl").write_bytes(b"solid nothing\nthis is not an stl\n")
    chain = load_urdf(write_urdf(tmp_path, '<mesh filename="bad.stl"/>'))
    assert chain_visuals(chain, warn=print) == [[], []]
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / 'bad.stl'}: ")
    assert lines[0].endswith("; drawing a generated shape for link 'arm'")
    assert out.err == ""                          # trimesh's own logging kept quiet


def test_package_paths_resolve_through_package_dirs_and_ros_package_path(tmp_path,
                                                                          monkeypatch):
    trimesh = pytest.importorskip("trimesh")
    ws = tmp_path / "ws"
    (ws / "boxy_description" / "meshes").mkdir(parents=True)
    trimesh.creation.box(extents=BOX).export(ws / "boxy_description" / "meshes" / "b.stl")
    chain = load_urdf(write_urdf(tmp_path, '<mesh filename="package://boxy_description/'
                                           'meshes/b.stl"/>'))
    monkeypatch.delenv("ROS_PACKAGE_PATH", raising=False)
    told = []
    assert chain_visuals(chain, warn=told.append) == [[], []]
    assert len(told) == 1 and "not found" in told[0]
    found = chain_visuals(chain, package_dirs=[ws])[1][0]
    assert found.kind == "mesh" and len(found.faces) == 12
    # a folder named after the package works too, and so does ROS_PACKAGE_PATH
    assert chain_visuals(chain, package_dirs=[ws / "boxy_description"])[1][0].kind == "mesh"
    monkeypatch.setenv("ROS_PACKAGE_PATH", f"/nonexistent:{ws}")
    assert chain_visuals(chain)[1][0].kind == "mesh"


def test_fixed_links_move_with_the_joint_before_them(tmp_path):
    # a visual on the tool link (after the fixed joint) sits in frame 1 at the fixed offset
    text = URDF.format(geometry='<sphere radius="0.05"/>').replace(
        '<link name="tool"/>', '<link name="tool"><visual><geometry><sphere radius="0.04"/>'
        '</geometry></visual></link>')
    path = tmp_path / "t.urdf"
    path.write_text(text)
    items = chain_visuals(load_urdf(path))[1]
    assert [it.link for it in items] in (["arm", "tool"], ["tool", "arm"])
    tool = next(it for it in items if it.link == "tool")
    np.testing.assert_allclose(tool.origin[:3, 3], [0, 0, 0.6])
    np.testing.assert_allclose(tool.scale, [0.04] * 3)


def test_a_bad_visual_number_is_one_line_naming_the_link(tmp_path, capsys):
    # the shape is left out with one warning line (it raised, and the caller dropped every
    # visual of the robot)
    chain = load_urdf(write_urdf(tmp_path, '<box size="0.1 -0.2 0.3"/>'))
    assert chain_visuals(chain, warn=print) == [[], []]
    assert capsys.readouterr().out == (
        f"{tmp_path / 'boxy.urdf'}: link 'arm': visual: box size must be positive, at most "
        f"1000 m, got "
        f"'0.1 -0.2 0.3'; drawing a generated shape for link 'arm'\n")


def test_decimation_keeps_the_shape_within_the_budget():
    trimesh = pytest.importorskip("trimesh")
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=0.1)
    assert len(sphere.faces) > 20000
    V, F = decimate(sphere.vertices, sphere.faces, 2000)
    assert 200 < len(F) <= 2000
    r = np.linalg.norm(V[np.unique(F)], axis=1)
    assert r.max() <= 0.1 + 1e-12 and r.min() > 0.085        # still a sphere
    again = decimate(sphere.vertices, sphere.faces, 2000)
    assert np.array_equal(again[1], F) and np.array_equal(again[0], V)   # deterministic


def _decimate_by_rows(V, F, budget):
    """The clustering written with row sorts (np.unique(axis=0)), the obvious way: what
    decimate's integer keys must give, bit for bit."""
    lo, extent = V.min(axis=0), float(np.max(V.max(axis=0) - V.min(axis=0))) or 1.0
    cells = max(2, int(np.sqrt(budget / 2.0)))
    while True:
        key = np.floor((V - lo) / (extent / cells)).astype(np.int64)
        _, cluster, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
        cluster = cluster.reshape(-1)
        merged = np.zeros((len(counts), 3))
        np.add.at(merged, cluster, V)
        merged /= counts[:, None]
        G = cluster[F]
        G = G[(G[:, 0] != G[:, 1]) & (G[:, 1] != G[:, 2]) & (G[:, 0] != G[:, 2])]
        G = G[np.unique(np.sort(G, axis=1), axis=0, return_index=True)[1]]
        if len(G) <= budget or cells <= 2:
            return merged, G
        cells = max(2, int(cells / 1.4))


def test_decimation_equals_the_row_sort_clustering():
    rng = np.random.default_rng(4)
    for faces, budget in ((3000, 2000), (3000, 40), (20000, 500)):
        V = rng.normal(size=(faces // 2, 3)) * [1.0, 0.2, 3.0]
        F = rng.integers(0, len(V), (faces, 3))
        got, want = decimate(V, F, budget), _decimate_by_rows(V, F, budget)
        assert len(got[1]) <= budget
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    # past the clusters whose triangle keys fit in int64: the rows' sort, the same answer
    import armsim.kinematics.visuals as visuals
    kept, visuals._KEY_CLUSTERS = visuals._KEY_CLUSTERS, 10
    try:
        got = decimate(V, F, budget)
    finally:
        visuals._KEY_CLUSTERS = kept
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    # by hand: a budget of 1 triangle; cells = 2 (step 0.5 of the extent 1): the corners
    # (0,0,0) and (0.1,0,0) share cell (0,0,0), (1,0,0) is cell (2,0,0), (0,1,0) cell (0,2,0)
    V = np.array([[0.0, 0, 0], [0.1, 0, 0], [1.0, 0, 0], [0.0, 1, 0]])
    F = np.array([[0, 1, 2], [1, 2, 3], [0, 2, 3], [2, 3, 0]])
    M, G = decimate(V, F, 1)
    np.testing.assert_allclose(M, [[0.05, 0, 0], [0, 1, 0], [1, 0, 0]])   # x, then y, then z
    assert G.tolist() == [[0, 2, 1]]        # the three repeats of one triangle: its first
    V[1, 2] = np.nan                        # (a mesh's loader refuses these first)
    with pytest.raises(ValueError, match="^decimate: the vertices must be finite$"):
        decimate(V, F, 1)


def test_the_cli_finds_package_meshes_through_package_dir(tmp_path, capsys):
    trimesh = pytest.importorskip("trimesh")
    from armsim.cli import main
    ws = tmp_path / "ws"
    (ws / "boxy_description").mkdir(parents=True)
    trimesh.creation.box(extents=BOX).export(ws / "boxy_description" / "b.stl")
    urdf = write_urdf(tmp_path, '<mesh filename="package://boxy_description/b.stl"/>')
    assert main([str(urdf), "--gif", str(tmp_path / "a.gif"), "--frames", "2",
                 "--package-dir", str(ws)]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main([str(urdf), "--gif", str(tmp_path / "b.gif"), "--frames", "2"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert err == [f"armsim: warning: {urdf}: 1 mesh of package 'boxy_description' not found "
                   f"(give the folder holding 'boxy_description' with --package-dir or "
                   f"ROS_PACKAGE_PATH); drawing generated shapes for link 'arm'"]
    assert main([str(urdf), "--package-dir", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f"argument --package-dir: '{tmp_path / 'nowhere'}' is not a folder")


def test_k_in_the_window_switches_solids_and_skeleton():
    import pygame
    from test_window_spatial import key, make_app, press
    app = make_app()
    press(app, key(pygame.K_SPACE, " "))                  # paused: the arm stays put
    press(app, loops=1)
    solid = app.last_frame.copy()
    press(app, key(pygame.K_k, "k"))
    assert app.show["solids"] is False and app.message == "solid robot off"
    skeleton = app.last_frame.copy()
    panda = LOOKS["panda"]
    assert painted(solid, panda).sum() > 5000 and painted(skeleton, panda).sum() < 100
    press(app, key(pygame.K_k, "k"))
    assert app.show["solids"] is True and app.message == "solid robot on"
    back = painted(app.last_frame, panda)
    assert back.sum() > 5000 and (back ^ painted(solid, panda)).sum() < 0.01 * back.sum()


@pytest.mark.parametrize("orbit", [0.0, 30.0])
def test_the_framing_puts_the_arm_in_70_percent_of_the_view(orbit):
    from armsim.view.orbit import FRAME_FILL, FRAME_MARGIN
    chain = robots.load("panda")
    q = chain.clip(np.array([0.3, -0.4, 0.2, -1.8, 0.1, 1.6, 0.5]))
    pts = np.asarray(chain.frames(q)[1])
    cam = OrbitCamera.framing(chain.reach, points=pts, orbit_deg_per_s=orbit)
    size = (640, 480)
    half = 0.5 * min(size)
    tan = np.tan(np.radians(cam.fov_deg) / 2)

    def fits(c):
        """Every point within FRAME_FILL of the half-view, and grown by the links'
        thickness (FRAME_MARGIN reach) within the view."""
        x = c.to_camera(pts)
        side = np.abs(x[:, :2]).max(axis=1)
        return bool(np.all(side / (x[:, 2] * tan) <= FRAME_FILL + 1e-9)
                    and np.all((side + FRAME_MARGIN * chain.reach) / (x[:, 2] * tan) <= 1 + 1e-9))
    near_enough = False
    for turn in range(0, 360, 45 if orbit else 360):
        c = cam.copy()
        c.orbit(turn, 0)
        off = np.abs(c.project(pts, size)[0] - [320, 240]).max()
        assert off <= FRAME_FILL * half + 1e-6, (turn, off)
        assert fits(c)
        closer = c.copy()
        closer.distance *= 0.98
        near_enough |= not fits(closer)
    assert near_enough                                # and no farther than it needs


@pytest.mark.parametrize("name, content, message", [
    # an archive would be unpacked without a bound (186 KB of zip took 4 GB)
    ("m.zip", b"PK\x03\x04", "mesh format '.zip' is not read (the formats: stl, obj, dae, "
                              "ply, off, glb)"),
    # vertices past the URDF lengths' range: one line, not a screen of overflow warnings
    ("far.obj", b"v 0 0 1e300\nv 1e300 0 0\nv 0 1e300 0\nf 1 2 3\n",
     "the mesh's vertices must be within +-1000 m, got 1e+300 m"),
])
def test_meshes_past_the_bounds_warn_in_one_line(tmp_path, capsys, name, content, message):
    pytest.importorskip("trimesh")
    (tmp_path / name).write_bytes(content)
    chain = load_urdf(write_urdf(tmp_path, f'<mesh filename="{name}"/>'))
    assert chain_visuals(chain, warn=print) == [[], []]
    out = capsys.readouterr()
    assert out.out.splitlines() == [f"{tmp_path / name}: {message}; drawing a generated "
                                    f"shape for link 'arm'"]
    assert out.err == ""


def test_a_mirrored_mesh_renders_like_the_box_it_mirrors(tmp_path):
    # a negative scale (a mirrored mesh, ordinary in URDFs) dropped every visual of the robot
    trimesh = pytest.importorskip("trimesh")
    trimesh.creation.box(extents=(1.0, 1.0, 1.0)).export(tmp_path / "unit.stl")
    mirrored = load_urdf(write_urdf(tmp_path, f'<mesh filename="unit.stl" scale="{BOX[0]} '
                                              f'{-BOX[1]} {BOX[2]}"/>'))
    item = chain_visuals(mirrored)[1][0]
    np.testing.assert_allclose(np.ptp(item.vertices, axis=0), BOX, atol=1e-12)
    a, b = _beside_the_box(tmp_path, mirrored)
    assert a.sum() > 2000 and (a ^ b).sum() < 0.02 * a.sum()    # outward faces: all drawn


def test_a_bad_shape_leaves_out_that_shape_alone(tmp_path, capsys):
    # a box of a negative size beside a good box on the same link: the good one is kept (the
    # error dropped the visuals of the whole robot; a size of 0 is an unseen marker, no error)
    # (the line said "drawing a generated shape", where none is drawn: the good box is)
    two = (f'<box size="-0.1 0.3 0.6"/></geometry></visual><visual><origin xyz="0.05 0 0.3"/>'
           f'<geometry><box size="{BOX[0]} {BOX[1]} {BOX[2]}"/>')
    chain = load_urdf(write_urdf(tmp_path, two))
    items = chain_visuals(chain, warn=print)
    assert [len(i) for i in items] == [0, 1] and items[1][0].kind == "box"
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path / 'boxy.urdf'}: link 'arm': visual: box size must be positive, at most "
        f"1000 m, got "
        f"'-0.1 0.3 0.6'; left out (the other visuals that move with link 'arm' are drawn)"]
    with pytest.raises(ValueError, match="mesh scale must not be zero"):
        from armsim.kinematics.visuals import _nonzero
        _nonzero("1 0 1", "mesh scale", 3)


TREE = """<?xml version="1.0"?>
<robot name="twoboxy">
  <material name="clay"><color rgba="0.9 0.5 0.2 1"/></material>
  <link name="torso"/>
  <link name="left">
    <visual>
      <origin xyz="0.05 0.0 0.3" rpy="0 0 0.4"/>
      <geometry><box size="{b[0]} {b[1]} {b[2]}"/></geometry>
      <material name="clay"/>
    </visual>
  </link>
  <link name="right"><visual><geometry>{right}</geometry></visual></link>
  <link name="lt"/><link name="rt"/>
  <joint name="jl" type="revolute"><parent link="torso"/><child link="left"/>
    <origin xyz="0 0.4 0"/><axis xyz="0 0 1"/><limit lower="-2" upper="2"/></joint>
  <joint name="jr" type="revolute"><parent link="torso"/><child link="right"/>
    <origin xyz="0 -0.4 0"/><axis xyz="0 0 1"/><limit lower="-2" upper="2"/></joint>
  <joint name="fl" type="fixed"><parent link="left"/><child link="lt"/>
    <origin xyz="0 0 0.6"/></joint>
  <joint name="fr" type="revolute"><parent link="right"/><child link="rt"/>
    <origin xyz="0 0 0.6"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
</robot>
"""


def test_a_whole_robot_draws_its_urdf_visuals_on_their_links(tmp_path, capsys):
    # a whole robot (a tree) drew generated shapes only, whatever its URDF's visuals
    from scipy.ndimage import binary_dilation
    from armsim.ik.tree_tracking import tree_snapshot
    from armsim.kinematics.spatial import rpy_matrix
    from armsim.view.solids import tree_body_of
    from armsim.view.tree3d import render_tree
    path = tmp_path / "two.urdf"
    path.write_text(TREE.format(b=BOX, right='<mesh filename="gone.stl"/>'))
    robot = armsim.load_robot(path)
    q = np.array([0.7, -0.3, 0.4])
    cam = OrbitCamera(40, 30, 2.4, (0, 0, 0.3), 45)
    body = tree_body_of(robot)
    img = render_tree(tree_snapshot(robot, q, {}), cam, SIZE, body=body, show_panel=False,
                      show_trail=False)
    corners = np.array([[x, y, z] for x in (-.5, .5) for y in (-.5, .5) for z in (-.5, .5)]) * BOX
    F = robot.frames(q, ["left"])["left"]
    world = (corners @ rpy_matrix(np.array([0, 0, 0.4])).T + [0.05, 0, 0.3]) @ F[:3, :3].T \
        + F[:3, 3]
    hull = hull_mask(cam.project(world, SIZE)[0], SIZE)
    drawn = clay_mask(img)
    assert drawn.sum() > 1000 and not np.any(drawn & ~binary_dilation(hull, iterations=2))
    assert painted(img, GENERIC).sum() > 300       # the right arm: its mesh is missing
    err = capsys.readouterr().err.splitlines()
    assert err == [f"armsim: warning: {path}: link 'right': mesh 'gone.stl' not found; "
                   f"drawing a generated shape"]
    # through the Python drawing and the GIF too
    assert clay_mask(np.asarray(armsim.render(robot, q, size=SIZE))).sum() > 1000
    anim = armsim.animate(robot, np.stack([q, q]), size=SIZE)
    import imageio.v3 as iio
    assert clay_mask(iio.imread(anim.data, index=0)[..., :3]).sum() > 500


@pytest.mark.parametrize("geometry, message", [
    ('<cylinder radius="1e6" length="0.1"/>', "cylinder radius must be positive, at most "
     "1000 m, got '1e6'"),                  # (it said "radius[0] must be within [-1000, 1000]")
    ('<sphere radius="-0.1"/>', "sphere radius must be positive, at most 1000 m, got '-0.1'"),
    ('<sphere/>', "sphere radius is missing (give a length in metres)"),  # ("must be 1 numbers")
    ('<sphere radius="0.1 0.2"/>', "sphere radius must be one number, got '0.1 0.2'"),
    ('<box/>', "box size is missing (give 3 lengths in metres)")])
def test_a_size_or_radius_out_of_range_or_missing_is_named_so(tmp_path, capsys, geometry, message):
    chain = load_urdf(write_urdf(tmp_path, geometry))
    assert chain_visuals(chain, warn=print) == [[], []]
    assert capsys.readouterr().out == (f"{tmp_path / 'boxy.urdf'}: link 'arm': visual: "
                                       f"{message}; drawing a generated shape for link 'arm'\n")


def test_a_mesh_whose_only_triangle_has_a_vertex_not_a_number_says_so(tmp_path):
    pytest.importorskip("trimesh")
    from armsim.kinematics.visuals import _load_mesh
    path = tmp_path / "nan.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv nan 1 0\nf 1 2 3\n")   # ("the mesh has no triangles")
    with pytest.raises(ValueError, match="^the mesh has no triangles of finite vertices$"):
        _load_mesh(path, np.ones(3))


def test_the_panda_stays_in_the_picture_for_its_whole_lap(tmp_path):
    """``--robot panda``'s wrist rises during its lap: the framing covers where the arm goes
    (a preview of the run), not only where it starts.  Every frame of the GIF keeps the
    robot's grey solids off the picture's border (frames 52-99 touched the top before)."""
    from PIL import Image

    from armsim.cli import main
    out = tmp_path / "panda.gif"
    assert main(["--robot", "panda", "--frames", "100", "--size", "320x240", "--gif", str(out)]) == 0
    im, touching = Image.open(out), []
    for k in range(im.n_frames):
        im.seek(k)
        a = np.asarray(im.convert("RGB")).astype(int)
        border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
        if (border.mean(axis=1) > 90).sum() > 2:          # a solid's lit grey, not the grid
            touching.append(k)
    assert im.n_frames == 100 and touching == []


def test_the_preview_leaves_the_run_as_it_was():
    """The framing's preview steps a copy: the simulation itself is still at frame 0, and
    its frames are the same as a simulation's never previewed."""
    from armsim.cli import robot_scene
    from armsim.scene.document import build_simulation, loads
    from armsim.view.orbit import sim_points
    a, b = (build_simulation(loads(robot_scene("panda"))) for _ in range(2))
    pts = sim_points(a, 40)
    assert a.frame == 0 and len(pts) > len(sim_points(b, 0))
    for _ in range(40):
        np.testing.assert_array_equal(a.step().q, b.step().q)
