"""Drawing a whole robot (armsim.view.tree3d), judged by the pixels of real pictures: each
tool's target in its own colour where it projects, the robot filling a fair part of the
frame, both arms there, the panel naming each tool; the GIF headless; armsim.render(Robot)."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import armsim
from armsim.cli import main
from armsim.ik.tree_tracking import tree_snapshot
from armsim.scene import build_simulation, load
from armsim.view.orbit import OrbitCamera, arm_points
from armsim.view.solids import shaded_colors
from armsim.view.tree3d import _panel_lines, look_of, render_tree, tool_color
from armsim.view.style import DEFAULT_THEME

ROOT = Path(__file__).resolve().parents[1]
SIZE = (640, 480)
PANDA = (0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785)


@pytest.fixture(scope="module")
def picture():
    """dual_arm at its start, each target 0.15 m off its tool (so targets and tools are apart):
    the state, its camera and its pixels."""
    robot = armsim.robots.load_robot("dual_arm")
    q = np.array((0.0,) + PANDA * 2)
    F = robot.frames(q)
    targets = {}
    for link, off in (("left_tool", [0.0, 0.15, 0.1]), ("right_tool", [0.0, -0.15, -0.1])):
        T = F[link].copy()
        T[:3, 3] += off
        targets[link] = T
    state = tree_snapshot(robot, q, targets)
    camera = OrbitCamera.framing(robot.reach, points=arm_points(state))
    return robot, state, camera, render_tree(state, camera, SIZE)


def _near(pixels, center, radius):
    x, y = int(round(center[0])), int(round(center[1]))
    return pixels[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1]


def _has(block, color):
    return bool(np.all(block.reshape(-1, 3) == np.array(color), axis=1).any())


def test_each_target_is_drawn_in_its_tool_colour_where_it_projects(picture):
    robot, state, camera, px = picture
    for k, t in enumerate(state.tools):
        c, _, front = camera.project(t.target[:3, 3], SIZE)
        assert front
        block = _near(px, c, 12)
        assert _has(block, tool_color(k)), t.link
        other = tool_color(1 - k)
        assert not _has(_near(px, c, 3), other)      # not the other tool's colour there


def test_the_robot_fills_a_fair_part_and_both_arms_are_drawn(picture):
    robot, state, camera, px = picture
    shades = np.array(sorted(shaded_colors(look_of(state))))
    flat = px.reshape(-1, 3)
    # a pixel of the robot's solids: one of the shaded link / housing colours
    def key(a):
        a = a.astype(np.int64)
        return a[:, 0] * 65536 + a[:, 1] * 256 + a[:, 2]
    solid = np.isin(key(flat), key(shades)).reshape(px.shape[:2])
    ys, xs = np.nonzero(solid)
    assert solid.mean() > 0.05
    assert (xs.max() - xs.min()) > 0.45 * SIZE[0]       # the framing: ~70 % of the view
    for arm in ("left_link4", "right_link4", "torso"):
        c, _, _ = camera.project(state.link_p[state.links.index(arm)], SIZE)
        x, y = int(c[0]), int(c[1])
        assert solid[max(0, y - 6):y + 7, max(0, x - 6):x + 7].any(), arm


def test_the_panel_names_each_tool_with_its_errors_in_its_colour(picture):
    robot, state, camera, px = picture
    lines = _panel_lines(state, DEFAULT_THEME)
    texts = [s for s, _ in lines]
    for k, t in enumerate(state.tools):
        row = f"{t.link}: {t.error * 1000:.1f} mm, {np.degrees(t.orientation_error):.1f} deg"
        assert (row, tool_color(k)) in lines
    assert not any("out of reach" in s for s in texts)
    top = px[:120]          # the panel's corner (the top right, clear of the arm): its rows'
    assert _has(top, tool_color(0)) and _has(top, tool_color(1))      # colours


def test_out_of_reach_is_said_in_the_panel():
    robot = armsim.robots.load_robot("dual_arm")
    q = np.array((0.0,) + PANDA * 2)
    state = tree_snapshot(robot, q, {"left_tool": np.array([6.0, 0.0, 1.0])})
    texts = [s for s, _ in _panel_lines(state, DEFAULT_THEME)]
    assert any(s.startswith("  left_tool out of reach (at least ") for s in texts)


@pytest.mark.parametrize("name", ["dual_arm", "panda_hand"])
def test_gif_export_of_a_tree_scene_works_headless(tmp_path, name):
    out = tmp_path / f"{name}.gif"
    assert main([str(ROOT / "scenes" / f"{name}.toml"), "--gif", str(out), "--frames", "4",
                 "--size", "320x240"]) == 0
    with Image.open(out) as im:
        assert im.n_frames == 4 and im.size == (320, 240)
        im.seek(3)
        rgb = np.asarray(im.convert("RGB"))
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 20      # a picture, not a blank


def test_a_scene_frame_and_the_window_framing_show_both_tools():
    scene = load(ROOT / "scenes" / "dual_arm.toml")
    sim = build_simulation(scene)
    from armsim.cli import scene_camera
    camera = scene_camera(scene, sim)
    st = sim.step()
    px = render_tree(st, camera, SIZE)
    for k, t in enumerate(st.tools):
        c, _, front = camera.project(t.target[:3, 3], SIZE)
        assert front and 0 <= c[0] < SIZE[0] and 0 <= c[1] < SIZE[1]
        assert _has(_near(px, c, 14), tool_color(k))


def test_armsim_render_draws_a_robot_and_refuses_bad_input():
    robot = armsim.robots.load_robot("panda_hand")
    img = armsim.render(robot, size=(320, 240))
    assert img.size == (320, 240)
    assert len(np.unique(np.asarray(img).reshape(-1, 3), axis=0)) > 20
    with pytest.raises(ValueError, match=r"^q must have shape \(8,\): the values of "
                                         r"robot.joint_names, got shape \(3,\)$"):
        armsim.render(robot, np.zeros(3))
    with pytest.raises(ValueError, match=r"^target 'panda_tcp' must have shape \(3,\) or "
                                         r"\(4, 4\)"):
        armsim.render(robot, target={"panda_tcp": np.zeros(2)})
    mid = np.where(np.isfinite(robot.limits), robot.limits, 0.0).mean(axis=1)
    for kwargs, message in [
            (dict(q={"a": 1}), r"^q must be an array of numbers"),
            (dict(q=np.r_[np.nan, mid[1:]]), r"^q\[0\] must be a finite number, got nan$"),
            (dict(q=mid, target={"panda_tcp": np.ones((4, 4))}),
             r"^target 'panda_tcp': a homogeneous pose's bottom row must be \[0, 0, 0, 1\]"),
            (dict(q=mid, target={"panda_tcp": [1e7, 0, 0]}),
             r"^target\['panda_tcp'\] must be within \+-1e\+06 m"),
            (dict(q=mid, target={"panda_tcp": [1e300, 0, 0]}),     # past the solver's range too
             r"^target\['panda_tcp'\] must be within \+-1e\+06 m, got \[1e\+300"),
            (dict(q=mid, bogus_option=1), r"^unknown option 'bogus_option'; the options: "),
            # the line names the key that is no link (it said only what a target must be)
            (dict(q=mid, target={"nope": [0.3, 0, 0.5]}),
             r"^target of a robot: no link named 'nope'; tools: panda_tcp, "
             r"panda_leftfinger_tip, panda_rightfinger_tip$"),
            (dict(q=mid, target=[0.3, 0, 0.5]),
             r"^target of a robot: must be None or a dict from tool link to a \(3,\) position "
             r"or \(4, 4\) pose, not list; tools: panda_tcp, panda_leftfinger_tip, "
             r"panda_rightfinger_tip$")]:
        with pytest.raises(ValueError, match=message):
            armsim.render(robot, **kwargs)
    chain = armsim.robots.load("panda")
    with pytest.raises(ValueError, match=r"^unknown option 'bogus_option'; the options: "):
        armsim.render(chain, bogus_option=1)
    with pytest.raises(ValueError, match=r"^target must be within \+-1e\+06 m"):
        armsim.render(chain, target=[1e300, 0.0, 0.0])


@pytest.mark.parametrize("size", [(200, 150), (240, 160), (320, 200)])
def test_a_small_picture_s_panel_leaves_lines_out_rather_than_cover_the_robot(picture, size):
    """At 200x150 every corner's full panel met the robot (the panel took 60 % of the
    height: 20 of its 24 link origins and targets under it, 15 at 240x160, 8 at 320x200);
    it now leaves lines out from the end, down to two, until a corner is clear or covers
    least: at most one point under it (none from 320x200), and its first line still drawn."""
    robot, state, camera, _ = picture
    cam = OrbitCamera.framing(robot.reach, points=arm_points(state))
    on = render_tree(state, cam, size)
    off = render_tree(state, cam, size, show_panel=False)
    panel = np.any(on != off, axis=-1)
    assert panel.sum() > 300
    pts = np.vstack([state.link_p] + [t.target[:3, 3][None] for t in state.tools])
    xy = [(x, y) for x, y in np.floor(cam.project(pts, size)[0]).astype(int)
          if 0 <= x < size[0] and 0 <= y < size[1]]
    assert len(xy) == len(pts)
    assert sum(bool(panel[y, x]) for x, y in xy) <= (1 if size[0] < 320 else 0)


def test_the_robots_panel_never_covers_the_arrows_to_targets_off_the_picture():
    # only the chain's view kept clear of them: 1,030 of the arrows' 1,579 pixels hidden
    import armsim.view.tree3d as t3
    robot = armsim.robots.load_robot("dual_arm")
    targets = {t: np.array([100.0, 50.0, 3.0]) for t in robot.tips[:2]}
    off = np.asarray(armsim.render(robot, target=targets, show_panel=False, size=(320, 240)))
    on = np.asarray(armsim.render(robot, target=targets, show_panel=True, size=(320, 240)))
    draw, t3.draw_offscreen_arrow = t3.draw_offscreen_arrow, lambda *a, **k: None
    try:
        bare = np.asarray(armsim.render(robot, target=targets, show_panel=False,
                                        size=(320, 240)))
    finally:
        t3.draw_offscreen_arrow = draw
    arrows = np.any(off != bare, axis=-1)
    assert arrows.sum() > 500 and not np.any(arrows & np.any(on != off, axis=-1))


def test_the_panel_keeps_clear_of_the_hand(monkeypatch):
    """``--robot panda_hand`` at 640x480: the hand hangs near the bottom-left corner, its
    points 8 px from where the panel went (its frames and fingers, drawn about the points,
    ran under the panel).  No corner is 6 % of the shorter side clear of every point here,
    so the panel takes the corner they come least near: the bottom right, 24 px clear of
    the base's disk."""
    from armsim import cli
    from armsim.scene.document import loads
    from armsim.view import spatial
    from armsim.view.solids import tree_body_of
    scene = loads(cli.robot_scene("panda_hand"))
    sim = build_simulation(scene)
    camera = cli.scene_camera(scene, sim, 2)
    seen, boxes = [], []
    draw_panel, text_panel = spatial._draw_panel, spatial._text_panel

    def panel(surface, lines, arm_px, th, size, keep_out=()):
        seen.append(arm_px[np.all(np.isfinite(arm_px), axis=1)])
        return draw_panel(surface, lines, arm_px, th, size, keep_out)

    def box(surface, texts, at, wh, *rest):
        boxes.append((*at, *wh))
        return text_panel(surface, texts, at, wh, *rest)
    monkeypatch.setattr("armsim.view.tree3d._draw_panel", panel)
    monkeypatch.setattr(spatial, "_text_panel", box)
    render_tree(sim.step(), camera, (640, 480), body=tree_body_of(sim.chain))
    (pts,), ((x0, y0, w, h),) = seen, boxes

    def clearance(x, y):
        dx = np.maximum(np.maximum(x - pts[:, 0], pts[:, 0] - (x + w)), 0.0)
        dy = np.maximum(np.maximum(y - pts[:, 1], pts[:, 1] - (y + h)), 0.0)
        return float(np.hypot(dx, dy).min())
    m = min(x0, 640 - w - x0)                     # the margin: the box sits in a corner
    corners = {(x, y): clearance(x, y) for x in (m, 640 - w - m) for y in (m, 480 - h - m)}
    assert (x0, y0) in corners and corners[(x0, y0)] == max(corners.values())
    assert corners[(x0, y0)] > 20 and corners[(m, 480 - h - m)] < 10    # not bottom left
