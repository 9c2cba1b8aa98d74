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
    # an error at rounding (its digits change with the BLAS kernel) prints as "< 1e-10"
    e = {"robot": "ur5", "arrangement": "mono", "sigma": 0.0, "poses": 10,
         **bench.summarise([_row(0.0, 0.0, rel=2.5e-13)])}
    md = bench.grid_table([e])
    assert "| ur5 | mono | 0 | 10 | 1 | 90 % | 25 / 33 | 23 | 30, 30 | 0.10 | < 1e-10 |  |" in md
    e.update(bench.summarise([_row(0.0, 0.0, rel=2.5e-9)]))
    assert "| 0.10 | 2.5e-09 |  |" in bench.grid_table([e])


def test_learners_table_gives_the_median_and_range_over_seeds():
    rows = [dict(_row(0.0, 0.0, rel=r), rms_px=p) for r, p in
            ((0.2, 1e-3), (3e-4, 2e-13), (0.05, 4e-6))]
    e = {"robot": "ur5", "arrangement": "mono", "sigma": 0.0, "poses": 20, "learner": "adam",
         **bench.summarise(rows)}
    assert (e["rms_px_min"], e["rms_px_median"], e["rms_px_max"]) == (2e-13, 4e-6, 1e-3)
    assert (e["max_rel_error_min"], e["max_rel_error_median"], e["max_rel_error"]) == (3e-4, 0.05, 0.2)
    md = bench.learners_table([e])
    assert "| adam | 3 | 30 | 0.10 | 4e-06 (< 1e-10 – 0.001) | 0.05 (0.0003 – 0.2) |" in md
    # every seed below the floor: one figure
    low = dict(e, rms_px_median=1e-14, rms_px_min=1e-15, rms_px_max=3e-14)
    assert "| < 1e-10 | 0.05 (0.0003 – 0.2) |" in bench.learners_table([low])


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
    # one run per learner and sigma (--seeds 1), the quick 100 rounds; the outcomes (adam
    # below proportional) are asserted over seeds in tests/test_calibration_spatial.py
    assert [(r["learner"], r["seed"]) for r in report["learner_runs"]] == [
        (name, 0) for name in ("lm", "proportional", "adam")] * 2
    for e in report["learners"]:
        assert e["runs"] == 1
        assert e["rounds_median"] == (100 if e["learner"] != "lm" else e["rounds_max"])
        assert e["rms_px_min"] == e["rms_px_median"] == e["rms_px_max"]
