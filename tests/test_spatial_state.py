"""The SpatialState snapshot: what the 3D view draws, checked against the chain."""

import numpy as np
import pytest

import armsim
from armsim.ik.spatial_tracking import snapshot


def test_snapshot_matches_the_chain():
    chain = armsim.robots.load("ur5")
    q = np.array([0.3, -1.0, 1.2, -0.4, 0.9, 0.2])
    T = chain.matrix(q)
    s = snapshot(chain, q, T)
    assert s.kind == "pose"
    assert s.frames_p.shape == (chain.n + 2, 3) and s.frames_R.shape == (chain.n + 2, 3, 3)
    np.testing.assert_allclose(s.tool, T, atol=1e-12)
    np.testing.assert_allclose(s.frames_p[0], 0.0)
    np.testing.assert_allclose(s.jacobian, chain.jacobian(q), atol=1e-10)
    assert s.error < 1e-12 and s.orientation_error < 1e-7


def test_snapshot_position_target_error():
    chain = armsim.robots.load("panda")
    q = chain.clip(np.zeros(chain.n))   # the Panda's joint 4 cannot be 0
    p = chain.tip_position(q) + np.array([0.0, 0.3, 0.4])
    s = snapshot(chain, q, p)
    assert s.kind == "position"
    assert s.error == pytest.approx(0.5, abs=1e-12)
    np.testing.assert_allclose(s.target[:3, 3], p)


def test_snapshot_refuses_a_bad_target():
    chain = armsim.robots.load("panda")
    with pytest.raises(ValueError, match=r"target must be a position \(3,\) or a pose \(4, 4\), got shape \(2,\)"):
        snapshot(chain, np.zeros(chain.n), [1.0, 2.0])
