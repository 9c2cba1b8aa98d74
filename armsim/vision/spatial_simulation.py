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
from armsim.vision.camera3d import visible
from armsim.vision.simulation import _finite_or_none
from armsim.vision.spatial_calibration import make_problem, relative_errors
from armsim.vision.spatial_run import SpatialCalibrationRun

__all__ = ["SpatialCalibrationSimulation"]


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
                             lengths); a 3D run has no stopping criterion of its own, so its
                             ``converged`` is ``identified``
    """

    kind = "calibration_spatial"

    def __init__(self, setup, seed=0, cameras=None, sigmas=None, occlude=None, learner="lm",
                 population=6, period=50, mutation=0.2, spread=1.0, rounds_per_frame=1,
                 max_rounds=1000, tolerance=0.01):
        if not (math.isfinite(float(tolerance)) and tolerance > 0):
            raise ValueError(f"tolerance must be a number > 0, got {tolerance!r}")
        self.tolerance = float(tolerance)
        rounds_per_frame = ranges.whole("rounds_per_frame", rounds_per_frame, 1)
        max_rounds = ranges.rounds("max_rounds", max_rounds)
        seed = ranges.seed(seed)
        self.problem = make_problem(setup, seed, cameras, sigmas, occlude)
        seen = self.problem.seen.reshape(len(self.problem.seen), -1).sum(axis=1)
        for k, count in enumerate(seen):
            if count == 0:
                raise ValueError(f"camera[{k}]: sees none of the robot's points in "
                                 f"{setup.poses} poses ({self._blind_hint(k)})")
        self.seed = seed
        self.options = dict(learner=learner, population=population, period=period,
                            mutation=mutation, spread=spread)
        self.rounds_per_frame = int(rounds_per_frame)
        self.max_rounds = int(max_rounds)
        self.reset()

    def _blind_hint(self, k):
        """What to change when camera ``k`` sees nothing: its aim, or the capsule radius
        (a radius wider than the spacing of the joints buries them all)."""
        p = self.problem
        pix, depth = p.model.pixels(p.truth, p.qs)
        if p.setup.occlusion and visible(pix[k], depth[k], p.model.intrinsics[k]).any():
            return f"link capsules of radius {p.setup.occlusion:g} m hide them all: make it smaller"
        return "point it at the robot"

    def reset(self):
        """Start again from round 0 (same problem, same seed)."""
        self.run = SpatialCalibrationRun(self.problem, seed=self.seed, **self.options)
        self.frame = 0
        self.seconds = 0.0
        self.identified_round = None

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
        ``identified`` / ``converged`` (the best candidate's every free parameter within
        :attr:`tolerance` of the truth), ``converged_round`` (the first round it was)."""
        run, p = self.run, self.problem
        err = run.errors()
        best = int(np.argmin(run.current))
        identified = bool(err[best] <= self.tolerance)
        return {"kind": self.kind, "frames": self.frame, "rounds": run.round,
                "converged": identified, "identified": identified,
                "converged_round": self.identified_round, "tolerance": self.tolerance,
                "rounds_per_frame": self.rounds_per_frame,
                "seconds": round(float(self.seconds), 6), "learner": run.learner,
                "robot": p.setup.robot, "cameras": p.setup.cameras, "poses": p.setup.poses,
                "candidates": run.m, "generations": run.generation,
                "observed": int(p.seen.sum()), "possible": int(p.seen.size),
                "parameters": p.model.dim, "held": [p.model.names[i] for i in run.held],
                "best_loss": _finite_or_none(run.current[best]),
                "best_rms_px": _finite_or_none(math.sqrt(max(run.current[best], 0.0))),
                "best_max_rel_error": _finite_or_none(err[best])}
