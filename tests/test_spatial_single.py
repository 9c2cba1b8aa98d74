"""One spatial solve: ``Solver.solve`` runs on Python floats (armsim.ik.spatial_scalar); it
must give the array path's answer (the same success, iterations and reason; q and the
residuals to 1e-9), and the unbatched array pieces must equal the batch's."""

import math

import numpy as np
import pytest

import armsim
from armsim.ik import loop, rotvec, spatial_scalar
from armsim.ik.loop import Solver
from armsim.ik.problems import SpatialTarget, for_target
from armsim.kinematics.spatial import Joint, SpatialChain, rotation_vector, rotation_vector_one

TOL = 1e-9
SETTINGS = dict(method="dls", max_iter=SpatialTarget.default_max_iter,
                first_iter=SpatialTarget.default_first_iter,
                restarts=SpatialTarget.default_restarts, first_start="nearer", tol=1e-5)


def _odd_chain():
    """A prismatic joint, a continuous joint, tilted axes and origins, a tool offset."""
    s = 1.0 / math.sqrt(2.0)
    return SpatialChain([
        Joint("a", "revolute", (0.0, 0.0, 0.3), (0.0, 0.0, 0.4), (0.0, 0.0, 1.0), -2.5, 2.5),
        Joint("b", "prismatic", (0.1, 0.0, 0.0), (0.3, -0.2, 0.0), (1.0, 0.0, 0.0), -0.2, 0.3),
        Joint("c", "revolute", (0.0, 0.25, 0.0), (math.pi / 2, 0.0, 0.0), (0.0, 1.0, 0.0),
              -2.0, 2.0),
        Joint("d", "continuous", (0.2, 0.0, 0.05), (0.0, 0.1, 0.0), (s, s, 0.0)),
        Joint("e", "revolute", (0.0, 0.0, 0.15), (0.0, -math.pi / 2, 0.2), (0.0, 0.6, 0.8),
              -2.8, 2.8),
        Joint("f", "revolute", (0.1, 0.0, 0.0), (0.0, 0.0, 0.0), (-1.0, 0.0, 0.0), -3.0, 3.0),
    ], tool_xyz=(0.0, 0.02, 0.1), tool_rpy=(0.1, 0.0, -0.3))


def _chain(name):
    return _odd_chain() if name == "odd" else armsim.robots.load(name)


def _poses(chain, count, seed=2026):
    draw = np.where(chain.continuous[:, None], [-np.pi, np.pi], chain.limits)
    q = np.random.default_rng(seed).uniform(draw[:, 0], draw[:, 1], (count, chain.n))
    return chain.matrix(q)


def _rows(T, kind):
    if kind == "position":
        return T[:, :3, 3]
    return np.concatenate([T[:, :3, 3], T[:, :3, :3].reshape(-1, 9)], axis=-1)


def _both(solver, row, q0, monkeypatch):
    """(the float path's result, the array path's result) of one solve."""
    calls = []
    real = spatial_scalar.run_one

    def counted(*args):
        calls.append(1)
        return real(*args)
    monkeypatch.setattr(spatial_scalar, "run_one", counted)
    one = solver.solve(row, q0)
    assert calls, "the float path did not run"
    monkeypatch.setattr(spatial_scalar, "run_one", lambda *args: None)
    ref = solver.solve(row, q0)
    monkeypatch.setattr(spatial_scalar, "run_one", real)
    return one, ref


def _assert_same(one, ref):
    assert one.success == ref.success and one.iterations == ref.iterations
    assert one.reason == ref.reason
    np.testing.assert_allclose(one.q, ref.q, rtol=0, atol=TOL)
    for name in ("residual", "position_residual", "orientation_residual"):
        assert abs(getattr(one, name) - getattr(ref, name)) <= TOL, name


@pytest.mark.parametrize("name", ["panda", "ur5", "iiwa14", "snake20", "odd"])
@pytest.mark.parametrize("kind, weights", [("pose", None), ("position", None),
                                           ("pose", (1, 1, 1, 2, 2, 0)),
                                           ("position", (2, 0, 1))])
def test_float_path_equals_array_path(name, kind, weights, monkeypatch):
    chain = _chain(name)
    T = _poses(chain, 40 if weights is None else 12)
    solver = Solver(SpatialTarget(chain, kind, weights), **SETTINGS)
    seed = solver.problem.default_start()
    rows = _rows(T, kind)
    solved = 0
    for i in range(len(T)):
        one, ref = _both(solver, rows[i], seed, monkeypatch)
        _assert_same(one, ref)
        solved += one.success
        assert chain.within_limits(one.q)
    assert solved >= len(T) - 1


@pytest.mark.parametrize("name", ["panda", "ur5", "iiwa14", "snake20", "odd"])
def test_round_trip_by_forward_kinematics(name):
    """armsim.solve on a pose: the forward kinematics of q meets the target, and the
    reported residuals are the ones of q."""
    chain = _chain(name)
    T = _poses(chain, 30, seed=5)
    mid = SpatialTarget(chain).default_start()
    for i in range(len(T)):
        out = armsim.solve(chain, T[i], q0=mid, tol=1e-5)
        M = chain.matrix(out.q)
        pos = np.linalg.norm(M[:3, 3] - T[i, :3, 3])
        ori = np.linalg.norm(rotation_vector(T[i, :3, :3] @ M[:3, :3].T))
        assert abs(out.position_residual - pos) < 1e-12
        assert abs(out.orientation_residual - ori) < 1e-12
        assert out.success == (max(pos, ori) < 1e-5)
        assert out.success and out.reason == "converged"
        assert type(out.success) is bool and type(out.iterations) is int
        pos_only = armsim.solve(chain, T[i, :3, 3], q0=mid, tol=1e-5)
        assert pos_only.success
        assert np.linalg.norm(chain.matrix(pos_only.q)[:3, 3] - T[i, :3, 3]) < 1e-5


@pytest.mark.parametrize("name", ["panda", "iiwa14"])
@pytest.mark.parametrize("kind", ["pose", "position", "weighted"])
def test_solve_equals_solve_batch_row(name, kind):
    chain = armsim.robots.load(name)
    T = _poses(chain, 12, seed=8)
    seed = chain.limits.mean(axis=1)
    prob = SpatialTarget(chain, "position" if kind == "position" else "pose",
                         weights=[1, 1, 1, 2, 2, 0] if kind == "weighted" else None)
    s = Solver(prob, max_iter=20, first_iter=20, restarts=150, tol=1e-5, first_start="nearer")
    rows = _rows(T, "position" if kind == "position" else "pose")
    batch = s.solve_batch(rows, np.broadcast_to(seed, (len(T), chain.n)))
    for i in range(len(T)):
        one = s.solve(rows[i], seed)
        np.testing.assert_allclose(one.q, batch.q[i], rtol=0, atol=TOL)
        assert one.iterations == batch.iterations[i] and one.success == batch.success[i]
        assert abs(one.residual - batch.residual[i]) <= TOL
    assert batch.success.all()


def test_settings_and_restart_tails_match(monkeypatch):
    """No restarts, first_start="q0", a short budget (max_iter reasons), a continuation
    budget and the later (uniform) restarts: the float path follows the array path."""
    chain = armsim.robots.load("panda")
    T = _poses(chain, 10, seed=11)
    rows = _rows(T, "pose")
    mid = chain.limits.mean(axis=1)
    reasons = set()
    for kw in (dict(max_iter=3, restarts=0), dict(max_iter=4, first_iter=2, restarts=40,
                                                  first_start="q0"),
               dict(max_iter=12, first_iter=4, restarts=30, first_start="nearer",
                    q0_radius=10.0),
               dict(max_iter=2, first_iter=2, restarts=25, first_start="nearer")):
        s = Solver(SpatialTarget(chain), tol=1e-5, **kw)
        for i in range(len(T)):
            one, ref = _both(s, rows[i], mid + 0.3, monkeypatch)
            _assert_same(one, ref)
            reasons.add(one.reason)
    assert {"converged", "max_iter"} <= reasons


def test_cholesky_failure_hands_over_to_the_arrays(monkeypatch):
    chain = armsim.robots.load("ur5")
    prob = SpatialTarget(chain)
    s = Solver(prob, **SETTINGS)
    row = _rows(_poses(chain, 1), "pose")[0]
    ref = s.solve(row, prob.default_start())
    monkeypatch.setattr(spatial_scalar._compiled(prob), "solve", lambda g, lam2, r: None)
    assert spatial_scalar.run_one(s, row, prob.default_start()) is None
    out = s.solve(row, prob.default_start())
    np.testing.assert_allclose(out.q, ref.q, rtol=0, atol=TOL)
    assert out.iterations == ref.iterations and out.success


@pytest.mark.parametrize("name", ["panda", "ur5", "snake20", "odd"])
@pytest.mark.parametrize("kind, weights", [("pose", None), ("position", None),
                                           ("pose", (1, 0, 2, 1, 3, 1))])
def test_generated_pass_equals_the_chain(name, kind, weights):
    """The generated forward pass and Jacobian equal pose_and_jacobian (weighted, masked
    rows dropped) and the error equals the problem's error, to 1e-12."""
    chain = _chain(name)
    prob = SpatialTarget(chain, kind, weights)
    comp = spatial_scalar._compiled(prob)
    draw = np.where(chain.continuous[:, None], [-np.pi, np.pi], chain.limits)
    q = np.random.default_rng(3).uniform(draw[:, 0], draw[:, 1], (50, chain.n))
    aim = prob.value(np.random.default_rng(4).uniform(draw[:, 0], draw[:, 1], (50, chain.n)))
    y, jac = prob.value_and_jacobian(q)
    err = prob.error(aim, y)
    rows = [j for j in range(prob.m) if prob.weights[j] > 0]
    for i in range(len(q)):
        f, e, cols, d = comp.make(*aim[i].tolist())(q[i].tolist())
        np.testing.assert_allclose(np.reshape(cols, (chain.n, len(rows))).T, jac[i][rows],
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(e, err[i][rows], rtol=0, atol=1e-12)
        assert abs(f - 0.5 * err[i] @ err[i]) < 1e-12
        np.testing.assert_allclose(np.array(d) * prob.weights, err[i], rtol=0, atol=1e-12)


def test_wide_rotation_vector_on_floats():
    rng = np.random.default_rng(9)
    axes = rng.normal(size=(300, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    angles = np.concatenate([rng.uniform(np.pi / 2, np.pi, 290), np.pi - 10.0 ** -np.arange(2, 12)])
    from armsim.kinematics.spatial import axis_angles_matrices
    M = axis_angles_matrices(axes, angles)
    ref = rotation_vector(M)
    for i in range(len(M)):
        assert np.trace(M[i]) < 1.0 + 1e-12
        np.testing.assert_allclose(rotvec.wide(*M[i].ravel().tolist()), ref[i],
                                   rtol=0, atol=1e-12)


def test_for_target_keeps_one_problem_per_chain_and_kind():
    chain = armsim.robots.load("iiwa14")
    T = _poses(chain, 2)
    a, row = for_target(chain, T[0])
    b, _ = for_target(chain, T[1])
    c, _ = for_target(chain, T[0, :3, 3])
    assert a is b and a.kind == "pose" and c.kind == "position" and c is not a
    assert row.shape == (12,)
    assert not a.limits.flags.writeable and not a.weights.flags.writeable   # shared


_ORTHO = r"must be orthonormal \(R R\^T = I within 1e-6\), got a deviation of "


@pytest.mark.parametrize("entry, said", [(2.0, _ORTHO + "3"), (np.nan, "must be finite "
                                         r"numbers, got nan at \[1, 1\]"),
                                         (1e200, _ORTHO + "inf"), (1.0 + 2e-6, _ORTHO + "4e-06")])
@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_rotation_check_one_pose_equals_batch(entry, said):
    """One pose's orthonormality check (on floats) says what the batch check says (a
    batch's names the row)."""
    chain = armsim.robots.load("iiwa14")
    T = np.eye(4)
    T[1, 1] = entry
    for batch in (False, True):
        row = r" \(row 1\)" if batch else ""
        with pytest.raises(ValueError, match=rf"^target rotation{row} {said}$"):
            for_target(chain, np.stack([np.eye(4), T]) if batch else T, batch=batch)
    T[1, 1] = 1.0 + 4e-7                           # 8e-7, within 1e-6: accepted by both
    assert for_target(chain, T)[0].kind == for_target(chain, T[None], batch=True)[0].kind


@pytest.mark.parametrize("name", ["panda", "ur5", "snake20"])
def test_one_row_pass_equals_batch(name):
    chain = armsim.robots.load(name)
    q = np.random.default_rng(3).uniform(chain.limits[:, 0], chain.limits[:, 1], (200, chain.n))
    R, p, J = chain.pose_and_jacobian(q)
    near = np.random.default_rng(4).normal(0.0, 0.3, q.shape)
    Rt = np.concatenate([chain.pose(chain.clip(q[:150] + near[:150]))[0], R[::-1][150:]])
    M = Rt @ np.swapaxes(R, -1, -2)
    rv = rotation_vector(M)
    scalar = 0
    for i in range(len(q)):
        T, j1 = chain._pose_and_jacobian_one(q[i])
        np.testing.assert_allclose(T[:3, :3], R[i], rtol=0, atol=1e-13)
        np.testing.assert_allclose(T[:3, 3], p[i], rtol=0, atol=1e-13)
        np.testing.assert_allclose(j1, J[i], rtol=0, atol=1e-13)
        one = rotation_vector_one(M[i].ravel().tolist())
        if one is None:                       # angle past pi/2: the caller uses the batch one
            assert np.trace(M[i]) < 1.0
        else:
            scalar += 1
            np.testing.assert_allclose(one, rv[i], rtol=0, atol=1e-13)
    assert scalar >= 100


@pytest.mark.parametrize("kind", ["pose", "position"])
def test_one_row_value_and_error_equal_batch_rows(kind):
    chain = armsim.robots.load("iiwa14")
    prob = SpatialTarget(chain, kind)
    q = np.random.default_rng(6).uniform(chain.limits[:, 0], chain.limits[:, 1], (64, chain.n))
    y = prob.value(q)
    aim = prob.value(chain.clip(q + np.random.default_rng(7).normal(0.0, 0.2, q.shape)))
    e = prob.error(aim, y)
    for i in range(len(q)):
        yi = prob.value(q[i:i + 1])
        assert yi.shape == (1, prob.m if kind == "position" else 12)
        np.testing.assert_allclose(yi, y[i:i + 1], rtol=0, atol=1e-13)
        np.testing.assert_allclose(prob.error(aim[i:i + 1], yi), e[i:i + 1], rtol=0, atol=1e-13)


def test_a_batch_s_one_row_attempts_run_on_floats_and_equal_the_single_solve(monkeypatch):
    """solve_batch with one row, and a batch's restarts of its last unfinished row, run
    each attempt on floats (spatial_scalar.attempt_row); the answers equal solve's to
    1e-9, and when a Cholesky pivot fails there, the arrays' one-row attempt runs."""
    chain = armsim.robots.load("panda")
    T = _poses(chain, 89, seed=12)[[0, 1, 2, 3, 4, 5, 88]]    # #88: restarts (55 iterations)
    mid = chain.limits.mean(axis=1)
    calls = {"floats": 0, "arrays": 0}
    real_row, real_one = spatial_scalar.attempt_row, Solver._attempt_one

    def on_floats(*args, **kwargs):
        calls["floats"] += 1
        return real_row(*args, **kwargs)

    def on_arrays(*args, **kwargs):
        calls["arrays"] += 1
        return real_one(*args, **kwargs)
    monkeypatch.setattr(spatial_scalar, "attempt_row", on_floats)
    monkeypatch.setattr(Solver, "_attempt_one", on_arrays)
    singles = [armsim.solve(chain, M, q0=mid, tol=1e-5) for M in T]
    for i in range(6):
        b = armsim.solve_batch(chain, T[i:i + 1], q0=mid[None], tol=1e-5)
        np.testing.assert_allclose(singles[i].q, b.q[0], rtol=0, atol=TOL)
        assert singles[i].iterations == b.iterations[0] and b.success[0]
    assert calls["floats"] >= 6 and calls["arrays"] == 0
    calls["floats"] = 0
    b = armsim.solve_batch(chain, T, q0=np.tile(mid, (len(T), 1)), tol=1e-5)
    assert calls["floats"] > 0 and calls["arrays"] == 0    # a last row's restarts, on floats
    for one, q, it in zip(singles, b.q, b.iterations):
        np.testing.assert_allclose(one.q, q, rtol=0, atol=TOL)
        assert one.iterations == it
    assert b.success.all()
    # a pivot that fails on floats: the arrays' attempt (LU), the same answer to rounding
    prob = SpatialTarget(chain)
    monkeypatch.setattr(spatial_scalar._compiled(prob), "solve", lambda g, lam2, r: None)
    b = armsim.solve_batch(chain, T[:1], q0=mid[None], tol=1e-5)
    assert calls["arrays"] > 0
    np.testing.assert_allclose(singles[0].q, b.q[0], rtol=0, atol=TOL)
    assert singles[0].iterations == b.iterations[0]


def test_a_pose_problem_s_own_rows_are_checked_as_its_poses():
    # rows (p, R row by row) given to a SpatialTarget the caller made skipped the rotation
    # check a 4x4 has: R scaled by 2 ran 540 iterations and ended "stalled"
    chain = armsim.robots.load("panda")
    T = chain.matrix(chain.clip(np.array([0.1, -0.3, 0.2, -2.0, 0.1, 1.8, 0.5])))
    prob = SpatialTarget(chain, "pose")
    row = np.r_[T[:3, 3], T[:3, :3].ravel()]
    assert armsim.solve(prob, row).success
    for bad, dev in ((np.r_[row[:3], 2.0 * row[3:]], "3"), (np.r_[row[:3], np.zeros(9)], "1")):
        with pytest.raises(ValueError, match=r"^target rotation must be orthonormal \(R R\^T = I "
                                             rf"within 1e-6\), got a deviation of {dev}$"):
            armsim.solve(prob, bad)
        with pytest.raises(ValueError, match=r"^target rotation \(row 1\) must be orthonormal"):
            armsim.solve_batch(prob, np.stack([row, bad]))
