"""One spatial solve runs on unbatched arrays (Solver._attempt_spatial); it must give the
batch path's answer (the batch's own batch-last pass from 32 rows on rounds differently: the
passes agree to 1e-15, the solves bit for bit or to 1e-12)."""

import numpy as np
import pytest

import armsim
from armsim.kinematics.spatial import rotation_vector, rotation_vector_one


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
        np.testing.assert_allclose(T[:3, :3], R[i], rtol=0, atol=1e-15)
        np.testing.assert_allclose(T[:3, 3], p[i], rtol=0, atol=1e-15)
        np.testing.assert_allclose(j1, J[i], rtol=0, atol=1e-15)
        one = rotation_vector_one(M[i].ravel().tolist())
        if one is None:                       # angle past pi/2: the caller uses the batch one
            assert np.trace(M[i]) < 1.0
        else:
            scalar += 1
            assert np.array_equal(one, rv[i])
    assert scalar >= 100


@pytest.mark.parametrize("name", ["panda", "iiwa14"])
@pytest.mark.parametrize("kind", ["pose", "position", "weighted"])
def test_solve_equals_solve_batch_row(name, kind):
    chain = armsim.robots.load(name)
    T = chain.matrix(np.random.default_rng(8).uniform(chain.limits[:, 0], chain.limits[:, 1],
                                                      (12, chain.n)))
    seed = chain.limits.mean(axis=1)
    target = T[:, :3, 3] if kind == "position" else T
    from armsim.ik.loop import Solver
    from armsim.ik.problems import SpatialTarget
    prob = SpatialTarget(chain, "position" if kind == "position" else "pose",
                         weights=[1, 1, 1, 2, 2, 0] if kind == "weighted" else None)
    s = Solver(prob, max_iter=20, first_iter=20, restarts=150, tol=1e-5, first_start="nearer")
    rows = target if kind == "position" else np.concatenate(
        [T[:, :3, 3], T[:, :3, :3].reshape(-1, 9)], axis=-1)
    batch = s.solve_batch(rows, np.broadcast_to(seed, (len(T), chain.n)))
    for i in range(len(T)):
        one = s.solve(rows[i], seed)
        assert np.array_equal(one.q, batch.q[i]) and one.iterations == batch.iterations[i]
        assert one.success == batch.success[i]   # (residuals: numpy's atan2 differs by a bit
        # between SIMD lanes and the tail of a batch, before this change too)
    assert batch.success.all()


@pytest.mark.parametrize("kind", ["pose", "position"])
def test_one_row_value_and_error_equal_batch_rows(kind):
    from armsim.ik.problems import SpatialTarget
    chain = armsim.robots.load("iiwa14")
    prob = SpatialTarget(chain, kind)
    q = np.random.default_rng(6).uniform(chain.limits[:, 0], chain.limits[:, 1], (64, chain.n))
    y = prob.value(q)
    aim = prob.value(chain.clip(q + np.random.default_rng(7).normal(0.0, 0.2, q.shape)))
    e = prob.error(aim, y)
    for i in range(len(q)):
        yi = prob.value(q[i:i + 1])
        assert yi.shape == (1, prob.m if kind == "position" else 12)
        np.testing.assert_allclose(yi, y[i:i + 1], rtol=0, atol=1e-15)
        np.testing.assert_allclose(prob.error(aim[i:i + 1], yi), e[i:i + 1], rtol=0, atol=1e-15)
