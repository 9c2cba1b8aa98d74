"""The float path's pieces (armsim.ik.spatial_scalar) against the array code they stand for:
the clamp on a downdated Gram against steps._clamped_one, the generated move and its
limit test, the table features as one product."""

import numpy as np
import pytest

import armsim
from armsim.ik import restart_table, spatial_scalar, steps
from armsim.ik.problems import SpatialTarget
from armsim.kinematics.spatial import Joint, SpatialChain


@pytest.mark.parametrize("kind, weights", [("pose", None), ("position", None),
                                           ("pose", (1, 0, 2, 1, 3, 1))])
def test_the_clamp_on_the_downdated_gram_equals_the_array_clamp(kind, weights):
    chain = armsim.robots.load("panda")
    prob = SpatialTarget(chain, kind, weights)
    C = spatial_scalar._compiled(prob)
    m, n = C.m, chain.n
    lo, hi = chain.limits[:, 0], chain.limits[:, 1]
    rng = np.random.default_rng(12)
    clamped = again = 0
    for _ in range(300):
        jac = rng.normal(size=(m, n))
        e = rng.normal(size=m)
        lam2 = 10.0 ** rng.uniform(-6, 0)
        q = rng.uniform(lo, hi)
        near = rng.random(n) < 0.4           # some joints right at a limit
        q[near] = np.where(rng.random(near.sum()) < 0.5, lo[near], hi[near])
        cols = jac.T.ravel().tolist()
        g = C.gram(cols)
        y = C.solve(g, lam2, e.tolist())
        qt, inside = C.move(q.tolist(), cols, y)
        plain = jac.T @ np.linalg.solve(jac @ jac.T + lam2 * np.eye(m), e)
        # the systems are as ill-conditioned as |G| / lam2: differences from LU grow as
        # 1 / lam2 (3000 draws: at most 7e-15 / lam2, the recomputed Gram 5e-15 / lam2)
        atol = 2e-14 / lam2
        np.testing.assert_allclose(qt, q + plain, rtol=0, atol=atol)
        assert inside == bool(np.all((np.array(qt) >= lo) & (np.array(qt) <= hi)))
        if inside:
            continue
        ref = steps._clamped_one(q, plain, jac, e, lam2, lo, hi, np.eye(m))
        out = spatial_scalar._clamped(C, q.tolist(), qt, cols, g, e.tolist(), lam2)
        np.testing.assert_allclose(out, q + ref, rtol=0, atol=atol)
        clamped += 1
        first = (q + plain < lo) | (q + plain > hi)
        later = ~first & ((np.abs(q + ref - lo) < 1e-15) | (np.abs(q + ref - hi) < 1e-15))
        again += bool(np.any(later))         # a second pass fixed another joint
    assert clamped > 100 and again > 10


def test_fix_takes_one_column_out_of_the_gram_and_its_step_out_of_the_error():
    C = spatial_scalar._compiled(SpatialTarget(armsim.robots.load("iiwa14")))
    rng = np.random.default_rng(5)
    jac = rng.normal(size=(6, 7))
    e, x = rng.normal(size=6), 0.3
    g = C.gram(jac.T.ravel().tolist())
    g2, r = C.fix(g, e.tolist(), jac[:, 4].tolist(), x)
    rest = np.delete(jac, 4, axis=1)
    lower = (rest @ rest.T)[np.tril_indices(6)]          # row after row, as gram's
    np.testing.assert_allclose(g2, lower, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r, e - jac[:, 4] * x, rtol=0, atol=1e-15)


def test_move_tests_only_the_finite_limits():
    chain = SpatialChain([
        Joint("a", "revolute", (0.0, 0.0, 0.3), (0.0, 0.0, 0.0), (0.0, 0.0, 1.0), -1.0, 1.0),
        Joint("b", "continuous", (0.2, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0)),
        Joint("c", "prismatic", (0.1, 0.0, 0.0), (0.0, 0.0, 0.0), (1.0, 0.0, 0.0), -0.2, 0.3),
    ])
    prob = SpatialTarget(chain, "position")
    C = spatial_scalar._compiled(prob)
    lo, hi = prob.limits[:, 0], prob.limits[:, 1]
    zero = [0.0] * (3 * C.m)
    for q in ([0.5, 40.0, 0.1], [1.5, 0.0, 0.0], [0.0, -40.0, 0.31], [-1.0, 3.0, -0.2]):
        qt, inside = C.move(q, zero, [0.0] * C.m)
        assert qt == q
        assert inside == bool(np.all((np.array(q) >= lo) & (np.array(q) <= hi)))


@pytest.mark.parametrize("kind, weights", [("pose", None), ("position", (2, 1, 0)),
                                           ("pose", (1, 0, 2, 1, 3, 0.5))])
def test_table_features_are_the_problems_features_bit_for_bit(kind, weights):
    chain = armsim.robots.load("ur5")
    prob = SpatialTarget(chain, kind, weights)
    C = spatial_scalar._compiled(prob)
    qs, scale, minus2, sq = spatial_scalar._table(prob, C, 0)
    ref_qs, ref_minus2, ref_sq = restart_table.table(prob, 0)
    feats = restart_table.features(prob, prob.value(np.array(ref_qs)))
    assert qs is ref_qs and sq is ref_sq and minus2 is ref_minus2
    assert np.array_equal(minus2, -2.0 * feats.T)
    T = chain.matrix(np.random.default_rng(1).uniform(chain.limits[:, 0], chain.limits[:, 1],
                                                     (20, chain.n)))
    rows = T[:, :3, 3] if kind == "position" else np.concatenate(
        [T[:, :3, 3], T[:, :3, :3].reshape(-1, 9)], axis=-1)
    assert np.array_equal(rows * scale, restart_table.features(prob, rows))
    # the k-th start of a solve is the problem's own restart start
    start = prob.restart_starts(restart_table.NEAREST + 2, 0)
    for row in rows[:3]:
        one = spatial_scalar._Starts(prob, C, restart_table.NEAREST + 2, 0, row)
        for k in range(restart_table.NEAREST + 2):
            assert one(k) == start(k, row[None])[0].tolist()
