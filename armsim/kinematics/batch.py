"""The float pass of a spatial chain for a batch, laid out batch-last.

Joint i of a :class:`~armsim.kinematics.spatial.SpatialChain` turns about (slides along)
its unit axis ``a_i``.  With a fixed rotation ``A_i`` taking ``e_z`` to ``a_i``, the frame
``G_i = F_i A_i`` (``F_i`` the link frame after joint i) follows
``G_i = G_(i-1) C_i Rz(q_i)`` (or ``Tz(q_i)``), ``C_i = A_(i-1)^T O_i A_i`` a constant
(``O_i`` the joint's origin, ``A_-1 = I``).  Stacked batch-last as (3, 4, B), ``G C`` is
three (4, 4) x (4, B) matrix products and ``Rz(q)`` turns two columns elementwise: about
5x cheaper a row than stacked (B, 4, 4) products.  Joint i's axis in the base frame is
column 2 of ``G_i``, its origin column 3, which gives the pose Jacobian's columns
``(z_i x (p - o_i), z_i)`` (revolute) or ``(z_i, 0)`` (prismatic).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LAST_ROWS", "constants", "local_constants", "last_frames", "last_pass",
           "pose_and_jacobian", "pose_rows", "rotation_error", "z_to"]

#: batches of at least this many rows take the batch-last pass
LAST_ROWS = 32
_NEXT, _LAST = (1, 2, 0), (2, 0, 1)    # (a x b)_i = a_(i+1) b_(i+2) - a_(i+2) b_(i+1)


def z_to(a):
    """A rotation (3, 3) taking e_z to the unit vector a: exact (a signed permutation) for a
    coordinate axis."""
    a = np.asarray(a, dtype=float)
    k = int(np.argmax(np.abs(a)))
    if abs(a[k]) == 1.0:
        e = np.eye(3)
        first, second = {2: (e[0], e[1]), 0: (e[1], e[2]), 1: (e[2], e[0])}[k]
        return np.stack([a[k] * first, second, a], axis=1)          # right-handed
    u = np.cross(a, np.eye(3)[int(np.argmin(np.abs(a)))])
    u /= np.linalg.norm(u)
    return np.stack([u, np.cross(a, u), a], axis=1)


def constants(axes, origin_R, origin_p, tool_R, tool_p):
    """The pass's constants of a chain (unit axes (n, 3), origins (n, 3, 3), (n, 3), tool
    (3, 3), (3,)): the transposed ``C_i`` (n, 4, 4), the transposed ``A_(n-1)^T tool``
    (4, 4) and rows 0..2 of ``C_0`` (3, 4), read-only."""
    n = len(axes)
    C = np.zeros((n, 4, 4))
    prev = np.eye(3)
    for i in range(n):
        A = z_to(axes[i])
        C[i, :3, :3] = prev.T @ origin_R[i] @ A
        C[i, :3, 3] = prev.T @ origin_p[i]
        C[i, 3, 3] = 1.0
        prev = A
    tool = np.eye(4)
    tool[:3, :3], tool[:3, 3] = prev.T @ tool_R, prev.T @ tool_p
    out = (np.swapaxes(C, -1, -2).copy(), tool.T.copy(), C[0, :3].copy())
    for x in out:
        x.setflags(write=False)
    return out


def local_constants(origin_R, origin_p, axes, prismatic):
    """The constants of the stacked float pass of joints with origins ``origin_R`` (n, 3, 3),
    ``origin_p`` (n, 3) and unit ``axes`` (n, 3): joint i's local transform (4, 4) is
    ``T0 + s TK + (1 - c) TKK`` (revolute: Rodrigues with the origin folded in; s, c: sine
    and cosine of its value q) or ``T0 + q TA`` (prismatic).  Returns T0 (n, 4, 4) and
    (TK, TKK, TA) (3, n, 4, 4), read-only; each joint's own arithmetic (a chain's, and a
    tree's joints one by one, get the same numbers)."""
    n = len(axes)
    a = np.asarray(axes, dtype=float)
    k = np.zeros((n, 3, 3))             # the skew matrices [a]x
    k[:, 0, 1], k[:, 0, 2], k[:, 1, 2] = -a[:, 2], a[:, 1], -a[:, 0]
    k[:, 1, 0], k[:, 2, 0], k[:, 2, 1] = a[:, 2], -a[:, 1], a[:, 0]
    rev = ~np.array(prismatic, dtype=bool).reshape(n)[:, None, None]
    T0 = np.zeros((n, 4, 4))
    T0[:, :3, :3], T0[:, :3, 3], T0[:, 3, 3] = origin_R, origin_p, 1.0
    TK, TKK, TA = np.zeros((3, n, 4, 4))
    TK[:, :3, :3] = np.where(rev, origin_R @ k, 0.0)
    TKK[:, :3, :3] = np.where(rev, origin_R @ k @ k, 0.0)
    TA[:, :3, 3] = np.where(rev[:, :, 0], 0.0, np.einsum("nij,nj->ni", origin_R, a))
    out = T0, np.stack([TK, TKK, TA])
    for x in out:
        x.setflags(write=False)
    return out


def last_frames(chain, q, keep=True):
    """The frames ``G_i`` (n, 3, 4, B) (column 2 joint i's axis in the base frame, column 3
    its origin) and the tool (3, 4, B) (rotation in columns 0..2, position in column 3) of a
    spatial chain at joint values q (B, n) already checked (numpy; the chain's ``_batch``
    holds its :func:`constants`).  With ``keep`` False, the frames are not kept (two
    buffers in turn; the tool is the same bits): a restart table's first pass in a new
    process does not fault in fresh pages for frames it would not read."""
    CT, tool_CT, C0 = chain._batch
    revolute = chain._rev
    n, b = len(CT), q.shape[0]
    qT = np.ascontiguousarray(q.T)                              # (n, B)
    c = np.cos(qT)
    sn = np.sin(qT)
    S = np.empty((n, 2, b))
    S[:, 0], S[:, 1] = sn, -sn          # column 0 gets + s col 1, column 1 gets - s col 0
    slots = n if keep else min(n, 2)
    G = np.empty((slots, 3, 4, b))
    t1, t2 = np.empty((2, 3, 2, b))
    G[0] = C0[:, :, None]
    for i in range(n):
        g = G[i % slots]
        if i:
            np.matmul(CT[i], G[(i - 1) % slots], out=g)
        if revolute[i]:            # columns 0, 1 <- (c col0 + s col1, c col1 - s col0)
            np.multiply(g[:, :2], c[i], out=t1)
            np.multiply(g[:, 1::-1], S[i], out=t2)
            np.add(t1, t2, out=g[:, :2])
        else:
            g[:, 3] += g[:, 2] * qT[i]
    return G, np.matmul(tool_CT, G[(n - 1) % slots])             # (3, 4, B)


def last_pass(chain, q, jacobian=True):
    """The tool (3, 4, B) and, with ``jacobian``, the pose Jacobian (6, n, B), of a spatial
    chain at joint values q (B, n) already checked (from :func:`last_frames`)."""
    G, T = last_frames(chain, q, keep=jacobian)
    if not jacobian:
        return T, None
    revolute, n, b = chain._rev, len(G), q.shape[0]
    z, o = G[:, :, 2], G[:, :, 3]                               # (n, 3, B)
    lever = T[None, :, 3] - o
    J = np.empty((6, n, b))
    for r in range(3):
        a, d = _NEXT[r], _LAST[r]
        np.multiply(z[:, a], lever[:, d], out=J[r])
        J[r] -= z[:, d] * lever[:, a]
    J[3:] = np.swapaxes(z, 0, 1)
    if not chain._all_revolute:
        pri = ~np.asarray(revolute)
        J[:3, pri] = J[3:, pri]
        J[3:, pri] = 0.0
    return T, J


def pose_and_jacobian(chain, q):
    """R (B, 3, 3), p (B, 3), J (B, 6, n), C-contiguous, from :func:`last_pass`."""
    T, J = last_pass(chain, q)
    y = pose_rows(T)
    return y[:, 3:].reshape(-1, 3, 3), y[:, :3], np.ascontiguousarray(np.moveaxis(J, -1, 0))


def pose_rows(T):
    """Pose rows (B, 12) (position, then the row-major rotation; C-contiguous) of batch-last
    poses T (3, 4, B)."""
    out = np.empty((T.shape[-1], 4, 3))
    out[:, 0] = T[:, 3].T
    out[:, 1:] = np.moveaxis(T[:, :3], -1, 0)
    return out.reshape(-1, 12)


def rotation_error(a, r):
    """The rotation vector (3, B) of ``A R^T`` for rotations A, R given batch-last as their
    row-major entries a, r (9, B): :func:`~armsim.kinematics.spatial.rotation_vector`'s rule
    (the skew part below pi/2, the largest column of the symmetric part past it) elementwise
    over the batch, without (B, 3, 3) products.  Agrees with it to rounding (tests: 1e-15)."""
    b = a.shape[-1]
    # M_ij = sum_k a_ik r_jk, stored as M[3 i + j]
    M = (a.reshape(3, 1, 3, b) * r.reshape(1, 3, 3, b)).sum(axis=2).reshape(9, b)
    v = M[_SKEW_PLUS]
    v -= M[_SKEW_MINUS]
    v *= 0.5                                                    # sin(angle) * axis
    c = M[0] + M[4]
    c += M[8]
    c -= 1.0
    c *= 0.5
    np.clip(c, -1.0, 1.0, out=c)
    s = np.sqrt(np.einsum("ib,ib->b", v, v))
    angle = np.arctan2(s, c)
    # angle / s -> 1 as s -> 0; where s == 0 and c > 0, v is 0 and so is the result
    out = v * (angle / np.maximum(s, 1e-300))
    wide = np.flatnonzero(c < 0.0)
    if wide.size:
        Mw = M[:, wide]
        # the symmetric part (M + M^T) / 2 - c I = (1 - c) a a^T: its diagonal, then
        # (0, 1), (0, 2), (1, 2); its column i is parts[_COLUMN[i]]
        parts = np.concatenate([Mw[[0, 4, 8]] - c[wide], Mw[[1, 2, 5]] + Mw[[3, 6, 7]]])
        parts[3:] *= 0.5
        i = np.argmax(parts[:3], axis=0)
        col = parts[_COLUMN[i].T, np.arange(len(i))]             # (3, W)
        axis = col / np.sqrt(np.einsum("ib,ib->b", col, col))
        sign = np.where(np.einsum("ib,ib->b", axis, v[:, wide]) < 0.0, -1.0, 1.0)
        out[:, wide] = axis * (sign * angle[wide])
    return out


_SKEW_PLUS, _SKEW_MINUS = [7, 2, 3], [5, 6, 1]     # M's skew part: (M_21, M_02, M_10) - ...
_COLUMN = np.array([[0, 3, 4], [3, 1, 5], [4, 5, 2]])   # rotation_error: symmetric columns
