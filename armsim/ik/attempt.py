"""One attempt of the solver loop and the restart policy around it, described once and
written once.

Every speed path runs these functions: the batch loop
(:meth:`armsim.ik.loop.Solver._attempt` and :meth:`~armsim.ik.loop.Solver.run`, arrays of
B rows), the planar float path (:func:`armsim.ik.scalar.run_one`, one row on Python
floats) and the spatial float path (:func:`armsim.ik.spatial_scalar.run_one`, one chain or
a robot's several tools).  A function takes a backend ``xp`` (:data:`FLOATS` or
:data:`ARRAYS`) that supplies ``where``, ``maximum`` and ``minimum``; the rule itself is the
same source on a float and on an array.  The constants are :mod:`armsim.ik.rules`'s and
:data:`armsim.ik.settings.GIVE_UP_FACTOR`, read when the function runs.

An attempt
----------
From a start ``q`` (clipped to the limits) with the error ``f = |aim - y|^2 / 2``:

- **stop test**, before every iteration: the attempt ends when ``f < tol^2 / 2``
  (converged), when ``since >= PATIENCE`` (stalled), when ``k`` reaches its ``budget``, or
  when it is watched and too slow (:func:`too_slow`); a single spatial solve with a
  timeout also ends when the deadline has passed (checked by
  :func:`armsim.ik.spatial_scalar.run_one` after the stop test; the batch checks it before
  every start).
- **step**: the method's trial ``qt`` with its error ``ft`` (:mod:`armsim.ik.steps`).
- **accept / reject**: the step is taken when ``ft < f`` (:func:`accepted`), else the
  attempt stays where it was.
- **damping** (``dls``): ``nu`` falls to ``max(nu NU_DOWN, NU_MIN)`` after an accepted
  step and grows to ``min(nu NU_UP, NU_MAX)`` after a rejected one (:func:`damped`).
- **best / since**: ``f`` counts as progress when below ``LOWER`` times the best so far;
  ``since`` counts the iterations since the last progress (:func:`recorded`).
- **progress rule** (``W, r`` = :attr:`Problem.progress`, ``dls`` with restarts): after
  ``k >= W`` iterations a watched attempt whose ``f`` is above ``r`` times its ``f`` of
  ``W`` iterations ago is too slow; it ends as stalled and the next start runs.
- **end**: the attempt reports ``q``, ``k`` and whether it stalled (``since >= PATIENCE``
  or too slow, :func:`stalled`).

The restarts
------------
- the **first budget** is ``first_iter`` when restarts follow (``max_iter`` otherwise, or
  when ``first_iter`` is None; :func:`first_budget`); a target the problem proves
  unattainable runs its first start for ``max_iter`` and no restart follows;
- **"nearer" first start**: ``q0`` goes first when its error ``|e|^2`` is within
  ``q0_radius^2``; otherwise the first restart start is drawn and goes first when its
  ``|e|^2`` is smaller (:func:`swapped`), with ``max_iter``; the start not taken comes
  second, ``q0`` with the first budget;
- **continuation**: a ``q0`` within ``q0_radius`` that its first budget left unfinished
  goes on from where it stopped for ``max_iter - first`` more iterations before any
  restart (:func:`continuation`);
- then the **restarts in order** (a batch runs the next k starts of its unfinished rows
  as one batch, taken in order as if one after another), while the target is missed (``res >= tol``, or the
  distance to the aim for a planar target out of reach), no deadline has passed, and
  give-up has not ended them; each adds its iterations; a restart's answer replaces the
  best when it is lower (:func:`improved`);
- **give_up**: a restart that does not bring the residual below ``GIVE_UP_FACTOR`` times
  the best adds one to a count, one that does sets it to 0 (:func:`gave_up_count`); at
  ``give_up`` the restarts end as stalled;
- at the end, joints the problem leaves unbounded turn by **whole turns** to within pi of
  the caller's start when a start other than ``q0`` ran (:func:`armsim.ik.rules.whole_turns`);
- the **reason** is :func:`armsim.ik.rules.reason` ("converged", "unreachable", "stalled",
  "max_iter"), or "timeout" when the deadline passed before the target was met.
"""

from __future__ import annotations

import numpy as np

from armsim.ik import rules, settings

__all__ = ["FLOATS", "ARRAYS", "accepted", "damped", "recorded", "too_slow", "stopped",
           "stalled", "first_budget", "swapped", "continuation", "improved",
           "gave_up_count"]


def _pick(cond, a, b):
    return a if cond else b


class _Backend:
    """``where``, ``maximum`` and ``minimum`` of a kind of number (instance attributes:
    called without a bound method)."""

    def __init__(self, where, maximum, minimum):
        self.where, self.maximum, self.minimum = where, maximum, minimum


#: one row on Python floats; a batch of rows (numpy arrays)
FLOATS, ARRAYS = _Backend(_pick, max, min), _Backend(np.where, np.maximum, np.minimum)


# -- one iteration ------------------------------------------------------------------------
def accepted(f, ft):
    """A trial step is taken when it lowers the error."""
    return ft < f


def damped(nu, ok, xp):
    """The DLS multiplier after a step: down after an accepted one, up after a rejected one,
    within [NU_MIN, NU_MAX]."""
    return xp.where(ok, xp.maximum(nu * rules.NU_DOWN, rules.NU_MIN),
                    xp.minimum(nu * rules.NU_UP, rules.NU_MAX))


def recorded(f, best, since, xp):
    """(best, since) after an iteration that ended at error ``f``: ``f`` is progress when
    below LOWER times the best."""
    better = f < best * rules.LOWER
    return xp.where(better, f, best), xp.where(better, 0, since + 1)


def too_slow(f, f_back, factor):
    """The progress rule: ``f`` above ``factor`` times the error ``f_back`` of W iterations
    ago (the caller checks k >= W and that the attempt is watched)."""
    return f > factor * f_back


def stopped(f, since, half_tol2):
    """The stop test of every iteration, without the budget and the progress rule:
    converged or stalled."""
    return (f < half_tol2) | (since >= rules.PATIENCE)


def stalled(since, slow):
    """An attempt that ended stalled: no progress for PATIENCE iterations, or too slow."""
    return (since >= rules.PATIENCE) | slow


# -- the restarts ---------------------------------------------------------------------------
def first_budget(solver):
    """The budget of the first start."""
    return (solver.max_iter if (solver.first_iter is None or not solver.restarts)
            else solver.first_iter)


def swapped(ea2, eb2, r2):
    """"nearer": the first restart start goes first (q0's squared error ``ea2`` beyond
    ``r2`` and the start's ``eb2`` smaller)."""
    return (eb2 < ea2) & (ea2 > r2)


def continuation(ea2, r2, max_iter, first, xp):
    """The extra budget of a near q0 its first budget left unfinished (0: none)."""
    return xp.where(ea2 <= r2, xp.maximum(max_iter - first, 0), 0)


def improved(res2, res, off2, off, reachable, xp):
    """A restart's answer replaces the best: a lower residual (a planar target out of
    reach: a lower distance to its aim)."""
    return xp.where(reachable, res2 < res, off2 < off)


def gave_up_count(since, res2, res, off2, off, reachable, xp):
    """The give-up count after a restart: 0 when it brought the residual below
    GIVE_UP_FACTOR times the best, one more otherwise."""
    factor = settings.GIVE_UP_FACTOR
    gain = xp.where(reachable, res2 < factor * res, off2 < factor * off)
    return xp.where(gain, 0, since + 1)
