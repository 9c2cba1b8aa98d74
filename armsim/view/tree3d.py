"""Drawing one frame of a whole robot (a kinematic tree) in perspective.

:func:`draw_tree` paints a :class:`~armsim.ik.tree_tracking.TreeState` seen by an
:class:`~armsim.view.orbit.OrbitCamera` onto any ``pygame.Surface``; :func:`render_tree`
paints it off screen and returns the pixels.  The window and the GIF share it.

The picture, back to front: background, floor grid, the base disk, each tool's trail; the
robot: every segment (a link's parent origin to its origin, ``robot.segments``) as a shaded
cylinder and every movable joint as a housing along its axis, painted far to near with
the chains' solids (:mod:`armsim.view.solids`; ``show_solids=False``: flat capsules and
joint disks instead), each joint's axis as a thin line; then per tool, in its own colour
(:func:`tool_color`, the same for the tool and its target): the waypoints, the line from
the tool to its target, the target (a ring and crosshair; a pose target also its frame),
the tool's frame (x red, y green, z blue) and a dot on it; a panel listing each tool's
errors in its colour (position [mm], orientation [deg], "out of reach" when no pose of its
chain comes nearer than ``best``), in the corner the robot covers least.  ``obstacles`` (the
dicts of :func:`armsim.ik.tracking.shapes`) are drawn as a chain's
(:mod:`armsim.view.obstacles3d`): those farther from the camera than the robot's middle
before it, the others after it; the panel then states the smallest clearance.
"""

from __future__ import annotations

import math
import os

import numpy as np

from armsim.view.obstacles3d import draw_obstacles_3d, obstacle_depths
from armsim.view.offscreen import draw_offscreen_arrow
from armsim.view.orbit import OrbitCamera
from armsim.view.solids import GENERIC, LOOKS, SIDES, _cylinder, _frame_between, _sphere, \
    draw_solids
from armsim.view.spatial import (_draw_frame, _draw_panel, _grid, _ipx, _mix, _shades)
from armsim.view.style import DEFAULT_THEME, Theme, _check_size, _font, scaled_theme, type_scale

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

__all__ = ["draw_tree", "render_tree", "tool_color", "TOOL_COLORS", "tree_parts",
           "TREE_OPTIONS", "look_of"]

#: the tools' colours, in the order of the state's tools (cycled): orange, cyan, magenta,
#: yellow, lime, pink; far from the robot's greys and from the frames' red, green, blue
TOOL_COLORS = ((255, 140, 0), (0, 200, 255), (230, 60, 230), (250, 225, 40),
               (140, 240, 60), (255, 120, 160))
#: the skeleton's (``show_solids=False``) link radius, a fraction of the solids' (a chain's
#: skeleton is as thin: at the solids' own, a dual arm's joints were rings a link wide)
SKELETON = 0.4
#: the options :func:`draw_tree` takes (the window and the GIF pass theirs through)
TREE_OPTIONS = ("theme", "show_trail", "show_panel", "show_grid", "show_solids",
                "show_waypoints", "keep_out", "body", "obstacles")


def tool_color(k: int):
    """The colour of tool ``k`` (0 = first) and of its target."""
    return TOOL_COLORS[int(k) % len(TOOL_COLORS)]


def look_of(state):
    """The :class:`~armsim.view.solids.Look` of a robot by its name: a shipped look whose
    name starts it (``panda_hand`` is a Panda), the Panda's for ``dual_arm`` (two Panda
    arms), else the generic one."""
    name = str(getattr(state, "name", "") or "")
    if name == "dual_arm":
        return LOOKS["panda"]
    for key, look in LOOKS.items():
        if name == key or name.startswith(key + "_"):
            return look
    return GENERIC


def _radius(state, look, reach):
    """The drawn link radius [m]: ``look.radius`` x reach, at most 0.3 x the median
    segment length (a hand's short links stay thin)."""
    p = np.asarray(state.link_p, dtype=float)
    segs = np.asarray(state.segments, dtype=int).reshape(-1, 2)
    lengths = np.linalg.norm(p[segs[:, 1]] - p[segs[:, 0]], axis=1) if len(segs) else np.zeros(0)
    lengths = lengths[np.isfinite(lengths) & (lengths > 1e-9)]
    r = look.radius * reach
    return min(r, 0.3 * float(np.median(lengths))) if len(lengths) else r


def tree_parts(state, look, reach, body=None):
    """The robot as solids in the world: (vertices (V, 3), faces (F, K), colour) per
    segment (a cylinder) and per movable joint (its housing along the axis; a sphere for a
    rounded look); with a ``body`` that has the URDF's visuals (:func:`tree_body_of`), those
    on their links, a cylinder for each segment to a link that has none and, when the root
    link has none, for each segment from it (a chain's bare base is drawn as its post)."""
    p = np.asarray(state.link_p, dtype=float)
    r = _radius(state, look, reach)
    parts = []
    meshes = [] if body is None else body._meshes
    has = any(meshes)
    if has:
        R = np.asarray(state.link_R, dtype=float)
        for k, items in enumerate(meshes[:len(p)]):
            for v, f, c in items:
                parts.append((v @ R[k].T + p[k], f, c))
    def bare(k):
        return not (k < len(meshes) and meshes[k])
    segments = [(int(i), int(j)) for i, j in state.segments]
    roots = set(range(len(p))) - {j for _, j in segments}
    for i, j in segments:
        # a segment is the cylinder to its link; a bare root's (it has none to it) are
        # the cylinders from it, as a chain's bare base is its post to the first joint
        if has and not bare(j) and not (i in roots and bare(i)):
            continue
        a, b = p[i], p[j]
        length = float(np.linalg.norm(b - a))
        if not (np.isfinite(length) and length > 1e-9):
            continue
        T = _frame_between(a, b)
        T[:3, :2] *= r
        v, f = _cylinder(SIDES, int(min(12, max(1, length // (1.5 * r)))))
        parts.append((v @ T[:3, :3].T + T[:3, 3], f, look.link))
    if has:                     # the visuals hold the joints' housings
        return parts
    rh, hl = look.housing_radius * r, look.housing_length * r
    cv, cf = _cylinder()
    sv, sf = _sphere()
    for o, a in zip(np.asarray(state.origins, float).reshape(-1, 3),
                    np.asarray(state.axes, float).reshape(-1, 3)):
        if not (np.all(np.isfinite(o)) and np.all(np.isfinite(a))):
            continue
        if look.rounded:
            parts.append((sv * rh + o, sf, look.housing))
            continue
        T = _frame_between(o - 0.5 * hl * a, o + 0.5 * hl * a)
        T[:3, :2] *= rh
        parts.append((cv @ T[:3, :3].T + T[:3, 3], cf, look.housing))
    return parts


def _draw_skeleton(surface, state, camera, size, th, reach, r_world):
    """The segments as flat capsules and the joints as disks, far to near."""
    p = np.asarray(state.link_p, dtype=float)
    segs = np.asarray(state.segments, dtype=int).reshape(-1, 2)
    pa, pb, za, zb, vis = camera.project_segments(p[segs[:, 0]], p[segs[:, 1]], size)
    o = np.asarray(state.origins, float).reshape(-1, 3)
    jp, jd, jf = camera.project(o, size)
    depth = np.concatenate([0.5 * (za + zb), jd - 1.5 * r_world])
    ok = np.concatenate([vis, jf])
    near = camera.distance - reach
    t = (depth - near) / max(2 * reach, 1e-9)
    colors = _shades(np.array([th.base] * len(segs) + [th.joint_fill] * len(o)).reshape(-1, 3),
                     t, th.background)
    rings = _shades(np.broadcast_to(np.asarray(th.joint), (len(t), 3)), t, th.background)
    f = camera.focal_px(size)
    radius = np.minimum(0.06 * min(size), np.maximum(1.0, f * r_world
                                                     / np.maximum(depth, camera.near)))
    for k in np.lexsort((np.arange(len(depth)), -depth)):
        if not ok[k] or not np.isfinite(radius[k]):
            continue
        ri = max(1, int(round(radius[k])))
        if k < len(segs):
            if np.all(np.isfinite(pa[k])) and np.all(np.isfinite(pb[k])):
                pygame.draw.line(surface, colors[k], _ipx(pa[k]), _ipx(pb[k]), 2 * ri)
                pygame.draw.circle(surface, colors[k], _ipx(pa[k]), ri)
                pygame.draw.circle(surface, colors[k], _ipx(pb[k]), ri)
        elif np.all(np.isfinite(jp[k - len(segs)])):
            # a joint: a dark disk in a light ring (as a chain's skeleton draws it)
            rj = max(2, int(1.35 * ri))
            pygame.draw.circle(surface, colors[k], _ipx(jp[k - len(segs)]), rj)
            pygame.draw.circle(surface, rings[k], _ipx(jp[k - len(segs)]), rj, max(1, rj // 4))
    return camera.project(p, size)[0]


def _panel_lines(state, th):
    lines = []
    title = getattr(state, "label", "") or getattr(state, "name", "")
    if title:
        lines.append((f"{title}: {len(state.tools)} tool{'s' if len(state.tools) != 1 else ''}",
                      th.text))
    for k, t in enumerate(state.tools):
        e = float(t.error)
        if not np.all(np.isfinite(np.asarray(t.target, float))):     # a picture's bare tip
            lines.append((f"{t.link}: no target", tool_color(k)))
            continue
        words = f"{t.link}: {e * 1000:.1f} mm" if math.isfinite(e) else f"{t.link}: ?"
        if t.kind == "pose":
            o = math.degrees(float(t.orientation_error))
            words += f", {o:.1f} deg" if math.isfinite(o) else ", ? deg"
        lines.append((words, tool_color(k)))
        if t.out_of_reach:
            lines.append((f"  {t.link} out of reach (at least {float(t.best) * 1000:.0f} mm "
                          f"short)", th.warning))
    method = state.method or "-"
    if state.correction:
        method += f" + {state.correction}"
    lines.append((f"method {method}", th.text))
    lines.append((f"frame {int(state.frame)}", th.text))
    clear = getattr(state, "clearance", None)
    if clear is not None:               # as a chain's panel says it
        c = float(clear)
        lines.append((f"clearance {c * 1000:.1f} mm" if math.isfinite(c) else "clearance ?",
                      th.warning if math.isfinite(c) and c < 0 else th.text))
    if getattr(state, "restarted", False):
        lines.append(("restarted (the solver was stuck; new starts found a better pose)",
                      th.warning))
    if getattr(state, "stalled", False):
        lines.append(("stalled", th.warning))
    return lines


def draw_tree(surface, state, camera: OrbitCamera, *, theme: Theme = DEFAULT_THEME,
              show_trail=True, show_panel=True, show_grid=True, show_solids=True,
              show_waypoints=True, keep_out=(), body=None, obstacles=()) -> None:
    """Paint ``state`` (a :class:`~armsim.ik.tree_tracking.TreeState`) as ``camera`` sees
    it onto ``surface`` (the whole surface is the viewport); see the module's docstring."""
    size = surface.get_size()
    th = scaled_theme(theme, size)
    lw = max(1, th.line_width)
    reach = float(state.reach)
    if not (math.isfinite(reach) and reach > 0):
        reach = 1.0
    surface.fill(th.background)
    if show_grid:
        grid, axis_c = _mix(th.background, th.text, 0.13), _mix(th.background, th.text, 0.3)
        for a, b, is_axis in _grid(camera, size, reach):
            pygame.draw.line(surface, axis_c if is_axis else grid, a, b, 1)
    look = look_of(state)
    r_world = _radius(state, look, reach)
    ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    root = np.asarray(state.link_p, float)[0]
    rb = 4.0 * r_world
    disk = root * [1.0, 1.0, 0.0] + np.stack([rb * np.cos(ang), rb * np.sin(ang), 0 * ang], 1)
    d_px, _, d_front = camera.project(disk, size)
    if d_front.all() and np.all(np.isfinite(d_px)):
        pygame.draw.polygon(surface, _mix(th.background, th.base, 0.6), _ipx(d_px))
    tools = list(state.tools)
    if show_trail:
        for k, t in enumerate(tools):
            trail = np.asarray(t.trail, float).reshape(-1, 3)
            trail = trail[np.all(np.isfinite(trail), axis=1)]
            if len(trail) >= 2:
                pa, pb, _, _, vis = camera.project_segments(trail[:-1], trail[1:], size)
                color = _mix(tool_color(k), th.background, 0.45)
                pa, pb = _ipx(pa), _ipx(pb)
                for i in np.flatnonzero(vis):
                    pygame.draw.line(surface, color, pa[i], pb[i], lw)
    obstacles = list(obstacles or ())
    if obstacles:                       # far ones behind the robot, near ones over it
        depth = obstacle_depths(obstacles, camera)
        lp = np.asarray(state.link_p, float).reshape(-1, 3)
        middle = float(np.nanmean(camera.to_camera(lp)[:, 2])) if len(lp) else 0.0
        order = np.argsort(-depth, kind="stable")
        draw_obstacles_3d(surface, [obstacles[k] for k in order if depth[k] >= middle],
                          camera, th, size)
    if show_solids:
        robot_px = draw_solids(surface, tree_parts(state, look, reach, body), camera, size)
        o = np.asarray(state.origins, float).reshape(-1, 3)
        a = np.asarray(state.axes, float).reshape(-1, 3)
        half = 0.75 * look.housing_length * r_world
        pa, pb, _, _, vis = camera.project_segments(o - half * a, o + half * a, size)
        ok = vis & np.all(np.isfinite(pa) & np.isfinite(pb), axis=1)
        pa, pb = _ipx(pa), _ipx(pb)
        for i in np.flatnonzero(ok):
            pygame.draw.line(surface, th.joint, pa[i], pb[i], 1)
    else:
        robot_px = _draw_skeleton(surface, state, camera, size, th, reach, SKELETON * r_world)
    if obstacles:
        draw_obstacles_3d(surface, [obstacles[k] for k in order if depth[k] < middle],
                          camera, th, size)
    frame_len = 0.07 * reach
    keep_clear = [robot_px.reshape(-1, 2)]
    arrows = []             # the rectangles of the arrows to targets off the picture
    for k, t in enumerate(tools):
        color = tool_color(k)
        tool, target = np.asarray(t.frame, float), np.asarray(t.target, float)
        wp = np.asarray(t.waypoints, float).reshape(-1, 3)
        reached = np.asarray(t.reached, bool).reshape(-1)
        if show_waypoints and len(wp):
            w_px, _, w_front = camera.project(wp, size)
            rw = max(2, th.joint_radius // 2)
            for i in range(len(wp)):
                if w_front[i] and np.all(np.isfinite(w_px[i])):
                    filled = i < len(reached) and reached[i]
                    pygame.draw.circle(surface, color, _ipx(w_px[i]), rw, 0 if filled else 1)
        if not np.all(np.isfinite(tool)):
            continue
        aimed = bool(np.all(np.isfinite(target)))      # (a picture may have no target)
        if aimed:
            pa, pb, _, _, vis = camera.project_segments(tool[:3, 3], target[:3, 3], size)
            if vis:
                pygame.draw.line(surface, _mix(color, th.background, 0.3), _ipx(pa), _ipx(pb), 1)
        t_px, _, t_front = camera.project(target[:3, 3] if aimed else tool[:3, 3], size)
        if aimed and t_front:
            c = _ipx(t_px)
            keep_clear.append(np.asarray(t_px, float).reshape(1, 2))
            r = th.target_radius
            pygame.draw.circle(surface, color, c, r, max(2, lw))
            arm = r + 3 * lw
            pygame.draw.line(surface, color, (c[0] - arm, c[1]), (c[0] + arm, c[1]), max(1, lw))
            pygame.draw.line(surface, color, (c[0], c[1] - arm), (c[0], c[1] + arm), max(1, lw))
            if t.kind == "pose":
                _draw_frame(surface, camera, size, target, frame_len, lw, 0.35, th.background)
        if aimed:
            far = float(np.linalg.norm(target[:3, 3] - tool[:3, 3]))
            arrow = draw_offscreen_arrow(surface, camera, target[:3, 3], color, scale=lw,
                                         label=f"{t.link}'s target, {far:.2f} m from it",
                                         font=_font(type_scale(*size).small),
                                         backing=th.panel)
            if arrow:           # the panel keeps clear of it and its label
                arrows.append(arrow)
        _draw_frame(surface, camera, size, tool, frame_len, 2 * lw)
        p_px, _, p_front = camera.project(tool[:3, 3], size)
        if p_front and np.all(np.isfinite(p_px)):
            pygame.draw.circle(surface, color, _ipx(p_px), max(2, th.joint_radius // 2 + 1))
    if show_panel:
        _draw_panel(surface, _panel_lines(state, th), np.vstack(keep_clear), th, size,
                    tuple(keep_out) + tuple(arrows))


def render_tree(state, camera: OrbitCamera, size=(480, 360), **options) -> np.ndarray:
    """``state`` drawn off screen at ``size`` = (w, h): an RGB array (h, w, 3) uint8;
    ``options`` those of :func:`draw_tree`."""
    w, h = _check_size(size)
    surface = pygame.Surface((w, h), 0, 24)
    draw_tree(surface, state, camera, **{k: v for k, v in options.items() if k in TREE_OPTIONS})
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).swapaxes(0, 1))
