"""``armsim ops``: forward- versus reverse-mode operation counts, on the slide's chain and
on the squared tip error of an N-segment planar arm (counted by :mod:`armsim.ad.opcount`).

What is counted: the *dense* forward pass, :func:`~armsim.kinematics.planar.joint_positions`
on :class:`~armsim.ad.dual.Dual` seeded with K identity tangents (what
:func:`armsim.ad.dual.jacobian` runs on any function, and what ``Chain.joints_jacobian``
and a pruned or counted ``Chain.jacobian`` run), against the tape of
:mod:`armsim.ad.reverse`.  ``Chain.jacobian`` itself and the solvers run the structured
pass (:func:`armsim.kinematics.planar.tip_jacobian`: one-hot tangents on the absolute
angles, then the reversed cumulative sum; O(N) per arm), which these counts do not
describe (:data:`FORWARD_PASS`)."""

from __future__ import annotations

import json

import numpy as np

from armsim.ad import dual as ad
from armsim.commands.options import HelpSaid
from armsim.ad import reverse as rv
from armsim.ad.opcount import (CONVENTIONS, _check_choice, count_forward, count_reverse,
                               slide_counts)
from armsim.kinematics import planar
from armsim.kinematics.planar import WRT_CHOICES, joint_positions

__all__ = ["arm_counts", "ops_table", "format_table", "ops_main", "MAX_SEGMENTS",
           "MAX_SEGMENTS_BASE", "max_segments", "FORWARD_PASS"]

#: the computation the forward counts describe (printed with the table and in the JSON)
FORWARD_PASS = ("forward = the dense pass (joint_positions on K identity tangents, as "
                "armsim.ad.dual.jacobian runs any function); Chain.jacobian runs the structured "
                "pass instead (one-hot tangents on the absolute angles, reversed cumsum: O(N) "
                "per arm), not counted here")


def _arm_loss(z, n, wrt, angles, lengths, target):
    sizes = {"angles": n, "lengths": n, "base": 2}
    parts, off = {}, 0
    for w in wrt:
        parts[w] = z[off:off + sizes[w]]
        off += sizes[w]
    # the base is added to the tip (chain.joint_positions takes only a Dual or
    # an array as base; the tip moves rigidly with it, so this is the same map)
    tip = joint_positions(parts.get("angles", angles), parts.get("lengths", lengths),
                          np.zeros(2))[..., -1, :]
    if "base" in parts:
        tip = tip + parts["base"]
    return ad.sum(ad.square(tip - target))


def _check_wrt(wrt):
    """Known parameter groups, each at most once (twice, K counted it twice: 20 for N = 10)."""
    for w in wrt:
        _check_choice("parameter group", w, WRT_CHOICES)
    if len(set(wrt)) != len(wrt):
        raise ValueError(f"wrt: each parameter group at most once, got {' '.join(wrt)}")


def arm_counts(n, wrt=("angles",), convention="nonzero", seed=0):
    """Counts for the squared tip error of an ``n``-segment arm, both modes.

    Parameters
    ----------
    n : int
        Segments.
    wrt : tuple of str from ``("angles", "lengths", "base")``
        Seeded parameters; K = n per angles or lengths, 2 for the base.  The pose is the
        same whatever is seeded: angles uniform in [-1, 1] from ``seed``, lengths 1 / n,
        the base at the origin.

    Returns
    -------
    dict with ``n``, ``k``, ``forward`` and ``reverse`` Counts and the largest
    gradient difference ``max_diff``.
    """
    if isinstance(wrt, str):
        wrt = (wrt,)
    _check_wrt(wrt)
    rng = np.random.default_rng(seed)
    # one bent pose whatever is seeded (unseeded angles of 0, a straight arm, made sin = 0
    # and the y row's tangent exactly zero: the nonzero convention then counted less)
    angles = rng.uniform(-1, 1, n)
    lengths = np.full(n, 1.0 / n)
    z = np.concatenate([{"angles": angles, "lengths": lengths, "base": np.zeros(2)}[w]
                        for w in wrt])
    target = np.array([0.3, 0.4])
    k = z.size
    out, fwd = count_forward(lambda d: _arm_loss(d, n, wrt, angles, lengths, target),
                             [ad.Dual.variables(z)], convention)
    (g,), rev = count_reverse(lambda v: _arm_loss(v, n, wrt, angles, lengths, target),
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
    return {"convention": convention, "wrt": list(wrt), "forward_pass": FORWARD_PASS,
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
    lines.append(data.get("forward_pass", FORWARD_PASS))
    lines.append(f"{'N':>5} {'K':>5} {'primal':>7} {'fwd mul':>9} {'fwd add':>9} {'fwd total':>10} "
                 f"{'rev mul':>8} {'rev add':>8} {'rev total':>9} {'fwd/rev':>8}")
    for r in data["arm"]:
        f, b = r["forward"], r["reverse"]
        ratio = f["derivative"] / max(b["derivative"], 1)
        lines.append(f"{r['segments']:>5} {r['k']:>5} {f['primal']:>7} {f['mul']:>9} {f['add']:>9} "
                     f"{f['derivative']:>10} {b['mul']:>8} {b['add']:>8} {b['derivative']:>9} "
                     f"{ratio:>8.1f}")
    return "\n".join(lines)


#: Largest ``armsim ops --segments`` when angles or lengths are seeded: forward mode keeps
#: (N, K) tangents with K ~ N (2N with both), so a count takes memory ~ N^2 (measured,
#: --wrt angles lengths base: N = 1000 0.24 GB 1.0 s, 2000 0.86 GB 2.8 s, 4000 3.3 GB 9.0 s).
MAX_SEGMENTS = 2000

#: Largest ``--segments`` with ``--wrt base`` alone: K = 2 whatever N, so the memory grows as
#: N (peak RSS 113 bytes a segment, N = 0.25 to 2 million, 0.3 s a million; tracemalloc 104,
#: N = 1000 to 256000, both conventions): 0.9 GB at this N, as the N^2 choices at theirs.
MAX_SEGMENTS_BASE = 8_000_000

#: Peak bytes of one count per N K (tracemalloc, both conventions, N = 250 to 1000: 12 N K
#: floats for --wrt angles, 13 for angles lengths base, 9 for lengths; rounded up).
BYTES_PER_NK = 14 * 8

#: Peak bytes of one count per N with ``--wrt base`` alone (13 floats measured, see
#: :data:`MAX_SEGMENTS_BASE`; rounded up), where the N K bound above would say 28.
BYTES_PER_N_BASE = 15 * 8


def _quadratic(wrt) -> bool:
    """Whether seeding ``wrt`` makes K grow with N (angles or lengths: memory ~ N^2)."""
    return any(w in ("angles", "lengths") for w in wrt)


def max_segments(wrt) -> int:
    """The largest ``--segments`` accepted for the seeded groups ``wrt``:
    :data:`MAX_SEGMENTS` when angles or lengths are seeded, :data:`MAX_SEGMENTS_BASE` for the
    base alone (whose count's memory grows as N, not N^2)."""
    return MAX_SEGMENTS if _quadratic(wrt) else MAX_SEGMENTS_BASE


def _check_limit(segments, wrt):
    big, most = max(segments), max_segments(wrt)
    if big <= most:
        return
    if _quadratic(wrt):
        raise ValueError(f"argument --segments: at most {most} segments (the count takes "
                         f"memory growing as N^2: about 0.9 GB at {most}), got {big}")
    raise ValueError(f"argument --segments: at most {most} segments with --wrt base alone "
                     f"(the count takes memory growing as N: about 0.9 GB at {most}), "
                     f"got {big}")


def _check_memory(segments, wrt):
    """Refuse up front a count that would not fit :func:`armsim.kinematics.planar.memory_budget`
    (the share of this machine's memory, or of ``ulimit -v``, a dense Jacobian may take)."""
    n = max(segments)                               # the counts run one after another
    k = sum({"angles": n, "lengths": n, "base": 2}[w] for w in wrt)
    need = BYTES_PER_NK * n * k if _quadratic(wrt) else BYTES_PER_N_BASE * n
    budget = planar.memory_budget()
    if need > budget:
        raise ValueError(f"argument --segments: counting N = {n} with K = {k} would need "
                         f"about {planar._gib(need)} of memory, more than the "
                         f"{planar._gib(budget)} allowed ({planar.MEMORY_FRACTION:g} of the "
                         f"memory this process may use); count fewer segments")


class _OneLineParser(HelpSaid):
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
                                     f"({MAX_SEGMENTS_BASE} with --wrt base alone; "
                                     "default: 1 2 5 10 20 50 100)")
    p.add_argument("--wrt", nargs="+", default=["angles"], metavar="GROUP",
                   help=f"seeded parameter groups, from {', '.join(WRT_CHOICES)} (default: angles)")
    p.add_argument("--convention", default="nonzero", metavar="NAME",
                   help=f"what is counted: {', '.join(CONVENTIONS)} (default: nonzero)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = p.parse_args(argv)
    try:
        _check_choice("convention", args.convention, CONVENTIONS)
        _check_wrt(args.wrt)
        if any(n < 1 for n in args.segments):
            raise ValueError(f"argument --segments: at least 1 segment, got {min(args.segments)}")
        _check_limit(args.segments, args.wrt)
        _check_memory(args.segments, args.wrt)
    except ValueError as e:
        p.error(str(e))
    data = ops_table(args.segments, tuple(args.wrt), args.convention)
    from armsim.files import say        # (a full disk: one line, exit status 2)
    say(json.dumps(data, indent=2) if args.json else format_table(data))
    return 0
