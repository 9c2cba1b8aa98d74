"""The simulation loop that the window and the GIF exporter consume."""

import numpy as np
import pytest

from armsim.ik.tracking import default_simulation


def run(sim, frames):
    return [sim.step() for _ in range(frames)]


def test_state_shapes_and_consistency():
    sim = default_simulation(seed=3)
    st = sim.state
    n = sim.chain.n
    assert st.frame == 0 and st.q.shape == (n,) and st.joints.shape == (n + 1, 2)
    assert st.jacobian.shape == (2, n)
    np.testing.assert_allclose(st.jacobian, sim.chain.jacobian(st.q))
    st = run(sim, 5)[-1]
    assert st.frame == 5
    assert st.error == pytest.approx(np.linalg.norm(st.joints[-1] - st.target))
    assert st.trail.shape[1] == 2 and len(st.trail) == 6


def test_arm_chases_the_target():
    sim = default_simulation(seed=0)
    states = run(sim, 240)
    errors = np.array([s.error for s in states])
    # after the first second the tip stays close to the moving target
    assert errors[60:].max() < 0.1 * sim.chain.reach
    assert errors[0] > errors[60:].mean()


def test_user_target_overrides_path_and_determinism():
    a, b = default_simulation(seed=9), default_simulation(seed=9)
    for _ in range(30):
        sa, sb = a.step(target=[0.3, 0.4]), b.step(target=[0.3, 0.4])
    np.testing.assert_array_equal(sa.q, sb.q)
    assert sa.error < 1e-3
    c = default_simulation(seed=10)
    assert not np.array_equal(c.state.q, default_simulation(seed=9).state.q)


def test_reset_returns_to_frame_zero():
    sim = default_simulation(seed=1)
    q0 = sim.state.q.copy()
    run(sim, 10)
    sim.reset()
    assert sim.state.frame == 0
    np.testing.assert_array_equal(sim.state.q, q0)


def test_bad_names():
    with pytest.raises(ValueError, match="unknown method 'x'"):
        default_simulation(method="x")


def test_a_waypoint_is_reached_by_the_tip_not_by_a_target_that_replaced_it():
    """A target passed to step (dragged in the window) far from every waypoint: the tip
    reaching it marked each waypoint shown meanwhile as reached, even one out of reach."""
    from armsim.scene import build_simulation, loads
    sim = build_simulation(loads('[arm]\nlengths = [0.5, 0.5]\n[target]\nkind = "waypoints"\n'
                                 'points = [[0.5, 0.5], [-0.5, 0.5], [3, 3]]\nhold = 20\n'
                                 '[solver]\nmethod = "dls"\n'))
    for _ in range(70):
        sim.step(target=[0.2, -0.6])
    assert sim.state.error < 1e-6
    assert sim.report()["waypoints_reached"] == [False, False, False]
    assert not sim.state.reached.any()
    for _ in range(20):                  # the scripted path again: the last is out of reach
        sim.step()
    assert sim.report()["waypoints_reached"] == [False, False, False]
    sim.reset()
    for _ in range(60):
        sim.step()
    assert sim.report()["waypoints_reached"] == [True, True, False]


@pytest.mark.parametrize("limits", [None, [[-np.inf, np.inf]] * 2,
                                    [[-np.inf, 0.5], [-2.0, np.inf]]])
def test_a_joint_open_on_a_side_is_turned_back_as_an_unlimited_one(limits):
    """A target circling the base in 2.05 frames turns the arm the same way every frame: an
    unlimited chain's angles were turned back past TURN_BACK, those of a chain whose limits
    are open (-inf, inf, or one side) grew on (-3479 rad in 2000 frames) until the chain's
    1e6 rad bound raised ValueError in a long window session."""
    from armsim import Chain
    from armsim.ik.tracking import TURN_BACK, Simulation
    from armsim.scene.targets import Circle
    chain = Chain([0.5, 0.5], limits=limits)
    sim = Simulation(chain, Circle([0, 0], 0.8, 2.05), [0.1, 0.2], method="gradient",
                     correction="backtrack", iterations_per_frame=8)
    for _ in range(2000):
        sim.step()
        assert np.all(np.abs(sim.q) <= TURN_BACK + 2 * np.pi)
    assert chain.within_limits(sim.q)
    assert np.all(np.isfinite(sim.state.joints)) and sim.state.error < 1.0
