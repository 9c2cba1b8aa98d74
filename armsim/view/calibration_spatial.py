"""Drawing one round of the visual problem in 3D (the window and the GIF can share it).

:func:`draw_calibration_spatial` paints a
:class:`~armsim.vision.spatial_run.SpatialCalibrationState` seen by an
:class:`~armsim.view.orbit.OrbitCamera` onto any ``pygame.Surface``;
:func:`render_calibration_spatial` paints it off screen and returns the pixels;
:func:`export_gif` writes a 3D calibration scene's GIF.

The picture (:func:`calibration_layout`): a header of two lines at the top saying in words
what the run is doing (:func:`header_text`); the 3D scene in the drawing area under it, the
whole width, framed by :func:`framing` so the robot and the cameras fill about
:data:`FILL` of it; along the bottom one inset per camera showing what it sees, each under
its label ("camera 1: 6 of 7 points seen", :func:`inset_label`), and, right of them, the
panel and the legend.  The 3D scene, back to front: the floor grid (as
:mod:`armsim.view.spatial`); the hidden reference robot at the commanded pose shown (thick
blue links, joint disks); every candidate at the same pose (thin lines, green; red for
those the genetic algorithm replaces next); the true cameras as frusta (the apex, a filled
disk, at the optical centre; the image rectangle at :data:`FRUSTUM_DEPTH`), with faint lines
of sight to the points each observes.  An inset: its
camera's image rectangle scaled to the inset, the observed pixels as dots and the best
candidate's projections over them as rings.  Text comes in the sizes of
:func:`~armsim.view.style.type_scale`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from armsim.ranges import VIEW_CENTER, VIEW_DISTANCE, VIEW_FOV_DEG
from armsim.view.orbit import OrbitCamera
from armsim.view.spatial import AXIS_COLORS, _grid, _ipx, _mix
from armsim.view.style import (DEFAULT_THEME, Theme, _check_size, _font, fit_lines, readable,
                               scaled_theme, type_scale, wrote)

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

__all__ = ["draw_calibration_spatial", "render_calibration_spatial", "framing", "frustum",
           "inset_rects", "inset_pixels", "export_gif", "calibration_layout", "calibration_status",
           "header_text", "inset_label", "legend_entries", "Layout", "CANDIDATE", "DOOMED",
           "CAMERA", "OBSERVED", "FRUSTUM_DEPTH", "RING", "FILL", "FRAME_SIZE", "SIDE_DEG"]

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
#: all the insets together take at most this fraction of the width (the panel the rest)
INSETS_FRACTION = 0.62
#: an inset's height as a fraction of the picture's height (at most)
INSET_HEIGHT = 0.25
#: the robot and the cameras fill this fraction of the drawing area (its width or height)
FILL = 0.7
#: the picture size :func:`framing` fits to unless told (the scenes' default render size)
FRAME_SIZE = (640, 480)
#: a panel at least this fraction of the width wide keeps its words to its left
#: :data:`TEXT_COLUMN` and leaves the rest to the window's live plot
WIDE_PANEL = 0.5
TEXT_COLUMN = 0.45
#: the default view looks from this many degrees round (clockwise, from above) from the
#: cameras' mean direction
SIDE_DEG = 100.0
#: the header's lines (room kept for them whatever they say, so the framing never moves)
HEADER_LINES = 2


@dataclass(frozen=True)
class Layout:
    """Where each part of the picture goes (``pygame.Rect`` each): ``header`` (top, the
    width; empty without the panel), ``area`` (the 3D scene), ``insets`` and their
    ``labels`` (one per camera, bottom left), ``panel`` (bottom right: the panel and the
    legend; empty without the panel), ``plot`` (where the window's live plot goes: the right
    part of a wide panel, whose words keep to its left :data:`TEXT_COLUMN`; without the
    panel, the room it had right of the insets; else the drawing area's top right)."""

    header: pygame.Rect
    area: pygame.Rect
    insets: list
    labels: list
    panel: pygame.Rect
    plot: pygame.Rect = None


def calibration_layout(state, size, show_panel=True) -> Layout:
    """The :class:`Layout` of a picture of ``size``; it depends on the size and the cameras'
    image shapes only (never on what the text says)."""
    w, h = _check_size(size)
    ts = type_scale(w, h)
    margin = max(4, min(w, h) // 60)
    insets = inset_rects(state, (w, h))
    small = _font(ts.small)
    widest = small.size(inset_label_widest(len(insets)))[0]
    narrow = bool(insets) and widest > min(r.w for r in insets)       # then on two lines
    label_h = small.get_linesize() * (2 if narrow else 1) if show_panel else 0
    labels = [pygame.Rect(r.x, r.y - label_h, r.w, label_h) for r in insets]
    top_insets = min([r.y for r in insets] + [h - margin]) - label_h - margin
    header = pygame.Rect(0, 0, w, 0)
    panel = pygame.Rect(w - margin, top_insets, 0, 0)
    right = max([r.right for r in insets] + [0])
    beside = pygame.Rect(right + margin, top_insets + label_h // 2, w - right - 2 * margin,
                         h - margin - top_insets - label_h // 2)      # right of the insets
    if show_panel:
        header = pygame.Rect(margin, margin // 2, w - 2 * margin,
                             HEADER_LINES * _font(ts.title).get_linesize())
        panel = beside
        if panel.w < w // 4:               # no room right of the insets: over the area's corner
            pw = w // 3
            panel = pygame.Rect(w - pw - margin, header.bottom + margin, pw, h // 3)
    area = pygame.Rect(0, header.bottom, w, max(1, top_insets - header.bottom))
    if panel.w >= WIDE_PANEL * w and panel.h > 60:
        tw = int(TEXT_COLUMN * panel.w)
        plot = pygame.Rect(panel.x + tw, panel.y + margin, panel.w - tw - margin, panel.h - 2 * margin)
    elif not show_panel and beside.w >= w // 4 and beside.h > 60 and insets:
        plot = beside.inflate(0, -2 * margin)        # where the panel was, off the scene
    else:
        pw = int(0.34 * w)
        plot = pygame.Rect(w - pw - 6, area.y + 6, pw, int(0.45 * area.h))
    return Layout(header, area, insets, labels, panel, plot)


def framing(state, azimuth_deg=None, elevation_deg=15.0, fov_deg=45.0,
            size=FRAME_SIZE) -> OrbitCamera:
    """A view of the robot and the cameras for a picture of ``size``: it looks at them from
    ``azimuth_deg`` (default: :data:`SIDE_DEG` round from the cameras' mean direction seen
    from the base, so that the cameras stand beside the robot, neither behind the eye nor
    hidden behind the robot), ``elevation_deg``, and its centre and distance are fitted (a few rounds
    of projecting) so that the box round the projected robot and camera positions is
    :data:`FILL` of the drawing area of :func:`calibration_layout` (its width or its height,
    whichever binds) and centred in it (the projection's centre stays the picture's middle).  The distance and the centre are clamped into their
    ranges (:data:`armsim.ranges.VIEW_DISTANCE`, :data:`~armsim.ranges.VIEW_CENTER`),
    however large or small the scene."""
    pts = np.vstack([_polyline(state.reference),
                     np.asarray(state.camera_positions, float).reshape(-1, 3)])
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if not len(pts):
        return OrbitCamera.framing(1.0)
    fov_deg = VIEW_FOV_DEG.check("view.fov_deg", fov_deg)
    if azimuth_deg is None:
        cams = np.asarray(state.camera_positions, float).reshape(-1, 3)
        cams = cams[np.all(np.isfinite(cams), axis=1)]
        mean = cams.mean(axis=0) if len(cams) else np.zeros(3)
        seen_from = math.degrees(math.atan2(mean[1], mean[0])) if np.hypot(*mean[:2]) > 0 else 0.0
        azimuth_deg = (seen_from - SIDE_DEG + 180.0) % 360.0 - 180.0
    centre = 0.5 * (pts.min(axis=0) + pts.max(axis=0))
    radius = max(float(np.linalg.norm(pts - centre, axis=1).max()), 1e-9)
    distance = VIEW_DISTANCE.clamp(1.1 * radius / math.sin(math.radians(fov_deg) / 2))
    centre = np.array([VIEW_CENTER.clamp(c, fallback=0.0) for c in centre])
    camera = OrbitCamera(azimuth_deg, elevation_deg, distance, centre, fov_deg)
    size = _check_size(size)
    area = calibration_layout(state, size).area
    for _ in range(6):              # the projection is the whole picture's (centre: its middle)
        px, _, front = camera.project(pts, size)
        if not np.all(front) or not np.all(np.isfinite(px)):
            break
        lo, hi = px.min(axis=0), px.max(axis=0)
        k = max((hi[0] - lo[0]) / area.w, (hi[1] - lo[1]) / area.h) / FILL
        if not (math.isfinite(k) and k > 1e-9):
            break
        mid = 0.5 * (lo + hi) - np.array(area.center, float)
        right, up, _ = camera.basis()
        s = camera.distance / camera.focal_px(size)
        centre = camera.center + s * (mid[0] * right - mid[1] * up)
        centre = np.array([VIEW_CENTER.clamp(c, fallback=0.0) for c in centre])
        camera = OrbitCamera(azimuth_deg, elevation_deg, VIEW_DISTANCE.clamp(camera.distance * k),
                             centre, fov_deg)
    return camera


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
    each of its camera's aspect ratio, together at most :data:`INSETS_FRACTION` of the width
    and each at most :data:`INSET_HEIGHT` of the height."""
    w, h = size
    intrinsics = tuple(getattr(state, "intrinsics", ()) or ())
    count = len(intrinsics)
    margin = max(4, min(w, h) // 60)
    width = min(int(INSET_FRACTION * w), (int(INSETS_FRACTION * w) - count * margin) // max(count, 1))
    rects = []
    x = margin
    for k in intrinsics:
        iw = max(8, width)
        ih = max(6, int(round(iw * k.height / k.width)))
        if ih > INSET_HEIGHT * h:
            ih = max(6, int(INSET_HEIGHT * h))
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


def calibration_status(sim) -> dict | None:
    """What the header needs from a :class:`~armsim.vision.spatial_simulation.
    SpatialCalibrationSimulation` beyond its state, from its report: ``free`` (parameters
    identified: all but the held ones), ``identified``, ``converged_round`` (the round it
    was identified), ``floor_round``, ``sigmas`` and ``rel_sd`` (the noise floor:
    ``noise_floor_round``, ``bound_sigmas``, ``bound_rel_sd``), ``tolerance``,
    ``rounds``, ``max_rounds``, ``poses``.  None for anything without a report."""
    if not hasattr(sim, "report"):
        return None
    r = sim.report()
    return {"free": int(r["parameters"]) - len(r["held"]), "identified": bool(r["identified"]),
            "converged_round": r.get("identified_round", r["converged_round"]),
            "floor_round": r.get("noise_floor_round"), "sigmas": r.get("bound_sigmas"),
            "bound": r.get("bound"),
            "rel_sd": r.get("bound_rel_sd"), "tolerance": float(r["tolerance"]),
            "rounds": int(r["rounds"]), "max_rounds": int(getattr(sim, "max_rounds", 0) or 0),
            "poses": int(r["poses"])}


#: the header's words for the report's ``bound``
_BOUNDS = {"cramer-rao": "Cramér-Rao bound", "unweighted fit": "noise's spread in the fit"}


def _g(x, digits=2) -> str:
    return f"{x:.{digits}g}" if math.isfinite(x) else "?"


def header_text(state, status=None) -> str:
    """The header in words: ``identifying: 37 parameters, 0.48 px RMS, largest relative
    parameter error 0.31 (goal 0.01)``; once the run's report says identified (every free
    parameter of the best candidate within the tolerance), ``done: identified in 31 rounds
    ...``; a run at the noise floor (the pixels' noise allows no better, the report's
    ``at_noise_floor``) and not identified, ``at the noise floor in 4 rounds: 0.48 px RMS,
    errors within 1.9 standard deviations of the Cramér-Rao bound; relative error 0.7
    (goal 0.01, the noise allows 0.59)`` (every free parameter within 1.9 standard
    deviations; 0.59 the bound's largest relative standard deviation); a run
    that reached its last round without either, ``stopped after 200 rounds, not
    identified: ...``.  ``status``: :func:`calibration_status` (without it: what the state
    alone says)."""
    loss = float(state.best_loss)
    rms = math.sqrt(loss) if math.isfinite(loss) and loss >= 0 else float("nan")
    err = float(state.best_error)
    words = f"largest relative parameter error {_g(err)}"
    if status is None:
        return f"identifying: {_g(rms)} px RMS, {words}"
    goal = f" (goal {_g(status['tolerance'])})"
    if status["identified"] and status["converged_round"] is not None:
        return (f"done: identified in {status['converged_round']} rounds: {status['free']} "
                f"parameters, {_g(rms)} px RMS, {words}")
    if status.get("floor_round") is not None:
        return (f"at the noise floor in {status['floor_round']} rounds: {_g(rms)} px RMS, "
                f"errors within {_g(status['sigmas'])} standard deviations of the "
                f"{_BOUNDS.get(status.get('bound'), 'Cramér-Rao bound')}; relative error "
                f"{_g(err)} (goal {_g(status['tolerance'])}, "
                f"the noise allows {_g(status['rel_sd'])})")
    if status["max_rounds"] and status["rounds"] >= status["max_rounds"]:
        return (f"stopped after {status['rounds']} rounds, not identified: {_g(rms)} px RMS, "
                f"{words}{goal}")
    return f"identifying: {status['free']} parameters, {_g(rms)} px RMS, {words}{goal}"


def inset_label(state, cam) -> str:
    """An inset's label: ``camera 1: 6 points seen`` (the robot's points that camera sees at
    the pose shown: ``state.seen``)."""
    seen = np.asarray(state.seen[cam], dtype=bool)
    return f"camera {cam + 1}: {int(seen.sum())} points seen"


def inset_label_widest(cameras) -> str:
    """The widest :func:`inset_label` of a run with ``cameras`` cameras (at most 99 points
    each): the labels' room is laid out for it, whatever the count says."""
    return f"camera {max(cameras, 1)}: 99 points seen"


def legend_entries(state, theme: Theme = DEFAULT_THEME) -> list:
    """(words, colour, mark) of the legend; mark "line", "disk", "dot" or "ring".  "replaced
    next" only with a learner that replaces candidates (not ``lm``)."""
    out = [("reference arm (hidden)", theme.reference, "line"),
           ("candidates", CANDIDATE, "line")]
    if state.learner != "lm":
        out.append(("replaced next", DOOMED, "line"))
    out += [("cameras, lines of sight", CAMERA, "disk"), ("seen pixels", OBSERVED, "dot"),
            ("best candidate's pixels", CANDIDATE, "ring")]
    return out


def _panel_lines(state, status) -> list:
    rounds = f"round {int(state.round)}"
    if status and status["max_rounds"]:
        rounds += f" of {status['max_rounds']}"
    rounds += f", learner {state.learner}"
    if state.learner != "lm":
        rounds += f", generation {int(state.generation)}"
    pose = f"pose {int(state.pose) + 1}" + (f" of {status['poses']}" if status else "")
    return [rounds, f"{pose}, {len(state.candidates)} candidates"]


def _draw_mark(surface, color, mark, rect):
    mid = rect.centery
    if mark == "line":
        pygame.draw.line(surface, color, (rect.x, mid), (rect.right, mid), max(2, rect.h // 4))
    elif mark == "disk":
        pygame.draw.circle(surface, color, rect.center, max(2, rect.h // 4))
    elif mark == "dot":
        pygame.draw.circle(surface, color, rect.center, 2)
    else:
        pygame.draw.circle(surface, color, rect.center, RING, 1)


def _label_lines(state, cam, font, rect) -> list:
    """The lines of camera ``cam``'s label in ``rect``: the first of "camera 1: 7 points
    seen", "camera 1: 7 seen", "cam 1: 7 seen", "cam 1" whose lines all fit whole (a word
    cut to "ca..." says nothing), else the readable lines of the last."""
    n = int(np.asarray(state.seen[cam], dtype=bool).sum())
    for label in (inset_label(state, cam), f"camera {cam + 1}: {n} seen",
                  f"cam {cam + 1}: {n} seen", f"cam {cam + 1}"):
        if font.size(label)[0] > rect.w:
            label = label.replace(": ", ":  ", 1)          # key, then the count under it
        lines = fit_lines([label], font, rect.w, rect.h)
        if lines and not any(t.endswith("...") for t in lines):
            return lines
    return [lines[i] for i in readable(lines)]


def _blit_lines(surface, font, lines, color, x, y, note=True) -> pygame.Rect | None:
    """``lines`` one under the other from (x, y); the rect of their words (None: no line),
    noted (:func:`~armsim.view.style.wrote`) unless ``note`` is False."""
    rect = None
    for k, line in enumerate(lines):
        img = font.render(line, True, color)
        r = surface.blit(img, (x, y + k * font.get_linesize()))
        rect = r if rect is None else rect.union(r)
    return wrote(surface, rect) if rect and note else rect


def _draw_text(surface, state, th, lay, status):
    """The header, the insets' labels and the panel with the legend; every block only the
    lines that fit whole in it and on the picture and read (:func:`~armsim.view.style.
    readable`), a block with none left out; a label that would meet the header is too."""
    W, H = surface.get_size()
    ts = type_scale(W, H)
    title, body, small = _font(ts.title), _font(ts.body), _font(ts.small)
    pad = max(3, ts.small // 4)
    p = lay.panel.clip(surface.get_rect())
    bottom = min([r.top for r in lay.insets] + [H])       # the header keeps above the insets
    room = min(lay.header.bottom, bottom) - lay.header.y
    head = fit_lines([header_text(state, status)], title, lay.header.w, max(room, 0))
    head = [head[i] for i in readable(head)]
    drawn = [_blit_lines(surface, title, head, th.text, lay.header.x, lay.header.y)]
    if drawn[0] and p.colliderect(drawn[0]):                # the panel starts under it
        p = pygame.Rect(p.x, drawn[0].bottom + 1, p.w, max(p.bottom - drawn[0].bottom - 1, 0))
    inner = (lay.plot.x if p.contains(lay.plot) else p.right) - p.x - 2 * pad
    lines = fit_lines(_panel_lines(state, status), body, inner, p.h - 2 * pad)
    lines = [lines[i] for i in readable(lines)]
    sw = 2 * small.get_height()
    legend, y = [], p.y + pad + len(lines) * body.get_linesize() + pad
    for words, color, mark in legend_entries(state, th):
        if y + small.get_linesize() > p.bottom - pad:
            break                            # no room: fewer entries, never a smaller font
        text = fit_lines([words], small, inner - sw - pad)
        if readable(text):
            legend.append((text[0], color, mark, y))
            y += small.get_linesize()
    if lines or legend:               # on the background, framed (one set of text shades)
        pygame.draw.rect(surface, th.background, p)
        drawn.append(wrote(surface, p))
        pygame.draw.rect(surface, th.separator, p, 1)
        _blit_lines(surface, body, lines, th.text, p.x + pad, p.y + pad, note=False)
        for text, color, mark, y in legend:
            _draw_mark(surface, color, mark, pygame.Rect(p.x + pad, y, sw, small.get_height()))
            surface.blit(small.render(text, True, th.text), (p.x + 2 * pad + sw, y))
    for cam, rect in enumerate(lay.labels):     # wrapped to the inset's width (two lines)
        rect = rect.clip(surface.get_rect())
        words = _label_lines(state, cam, small, rect)
        at = pygame.Rect(rect.x, rect.y, rect.w, len(words) * small.get_linesize())
        if words and not any(d and at.colliderect(d) for d in drawn):
            _blit_lines(surface, small, words, th.text, rect.x, rect.y)


def draw_calibration_spatial(surface, state, camera: OrbitCamera | None = None, *,
                             theme: Theme = DEFAULT_THEME, show_panel=True,
                             status=None) -> OrbitCamera:
    """Paint ``state`` as ``camera`` sees it (default: the :func:`framing` for the surface's
    size) onto ``surface``; returns the camera used.  ``status``: the run's
    :func:`calibration_status` for the header's words (the parameters identified, "done")."""
    size = surface.get_size()
    camera = framing(state, size=size) if camera is None else camera
    lay = calibration_layout(state, size, show_panel)
    th = scaled_theme(theme, size)
    lw = max(1, th.line_width)
    surface.fill(th.background)
    reach = float(np.linalg.norm(np.asarray(state.reference, float), axis=-1).max())
    reach = reach if math.isfinite(reach) and reach > 1e-9 else 1.0
    grid, axis_c = _mix(th.background, th.text, 0.13), _mix(th.background, th.text, 0.3)
    for a, b, is_axis in _grid(camera, size, reach):
        pygame.draw.line(surface, axis_c if is_axis else grid, a, b, 1)
    # what each camera sees: a faint line of sight from its centre to every point it observes
    ref = _polyline(state.reference)
    for cam, c in enumerate(np.asarray(state.camera_positions, float).reshape(-1, 3)):
        seen = np.asarray(state.seen[cam], dtype=bool)
        to = ref[1:][seen[:len(ref) - 1]]
        if len(to):
            pa, pb, _, _, vis = camera.project_segments(np.repeat(c[None], len(to), 0), to, size)
            pa, pb = _ipx(pa), _ipx(pb)
            for i in np.flatnonzero(vis):
                pygame.draw.line(surface, th.sight, pa[i], pb[i], 1)
    # the hidden reference: thick blue links, joint disks
    _draw_lines(surface, camera, size, ref, [th.reference] * (len(ref) - 1), max(3, 3 * lw))
    j_px, _, j_front = camera.project(ref[1:], size)
    rj = max(3, th.joint_radius // 2 + 1)
    for p, front in zip(_ipx(j_px), j_front):
        if front:
            pygame.draw.circle(surface, th.joint_fill, p, rj)
            pygame.draw.circle(surface, th.reference, p, rj, 1)
    # the candidates: thin, green (red: replaced at the next generation), over the reference; red last
    for cand, doomed in sorted(zip(state.candidates, state.doomed), key=lambda c: bool(c[1])):
        pts = _polyline(cand)
        color = DOOMED if doomed else CANDIDATE
        _draw_lines(surface, camera, size, pts, [color] * (len(pts) - 1), max(1, lw // 2 + 1))
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
        pygame.draw.circle(surface, CAMERA, ipx[0], max(3, lw + 2))
    # what every camera sees
    best = int(state.best)
    for cam, (rect, k) in enumerate(zip(lay.insets, state.intrinsics)):
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
        _draw_text(surface, state, th, lay, status)
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
    camera = framing(sim.state, size=render.size)
    with Outputs() as outs:
        dest = outs.add(str(out), "gif")
        with imageio.get_writer(dest.file, format="GIF", mode="I",
                                duration=1000.0 / render.fps, loop=0) as writer:
            for _ in range(frames):
                state = sim.step()
                writer.append_data(render_calibration_spatial(state, camera, render.size,
                                                              status=calibration_status(sim)))
    return sim.report()
