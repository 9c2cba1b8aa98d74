"""Inverse kinematics: move the tip to a target by changing joint angles only.

Segments never stretch: the state of every solver is the vector of joint
angles.  One loop (:class:`Solver`) owns the iteration budget, the tolerance,
joint limits and the :class:`IKResult`; a method only says how to compute one
step of the angles from the current tip error and the tip Jacobian (which
comes from forward-mode AD, :meth:`armsim.Chain.tip_and_jacobian`).

Everything is batched: angles have shape (B, N), targets (B, 2); a single
problem is the batch B = 1.

Methods
-------
``gradient``
    Steepest descent on half the squared tip error, ``dq = J^T e`` shaped by
    a *correction*:

    ``none``  ``dq = step_size * J^T e`` (the raw gradient step);
    ``clip``  the original control law: each joint moves by the dot product of
              the unit vector to the target with its Jacobian column, clipped
              to ``max_angular_speed * distance / 100`` where the distance is
              measured in percent of the arm's reach (so the law does not
              depend on the unit of length).
``dls``
    Damped least squares, ``dq = J^T (J J^T + lambda^2 I)^-1 e``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["IKResult", "Solver", "solve", "METHODS", "CORRECTIONS"]

METHODS = ("gradient", "dls")
CORRECTIONS = ("none", "clip")


def _check_choice(kind, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {kind} {value!r}; choose one of {', '.join(choices)}")


@dataclass
class IKResult:
    """Outcome of a solve.

    Attributes
    ----------
    q : ndarray (N,) [rad]
        Final joint angles.
    success : bool
        True only when ``residual < tol``.
    iterations : int
    residual : float [m]
        Distance from the tip to the target at ``q``.
    reason : str
        ``"converged"``, ``"unreachable"``, ``"max_iter"`` or ``"stalled"``.
    """

    q: np.ndarray
    success: bool
    iterations: int
    residual: float
    reason: str
    history: list = field(default_factory=list, repr=False)


@dataclass
class Options:
    """Settings shared by the methods (all validated in :class:`Solver`)."""

    step_size: float = 0.5           # gradient/none: dq = step_size * J^T e / reach^2
    max_angular_speed: float = 0.2   # gradient/clip: [rad per iteration at distance = reach]
    damping: float = 0.1             # dls: lambda, as a fraction of the reach
    max_joint_step: float = 0.3      # dls: largest joint change per iteration [rad]


class Solver:
    """The loop shared by every method.

    Parameters
    ----------
    chain : Chain
    method : str, one of :data:`METHODS`
    correction : str, one of :data:`CORRECTIONS` (gradient only)
    tol : float [m], optional
        Success when the tip is closer than this; default ``1e-6 * reach``.
    max_iter : int
    """

    def __init__(self, chain, method="dls", correction="clip", tol=None, max_iter=500,
                 step_size=None, max_angular_speed=None, damping=None, max_joint_step=None):
        _check_choice("method", method, METHODS)
        _check_choice("correction", correction, CORRECTIONS)
        self.chain = chain
        self.method = method
        self.correction = correction
        self.tol = 1e-6 * chain.reach if tol is None else float(tol)
        if not np.isfinite(self.tol) or self.tol <= 0:
            raise ValueError(f"tol must be > 0, got {tol}")
        if int(max_iter) != max_iter or max_iter < 0:
            raise ValueError(f"max_iter must be an integer >= 0, got {max_iter}")
        self.max_iter = int(max_iter)
        opts = Options()
        for name, val in (("step_size", step_size), ("max_angular_speed", max_angular_speed),
                          ("damping", damping), ("max_joint_step", max_joint_step)):
            if val is not None:
                val = float(val)
                if not np.isfinite(val) or val <= 0:
                    raise ValueError(f"{name} must be > 0, got {val}")
                setattr(opts, name, val)
        self.options = opts

    # -- one step -------------------------------------------------------------
    def step(self, q, err, jac):
        """Joint change for angles ``q`` (B, N), tip error ``err`` = target - tip (B, 2)
        and tip Jacobian ``jac`` (B, 2, N)."""
        reach = self.chain.reach
        o = self.options
        if self.method == "gradient":
            if self.correction == "none":
                return (o.step_size / reach**2) * np.einsum("bij,bi->bj", jac, err)
            # clip: the original law
            dist = np.linalg.norm(err, axis=-1, keepdims=True)
            unit = err / np.where(dist > 0, dist, 1.0)
            raw = np.einsum("bij,bi->bj", jac, unit)
            limit = o.max_angular_speed * (100.0 * dist / reach) / 100.0
            return np.clip(raw, -limit, limit)
        # damped least squares, on an error clamped to a quarter of the reach so a
        # far (or unreachable) target cannot ask for a huge step near a singularity
        dist = np.linalg.norm(err, axis=-1, keepdims=True)
        err = err * np.minimum(1.0, 0.25 * reach / np.where(dist > 0, dist, 1.0))
        lam2 = (o.damping * reach) ** 2
        jjt = jac @ np.swapaxes(jac, -1, -2) + lam2 * np.eye(2)
        dq = np.einsum("bij,bi->bj", jac, np.linalg.solve(jjt, err[..., None])[..., 0])
        # cap the largest joint change (a trust region in angle space)
        big = np.max(np.abs(dq), axis=-1, keepdims=True)
        return dq * np.minimum(1.0, o.max_joint_step / np.where(big > 0, big, 1.0))

    # -- the loop -------------------------------------------------------------
    def run(self, targets, q0):
        """Solve a batch.  Returns (q (B, N), iterations (B,), residual (B,), reason list)."""
        chain = self.chain
        q = chain.clip(np.array(q0, dtype=float))
        targets = np.asarray(targets, dtype=float)
        b = q.shape[0]
        iters = np.zeros(b, dtype=int)
        active = np.ones(b, dtype=bool)
        tip, jac = chain.tip_and_jacobian(q)
        err = targets - tip
        res = np.linalg.norm(err, axis=-1)
        best = res.copy()
        stall = np.zeros(b, dtype=int)
        active &= ~(res < self.tol)
        for _ in range(self.max_iter):
            if not active.any():
                break
            idx = np.flatnonzero(active)
            dq = self.step(q[idx], err[idx], jac[idx])
            dq = np.where(np.isfinite(dq), dq, 0.0)
            q[idx] = chain.clip(q[idx] + dq)
            iters[idx] += 1
            t, j = chain.tip_and_jacobian(q[idx])
            tip[idx], jac[idx] = t, j
            err[idx] = targets[idx] - t
            res[idx] = np.linalg.norm(err[idx], axis=-1)
            improved = res[idx] < best[idx] - 1e-3 * self.tol
            best[idx] = np.minimum(best[idx], res[idx])
            stall[idx] = np.where(improved, 0, stall[idx] + 1)
            done = (res[idx] < self.tol) | (stall[idx] >= 50)
            active[idx[done]] = False
        dist = np.linalg.norm(targets - chain.base, axis=-1)
        reasons = []
        for i in range(b):
            if res[i] < self.tol:
                reasons.append("converged")
            elif dist[i] > chain.reach:
                reasons.append("unreachable")
            elif stall[i] >= 50:
                reasons.append("stalled")
            else:
                reasons.append("max_iter")
        return q, iters, res, reasons

    def solve(self, target, q0=None):
        """Solve one problem: target (2,), q0 (N,) -> :class:`IKResult`."""
        target = np.asarray(target, dtype=float)
        if target.shape != (2,) or not np.all(np.isfinite(target)):
            raise ValueError(f"target must be two finite numbers, got {target.tolist()}")
        q0 = default_start(self.chain) if q0 is None else np.asarray(q0, dtype=float)
        if q0.shape != (self.chain.n,):
            raise ValueError(f"q0 must have shape ({self.chain.n},), got {q0.shape}")
        q, iters, res, reasons = self.run(target[None], q0[None])
        return IKResult(q=q[0], success=bool(res[0] < self.tol), iterations=int(iters[0]),
                        residual=float(res[0]), reason=reasons[0])


def default_start(chain):
    """The start used when none is given: a gentle, non-singular bend."""
    return chain.clip(np.full(chain.n, 0.3))


def solve(chain, target, q0=None, method="dls", correction="clip", tol=None, max_iter=500,
          **options):
    """Move the tip of ``chain`` to ``target``.

    Parameters
    ----------
    chain : Chain
    target : array_like (2,) [m]
    q0 : array_like (N,) [rad], optional
    method : {"gradient", "dls"}
    correction : {"none", "clip"}
        How a gradient step is shaped (``method="gradient"`` only).
    tol : float [m], optional (default ``1e-6 * reach``)
    max_iter : int
    **options : step_size, max_angular_speed, damping

    Returns
    -------
    IKResult
    """
    return Solver(chain, method=method, correction=correction, tol=tol, max_iter=max_iter,
                  **options).solve(target, q0)
