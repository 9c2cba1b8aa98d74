"""A population of candidate parameter vectors learning from pixels, a round at a time.

:class:`Population` advances every candidate one step of its learner per
:meth:`~Population.step`: ``lm`` (one Levenberg-Marquardt step with its own damping),
``proportional`` or ``adam`` (one step of the rule, with the genetic algorithm of
:mod:`armsim.vision.genetic` over per-parameter rates).  It knows the model, the data
and the free parameters, not the truth: the solvers
:func:`~armsim.vision.spatial_calibration.solve_proportional` and
:func:`~armsim.vision.spatial_calibration.solve_adam` run on it, and
:class:`~armsim.vision.spatial_run.SpatialCalibrationRun` adds the truth, the gauge and
what a renderer draws.  It sits below both, so neither imports the other to share it.
"""

from __future__ import annotations

import numpy as np

from armsim.ranges import whole
from armsim.vision import genetic

__all__ = ["Population", "LEARNERS", "ADAM_RATE"]

#: the learners of the spatial problem
LEARNERS = ("lm", "proportional", "adam")
MAX_POPULATION = 100   # candidates plus the reference, at most (a scene's bound too)
#: the largest Adam rate [rad or m per round]: a tenth of the deviations' size
ADAM_RATE = 1e-3


class Population:
    """Candidates (``population - 1`` of them) stepping on the free parameters of a model;
    made by :meth:`from_parts` (or a subclass's constructor, which calls :meth:`_init`).
    ``losses`` are the candidates' mean squared pixel residuals [px^2] before the last
    round's step, ``params`` (M, F) their free parameters."""

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
        # the reference and one candidate at least (1 was an argmin of nothing, 2.5 a
        # TypeError); a period of 0 divided by zero
        population = whole("population", population, 2, MAX_POPULATION)
        period = whole("period", period, 1)
        if not (genetic._is_real(mutation) and 0.0 <= mutation <= 1.0):   # (5 and NaN ran)
            raise ValueError(f"mutation must be a probability from 0 to 1, got "
                             f"{str(mutation)[:40]}")
        bad = ~np.isfinite(np.asarray(data.observed)[np.asarray(data.seen)]).all(axis=-1)
        if bad.any():           # (every loss was NaN, every report figure None)
            raise ValueError(f"observed: {int(bad.sum())} seen pixel(s) not finite; mark them "
                             f"unseen or drop them")
        if not np.isfinite(theta0).all():
            raise ValueError("theta0: the starting parameters must be finite")
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

    def gauss_newton_step(self, i):
        """The Gauss-Newton step (F,) of candidate ``i``: where the minimum of its
        linearised residual is, from its parameters (``-(J^T J)^-1 J^T r``); None when
        ``J^T J`` is singular."""
        r, jac = self._r[i], self._j[i]
        try:
            return np.linalg.solve(jac.T @ jac, -(jac.T @ r))
        except np.linalg.LinAlgError:
            return None

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
