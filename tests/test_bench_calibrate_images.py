"""bench/calibrate_images.py: the judging maths by hand, the pipeline on a stand-in
calibration that returns the truth, and the one line when ``armsim calibrate`` is missing."""

import importlib.util
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

_bench = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(_bench))
_spec = importlib.util.spec_from_file_location("bench_calibrate_images",
                                               _bench / "calibrate_images.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bench
_spec.loader.exec_module(bench)
data = bench.calib_data


def _T(R=np.eye(3), p=(0.0, 0.0, 0.0)):
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, p
    return T


def _rz(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def _rx(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def test_pose_errors_by_hand():
    # 3-4-5 mm off and turned 2 mrad about z; then a pose turned 90 deg about x whose
    # estimate is turned 1 mrad more about its own z
    T_true = np.stack([_T(), _T(_rx(math.pi / 2), (0.1, 0.2, 0.3))])
    T_est = np.stack([_T(_rz(0.002), (0.003, 0.004, 0.0)),
                      _T(_rx(math.pi / 2) @ _rz(0.001), (0.1, 0.2, 0.3))])
    mm, mrad = bench.pose_errors(T_est, T_true)
    np.testing.assert_allclose(mm, [5.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(mrad, [2.0, 1.0], atol=1e-9)


def test_marker_errors_by_hand():
    # the marker 10 cm out along the link's z; the link turned 10 mrad about x: the marker
    # moves along a chord 2 r sin(a / 2) = 0.2 sin(0.005) m = 0.99999583 mm
    M = _T(p=(0.0, 0.0, 0.1))
    err = bench.marker_errors(_T(_rx(0.01))[None], M, _T()[None], M)
    assert err[0] == pytest.approx(0.99999583, abs=1e-8)
    # a marker pose 1 mm off along the link's x, seen through a link turned 90 deg about z:
    # 1 mm in the world, along y
    err = bench.marker_errors(_T(_rz(math.pi / 2))[None], _T(p=(0.001, 0.0, 0.1)),
                              _T(_rz(math.pi / 2))[None], M)
    assert err[0] == pytest.approx(1.0, abs=1e-12)


def test_match_parameter_names():
    joints = ["panda_joint1", "panda_joint2", "panda_joint12"]
    m = bench.match_parameter
    assert m("panda_joint2.x", joints) == "panda_joint2.x"
    assert m("panda_joint12 origin z", joints) == "panda_joint12.z"     # the longest name
    assert m("panda_joint1/xyz[1]", joints) == "panda_joint1.y"
    assert m("panda_joint2 zero offset", joints) == "panda_joint2.offset"
    assert m("panda_joint2.rpy[0]", joints) is None
    assert m("camera a tx", joints) is None
    assert m("panda_joint2", joints) is None


def test_crlb_summary_pools_errors_by_kind():
    rows = [{"key": "j.x", "name": "j.x", "error": 1e-3, "sigma": 1e-3},
            {"key": "j.y", "name": "j.y", "error": -1e-3, "sigma": 2e-3},
            {"key": "j.offset", "name": "j.offset", "error": 4e-4, "sigma": 2e-4}]
    s = bench.crlb_summary(rows)
    assert s["origin_rms_error_mm"] == pytest.approx(1.0)
    assert s["origin_rms_sigma_mm"] == pytest.approx(math.sqrt(2.5))
    assert s["offset_rms_error_mrad"] == pytest.approx(0.4)
    assert s["z"] == pytest.approx(math.sqrt((1 + 0.25 + 4) / 3))
    assert bench.crlb_summary([]) == {"matched": 0}


def test_missing_command_is_one_line(monkeypatch, capsys):
    monkeypatch.setattr(bench, "command_available", lambda: False)
    assert bench.main([]) == 2
    err = capsys.readouterr().err
    assert err == ("bench/calibrate_images.py: armsim calibrate not available (issue 26 item 1 "
                   "is not on this branch)\n")


def _truthful(folder, out):
    """A stand-in for armsim calibrate: the true URDF, the true marker pose, the truth's
    parameters; the start block holds the true marker pose too."""
    folder, out = Path(folder), Path(out)
    out.mkdir(parents=True)
    truth = json.loads((folder / "truth.json").read_text())
    shutil.copyfile(folder / "true.urdf", out / "calibrated.urdf")
    marker = {str(truth["marker"]["id"]): {"link": truth["marker"]["link"],
                                           "link_from_marker": truth["marker"]["link_from_marker"]}}
    params = [{"name": k, "value": v + 1e-5, "sigma": 1e-5, "held": False}
              for k, v in truth["parameters"].items()]
    report = {"markers": marker, "start": {"markers": marker, "cameras": {}}, "cameras": {},
              "parameters": params, "rms_px_before": 3.0, "rms_px_after": 0.5,
              "converged": True, "identified": True}
    return report, out / "calibrated.urdf", 0.01, 0


def test_run_case_judges_armsim_and_the_baseline(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "calibrate", _truthful)
    row = bench.run_case(tmp_path, "t", 5, data.Config(poses=3, cameras=1, heldout=6, seed=5))
    assert row["found"] == row["images"] == 3 and row["vs_drawn_max_px"] < 0.3
    a, b = row["armsim"], row["baseline"]
    assert max(a.values()) < 1e-9                     # the truth judged against itself
    assert b["tool_mm_mean"] > 1.0 and b["tool_mrad_mean"] > 1.0       # nominal FK is off
    assert row["tool_ratio"] < 1e-9
    assert len(row["parameters"]) == 28
    assert all(p["error"] == pytest.approx(1e-5, abs=1e-12) for p in row["parameters"])
    assert bench.crlb_summary(row["parameters"])["z"] == pytest.approx(1.0)
    md = bench.table([row])
    assert md.count("\n") == 2 and "| t | 0.5 | 3 | 1 | yes | 3.000 / 0.500 |" in md
    # with no deviation the baseline's tool error is 0: no ratio
    assert bench._ratio(0.4, 0.0) is None and bench._ratio(1.0, 4.0) == 0.25
    assert "| n/a | 0 | 0.01 |" in bench.table([{**row, "tool_ratio": None}])


def test_a_report_without_the_marker_is_one_line():
    truth = {"marker": {"id": 3, "link": "panda_link8"}}
    with pytest.raises(bench.BenchError, match=r"^report.json markers: no marker 3$"):
        bench._marker_pose({"4": {}}, truth, "report.json markers")
    with pytest.raises(bench.BenchError, match="on link 'panda_link7', expected 'panda_link8'"):
        bench._marker_pose({"3": {"link": "panda_link7"}}, truth, "report.json markers")


def test_the_tool_table_pools_the_errors_over_the_sigmas():
    def row(poses, seed, err, sigma, status, kept=False, unseen=None):
        return {"poses": poses, "seed": seed, "kept": kept, "status": status,
                "armsim": {"tool_mm_mean": err, "tool_mm_max": 2 * err},
                "tool_sigma_mm": sigma, "tool_sigma_max_mm": None if sigma is None else 2 * sigma,
                "tool_unseen_mm": unseen}
    md = bench.tool_table([row(5, 1, 30.0, 40.0, 3), row(5, 2, 40.0, 30.0, 3),
                           row(5, 3, 9.0, None, 3), row(4, 1, 5.0, 0.0, 3, True, 54.8)])
    assert "| 5 | 1 | deviate | 30.00 / 60.00 | 40.00 / 80.00 | 0.75 | 3 |" in md
    assert "| 5 | 3 | deviate | 9.00 / 18.00 | n/a / n/a | n/a | 3 |" in md
    assert "| 4 | 1 | kept (freed: 54.80) | 5.00 / 10.00 | 0.00 / 0.00 | n/a | 3 |" in md
    assert md.endswith("over the seeds: 5 poses 1.00 (2 runs).")
