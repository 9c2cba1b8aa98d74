"""Dynamic pruning of forward-mode tangents.

Forward mode carries, for every value element, one derivative per seeded
direction (``K`` of them).  Pruning keeps only ``k`` of those entries per value
element, so the cost of every tangent operation is bounded by ``k`` instead of
``K``.  Two representations are offered:

``"dense"`` (dense-with-mask, the default)
    The tangent stays an ``S + (K,)`` array; after an operation the entries
    below the ``k``-th largest magnitude of their value element are set to
    zero (:func:`topk`).  Ties at the ``k``-th magnitude are all kept, so an
    element may keep more than ``k`` entries when magnitudes are equal.
``"sparse"``
    The tangent is a :class:`Slots` object: per value element ``k`` slots of
    (direction id, derivative), merged with the rule of the original hardware
    design (:func:`merge`): an entry whose id is already in a slot adds to it;
    a new id takes a free slot, or replaces the slot of smallest magnitude only
    if its own magnitude is strictly larger (otherwise it is dropped).  The
    result depends on the order in which entries arrive; it equals the dense
    result whenever no entry is dropped.

Pruning is switched on around any computation with :func:`prune` (a context
manager); ``k=None`` installs nothing and the result is the dense one, bit for
bit.  With ``at="every"`` every arithmetic operation is pruned; with
``at="marked"`` only the values passed to :func:`mark` are.

Example
-------
>>> with prune(8):                                  # dense-with-mask, every op
...     tip, J = chain.tip_and_jacobian(q)          # J has <= 8 non-zeros per row
>>> with prune(8, representation="sparse"):
...     y = f(seed(x))
>>> J = dense_tangent(y.tangent)                    # back to S + (K,)
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
import threading

import numpy as np

from armsim.ad import dual as ad
from armsim.ad.nofloat import called

__all__ = [
    "prune", "mark", "topk", "Slots", "merge", "to_slots", "dense_tangent", "jacobian",
    "REPRESENTATIONS", "PRUNE_AT", "STRUCTURAL_OPS", "active",
]

REPRESENTATIONS = ("dense", "sparse")
PRUNE_AT = ("every", "marked")

# Operations that only move or select tangent entries: they never combine two
# entries, so they cannot add entries to an element whose inputs are pruned.
STRUCTURAL_OPS = frozenset({
    "getitem", "reshape", "moveaxis", "broadcast_to", "stack", "concatenate", "where", "neg",
})


def _check_choice(kind, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {kind} {value!r}; choose one of {', '.join(choices)}")


def _check_k(k):
    if k is None:
        return None
    try:
        ok = not isinstance(k, (bool, str, bytes)) and int(k) == k and k >= 1
    except (TypeError, ValueError, OverflowError):      # inf, NaN
        ok = False
    if not ok:
        raise ValueError(f"k must be None or an integer >= 1, got {k!r}")
    return int(k)


# ---------------------------------------------------------------------------
# Dense-with-mask
# ---------------------------------------------------------------------------

def topk(tangent, k):
    """Keep the ``k`` entries of largest magnitude per value element.

    Parameters
    ----------
    tangent : ndarray, shape S + (K,)
    k : int or None
        ``None`` (or ``k >= K``) returns ``tangent`` itself, untouched.

    Returns
    -------
    ndarray, shape S + (K,)
        Entries whose magnitude is below the ``k``-th largest magnitude of
        their row are zero; every entry equal to it (ties) is kept.  A NaN
        entry ranks as the largest magnitude: it is kept, as the unpruned
        tangent has it (numpy sorts NaN last, so it used to zero the row).
    """
    k = _check_k(k)
    if k is None:
        return tangent
    t = np.asarray(tangent)
    n = t.shape[-1]
    if k >= n or t.size == 0:
        return tangent
    mag = np.abs(t)
    mag[np.isnan(mag)] = np.inf                      # a NaN is kept, never hidden as a zero
    kth = np.partition(mag, n - k, axis=-1)[..., n - k:n - k + 1]
    return np.where(mag >= kth, t, 0.0)


# ---------------------------------------------------------------------------
# Sparse slots with the hardware merge rule
# ---------------------------------------------------------------------------

class Slots:
    """A sparse tangent: per value element, ``k`` slots of (direction id, derivative).

    Parameters
    ----------
    ids : ndarray of int, shape S + (k,)
        Direction of each slot, ``-1`` for a free slot.
    vals : ndarray of float, shape S + (k,)
        Derivative along that direction (0 in a free slot).
    n : int
        Number of seeded directions ``K`` (ids are in ``0 .. K-1``).

    Notes
    -----
    A ``Slots`` object stands in for a dense tangent inside :class:`~armsim.ad.dual.Dual`:
    it implements, through numpy's dispatch protocols, exactly the operations the
    forward-mode rules apply to tangents (scaling by or dividing by an array, adding two
    tangents with :func:`merge`, negation, indexing, reshaping, stacking, sums and
    cumulative sums along value axes, ``where``).  Anything else (for instance
    ``matmul``) raises ``TypeError``.
    """

    __slots__ = ("ids", "vals", "n")

    def __init__(self, ids, vals, n):
        ids = np.asarray(ids, dtype=np.int64)
        vals = np.asarray(vals, dtype=float)
        if ids.shape != vals.shape or ids.ndim == 0:
            raise ValueError(f"ids {ids.shape} and vals {vals.shape} must have one shape S + (k,)")
        self.ids, self.vals, self.n = ids, vals, int(n)

    @classmethod
    def empty(cls, shape, k, n):
        """All slots free: value shape ``shape``, ``k`` slots, ``n`` directions."""
        shape = tuple(shape) + (k,)
        return cls(np.full(shape, -1, dtype=np.int64), np.zeros(shape), n)

    # numpy must hand every ufunc / function on Slots to us
    __array_priority__ = 1000

    @property
    def shape(self):
        return self.vals.shape

    @property
    def ndim(self):
        return self.vals.ndim

    @property
    def k(self) -> int:
        """Number of slots per value element."""
        return self.vals.shape[-1]

    def __repr__(self):
        return f"Slots(ids={self.ids!r}, vals={self.vals!r}, n={self.n})"

    def to_dense(self):
        """The dense tangent, shape S + (K,)."""
        out = np.zeros(self.vals.shape[:-1] + (self.n,))
        used = self.ids >= 0
        idx = np.nonzero(used)
        np.add.at(out, idx[:-1] + (self.ids[used],), self.vals[used])
        return out

    def nnz(self) -> int:
        """Number of occupied slots holding a non-zero derivative."""
        return int(np.count_nonzero((self.ids >= 0) & (self.vals != 0)))

    def __getitem__(self, idx):
        return Slots(self.ids[idx], self.vals[idx], self.n)

    # -- elementwise arithmetic (numpy ufunc protocol) --------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs:
            return NotImplemented
        if ufunc is np.multiply:
            a, b = inputs
            s, f = (a, b) if isinstance(a, Slots) else (b, a)
            if isinstance(f, Slots):
                raise TypeError("cannot multiply two sparse tangents")
            vals = s.vals * np.asarray(f, dtype=float)
            return Slots(np.broadcast_to(s.ids, vals.shape), vals, s.n)
        if ufunc is np.true_divide and isinstance(inputs[0], Slots) \
                and not isinstance(inputs[1], Slots):          # scaling by 1 / array
            s, f = inputs
            vals = s.vals / np.asarray(f, dtype=float)
            return Slots(np.broadcast_to(s.ids, vals.shape), vals, s.n)
        if ufunc is np.negative:
            (s,) = inputs
            return Slots(s.ids, -s.vals, s.n)
        if ufunc in (np.add, np.subtract):
            a, b = inputs
            if ufunc is np.subtract:
                b = -_as_slots(b, a)
            return merge(_as_slots(a, b), _as_slots(b, a))
        raise TypeError(f"sparse tangents do not support {ufunc.__name__}")

    def __mul__(self, other):
        return np.multiply(self, other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        return np.true_divide(self, other)

    def __add__(self, other):
        return np.add(self, other)

    def __radd__(self, other):  # other + self
        return np.add(other, self)

    def __sub__(self, other):
        return np.subtract(self, other)

    def __rsub__(self, other):  # other - self
        return np.subtract(other, self)

    def __neg__(self):
        return np.negative(self)

    # -- structural functions (numpy function protocol) -------------------------
    def __array_function__(self, func, types, args, kwargs):
        handler = _FUNCTIONS.get(func)
        if handler is None:
            raise TypeError(f"sparse tangents do not support numpy.{func.__name__}; "
                            "use representation='dense'")
        return handler(*args, **kwargs)


def _as_slots(x, like):
    """``x`` as Slots of ``like``'s k and K.  A dense tangent is a constant's zeros or one
    that no operation made (a seed, :meth:`Dual.variables`): it goes into slots as every new
    dense tangent does (:func:`to_slots`)."""
    if isinstance(x, Slots):
        return x
    x = np.asarray(x, dtype=float)
    if not np.any(x):
        return Slots.empty(x.shape[:-1], like.k, like.n)
    if x.shape[-1] != like.n:
        raise ValueError(f"direction counts differ: {x.shape[-1]} and {like.n}")
    return to_slots(x, like.k)


def _merge_one(ids, vals, in_id, in_val):
    """Merge one incoming entry per row into ``ids``/``vals`` (M, k), in place."""
    active = (in_id >= 0) & (in_val != 0)
    if not active.any():
        return
    rows = np.arange(ids.shape[0])
    match = (ids == in_id[:, None]) & active[:, None]
    has = match.any(axis=1)
    vals += np.where(match, in_val[:, None], 0.0)           # same id: add
    rest = active & ~has
    if not rest.any():
        return
    free = ids < 0
    first = free.argmax(axis=1)
    take = rest & free.any(axis=1)                          # new id: a free slot
    r = rows[take]
    ids[r, first[take]] = in_id[take]
    vals[r, first[take]] = in_val[take]
    full = rest & ~take
    if not full.any():
        return
    small = np.abs(vals).argmin(axis=1)
    beat = full & (np.abs(in_val) > np.abs(vals[rows, small]))  # replace only if larger
    r = rows[beat]
    ids[r, small[beat]] = in_id[beat]
    vals[r, small[beat]] = in_val[beat]


def merge(a, b):
    """Add two sparse tangents with the hardware merge rule.

    The slots of ``a`` are the starting state; the entries of ``b`` arrive one
    slot at a time (slot 0 first) and are merged per value element: same id
    adds; otherwise a free slot is taken; otherwise the slot of smallest
    magnitude is replaced if the new magnitude is strictly larger, else the
    new entry is dropped.  Zero entries are ignored.

    Parameters
    ----------
    a, b : Slots with broadcastable value shapes

    Returns
    -------
    Slots with ``a.k`` slots, value shape broadcast(S_a, S_b)
    """
    if a.n != b.n:
        raise ValueError(f"direction counts differ: {a.n} and {b.n}")
    shape = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    ids = np.broadcast_to(a.ids, shape + (a.k,)).reshape(-1, a.k).copy()
    vals = np.broadcast_to(a.vals, shape + (a.k,)).reshape(-1, a.k).copy()
    bid = np.broadcast_to(b.ids, shape + (b.k,)).reshape(-1, b.k)
    bval = np.broadcast_to(b.vals, shape + (b.k,)).reshape(-1, b.k)
    for j in range(b.k):
        _merge_one(ids, vals, bid[:, j], bval[:, j])
    return Slots(ids.reshape(shape + (a.k,)), vals.reshape(shape + (a.k,)), a.n)


def to_slots(tangent, k):
    """Convert a dense tangent S + (K,) to ``k`` slots per element.

    Entries arrive in direction order (id 0 first) and are merged with the
    hardware rule, so a row with at most ``k`` non-zeros is stored exactly.
    An element has at most K distinct ids, so ``k > K`` allocates K slots.
    """
    k = _check_k(k)
    t = np.asarray(tangent, dtype=float)
    n = t.shape[-1]
    k = max(min(k, n), 1)                # more slots than directions would stay empty
    rows = t.reshape(int(np.prod(t.shape[:-1])), n)        # (-1 cannot size K = 0 rows)
    nz = rows != 0
    counts = nz.sum(axis=1)
    ids = np.full((rows.shape[0], k), -1, dtype=np.int64)
    vals = np.zeros((rows.shape[0], k))
    fits = counts <= k
    if fits.any():                       # direct placement, ids in order
        r, c = np.nonzero(nz & fits[:, None])
        pos = (np.cumsum(nz & fits[:, None], axis=1) - 1)[r, c]
        ids[r, pos] = c
        vals[r, pos] = rows[r, c]
    over = np.nonzero(~fits)[0]
    if over.size:                        # sequential merge, id order
        sub_ids, sub_vals = ids[over], vals[over]
        cols = np.nonzero(nz[over].any(axis=0))[0]
        for c in cols:
            _merge_one(sub_ids, sub_vals, np.full(over.size, c), rows[over, c])
        ids[over], vals[over] = sub_ids, sub_vals
    return Slots(ids.reshape(t.shape[:-1] + (k,)), vals.reshape(t.shape[:-1] + (k,)), n)


def dense_tangent(tangent):
    """A tangent as a dense array S + (K,) (Slots are expanded, arrays returned)."""
    return tangent.to_dense() if isinstance(tangent, Slots) else np.asarray(tangent)


# -- numpy functions on Slots -------------------------------------------------

def _slot_axis(axis, ndim):
    return axis if axis >= 0 else axis + ndim


def _reduce_merge(s, axis, cumulative):
    """Sum (or cumulative sum) along value axis ``axis`` by successive merges."""
    ids = np.moveaxis(s.ids, axis, 0)
    vals = np.moveaxis(s.vals, axis, 0)
    acc = Slots(ids[0].copy(), vals[0].copy(), s.n)
    outs = [acc]
    for i in range(1, ids.shape[0]):
        acc = merge(acc, Slots(ids[i], vals[i], s.n))
        outs.append(acc)
    if cumulative:
        return Slots(np.moveaxis(np.stack([o.ids for o in outs]), 0, axis),
                     np.moveaxis(np.stack([o.vals for o in outs]), 0, axis), s.n)
    return acc


def _cumsum(s, axis=None, **_):
    if axis is None or axis == s.ndim - 1 or axis == -1:
        raise TypeError("cumsum of sparse tangents needs a value axis")
    return _reduce_merge(s, _slot_axis(axis, s.ndim), cumulative=True)


def _sum(s, axis=None, keepdims=False, **_):
    axes = (axis,) if np.isscalar(axis) else tuple(axis)
    axes = sorted((_slot_axis(a, s.ndim) for a in axes), reverse=True)
    out = s
    for a in axes:
        if a == s.ndim - 1:
            raise TypeError("cannot sum sparse tangents over the slot axis")
        out = _reduce_merge(out, a, cumulative=False)
        if keepdims:
            out = Slots(np.expand_dims(out.ids, a), np.expand_dims(out.vals, a), s.n)
    return out


def _stack_like(fn):
    def handler(xs, axis=0, **kw):
        xs = list(xs)
        like = next(x for x in xs if isinstance(x, Slots))
        ss = [_as_slots(x, like) for x in xs]
        return Slots(fn([x.ids for x in ss], axis=axis, **kw),
                     fn([x.vals for x in ss], axis=axis, **kw), like.n)
    return handler


def _reshape(s, shape, **_):
    return Slots(np.reshape(s.ids, shape), np.reshape(s.vals, shape), s.n)


def _moveaxis(s, source, destination):
    return Slots(np.moveaxis(s.ids, source, destination),
                 np.moveaxis(s.vals, source, destination), s.n)


def _broadcast_to(s, shape, **_):
    return Slots(np.broadcast_to(s.ids, shape), np.broadcast_to(s.vals, shape), s.n)


def _where(cond, a, b):
    like = a if isinstance(a, Slots) else b
    a, b = _as_slots(a, like), _as_slots(b, like)
    return Slots(np.where(cond, a.ids, b.ids), np.where(cond, a.vals, b.vals), like.n)


_FUNCTIONS = {
    np.cumsum: _cumsum, np.sum: _sum, np.stack: _stack_like(np.stack),
    np.concatenate: _stack_like(np.concatenate), np.reshape: _reshape,
    np.moveaxis: _moveaxis, np.broadcast_to: _broadcast_to, np.where: _where,
}


# ---------------------------------------------------------------------------
# The context
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Config:
    k: int
    at: str
    representation: str

    def apply(self, tangent):
        if self.representation == "dense":
            if isinstance(tangent, Slots):
                tangent = tangent.to_dense()
            return topk(tangent, self.k)
        if isinstance(tangent, Slots):
            return tangent
        return to_slots(tangent, self.k)


_LOCAL = threading.local()         # each thread's pruning configurations, innermost last


def _configs() -> list:
    got = _LOCAL.__dict__.get("stack")
    if got is None:
        got = _LOCAL.stack = []
    return got


def active():
    """The innermost pruning configuration of this thread, or None outside :func:`prune`
    (another thread's :func:`prune` leaves this one's operations alone)."""
    stack = _configs()
    return stack[-1] if stack else None


@contextmanager
def prune(k, at="every", representation="dense"):
    """Prune forward-mode tangents inside the ``with`` block.

    Parameters
    ----------
    k : int or None
        Entries kept per value element.  ``None`` changes nothing (the dense
        result, bit for bit).
    at : {"every", "marked"}
        ``"every"``: after each arithmetic operation (structural operations in
        :data:`STRUCTURAL_OPS` only move entries and are skipped).
        ``"marked"``: only where the code calls :func:`mark` (dense only).
    representation : {"dense", "sparse"}
        Dense-with-mask top-k, or :class:`Slots` with the hardware merge rule.
        In sparse mode every new tangent is a :class:`Slots`; use
        :func:`dense_tangent` to read it.

    Yields
    ------
    _Config or None
    """
    k = _check_k(k)
    _check_choice("pruning point", at, PRUNE_AT)
    _check_choice("representation", representation, REPRESENTATIONS)
    if representation == "sparse" and at == "marked":
        raise ValueError("representation 'sparse' merges at every operation; "
                         "at='marked' needs representation 'dense'")
    if k is None:
        yield None
        return
    cfg = _Config(k, at, representation)

    def hook(name, value, tangent, inputs, params):
        if isinstance(tangent, Slots):          # sparse: the merges already bound it
            return tangent
        if name in STRUCTURAL_OPS and cfg.representation == "dense":
            return tangent
        return cfg.apply(tangent)

    stack = _configs()
    stack.append(cfg)
    try:
        if at == "every":                       # "marked": only mark() prunes
            with ad.hooked(hook):
                yield cfg
        else:
            yield cfg
    finally:
        stack.remove(cfg)


def mark(x):
    """Prune ``x`` now with the innermost :func:`prune` configuration.

    Outside a pruning context (or with ``k=None``) ``x`` is returned unchanged.

    Parameters
    ----------
    x : Dual or anything else (returned as is)
    """
    cfg = active()
    if cfg is None or not isinstance(x, ad.Dual):
        return x
    if cfg.representation == "sparse" and isinstance(x.tangent, Slots):
        return x
    return ad._make("mark", x.value, cfg.apply(x.tangent), (x,))


def jacobian(f, x, k=None, at="every", representation="dense"):
    """Forward-mode Jacobian of ``f`` at ``x`` with tangents pruned to ``k``.

    Returns
    -------
    ndarray, shape f(x).shape + x.shape (dense, whatever the representation)
    """
    x = np.asarray(x, dtype=float)
    with prune(k, at=at, representation=representation):
        y = ad.as_output(called(f, ad.Dual.variables(x)))
    if not isinstance(y, ad.Dual):
        y = np.asarray(y, dtype=float)
        return np.zeros(y.shape + x.shape)
    return dense_tangent(y.tangent).reshape(y.shape + x.shape)
