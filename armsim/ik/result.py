"""What a solve returns: :class:`IKResult` (made by :mod:`armsim.ik.loop`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IKResult"]


@dataclass
class IKResult:
    """Outcome of a solve (fields carry a leading batch axis B for :func:`solve_batch`).

    Attributes
    ----------
    q : ndarray (N,) or (B, N) [rad]
        Final joint angles (within the joint limits).
    success : bool or ndarray (B,) of bool
        True only when ``residual < tol``.
    iterations : int or ndarray (B,) of int
        Iterations spent, summed over restarts.
    residual : float or ndarray (B,) [m]
        Distance from the tip to the (true) target at ``q``.
    position_residual, orientation_residual : float or ndarray (B,), or None
        A spatial problem's two residuals at ``q`` [m] and [rad] (None otherwise);
        ``residual`` is then the larger and ``success`` needs both under ``tol``.
    reason : str or ndarray (B,) of str
        ``"converged"``; ``"unreachable"`` (planar: the target lies outside the
        workspace annulus, the tip ends at its nearest point; spatial: the target's
        position is farther from the first joint than the chain's reach, the tool ends
        as near as the restarts bring it); ``"stalled"``
        (the error stopped falling, e.g. a local minimum against joint
        limits, or ``give_up`` restarts in a row found no better start); ``"max_iter"``
        (budget spent while still improving); ``"timeout"`` (``timeout`` seconds passed
        before a start succeeded).
    """

    q: np.ndarray
    success: object
    iterations: object
    residual: object
    reason: object
    position_residual: object = None
    orientation_residual: object = None
    #: with objectives: {name: norm of the objective's final weighted residual}
    objectives: object = None
    #: a robot's several tools (:mod:`armsim.ik.tree`): {tool link: its residual}
    targets: object = None
