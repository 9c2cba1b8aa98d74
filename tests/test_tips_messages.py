"""What a user is told for tips given as bytes or non-text items, and for a scene's chain
URDF that needs the whole robot."""

import subprocess
import sys
from pathlib import Path

import pytest

import armsim

ROOT = Path(__file__).resolve().parents[1]
ROBOT = ROOT / "assets" / "robots" / "dual_arm.urdf"


@pytest.mark.parametrize("tips, said", [
    (b"left_tool", "tips must be link names (text), got bytes"),
    (bytearray(b"left_tool"), "tips must be link names (text), got bytearray"),
    ([3], "tips must be link names (text), got int '3'"),
    (["left_tool", None], "tips must be link names (text), got NoneType 'None'"),
])
def test_tips_that_are_not_text_are_named_so(tips, said):
    with pytest.raises(ValueError) as err:
        armsim.load_robot(ROBOT, tips=tips)
    assert str(err.value).endswith(said)
    assert "no link named" not in str(err.value)


MIMIC = """<robot name="m">
  <link name="base"/><link name="a"/><link name="b"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="a"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 0 1"/>
    <limit lower="-1" upper="1" effort="1" velocity="1"/></joint>
  <joint name="j2" type="revolute"><parent link="a"/><child link="b"/>
    <origin xyz="0.3 0 0"/><axis xyz="0 1 0"/>
    <limit lower="-1" upper="1" effort="1" velocity="1"/><mimic joint="j1"/></joint>
</robot>
"""


def test_a_scene_chain_with_a_mimic_joint_says_how_a_scene_names_its_tools(tmp_path):
    (tmp_path / "m.urdf").write_text(MIMIC)
    scene = tmp_path / "s.toml"
    scene.write_text('[arm]\nurdf = "m.urdf"\n')
    out = tmp_path / "o.gif"
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(scene), "--gif", str(out),
                        "--frames", "2"], capture_output=True, text=True, timeout=300,
                       env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin",
                            "PYTHONPATH": str(ROOT)})
    assert r.returncode == 2
    assert ": arm.urdf: " in r.stderr and r.stderr.strip().splitlines()[-1].endswith(
        "m.urdf: joint 'j2' is a mimic joint; a chain (load_urdf, --tip) takes no mimic, "
        "floating, planar or spherical joint: load the whole robot (in a scene: arm.tips = "
        "[its tool links], with a [[tool]] table for each)")
    assert len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
