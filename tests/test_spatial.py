"""Spatial chains: forward kinematics, the AD pose Jacobian, DH tables, rotation vectors."""

import numpy as np
import pytest

import armsim
from armsim.kinematics.spatial import (Joint, SpatialChain, axis_angle_matrix, matrix_rpy,
                                       rotation_vector, rpy_matrix)


def _random_chain(rng, n=6):
    types = ["revolute", "prismatic", "continuous"]
    joints = []
    for i in range(n):
        t = types[i % 3]
        joints.append(Joint(f"j{i}", t, tuple(rng.uniform(-0.4, 0.4, 3)),
                            tuple(rng.uniform(-np.pi, np.pi, 3)), tuple(rng.normal(size=3)),
                            -2.0, 2.0))
    return SpatialChain(joints, rng.uniform(-0.2, 0.2, 3), rng.uniform(-1, 1, 3))


def _omega(R_plus, R_minus, R, h):
    """Angular velocity from a central difference of R: the axial vector of dR R^T."""
    w = (R_plus - R_minus) / (2 * h) @ np.swapaxes(R, -1, -2)
    return 0.5 * np.stack([w[..., 2, 1] - w[..., 1, 2], w[..., 0, 2] - w[..., 2, 0],
                           w[..., 1, 0] - w[..., 0, 1]], axis=-1)


def _central(chain, q, h=1e-3):
    """Central differences with one Richardson step: error O(h^4) ~ 1e-12."""
    return (4 * _central1(chain, q, h / 2) - _central1(chain, q, h)) / 3


def _central1(chain, q, h):
    R, _ = chain.pose(q)
    cols = []
    for i in range(chain.n):
        dq = np.zeros(chain.n)
        dq[i] = h
        Rp, pp = chain.pose(q + dq)
        Rm, pm = chain.pose(q - dq)
        cols.append(np.concatenate([(pp - pm) / (2 * h), _omega(Rp, Rm, R, h)], axis=-1))
    return np.stack(cols, axis=-1)


def test_ad_jacobian_equals_geometric_and_central_differences():
    rng = np.random.default_rng(1)
    for _ in range(5):
        chain = _random_chain(rng)
        q = rng.uniform(-2, 2, (50, chain.n))
        J = chain.jacobian(q)
        assert J.shape == (50, 6, chain.n)
        assert np.abs(J - chain.geometric_jacobian(q)).max() < 1e-12
        assert np.abs(J - _central(chain, q)).max() < 1e-10


def test_origin_jacobian_matches_central_differences():
    rng = np.random.default_rng(2)
    chain = _random_chain(rng, n=4)
    q = rng.uniform(-2, 2, (3, chain.n))
    J = chain.jacobian(q, wrt=("joints", "origins"))
    assert J.shape == (3, 6, chain.n + 6 * chain.n)
    assert np.abs(J[..., :chain.n] - chain.jacobian(q)).max() < 1e-15
    h = 1e-6
    R, _ = chain.pose(q)
    for i in range(chain.n):
        for c in range(6):
            def moved(sign):
                js = list(chain.joints)
                j = js[i]
                xyz, rpy = np.array(j.xyz), np.array(j.rpy)
                (xyz if c < 3 else rpy)[c % 3] += sign * h
                js[i] = Joint(j.name, j.type, tuple(xyz), tuple(rpy), j.axis, j.lower, j.upper)
                return SpatialChain(js, chain.tool_xyz, chain.tool_rpy).pose(q)
            (Rp, pp), (Rm, pm) = moved(1), moved(-1)
            col = np.concatenate([(pp - pm) / (2 * h), _omega(Rp, Rm, R, h)], axis=-1)
            assert np.abs(J[..., chain.n + 6 * i + c] - col).max() < 1e-8


def test_planar_chain_as_spatial_equals_chain():
    lengths = [0.7, 0.5, 0.3]
    planar = armsim.Chain(lengths)
    joints = [Joint(f"j{i}", "revolute", (0.0 if i == 0 else lengths[i - 1], 0.0, 0.0))
              for i in range(3)]
    spatial = SpatialChain(joints, tool_xyz=(lengths[-1], 0.0, 0.0))
    q = np.random.default_rng(3).uniform(-np.pi, np.pi, (200, 3))
    R, p = spatial.pose(q)
    assert np.abs(p[:, :2] - planar.tip(q)).max() < 1e-12
    assert np.abs(p[:, 2]).max() == 0.0
    J = spatial.jacobian(q)
    assert np.abs(J[:, :2] - planar.jacobian(q)).max() < 1e-12
    assert np.abs(J[:, 5] - 1.0).max() < 1e-12          # every joint turns about z
    assert np.abs(J[:, [2, 3, 4]]).max() < 1e-12


def test_one_code_path_for_floats_batches_and_duals():
    rng = np.random.default_rng(4)
    chain = _random_chain(rng)
    q = rng.uniform(-2, 2, (7, chain.n))
    R, p = chain.pose(q)
    for i in range(7):
        Ri, pi = chain.pose(q[i])
        assert np.array_equal(Ri, R[i]) and np.array_equal(pi, p[i])
    Rf, pf = chain.frames(q)
    assert Rf.shape == (7, chain.n + 2, 3, 3) and pf.shape == (7, chain.n + 2, 3)
    assert np.array_equal(Rf[:, -1], R) and np.array_equal(pf[:, -1], p)
    assert np.array_equal(Rf[:, 0], np.broadcast_to(np.eye(3), (7, 3, 3)))
    d = armsim.Dual.variables(q[0])
    Rd, pd = chain.pose(d)
    # floats take the float pass (vectorised Rodrigues, 4 x 4 products), Duals the general
    # one: the same kinematics, equal to rounding
    assert np.abs(pd.value - p[0]).max() < 1e-14 and np.abs(Rd.value - R[0]).max() < 1e-14


@pytest.mark.parametrize("name", ["random", "panda", "ur5", "iiwa14", "snake20"])
def test_structured_jacobian_equals_the_dual_pass_and_the_geometric_formula(name):
    rng = np.random.default_rng(5)
    chain = _random_chain(rng, n=9) if name == "random" else armsim.robots.load(name)
    lo, hi = np.maximum(chain.limits[:, 0], -3), np.minimum(chain.limits[:, 1], 3)
    q = rng.uniform(lo, hi, (200, chain.n))
    R, p, J = chain.pose_and_jacobian(q)
    Rd, pd, Jd = chain.pose_and_jacobian(q, structured=False)
    assert np.abs(J - Jd).max() < 1e-12
    assert np.abs(J - chain.geometric_jacobian(q)).max() < 1e-12
    assert np.abs(R - Rd).max() < 1e-14 and np.abs(p - pd).max() < 1e-14
    R1, p1, J1 = chain.pose_and_jacobian(q[3])
    # (a batch of 32 rows or more takes the batch-last pass: equal to rounding)
    assert J1.shape == (6, chain.n) and np.abs(J1 - J[3]).max() < 1e-14
    assert np.abs(p1 - p[3]).max() < 1e-14


def _dh_matrix(a, alpha, d, theta, modified):
    def rz(t):
        return np.block([[axis_angle_matrix([0, 0, 1], t), np.zeros((3, 1))], [np.zeros((1, 3)), 1]])

    def rx(t):
        return np.block([[axis_angle_matrix([1, 0, 0], t), np.zeros((3, 1))], [np.zeros((1, 3)), 1]])

    def tr(x, z):
        T = np.eye(4)
        T[0, 3], T[2, 3] = x, z
        return T
    if modified:
        return rx(alpha) @ tr(a, 0) @ rz(theta) @ tr(0, d)
    return rz(theta) @ tr(0, d) @ tr(a, 0) @ rx(alpha)


@pytest.mark.parametrize("convention", ["standard", "modified"])
def test_dh_tables_equal_the_product_of_dh_matrices(convention):
    rng = np.random.default_rng(5)
    table = np.column_stack([rng.uniform(-0.5, 0.5, 6), rng.uniform(-np.pi, np.pi, 6),
                             rng.uniform(-0.5, 0.5, 6), rng.uniform(-np.pi, np.pi, 6)])
    types = ["revolute", "prismatic", "revolute", "revolute", "prismatic", "revolute"]
    chain = SpatialChain.from_dh(table, convention, types=types,
                                 limits=np.tile([-1.0, 1.0], (6, 1)))
    for q in rng.uniform(-1, 1, (20, 6)):
        T = np.eye(4)
        for (a, alpha, d, theta), t, qi in zip(table, types, q):
            if t == "prismatic":
                d = d + qi
            else:
                theta = theta + qi
            T = T @ _dh_matrix(a, alpha, d, theta, convention == "modified")
        assert np.abs(chain.matrix(q) - T).max() < 1e-12
    assert np.abs(chain.jacobian(q) - chain.geometric_jacobian(q)).max() < 1e-12


def test_rpy_round_trip_and_rotation_vector():
    rng = np.random.default_rng(6)
    for rpy in rng.uniform([-np.pi, -1.5, -np.pi], [np.pi, 1.5, np.pi], (100, 3)):
        assert np.abs(matrix_rpy(rpy_matrix(rpy)) - rpy).max() < 1e-12
    axes = rng.normal(size=(500, 3))
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    angles = np.concatenate([rng.uniform(0, np.pi, 496), [0.0, 1e-9, np.pi - 1e-9, np.pi]])
    R = np.stack([axis_angle_matrix(a, t) for a, t in zip(axes, angles)])
    v = rotation_vector(R)
    assert np.abs(np.linalg.norm(v, axis=1) - angles).max() < 1e-8
    back = np.stack([axis_angle_matrix(x / max(np.linalg.norm(x), 1e-300), np.linalg.norm(x))
                     for x in v])
    assert np.abs(back - R).max() < 1e-8


def test_bad_chains_are_refused_with_one_line():
    with pytest.raises(ValueError, match=r"^joint 'x': axis must not be zero$"):
        SpatialChain([Joint("x", "revolute", axis=(0, 0, 0))])
    with pytest.raises(ValueError, match=r"^joint 'x': type must be one of revolute, "
                                         r"continuous, prismatic, got 'planar'$"):
        SpatialChain([Joint("x", "planar")])
    with pytest.raises(ValueError, match=r"^joint 'x': limits must be finite with lower <= "
                                         r"upper, got \(1.0, -1.0\)$"):
        SpatialChain([Joint("x", "revolute", lower=1.0, upper=-1.0)])
    c = SpatialChain([Joint("x", "continuous")], tool_xyz=(0.1, 0.0, 0.0))   # reach > 0
    assert c.limits.tolist() == [[-np.inf, np.inf]]
    with pytest.raises(ValueError, match=r"^joint values must have shape \(\.\.\., 1\), got \(2,\)$"):
        c.pose([0.0, 1.0])
