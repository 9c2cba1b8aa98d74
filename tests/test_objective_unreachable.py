"""A spatial target proved out of reach (farther from the first joint than the reach) gets
one start with its full budget and no restart (README), with objectives too: the stacked
problem ran the restarts until give_up (925 iterations for 15 on the Panda)."""

import numpy as np
import pytest

import armsim


@pytest.mark.parametrize("objectives", [
    lambda n: [armsim.Obstacle([-1.0, -1.0, 2.0], 0.05)],
    lambda n: [armsim.Posture(np.zeros(n), 0.01)],
    lambda n: [armsim.SelfCollision(0.02), armsim.JointLimitBarrier()],
])
def test_an_unreachable_spatial_target_with_objectives_gets_one_start(objectives):
    panda = armsim.robots.load("panda")
    far = [2.0, 0.0, 0.5]
    plain = armsim.solve(panda, far)
    res = armsim.solve(panda, far, objectives=objectives(panda.n))
    assert plain.reason == res.reason == "unreachable" and not res.success
    assert res.iterations == plain.iterations == 15
    batch = armsim.solve_batch(panda, np.array([far, far]), objectives=objectives(panda.n))
    assert list(batch.reason) == ["unreachable"] * 2 and list(batch.iterations) == [15, 15]


def test_a_reachable_target_with_objectives_still_takes_the_restarts():
    panda = armsim.robots.load("panda")
    q = panda.clip(np.array([0.0, -0.5, 0.0, -2.0, 0.0, 1.6, 0.8]))
    tip = panda.tip_position(q)
    sphere = armsim.Obstacle(tip + [0.0, 0.1, 0.1], 0.1)
    # within the reach but inside the margin: no start finishes, the restarts run
    res = armsim.solve(panda, tip + [0.0, 0.05, 0.0], objectives=[sphere])
    assert not res.success and res.iterations > 15
