"""Objectives in a whole robot's tracking (armsim.ik.tree_tracking.TreeSimulation(objectives=)):
a sphere between the dual arm's arms kept clear by every link while both tools follow their
lines, the clearance in the state, smoothness fed the previous frame, a far tool with an
obstacle, bad objectives refused in one line; the shipped scenes/dual_arm_obstacle.toml run
headless."""

from pathlib import Path

import numpy as np
import pytest

import armsim
from armsim.ik.tree_tracking import TreeSimulation
from armsim.kinematics import robots

ROOT = Path(__file__).resolve().parents[1]
PANDA = (0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785)
CENTRE, RADIUS, CLEAR, LINK = (0.6, 0.0, 1.05), 0.2, 0.03, 0.06
END = (0.85, 0.14, 0.95)


@pytest.fixture(scope="module")
def dual():
    return robots.load_robot("dual_arm")


def _line(a, b, period=240):
    a, b = np.asarray(a, float), np.asarray(b, float)

    def path(k):
        s = (k % period) / period
        s = 2 * s if s < 0.5 else 2 - 2 * s
        return a + s * (b - a)
    return path


def _sphere():
    return armsim.Obstacle(CENTRE, RADIUS, clearance=CLEAR, link_radius=LINK)


def _run(dual, objectives, frames=120):
    """Each tool along a line from where it starts to in front of the sphere's far side
    (reached at frame 120); (largest tool error, smallest clearance, last state)."""
    q0 = np.array((0.0,) + PANDA * 2)
    F = dual.frames(q0)
    paths = {"left_tool": _line(F["left_tool"][:3, 3], END),
             "right_tool": _line(F["right_tool"][:3, 3], np.multiply(END, (1, -1, 1)))}
    sim = TreeSimulation(dual, paths, q0, iterations_per_frame=8, objectives=objectives)
    probe = _sphere()
    worst, least = 0.0, np.inf
    for _ in range(frames):
        st = sim.step()
        worst = max(worst, st.error)
        least = min(least, probe.clearance_of(dual, sim.q))
    return worst, least, st


def test_a_sphere_between_the_arms_is_kept_clear_while_both_tools_arrive(dual):
    worst, least, st = _run(dual, [_sphere()])
    assert least > 0.0299                  # links 12 cm thick, a 30 mm margin: 30.0 mm
    assert worst < 1e-4                    # both tools on their lines (0.09 mm at most)
    assert [t.error < 1e-4 for t in st.tools] == [True, True]      # and at the far end
    assert st.clearance == pytest.approx(_sphere().clearance_of(dual, st.q), abs=1e-12)
    # without the obstacle objective a forearm comes within 14.5 mm of the sphere
    _, plain, st = _run(dual, None)
    assert plain < 0.02 and st.clearance is None


def test_smoothness_is_given_the_previous_frame_s_joints(dual):
    q0 = np.array((0.0,) + PANDA * 2)
    T = dual.frames(q0)["left_tool"][:3, 3] + [0.05, -0.05, 0.05]
    smooth = armsim.Smoothness(q0, weight=0.5)
    sim = TreeSimulation(dual, {"left_tool": lambda f: T}, q0, objectives=[smooth])
    for _ in range(3):
        before = sim.q.copy()
        sim.step()
        np.testing.assert_array_equal(smooth.q_rest, before)
    assert sim.state.clearance is None           # no obstacle, no self-collision


def test_a_tool_beyond_its_reach_keeps_the_obstacle_clear(dual):
    """The left target dragged 2 m away past a sphere by the left arm: the left tool heads
    for it (out of reach), the right tool stays, and no link enters the sphere's margin."""
    q0 = np.array((0.0,) + PANDA * 2)
    F = dual.frames(q0)
    far = F["left_tool"][:3, 3] + [1.2, 1.2, 0.0]
    right = F["right_tool"][:3, 3]
    ball = armsim.Obstacle((0.75, 0.95, 0.95), 0.1, clearance=0.02, link_radius=0.04)
    sim = TreeSimulation(dual, {"left_tool": lambda f: far, "right_tool": lambda f: right},
                         q0, iterations_per_frame=8, objectives=[ball])
    start = np.linalg.norm(far - F["left_tool"][:3, 3])
    for _ in range(30):
        st = sim.step()
        assert st.clearance > 0.0 and np.all(np.isfinite(st.q))
    assert st.tool("left_tool").out_of_reach
    assert st.tool("left_tool").error < start
    assert st.tool("right_tool").error < 1e-6
    assert dual.within_limits(st.q, atol=1e-12)


@pytest.mark.parametrize("objective, message", [
    (armsim.PointTarget(2, [0.3, 0.3, 0.9]),
     "PointTarget: name a robot's links, e.g. PointTarget('right_tool', target)"),
    (armsim.Posture(np.zeros(3)), "Posture: q_rest must have 15 numbers, got 3"),
])
def test_an_objective_the_robot_cannot_take_is_one_line(dual, objective, message):
    T = dual.frames(np.zeros(dual.n))["left_tool"][:3, 3]
    with pytest.raises(ValueError) as err:
        TreeSimulation(dual, {"left_tool": lambda f: T}, objectives=[objective])
    assert str(err.value) == message


def test_the_shipped_scene_keeps_every_link_clear_and_both_tools_on_their_lines():
    """Headless, the scene's 240 frames (out to the far end and back): every link 30.0 mm
    from the sphere (its margin 30 mm), both tools within 0.09 mm of their lines."""
    from armsim.scene import build_simulation, load
    sim = build_simulation(load(ROOT / "scenes" / "dual_arm_obstacle.toml"))
    worst, least, far = 0.0, np.inf, None
    for k in range(240):
        st = sim.step()
        worst, least = max(worst, st.error), min(least, st.clearance)
        if k + 1 == 120:                     # the far end of both lines
            far = {t.link: (t.error, t.target[:3, 3].tolist()) for t in st.tools}
    assert least > 0.0299 and worst < 1e-4
    assert far == {"left_tool": (pytest.approx(0, abs=1e-4), [0.85, 0.14, 0.95]),
                   "right_tool": (pytest.approx(0, abs=1e-4), [0.85, -0.14, 0.95])}
