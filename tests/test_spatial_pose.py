"""armsim.pose: (4, 4) targets from a position and a quaternion, a rotation or rpy."""

import numpy as np
import pytest

import armsim
from armsim.kinematics.spatial import matrix_quaternion, quaternion_matrix, rpy_matrix


def test_quaternion_round_trip_solve_on_ur5():
    chain = armsim.robots.load("ur5")
    rng = np.random.default_rng(3)
    for _ in range(5):
        q = rng.uniform(chain.limits[:, 0], chain.limits[:, 1])
        T = chain.matrix(q)
        quat = matrix_quaternion(T[:3, :3])
        target = armsim.pose(T[:3, 3], quat)
        assert np.allclose(target, T, atol=1e-12)
        res = armsim.solve(chain, target)
        assert res.success
        R, p = chain.pose(res.q)
        assert np.linalg.norm(p - T[:3, 3]) < 1e-5
        got = matrix_quaternion(R)
        # q and -q are the same rotation; matrix_quaternion picks w >= 0
        assert min(np.abs(got - quat).max(), np.abs(got + quat).max()) < 1e-5


def test_quaternion_convention_scalar_first():
    # 90 degrees about z: (cos 45, 0, 0, sin 45)
    s = np.sqrt(0.5)
    R = quaternion_matrix((s, 0.0, 0.0, s))
    assert np.allclose(R @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], atol=1e-15)
    assert np.allclose(armsim.pose([1, 2, 3], rpy=(0.1, -0.4, 2.0))[:3, :3],
                       rpy_matrix(np.array([0.1, -0.4, 2.0])))
    assert np.allclose(armsim.pose([1, 2, 3], rotation=R)[:3, :3], R)
    assert np.array_equal(armsim.pose([1, 2, 3]), [[1, 0, 0, 1], [0, 1, 0, 2], [0, 0, 1, 3],
                                                   [0, 0, 0, 1]])


@pytest.mark.parametrize("call, message", [
    (lambda: armsim.pose([0, 0, 0], (1.0, 1.0, 0.0, 0.0)),
     "quaternion must have unit norm (|q| = 1 within 1e-06), got |q| = 1.41421"),
    (lambda: armsim.pose([0, 0, 0], (0.0, 0.0, 0.0, 0.0)),
     "quaternion must have unit norm (|q| = 1 within 1e-06), got |q| = 0"),
    (lambda: armsim.pose([0, 0, 0], (1.0, 0.0, 0.0)),
     "quaternion must be four finite numbers (w, x, y, z), got [1.0, 0.0, 0.0]"),
    (lambda: armsim.pose([0, 0, 0], (np.nan, 0.0, 0.0, 0.0)),
     "quaternion must be four finite numbers (w, x, y, z), got [nan, 0.0, 0.0, 0.0]"),
    (lambda: armsim.pose([0, 0, 0], (1, 0, 0, 0), rpy=(0, 0, 0)),
     "give at most one of quaternion, rotation and rpy, got quaternion and rpy"),
    (lambda: armsim.pose([0, 0, 0], rotation=np.diag([1.0, 1.0, -1.0])),
     "rotation must be orthonormal with determinant +1 (R R^T = I within 1e-6), got a "
     "deviation of 0 and determinant -1"),
    (lambda: armsim.pose([0, 0], (1, 0, 0, 0)),
     "position must be three finite numbers within +-1e+06, got [0.0, 0.0]"),
])
def test_bad_orientation_by_exact_message(call, message):
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == message
