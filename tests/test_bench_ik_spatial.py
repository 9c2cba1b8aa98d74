"""bench/ik_spatial.py: armsim's compiled path is a row of its own, measured as the default
path (the same poses and settings, the path off after), skipped with its reason when numba
cannot be imported, and the blocks print from a saved run (--from-json)."""

import copy
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import armsim
from armsim.ik import compiled

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import ik_spatial as bench  # noqa: E402

needs_numba = pytest.mark.skipif(not compiled.available(), reason="numba not installed")


@needs_numba
def test_the_compiled_path_is_on_inside_and_off_after_an_error():
    assert not compiled.enabled()
    with pytest.raises(RuntimeError, match="inside"):
        with bench.compiled_path():
            assert compiled.enabled()
            raise RuntimeError("inside")
    assert not compiled.enabled()


@needs_numba
def test_the_compiled_rows_solve_the_same_poses_to_the_default_paths_answers():
    chain = armsim.robots.load("ur5")
    seed_q = chain.limits.mean(axis=1)
    T = chain.matrix(np.random.default_rng(bench.POSE_SEED).uniform(
        chain.limits[:, 0], chain.limits[:, 1], (6, chain.n)))
    assert bench.warm_up_compiled(chain, seed_q, 20.0) > 0.0
    assert not compiled.enabled()
    _, good, its, own, reasons = bench.armsim_singles(chain, T, seed_q, len(T))
    with bench.compiled_path():
        _, good_c, its_c, own_c, reasons_c = bench.armsim_singles(chain, T, seed_q, len(T))
        _, r_c = bench.armsim_batch(chain, T, seed_q, "one")
    assert (good_c, its_c, own_c, reasons_c) == (good, its, own, reasons)
    _, r = bench.armsim_batch(chain, T, seed_q, "one")
    np.testing.assert_array_equal(r_c.iterations, r.iterations)
    np.testing.assert_array_equal(bench.fk_success(chain, r_c.q, T),
                                  bench.fk_success(chain, r.q, T))


def test_the_compiled_rows_are_skipped_with_the_reason_when_numba_cannot_be_imported(
        monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)       # import numba raises ImportError
    why = bench.compiled_skip()
    assert why.startswith("numba not importable (ModuleNotFoundError: import of numba halted")
    assert why.endswith("; pip install 'armsim[fast]')")
    if compiled.available():
        monkeypatch.delitem(sys.modules, "numba")
        assert bench.compiled_skip() is None


def _stats(mean, success=1.0):
    return {"success": success, "own_success": success, "mean_ms": mean,
            "median_ms": mean / 2, "p95_ms": 2 * mean, "count": 50, "timeouts": 0.0,
            "over_cap": 0, "own_but_failed": 0}


def _armsim(batch, first):
    return {"batch_success": 1.0, "batch_per_s": batch, "batch_default_threads_per_s":
            2 * batch, "over_100_iterations": 0, "over_100_share": 0.0, "most_iterations": 9,
            "most_iterations_ms": 0.5, "first_use_ms": first}


def fake_run():
    """A saved run of one robot with every row (figures made up, the shape of --json's)."""
    give = {"mean_ms": 0.3, "max_ms": 0.5, "reasons": {"unreachable": 10}}
    first = {"first_use_ms": 8.0}
    r = {"n": 7, "poses": 50, "armsim": _armsim(1000.0, 2.0),
         bench.COMPILED: _armsim(4000.0, 400.0),
         "capped": {str(c): {"armsim": _stats(0.2), bench.COMPILED: _stats(0.1),
                             "tracik": _stats(0.4)} for c in bench.CAPS_MS},
         "ik_LM": dict(_stats(0.15), fk_difference=3e-16),
         "Klampt": dict(_stats(0.3), fk_difference=4e-16),
         "first_use": {"armsim": first, "armsim warm": {"first_use_ms": 1.0},
                       bench.COMPILED: {"first_use_ms": 420.0},
                       bench.COMPILED + " warm": {"first_use_ms": 410.0},
                       "ik_LM": {"first_use_ms": 0.2}, "TRAC-IK": {"first_use_ms": 9.0},
                       "Klampt": {"first_use_ms": 0.3}, "IKPy": {"first_use_ms": 9.0}},
         "position": {"success": 1.0, "batch_per_s": 900.0,
                      "compiled": {"success": 1.0, "batch_per_s": 3000.0}},
         "give_up": {str(b): {"armsim": give, bench.COMPILED: dict(give, mean_ms=0.1),
                              "tracik": {"mean_ms": 5.0, "max_ms": 5.1}}
                     for b in bench.BEYOND},
         "ikpy": dict(_stats(8.0, 0.9), success_within_cap=0.8, armsim_mean_ms=0.2,
                      armsim_compiled_mean_ms=0.1)}
    return {"poses": 50, "caps_ms": list(bench.CAPS_MS), "settings": bench.SETTINGS,
            "robots": {"panda": r}, "rounds": 1, "give_up_targets": 10, "ikpy_poses": 10,
            "first_runs": 1, "pose_seed": bench.POSE_SEED,
            "table": {"size": 4096, "nearest": 64},
            "jacobian": {"1": {"ad_ms": 0.01, "dual_ms": 0.02, "geometric_ms": 0.03,
                               "dual_over_ad": 2.0, "max_difference": 1e-16}}}


def _printed(tmp_path, capsys, results):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(results))
    bench.main(["--from-json", str(path)])
    return capsys.readouterr().out.splitlines()


def test_from_json_prints_the_compiled_rows_beside_the_default_path(tmp_path, capsys):
    lines = _printed(tmp_path, capsys, fake_run())
    assert ("| panda, compiled | 20 ms | 100.00 % / 100.00 % | 0.100 / 0.050 / 0.200 | 0.0 | "
            "as above | as above | 0.25 |") in lines
    assert ("| panda, compiled | 7 | 100.00 % | 8000 / 4000 | 0.50 | 1.6 | as above | "
            "as above | 80.0 | 100.00 % |") in lines
    assert ("| panda | **armsim compiled** | 100.00 % / 100.00 % | 0.100 / 0.050 | "
            "420.00 (warm 410.00) | 8,000 (one thread 4,000) |") in lines
    # ik_LM is ahead of the default path's mean (0.15 < 0.2), not of the compiled path's
    # (0.1); ik_LM and Klampt start faster than both (the default path 8 ms)
    assert ("Where armsim leads (every peer behind its better entry; a peer's success taken "
            "by its own test where that is higher), and which entry: "
            "panda: armsim compiled (mean, median).") in lines
    # every solver at 100 %: a tie, no lead (the fake run's two caps time alike: 0.0 %)
    assert ("Where a peer ties armsim's better entry (no lead either way; a time within 10 % "
            "of the other is a tie: the same solves timed twice in this run, armsim's at the "
            "two caps, differ by up to 0.0 % in their medians): panda: success "
            "(ik_LM, TRAC-IK, Klampt).") in lines
    assert ("Where neither armsim entry leads (a peer ahead of both in success, mean, median "
            "or first use): panda: ik_LM (first use), Klampt (first use).") in lines


def test_from_json_of_a_run_without_numba_prints_why_and_of_an_older_run_no_row(
        tmp_path, capsys):
    why = "numba not importable (ImportError: no numba)"
    res = fake_run()
    r = res["robots"]["panda"]
    r[bench.COMPILED] = r["first_use"][bench.COMPILED] = why
    for c in r["capped"].values():
        c[bench.COMPILED] = why
    lines = _printed(tmp_path, capsys, res)
    assert f"| panda, compiled | 20 ms | skipped: {why} | | | | | |" in lines
    assert f"| panda | armsim compiled | skipped: {why} | | | |" in lines
    old = copy.deepcopy(fake_run())
    r = old["robots"]["panda"]
    del r[bench.COMPILED], r["position"]["compiled"], r["ikpy"]["armsim_compiled_mean_ms"]
    for c in r["capped"].values():
        del c[bench.COMPILED]
    for g in r["give_up"].values():
        del g[bench.COMPILED]
    lines = _printed(tmp_path, capsys, old)
    assert not any("compiled" in line for line in lines if line.startswith("|"))
    assert ("| panda | **armsim** | 100.00 % / 100.00 % | 0.200 / 0.100 | 8.00 (warm 1.00) | "
            "2,000 (one thread 1,000) |") in lines


def test_from_json_prints_the_batch_at_both_sizes_against_trac_ik_on_the_same_poses(
        tmp_path, capsys):
    res = fake_run()
    r = res["robots"]["panda"]
    assert not any("at B = 1,000" in line for line in _printed(tmp_path, capsys, res))
    for kind, rate in (("armsim", 500.0), (bench.COMPILED, 2500.0)):
        r[kind].update(batch_small_rows=1000, batch_small_per_s=rate,
                       batch_small_default_threads_per_s=2 * rate)
    r["capped"]["20.0"]["tracik"]["head_mean_ms"] = 0.5      # 2,000 solves/s on those poses
    lines = _printed(tmp_path, capsys, res)
    # B = 1,000: 500 / 2,000 = 0.25; the whole batch (50 poses): 1,000 x 0.4 ms = 0.4
    assert "| panda | 1,000 | 2,000 | 1,000 / 500 | 0.2 | 2,500 | 1.2 |" in lines
    assert "| panda | 50 | 2,500 | 2,000 / 1,000 | 0.4 | 4,000 | 1.6 |" in lines


def test_trac_ik_s_mean_on_the_small_batch_s_poses_is_its_fastest_round_there():
    # the round fastest over every pose need not be the fastest over the first 1,000
    a, b = dict(_stats(0.30), head_mean_ms=0.40), dict(_stats(0.32), head_mean_ms=0.35)
    out = bench.fastest([a, b])
    assert out["mean_ms"] == 0.30 and out["head_mean_ms"] == 0.35
    assert "head_mean_ms" not in bench.fastest([_stats(0.3)])      # an older run


class _SlowClock:
    """The bench's clock as seen by its timing only (armsim's own deadline keeps the real
    clock): every solve it times takes ``step`` seconds."""

    def __init__(self, step):
        self.now, self.step = 0.0, step

    def perf_counter(self):
        self.now += self.step
        return self.now


def _ur5_poses(count):
    chain = armsim.robots.load("ur5")
    T = chain.matrix(np.random.default_rng(bench.POSE_SEED).uniform(
        chain.limits[:, 0], chain.limits[:, 1], (count, chain.n)))
    return chain, T, chain.limits.mean(axis=1)


def test_an_armsim_answer_after_the_cap_fails_as_a_peers_does(monkeypatch):
    # the peers' answers after the cap fail (peers_spatial.peer_round, run_ikpy); armsim
    # stops at the cap between iterations, so its last one may end after it: the same rule
    chain, T, seed_q = _ur5_poses(3)
    _, good, _, own, _ = bench.armsim_singles(chain, T, seed_q, 3, 20.0)
    assert good == own == [True] * 3
    monkeypatch.setattr(bench, "time", _SlowClock(0.021))    # each solve: 21 ms, cap 20
    times, good, _, own, _ = bench.armsim_singles(chain, T, seed_q, 3, 20.0)
    assert own == [True] * 3 and good == [False] * 3
    assert bench.armsim_singles(chain, T, seed_q, 3)[1] == [True] * 3    # no cap: none late
    row = bench.armsim_capped([(times, good, [1] * 3, own, ["converged"] * 3)], 20.0)
    assert row["success"] == 0.0 and row["over_cap"] == 3


def test_a_trac_ik_answer_after_the_cap_fails_as_a_peers_does(monkeypatch):
    pytest.importorskip("pytracik")
    chain, T, seed_q = _ur5_poses(3)
    solver = bench.tracik_solver(armsim.robots.path("ur5"), chain, 20.0)
    assert bench.tracik_round(solver, chain, T, seed_q, 20.0)["success"] == 1.0
    monkeypatch.setattr(bench, "time", _SlowClock(0.021))
    out = bench.tracik_round(solver, chain, T, seed_q, 20.0)
    assert out["own_success"] == 1.0 and out["success"] == 0.0 and out["over_cap"] == 3


def test_the_table_lists_armsim_s_and_trac_ik_s_answers_after_the_cap(tmp_path, capsys):
    res = fake_run()
    at = res["robots"]["panda"]["capped"]["20.0"]
    at["armsim"]["over_cap"], at["tracik"]["over_cap"] = 2, 1
    res["robots"]["panda"]["Klampt"]["over_cap"] = 4
    line = next(x for x in _printed(tmp_path, capsys, res) if x.startswith("Answers that"))
    assert line.endswith("Answers after the cap (ik_LM and IKPy have no time limit; Klampt's "
                         "is checked between attempts, armsim's and TRAC-IK's between "
                         "iterations): panda armsim 2, panda TRAC-IK 1, panda Klampt 4.")


def test_trac_ik_gets_an_untimed_first_use_as_every_other_solver(monkeypatch):
    # armsim (warm_up), ik_LM and Klampt (run_robot) solve once before their timing
    pytracik = pytest.importorskip("pytracik")
    chain, T, seed_q = _ur5_poses(2)
    calls, real = [], pytracik.ik
    monkeypatch.setattr(pytracik, "ik", lambda *a: calls.append(a[2:5]) or real(*a))
    solver = bench.tracik_solver(armsim.robots.path("ur5"), chain, 20.0, (T[0], seed_q))
    assert not isinstance(solver, str)
    assert calls == [tuple(T[0, :3, 3])]
    bench.tracik_solver(armsim.robots.path("ur5"), chain, 20.0)        # none asked
    assert len(calls) == 1


def test_ikpy_gets_an_untimed_first_use_as_every_other_solver(monkeypatch):
    ikpy_chain = pytest.importorskip("ikpy.chain")
    chain, T, seed_q = _ur5_poses(2)
    seen, real = [], ikpy_chain.Chain.inverse_kinematics_frame

    def counted(self, target, *args, **kw):
        seen.append(np.array(target))
        return real(self, target, *args, **kw)
    monkeypatch.setattr(ikpy_chain.Chain, "inverse_kinematics_frame", counted)
    out = bench.run_ikpy(armsim.robots.path("ur5"), chain, T, seed_q, 2)
    assert out["count"] == 2                   # two timed solves, after an untimed one
    assert len(seen) == 3 and all(np.array_equal(a, b) for a, b in zip(seen, T[[0, 0, 1]]))


def test_trac_ik_and_ikpy_are_checked_against_armsim_s_kinematics_as_the_other_peers(
        monkeypatch):
    # ik_LM and Klampt are (peers_spatial.check_peer); a peer that reads the URDF otherwise
    # would be judged by kinematics it never solved
    pytracik = pytest.importorskip("pytracik")
    ikpy_chain = pytest.importorskip("ikpy.chain")
    chain, T, seed_q = _ur5_poses(1)
    path = armsim.robots.path("ur5")
    assert not isinstance(bench.tracik_solver(path, chain, 20.0), str)
    real = pytracik.fk

    def shifted(solver, q):
        M = np.array(real(solver, q))
        M[2, 3] += 1e-6
        return M
    monkeypatch.setattr(pytracik, "fk", shifted)
    assert bench.tracik_solver(path, chain, 20.0) == (
        "TRAC-IK's forward kinematics differ from armsim's by 1.0e-06")
    real_fk = ikpy_chain.Chain.forward_kinematics

    def shifted_fk(self, joints, *args, **kw):
        M = np.array(real_fk(self, joints, *args, **kw))
        M[0, 3] += 1e-6
        return M
    monkeypatch.setattr(ikpy_chain.Chain, "forward_kinematics", shifted_fk)
    assert bench.run_ikpy(path, chain, T, seed_q, 1) == (
        "IKPy's forward kinematics differ from armsim's by 1.0e-06")


def test_the_judge_fails_an_answer_outside_the_limits_beyond_float32_rounding():
    # TRAC-IK reads a URDF's limits as float32: its answers at a bound are past armsim's by
    # that rounding (4.4e-8 rad at pi/2), which passes; an answer further out fails, however
    # well it reaches its pose (docs/solvers.md: joint limits are enforced by all)
    chain = armsim.robots.load("ur5")
    q = np.tile(chain.limits.mean(axis=1), (3, 1))
    q[1, 2] = float(np.float32(chain.limits[2, 1]))          # 2 pi as a float32: above it
    q[2, 2] = chain.limits[2, 1] + 1e-6
    assert q[1, 2] > chain.limits[2, 1]
    T = chain.matrix(q)                          # each answer reaches its own pose exactly
    assert bench.fk_success(chain, q, T).tolist() == [True, True, False]
