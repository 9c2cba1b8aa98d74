"""Headless GIF export, streamed: each frame is encoded as soon as it is drawn.

Never opens a window.  Memory does not grow with the frame count: one
surface, one frame's pixels and the previous frame's palette indices are kept
(:func:`export_memory` is the estimate the command line checks up front).
The GIF is written through an :class:`armsim.files.Destination`, so a
failed or interrupted export leaves no half-written file and never truncates
an existing one; ``-``, devices and FIFOs are written through.

Encoding uses Pillow's documented frame-by-frame GIF helpers
(:func:`PIL.GifImagePlugin.getheader` and :func:`~PIL.GifImagePlugin.getdata`)
with one global palette: the theme's colours and the first frame's colours,
most frequent first (the pictures have a few hundred colours at most), and
each frame mapped to it exactly, or to the nearest entry, without dithering.  Only the rectangle that changed
since the previous frame is stored; every frame is kept, with its own delay.

Timing: GIF delays are whole hundredths of a second, so frame ``i`` gets
``round(100 (i+1)/fps) - round(100 i/fps)`` of them and the whole GIF lasts
``frames/fps`` to within 5 ms (30 fps: 3, 3, 4, 3, 3, 4, ...).  Viewers play
delays below 2 hundredths as 10, so a GIF cannot show more than
:data:`MAX_GIF_FPS` frames per second; one delay holds at most 65535
hundredths, hence :data:`MIN_GIF_FPS`.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import numpy as np

from armsim.ranges import is_whole

__all__ = ["ExportError", "export_gif", "write_plot", "PLOT_SIZE", "GifWriter", "gif_delays", "read_durations", "export_memory",
           "check_export", "progress_bar", "MAX_GIF_FPS", "MIN_GIF_FPS", "MAX_GIF_FRAMES",
           "MAX_GIF_SIDE", "check_memory", "picture_memory"]

MAX_GIF_FPS = 50.0              # delays of 2 hundredths of a second
MIN_GIF_FPS = 100.0 / 65535     # delays of 65535 hundredths (the format's largest)
MAX_GIF_FRAMES = 100_000        # about 55 min at 30 fps; longer exports take hours
MAX_GIF_SIDE = 4096             # the scene format's largest picture side
BYTES_PER_PIXEL = 30            # surface 3, RGBX 4, keys 4, masks/indices 8, previous 1, crop/LZW ~10
PICTURE_BYTES_PER_PIXEL = 14    # one picture (armsim.render): surfaces, masks, the array out


class ExportError(Exception):
    """The GIF cannot be written (bad path, bad settings)."""


# -- settings ------------------------------------------------------------------

def gif_delays(frames, fps):
    """Delays in hundredths of a second of ``frames`` frames at ``fps``.

    Frame ``i`` lasts ``round(100 (i+1)/fps) - round(100 i/fps)``, so the first
    ``k`` frames last ``round(100 k/fps)`` hundredths: never more than 5 ms off.
    """
    return [_delay(i, fps) for i in range(frames)]


def read_durations(path):
    """The per-frame delays [ms] of the GIF at ``path``, as Pillow reads them back."""
    from PIL import Image
    with Image.open(path) as im:
        out = []
        for k in range(getattr(im, "n_frames", 1)):
            im.seek(k)
            out.append(im.info["duration"])
    return out


def _delay(i, fps):
    """Frame ``i``'s delay [hundredths of a second] (see :func:`gif_delays`)."""
    return round(100.0 * (i + 1) / fps) - round(100.0 * i / fps)


def export_memory(size) -> int:
    """Bytes an export of pictures of ``size`` (w, h) needs, whatever the frame count.

    An upper estimate: measured peak RSS 87 MiB at 600x600 (60 to 960 frames,
    ``bench/export.py``) and 450 MiB at 4096x4096 (10 frames,
    ``/usr/bin/time -v``), against 90 and 560 MiB estimated.
    """
    w, h = size
    return BYTES_PER_PIXEL * int(w) * int(h) + (80 << 20)   # + colour table 16 MiB, interpreter and libraries


def picture_memory(size) -> int:
    """Bytes one picture of ``size`` (w, h) drawn by ``armsim.render`` needs: measured
    164 MiB over the process's size at 4096x4096 (the Panda, its panel shown) and 120 MiB
    of address space for pygame's libraries, against 304 MiB estimated."""
    w, h = size
    return PICTURE_BYTES_PER_PIXEL * int(w) * int(h) + (80 << 20)


def check_memory(need, size, what="an export"):
    """An :class:`ExportError` (one line) when ``need`` bytes for ``what`` at ``size`` are
    more than the memory available."""
    have = _available_memory()
    if have is not None and need > have:
        w, h = size
        raise ExportError(f"{what} at {w}x{h} needs about {_mib(need)} of memory; "
                          f"{_mib(have)} available")


#: where a cgroup's memory limit and use are read (v2, then v1)
CGROUP_FILES = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                 "/sys/fs/cgroup/memory/memory.usage_in_bytes"))


def _available_memory():
    """Bytes this process can still take: the least of the system's available memory, the
    room under its cgroup's limit (a container's) and under its address-space limit
    (``ulimit -v``); None when none is known.  (The system's alone let a 560 MiB export
    start in a 400 MiB ``ulimit -v`` and end in a MemoryError traceback.)"""
    known = [v for v in (_field("/proc/meminfo", "MemAvailable:"), _cgroup_room(),
                         _address_room()) if v is not None]
    return max(min(known), 0) if known else None


def _field(path, key):
    """A ``key: N kB`` line's bytes in ``path`` (/proc/meminfo, /proc/self/status)."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room():
    for limit, usage in CGROUP_FILES:
        try:
            with open(limit) as fh:
                top = fh.read().strip()
            with open(usage) as fh:
                used = int(fh.read().strip())
        except (OSError, ValueError):
            continue
        if top.isdigit() and int(top) < 1 << 60:      # ("max", v1's "no limit": 2^63 - 4096)
            return int(top) - used
        return None
    return None


def _address_room():
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError, ValueError):
        return None
    size = _field("/proc/self/status", "VmSize:")
    if soft == resource.RLIM_INFINITY or size is None:
        return None
    return soft - size


def _mib(n):
    return f"{n / 2**20:,.0f} MiB"


def check_export(frames, fps, size):
    """Refuse, before any work, an export the GIF format or this machine cannot do.

    Raises :class:`ExportError` with one line saying the real range.
    """
    if not is_whole(frames) or frames < 1:
        raise ExportError(f"frames must be an integer >= 1, got {frames}")
    if frames > MAX_GIF_FRAMES:
        raise ExportError(f"frames must be <= {MAX_GIF_FRAMES:,} for a GIF export, got {frames}")
    try:            # a number, not text or a bool (True was 1 fps, "30" was taken)
        rate = None if isinstance(fps, (bool, str, bytes)) else float(fps)
    except (TypeError, ValueError):
        rate = None
    if rate is None:
        raise ExportError(f"fps must be a number, got {str(fps)[:40]!r}")
    fps = rate
    if not np.isfinite(fps) or fps <= 0:
        raise ExportError(f"fps must be a finite number > 0, got {fps}")
    if fps > MAX_GIF_FPS:
        raise ExportError(f"fps must be <= {MAX_GIF_FPS:g} for a GIF, got {fps:g}: GIF delays are "
                          "whole hundredths of a second and viewers play delays under 2 as 10 "
                          "(the window can run at any rate)")
    if fps < MIN_GIF_FPS:
        raise ExportError(f"fps must be >= 100/65535 = {MIN_GIF_FPS:.7f} for a GIF (a frame lasts "
                          f"at most 655.35 s), got {fps:g}")
    try:
        w, h = size
    except (TypeError, ValueError):
        raise ExportError(f"size must be two integers, got {size!r}") from None
    if not all(is_whole(v) and v >= 1 for v in (w, h)):
        raise ExportError(f"size must be two integers >= 1, got {w}x{h}")
    if w > MAX_GIF_SIDE or h > MAX_GIF_SIDE:
        raise ExportError(f"size must be at most {MAX_GIF_SIDE}x{MAX_GIF_SIDE}, got {w}x{h}")
    check_memory(export_memory((w, h)), (w, h))
    return int(frames), fps, (int(w), int(h))


# -- the encoder -----------------------------------------------------------------

def _theme_colors(theme):
    out = []

    def walk(v):
        if isinstance(v, tuple) and len(v) in (3, 4) and all(isinstance(c, int) for c in v):
            out.append(tuple(v[:3]))
        elif isinstance(v, (tuple, list)):
            for x in v:
                walk(x)
    if theme is not None:
        for name in getattr(theme, "__dataclass_fields__", {}):
            walk(getattr(theme, name))
    return out


def _cube(levels):
    steps = [round(255 * k / (levels - 1)) for k in range(levels)]
    return [(r, g, b) for r in steps for g in steps for b in steps]


def palette_for(keys, extra=()):
    """Up to 255 colours (RGB triples) for pictures like one whose packed
    colours (``R | G<<8 | B<<16``) are ``keys``: the ``extra`` colours (the
    theme's) first, then the picture's, most frequent first, then coarse
    colour-cube entries in the room left (so colours that appear only later
    are never far from one)."""
    values, counts = np.unique(keys, return_counts=True)
    ranked = values[np.argsort(-counts, kind="stable")][:255]
    colors, seen = [], set()
    for c in list(extra) + [(int(v) & 255, (int(v) >> 8) & 255, (int(v) >> 16) & 255)
                            for v in ranked] + _cube(4) + _cube(6):
        if c not in seen and len(colors) < 255:
            seen.add(c)
            colors.append(c)
    return colors


class GifWriter:
    """Write a looping GIF to a binary file object, one frame at a time.

    ``add(rgbx)`` takes one picture as ``w*h*4`` bytes, ``R, G, B, X`` per
    pixel, rows top first (``pygame.image.tobytes(surface, "RGBX")``); the
    first picture fixes the palette (:func:`palette_for`).  A colour is mapped
    to its palette entry exactly, or to the nearest one (Euclidean RGB) when
    the palette lacks it, through a table over all 2**24 colours (16 MiB)
    filled as colours appear.  ``close()`` writes the trailer.  Delays follow
    :func:`gif_delays`.
    """

    UNKNOWN = 255           # table value of a colour not looked up yet (never a palette entry)

    def __init__(self, file, size, fps, extra_colors=()):
        from PIL import GifImagePlugin, Image
        self._Image, self._gif = Image, GifImagePlugin
        self.file = file
        self.size = (int(size[0]), int(size[1]))
        self.fps = float(fps)
        self.extra = list(extra_colors)
        self.count = 0
        self._table = None
        self._palette = None
        self._previous = None

    def _start(self, keys):
        colors = palette_for(keys, self.extra)
        self._palette = np.array(colors, dtype=np.int64)
        self._table = np.full(1 << 24, self.UNKNOWN, dtype=np.uint8)
        packed = self._palette[:, 0] | (self._palette[:, 1] << 8) | (self._palette[:, 2] << 16)
        self._table[packed[::-1]] = np.arange(len(colors) - 1, -1, -1, dtype=np.uint8)
        flat = [x for c in colors for x in c]
        return flat + flat[:3] * (256 - len(colors))

    def _learn(self, keys):
        """Fill the table for colours not seen yet: the nearest palette entry."""
        new = np.unique(keys)
        rgb = np.stack([new & 255, (new >> 8) & 255, (new >> 16) & 255], axis=1).astype(np.int64)
        for lo in range(0, len(new), 4096):
            d = ((rgb[lo:lo + 4096, None, :] - self._palette[None, :, :]) ** 2).sum(axis=2)
            self._table[new[lo:lo + 4096]] = d.argmin(axis=1).astype(np.uint8)

    def add(self, rgbx):
        w, h = self.size
        keys = np.frombuffer(rgbx, dtype="<u4", count=w * h) & 0xFFFFFF
        header_palette = self._start(keys) if self._table is None else None
        indices = np.take(self._table, keys)
        missing = indices == self.UNKNOWN
        if missing.any():
            self._learn(keys[missing])
            indices = np.take(self._table, keys)
        indices = indices.reshape(h, w)
        duration = 10 * _delay(self.count, self.fps)        # Pillow takes ms, writes ms // 10
        if self._previous is None:
            box = (0, 0, w, h)
        else:
            changed = indices != self._previous
            rows = np.flatnonzero(changed.any(axis=1))
            if rows.size:
                cols = np.flatnonzero(changed[rows[0]:rows[-1] + 1].any(axis=0))
                box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
            else:
                box = (0, 0, 1, 1)        # the same picture: still a frame of its own, with its delay
        part = np.ascontiguousarray(indices[box[1]:box[3], box[0]:box[2]])
        im = self._Image.frombuffer("P", (box[2] - box[0], box[3] - box[1]), part, "raw", "P", 0, 1)
        if header_palette is not None:
            im.putpalette(header_palette)
            header, _ = self._gif.getheader(im, None, {"loop": 0, "optimize": False,
                                                       "duration": duration})
            self._write(header)
        self._write(self._gif.getdata(im, offset=box[:2], duration=duration))
        self._previous = indices
        self.count += 1

    def _write(self, chunks):
        write = self.file.write
        for chunk in chunks:
            write(chunk)

    def close(self):
        self.file.write(b";")
        self.file.flush()


def _frames(sim, frames, size, draw_options, history=None, camera=None, fps=30.0):
    """Yield ``frames`` pictures of ``sim`` as RGBX bytes, drawn on one reused surface
    (each frame's values recorded in ``history`` when given).

    A spatial arm is drawn as (a copy of) ``camera`` sees it (default: the framing of its
    reach; a 3D calibration: the framing of its robot and cameras at the start), the camera turned by its ``orbit_deg_per_s`` / ``fps`` after each frame, as the
    window does (:func:`armsim.view.render.draw_frame`)."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from armsim.view.calibration_spatial import calibration_status
    from armsim.view.render import (default_camera, draw_frame, drawn_in_3d, is_spatial,
                                    is_spatial_calibration, is_tree, spatial_obstacles)
    from armsim.view.solids import body_of, tree_body_of
    surface = pygame.Surface(size, 0, 24)       # as armsim.view.render.render_array draws
    if history is not None:
        from armsim.view.plot import values_of
    if not drawn_in_3d(sim.state):              # a planar picture
        camera = None
    else:
        camera = camera.copy() if camera is not None else default_camera(sim, size)
    for k in range(frames):
        state = sim.step()
        if history is not None:
            history.add(k + 1, values_of(state))
        if is_spatial(state):
            draw_frame(surface, state, camera, **{      # the caller's obstacles win
                "obstacles": spatial_obstacles(sim), "body": body_of(getattr(sim, "chain", None)),
                **draw_options})
        elif is_tree(state):        # a whole robot: its URDF's visuals when it has them
            draw_frame(surface, state, camera, **{"body": tree_body_of(sim.chain),
                                                  "obstacles": spatial_obstacles(sim),
                                                  **draw_options})
        elif is_spatial_calibration(state):
            draw_frame(surface, state, camera, status=calibration_status(sim), **draw_options)
        else:
            draw_frame(surface, state, camera, **draw_options)
        if camera is not None:
            camera.advance(1.0 / fps)
        yield pygame.image.tobytes(surface, "RGBX")


#: the size of the ``--plot`` PNG [px]
PLOT_SIZE = (960, 540)


def write_plot(history, dest, *, theme=None, title="", size=PLOT_SIZE):
    """Draw ``history`` (:class:`armsim.view.plot.History`) with pygame and write it as a PNG
    into the open destination ``dest``.  Returns the plot's axes."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import io

    import pygame

    from armsim.view.plot import draw_plot
    from armsim.view.style import DEFAULT_THEME, scaled_theme
    theme = scaled_theme(theme or DEFAULT_THEME, size)
    surface = pygame.Surface(size, 0, 24)
    surface.fill(theme.background)
    stride = getattr(history, "stride", 1)
    label = f"{title}, log scale" + (f" (one point every {stride} frames)" if stride > 1 else "")
    axes = draw_plot(surface, surface.get_rect(), history, theme, title=label)
    buf = io.BytesIO()
    pygame.image.save(surface, buf, "plot.png")
    try:
        dest.file.write(buf.getvalue())
    except OSError as exc:
        raise dest.error(exc) from None
    return axes


def write_frames(sim, dest, *, frames, fps, size, progress=None, history=None, camera=None,
                 **draw_options):
    """Render ``frames`` frames of ``sim`` into the open destination ``dest`` (recording
    each frame's plotted values in ``history`` when given; ``camera``: a spatial arm's
    :class:`~armsim.view.orbit.OrbitCamera`, see :func:`_frames`)."""
    writer = GifWriter(dest.file, size, fps, _theme_colors(draw_options.get("theme")))
    try:
        for i, rgb in enumerate(_frames(sim, frames, size, draw_options, history, camera, fps)):
            writer.add(rgb)
            if progress is not None:
                progress(i + 1)
        writer.close()
    except OSError as exc:
        raise dest.error(exc) from None


def export_gif(sim, path, *, frames=120, fps=30, size=(480, 360), progress=None, camera=None,
               **draw_options):
    """Render ``frames`` frames of ``sim`` headless and write them as a GIF.

    Parameters
    ----------
    sim : armsim.ik.tracking.Simulation (anything with ``step() -> State``)
    path : str or Path   a file (replaced atomically), a device or FIFO (written
        through), or ``"-"`` for standard output; see :mod:`armsim.files`
    frames : int         1 to :data:`MAX_GIF_FRAMES`
    fps : float          :data:`MIN_GIF_FPS` to :data:`MAX_GIF_FPS`
    size : (int, int)    width, height [px], at most :data:`MAX_GIF_SIDE`
    progress : callable(int), optional
    camera : armsim.view.orbit.OrbitCamera, optional
        A spatial arm's view (default: the framing of its reach); it orbits at its
        ``orbit_deg_per_s``, ``camera.advance(1 / fps)`` after each frame
    **draw_options : passed to :func:`armsim.view.render.draw_frame`

    Returns
    -------
    Path of the written file.

    Raises
    ------
    ExportError (one line) for bad settings or a destination that cannot be
    written; nothing is left behind then.
    """
    from armsim.files import OutputError, Outputs
    frames, fps, size = check_export(frames, fps, size)
    try:
        with Outputs() as outs:
            dest = outs.add(path)
            write_frames(sim, dest, frames=frames, fps=fps, size=size, progress=progress,
                         camera=camera, **draw_options)
    except OutputError as exc:
        raise ExportError(str(exc)) from None
    return dest.path


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
