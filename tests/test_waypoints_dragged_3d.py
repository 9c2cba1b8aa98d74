"""A 3D waypoint is reached by the tool, not by a target dragged in its place (the window's
drag passes it to step): the spatial and whole-robot trackers counted the tool reaching the
dragged target as the waypoint shown meanwhile reached."""

from pathlib import Path

import numpy as np

from armsim.ik.tree_tracking import TreeSimulation
from armsim.kinematics import robots
from armsim.scene import build_simulation, load
from armsim.scene.targets import Fixed, Waypoints

ROOT = Path(__file__).resolve().parents[1]


def test_a_ur5_waypoint_is_not_reached_by_a_dragged_target():
    sim = build_simulation(load(ROOT / "scenes" / "ur5_waypoints.toml"))
    drag = np.array([0.1, 0.45, 0.5])                     # none of the four waypoints
    for _ in range(130):                                  # two waypoints' holds
        sim.step(target=drag)
    assert sim.state.error < 1e-3                         # the tool is at the dragged target
    assert sim.report()["waypoints_reached"] == [False] * 4
    sim.reset()
    for _ in range(130):
        sim.step()
    assert sim.report()["waypoints_reached"][:2] == [True, True]


def test_a_robots_tool_waypoint_is_not_reached_by_a_dragged_target():
    dual = robots.load_robot("dual_arm")
    q0 = np.where(np.isfinite(dual.limits), dual.limits, 0.0).mean(axis=1)
    F = dual.frames(q0)
    p = F["left_tool"][:3, 3]
    waypoints = Waypoints(np.array([p + [0.05, 0.0, 0.0], p + [0.0, 0.05, 0.0]]), [0, 30])
    right = Fixed(F["right_tool"][:3, 3])
    sim = TreeSimulation(dual, {"left_tool": waypoints, "right_tool": right}, q0,
                         iterations_per_frame=8)
    drag = p + [0.0, 0.0, -0.1]
    for _ in range(60):
        st = sim.step(targets={"left_tool": drag})
    assert st.tool("left_tool").error < 1e-3
    assert not st.tool("left_tool").reached.any()
    sim2 = TreeSimulation(dual, {"left_tool": waypoints, "right_tool": right}, q0,
                          iterations_per_frame=8)
    for _ in range(60):
        st = sim2.step()
    assert st.tool("left_tool").reached.all()
