"""Command line: run the default scene in a window, or export it as a GIF.

::

    python run_arm.py                       # the window
    python run_arm.py --gif out.gif [--frames N] [--fps N] [--size WxH] [--seed N]
    armsim ops --segments 10                # forward- vs reverse-mode operation counts

Bad input prints one line on stderr and exits with status 2; no file is written.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main", "parse_size"]

DEMO_GIF = "armsim-demo.gif"


class UsageError(Exception):
    """A bad command-line value (reported in one line, exit status 2)."""


def parse_size(text):
    """``"WxH"`` -> (W, H), both integers >= 1."""
    parts = text.lower().split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WxH (e.g. 480x360), got '{text}'") from None
    if w < 1 or h < 1:
        raise argparse.ArgumentTypeError(f"width and height must be >= 1, got '{text}'")
    return w, h


def _positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got '{text}'") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def _positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return v


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2, no usage dump
        raise UsageError(message)


def build_parser():
    p = _Parser(
        prog="armsim",
        description="A robotic arm chasing a target by gradient-driven inverse kinematics. "
                    "Without --gif, opens a window (drag the target with the mouse).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--gif", metavar="OUT", help="render headless to this GIF instead of opening a window")
    p.add_argument("--frames", type=_positive_int, default=120, help="frames to export")
    p.add_argument("--fps", type=_positive_float, default=30.0, help="frames per second")
    p.add_argument("--size", type=parse_size, default=(480, 360), metavar="WxH", help="picture size in pixels")
    p.add_argument("--seed", type=int, default=0, help="seed of the scene's randomness")
    p.add_argument("--method", default=None, help="IK method (default: the scene's)")
    p.add_argument("--correction", default=None, help="gradient correction (default: the scene's)")
    return p


def _no_display_reason():
    if os.environ.get("SDL_VIDEODRIVER"):
        return None
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "neither DISPLAY nor WAYLAND_DISPLAY is set"
    return None


def run(argv):
    args = build_parser().parse_args(argv)
    from .sim import default_simulation
    try:
        sim = default_simulation(seed=args.seed, method=args.method, correction=args.correction)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.gif:
        return _export(sim, args.gif, args)
    reason = _no_display_reason()
    if reason is None:
        from .app import DisplayError, open_window, run_window
        try:
            screen = open_window((800, 600))
        except DisplayError as exc:
            reason = str(exc)
        else:
            run_window(sim, fps=min(args.fps * 2, 60.0), screen=screen)
            return 0
    print(f"armsim: no display available ({reason}); writing {DEMO_GIF} instead", file=sys.stderr)
    return _export(sim, DEMO_GIF, args)


def _export(sim, path, args):
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from .export import ExportError, export_gif
    try:
        export_gif(sim, path, frames=args.frames, fps=args.fps, size=args.size)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    return 0


SUBCOMMANDS = {
    "ops": ("armsim.opcount", "ops_main"),
}


def main(argv=None):
    """Entry point of ``run_arm.py`` and the ``armsim`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in SUBCOMMANDS:
            import importlib
            module, func = SUBCOMMANDS[argv[0]]
            return getattr(importlib.import_module(module), func)(argv[1:])
        return run(argv)
    except UsageError as exc:
        print(f"armsim: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("armsim: interrupted", file=sys.stderr)
        return 130
