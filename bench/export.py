"""Benchmark: streamed GIF export against imageio writing the same frames, same run.

Measures, for the default scene at 600x600:

* end to end (simulate, draw, read pixels, encode, write): frames per second
  of :func:`armsim.view.export.export_gif`, against the old route (every frame
  rendered by :func:`armsim.view.render.render_array`, ``np.stack``-ed and written
  by ``imageio.v3.imwrite``) and against imageio writing the already rendered
  frames alone (the reference of issue 11); medians of interleaved repeats;
* the largest pixel error of each GIF against the rendered RGB frames, and
  the share of pixels that differ at all;
* the total duration the GIF's delays give (Pillow reads them back);
* peak resident memory (``VmHWM`` of a fresh process) of an export of
  60, 240 and 960 frames, for both routes (the old one only up to 240: at
  960 frames it keeps about 2 GB).

Usage::

    python bench/export.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import imageio.v3 as iio  # noqa: E402
import numpy as np  # noqa: E402

from armsim.view.export import export_gif, read_durations  # noqa: E402
from armsim.view import render_array  # noqa: E402
from armsim.ik.tracking import default_simulation  # noqa: E402

SIZE = (600, 600)
FPS = 30


def render_all(frames, seed=0):
    sim = default_simulation(seed=seed)
    return [render_array(sim.step(), SIZE) for _ in range(frames)]


def ours(path, frames):
    export_gif(default_simulation(seed=0), path, frames=frames, fps=FPS, size=SIZE)


def old_route(path, frames):
    iio.imwrite(path, np.stack(render_all(frames)), extension=".gif", duration=1000 / FPS, loop=0)


def durations(path):
    """Per-frame delays [ms] as Pillow reads them back."""
    return read_durations(path)


def child(route, frames):
    """Run one export in this (fresh) process; print its peak RSS in MiB."""
    with tempfile.TemporaryDirectory() as d:
        (ours if route == "ours" else old_route)(os.path.join(d, "x.gif"), frames)
    with open("/proc/self/status") as fh:        # VmHWM: this process's peak RSS (ru_maxrss
        for line in fh:                           # can carry the parent's over fork + exec)
            if line.startswith("VmHWM:"):
                print(int(line.split()[1]) / 1024)
                return
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_rss(route, frames):
    r = subprocess.run([sys.executable, __file__, "--child", route, str(frames)], capture_output=True,
                       text=True, check=True)
    return float(r.stdout.strip().splitlines()[-1])


def run(quick=False):
    frames = 60 if quick else 240
    repeats = 1 if quick else 3
    out = {"size": list(SIZE), "fps": FPS, "frames": frames, "repeats": repeats}
    with tempfile.TemporaryDirectory() as d:
        a, b, c = (os.path.join(d, n) for n in ("ours.gif", "old.gif", "ref.gif"))
        truth = np.stack(render_all(frames))
        t_ours, t_old, t_ref = [], [], []
        for _ in range(repeats):            # interleaved
            t = time.perf_counter()
            ours(a, frames)
            t_ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            old_route(b, frames)
            t_old.append(time.perf_counter() - t)
            t = time.perf_counter()
            iio.imwrite(c, truth, extension=".gif", duration=1000 / FPS, loop=0)
            t_ref.append(time.perf_counter() - t)
        s_ours, s_old, s_ref = (float(np.median(t)) for t in (t_ours, t_old, t_ref))
        out["seconds"] = {"ours_end_to_end": s_ours, "old_end_to_end": s_old, "imageio_write_only": s_ref}
        out["frames_per_s"] = {"ours_end_to_end": frames / s_ours, "old_end_to_end": frames / s_old,
                               "imageio_write_only": frames / s_ref}
        out["ratio_imageio_write_only_over_ours"] = s_ref / s_ours
        out["ratio_old_over_ours"] = s_old / s_ours
        for name, path in (("ours", a), ("imageio", c)):
            got = iio.imread(path)[..., :3].astype(int)
            err = np.abs(got - truth).max(axis=-1)
            out[f"pixel_error_{name}"] = {"max": int(err.max()), "share_differing": float(np.mean(err > 0))}
            out[f"gif_seconds_{name}"] = sum(durations(path)) / 1000
            out[f"bytes_{name}"] = os.path.getsize(path)
    counts = (60, 240) if quick else (60, 240, 960)
    out["peak_rss_mib"] = {"ours": {n: peak_rss("ours", n) for n in counts},
                           "old": {n: peak_rss("old", n) for n in counts if n <= 240 and not (quick and n > 60)}}
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="60 frames, one repeat (under a minute)")
    p.add_argument("--json", metavar="PATH", help="write every figure to PATH as JSON")
    p.add_argument("--child", nargs=2, metavar=("ROUTE", "FRAMES"), help=argparse.SUPPRESS)
    p.add_argument("--markdown", action="store_true",
                   help="write the table into the README's generated block")
    args = p.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    r = run(quick=args.quick)
    f, s = r["frames_per_s"], r["seconds"]
    print(f"GIF export, default scene, {r['size'][0]}x{r['size'][1]}, {r['frames']} frames at {r['fps']} fps "
          f"(median of {r['repeats']})")
    print(f"{'what':<38} {'seconds':>8} {'frames/s':>9}")
    for key, label in (("ours_end_to_end", "streamed export, end to end"),
                       ("old_end_to_end", "render + np.stack + imageio, end to end"),
                       ("imageio_write_only", "imageio writing the frames alone")):
        print(f"{label:<38} {s[key]:>8.2f} {f[key]:>9.1f}")
    print(f"ratio imageio-write-only / streamed end to end: {r['ratio_imageio_write_only_over_ours']:.2f}x; "
          f"old end to end / streamed: {r['ratio_old_over_ours']:.2f}x")
    for name in ("ours", "imageio"):
        e = r[f"pixel_error_{name}"]
        print(f"{name:<8} max pixel error {e['max']:>3}, pixels differing {100 * e['share_differing']:.4f} %, "
              f"GIF lasts {r[f'gif_seconds_{name}']:.2f} s, {r[f'bytes_{name}']:,} bytes")
    for route, peaks in r["peak_rss_mib"].items():
        print(f"peak RSS {route:<5} " + ", ".join(f"{n} frames {m:.0f} MiB" for n, m in peaks.items()))
    if args.json:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _docs import write_json
        write_json(args.json, {"benchmark": "export", **r}, indent=2)
    if args.markdown:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _docs import write_blocks
        lines = [f"Default scene, {r['size'][0]}x{r['size'][1]}, {r['frames']} frames at "
                 f"{r['fps']} fps, median of {r['repeats']} interleaved repeats:", "",
                 "| route | seconds | frames/s | max pixel error | GIF lasts |",
                 "|---|---:|---:|---:|---:|"]
        for key, label, name in (("ours_end_to_end", "streamed export, end to end", "ours"),
                                 ("old_end_to_end", "render, `np.stack`, imageio, end to end",
                                  "imageio"),
                                 ("imageio_write_only", "imageio writing the frames alone", None)):
            err = "" if name is None else str(r[f"pixel_error_{name}"]["max"])
            dur = "" if name is None else f"{r[f'gif_seconds_{name}']:.2f} s"
            lines.append(f"| {label} | {s[key]:.2f} | {f[key]:.1f} | {err} | {dur} |")
        peaks = "; ".join(f"{route}: " + ", ".join(f"{n} frames {m:.0f} MiB" for n, m in pk.items())
                          for route, pk in r["peak_rss_mib"].items())
        lines += ["", f"imageio writing the frames alone takes "
                      f"{r['ratio_imageio_write_only_over_ours']:.2f}x the streamed export's whole "
                      f"time. Peak memory (a fresh process each): {peaks}."]
        command = "python bench/export.py" + (" --quick" if args.quick else "") + " --markdown"
        write_blocks(Path(__file__).resolve().parents[1] / "README.md",
                     {"bench/export.py export": "\n".join(lines)}, command)


if __name__ == "__main__":
    main()
