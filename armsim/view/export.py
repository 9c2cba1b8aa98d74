"""Headless GIF export: collect rendered frames and hand them to imageio.

Never opens a window.  The file is written to a temporary file in the same
folder and renamed into place, so a failed or interrupted export leaves no
half-written GIF (and never truncates an existing one).
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from armsim.view.render import render_array

__all__ = ["ExportError", "export_gif", "collect_frames", "check_writable", "progress_bar"]


class ExportError(Exception):
    """The GIF cannot be written (bad path, bad settings)."""


def check_writable(path) -> Path:
    """Fail early, before rendering, when ``path`` cannot be written."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ExportError(f"cannot write '{path}': it is a directory")
    if not parent.exists():
        raise ExportError(f"cannot write '{path}': folder '{parent}' does not exist")
    if not parent.is_dir():
        raise ExportError(f"cannot write '{path}': '{parent}' is not a folder")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"cannot write '{path}': folder '{parent}' is not writable")
    return path


def collect_frames(sim, frames, size=(480, 360), progress=None, **draw_options):
    """Advance ``sim`` ``frames`` times and render each state.

    Returns a list of ``frames`` arrays (H, W, 3) uint8.  ``progress`` is an
    optional callable receiving the number of frames done.
    """
    out = []
    for i in range(frames):
        state = sim.step()
        out.append(render_array(state, size, **draw_options))
        if progress is not None:
            progress(i + 1)
    return out


def _validate(frames, fps, size):
    if int(frames) != frames or frames < 1:
        raise ExportError(f"frames must be an integer >= 1, got {frames}")
    if not np.isfinite(fps) or fps <= 0:
        raise ExportError(f"fps must be > 0, got {fps}")
    w, h = size
    if int(w) != w or int(h) != h or w < 1 or h < 1:
        raise ExportError(f"size must be two integers >= 1, got {w}x{h}")


def distinct_consecutive(frames):
    """``frames`` with no two consecutive frames equal.

    Pillow's GIF writer merges a frame identical to the one before into it
    (adding up the delays), which would lose frames.  A frame equal to the
    previous one gets the blue value of its bottom-right pixel changed by one,
    an invisible mark that survives the palette reduction as a difference of
    a few units (:func:`write_gif` checks the frame count all the same).
    Frames of a running simulation differ anyway: the panel shows the frame.
    """
    out = []
    for frame in frames:
        if out and np.array_equal(frame, out[-1]):
            frame = frame.copy()
            frame[-1, -1, 2] ^= 1
        out.append(frame)
    return out


def _gif_frame_count(path):
    from PIL import Image

    with Image.open(path) as im:
        return getattr(im, "n_frames", 1)


def write_gif(path, frames, fps):
    """Write ``frames`` (list of (H, W, 3) uint8) to ``path`` atomically.

    Every frame is kept (see :func:`distinct_consecutive`); the count is
    checked by reading the file back before it is moved into place.  GIF
    delays have a resolution of 10 ms, so 1000/fps ms is rounded down to it.
    """
    path = check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        # duration per frame in ms; loop forever
        iio.imwrite(tmp, np.stack(distinct_consecutive(frames)), extension=".gif",
                    duration=1000.0 / fps, loop=0)
        written = _gif_frame_count(tmp)
        if written != len(frames):
            raise ExportError(f"cannot write '{path}': the GIF encoder kept {written} "
                              f"of {len(frames)} frames")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # mkstemp creates 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write '{path}': {exc.strerror or exc}") from exc
        raise
    return path


def export_gif(sim, path, *, frames=120, fps=30, size=(480, 360), progress=None, **draw_options):
    """Render ``frames`` frames of ``sim`` headless and write them as a GIF.

    Parameters
    ----------
    sim : armsim.ik.tracking.Simulation (anything with ``step() -> State``)
    path : str or Path
    frames : int
    fps : float   frames per second of the GIF
    size : (int, int)   width, height [px]
    progress : callable(int), optional
    **draw_options : passed to :func:`armsim.view.render.draw`

    Returns
    -------
    Path of the written file.
    """
    _validate(frames, fps, size)
    check_writable(path)
    images = collect_frames(sim, int(frames), size, progress=progress, **draw_options)
    return write_gif(path, images, fps)


@contextmanager
def progress_bar(total, stream=None, desc="export"):
    """A tqdm progress bar on a terminal; silence otherwise (or without tqdm).

    Yields a callable ``progress(done)`` for :func:`export_gif` (or ``None``
    when ``stream``, default ``sys.stderr``, is not a terminal, so logs and
    pipes stay clean).  The bar is removed when the export ends.
    """
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        from tqdm import tqdm         # the "progress" extra
    except ImportError:
        tqdm = None
    if tqdm is None or not (callable(isatty) and isatty()):
        yield None
        return
    with tqdm(total=int(total), file=stream, unit="frame", desc=desc, leave=False,
              dynamic_ncols=True) as bar:
        def progress(done):
            bar.update(int(done) - bar.n)
        yield progress
