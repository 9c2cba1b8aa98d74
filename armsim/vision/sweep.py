"""Sweeps: a grid of calibration experiments over seeds, in parallel processes.

``sweep(base, grid, seeds, jobs)`` runs every (grid point, seed) pair and
returns one row (a dict) per run; :func:`write_csv` and :func:`plot` turn the
rows into a CSV file and a figure (rounds and seconds against population,
one line per segment count, medians over seeds).  :func:`armsim.commands.sweep.sweep_command` is the
command-line entry::

    python -m armsim.vision.sweep --preset gecco --vary segments=1:6 --vary population=2:6 \\
        --seeds 123,456,789 --csv out.csv --plot out.png --jobs 2

A ``--vary`` value is ``a:b`` (integers a to b inclusive) or a comma list
(``lm,adam`` or ``0.01,0.02``); keys are ``section.field`` of
:class:`~armsim.vision.experiment.Experiment` (``calibration.window``,
``genetic.enabled``...) or the short names ``segments``, ``population``,
``learner``, ``window``.
"""

from __future__ import annotations

import csv
import io
import itertools
import sys
from multiprocessing import get_context

import numpy as np

from armsim.vision.calibration import run

__all__ = ["parse_vary", "expand_grid", "sweep", "write_csv", "plot", "summarise"]

CSV_FIELDS = ("segments", "population", "seed", "learner", "cameras", "criterion", "converged",
              "rounds", "seconds", "final_loss", "length_error_px", "length_error_pct",
              "angle_error", "generations")


def _scalar(text):
    """'3' -> 3, '0.5' -> 0.5, 'true'/'false' -> bool, anything else stays a string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def parse_vary(spec):
    """``"key=a:b"`` or ``"key=x,y,z"`` -> (key, [values]).

    Raises
    ------
    ValueError naming the spec when it cannot be read.
    """
    key, sep, values = spec.partition("=")
    key = key.strip()
    if not sep or not key or not values.strip():
        raise ValueError(f"--vary {spec!r}: expected KEY=A:B or KEY=X,Y,...")
    if ":" in values:
        lo, _, hi = values.partition(":")
        try:
            lo, hi = int(lo), int(hi)
        except ValueError:
            raise ValueError(f"--vary {spec!r}: a range A:B needs two integers") from None
        if lo > hi:
            raise ValueError(f"--vary {spec!r}: empty range {lo}:{hi}")
        return key, list(range(lo, hi + 1))
    return key, [_scalar(v) for v in values.split(",") if v.strip()]


def expand_grid(varies):
    """[(key, values), ...] -> list of {key: value} dicts, the cartesian product (last key fastest)."""
    if not varies:
        return [{}]
    keys = [k for k, _ in varies]
    return [dict(zip(keys, combo)) for combo in itertools.product(*(v for _, v in varies))]


def _one(task):
    """Worker: run one (experiment, seed, point, max_rounds) task and return its row."""
    experiment, seed, point, max_rounds = task
    row = run(experiment, seed, max_rounds).as_row()
    for key, value in point.items():
        row.setdefault(key, value)
    return row


def sweep(base, grid, seeds, jobs=1, max_rounds=None, progress=None):
    """Run every grid point with every seed.

    Parameters
    ----------
    base : Experiment
    grid : list of dict
        Each maps setting keys (see :meth:`Experiment.with_value`) to values.
    seeds : sequence of int
    jobs : int
        Worker processes (1: run in this process).
    max_rounds : int, optional
        Overrides each experiment's ``calibration.max_rounds``.
    progress : bool, optional
        Show a tqdm progress bar (default: only when stderr is a terminal
        and tqdm is installed).

    Returns
    -------
    list of dict, one row per run, in grid-then-seed order.
    """
    tasks = []
    for point in grid:
        exp = base
        for key, value in point.items():
            exp = exp.with_value(key, value)
        exp.validate()
        for seed in seeds:
            tasks.append((exp, int(seed), point, max_rounds))
    bar = _progress_bar(len(tasks), progress)
    rows = []
    if jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            rows.append(_one(task))
            bar.update(1)
    else:
        with get_context("spawn").Pool(min(jobs, len(tasks))) as pool:
            for row in pool.imap(_one, tasks):
                rows.append(row)
                bar.update(1)
    bar.close()
    return rows


class _NoBar:
    def update(self, k):
        pass

    def close(self):
        pass


def _progress_bar(total, progress):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="run", file=sys.stderr)


def write_csv(rows, path):
    """One line per run; the standard columns first, then any varied keys.

    ``path`` is a name (written through :class:`armsim.files.Outputs`: a file is
    replaced atomically, only once complete) or an open binary file object.
    """
    if hasattr(path, "write"):
        _csv_to(rows, path)
        return path
    from armsim.files import Outputs
    with Outputs() as outs:
        dest = outs.add(path)
        try:
            _csv_to(rows, dest.file)
        except OSError as exc:
            raise dest.error(exc) from None
    return dest.path


def _csv_to(rows, binary):
    extra = sorted({k for r in rows for k in r} - set(CSV_FIELDS))
    text = io.TextIOWrapper(binary, newline="", encoding="utf-8", write_through=True)
    try:
        writer = csv.DictWriter(text, fieldnames=list(CSV_FIELDS) + extra)
        writer.writeheader()
        for r in rows:
            writer.writerow(r)
        text.flush()
    finally:
        text.detach()           # leave ``binary`` open for its owner


def summarise(rows):
    """Medians over seeds: {(segments, population): (runs, converged, median rounds, median s)}."""
    groups = {}
    for r in rows:
        groups.setdefault((r["segments"], r["population"]), []).append(r)
    out = {}
    for key in sorted(groups):
        g = groups[key]
        out[key] = (len(g), sum(bool(r["converged"]) for r in g),
                    float(np.median([r["rounds"] for r in g])), float(np.median([r["seconds"] for r in g])))
    return out


def plot(rows, path, format=None):
    """Rounds and seconds (medians over seeds) against population, one line per segment count.

    ``path`` is a file name or a binary file object (then ``format``, e.g. ``"png"``,
    says what to write).

    Raises
    ------
    RuntimeError when matplotlib is not installed.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError("plotting needs matplotlib: pip install matplotlib") from None
    table = summarise(rows)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for segments in sorted({s for s, _ in table}):
        pops = sorted(p for s, p in table if s == segments)
        for ax, col in zip(axes, (2, 3)):
            ax.plot(pops, [table[(segments, p)][col] for p in pops], marker="o",
                    label=f"{segments} segment{'s' if segments > 1 else ''}")
    for ax, label in zip(axes, ("rounds (median over seeds)", "seconds (median over seeds)")):
        ax.set_xlabel("population P (reference included)")
        ax.set_ylabel(label)
        ax.set_yscale("log")
        ax.set_xticks(sorted({p for _, p in table}))
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format=format)
    plt.close(fig)

