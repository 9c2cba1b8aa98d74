"""Drawing one round of the visual problem in 3D (the window and the GIF can share it).

:func:`draw_calibration_spatial` paints a
:class:`~armsim.vision.spatial_run.SpatialCalibrationState` seen by an
:class:`~armsim.view.orbit.OrbitCamera` onto any ``pygame.Surface``;
:func:`render_calibration_spatial` paints it off screen and returns the pixels;
:func:`export_gif` writes a 3D calibration scene's GIF.

The picture, back to front: background and floor grid (as :mod:`armsim.view.spatial`);
the hidden reference robot at the commanded pose shown (thick links in the joint colours
of :func:`~armsim.view.spatial.joint_color`, joint disks); every candidate at the same
pose (thin lines, green; red for those the genetic algorithm replaces next); the true
cameras as frusta (the apex, a filled disk, at the optical centre; the image rectangle at
:data:`FRUSTUM_DEPTH`); then one inset per camera along the bottom edge showing what it
sees: its image rectangle scaled to the inset, the observed pixels as dots and the best
candidate's projections over them as rings; a text line at the top.
"""

from __future__ import annotations

import math
import os

import numpy as np

from armsim.ranges import VIEW_CENTER, VIEW_DISTANCE, VIEW_FOV_DEG
from armsim.view.orbit import OrbitCamera
from armsim.view.spatial import AXIS_COLORS, _grid, _ipx, _mix, _text, joint_color
from armsim.view.style import DEFAULT_THEME, Theme, _check_size, scaled_theme

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

__all__ = ["draw_calibration_spatial", "render_calibration_spatial", "framing", "frustum",
           "inset_rects", "inset_pixels", "export_gif", "CANDIDATE", "DOOMED", "CAMERA",
           "OBSERVED", "FRUSTUM_DEPTH", "RING"]

CANDIDATE = AXIS_COLORS[1]           # green
DOOMED = AXIS_COLORS[0]              # red
CAMERA = (235, 200, 80)
OBSERVED = (255, 255, 255)
#: the image rectangle of a drawn frustum is this far along the optical axis [m]
FRUSTUM_DEPTH = 0.25
#: radius of the rings of the best candidate's projections in an inset [px]
RING = 4
#: an inset's width as a fraction of the picture's width (at most)
INSET_FRACTION = 0.3


def framing(state, azimuth_deg=-60.0, elevation_deg=25.0, fov_deg=45.0) -> OrbitCamera:
    """A view of the robot and the cameras: it looks at the middle of their bounding box,
    lowered by a quarter of their radius (the insets take the bottom of the picture), from
    far enough that a sphere of that radius fits the shorter side (the distance and the
    centre clamped into their ranges, :data:`armsim.ranges.VIEW_DISTANCE` and
    :data:`~armsim.ranges.VIEW_CENTER`, however large or small the scene)."""
    pts = np.vstack([_polyline(state.reference),
                     np.asarray(state.camera_positions, float).reshape(-1, 3)])
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if not len(pts):
        return OrbitCamera.framing(1.0)
    centre = 0.5 * (pts.min(axis=0) + pts.max(axis=0))
    radius = max(float(np.linalg.norm(pts - centre, axis=1).max()), 0.1)
    centre = centre - np.array([0.0, 0.0, 0.25 * radius])
    fov_deg = VIEW_FOV_DEG.check("view.fov_deg", fov_deg)
    distance = VIEW_DISTANCE.clamp(1.1 * radius / math.sin(math.radians(fov_deg) / 2))
    centre = [VIEW_CENTER.clamp(c, fallback=0.0) for c in centre]
    return OrbitCamera(azimuth_deg, elevation_deg, distance, centre, fov_deg)


def frustum(rotation, position, intrinsics, depth=FRUSTUM_DEPTH):
    """Apex (3,) and the four image corners (4, 3) [m] at ``depth`` along the optical axis
    (corners in image order: top left, top right, bottom right, bottom left)."""
    k = intrinsics
    R, c = np.asarray(rotation, float), np.asarray(position, float)
    u = np.array([-0.5, k.width - 0.5, k.width - 0.5, -0.5])
    v = np.array([-0.5, -0.5, k.height - 0.5, k.height - 0.5])
    local = np.stack([(u - k.cx) / k.fx * depth, (v - k.cy) / k.fy * depth,
                      np.full(4, depth)], axis=1)
    return c, c + local @ R.T


def inset_rects(state, size) -> list:
    """The inset of every camera, ``pygame.Rect`` each: side by side along the bottom edge,
    each of its camera's aspect ratio."""
    w, h = size
    count = len(state.intrinsics)
    margin = max(4, min(w, h) // 60)
    width = min(int(INSET_FRACTION * w), (w - (count + 1) * margin) // max(count, 1))
    rects = []
    x = margin
    for k in state.intrinsics:
        iw = max(8, width)
        ih = max(6, int(round(iw * k.height / k.width)))
        if ih > h // 3:
            ih = max(6, h // 3)
            iw = max(8, int(round(ih * k.width / k.height)))
        rects.append(pygame.Rect(x, h - margin - ih, iw, ih))
        x += iw + margin
    return rects


def inset_pixels(rect, intrinsics, pixels):
    """Camera pixels (..., 2) as picture pixels (..., 2) inside ``rect`` (floats; the image
    ``[-0.5, width - 0.5) x [-0.5, height - 0.5)`` maps onto the rect)."""
    p = np.asarray(pixels, dtype=float)
    out = np.empty_like(p)
    out[..., 0] = rect.x + (p[..., 0] + 0.5) * rect.w / intrinsics.width
    out[..., 1] = rect.y + (p[..., 1] + 0.5) * rect.h / intrinsics.height
    return out


def _polyline(points):
    """Base (the world origin), then the joint origins and the tool point."""
    return np.vstack([np.zeros((1, 3)), np.asarray(points, dtype=float).reshape(-1, 3)])


def _draw_lines(surface, camera, size, pts, colors, width):
    pa, pb, _, _, vis = camera.project_segments(pts[:-1], pts[1:], size)
    ok = vis & np.all(np.isfinite(pa) & np.isfinite(pb), axis=1)
    pa, pb = _ipx(pa), _ipx(pb)
    for i in np.flatnonzero(ok):
        pygame.draw.line(surface, colors[i], pa[i], pb[i], width)


def draw_calibration_spatial(surface, state, camera: OrbitCamera | None = None, *,
                             theme: Theme = DEFAULT_THEME, show_panel=True) -> OrbitCamera:
    """Paint ``state`` as ``camera`` sees it (default :func:`framing`) onto ``surface``;
    returns the camera used."""
    size = surface.get_size()
    camera = framing(state) if camera is None else camera
    th = scaled_theme(theme, size)
    lw = max(1, th.line_width)
    surface.fill(th.background)
    reach = float(np.linalg.norm(np.asarray(state.reference, float), axis=-1).max())
    reach = reach if math.isfinite(reach) and reach > 1e-9 else 1.0
    grid, axis_c = _mix(th.background, th.text, 0.13), _mix(th.background, th.text, 0.3)
    for a, b, is_axis in _grid(camera, size, reach):
        pygame.draw.line(surface, axis_c if is_axis else grid, a, b, 1)
    # the hidden reference: thick links in the joint colours, joint disks
    ref = _polyline(state.reference)
    colors = [th.base] + [joint_color(j, th) for j in range(len(ref) - 2)]
    _draw_lines(surface, camera, size, ref, colors, max(2, 3 * lw))
    j_px, _, j_front = camera.project(ref[1:], size)
    rj = max(2, th.joint_radius // 2)
    for p, front in zip(_ipx(j_px), j_front):
        if front:
            pygame.draw.circle(surface, th.joint_fill, p, rj)
            pygame.draw.circle(surface, th.joint, p, rj, 1)
    # the candidates: thin, green (red: replaced at the next generation)
    for cand, doomed in zip(state.candidates, state.doomed):
        pts = _polyline(cand)
        color = DOOMED if doomed else CANDIDATE
        _draw_lines(surface, camera, size, pts, [color] * (len(pts) - 1), 1)
    # the cameras: frusta, apex at the optical centre
    for R, c, k in zip(state.camera_rotations, state.camera_positions, state.intrinsics):
        apex, corners = frustum(R, c, k)
        px, _, front = camera.project(np.vstack([apex, corners]), size)
        if not np.all(front) or not np.all(np.isfinite(px)):
            continue
        ipx = _ipx(px)
        for i in range(4):
            pygame.draw.line(surface, CAMERA, ipx[0], ipx[1 + i], 1)
            pygame.draw.line(surface, CAMERA, ipx[1 + i], ipx[1 + (i + 1) % 4], 1)
        pygame.draw.circle(surface, CAMERA, ipx[0], max(2, lw + 1))
    # what every camera sees
    best = int(state.best)
    for cam, (rect, k) in enumerate(zip(inset_rects(state, size), state.intrinsics)):
        pygame.draw.rect(surface, th.panel, rect)
        pygame.draw.rect(surface, CAMERA, rect, 1)
        seen = np.asarray(state.seen[cam], dtype=bool)
        obs = inset_pixels(rect, k, state.observed[cam])
        proj = inset_pixels(rect, k, state.projected[best, cam])
        clip = surface.get_clip()
        surface.set_clip(rect)
        for p, s in zip(obs, seen):
            if s and np.all(np.isfinite(p)):
                pygame.draw.circle(surface, OBSERVED, (int(math.floor(p[0])), int(math.floor(p[1]))), 2)
        for p, s in zip(proj, seen):
            if s and np.all(np.isfinite(p)) and np.all(np.abs(p) < 1e6):
                pygame.draw.circle(surface, CANDIDATE, (int(math.floor(p[0])), int(math.floor(p[1]))), RING, 1)
        surface.set_clip(clip)
    if show_panel:
        rms = math.sqrt(state.best_loss) if math.isfinite(state.best_loss) and state.best_loss >= 0 \
            else float("nan")
        line = (f"round {state.round}  {state.learner}  pose {state.pose}  best RMS {rms:.3g} px"
                f"  max rel. error {state.best_error:.2g}")
        if state.learner != "lm":
            line += f"  generation {state.generation}"
        surface.blit(_text(line, max(10, th.font_size - 6), th.text), (6, 4))
    return camera


def render_calibration_spatial(state, camera: OrbitCamera | None = None, size=(640, 480),
                               **options) -> np.ndarray:
    """``state`` drawn off screen at ``size`` = (w, h): an RGB array (h, w, 3) uint8.
    ``options`` are those of :func:`draw_calibration_spatial`."""
    w, h = _check_size(size)
    surface = pygame.Surface((w, h), 0, 24)
    draw_calibration_spatial(surface, state, camera, **options)
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).swapaxes(0, 1))


def export_gif(scene_path, out, frames=None):
    """Write the GIF of the 3D calibration scene at ``scene_path`` to ``out`` (through
    :class:`armsim.files.Outputs`: all or nothing), ``frames`` frames (default the scene's
    ``render.frames``) at ``render.fps`` and ``render.size``; returns the simulation's
    report.  Raises :class:`~armsim.scene.SceneError` for a scene that is not one."""
    import imageio.v2 as imageio

    from armsim.files import Outputs
    from armsim.scene import SceneError, build_simulation, load

    scene = load(scene_path)
    cal = getattr(scene, "calibration", None)
    if cal is None or cal.robot is None:
        raise SceneError(scene.source, "calibration.robot",
                         "not a 3D calibration scene (export_gif draws those only)")
    render = scene.render
    frames = int(render.frames if frames is None else frames)
    sim = build_simulation(scene)
    camera = framing(sim.state)
    with Outputs() as outs:
        dest = outs.add(str(out), "gif")
        with imageio.get_writer(dest.file, format="GIF", mode="I",
                                duration=1000.0 / render.fps, loop=0) as writer:
            for _ in range(frames):
                writer.append_data(render_calibration_spatial(sim.step(), camera, render.size))
    return sim.report()
