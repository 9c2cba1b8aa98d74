"""A bounded cache keyed by objects: the problems made for a chain or a robot.

A ``weakref.WeakKeyDictionary`` from a chain to the problem made for it never lets the
chain go: the problem holds the chain, so the value keeps its own key alive, and every
chain a process ever solved stayed in memory with its restart table (about 0.7 MB for
the Panda).  :class:`Recent` keeps the last ``size`` keys used instead (and their values);
an older one is dropped, and freed with its problem once the caller lets go of it too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["Recent"]

_MISSING = object()


class Recent:
    """A mapping from objects (by identity; any object, hashable or not) to values that
    keeps the ``size`` most recently used keys.  Thread-safe."""

    def __init__(self, size):
        self.size = max(1, int(size))
        self._d = OrderedDict()          # id(key) -> (key, value): the key kept alive with it
        self._lock = threading.Lock()
        # the entry used last, (key, value): read without the lock (it is the most recent
        # already; one solve after another on one chain costs a compare, not the lock)
        self._front = (_MISSING, None)

    def get(self, key, default=None):
        front = self._front
        if front[0] is key:
            return front[1]
        with self._lock:
            hit = self._d.get(id(key))
            if hit is None or hit[0] is not key:
                return default
            self._d.move_to_end(id(key))
            self._front = hit
            return hit[1]

    def setdefault(self, key, value):
        """The value kept for ``key``, else ``value``, kept for it from now."""
        with self._lock:
            hit = self._d.get(id(key))
            if hit is not None and hit[0] is key:
                self._d.move_to_end(id(key))
                return hit[1]
            self._d[id(key)] = self._front = (key, value)
            while len(self._d) > self.size:
                self._d.popitem(last=False)
            return value

    def __getitem__(self, key):
        got = self.get(key, _MISSING)
        if got is _MISSING:
            raise KeyError(key)
        return got

    def __setitem__(self, key, value):
        with self._lock:
            self._d.pop(id(key), None)
            self._d[id(key)] = self._front = (key, value)
            while len(self._d) > self.size:
                self._d.popitem(last=False)

    def __len__(self):
        return len(self._d)

    def clear(self):
        with self._lock:
            self._d.clear()
            self._front = (_MISSING, None)
