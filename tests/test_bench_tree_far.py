"""bench/tree_far.py runs, judges by forward kinematics and writes its JSON."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_small_run_reports_every_robot(tmp_path):
    out = tmp_path / "far.json"
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "tree_far.py"), "--targets", "3",
                        "--json", str(out)], capture_output=True, text=True, timeout=600,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = json.loads(out.read_text())
    assert [row["robot"] for row in rows] == ["panda_hand", "dual_arm"]
    for row in rows:
        assert row["targets"] == 3 and row["unreachable"] == 3     # the far tool: never solved
        assert row["others_within_tol"] == 3
        assert 0.0 <= row["median_worst_m"] <= row["max_worst_m"] < 1e-6
    assert "| panda_hand | 3 | 3 |" in r.stdout
