"""bench/planar_edges.py: each edge's rule and the rule before it in one run, the rule
switched back on after (also when a solve raises), and the tables written from the run."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import planar_edges as bench  # noqa: E402
from armsim.ik import planar  # noqa: E402


def test_a_small_run_compares_each_rule_with_the_one_before(tmp_path, capsys):
    out = tmp_path / "edges.json"
    bench.main(["--chains", "3", "--json", str(out)])
    res = json.loads(out.read_text())
    assert [r["width"] for r in res["limits"]] == list(bench.WIDTHS)
    for r in res["limits"]:
        assert r["targets"] == 3 * bench.TARGETS
        assert r["table"]["solved"] == r["targets"]           # the rule solves them all
        assert 0 <= r["patterns"]["solved"] <= r["targets"]
    assert [r["x"] for r in res["hole"]] == list(bench.RIMS) + ["anywhere"]
    assert all(r["fold"]["solved"] == 3 and r["fold"]["iterations"] == 0
               for r in res["hole"][:-1])
    anywhere = res["hole"][-1]
    assert anywhere["targets"] == 3 * bench.ANYWHERE
    assert anywhere["fold"]["solved"] == anywhere["targets"]      # nothing lost elsewhere
    # the rim itself: the patterns alone miss some (the defect the fold mends)
    assert res["hole"][0]["patterns"]["solved"] < 3
    text = capsys.readouterr().out
    assert "| 0.5 | 15 | 100.0 % /" in text and "| 0 | 3 of 3 / 0.0 |" in text
    assert planar.LIMITED_TABLE == 1024 and planar.fold_plan([0.5, 0.1]) is not None


def test_the_rules_come_back_when_a_solve_fails(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("stop")
    monkeypatch.setattr(bench.armsim, "solve", broken)
    with pytest.raises(RuntimeError):
        bench.limits(1)
    with pytest.raises(RuntimeError):
        bench.hole(1)
    assert planar.LIMITED_TABLE == 1024 and planar.fold_plan([0.5, 0.1]) is not None


def test_bad_chains_count_is_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--chains", "0"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith("--chains must be >= 1, got 0")
