"""A calibration run as the window and the GIF exporter see it: frames of rounds.

:class:`CalibrationSimulation` wraps a :class:`~armsim.vision.calibration.CalibrationRun`
behind the interface every scene's simulation has (``step(target=None)``,
``state``, ``reset()``, ``report()``): one frame advances
``rounds_per_frame`` rounds, so a GIF of a few hundred frames shows the
population learning.  A target given to :meth:`step` (dragged in the window)
replaces the random target jumps from then on.  No pygame here.
"""

from __future__ import annotations

import math
import time

from armsim.ranges import seed as whole_seed, whole
from armsim.vision.calibration import CalibrationRun

__all__ = ["CalibrationSimulation"]


def _finite_or_none(x):
    if x is None:                       # (a result's final_loss before the first check)
        return None
    x = float(x)
    return x if math.isfinite(x) else None


class CalibrationSimulation:
    """Frames of a calibration run.

    Parameters
    ----------
    experiment : armsim.vision.calibration.Experiment
    seed : int
        Seed of the run (reference, candidates, rates, target jumps, GA).
    rounds_per_frame : int
        Rounds advanced by one :meth:`step`.  Once ``calibration.max_rounds``
        rounds have run, :meth:`step` returns the last state unchanged.
    """

    kind = "calibration"

    def __init__(self, experiment, seed=0, rounds_per_frame=10):
        rounds_per_frame = whole("rounds_per_frame", rounds_per_frame, 1)
        self.experiment = experiment
        self.seed = whole_seed(seed)
        self.rounds_per_frame = rounds_per_frame
        self.reset()

    def reset(self):
        """Start again from round 0 with the same seed (and the scripted target)."""
        self.run = CalibrationRun(self.experiment, self.seed)
        self.experiment = self.run.experiment       # (None: the gecco preset, as the run's)
        self.frame = 0
        self.converged_round = None
        self.user_target = None
        self.seconds = 0.0

    @property
    def max_rounds(self) -> int:
        return self.experiment.calibration.max_rounds

    def step(self, target=None):
        """Advance one frame (``rounds_per_frame`` rounds); returns :attr:`state`.

        Parameters
        ----------
        target : (2,) [px], optional
            The user's target (canvas pixels, y down).  Once given it is kept
            for every later round: the reference chases it instead of the
            random jumps (a jump round still draws from the generator, so the
            run's other random numbers do not change, and the user's target
            is put back right after it).  Anything but two finite numbers is a
            ValueError (``target must be two finite numbers, got [nan, 1.0]``),
            the frame not advanced.
        """
        if target is not None:      # (a NaN, an inf or three numbers was ignored unsaid)
            self.run.set_target(target, hold=True)          # it stays the user's
            self.user_target = self.run.held_target.copy()
        run = self.run
        start = time.perf_counter()
        for _ in range(self.rounds_per_frame):
            if run.round >= self.max_rounds:
                break
            run.step()
            if run.converged and self.converged_round is None:
                self.converged_round = run.round
        self.seconds += time.perf_counter() - start
        self.frame += 1
        return self.state

    @property
    def state(self):
        """The run's :class:`~armsim.vision.calibration.CalibrationState` now."""
        return self.run.state

    def report(self) -> dict:
        """JSON-ready summary: rounds, convergence, losses and true parameter errors.

        ``final_loss`` is the best accumulated loss / segments at the last
        criterion check (``None`` before the first check); ``best_loss`` the
        lowest round loss now; errors are those of the candidate with the
        lowest round loss.  ``identified`` applies the strict criterion
        (lengths within ``length_tolerance``, angles within
        ``angle_tolerance``) whatever the run's own criterion.
        """
        run = self.run
        res = run.result(self.seconds)
        cal = self.experiment.calibration
        st = self.state
        best = st.best
        n = run.n
        params = run.params[best]
        return {
            "kind": self.kind,
            "frames": self.frame,
            "rounds": res.rounds,
            "rounds_per_frame": self.rounds_per_frame,
            "seconds": round(float(self.seconds), 6),
            "learner": res.learner,
            "criterion": res.criterion,
            "segments": res.segments,
            "population": res.population,
            "cameras": res.cameras,
            "generations": res.generations,
            "converged": bool(res.converged),
            "converged_round": self.converged_round,
            "identified": bool(st.length_error_rel[best] <= cal.length_tolerance
                               and st.angle_error[best] <= cal.angle_tolerance),
            "best_loss": _finite_or_none(st.best_loss),
            "final_loss": _finite_or_none(res.final_loss),
            "length_error_px": _finite_or_none(res.length_error_px),
            "length_error_pct": _finite_or_none(res.length_error_pct),
            "angle_error": _finite_or_none(res.angle_error),
            "reference": {"lengths": [float(v) for v in run.ref_lengths],
                          "angles": [float(v) for v in run.ref_angles]},
            "best_candidate": {"lengths": [float(v) for v in params[n:]],
                               "angles": [float(v) for v in params[:n]]},
            "target": [float(v) for v in st.target],
        }
