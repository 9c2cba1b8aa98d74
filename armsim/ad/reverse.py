"""A small tape-based reverse mode, the cross-check of :mod:`armsim.ad.dual`.

A :class:`Var` holds a primal ``value`` (any array shape) and records, for
every operation, its parents and a vector-Jacobian product.  :func:`grad`
sweeps the tape backwards once from a scalar output: one backward pass gives
the derivative with respect to every input, whatever their number.

The rules share the names of :data:`armsim.ad.dual.JVP_RULES` (``VJP_RULES``), and
``Var`` speaks numpy's dispatch protocols, so the same array code that runs on
floats and on :class:`~armsim.ad.dual.Dual` (for instance
:func:`armsim.kinematics.planar.joint_positions`) runs on ``Var`` unchanged.

Every backward step calls ``tape_hooks`` (``hook(name, node, contributions)``)
so :mod:`armsim.ad.opcount` can count the backward sweep.

Example
-------
>>> value, g = value_and_grad(lambda x: ad.sum(ad.sin(x) * x), np.array([0.3, 0.5]))
"""

from __future__ import annotations

import itertools

import numpy as np

from armsim.ad import dual as ad
from armsim.ad import power
from armsim.ad.compare import ByValue

__all__ = ["Var", "grad", "value_and_grad", "VJP_RULES"]

_counter = itertools.count()
tape_hooks: list = []


def _sr(d):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 1.0 / d
    return np.where(np.isfinite(r), r, 0.0)


# Each takes the primal input ``x``, the output ``y`` and the output adjoint
# ``g`` and returns the input adjoint.  The derivative formulas are those of
# ``JVP_RULES`` (same conventions at singular points).
VJP_RULES = {
    "sin": lambda x, y, g: g * np.cos(x),
    "cos": lambda x, y, g: -g * np.sin(x),
    "tan": lambda x, y, g: g * (1.0 / np.cos(x) ** 2),
    "atan": lambda x, y, g: g * (1.0 / (1.0 + x * x)),
    "sqrt": lambda x, y, g: g * (0.5 * _sr(np.sqrt(x))),
    "exp": lambda x, y, g: g * np.exp(x),
    "log": lambda x, y, g: g * (1.0 / x),
    "tanh": lambda x, y, g: g * (1.0 - np.tanh(x) ** 2),
    "sigmoid": lambda x, y, g: g * (ad._sig(x) * (1.0 - ad._sig(x))),
    "abs": lambda x, y, g: g * np.sign(x),
    "square": lambda x, y, g: g * (2.0 * x),
}

_UFUNC_NAMES = {
    np.sin: "sin", np.cos: "cos", np.tan: "tan", np.arctan: "atan", np.sqrt: "sqrt",
    np.exp: "exp", np.log: "log", np.tanh: "tanh", np.absolute: "abs", np.square: "square",
}


def _unbroadcast(g, shape):
    """Sum an adjoint over the axes that broadcasting added to ``shape``."""
    g = np.asarray(g, dtype=float)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = g.sum(axis=i, keepdims=True)
    return g


def _val(x):
    return x.value if isinstance(x, Var) else np.asarray(x, dtype=float)


class Var(ByValue):
    """A node of the tape: a value and how to send adjoints to its parents.

    Parameters
    ----------
    value : array_like
    """

    __slots__ = ("value", "parents", "name", "order")
    _primal = staticmethod(_val)      # (ByValue's comparisons: by the values)

    def __init__(self, value, parents=(), name="input"):
        self.value = np.asarray(value, dtype=float)
        self.parents = tuple(parents)          # ((Var, vjp(g) -> adjoint, kind), ...)
        self.name = name
        self.order = next(_counter)

    @property
    def _ad_value(self):
        return self.value

    @property
    def shape(self):
        return self.value.shape

    @property
    def ndim(self):
        return self.value.ndim

    def __repr__(self):
        return f"Var({self.value!r}, name={self.name!r})"

    def __len__(self):
        return len(self.value)

    # -- elementwise rules by name (dispatched from armsim.ad.dual) --------------
    def _ad_unary(self, name):
        x = self.value
        y = ad._NUMPY[name](x)
        rule = VJP_RULES[name]
        return _node(name, y, [(self, lambda g: rule(x, y, g), "mul")])

    # -- numpy protocols --------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or kwargs:
            return NotImplemented
        if ufunc in _UFUNC_NAMES:
            return self._ad_unary(_UFUNC_NAMES[ufunc]) if inputs[0] is self else NotImplemented
        rule = _BINARY.get(ufunc)
        if rule is None:
            raise TypeError(f"reverse mode has no rule for numpy.{ufunc.__name__}")
        return rule(*inputs)

    def __array_function__(self, func, types, args, kwargs):
        rule = _FUNCTIONS.get(func)
        if rule is None:
            raise TypeError(f"reverse mode has no rule for numpy.{func.__name__}")
        return rule(*args, **kwargs)

    def __add__(self, o):
        return np.add(self, o)

    def __radd__(self, o):  # o + self
        return np.add(o, self)

    def __sub__(self, o):
        return np.subtract(self, o)

    def __rsub__(self, o):  # o - self
        return np.subtract(o, self)

    def __mul__(self, o):
        return np.multiply(self, o)

    def __rmul__(self, o):  # o * self
        return np.multiply(o, self)

    def __truediv__(self, o):
        return np.true_divide(self, o)

    def __rtruediv__(self, o):  # o / self
        return np.true_divide(o, self)

    def __pow__(self, o):
        return np.power(self, o)

    def __rpow__(self, o):  # o ** self
        return np.power(o, self)

    def __neg__(self):
        return np.negative(self)

    def __matmul__(self, o):
        return np.matmul(self, o)

    def __rmatmul__(self, o):  # o @ self
        return np.matmul(o, self)

    def __getitem__(self, idx):
        shape = self.value.shape

        def vjp(g):
            out = np.zeros(shape)
            np.add.at(out, idx, g)
            return out
        return _node("getitem", self.value[idx], [(self, vjp, "move")])

    @property
    def T(self):
        return _moveaxis(self, list(range(self.ndim)), list(reversed(range(self.ndim))))

    def sum(self, axis=None, keepdims=False):
        return _sum(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape):
        return _reshape(self, shape[0] if len(shape) == 1 else shape)


def _node(name, value, parents):
    """A new Var; ``parents`` lists (operand, vjp, kind) for the Var operands only."""
    return Var(value, [(p, f, kind) for p, f, kind in parents if isinstance(p, Var)], name)


# -- binary ufuncs ---------------------------------------------------------------
# kind: "move" (adjoint passed on unchanged or rearranged: no multiply; summed where it was
# broadcast), "mul" (adjoint multiplied by a local partial), "neg" (sign flip), ("take", m)
# (m entries of the adjoint picked, then summed where the part was broadcast: stack,
# concatenate), ("cumsum", axis) (a reversed cumulative sum), ("matmul", n).

def _add(a, b):
    av, bv = _val(a), _val(b)
    v = av + bv
    return _node("add", v, [(a, lambda g: _unbroadcast(g, av.shape), "move"),
                            (b, lambda g: _unbroadcast(g, bv.shape), "move")])


def _sub(a, b):
    av, bv = _val(a), _val(b)
    v = av - bv
    return _node("sub", v, [(a, lambda g: _unbroadcast(g, av.shape), "move"),
                            (b, lambda g: _unbroadcast(-g, bv.shape), "neg")])


def _mul(a, b):
    av, bv = _val(a), _val(b)
    return _node("mul", av * bv, [(a, lambda g: _unbroadcast(g * bv, av.shape), "mul"),
                                  (b, lambda g: _unbroadcast(g * av, bv.shape), "mul")])


def _div(a, b):
    av, bv = _val(a), _val(b)
    v = av / bv                     # divided, as forward mode (1 / b overflows first)
    return _node("div", v, [(a, lambda g: _unbroadcast(g / bv, av.shape), "mul"),
                            (b, lambda g: _unbroadcast(-g * (v / bv), bv.shape), "mul")])


def _neg(a):
    return _node("neg", -a.value, [(a, lambda g: -g, "neg")])


def _pow(a, b):
    av, bv = _val(a), _val(b)
    if isinstance(b, Var):      # a varying exponent: the slopes of armsim.ad.power, as in dual
        return _pow_var(a, b, av, bv)
    v = av ** bv
    d = ad.pow_slope(av, bv)
    return _node("pow", v, [(a, lambda g: _unbroadcast(g * d, av.shape), "mul")])


def _pow_var(a, b, av, bv):
    """``a ** b`` for a Var exponent; an undefined slope raises once a non-zero adjoint
    reaches it (in the backward sweep), so the value itself is numpy's.  An adjoint does
    not know that the exponent's own derivative is zero (``x ** (0 * x)`` at x = 0), so
    reverse mode refuses there too where forward mode does not."""
    v, dx, dy, bad_x, bad_y = power.partials(av, bv)

    def va(g):
        power.refuse(bad_x, lambda: np.asarray(g) != 0, "x", av, bv)
        return _unbroadcast(g * dx, av.shape)

    def vb(g):
        power.refuse(bad_y, lambda: np.asarray(g) != 0, "y", av, bv)
        return _unbroadcast(g * dy, bv.shape)
    return _node("pow", v, [(b, vb, "mul"), (a, va, "mul")])     # the exponent's check first


def _atan2(y, x):
    yv, xv = _val(y), _val(x)
    v = np.arctan2(yv, xv)
    r = np.hypot(xv, yv)                # as forward mode: (x / r) / r, 0 at the origin
    dy, dx = ad._ratio(ad._ratio(xv, r), r), -ad._ratio(ad._ratio(yv, r), r)
    return _node("atan2", v, [(y, lambda g: _unbroadcast(g * dy, yv.shape), "mul"),
                              (x, lambda g: _unbroadcast(g * dx, xv.shape), "mul")])


def _hypot(x, y):
    xv, yv = _val(x), _val(y)
    v = np.hypot(xv, yv)
    dx, dy = ad._ratio(xv, v), ad._ratio(yv, v)
    return _node("hypot", v, [(x, lambda g: _unbroadcast(g * dx, xv.shape), "mul"),
                              (y, lambda g: _unbroadcast(g * dy, yv.shape), "mul")])


def _where(cond, a, b):
    cond = np.asarray(cond)
    av, bv = _val(a), _val(b)
    v = np.where(cond, av, bv)
    return _node("where", v, [
        (a, lambda g: _unbroadcast(np.where(cond, g, 0.0), av.shape), "move"),
        (b, lambda g: _unbroadcast(np.where(cond, 0.0, g), bv.shape), "move")])


def _maximum(a, b):
    return _where(_val(a) >= _val(b), a, b)


def _minimum(a, b):
    return _where(_val(a) <= _val(b), a, b)


def _matmul(a, b):
    av, bv = _val(a), _val(b)
    v = np.matmul(av, bv)
    a2 = av[None, :] if av.ndim == 1 else av
    b2 = bv[:, None] if bv.ndim == 1 else bv

    def g2(g):  # adjoint promoted to matrix form
        g = np.asarray(g, dtype=float)
        if bv.ndim == 1:
            g = g[..., None]
        if av.ndim == 1:
            g = np.expand_dims(g, -2)
        return g

    def va(g):
        ga = np.matmul(g2(g), np.swapaxes(b2, -1, -2))
        ga = ga[..., 0, :] if av.ndim == 1 else ga
        return _unbroadcast(ga, av.shape)

    def vb(g):
        gb = np.matmul(np.swapaxes(a2, -1, -2), g2(g))
        gb = gb[..., 0] if bv.ndim == 1 else gb
        return _unbroadcast(gb, bv.shape)
    # kind ("matmul", n): each adjoint entry is a sum of n products
    return _node("matmul", v, [(a, va, ("matmul", b2.shape[-1])),
                               (b, vb, ("matmul", a2.shape[-2]))])


_BINARY = {
    np.add: _add, np.subtract: _sub, np.multiply: _mul, np.true_divide: _div,
    np.negative: _neg, np.power: _pow, np.arctan2: _atan2, np.hypot: _hypot,
    np.maximum: _maximum, np.minimum: _minimum, np.matmul: _matmul,
}


# -- structural functions -------------------------------------------------------

def _axis(axis, ndim):
    return axis if axis >= 0 else axis + ndim


def _cumsum(x, axis=None, **_):
    if axis is None:
        return _cumsum(_reshape(x, (-1,)), axis=0)
    ax = _axis(axis, x.ndim)

    def vjp(g):  # reversed cumulative sum
        return np.flip(np.cumsum(np.flip(g, ax), axis=ax), ax)
    return _node("cumsum", np.cumsum(x.value, axis=ax), [(x, vjp, ("cumsum", ax))])


def _sum(x, axis=None, keepdims=False, **_):
    shape = x.value.shape
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(_axis(a, x.ndim) for a in np.atleast_1d(axis))
    v = np.sum(x.value, axis=axes, keepdims=keepdims)

    def vjp(g):
        g = np.asarray(g, dtype=float)
        if not keepdims:
            g = np.expand_dims(g, axes)
        return np.broadcast_to(g, shape).copy()
    return _node("sum", v, [(x, vjp, "move")])


def _stack(xs, axis=0, **_):
    xs = list(xs)
    vals = [_val(x) for x in xs]
    shape = np.broadcast_shapes(*(v.shape for v in vals))
    v = np.stack([np.broadcast_to(u, shape) for u in vals], axis=axis)
    ax = _axis(axis, v.ndim)
    part = v.size // max(len(xs), 1)            # the entries taken for each part
    parents = [(x, (lambda g, i=i, s=u.shape: _unbroadcast(np.take(g, i, axis=ax), s)),
                ("take", part)) for i, (x, u) in enumerate(zip(xs, vals))]
    return _node("stack", v, parents)


def _concatenate(xs, axis=0, **_):
    xs = list(xs)
    if axis is None:                                   # numpy's: the flattened parts
        xs, axis = [_reshape(x, (-1,)) if isinstance(x, Var) else np.ravel(x) for x in xs], 0
    vals = [_val(x) for x in xs]
    v = np.concatenate(vals, axis=axis)
    ax = _axis(axis, v.ndim)
    edges = np.cumsum([0] + [u.shape[ax] for u in vals])
    parents = [(x, (lambda g, lo=edges[i], hi=edges[i + 1]:
                    np.take(g, np.arange(lo, hi), axis=ax)), ("take", vals[i].size))
               for i, x in enumerate(xs)]
    return _node("concatenate", v, parents)


def _reshape(x, shape, **_):
    s = x.value.shape
    return _node("reshape", np.reshape(x.value, shape), [(x, lambda g: np.reshape(g, s), "move")])


def _moveaxis(x, source, destination):
    return _node("moveaxis", np.moveaxis(x.value, source, destination),
                 [(x, lambda g: np.moveaxis(g, destination, source), "move")])


def _broadcast_to(x, shape, **_):
    s = x.value.shape
    return _node("broadcast_to", np.broadcast_to(x.value, shape),
                 [(x, lambda g: _unbroadcast(g, s), "move")])


def _expand_dims(x, axis):
    return _reshape(x, np.expand_dims(x.value, axis).shape)


_FUNCTIONS = {
    np.cumsum: _cumsum, np.sum: _sum, np.stack: _stack, np.concatenate: _concatenate,
    np.reshape: _reshape, np.moveaxis: _moveaxis, np.broadcast_to: _broadcast_to,
    np.where: _where, np.expand_dims: _expand_dims,
}


# -- the backward sweep -------------------------------------------------------------

def _backward(out):
    """Adjoints of every node reachable from scalar ``out``: {id(Var): (Var, adjoint)}."""
    nodes, seen, todo = [], set(), [out]
    while todo:
        n = todo.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        nodes.append(n)
        todo.extend(p for p, _, _ in n.parents)
    nodes.sort(key=lambda n: n.order, reverse=True)
    adj = {id(out): np.ones_like(out.value)}
    for n in nodes:
        g = adj.get(id(n))
        if g is None:
            continue
        contributions = []
        for p, vjp, kind in n.parents:
            c = np.asarray(vjp(g), dtype=float)
            first = id(p) not in adj
            contributions.append((p, c, kind, first, g))
            adj[id(p)] = c if first else adj[id(p)] + c
        for hook in tape_hooks:
            hook(n.name, n, contributions)
    return adj


def value_and_grad(f, x):
    """Value of scalar ``f`` at ``x`` and its gradient, by one backward sweep.

    Parameters
    ----------
    f : callable taking an array shaped like ``x`` (it receives a Var)
    x : array_like, shape S

    Returns
    -------
    (float, ndarray shape S)
    """
    x = np.asarray(x, dtype=float)
    v = Var(x)
    y = f(v)
    if not isinstance(y, Var):
        return float(np.asarray(y)), np.zeros_like(x)
    if y.value.size != 1:
        raise ValueError(f"reverse mode needs a scalar output, got shape {y.value.shape}")
    if y.value.shape != ():
        y = _reshape(y, ())
    adj = _backward(y)
    return float(y.value), adj.get(id(v), np.zeros_like(x))


def grad(f, x):
    """Gradient of scalar ``f`` at ``x`` (shape of ``x``); see :func:`value_and_grad`."""
    return value_and_grad(f, x)[1]
