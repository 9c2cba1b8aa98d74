"""Command line: run a scene in a window, or export it as a GIF.

::

    python run_arm.py [SCENE | --robot NAME] [--gif OUT | --export] [--frames N] [--fps N] [--size WxH]
                      [--seed N] [--method M] [--correction C] [--report OUT.json] [--plot OUT.png]
                      [--learner L] [--rounds-per-frame N] [--orbit DEG_PER_S]
    armsim ops --segments 10                # forward- vs reverse-mode operation counts
    armsim sweep SCENE --vary segments=1:6 --vary population=2:6 --csv out.csv  # calibration grid
    armsim calibrate ROBOT.urdf --joints J.csv --observations O.csv --setup S.toml --out C.urdf

A scene with a ``[calibration]`` table is a calibration scene: the window and
the GIF show a population learning a hidden arm from what cameras see
(``--learner`` and ``--rounds-per-frame`` apply to those; ``--method`` and
``--correction`` to IK scenes).

``--robot NAME`` opens a shipped spatial robot (:data:`armsim.kinematics.robots.NAMES`)
with the scene :func:`robot_scene` writes: its tool circles slowly in front of it,
orientation held.  Spatial scenes are drawn in perspective; ``--orbit`` sets the camera's
orbit rate (window and GIF).

Without ``SCENE`` the built-in default scene runs (a 7-link arm on a
figure-eight).  Options override the scene.  ``--gif OUT`` exports headless
instead of opening the window (``--gif -``: to standard output); ``--export``
exports to the scene's ``[output]`` paths.  ``--report`` writes a JSON summary
of the run.  Every output is opened before the first frame and all are
committed together at the end, or none (:mod:`armsim.files`): a file is
replaced atomically, a device or FIFO written through, a link followed.

A bad scene prints its one-line :class:`~armsim.scene.SceneError` on stderr, a
bad option ``armsim: error: ...``; both exit with status 2 before any file is
written.  ``main(argv)`` dispatches to a subcommand when ``argv[0]`` names one
in :data:`SUBCOMMANDS`; anything else is a run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from armsim.kinematics.validate import shown as _shown
from armsim.commands.options import (HelpSaid, integer, parse_size, positive_float,
                                     positive_int)
from armsim.commands.robot_scenes import (ROBOT_CIRCLE, ROBOT_STARTS, TREE_STARTS,  # noqa: F401
                                         comfortable_start, robot_scene, tree_scene)

__all__ = ["main", "run", "build_parser", "parse_size", "SUBCOMMANDS", "write_json"]

DEMO_GIF = "armsim-demo.gif"


# command-line option -> (attribute of the parsed arguments, scene key it overrides)
OVERRIDES = (
    ("--frames", "frames", "render.frames"),
    ("--fps", "fps", "render.fps"),
    ("--size", "size", "render.size"),
    ("--seed", "seed", "seed"),
    ("--method", "method", "solver.method"),
    ("--correction", "correction", "solver.correction"),
    ("--learner", "learner", "calibration.learner"),
    ("--rounds-per-frame", "rounds_per_frame", "calibration.rounds_per_frame"),
    ("--orbit", "orbit", "view.orbit_deg_per_s"),
)
# options that only a scene of one kind has: option -> kind
KIND_OPTIONS = {"--method": "ik", "--correction": "ik", "--learner": "calibration",
                "--rounds-per-frame": "calibration"}


def robot_name(text):
    """``--robot``'s value: one of the shipped robots (a chain or a whole robot)."""
    from armsim.kinematics.robots import NAMES, TREES
    if text not in NAMES + TREES:
        raise argparse.ArgumentTypeError(f"unknown robot '{text}'; choose one of "
                                         f"{', '.join(NAMES + TREES)}")
    return text


def package_dir(text):
    """``--package-dir``'s value: an existing folder (where ``package://`` meshes are)."""
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a folder")
    return text


def orbit_rate(text):
    """``--orbit``'s value: degrees per second in the range of ``view.orbit_deg_per_s``."""
    from armsim.ranges import VIEW_ORBIT_DEG_PER_S
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of degrees per second, got '{text}'") from None
    if VIEW_ORBIT_DEG_PER_S.problem(v) is not None:
        raise argparse.ArgumentTypeError(VIEW_ORBIT_DEG_PER_S.problem(v))
    return v


class UsageError(Exception):
    """A bad command-line value (reported in one line, exit status 2)."""


class _SceneFailure(Exception):
    """A bad scene: its SceneError line is printed as is (exit status 2)."""


class _Parser(HelpSaid):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a word that starts with a minus and a digit ("--size -10x10") is a value, which the
        # option's own check names, not an option ("expected one argument")
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message):  # one line, status 2, no usage dump
        raise UsageError(message)


def build_parser():
    """The run parser.  Defaults shown by ``--help`` are those of the default scene."""
    from armsim.view.export import MAX_GIF_FRAMES
    from armsim.scene import default_scene
    from armsim.ik import CORRECTIONS, METHODS
    d = default_scene()
    p = _Parser(
        prog="armsim",
        description="A robotic arm chasing a target by gradient-driven inverse kinematics. "
                    "Runs SCENE (a TOML file, see docs/scenes.md) in a window (drag the target "
                    "with the mouse), or exports it as a GIF. A scene with a [calibration] table "
                    "shows a population of models learning a hidden arm from cameras instead "
                    "(drag the target the hidden arm chases). Options override the scene; "
                    "the defaults below are the built-in default scene's. Subcommands: "
                    "'armsim sweep --help', 'armsim ops --help', 'armsim schema --help', "
                    "'armsim calibrate --help'.",
    )
    from armsim import __version__
    p.add_argument("--version", action="version", version=f"armsim {__version__}")
    p.add_argument("scene", nargs="?", metavar="SCENE",
                   help="scene file (default: the built-in 7-link figure-eight scene), or a "
                        "robot's URDF file (PATH.urdf: the robot's tool circling slowly in "
                        "front of it, as with --robot)")
    from armsim.kinematics.robots import NAMES, TREES
    p.add_argument("--robot", type=robot_name, metavar="NAME",
                   help=f"instead of SCENE: a shipped spatial robot, one of {', '.join(NAMES)}, "
                        "its tool circling slowly in front of it (drag the target in the window); "
                        f"or a whole robot, one of {', '.join(TREES)}, a target on each tool "
                        "(drag the one nearest the mouse)")
    p.add_argument("--tip", metavar="LINK", action="append",
                   help="with PATH.urdf or --robot: the tool link (default: the leaf with the "
                        "most movable joints on its way); given twice or more, the whole robot "
                        "with a target on each (as --tips)")
    p.add_argument("--base", metavar="LINK",
                   help="with PATH.urdf or --robot: the first link (default: the root)")
    p.add_argument("--tips", metavar="LINK,LINK",
                   help="with PATH.urdf or --robot: the whole robot, a target on each of these "
                        "tool links (drag the one nearest the mouse)")
    p.add_argument("--package-dir", type=package_dir, metavar="DIR", action="append",
                   dest="package_dirs", default=[],
                   help="where a URDF's package://NAME/... meshes are (DIR/NAME/... or DIR "
                        "itself when it is called NAME); repeatable, searched before "
                        "ROS_PACKAGE_PATH")
    p.add_argument("--orbit", type=orbit_rate, metavar="DEG_PER_S",
                   help="spatial scenes: the camera orbits this many degrees per second in the "
                        "window and the GIF (default: scene view.orbit_deg_per_s; 0 for --robot)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--gif", metavar="OUT",
                     help="export headless to this GIF instead of opening a window "
                          "(relative to the current directory; - writes it to standard output; "
                          "a device or FIFO is written through, a file replaced only when the "
                          "export succeeded). A GIF holds 100/65535 (0.00153) to 50 frames/s and at most "
                          f"{MAX_GIF_FRAMES:,} frames")
    out.add_argument("--export", action="store_true",
                     help="export headless to the scene's [output] gif (and report), "
                          "relative to the scene file's folder")
    p.add_argument("--frames", type=positive_int, metavar="N",
                   help=f"frames to export (default: scene render.frames; {d.render.frames}); "
                        f"at most {MAX_GIF_FRAMES:,}, as an export takes about 5 ms a frame "
                        "at 600x600 and longer ones run for hours")
    p.add_argument("--fps", type=positive_float, metavar="N",
                   help="frames per second of the window, and of a GIF: 100/65535 (0.00153) to 50, "
                        "as GIF delays are whole hundredths of a second; frame i lasts "
                        "round(100(i+1)/fps) - round(100i/fps) of them "
                        f"(default: scene render.fps; {d.render.fps:g})")
    p.add_argument("--size", type=parse_size, metavar="WxH",
                   help="picture size in pixels of a GIF (default: scene render.size; "
                        f"{d.render.size[0]}x{d.render.size[1]}) and, when given, of the window "
                        "(default 1280x800, shrunk to fit a smaller screen; resizable)")
    p.add_argument("--seed", type=integer, metavar="N",
                   help=f"seed of the scene's randomness (default: scene seed; {d.seed})")
    p.add_argument("--method", metavar="M",
                   help=f"IK method, one of {', '.join(METHODS)} "
                        f"(default: scene solver.method; {d.solver.method})")
    p.add_argument("--correction", metavar="C",
                   help=f"gradient correction, one of {', '.join(CORRECTIONS)} "
                        f"(default: scene solver.correction; {d.solver.correction})")
    p.add_argument("--learner", metavar="L",
                   help="calibration scenes: step rule of the candidate models, one of "
                        "plain, proportional, adam, lm (default: scene calibration.learner)")
    p.add_argument("--rounds-per-frame", type=positive_int, metavar="N", dest="rounds_per_frame",
                   help="calibration scenes: rounds per frame (default: scene calibration.rounds_per_frame)")
    p.add_argument("--plot", metavar="OUT.png",
                   help="with --gif or --export: also write the whole run's error plot (tip error "
                        "per frame; calibration: best loss and true errors) on a log scale as a "
                        "PNG (default: none)")
    p.add_argument("--report", metavar="OUT.json",
                   help="write a JSON summary of the run: frames, final and mean tip error, "
                        "iterations per frame, waypoints reached; for a calibration scene rounds, "
                        "convergence, best loss and true parameter errors (default: none; with "
                        "--export the scene's [output] report)")
    return p


def _no_display_reason():
    if os.environ.get("SDL_VIDEODRIVER"):
        return None
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "neither DISPLAY nor WAYLAND_DISPLAY is set"
    return None


def _scene_from(args, notes=None):
    """The scene with the command-line overrides applied (raises on bad input); its notes
    (which tool a URDF's run took) appended to ``notes``, or printed when it is None."""
    from armsim.scene import SceneError, default_scene, load, loads, override
    if args.scene == "":            # (ran the default scene, as if none was given)
        raise UsageError("argument SCENE: expected a scene or URDF file name, got '' (give "
                         "none for the default scene)")
    if args.robot and args.scene:
        raise UsageError(f"argument --robot: give a scene file or --robot, not both "
                         f"(got '{args.scene}' and --robot {args.robot})")
    urdf = args.scene if args.scene and args.scene.lower().endswith(".urdf") else None
    if args.scene and not os.path.lexists(args.scene):
        from armsim.kinematics.urdf import shipped_name
        name = shipped_name(args.scene)
        if name is not None:        # "run_arm.py panda": a robot's name, not a file here
            raise _SceneFailure(f"{args.scene}: no such file ({name!r} is a robot armsim "
                                f"ships: --robot {name})")
    tips = [args.tip] if isinstance(args.tip, str) else (args.tip or [])
    if len(tips) > 1:             # --tip A --tip B: the whole robot, as --tips A,B
        if args.tips is not None or args.base is not None:
            raise UsageError("argument --tip: several --tip name a whole robot's tools; give "
                             "them without --tips or --base")
        args.tips, args.tip = list(tips), None       # each as given (a name may hold a comma)
    else:
        args.tip = tips[0] if tips else None
    for option, value in (("--tip", args.tip), ("--base", args.base), ("--tips", args.tips)):
        if value is not None and not (args.robot or urdf):
            raise UsageError(f"argument {option}: only a robot (PATH.urdf or --robot NAME) "
                             f"has links to choose; {args.scene or 'the default scene'} is a "
                             f"scene file")
    try:
        if args.robot or urdf:
            if args.tips is not None and (args.tip is not None or args.base is not None):
                raise UsageError("argument --base: not with --tips (a whole robot's tools hang "
                                 "from its root)" if args.base is not None else
                                 "argument --tip: not with --tips (name the tools once: --tips "
                                 "A,B or --tip A --tip B)")
            tips = args.tips
            if isinstance(tips, str):                   # "a, b": the names a and b
                tips = [t.strip() for t in tips.split(",")]
                if "" in tips:
                    raise UsageError(f"argument --tips: an empty link name in "
                                     f"{_shown(args.tips)} (give LINK,LINK)")
            try:
                text = (robot_scene(args.robot, urdf, args.base, args.tip,  # which leaf: said
                                    note=(notes.append if notes is not None else
                                          lambda line: print(line, file=sys.stderr)))
                        if tips is None else tree_scene(args.robot, urdf, tips))
            except ValueError as exc:       # the robot's model cannot be read (a shipped
                why = str(exc).removeprefix(f"{args.robot}: ")     # one's names the robot)
                raise _SceneFailure(why if urdf else f"--robot {args.robot}: {why}") from None
            scene = loads(text, source=f"<{urdf}>" if urdf else f"<--robot {args.robot}>")
        else:
            scene = load(args.scene) if args.scene else default_scene()
    except SceneError as exc:
        raise _SceneFailure(str(exc)) from None
    if getattr(args, "package_dirs", None) and not scene.spatial:     # (it was ignored)
        raise UsageError(f"argument --package-dir: only a spatial robot (a URDF's) has meshes "
                         f"to find; {args.scene or 'the default scene'} is not one")
    from armsim.view.export import MAX_GIF_FRAMES
    if args.frames is not None and args.frames > MAX_GIF_FRAMES:  # (--frames is only a GIF's:
        raise UsageError(f"argument --frames: must be <= {MAX_GIF_FRAMES:,} for a GIF "  # the
                         f"export, got {args.frames}")        # scene's 1,000,000 was said first)
    values = {}
    for option, attr, key in OVERRIDES:
        v = getattr(args, attr)
        if v is not None:
            if option == "--orbit" and not scene.spatial:
                cal = scene.calibration if scene.kind == "calibration" else None
                why = ("is planar" if scene.kind == "ik" else "is a 3D calibration scene, whose "
                       "camera frames the robot and its cameras itself (o turns it in the window)"
                       if getattr(cal, "robot", None) else f"is a {scene.kind} scene")
                raise UsageError(f"argument --orbit: only a spatial scene (arm.robot, arm.urdf or "
                                 f"arm.dh, or --robot) takes it; {scene.source} {why}")
            kind = KIND_OPTIONS.get(option)
            if kind is not None and kind != scene.kind:
                what = "an IK scene (one with [arm])" if kind == "ik" else f"a {kind} scene (one with [{kind}])"
                raise UsageError(f"argument {option}: only {what} has this option; "
                                 f"{scene.source} is a{'n IK' if scene.kind == 'ik' else ' ' + scene.kind} scene")
            values[key] = list(v) if isinstance(v, tuple) else v
    try:
        return override(scene, values)
    except SceneError as exc:
        for option, attr, key in OVERRIDES:
            if exc.key == key or exc.key.startswith(key + "["):
                raise UsageError(f"argument {option}: {exc.detail}") from None
        raise _SceneFailure(str(exc)) from None


def _fps_error(args, scene, detail):
    if args.fps is not None:
        return UsageError(f"argument --fps: {detail}")
    return _SceneFailure(f"{scene.source}: render.fps: {detail}")


def _outputs(args, scene):
    """(gif name or None, report name or None, make_parents) of the run, checked.

    Nothing is opened here (see :func:`_open_outputs`); this refuses names and
    settings that cannot work: an empty name, the scene file itself, two outputs
    that are the same file, a GIF the format or the memory cannot hold.
    """
    gif = report = plot = None
    gif_label, report_label = "--gif", "--report"   # (a scene's [output] keys under --export)
    if args.gif is not None:
        if args.gif == "":
            raise UsageError("argument --gif: expected a file name (or - for standard output), got ''")
        gif = args.gif
    elif args.export:
        if scene.output.gif is None:
            raise UsageError(f"--export: the scene {scene.source} has no [output] gif; give --gif OUT")
        gif = str(scene.resolve(scene.output.gif)) + (      # (a folder's slash kept)
            "/" if scene.output.gif.endswith(("/", os.sep)) else "")
        gif_label = f"--export ([output] gif of {scene.source})"
        _check_suffix(gif_label, gif, ".gif", "a GIF")
        if scene.output.report is not None:
            report = str(scene.resolve(scene.output.report))
            report_label = f"--export ([output] report of {scene.source})"
    if args.report is not None:
        if args.report == "":
            raise UsageError("argument --report: expected a file name (or - for standard output), got ''")
        report, report_label = args.report, "--report"
    if getattr(args, "plot", None) is not None:
        if args.plot == "":
            raise UsageError("argument --plot: expected a file name (or - for standard output), got ''")
        if gif is None:
            raise UsageError("argument --plot: only with --gif OUT or --export (the plot is of an "
                             "exported run)")
        plot = args.plot
    from armsim.files import same_destination
    inputs = [("the scene file", args.scene)] if args.scene else []
    if scene.urdf_file is not None:                              # the URDF the scene loads
        inputs.append(("the scene's URDF", str(scene.urdf_file)))
    for what, name in inputs:
        for path, option in ((gif, gif_label), (report, report_label), (plot, "--plot")):
            if path is not None and path != "-" and same_destination(path, name):
                raise UsageError(f"argument {option}: refusing to overwrite {what} '{name}'")
    if gif is not None and report is not None and same_destination(gif, report):
        raise UsageError(f"argument {report_label}: the report and the GIF are the same file")
    if plot is not None:
        for other, what in ((gif, "the GIF"), (report, "the report")):
            if other is not None and same_destination(plot, other):
                raise UsageError(f"argument --plot: the plot and {what} are the same file")
    if args.gif is not None:
        _check_suffix("--gif", args.gif, ".gif", "a GIF")
    if plot is not None:
        _check_suffix("--plot", plot, ".png", "a PNG")
    if gif is not None:
        _check_gif(args, scene)
    return gif, report, plot


def _check_suffix(option, name, suffix, what):
    """A file the option writes is named for what it holds (:func:`armsim.files.suffix_problem`)."""
    from armsim.files import suffix_problem
    problem = suffix_problem(name, suffix, what)
    if problem:
        raise UsageError(f"argument {option}: {problem}")


def _check_gif(args, scene):
    from armsim.view.export import ExportError, check_export
    r = scene.render
    try:
        check_export(r.frames, r.fps, r.size)
    except ExportError as exc:
        text = str(exc)
        if text.startswith("fps "):
            raise _fps_error(args, scene, text[len("fps "):]) from None
        for option, attr, key in OVERRIDES:
            word = key.rpartition(".")[2]
            if text.startswith(word + " "):
                if getattr(args, attr) is not None:
                    raise UsageError(f"argument {option}: {text[len(word) + 1:]}") from None
                raise _SceneFailure(f"{scene.source}: {key}: {text[len(word) + 1:]}") from None
        raise UsageError(text) from None


def draw_options(scene) -> dict:
    """Keyword arguments of :func:`armsim.view.render.draw` for a scene's ``[render]``."""
    from armsim.view import theme_from_scene
    r = scene.render
    return dict(theme=theme_from_scene(r), show_jacobian=r.show_jacobian, show_trail=r.show_trail,
                show_panel=r.show_panel, show_reach=r.show_reach, show_waypoints=r.show_waypoints)


def run(argv):
    """Run the scene the arguments describe.  Returns the exit status.

    Every output (GIF, report) is opened before the first frame is drawn and
    committed together when the run ends, or none is (see :mod:`armsim.files`).
    """
    args = build_parser().parse_args(argv)
    from armsim.view.solids import use_package_dirs
    use_package_dirs(args.package_dirs)
    from armsim.files import OutputError, Outputs
    from armsim.scene import SceneError, build_simulation
    from armsim.scene.robot_arm import reading
    notes = []                  # said once the run's input is all good (bad input: one line)
    with reading():             # (a robot's file read once for the scene and its overrides)
        scene = _scene_from(args, notes)
    try:
        sim = build_simulation(scene)
    except SceneError as exc:
        raise _SceneFailure(str(exc)) from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    gif, report, plot = _outputs(args, scene)
    options = draw_options(scene)
    camera = scene_camera(scene, sim)
    try:
        with Outputs() as outs:
            gif_dest = None if gif is None else outs.add(gif, None,
                                                         make_parents=args.export)
            report_dest = None if report is None else outs.add(
                report, None, make_parents=args.export)
            plot_dest = None if plot is None else outs.add(plot, None, make_parents=args.export)
            for line in notes:
                print(line, file=sys.stderr)
            if gif_dest is not None:
                _export(sim, gif_dest, scene, options, plot_dest, camera)
            else:
                reason = _no_display_reason()
                shown = False
                if reason is None:
                    from armsim.view import window, window_tree
                    from armsim.view.window import DisplayError, open_window
                    # a whole robot has its own window (window_tree.TreeApp)
                    run_window = (window_tree.run_window if hasattr(sim.state, "tools")
                                  else window.run_window)
                    try:
                        screen = open_window(args.size, title=scene_title(scene))
                    except DisplayError as exc:
                        reason = str(exc)
                    else:
                        run_window(sim, fps=scene.render.fps, screen=screen, draw_options=options,
                                   title=scene_title(scene), camera=camera)
                        shown = True
                if not shown:
                    _check_gif(args, scene)
                    fallback = fallback_gif(scene)
                    said = f"armsim: no display available ({reason}); writing {fallback} instead"
                    try:
                        gif_dest = outs.add(fallback)
                    except OutputError as exc:      # (the line saying why it was written)
                        raise OutputError(f"{said.removeprefix('armsim: ')}: {exc} (give "
                                          f"--gif OUT)") from None
                    also = "" if report is None else f" (and the report, {report})"
                    print(said + also, file=sys.stderr)
                    _export(sim, gif_dest, scene, options, camera=camera)
            if report_dest is not None:
                summary = {"scene": scene.source, "seed": scene.seed,
                           "gif": None if gif_dest is None else gif_dest.name, **sim.report()}
                _dump_json(report_dest, summary)
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    if gif is not None:                  # an export the user asked for: say what was written
        _say_written(scene, gif, report, plot)
        method = scene.solver.method if scene.kind == "ik" else None
        if args.correction is not None and method not in (None, "gradient"):
            # (a window keeps it for a switch to gradient; an export never switches)
            print(f"armsim: note: --correction {args.correction} was not used: only the "
                  f"gradient method takes a correction, and this run's is {method}",
                  file=sys.stderr)
    return 0


def _say_written(scene, gif, report, plot):
    """One line on standard output naming what an export wrote (nothing when standard
    output carries the GIF, ``--gif -``)."""
    from armsim.files import names_stdout, say
    if any(n is not None and names_stdout(n) for n in (gif, report, plot)):
        return
    r = scene.render
    shown = [n if n is None or n.isprintable() else repr(n) for n in (gif, report, plot)]
    parts = [f"{shown[0]} ({r.frames} frame{'s' if r.frames != 1 else ''}, "
             f"{r.size[0]}x{r.size[1]}, {r.fps:g} frames/s)"]
    parts += [name for name in shown[1:] if name is not None]
    say("armsim: wrote " + ", ".join(parts))      # one line, whatever the names hold


def fallback_gif(scene) -> str:
    """The GIF written in the current folder when no window can open: ``armsim-demo.gif``
    for the default scene, else named after what runs (``armsim-calibrate-ga.gif`` for
    ``calibrate-ga.toml``, ``armsim-panda.gif`` for ``--robot panda``, ``armsim-my_arm.gif``
    for ``my_arm.urdf``)."""
    title = scene_title(scene)
    if title == "default scene":
        return DEMO_GIF
    stem = title[len("robot "):] if title.startswith("robot ") else Path(title).stem
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:80] or "scene"
    return f"armsim-{stem}.gif"


def scene_camera(scene, sim, frames=None):
    """A spatial scene's :class:`~armsim.view.orbit.OrbitCamera` (its ``[view]``; what it
    leaves out frames the arm as it starts and where it goes in ``frames`` frames, default
    :data:`~armsim.view.orbit.PATH_FRAMES`, and its obstacles as :func:`armsim.render` does,
    :func:`~armsim.view.orbit.framed_camera`), else None."""
    if not getattr(scene, "spatial", False):
        return None
    from armsim.view.orbit import framed_camera, sim_framing, view_reach
    from armsim.view.render import spatial_obstacles
    view, given = dict(scene.view), scene.sections.get("view")
    for k in ("distance", "center"):      # not in the file: the framing of the arm as it starts
        if given is None or getattr(given, k) is None:
            view.pop(k)
    if "distance" in view and "center" in view:       # the file frames it: no preview
        frames = 0
    return framed_camera(view, view_reach(sim.chain), sim_framing(sim, frames),
                         spatial_obstacles(sim))


def scene_title(scene) -> str:
    """The scene's name for the window title: its file name, "robot NAME" for ``--robot``,
    or "default scene"."""
    source = str(scene.source)
    if source.startswith("<--robot "):
        return "robot " + source[len("<--robot "):-1]
    if source.startswith("<") and source.lower().endswith(".urdf>"):
        return Path(source[1:-1]).name
    return "default scene" if source.startswith("<") else Path(source).name


def _export(sim, dest, scene, options, plot_dest=None, camera=None):
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from armsim.view.export import progress_bar, write_frames, write_plot
    r = scene.render
    history = None
    if plot_dest is not None:
        from armsim.view.plot import RunHistory, series_for
        history = RunHistory(series_for(sim.state, options.get("theme")))
    with progress_bar(r.frames, desc=Path(dest.name).name) as progress:
        write_frames(sim, dest, frames=r.frames, fps=r.fps, size=r.size, progress=progress,
                     history=history, camera=camera, **options)
    if plot_dest is not None:
        write_plot(history, plot_dest, theme=options.get("theme"),
                   title=f"{scene_title(scene)}: {r.frames} frame{'s' if r.frames != 1 else ''}")


def _dump_json(dest, data):
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    try:
        dest.file.write(text.encode())
    except OSError as exc:
        raise dest.error(exc) from None


def write_json(path, data) -> Path:
    """Write ``data`` as JSON to ``path`` through an :class:`armsim.files.Outputs`
    destination (atomic for a file; ``-``, devices and FIFOs written through)."""
    from armsim.files import Outputs
    with Outputs() as outs:
        dest = outs.add(path)
        _dump_json(dest, data)
    return dest.path


# name -> (module, function taking argv and returning the exit status)
SUBCOMMANDS = {
    "ops": ("armsim.commands.ops", "ops_main"),
    "sweep": ("armsim.commands.sweep", "sweep_command"),
    "schema": ("armsim.commands.schema", "schema_main"),
    "calibrate": ("armsim.commands.calibrate", "calibrate_main"),
}


def main(argv=None):
    """Entry point of ``run_arm.py`` and the ``armsim`` console script."""
    from armsim.files import OutputError, Terminated, hold_standard_fds, one_line as _one_line
    hold_standard_fds()     # a closed standard output is no later file's number
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = f"armsim {argv[0]}" if argv and argv[0] in SUBCOMMANDS else "armsim"
    try:
        if argv and argv[0] in SUBCOMMANDS:
            import importlib
            module, func = SUBCOMMANDS[argv[0]]
            return getattr(importlib.import_module(module), func)(argv[1:])
        return run(argv)
    except _SceneFailure as exc:
        print(_one_line(exc), file=sys.stderr)
        return 2
    except UsageError as exc:
        print(f"armsim: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OutputError as exc:      # standard output failed (files.say): a full disk
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("armsim: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("armsim: terminated (SIGTERM); no output written", file=sys.stderr)
        return 143


if __name__ == "__main__":
    raise SystemExit(main())
