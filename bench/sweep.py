"""Benchmark: ``armsim sweep`` on each engine, its wall time and its processes' memory.

Runs the docs' sweep (``--preset gecco --vary segments=1:2 --seeds 1,2,3,4 --max-rounds 2000
--csv o.csv``: 8 runs) with ``--jobs 1``, ``--jobs 2`` and ``--engine dask --workers 2``,
interleaved, and reports for each:

* the wall time of the whole command (processes started and stopped included), median of
  the repeats;
* the peak resident memory (``VmHWM``) of the sweep's process and of its largest worker
  process (the pool's or the local cluster's), read from ``/proc`` while it runs.

Usage::

    python bench/sweep.py [--repeats N] [--json PATH] [--markdown [DOC]]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._docs import add_markdown_argument, publish  # noqa: E402

SWEEP = ["--preset", "gecco", "--vary", "segments=1:2", "--seeds", "1,2,3,4", "--max-rounds",
         "2000", "--csv", "o.csv"]
ENGINES = {"--jobs 1": ["--jobs", "1"], "--jobs 2": ["--jobs", "2"],
           "--engine dask --workers 2": ["--engine", "dask", "--workers", "2"]}


def _hwm(pid):
    """Peak resident memory of ``pid`` in MB (None when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _workers(pid):
    """The worker processes (multiprocessing spawn children) of ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rpartition(")")[2].split()[1])
            if ppid == pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                out.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            pass
    return out


def one(engine, env_dir):
    """(seconds, sweep MB, largest worker MB or None) of one run."""
    cmd = [sys.executable, str(ROOT / "run_arm.py"), "sweep", *SWEEP, *ENGINES[engine]]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=env_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    main, worker = 0.0, None
    while proc.poll() is None:
        main = max(main, _hwm(proc.pid) or 0.0)
        for w in _workers(proc.pid):
            m = _hwm(w)
            if m is not None:
                worker = max(worker or 0.0, m)
        time.sleep(0.02)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.read().decode()}")
    Path(env_dir, "o.csv").unlink()
    return seconds, main, worker


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    p.add_argument("--json", metavar="PATH", help="write the measurements as JSON")
    add_markdown_argument(p, "docs/calibration.md")
    args = p.parse_args()
    runs = {e: [] for e in ENGINES}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for engine in ENGINES:
                runs[engine].append(one(engine, tmp))
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[0]
    lines = [f"8 runs, median of {args.repeats} interleaved repeats (load average {load} at the "
             f"end):", "",
             "| engine | wall time | sweep process, peak RSS | largest worker, peak RSS |",
             "|---|---|---|---|"]
    data = {}
    for engine, rs in runs.items():
        secs = statistics.median(r[0] for r in rs)
        mains = [r[1] for r in rs]
        workers = [r[2] for r in rs if r[2] is not None]
        worker = f"{min(workers):.0f}-{max(workers):.0f} MB" if workers else "(none)"
        lines.append(f"| `{engine}` | {secs:.2f} s | {min(mains):.0f}-{max(mains):.0f} MB | "
                     f"{worker} |")
        data[engine] = {"seconds": [r[0] for r in rs], "sweep_mb": mains, "worker_mb": workers}
    publish(args, "bench/sweep.py engines", "\n".join(lines), data,
            "python bench/sweep.py --markdown")


if __name__ == "__main__":
    main()
