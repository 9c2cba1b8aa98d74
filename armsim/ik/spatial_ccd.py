"""Cyclic coordinate descent on a spatial target (the ``ccd`` method's sweep).

:func:`sweep` is :meth:`armsim.ik.problems.SpatialTarget.ccd_sweep`.
"""

from __future__ import annotations

import numpy as np

from armsim.kinematics import spatial as kin_spatial

__all__ = ["sweep", "CCD_LENGTH"]

CCD_LENGTH = 0.2        # ccd on a pose: an orientation error weighs as an arc of this x reach


def sweep(prob, q, aim):
    """One sweep of cyclic coordinate descent of ``prob`` (a SpatialTarget) from q towards
    the aim rows, tool joint first.

    Each joint in turn takes the value that best aligns the tool with the aim while
    the others hold, the joints beyond it moving rigidly with it:

    * revolute / continuous, position target: the turn about its axis ``z`` (through
      its origin ``o``) that brings ``a = p - o`` closest to ``b = p_aim - o``
      (the angle between their projections on the plane normal to ``z``);
    * revolute, pose target: the turn ``d`` maximising
      ``w_p^2 b . Rot(d) a + (w_r L)^2 tr(R_aim^T Rot(d) R)``, i.e. minimising
      ``w_p^2 |b - Rot(d) a|^2 / 2 + (w_r L)^2 |R_aim - Rot(d) R|_F^2 / 4`` (an
      orientation error counts as an arc of length ``L`` = :data:`CCD_LENGTH` x reach);
      both terms are ``A cos d + B sin d + C``, so ``d = atan2(B, A)`` exactly;
    * prismatic: the slide along ``z`` that brings the tool nearest the aim position.

    ``w_p``, ``w_r`` are the root-mean-square position and orientation weights (a
    mask of all orientation axes gives the position rule).  The value is clipped to
    the joint's limits (continuous joints wrap).  Joints before the one moved do not
    move, so their axes and origins come from one pass; only the tool is updated.
    """
    q = prob.clip(np.array(q, dtype=float))
    z, o = prob.chain.joint_axes(q)                 # (B, n, 3) each
    R, p = prob.chain.pose(q)
    R, p = R.copy(), p.copy()
    target_p = aim[:, :3]
    wp2 = float(np.mean(prob.weights[:3] ** 2))
    pose = prob.kind == "pose" and np.any(prob.weights[3:] > 0)
    if pose:
        target_R = aim[:, 3:].reshape(-1, 3, 3)
        wr2 = float(np.mean(prob.weights[3:] ** 2)) * (CCD_LENGTH * prob.scale) ** 2
    lo, hi = prob.limits[:, 0], prob.limits[:, 1]
    for j in range(prob.n - 1, -1, -1):
        zj, oj = z[:, j], o[:, j]
        if prob.chain.prismatic[j]:
            d = np.einsum("bi,bi->b", zj, target_p - p)
            new = np.clip(q[:, j] + d, lo[j], hi[j])
            p = p + (new - q[:, j])[:, None] * zj
            q[:, j] = new
            continue
        a, b = p - oj, target_p - oj
        # t . Rot(d) v = cos d (t . v - (z.t)(z.v)) + sin d (t . (z x v)) + (z.t)(z.v)
        A = wp2 * (np.einsum("bi,bi->b", b, a)
                   - np.einsum("bi,bi->b", zj, b) * np.einsum("bi,bi->b", zj, a))
        B = wp2 * np.einsum("bi,bi->b", b, np.cross(zj, a))
        if pose:
            zR = np.einsum("bi,bij->bj", zj, R)              # z . (columns of R)
            zT = np.einsum("bi,bij->bj", zj, target_R)
            A = A + wr2 * (np.einsum("bij,bij->b", target_R, R)
                           - np.einsum("bj,bj->b", zT, zR))
            B = B + wr2 * np.einsum("bij,bij->b", target_R, np.cross(zj[:, :, None], R,
                                                                     axis=1))
        d = np.arctan2(B, A)
        if not prob._wrap[j]:
            d = np.clip(q[:, j] + d, lo[j], hi[j]) - q[:, j]
        q[:, j] = q[:, j] + d
        rot = kin_spatial.axis_angles_matrices(zj, d)   # (B, 3, 3)
        p = oj + np.einsum("bij,bj->bi", rot, a)
        R = rot @ R
    return prob.clip(q)

