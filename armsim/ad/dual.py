"""Forward-mode automatic differentiation over numpy arrays.

A :class:`Dual` carries a ``value`` of any array shape ``S`` and a ``tangent``
of shape ``S + (K,)``: the derivative of every value element along ``K``
seeded directions.  Every operator and every elementary function computes
the value and its derivative together, so one forward evaluation with an
identity seed gives a whole Jacobian (see :func:`jacobian`).

The same code runs on plain floats and arrays: the elementary functions in
this module (``sin``, ``cumsum``, ...) fall back to numpy when no argument is
a ``Dual``.  A leading batch axis simply broadcasts.

Example
-------
>>> x = Dual.variables([0.3, 0.5])        # value (2,), tangent = identity (2, 2)
>>> y = sin(x[0]) * x[1]
>>> y.value, y.tangent                     # d y / d x
"""

from __future__ import annotations

import numpy as np

from armsim.ad import power
from armsim.ad.compare import ByValue
from armsim.ad.hooks import _HOOKED, hooked, hooks  # noqa: F401  (ad.hooked, ad.hooks)
from armsim.ad.nofloat import MESSAGE as NO_FLOAT, NotAFloat, called
from armsim.ad.power import pow_slope

__all__ = [
    "Dual", "jacobian", "value_and_jacobian", "seed", "is_dual", "value_of", "instrumented",
    "sin", "cos", "cos_sin", "tan", "atan", "arctan", "atan2", "arctan2", "sqrt", "exp", "log",
    "tanh", "sigmoid", "hypot", "abs", "absolute", "square", "cumsum", "sum",
    "stack", "concatenate", "where", "maximum", "minimum", "clip", "matmul",
    "reshape", "moveaxis", "broadcast_to", "zeros_like", "JVP_RULES", "as_output", "pow_slope",
]

def _make(name, value, tangent, inputs=(), params=None):
    """Build the result of operation ``name``, passing it through the hooks."""
    if _HOOKED[0]:
        for hook in hooks():
            tangent = hook(name, value, tangent, inputs, params)
    out = Dual.__new__(Dual)
    out.value = value
    out.tangent = tangent
    return out


def instrumented() -> bool:
    """True while a hook (operation counting, tangent pruning) watches every operation of
    this thread: code with a faster structured path then takes its plain dense pass, whose
    per-operation tangents the hooks count or prune."""
    return bool(_HOOKED[0]) and bool(hooks())


def is_dual(x) -> bool:
    return isinstance(x, Dual)


def value_of(x):
    """The primal value of ``x`` (a Dual's ``value``, or ``x`` as an array).

    Other AD types (the reverse-mode :class:`armsim.ad.reverse.Var`) expose their
    primal as ``_ad_value``.
    """
    if isinstance(x, Dual):
        return x.value
    v = getattr(x, "_ad_value", None)
    return _real(x) if v is None else v


def _tangent_of(x, k, shape):
    """Tangent of ``x`` with ``k`` directions; constants get zeros."""
    if isinstance(x, Dual):
        return x.tangent
    return np.zeros(np.shape(x) + (k,))


def _k_of(*args) -> int:
    for a in args:
        if isinstance(a, Dual):
            return a.tangent.shape[-1]
    raise TypeError("no Dual among the arguments")


def _real(x):
    """``x`` as a float array; complex numbers are refused (a cast dropped their imaginary
    part with only a warning)."""
    x = np.asarray(x)
    if x.dtype.kind == "c":
        raise ValueError(f"a Dual's values must be real numbers, got complex numbers "
                         f"({str(x.tolist())[:40]})")
    return x.astype(float, copy=False)


def _directions(t):
    """K of a tangent: its last axis, or the direction count ``n`` of a sparse tangent
    (:class:`armsim.ad.pruning.Slots`, whose last axis holds its k slots)."""
    return t.shape[-1] if isinstance(t, np.ndarray) else t.n


def _varies(t):
    """Per value element: does its tangent have a non-zero entry (sparse ones read densely)?"""
    return np.any((t if isinstance(t, np.ndarray) else t.to_dense()) != 0, axis=-1)


def _same_k(a, b):
    """Two Duals combine only with the same directions (K); numpy would broadcast K = 1."""
    ka, kb = _directions(a.tangent), _directions(b.tangent)
    if ka != kb:
        raise ValueError(f"Duals of {ka} and {kb} directions cannot be combined (seed every "
                         "input of one evaluation together)")


def _col(d):
    """Append a unit axis so an elementwise factor scales a tangent."""
    return np.asarray(d)[..., None]


class Dual(ByValue):
    """A value with its derivatives along ``K`` directions.

    Parameters
    ----------
    value : array_like, shape S
    tangent : array_like, shape S + (K,)
        ``tangent[..., k]`` is d value / d (direction k).
    """

    __slots__ = ("value", "tangent")
    _primal = staticmethod(value_of)      # (ByValue's comparisons: by the values)
    # numpy must defer to Dual: ``ndarray * Dual`` calls ``Dual.__rmul__``.
    __array_ufunc__ = None

    def __init__(self, value, tangent):
        value = _real(value)
        tangent = _real(tangent)
        if tangent.ndim == 0:       # (was broadcast to the value's shape: K = its size)
            raise ValueError(f"a tangent needs a last axis of K directions, shape S + (K,); got a "
                             f"number for value shape {value.shape} (one direction: [{tangent:g}])")
        if tangent.shape[:-1] != value.shape:
            try:
                tangent = np.broadcast_to(tangent, value.shape + tangent.shape[-1:]).copy()
            except ValueError:
                raise ValueError(
                    f"tangent shape {tangent.shape} does not fit value shape {value.shape} + (K,)"
                ) from None
        self.value = value
        self.tangent = tangent

    # -- construction -----------------------------------------------------
    @classmethod
    def variables(cls, x):
        """Seed ``x`` (shape S) with identity tangents: K = x.size directions."""
        x = _real(x)
        return cls(x, np.eye(x.size).reshape(x.shape + (x.size,)))

    @classmethod
    def variables_of(cls, x, free):
        """Seed the entries of the vector ``x`` (D,) that ``free`` picks (a boolean mask (D,)
        or indices) with identity tangents: K = as many directions, the others constant."""
        x = _real(x)
        free = np.asarray(free)
        cols = np.flatnonzero(free) if free.dtype == bool else free.astype(np.intp)   # ([] too)
        tangent = np.zeros((x.size, cols.size))
        tangent[cols, np.arange(cols.size)] = 1.0
        return cls(x, tangent)

    @classmethod
    def constant(cls, x, k):
        x = _real(x)
        return cls(x, np.zeros(x.shape + (k,)))

    # -- array protocol ---------------------------------------------------
    @property
    def shape(self):
        return self.value.shape

    @property
    def ndim(self):
        return self.value.ndim

    @property
    def size(self):
        return self.value.size

    @property
    def k(self) -> int:
        """Number of seeded directions."""
        return self.tangent.shape[-1]

    def __len__(self):
        return len(self.value)

    def __repr__(self):
        def fmt(a):
            return np.array2string(np.asarray(a), precision=4, separator=", ", threshold=20)
        return f"Dual(value={fmt(self.value)}, tangent={fmt(self.tangent)})"

    def __getitem__(self, idx):
        idx = idx if isinstance(idx, tuple) else (idx,)
        if any(i is Ellipsis for i in idx):
            t_idx = idx + (slice(None),)
        else:
            t_idx = idx
        return _make("getitem", self.value[idx], self.tangent[t_idx], (self,))

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __float__(self):    # (numpy calls it for arr[i] = dual: the tangent went, silently)
        raise NotAFloat(NO_FLOAT)

    @property
    def T(self):
        return moveaxis(self, list(range(self.ndim)), list(reversed(range(self.ndim))))

    def reshape(self, *shape):
        return reshape(self, shape[0] if len(shape) == 1 else shape)

    def sum(self, axis=None, dtype=None, out=None, keepdims=False):   # (numpy.sum's call)
        if out is not None or (dtype is not None and np.dtype(dtype) != float):
            raise ValueError(f"a Dual's sum is a new Dual of floats: no out= and no dtype= but "
                             f"float, got out={type(out).__name__}, dtype={dtype}")
        return sum(self, axis=axis, keepdims=keepdims)

    # -- arithmetic: each computes value and tangent together -------------
    def __add__(self, other):
        if isinstance(other, Dual):
            _same_k(self, other)
            return _make("add", self.value + other.value, self.tangent + other.tangent, (self, other))
        other = _real(other)
        v = self.value + other
        return _make("add", v, _bcast(self.tangent, v.shape), (self,))

    def __radd__(self, other):  # other + self
        return self.__add__(other)

    def __sub__(self, other):
        if isinstance(other, Dual):
            _same_k(self, other)
            return _make("sub", self.value - other.value, self.tangent - other.tangent, (self, other))
        other = _real(other)
        v = self.value - other
        return _make("sub", v, _bcast(self.tangent, v.shape), (self,))

    def __rsub__(self, other):  # other - self
        return (-self).__add__(other)

    def __neg__(self):
        return _make("neg", -self.value, -self.tangent, (self,))

    def __pos__(self):
        return self

    def __mul__(self, other):
        if isinstance(other, Dual):
            _same_k(self, other)
            v = self.value * other.value
            t = self.tangent * _col(other.value) + _col(self.value) * other.tangent
            return _make("mul", v, t, (self, other))
        other = _real(other)
        return _make("mul", self.value * other, self.tangent * _col(other), (self,))

    def __rmul__(self, other):  # other * self
        return self.__mul__(other)

    # divided: x * (1 / y) overflowed where 1 / y does (|y| < 5.6e-309) though x / y need not
    def __truediv__(self, other):
        if isinstance(other, Dual):
            _same_k(self, other)
            v = self.value / other.value
            t = (self.tangent - _col(v) * other.tangent) / _col(other.value)
            return _make("div", v, t, (self, other))
        other = _real(other)
        return _make("div", self.value / other, self.tangent / _col(other), (self,))

    def __rtruediv__(self, other):  # other / self
        other = _real(other)
        v = other / self.value
        return _make("rdiv", v, -_col(v) * (self.tangent / _col(self.value)), (self,))

    def __pow__(self, other):
        if isinstance(other, Dual):
            _same_k(self, other)
            return _power(self, other)
        p = _real(other)
        v = self.value ** p
        return _make("pow", v, _col(pow_slope(self.value, p)) * self.tangent, (self,))

    def __rpow__(self, other):  # other ** self
        return _power(_real(other), self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):  # other @ self
        return matmul(other, self)


def _power(x, y):
    """``x ** y`` for a Dual exponent ``y`` (``x`` a Dual or a constant): numpy's value;
    a slope that is undefined where a tangent is non-zero raises (:mod:`armsim.ad.power`)."""
    xv = value_of(x)
    v, dx, dy, bad_x, bad_y = power.partials(xv, y.value)
    power.refuse(bad_y, lambda: _varies(y.tangent), "y", xv, y.value)
    t = _col(dy) * y.tangent
    if not isinstance(x, Dual):
        return _make("rpow", v, t, (y,))
    power.refuse(bad_x, lambda: _varies(x.tangent), "x", xv, y.value)
    return _make("pow", v, _col(dx) * x.tangent + t, (x, y))


def _bcast(tangent, shape):
    """Broadcast a tangent (S + (K,)) to a value shape ``shape``."""
    target = tuple(shape) + tangent.shape[-1:]
    return tangent if tangent.shape == target else np.broadcast_to(tangent, target)


# ---------------------------------------------------------------------------
# Elementwise rules.  Each takes the primal ``x`` (an array) and its tangent
# ``x_dot`` (x.shape + (K,)) and returns ``(value, tangent)``.
# ---------------------------------------------------------------------------

def _safe_recip(d):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 1.0 / d
    return np.where(np.isfinite(r), r, 0.0)


JVP_RULES = {
    "sin": lambda x, x_dot: (np.sin(x), _col(np.cos(x)) * x_dot),
    "cos": lambda x, x_dot: (np.cos(x), -_col(np.sin(x)) * x_dot),
    "tan": lambda x, x_dot: (np.tan(x), _col(1.0 / np.cos(x) ** 2) * x_dot),
    "atan": lambda x, x_dot: (np.arctan(x), _col(1.0 / (1.0 + x * x)) * x_dot),
    # d sqrt(x) = 1 / (2 sqrt x); taken as 0 at x = 0 so results stay finite
    "sqrt": lambda x, x_dot: (np.sqrt(x), _col(0.5 * _safe_recip(np.sqrt(x))) * x_dot),
    "exp": lambda x, x_dot: (np.exp(x), _col(np.exp(x)) * x_dot),
    "log": lambda x, x_dot: (np.log(x), _col(1.0 / x) * x_dot),
    "tanh": lambda x, x_dot: (np.tanh(x), _col(1.0 - np.tanh(x) ** 2) * x_dot),
    "sigmoid": lambda x, x_dot: (_sig(x), _col(_sig(x) * (1.0 - _sig(x))) * x_dot),
    "abs": lambda x, x_dot: (np.abs(x), _col(np.sign(x)) * x_dot),
    "square": lambda x, x_dot: (x * x, _col(2.0 * x) * x_dot),
}

_NUMPY = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "atan": np.arctan, "sqrt": np.sqrt,
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "abs": np.abs, "square": np.square,
    "sigmoid": lambda x: _sig(np.asarray(x, dtype=float)),
}


def _sig(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # logistic, overflow-free


def _unary(name):
    rule, plain = JVP_RULES[name], _NUMPY[name]

    def f(x):
        if isinstance(x, Dual):
            v, t = rule(x.value, x.tangent)
            return _make(name, v, t, (x,))
        other_ad = getattr(x, "_ad_unary", None)   # reverse-mode Var: same rule name
        if other_ad is not None:
            return other_ad(name)
        return plain(x)

    f.__name__ = name
    f.__doc__ = f"Elementwise {name}; differentiates Dual arguments."
    return f


sin = _unary("sin")
cos = _unary("cos")
tan = _unary("tan")
atan = arctan = _unary("atan")
sqrt = _unary("sqrt")
exp = _unary("exp")
log = _unary("log")
tanh = _unary("tanh")
sigmoid = _unary("sigmoid")
abs = absolute = _unary("abs")  # noqa: A001 - mirrors numpy's name
square = _unary("square")


def cos_sin(x):
    """``(cos(x), sin(x))`` sharing one evaluation of each (a rule with two outputs)."""
    if not isinstance(x, Dual):
        return np.cos(x), np.sin(x)
    c, s = np.cos(x.value), np.sin(x.value)
    return (_make("cos", c, -_col(s) * x.tangent, (x,)),
            _make("sin", s, _col(c) * x.tangent, (x,)))


def atan2(y, x):
    """Angle of the vector (x, y); the derivative is taken as 0 at the origin."""
    if not (isinstance(y, Dual) or isinstance(x, Dual)):
        return np.arctan2(y, x)
    k = _k_of(y, x)
    yv, xv = value_of(y), value_of(x)
    v = np.arctan2(yv, xv)
    r = np.hypot(xv, yv)          # (x / r) / r: x^2 + y^2 underflows to 0 below 1e-162
    dy, dx = _ratio(_ratio(xv, r), r), -_ratio(_ratio(yv, r), r)
    t = _col(dy) * _tangent_of(y, k, v.shape) + _col(dx) * _tangent_of(x, k, v.shape)
    return _make("atan2", v, t, tuple(a for a in (y, x) if isinstance(a, Dual)))


arctan2 = atan2


def _ratio(a, r):
    """``a / r``, 0 where ``r`` is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = a / r
    return np.where(r == 0, 0.0, q)


def hypot(x, y):
    """sqrt(x^2 + y^2); the derivative is taken as 0 at the origin."""
    if not (isinstance(y, Dual) or isinstance(x, Dual)):
        return np.hypot(x, y)
    k = _k_of(x, y)
    xv, yv = value_of(x), value_of(y)
    v = np.hypot(xv, yv)
    dx, dy = _ratio(xv, v), _ratio(yv, v)          # (x * (1 / r): 1 / r overflows at subnormals)
    t = _col(dx) * _tangent_of(x, k, v.shape) + _col(dy) * _tangent_of(y, k, v.shape)
    return _make("hypot", v, t, tuple(a for a in (x, y) if isinstance(a, Dual)))


def maximum(a, b):
    """Elementwise maximum; the derivative follows the larger argument (a NaN wins, as
    numpy's)."""
    if not (isinstance(a, Dual) or isinstance(b, Dual)):
        return np.maximum(a, b)
    va = np.asarray(value_of(a))
    return where((va >= value_of(b)) | np.isnan(va), a, b)


def minimum(a, b):
    if not (isinstance(a, Dual) or isinstance(b, Dual)):
        return np.minimum(a, b)
    va = np.asarray(value_of(a))
    return where((va <= value_of(b)) | np.isnan(va), a, b)


def clip(x, lo, hi):
    return minimum(maximum(x, lo), hi)


def where(cond, a, b):
    """Pick from ``a`` where ``cond`` else from ``b``, derivatives included."""
    if not (isinstance(a, Dual) or isinstance(b, Dual)):
        return np.where(cond, a, b)
    k = _k_of(a, b)
    cond = np.asarray(cond)
    v = np.where(cond, value_of(a), value_of(b))
    t = np.where(_col(cond), _tangent_of(a, k, v.shape), _tangent_of(b, k, v.shape))
    return _make("where", v, t, tuple(x for x in (a, b) if isinstance(x, Dual)))


# ---------------------------------------------------------------------------
# Structural operations (the tangent follows the value; axes are counted on
# the value, so a negative axis skips the trailing tangent axis).
# ---------------------------------------------------------------------------

def _axis(axis, ndim):
    if axis is None:
        return None
    return axis if axis >= 0 else axis + ndim


def cumsum(x, axis=-1):
    """Cumulative sum along ``axis`` (of the value)."""
    if not isinstance(x, Dual):
        return np.cumsum(x, axis=axis)
    if axis is None or x.ndim == 0:         # numpy's: over the flattened array
        x, axis = reshape(x, (-1,)), -1
    ax = _axis(axis, x.ndim)
    n = x.value.shape[ax] if x.ndim else 1
    if ax == x.ndim - 1 and n <= _TRI_MAX and type(x.tangent) is np.ndarray:
        # the tangent's summed axis is strided; a small triangular matmul is faster
        t = np.matmul(_tri(n), x.tangent)
    else:
        t = np.cumsum(x.tangent, axis=ax)
    return _make("cumsum", np.cumsum(x.value, axis=ax), t, (x,), {"axis": ax})


_TRI_MAX = 64
_TRI_CACHE = {}


def _tri(n):
    """Lower-triangular ones (n, n): ``_tri(n) @ v`` is the cumulative sum of v."""
    m = _TRI_CACHE.get(n)
    if m is None:
        m = _TRI_CACHE[n] = np.tril(np.ones((n, n)))
    return m


def sum(x, axis=None, keepdims=False):  # noqa: A001 - mirrors numpy's name
    """Sum over ``axis`` (all value axes when None)."""
    if not isinstance(x, Dual):
        return np.sum(x, axis=axis, keepdims=keepdims)
    if axis is not None and not isinstance(axis, tuple) and _axis(axis, x.ndim) == x.ndim - 1 \
            and not keepdims and type(x.tangent) is np.ndarray:
        # sum over the last value axis as a matmul (the tangent axis is strided)
        return _make("sum", np.sum(x.value, axis=-1),
                     np.matmul(np.ones(x.value.shape[-1]), x.tangent), (x,),
                     {"axis": x.ndim - 1, "keepdims": False})
    if axis is None:
        ax = tuple(range(x.ndim))
    elif isinstance(axis, tuple):
        ax = tuple(_axis(a, x.ndim) for a in axis)
    else:
        ax = _axis(axis, x.ndim)
    return _make("sum", np.sum(x.value, axis=ax, keepdims=keepdims),
                 np.sum(x.tangent, axis=ax, keepdims=keepdims), (x,),
                 {"axis": ax, "keepdims": keepdims})


def _as_duals(xs):
    k = _k_of(*xs)
    out = []
    for x in xs:
        out.append(x if isinstance(x, Dual) else Dual.constant(x, k))
    return out, k


def stack(xs, axis=0):
    """Stack along a new ``axis``; arrays and Duals may be mixed."""
    xs = list(xs)
    if not any(isinstance(x, Dual) for x in xs):
        return np.stack(xs, axis=axis)
    ds, _ = _as_duals(xs)
    shape = np.broadcast_shapes(*(d.shape for d in ds))
    vals = [np.broadcast_to(d.value, shape) for d in ds]
    tans = [_bcast(d.tangent, shape) for d in ds]
    ax = _axis(axis, len(shape) + 1)
    return _make("stack", np.stack(vals, axis=ax), np.stack(tans, axis=ax), tuple(ds))


def concatenate(xs, axis=0):
    xs = list(xs)
    if not any(isinstance(x, Dual) for x in xs):
        return np.concatenate(xs, axis=axis)
    ds, _ = _as_duals(xs)
    if axis is None:            # numpy's: the flattened parts (flattened with the value, the
        ds, axis = [reshape(d, (-1,)) for d in ds], 0        # tangent lost its K axis)
    ax = _axis(axis, ds[0].ndim)
    return _make("concatenate", np.concatenate([d.value for d in ds], axis=ax),
                 np.concatenate([d.tangent for d in ds], axis=ax), tuple(ds))


def reshape(x, shape):
    if not isinstance(x, Dual):
        return np.reshape(x, shape)
    v = np.reshape(x.value, shape)
    return _make("reshape", v, np.reshape(x.tangent, v.shape + (x.k,)), (x,))


def moveaxis(x, source, destination):
    if not isinstance(x, Dual):
        return np.moveaxis(x, source, destination)
    nd = x.ndim
    src = [_axis(s, nd) for s in np.atleast_1d(source)]
    dst = [_axis(d, nd) for d in np.atleast_1d(destination)]
    return _make("moveaxis", np.moveaxis(x.value, src, dst), np.moveaxis(x.tangent, src, dst), (x,))


def broadcast_to(x, shape):
    if not isinstance(x, Dual):
        return np.broadcast_to(x, shape)
    return _make("broadcast_to", np.broadcast_to(x.value, shape), _bcast(x.tangent, shape), (x,))


def zeros_like(x):
    return np.zeros_like(value_of(x))


def matmul(a, b):
    """``a @ b`` for 1-D or stacked 2-D operands, derivatives included."""
    if not (isinstance(a, Dual) or isinstance(b, Dual)):
        return np.matmul(a, b)
    k = _k_of(a, b)
    av, bv = value_of(a), value_of(b)
    v = np.matmul(av, bv)
    if isinstance(a, Dual) and not isinstance(b, Dual) and bv.ndim == 1 and av.ndim >= 1:
        if type(a.tangent) is not np.ndarray:   # e.g. sparse slots: multiply, then sum
            return sum(a * bv, axis=-1)
        # (..., n) @ (n,): contract the tangent's value axis directly
        return _make("matmul", v, np.matmul(bv, a.tangent), (a,), {"a": a, "b": b})
    # promote vectors to matrices so one einsum handles every case
    a2 = av[None, :] if av.ndim == 1 else av
    b2 = bv[:, None] if bv.ndim == 1 else bv
    t = 0.0
    if isinstance(a, Dual):
        at = a.tangent[None, :, :] if av.ndim == 1 else a.tangent
        t = t + np.einsum("...ijk,...jl->...ilk", at, b2)
    if isinstance(b, Dual):
        bt = b.tangent[:, None, :] if bv.ndim == 1 else b.tangent
        t = t + np.einsum("...ij,...jlk->...ilk", a2, bt)
    if bv.ndim == 1:
        t = t[..., 0, :]
    if av.ndim == 1:
        t = t[..., 0, :] if bv.ndim == 1 else t[..., 0, :, :]
    t = np.reshape(t, v.shape + (k,))
    return _make("matmul", v, t, tuple(x for x in (a, b) if isinstance(x, Dual)),
                 {"a": a, "b": b})


# ---------------------------------------------------------------------------
# Jacobians
# ---------------------------------------------------------------------------

def as_output(y):
    """A function's output as one Dual or array: a list or tuple (nested too) holding
    Duals is stacked (:func:`stack`), as numpy would make an array of one of numbers
    (its Duals' tangents were dropped: ``np.asarray`` took each 0-d Dual's float)."""
    if isinstance(y, np.ndarray) and y.dtype == object:
        y = y.tolist()
    if isinstance(y, (list, tuple)):
        parts = [as_output(v) for v in y]
        if any(isinstance(v, Dual) for v in parts):
            return stack(parts)
    return y


def seed(x, batch_dims=0):
    """Seed ``x`` with identity tangents per batch element.

    ``x`` has shape ``batch + S``; the result has K = prod(S) directions and
    tangent shape ``batch + S + (K,)``, so every batch element gets its own
    identity.  ``batch_dims=0`` is :meth:`Dual.variables`.
    """
    x = _real(x)
    inner = x.shape[batch_dims:]
    k = int(np.prod(inner, dtype=int))
    eye = np.eye(k).reshape(inner + (k,))
    return Dual(x, np.broadcast_to(eye, x.shape + (k,)).copy())


def value_and_jacobian(f, x):
    """Evaluate ``f`` at ``x`` and its Jacobian in one forward pass.

    Returns ``(f(x), J)`` with ``J.shape == f(x).shape + x.shape``.
    """
    x = _real(x)
    y = as_output(called(f, Dual.variables(x)))
    if not isinstance(y, Dual):  # f does not depend on x
        y = np.asarray(y, dtype=float)
        return y, np.zeros(y.shape + x.shape)
    t = y.tangent
    if not isinstance(t, np.ndarray):  # a sparse tangent (armsim.ad.pruning.Slots)
        t = t.to_dense()
    return y.value, t.reshape(y.shape + x.shape)


def jacobian(f, x):
    """df/dx by forward mode: identity seed, one evaluation, every column.

    Parameters
    ----------
    f : callable taking an array shaped like ``x`` (it receives a Dual)
    x : array_like, shape S

    Returns
    -------
    ndarray, shape f(x).shape + S
    """
    return value_and_jacobian(f, x)[1]
