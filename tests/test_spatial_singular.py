"""Spatial dls at singular poses stays finite: a damped system singular to rounding (a wrist
singularity, the damping near its floor) gives a rejected step, not NaN joints."""

import warnings

import numpy as np

import armsim
from armsim.kinematics.spatial import rotation_vector


def test_ur5_wrist_singular_poses_solve_to_finite_joints_without_warnings():
    chain = armsim.robots.load("ur5")
    q = np.random.default_rng(21).uniform(chain.limits[:, 0], chain.limits[:, 1], (300, chain.n))
    q[:, 4] = 0.0                                   # wrist singular: joints 4 and 6 aligned
    T = chain.matrix(q)
    mid = chain.limits.mean(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no RuntimeWarning from a singular solve
        for kw, least in ((dict(restarts=0), 0.5), (dict(), 0.99)):
            r = armsim.solve_batch(chain, T, q0=np.broadcast_to(mid, (len(T), chain.n)),
                                   tol=1e-5, **kw)
            assert np.all(np.isfinite(r.q)) and np.all(np.isfinite(r.residual))
            M = chain.matrix(r.q)
            pos = np.linalg.norm(M[:, :3, 3] - T[:, :3, 3], axis=-1)
            ori = np.linalg.norm(rotation_vector(T[:, :3, :3] @ np.swapaxes(M[:, :3, :3], -1, -2)),
                                 axis=-1)
            assert np.array_equal(r.success, (pos < 1e-5) & (ori < 1e-5))
            assert r.success.mean() > least
        one = [armsim.solve(chain, T[i], q0=mid, tol=1e-5, restarts=0) for i in range(40)]
        assert all(np.all(np.isfinite(s.q)) for s in one)
