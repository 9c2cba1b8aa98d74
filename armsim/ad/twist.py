"""Forward mode on rigid transforms: tangents carried as twists.

A :class:`Motion` is a rigid transform ``T = (R, p)`` whose derivative along each of K
directions is carried as a *spatial twist* ``(v_k, w_k)``: ``dT/dx_k = [w_k]^ T`` with
``[w]^`` the 4 x 4 matrix of angular velocity ``w`` and linear velocity ``v``, that is
``dR = w^ R`` and ``dp = w x p + v``.  Six numbers a direction instead of the twelve of a
:class:`~armsim.ad.dual.Dual` holding ``dR`` and ``dp``, and the chain rule of a product is
the adjoint map: for ``T = A B``,

    ``(v, w) = (v_A + R_A v_B + p_A x (R_A w_B),  w_A + R_A w_B)``,

a rotation and a cross product per direction (a ``Dual`` product multiplies 3 x 3 blocks).
This is the same forward-mode derivative, in the coordinates a rigid motion has: seeds,
products and read-out follow the chain rule with nothing written per robot.  A joint's turn
``Rot(a, q)`` about its origin has the twist ``(0, a dq)``, a slide ``(a dq, 0)``; a
transform given as Duals (an origin being calibrated) enters by :func:`from_duals`.

Tangents may be known zero outside a range of columns (``lo``): the twist arrays then hold
columns ``lo`` onwards only.  A chain seeded one-hot on its joint values thus grows one
column a joint, and a product of a transform by one joint's costs one column, not K.

Arrays carry any leading batch shape: values ``R (..., 3, 3)``, ``p (..., 3)``, twists
``v, w (..., 3, K - lo)``.
"""

from __future__ import annotations

import numpy as np

from armsim.ad import dual as ad

__all__ = ["Motion", "constant", "turn", "slide", "from_duals", "compose", "seeded_product",
           "seeded"]


class Motion:
    """A rigid transform ``(R, p)`` with twist tangents ``v``, ``w`` (None: constant) for
    columns ``lo`` to ``k`` (see the module)."""

    __slots__ = ("R", "p", "v", "w", "lo", "k")

    def __init__(self, R, p, v=None, w=None, lo=0, k=0):
        self.R, self.p, self.v, self.w, self.lo, self.k = R, p, v, w, lo, k

    @property
    def constant(self) -> bool:
        return self.v is None

    def full(self):
        """The twists over all K columns, ``(v, w)`` each (..., 3, K) (zeros where known)."""
        if self.v is None:
            z = np.zeros(np.shape(self.p) + (self.k,))
            return z, z.copy()
        if self.lo == 0 and self.v.shape[-1] == self.k:
            return self.v, self.w
        v, w = np.zeros(self.v.shape[:-1] + (self.k,)), np.zeros(self.w.shape[:-1] + (self.k,))
        v[..., self.lo:self.lo + self.v.shape[-1]] = self.v
        w[..., self.lo:self.lo + self.w.shape[-1]] = self.w
        return v, w

    def point_velocity(self, x=None):
        """Velocity (..., 3, K) of the point ``p + R x`` (x in the moving frame; None: the
        origin ``p``): ``v + w x point``."""
        return self._velocities(x, 3)

    def jacobian(self, x=None):
        """The pose Jacobian (..., 6, K) of the frame (its point ``x``): the linear velocity
        of the point, then the angular velocity."""
        return self._velocities(x, 6)

    def _velocities(self, x, rows):
        """The point's velocity (rows = 3), with the angular velocity below it (rows = 6)."""
        v, w = self.full()
        at = self.p if x is None else self.p + _rot(self.R, x)
        shape = v.shape if v.shape == w.shape and at.shape == v.shape[:-1] else \
            np.broadcast_shapes(v.shape, w.shape, at.shape + (1,))
        out = np.empty(shape[:-2] + (rows, shape[-1]))
        lin = out[..., :3, :]
        np.multiply(w[..., _N, :], at[..., _L, None], out=lin)        # w x point
        lin -= w[..., _L, :] * at[..., _N, None]
        lin += v
        if rows == 6:
            out[..., 3:, :] = w
        return out

    def duals(self):
        """``(R, p)`` as :class:`~armsim.ad.dual.Dual` (constants: arrays):
        ``dR = w^ R`` column by column, ``dp = v + w x p``."""
        if self.v is None:
            return self.R, self.p
        R = self.R
        w = self.full()[1]
        dR = np.empty(np.broadcast_shapes(R.shape[:-2], w.shape[:-2]) + (3, 3, w.shape[-1]))
        # a large batch in blocks of _BLOCK numbers (the short loops over K stay in cache)
        rows = len(dR) if R.ndim == w.ndim == dR.ndim - 1 and len(R) == len(w) else 0
        step = max(1, rows * _BLOCK // dR.size) if dR.size > _BLOCK else rows
        for at in [slice(None)] if not rows else (slice(s, s + step) for s in range(0, rows, step)):
            # dR[i, j] = (w x R[:, j])_i = w_(i+1) R_(i+2)j - w_(i+2) R_(i+1)j, all i, j at once
            Ra, wa, out = R[at], w[at], dR[at]                     # (..., 3 rows, 3 cols, K)
            np.multiply(wa[..., _N, None, :], Ra[..., _L, :, None], out=out)
            out -= wa[..., _L, None, :] * Ra[..., _N, :, None]
        return ad.Dual(R, dR), ad.Dual(self.p, self._velocities(None, 3))


_N, _L = np.array([1, 2, 0]), np.array([2, 0, 1])   # (a x b)_i = a_N[i] b_L[i] - a_L[i] b_N[i]
_BLOCK = 32768                                       # numbers a block of Motion.duals' dR


def _cross(a, b):
    """a x b over axis -2 (the 3 coordinates; the last axis the directions)."""
    out = a[..., _N, :] * b[..., _L, :]
    out -= a[..., _L, :] * b[..., _N, :]
    return out


def _cross_point(p, w):
    """p x w for points p (..., 3) and twists' vectors w (..., 3, K)."""
    out = p[..., _N, None] * w[..., _L, :]
    out -= p[..., _L, None] * w[..., _N, :]
    return out


def _rot(R, x):
    return np.matmul(R, x[..., None])[..., 0] if np.ndim(x) > 1 else R @ x


def _skews(a):
    """The cross-product matrices (n, 3, 3) of vectors a (n, 3): ``K x = a x x``."""
    x, y, z = a[:, 0], a[:, 1], a[:, 2]
    zero = np.zeros(len(a))
    return np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1),
                     np.stack([-y, x, zero], -1)], axis=-2)


def constant(R, p):
    return Motion(np.asarray(R, dtype=float), np.asarray(p, dtype=float))


def _scalar_tangent(q):
    """(value, tangent (..., K - lo), lo, K) of a Dual scalar q (...)."""
    t = q.tangent
    k = t.shape[-1]
    lo = getattr(q, "lo", 0)
    return q.value, t, lo, k


def turn(q, axis, k=None, lo=0):
    """``Rot(axis, q)`` about the origin: q a float array (...) or a Dual; its twist is
    ``(0, axis dq)``.  ``k``, ``lo``: a one-hot seed given without a Dual (q an array:
    its tangent is column ``lo`` of ``k``, equal to 1)."""
    axis = np.asarray(axis, dtype=float)
    x, y, z = axis.tolist()
    K = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])            # K u = axis x u
    if isinstance(q, ad.Dual):
        qv, dq, lo, k = _scalar_tangent(q)
    else:
        qv, dq = np.asarray(q, dtype=float), None
    c, s = np.cos(qv)[..., None, None], np.sin(qv)[..., None, None]
    R = np.eye(3) + s * K + (1.0 - c) * (K @ K)
    p = np.zeros(np.shape(qv) + (3,))
    if dq is None and k is None:
        return Motion(R, p)
    if dq is None:                         # one-hot: d q / d x_lo = 1
        w = np.broadcast_to(axis[:, None], np.shape(qv) + (3, 1)).copy()
    else:
        w = axis[:, None] * dq[..., None, :]
    return Motion(R, p, np.zeros_like(w), w, lo, k)


def slide(q, axis, k=None, lo=0):
    """``Trans(axis q)``: its twist is ``(axis dq, 0)`` (see :func:`turn`)."""
    axis = np.asarray(axis, dtype=float)
    if isinstance(q, ad.Dual):
        qv, dq, lo, k = _scalar_tangent(q)
    else:
        qv, dq = np.asarray(q, dtype=float), None
    R = np.broadcast_to(np.eye(3), np.shape(qv) + (3, 3))
    p = qv[..., None] * axis
    if dq is None and k is None:
        return Motion(R, p)
    if dq is None:
        v = np.broadcast_to(axis[:, None], np.shape(qv) + (3, 1)).copy()
    else:
        v = axis[:, None] * dq[..., None, :]
    return Motion(R, p, v, np.zeros_like(v), lo, k)


def from_duals(R, p):
    """A transform given as Duals or arrays (a rotation R and a position p) as a
    :class:`Motion`: ``w`` the axial vector of ``dR R^T``, ``v = dp - w x p``."""
    if not (isinstance(R, ad.Dual) or isinstance(p, ad.Dual)):
        return constant(R, p)
    Rv, pv = ad.value_of(R), ad.value_of(p)
    k = (R if isinstance(R, ad.Dual) else p).tangent.shape[-1]
    shape = np.broadcast_shapes(Rv.shape[:-2], pv.shape[:-1])
    if isinstance(R, ad.Dual):
        m = np.matmul(Rv[..., None, :, :], R.tangent)    # (dR R^T)[i, l] as m[..., i, l, :]
        w = 0.5 * (m[..., _L, _N, :] - m[..., _N, _L, :])  # its axial vector (m is skew)
    else:
        w = np.zeros(shape + (3, k))
    dp = p.tangent if isinstance(p, ad.Dual) else np.zeros(shape + (3, k))
    w = np.broadcast_to(w, shape + (3, k))
    v = dp + _cross_point(pv, w)                                       # dp - w x p
    return Motion(np.broadcast_to(Rv, shape + (3, 3)), np.broadcast_to(pv, shape + (3,)),
                  v, w.copy(), 0, k)


def compose(A, B):
    """``A B`` (see the module): the values' product, the twists by the adjoint of A."""
    R = np.matmul(A.R, B.R)
    p = A.p + _rot(A.R, B.p)
    if B.v is None:
        return Motion(R, p, A.v, A.w, A.lo, A.k)
    # B's twists seen from A's parent: (R_A v_B + p_A x (R_A w_B), R_A w_B)
    wB = np.matmul(A.R, B.w)
    vB = np.matmul(A.R, B.v) + _cross_point(A.p, wB)
    if A.v is None:
        return Motion(R, p, vB, wB, B.lo, B.k)
    if A.k != B.k:
        raise ValueError(f"twists of {A.k} and {B.k} directions cannot be combined")
    lo = min(A.lo, B.lo)
    hi = max(A.lo + A.v.shape[-1], B.lo + B.v.shape[-1])
    shape = np.broadcast_shapes(A.v.shape[:-1], vB.shape[:-1])
    if A.lo == lo and A.v.shape[-1] == hi - lo and B.lo == lo and B.v.shape[-1] == hi - lo:
        return Motion(R, p, A.v + vB, A.w + wB, lo, A.k)
    if B.lo >= A.lo + A.v.shape[-1] and A.lo == lo:          # disjoint, B after A: append
        gap = B.lo - (A.lo + A.v.shape[-1])
        parts_v = [np.broadcast_to(A.v, shape + (A.v.shape[-1],))]
        parts_w = [np.broadcast_to(A.w, shape + (A.w.shape[-1],))]
        if gap:
            parts_v.append(np.zeros(shape + (gap,)))
            parts_w.append(np.zeros(shape + (gap,)))
        parts_v.append(np.broadcast_to(vB, shape + (vB.shape[-1],)))
        parts_w.append(np.broadcast_to(wB, shape + (wB.shape[-1],)))
        return Motion(R, p, np.concatenate(parts_v, axis=-1), np.concatenate(parts_w, axis=-1),
                      lo, A.k)
    v, w = np.zeros(shape + (hi - lo,)), np.zeros(shape + (hi - lo,))
    for src_v, src_w, at in ((A.v, A.w, A.lo), (vB, wB, B.lo)):
        v[..., at - lo:at - lo + src_v.shape[-1]] += src_v
        w[..., at - lo:at - lo + src_w.shape[-1]] += src_w
    return Motion(R, p, v, w, lo, A.k)


def seeded_product(q, origin_R, origin_p, axes, prismatic, tool_R, tool_p, k, offset=0):
    """``O_0 J_0(q_0) O_1 J_1(q_1) ... T_tool`` with each ``q_i`` seeded one-hot (direction
    ``offset + i`` of ``k``): the rule of :func:`compose` applied to the whole product at
    once.  A factor's seed is one column, ``(0, a_i)`` for a turn and ``(a_i, 0)`` for a
    slide, and the product before it carries it to the base unchanged by what follows
    (``Ad`` of the factors on its left only), so column ``offset + i`` of the result is
    ``Ad_{T_(i-1) O_i}`` of it: ``w = R a``, ``v = o x w`` (a turn about the axis through
    the joint's origin ``o``) or ``v = R a``, ``w = 0`` (a slide).  The values are the
    plain product; the local turns of all factors are formed at once.

    q (..., n) floats; origin_R (n, 3, 3), origin_p (n, 3), axes (n, 3) unit, prismatic
    (n,) bools, tool_R (3, 3), tool_p (3,).  Returns the tool's :class:`Motion` (twists
    over all ``k`` columns)."""
    q = np.asarray(q, dtype=float)
    n = q.shape[-1]
    batch = q.shape[:-1]
    axes = np.asarray(axes, dtype=float)
    slide = np.asarray(prismatic, dtype=bool)
    K = np.where(slide[:, None, None], 0.0, _skews(axes))                # (n, 3, 3)
    a0 = np.einsum("nij,nj->ni", origin_R, axes)                          # axes, parent frame
    # every factor O_i J_i(q_i) at once, homogeneous (..., n, 4, 4)
    L = np.zeros(batch + (n, 4, 4))
    s, c1 = np.sin(q)[..., None, None], (1.0 - np.cos(q))[..., None, None]
    L[..., :3, :3] = origin_R + s * (origin_R @ K) + c1 * (origin_R @ (K @ K))
    L[..., :3, 3] = origin_p + np.where(slide[:, None], q[..., None] * a0, 0.0)
    L[..., 3, 3] = 1.0
    # the product, keeping what stands left of each factor (T_(i-1); the base: identity)
    left = np.empty(batch + (n, 4, 4))
    left[..., 0, :, :] = np.eye(4)
    T = L[..., 0, :, :]
    for i in range(1, n):
        left[..., i, :, :] = T
        T = T @ L[..., i, :, :]
    # each seed carried to the base by what stands left of its factor: its axis w = R a
    # and the joint's origin o = R p0 + p, one product for all joints
    M = np.zeros((n, 4, 2))
    M[:, :3, 0], M[:, :3, 1], M[:, 3, 1] = a0, origin_p, 1.0
    wo = left @ M                                                         # (..., n, 4, 2)
    z, o = np.swapaxes(wo[..., :3, 0], -1, -2), np.swapaxes(wo[..., :3, 1], -1, -2)
    R, p = T[..., :3, :3], T[..., :3, 3]
    return seeded(R @ tool_R, p + R @ tool_p, z, o, prismatic, k, offset)


def _identity(dq):
    """Whether the tangents ``dq`` (..., n, K) are the identity in every row: one row of
    n x n that is, repeated by broadcasting (strides 0, as objectives and
    :meth:`~armsim.ad.dual.Dual.variables` seed q), so only that row is read."""
    n = dq.shape[-1]
    if dq.shape[-2] != n or dq.size == 0 or any(dq.strides[:-2]):
        return False        # (an empty batch has no row to read; numpy gives it strides 0)
    eye = _EYES.get(n)
    if eye is None:
        eye = np.eye(n)
        if n <= 64:             # (kept for the sizes of arms, not of a 1,000-joint snake)
            _EYES[n] = eye
    return bool((dq[(0,) * (dq.ndim - 2)] == eye).all())


_EYES = {}                      # n -> np.eye(n), for :func:`_identity`


def seeded(R, p, z, o, prismatic, k=None, offset=0, dq=None, counts=None):
    """The tool ``(R, p)`` of a chain as a :class:`Motion` with joint ``i`` seeded one-hot
    (direction ``offset + i`` of ``k``, default n), given each joint's axis ``z_i`` and a
    point ``o_i`` on it in the base frame, (..., 3, n) each, after the product: the seed
    ``(0, a_i)`` of a turn carried to the base by the factors on its left is the twist
    ``(o_i x z_i, z_i)``, that ``(a_i, 0)`` of a slide ``(z_i, 0)`` (see
    :func:`seeded_product`), and nothing after joint i changes it.

    ``dq`` (..., n, K): the joint values' own tangents (a :class:`~armsim.ad.dual.Dual`'s),
    instead of one-hot seeds: the chain rule gives the tool's twists as those of the
    one-hot seeds times ``dq``, K columns.  With ``counts`` (m,) as well, ``R``, ``p`` are m
    frames (..., m, 3, 3), (..., m, 3) along the chain, frame f after the first
    ``counts[f]`` joints, whose twists are those of these joints times their ``dq``."""
    if dq is not None and _identity(dq):
        dq = None               # one-hot seeds already: the product by I leaves the same numbers
        k = z.shape[-1]
    v = _cross(o, z)                                                      # o x z
    w = z
    if any(prismatic):
        slide = np.asarray(prismatic, dtype=bool)
        v, w = np.where(slide, z, v), np.where(slide, 0.0, z)
    if counts is not None:                  # (..., m, 3, n): joint j counts in frame f
        upto = np.arange(z.shape[-1]) < np.asarray(counts)[:, None, None]
        v, w = v[..., None, :, :] * upto, w[..., None, :, :] * upto
        if dq is not None:
            dq = dq[..., None, :, :]
    if dq is not None:
        return Motion(R, p, np.matmul(v, dq), np.matmul(w, dq), 0, dq.shape[-1])
    return Motion(R, p, v, w, offset, z.shape[-1] if k is None else k)

