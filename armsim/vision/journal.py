"""A sweep's resume journal: rows on disk as they complete, read back only when they are ours.

The file (UTF-8, CSV line ends ``\\r\\n``) is::

    # armsim sweep journal 2 {"runs": 8, "seeds": 2, "max_rounds": 30, "vary": [...], "sweep":
      "<sha256>", "parts": {"scene": "<16 hex>", "grid": "<16 hex>", "seeds": "<16 hex>"}}
    segments,population,seed,...            <- the CSV columns
    1,4,5,lm,...                            <- one row per finished run, in grid order

The first line names the format (``# armsim sweep journal``), its version (:data:`VERSION`)
and the sweep's parameters: the number of runs, of seeds, ``--max-rounds`` (``null``: the
scene's), the varied keys and ``sweep``, the :func:`~armsim.vision.sweep.fingerprint` of all of
it (scene, grid values, seeds), and ``parts``, the digests of the scene, the grid values and
the seeds apart (:func:`~armsim.vision.sweep.fingerprint_parts`).  A journal whose first line
differs is another sweep's, refused naming what differs (``its --max-rounds is 30, this
command's 31``, ``its seeds differ (as many, other values)``...); one written before ``parts``
was named resumes when the rest is this sweep's.

What is refused, in one line naming the file (:class:`JournalError`), before anything is
written:

* anything but a regular file or a new name: a named pipe, a device (also through a
  symbolic link, e.g. to ``/dev/zero``), a folder, a socket, a link to nothing.  Nothing is
  opened until the kind is known, and what is opened is checked to be what was inspected.
* a file that is not a journal (its first line is not the one above): never truncated,
  never written, whatever ``--resume`` says.
* a file larger than a journal of this sweep can be (``(runs + 2) * MAX_LINE`` bytes) or a
  line longer than :data:`MAX_LINE` bytes: nothing is read whole.
* a row that is not what a run of this sweep computes (:func:`check_row`): the known
  columns (seed, segments, population, learner, cameras, criterion, the varied keys) must
  equal the sweep's, numbers must be finite and in range (``rounds`` up to the run's round
  limit).  The message names the row, its line and the column (a long value by its start,
  its end and its length: the line stays short).

A journal of another armsim version (another format number) is refused as such, and a
journal another sweep is writing (it holds an advisory lock on it) as in use.

Only a journal that passed all of this is changed: a last row cut short (the process was
killed while writing it) is cut off, a column line cut short (killed while the journal was
made: its first line whole, nothing after the columns) is written again, and new rows are
appended.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import math
import os
import stat
from pathlib import Path

from armsim.files import short_name

__all__ = ["Journal", "JournalError", "JOURNAL_SUFFIX", "MAGIC", "VERSION", "MAX_LINE", "check_row",
           "special_kind"]

JOURNAL_SUFFIX = ".partial"
MAGIC = "# armsim sweep journal"
VERSION = 2
#: bytes a journal line may have (a row of this project is a few hundred; a seed or a varied
#: value of thousands of digits still fits)
MAX_LINE = 65536

_INTS = ("segments", "population", "seed", "cameras", "rounds", "generations")
_FLOATS = ("seconds", "final_loss", "length_error_px", "length_error_pct", "angle_error")
#: float columns that are empty when the run never measured them (a run stopped before its
#: first loss check has no final_loss)
OPTIONAL = ("final_loss", "length_error_px", "length_error_pct", "angle_error")


class JournalError(Exception):
    """A resume journal that cannot be used (one line)."""


def special_kind(path) -> str | None:
    """Why ``path`` cannot be a journal when it is neither a regular file (a link to one
    included) nor absent: ``"it is a named pipe"``, ``"it is a symbolic link to a character
    device ('/dev/zero')"``, ``"File name too long"``... else None."""
    path = os.fspath(path)
    try:
        link = os.readlink(path) if os.path.islink(path) else None
        st = os.stat(path)
    except FileNotFoundError:
        return f"it is a symbolic link to a missing file ('{link}')" if link is not None else None
    except OSError as exc:
        return exc.strerror or str(exc)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    what = ("a named pipe" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
            else "a block device" if stat.S_ISBLK(mode) else "a folder" if stat.S_ISDIR(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return f"it is a symbolic link to {what} ('{link}')" if link is not None else f"it is {what}"


def check_row(row, known, round_limit):
    """The first problem of a run's row, as ``(column, reason)``, or None.

    ``known`` maps columns to the values this run must have (seed, segments, ...);
    ``round_limit`` is the run's ``max_rounds``.  Numbers are finite and ``>= 0``; the
    :data:`OPTIONAL` ones may be None (no value).
    """
    for name, want in known.items():
        if name in row and row[name] != want:
            return name, f"expected {want!r} (this sweep's value)"
    for name in _INTS:
        v = row.get(name)
        if name in row and (isinstance(v, bool) or not isinstance(v, int)):
            return name, "expected an integer"
    if not isinstance(row.get("converged", False), bool):
        return "converged", "expected True or False"
    for name in _FLOATS:
        if name not in row or (row[name] is None and name in OPTIONAL):
            continue
        v = row[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return name, "not a finite number"
        if v < 0:
            return name, "must be >= 0"
    for name in ("rounds", "generations"):
        if name in row and row[name] < 0:
            return name, "must be >= 0"
    if "rounds" in row and row["rounds"] > round_limit:
        return "rounds", f"must be <= {round_limit} (the run's round limit)"
    return None


def _cell(name, text):
    """A journal cell as the run's value, read only in the form armsim writes it (``str`` of
    an int, ``repr`` of a float: what ``int()`` and ``float()`` also take -- ``3_000``,
    ``' 3'``, ``'+3'``, ``'007'``, non-ASCII digits -- is refused); raises ValueError with
    the reason."""
    if name in _INTS:
        value = _written(int, text)
        if value is None:
            raise ValueError("expected an integer as armsim writes it (digits 0-9)")
        return value
    if name in _FLOATS:
        if text == "" and name in OPTIONAL:
            return None
        value = _written(int, text)
        value = _written(float, text) if value is None else value
        if value is None:
            raise ValueError("expected a number as armsim writes it (e.g. 0.25, 1e-05)")
        return value
    if name == "converged":
        if text not in ("True", "False"):
            raise ValueError("expected True or False")
        return text == "True"
    return text


def _written(kind, text):
    """``kind(text)`` (int or float) when ``text`` is what armsim writes for that value (its
    ``repr``), else None."""
    try:
        value = kind(text)
    except (ValueError, OverflowError):
        return None
    return value if repr(value) == text else None


def header_line(params) -> str:
    """The journal's first line for a sweep of ``params`` (a JSON-ready dict)."""
    return f"{MAGIC} {VERSION} {json.dumps(params)}"


class Journal:
    """A sweep's rows, written to disk as they complete, so that an interrupted sweep resumes.

    Use :meth:`open`; :meth:`write` appends a row (flushed), :meth:`remove` deletes the file
    once the sweep's CSV is written.
    """

    def __init__(self, path, fields, fd):
        self.path, self.fields = Path(path), list(fields)
        self._file = open(fd, "a", newline="", encoding="utf-8", closefd=True)
        self._writer = csv.DictWriter(self._file, fieldnames=self.fields)

    @classmethod
    def open(cls, path, fields, params, rows, resume=False):
        """Start a journal at ``path``, or continue it (``resume``).

        Parameters
        ----------
        fields : list of str     the CSV columns
        params : dict            the sweep's parameters (the first line), ``params["runs"]`` runs
        rows : callable(i)       ``(known, round_limit)`` of run ``i``, see :func:`check_row`
        resume : bool            without it an existing journal is refused (never overwritten)

        Returns
        -------
        (journal, done) : ``done`` the rows already in the journal, typed, in order.

        Raises
        ------
        JournalError, one line naming the file; the file is then as it was.
        """
        path = Path(path)
        what = special_kind(path)
        if what is not None:
            raise JournalError(f"cannot use '{short_name(path)}' as the sweep's journal: {what}")
        head = header_line(params)
        flags = os.O_CLOEXEC | os.O_NOCTTY
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | flags, 0o666)
        except FileExistsError:
            fd = None
        if fd is not None:
            journal = None
            try:
                _lock(path, fd)         # (another sweep that opened it first: in use)
                journal = cls(path, fields, fd)
                journal._file.write(head + "\r\n")
                journal._writer.writeheader()
                journal._file.flush()
            except BaseException:       # in use, a disk full, a signal: no half-made journal
                with contextlib.suppress(OSError):      # left behind (an empty one was refused
                    if journal is not None:             # as not a journal ever after)
                        journal.close()
                    else:
                        os.close(fd)
                path.unlink(missing_ok=True)
                raise
            return journal, []
        fd = os.open(path, (os.O_RDWR if resume else os.O_RDONLY) | os.O_NONBLOCK | flags)
        try:
            _lock(path, fd)
            done = _read(path, fd, fields, params, rows, resume)
        except BaseException:
            os.close(fd)
            raise
        os.set_blocking(fd, True)
        os.lseek(fd, 0, os.SEEK_END)
        return cls(path, fields, fd), done

    def write(self, row):
        self._writer.writerow(row)
        self._file.flush()

    def close(self):
        self._file.close()

    def kept(self):
        """The complete rows the file holds after its two header lines (what ``--resume``
        finds: a row cut short by a signal is not one), or None when it cannot be read."""
        try:
            with open(self.path, "rb") as f:
                return max(f.read().count(b"\n") - 2, 0)
        except OSError:
            return None

    def remove(self):
        """Close and remove the journal; one that is a symbolic link goes with the file it
        names (the rows were written there)."""
        try:
            self.close()
        except OSError:             # its last write failed: it goes anyway
            pass
        if self.path.is_symlink():
            try:
                target = self.path.resolve(strict=True)
                if target.is_file():
                    target.unlink()
            except OSError:
                pass
        self.path.unlink(missing_ok=True)


def _lock(path, fd):
    """Hold the journal for this process (an advisory lock, released when it is closed): a
    second sweep on the same journal is refused instead of interleaving rows."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise JournalError(f"'{short_name(path)}' is in use by another armsim sweep") from None
    except OSError:         # a file system without locks: go on without one
        pass


def _read(path, fd, fields, params, rows, resume):
    """Check the open journal ``fd`` line by line; cut a last row cut short (only then, and
    only with ``resume``); return its rows."""
    head, runs = header_line(params), params["runs"]
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):            # replaced between the look and the open
        raise JournalError(f"cannot use '{short_name(path)}' as the sweep's journal: it is not "
                           f"a regular file")
    bound = (runs + 2) * MAX_LINE
    if st.st_size > bound:
        raise JournalError(f"cannot use '{short_name(path)}' as the sweep's journal: it is "
                           f"{st.st_size} bytes, more than a journal of {runs} runs can hold ({bound})")
    reader = open(fd, "rb", closefd=False)
    try:
        first = reader.readline(MAX_LINE + 1)
        if first.startswith(f"{MAGIC} ".encode()) and not first.startswith(f"{MAGIC} {VERSION} ".encode()):
            raise JournalError(f"'{short_name(path)}' is a sweep journal of another armsim "
                               f"version (not format {VERSION}); it cannot be resumed: delete "
                               f"it to start again")
        if not first.startswith(f"{MAGIC} {VERSION} ".encode()) or not first.endswith(b"\n"):
            raise JournalError(f"'{short_name(path)}' is not an armsim sweep journal (its first "
                               f"line is not '{MAGIC} {VERSION} ...'); refusing to touch it: "
                               f"move it away or name another --csv")
        other = (f"--resume: {short_name(path)} belongs to another sweep (a different scene, "
                 f"grid, seeds or --max-rounds); delete it to start again")
        if not resume:
            raise JournalError(f"{short_name(path)} holds an interrupted sweep: add --resume to "
                               f"continue it, or delete it to start again")
        if first.rstrip(b"\r\n") != head.encode():
            theirs = _params(first)     # (one written before "parts": this sweep's)
            if theirs != {k: v for k, v in params.items() if k != "parts"}:
                raise JournalError(f"--resume: {short_name(path)} belongs to another sweep: "
                                   f"{_mismatch(theirs, params)}; delete it to start again")
        line, columns = reader.readline(MAX_LINE + 1), _columns(fields)
        cut = not line.endswith(b"\n")
        if not columns.startswith(line) if cut else line.rstrip(b"\r\n") != columns[:-2]:
            raise JournalError(other)
        end = len(first) if cut else reader.tell()     # (cut: nothing follows)
        done = []
        while True:
            line = reader.readline(MAX_LINE + 1)
            if not line:
                break
            n = len(done) + 1
            where = f"--resume: {short_name(path)} row {n} (line {n + 2})"
            if not line.endswith(b"\n"):
                if len(line) > MAX_LINE:
                    raise JournalError(f"{where}: longer than {MAX_LINE} bytes")
                break                           # cut short by a kill: that run runs again
            if n > runs:
                raise JournalError(f"--resume: {short_name(path)} has more rows than the "
                                   f"sweep's {runs} runs")
            done.append(_row(line, fields, rows(n - 1), where))
            end = reader.tell()
    finally:
        reader.close()
    if end < st.st_size:
        os.ftruncate(fd, end)
    if cut:             # killed while it was made: its column line is written again
        os.lseek(fd, end, os.SEEK_SET)
        while columns:
            columns = columns[os.write(fd, columns):]
    return done


def _params(first):
    """The parameters a journal's first line names (a dict), or None when they cannot be read."""
    try:
        theirs = json.loads(first[len(f"{MAGIC} {VERSION} "):].decode("utf-8"))
    except ValueError:
        return None
    return theirs if isinstance(theirs, dict) else None


def _mismatch(theirs, ours):
    """What differs between the sweep of a journal's parameters ``theirs`` and this one's."""
    def get(params, key, kind):
        value = (params or {}).get(key)
        return value if isinstance(value, kind) and not isinstance(value, bool) else None
    vary = [get(p, "vary", list) for p in (theirs, ours)]
    seeds = [get(p, "seeds", int) for p in (theirs, ours)]
    runs = [get(p, "runs", int) for p in (theirs, ours)]
    if vary[0] is not None and vary[0] != vary[1]:
        said = [[_shown(str(k), quoted=False) for k in v] for v in vary]
        if len(said[0]) > 5:        # (a line, not the file's every key)
            said[0][4:] = [f"{len(said[0]) - 4} more"]
        said = [" and ".join(keys) or "nothing" for keys in said]
        return f"it varies {said[0]}, this command {said[1]}"
    if seeds[0] is not None and seeds[0] != seeds[1]:
        return f"it has {seeds[0]} seed{'s' * (seeds[0] != 1)}, this command {seeds[1]}"
    if runs[0] is not None and runs[0] != runs[1] and seeds[0]:
        return f"its grid has {runs[0] // seeds[0]} points, this command's {runs[1] // seeds[1]}"
    if theirs is not None and "max_rounds" in theirs and theirs["max_rounds"] != ours["max_rounds"]:
        said = [_shown(str(v), quoted=False) if v is not None else "the scene's"
                for v in (theirs["max_rounds"], ours["max_rounds"])]
        return f"its --max-rounds is {said[0]}, this command's {said[1]}"
    parts = [get(p, "parts", dict) or {} for p in (theirs, ours)]
    for key, say in (("scene", "its scene differs (another scene or preset, or a key of it "
                               "changed)"),
                     ("grid", "its grid values differ (the same keys, as many points)"),
                     ("seeds", "its seeds differ (as many, other values)")):
        if key in parts[0] and parts[0][key] != parts[1][key]:
            return say
    return "a different scene, grid, seeds or --max-rounds"


def _columns(fields) -> bytes:
    """The journal's second line, as :meth:`Journal.open` writes it (``\\r\\n`` ended)."""
    text = io.StringIO()
    csv.writer(text).writerow(fields)
    return text.getvalue().encode("utf-8")


_STANDARD = _INTS + _FLOATS + ("converged", "learner", "criterion")


def _row(line, fields, expected, where):
    """One journal line as a run's row, checked against ``expected`` = (known, round_limit)."""
    known, limit = expected
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise JournalError(f"{where}: not UTF-8 text") from None
    try:
        cells = next(csv.reader([text]), [])
    except csv.Error as exc:
        raise JournalError(f"{where}: not a CSV row ({exc})") from None
    if len(cells) != len(fields):
        raise JournalError(f"{where}: expected {len(fields)} values, got {len(cells)}")
    row = {}
    for name, text in zip(fields, cells):
        if name not in _STANDARD:           # a varied key: as the grid wrote it
            if str(known.get(name)) != text:
                raise JournalError(f"{where}: {name} = {_shown(text)}: expected "
                                   f"{_shown(str(known.get(name)))} (this sweep's value)")
            row[name] = known.get(name)
            continue
        try:
            row[name] = _cell(name, text)
        except ValueError as exc:
            raise JournalError(f"{where}: {name} = {_shown(text)}: {exc}") from None
        problem = check_row({name: row[name]}, {name: known[name]} if name in known else {}, limit)
        if problem is not None:
            raise JournalError(f"{where}: {name} = {_shown(text)}: {problem[1]}")
    return row


#: characters of a cell a message shows, at most (a longer one: its start and end)
SHOWN_CELL = 40


def _shown(text, quoted=True):
    """A journal cell as a message shows it: its ``repr`` (``quoted``, else the text with its
    unprintable characters escaped), and when that is longer than :data:`SHOWN_CELL`
    characters, its start and end and the cell's length (a cell of 60,000 digits made an error
    line of 60,000 characters)."""
    shown = repr(text) if quoted else repr(text)[1:-1]
    if len(shown) <= SHOWN_CELL:
        return shown
    return f"{shown[:SHOWN_CELL - 15]}...{shown[-12:]} ({len(text)} characters)"
