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
adjoint per value element), see :func:`arm_counts` and ``armsim ops``.
"""

from __future__ import annotations

import argparse
import json
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from armsim.ad import dual as ad
from armsim.ad import reverse as rv
from armsim.kinematics.planar import WRT_CHOICES, joint_positions
from armsim.ad.pruning import Slots

__all__ = ["Counts", "counting", "count_forward", "count_reverse", "slide_counts",
           "arm_counts", "ops_main", "CONVENTIONS"]

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
    ad._hooks.append(hook)
    try:
        yield counts
    finally:
        ad._hooks.remove(hook)


def count_forward(f, duals, convention="nonzero"):
    """Run ``f(*duals)`` with the forward counter; returns (result, Counts)."""
    with counting(convention) as counts:
        out = f(*duals)
    return out, counts


def _nnz(x, convention):
    x = np.asarray(x)
    return int(np.count_nonzero(x)) if convention == "nonzero" else int(x.size)


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
            if isinstance(kind, tuple):                           # ("matmul", n)
                counts.mul += _nnz(c, convention) * kind[1]
                counts.add += _nnz(c, convention) * (kind[1] - 1)
            elif kind == "mul":
                counts.mul += _nnz(np.broadcast_to(g, node.value.shape), convention)
            elif kind == "cumsum":
                counts.add += _nnz(g, convention) - _nnz(np.take(g, [0], axis=-1), convention)
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


def _arm_loss(z, n, wrt, lengths, target):
    sizes = {"angles": n, "lengths": n, "base": 2}
    parts, off = {}, 0
    for w in wrt:
        parts[w] = z[off:off + sizes[w]]
        off += sizes[w]
    # the base is added to the tip (chain.joint_positions takes only a Dual or
    # an array as base; the tip moves rigidly with it, so this is the same map)
    tip = joint_positions(parts.get("angles", np.zeros(n)), parts.get("lengths", lengths),
                          np.zeros(2))[..., -1, :]
    if "base" in parts:
        tip = tip + parts["base"]
    return ad.sum(ad.square(tip - target))


def arm_counts(n, wrt=("angles",), convention="nonzero", seed=0):
    """Counts for the squared tip error of an ``n``-segment arm, both modes.

    Parameters
    ----------
    n : int
        Segments.
    wrt : tuple of str from ``("angles", "lengths", "base")``
        Seeded parameters; K = n per angles or lengths, 2 for the base.

    Returns
    -------
    dict with ``n``, ``k``, ``forward`` and ``reverse`` Counts and the largest
    gradient difference ``max_diff``.
    """
    if isinstance(wrt, str):
        wrt = (wrt,)
    for w in wrt:
        _check_choice("parameter group", w, WRT_CHOICES)
    rng = np.random.default_rng(seed)
    lengths = np.full(n, 1.0 / n)
    z = np.concatenate([{"angles": rng.uniform(-1, 1, n), "lengths": lengths,
                         "base": np.zeros(2)}[w] for w in wrt])
    target = np.array([0.3, 0.4])
    k = z.size
    out, fwd = count_forward(lambda d: _arm_loss(d, n, wrt, lengths, target),
                             [ad.Dual.variables(z)], convention)
    (g,), rev = count_reverse(lambda v: _arm_loss(v, n, wrt, lengths, target),
                              [rv.Var(z)], convention)
    rev.primal = fwd.primal
    return {"n": n, "k": k, "forward": fwd, "reverse": rev,
            "max_diff": float(np.max(np.abs(out.tangent - g)))}


# ---------------------------------------------------------------------------
# Command line: armsim ops
# ---------------------------------------------------------------------------

def _row(c):
    return {"primal": c.primal, "mul": c.mul, "add": c.add, "derivative": c.derivative,
            "nodes": c.nodes}


def ops_table(segments=(1, 2, 5, 10, 20, 50, 100), wrt=("angles",), convention="nonzero"):
    """The data behind ``armsim ops``: the slide and the arm rows (JSON-ready dict)."""
    s = slide_counts(convention)
    arm = []
    for n in segments:
        r = arm_counts(int(n), wrt, convention)
        arm.append({"segments": r["n"], "k": r["k"], "forward": _row(r["forward"]),
                    "reverse": _row(r["reverse"]), "max_diff": r["max_diff"]})
    return {"convention": convention, "wrt": list(wrt),
            "slide": {"forward": _row(s["forward"]), "reverse": _row(s["reverse"]),
                      "agree": s["agree"]},
            "arm": arm}


def format_table(data):
    """Plain-text tables of :func:`ops_table`'s result."""
    lines = [f"Slide: x -(w0)-(w1)-(w3)-> y -> (y - t)^2, derivatives along x, w0, w1, w3 "
             f"(convention {data['convention']})",
             f"{'mode':<8} {'primal':>6} {'mul':>5} {'add':>5} {'total':>6}"]
    for mode in ("forward", "reverse"):
        r = data["slide"][mode]
        lines.append(f"{mode:<8} {r['primal']:>6} {r['mul']:>5} {r['add']:>5} {r['derivative']:>6}")
    lines.append("")
    lines.append(f"Arm: squared tip error, N segments, K = parameters ({', '.join(data['wrt'])})")
    lines.append(f"{'N':>5} {'K':>5} {'primal':>7} {'fwd mul':>9} {'fwd add':>9} {'fwd total':>10} "
                 f"{'rev mul':>8} {'rev add':>8} {'rev total':>9} {'fwd/rev':>8}")
    for r in data["arm"]:
        f, b = r["forward"], r["reverse"]
        ratio = f["derivative"] / max(b["derivative"], 1)
        lines.append(f"{r['segments']:>5} {r['k']:>5} {f['primal']:>7} {f['mul']:>9} {f['add']:>9} "
                     f"{f['derivative']:>10} {b['mul']:>8} {b['add']:>8} {b['derivative']:>9} "
                     f"{ratio:>8.1f}")
    return "\n".join(lines)


#: Largest ``armsim ops --segments``: forward mode keeps (N, K) tangents with
#: K ~ 2N, so a count takes memory ~ N^2 (measured, --wrt angles lengths base:
#: N = 1000 0.24 GB 1.0 s, 2000 0.86 GB 2.8 s, 4000 3.3 GB 9.0 s).
MAX_SEGMENTS = 2000


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, status 2, no usage dump
        import sys
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def ops_main(argv=None) -> int:
    """``armsim ops``: count forward and reverse operations; print a table or JSON."""
    p = _OneLineParser(
        prog="armsim ops",
        description="Count derivative operations of forward mode versus reverse mode: the "
                    "slide's scalar chain and the squared tip error of an N-segment arm.")
    p.add_argument("--segments", type=int, nargs="+", default=[1, 2, 5, 10, 20, 50, 100],
                   metavar="N", help=f"arm sizes to count, each 1 to {MAX_SEGMENTS} "
                                     "(default: 1 2 5 10 20 50 100)")
    p.add_argument("--wrt", nargs="+", default=["angles"], metavar="GROUP",
                   help=f"seeded parameter groups, from {', '.join(WRT_CHOICES)} (default: angles)")
    p.add_argument("--convention", default="nonzero", metavar="NAME",
                   help=f"what is counted: {', '.join(CONVENTIONS)} (default: nonzero)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = p.parse_args(argv)
    try:
        _check_choice("convention", args.convention, CONVENTIONS)
        for w in args.wrt:
            _check_choice("parameter group", w, WRT_CHOICES)
        if any(n < 1 for n in args.segments):
            raise ValueError("--segments must be >= 1")
        big = max(args.segments)
        if big > MAX_SEGMENTS:
            raise ValueError(f"argument --segments: at most {MAX_SEGMENTS} segments (the count "
                             f"takes memory growing as N^2: about 0.9 GB at {MAX_SEGMENTS}), got {big}")
    except ValueError as e:
        p.error(str(e))
    data = ops_table(args.segments, tuple(args.wrt), args.convention)
    print(json.dumps(data, indent=2) if args.json else format_table(data))
    return 0
