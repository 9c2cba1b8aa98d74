"""bench/tracking_jumps.py runs both settings on both robots, and writes its JSON and table."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_small_run_reports_both_settings_on_both_robots(tmp_path):
    out = tmp_path / "jumps.json"
    r = subprocess.run([sys.executable, str(ROOT / "bench" / "tracking_jumps.py"), "--paths", "2",
                        "--frames", "12", "--json", str(out)], capture_output=True, text=True,
                       timeout=600, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = json.loads(out.read_text())
    assert [(row["robot"], row["setting"]) for row in rows] == [
        ("panda", "defaults"), ("panda", "restarts=0"),
        ("dual_arm", "defaults"), ("dual_arm", "restarts=0")]
    for row in rows:
        assert row["paths"] == 2 and row["frames"] == 12
        assert 0 <= row["jumps"] + row["failed_frames"] <= 2 * 11
        assert 0 <= row["paths_with_either"] <= 2
        assert (row["paths_with_either"] == 0) == (row["jumps"] + row["failed_frames"] == 0)
        if row["setting"] == "defaults":            # restarts: every frame reached
            assert row["failed_frames"] == 0
    assert "| panda | `defaults` |" in r.stdout and "| dual_arm | `restarts=0` |" in r.stdout
