"""A user's own URDF with visuals armsim cannot draw: the warning says what is drawn instead.

Found by writing robots by hand (helper 110): a bad shape beside a good one on the same link
said "drawing a generated shape for link 'base'" while the link's box was drawn and no
generated shape was; a ``<mesh>`` without ``filename`` was "mesh 'None' not found"; a
``package://`` mesh whose package folder was found (``--package-dir``) but not the file in it
said to give the folder holding the package, the folder just given.
"""

import pytest

import armsim
from armsim.kinematics.visuals import chain_visuals, link_visuals

GOOD = "<visual><geometry><box size='0.2 0.2 0.05'/></geometry></visual>"


def urdf(base="", l1="", tip=""):
    return f"""<?xml version='1.0'?>
<robot name='mine'>
  <link name='base'>{base}</link>
  <link name='l1'>{l1}</link>
  <link name='tip'>{tip}</link>
  <joint name='j1' type='revolute'><parent link='base'/><child link='l1'/>
    <origin xyz='0 0 0.1'/><axis xyz='0 0 1'/><limit lower='-1' upper='1'/></joint>
  <joint name='j2' type='revolute'><parent link='l1'/><child link='tip'/>
    <origin xyz='0 0 0.3'/><axis xyz='0 1 0'/><limit lower='-1' upper='1'/></joint>
</robot>
"""


def mesh(attrs):
    return f"<visual><geometry><mesh {attrs}/></geometry></visual>"


def both(path):
    """The warnings of the chain's visuals and of the whole robot's, and the items."""
    chain_told, robot_told = [], []
    items = chain_visuals(armsim.load_urdf(path), warn=chain_told.append)
    per_link = link_visuals(path, armsim.load_robot(path).links, warn=robot_told.append)
    return chain_told, robot_told, items, per_link


def test_a_bad_shape_beside_a_drawn_one_is_left_out_not_replaced(tmp_path):
    path = tmp_path / "mine.urdf"
    path.write_text(urdf(base=GOOD + mesh("filename='part.stl' scale='0.001'")))
    chain_told, robot_told, items, per_link = both(path)
    assert [len(frame) for frame in items] == [1, 0, 0]
    assert [len(v) for v in per_link] == [1, 0, 0]
    line = (f"{path}: link 'base': visual: mesh scale must be three numbers, got '0.001'; "
            f"left out (the other visuals that move with link 'base' are drawn)")
    assert chain_told == robot_told == [line]


def test_a_missing_mesh_beside_a_drawn_shape_is_left_out(tmp_path):
    path = tmp_path / "mine.urdf"
    path.write_text(urdf(base=GOOD + mesh("filename='gone.stl'"),
                         l1=mesh("filename='gone2.stl'")))
    chain_told, robot_told, items, _ = both(path)
    assert chain_told == robot_told == [
        f"{path}: 2 meshes not found ('gone.stl', 'gone2.stl'); drawing generated shapes "
        f"for link 'l1'; left out for link 'base' (the other visuals that move with it are "
        f"drawn)"]
    path.write_text(urdf(base=GOOD + mesh("filename='gone.stl'")))
    chain_told, robot_told, _, _ = both(path)
    assert chain_told == robot_told == [
        f"{path}: link 'base': mesh 'gone.stl' not found; left out (the other visuals that "
        f"move with link 'base' are drawn)"]


def test_a_visual_fixed_to_a_link_keeps_its_frame_drawn(tmp_path):
    # the tool hangs from l1 by a fixed joint: on the chain it moves with l1's frame, so a
    # bad shape on l1 leaves the tool's sphere, not a generated shape
    path = tmp_path / "mine.urdf"
    text = urdf(l1="<visual><geometry><box size='1 -1 1'/></geometry></visual>").replace(
        "</robot>", "<link name='tool'><visual><geometry><sphere radius='0.02'/></geometry>"
        "</visual></link><joint name='t' type='fixed'><parent link='l1'/><child "
        "link='tool'/><origin xyz='0 0 0.2'/></joint></robot>")
    path.write_text(text)
    told = []
    items = chain_visuals(armsim.load_urdf(path, tip="tip"), warn=told.append)
    assert [[v.link for v in frame] for frame in items] == [[], ["tool"], []]
    assert told == [f"{path}: link 'l1': visual: box size must be positive, at most 1000 m, "
                    f"got '1 -1 1'; left out (the other visuals that move with link 'l1' "
                    f"are drawn)"]
    told = []                       # a whole robot: each link its own frame, l1 bare
    link_visuals(path, armsim.load_robot(path).links, warn=told.append)
    assert told == [f"{path}: link 'l1': visual: box size must be positive, at most 1000 m, "
                    f"got '1 -1 1'; drawing a generated shape for link 'l1'"]


def test_a_mesh_without_a_file_name_says_so(tmp_path):
    path = tmp_path / "mine.urdf"
    path.write_text(urdf(l1=mesh("scale='1 1 1'")))
    chain_told, robot_told, _, _ = both(path)
    assert chain_told == robot_told == [
        f"{path}: link 'l1': visual: <mesh> lacks its filename=...; drawing a generated "
        f"shape for link 'l1'"]


def test_a_package_found_without_the_mesh_names_the_file(tmp_path, monkeypatch):
    trimesh = pytest.importorskip("trimesh")
    monkeypatch.delenv("ROS_PACKAGE_PATH", raising=False)
    ws = tmp_path / "ws"
    (ws / "mine_description" / "meshes").mkdir(parents=True)
    trimesh.creation.box(extents=(0.1, 0.1, 0.2)).export(
        ws / "mine_description" / "meshes" / "l1.stl")
    path = tmp_path / "mine.urdf"
    path.write_text(urdf(l1=mesh("filename='package://mine_description/meshes/l1.stl'"),
                         tip=mesh("filename='package://mine_description/meshes/tip.stl'")))
    told = []
    items = chain_visuals(armsim.load_urdf(path), package_dirs=[ws], warn=told.append)
    assert [[v.kind for v in frame] for frame in items] == [[], ["mesh"], []]
    assert told == [f"{path}: link 'tip': mesh 'package://mine_description/meshes/tip.stl' "
                    f"not found (package 'mine_description' is {ws / 'mine_description'}); "
                    f"drawing a generated shape"]
    told = []                       # not found at all: the package is named, as before
    chain_visuals(armsim.load_urdf(path), warn=told.append)
    assert told == [f"{path}: 2 meshes of package 'mine_description' not found (give the "
                    f"folder holding 'mine_description' with --package-dir or "
                    f"ROS_PACKAGE_PATH); drawing generated shapes for links 'l1', 'tip'"]
