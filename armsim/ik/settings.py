"""The loop's settings: their ranges and checks (one ValueError line naming the setting),
the give-up and timeout constants, and the maths library's threads during a batch."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass

import numpy as np

from armsim.ranges import given

MAX_SETTING = 1e50    # largest tol, q0_radius, step size, ... (their fourth powers stay finite)
MAX_RESTARTS = 10_000  # restarts draw a (restarts, N, 64) table
MAX_ITER = 10**12     # largest max_iter and first_iter (counts stay within int64)
#: give_up: a restart counts as progress when it lowers the best residual below this
#: times itself (a new local minimum a hair lower is no progress)
GIVE_UP_FACTOR = 0.9
MAX_TIMEOUT = 1e6     # [s] largest timeout (about 11 days)
#: solve_batch runs the maths library (BLAS) on this many threads while it works (None:
#: as the process has it).  Its arrays are many small ones: ``python bench/ik_spatial.py``
#: ("default threads / one thread") measured one thread at 0.97-1.02x the default two on an
#: idle 2-core machine, and 1.02-1.79x in a run while other jobs kept the cores busy (the
#: library's threads then fight each other and the other processes)
BATCH_BLAS_THREADS = 1
#: ... from this many rows on (below, the limit's cost, about 50 us, is not worth it)
BATCH_BLAS_ROWS = 64
_BLAS = []            # (modules imported then, the threadpoolctl controller made then)


def blas_threads(rows):
    """A context in which BLAS runs on :data:`BATCH_BLAS_THREADS` threads (for a batch of
    ``rows`` problems; a no-op below :data:`BATCH_BLAS_ROWS` or with None).  The limit is
    the process's while it lasts (threadpoolctl)."""
    if BATCH_BLAS_THREADS is None or rows < BATCH_BLAS_ROWS:
        return contextlib.nullcontext()
    from threadpoolctl import ThreadpoolController
    modules = len(sys.modules)
    if not _BLAS or _BLAS[0][0] != modules:   # a BLAS loaded since is unknown to the old one
        _BLAS[:] = [(modules, ThreadpoolController())]
    return _BLAS[0][1].limit(limits=BATCH_BLAS_THREADS, user_api="blas")


def _scalar(value):
    """A 0-d numpy array's number (what ``np.float64(x)`` or ``np.int64(k)`` would give);
    any other value as it is.  An array of one or more axes stays an array: refused, as a
    list is (numpy took ``np.array([1e-3])`` as a number, with a DeprecationWarning)."""
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _real(name, value, *, low=0.0, closed=False, high=MAX_SETTING):
    """``value`` as a float in (low, high] (``[low, high]`` with ``closed``), or a
    ValueError naming the argument."""
    value = _scalar(value)
    try:
        v = (None if isinstance(value, (str, bytes, np.ndarray))    # not text: "1e-3"
             else float(value))
    except (TypeError, ValueError, OverflowError):
        v = None
    if isinstance(value, (bool, np.bool_)) or v is None or not (
            (v >= low if closed else v > low) and v <= high):
        raise ValueError(f"{name} must be a number {'>=' if closed else '>'} {low:g} and "
                         f"<= {high:g}, got {given(value)}")
    return v


def _count(name, value, high=None, none_ok=False):
    """``value`` as an int >= 0 (<= ``high``), or a ValueError naming the argument."""
    if value is None and none_ok:
        return None
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0 or (
            high is not None and value > high):
        what = "an integer >= 0" + (f" and <= {high}" if high is not None else "")
        raise ValueError(f"{name} must be {what}{' or None' if none_ok else ''}, "
                         f"got {given(value)}")
    return int(value)


def _flag(name, value):
    """``value`` as a bool (True, False, numpy's, or the integers 0 and 1), or a ValueError
    naming the argument: text is refused ("no" is truthy)."""
    value = _scalar(value)
    if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer))
                                               and value in (0, 1)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {given(value)}")


def _seed(seed, problem):
    """``seed`` checked (None, an integer >= 0, or what else ``numpy.random.default_rng``
    takes that draws the same each time: a SeedSequence, a list of integers; not a Generator
    or BitGenerator, whose draws go on from call to call, nor a bool), or a ValueError
    naming it.  A
    spatial problem's (its restart tables kept per seed) other than an integer is the integer
    its SeedSequence generates."""
    if seed is None or (type(seed) is int and seed >= 0):      # the common cases, no rng
        return seed
    seed = _scalar(seed)
    try:
        if isinstance(seed, (np.random.Generator, np.random.BitGenerator, bool, np.bool_)):
            raise TypeError
        np.random.default_rng(seed)
    except (TypeError, ValueError):
        raise ValueError(f"seed must be None or an integer >= 0, got {given(seed)}") from None
    if isinstance(seed, (int, np.integer)) or not hasattr(getattr(problem, "primary", problem),
                                                          "kind"):
        return seed
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return int.from_bytes(seq.generate_state(4).tobytes(), "little")


def _check_options(options):
    """Refuse, in one line, a keyword of solve / solve_batch that is none of its settings
    (it went on to Solver as a TypeError naming ``Solver.__init__``)."""
    known = ("step_size", "max_angular_speed", "damping", "max_joint_step")
    bad = sorted(set(options) - set(known) - {"give_up"})     # (solve's, put in by it)
    if bad:
        raise ValueError(f"unknown option {bad[0]!r}; the options: {', '.join(sorted(known))}"
                         " (and the named parameters of solve)")


_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _check_choice(kind, value, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"unknown {kind} {value!r}; choose one of {', '.join(choices)}")


#: the settings of :func:`solve` and :func:`solve_batch` when none are given
#: (the best measured by ``bench/ik.py``; see docs)
DEFAULTS = dict(method="dls", correction="backtrack", max_iter=10, first_iter=3, restarts=8,
                seed=0, first_start="nearer")


class _Default:
    """The value of a setting left to the problem: its ``default_<name>`` attribute when it
    has one (a spatial target), else :data:`DEFAULTS` (the planar figures)."""

    def __repr__(self):
        return "default"


DEFAULT = _Default()


def _defaults(problem, max_iter, first_iter, restarts, method, options):
    """Settings with :data:`DEFAULT` replaced: ``default_<method>_<name>``, else :class:`_Default`;
    ``options`` gets the problem's ``default_damping`` when it has one and none is given,
    and its ``default_give_up`` (else None) when ``give_up`` is left at its default."""
    _check_options(options)
    if options.get("damping") is None and hasattr(problem, "default_damping"):
        options["damping"] = problem.default_damping
    if options.get("give_up", DEFAULT) is DEFAULT:
        options["give_up"] = getattr(problem, f"default_{method}_give_up",
                                     getattr(problem, "default_give_up", None))
    out = []
    for name, value in (("max_iter", max_iter), ("first_iter", first_iter),
                        ("restarts", restarts)):
        if value is DEFAULT:
            value = getattr(problem, f"default_{method}_{name}",
                            getattr(problem, f"default_{name}", DEFAULTS[name]))
            if name == "first_iter" and max_iter is not DEFAULT and value is not None:
                # a max_iter given bounds every start (checked first: an array's min()
                # raised numpy's "truth value of an array is ambiguous")
                value = min(value, _count("max_iter", max_iter, MAX_ITER))
        out.append(value)
    return tuple(out)


@dataclass
class Options:
    """Settings of the methods (validated in :class:`~armsim.ik.loop.Solver`).

    step_size : gradient ``none``/``norm`` step, and first trial of ``backtrack``:
        ``dq = step_size * J^T e / C`` with ``C = sum_j (distance from joint j to the
        tip at full stretch)^2``, the largest ``|J|_F^2`` can be, so ``step_size < 2``
        is stable near any solution whatever the number of joints.
    max_angular_speed : [rad per iteration] gradient ``clip``: per-joint limit at a
        distance of one reach; gradient ``norm``: cap on ``|dq|_2``.
    damping : initial multiplier ``nu`` of DLS (``lambda^2 = nu |e|^2``);
        :func:`~armsim.ik.loop.solve` and :func:`~armsim.ik.loop.solve_batch` take a problem's
        ``default_damping`` when none is given (:class:`~armsim.ik.problems.SpatialTarget`:
        0.01).
    max_joint_step : [rad] pinv: cap on the largest joint change.
    """

    step_size: float = 1.0
    max_angular_speed: float = 0.2
    damping: float = 1.0
    max_joint_step: float = 0.5
