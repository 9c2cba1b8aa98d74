"""The planar serial chain.

Kinematics are plain array maths (:func:`joint_positions`) that run unchanged
on floats, arrays and :class:`~armsim.ad.dual.Dual`: the absolute angle of each
segment is the cumulative sum of the relative joint angles, each segment adds
``length * (cos, sin)`` of its absolute angle, and a cumulative sum of those
steps gives every joint.

The tip Jacobian (:func:`tip_jacobian`, :meth:`Chain.jacobian`) is forward-mode
AD that exploits the chain's structure.  Each segment's step
``l_i (cos, sin)(theta_i)`` depends on one absolute angle ``theta_i = sum_{j<=i} q_j``
and one length only, so the pass seeds the *absolute* angles (and the lengths)
with one-hot tangents: element ``i`` carries its derivative along its own
``theta_i`` (and ``l_i``), a tangent of one entry per group (K = 1 or 2, not N),
O(N) work per arm.  The sum over the segments then places element ``i``'s
tangent in column ``i`` (the one-hot seeds do not overlap), and the triangular
chain rule of the cumulative sum, ``d tip / d q_j = sum_{i>=j} d tip / d theta_i``
(a reversed cumulative sum), turns the angle columns into derivatives along the
relative joint angles.  The base moves the tip rigidly (identity columns).
:meth:`Chain.joints_jacobian` (every joint: an (N+1, 2, K) output) stays the
dense pass with identity tangents, and so does the tip while a hook watches the
operations (:func:`armsim.ad.dual.instrumented`: tangent pruning acts on, and
operation counts count, the dense pass's per-operation tangents).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from armsim.ad import dual as ad
from armsim.ranges import real_array, shown

__all__ = ["Chain", "joint_positions", "tip_position", "WRT_CHOICES", "MIN_LENGTH", "MAX_LENGTH",
           "MAX_COORDINATE", "MAX_ANGLE", "memory_budget", "tip_jacobian",
           "tip_and_angle_jacobian"]

WRT_CHOICES = ("angles", "lengths", "base")

#: Accepted ranges.  A length in [1e-50, 1e50] [m] and a coordinate within
#: +-1e50 [m] keep every power the solvers form a normal float for up to 10^6
#: segments: squares (``reach^2``, the curvature ``sum (distance to tip)^2``,
#: ``(1e-12 reach)^2``) and the fourth powers of the DLS step (the determinant
#: of ``J J^T + lambda^2 I``, ~ ``reach^4``); angles (and finite joint limits)
#: within +-1e6 rad keep ``cumsum(q)`` and its cosine meaningful.
MIN_LENGTH, MAX_LENGTH = 1e-50, 1e50
MAX_COORDINATE = 1e50
MAX_ANGLE = 1e6
#: Peak bytes of a dense forward pass with K tangent columns, per float of the
#: (B, N, K) intermediates: measured with tracemalloc (3.0 angles only, 5.0 with
#: lengths or base for the tip; 11.1 for every joint), rounded up.  The tip takes
#: the dense pass only while a hook watches (:func:`armsim.ad.dual.instrumented`).
_PASS_FLOATS = {"tip": 4, "tip+": 6, "joints": 12}
#: The same inside :func:`armsim.ad.pruning.prune` (its dense mask's temporaries): 6.1, 7.1
#: and 11.1 measured at N = 60, B = 40, k = 2 and k = K/2, rounded up.
_PRUNED_FLOATS = {"tip": 7, "tip+": 8, "joints": 12}
#: Peak bytes of the structured tip pass (:func:`tip_jacobian`), per float of the
#: (B, N) angles, by number of seeded groups among angles and lengths (0, 1, 2),
#: plus 8 bytes per output entry: measured with tracemalloc, rounded up.
_TIP_FLOATS = (6, 10, 14)
MEMORY_FRACTION = 0.5      # a Jacobian may take at most this fraction of the memory (see below)


def memory_budget() -> int:
    """Bytes a dense Jacobian may take: :data:`MEMORY_FRACTION` of the physical memory
    (``os.sysconf``; 8 GiB when the system does not say), or of the process's address-space
    limit when that is smaller (``ulimit -v``)."""
    import os
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        total = 8 << 30
    if total <= 0:
        total = 8 << 30
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY and 0 < soft < total:
            total = soft
    except (ImportError, ValueError, OSError):
        pass
    return int(MEMORY_FRACTION * total)


def _gib(nbytes) -> str:
    if nbytes < 2**30:
        return f"{nbytes / 2**20:.0f} MiB"
    return f"{nbytes / 2**30:.1f} GiB"


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


_ONE_HOT = {}   # read-only one-hot tangent rows (k,), by (slot, k)


def _one_hot(slot, k):
    row = _ONE_HOT.get((slot, k))
    if row is None:
        row = np.zeros(k)
        row[slot] = 1.0
        row.setflags(write=False)
        row = _ONE_HOT[(slot, k)] = row
    return row


_TRI_MAX = 64
_UPPER = {}   # (n, n) ones on and below the diagonal: a @ _UPPER[n] is the reversed cumsum


def _angle_columns(dx, dy, out=None):
    """d tip / d q (..., 2, N) from d tip / d theta (two (..., N) rows): the triangular chain
    rule of the cumulative sum, ``d tip / d q_j = sum_{i >= j} d tip / d theta_i``, written
    into ``out`` (a new array by default).  A small N takes a triangular matmul."""
    n = dx.shape[-1]
    if out is None:
        out = np.empty(dx.shape[:-1] + (2, n))
    if n <= _TRI_MAX:
        tri = _UPPER.get(n)
        if tri is None:
            tri = _UPPER[n] = np.tril(np.ones((n, n)))
            tri.setflags(write=False)
        np.matmul(dx, tri, out=out[..., 0, :])
        np.matmul(dy, tri, out=out[..., 1, :])
    else:
        np.cumsum(dx[..., ::-1], axis=-1, out=out[..., 0, ::-1])
        np.cumsum(dy[..., ::-1], axis=-1, out=out[..., 1, ::-1])
    return out


def tip_and_angle_jacobian(q, lengths, base):
    """Tip (..., 2) and d tip / d q (..., 2, N) for angles q (..., N), lengths (N,), base (2,):
    :func:`tip_jacobian` with ``wrt=("angles",)``, in the fewest Python-level steps (the
    solvers call it every iteration; no validation)."""
    theta = ad.Dual.__new__(ad.Dual)
    theta.value = np.cumsum(q, axis=-1)
    theta.tangent = _ones(theta.value.shape)  # one-hot: d theta_i / d theta_i, the only entry
    c, s = ad.cos_sin(theta)                  # the JVP rule: tangents -sin, cos (K = 1)
    # the product with the constant lengths (Dual's mul rule, inlined on the one entry: value
    # and tangent scale by l), then the sum over the segments
    tip = np.empty(theta.value.shape[:-1] + (2,))
    tip[..., 0] = _add(c.value * lengths, axis=-1)
    tip[..., 1] = _add(s.value * lengths, axis=-1)
    tip += base
    return tip, _angle_columns(c.tangent[..., 0] * lengths, s.tangent[..., 0] * lengths)


_add = np.add.reduce      # ndarray.sum without its Python-level wrappers


_ONES = {}


def _ones(shape):
    """Read-only ones of ``shape + (1,)`` (the one-hot seeds of one group), cached by shape."""
    t = _ONES.get(shape)
    if t is None:
        if len(_ONES) > 64:
            _ONES.clear()
        t = _ONES[shape] = np.ones(shape + (1,))
        t.setflags(write=False)
    return t


def tip_jacobian(q, lengths, base=(0.0, 0.0), wrt=("angles",)):
    """Tip (..., 2) and its Jacobian (..., 2, K) by structured forward-mode AD.

    Parameters
    ----------
    q : ndarray (..., N) [rad]
    lengths : ndarray (N,) [m]
    base : ndarray (2,) [m]
    wrt : tuple of str
        Groups from :data:`WRT_CHOICES`, in column order (validated by the caller).

    The absolute angles ``theta = cumsum(q)`` and the lengths are seeded with
    one-hot tangents (one slot per group, the direction of element ``i`` being
    its own ``theta_i`` or ``l_i``), the segment steps ``l (cos, sin)(theta)`` run
    on :class:`~armsim.ad.dual.Dual`, and the columns are read off: the length
    columns as they are, the angle columns after the reversed cumulative sum
    (``d tip / d q_j = sum_{i>=j} d tip / d theta_i``).  O(N) per arm.
    """
    if wrt == ("angles",):
        return tip_and_angle_jacobian(q, lengths, base)
    local = tuple(w for w in ("angles", "lengths") if w in wrt)
    k = len(local)
    batch = q.shape[:-1]
    n = q.shape[-1]
    theta = np.cumsum(q, axis=-1)                     # absolute angles
    if "angles" in wrt:
        value, theta = theta, ad.Dual.__new__(ad.Dual)
        theta.value = value
        theta.tangent = np.broadcast_to(_one_hot(local.index("angles"), k), batch + (n, k))
    lens = lengths
    if "lengths" in wrt:
        lens = ad.Dual.__new__(ad.Dual)
        lens.value = lengths
        lens.tangent = np.broadcast_to(_one_hot(local.index("lengths"), k), (n, k))
    c, s = ad.cos_sin(theta)
    sx, sy = lens * c, lens * s                        # the segment steps, (..., N)
    tip = np.stack([ad.value_of(sx).sum(axis=-1), ad.value_of(sy).sum(axis=-1)], axis=-1) + base
    sizes = {"angles": n, "lengths": n, "base": 2}
    jac = np.empty(batch + (2, sum(sizes[w] for w in wrt)))
    off = 0
    for w in wrt:
        cols = jac[..., off:off + sizes[w]]
        if w == "base":
            cols[...] = np.eye(2)
        else:
            slot = local.index(w)
            if w == "angles":
                _angle_columns(sx.tangent[..., slot], sy.tangent[..., slot], out=cols)
            else:
                cols[..., 0, :], cols[..., 1, :] = sx.tangent[..., slot], sy.tangent[..., slot]
        off += sizes[w]
    return tip, jac


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
        lengths = np.array(real_array("lengths", lengths), dtype=float)
        if lengths.ndim > 1:            # ([[0.4, 0.3]] was taken as two segments)
            raise ValueError(f"lengths must be a list of numbers (N,), got shape "
                             f"{lengths.shape}")
        lengths = lengths.reshape(-1)
        if lengths.size == 0:
            raise ValueError("a chain needs at least one segment")
        bad = ~((lengths >= MIN_LENGTH) & (lengths <= MAX_LENGTH))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"lengths[{i}] must be within [{MIN_LENGTH:g}, {MAX_LENGTH:g}], "
                             f"got {float(lengths[i])!r}")
        base = np.array(real_array("base", base), dtype=float)
        if base.shape != (2,) or not np.all(np.abs(base) <= MAX_COORDINATE):
            raise ValueError(f"base must be two numbers within +-{MAX_COORDINATE:g}, "
                             f"got {base.tolist()[:2]}{'...' if base.size > 2 else ''}")
        if limits is not None:
            limits = np.array(real_array("limits", limits), dtype=float)
            if limits.shape != (lengths.size, 2):
                raise ValueError(f"limits must have shape ({lengths.size}, 2), got {limits.shape}")
            lo, hi = limits[:, 0], limits[:, 1]
            # a side may be open (lower -inf, upper +inf); a finite bound is within +-MAX_ANGLE
            ok = (((lo == -np.inf) | (np.abs(lo) <= MAX_ANGLE))
                  & ((hi == np.inf) | (np.abs(hi) <= MAX_ANGLE)) & (lo <= hi))
            if not ok.all():
                i = int(np.argmin(ok))
                raise ValueError(f"limits[{i}] must be (lower, upper) with lower <= upper, each "
                                 f"within +-{MAX_ANGLE:g} rad (lower may be -inf, upper +inf), "
                                 f"got {limits[i].tolist()}")
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
        q = real_array("angles", q)         # (complex: refused, not cast with a warning)
        if q.shape[-1:] != (self.n,):
            raise ValueError(f"angles must have shape (..., {self.n}), got {q.shape}")
        if not np.all(np.abs(q) <= MAX_ANGLE):
            raise ValueError(f"angles must be finite and within +-{MAX_ANGLE:g} rad")
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
        try:
            wrt = tuple(wrt)
        except TypeError:
            raise ValueError(f"wrt must be a group name or a tuple of them, got {wrt!r}") from None
        if not wrt:
            raise ValueError(f"wrt must name at least one parameter group of {', '.join(WRT_CHOICES)}")
        for w in wrt:
            if not isinstance(w, str) or w not in WRT_CHOICES:
                raise ValueError(f"wrt: unknown parameter group {shown(w)!r}; "
                                 f"choose from {', '.join(WRT_CHOICES)}")
        if len(set(wrt)) != len(wrt):
            raise ValueError(f"wrt: each parameter group at most once, got {wrt!r}")
        batch = q.shape[:-1]
        n = self.n
        sizes = {"angles": n, "lengths": n, "base": 2}
        k = sum(sizes[w] for w in wrt)
        arms = int(np.prod(batch))
        structured = tip_only and not ad.instrumented()
        if structured:
            local = sum(w in wrt for w in ("angles", "lengths"))
            need = 8 * arms * (_TIP_FLOATS[local] * n + 2 * k)
        else:
            from armsim.ad.pruning import active
            per = (_PASS_FLOATS if active() is None else _PRUNED_FLOATS)[
                "joints" if not tip_only else "tip" if wrt == ("angles",) else "tip+"]
            need = per * 8 * arms * (n + 1) * k
        if need > memory_budget():
            raise ValueError(
                f"the Jacobian of {arms} arm(s) of {n} segments with {k} columns "
                f"would need about {_gib(need)} of memory, more than the {_gib(memory_budget())} "
                f"allowed ({MEMORY_FRACTION:g} of the memory this process may use); pass "
                f"fewer arms at a time")
        if structured:
            return tip_jacobian(q, self.lengths, self.base, wrt)
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
        if tip_only:
            out = tip_position(args["angles"], args["lengths"], args["base"])
            return out.value, out.tangent
        return joint_positions(args["angles"], args["lengths"], args["base"])

    def jacobian(self, q, wrt="angles"):
        """Jacobian of the tip by structured forward-mode AD (:func:`tip_jacobian`).

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
        return self._seeded(q, wrt, tip_only=True)[1]

    def joints_jacobian(self, q, wrt="angles"):
        """Jacobian of every joint position: (N+1, 2, K) or (B, N+1, 2, K)."""
        return self._seeded(q, wrt).tangent

    def tip_and_jacobian(self, q, wrt="angles"):
        """Tip (…, 2) and its Jacobian (…, 2, K) from one forward pass."""
        return self._seeded(q, wrt, tip_only=True)
