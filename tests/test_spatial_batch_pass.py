"""The batch pass of a spatial solve: the batch-last kinematics (armsim.kinematics.batch),
the elementwise damped solve (steps._damped) and the lazy nearest-table search -- each held
to the per-row code it replaces, and solve_batch round trips through all of them."""

import numpy as np
import pytest

import armsim
from armsim.ik import restart_table, steps
from armsim.ik.problems import SpatialTarget
from armsim.kinematics import batch
from armsim.kinematics.spatial import Joint, SpatialChain, rotation_vector


def _mixed_chain():
    """Revolute, prismatic and continuous joints about coordinate and oblique axes."""
    js = [Joint("a", "revolute", (0.1, 0.2, 0.3), (0.3, -0.2, 0.5), (0.3, 0.4, 0.5)),
          Joint("b", "prismatic", (0.0, 0.1, 0.4), (0.1, 0.2, 0.3), (1, 0, 0), -0.5, 0.5),
          Joint("c", "continuous", (0.2, 0.0, 0.1), (0, 0, 0), (0, -1, 0)),
          Joint("d", "revolute", (0.2, 0.0, 0.1), (0, 1.0, 0), (-1, 0, 0)),
          Joint("e", "prismatic", (0.1, 0.3, 0.0), (0.4, 0, 0), (0, 0, -1), 0.0, 0.3),
          Joint("f", "revolute", (0.2, 0.3, 0.1), (0, 1.0, 0), (0, 0, -1))]
    return SpatialChain(js, tool_xyz=(0.1, 0.0, 0.2), tool_rpy=(0.2, 0.1, -0.3))


CHAINS = list(armsim.robots.NAMES) + ["mixed"]


def _chain(name):
    return _mixed_chain() if name == "mixed" else armsim.robots.load(name)


def _q(chain, count, seed):
    lo = np.where(np.isfinite(chain.limits[:, 0]), chain.limits[:, 0], -np.pi)
    hi = np.where(np.isfinite(chain.limits[:, 1]), chain.limits[:, 1], np.pi)
    return np.random.default_rng(seed).uniform(lo, hi, (count, chain.n))


@pytest.mark.parametrize("name", CHAINS)
def test_batch_last_pass_equals_the_float_dual_and_geometric_passes(name):
    chain = _chain(name)
    q = _q(chain, 300, 1)
    T, J = batch.last_pass(chain, q)
    assert T.shape == (3, 4, 300) and J.shape == (6, chain.n, 300)
    _, tool = chain._float_frames(q)                       # the stacked 4 x 4 pass
    assert np.abs(np.moveaxis(T, -1, 0) - tool[:, :3]).max() < 1e-12
    Rd, pd, Jd = chain.pose_and_jacobian(q, structured=False)     # the Dual pass
    Jb = np.moveaxis(J, -1, 0)
    assert np.abs(Jb - Jd).max() < 1e-12
    assert np.abs(Jb - chain.geometric_jacobian(q)).max() < 1e-12
    assert np.abs(np.moveaxis(T[:, :3], -1, 0) - Rd).max() < 1e-12
    assert np.abs(T[:, 3].T - pd).max() < 1e-12
    # the public call takes it from LAST_ROWS rows on: same shapes, C-contiguous
    R, p, Jp = chain.pose_and_jacobian(q)
    assert R.shape == (300, 3, 3) and p.shape == (300, 3) and Jp.shape == (300, 6, chain.n)
    assert Jp.flags.c_contiguous and np.array_equal(Jp, Jb)
    assert np.array_equal(R, np.moveaxis(T[:, :3], -1, 0)) and np.array_equal(p, T[:, 3].T)
    assert np.abs(chain.jacobian(q[:5]) - Jd[:5]).max() < 1e-12     # below: the old pass


@pytest.mark.parametrize("axis", [(0, 0, 1), (0, 0, -1), (1, 0, 0), (-1, 0, 0), (0, 1, 0),
                                  (0, -1, 0), (0.3, 0.4, 0.5), (-0.6, 0.0, 0.8)])
def test_z_to_is_a_rotation_taking_z_to_the_axis(axis):
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    A = batch.z_to(a)
    assert np.abs(A @ [0, 0, 1] - a).max() < 1e-15
    assert np.abs(A.T @ A - np.eye(3)).max() < 1e-15 and abs(np.linalg.det(A) - 1) < 1e-15
    if np.count_nonzero(a) == 1:                       # a coordinate axis: a signed permutation
        assert set(np.abs(A).ravel()) == {0.0, 1.0}


@pytest.mark.parametrize("kind, weights", [("pose", None), ("position", None),
                                           ("pose", [1, 1, 1, 2, 2, 0]), ("position", [1, 2, 0])])
def test_target_value_and_jacobian_of_a_batch_equal_the_chain_functions(kind, weights):
    chain = armsim.robots.load("panda")
    prob = SpatialTarget(chain, kind, weights=weights)
    q = _q(chain, 100, 2)
    y, jac = prob.value_and_jacobian(q)
    R, p = chain.pose(q)                                    # the stacked 4 x 4 pass
    Jd = chain.pose_and_jacobian(q, structured=False)[2]
    want = p if kind == "position" else np.concatenate([p, R.reshape(-1, 9)], axis=-1)
    assert y.shape == want.shape and y.flags.c_contiguous and jac.flags.c_contiguous
    assert np.abs(y - want).max() < 1e-12
    assert np.array_equal(prob.value(q), y)
    assert np.abs(jac - Jd[:, :prob.m] * prob.weights[:, None]).max() < 1e-12


@pytest.mark.parametrize("rows", [10, steps.CHOLESKY_ROWS, 700])
def test_damped_solve_equals_lapack(rows):
    rng = np.random.default_rng(3)
    jac = rng.normal(size=(rows, 6, 7))
    jac[::7, :, 3] = 0.0                                    # columns taken out (clamped joints)
    e = rng.normal(size=(rows, 6))
    lam2 = 10.0 ** rng.uniform(-3, 0, rows)      # (condition numbers up to ~1e4)
    g = jac @ np.swapaxes(jac, -1, -2) + lam2[:, None, None] * np.eye(6)
    want = np.einsum("bin,bi->bn", jac, np.linalg.solve(g, e[..., None])[..., 0])
    got = steps._damped(jac, e, lam2)
    assert got.shape == (rows, 7)
    assert np.abs(got - want).max() < 1e-12 * max(1.0, np.abs(want).max())
    # a strided Jacobian (the batch-last view) gives the same
    view = np.moveaxis(np.ascontiguousarray(np.moveaxis(jac, 0, -1)), -1, 0)
    assert np.array_equal(steps._damped(view, e, lam2), got)


def test_restart_zero_is_the_nearest_table_entry_whatever_is_asked_first():
    chain = armsim.robots.load("iiwa14")
    prob = SpatialTarget(chain)
    aim = prob.value(_q(chain, 40, 4))
    qs, _, sq = restart_table.table(prob, 0)
    feats = restart_table.features(prob, prob.value(np.array(qs)))
    d = ((restart_table.features(prob, aim)[:, None, :] - feats[None]) ** 2).sum(-1)
    order = np.argsort(d, axis=1)
    start = prob.restart_starts(20, 0)
    assert np.array_equal(start(0, aim), qs[order[:, 0]])          # argmin alone
    assert np.array_equal(start(3, aim[:10]), qs[order[:10, 3]])   # the full 16 for these
    assert np.array_equal(start(0, aim), qs[order[:, 0]])          # mixed: from either
    other = prob.restart_starts(20, 0)
    assert np.array_equal(other(5, aim), qs[order[:, 5]])
    assert np.array_equal(other(0, aim), qs[order[:, 0]])


def test_restart_k_is_the_kth_nearest_entry_whichever_restarts_came_before():
    # a row's first restarts take its first FIRST_NEAR entries, a row that comes back for
    # more the whole NEAREST: the k-th entry is the same whichever way it was found
    chain = armsim.robots.load("panda")
    prob = SpatialTarget(chain)
    aim = prob.value(_q(chain, 30, 9))
    qs, _, _ = restart_table.table(prob, 0)
    feats = restart_table.features(prob, prob.value(np.array(qs)))
    d = ((restart_table.features(prob, aim)[:, None, :] - feats[None]) ** 2).sum(-1)
    order = np.argsort(d, axis=1)
    first = restart_table.FIRST_NEAR
    assert 1 < first < restart_table.NEAREST
    start = prob.restart_starts(restart_table.NEAREST, 0)
    assert np.array_equal(start(1, aim), qs[order[:, 1]])               # the first few
    assert np.array_equal(start(first, aim[:7]), qs[order[:7, first]])   # all, for 7 rows
    for k in (first - 1, 2, first + 3, restart_table.NEAREST - 1):       # the two mixed
        assert np.array_equal(start(k, aim), qs[order[:, k]])


@pytest.mark.parametrize("name", armsim.robots.NAMES)
def test_solve_batch_round_trip_through_the_batch_pass(name):
    # 600 poses: chunks of hundreds of rows (the batch-last pass and the elementwise solve)
    chain = armsim.robots.load(name)
    count = 600 if chain.n <= 7 else 200
    T = chain.matrix(_q(chain, count, 2026))
    seed = chain.limits.mean(axis=1)
    r = armsim.solve_batch(chain, T, q0=np.broadcast_to(seed, (count, chain.n)), tol=1e-5)
    M = chain.matrix(r.q)
    pos = np.linalg.norm(M[:, :3, 3] - T[:, :3, 3], axis=-1)
    ori = np.linalg.norm(rotation_vector(T[:, :3, :3] @ np.swapaxes(M[:, :3, :3], -1, -2)), axis=-1)
    assert np.array_equal(r.success, (pos < 1e-5) & (ori < 1e-5))    # never a false success
    assert r.success.mean() >= 0.995
    assert np.all(r.q >= chain.limits[:, 0]) and np.all(r.q <= chain.limits[:, 1])
    again = armsim.solve_batch(chain, T, q0=np.broadcast_to(seed, (count, chain.n)), tol=1e-5)
    assert np.array_equal(again.q, r.q) and np.array_equal(again.iterations, r.iterations)


def _rotations(rng, count):
    """Uniform random rotations (count, 3, 3) from unit quaternions."""
    w, x, y, z = (rng.normal(size=(count, 4)) / 1.0).T
    s = np.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / s, x / s, y / s, z / s
    return np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
                     2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                     2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
                    axis=-1).reshape(count, 3, 3)


def test_batch_last_rotation_error_equals_rotation_vector_at_every_angle():
    rng = np.random.default_rng(5)
    A, R = _rotations(rng, 3000), _rotations(rng, 3000)
    R[:50] = A[:50]                                            # no error
    half = np.diag([1.0, -1.0, -1.0])                          # half turns about x, y, z, oblique
    R[50:60] = (np.diag([-1.0, -1.0, 1.0]) @ A[50:60].transpose(0, 2, 1)).transpose(0, 2, 1)
    R[60:70] = np.swapaxes(half @ np.swapaxes(A[60:70], -1, -2), -1, -2)
    axis = np.array([0.48, -0.6, 0.64])
    K = np.cross(np.eye(3), axis)
    for i, angle in enumerate([np.pi, np.pi - 1e-9, np.pi - 1e-4, np.pi / 2, np.pi / 2 + 1e-12,
                               1e-8, 1e-300, 2.0, 3.0, 0.5]):
        turn = np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * K @ K
        R[70 + i] = (turn.T @ A[70 + i])                   # A R^T = turn (A A^T) ... = turn
    want = rotation_vector(A @ np.swapaxes(R, -1, -2))
    got = batch.rotation_error(np.ascontiguousarray(A.reshape(-1, 9).T),
                               np.ascontiguousarray(R.reshape(-1, 9).T))
    assert got.shape == (3, 3000)
    assert np.abs(got.T - want).max() < 1e-15 * 4
    assert np.array_equal(got[:, :50], np.zeros((3, 50)))
    assert np.abs(np.linalg.norm(got[:, 70]) - np.pi) < 1e-15 * 4
    wide = np.linalg.norm(want, axis=-1) > np.pi / 2
    assert 0.7 < wide.mean() < 0.9                 # most random pairs take the symmetric part


@pytest.mark.parametrize("kind, weights", [("pose", None), ("position", [1, 2, 0]),
                                           ("pose", [1, 1, 1, 2, 2, 0])])
def test_target_jacobian_from_cholesky_rows_on_is_the_batch_last_view(kind, weights):
    chain = armsim.robots.load("ur5")
    prob = SpatialTarget(chain, kind, weights=weights)
    q = _q(chain, steps.CHOLESKY_ROWS + 5, 6)
    y, jac = prob.value_and_jacobian(q)
    Jd = chain.pose_and_jacobian(q, structured=False)[2][:, :prob.m] * prob.weights[:, None]
    assert jac.shape == (len(q), prob.m, chain.n) and np.moveaxis(jac, 0, -1).flags.c_contiguous
    assert np.abs(jac - Jd).max() < 1e-12
    small = prob.value_and_jacobian(q[:steps.CHOLESKY_ROWS - 1])[1]
    assert small.flags.c_contiguous and np.array_equal(small, jac[:steps.CHOLESKY_ROWS - 1])


@pytest.mark.parametrize("name", ["ur5", "snake20"])
def test_restart_zero_screened_in_float32_is_the_float64_argmin_even_at_ties(name):
    chain = armsim.robots.load(name)
    prob = SpatialTarget(chain)
    qs, _, sq = restart_table.table(prob, 0)
    feats = restart_table.features(prob, prob.value(np.array(qs)))
    table_rows = prob.value(qs)
    # a row's nearest other entry, and the midpoint of the two (an exact tie, to rounding)
    d = sq[:300, None] - 2.0 * feats[:300] @ feats.T + sq[None]
    d[np.arange(300), np.arange(300)] = np.inf
    mid = 0.5 * (table_rows[:300] + table_rows[d.argmin(axis=1)])
    aim = np.concatenate([prob.value(_q(chain, 700, 7)), table_rows[300:400], mid])
    # restart 0 as it was: float64 distances sq - 2 f.F, their argmin
    dist = restart_table.features(prob, aim) @ np.ascontiguousarray(-2.0 * feats.T) + sq
    want = dist.argmin(axis=1)
    got = prob.restart_starts(20, 0)(0, aim)
    assert np.array_equal(got[:800], qs[want[:800]])          # random aims, table poses
    assert np.array_equal(got[700:800], qs[300:400])           # a table pose: itself
    # at the exact ties the two summation orders may part by a rounding error (they do under
    # OPENBLAS_CORETYPE=Prescott): the entry taken is one of the nearest, to rounding
    index = {row.tobytes(): i for i, row in enumerate(qs)}
    taken = np.array([index[row.tobytes()] for row in got[800:]])
    best = dist[800:].min(axis=1)
    gap = dist[800:][np.arange(len(taken)), taken] - best
    assert (gap <= 1e-9 * np.maximum(1.0, np.abs(best))).all(), gap.max()


@pytest.mark.parametrize("rows", [40, steps.CHOLESKY_ROWS + 200])
def test_clamped_batch_equals_the_one_row_step_on_every_row(rows):
    # many joints driven out, some in a second or third pass, batch-last Jacobian or not
    rng = np.random.default_rng(8)
    n = 7
    limits = np.stack([np.full(n, -0.5), np.full(n, 0.5)], axis=1)
    q = rng.uniform(-0.5, 0.5, (rows, n))
    jac = np.moveaxis(np.ascontiguousarray(np.moveaxis(rng.normal(size=(rows, 6, n)), 0, -1)),
                      -1, 0)
    e = rng.normal(size=(rows, 6)) * np.where(np.arange(rows) % 3, 1.0, 0.01)[:, None]
    lam2 = 10.0 ** rng.uniform(-3, -1, rows)
    dq = steps._damped(jac, e, lam2)
    got = steps._clamped(q, dq.copy(), jac, e, lam2, limits)
    eye = np.eye(6)
    want = np.array([steps._clamped_one(q[i], dq[i].copy(), np.ascontiguousarray(jac[i]), e[i],
                                        lam2[i], limits[:, 0], limits[:, 1], eye)
                     for i in range(rows)])
    assert np.abs(got - want).max() < 1e-11 * max(1.0, np.abs(want).max())
    moved = np.any((q + dq < -0.5) | (q + dq > 0.5), axis=1)
    assert 0.5 < moved.mean() < 1.0 and np.array_equal(got[~moved], dq[~moved])
