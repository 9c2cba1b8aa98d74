"""Step rules: how a candidate model learns from its bearing-loss gradient.

A candidate's learned parameters are ``D = 2 n`` numbers, the n relative
joint angles [rad] then the n segment lengths [px], one row per candidate
(the population is a batch axis).  Every rule turns the round's gradient
(or, for ``lm``, the stacked residuals of a window of rounds) into new
parameters; the caller then wraps the angles and clips the lengths.

``plain``
    ``p -= lr * dL/dp``.  Bearing gradients with respect to angles are
    about 100-240x those with respect to lengths (radians against pixels),
    so the lengths hardly move.
``proportional``
    The original rule: ``p -= lr * dL/dp * |p|``; a length of 125 px gets a
    step 125x larger than a plain one.
``adam``
    Per-parameter normalised steps (Adam: running means of the gradient and
    of its square, bias-corrected), ``p -= lr * unit * m / (sqrt(v) + eps)``
    with ``unit`` = 1 rad for angles and the middle of the length range for
    lengths: the step size no longer depends on the gradient's scale.
``lm``
    Levenberg-Marquardt on the wrapped bearing residuals of the last
    ``window`` rounds (rounds x joints x cameras residuals, the 2n x 2n
    normal matrix per candidate from the forward-mode Jacobian), with
    Marquardt's diagonal scaling (so radians and pixels need no hand
    weighting) and an accept/reject test on the window loss that adapts the
    damping per candidate.  The per-parameter rates are carried and bred by
    the GA but do not enter this step.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LEARNERS", "make_learner", "Learner", "Plain", "Proportional", "Adam",
           "LevenbergMarquardt"]

LEARNERS = ("plain", "proportional", "adam", "lm")


class Learner:
    """Base step rule.

    Parameters
    ----------
    count : int   number of candidates (batch size)
    dim : int     parameters per candidate, D = 2 n
    units : ndarray (D,)   natural size of each parameter (1 rad, or px)

    Subclasses implement :meth:`step`; :meth:`reset` forgets the per-candidate
    state of candidates the GA has just replaced.
    """

    name = ""
    uses_window = False

    def __init__(self, count, dim, units):
        self.count = count
        self.dim = dim
        self.units = np.asarray(units, dtype=float)

    def step(self, params, grad, rates, problem):
        """New parameters, ndarray (M, D), before wrapping and clipping.

        Parameters
        ----------
        params : ndarray (M, D)   current parameters
        grad : ndarray (M, D)     d (round loss) / d params
        rates : ndarray (M, D)    per-parameter learning rates
        problem : object with ``project(params)`` and
            ``window_residuals(params, jacobian: bool) -> (r (M, R), J (M, R, D) or None)``
            (used by window-based rules only)
        """
        raise NotImplementedError

    def reset(self, index):
        """Forget the state of candidates ``index`` (they were just replaced)."""


class Plain(Learner):
    name = "plain"

    def step(self, params, grad, rates, problem):
        return params - rates * grad


class Proportional(Learner):
    name = "proportional"

    def step(self, params, grad, rates, problem):
        return params - rates * grad * np.abs(params)


class Adam(Learner):
    """Adam with per-candidate, per-parameter moments."""

    name = "adam"

    def __init__(self, count, dim, units, beta1=0.9, beta2=0.999, eps=1e-12):
        super().__init__(count, dim, units)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = np.zeros((count, dim))
        self.v = np.zeros((count, dim))
        self.t = np.zeros((count, 1))

    def step(self, params, grad, rates, problem):
        b1, b2 = self.beta1, self.beta2
        self.t += 1.0
        self.m = b1 * self.m + (1.0 - b1) * grad
        self.v = b2 * self.v + (1.0 - b2) * grad * grad
        m_hat = self.m / (1.0 - b1 ** self.t)
        v_hat = self.v / (1.0 - b2 ** self.t)
        return params - rates * self.units * m_hat / (np.sqrt(v_hat) + self.eps)

    def reset(self, index):
        self.m[index] = 0.0
        self.v[index] = 0.0
        self.t[index] = 0.0


class LevenbergMarquardt(Learner):
    """One damped Gauss-Newton step per round on a sliding window of residuals."""

    name = "lm"
    uses_window = True

    def __init__(self, count, dim, units, damping=1e-2, lower=1e-9, upper=1e9,
                 shrink=3.0, grow=4.0):
        super().__init__(count, dim, units)
        self.initial = float(damping)
        self.lower, self.upper = lower, upper
        self.shrink, self.grow = shrink, grow
        self.damping = np.full(count, self.initial)
        self.accepted = np.zeros(count, dtype=bool)

    def step(self, params, grad, rates, problem):
        r, jac = problem.window_residuals(params, jacobian=True)     # (M, R), (M, R, D)
        loss = np.einsum("mr,mr->m", r, r)
        normal, g = self.normal_equations(jac, r)
        diag = np.einsum("mdd->md", normal)
        scale = diag + 1e-12 * (diag.max(axis=1, keepdims=True) + 1.0)
        lhs = normal + (self.damping[:, None] * scale)[:, :, None] * np.eye(self.dim)
        try:
            delta = np.linalg.solve(lhs, -g[..., None])[..., 0]
        except np.linalg.LinAlgError:   # a damping too small to lift a rank-short window
            delta = -(np.linalg.pinv(lhs) @ g[..., None])[..., 0]
        trial = problem.project(params + delta)
        r_trial, _ = problem.window_residuals(trial, jacobian=False)
        trial_loss = np.einsum("mr,mr->m", r_trial, r_trial)
        better = np.isfinite(trial_loss) & (trial_loss < loss)
        self.accepted = better
        self.damping = np.where(better, np.maximum(self.damping / self.shrink, self.lower),
                                np.minimum(self.damping * self.grow, self.upper))
        return np.where(better[:, None], trial, params)

    @staticmethod
    def normal_equations(jac, r):
        """``J^T J`` (M, D, D) and ``J^T r`` (M, D) by batched matmul."""
        jac_t = np.swapaxes(jac, -1, -2)
        return np.matmul(jac_t, jac), np.matmul(jac_t, r[..., None])[..., 0]

    def reset(self, index):
        self.damping[index] = self.initial


_CLASSES = {"plain": Plain, "proportional": Proportional, "adam": Adam, "lm": LevenbergMarquardt}


def learner_class(name):
    """The class of the step rule ``name`` (one of :data:`LEARNERS`)."""
    if name not in _CLASSES:
        raise ValueError(f"unknown learner {name!r}; choose one of {', '.join(LEARNERS)}")
    return _CLASSES[name]


def make_learner(name, count, dim, units, **options):
    """Build the step rule ``name`` (one of :data:`LEARNERS`)."""
    return learner_class(name)(count, dim, units, **options)
