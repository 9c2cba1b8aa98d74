"""The spatial calibration as the window and the GIF exporter see it: frames of rounds.

:class:`SpatialCalibrationSimulation` wraps a
:class:`~armsim.vision.spatial_run.SpatialCalibrationRun` behind the interface
every scene's simulation has (``step(target=None)``, ``state``, ``reset()``,
``report()``): one frame advances ``rounds_per_frame`` rounds.  No pygame here.
"""

from __future__ import annotations

import math
import time

import numpy as np

from armsim import ranges
from armsim.vision.simulation import _finite_or_none
from armsim.vision.spatial_calibration import (FLOOR, check_seen, crlb, make_problem,
                                               relative_errors)
from armsim.vision.spatial_run import SpatialCalibrationRun

__all__ = ["SpatialCalibrationSimulation", "FLOOR_STEP", "FLOOR_SIGMAS"]

#: at the noise floor: the best candidate's Gauss-Newton step moves no free parameter by more
#: than this many of its Cramér-Rao standard deviations (further rounds cannot change it by
#: any amount the noise would let one see) ...
FLOOR_STEP = 0.01
#: ... and every free parameter is within this many standard deviations of the truth (more
#: is a local minimum, not the noise's error)
FLOOR_SIGMAS = 5.0


class SpatialCalibrationSimulation:
    """Frames of a spatial calibration run.

    Parameters
    ----------
    setup : SpatialSetup
    seed : int            the reference, the poses, the noise (and the cameras when not given)
    cameras, sigmas, occlude : as :func:`~armsim.vision.spatial_calibration.make_problem`
    learner, population, period, mutation, spread : as
        :class:`~armsim.vision.spatial_run.SpatialCalibrationRun`
    rounds_per_frame : int   rounds advanced by one :meth:`step`
    max_rounds : int         after this many rounds :meth:`step` returns the state unchanged
    tolerance : float        the report's ``identified``: every free parameter of the best
                             candidate within this relative error of the truth (the scene's
                             ``calibration.length_tolerance``, 1 % by default, as the planar
                             lengths)

    A run whose pixels are noisy may never be within ``tolerance``: the Cramér-Rao bound
    ``(sum_k J_k^T J_k / sigma_k^2)^-1`` at the truth (:func:`crlb`) says how far off the
    noise leaves the best possible estimate (with cameras of unequal noise, or a noise-free
    one beside noisy ones, the spread of the learner's fit, which weighs every pixel alike:
    :meth:`_bound_sd`).  The
    run is **at the noise floor** from the first round its best candidate is at the
    least-squares minimum (its Gauss-Newton step at most :data:`FLOOR_STEP` standard
    deviations of the bound in every free parameter) with every free parameter within
    :data:`FLOOR_SIGMAS` standard deviations of the truth.  The report's ``converged`` is
    ``identified`` or at the noise floor.
    """

    kind = "calibration_spatial"

    def __init__(self, setup, seed=0, cameras=None, sigmas=None, occlude=None, learner="lm",
                 population=6, period=50, mutation=0.2, spread=1.0, rounds_per_frame=1,
                 max_rounds=1000, tolerance=0.01):
        if not (isinstance(tolerance, (int, float, np.integer, np.floating))
                and not isinstance(tolerance, bool) and math.isfinite(tolerance)
                and tolerance > 0):     # ('x' was "could not convert string to float")
            raise ValueError(f"tolerance must be a number > 0, got {str(tolerance)[:40]}")
        self.tolerance = float(tolerance)
        rounds_per_frame = ranges.whole("rounds_per_frame", rounds_per_frame, 1)
        max_rounds = ranges.rounds("max_rounds", max_rounds)
        seed = ranges.seed(seed)
        self.problem = make_problem(setup, seed, cameras, sigmas, occlude)
        check_seen(self.problem)
        self.sigmas = (np.full(setup.cameras, float(self.problem.setup.sigma)) if sigmas is None
                       else np.asarray(sigmas, dtype=float))
        self.seed = seed
        self.options = dict(learner=learner, population=population, period=period,
                            mutation=mutation, spread=spread)
        self.rounds_per_frame = int(rounds_per_frame)
        self.max_rounds = int(max_rounds)
        self.reset()

    def reset(self):
        """Start again from round 0 (same problem, same seed)."""
        self.run = SpatialCalibrationRun(self.problem, seed=self.seed, **self.options)
        self.frame = 0
        self.seconds = 0.0
        self.identified_round = None
        self.floor_round = None
        # the noise's bound: the Cramér-Rao one when every camera's noise is the same
        self.bound_kind = ("cramer-rao" if np.all(self.sigmas == self.sigmas[0])
                           else "unweighted fit")
        self.bound_sd = self._bound_sd()

    def _bound_sd(self):
        """The standard deviations (F,) the pixels' noise leaves in the learner's fit of the
        free parameters at the truth in its gauge: the Cramér-Rao bound when every camera's
        noise is the same (:func:`crlb`); else the spread of the learner's fit, which weighs
        every pixel alike: ``(J^T J)^-1 J^T diag(sigma^2) J (J^T J)^-1`` (a noise-free camera
        beside noisy ones adds its exact pixels to ``J^T J`` alone).  None when every camera
        is noise-free (the pixels are exact: no floor) or the fit is singular."""
        run, sig = self.run, self.sigmas
        if not np.any(sig > 0):
            return None
        try:
            if self.bound_kind == "cramer-rao":
                cov = crlb(self.problem.model, self.problem, run.reference, run.free, sig)
            else:
                _, jac = self.problem.model.residuals(run.reference, self.problem, run.free)
                seen = np.asarray(self.problem.seen).reshape(len(sig), -1).sum(axis=1)
                A = np.linalg.inv(jac.T @ jac)
                B = A @ jac.T
                cov = (B * np.repeat(sig ** 2, 2 * seen)) @ B.T
        except np.linalg.LinAlgError:
            return None
        sd = np.sqrt(np.diag(cov))
        return sd if np.all(np.isfinite(sd) & (sd > 0)) else None

    def _sigmas_off(self, i):
        """Candidate ``i``'s largest |error| of a free parameter in standard deviations of
        the bound (None without one)."""
        if self.bound_sd is None:
            return None
        run = self.run
        err = run.theta(i)[run.free] - run.reference[run.free]
        return float(np.max(np.abs(err) / self.bound_sd))

    def _at_floor(self):
        """Whether the best candidate is at the noise floor (see the class)."""
        if self.bound_sd is None:
            return False
        best = int(np.argmin(self.run.current))
        step = self.run.gauss_newton_step(best)
        return bool(step is not None and np.all(np.abs(step) <= FLOOR_STEP * self.bound_sd)
                    and self._sigmas_off(best) <= FLOOR_SIGMAS)

    def step(self, target=None):
        """Advance one frame (``rounds_per_frame`` rounds; ``target`` is ignored: the
        commanded poses are fixed); returns :attr:`state`."""
        start = time.perf_counter()
        for _ in range(self.rounds_per_frame):
            if self.run.round >= self.max_rounds:
                break
            self.run.step()
            if self.identified_round is None and self._best_error() <= self.tolerance:
                self.identified_round = int(self.run.round)
            if self.floor_round is None and self._at_floor():
                self.floor_round = int(self.run.round)
        self.seconds += time.perf_counter() - start
        self.frame += 1
        return self.state

    @property
    def state(self):
        """The run's :class:`~armsim.vision.spatial_run.SpatialCalibrationState`."""
        return self.run.state

    def _best_error(self):
        """The largest relative parameter error of the candidate with the lowest loss."""
        run = self.run
        best = int(np.argmin(run.current))
        return float(relative_errors(run.theta(best), run.reference, run.free).max())

    def report(self) -> dict:
        """JSON-ready summary: rounds, the best candidate's loss and parameter error, and
        ``identified`` (the best candidate's every free parameter within :attr:`tolerance`
        of the truth) and ``identified_round`` (the first round it was), ``at_noise_floor``
        and ``noise_floor_round`` (see the class), ``converged`` (either) and
        ``converged_round`` (the first round of either); ``bound_sigmas``, the best
        candidate's largest error in standard deviations of the noise's bound (the
        Cramér-Rao bound; with cameras of unequal noise the learner's unweighted fit's
        spread: ``bound``, ``"cramer-rao"`` or ``"unweighted fit"``), and ``bound_rel_sd``,
        the largest relative standard deviation it allows (as ``best_max_rel_error``:
        against max(|value|, 1 cm or 10 mrad)), both None when every camera is
        noise-free."""
        run, p = self.run, self.problem
        err = run.errors()
        best = int(np.argmin(run.current))
        identified = bool(err[best] <= self.tolerance)
        rounds = [r for r in (self.identified_round, self.floor_round) if r is not None]
        rel_sd = (None if self.bound_sd is None else float(np.max(
            self.bound_sd / np.maximum(np.abs(run.reference[run.free]), FLOOR))))
        return {"kind": self.kind, "frames": self.frame, "rounds": run.round,
                "converged": identified or self.floor_round is not None,
                "identified": identified, "converged_round": min(rounds, default=None),
                "identified_round": self.identified_round,
                "at_noise_floor": self.floor_round is not None,
                "noise_floor_round": self.floor_round,
                "bound_sigmas": self._sigmas_off(best), "bound_rel_sd": rel_sd,
                "bound": None if self.bound_sd is None else self.bound_kind,
                "tolerance": self.tolerance,
                "rounds_per_frame": self.rounds_per_frame,
                "seconds": round(float(self.seconds), 6), "learner": run.learner,
                "robot": p.setup.robot, "cameras": p.setup.cameras, "poses": p.setup.poses,
                "candidates": run.m, "generations": run.generation,
                "observed": int(p.seen.sum()), "possible": int(p.seen.size),
                "parameters": p.model.dim, "held": [p.model.names[i] for i in run.held],
                "best_loss": _finite_or_none(run.current[best]),
                "best_rms_px": _finite_or_none(math.sqrt(max(run.current[best], 0.0))),
                "best_max_rel_error": _finite_or_none(err[best])}
