"""Distances written with :mod:`armsim.ad.dual`'s operators, so objectives built on them
get their Jacobian from forward-mode AD (no derivative is written by hand here).

Every function takes plain arrays or :class:`~armsim.ad.dual.Dual` values with a
leading batch axis and returns the same kind.  ``chain_points`` gives the points the
links run between: for a planar :class:`~armsim.kinematics.planar.Chain` the base, each
joint and the tip (B, N + 1, 2); for a :class:`~armsim.kinematics.spatial.SpatialChain`
the base, the origin of every link frame and the tool (B, n + 2, 3) (consecutive points
may coincide: a zero-length segment is a point).

Nearest points found on the values, distances on the duals
-----------------------------------------------------------
``segment_segment_distance`` and ``segment_box_distance`` are minima over the points of
the segments.  The parameters of the nearest points are found on the plain values
(:func:`closest_params` in closed form; a golden-section search for the box, whose
distance is convex along a segment), then the distance between those points is written
with the dual operators.  By the envelope theorem (the parameter ranges do not depend on
q) its derivative is that of the minimum wherever the nearest points are unique, so the
Jacobian is right without differentiating the search.
"""

from __future__ import annotations

import numpy as np

from armsim.ad import dual as ad
from armsim.ik.recent import Recent
from armsim.kinematics.planar import joint_positions

__all__ = ["chain_points", "is_spatial", "is_tree", "segment_ends", "dot", "norm", "point_segment_distance",
           "segment_distances", "point_at", "closest_params", "segment_segment_distance",
           "point_box_distance", "segment_box_distance", "margin_residual", "long_links"]

EPS2 = 1e-24    # [m^2] a segment shorter than 1e-12 m counts as a point
MEET = 1e-12    # closest points nearer than this times the coordinates' size have met


def is_spatial(chain) -> bool:
    return hasattr(chain, "pose_and_jacobian") or is_tree(chain)


def is_tree(chain) -> bool:
    """A whole robot (:class:`~armsim.kinematics.tree.Robot`): its points are its links'
    origins, its segments run from each link's parent to it."""
    return hasattr(chain, "poses") and hasattr(chain, "tips")


def chain_points(chain, q):
    """Base, joints (link origins) and tip/tool: (B, P, 2) planar, (B, P, 3) spatial; a
    robot's link origins in the order of ``robot.links`` (B, L, 3)."""
    if is_tree(chain):
        return chain.link_positions(q)
    if is_spatial(chain):
        return chain.frames(q)[1]
    return joint_positions(q, chain.lengths, chain.base)


def segment_ends(chain):
    """The points each link segment runs between, as indices into :func:`chain_points`:
    ``(a, b)``; None for a chain (consecutive points)."""
    if not is_tree(chain):
        return None
    a, b = zip(*chain.segments)
    return np.array(a, dtype=np.intp), np.array(b, dtype=np.intp)


def dot(a, b):
    """Sum over the last axis of ``a * b``."""
    return ad.sum(a * b, axis=-1)


def norm(a):
    """Euclidean length over the last axis.  Its slope ``a / |a|`` is taken as 0 at 0, where
    the length has none (a cone's tip): finite, and a residual that is 0 there is flat.

    A vector whose largest coordinate is below 2^-480 or above 2^480 (its squares
    underflowed to 0 below 1e-162: a length of 0 and a slope of 0; or overflowed: inf) is
    ``a . u``, ``u = a / |a|`` found on the values scaled by a power of two (exact): the
    same length, and the same slope (``u`` is the direction the length grows along), as
    :func:`armsim.ad.dual.hypot`'s ratios.  Other vectors keep ``sqrt(a . a)``'s bits."""
    big = np.max(np.abs(_val(a)), axis=-1, initial=0.0)
    far = np.isfinite(big) & (big != 0.0) & ((big < 2.0 ** -480) | (big > 2.0 ** 480))
    if not np.any(far):
        return ad.sqrt(dot(a, a))
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        b = _val(a) / np.ldexp(1.0, np.frexp(big)[1] - 1)[..., None]     # (within [1, 2))
        u = np.where(far[..., None], b / np.sqrt(np.sum(b * b, axis=-1, keepdims=True)), 0.0)
        return ad.where(far, dot(a, u), ad.sqrt(dot(a, a)))


def point_segment_distance(p, a, b):
    """Distance from points ``p`` to segments ``a``-``b`` (broadcast over leading axes; the
    last axis is the coordinate).  Returns ``(distance, t)``: t in [0, 1] locates the
    nearest point ``a + t (b - a)``."""
    ab = b - a
    ap = p - a
    den = dot(ab, ab)
    den_v = ad.value_of(den)
    safe = ad.where(den_v > EPS2, den, np.ones_like(den_v))
    t = ad.clip(dot(ap, ab) / safe, 0.0, 1.0)
    t = ad.where(den_v > EPS2, t, np.zeros_like(den_v))
    nearest = a + ad.reshape(t, np.shape(ad.value_of(t)) + (1,)) * ab
    return norm(p - nearest), t


def segment_distances(points, center):
    """Distance from ``center`` (d,) to every link segment: points (B, P, d) -> (B, P - 1)."""
    a, b = points[:, :-1], points[:, 1:]
    c = np.asarray(center, dtype=float)
    return point_segment_distance(c, a, b)[0]


def point_at(points, s):
    """The point ``s`` along the chain (B, d): ``s = k`` is ``points[:, k]`` (0 the base),
    a fraction lies on the link from ``floor(s)`` to ``floor(s) + 1``."""
    k = int(np.floor(s))
    last = ad.value_of(points).shape[1] - 1
    k = min(max(k, 0), last)
    frac = float(s) - k
    if frac <= 0.0 or k == last:
        return points[:, k]
    return points[:, k] * (1.0 - frac) + points[:, k + 1] * frac


def _val(x):
    return np.asarray(ad.value_of(x), dtype=float)


def _col(t):
    return ad.reshape(t, np.shape(ad.value_of(t)) + (1,))


def closest_params(a, b, c, d):
    """Parameters ``(s, t)`` in [0, 1] of the nearest points ``a + s (b - a)`` and
    ``c + t (d - c)`` of two segments (plain arrays, broadcast over leading axes)."""
    a, b, c, d = (_val(x) for x in (a, b, c, d))
    d1, d2, r = b - a, d - c, a - c
    aa, ee = np.sum(d1 * d1, -1), np.sum(d2 * d2, -1)
    ff, cc, bb = np.sum(d2 * r, -1), np.sum(d1 * r, -1), np.sum(d1 * d2, -1)
    pa, pe = aa > EPS2, ee > EPS2
    safe_a, safe_e = np.where(pa, aa, 1.0), np.where(pe, ee, 1.0)
    den = aa * ee - bb * bb
    par = den <= 1e-12 * np.maximum(aa * ee, EPS2)       # parallel (or a point)
    s = np.where(par, 0.0, np.clip((bb * ff - cc * ee) / np.where(par, 1.0, den), 0.0, 1.0))
    s = np.where(pa, s, 0.0)
    t = np.where(pe, (bb * s + ff) / safe_e, 0.0)
    lo, hi = t < 0.0, t > 1.0
    t = np.clip(t, 0.0, 1.0)
    s = np.where(lo, np.clip(-cc / safe_a, 0.0, 1.0), s)
    s = np.where(hi, np.clip((bb - cc) / safe_a, 0.0, 1.0), s)
    s = np.where(pa, s, 0.0)
    return s, t


def segment_segment_distance(a, b, c, d):
    """Distance between segments ``a``-``b`` and ``c``-``d`` (duals welcome; broadcast
    over leading axes, the last is the coordinate)."""
    s, t = closest_params(a, b, c, d)
    p = a + _col(s) * (b - a)
    q = c + _col(t) * (d - c)
    # segments that cross meet at the closest points up to rounding: a difference of 1e-17
    # is 0 (the distance is 0 all around, so its slope is; norm's slope at 1e-17 was a unit
    # vector in a direction rounding picked)
    diff = p - q
    # (each pair's own size: one of the whole batch made a row's answer depend on the others)
    size = 1.0 + np.max(np.stack(np.broadcast_arrays(
        *(np.max(np.abs(_val(x)), axis=-1) for x in (a, b, c, d)))), axis=0)
    apart = np.sqrt(np.sum(_val(diff) ** 2, axis=-1)) > MEET * size
    return norm(diff * _col(apart.astype(float)))


def point_box_distance(p, center, half):
    """Signed distance from points ``p`` to the axis-aligned box ``center +- half``
    (negative inside): ``|max(|p - c| - h, 0)| + min(max_i (|p - c| - h)_i, 0)``."""
    e = ad.abs(p - np.asarray(center, float)) - np.asarray(half, float)
    outside = norm(ad.maximum(e, 0.0))
    inner = e[..., 0]
    for i in range(1, np.shape(ad.value_of(e))[-1]):
        inner = ad.maximum(inner, e[..., i])
    return outside + ad.minimum(inner, 0.0)


GOLDEN_STEPS = 40   # golden-section steps of segment_box_distance: the bracket shrinks 0.618^40


def segment_box_distance(a, b, center, half):
    """Signed distance from segments ``a``-``b`` to the axis-aligned box ``center +-
    half``: the smallest :func:`point_box_distance` along the segment (convex in the
    parameter, so a golden-section search on the values finds its minimum)."""
    av, bv = _val(a), _val(b)
    c, h = np.asarray(center, float), np.asarray(half, float)

    def f(t):
        return point_box_distance(av + t[..., None] * (bv - av), c, h)

    shape = np.broadcast_shapes(av.shape, bv.shape)[:-1]
    lo, hi = np.zeros(shape), np.ones(shape)
    g = 0.5 * (np.sqrt(5.0) - 1.0)
    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    f1, f2 = f(x1), f(x2)
    for _ in range(GOLDEN_STEPS):
        left = f1 <= f2
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x1n, x2n = hi - g * (hi - lo), lo + g * (hi - lo)
        x2, x1 = np.where(left, x1, x2n), np.where(left, x1n, x2)
        fa = f(np.where(left, x1, x2))
        f2, f1 = np.where(left, f1, fa), np.where(left, fa, f2)
    t = 0.5 * (lo + hi)
    # the ends: the minimum of a convex function on [0, 1] may sit there exactly
    cand = np.stack([np.zeros(shape), t, np.ones(shape)], -1)
    best = np.take_along_axis(cand, np.argmin(np.stack([f(cand[..., i]) for i in range(3)], -1),
                                              -1)[..., None], -1)[..., 0]
    d = point_box_distance(a + _col(best) * (b - a), c, h)
    if not isinstance(d, ad.Dual):
        return d
    return _inside_kink(d, a, b, av, bv, best, c, h)


def _inside_kink(d, a, b, av, bv, t, c, h):
    """:func:`segment_box_distance`'s derivative where the smallest distance along the
    segment lies inside the box between its ends: there ``V = min_t max_k e_k(t)`` (``e_k``
    the depth past face k, each side of each axis a face of its own) sits on a kink where
    two faces' depths meet, and the point moves along the segment as q moves, so the
    derivative is not one face's at a fixed t.  With ``s_k = de_k/dt`` (of opposite signs)
    it is ``(s_i e_j' - s_j e_i') / (s_i - s_j)``, the derivative of the meeting point's
    depth: two faces of one axis meet where the segment crosses the box's middle plane,
    at a depth of ``-h`` that does not move (a slope of 0).  Elsewhere (outside the box, or
    at an end) the minimum is smooth in t or at a fixed t, and ``d`` stands."""
    p = av + t[..., None] * (bv - av)
    rel = p - c
    inside = np.all(np.abs(rel) - h < 0.0, axis=-1) & (t > 0.0) & (t < 1.0)
    if not np.any(inside):
        return d
    e = np.concatenate([rel - h, -rel - h], axis=-1)         # each face's depth (..., 2 dim)
    order = np.argsort(e, axis=-1)
    i, j = order[..., -1], order[..., -2]                   # the two deepest-reaching faces
    slope = np.concatenate([bv - av, av - bv], axis=-1) * np.ones_like(e)     # de_k/dt
    si = np.take_along_axis(slope, i[..., None], -1)[..., 0]
    sj = np.take_along_axis(slope, j[..., None], -1)[..., 0]
    ei = np.take_along_axis(e, i[..., None], -1)[..., 0]
    ej = np.take_along_axis(e, j[..., None], -1)[..., 0]
    scale = 1.0 + np.max(np.abs(h))
    kink = inside & (si * sj < 0.0) & (np.abs(ei - ej) <= 1e-6 * scale)
    if not np.any(kink):
        return d
    # the depths as Duals at the found t (their slopes in q at a fixed t)
    rd = a + _col(t) * (b - a) - c
    depth = ad.concatenate([rd - h, -rd - h], axis=-1)
    di = _pick(depth, i)
    dj = _pick(depth, j)
    wi = np.where(kink, -sj / np.where(kink, si - sj, 1.0), 0.0)   # weights summing to 1
    wj = np.where(kink, si / np.where(kink, si - sj, 1.0), 0.0)
    keep = np.where(kink, 0.0, 1.0)
    # the value stays d's (e_i = e_j there up to the search's bracket)
    mixed = d * keep + (di * wi + dj * wj)
    return ad.Dual(ad.value_of(d), mixed.tangent)


def _pick(x, index):
    """``x[..., index]`` along the last axis, ``index`` an int array of x's leading shape
    (duals welcome)."""
    v = ad.value_of(x)
    out = None
    for k in range(np.shape(v)[-1]):
        term = x[..., k] * (index == k).astype(float)
        out = term if out is None else out + term
    return out


def samples(chain, count, seed=0):
    """``count`` joint vectors (count, n) drawn within the joint limits (each range cut to
    [-pi, pi]; a chain without limits: [-pi, pi]), the first the middle of the ranges."""
    n = chain.n
    lim = getattr(chain, "limits", None)
    lim = np.tile([-np.pi, np.pi], (n, 1)) if lim is None else np.asarray(lim, dtype=float)
    lo, hi = np.maximum(lim[:, 0], -np.pi), np.minimum(lim[:, 1], np.pi)
    lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
    q = np.random.default_rng(seed).uniform(lo, hi, (count, n))
    q[0] = 0.5 * (lo + hi)
    return q


_PROBED = Recent(16)    # chain -> :func:`_probed`'s points (a chain does not change)


def _probed(chain):
    """The chain's points (5, P, d) at the start (the joints at 0, within the limits) and
    in ``samples(chain, 4, seed=7)``: what :func:`moving_points` and :func:`long_links`
    judge, computed once per chain (each objective's bind asks again; the 16 chains used
    last are kept), read-only."""
    got = _PROBED.get(chain)
    if got is None:
        start = np.asarray(chain.clip(np.zeros(chain.n)), dtype=float)[None]
        got = np.asarray(chain_points(chain, np.concatenate([start, samples(chain, 4, seed=7)])),
                         dtype=float)
        got.setflags(write=False)
        got = _PROBED.setdefault(chain, got)
    return got


def moving_points(chain):
    """(P,) whether each of the chain's points (:func:`chain_points`) moves with
    some joint (in 4 configurations within the limits: a point no joint moves -- the
    base, a link fixed to it -- is the same in all)."""
    pts = _probed(chain)[1:]
    return np.any(np.linalg.norm(pts - pts[:1], axis=-1) > 1e-9, axis=0)


def long_links(chain):
    """(L,) whether each link segment (consecutive points of a chain, a robot's
    :func:`segment_ends`) is longer than 1e-12 m at the start (the joints at 0, within the
    limits) or in any of :func:`moving_points`' configurations: a slide's link, of no
    length while it is at 0, is one once it moves out."""
    pts = _probed(chain)
    ends = segment_ends(chain)
    a, b = (pts[:, :-1], pts[:, 1:]) if ends is None else (pts[:, ends[0]], pts[:, ends[1]])
    return np.any(np.linalg.norm(b - a, axis=-1) > 1e-12, axis=0)


def apart_pairs(pts, ia, ib, long=None):
    """A robot's pairs of segments (of nonzero length: ``long``, else at ``pts``) that
    share no end point at ``pts``: ends at one place (a joint with no offset) count as one
    point, so links joined through a zero-length segment are neighbours, as in a chain."""
    length = np.linalg.norm(pts[ib] - pts[ia], axis=-1)
    links = np.flatnonzero(length > 1e-12 if long is None else long)
    same = np.linalg.norm(pts[:, None] - pts[None], axis=-1) <= 1e-12     # (P, P)
    pairs = []
    for x, i in enumerate(links):
        for j in links[x + 1:]:
            if not (same[ia[i], ia[j]] or same[ia[i], ib[j]] or same[ib[i], ia[j]]
                    or same[ib[i], ib[j]]):
                pairs.append((i, j))
    return pairs


def margin_residual(ctx, distance, margin, owner):
    """An obstacle's or self-collision's residual (``owner`` the objective; ``ctx`` its
    pass, :class:`armsim.ik.objectives._Pass`):
    ``sqrt(sum max(0, margin - d)^2)`` (B, 1) of ``distance(points)`` (B, k).  With a
    Dual q, a row whose every distance is at least the margin is 0 with a zero derivative:
    it takes no Dual pass (none left: a plain zero array, far from every obstacle); after
    a call whose every row was near, the next takes the Dual pass at once (the same bits)."""
    def residual(points):
        return norm(ad.maximum(margin - distance(points), 0.0))[:, None]
    if not isinstance(ctx.q, ad.Dual) or owner.__dict__.get("_all_near"):
        r = residual(ctx.points)
        if isinstance(ctx.q, ad.Dual):
            owner._all_near = bool(np.all(ad.value_of(r) > 0.0))
        return r
    d = distance(ctx.plain_points)
    near = np.flatnonzero(~np.all(d >= margin, axis=-1))     # NaN too: the Dual pass
    owner._all_near = near.size == len(d)
    if not near.size:
        return np.zeros((len(d), 1))
    if near.size == len(d):
        return residual(ctx.points)
    r = residual(ctx.points_of(near))
    value = np.zeros((len(d), 1))
    tangent = np.zeros((len(d), 1, r.tangent.shape[-1]))
    value[near], tangent[near] = r.value, r.tangent
    return ad.Dual(value, tangent)
