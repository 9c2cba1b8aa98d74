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
:class:`Journal` is the resume file the command writes rows to as they come.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import hashlib
import io
import itertools
import sys
import threading
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from armsim.vision.calibration import run

__all__ = ["parse_vary", "expand_grid", "tasks", "fingerprint", "sweep", "dask_client", "close_client",
           "EngineError", "Journal", "JournalError", "write_csv", "plot", "summarise"]

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


def tasks(base, grid, seeds, max_rounds=None):
    """The sweep's tasks in grid-then-seed order: ``(experiment, seed, point, max_rounds)``.

    Raises ValueError (the settings error) for a grid point that does not validate.
    """
    out = []
    for point in grid:
        exp = base
        for key, value in point.items():
            exp = exp.with_value(key, value)
        exp.validate()
        for seed in seeds:
            out.append((exp, int(seed), point, max_rounds))
    return out


def fingerprint(base, grid, seeds, max_rounds=None):
    """A hex digest naming one sweep: its base experiment, grid, seeds and max_rounds.

    A resume journal records it so that rows of another sweep are never mixed in.
    """
    text = repr((base, [sorted(p.items()) for p in grid], [int(s) for s in seeds], max_rounds))
    return hashlib.sha256(text.encode()).hexdigest()


def sweep(base, grid, seeds, jobs=1, max_rounds=None, progress=None, engine="local",
          client=None, skip=0, on_row=None):
    """Run every grid point with every seed.

    Parameters
    ----------
    base : Experiment
    grid : list of dict
        Each maps setting keys (see :meth:`Experiment.with_value`) to values.
    seeds : sequence of int
    jobs : int
        ``engine="local"``: worker processes (1: run in this process).
    max_rounds : int, optional
        Overrides each experiment's ``calibration.max_rounds``.
    progress : bool, optional
        Show a tqdm progress bar (default: only when stderr is a terminal
        and tqdm is installed).
    engine : ``"local"`` or ``"dask"``
        ``"dask"`` runs the tasks on ``client`` (a ``distributed.Client``, see
        :func:`dask_client`), at most :data:`IN_FLIGHT` tasks per worker thread at a time.
    skip : int
        Leave out the first ``skip`` tasks (a resumed sweep: their rows are already written).
    on_row : callable(index, row), optional
        Called with each row as soon as it and every row before it are done (grid order).

    Returns
    -------
    list of dict, one row per run not skipped, in grid-then-seed order.  Every
    engine gives the same rows (``seconds`` aside, which is wall-clock time).
    """
    todo = tasks(base, grid, seeds, max_rounds)
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

#: seconds to wait for ``--scheduler ADDRESS`` to answer
CONNECT_TIMEOUT = 10


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
        with get_context("spawn").Pool(min(jobs, len(todo))) as pool:
            yield from pool.imap(_one, todo)


def _dask_rows(todo, client):
    """Submit ``todo`` to a dask client, a bounded window at a time; yield rows in task order."""
    if client is None:
        raise ValueError("engine='dask' needs a client (see armsim.vision.sweep.dask_client)")
    window = max(1, IN_FLIGHT * sum(client.nthreads().values()))
    pending = collections.deque()
    it = iter(todo)
    try:
        for task in itertools.islice(it, window):
            pending.append(client.submit(_one, task, pure=False))
        while pending:
            row = pending.popleft().result()
            for task in itertools.islice(it, 1):
                pending.append(client.submit(_one, task, pure=False))
            yield row
    finally:
        if pending:
            client.cancel(list(pending))


class EngineError(Exception):
    """The dask engine cannot start (one line)."""


def dask_client(workers=None, scheduler=None, processes=True, timeout=None):
    """A ``distributed.Client``: on ``scheduler`` (an address), else on a new ``LocalCluster``.

    The local cluster has ``workers`` single-threaded workers (default: one per core),
    worker processes unless ``processes=False`` (then threads of this process) and no
    dashboard.  Close the client (and its cluster, ``client.cluster``) when done:
    :func:`close_client`.

    Raises
    ------
    EngineError, one line, when dask.distributed is not installed or the scheduler does not
    answer within ``timeout`` seconds (default :data:`CONNECT_TIMEOUT`).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EngineError("--engine dask needs dask.distributed: pip install 'armsim[dask]'") from None
    if scheduler is not None:
        _check_address(scheduler)
        timeout = CONNECT_TIMEOUT if timeout is None else timeout
        got = {}

        def connect():          # in a thread: a server that never answers the handshake
            try:                # is not bounded by Client's own timeout
                got["client"] = Client(scheduler, timeout=timeout, set_as_default=False)
            except BaseException as exc:
                got["error"] = exc
        thread = threading.Thread(target=connect, name="armsim-dask-connect", daemon=True)
        thread.start()
        thread.join(timeout + 1)
        exc = got.get("error")
        if "client" in got:
            return got["client"]
        if thread.is_alive():
            why = f"no dask scheduler answered within {timeout:g} s"
        elif isinstance(exc, (OSError, ValueError, TypeError)):
            why = str(exc) or type(exc).__name__
        else:                   # a server that is not a dask scheduler can answer anything
            why = "it did not answer as a dask scheduler"
        raise EngineError(f"argument --scheduler: cannot connect to '{scheduler}': {why}")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                           dashboard_address=None)
    return Client(cluster, set_as_default=False)


def _check_address(address):
    """Refuse a malformed scheduler address before a Client is made of it."""
    from distributed.comm import get_address_host_port, parse_address
    from distributed.comm.registry import get_backend
    try:
        scheme, _ = parse_address(address)
        get_backend(scheme)
        if scheme != "inproc":
            port = get_address_host_port(address)[1]
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is not in 1..65535")
    except (ValueError, TypeError) as exc:
        raise EngineError(f"argument --scheduler: expected an address like tcp://HOST:PORT, "
                          f"got '{address}' ({exc})") from None


def close_client(client):
    """Close a client from :func:`dask_client` and the local cluster it started, if any."""
    cluster = client.cluster
    client.close()
    if cluster is not None:
        cluster.close()


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


class JournalError(Exception):
    """A resume journal that cannot be used (one line)."""


JOURNAL_SUFFIX = ".partial"
_JOURNAL_MAGIC = "# armsim sweep journal"
_CELL = {"int": int, "float": float, "str": str,
         "bool": lambda text: {"True": True, "False": False}[text]}


class Journal:
    """A sweep's rows, written to disk as they complete, so that an interrupted sweep resumes.

    The file is one comment line naming the sweep (``# armsim sweep journal DIGEST``,
    :func:`fingerprint`), the CSV header, then one CSV row per finished run in grid
    order, flushed after each row.  Use :meth:`open`; :meth:`write` appends a row,
    :meth:`remove` deletes the file once the sweep's CSV is written.
    """

    def __init__(self, path, fields, file):
        self.path, self.fields, self._file = Path(path), list(fields), file
        self._writer = csv.DictWriter(file, fieldnames=self.fields)

    @classmethod
    def open(cls, path, fields, digest, expected, resume=False):
        """Start a journal at ``path``, or continue it (``resume``).

        Parameters
        ----------
        fields : list of str   the CSV columns
        digest : str           :func:`fingerprint` of the sweep
        expected : list of dict
            Per task (grid order), the columns whose values are known beforehand
            (``seed``, the varied keys); a journal row that disagrees is refused.
        resume : bool
            Without it an existing journal is refused (never overwritten).

        Returns
        -------
        (journal, rows) : rows already in the journal (typed as a run's row), in order.

        Raises
        ------
        JournalError, one line naming the file.
        """
        path = Path(path)
        if not path.exists():
            file = open(path, "x", newline="", encoding="utf-8")
            file.write(f"{_JOURNAL_MAGIC} {digest}\r\n")
            journal = cls(path, fields, file)
            journal._writer.writeheader()
            file.flush()
            return journal, []
        if not resume:
            raise JournalError(f"{path} holds an interrupted sweep: add --resume to continue it, "
                               f"or delete it to start again")
        rows = _read_journal(path, fields, digest, expected)
        return cls(path, fields, open(path, "a", newline="", encoding="utf-8")), rows

    def write(self, row):
        self._writer.writerow(row)
        self._file.flush()

    def close(self):
        self._file.close()

    def remove(self):
        self.close()
        self.path.unlink(missing_ok=True)


def _read_journal(path, fields, digest, expected):
    from armsim.vision.calibration import CalibrationResult
    kinds = {f.name: str(f.type) for f in dataclasses.fields(CalibrationResult)}
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):             # the last row was cut short: run it again
        with open(path, "r+b") as f:
            f.truncate(end)
        data = data[:end]
    lines = data.decode("utf-8", errors="replace").splitlines()
    other = (f"--resume: {path} belongs to another sweep (a different scene, grid, seeds or "
             f"--max-rounds); delete it to start again")
    if not lines or lines[0] != f"{_JOURNAL_MAGIC} {digest}":
        raise JournalError(other)
    table = list(csv.reader(lines[1:]))
    if not table or table[0] != list(fields):
        raise JournalError(other)
    if len(table) - 1 > len(expected):
        raise JournalError(f"--resume: {path} has {len(table) - 1} rows, more than the sweep's "
                           f"{len(expected)}")
    rows = []
    for i, cells in enumerate(table[1:]):
        where = f"--resume: {path} line {i + 3}"
        if len(cells) != len(fields):
            raise JournalError(f"{where}: expected {len(fields)} values, got {len(cells)}")
        row = {}
        for name, text in zip(fields, cells):
            if name in expected[i]:
                if str(expected[i][name]) != text:
                    raise JournalError(f"{where}: {name} is {text!r}, expected "
                                       f"{str(expected[i][name])!r}; delete it to start again")
                row[name] = expected[i][name]
                continue
            try:
                row[name] = _CELL[kinds[name]](text)
            except (KeyError, ValueError):
                raise JournalError(f"{where}: cannot read {name} = {text!r}") from None
        rows.append(row)
    return rows


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

