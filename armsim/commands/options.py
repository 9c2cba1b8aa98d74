"""Argument types shared by the commands: each turns a command-line string into a value or
raises ``argparse.ArgumentTypeError`` with the one-line reason."""

from __future__ import annotations

import argparse

__all__ = ["parse_size", "positive_int", "integer", "positive_float", "HelpSaid"]


class HelpSaid(argparse.ArgumentParser):
    """An argument parser whose ``--help`` and ``--version`` text, when standard output
    cannot take it (``> /dev/full``), is :class:`armsim.files.OutputError` (one line, exit
    status 2 from :func:`armsim.cli.main`): argparse dropped the error and exited with 0."""

    def _print_message(self, message, file=None):
        import sys
        if not message:
            return
        out = file or sys.stderr
        if out is not sys.stdout:
            return super()._print_message(message, file)
        from armsim.files import say
        try:
            say(message.rstrip("\n"), out)
        except BrokenPipeError:         # (its reader left: nothing to say, as before)
            pass


def parse_size(text):
    """``"WxH"`` -> (W, H), both positive integers (the picture's own rule, 16 to 4096 a
    side, is checked where the size is used; a zero or negative side states it here)."""
    parts = text.lower().split("x")
    try:
        w, h = (int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WxH (e.g. 480x360), got '{text}'") from None
    if w < 1 or h < 1:
        raise argparse.ArgumentTypeError(f"width and height must be >= 16, got '{text}'")
    return w, h


def positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got '{text}'") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def integer(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got '{text}'") from None


def positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not v > 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return v
