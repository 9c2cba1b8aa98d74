"""bench/arm_sizes.py: the weighed rule and the rule before (metres) in one run, the rule
put back after (also when a solve raises)."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import arm_sizes as bench  # noqa: E402
from armsim.ik.problems import SpatialTarget  # noqa: E402


def test_a_small_run_compares_the_weighed_rows_with_metres(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "REACHES", (1e-3, 1.0))
    out = tmp_path / "sizes.json"
    bench.main(["--poses", "6", "--json", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert [r["reach"] for r in rows] == [1e-3, 1.0]
    tiny, metre = rows
    assert tiny["weighed"]["solved"] >= 5 and tiny["metres"]["solved"] <= 1
    assert metre["weighed"] == metre["metres"] and metre["weighed"]["solved"] == 6
    assert "| 0.001 m | " in capsys.readouterr().out
    assert SpatialTarget.LENGTHS == (0.5, 2.5)


def test_the_rule_comes_back_when_a_solve_fails(monkeypatch):
    calls = []

    def broken(*args, **kwargs):
        calls.append(SpatialTarget.LENGTHS)
        if len(calls) == 2:
            raise RuntimeError("stop")
        return real(*args, **kwargs)
    real = bench.armsim.solve_batch
    monkeypatch.setattr(bench.armsim, "solve_batch", broken)
    monkeypatch.setattr(bench, "REACHES", (1.0,))
    with pytest.raises(RuntimeError):
        bench.run(2)
    assert calls[1] == (0.0, float("inf")) and SpatialTarget.LENGTHS == (0.5, 2.5)
