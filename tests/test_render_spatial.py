"""The spatial view, judged by the pixels of real frames."""

import math

import numpy as np
import pytest

from armsim.ik.spatial_tracking import snapshot
from armsim.kinematics import robots
from armsim.kinematics.spatial import Joint, SpatialChain
from armsim.view import DEFAULT_THEME
from armsim.view import spatial as sp
from armsim.view.orbit import OrbitCamera
from armsim.view.spatial import AXIS_COLORS, joint_color, render_spatial

BG = np.array(DEFAULT_THEME.background)
SIZE = (480, 360)


def panda_state(**extra):
    chain = robots.load("panda")
    q = chain.clip(np.array([0.3, -0.4, 0.2, -1.8, 0.1, 1.6, 0.5]))
    target = chain.matrix(chain.clip(q + 0.25))
    trail = np.array([chain.tip_position(chain.clip(q * s)) for s in np.linspace(0.6, 1, 20)])
    return chain, snapshot(chain, q, target, trail=trail, method="dls", frame=7, **extra)


def non_background(img):
    return np.any(img != BG, axis=-1)


def test_a_panda_scene_renders_where_the_arm_projects():
    chain, state = panda_state()
    cam = OrbitCamera.framing(chain.reach)
    img = render_spatial(state, cam, SIZE, show_grid=False, show_panel=False)
    assert img.shape == (360, 480, 3) and img.dtype == np.uint8
    ink = non_background(img)
    assert ink.sum() > 500
    # every drawn pixel lies near the arm, its trail or its target
    pts = np.vstack([state.frames_p, state.trail, state.target[:3, 3][None]])
    px, _, _ = cam.project(pts, SIZE)
    lo, hi = px.min(axis=0) - 40, px.max(axis=0) + 40
    ys, xs = np.nonzero(ink)
    assert xs.min() >= lo[0] and xs.max() <= hi[0] and ys.min() >= lo[1] and ys.max() <= hi[1]
    # and every joint has ink on its projected pixel
    for x, y in np.floor(cam.project(state.origins, SIZE)[0]).astype(int):
        assert ink[y, x]


def test_the_tool_lands_on_its_projected_pixel():
    chain, state = panda_state()
    for az in (35, 160, 290):
        cam = OrbitCamera.framing(chain.reach, azimuth_deg=az)
        img = render_spatial(state, cam, SIZE)
        x, y = np.floor(cam.project(state.tool[:3, 3], SIZE)[0]).astype(int)
        assert tuple(img[y, x]) == DEFAULT_THEME.tip, az


def crossing_state():
    """Link A (joint 0's, along y at x = 0, z = 0.5) and link C (joint 2's, along z at
    x = 0.5, y = 0): seen along the x axis they cross at the image of (., 0, 0.5)."""
    joints = [Joint("a", "continuous", xyz=(0, -0.5, 0.5)),
              Joint("b", "continuous", xyz=(0, 1.0, 0)),
              Joint("c", "continuous", xyz=(0.5, -0.5, -0.5))]
    chain = SpatialChain(joints, tool_xyz=(0, 0, 1.0))
    state = snapshot(chain, np.zeros(3), [0.5, 0.0, 1.0])
    np.testing.assert_allclose(state.frames_p, [[0, 0, 0], [0, -0.5, 0.5], [0, 0.5, 0.5],
                                                [0.5, 0, 0], [0.5, 0, 1]], atol=1e-12)
    return state


def colour_at(img, cam, p):
    x, y = np.floor(cam.project(p, SIZE)[0]).astype(int)
    return tuple(int(v) for v in img[y, x])


def test_the_near_link_covers_the_far_one_from_either_side():
    state = crossing_state()
    cam = OrbitCamera(0, 0, 3.0, (0.25, 0, 0.5), 60)
    # the skeleton's links (flat, in their joints' colours); the solids' painter's order:
    # tests/test_render_solids.py
    options = dict(show_panel=False, show_jacobian=False, show_solids=False)
    crossing = np.array([0.25, 0.0, 0.5])          # between the links, on the line of sight
    for turn, near, far in ((0, (0.5, 0, 0.8), (0, -0.3, 0.5)),
                            (180, (0, -0.3, 0.5), (0.5, 0, 0.8))):
        cam.reset()
        cam.orbit(turn, 0)
        img = render_spatial(state, cam, SIZE, **options)
        near_c, far_c = colour_at(img, cam, near), colour_at(img, cam, far)
        assert near_c != far_c and near_c != tuple(BG) and far_c != tuple(BG)
        assert colour_at(img, cam, crossing) == near_c, turn
    # the colours are the links' own: C = joint 2's, A = joint 0's
    cam.reset()
    img = render_spatial(state, cam, SIZE, **options)
    c = np.array(colour_at(img, cam, (0.5, 0, 0.8)))
    a = np.array(colour_at(img, cam, (0, -0.3, 0.5)))
    assert np.abs(c - sp.shade(joint_color(2), 0.0, BG)).max() < 80
    assert np.abs(c - joint_color(2)).sum() < np.abs(c - joint_color(0)).sum()
    assert np.abs(a - joint_color(0)).sum() < np.abs(a - joint_color(2)).sum()


def test_an_orbit_changes_the_picture_and_reset_restores_it_bit_for_bit():
    chain, state = panda_state()
    cam = OrbitCamera.framing(chain.reach)
    before = render_spatial(state, cam, SIZE)
    cam.orbit(40, 10)
    cam.zoom(0.8)
    cam.pan(12, 5, SIZE)
    moved = render_spatial(state, cam, SIZE)
    assert np.sum(np.any(moved != before, axis=-1)) > 1000
    cam.reset()
    assert render_spatial(state, cam, SIZE).tobytes() == before.tobytes()


def test_rendering_is_deterministic():
    chain, state = panda_state()
    cam = OrbitCamera.framing(chain.reach)
    a = render_spatial(state, cam, (640, 400))
    sp._GRID_CACHE.clear()
    sp._TEXT_CACHE.clear()
    _, state2 = panda_state()
    b = render_spatial(state2, OrbitCamera.framing(chain.reach), (640, 400))
    assert a.tobytes() == b.tobytes()


def test_jacobian_arrows_are_drawn_at_the_stated_scale_in_joint_colours():
    chain, state = panda_state()
    cam = OrbitCamera.framing(chain.reach)
    big = (960, 720)
    on = render_spatial(state, cam, big, show_panel=False)
    off = render_spatial(state, cam, big, show_panel=False, show_jacobian=False)
    changed = np.any(on != off, axis=-1)
    assert changed.sum() > 50
    # the arrow of the longest column ends where the scale says
    j = int(np.argmax(np.linalg.norm(state.jacobian[:3], axis=0)))
    end = state.tool[:3, 3] + sp.JACOBIAN_SCALE * state.jacobian[:3, j]
    x, y = np.floor(cam.project(end, big)[0]).astype(int)
    patch = on[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).astype(int)
    assert np.any(np.abs(patch - joint_color(j)).max(axis=1) <= 2)


def test_the_panel_states_the_scale_and_never_covers_the_arm():
    chain, state = panda_state()
    lines = [s for s, _ in sp._panel_lines(state, True, sp.JACOBIAN_SCALE, DEFAULT_THEME)]
    assert "arrows: dp/dq, 0.3 m per m/rad" in lines
    assert f"error {state.error * 1000:.1f} mm" in lines
    assert f"orientation {math.degrees(state.orientation_error):.1f} deg" in lines
    for az in (0, 90, 180, 270):
        cam = OrbitCamera.framing(chain.reach, azimuth_deg=az)
        cam.pan(-150, -110, SIZE)                # push the arm into the top-left corner
        on = render_spatial(state, cam, SIZE)
        off = render_spatial(state, cam, SIZE, show_panel=False)
        panel = np.any(on != off, axis=-1)
        assert panel.sum() > 500
        pts = np.vstack([state.frames_p, state.target[:3, 3][None]])
        for x, y in np.floor(cam.project(pts, SIZE)[0]).astype(int):
            if 0 <= x < SIZE[0] and 0 <= y < SIZE[1]:
                assert not panel[y, x], (az, x, y)



@pytest.mark.parametrize("size", [(500, 300), (300, 200), (640, 400)])
def test_the_panel_stays_inside_and_off_the_live_plot(size, monkeypatch):
    # the window's live plot (the bottom-right corner) was drawn over the panel when the arm
    # left that corner the freest (--robot panda --size 500x300, key l)
    import pygame
    chain, state = panda_state()
    W, H = size
    plot = pygame.Rect(W - int(0.34 * W) - 6, H - int(0.30 * H) - 6, int(0.34 * W),
                       int(0.30 * H))
    lines = sp._panel_lines(state, True, sp.JACOBIAN_SCALE, DEFAULT_THEME)
    arm = np.array([[0.1 * W, 0.1 * H], [0.9 * W, 0.1 * H], [0.1 * W, 0.9 * H],
                    [0.15 * W, 0.85 * H], [0.85 * W, 0.15 * H]])   # every corner but one
    boxes = []
    monkeypatch.setattr(sp, "_text_panel", lambda surf, texts, corner, box, *a: boxes.append(
        pygame.Rect(corner, box)) or corner[1])
    surface = pygame.Surface(size)
    sp._draw_panel(surface, lines, arm, DEFAULT_THEME, size)
    sp._draw_panel(surface, lines, arm, DEFAULT_THEME, size, keep_out=(plot,))
    free, kept = boxes
    assert free.colliderect(plot)                  # the freest corner: the plot's
    assert not kept.colliderect(plot)
    for box in boxes:                              # inside the picture, whatever its width
        assert box.left >= 0 and box.right <= W and box.top >= 0 and box.bottom <= H

def test_text_and_lines_scale_with_the_surface():
    chain, state = panda_state()
    heights = []
    for size in ((480, 360), (1280, 800)):
        cam = OrbitCamera.framing(chain.reach)
        on = render_spatial(state, cam, size)
        off = render_spatial(state, cam, size, show_panel=False)
        ys = np.nonzero(np.any(on != off, axis=-1))[0]
        heights.append(ys.max() - ys.min())
    # issue 23: text follows one type scale of the size with an 11 px floor (a 480x360
    # picture's panel is no scaled-down copy: it wraps its lines), so it grows, less than 2.2x
    from armsim.view.style import type_scale
    assert heights[1] >= heights[0] and type_scale(1280, 800).body > type_scale(480, 360).body


def test_tool_frame_axes_are_red_green_blue_along_the_tool_axes():
    chain, state = panda_state()
    cam = OrbitCamera.framing(chain.reach)
    big = (1280, 800)
    img = render_spatial(state, cam, big, show_jacobian=False, show_panel=False)
    o = state.tool[:3, 3]
    for k in range(3):
        mid = o + 0.6 * 0.07 * state.reach * state.tool[:3, k]
        x, y = np.floor(cam.project(mid, big)[0]).astype(int)
        patch = img[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).astype(int)
        assert np.any(np.all(patch == AXIS_COLORS[k], axis=1)), k


def test_limit_arcs_show_the_allowed_range():
    chain, state = panda_state()
    cam = OrbitCamera.framing(chain.reach)
    on = render_spatial(state, cam, (960, 720), show_panel=False)
    off = render_spatial(state, cam, (960, 720), show_panel=False, show_limits=False)
    changed = on[np.any(on != off, axis=-1)].astype(int)
    assert len(changed) > 100
    assert np.any(np.all(changed == sp._LIMIT, axis=1))
    # a chain of continuous joints has no limits to draw
    state = crossing_state()
    cam = OrbitCamera(0, 0, 3.0, (0.25, 0, 0.5), 60)
    a = render_spatial(state, cam, SIZE, show_limits=True)
    b = render_spatial(state, cam, SIZE, show_limits=False)
    assert a.tobytes() == b.tobytes()


def test_distinct_joint_colours_for_twenty_joints():
    colours = {joint_color(j) for j in range(20)}
    assert len(colours) == 20


def test_a_camera_inside_the_scene_still_draws_what_is_in_front():
    chain, state = panda_state()
    # the eye sits between the base and the tool, looking at the tool: the base is behind
    tool = state.tool[:3, 3]
    u = tool / np.linalg.norm(tool)
    az, el = math.degrees(math.atan2(-u[1], -u[0])), math.degrees(math.asin(-u[2]))
    cam = OrbitCamera(az, el, 0.3, tool, 60)
    assert not cam.project(np.zeros(3), SIZE)[2]
    img = render_spatial(state, cam, SIZE)
    x, y = np.floor(cam.project(tool, SIZE)[0]).astype(int)
    assert tuple(img[y, x]) == DEFAULT_THEME.tip
