"""``package://`` meshes of a URDF kept inside its package (``NAME/urdf/robot.urdf``, the
way ROS packages ship) are found without ``--package-dir``; the meshes of a package that
cannot be found are one warning line, not one per link."""

from pathlib import Path

import pytest

from armsim.kinematics.urdf import load_robot, load_urdf
from armsim.kinematics.visuals import chain_visuals, link_visuals

ROOT = Path(__file__).resolve().parents[1]

ARM = """<robot name="pk">
  <link name="base"><visual><geometry><mesh filename="package://pk_description/meshes/a.stl"/>
  </geometry></visual></link>
""" + "".join(f"""  <link name="l{i}"><visual><geometry>
    <mesh filename="package://pk_description/meshes/{'a' if i % 2 else 'b'}.stl"/>
  </geometry></visual></link>
  <joint name="j{i}" type="revolute"><parent link="{'base' if i == 1 else f'l{i - 1}'}"/>
    <child link="l{i}"/><origin xyz="0 0 0.2"/><axis xyz="0 1 0"/>
    <limit lower="-2" upper="2"/></joint>
""" for i in range(1, 5)) + "</robot>\n"


@pytest.fixture
def package(tmp_path, monkeypatch):
    trimesh = pytest.importorskip("trimesh")
    monkeypatch.delenv("ROS_PACKAGE_PATH", raising=False)
    pkg = tmp_path / "src" / "pk_description"
    (pkg / "meshes").mkdir(parents=True)
    (pkg / "urdf").mkdir()
    for name, size in (("a", (0.05, 0.05, 0.2)), ("b", (0.04, 0.04, 0.2))):
        trimesh.creation.box(extents=size).export(pkg / "meshes" / f"{name}.stl")
    return pkg


@pytest.mark.parametrize("where", ["urdf", "top", "beside"])
def test_a_urdf_inside_its_package_finds_its_meshes(package, where):
    # urdf: pk_description/urdf/arm.urdf; top: pk_description/arm.urdf; beside: a sibling
    # package's folder in the same workspace (src/pk_robot/arm.urdf)
    folder = {"urdf": package / "urdf", "top": package,
              "beside": package.parent / "pk_robot"}[where]
    folder.mkdir(exist_ok=True)
    path = folder / "arm.urdf"
    path.write_text(ARM)
    told = []
    chain = load_urdf(path, tip="l4")
    items = [v for frame in chain_visuals(chain, warn=told.append) for v in frame]
    assert told == [] and [v.kind for v in items] == ["mesh"] * 5
    assert all(len(v.faces) == 12 for v in items)
    robot = load_robot(path)
    items = link_visuals(path, robot.links, warn=told.append)
    assert told == [] and sum(len(v) for v in items) == 5


def test_a_package_not_found_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("ROS_PACKAGE_PATH", raising=False)
    path = tmp_path / "arm.urdf"
    path.write_text(ARM)
    told = []
    assert chain_visuals(load_urdf(path, tip="l4"), warn=told.append) == [[]] * 5
    assert told == [f"{path}: 5 meshes of package 'pk_description' not found (give the folder "
                    f"holding 'pk_description' with --package-dir or ROS_PACKAGE_PATH); "
                    f"drawing generated shapes for links 'base', 'l1', 'l2', ..."]
