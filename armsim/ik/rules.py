"""The rules of one attempt, written once: the damping of a ``dls`` step, the stall test,
the whole turns of free joints and the reason a single solve ends with.

Every speed path reads these: the batch loop (:meth:`armsim.ik.loop.Solver._attempt`),
the array steps (:func:`armsim.ik.steps.dls`, :func:`armsim.ik.priority.priority_dls`),
the planar float path (:mod:`armsim.ik.scalar`) and the spatial ones
(:mod:`armsim.ik.spatial_scalar`).  Each reads a constant as ``rules.NAME`` when it runs,
never a copy bound at import, so a change made here (in the source, or patched by a test)
reaches every path (``tests/test_rules.py``).  This module imports nothing of armsim: the
loop and its float paths sit above it, so none of them needs to import another to share
the rules.
"""

from __future__ import annotations

import math

__all__ = ["NU_MIN", "NU_MAX", "NU_DOWN", "NU_UP", "PATIENCE", "LOWER", "reason",
           "whole_turns"]

NU_MIN, NU_MAX = 1e-6, 1e12   # bounds of the DLS damping multiplier
NU_DOWN, NU_UP = 0.3, 10.0    # DLS multiplier after an accepted / a rejected step
PATIENCE = 20          # iterations without a lower error before a problem counts as stalled
#: an error is lower than the best so far when below ``LOWER`` times it (a fall of a
#: relative 1e-9 or less, rounding, is no progress for the stall test)
LOWER = 1.0 - 1e-9

_TWO_PI = 2.0 * math.pi


def reason(res, tol, reachable, stalled):
    """Why one solve ended: "converged" (res < tol), "unreachable", "stalled" or "max_iter"."""
    if res < tol:
        return "converged"
    if not reachable:
        return "unreachable"
    return "stalled" if stalled else "max_iter"


def whole_turns(q, q0, free, lo=None, hi=None):
    """q (a list) with each free (unbounded) joint turned by whole turns to within pi of q0
    where the turned angle stays within its limits (lists ``lo``, ``hi``; a side left open
    or wider than a turn would be crossed): the same pose, without a 2 pi jump from the
    caller's start."""
    out = []
    for i, (v, c, fr) in enumerate(zip(q, q0, free)):
        t = v + _TWO_PI * round((c - v) / _TWO_PI) if fr else v
        out.append(t if lo is None or lo[i] <= t <= hi[i] else v)
    return out
