"""A whole robot in the window (armsim.view.window_tree): mouse events posted to the real
event loop (SDL_VIDEODRIVER=dummy), judged by the app's state, the robot and the pixels."""

import json
from pathlib import Path

import numpy as np
import pygame
import pytest

from armsim.cli import _scene_from, build_parser, draw_options, scene_camera
from armsim.scene import build_simulation, load
from armsim.view import window as W
from armsim.view.tree3d import _panel_lines, tool_color
from armsim.view.window_tree import TreeApp, nearest_target

ROOT = Path(__file__).resolve().parents[1]
SIZE = (640, 480)

pytestmark = pytest.mark.usefixtures("display_closed")


def make_app(scene):
    sim = build_simulation(scene)
    screen = W.open_window(SIZE, allow_headless=True)
    app = TreeApp(sim, screen, fps=10_000, camera=scene_camera(scene, sim),
                  draw_options=draw_options(scene))
    app.run(max_loops=2, close=False)
    app.orbiting = False
    return app


def drag(app, start, end, loops=20):
    for e in (pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=start),
              pygame.event.Event(pygame.MOUSEMOTION, pos=end, rel=(0, 0), buttons=(1, 0, 0)),
              pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=end)):
        pygame.event.post(e)
    app.run(max_loops=loops, close=False)


def pixel_of(app, p):
    return app.camera.project(np.asarray(p, float), app.screen.get_size())[0]


def test_a_left_drag_near_the_right_target_moves_it_and_not_the_left_one():
    app = make_app(load(ROOT / "scenes" / "dual_arm.toml"))
    names = [t.link for t in app.sim.state.tools]
    right = names.index("right_tool")
    c = pixel_of(app, app.tool_targets()[right][:3, 3])
    start = (int(c[0]) + 4, int(c[1]) - 3)
    end = (start[0] + 50, start[1] + 40)
    drag(app, start, end)
    assert app.picked == right and set(app.user_targets) == {"right_tool"}
    moved = app.tool_targets()[right]
    assert np.allclose(pixel_of(app, moved[:3, 3]), end, atol=1.0)    # under the mouse
    st = app.sim.state
    # the right tool follows its dragged target (orientation kept: a pose target) ...
    r = st.tool("right_tool")
    assert np.allclose(r.target, moved) and r.error < 1e-6 and r.orientation_error < 1e-6
    # ... and the left one its scripted circle, as if nothing happened
    left_path = app.sim.paths["left_tool"](app.sim.frame)
    assert np.allclose(st.tool("left_tool").target, left_path)
    assert st.tool("left_tool").error < 1e-3


def test_the_pick_is_the_target_nearest_the_mouse_on_screen():
    app = make_app(load(ROOT / "scenes" / "dual_arm.toml"))
    targets = app.tool_targets()
    pts = [pixel_of(app, T[:3, 3]) for T in targets]
    size = app.screen.get_size()
    for k, p in enumerate(pts):
        toward = p + 0.3 * (pts[1 - k] - p)            # nearer this one than the other
        assert nearest_target(app.camera, size, targets, toward) == k
    drag(app, tuple(int(v) for v in pts[0] + 0.3 * (pts[1] - pts[0])), (20, 20), loops=3)
    assert app.picked == 0 and set(app.user_targets) == {app.sim.state.tools[0].link}


def test_the_panel_lists_both_tools_and_says_out_of_reach():
    app = make_app(load(ROOT / "scenes" / "dual_arm.toml"))
    left = [t.link for t in app.sim.state.tools].index("left_tool")
    c = pixel_of(app, app.tool_targets()[left][:3, 3])
    app.say("")
    drag(app, (int(c[0]), int(c[1])), (2, 2), loops=1)     # far off the reach, at the corner
    for _ in range(4):                                      # shift + wheel: farther away
        pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=40, flipped=False,
                                             precise_x=0.0, precise_y=40.0))
    pygame.key.set_mods(pygame.KMOD_SHIFT)
    app.run(max_loops=2, close=False)
    pygame.key.set_mods(0)
    st = app.sim.state
    assert st.tool("left_tool").out_of_reach
    lines = [s for s, _ in _panel_lines(st, app.theme)]
    assert any(s.startswith("left_tool: ") and s.endswith(" deg") for s in lines)
    assert any(s.startswith("right_tool: ") and s.endswith(" deg") for s in lines)
    assert any(s.startswith("  left_tool out of reach (at least ") for s in lines)
    px = pygame.surfarray.array3d(app.screen).swapaxes(0, 1)
    for k in range(2):           # each tool's row in its colour, in one of the corners
        assert np.all(px.reshape(-1, 3) == tool_color(k), axis=1).any()


def test_robot_dual_arm_opens_a_tree_with_a_mouse_target_per_tip(tmp_path):
    args = build_parser().parse_args(["--robot", "dual_arm"])
    scene = _scene_from(args)
    assert [t.link for t in scene.tool.items] == ["left_tool", "right_tool"]
    assert all(t.target.kind == "mouse" for t in scene.tool.items)
    app = make_app(scene)
    st = app.sim.state
    for t in st.tools:                  # each target where its tool starts, as a pose
        assert t.kind == "pose" and t.error < 1e-5 and t.orientation_error < 1e-5
    out = tmp_path / "state.json"
    app.write_state(out)
    data = json.loads(out.read_text())
    assert data["kind"] == "tree" and set(data["tools"]) == {"left_tool", "right_tool"}
    app.reset()
    assert app.user_targets == {} and app.picked is None


@pytest.mark.skipif(not (__import__("shutil").which("Xvfb") and __import__("shutil").which("xdotool")),
                    reason="Xvfb and xdotool not installed")
def test_run_arm_robot_dual_arm_under_xvfb_drags_the_right_target(x_app):
    """`run_arm.py --robot dual_arm` in a real window (Xvfb): pause, drag with xdotool from next
    to the right tool's target, resume: that target moved where the mouse let go and its tool
    reached it; the left target stayed and its tool too."""
    import time

    from _xvfb import wait_for
    from armsim.view.orbit import OrbitCamera
    x = x_app("--robot", "dual_arm", screen="1600x1000x24")
    x0, y0, _, _ = x.geometry()
    assert wait_for(lambda: x.state().get("frames", 0) > 5, 15), "the app wrote no state"
    x.key("space")
    assert wait_for(lambda: x.state().get("paused") is True, 10), x.state()
    time.sleep(0.6)
    s0 = x.state()
    size = tuple(s0["window"])
    camera = OrbitCamera(**s0["camera"])
    right0 = np.array(s0["tools"]["right_tool"]["target"])
    left0 = np.array(s0["tools"]["left_tool"]["target"])
    px, _, _ = camera.project(right0, size)
    start = (int(round(px[0])) + 3, int(round(px[1])) + 2)
    end = (start[0] + 60, start[1] + 40)
    x.drag((x0, y0), start, end)
    x.key("space")
    assert wait_for(lambda: x.state().get("paused") is False, 10), x.state()
    time.sleep(2.0)
    x.key("Escape")
    x.app.wait(timeout=15)
    assert x.app.returncode == 0, x.app.stderr.read()
    s = x.state()
    assert s["picked"] == "right_tool" and set(s["user_targets"]) == {"right_tool"}
    right = np.array(s["tools"]["right_tool"]["target"])
    expected = camera.unproject(end, size, through=right0)
    metres_per_px = float((right0 - camera.eye) @ camera.basis()[2]) / camera.focal_px(size)
    assert np.linalg.norm(right - expected) < 1.5 * metres_per_px
    assert np.linalg.norm(right - right0) > 40 * metres_per_px
    assert np.allclose(s["tools"]["left_tool"]["target"], left0)
    for link in ("left_tool", "right_tool"):
        assert s["tools"][link]["error"] < 1e-3, (link, s["tools"][link])


def test_the_turn_keys_say_about_which_axis_the_target_turned():
    # "right_tool's target turned +10 deg": the chain's window names the axis
    app = make_app(load(ROOT / "scenes" / "dual_arm.toml"))
    before = [T.copy() for T in app.tool_targets()]
    for k, name in ((pygame.K_RIGHT, "world z"), (pygame.K_UP, "camera x"),
                    (pygame.K_PAGEDOWN, "its z")):
        app.turn_target(k)
        sign = "-" if k == pygame.K_PAGEDOWN else "+"
        assert app.message == f"{app.sim.state.tools[0].link}'s target turned {sign}10 deg " \
                              f"about {name}"
    after = app.tool_targets()
    assert not np.allclose(after[0][:3, :3], before[0][:3, :3])
    assert np.allclose(after[1], before[1]) and np.allclose(after[0][:3, 3], before[0][:3, 3])


def test_a_drag_while_paused_shows_the_errors_to_the_moved_target():
    # the panel said "right_tool: 0.0 mm" with its target dragged far away (a chain's
    # paused drag measured to the moved target already)
    app = make_app(load(ROOT / "scenes" / "dual_arm.toml"))
    app.paused = True
    names = [t.link for t in app.sim.state.tools]
    right = names.index("right_tool")
    c = pixel_of(app, app.tool_targets()[right][:3, 3])
    start = (int(c[0]) + 4, int(c[1]) - 3)
    drag(app, start, (start[0] + 60, start[1] + 50))
    shown = app._shown_target(app.sim.state).tool("right_tool")
    tool = app.sim.state.tool("right_tool")
    moved = app.tool_targets()[right]
    assert np.allclose(tool.frame, app.sim.state.tool("right_tool").frame)   # it stayed
    assert shown.error == pytest.approx(np.linalg.norm(moved[:3, 3] - tool.frame[:3, 3]))
    assert shown.error > 0.05 and tool.error < 1e-6
    assert any(f"{1e3 * shown.error:.1f} mm" in line for line, _ in
               _panel_lines(app._shown_target(app.sim.state), app.theme))


def test_j_says_a_whole_robot_has_no_jacobian_arrows():
    # "Jacobian arrows off" / "on" was said while the picture has none to hide or show
    app = make_app(load(ROOT / "scenes" / "dual_arm.toml"))
    app.paused = True
    app.run(max_loops=2, close=False)
    before = pygame.surfarray.array3d(app.screen).copy()
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_j, mod=0, unicode="j"))
    app.run(max_loops=2, close=False)
    assert app.message == "j (Jacobian arrows): a chain's only (a whole robot's picture has none)"
    app.say("")
    app.run(max_loops=2, close=False)
    assert np.array_equal(pygame.surfarray.array3d(app.screen), before)   # nothing changed


def test_a_drag_while_paused_leaves_the_old_target_s_stalled_and_restarted_notes():
    # the panel said "stalled" (and "restarted") about the target before a paused drag;
    # the run's stall window starts afresh on a moved target
    import dataclasses
    app = make_app(load(ROOT / "scenes" / "dual_arm.toml"))
    app.paused = True
    app.sim.state = dataclasses.replace(app.sim.state, stalled=True, restarted=True)
    app.user_target = {}            # the user's targets as the run has them: the notes stay
    lines = [line for line, _ in _panel_lines(app._shown_target(app.sim.state), app.theme)]
    assert "stalled" in lines and any(x.startswith("restarted") for x in lines)
    right = [t.link for t in app.sim.state.tools].index("right_tool")
    c = pixel_of(app, app.tool_targets()[right][:3, 3])
    start = (int(c[0]) + 4, int(c[1]) - 3)
    drag(app, start, (start[0] + 60, start[1] + 50), loops=2)
    shown = app._shown_target(app.sim.state)
    lines = [line for line, _ in _panel_lines(shown, app.theme)]
    assert app.sim.state.stalled and not shown.stalled and not shown.restarted
    assert "stalled" not in lines and not any(x.startswith("restarted") for x in lines)
