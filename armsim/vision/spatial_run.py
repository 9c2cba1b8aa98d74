"""The visual problem in 3D, a round at a time: a population of candidates and what to draw.

:class:`SpatialCalibrationRun` advances every candidate one step of its learner per
:meth:`~SpatialCalibrationRun.step` (with the genetic algorithm over per-parameter rates
for ``proportional`` and ``adam``); :class:`SpatialCalibrationState` is what a renderer
draws (:mod:`armsim.view.calibration_spatial`).  The stepping is
:class:`~armsim.vision.population.Population`'s, which the solvers
:func:`~armsim.vision.spatial_calibration.solve_proportional` and
:func:`~armsim.vision.spatial_calibration.solve_adam` run on; a run adds the truth, the
gauge and what to draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from armsim.kinematics.planar import memory_budget
from armsim.ranges import seed as whole_seed
from armsim.vision import genetic
from armsim.vision.population import Population
from armsim.vision.spatial_calibration import (check_seen, gauge_truth, identify,
                                               relative_errors)

#: the largest ``spread`` (times the setup's deviation sizes; a scene's bound too)
MAX_SPREAD = 100

__all__ = ["SpatialCalibrationRun", "SpatialCalibrationState"]


#: bytes a run holds per pixel coordinate's tangent (cameras x poses x points x (D + 1)
#: floats): the whole problem's pass, and one per candidate (tracemalloc, UR5 stereo, 500 to
#: 2,000 poses, population 20 and 100: 10.5 and 1.5 of them; rounded up)
RUN_PASSES, CANDIDATE_PASSES = 12, 2


def round_bytes(problem, population) -> int:
    """Bytes a :class:`SpatialCalibrationRun` of ``population`` candidates on ``problem``
    holds at its peak, about (the start's identification pass and a round)."""
    model = problem.model
    tangent = (len(model.intrinsics) * len(problem.qs) * (model.chain.n + 1)
               * (model.dim + 1) * 8)
    return tangent * (RUN_PASSES + CANDIDATE_PASSES * int(population))


class SpatialCalibrationRun(Population):
    """A population of candidate models learning a :class:`Problem`, a round at a time.

    Parameters
    ----------
    problem : Problem
    learner : "lm", "proportional" or "adam"
    population : int   P, counting the hidden reference as the original does: P - 1
                       candidates
    period, mutation : the genetic algorithm (``proportional`` and ``adam``): every
        ``period`` rounds the worst half (by loss accumulated since the last generation)
        is replaced by children of the best (:func:`armsim.vision.genetic.next_generation`)
    seed : int         the rates, the candidates' starts and the GA
    spread : float     candidates after the first start with their free kinematic
        parameters moved by uniform draws in ``+-spread`` x the setup's deviation sizes
        (0: every candidate starts at ``problem.start``)

    Every round each candidate takes one step on the free parameters (``lm``: one
    Levenberg-Marquardt step with its own damping, accepted only if it lowers the loss;
    ``proportional`` and ``adam``: one step of the rule, see :func:`solve_proportional`
    and :func:`solve_adam`).  The held parameters (one per null direction of the
    Jacobian at the start, :func:`identify`) stay at their starting values; errors are
    measured against the truth in that gauge (:func:`gauge_truth`).
    :attr:`state` is what a renderer draws.
    """

    def __init__(self, problem, learner="lm", population=6, period=50, mutation=0.2, seed=0,
                 spread=0.0):
        if isinstance(spread, bool) or not (isinstance(spread, (int, float, np.integer,
                                                                np.floating))
                                            and 0.0 <= spread <= MAX_SPREAD):
            raise ValueError(f"spread must be a number from 0 to {MAX_SPREAD:g}, got "
                             f"{str(spread)[:40]}")
        model = problem.model
        sized = isinstance(population, (int, np.integer)) and not isinstance(population, bool)
        need, budget = (round_bytes(problem, population) if sized and 0 < population <= 10**6
                        else 0), memory_budget()      # (else _init's own message, below)
        if need > budget:               # refused before the first pass over the poses
            raise ValueError(
                f"population: {population} candidates over {len(problem.qs)} poses and "
                f"{len(model.intrinsics)} camera(s) would need about {need / 2**30:.1f} GiB "
                f"of memory, more than the {budget / 2**30:.1f} GiB allowed (half the memory "
                f"this process may use); use fewer poses or a smaller population")
        check_seen(problem)
        _, jac = model.residuals(problem.start, problem, np.ones(model.dim, dtype=bool))
        held = identify(jac, model.names).held
        free = np.ones(model.dim, dtype=bool)
        free[held] = False
        rng = np.random.default_rng(whole_seed(seed))
        self._init(model, problem, problem.start, free, rng, learner, population, period,
                   mutation)
        self.problem = problem
        self.held = held
        self.reference = gauge_truth(problem, held, problem.start[held])
        if spread:
            s = problem.setup
            n = model.chain.n
            size = np.zeros(model.dim)
            size[:n] = s.zero_offset
            size[n:model.kinematic] = s.origin_offset
            size = size[free]
            for i in range(1, self.m):
                self.params[i] += spread * rng.uniform(-size, size)
            self._refresh()

    def errors(self):
        """Each candidate's largest relative error of a free parameter against the truth
        in the learner's gauge (:func:`relative_errors`), ndarray (M,)."""
        return np.array([relative_errors(self.theta(i), self.reference, self.free).max()
                         for i in range(self.m)])

    @property
    def state(self):
        """A :class:`SpatialCalibrationState` of the current round (the commanded pose
        shown is ``round mod poses``)."""
        p, model = self.problem, self.model
        k = self.round % len(p.qs)
        q = p.qs[k:k + 1]
        ref = model.world_points(p.truth, q)[0]
        cands = np.stack([model.world_points(self.theta(i), q)[0] for i in range(self.m)])
        proj = np.stack([model.pixels(self.theta(i), q)[0][:, 0] for i in range(self.m)])
        cams = model.camera_poses(p.truth)
        doomed = np.zeros(self.m, dtype=bool)
        if self.learner != "lm":
            doomed[genetic.doomed(self.accumulated, self.count)] = True
        best = int(np.argmin(self.current))
        err = self.errors()
        return SpatialCalibrationState(
            round=self.round, generation=self.generation, learner=self.learner, pose=k,
            reference=ref, candidates=cands, doomed=doomed,
            camera_rotations=np.stack([R for R, _ in cams]),
            camera_positions=np.stack([c for _, c in cams]), intrinsics=model.intrinsics,
            observed=p.observed[:, k].copy(), seen=p.seen[:, k].copy(), projected=proj,
            losses=self.current.copy(), best=best, best_loss=float(self.current[best]),
            errors=err, best_error=float(err[best]))


@dataclass
class SpatialCalibrationState:
    """What a renderer draws of a :class:`SpatialCalibrationRun` (one commanded pose).

    Attributes
    ----------
    round, generation : int;  learner : str;  pose : int (index of the commanded pose shown)
    reference : ndarray (P, 3)      the hidden robot's joint origins and tool point [m]
    candidates : ndarray (M, P, 3)  each candidate's joint origins and tool point [m]
    doomed : ndarray (M,) bool      candidates the next generation replaces (GA learners)
    camera_rotations : (C, 3, 3), camera_positions : (C, 3)   the true cameras (world from
        camera; x right, y down, z forward);  intrinsics : tuple of :class:`Intrinsics`
    observed : (C, P, 2) [px] the noisy pixels;  seen : (C, P) bool which were observed
    projected : (M, C, P, 2) [px] each candidate's pixels through its own camera estimate
    losses : (M,) [px^2] mean squared pixel residuals;  best : int;  best_loss : float
    errors : (M,) largest relative parameter error against the gauge truth;  best_error
    """

    round: int
    generation: int
    learner: str
    pose: int
    reference: np.ndarray
    candidates: np.ndarray
    doomed: np.ndarray
    camera_rotations: np.ndarray
    camera_positions: np.ndarray
    intrinsics: tuple
    observed: np.ndarray
    seen: np.ndarray
    projected: np.ndarray
    losses: np.ndarray
    best: int
    best_loss: float
    errors: np.ndarray
    best_error: float
