"""IK solvers: round trips, unreachable targets, limits, option validation."""

import numpy as np
import pytest

from armsim import Chain
from armsim.solvers import CORRECTIONS, METHODS, IKResult, Solver, solve

CONFIGS = [("dls", "clip"), ("gradient", "clip"), ("gradient", "none")]


def reachable_targets(chain, rng, count):
    """Targets stratified by distance: uniform radius in [0.1, 0.9] of the reach."""
    r = rng.uniform(0.1, 0.9, count) * chain.reach
    a = rng.uniform(-np.pi, np.pi, count)
    return chain.base + np.stack([r * np.cos(a), r * np.sin(a)], axis=-1)


@pytest.mark.parametrize("method, correction", CONFIGS)
def test_round_trip_reachable(method, correction):
    rng = np.random.default_rng(11)
    chain = Chain([0.4, 0.3, 0.2, 0.1])
    for target in reachable_targets(chain, rng, 20):
        res = solve(chain, target, method=method, correction=correction, max_iter=3000)
        assert isinstance(res, IKResult)
        assert res.success, (method, correction, target, res)
        assert res.reason == "converged"
        # forward kinematics at the answer lands on the target
        assert np.linalg.norm(chain.tip(res.q) - target) < 1e-6 * chain.reach
        assert res.residual == pytest.approx(np.linalg.norm(chain.tip(res.q) - target))


@pytest.mark.parametrize("method, correction", [("dls", "clip")])
def test_unreachable_target_ends_at_full_reach_on_the_line(method, correction):
    chain = Chain([0.5, 0.3, 0.2])
    target = np.array([2.0, 1.5])
    res = solve(chain, target, method=method, correction=correction, max_iter=3000)
    assert not res.success
    assert res.reason == "unreachable"
    assert np.all(np.isfinite(res.q))
    tip = chain.tip(res.q)
    assert np.linalg.norm(tip) == pytest.approx(chain.reach, rel=2e-3)
    direction = target / np.linalg.norm(target)
    assert abs(tip[0] * direction[1] - tip[1] * direction[0]) < 2e-2  # on the line to the target
    assert res.residual == pytest.approx(np.linalg.norm(target) - chain.reach, rel=2e-3)


def test_target_at_base_and_singular_start_stay_finite():
    chain = Chain([0.5, 0.5])
    for method, correction in CONFIGS:
        res = solve(chain, [0.0, 0.0], q0=[0.0, 0.0], method=method, correction=correction,
                    max_iter=200)
        assert np.all(np.isfinite(res.q)) and np.isfinite(res.residual)
        res = solve(chain, [2.0, 0.0], q0=[0.0, 0.0], method=method, correction=correction,
                    max_iter=50)  # straight arm, target straight ahead beyond reach: J e = 0
        assert np.all(np.isfinite(res.q))


def test_success_only_under_tol():
    chain = Chain([1.0, 1.0])
    res = solve(chain, [1.0, 1.0], method="gradient", correction="clip", max_iter=3, restarts=0)
    assert not res.success and res.reason == "max_iter" and res.iterations == 3
    assert res.residual >= 1e-6 * chain.reach


@pytest.mark.parametrize("method, correction", CONFIGS)
def test_joint_limits_are_respected(method, correction):
    rng = np.random.default_rng(5)
    limits = np.array([[-0.5, 0.5], [0.0, 1.0], [-1.0, 0.0]])
    chain = Chain([0.4, 0.4, 0.2], limits=limits)
    for _ in range(10):
        target = chain.tip(rng.uniform(limits[:, 0], limits[:, 1]))
        res = solve(chain, target, q0=rng.uniform(-3, 3, 3), method=method,
                    correction=correction, max_iter=2000)
        assert chain.within_limits(res.q)
    # a target reachable only outside the limits is not reached by breaking them
    res = solve(chain, [-0.8, 0.0], method=method, correction=correction, max_iter=500)
    assert chain.within_limits(res.q) and not res.success


def test_bad_names_raise_value_error_with_choices():
    chain = Chain([1.0])
    with pytest.raises(ValueError, match=r"unknown method 'newton'; choose one of " + ", ".join(METHODS)):
        solve(chain, [0.5, 0.5], method="newton")
    with pytest.raises(ValueError, match=r"unknown correction 'cl'; choose one of " + ", ".join(CORRECTIONS)):
        solve(chain, [0.5, 0.5], method="gradient", correction="cl")  # no prefix matching


@pytest.mark.parametrize("kwargs, message", [
    (dict(tol=0.0), "tol must be > 0"),
    (dict(max_iter=-1), "max_iter must be an integer >= 0"),
    (dict(step_size=-1.0), "step_size must be > 0"),
    (dict(damping=float("nan")), "damping must be > 0"),
])
def test_bad_numbers(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Solver(Chain([1.0]), **kwargs)


def test_bad_target_and_start():
    chain = Chain([1.0, 1.0])
    with pytest.raises(ValueError, match="target must be two finite numbers"):
        solve(chain, [np.nan, 0.0])
    with pytest.raises(ValueError, match=r"q0 must have shape \(2,\)"):
        solve(chain, [1.0, 0.0], q0=[0.0])
