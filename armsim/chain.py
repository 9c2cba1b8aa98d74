"""The planar serial chain.

Kinematics are plain array maths (:func:`joint_positions`) that run unchanged
on floats, arrays and :class:`~armsim.dual.Dual`: the absolute angle of each
segment is the cumulative sum of the relative joint angles, each segment adds
``length * (cos, sin)`` of its absolute angle, and a cumulative sum of those
steps gives every joint.  The tip Jacobian comes from seeding the angles (and,
when asked, the lengths and the base) with identity tangents: one forward
pass, every column, for one arm or a batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import dual as ad

__all__ = ["Chain", "joint_positions", "tip_position", "WRT_CHOICES"]

WRT_CHOICES = ("angles", "lengths", "base")


def joint_positions(q, lengths, base=(0.0, 0.0)):
    """Positions of the base, every joint and the tip.

    Parameters
    ----------
    q : array_like or Dual, shape (..., N) [rad]
        Joint angles, each relative to the previous segment (the first one
        relative to the +x axis).
    lengths : array_like or Dual, shape (N,) or (..., N) [m]
    base : array_like or Dual, shape (2,) or (..., 2) [m]

    Returns
    -------
    ndarray or Dual, shape (..., N + 1, 2): base first, tip last.
    """
    theta = ad.cumsum(q, axis=-1)                    # absolute angles
    c, s = ad.cos_sin(theta)
    steps_x = lengths * c
    steps_y = lengths * s
    if not isinstance(base, ad.Dual):
        base = np.asarray(base, dtype=float)
    bx, by = base[..., 0], base[..., 1]
    xs = ad.cumsum(steps_x, axis=-1) + _expand(bx)
    ys = ad.cumsum(steps_y, axis=-1) + _expand(by)
    pts = ad.stack([xs, ys], axis=-1)                # (..., N, 2)
    base_pt = _expand(base, axis=-2)                 # (..., 1, 2)
    base_pt = ad.broadcast_to(base_pt, ad.value_of(pts).shape[:-2] + (1, 2))
    return ad.concatenate([base_pt, pts], axis=-2)


def tip_position(q, lengths, base=(0.0, 0.0)):
    """Only the tip of :func:`joint_positions`: (..., 2), with fewer operations.

    The tip is the base plus the sum of the segment vectors, so the
    per-joint cumulative sums are not needed.
    """
    theta = ad.cumsum(q, axis=-1)
    c, s = ad.cos_sin(theta)
    if isinstance(lengths, ad.Dual) or np.ndim(lengths) > 1:
        x, y = ad.sum(lengths * c, axis=-1), ad.sum(lengths * s, axis=-1)
    else:
        x, y = ad.matmul(c, lengths), ad.matmul(s, lengths)   # contract the segment axis
    return ad.stack([x, y], axis=-1) + base


def _expand(x, axis=-1):
    """Insert a unit axis (works on arrays and Duals)."""
    if isinstance(x, ad.Dual):
        v = np.expand_dims(x.value, axis)
        return ad.reshape(x, v.shape)
    return np.expand_dims(np.asarray(x, dtype=float), axis)


@dataclass(frozen=True, eq=False)
class Chain:
    """A planar serial arm of revolute joints.

    Parameters
    ----------
    lengths : array_like, shape (N,) [m]
        Segment lengths, each > 0.
    base : array_like, shape (2,) [m]
    limits : array_like, shape (N, 2) [rad], optional
        Lower and upper bound of each joint angle (lower <= upper).
    """

    lengths: np.ndarray
    base: np.ndarray
    limits: np.ndarray | None

    def __init__(self, lengths, base=(0.0, 0.0), limits=None):
        lengths = np.array(lengths, dtype=float).reshape(-1)
        if lengths.size == 0:
            raise ValueError("a chain needs at least one segment")
        if not np.all(np.isfinite(lengths)) or np.any(lengths <= 0):
            raise ValueError(f"segment lengths must be finite and > 0, got {lengths.tolist()}")
        base = np.array(base, dtype=float).reshape(-1)
        if base.shape != (2,) or not np.all(np.isfinite(base)):
            raise ValueError(f"base must be two finite numbers, got {base.tolist()}")
        if limits is not None:
            limits = np.array(limits, dtype=float)
            if limits.shape != (lengths.size, 2):
                raise ValueError(f"limits must have shape ({lengths.size}, 2), got {limits.shape}")
            if np.any(np.isnan(limits)) or np.any(limits[:, 0] > limits[:, 1]):
                raise ValueError("each joint limit must be (lower, upper) with lower <= upper")
            limits.setflags(write=False)
        lengths.setflags(write=False)
        base.setflags(write=False)
        object.__setattr__(self, "lengths", lengths)
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "limits", limits)

    # -- sizes --------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of segments (and joints)."""
        return self.lengths.size

    @property
    def reach(self) -> float:
        """Total length: the largest distance the tip can be from the base."""
        return float(self.lengths.sum())

    def _q(self, q):
        q = np.asarray(q, dtype=float)
        if q.shape[-1:] != (self.n,):
            raise ValueError(f"angles must have shape (..., {self.n}), got {q.shape}")
        return q

    # -- kinematics ---------------------------------------------------------
    def joints(self, q):
        """Base, joints and tip: (N+1, 2) for q (N,), (B, N+1, 2) for q (B, N)."""
        return joint_positions(self._q(q), self.lengths, self.base)

    def tip(self, q):
        """Tip position: (2,) for q (N,), (B, 2) for q (B, N)."""
        return self.joints(q)[..., -1, :]

    def clip(self, q):
        """Angles clipped to the joint limits (unchanged without limits)."""
        q = np.asarray(q, dtype=float)
        if self.limits is None:
            return q
        return np.clip(q, self.limits[:, 0], self.limits[:, 1])

    def within_limits(self, q, atol=0.0) -> bool:
        if self.limits is None:
            return True
        q = np.asarray(q, dtype=float)
        return bool(np.all(q >= self.limits[:, 0] - atol) and np.all(q <= self.limits[:, 1] + atol))

    # -- derivatives ----------------------------------------------------------
    def _seeded(self, q, wrt, tip_only=False):
        """Evaluate the joints (or only the tip) with tangents seeded on the chosen parameters."""
        q = self._q(q)
        if isinstance(wrt, str):
            wrt = (wrt,)
        for w in wrt:
            if w not in WRT_CHOICES:
                raise ValueError(f"unknown parameter group {w!r}; choose from {', '.join(WRT_CHOICES)}")
        batch = q.shape[:-1]
        n = self.n
        sizes = {"angles": n, "lengths": n, "base": 2}
        k = sum(sizes[w] for w in wrt)
        offset = 0
        args = {}
        for name, val in (("angles", q), ("lengths", self.lengths), ("base", self.base)):
            if name in wrt:
                m = val.shape[-1]
                eye = np.zeros((m, k))
                eye[np.arange(m), offset + np.arange(m)] = 1.0
                full = np.broadcast_to(val, batch + (m,))
                args[name] = ad.Dual(full, np.broadcast_to(eye, batch + (m, k)))
                offset += sizes[name]
            else:
                args[name] = val
        f = tip_position if tip_only else joint_positions
        return f(args["angles"], args["lengths"], args["base"])

    def jacobian(self, q, wrt="angles"):
        """Jacobian of the tip by forward-mode AD.

        Parameters
        ----------
        q : array_like, shape (N,) or (B, N) [rad]
        wrt : str or tuple of str
            Parameter groups, in order, from ``"angles"`` (N columns),
            ``"lengths"`` (N columns) and ``"base"`` (2 columns).

        Returns
        -------
        ndarray, shape (2, K) or (B, 2, K)
        """
        return self._seeded(q, wrt, tip_only=True).tangent

    def joints_jacobian(self, q, wrt="angles"):
        """Jacobian of every joint position: (N+1, 2, K) or (B, N+1, 2, K)."""
        return self._seeded(q, wrt).tangent

    def tip_and_jacobian(self, q, wrt="angles"):
        """Tip (…, 2) and its Jacobian (…, 2, K) from one forward pass."""
        j = self._seeded(q, wrt, tip_only=True)
        return j.value, j.tangent
