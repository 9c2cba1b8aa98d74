"""The visual problem in 3D, a round at a time: a population of candidates and what to draw.

:class:`SpatialCalibrationRun` advances every candidate one step of its learner per
:meth:`~SpatialCalibrationRun.step` (with the genetic algorithm over per-parameter rates
for ``proportional`` and ``adam``); :class:`SpatialCalibrationState` is what a renderer
draws (:mod:`armsim.view.calibration_spatial`).  The solvers
:func:`~armsim.vision.spatial_calibration.solve_proportional` and
:func:`~armsim.vision.spatial_calibration.solve_adam` run on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from armsim.vision import genetic
from armsim.vision.spatial_calibration import (ADAM_RATE, LEARNERS, gauge_truth, identify,
                                               relative_errors)

__all__ = ["SpatialCalibrationRun", "SpatialCalibrationState"]


class SpatialCalibrationRun:
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
        model = problem.model
        _, jac = model.residuals(problem.start, problem, np.ones(model.dim, dtype=bool))
        held = identify(jac, model.names).held
        free = np.ones(model.dim, dtype=bool)
        free[held] = False
        rng = np.random.default_rng(seed)
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

    @classmethod
    def from_parts(cls, model, data, theta0, free, rng, learner="proportional", population=6,
                   period=50, mutation=0.2):
        """A run on given data from ``theta0`` with ``free`` parameters and ``rng`` (what
        the solvers use; it has no truth, so no :attr:`state` errors)."""
        run = cls.__new__(cls)
        run._init(model, data, np.asarray(theta0, dtype=float), np.asarray(free, dtype=bool),
                  rng, learner, population, period, mutation)
        run.problem, run.reference, run.held = None, None, np.flatnonzero(~run.free)
        return run

    def _init(self, model, data, theta0, free, rng, learner, population, period, mutation):
        if learner not in LEARNERS:
            raise ValueError(f"unknown learner {learner!r}; choose one of {', '.join(LEARNERS)}")
        self.model, self.data, self.learner, self.rng = model, data, learner, rng
        self.theta0 = np.array(theta0, dtype=float)
        self.free = free
        self.m = population - 1
        self.period, self.mutation = period, mutation
        self.params = np.tile(self.theta0[free], (self.m, 1))
        r, jac = model.residuals(self.theta0, data, free)
        if learner == "proportional":
            curv = 2.0 * np.linalg.eigvalsh(jac.T @ jac / r.size)[-1]
            self.rate_max = 1.0 / (curv * np.max(np.abs(self.theta0[free])) ** 2)
        elif learner == "adam":
            self.rate_max = ADAM_RATE
        else:
            self.rate_max = 0.0
        self.rates = rng.uniform(0.0, self.rate_max, size=self.params.shape)
        self.count = genetic.GeneticSettings(population=population, period=period).replace_count
        self.accumulated = np.zeros(self.m)
        self.losses = np.zeros(self.m)
        self.damping = np.full(self.m, 1e-3)
        self.moments = np.zeros((2,) + self.params.shape)
        self.steps = np.zeros((self.m, 1))
        self.round = 0
        self.generation = 0
        self._refresh()

    def theta(self, i):
        """Candidate ``i``'s whole parameter vector (held parameters included)."""
        t = self.theta0.copy()
        t[self.free] = self.params[i]
        return t

    def _refresh(self):
        self._r, self._j = [], []
        for i in range(self.m):
            r, jac = self.model.residuals(self.theta(i), self.data, self.free)
            self._r.append(r)
            self._j.append(jac)
        self.current = np.array([float(r @ r) / r.size for r in self._r])

    def step(self, breed=True):
        """One round of every candidate (and a generation every ``period`` rounds when
        ``breed``).  ``losses`` are the candidates' mean squared pixel residuals [px^2]
        before the round's step."""
        self.losses = self.current.copy()
        for i in range(self.m):
            r, jac = self._r[i], self._j[i]
            if self.learner == "lm":
                self._lm(i, r, jac)
                continue
            grad = 2.0 * (jac.T @ r) / r.size
            p = self.params[i]
            if self.learner == "proportional":
                new = p - self.rates[i] * grad * np.abs(p)
            else:
                b1, b2 = 0.9, 0.999
                self.steps[i] += 1.0
                m, v = self.moments[0, i], self.moments[1, i]
                m[:] = b1 * m + (1.0 - b1) * grad
                v[:] = b2 * v + (1.0 - b2) * grad * grad
                t = self.steps[i, 0]
                new = p - self.rates[i] * (m / (1.0 - b1 ** t)) / (np.sqrt(v / (1.0 - b2 ** t))
                                                                  + 1e-12)
            self.params[i] = np.where(np.isfinite(new), new, p)
        self.accumulated += self.losses
        self.round += 1
        if self.learner != "lm" and self.round % self.period == 0 and breed:
            g = genetic.next_generation(self.params, self.rates, self.accumulated, self.count,
                                        self.mutation, (0.0, self.rate_max), self.rng)
            self.moments[:, g.replaced] = 0.0
            self.steps[g.replaced] = 0.0
            self.accumulated[:] = 0.0
            self.generation += 1
        if self.learner != "lm":
            self._refresh()
        return self.losses

    def _lm(self, i, r, jac):
        a = jac.T @ jac
        d = np.diag(a)
        d = d + 1e-15 * (d.max() + 1.0)
        try:
            delta = np.linalg.solve(a + self.damping[i] * np.diag(d), -(jac.T @ r))
        except np.linalg.LinAlgError:
            self.damping[i] *= 4.0
            return
        trial = self.params[i] + delta
        t = self.theta0.copy()
        t[self.free] = trial
        r_t, j_t = self.model.residuals(t, self.data, self.free)
        loss = float(r_t @ r_t) / r_t.size
        if np.isfinite(loss) and loss <= self.current[i]:
            self.params[i] = trial
            self._r[i], self._j[i], self.current[i] = r_t, j_t, loss
            self.damping[i] = max(self.damping[i] / 3.0, 1e-15)
        else:
            self.damping[i] = min(self.damping[i] * 4.0, 1e12)

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
