"""bench/calibration_spatial.py: the CRLB ratio of a setup, its tables, bad arguments."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_path = Path(__file__).resolve().parents[1] / "bench" / "calibration_spatial.py"
_spec = importlib.util.spec_from_file_location("bench_calibration_spatial", _path)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _row(sigma, z2, free=25, rel=1e-13):
    return {"dim": 33, "rank": 25, "free": free, "condition": 23.0, "observed": 90,
            "possible": 100, "rounds": 30, "seconds": 0.1, "max_rel_error": rel,
            "reason": "converged", "rms_px": 1e-14, "sigma": sigma, "crlb_z2": z2}


def test_crlb_ratio_pools_the_runs():
    # two runs of 25 free parameters with sum e^2 / var = 25 and 100: sqrt(125 / 50)
    e = bench.summarise([_row(1.0, 25.0), _row(1.0, 100.0)])
    assert e["crlb_ratio"] == pytest.approx(np.sqrt(2.5))
    assert e["crlb_ratio_per_run_max"] == pytest.approx(2.0)
    assert e["seen_fraction"] == pytest.approx(0.9)
    assert "crlb_ratio" not in bench.summarise([_row(0.0, 0.0)])


def test_grid_table_row():
    e = {"robot": "ur5", "arrangement": "mono", "sigma": 0.0, "poses": 10,
         **bench.summarise([_row(0.0, 0.0, rel=2.5e-13)])}
    md = bench.grid_table([e])
    assert "| ur5 | mono | 0 | 10 | 1 | 90 % | 25 / 33 | 23 | 30, 30 | 0.10 | 2.5e-13 |  |" in md


def test_bad_seed_count_is_one_line_and_status_2(capsys):
    assert bench.main(["--seeds", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "--seeds: must be an integer in [1, 1000], got 0\n"


def test_only_learners_runs_section_4_with_adam(tmp_path):
    import json
    out = tmp_path / "l.json"
    assert bench.main(["--only", "learners", "--quick", "--seeds", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert "identifiability" not in report and "grid" not in report
    assert [e["learner"] for e in report["learners"]] == ["lm", "proportional", "adam"] * 2
    assert "crlb_ratio_max" not in report
    adam = [e for e in report["learners"] if e["learner"] == "adam" and e["sigma"] == 0][0]
    prop = [e for e in report["learners"] if e["learner"] == "proportional" and e["sigma"] == 0][0]
    assert adam["rounds_median"] == 100 and adam["rms_px_median"] < prop["rms_px_median"]
