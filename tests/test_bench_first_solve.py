"""bench/first_solve.py: the compiled path's rows (ARMSIM_COMPILED=1 in fresh processes) are
reported beside the default path's, skipped with the reason when numba cannot be imported,
and a worker runs the default path unless a run asks for the compiled one."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import first_solve as bench  # noqa: E402


def _row(first, later, misses=0.0):
    return {"first_ms": first, "later_ms": later, "extra_ms": first - later,
            "kernel_import_ms": 300.0, "cache_hits": 1.0, "cache_misses": misses,
            "same_result": True, "q": [0.1], "iterations": 7, "reason": "converged"}


def test_the_compiled_rows_are_reported_and_a_differing_answer_is_flagged():
    c = {"robots": {"panda": {"near": {"off": _row(420.0, 0.05), "warm": _row(410.0, 0.04),
                                       "same_as_default": True, "largest_q_difference": 0.0},
                              "restarts": {"off": _row(430.0, 0.5), "warm": _row(415.0, 0.4),
                                           "same_as_default": False,
                                           "default_iterations": 9,
                                           "largest_q_difference": 2e-9}}},
         "empty_numba_cache": _row(21000.0, 0.05, misses=1.0)}
    lines = bench.compiled_report(c, 3)
    assert "| panda | near | 7 (converged) | 0.040 | 420.0 | 419.9 | 410.0 | 300.0 | yes (0.0e+00) |" in lines
    assert ("| panda | restarts | 7 (converged) | 0.400 | 430.0 | 429.5 | 414.6 | 300.0 | "
            "NO: 9 by the default path (2.0e-09) |") in lines
    assert lines[-1] == ("With an empty numba cache (`NUMBA_CACHE_DIR` an empty folder per "
                         "process; the disk cache off), the Panda's near pose: first solve "
                         "21000 ms (the kernels compiled and written), later 0.050 ms, numba's "
                         "import, the kernels' module and the constants checked (compiled) "
                         "300 ms.")
    assert bench.compiled_report(None, 3) == []        # --no-numba


def test_the_compiled_rows_are_skipped_with_the_reason_when_numba_cannot_be_imported(
        monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "numba", None)
    why = bench.compiled_first(bench.Runner(tmp_path, ROOT), 1, {})
    assert why.startswith("numba not importable (ModuleNotFoundError: import of numba halted")
    assert bench.compiled_report(why, 1) == ["", f"The compiled path: skipped: {why}"]


def test_a_worker_runs_the_default_path_unless_a_run_asks(monkeypatch, tmp_path):
    monkeypatch.setenv("ARMSIM_COMPILED", "1")
    runner = bench.Runner(tmp_path, ROOT)
    assert runner.env["ARMSIM_COMPILED"] == ""
