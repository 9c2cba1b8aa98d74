"""Counted operations of forward mode versus reverse mode.

:func:`count_forward` runs a function on :class:`~armsim.ad.dual.Dual` inputs with a
counter installed in the forward-mode core; :func:`count_reverse` runs it on the
tape of :mod:`armsim.ad.reverse` and counts the backward sweep.  Both report
primal operations and derivative operations (multiplies and adds on tangent or
adjoint entries).

Counting convention (the one that gives the slide's 13 and 7)
----------------------------------------------------------------
* A derivative operation is one multiply of a derivative entry by a local
  partial derivative, or one add of two derivative entries.  Computing the local
  partial itself (``cos x``, ``2 e``) is primal-side work and is not counted.
* Local partials equal to +-1 are free (``a + b``, ``a - c``, ``-a``, indexing,
  stacking, reshaping): the entry is passed on, not multiplied.
* ``convention="nonzero"`` (default) counts only entries that are non-zero
  (forward: tangent entries; reverse: adjoint entries); an add happens only when
  both operands are non-zero.  Seeds are multiplied like any other entry.
  ``convention="dense"`` counts every entry of the ``S x K`` tangent, as a
  vectorised implementation computes it.
* The squared error is one ``square`` node (partial ``2 e``), not ``e * e``.
* Primal operations are the same in both modes (one per output element of an
  arithmetic operation, ``n - 1`` adds per summed line).

For the slide's chain ``h1 = w0 x, h2 = w1 h1, y = w3 h2, L = (y - t)^2`` with
the derivative wanted along all four inputs (x, w0, w1, w3): forward mode
multiplies 2 + 3 + 4 tangent entries in the three products and 4 in the square:
13; reverse mode multiplies the seed adjoint once in the square and two adjoints
in each product: 1 + 2 + 2 + 2 = 7.

For the arm's tip loss with ``N`` segments and ``K`` seeded parameters forward
mode costs ~ N K (every tangent row has K entries) and reverse mode ~ N (one
adjoint per value element), see :func:`armsim.commands.ops.arm_counts` and ``armsim ops``.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from armsim.ad import dual as ad
from armsim.ad import reverse as rv
from armsim.ad.pruning import Slots

__all__ = ["Counts", "counting", "count_forward", "count_reverse", "slide_counts",
           "CONVENTIONS"]

CONVENTIONS = ("nonzero", "dense")

_ELEMENTWISE = frozenset(ad.JVP_RULES) | {"pow", "rpow", "rdiv"}
_PRODUCTS = frozenset({"mul", "div", "atan2", "hypot"})
_SUMS = frozenset({"add", "sub"})


def _check_choice(kind, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {kind} {value!r}; choose one of {', '.join(choices)}")


@dataclass
class Counts:
    """Operations of one computation.

    Attributes
    ----------
    primal : int
        Operations on values.
    mul, add : int
        Multiplies and adds on derivative entries (tangents or adjoints).
    nodes : int
        Recorded operations (reverse mode: the tape length to store).
    """

    primal: int = 0
    mul: int = 0
    add: int = 0
    nodes: int = 0

    @property
    def derivative(self) -> int:
        """mul + add."""
        return self.mul + self.add


def _is_slots(t):
    return isinstance(t, Slots)


def _mask(t, convention):
    if isinstance(t, Slots):  # pruned sparse tangents are counted on their dense form
        t = t.to_dense()
    t = np.asarray(t)
    return (t != 0) if convention == "nonzero" else np.ones(t.shape, dtype=bool)


def _forward_hook(counts, convention):
    def hook(name, value, tangent, inputs, params):
        counts.nodes += 1
        size = int(np.size(value))
        shape = tangent.vals.shape[:-1] + (tangent.n,) if _is_slots(tangent) else np.shape(tangent)
        if name in _ELEMENTWISE or name in _PRODUCTS or name in _SUMS:
            masks = [np.broadcast_to(_mask(x.tangent, convention), shape) for x in inputs]
        if name in _ELEMENTWISE or name in _PRODUCTS:
            counts.primal += size
            counts.mul += int(sum(int(m.sum()) for m in masks))
            if len(masks) == 2:
                counts.add += int(np.sum(masks[0] & masks[1]))
        elif name in _SUMS:
            counts.primal += size
            if len(masks) == 2:
                counts.add += int(np.sum(masks[0] & masks[1]))
        elif name == "cumsum":
            ax = params["axis"]
            m = _mask(inputs[0].tangent, convention)
            n = m.shape[ax]
            counts.primal += size - size // max(n, 1)
            before = np.cumsum(m, axis=ax) - m                 # non-zeros before each entry
            counts.add += int(np.sum(m & (before > 0)))
        elif name == "sum":
            m = _mask(inputs[0].tangent, convention)
            c = np.sum(m, axis=params["axis"])
            counts.primal += int(np.size(inputs[0].value)) - size
            counts.add += int(np.sum(np.maximum(c - 1, 0)))
        elif name == "matmul":
            _count_matmul_forward(counts, params["a"], params["b"], convention)
        return tangent
    return hook


def _count_matmul_forward(counts, a, b, convention):
    av, bv = ad.value_of(a), ad.value_of(b)
    a2 = av[None, :] if av.ndim == 1 else av
    b2 = bv[:, None] if bv.ndim == 1 else bv
    counts.primal += int(np.size(np.matmul(a2, b2))) * (2 * a2.shape[-1] - 1)
    terms = 0.0
    if isinstance(a, ad.Dual):
        m = _mask(a.tangent, convention).astype(float)
        m = m[None, :, :] if av.ndim == 1 else m
        terms = terms + np.einsum("...ijk,...jl->...ilk", m, np.ones_like(b2))
    if isinstance(b, ad.Dual):
        m = _mask(b.tangent, convention).astype(float)
        m = m[:, None, :] if bv.ndim == 1 else m
        terms = terms + np.einsum("...ij,...jlk->...ilk", np.ones_like(a2), m)
    terms = np.asarray(terms)
    counts.mul += int(terms.sum())
    counts.add += int(np.maximum(terms - 1, 0).sum())


@contextmanager
def counting(convention="nonzero"):
    """Count forward-mode operations inside the ``with`` block.

    Yields
    ------
    Counts
        Filled as operations run; read it after the block.
    """
    _check_choice("convention", convention, CONVENTIONS)
    counts = Counts()
    hook = _forward_hook(counts, convention)
    with ad.hooked(hook):
        yield counts


def count_forward(f, duals, convention="nonzero"):
    """Run ``f(*duals)`` with the forward counter; returns (result, Counts)."""
    with counting(convention) as counts:
        out = f(*duals)
    return out, counts


def _nnz(x, convention):
    x = np.asarray(x)
    return int(np.count_nonzero(x)) if convention == "nonzero" else int(x.size)


def _reversed_cumsum_adds(g, axis, convention):
    """Adds of the reversed cumulative sum of ``g`` along ``axis``: an entry adds to the sum
    of those after it where both are non-zero (every entry but the last of a line, dense)."""
    m = _mask(g, convention)
    after = np.flip(np.cumsum(np.flip(m, axis), axis=axis), axis) - m
    return int(np.sum(m & (after > 0)))


def count_reverse(f, vars_, convention="nonzero"):
    """Run scalar ``f(*vars_)`` on the tape and sweep it backwards, counting.

    Parameters
    ----------
    f : callable returning a scalar Var
    vars_ : list of :class:`armsim.ad.reverse.Var`

    Returns
    -------
    (list of adjoints of ``vars_``, Counts)
        Counts of the backward sweep (``primal`` is left 0: the forward pass of
        the tape does the same primal work as forward mode).
    """
    _check_choice("convention", convention, CONVENTIONS)
    counts = Counts()
    adj_state = {}

    def hook(name, node, contributions):
        counts.nodes += 1
        for p, c, kind, first, g in contributions:
            what = kind[0] if isinstance(kind, tuple) else kind
            if what == "matmul":                                  # ("matmul", n)
                counts.mul += _nnz(c, convention) * kind[1]
                counts.add += _nnz(c, convention) * (kind[1] - 1)
            elif kind == "mul":
                counts.mul += _nnz(np.broadcast_to(g, node.value.shape), convention)
            elif what == "cumsum":                                # ("cumsum", axis)
                counts.add += _reversed_cumsum_adds(g, kind[1], convention)
            elif what == "take":    # ("take", m): m entries picked (stack, concatenate), no add
                counts.add += kind[1] - c.size                    # but where a part broadcast
            if kind in ("mul", "move", "neg") and c.size < node.value.size:     # un-broadcast sums
                counts.add += node.value.size - c.size
            prev = adj_state.get(id(p))
            if prev is not None:
                if convention == "nonzero":
                    counts.add += int(np.count_nonzero((prev != 0) & (c != 0)))
                else:
                    counts.add += int(c.size)
                adj_state[id(p)] = prev + c
            else:
                adj_state[id(p)] = c

    y = f(*vars_)
    rv.tape_hooks.append(hook)
    try:
        adj = rv._backward(y)
    finally:
        rv.tape_hooks.remove(hook)
    return [adj.get(id(v), np.zeros_like(v.value)) for v in vars_], counts


# ---------------------------------------------------------------------------
# The slide and the arm
# ---------------------------------------------------------------------------

def _slide_chain(x, w0, w1, w3, target):
    """x -> (w0) -> (w1) -> (w3) -> y -> squared error, one scalar at a time."""
    h1 = w0 * x
    h2 = w1 * h1
    y = w3 * h2
    return ad.square(y - target)


def slide_counts(convention="nonzero", seed=0):
    """Counts for the slide's scalar chain, both modes.

    Returns
    -------
    dict with ``forward`` and ``reverse`` :class:`Counts`, the ``gradient`` of
    the loss along (x, w0, w1, w3) from each mode, and ``agree``.
    """
    rng = np.random.default_rng(seed)
    x, w0, w1, w3 = rng.uniform(0.5, 1.5, 4)
    target = 0.3
    duals = [ad.Dual(v, np.eye(4)[i]) for i, v in enumerate((x, w0, w1, w3))]
    out, fwd = count_forward(lambda *a: _slide_chain(*a, target), duals, convention)
    vars_ = [rv.Var(v) for v in (x, w0, w1, w3)]
    grads, rev = count_reverse(lambda *a: _slide_chain(*a, target), vars_, convention)
    rev.primal = fwd.primal
    g_rev = np.array([float(g) for g in grads])
    return {"forward": fwd, "reverse": rev, "gradient_forward": out.tangent,
            "gradient_reverse": g_rev, "agree": bool(np.allclose(out.tangent, g_rev, atol=1e-12))}
