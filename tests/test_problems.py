"""The solver loop on an m-vector error: a toy spatial problem (m = 3) through the same loop."""

import numpy as np
import pytest

from armsim.ad import dual as ad
from armsim.kinematics.planar import Chain
from armsim.ik import FunctionProblem, PlanarPoint, Solver, as_problem, solve

L1, L2, H = 0.5, 0.4, 0.3     # two pitch links on a yawing base at height H


def arm3(q):
    """Tool position (B, 3) of a yaw-pitch-pitch arm; q (B, 3), arrays or Duals."""
    yaw, p1, p2 = q[..., 0], q[..., 1], q[..., 2]
    r = L1 * ad.cos(p1) + L2 * ad.cos(p1 + p2)          # horizontal distance from the axis
    z = H + L1 * ad.sin(p1) + L2 * ad.sin(p1 + p2)
    return ad.stack([r * ad.cos(yaw), r * ad.sin(yaw), z], axis=-1)


def problem():
    return FunctionProblem(arm3, n=3, m=3, scale=L1 + L2)


def test_function_problem_jacobian_matches_central_differences():
    rng = np.random.default_rng(0)
    q = rng.uniform(-2, 2, size=(5, 3))
    y, jac = problem().value_and_jacobian(q)
    assert y.shape == (5, 3) and jac.shape == (5, 3, 3)
    h = 1e-6
    for j in range(3):
        dq = np.zeros(3)
        dq[j] = h
        fd = (arm3(q + dq) - arm3(q - dq)) / (2 * h)
        assert np.max(np.abs(jac[..., j] - fd)) < 1e-8


def test_jacobian_hand_computed_at_zero():
    # q = 0: the arm points along +x, r = L1 + L2, z = H
    _, jac = problem().value_and_jacobian(np.zeros((1, 3)))
    expected = np.array([[0.0, 0.0, 0.0],            # dx: yaw, p1, p2
                         [L1 + L2, 0.0, 0.0],        # dy
                         [0.0, L1 + L2, L2]])        # dz
    assert np.allclose(jac[0], expected, atol=1e-15)


@pytest.mark.parametrize("method, correction", [
    ("dls", "backtrack"), ("pinv", "none"), ("gradient", "backtrack"), ("gradient", "none"),
    ("gradient", "norm"), ("gradient", "clip")])
def test_m3_round_trip(method, correction):
    rng = np.random.default_rng(1)
    q_true = rng.uniform([-np.pi, 0.2, 0.3], [np.pi, 1.2, 1.5], size=(20, 3))
    targets = arm3(q_true)
    budget = 60 if method in ("dls", "pinv") else 20000
    solver = Solver(problem(), method=method, correction=correction, max_iter=budget)
    res = solver.solve_batch(targets, q0=np.tile([0.0, 0.5, 0.5], (20, 1)))
    residual = np.linalg.norm(arm3(res.q) - targets, axis=-1)
    ok = res.success
    assert np.allclose(residual, res.residual)
    assert np.all(residual[ok] < solver.tol)          # success only when the FK says so
    assert not np.any(ok & (residual >= solver.tol))
    assert ok.all()


def test_m3_single_solve_and_shape_checks():
    target = arm3(np.array([0.4, 0.7, 0.9]))
    res = solve(problem(), target, q0=[0.0, 0.5, 0.5], restarts=0, max_iter=50)
    assert res.success and res.reason == "converged"
    assert np.linalg.norm(arm3(res.q) - target) < 1e-6 * (L1 + L2)
    with pytest.raises(ValueError, match="target must be three finite numbers within"):
        solve(problem(), [0.1, 0.2])
    with pytest.raises(ValueError, match=r"q0 must have shape \(3,\)"):
        solve(problem(), target, q0=[0.0, 0.0])


def test_m3_restarts_are_seeded_and_deterministic():
    target = arm3(np.array([2.5, 0.3, 1.8]))
    a = solve(problem(), target, restarts=4, seed=7)
    b = solve(problem(), target, restarts=4, seed=7)
    assert np.array_equal(a.q, b.q) and a.iterations == b.iterations and a.success


def test_geometric_methods_need_a_chain():
    with pytest.raises(ValueError, match="method 'ccd' needs a chain, planar or spatial; for "
                                         "this problem "
                                         "choose one of dls, gradient, pinv"):
        Solver(problem(), method="ccd")


def test_limits_are_kept():
    p = FunctionProblem(arm3, n=3, m=3, scale=0.9, limits=[[-0.1, 0.1], [0.0, 0.5], [0.0, 0.5]])
    res = Solver(p, method="dls", max_iter=50).solve(arm3(np.array([1.0, 1.0, 1.0])),
                                                     q0=[0.0, 0.2, 0.2])
    assert not res.success
    assert np.all(res.q >= [-0.1, 0.0, 0.0]) and np.all(res.q <= [0.1, 0.5, 0.5])


def test_planar_chain_is_the_m2_problem():
    chain = Chain([0.5, 0.3, 0.2])
    p = as_problem(chain)
    assert isinstance(p, PlanarPoint) and (p.m, p.n) == (2, 3) and p.scale == chain.reach
    q = np.array([[0.1, 0.2, 0.3]])
    y, jac = p.value_and_jacobian(q)
    assert np.allclose(y[0], chain.tip(q[0])) and np.allclose(jac[0], chain.jacobian(q[0]))


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=0, m=3), "n must be an integer from 1 to 100,000, got 0"),
    # a fraction was cut to its integer; a size past any Jacobian was a MemoryError later
    (dict(n=3.7, m=3), "n must be an integer from 1 to 100,000, got 3.7"),
    (dict(n=3, m=10**12), "m must be an integer from 1 to 100,000, got 1000000000000"),
    (dict(n=3, m=3, curvature=float("nan")), "curvature must be a number > 0 and <= 1e"),
    (dict(n=3, m=3, curvature=-1), "curvature must be a number > 0 and <= 1e"),
    (dict(n=3, m=3, scale=0.0), "scale must be a number > 0 and <= 1e"),
    # True was taken as 1.0 and "1" as 1.0; a list or None raised TypeError
    (dict(n=3, m=3, scale=True), "^scale must be a number > 0 and <= 1e.50, got True$"),
    (dict(n=3, m=3, scale="1"), "^scale must be a number > 0 and <= 1e.50, got '1'$"),
    (dict(n=3, m=3, scale=[1.0]), r"^scale must be a number > 0 and <= 1e.50, got \[1.0\]$"),
    (dict(n=3, m=3, scale=None), "^scale must be a number > 0 and <= 1e.50, got None$"),
    (dict(n=3, m=3, scale=1e300), "^scale must be a number > 0 and <= 1e.50, got 1e.300$"),
    (dict(n=3, m=3, limits=[[1, 0]] * 3), r"limits must have shape \(3, 2\) with low <= high"),
    # an open side raised OverflowError 'Range exceeds valid bounds' in the restarts' draw,
    # and text numpy's 'could not convert string to float', naming nothing
    (dict(n=3, m=3, limits=[[-np.inf, np.inf]] * 3),
     r"^limits must have shape \(3, 2\) with low <= high, each finite and within \+-1e\+06$"),
    (dict(n=3, m=3, limits=[[0, 1e300]] * 3), r"^limits must have shape \(3, 2\) with low <= h"),
    (dict(n=3, m=3, limits=[["a", "b"]] * 3), r"^limits must be an array of numbers, got "),
])
def test_bad_function_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FunctionProblem(arm3, **kwargs)


def test_as_problem_refuses_other_things():
    with pytest.raises(ValueError, match="expected a Chain or a Problem, got int"):
        as_problem(3)
