"""The few kinematic quantities the solvers need, for a batch of arms.

The tip Jacobian is forward-mode AD (:class:`armsim.ad.dual.Dual` seeded with
identity tangents on the angles), evaluated on the tip alone: it is the same
derivative as :meth:`armsim.Chain.tip_and_jacobian` (a test checks it), at
about half the cost, because the solvers never need the other joints'
tangents.  Plain positions (no derivatives) are plain numpy.
"""

from __future__ import annotations

import numpy as np

from armsim.ad import dual as ad

__all__ = ["tip", "tip_and_jacobian", "joints", "workspace", "aim_points", "wrap"]


def tip(chain, q):
    """Tip positions (B, 2) [m] for angles q (B, N) [rad]."""
    theta = np.cumsum(q, axis=-1)
    return np.stack([(chain.lengths * np.cos(theta)).sum(-1),
                     (chain.lengths * np.sin(theta)).sum(-1)], axis=-1) + chain.base


_PHASE = np.array([[0.0], [0.5 * np.pi]])
_SEEDS = {}   # tangents of cumsum(q) along q (read-only broadcasts), by shape of q


def tip_and_jacobian(chain, q):
    """Tip (B, 2) [m] and its Jacobian d tip / d q (B, 2, N) [m/rad], by forward-mode AD.

    Both coordinates come from one cosine, ``x = sum_i l_i cos(theta_i)`` and
    ``y = sum_i l_i cos(theta_i - pi/2)``, with ``theta = cumsum(q)`` the absolute
    angles: a :class:`~armsim.ad.dual.Dual` of shape (B, 2, N) seeded with its tangent
    along the relative angles, ``d theta_i / d q_j = [j <= i]`` (the identity pushed
    through the cumulative sum, a constant).  The cosine and the weighted sum
    over the segments then run on the Dual: a product and a sum for a small
    batch (fewer Python-level steps), one ``matmul`` with the lengths for a large
    one (one pass over the tangents).  The two agree to rounding.
    """
    seed = _SEEDS.get(q.shape)
    if seed is None:
        n = q.shape[-1]
        seed = _SEEDS[q.shape] = np.broadcast_to(np.tril(np.ones((n, n))),
                                                 q.shape[:-1] + (2, n, n))
        if len(_SEEDS) > 64:
            _SEEDS.clear()
    c = ad.cos(ad.Dual(np.cumsum(q, axis=-1)[..., None, :] - _PHASE, seed))
    if q.size <= 16 * q.shape[-1]:
        xy = ad.sum(chain.lengths * c, axis=-1)
    else:
        xy = ad.matmul(c, chain.lengths)
    return xy.value + chain.base, xy.tangent


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
