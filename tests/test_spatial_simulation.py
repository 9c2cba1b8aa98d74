"""SpatialSimulation: a spatial arm chasing a target frame by frame."""

import numpy as np
import pytest

import armsim
from armsim.ik.spatial_tracking import STALL_WINDOW, SpatialSimulation, SpatialState


@pytest.fixture(scope="module")
def panda():
    return armsim.robots.load("panda")


def _goal(chain):
    mid = chain.limits.mean(axis=1)
    return chain.matrix(mid + np.array([0.4, -0.3, 0.3, 0.4, -0.3, 0.3, 0.2]))


@pytest.mark.parametrize("kind", ["position", "pose"])
def test_tracks_a_fixed_reachable_panda_target(panda, kind):
    T = _goal(panda)
    target = T if kind == "pose" else T[:3, 3]
    sim = SpatialSimulation(panda, lambda frame: target, iterations_per_frame=4)
    assert sim.state.frame == 0 and sim.state.error > 0.1
    for _ in range(5):           # measured: under 1e-5 m (and rad) at frame 2
        state = sim.step()
    assert isinstance(state, SpatialState) and state.frame == 5
    assert state.error < 1e-5 and state.kind == kind
    if kind == "pose":
        assert state.orientation_error < 1e-5
    _, p = panda.pose(state.q)
    assert np.linalg.norm(p - T[:3, 3]) == pytest.approx(state.error, abs=1e-15)
    assert panda.within_limits(state.q)
    rep = sim.report()
    assert rep["frames"] == 5 and rep["final_error"] == state.error and rep["kind"] == kind
    assert rep["method"] == "dls"


def test_deterministic_and_reset(panda):
    path = lambda f: np.array([0.4 + 0.1 * np.cos(f / 10), 0.1 * np.sin(f / 10), 0.5])
    runs = []
    for _ in range(2):
        sim = SpatialSimulation(panda, path, method="gradient", correction="backtrack")
        runs.append([sim.step().q.copy() for _ in range(20)])
    assert np.array_equal(np.array(runs[0]), np.array(runs[1]))
    first = sim.state.q.copy()
    sim.reset()
    assert sim.state.frame == 0 and sim.stats.frames == 0
    again = [sim.step().q.copy() for _ in range(20)]
    assert np.array_equal(again[-1], first)


def test_trail_is_bounded_and_ccd_runs(panda):
    sim = SpatialSimulation(panda, lambda f: np.array([0.3, 0.2 * np.sin(f / 7), 0.4]),
                            method="ccd", trail_length=8)
    for _ in range(50):
        state = sim.step()
    assert state.trail.shape == (8, 3) and len(sim._trail) == 8
    assert np.allclose(state.trail[-1], state.tool[:3, 3])
    with pytest.raises(ValueError, match=r"^method 'fabrik' needs a planar chain"):
        SpatialSimulation(panda, lambda f: np.zeros(3), method="fabrik")


def test_out_of_reach_best_stalled_and_at_limit(panda):
    far = np.array([3.0, 0.0, 0.3])
    sim = SpatialSimulation(panda, lambda f: far, iterations_per_frame=4)
    for _ in range(STALL_WINDOW + 40):
        state = sim.step()
    # best = |target - first joint origin| - reach: a lower bound of the error
    assert state.best == pytest.approx(np.linalg.norm(far - panda.xyz[0]) - panda.reach)
    assert 0 < state.best <= state.error
    near = SpatialSimulation(panda, lambda f: np.array([0.4, 0.0, 0.5]))
    assert near.step().best == 0.0 and not near.state.stalled
    # a target within the reach but behind a joint limit: short, stalled, at the limit
    from armsim.kinematics.spatial import Joint, SpatialChain
    arm = SpatialChain([Joint("a", "revolute", (0, 0, 0), (0, 0, 0), (0, 0, 1), 0.0, 0.5),
                        Joint("b", "revolute", (0.5, 0, 0), (0, 0, 0), (0, 0, 1), -2.0, 2.0)],
                       tool_xyz=(0.4, 0, 0))
    sim = SpatialSimulation(arm, lambda f: np.array([-0.6, -0.1, 0.0]))
    states = [sim.step() for _ in range(STALL_WINDOW + 5)]
    assert states[-1].best == 0.0 and states[-1].error > 0.1
    assert states[-1].stalled and states[-1].at_limit == (1, 2)   # q = (0.5, 2.0)
    assert not states[STALL_WINDOW - 2].stalled          # not before a full window
    sim.step(np.array([0.5, 0.3, 0.0]))                  # a new target: the window restarts
    assert not sim.state.stalled


def test_waypoints_reached_and_bad_target_message(panda):
    T = _goal(panda)

    class Path:
        waypoints = np.array([T[:3, 3]])

        def __call__(self, frame):
            return T

        def waypoint_index(self, frame):
            return 0

    sim = SpatialSimulation(panda, Path())
    sim.step()
    sim.step()
    assert sim.state.reached.tolist() == [True] and sim.report()["waypoints_reached"] == [True]
    with pytest.raises(ValueError) as err:
        sim.step(np.array([np.nan, 0.0, 0.0]))
    assert str(err.value) == ("target must be a position (3,) or a pose (4, 4) of finite "
                              "numbers within +-1e+06, got shape (3,)")
