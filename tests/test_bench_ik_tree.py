"""bench/ik_tree.py's table: each row's iterations and time per iteration, and the two-arm
robot's ratio to the Panda split into the two (synthetic results: the arithmetic, not a
timing)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import ik_tree  # noqa: E402


class _Answer:
    def __init__(self, iterations):
        self.iterations = iterations


def test_time_per_iteration_counts_all_the_time_over_all_the_iterations():
    got = ik_tree._per_iteration([0.001, 0.003], [_Answer(4), _Answer(6)])
    assert got == {"mean_iterations": 5.0, "us_per_iteration": pytest.approx(400.0)}


def _row(robot, path, mean_ms, its, us):
    return {"robot": robot, "path": path, "poses": 10, "success": 1.0, "mean_ms": mean_ms,
            "median_ms": mean_ms, "ratio": mean_ms / 0.1, "mean_iterations": its,
            "us_per_iteration": us, "batch": 100, "batch_success": 1.0, "batch_per_s": 5e3}


def test_the_two_arm_ratio_is_split_into_iterations_and_time_per_iteration():
    res = {"alone": [_row("panda (chain)", "Python", 0.1, 10.0, 10.0),
                     _row("dual_arm", "Python", 0.3, 12.5, 24.0)], "peers": []}
    text = ik_tree.markdown(res)
    assert "| dual_arm | Python | 10 | 100.00 % | 0.300 / 0.300 | 3.00 | 12.50 | 24.0 |" in text
    assert ("Python path 3.00 Panda solves and 5,000 solves/s at B = 100 (1.25 x the Panda's "
            "iterations, each 2.40 x its time)") in text
    # a saved run without the columns (before them) still prints, without the split
    for r in res["alone"]:
        del r["mean_iterations"], r["us_per_iteration"]
    text = ik_tree.markdown(res)
    assert "| 3.00 | - | - |" in text and "x the Panda's iterations" not in text


class _Peers:
    """tree_peers' forward kinematics: every tool on its target (the rule's other parts)."""
    @staticmethod
    def fk_errors(urdf, cfg, tips, targets):
        return [(0.0, 0.0) for _ in tips]


class _Urdf:
    actuated_joint_names = ["a", "b"]


class _Robot:
    import numpy as _np
    joint_names = ("a", "b")
    limits = _np.array([[-1.0, 1.0], [0.0, 2.0]])


@pytest.mark.parametrize("q, seconds, ok", [
    ({"a": 0.5, "b": 1.0}, 0.01, True),
    ({"a": 1.0 + 1e-8, "b": 1.0}, 0.01, True),       # float32 rounding of the URDF's limit
    ({"a": 1.0 + 1e-6, "b": 1.0}, 0.01, False),      # past a limit
    ({"a": 0.5, "b": -1e-12}, 0.01, False),          # past a limit at 0
    ({"a": 0.5}, 0.01, False),                       # a free joint not given
    ({"a": float("nan"), "b": 1.0}, 0.01, False),
    ({"a": 0.5, "b": 1.0}, 0.0501, False),           # after the cap
])
def test_part_twos_judge_is_the_spatial_tables(q, seconds, ok):
    # before, a peer's answer past a joint limit or after the cap counted as solved
    got = ik_tree._peer_judge(_Peers, _Urdf, q, ["t"], [None], _Robot, seconds, 0.05)
    assert got is ok
