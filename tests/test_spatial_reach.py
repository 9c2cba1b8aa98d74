"""A spatial target whose position lies beyond the chain's reach (an upper bound of the
tool's distance from the first joint) is reported ``unreachable``."""

import numpy as np
import pytest

import armsim
from armsim.ik.problems import SpatialTarget


@pytest.mark.parametrize("kind", ["position", "pose"])
def test_a_target_beyond_the_reach_is_unreachable_on_every_path(kind):
    chain = armsim.robots.load("ur5")
    origin = chain.xyz[0]
    far = origin + np.array([0.0, 0.6, 0.8]) * (chain.reach * 1.2)    # 1.2 x reach away
    target = far
    if kind == "pose":
        target = chain.matrix(chain.limits.mean(axis=1))
        target[:3, 3] = far
    one = armsim.solve(chain, target, restarts=3)
    batch = armsim.solve_batch(chain, np.stack([target, target]), restarts=3)
    for reason, ok, res in ((one.reason, one.success, one.residual),
                            *zip(batch.reason, batch.success, batch.residual)):
        assert reason == "unreachable" and not ok
        # the residual is at least the distance beyond the reach, and finite
        assert np.isfinite(res) and res >= 0.2 * chain.reach - 1e-9
    p = chain.pose(one.q)[1]
    assert np.linalg.norm(p - far) == pytest.approx(one.position_residual, abs=1e-12)
    if kind == "position":     # its tool ends as near as it can: stretched toward the target
        assert np.linalg.norm(p - origin) > 0.9 * chain.reach


def test_a_reachable_target_and_a_masked_axis_are_not_called_unreachable():
    chain = armsim.robots.load("ur5")
    q = chain.limits.mean(axis=1) + 0.3
    r = armsim.solve(chain, chain.matrix(q))
    assert r.success and r.reason == "converged"
    prob = SpatialTarget(chain, "position")
    far = chain.xyz[0] + np.array([2.0 * chain.reach, 0.0, 0.0])
    assert not prob.aim(far[None])[1][0] and not prob.attainable_one(far.tolist())
    # with x out of the error, a far x says nothing about reachability
    masked = SpatialTarget(chain, "position", weights=[0, 1, 1])
    assert masked.aim(far[None])[1][0] and masked.attainable_one(far.tolist())
    s = armsim.Solver(masked, restarts=2).solve(far)
    assert s.reason != "unreachable"
