"""bench/calibration.py: bootstrap intervals of the median and censored runs (issue 9 item 15)."""

import importlib.util
from pathlib import Path

import numpy as np

_path = Path(__file__).resolve().parents[1] / "bench" / "calibration.py"
_spec = importlib.util.spec_from_file_location("bench_calibration", _path)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_bootstrap_median_is_seeded_and_brackets_the_median():
    v = np.random.default_rng(1).lognormal(10, 1, 30)
    a, b = bench.bootstrap_median(v), bench.bootstrap_median(v)
    assert a == b                                               # seeded resampling
    med, lo, hi = a
    assert med == np.median(v) and lo <= med <= hi
    assert lo >= v.min() and hi <= v.max()
    assert bench.bootstrap_median([5.0] * 30) == (5.0, 5.0, 5.0)


def _row(rounds, converged, seed):
    return {"segments": 3, "population": 4, "seed": seed, "rounds": rounds, "converged": converged,
            "seconds": rounds * 1e-4, "length_error_pct": 10.0, "angle_error": 0.5}


def test_censored_runs_are_counted_at_the_cap_and_shown_as_lower_bounds():
    cap = 1000
    rows = [_row(100 * (i + 1), True, i) for i in range(4)] + [_row(cap, False, 4 + i) for i in range(5)]
    (e,) = bench.censored_summary(rows, cap)
    assert (e["runs"], e["converged"], e["censored"]) == (9, 4, 5)
    assert e["median_rounds"] == cap and e["ci_high"] == cap and e["min_rounds"] == 100
    assert e["max_converged_rounds"] == 400
    md = bench.gecco_markdown([e], 9, cap, "cmd")
    assert "| 3 | 4 | 4/9 | 5 | ≥ 1,000 |" in md and "`cmd`" in md
