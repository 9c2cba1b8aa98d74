"""A chain's first-use work kept on disk: the restart table and the generated float pass.

The first single solve on a chain builds two things a later process would build again, to
the bit: the restart table (:func:`armsim.ik.restart_table.table`: 4,096 sampled poses
and their features, 3-6 ms on the Panda) and the generated float pass
(:class:`armsim.ik.spatial_scalar._Compiled`: the source of the chain's forward pass and
Jacobian, compiled, 2-3 ms).  Both are stored here after they are built and read back
by later processes (``python bench/first_solve.py``: the figures, cold and warm).

Where: ``$ARMSIM_CACHE_DIR`` when it is set (an empty value switches the cache off);
else ``$XDG_CACHE_HOME/armsim``, ``~/.cache/armsim`` (``%LOCALAPPDATA%\\armsim`` on
Windows).

What an entry is keyed by (a BLAKE2b hash in its file name, and the key again inside):
what the entry is (``table``, ``pass``, a robot's ``code``: its text, or its
``woodbury`` and ``generated`` code: what their sources are written from), every number that
enters it (the chain's joints, tool, limits -- a robot's table: each tool's and how its
joints map onto q; the problem's kind, weights and draw ranges;
the table's seed and settings; the interpreter's version for compiled code), armsim's
version, and
the size and modification time of each module whose code builds an entry
(:data:`BUILDERS`: an edited module never meets an entry built by its old code).

A file is the magic, a CRC-32 of the head's rest and the marshalled part, the part's
length, a 64-bit sum of the arrays' bytes (:func:`_sum64`), the marshalled key, payload and
array layout, then each array's bytes (8-byte aligned: read back as read-only views of the
file's bytes, without a copy).

Safety: a file is read only when it is a regular file of at most :data:`MAX_FILE_BYTES`
(opened without blocking), and used only when its magic, length, CRC-32, sum and key all
match; anything else -- a missing, truncated, corrupt or foreign file, an unreadable or
unwritable folder, a read-only home -- is a miss, and the caller builds the entry as if
there were no cache (the same bits either way).  An entry is written to a temporary file
in the folder and renamed over its name (``os.replace``), so concurrent processes see a
whole entry or none.  A folder that refused a write is not tried again in the process.  Entries
hold compiled code, so a folder is used only when it is this user's and no one else can
write to it (a shared ``/tmp`` given as ``$ARMSIM_CACHE_DIR`` is not used).

Bounded: at most :data:`MAX_FILES` entries and :data:`MAX_BYTES` bytes; each write
removes the least recently used entries beyond them (a hit touches its entry) and the
temporary files of writers that died more than :data:`STALE_SECONDS` ago.
"""

from __future__ import annotations

import hashlib
import marshal
import math
import os
import stat
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import numpy as np

__all__ = ["folder", "load", "store", "ENV"]

ENV = "ARMSIM_CACHE_DIR"
MAX_FILES = 256                 # entries kept (a table and a pass per chain, kind, weights)
MAX_BYTES = 64 << 20            # bytes kept (the Panda: a table 0.66 MB, a pass 25 kB)
MAX_FILE_BYTES = 32 << 20       # an entry larger than this is neither written nor read
STALE_SECONDS = 600             # a temporary file this old is a dead writer's
MAGIC = b"armsimC2"
_HEAD = 24                      # magic, CRC-32 of the head's rest and the marshalled part,
                                # the part's length, :func:`_sum64` of the arrays' bytes
SUFFIX = ".bin"
#: the modules whose code builds an entry: the table (the draws, the batch forward pass,
#: the features) and the float pass (its program and source, the folded frames)
BUILDERS = ("armsim.ik.disk_cache", "armsim.ik.restart_table", "armsim.ik.spatial_scalar",
            "armsim.ik.float_code", "armsim.ik.compiled", "armsim.ik.problems",
            "armsim.kinematics.spatial", "armsim.kinematics.batch", "armsim.ad.twist",
            "armsim.ad.dual", "armsim.ik.tree", "armsim.ik.tree_float")
_state = {"salt": None, "base": None}
_refused = set()                # folders that refused a write in this process
_checked = {}                   # folder -> whether it is private (_private)
_lock = threading.Lock()
_folders = {}                   # (the variables folder() reads) -> its answer


def folder():
    """The cache folder (a Path), or None when the cache is switched off (found once per
    value of the variables it reads)."""
    env = os.environ
    probe = tuple(env.get(v) for v in (ENV, "LOCALAPPDATA", "XDG_CACHE_HOME", "HOME",
                                       "USERPROFILE"))
    got = _folders.get(probe, _folders)          # (the dict itself: not found)
    if got is _folders:
        if len(_folders) >= 16:
            _folders.clear()
        got = _folders[probe] = _folder()
    return got


def _folder():
    env = os.environ.get(ENV)
    if env is not None:
        return Path(env) if env else None
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "armsim"
    base = os.environ.get("XDG_CACHE_HOME")
    if base and os.path.isabs(base):
        return Path(base) / "armsim"
    try:
        return Path.home() / ".cache" / "armsim"
    except (RuntimeError, KeyError, OSError):       # no home
        return None


def _files_salt():
    """The (size, modification time) of each of :data:`BUILDERS`' source files, found by
    path (the package's folder), so it can be taken when this module is imported."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = []
    for name in BUILDERS:
        path = os.path.join(root, *name.split(".")[1:]) + ".py"
        try:
            st = os.stat(path)
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{name}:?")
    return ";".join(parts)


def _salt():
    """armsim's version, the interpreter's and the builders' files (:func:`_files_salt`,
    taken at import: the first solve does not pay for it)."""
    if _state["base"] is None:
        package = sys.modules.get("armsim")
        salt = hashlib.blake2b(
            f"{getattr(package, '__version__', '?')};{sys.version_info[:2]};{_FILES}".encode(),
            digest_size=16).digest()
        _state["salt"] = salt
        _state["base"] = hashlib.blake2b(salt, digest_size=20)     # set last: key() reads it
    return _state["salt"]


def key(what, parts):
    """The entry's name: ``what`` and a hash of ``parts`` (numbers, strings, arrays)."""
    base = _state["base"]
    if base is None:
        _salt()
        base = _state["base"]
    h = base.copy()
    h.update(what.encode())
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(f"|a{p.dtype.str}{p.shape}".encode())
            h.update(np.ascontiguousarray(p).tobytes())
        else:
            h.update(f"|{p!r}".encode())
    return f"{what}-{h.hexdigest()}"


def _private(where):
    """Whether the folder may hold entries (they include compiled code that is run): it
    does not exist yet (:func:`store` makes it, mode 0700), or it is a folder of this user
    that no one else can write to.  Decided once per folder and process."""
    verdict = _checked.get(str(where))
    if verdict is None:
        try:
            st = os.stat(where)
            verdict = stat.S_ISDIR(st.st_mode) and not st.st_mode & 0o022 and (
                not hasattr(os, "getuid") or st.st_uid == os.getuid())
        except FileNotFoundError:
            return True                 # made by store (mode 0700), checked after that
        except (OSError, ValueError):
            verdict = False
        _checked[str(where)] = verdict
    return verdict


def _read(path):
    """The bytes of ``path`` when it is a regular file of at most MAX_FILE_BYTES, else None.
    (Read, not mapped: a map would hold a file descriptor as long as the table lives, and
    a file truncated under it -- another program, a network home's stale handle -- would
    end the process with SIGBUS.)"""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            return None
        chunks, size = [], 0
        while size <= st.st_size:
            chunk = os.read(fd, st.st_size + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks) if size == st.st_size else None
    except OSError:
        return None
    finally:
        os.close(fd)


def load(what, parts):
    """(payload, arrays) stored under (what, parts) -- the arrays read-only views of the
    file's bytes -- or None (a miss, whatever the reason)."""
    where = folder()
    if where is None or not _private(where):
        return None
    name = key(what, parts)
    path = os.path.join(where, name + SUFFIX)
    data = _read(path)
    if data is None or len(data) < _HEAD or data[:8] != MAGIC:
        return None
    view = memoryview(data)
    size = int.from_bytes(data[12:16], "big")
    end = _aligned(_HEAD + size)             # the arrays start here
    if (end > len(data) or (len(data) - end) % 8
            or zlib.crc32(view[12:end]) != int.from_bytes(data[8:12], "big")
            or _sum64(view[end:]) != int.from_bytes(data[16:24], "big")):
        return None
    try:
        stored, payload, layout = marshal.loads(view[_HEAD:_HEAD + size])
        if stored != name:
            return None
        arrays, at = [], _aligned(_HEAD + size)
        for dtype, shape in layout:
            count = math.prod(shape)
            a = np.frombuffer(data, dtype=dtype, count=count, offset=at).reshape(shape)
            arrays.append(a)
            at = _aligned(at + a.nbytes)
        if at != _aligned(len(data)):
            return None
    except (ValueError, EOFError, TypeError):
        return None
    try:
        os.utime(path)                  # recently used: pruned last
    except OSError:
        pass
    return payload, arrays


def store(what, parts, payload, arrays=()):
    """Write ``payload`` (what :mod:`marshal` writes) and numpy ``arrays`` (their raw
    bytes) under (what, parts); silent on any failure (the cache is then switched off for
    that folder in this process)."""
    where = folder()
    if where is None or str(where) in _refused or not _private(where):
        return
    name = key(what, parts)
    arrays = [np.ascontiguousarray(a) for a in arrays]
    try:
        meta = marshal.dumps((name, payload, tuple((a.dtype.str, a.shape) for a in arrays)))
    except ValueError:
        return
    chunks, at = [meta], _HEAD + len(meta)
    for a in arrays:
        chunks += [bytes(_aligned(at) - at), a.data]
        at = _aligned(at) + a.nbytes
    chunks.append(bytes(_aligned(at) - at))
    if _aligned(at) > MAX_FILE_BYTES:
        return
    body = b"".join(chunks)
    end = _aligned(_HEAD + len(meta)) - _HEAD            # the arrays' start in body
    head = len(meta).to_bytes(4, "big") + _sum64(memoryview(body)[end:]).to_bytes(8, "big")
    crc_value = zlib.crc32(memoryview(body)[:end], zlib.crc32(head))
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=where)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + crc_value.to_bytes(4, "big") + head + body)
            os.replace(tmp, os.path.join(where, name + SUFFIX))
        except BaseException:
            _unlink(tmp)
            raise
    except (OSError, ValueError):
        _refused.add(str(where))
        return
    _prune(where)


def _aligned(at):
    return (at + 7) & ~7


def _sum64(view):
    """A 64-bit check of the arrays' bytes (``view``, a multiple of 8 long): the sum, modulo
    2^64, of each run of 64 words times its own odd factor (2 i + 1), and of the words past
    the last run: any one word changed changes it, as a truncation, a run moved or stale
    bytes from another entry do but by chance (two changes may cancel where CRC-32's would
    not: words swapped within a run, the top bit flipped in any two words).  The Panda's
    table entry (655 kB) loads in 0.16 ms with it, 0.42 ms with CRC-32 over the whole file
    (ad hoc, 2026-12-07)."""
    w = np.frombuffer(view, dtype="<u8")
    n = len(w) - len(w) % 64
    runs = w[:n].reshape(-1, 64).sum(axis=1, dtype=np.uint64)
    odd = np.arange(1, 2 * len(runs), 2, dtype=np.uint64)
    parts = np.array([(runs * odd).sum(dtype=np.uint64), w[n:].sum(dtype=np.uint64)],
                     dtype=np.uint64)
    return int(parts.sum(dtype=np.uint64))


def _prune(where):
    """Remove the least recently used entries beyond MAX_FILES / MAX_BYTES and stale
    temporary files (errors ignored: another process may prune at the same time)."""
    with _lock:
        try:
            found = []
            now = time.time()
            with os.scandir(where) as it:
                for e in it:
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if e.name.startswith(".tmp-"):
                        if now - st.st_mtime > STALE_SECONDS:
                            _unlink(e.path)
                    elif e.name.endswith(SUFFIX) and stat.S_ISREG(st.st_mode):
                        found.append((st.st_mtime_ns, st.st_size, e.path))
        except OSError:
            return
        found.sort(reverse=True)            # newest first
        total = 0
        for i, (_, size, path) in enumerate(found):
            total += size
            if i >= MAX_FILES or total > MAX_BYTES:
                _unlink(path)


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def bytecode_tag():
    """What compiled code depends on: the interpreter (its cache tag and full version, which
    name its bytecode's format)."""
    return f"{sys.implementation.cache_tag};{sys.version}"


def problem_parts(prob):
    """The numbers of a plain spatial target (a :class:`~armsim.ik.problems.SpatialTarget`
    of a :class:`~armsim.kinematics.spatial.SpatialChain`, neither subclassed) that its
    table and float pass are built from, or of a whole robot's tools (:func:`_tree_parts`);
    None for any other problem (not cached)."""
    from armsim.kinematics.spatial import SpatialChain
    cls = type(prob)
    if (cls.__name__, cls.__module__) == ("TreeTargets", "armsim.ik.tree"):
        return _tree_parts(prob)
    if (cls.__name__, cls.__module__) != ("SpatialTarget", "armsim.ik.problems") \
            or type(prob.chain) is not SpatialChain:
        return None
    c = prob.chain
    return (prob.kind, prob.n, prob.m, prob.weights, prob.limits, prob._wrap, prob._active,
            prob._draw, c.types, c.xyz, c.rpy, c.axes, c.limits, c.tool_xyz, c.tool_rpy)


def _tree_parts(prob):
    """The numbers a whole robot's restart table is built from (a
    :class:`~armsim.ik.tree.TreeTargets`, not subclassed): its joints' draw ranges, and per
    tool its plain target's numbers (:func:`problem_parts`) and the map of its chain's
    joints onto q (columns, and a mimic's multiplier and offset); None when a tool's target
    is not a plain one."""
    parts = ("tree", prob.n, prob.m, prob.target_size, prob._draw)
    for s, (cols, mult, off, _) in zip(prob.subs, prob._maps):
        sub = problem_parts(s)
        if sub is None:
            return None
        parts += sub + (np.asarray(cols, dtype=np.intp), mult, off)
    return parts


_FILES = _files_salt()
