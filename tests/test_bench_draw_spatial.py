"""bench/draw_spatial.py: ms per draw of the 3D view, solids against the skeleton drawn in the
same run (a ratio), for the shipped robots and a URDF file's chain with its visuals, printed
and written as JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

URDF = """<robot name="boxy">
  <link name="base"/>
  <link name="arm"><visual><origin xyz="0 0 0.3"/><geometry><box size="0.1 0.2 0.5"/>
  </geometry></visual></link>
  <joint name="j" type="revolute"><parent link="base"/><child link="arm"/>
    <axis xyz="0 0 1"/><limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
  <link name="tool"/>
  <joint name="fix" type="fixed"><parent link="arm"/><child link="tool"/>
    <origin xyz="0.2 0 0.6"/></joint>
</robot>
"""


def _run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy")
    return subprocess.run([sys.executable, str(ROOT / "bench" / "draw_spatial.py"), *args],
                          env=env, capture_output=True, text=True, timeout=300)


def test_the_bench_rows_give_the_solids_against_the_skeleton(tmp_path):
    urdf = tmp_path / "boxy.urdf"
    urdf.write_text(URDF)
    out = tmp_path / "draw.json"
    proc = _run("--draws", "1", "--repeats", "1", "--robots", "panda", "--urdf", str(urdf),
                "--sizes", "160x120,200x100", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [(r["robot"], r["size"]) for r in rows] == [
        ("panda", [160, 120]), ("panda", [200, 100]), ("boxy", [160, 120]), ("boxy", [200, 100])]
    assert rows[0]["faces"] == 278 and rows[2]["faces"] == 6 and rows[2]["joints"] == 1
    for r in rows:
        assert r["solids_over_skeleton"] == r["solids_still_cpu_ms"] / r["skeleton_cpu_ms"] > 0
    table = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert table[0].endswith("| solids / skeleton (CPU) |") and len(table) == 1 + len(rows)
    assert table[1].split("|")[1:4] == [" panda ", " 7 ", " 278 "]


def test_a_size_not_width_by_height_is_one_line():
    proc = _run("--sizes", "640by480")
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].endswith(
        "argument --sizes: a size is WIDTHxHEIGHT, not '640by480'")
