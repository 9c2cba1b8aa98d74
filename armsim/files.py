"""Where a run's outputs go: destinations opened before any work is done.

Every file a command writes (the GIF, the JSON report, the sweep CSV and plot)
goes through one :class:`Outputs` group::

    with Outputs() as outs:
        gif = outs.add("out.gif", "--gif")      # opened now: fails before any frame
        report = outs.add("r.json", "--report")
        ...write gif.file, report.file...
    # all committed here, or none (on any exception, SIGTERM or Ctrl-C)

What a name means:

* a regular file or a new path: a temporary file ``.NAME.xxxx.tmp`` is created
  in the same folder when the destination is added (so a read-only folder,
  ``/proc``, ``/sys`` or a disk without free inodes fails up front), written,
  flushed to disk, given the mode of the file it replaces (a new file: the usual
  ``0666`` less the umask) and renamed over ``NAME`` when the group ends.  A file
  that is read-only (no write permission), or that has other hard links (a rename
  would leave them with the old contents), is refused, not replaced.  If anything fails,
  every temporary file
  is removed, an older file at the path is left untouched, and folders the
  group created (``make_parents``) are removed again.
* a character device or a FIFO (``/dev/null``, a named pipe, a terminal) is
  written through directly and never replaced; a named pipe that no process reads
  is refused after :data:`FIFO_WAIT` seconds instead of blocking forever.
* a symbolic link is followed: the rules above apply to its target, and the
  link itself is never replaced (``/dev/stdout`` -> ``/proc/self/fd/1`` -> a
  pipe is written through; a link to a regular file gets its target replaced
  atomically).  A link to nothing is refused.
* ``-`` is standard output (binary), for pipelines; refused when it is a
  terminal.
* anything else (a folder, a block device, a socket, an empty name) is refused.

Errors are :class:`OutputError`, one line naming the path (:func:`short_name`: a name's
escape codes escaped, a name of more than :data:`SHOWN_NAME` characters by its start and end).

Inputs (a scene, a URDF file) are read by :func:`read_regular`: a regular file of at most
a given size, refused at once -- by what it is (a folder, a pipe, a device) or by its
size -- before a byte is read; the error is :class:`InputError`, the reason without the path.
:func:`long_toml_key` finds a TOML key too long to parse (a scene's, a setup's).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["OutputError", "Terminated", "Destination", "Outputs", "same_destination",
           "names_stdout", "suffix_problem", "FIFO_WAIT", "InputError", "read_regular",
           "file_type", "long_toml_key", "MAX_KEY_PARTS", "one_line", "escaped",
           "short_name", "short_beside", "SHOWN_NAME", "SHOWN_BESIDE", "hold_standard_fds",
           "say", "stderr_silenced"]

#: seconds a named pipe given as an output may take to get a reader before it is refused
FIFO_WAIT = 2.0
# standard descriptors (0, 1, 2) that were closed when the command started (hold_standard_fds)
_CLOSED_AT_START = set()


def hold_standard_fds():
    """Give each closed standard descriptor (0, 1, 2: ``>&-``) to ``/dev/null``, so that no
    file opened later takes its number: an output file that became descriptor 1 was then
    written by ``-`` too (the JSON report at the end of the GIF).  ``-`` stays refused as a
    closed standard output; ``sys.stdout`` and ``sys.stderr``, None when theirs was closed,
    write there (what a command says goes nowhere, and its work is done)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
            if null != fd:
                os.dup2(null, fd, inheritable=True)
                os.close(null)
            else:
                os.set_inheritable(fd, True)
            _CLOSED_AT_START.add(fd)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        if fd in _CLOSED_AT_START and getattr(sys, name) is None:
            setattr(sys, name, open(fd, "w", encoding="utf-8", errors="backslashreplace",
                                    closefd=False))


@contextlib.contextmanager
def stderr_silenced():
    """File descriptor 2 sent to the null device while the block runs (what a C library
    prints there: SDL probing Wayland, OpenCV's and libpng's warnings), then put back; as
    it is when it cannot be duplicated."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class OutputError(Exception):
    """An output cannot be written (one line, naming the path)."""


def say(text, file=None):
    """Print ``text`` and a line break on ``file`` (default standard output) and flush it: a
    command's table, schema or status line.  A write that fails (a full disk, ``> /dev/full``)
    is :class:`OutputError` ``cannot write standard output: REASON`` (it was a traceback, or
    lost at exit with status 0); a reader that left (``| head``) stays ``BrokenPipeError``."""
    out = sys.stdout if file is None else file
    try:
        out.write(f"{text}\n")
        out.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        what = "standard output" if out is sys.stdout else "standard error"
        _drop_pending(out)
        raise OutputError(f"cannot write {what}: {_why(exc)}") from None


def _drop_pending(out):
    """Point ``out``'s descriptor at the null device: the text its buffer still holds would
    fail again when Python flushes it at exit ("Exception ignored ... OSError", status
    120 instead of the command's 2)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, out.fileno())
        finally:
            os.close(null)


class Terminated(BaseException):
    """SIGTERM arrived while outputs were open (they have been discarded)."""


class InputError(Exception):
    """An input file cannot be read: ``str(err)`` is the reason (one line, without the path).

    Attributes
    ----------
    errno : int or None   the OS error number, when the OS refused
    too_large : bool      the file is larger than the limit asked for
    """

    def __init__(self, reason, errno=None, too_large=False):
        super().__init__(reason)
        self.errno = errno
        self.too_large = too_large


_FILE_TYPES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a pipe (FIFO)"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))


def file_type(mode) -> str:
    """What a file of ``st_mode`` is, for a message: ``"a directory"``, ``"a pipe (FIFO)"``,
    ``"a character device"``, ``"a block device"``, ``"a socket"``, ``"a regular file"``."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _FILE_TYPES if test(mode)), "not a regular file")


#: dotted parts of one TOML key or table header, at most (a scene's deepest key has three:
#: render.colors.text).  tomllib keeps every prefix of a dotted key, N parts take N^2 / 2
#: entries: 50,000 parts (100 KB of text) took 10 GB; a long header is walked again for
#: every key below it.
MAX_KEY_PARTS = 32
_TOML_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_LONG_KEY = re.compile(rf"^([ \t]*\[{{0,2}}[ \t]*)({_TOML_KEY}(?:[ \t]*\.[ \t]*{_TOML_KEY})"
                       rf"{{{MAX_KEY_PARTS},}})", re.MULTILINE)


def long_toml_key(text):
    """None, or ``(line, column, parts)`` of the first key or table header of the TOML
    ``text`` with more than :data:`MAX_KEY_PARTS` dotted parts (checked before parsing)."""
    m = _LONG_KEY.search(text)
    if m is None:
        return None
    start = m.start(2)
    return (text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start),
            len(re.findall(_TOML_KEY, m.group(2))))


_BARE_CR = re.compile(r"\r(?!\n)")
_CR_WHAT = ("(old Mac OS style: a carriage return with no line feed), which TOML does not "
            "accept; save the file with LF or CRLF line endings")


def bare_cr(text, position=None):
    """None, or ``(where, what)`` naming a line of the TOML ``text`` ended by a carriage
    return alone: a file of CR-only line endings (``where`` ""; one line to TOML, whose
    error would name a column of it), or a stray CR at or before ``position`` (tomllib's
    (line, column); None: the end of the document) as ``"line L, column C"``."""
    m = _BARE_CR.search(text)
    if m is None:
        return None
    if "\n" not in text:
        return "", (f"line endings are CR only {_CR_WHAT} "
                    "(e.g. tr '\\r' '\\n' < old.toml > new.toml)")
    line = text.count("\n", 0, m.start()) + 1
    column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    if position is not None and (line, column) > position:
        return None                             # an earlier TOML error: that one is named
    return f"line {line}, column {column}", f"a CR line ending {_CR_WHAT}"


def _unwritable(path, mode) -> str:
    """Why a regular file this process may not write is so: its file system mounted
    read-only, no write permission at all, or none for this user."""
    try:
        read_only_fs = bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):       # (no statvfs: Windows)
        read_only_fs = False
    if read_only_fs:
        return "it is on a read-only file system"
    if not mode & 0o222:
        return f"it is read-only (mode {stat.S_IMODE(mode):04o})"
    return f"this user may not write it (mode {stat.S_IMODE(mode):04o})"


def one_line(text) -> str:
    """``text`` (a message) as one line a terminal shows as it is: runs of white space (a
    parser's line breaks) as one space, any other character that is not printable (a file
    name's escape code, an undecodable byte) as its escape, ``\\x1b``, ``\\udcff``."""
    return escaped(" ".join(str(text).split()))


#: characters of a file name a message shows, at most (a longer one: its start and end);
#: a second name in the same message (its folder, a link's target) is cut to SHOWN_BESIDE
#: when the first one is cut, so the line stays within about 200 characters
SHOWN_NAME, SHOWN_BESIDE = 100, 24


def short_name(name, size=SHOWN_NAME) -> str:
    """``name`` (a file name) as a message shows it: :func:`escaped`, and when that is longer
    than ``size`` characters, its start and its end with ``...`` between, ``size`` in all
    (the folder it begins in and the file it ends in still named; a 5,000-character name
    made a 5,000-character error line)."""
    text = escaped(name)
    if len(text) <= size:
        return text
    head = (size - 3) // 2
    return f"{text[:head]}...{text[len(text) - (size - 3 - head):]}"


def short_beside(name, other) -> str:
    """``other`` (the folder of ``name``, the target of a link ``name``) as a message naming
    both shows it: :func:`short_name`, cut to :data:`SHOWN_BESIDE` characters when ``name``
    itself is cut."""
    return short_name(other, SHOWN_NAME if len(escaped(name)) <= SHOWN_NAME else SHOWN_BESIDE)


def escaped(name) -> str:
    """``name`` (a file name, for a message) with each character that is not printable as
    its escape: a NUL as ``\\x00``, an escape code as ``\\x1b``, a line break as ``\\n``
    (a space stays a space: the name is shown as it is, in one line)."""
    text = str(name)
    return text if text.isprintable() else "".join(
        c if c.isprintable() else repr(c)[1:-1] for c in text)


def read_regular(path, limit) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    The file is opened without blocking (a FIFO with no writer would wait forever)
    and its type and size are checked on the open descriptor before any read, so a
    pipe, a device such as ``/dev/zero`` or a directory is refused at once, and so is
    a file larger than ``limit`` (also one that grows while it is read).

    Raises
    ------
    InputError
        ``it is a pipe (FIFO), not a regular file`` (and the like), the OS's reason
        (``No such file or directory``, with ``errno``), or ``too_large``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(_why(exc), exc.errno) from None
    except ValueError:              # os.open refuses a name with a NUL character
        raise InputError("a file name cannot contain a NUL character") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"it is {file_type(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise InputError(f"more than {limit} bytes", too_large=True)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(_why(exc), exc.errno) from None
    finally:
        os.close(fd)
    if size > limit:
        raise InputError(f"more than {limit} bytes", too_large=True)
    return b"".join(chunks)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Destination:
    """One output: a name as the user gave it, opened by :meth:`Outputs.add`.

    Attributes
    ----------
    name : str      as given (``-`` for standard output)
    kind : str      ``"file"`` (temporary file, renamed at the end), ``"stream"``
                    (device or FIFO, written through) or ``"stdout"``
    path : Path     the file that will hold the output (the link's target for a link)
    file : binary file object to write to
    """

    def __init__(self, name, label=None, make_parents=False):
        self.name = os.fspath(name) if not isinstance(name, str) else name
        self.label = label
        self.kind = None
        self.path = None
        self.file = None
        self._tmp = self._mode = None   # (the mode of the file replaced)
        self._made = []             # folders created for this destination, deepest last
        self._open(make_parents)

    # -- opening ---------------------------------------------------------------

    def _fail(self, message):
        where = f"argument {self.label}: " if self.label else ""
        raise OutputError(f"{where}{message}")

    def _open(self, make_parents):
        name = self.name
        shown = short_name(name)
        if name == "":
            self._fail("expected a file name (or - for standard output), got ''")
        if "\0" in name:
            self._fail("a file name cannot contain a NUL character")
        if name == "-" or names_stdout(name):      # /dev/stdout: as "-"
            if os.isatty(1):
                self._fail("refusing to write binary data to a terminal; redirect standard output")
            try:
                if 1 in _CLOSED_AT_START:     # (held by /dev/null: hold_standard_fds)
                    raise OSError(errno.EBADF, os.strerror(errno.EBADF))
                fd = os.dup(1)
            except OSError as exc:      # (it said only "Bad file descriptor")
                self._fail(f"cannot write to standard output: {_why(exc)} (is it closed?)")
            self.kind, self.path = "stdout", Path("-")
            self.file = os.fdopen(fd, "wb")
            return
        if name.endswith(os.sep) and not os.path.isdir(name):
            self._fail(f"cannot write '{shown}': a name ending in '{os.sep}' names a folder")
        path = Path(name)
        try:
            st = os.stat(path)          # follows links
        except FileNotFoundError:
            if os.path.islink(path):
                self._fail(f"cannot write '{shown}': it is a symbolic link to a missing file "
                           f"('{short_beside(name, os.readlink(path))}')")
            return self._open_file(path, make_parents)
        except OSError as exc:
            if exc.errno == errno.ENOTDIR:
                return self._open_file(path, make_parents)   # names the folder that is a file
            self._fail(f"cannot write '{shown}': {_why(exc)}")
        mode = st.st_mode
        if stat.S_ISREG(mode):
            if not mode & 0o222 or not os.access(path, os.W_OK):
                self._fail(f"cannot write '{shown}': {_unwritable(path, mode)}; refusing to "
                           f"replace it")
            if st.st_nlink > 1:
                self._fail(f"cannot write '{shown}': it has {st.st_nlink - 1} other hard "
                           f"link(s), which a new file would not reach; refusing to replace it")
            self._mode = stat.S_IMODE(mode)     # the replaced file's permissions, kept
            return self._open_file(Path(os.path.realpath(path)), False)
        if stat.S_ISDIR(mode):
            self._fail(f"cannot write '{shown}': it is a directory")
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            try:        # no O_CREAT, no O_TRUNC: write into the node, never replace it
                fd = self._open_node(path, stat.S_ISFIFO(mode))
            except OSError as exc:
                if exc.errno == errno.ENXIO and stat.S_ISFIFO(mode):
                    self._fail(f"cannot write '{shown}': no process is reading the named pipe "
                               f"(waited {FIFO_WAIT:g} s)")
                self._fail(f"cannot write '{shown}': {_why(exc)}")
            self.kind, self.path = "stream", path
            self.file = os.fdopen(fd, "wb")
            return
        what = "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) \
            else "not a regular file"
        self._fail(f"cannot write '{shown}': it is {what}; refusing to replace or write it")

    @staticmethod
    def _open_node(path, fifo):
        """A write descriptor on a device or FIFO.  A FIFO is opened without blocking, so a
        pipe nobody reads is refused instead of hanging: its reader gets FIFO_WAIT seconds
        to appear, then the descriptor is made blocking again for the writes."""
        flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
        if not fifo:
            return os.open(path, flags)
        deadline = time.monotonic() + FIFO_WAIT
        while True:
            try:
                fd = os.open(path, flags | os.O_NONBLOCK)
                break
            except OSError as exc:
                if exc.errno != errno.ENXIO or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        os.set_blocking(fd, True)
        return fd

    def _open_file(self, path, make_parents):
        parent = path.parent
        shown, folder_shown = short_name(self.name), short_beside(self.name, parent)
        if make_parents and not parent.exists():
            missing = []
            p = parent
            while not p.exists() and p != p.parent:
                missing.append(p)
                p = p.parent
            for folder in reversed(missing):
                try:
                    folder.mkdir()
                except OSError as exc:
                    self._rmdirs()
                    self._fail(f"cannot create folder '{short_name(folder)}': {_why(exc)}")
                self._made.append(folder)
        if not parent.exists():
            self._fail(f"cannot write '{shown}': folder '{folder_shown}' does not exist")
        if not parent.is_dir():
            self._fail(f"cannot write '{shown}': '{folder_shown}' is not a folder")
        try:
            # .NAME.xxxxxxxx.tmp, or .armsim.xxxxxxxx.tmp when that would pass the file
            # system's longest name (a valid NAME of 242-255 bytes was refused)
            prefix = (f".{path.name}." if len(os.fsencode(path.name)) <= _NAME_MAX - 14
                      else ".armsim.")
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=parent)
        except OSError as exc:
            self._rmdirs()
            if exc.errno in (errno.EACCES, errno.EPERM) and not os.access(parent, os.W_OK):
                self._fail(f"cannot write '{shown}': folder '{folder_shown}' is not writable")
            self._fail(f"cannot write '{shown}': {_why(exc)}")
        self._tmp = tmp
        self.kind, self.path = "file", path
        self.file = os.fdopen(fd, "wb")

    # -- ending ----------------------------------------------------------------

    def _finish(self):
        """Flush everything to disk (files: fsync and mode); raises OSError."""
        self.file.flush()
        if self.kind == "file":
            os.fsync(self.file.fileno())
            os.fchmod(self.file.fileno(), 0o666 & ~_umask() if self._mode is None
                      else self._mode)
        self.file.close()

    def _publish(self):
        if self.kind == "file":
            os.replace(self._tmp, self.path)
            self._tmp = None
        self._made = []

    def discard(self):
        """Close and remove whatever this destination created.  Never raises."""
        if self.file is not None:
            try:
                self.file.close()
            except OSError:
                pass
        if self._tmp is not None:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass
            self._tmp = None
        self._rmdirs()

    def _rmdirs(self):
        for folder in reversed(self._made):
            try:
                folder.rmdir()
            except OSError:
                break
        self._made = []

    def write(self, data):
        """Write ``data`` (bytes); an OSError becomes this destination's OutputError (a
        device's write error has no file name to tell which output failed)."""
        try:
            self.file.write(data)
        except OSError as exc:
            raise self.error(exc) from None

    def error(self, exc: OSError) -> Exception:
        """The one-line error for a write to this destination that failed; the
        ``BrokenPipeError`` itself when its reader left standard output (``| head``: not an
        error of the run, the command ends quietly)."""
        if isinstance(exc, BrokenPipeError) and names_stdout(self.name):
            return exc
        where = f"argument {self.label}: " if self.label else ""
        return OutputError(f"{where}cannot write '{short_name(self.name)}': {_why(exc)}")


def names_stdout(name) -> bool:
    """Whether ``name`` is ``-`` or a path to this process's standard output
    (``/dev/stdout``, ``/proc/self/fd/1``, or the file standard output was sent to): an
    output written there is the data on standard output, and the status lines go to
    standard error."""
    name = os.fspath(name)
    if name == "-":
        return True
    try:
        return os.path.samestat(os.stat(name), os.fstat(1))
    except (OSError, ValueError):
        return False


def same_destination(a, b) -> bool:
    """Whether two names would write the same file (both ``-`` count as the same, and so do
    two names of standard output, ``-`` and ``/dev/stdout`` say: one stream, unless it is
    ``/dev/null``; another device or FIFO can take both, like ``/dev/null``)."""
    a, b = os.fspath(a), os.fspath(b)
    if a == b == "-":
        return True
    if names_stdout(a) and names_stdout(b) and not names_stdout(os.devnull):
        return True         # two data mixed in one stream (a pipe, a terminal, a file)
    if a == "-" or b == "-":
        return False
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)
    return stat.S_ISREG(sa.st_mode) and (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def suffix_problem(name, suffix, what):
    """None when a file named ``name`` may hold ``what`` (a description, e.g. "a GIF");
    else the sentence saying why not.  A regular file or a new path must end in ``suffix``
    (any case); ``-``, devices and FIFOs (``/dev/null``, a pipe) are written through
    whatever their name."""
    name = os.fspath(name)
    path = Path(name)
    if name.endswith(("/", os.sep)):
        return (f"'{short_name(name)}' names a folder (it ends in '{name[-1]}'); name a file "
                f"ending in {suffix}")
    if names_stdout(name) or path.suffix.lower() == suffix:
        return None
    try:
        if not path.is_file() and path.exists():     # a device, a FIFO (a folder fails later)
            return None
    except (OSError, ValueError):
        return None                                 # the output's own check names it
    example = path.with_suffix(suffix).name if path.name else "out" + suffix
    return (f"'{short_name(name)}' would hold {what} under another name; end it in {suffix} "
            f"(e.g. '{short_name(example)}')")


_NAME_MAX = 255         # bytes in a file name (the common file systems' limit)


class Outputs:
    """A group of destinations committed together, or not at all.

    Use as a context manager; :meth:`add` opens a destination at once.  While
    the group is open, SIGTERM raises :class:`Terminated` (in the main thread)
    so that the temporary files are removed; KeyboardInterrupt does the same.
    An ``OSError`` escaping the block becomes the :class:`OutputError` of the
    destination whose file it concerns (else of the first destination).
    """

    def __init__(self):
        self.destinations = []
        self._old_handler = None

    def add(self, name, label=None, make_parents=False) -> Destination:
        dest = Destination(name, label, make_parents)
        self.destinations.append(dest)
        return dest

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old_handler = signal.signal(signal.SIGTERM, self._on_sigterm)
        return self

    @staticmethod
    def _on_sigterm(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)   # we are ending; clean up undisturbed
        raise Terminated()

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                current = None      # the destination being finished or published
                try:
                    for current in self.destinations:
                        current._finish()
                    for current in self.destinations:
                        current._publish()
                except OSError as err:
                    self._discard()
                    raise self._error(err, current) from None
                return False
            self._discard()
            if isinstance(exc, OSError):
                raise self._error(exc) from None
            return False
        finally:
            if self._old_handler is not None:
                signal.signal(signal.SIGTERM, self._old_handler)
                self._old_handler = None

    def _discard(self):
        # the last added first: a folder the first one created is empty by its turn
        for dest in reversed(self.destinations):
            dest.discard()

    def _error(self, exc, current=None):
        """The :class:`OutputError` of the destination ``exc`` names (its file name), else
        of ``current`` (the one being finished when it was raised), else of the first."""
        name = getattr(exc, "filename", None)
        for dest in self.destinations:
            if name is not None and name in (dest._tmp, str(dest.path), dest.name):
                return dest.error(exc)
        if not self.destinations:
            return OutputError(_why(exc))
        return (current or self.destinations[0]).error(exc)
