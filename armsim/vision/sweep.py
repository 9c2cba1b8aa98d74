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

Engines: ``sweep(..., jobs=N)`` runs a spawn process pool; ``sweep(...,
engine="dask", client=dask_client(...))`` submits the tasks to dask.distributed,
at most :data:`IN_FLIGHT` per worker thread at a time, and takes the results in
task order, so rows come out in the serial order with bounded memory.
:class:`Journal` (:mod:`armsim.vision.journal`) is the resume file the command writes
rows to as they come.

Limits, refused in one line before anything starts: at most :data:`MAX_RUNS` runs (grid
points x seeds; a range ``a:b`` is counted, not built); at most :func:`process_limit`
worker processes (:data:`PROCESSES_PER_CORE` per core); every network wait of the dask
engine at most :data:`CONNECT_TIMEOUT` seconds.  A row is a run's result: a number the run
never measured (``final_loss`` before the first loss check) is an empty cell, never ``inf``.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import hashlib
import io
import itertools
import math
import os
import signal
import sys
import threading
import time
from multiprocessing import get_context

import numpy as np

from armsim import ranges
from armsim.vision.calibration import run
from armsim.vision.experiment import PRESETS, Experiment
from armsim.vision.dask_remote import EngineError, remote_client
from armsim.vision.journal import JOURNAL_SUFFIX, Journal, JournalError, check_row

__all__ = ["parse_vary", "read_vary", "expand_grid", "tasks", "fingerprint",
           "fingerprint_parts", "sweep", "dask_client",
           "close_client", "EngineError", "Journal", "JournalError", "JOURNAL_SUFFIX", "write_csv", "plot", "summarise",
           "varied_columns",
           "known_columns", "round_limit", "check_row", "check_processes", "process_limit",
           "quiet_dask", "stop_workers", "MAX_RUNS"]

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


#: the most runs (grid points x seeds) one sweep may have: each keeps a row (about 1 KB with
#: its task) in memory and a line in the journal, and 100000 runs of a tenth of a second are
#: already three hours of one core
MAX_RUNS = 100_000


def read_vary(spec):
    """``"key=a:b"`` or ``"key=x,y,z"`` -> (key, values), nothing built: a range ``a:b`` is a
    ``range`` (its length is arithmetic), a comma list a list.

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
        return key, range(lo, hi + 1)
    listed = [_scalar(v) for v in values.split(",") if v.strip()]
    if not listed:
        raise ValueError(f"--vary {spec!r}: no values; expected KEY=A:B or KEY=X,Y,...")
    return key, listed


def count(values) -> int:
    """How many values a ``--vary`` has (a ``range`` by arithmetic: ``len`` overflows past
    2**63)."""
    return values.stop - values.start if isinstance(values, range) else len(values)


def parse_vary(spec, limit=MAX_RUNS):
    """``"key=a:b"`` or ``"key=x,y,z"`` -> (key, [values]).

    Raises
    ------
    ValueError naming the spec when it cannot be read, or when it has more than ``limit``
    values (counted before any is made).
    """
    key, values = read_vary(spec)
    if count(values) > limit:
        raise ValueError(f"--vary {spec!r}: {count(values)} values; a sweep has at most {limit} runs")
    return key, list(values)


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
    for key, value in row.items():
        if isinstance(value, np.generic):       # plain Python values in the CSV and journal
            row[key] = value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            row[key] = None                     # never measured (no loss check yet: inf)
    for key, value in point.items():
        row.setdefault(key, value)
    return row


def known_columns(task) -> dict:
    """The columns of a task's row known before it runs (:func:`check_row` compares them)."""
    experiment, seed, _, _ = task
    cal = experiment.calibration
    return {"segments": cal.segments, "population": experiment.genetic.population, "seed": int(seed),
            "learner": cal.learner, "cameras": experiment.camera.count, "criterion": cal.criterion}


def round_limit(task) -> int:
    """The most rounds a task's run may take."""
    experiment, _, _, max_rounds = task
    return experiment.calibration.max_rounds if max_rounds is None else int(max_rounds)


def tasks(base, grid, seeds, max_rounds=None):
    """The sweep's tasks in grid-then-seed order: ``(experiment, seed, point, max_rounds)``.

    Raises ValueError (the settings error) for a grid point that does not validate.
    """
    if not isinstance(base, Experiment):      # (a preset's name was an AttributeError)
        raise ValueError(f"base must be an Experiment (armsim.vision.PRESETS has "
                         f"{', '.join(PRESETS)}), got {ranges.given(base)}")
    if len(grid) * len(seeds) > MAX_RUNS:
        raise ValueError(f"the sweep has {len(grid) * len(seeds)} runs; at most {MAX_RUNS}")
    seeds = [ranges.seed(s) for s in seeds]     # (1.5 was seed 1, -1 failed in a worker)
    if max_rounds is not None:
        max_rounds = ranges.rounds("max_rounds", max_rounds)
    out = []
    for point in grid:
        exp = base
        for key, value in point.items():
            exp = exp.with_value(key, value)
        exp.validate()
        for seed in seeds:
            out.append((exp, seed, point, max_rounds))
    return out


def fingerprint(base, grid, seeds, max_rounds=None):
    """A hex digest naming one sweep: its base experiment, grid, seeds and max_rounds.

    A resume journal records it so that rows of another sweep are never mixed in.
    """
    text = repr((base, [sorted(p.items()) for p in grid], [int(s) for s in seeds], max_rounds))
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint_parts(base, grid, seeds) -> dict:
    """The digests of a sweep's scene (its base experiment), grid values and seeds, each
    apart (16 hex digits each): a journal of another sweep is refused naming which differs."""
    parts = {"scene": repr(base), "grid": repr([sorted(p.items()) for p in grid]),
             "seeds": repr([int(s) for s in seeds])}
    return {k: hashlib.sha256(v.encode()).hexdigest()[:16] for k, v in parts.items()}


def sweep(base, grid, seeds, jobs=1, max_rounds=None, progress=None, engine="local",
          client=None, skip=0, on_row=None):
    """Run every grid point with every seed.

    Parameters
    ----------
    base : Experiment
    grid : list of dict
        Each maps setting keys (see :meth:`Experiment.with_value`) to values.
    seeds : sequence of int
    jobs : int >= 1
        ``engine="local"``: worker processes (1: run in this process), at most
        :func:`process_limit`.
    max_rounds : int, optional
        Overrides each experiment's ``calibration.max_rounds``.
    progress : bool, optional
        Show a tqdm progress bar (default: only when stderr is a terminal
        and tqdm is installed).
    engine : ``"local"`` or ``"dask"``
        ``"dask"`` runs the tasks on ``client`` (a ``distributed.Client``, see
        :func:`dask_client`), at most :data:`IN_FLIGHT` tasks per worker thread at a time.
    skip : int from 0 to the number of tasks
        Leave out the first ``skip`` tasks (a resumed sweep: their rows are already written).
    on_row : callable(index, row), optional
        Called with each row as soon as it and every row before it are done (grid order).

    Returns
    -------
    list of dict, one row per run not skipped, in grid-then-seed order.  Every
    engine gives the same rows (``seconds`` aside, which is wall-clock time).
    """
    todo = tasks(base, grid, seeds, max_rounds)
    # (jobs 2.5 was a TypeError from the pool, 0 and -3 ran serially unsaid; skip -1 ran
    # the last task alone, numbered -1)
    jobs = ranges.whole("jobs", jobs, 1)
    skip = ranges.whole("skip", skip, 0, len(todo))
    bar = _progress_bar(len(todo), progress, initial=skip)
    rows = []
    try:
        for row in _rows(todo[skip:], engine, jobs, client):
            if on_row is not None:
                on_row(skip + len(rows), row)
            rows.append(row)
            bar.update(1)
    finally:
        bar.close()
    return rows


#: dask engine: tasks submitted and not yet written, per worker thread (bounds the memory
#: held by out-of-order results waiting for an earlier, slower task)
IN_FLIGHT = 4

#: seconds every network wait of the dask engine may take: the TCP connection to
#: ``--scheduler ADDRESS``, dask's handshake after it, a remote cluster's first worker, and
#: closing the client and its cluster at the end
CONNECT_TIMEOUT = 5

#: worker processes (``jobs``, a local cluster's ``workers``) per core this process may use:
#: the runs are CPU-bound, so more only adds memory (a worker's peak: bench/sweep.py)
PROCESSES_PER_CORE = 4


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def process_limit() -> int:
    """The most worker processes a sweep starts on this machine (:data:`PROCESSES_PER_CORE`
    per core)."""
    return PROCESSES_PER_CORE * cores()


def check_processes(n, option="--jobs"):
    """Refuse ``n`` worker processes beyond :func:`process_limit` (ValueError, one line)."""
    limit = process_limit()
    if n > limit:
        raise ValueError(f"argument {option}: at most {limit} on this machine ({PROCESSES_PER_CORE} per "
                         f"core, {cores()} core{'s' if cores() > 1 else ''}), got {n}")


def _rows(todo, engine, jobs, client):
    """The rows of ``todo``, in order."""
    if engine == "dask":
        yield from _dask_rows(todo, client)
    elif engine != "local":
        raise ValueError(f"unknown engine {engine!r}; choose local or dask")
    elif jobs <= 1 or len(todo) <= 1:
        for task in todo:
            yield _one(task)
    else:
        check_processes(jobs)
        yield from _pool_rows(todo, min(jobs, len(todo)))


def _pool_rows(todo, jobs):
    """The rows of ``todo`` from ``jobs`` worker processes, in order (:func:`_windowed`).  A
    worker that dies (killed, out of memory) ends the sweep with an :class:`EngineError`
    (its task would never come back); leaving early (an error, Ctrl-C) stops the workers at
    once."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    pool = ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_worker_start)

    def result(future):
        try:
            return future.result()
        except BrokenProcessPool:
            raise EngineError("a worker process ended before its run was done (killed, or "
                              "out of memory)") from None

    def stop(pending):          # the runs under way end now, not when done
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
    try:
        yield from _windowed(todo, IN_FLIGHT * jobs, lambda task: pool.submit(_one, task),
                             result, stop)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _windowed(todo, window, submit, result, stop):
    """``result(submit(task))`` of each task of ``todo``, in task order, at most ``window``
    submitted at a time (bounded memory; a slow task holds back the later ones' rows);
    ``stop(pending)`` is given the futures left when the caller leaves early."""
    pending = collections.deque()
    it = iter(todo)
    try:
        for task in itertools.islice(it, window):
            pending.append(submit(task))
        while pending:
            row = result(pending.popleft())
            for task in itertools.islice(it, 1):
                pending.append(submit(task))
            yield row
    finally:
        if pending:
            stop(pending)


def _worker_start():
    """A pool worker's initializer: Ctrl-C (which a terminal sends to every process of the
    sweep) is the sweep's to handle, not each worker's (a traceback each); and
    :func:`_watch_parent`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _watch_parent()


#: seconds between a pool worker's looks at whether the sweep's process is still there
PARENT_POLL = 0.2


def _watch_parent():
    """A pool worker's initializer: end the worker quietly once the sweep's process is gone
    (a SIGKILL runs no handler: its workers ran their task on, then printed a
    ``BrokenPipeError`` traceback sending the result to no one)."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(PARENT_POLL)
            if os.getppid() != parent:
                os._exit(0)
    threading.Thread(target=watch, name="armsim-parent-watch", daemon=True).start()


def _dask_rows(todo, client):
    """Submit ``todo`` to a dask client, a bounded window at a time (:func:`_windowed`); yield
    rows in task order."""
    if client is None:
        raise ValueError("engine='dask' needs a client (see armsim.vision.sweep.dask_client)")

    def stop(pending):
        try:
            client.cancel(list(pending))
        except Exception:       # a client already closing: nothing left to cancel
            pass
    yield from _windowed(todo, max(1, IN_FLIGHT * sum(client.nthreads().values())),
                         lambda task: client.submit(_one, task, pure=False),
                         lambda future: _result(future, client), stop)


def _result(future, client):
    """The future's result; EngineError when the cluster has had no worker for
    :data:`CONNECT_TIMEOUT` seconds (every worker died: the wait would never end), or when
    dask gave the run up because every worker that ran it died (KilledWorker), or when the
    connection to the scheduler was lost."""
    alone = None            # since when no worker was seen
    while True:
        try:
            return future.result(timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            pass
        except Exception as exc:
            from distributed.client import FutureCancelledError
            from distributed.scheduler import KilledWorker
            if getattr(exc, "reason", None) == "scheduler-connection-lost" and isinstance(
                    exc, FutureCancelledError):     # (its message: dask's key of the task)
                raise EngineError("the connection to the dask scheduler was lost (it stopped, "
                                  "or the network failed)") from None
            if not isinstance(exc, KilledWorker):
                raise
            # dask gave the run up, every worker that ran it died (its own message: the
            # task's key, the last worker's address and a web address, 400 characters)
            tries = exc.allowed_failures + 1
            raise EngineError("a worker process ended before its run was done (killed, or out "
                              "of memory)" + (f", on all {tries} workers that tried it"
                                              if tries > 1 else "")) from None
        if client.nthreads():
            alone = None
        elif alone is None:
            alone = time.monotonic()
        elif time.monotonic() - alone >= CONNECT_TIMEOUT:
            raise EngineError(f"the cluster has had no workers for {CONNECT_TIMEOUT:g} s "
                              f"(they stopped)")


def dask_client(workers=None, scheduler=None, processes=True, timeout=None):
    """A ``distributed.Client``: on ``scheduler`` (an address), else on a new ``LocalCluster``.

    The local cluster has ``workers`` single-threaded workers (default: one per core, at most
    :func:`process_limit`), worker processes unless ``processes=False`` (then threads of this
    process) and its HTTP server (dask's dashboard, when bokeh is installed) on a free local
    port: a second cluster on the machine gives no warning.  A scheduler gets ``timeout`` seconds (default
    :data:`CONNECT_TIMEOUT`) to accept a TCP connection, as many for dask's handshake, and as
    many more to have a worker.  Close the client with :func:`close_client`.

    Raises
    ------
    EngineError, one line, when dask.distributed is not installed, ``workers`` is too many,
    or the scheduler cannot be used.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EngineError("--engine dask needs dask.distributed: pip install 'armsim[dask]'") from None
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    if scheduler is not None:
        return _drop_all_exit(remote_client(Client, scheduler, timeout, close_client))
    if workers is not None:
        try:
            check_processes(workers, "--workers")
        except ValueError as exc:
            raise EngineError(str(exc)) from None
    # its HTTP server on a free port of this machine only: dask binds port 8787 even with
    # the dashboard off (None), and warns on stderr when another cluster holds it
    with _sigint_ignored(processes):    # its processes leave Ctrl-C to the sweep
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                               dashboard_address="127.0.0.1:0")
    try:
        return _drop_all_exit(Client(cluster, set_as_default=False))
    except BaseException:
        cluster.close(timeout=timeout)
        raise


def _drop_all_exit(client):
    """``client``, its event loop made to drop dask's internal ``AllExit`` when no one
    retrieves it.  A wait for a result that times out while the result is being fetched (its
    worker died holding it: the task runs again) leaves dask's fetch behind; once that task
    fails or is cancelled, the fetch ends in ``AllExit``, a signal inside dask that nothing
    reads, and asyncio printed "Task exception was never retrieved" and a traceback at exit,
    after the sweep's one line.  Any other exception is handled as before."""
    from distributed.client import AllExit
    loop = client.loop.asyncio_loop
    previous = loop.get_exception_handler()
    if getattr(previous, "drops_all_exit", False):
        return client

    def handler(loop, context):
        if isinstance(context.get("exception"), AllExit):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)
    handler.drops_all_exit = True
    loop.set_exception_handler(handler)
    return client


@contextlib.contextmanager
def _sigint_ignored(on=True):
    """SIGINT ignored while processes start (in the main thread): a new Python process that
    inherits the ignore keeps it, so the Ctrl-C a terminal sends to every process is the
    sweep's alone (each dask worker printed a traceback)."""
    if not on or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def close_client(client, timeout=None):
    """Close a client from :func:`dask_client` and the local cluster it started, if any, each
    within ``timeout`` seconds (default :data:`CONNECT_TIMEOUT`); then stop any worker process
    of this process still running (:func:`stop_workers`).  Never raises."""
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    cluster = getattr(client, "cluster", None)
    for close in (client.close, getattr(cluster, "close", None)):
        if close is not None:
            try:
                close(timeout=timeout)
            except Exception:
                pass
    stop_workers()


def stop_workers(wait=2.0):
    """End the dask worker processes this process started that are still running: SIGTERM,
    ``wait`` seconds, then SIGKILL.  Returns how many there were."""
    import multiprocessing
    import time
    left = [p for p in multiprocessing.active_children() if p.name.startswith("Dask Worker")]
    for p in left:
        p.terminate()
    deadline = time.monotonic() + wait
    for p in left:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(1.0)
    return len(left)


@contextlib.contextmanager
def quiet_dask():
    """Silence dask's own logging (this process and the worker processes started inside):
    a failure is then told by the caller's one line, not by dask's warnings and tracebacks."""
    import logging
    import dask
    names = ("distributed", "tornado", "asyncio")
    # dask's configuration gives some of their loggers levels of their own
    # (distributed.client: warning): each one is silenced, not only the parents
    loggers = [logging.getLogger(n) for n in sorted(set(names) | {
        n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in names})]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        with dask.config.set({"distributed.nanny.pre-spawn-environ.DASK_LOGGING__DISTRIBUTED": "critical"}):
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


class _NoBar:
    def update(self, k):
        pass

    def close(self):
        pass


def _progress_bar(total, progress, initial=0):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, initial=initial, unit="run", file=sys.stderr)


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


#: the CSV columns that say what ran (the others: the seed and what a run measured)
SETTING_FIELDS = ("segments", "population", "learner", "cameras", "criterion")


def varied_columns(rows):
    """The columns besides segments and population that say what ran and differ between
    the rows (a learner, any other varied key): :func:`summarise` keeps their values apart."""
    names = list(SETTING_FIELDS[2:]) + sorted({k for r in rows for k in r} - set(CSV_FIELDS))
    return [k for k in names if len({repr(r.get(k)) for r in rows}) > 1]


def summarise(rows):
    """Medians over seeds: {(segments, population, *the values of
    :func:`varied_columns`): (runs, converged, median rounds, median s)}; (segments,
    population) alone when nothing else varies."""
    groups = {}
    other = varied_columns(rows)
    for r in rows:
        key = (r["segments"], r["population"]) + tuple(r.get(k) for k in other)
        groups.setdefault(key, []).append(r)
    out = {}
    for key in sorted(groups):
        g = groups[key]
        out[key] = (len(g), sum(bool(r["converged"]) for r in g),
                    float(np.median([r["rounds"] for r in g])), float(np.median([r["seconds"] for r in g])))
    return out


def plot(rows, path, format=None):
    """Rounds and seconds (medians over seeds) against population, one line per segment count
    and values of the other varied keys (:func:`varied_columns`).

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
    other = varied_columns(rows)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for line in sorted({(k[0],) + k[2:] for k in table}, key=repr):
        # one line per segment count and values of the other varied keys
        pops = sorted(k[1] for k in table if (k[0],) + k[2:] == line)
        label = f"{line[0]} segment{'s' if line[0] > 1 else ''}" + "".join(
            f", {name.rpartition('.')[2]} {value}" for name, value in zip(other, line[1:]))
        for ax, col in zip(axes, (2, 3)):
            ax.plot(pops, [table[(line[0], p) + line[1:]][col] for p in pops], marker="o",
                    label=label)
    for ax, label in zip(axes, ("rounds (median over seeds)", "seconds (median over seeds)")):
        ax.set_xlabel("population P (reference included)")
        ax.set_ylabel(label)
        ax.set_yscale("log")
        ax.set_xticks(sorted({k[1] for k in table}))
        ax.grid(True, which="both", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format=format)
    plt.close(fig)

