"""``armsim calibrate``: calibrate a real arm and its cameras from images, write the URDF.

::

    armsim calibrate ROBOT.urdf --joints joints.csv (--images DIR | --observations obs.csv)
                     --setup setup.toml [--out calibrated.urdf] [--report report.json]
                     [--plots DIR] [--max-tool-sigma MM]

Reads the robot, its joint readings, the setup and the marker corners (detected in the
images, or given in ``obs.csv``), identifies the joints' zero offsets and origins, the
markers' and cameras' poses and the intrinsics asked for
(:func:`armsim.vision.real.identify.calibrate`), and writes the calibrated URDF
(:mod:`armsim.vision.real.urdf_out`: zero offsets folded into the origins), ``report.json``
(:mod:`armsim.vision.real.report`) and, with ``--plots``, one PNG per image with a marker
seen: every corner seen (green circle), its reprojection at the hand-eye start (red cross)
and after the calibration (blue plus), on the image (or a white canvas with
``--observations``).

Every output is opened before the work (:class:`armsim.files.Outputs`) and all are written
together at the end, or none.  Bad data (a file that cannot be read, an unknown camera,
joint or marker, a pose missing from ``joints.csv``, duplicate rows, a value that is not
finite, an image of the wrong size) is one line on stderr naming the file and the item,
exit status 2, and nothing is written.

A calibration that ran but is not to be trusted writes its outputs (for inspection), says
why on stderr and exits with status 3 (:data:`SUSPECT`): its solve did not converge, or its
RMS pixel residual is over :data:`FIT_LIMIT` times the corners' own scatter (each marker
fitted alone in its image: :func:`armsim.vision.real.handeye.corner_noise`), which no
calibration of a right model goes much above (wrong intrinsics, marker sizes or readings),
or the tool is not determined: its predicted 1-sigma position uncertainty
(:func:`armsim.vision.real.tool.tool_sigma`, the parameters' covariance carried to the
tool over poses within the joint limits) is over ``--max-tool-sigma`` (default
:data:`~armsim.vision.real.tool.MAX_TOOL_SIGMA_MM` mm) or not finite: few poses fit the
pixels with kinematics that put the tool centimetres off elsewhere, or as many free
parameters as pixel coordinates fit every corner exactly and measure no noise; or the
identified arm is
over :data:`SCALE_LIMIT` times larger or smaller than the URDF's (:func:`arm_scale`): the
markers' ``size`` is the calibration's only length scale, and one given in the wrong unit
scales the whole arm and fits the pixels all the same.  A fit that leaves corners a camera
sees behind it, or farther off its axis than the radius where its distortion turns back
(:meth:`armsim.vision.real.model.Model.folded`), or that puts a camera over
:data:`~armsim.vision.real.identify.FAR` times farther from the corners it sees than their
size in its images says (a start past its markers escaped to 12,000 km), fits nothing
there: that alone is said, naming the camera.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

from armsim.commands.options import HelpSaid, positive_float
from armsim.files import (OutputError, Outputs, names_stdout, one_line, same_destination, say,
                          short_name)

__all__ = ["calibrate_main", "plot_image", "arm_scale"]

PROG = "armsim calibrate"
#: the exit status of a calibration whose outputs are written but not to be trusted
SUSPECT = 3
#: a calibrated RMS over this many times the corners' own scatter is a fit gone wrong: on
#: a right model it is 1.1 times it (0.471 against 0.429 px, the documented example); one
#: camera's focal length 4 % off gave 4.7 times (tests/test_cli_calibrate.py), both
#: cameras' 3.4 times too long 20 times
FIT_LIMIT = 3.0
#: the identified arm's size over the URDF's (:func:`arm_scale`), at most this either way:
#: a marker's ``size`` x times too large makes the arm x times too large and fits the pixels
#: as well (in cm instead of m: 100 times); calibrations of 4 to 30 poses of the tests'
#: synthetic arm (1-2 mm deviations, 0.5 and 1 px of noise, seeds 0-3) gave 0.91 to 1.10
SCALE_LIMIT = 1.2
#: BGR colours of the plots: corners seen, start reprojection, calibrated reprojection
SEEN, START, AFTER = (0, 160, 0), (0, 0, 220), (220, 80, 0)


class _Usage(Exception):
    pass


class _Parser(HelpSaid):
    def error(self, message):  # one line, status 2, no usage dump
        raise _Usage(message)


def _parser():
    p = _Parser(prog=PROG, description="Calibrate a real arm (joint zero offsets and origins) "
                "and its cameras from ArUco markers seen in images, and write the calibrated "
                "URDF.")
    p.add_argument("urdf", metavar="ROBOT.urdf", help="the robot's URDF")
    p.add_argument("--joints", required=True, metavar="CSV",
                   help="joints.csv: pose,<joint>,... one row per pose (encoder readings)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--images", metavar="DIR", help="images DIR/<camera>/<pose>.png")
    src.add_argument("--observations", metavar="CSV",
                     help="obs.csv: pose,camera,marker,corner,u,v (marker corners)")
    p.add_argument("--setup", required=True, metavar="TOML", help="setup.toml: cameras, markers")
    p.add_argument("--out", metavar="URDF", help="write the calibrated URDF here")
    p.add_argument("--report", metavar="JSON", help="write report.json here")
    p.add_argument("--plots", metavar="DIR",
                   help="write one PNG per image: corners seen, start and calibrated reprojection")
    from armsim.vision.real.tool import MAX_TOOL_SIGMA_MM
    p.add_argument("--max-tool-sigma", type=positive_float, default=MAX_TOOL_SIGMA_MM,
                   metavar="MM", help="the largest predicted 1-sigma tool position uncertainty "
                   f"[mm] of a calibration to use (else exit status 3; default "
                   f"{MAX_TOOL_SIGMA_MM:g})")
    return p


def _point(uv):
    """cv2 drawing coordinates with 4 fractional bits (pixel centres at integers)."""
    return (int(round(uv[0] * 16)), int(round(uv[1] * 16)))


def plot_image(image, observed, start, after, scale=1, title=None):
    """A BGR picture (H, W, 3) uint8: ``image`` (grey (H, W) or None: white) with the
    corners ``observed`` (N, 2) as green circles, ``start`` as red crosses and ``after``
    as blue pluses [px of the camera's image]; ``scale`` the picture's pixels per image
    pixel (``image`` already at that size); with ``title``, a legend in the top left
    corner: the title, then each mark with its RMS distance to the corners seen [px of the
    camera's image]."""
    from armsim.vision.real.detect import opencv
    cv2 = opencv()
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    out = np.ascontiguousarray(image)
    r = 6 * 16

    def drawn(points):
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        points = points if scale == 1 else (points + 0.5) * scale - 0.5
        # (a mark farther off the picture than its size is not drawn: cv2 takes 32-bit
        # coordinates, and a corner behind a camera lands millions of pixels off)
        size = np.array(out.shape[1::-1], float)
        return points[np.all(np.abs(points - size / 2) <= 2 * size, axis=1)]
    for uv in drawn(observed):
        cv2.circle(out, _point(uv), r, SEEN, 1, cv2.LINE_AA, 4)
    for uv in drawn(start):
        x, y = _point(uv)
        cv2.line(out, (x - r, y - r), (x + r, y + r), START, 1, cv2.LINE_AA, 4)
        cv2.line(out, (x - r, y + r), (x + r, y - r), START, 1, cv2.LINE_AA, 4)
    for uv in drawn(after):
        x, y = _point(uv)
        cv2.line(out, (x - r, y), (x + r, y), AFTER, 1, cv2.LINE_AA, 4)
        cv2.line(out, (x, y - r), (x, y + r), AFTER, 1, cv2.LINE_AA, 4)
    if title is not None:
        _legend(cv2, out, [(title, (0, 0, 0)),
                           ("o  corners seen", SEEN),
                           (f"x  OpenCV hand-eye start: RMS {_rms_px(start, observed):.2f} px",
                            START),
                           (f"+  calibrated: RMS {_rms_px(after, observed):.2f} px", AFTER)])
    return out


def _rms_px(a, b):
    return float(np.sqrt(np.mean(np.sum((np.asarray(a) - np.asarray(b)) ** 2, axis=1))))


def _legend(cv2, out, lines):
    """Lines of text, each in its colour, on a white band in the top left corner of ``out``
    (sized to the picture: 1/60 of its larger side a line, at least 14 px)."""
    h = max(14, max(out.shape[:2]) // 60)
    scale = h / 30.0
    width = max(cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] for t, _ in lines)
    cv2.rectangle(out, (0, 0), (min(out.shape[1] - 1, width + h), int(h * (len(lines) + 0.6))),
                  (255, 255, 255), -1)
    for i, (text, colour) in enumerate(lines):
        cv2.putText(out, text, (h // 2, int(h * (i + 1))), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    colour, 1, cv2.LINE_AA)


#: a plot's larger side, at most [px]: a larger camera's plot is drawn scaled down
PLOT_SIDE = 4096
#: corners a calibration takes, at most (real setups: hundreds of poses, a few cameras)
MAX_CORNERS = 100_000


def _plots(result, detections, images_given):
    """``(file name, PNG bytes)`` one after another: one per image with corners."""
    from armsim.vision.real.detect import _decode, opencv
    cv2 = opencv()
    model, data = result.model, result.data
    start, _ = model.predict(result.start, data)
    after, _ = model.predict(result.theta, data)
    paths = {(d["camera"], d["pose"]): d.get("image") for d in detections}
    for c, cam in enumerate(model.cameras):
        for p, pose in enumerate(data.poses):
            rows = np.flatnonzero((data.camera == c) & (data.pose == p))
            if not rows.size:
                continue
            image = None
            path = paths.get((cam.name, pose))
            if images_given and path:
                image, _ = _decode(path)
            # a picture of at most PLOT_SIDE pixels a side (a large camera's canvas took
            # gigabytes)
            f = min(1.0, PLOT_SIDE / max(cam.width, cam.height))
            size = (max(1, round(cam.width * f)), max(1, round(cam.height * f)))
            if image is None:
                image = np.full(size[::-1], 255, np.uint8)
            elif f < 1.0:
                image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            picture = plot_image(image, data.uv[rows], start[rows], after[rows], scale=f,
                                 title=f"camera {cam.name}, pose {pose}: {rows.size} corners")
            ok, png = cv2.imencode(".png", picture)
            yield f"{cam.name}_{pose}.png", png.tobytes()     # one at a time: bounded memory


def _images_line(detections):
    """What the images lacked, counted (each image's entry in the report says which), or
    None: images that could not be read, poses with no image, images with a marker of the
    setup missing, seen twice or not measured."""
    if not detections or not any(d.get("image") is not None or d.get("error") == "no image"
                                 for d in detections):
        return None           # (corners from obs.csv: no images)
    counts = {
        "could not be read": sum(1 for d in detections if d.get("error") not in (None,
                                                                               "no image")),
        "missing (no image of a pose)": sum(1 for d in detections
                                            if d.get("error") == "no image"),
        "without a marker of the setup": sum(1 for d in detections if d.get("error") is None
                                             and d.get("missing")),
        "with a marker seen twice or not measured": sum(
            1 for d in detections if d.get("twice") or d.get("unrefined"))}
    parts = [f"{n} {what}" for what, n in counts.items() if n]
    return None if not parts else ("images: " + ", ".join(parts)
                                   + " (each one's entry: --report, 'detections')")


def _link(name):
    """A link's name for a line: as it is, or quoted with its escapes when it holds a line
    break or another character that is not printable (the line stays one line)."""
    from armsim.kinematics.validate import listed
    return listed([name])


def _tool_line(tool, limit, kept=False):
    """The summary's line on the tool's predicted position uncertainty."""
    if tool.link is None:
        return "tool: no calibrated joint moves a marker or a camera"
    link = _link(tool.link)
    if not np.isfinite(tool.sigma_mm):
        return f"tool {link}: predicted position sigma not finite (not identified)"
    unseen = ("" if tool.unseen_mm is None else
              f" (freed: {tool.unseen_mm:.3f} mm)" if np.isfinite(tool.unseen_mm) else
              " (freed: not identified)")
    return (f"tool {link}: predicted position sigma {tool.sigma_mm:.3f} mm (RMS over "
            f"{tool.poses} poses, largest {tool.max_mm:.3f}; at most {limit:g} accepted)"
            + ("; the URDF's kinematics kept" + unseen if kept else ""))


def _summary(result, written, detections=None, max_tool_sigma=None):
    lines = [f"{PROG}: {len(result.data.poses)} poses, {len(result.data)} corners; "
             f"RMS {result.rms_px_before:.3f} px at the hand-eye start, "
             f"{result.rms_px_nominal:.3f} px with the nominal kinematics, "
             f"{result.rms_px_after:.3f} px calibrated",
             f"rank {result.rank} of {result.model.dim} parameters ({int(result.held.sum())} "
             f"held), condition {result.condition:.3g}; converged: {result.converged}, "
             f"identified: {result.identified}; outliers: {len(result.outliers)}; "
             f"{result.seconds:.2f} s"]
    from armsim.vision.real.report import by_camera
    per = by_camera(result)
    lines.append("per camera: " + ", ".join(
        f"{name} {c['rms_px']:.3f} px ({c['corners']} corners, {c['outliers']} outliers)"
        for name, c in per.items()))
    for name, c in per.items():
        others = [o["rms_px"] for k, o in per.items() if k != name and o["corners"]]
        if others and c["corners"] >= 20 and c["rms_px"] > 2.0 * max(others):
            lines.append(f"warning: camera {name!r} fits worse than the others ({c['rms_px']:.3f}"
                         f" px against at most {max(others):.3f}): check its intrinsics, its "
                         f"distortion and its images")
    seen = _images_line(detections)
    if seen:
        lines.append(seen)
    dev = result.deviation
    lines.append(f"kinematics: {'deviate from the URDF' if dev.deviate else 'no deviation shown'}"
                 f" (likelihood ratio {dev.statistic:.1f} {'>' if dev.deviate else '<='} "
                 f"{dev.limit:.1f}, {dev.dof} parameters)"
                 + ("" if dev.deviate else "; the URDF's kept"))
    if result.tool is not None:
        from armsim.vision.real.tool import MAX_TOOL_SIGMA_MM
        lines.append(_tool_line(result.tool, MAX_TOOL_SIGMA_MM if max_tool_sigma is None
                                else max_tool_sigma, not dev.deviate))
    lines += [f"wrote {w}" for w in written]
    if not written:
        lines.append("nothing written: give --out CALIBRATED.urdf (and --report REPORT.json)")
    return "\n".join(lines)


def _inside(path, folder):
    """Whether ``path`` is ``folder`` or lies under it (links followed)."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _said(text):
    """One line on standard error, its names' escape codes shown escaped
    (:func:`armsim.files.one_line`)."""
    print(one_line(text), file=sys.stderr)


def calibrate_main(argv=None) -> int:
    from armsim.vision.real.errors import DataError
    try:
        args = _parser().parse_args(argv)
    except _Usage as exc:
        _said(f"{PROG}: error: {exc}")
        return 2
    for option, given, what in (("ROBOT.urdf", args.urdf, "a file name"),
                                ("--joints", args.joints, "a file name"),
                                ("--observations", args.observations, "a file name"),
                                ("--images", args.images, "a folder name"),
                                ("--setup", args.setup, "a file name")):
        if given == "":     # (the URDF and the images were the current folder, the others
            _said(f"{PROG}: error: argument {option}: expected {what}, got ''")  # ': No such')
            return 2
    plots_dir = getattr(args, "plots", None)
    for option, out, what in (("--out", args.out, "a file name (or - for standard output)"),
                              ("--report", args.report,
                               "a file name (or - for standard output)"),
                              ("--plots", plots_dir, "a folder name")):
        if out == "":               # (else taken as not given: "nothing written", exit 0)
            _said(f"{PROG}: error: argument {option}: expected {what}, got ''")
            return 2
    if plots_dir == "-":        # (made a folder named '-' in the current one)
        _said(f"{PROG}: error: argument --plots: expected a folder name, got '-' (standard "
              f"output takes --out or --report, not a folder of PNGs)")
        return 2
    named = [a for a in (args.out, args.report) if a]
    if len(named) == 2 and same_destination(*named):
        _said(f"{PROG}: error: --out and --report are the same file: {short_name(named[0])}")
        return 2
    for option, out in (("--out", args.out), ("--report", args.report)):
        for what, given in (("the URDF", args.urdf), ("--joints", args.joints),
                            ("--observations", args.observations), ("--setup", args.setup)):
            if out and out != "-" and given and same_destination(out, given):
                _said(f"{PROG}: error: argument {option}: refusing to overwrite {what} "
                      f"'{short_name(given)}' (an input)")
                return 2
    for option, out in (("--out", args.out), ("--report", args.report)):
        if plots_dir and out and out != "-" and same_destination(out, plots_dir):
            _said(f"{PROG}: error: {option} and --plots are the same path: {short_name(out)}")
            return 2
    images = getattr(args, "images", None)
    for option, out in (("--out", args.out), ("--report", args.report),
                        ("--plots", plots_dir)):
        if images and out and out != "-" and _inside(out, images):
            _said(f"{PROG}: error: argument {option}: refusing to write into --images "
                  f"'{short_name(images)}' (the inputs: a file there is read as an image)")
            return 2
    note = (sys.stderr if any(n and names_stdout(n) for n in named)    # stdout carries
            else sys.stdout)                                           # an output
    try:
        with Outputs() as outs:
            dests = {}
            if args.out:
                dests["out"] = outs.add(args.out, "--out")
            if args.report:
                dests["report"] = outs.add(args.report, "--report")
            model, data, detections, source = _read(args)
            plots = {}
            if args.plots:                    # opened before the work, as the others
                pairs = sorted(set(zip(data.camera.tolist(), data.pose.tolist())))
                _open_files(len(pairs))
                of = {}
                for c, p in pairs:
                    name = f"{model.cameras[c].name}_{data.poses[p]}.png"
                    if name in of:
                        raise OutputError(
                            f"argument --plots: camera {model.cameras[c].name!r} at pose "
                            f"{data.poses[p]!r} and camera {of[name][0]!r} at pose "
                            f"{of[name][1]!r} would both be {name}; rename a camera or a pose")
                    of[name] = (model.cameras[c].name, data.poses[p])
                    path = str(Path(args.plots) / name)
                    for option in ("--out", "--report"):
                        out = getattr(args, option[2:])
                        if out and out != "-" and same_destination(out, path):
                            raise OutputError(   # (else one replaced the other, exit 0)
                                f"argument --plots: the plot of camera {of[name][0]!r} at "
                                f"pose {of[name][1]!r} would replace {option} "
                                f"'{short_name(out)}'; name another file")
                    plots[name] = outs.add(path, "--plots", make_parents=True)
            from armsim.vision.real.identify import calibrate
            result = calibrate(model, data, source=source)
            written = []
            if plots:
                for name, png in _plots(result, detections, args.images is not None):
                    plots[name].write(png)
                written.append(f"{args.plots}/ ({len(plots)} plots)")
            if "out" in dests:
                dest = dests["out"]     # (relative mesh paths: rewritten for its folder)
                dests["out"].write(_urdf_text(args.urdf, result, dest.path if dest.kind == "file"
                                              else None).encode("utf-8"))
                written.append("the URDF to standard output" if args.out == "-" else args.out)
            if "report" in dests:
                import json
                from armsim.vision.real.report import build_report
                text = json.dumps(build_report(result, detections, args.max_tool_sigma),
                                  indent=1, allow_nan=False) + "\n"
                dests["report"].write(text.encode("utf-8"))
                written.append("the report to standard output" if args.report == "-"
                               else args.report)
    except (DataError, OutputError) as exc:      # an output's as the other commands': prefixed
        _said(f"{PROG}: error: {exc}" if isinstance(exc, OutputError) else str(exc))
        return 2
    except ImportError as exc:       # OpenCV missing: one line naming the extra
        _said(f"{PROG}: {exc}")
        return 2
    except np.linalg.LinAlgError as exc:   # data too poor for the solve (e.g. all one pose)
        _said(f"{PROG}: the calibration failed: {exc}")
        return 2
    except ValueError as exc:        # a URDF that cannot be read: "PATH: what is wrong"
        _said(str(exc).splitlines()[0] if str(exc) else repr(exc))
        return 2
    try:                            # (a full disk: one line, exit status 2)
        say(_summary(result, written, detections, args.max_tool_sigma), file=note)
    except OutputError as exc:
        _said(f"{PROG}: error: {exc}")
        return 2
    doubts = _doubts(result, args.max_tool_sigma)
    for line in doubts:
        _said(f"{PROG}: warning: {line}")
    if doubts:
        _said(f"{PROG}: " + ("the outputs are written for inspection; do not use them as a "
                             "calibration" if written else "nothing is written (no --out, "
                             "--report or --plots); do not use this calibration")
              + f" (exit status {SUSPECT})")       # (the summary said "nothing written")
        return SUSPECT
    return 0


def _doubts(result, max_tool_sigma=None):
    """Why ``result`` is not to be trusted (lines), or []: see the module's docstring."""
    out = []
    if not result.converged:
        out.append(f"the calibration did not converge in {result.rounds} rounds (the solve "
                   f"or its Huber weights did not settle)")
    behind = getattr(result, "behind", None) or {}
    for name, (n, total) in behind.items():     # (its pixels are no fit: nothing else said)
        out.append(f"the calibration puts {n} of the {total} corners camera {name!r} sees on "
                   f"or behind it (nearer than 1 mm along its axis), which no camera sees: its "
                   f"start (OpenCV's hand-eye) or the solve put the camera past its markers; "
                   f"check the joint readings (their columns, signs and units) and its images")
    far = getattr(result, "far", None) or {}
    for name, (fitted, apparent) in far.items():        # (as behind: no fit there)
        out.append(f"the calibration puts camera {name!r} {fitted:.3g} m from the corners it "
                   f"sees, {fitted / apparent:.3g} times as far as their size in its images "
                   f"says ({apparent:.3g} m), where they all fall on one point: the solve moved "
                   f"the camera out of the scene, away from a start (OpenCV's hand-eye) past or "
                   f"beside its markers, and fits nothing; check the joint readings (their "
                   f"columns, signs and units) and its images")
    folded = getattr(result, "folded", None) or {}
    for name, (n, total, radius) in folded.items():     # (as behind: no fit there)
        out.append(f"the calibration puts {n} of the {total} corners camera {name!r} sees over "
                   f"{math.degrees(math.atan(radius)):.1f} degrees off its axis, past the angle "
                   f"where its distortion (k1, k2, k3) turns back and would draw a corner "
                   f"farther off nearer its centre, which no lens does: its distortion is "
                   f"wrong for its images, or its start (OpenCV's hand-eye) or the solve turned "
                   f"the camera away from its markers; check its distortion, the joint "
                   f"readings (their columns, signs and units) and its images")
    if behind or folded or far:
        return out
    floor = result.corner_noise_px
    misfit = result.rms_px_after > FIT_LIMIT * floor
    if misfit:
        out.append(f"the calibrated RMS, {result.rms_px_after:.3f} px, is "
                   f"{result.rms_px_after / max(floor, 1e-12):.3g} times the corners' own "
                   f"scatter ({floor:.3f} px, each marker fitted alone; at most {FIT_LIMIT:g} "
                   f"times expected): the model does not fit the data; check the cameras' "
                   f"intrinsics and distortion, the markers' size and the joint readings")
    # (a fit whose parameters are not all identified may take any size: the tool's line
    # says so)
    scale = arm_scale(result) if result.identified else None
    scaled = (not misfit and scale is not None
              and not 1.0 / SCALE_LIMIT <= scale <= SCALE_LIMIT)
    if scaled and scale < 0:        # (its joint origins fit the URDF's turned inside out)
        out.append(f"the identified arm is the URDF's mirrored (its joint origins' positions "
                   f"fit at {scale:.3g} times the URDF's): check the joint readings' signs "
                   f"and zeros against the URDF's axes, and the cameras' axes")
    elif scaled:
        out.append(f"the identified arm is {scale:.3g} times the size of the URDF's (its "
                   f"joint origins' positions; {1.0 / SCALE_LIMIT:.3g} to {SCALE_LIMIT:g} "
                   f"expected): check the markers' size in the setup (the black square's "
                   f"side, border included, in metres), the calibration's only length scale")
    # (as many free parameters as pixel coordinates: the fit passes through every corner,
    # measures no noise and says nothing of its own accuracy; the sigmas are not known)
    dev = getattr(result, "deviation", None)
    exact = dev is not None and dev.deviate and dev.residual_dof <= 0
    if exact:
        out.append(f"the fit has as many free parameters as pixel coordinates "
                   f"({2 * len(result.data)}): it passes through every corner and cannot "
                   f"measure their noise, so how well it places the tool is unknown; take "
                   f"more poses, turning each joint over its range")
    # (the tool's sigma scales with the pixel noise measured from the residuals, which a
    # model that does not fit inflates, and with the arm's size: those warnings say why)
    quiet = misfit or scaled or exact
    tool = result.tool
    if max_tool_sigma is None:
        from armsim.vision.real.tool import MAX_TOOL_SIGMA_MM as max_tool_sigma
    unseen = None if tool is None else tool.unseen_mm
    if (tool is not None and tool.link is not None and not quiet and unseen is not None
            and not unseen <= max_tool_sigma):
        size = ("is not determined (the parameters freed are not all identified)"
                if not np.isfinite(unseen) else f"may be {unseen:.3g} mm off, over "
                f"{max_tool_sigma:g} mm (--max-tool-sigma)")
        out.append(f"the data show no deviation of the kinematics, so the URDF's are kept, "
                   f"but with no deviation these poses could show the tool ({_link(tool.link)}) "
                   f"{size}: take more poses, turning each joint over its range")
    elif (tool is not None and tool.link is not None and not quiet
            and not tool.sigma_mm <= max_tool_sigma):
        what = ("is not finite (the parameters freed are not all identified)"
                if not np.isfinite(tool.sigma_mm) else f"is {tool.sigma_mm:.3g} mm, over "
                f"{max_tool_sigma:g} mm (--max-tool-sigma)")
        out.append(f"the tool's ({_link(tool.link)}) predicted position sigma over {tool.poses} poses "
                   f"within the joint limits {what}: the poses do not determine the "
                   f"kinematics; take more poses, turning each joint over its range")
    return out


def arm_scale(result):
    """The identified arm's size over the URDF's: the factor ``s`` that maps the free joint
    origins' nominal positions best onto the identified ones (least squares), or None when
    none is free (the URDF's kinematics kept) or they are all 0 in the URDF."""
    model = result.model
    k = model.kinematic
    free = ~np.asarray(result.held[:k], bool) & np.array(
        [n.rsplit(".", 1)[1] in ("x", "y", "z") for n in model.names[:k]], bool)
    nominal, found = model.nominal[:k][free], np.asarray(result.theta[:k])[free]
    size = float(nominal @ nominal)
    if not free.any() or size == 0.0 or not np.all(np.isfinite(found)):
        return None
    return float(found @ nominal) / size


def _open_files(plots):
    """Room for ``plots`` open files (each plot's temporary file is open until the end):
    the soft limit raised toward the hard one, else OutputError up front."""
    try:
        import resource
    except ImportError:             # pragma: no cover (not on POSIX)
        return
    need = plots + 64               # and the files every run has open
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        top = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))
        except (ValueError, OSError):
            top = soft
        if top < need:
            raise OutputError(f"argument --plots: {plots} plots need {need} open files; this "
                              f"system allows {top} (ulimit -n)")


def _urdf_text(urdf, result, out=None):
    from armsim.vision.real.urdf_out import JointCalibration, calibrated_urdf_text
    model = result.model
    joints = {}
    for name in model.joints:
        xyz, rpy, d = model.joint_origin(result.theta, name)
        joints[name] = JointCalibration(tuple(xyz), tuple(rpy), d)
    return '<?xml version="1.0"?>\n' + calibrated_urdf_text(urdf, joints, out)


def _each_camera_saw(images, setup, detections):
    """A :class:`DataError` for a camera of the setup with no image, none that could be
    read, or no marker seen in any (the hand-eye start named only what it lacked)."""
    from armsim.vision.real.errors import DataError
    for cam in setup.camera_names:
        mine = [d for d in detections if d["camera"] == cam and d.get("image") is not None]
        where = f"camera {cam!r}"
        if not mine:
            raise DataError(str(images), where, f"no images (expected "
                            f"{Path(images) / cam}/<pose>.png for the poses of joints.csv)")
        unread = [d for d in mine if d.get("error")]
        if len(unread) == len(mine):
            raise DataError(str(images), where, f"none of its {len(mine)} images could be "
                            f"read ({Path(unread[0]['image']).name}: {unread[0]['error']})")
        if not any(d.get("seen") for d in mine):
            also = f" ({len(unread)} could not be read)" if unread else ""
            raise DataError(str(images), where, f"no marker of the setup seen in any of its "
                            f"{len(mine)} images{also}")


def _read(args):
    """Read everything and detect: ``(model, data, detections, source)``."""
    from armsim.kinematics.urdf import load_robot
    from armsim.vision.real import read_joints, read_observations, read_setup
    from armsim.vision.real.model import Model
    from armsim.vision.real.errors import DataError
    from armsim.vision.real.report import observation_detections
    robot = load_robot(args.urdf)
    setup = read_setup(args.setup, robot)
    joints = read_joints(args.joints, robot)
    if len(joints.poses) > 1 and not np.ptp(joints.values, axis=0).any():
        raise DataError(str(args.joints), "", f"all {len(joints.poses)} poses have the same "
                        f"readings: the arm must move between poses, turning each marker "
                        f"(or camera) about at least two different axes")
    if args.images is not None:
        from armsim.vision.real.detect import detect_images
        found = detect_images(args.images, setup, joints)
        observations, detections = found.observations, list(found.images)
        _each_camera_saw(args.images, setup, detections)
    else:
        observations = read_observations(args.observations, setup, joints)
        if not len(observations):
            raise DataError(str(args.observations), "",
                            "no observations: the file has its header only")
        detections = observation_detections(observations, setup, joints.poses)
    source = args.images if args.images is not None else args.observations
    if len(observations) > MAX_CORNERS:
        raise DataError(str(source), "", f"{len(observations):,} corners; at most "
                        f"{MAX_CORNERS:,} (the solve's memory grows with them: 192,000 took "
                        f"3 GB and 4 minutes)")
    model = Model(robot, setup, joints.names, source=args.joints)
    return model, model.data(observations, joints), detections, source
