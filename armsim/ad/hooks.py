"""The calling thread's instrumentation of forward-mode operations (operation counts in
:mod:`armsim.ad.opcount`, tangent pruning in :mod:`armsim.ad.pruning`).

A hook is ``hook(name, value, tangent, inputs, params) -> tangent``, applied in order to
every new :class:`~armsim.ad.dual.Dual` the thread that set it makes (another thread's
operations are neither counted nor pruned): ``inputs`` are the Dual operands, ``params``
is None or a dict of what the rule needs to be described (an axis, the operands).
``_HOOKED[0]`` counts the hooks set in every thread: with none, an operation's cost is
one test.
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["hooks", "hooked"]

_LOCAL = threading.local()
_HOOKED = [0]


def hooks() -> list:
    """The calling thread's hooks (add and remove them with :func:`hooked`)."""
    got = _LOCAL.__dict__.get("hooks")
    if got is None:
        got = _LOCAL.hooks = []
    return got


@contextlib.contextmanager
def hooked(hook):
    """``hook`` applied to every Dual this thread makes while the block runs."""
    mine = hooks()
    mine.append(hook)
    _HOOKED[0] += 1
    try:
        yield
    finally:
        _HOOKED[0] -= 1
        mine.remove(hook)
