"""``armsim sweep``: a grid of calibration runs from a scene, over seeds, in parallel.

::

    armsim sweep scenes/calibrate-gecco.toml --vary calibration.segments=1:6 \\
        --vary genetic.population=2:6 --seeds 123,456,789 --csv out.csv --plot out.png --jobs 4

``SCENE`` is a calibration scene (without it, ``--preset`` names one of the
core's built-in experiments).  A ``--vary`` key is a key of the scene's
``[calibration]``, ``[cameras]`` or ``[genetic]`` table (``calibration.window``,
``cameras.preset``, ``genetic.enabled``...) or one of the short names
``segments``, ``population``, ``learner``, ``window``; its values are ``A:B``
(integers A to B) or a comma list.  Every grid point is the scene with those
keys replaced and validated like a scene file (a bad value is the scene's
one-line error); the runs themselves go to :func:`armsim.vision.sweep.sweep`, one
CSV row per run (the varied keys as extra columns), and
:func:`armsim.vision.sweep.plot` draws rounds and seconds against population.

Engines: ``--engine local`` (default) is a pool of ``--jobs`` processes;
``--engine dask`` runs the tasks on dask.distributed, a ``LocalCluster`` of
``--workers`` processes or the cluster at ``--scheduler ADDRESS`` (the ``dask``
extra).  Every engine gives the serial run's rows in the serial order.

Resume: with ``--csv OUT.csv`` (a file), each row is appended and flushed to
``OUT.csv.partial`` as soon as it and every row before it are done; the CSV
itself is still written only once complete, and the journal is then removed (when
the CSV or the plot cannot be written, it is kept, and the error line says so).
After an interruption the same command with ``--resume`` reads the journal
(refused when it names another sweep), runs the remaining tasks on any engine and
writes the CSV; without ``--resume`` an existing journal is refused, never
overwritten.  A sweep killed outright (SIGKILL) also leaves its outputs' temporary files
(``.OUT.csv.xxxxxxxx.tmp``): the next run of the outputs removes them, each only when it
is a regular file of this user named so, with one link, that no running sweep holds.

Limits, checked before anything is built or started: every ``--vary`` value within its
key's own limits (a range by its ends; the scene's one-line error), at most 100000 runs
(grid points x seeds, counted arithmetically), ``--max-rounds`` within
``calibration.max_rounds``' limit, ``--jobs`` and ``--workers`` at most 4 per core of this
machine; a ``--scheduler`` gets 5 s to accept a connection, 5 s for dask's handshake and 5
s to have a worker (``tls://`` needs certificates in dask's configuration).

The journal's first line names its format, version and the sweep's parameters; anything
else at its path (a file that is not a journal, a named pipe, a device, a folder, a link
to nothing...) is refused untouched, and every row read back is checked like a computed
one (:mod:`armsim.vision.journal`).

Errors are one line on stderr with exit status 2.  SIGTERM ends a run with one line and
status 143 (Ctrl-C: 130), saying how many runs the journal kept; the worker processes are
stopped with it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import os
import stat
import sys
from pathlib import Path

from armsim.commands.options import HelpSaid, positive_int
from armsim.files import OutputError, Outputs, names_stdout, same_destination, short_name

__all__ = ["sweep_command", "build_parser", "grid_experiments"]

SECTIONS = ("calibration", "cameras", "genetic")
# short names, as in armsim.vision.experiment.Experiment.ALIASES
ALIASES = {"segments": "calibration.segments", "population": "genetic.population",
           "learner": "calibration.learner", "window": "calibration.window"}


class SweepError(Exception):
    """A bad option (one line, exit status 2)."""


class _Parser(HelpSaid):      # (--help on a full standard output: one line, status 2)
    def error(self, message):   # one line, status 2, no usage dump
        raise SweepError(message)


def _seeds(text):
    try:
        seeds = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got '{text}'") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers >= 0, got '{text}'")
    from armsim.ranges import MAX_SEED
    if max(seeds) > MAX_SEED:           # the scene's own bound on seed
        raise argparse.ArgumentTypeError(f"a seed must be <= {MAX_SEED} (as the scene's seed), "
                                         f"got {max(seeds)}")
    seen = set()
    for s in seeds:                     # (the same experiment run twice, counted twice)
        if s in seen:
            raise argparse.ArgumentTypeError(f"seed {s} is given twice")
        seen.add(s)
    return seeds


def build_parser():
    p = _Parser(prog="armsim sweep",
                description="Run a grid of calibration experiments over seeds in parallel "
                            "processes: one CSV row per run, a plot of rounds and seconds "
                            "against population.")
    p.add_argument("scene", nargs="?", metavar="SCENE",
                   help="calibration scene to start from (default: --preset)")
    p.add_argument("--preset", metavar="NAME",
                   help="without SCENE: a built-in experiment, gecco (default) or lm")
    p.add_argument("--vary", action="append", default=[], metavar="KEY=A:B|X,Y",
                   help="a scene key to vary (repeatable), e.g. calibration.segments=1:6 "
                        "genetic.population=2:6 calibration.learner=lm,adam")
    p.add_argument("--seeds", type=_seeds, default=[123, 456, 789], metavar="S,S,...",
                   help="seeds of each grid point (default 123,456,789)")
    p.add_argument("--csv", metavar="OUT.csv",
                   help="write one row per run (- for standard output); opened before the runs, "
                        "a file is replaced only once complete")
    p.add_argument("--plot", metavar="OUT.png",
                   help="write the rounds/seconds figure (needs matplotlib; format by the suffix, "
                        "- for PNG on standard output)")
    p.add_argument("--jobs", type=positive_int, default=1, metavar="N",
                   help="worker processes (default 1; at most 4 per core)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: a pool of --jobs processes on this machine (default); dask: "
                        "dask.distributed, a local cluster of --workers processes or the cluster "
                        "at --scheduler (needs the dask extra)")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="--engine dask: worker processes of the local cluster (default: one per core; "
                        "at most 4 per core)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="--engine dask: the scheduler of an existing cluster, e.g. tcp://host:8786 "
                        "(its workers need armsim installed; 5 s to connect)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted sweep from OUT.csv.partial, the rows it wrote "
                        "as they completed (same scene and options; anything but that sweep's "
                        "journal is refused untouched)")
    p.add_argument("--max-rounds", type=positive_int, metavar="N", dest="max_rounds",
                   help="give up after N rounds (default: the scene's calibration.max_rounds)")
    return p


def _scene_keys():
    from armsim.scene.document import _discover
    from armsim.scene import SECTIONS as REGISTERED
    _discover()
    return [f"{name}.{k}" for name in SECTIONS for k in REGISTERED[name].cls.allowed_keys()]


def _experiment_diff(base, other) -> dict:
    """``{"section.field": value}`` of every field where ``other`` differs from ``base``."""
    out = {}
    for sec in dataclasses.fields(base):
        a, b = getattr(base, sec.name), getattr(other, sec.name)
        for f in dataclasses.fields(a):
            if getattr(a, f.name) != getattr(b, f.name):
                out[f"{sec.name}.{f.name}"] = getattr(b, f.name)
    return out


def _spec(full):
    """The value spec of a scene key ``section.field`` (None for an alias key)."""
    from armsim.scene import SECTIONS as REGISTERED
    section, _, name = full.partition(".")
    f = REGISTERED[section].cls.specs().get(name)
    return None if f is None else f.metadata["spec"]


def _check_values(scene, full, values):
    """Each value of one ``--vary`` against its key's own limits, before the grid is made: a
    range by its two ends (the limits are bounds), a list value by value (argv-sized), and
    no value of a list twice (as the key reads it: 1e-3 and 0.001 are one)."""
    from armsim.scene.schema import SceneError, Where
    spec = _spec(full)
    if spec is None:
        return
    ends = (values[0], values[-1]) if isinstance(values, range) else values
    seen = set()
    for value in ends:      # the scene's own rule for a value it refuses, blamed on --vary
        try:
            parsed = spec.parse(value, Where(scene.source, tuple(full.split("."))))
        except SceneError as exc:
            raise SweepError(f"--vary {exc.key}: {exc.detail}") from None
        if not isinstance(values, range):   # (the same runs twice, counted twice)
            same = (type(parsed).__name__, repr(parsed))
            if same in seen:
                shown = str(parsed).lower() if isinstance(parsed, bool) else parsed
                raise SweepError(f"--vary {full}: {shown} is given twice")
            seen.add(same)


def grid_experiments(scene, varies, seeds=1):
    """The sweep grid of a calibration scene.

    Parameters
    ----------
    scene : armsim.scene.Scene   a calibration scene
    varies : list of (key, values)   keys as in the scene (or a short name); values a list or
                                     a ``range`` (:func:`armsim.vision.sweep.read_vary`)
    seeds : int                  seeds per grid point (counted against the run limit)

    Returns
    -------
    base : Experiment
    points : list of dict   the user's keys and their values as the scene reads them (2 for
                            a float key: 2.0), one dict per grid point
    changes : list of dict  per point, the Experiment fields that differ from ``base``

    Raises
    ------
    SweepError for an unknown key, a value beyond its key's limits or a grid of more than
    :data:`armsim.vision.sweep.MAX_RUNS` runs, all before anything is built; SceneError for a
    value the scene refuses.
    """
    from armsim.scene.calibration import experiment
    from armsim.scene import override
    from armsim.vision.sweep import MAX_RUNS, count, expand_grid
    known = _scene_keys()
    resolved = []
    for k, values in varies:
        full = ALIASES.get(k, k)
        if full not in known:
            raise SweepError(f"--vary {k}: unknown key; choose one of "
                             f"{', '.join(known)}, or one of {', '.join(ALIASES)}")
        if full in (r for r, _ in resolved):
            raise SweepError(f"--vary {k}: {full} is varied twice")
        _check_values(scene, full, values)
        if count(values) > MAX_RUNS:
            raise SweepError(f"--vary {k}: {count(values)} values; a sweep has at most {MAX_RUNS} runs")
        resolved.append((full, values))
    runs = seeds
    for _, values in resolved:
        runs *= count(values)
    if runs > MAX_RUNS:
        counts = " x ".join(str(count(v)) for _, v in resolved)
        raise SweepError(f"the sweep has {runs} runs ({counts} grid values x {seeds} seed"
                         f"{'s' if seeds > 1 else ''}); at most {MAX_RUNS}")
    base = experiment(scene)
    points, changes = [], []
    for given in expand_grid([(full, list(values)) for full, values in resolved]):
        read = override(scene, given)
        # (a value as given, 2, was read back from the journal against the run's 2.0)
        points.append({k: getattr(read.sections[k.partition(".")[0]], k.partition(".")[2])
                       for k in given})
        changes.append(_experiment_diff(base, experiment(read)))
    return base, points, changes


def _table(rows):
    """Medians over seeds, a row per grid point: segments, population and every other
    varied key (its own column), never pooled."""
    from armsim.vision.sweep import summarise, varied_columns
    other = [k.rpartition(".")[2] for k in varied_columns(rows)]
    table = summarise(rows)
    widths = [max([len(n)] + [len(str(key[2 + i])) for key in table]) for i, n in enumerate(other)]
    head = "".join(f" {n:>{w}}" for n, w in zip(other, widths))
    lines = [f"{'segments':>8} {'P':>3}{head} {'runs':>4} {'conv':>4} {'rounds':>10} {'seconds':>9}"]
    for key, (k, c, rounds, secs) in table.items():
        vals = "".join(f" {str(v):>{w}}" for v, w in zip(key[2:], widths))
        r = f"{rounds:.0f}" if rounds == int(rounds) else f"{rounds:.1f}"   # a median: x.5
        lines.append(f"{key[0]:>8} {key[1]:>3}{vals} {k:>4} {c:>4} {r:>10} {secs:>9.3f}")
    return "\n".join(lines)


def _plot_format(path):
    """The matplotlib format a plot file name asks for (by its suffix), checked up front."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    known = FigureCanvasAgg(Figure()).get_supported_filetypes()
    fmt = Path(path).suffix[1:].lower() or "png"
    if fmt not in known:
        raise SweepError(f"argument --plot: unknown picture format '.{fmt}'; use one of "
                         f"{', '.join('.' + k for k in sorted(known))}")
    return fmt


def sweep_command(argv) -> int:
    """Entry of ``armsim sweep``; returns the exit status (2: a bad option or scene, 130:
    interrupted, 143: SIGTERM; each told in one line on stderr)."""
    from armsim.files import Terminated
    from armsim.scene import SceneError
    status = {}         # "kept": what an interrupted run left for --resume
    try:
        return _sweep(argv, status)
    except SweepError as exc:
        print(_line(f"armsim sweep: error: {exc}{_kept(status)}"), file=sys.stderr)
        return 2
    except SceneError as exc:
        print(_line(str(exc)), file=sys.stderr)
        return 2
    except Terminated:
        _stop_workers()
        print(_line(f"armsim sweep: terminated (SIGTERM){_kept(status, '; no output written')}"),
              file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        _stop_workers()
        print(_line(f"armsim sweep: interrupted{_kept(status, '; no output written')}"),
              file=sys.stderr)
        return 130


def _line(text):
    """``text`` as one line that any stream can take: a character that is not printable (a
    line break, an undecodable byte of a file name) as its escape, ``\\n``, ``\\udcff``."""
    return text if text.isprintable() else "".join(
        c if c.isprintable() else repr(c)[1:-1] for c in text)


def _kept(status, otherwise=""):
    return f"; {status['kept']}" if "kept" in status else otherwise


def _stop_workers():
    """Worker processes a stopped run left (e.g. stopped while its cluster was starting)."""
    if "distributed" in sys.modules:
        from armsim.vision.sweep import stop_workers
        stop_workers()


def _sweep(argv, status) -> int:
    from armsim.vision.experiment import PRESETS
    from armsim.scene import load
    from armsim.files import Terminated
    from armsim.scene.calibration import MAX_ROUNDS
    from armsim.vision.sweep import CSV_FIELDS, check_processes, close_client, plot, quiet_dask, \
        read_vary, tasks, write_csv
    args = build_parser().parse_args(argv)
    try:
        varies = [read_vary(v) for v in args.vary]
    except ValueError as exc:
        raise SweepError(str(exc)) from None
    if args.max_rounds is not None and args.max_rounds > MAX_ROUNDS:
        raise SweepError(f"argument --max-rounds: must be <= {MAX_ROUNDS}, got {args.max_rounds}")
    for path, option in ((args.csv, "--csv"), (args.plot, "--plot")):
        if path == "":
            raise SweepError(f"argument {option}: expected a file name (or - for standard output), got ''")
    if args.csv is not None and args.plot is not None and same_destination(args.csv, args.plot):
        raise SweepError("argument --plot: the plot and the CSV are the same file")
    from armsim.vision.journal import JOURNAL_SUFFIX
    for path, option in ((args.csv, "--csv"), (args.plot, "--plot")):
        if path and path != "-" and path.endswith(JOURNAL_SUFFIX):
            raise SweepError(f"argument {option}: a name ending in {JOURNAL_SUFFIX} is a sweep's "
                             f"journal's; choose another")
        # a link to a journal (this sweep's: the output replaced it, then the journal's
        # removal deleted the output; or another's) is refused as one
        real = os.path.realpath(path) if path and not names_stdout(path) else ""
        if real.endswith(JOURNAL_SUFFIX):
            raise SweepError(f"argument {option}: '{short_name(path)}' resolves to "
                             f"'{short_name(real)}', a name ending "
                             f"in {JOURNAL_SUFFIX} (a sweep's journal's); choose another")
        if path and path != "-" and args.scene and same_destination(path, args.scene):
            raise SweepError(f"argument {option}: refusing to overwrite the scene file "
                             f"'{short_name(args.scene)}'")
    if args.engine == "local" and (args.workers is not None or args.scheduler is not None):
        raise SweepError(f"argument {'--workers' if args.workers is not None else '--scheduler'}: "
                         f"only with --engine dask (the local engine's processes are --jobs)")
    if args.engine == "dask":
        if args.jobs != 1:
            raise SweepError("argument --jobs: the dask engine's processes are --workers")
        if args.workers is not None and args.scheduler is not None:
            raise SweepError("argument --workers: the cluster at --scheduler has its own workers")
        try:    # fail before the runs, not after them
            import distributed  # noqa: F401
        except ImportError:
            raise SweepError("--engine dask needs dask.distributed: pip install 'armsim[dask]'") from None
    try:        # before any process starts
        check_processes(args.jobs, "--jobs")
        if args.workers is not None:
            check_processes(args.workers, "--workers")
    except ValueError as exc:
        raise SweepError(str(exc)) from None
    fmt = None
    if args.plot:
        try:    # fail before the runs, not after them
            import matplotlib  # noqa: F401
        except ImportError:
            raise SweepError("argument --plot: plotting needs matplotlib "
                             "(pip install 'armsim[plot]')") from None
        fmt = _plot_format(args.plot)
    if args.scene is not None:
        if args.preset is not None:
            raise SweepError("argument --preset: give SCENE or --preset, not both")
        scene = load(args.scene)
        if scene.kind != "calibration":
            raise SweepError(f"{short_name(args.scene)} is not a calibration scene (it has no "
                             f"[calibration] table)")
        urdf = scene.urdf_file                                     # the URDF it loads
        for path, option in ((args.csv, "--csv"), (args.plot, "--plot")):
            if urdf is not None and path and path != "-" and same_destination(path, str(urdf)):
                raise SweepError(f"argument {option}: refusing to overwrite the scene's URDF "
                                 f"'{short_name(urdf)}'")
    else:
        name = args.preset or "gecco"
        if name not in PRESETS:
            raise SweepError(f"argument --preset: unknown preset '{name}'; choose one of {', '.join(PRESETS)}")
        from armsim.scene import from_table
        preset = PRESETS[name]
        table = {"calibration": {f.name: getattr(preset.calibration, f.name)
                                 for f in dataclasses.fields(preset.calibration)},
                 "cameras": {"focuses": [list(p) for p in preset.camera.focuses]},
                 "genetic": {f.name: getattr(preset.genetic, f.name)
                             for f in dataclasses.fields(preset.genetic)
                             if getattr(preset.genetic, f.name) is not None}}
        scene = from_table(_toml_ready(table), f"<preset {name}>")
    base, points, changes = grid_experiments(scene, varies, len(args.seeds))
    args.vary_keys = list(points[0])
    extras = [_extra_columns(p) for p in points]
    fields = list(CSV_FIELDS) + sorted(extras[0])
    k = len(args.seeds)
    expected = [dict(extras[i // k], seed=seed) for i in range(len(points) * k)
                for seed in [args.seeds[i % k]]]
    note = (sys.stderr if any(n and names_stdout(n) for n in (args.csv, args.plot))
            else sys.stdout)
    journal, held = None, []
    try:
        with Outputs() as outs:     # opened (temporary files made) before the runs
            csv_dest = outs.add(args.csv) if args.csv else None
            plot_dest = outs.add(args.plot) if args.plot else None
            if args.resume and (csv_dest is None or csv_dest.kind != "file"):
                raise SweepError("argument --resume: needs --csv with a file name")
            held += [fd for fd in map(_hold, (csv_dest, plot_dest)) if fd is not None]
            todo = tasks(base, changes, args.seeds, args.max_rounds)
            # the journal before the cluster: one refused starts no process, and a finished
            # one needs none
            opened, done, created = _open_journal(args, base, changes, todo, expected, fields,
                                                  csv_dest, note)
            for dest in (csv_dest, plot_dest):      # (this CSV's journal is ours now)
                _remove_stale(dest)
            with (quiet_dask() if args.engine == "dask" else contextlib.nullcontext()):
                try:
                    client = (_client(args) if args.engine == "dask" and len(done) < len(expected)
                              else None)
                except BaseException:
                    _abandon(opened, created, len(done), len(expected), status)
                    raise
                try:
                    rows = _run(args, base, changes, todo, fields, expected, opened, done, client,
                                status)
                    journal = opened
                finally:
                    if client is not None:
                        close_client(client)
            table = _table(rows)
            for dest, write in ((csv_dest, lambda f: write_csv(rows, f)),
                                (plot_dest, lambda f: plot(rows, f, format=fmt))):
                if dest is not None:
                    try:
                        write(dest.file)
                    except OSError as exc:
                        raise dest.error(exc) from None
    except OutputError as exc:
        if journal is not None:     # the runs are done, an output failed: keep them all
            kept = (f"; kept {len(rows)} of {len(expected)} runs in {journal.path}; the same "
                    f"command with --resume writes the outputs")
            journal = None
            raise SweepError(f"{exc}{kept}") from None
        raise SweepError(str(exc)) from None
    except (Terminated, KeyboardInterrupt):
        if journal is not None:     # stopped after the runs, before the CSV: keep them all
            status["kept"] = (f"kept {len(rows)} of {len(expected)} runs in {journal.path}; "
                              f"the same command with --resume continues")
            journal = None
        raise
    finally:
        if journal is not None:     # every run is done: the CSV is written, or failed for good
            journal.remove()
        for fd in held:             # (after the rename: no moment a temporary file is free)
            os.close(fd)
    try:
        print(table, file=note)
        for name in (args.csv, args.plot):
            if name and name != "-":
                print(_line(f"wrote {name}"), file=note)
        note.flush()
    except OSError as exc:      # the outputs are written; the summary cannot be shown
        with contextlib.suppress(OSError, ValueError):    # (what is left in its buffer: dropped)
            os.dup2(os.open(os.devnull, os.O_WRONLY), note.fileno())
        raise SweepError(f"cannot write the summary to standard "
                         f"{'error' if note is sys.stderr else 'output'}: "
                         f"{exc.strerror or exc}") from None
    return 0


def _extra_columns(point):
    """The CSV columns of a grid point's varied keys that are not standard columns already."""
    from armsim.vision.sweep import CSV_FIELDS
    out = {}
    for key, value in point.items():
        short = key.rpartition(".")[2]
        if key not in CSV_FIELDS and not (short in CSV_FIELDS and ALIASES.get(short) == key):
            out[key] = value
    return out


#: the characters of the random part of a temporary file's name (``tempfile.mkstemp``'s)
_RANDOM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _hold(dest):
    """Lock the temporary file of an output for as long as this sweep may write it: a
    descriptor on it holding an advisory lock (close it after the group is committed), or
    None.  :func:`_remove_stale` leaves a held file alone: another sweep is writing it."""
    if dest is None or dest.kind != "file":
        return None
    fd = os.dup(dest.file.fileno())
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:             # a file system without locks
        pass
    return fd


def _remove_stale(dest):
    """Remove the temporary files of ``dest`` that a killed sweep left (SIGKILL runs no
    handler: ``.NAME.xxxxxxxx.tmp`` stayed beside the output, a new one every kill).

    Only a file named as :class:`armsim.files.Outputs` names this output's temporary file,
    a regular file (never a symbolic link: not followed, not removed), of this user, with no
    other hard link, and that no process holds (:func:`_hold`) is removed."""
    if dest is None or dest.kind != "file":
        return
    prefix, own = f".{dest.path.name}.", os.path.basename(dest._tmp or "")
    try:
        folder = os.open(dest.path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        with os.scandir(folder) as entries:
            names = [e.name for e in entries if e.name != own and e.name.startswith(prefix)
                     and e.name.endswith(".tmp") and len(e.name) == len(prefix) + 12
                     and set(e.name[len(prefix):-4]) <= _RANDOM]
        for name in names:
            _remove_if_free(folder, name)
    except OSError:
        pass
    finally:
        os.close(folder)


def _remove_if_free(folder, name):
    """Remove ``name`` in the open folder ``folder`` when it is a regular file of this user
    with one link that no process holds a lock on; never raises."""
    def looked():
        st = os.stat(name, dir_fd=folder, follow_symlinks=False)
        ok = stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and st.st_nlink == 1
        return (st.st_dev, st.st_ino) if ok else None
    try:
        seen = looked()
        if seen is None:
            return
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                     dir_fd=folder)
    except OSError:
        return
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != seen:
            return
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)     # held: in use (no locks: unknown)
        if looked() == seen:        # still that file under that name
            os.unlink(name, dir_fd=folder)
    except OSError:
        pass
    finally:
        os.close(fd)


def _client(args):
    from armsim.vision.sweep import EngineError, dask_client
    try:
        return dask_client(workers=args.workers, scheduler=args.scheduler)
    except EngineError as exc:
        raise SweepError(str(exc)) from None


def _open_journal(args, base, changes, todo, expected, fields, csv_dest, note):
    """``(journal, done, created)``: the sweep's journal ``OUT.csv.partial`` (None without a
    CSV file), the rows it already holds, typed and checked like computed ones
    (:func:`armsim.vision.sweep.check_row`), and whether it was made now.  A journal that is
    not this sweep's is refused (:class:`SweepError`) untouched."""
    from armsim.vision.sweep import (JOURNAL_SUFFIX, Journal, JournalError, fingerprint,
                                     fingerprint_parts, round_limit)
    if csv_dest is None or csv_dest.kind != "file":
        return None, [], False
    path = Path(args.csv + JOURNAL_SUFFIX)      # beside the name given (a link's too)
    params = {"runs": len(expected), "seeds": len(args.seeds), "max_rounds": args.max_rounds,
              "vary": args.vary_keys,
              "sweep": fingerprint(base, changes, args.seeds, args.max_rounds),
              "parts": fingerprint_parts(base, changes, args.seeds)}
    existed = os.path.lexists(path)
    try:
        journal, done = Journal.open(
            path, fields, params, lambda i: (_known(todo, expected, i), round_limit(todo[i])),
            resume=args.resume)
    except JournalError as exc:
        raise SweepError(str(exc)) from None
    except OSError as exc:
        raise SweepError(f"cannot use '{short_name(path)}' as the sweep's journal: "
                         f"{exc.strerror or exc}") from None
    if args.resume:
        try:
            print(_line(f"resuming {short_name(path)}: {len(done)} of {len(expected)} runs "
                        f"already done" if existed else
                        f"nothing to resume ({short_name(path)} does not exist): running "
                        f"all {len(expected)} runs"), file=note)
        except BaseException:
            _abandon(journal, not existed, len(done), len(expected), {})
            raise
    return journal, done, not existed


def _abandon(journal, created, kept, runs, status):
    """A journal given up on before any run: removed when it was made now (it holds no row),
    else closed as it is (``status["kept"]`` says so)."""
    if journal is None:
        return
    if created:
        journal.remove()
        return
    with contextlib.suppress(OSError):
        journal.close()
    status["kept"] = (f"kept {kept} of {runs} runs in {journal.path}; the same command with "
                      f"--resume continues")


def _known(todo, expected, i):
    from armsim.vision.sweep import known_columns
    return {**known_columns(todo[i]), **expected[i]}


def _run(args, base, changes, todo, fields, expected, journal, done, client, status):
    """The sweep's rows: ``done`` (read back from the journal), then those of the remaining
    runs, each checked by :func:`armsim.vision.sweep.check_row` and appended to the journal
    (when there is one) as soon as it and every row before it are done.  An interruption
    leaves the journal for ``--resume`` (and says so in ``status["kept"]``)."""
    from armsim.vision.sweep import CSV_FIELDS, EngineError, check_row, round_limit, sweep
    rows = list(done)

    def keep(i, row):
        for key in [c for c in row if c not in fields]:
            del row[key]
        for key in fields:      # a varied key that is not a standard column: as the grid
            if key not in row or key not in CSV_FIELDS:     # has it (the journal's form)
                row[key] = expected[i][key]
        problem = check_row(row, _known(todo, expected, i), round_limit(todo[i]))
        if problem is not None:
            raise SweepError(f"run {i + 1} (seed {row['seed']}) gave {problem[0]} = {row[problem[0]]!r}: "
                             f"{problem[1]}")
        if journal is not None:
            try:
                journal.write(row)
            except OSError as exc:
                raise SweepError(f"cannot write the sweep's journal '{short_name(journal.path)}': "
                                 f"{exc.strerror or exc}") from None
        rows.append(row)

    try:
        try:
            if len(done) < len(todo):
                sweep(base, changes, args.seeds, jobs=args.jobs, max_rounds=args.max_rounds,
                      engine=args.engine, client=client, skip=len(done), on_row=keep)
        except EngineError as exc:  # a worker process died
            raise SweepError(str(exc)) from None
        except Exception as exc:    # a task's error as the cluster gives it back (a worker
            if args.engine != "dask" or isinstance(exc, SweepError):    # without armsim...)
                raise
            why = str(exc).strip().splitlines()
            raise SweepError(f"the dask engine failed: {type(exc).__name__}"
                             f"{': ' + why[0] if why else ''}") from None
    except BaseException:
        if journal is not None:
            with contextlib.suppress(OSError):     # its last write failed: what it holds stays
                journal.close()
            # what the file holds (a signal between a row's write and its count here said
            # one row fewer than the journal kept)
            kept = journal.kept()
            status["kept"] = (f"kept {len(rows) if kept is None else kept} of {len(expected)} "
                              f"runs in {journal.path}; the same command with --resume continues")
        raise
    if journal is not None:
        journal.close()
    return rows


def _toml_ready(value):
    """Tuples as lists, recursively (a table as the TOML reader would give it)."""
    if isinstance(value, dict):
        return {k: _toml_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_toml_ready(v) for v in value]
    return value
