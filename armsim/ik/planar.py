"""The few kinematic quantities the solvers need, for a batch of arms.

The tip Jacobian is the structured forward-mode pass of
:meth:`armsim.Chain.jacobian` (one-hot tangents on the absolute angles, then the
triangular chain rule of their cumulative sum), without the validation: the
solvers call it every iteration.  Plain positions (no derivatives) are plain numpy.
The restarts' bending patterns (:func:`_restart_table`) are here too.

Unreachable targets
-------------------
The tip is never sent to a point it cannot reach: a target outside the
workspace annulus of the chain (farther than the reach ``R``, or inside the
hole ``2 max(l) - R`` of an arm with one long segment) is replaced, for the
steps, by the nearest point of the annulus (:func:`~armsim.ik.planar.aim_points`).
Every method then minimises the distance to a point it can reach, so its
step sizes shrink to zero there (the original ``clip`` law, whose limit is
proportional to the distance, would otherwise keep a constant limit beyond
reach and oscillate).  The problem ends when the tip is within ``tol`` of
that point, or when the error stops falling; it reports ``success=False``,
``reason="unreachable"``, and ``residual`` measured to the true target.
"""

from __future__ import annotations

import functools

import numpy as np

from armsim.kinematics.planar import tip_and_angle_jacobian

__all__ = ["tip", "tip_and_jacobian", "joints", "workspace", "aim_points", "wrap", "SCALES",
           "fold_plan", "folded", "limited_table", "nearest_entry",
           "limited_start"]


def tip(chain, q):
    """Tip positions (B, 2) [m] for angles q (B, N) [rad]."""
    theta = np.cumsum(q, axis=-1)
    out = np.empty(theta.shape[:-1] + (2,))
    out[..., 0] = np.add.reduce(np.cos(theta) * chain.lengths, axis=-1)
    out[..., 1] = np.add.reduce(np.sin(theta) * chain.lengths, axis=-1)
    out += chain.base
    return out


def tip_and_jacobian(chain, q):
    """Tip (B, 2) [m] and its Jacobian d tip / d q (B, 2, N) [m/rad], by forward-mode AD.

    The structured pass of :func:`armsim.kinematics.planar.tip_and_angle_jacobian` (the
    one :meth:`armsim.Chain.jacobian` runs): the absolute angles ``theta = cumsum(q)``
    are seeded with one-hot tangents (each segment's ``l_i (cos, sin)(theta_i)``
    depends on its own ``theta_i`` only: one tangent entry per element), and the
    triangular chain rule of the cumulative sum, ``d tip / d q_j = sum_{i>=j} d tip /
    d theta_i``, gives the columns.  O(N) per arm; the tip is :func:`tip`'s, bit for bit.
    """
    return tip_and_angle_jacobian(q, chain.lengths, chain.base)


def joints(chain, q):
    """Base, joints and tip (B, N+1, 2) [m] for angles q (B, N) [rad]."""
    theta = np.cumsum(q, axis=-1)
    steps = chain.lengths[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=-1)
    pts = np.cumsum(steps, axis=-2) + chain.base
    base = np.broadcast_to(chain.base, q.shape[:-1] + (1, 2))
    return np.concatenate([base, pts], axis=-2)


def workspace(chain):
    """Inner and outer radius [m] of the annulus the tip of an unlimited chain can reach.

    The outer radius is the reach ``R``; the inner one is ``max(0, 2 max(l) - R)``
    (the longest segment folded back on all the others).
    """
    reach = chain.reach
    return max(0.0, 2.0 * float(chain.lengths.max()) - reach), reach


def fold_plan(lengths):
    """How an arm with a hole (its longest segment longer than all the others together)
    folds so that its tip lies at a distance r from the base near the inner circle, where
    the restarts' bending patterns cannot reach (that takes turns of pi): the segments
    before the longest one straight and folded back on it (its joint at pi), those after it
    straight and bent by ``arccos((r^2 - a) / b)`` at their first joint (or, when the
    longest is the last, the segments before it bent so at its joint).  Returns (the joint
    bent, the joint at pi or -1, a, b), exact for r from the inner radius up to
    ``l_max - A + C`` (A, C: the lengths before and after the longest); None for an arm
    of one segment."""
    lengths = np.asarray(lengths, dtype=float)
    m = int(np.argmax(lengths))
    before, after, longest = float(lengths[:m].sum()), float(lengths[m + 1:].sum()), float(
        lengths[m])
    if after > 0.0:
        near = longest - before
        return m + 1, (m if m > 0 else -1), near * near + after * after, 2.0 * near * after
    if before > 0.0:
        return m, -1, before * before + longest * longest, 2.0 * before * longest
    return None


def folded(plan, r, shape, limits=None):
    """The arm folded so that its tip is at the distances r (k,) from the base
    (:func:`fold_plan`'s ``plan``), bent to the side of the sign of the pattern ``shape``
    (n,) at the bent joint, base angle 0: (which rows it reaches, within the limits (n, 2)
    (k,), the joint vectors (k, n)).  Past ``l_max - A + C`` it cannot reach r (the bend
    would be 0 and the tip nearer): those rows keep the pattern's start."""
    j, flip, a, b = plan
    fold = np.zeros((len(r), len(shape)))
    if flip >= 0:
        fold[:, flip] = np.pi
    c = (r * r - a) / b
    bend = np.arccos(np.clip(c, -1.0, 1.0))
    fold[:, j] = bend if shape[j] >= 0.0 else -bend
    exact = c <= 1.0                # beyond, the fold cannot reach r: the pattern's start
    if limits is None:
        return exact, fold
    return exact & np.logical_and.reduce((fold >= limits[:, 0]) & (fold <= limits[:, 1]),
                                         axis=1), fold


def aim_points(chain, targets, radii=None):
    """Where each target sends the tip, and whether it is reachable.

    A target inside the workspace annulus is its own aim.  A target outside it
    (beyond the reach, or inside the hole of an arm with one long segment) is
    replaced by the nearest point of the annulus: the target pulled radially
    onto the circle of radius ``R`` (or pushed onto the inner circle).  For a
    target exactly at the base with a hole, +x is taken as the direction.

    Parameters
    ----------
    chain : Chain
    targets : ndarray (B, 2) [m]
    radii : (float, float), optional
        ``workspace(chain)``, when already known.

    Returns
    -------
    aim : ndarray (B, 2) [m]
    reachable : ndarray (B,) bool
        False when the target lies outside the annulus (joint limits are not
        considered: a target can also be out of reach because of them).
    """
    r_in, r_out = workspace(chain) if radii is None else radii
    rel = targets - chain.base
    dist = np.sqrt(np.einsum("bi,bi->b", rel, rel))
    reachable = (dist <= r_out) & (dist >= r_in)
    if reachable.all():
        return targets, reachable
    safe = np.where(dist > 0, dist, 1.0)
    unit = np.where((dist > 0)[:, None], rel / safe[:, None], np.array([1.0, 0.0]))
    radius = np.clip(dist, r_in, r_out)
    aim = np.where(reachable[:, None], targets, chain.base + radius[:, None] * unit)
    return aim, reachable


def wrap(a):
    """Angles wrapped to [-pi, pi)."""
    return (a + np.pi) % (2.0 * np.pi) - np.pi


SCALES = np.linspace(0.0, np.pi, 64)   # bend scales of the geometric restart starts


def _restart_table(lengths, restarts, seed):
    """Bending patterns of the restarts (restarts, n), uniform in [-1, 1) per joint, drawn
    from ``default_rng(seed)``, and the tip's distance from the base at each of the
    :data:`SCALES` (restarts, 64).  Cached for an integer seed."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return _restart_table_cached(lengths.tobytes(), restarts, int(seed))
    return _make_restart_table(lengths, restarts, seed)


@functools.lru_cache(maxsize=64)
def _restart_table_cached(lengths_bytes, restarts, seed):
    return _make_restart_table(np.frombuffer(lengths_bytes), restarts, seed)


def _make_restart_table(lengths, restarts, seed):
    rng = np.random.default_rng(seed)
    shapes = rng.uniform(-1.0, 1.0, size=(restarts, lengths.size))
    theta = np.cumsum(SCALES[None, :, None] * shapes[:, None, :], axis=-1)
    dist = np.hypot((lengths * np.cos(theta)).sum(-1), (lengths * np.sin(theta)).sum(-1))
    shapes.setflags(write=False)
    dist.setflags(write=False)
    return shapes, dist


#: a planar chain with joint limits restarts from this many joint vectors sampled within
#: them (the patterns, turned at the base to point at the aim, are clipped by the limits)
LIMITED_TABLE = 1024
LIMITED_STREAM = 0x11A17   # the table's random stream: default_rng([seed, LIMITED_STREAM])
_LIMITED = {}              # (lengths, base, limits, seed) -> (joint vectors, tips)


def limited_table(chain, seed):
    """Joint vectors (LIMITED_TABLE, n) uniform within the limits of a planar chain (a side
    left open: the turn next to the other side, or [-pi, pi] with both open), drawn from
    ``default_rng([seed, LIMITED_STREAM])`` (a SeedSequence: that stream spawned from it;
    any other seed: ``default_rng(seed)``), and their tips (LIMITED_TABLE, 2), read-only;
    kept for an integer seed (a few chains at a time)."""
    key = None
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        key = (chain.lengths.tobytes(), np.asarray(chain.base, float).tobytes(),
               chain.limits.tobytes(), int(seed))
        hit = _LIMITED.get(key)
        if hit is not None:
            return hit
        rng = np.random.default_rng([int(seed), LIMITED_STREAM])
    elif isinstance(seed, np.random.SeedSequence):
        rng = np.random.default_rng(np.random.SeedSequence(
            seed.entropy, spawn_key=tuple(seed.spawn_key) + (LIMITED_STREAM,),
            pool_size=seed.pool_size))
    else:
        rng = np.random.default_rng(seed)
    lo, hi = chain.limits[:, 0], chain.limits[:, 1]
    lo, hi = (np.where(np.isfinite(lo), lo, np.where(np.isfinite(hi), hi - 2.0 * np.pi, -np.pi)),
              np.where(np.isfinite(hi), hi, np.where(np.isfinite(lo), lo + 2.0 * np.pi, np.pi)))
    qs = rng.uniform(lo, hi, (LIMITED_TABLE, chain.n))
    tips = tip(chain, qs)
    for a in (qs, tips):
        a.setflags(write=False)
    if key is not None:
        if len(_LIMITED) >= 16:
            _LIMITED.clear()
        _LIMITED[key] = (qs, tips)
    return qs, tips


def nearest_entry(tips, aim, k):
    """The index (B,) of the entry whose tip is the k-th nearest each aim (B, 2) (squared
    distances, elementwise: the same bits for one aim or many; ties the lower index first),
    in blocks of 256 aims."""
    out = np.empty(len(aim), dtype=np.intp)
    for s in range(0, len(aim), 256):
        a = aim[s:s + 256]
        dx = tips[None, :, 0] - a[:, 0, None]
        dy = tips[None, :, 1] - a[:, 1, None]
        d = dx * dx + dy * dy
        out[s:s + len(a)] = (d.argmin(axis=1) if k == 0 else
                             np.argsort(d, axis=1, kind="stable")[:, k])
    return out


def limited_start(chain, table, seed, q, aim, k):
    """Restart ``k``'s starts (B, n) on a chain with limits: each pattern's start of q
    (B, n, not clipped), or where it leaves the limits, the entry of the table
    (:func:`limited_table` of ``seed``, kept in the list ``table`` when first needed) whose
    tip is the k-th nearest the aim (B, 2); clipped."""
    lo, hi = chain.limits[:, 0], chain.limits[:, 1]
    out = np.flatnonzero(np.logical_or.reduce((q < lo) | (q > hi), axis=1))
    if out.size and k < LIMITED_TABLE:
        if not table:
            table.extend(limited_table(chain, seed))
        qs, tips = table
        q[out] = qs[nearest_entry(tips, aim[out], k)]
    return chain.clip(q)
