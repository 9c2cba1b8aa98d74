"""The restart table of a spatial target: sampled poses of the chain, and the nearest ones.

Restart ``k`` of a :class:`~armsim.ik.problems.SpatialTarget` (``k <`` :data:`NEAREST`)
starts at the table entry ``k``-th nearest to its aim; the table holds :data:`TABLE_SIZE`
joint vectors drawn uniformly within the limits (``SpatialTarget._draw``: a continuous
joint in [-pi, pi), a revolute joint wider than a turn in the turn around its middle) and
their tool poses' features (the
position and :data:`ROTATION_WEIGHT` times the rotation matrix, under the problem's
weights), built once per chain, kind, weights and seed, and kept on disk for a plain
spatial target (:mod:`armsim.ik.disk_cache`: a later process reads it back, the same bits).
The float solve (:mod:`armsim.ik.spatial_scalar`) reads the same table.
"""

from __future__ import annotations

import functools
import math
import weakref

import numpy as np
# numpy >= 2 imports numpy.random on the first use of ``np.random`` (9-20 ms): imported with
# the package, so the first solve that draws a start (a planar chain's restart table, a
# spatial table not on disk) does not pay it (bench/first_solve.py)
import numpy.random  # noqa: F401

from armsim.ik import disk_cache

__all__ = ["restart_starts", "features", "table", "argmin32", "screen32", "nearest32"]

TABLE_SIZE = 4096       # sampled poses of the restarts' table (SpatialTarget)
TABLE_BYTES = 64 << 20  # ... fewer when their features would take more (a robot of many tools)
NEAREST = 64            # restarts started from the table (the k-th nearest entry); see below
# (10,000 poses per robot, defaults: NEAREST 16 / 32 / 64 / 150 gave Panda mean iterations
# 13.15 / 13.17 / 13.00 / 13.03, unsolved 1 / 1 / 0 / 0, the most 1825 / 1825 / 876 / 1164;
# UR5 15.31 / 15.27 / 15.27 / 15.27; iiwa14 and snake20 unchanged; measured before the
# progress rule and the spatial damping, as bench/ik_spatial.py's iterations)
NEAREST_ROWS = 256      # aims compared with the table at once (memory: rows x TABLE_SIZE
                        # float32, 4 MB; 64 rows: the batch of 10,000 3-5 % slower, ad hoc)
KTH_PASSES = 5         # nearest32: below this k, k + 1 argmin passes (cheaper than blocks)
FIRST_NEAR = KTH_PASSES  # restarts 1 to 4 of a batch row take its first 5 entries; restart 5
                        # on, all NEAREST (ad hoc, B = 10,000: 13 us a row for 64, ~1,300 rows)
SCREEN_GROUPS = 16     # nearest32 from KTH_PASSES on: the table's entries in blocks of 16
FEW_ROWS = 4           # nearest32: up to this many rows, one at a time (fewer numpy calls)
FEW_PAIRS = 8          # ... and up to this many (row, entry) distances on Python floats
SCREEN_ULPS = 32        # the float32 screens' distance error bound, in float32 ulps (at least
                        # features + 4: a sum of F + 1 rounded products, in any order)
ROTATION_WEIGHT = 0.2   # [m] a rotation matrix's entries count as this length in the table
TABLE_STREAM = 0x7AB1E  # the table's random stream: default_rng([seed, TABLE_STREAM])
_TABLES = weakref.WeakKeyDictionary()   # chain -> {(seed, key): (joint vectors, features)}
TABLES_KEPT = 8         # tables kept per chain (seeds, kinds and weights): then starts over


def restart_starts(prob, restarts, seed):
    """Starts near the aim, from a table of sampled poses.

    The table holds :data:`TABLE_SIZE` joint vectors drawn uniformly in ``prob._draw``
    (the limits; [-pi, pi) for a continuous joint; the turn around the middle of a
    revolute joint wider than a turn) from ``default_rng([seed, TABLE_STREAM])`` and
    their tool poses (built once per chain and seed).  Restart ``k`` (``k <`` :data:`NEAREST`)
    starts each problem at the table entry ``k``-th nearest to its aim (position, and
    :data:`ROTATION_WEIGHT` times the rotation matrix, under the problem's weights);
    later restarts are uniform draws from ``default_rng(seed)``, the same for every row.
    """
    near = min(restarts, NEAREST)
    draws = []

    def drawn(k, aim):
        if not draws:       # drawn on first use (most problems never need them)
            rng = np.random.default_rng(seed)
            draws.append(rng.uniform(prob._draw[:, 0], prob._draw[:, 1],
                                     size=(restarts, prob.n)))
        return np.broadcast_to(draws[0][k], (len(aim), prob.n)).copy()
    if not near:
        return drawn
    qs, minus2, sq = table(prob, seed)
    nearest = {}     # aim row (bytes) -> its first FIRST_NEAR or `near` table entries, in order
    first = {}       # aim row (bytes) -> its nearest entry (restart 0 alone: an argmin)
    buf32, screen = [], []

    def screens():
        """(:func:`screen32` of the table, -2 F entry by entry (TABLE_SIZE, F)), on first use."""
        if not screen:
            screen.extend((screen32(minus2, sq), np.ascontiguousarray(minus2.T)))
        return screen

    def argmin(rows):
        """The nearest entry of each aim row (rows, ), screened in float32: where a row's
        smallest float32 distance is below its second smallest by more than twice the
        float32 error bound (:data:`SCREEN_ULPS`), it is the nearest entry whatever the
        rounding; the other rows (near ties, non-finite) take :func:`nearest32`."""
        if not buf32:
            buf32.append(np.empty((NEAREST_ROWS, len(sq)), np.float32))
        (m32, by_entry), top = screens(), float(sq.max(initial=0.0))
        out = np.empty(len(rows), dtype=np.intp)
        for s in range(0, len(rows), NEAREST_ROWS):
            f = features(prob, rows[s:s + NEAREST_ROWS])
            j, tie = argmin32(f, m32, top, buf32[0][:len(f)])
            if tie.size:
                j[tie] = nearest32(f[tie], m32, top, 0,
                                   product_distances(f[tie], by_entry, sq))[:, 0]
            out[s:s + len(f)] = j
        return out

    def start(k, aim):
        if k >= near:
            return drawn(k, aim)
        keys = [row.tobytes() for row in aim]
        if k == 0:
            # only the nearest entry: an argmin (every row asks for it, few for more)
            new = [i for i, key in enumerate(keys) if key not in first and key not in nearest]
            if new:
                first.update(zip([keys[i] for i in new], argmin(aim[new]).tolist()))
            return qs[[nearest[key][0] if key in nearest else first[key] for key in keys]]
        new = [i for i, key in enumerate(keys) if len(nearest.get(key, ())) <= k]
        if new:
            # the first FIRST_NEAR entries (most rows need no more: k + 1 argmin passes),
            # then all `near` for the rows that come back for more (the same entries)
            many = (near if k >= FIRST_NEAR else min(FIRST_NEAR, near)) - 1
            m32, by_entry = screens()
            top = float(sq.max(initial=0.0))
            for s in range(0, len(new), NEAREST_ROWS):
                f = features(prob, aim[new[s:s + NEAREST_ROWS]])
                got = nearest32(f, m32, top, many, product_distances(f, by_entry, sq))
                for i, idx in zip(new[s:s + NEAREST_ROWS], got):
                    nearest[keys[i]] = idx
        return qs[[nearest[key][k] for key in keys]]
    return start


def screen32(minus2, sq):
    """The float32 table :func:`argmin32` reads: ``-2 F^T`` (F, entries) with the squared
    norms as one more row (F + 1, entries), C-contiguous."""
    return np.ascontiguousarray(np.vstack([minus2, sq[None]]), dtype=np.float32)


def _float32_screen(fn):
    """``fn`` without numpy's warnings of its float32 screen: an aim past float32's range
    casts to inf (its distances inf or NaN), which the screen sends to the exact path."""
    @functools.wraps(fn)
    def quiet(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return fn(*args, **kwargs)
    return quiet


@_float32_screen
def argmin32(f, m32, top, out=None):
    """The nearest table entries of feature rows f (rows, F) by ``sq - 2 f.F`` in float32
    (``m32`` = :func:`screen32`'s ``[-2 F^T; sq]``, so one matrix product with f and a
    column of ones gives the distances; ``top`` the largest squared norm, ``out`` an
    optional (rows, entries) float32 buffer): (each row's argmin, the rows the screen
    cannot decide).  Where a row's smallest distance is below its second smallest by more
    than twice the float32 error bound (:data:`SCREEN_ULPS`), it is the nearest entry
    whatever the rounding; the others (near ties, non-finite) need exact distances."""
    fx = np.empty((len(f), f.shape[1] + 1), dtype=np.float32)
    fx[:, :-1] = f
    fx[:, -1] = 1.0
    d = np.matmul(fx, m32, out=out)
    j = d.argmin(axis=1)
    at = np.arange(len(f))
    v1 = d[at, j].astype(float)
    d[at, j] = np.inf
    gap = d.min(axis=1) - v1
    bound = screen_bound(np.sqrt(np.einsum("ij,ij->i", f, f)), top, f.shape[1])
    return j, np.flatnonzero(~(gap > 2.0 * bound))


def screen_ulps(features):
    """The screens' error bound in float32 ulps for rows of ``features`` features:
    :data:`SCREEN_ULPS`, or features + 4 when more (the float32 distance is a sum of
    features + 1 products of rounded numbers; each term's error and the sum's, in any
    order of summation, stay within that many ulps of the sum of their sizes)."""
    return max(SCREEN_ULPS, features + 4)


def screen_bound(fn, top, features):
    """The float32 distance's error bound for a feature row of norm ``fn`` (a float or
    (rows,)) against a table whose largest squared norm is ``top``."""
    return screen_ulps(features) * 2.0**-24 * (2.0 * fn * math.sqrt(top) + top)


@_float32_screen
def nearest32(f, m32, top, k, distances, d=None):
    """The k + 1 entries nearest each feature row of f (rows, F), in order (rows, k + 1),
    by the float64 ``distances(rows, entries)`` of (row, entry) pairs (ties: the lower
    index first), screened in float32 as :func:`argmin32` (``m32`` from
    :func:`screen32`): every entry within twice the error bound of the k-th smallest
    float32 distance is a candidate, and the candidates alone take float64 distances (a
    row whose screen is not finite: every entry).  The compiled solve's rule
    (:func:`armsim.ik._kernel_parts._nearest`), at a float32 scan's cost.  The k + 1
    smallest float32 distances: below :data:`KTH_PASSES`, by k + 1 argmins, each taking
    out the smallest left; else from blocks' minima (:func:`_nearest_blocks`), or by a
    partition (given ``d``, the float32 distances, or a table of few blocks)."""
    screened = d is None        # (given d: the float32 distances, and no blocks)
    if screened:
        fx = np.empty((len(f), f.shape[1] + 1), dtype=np.float32)
        fx[:, :-1] = f
        fx[:, -1] = 1.0
        d = fx @ m32
    at = np.arange(len(f))
    k = min(k, d.shape[1] - 1)
    if len(f) <= FEW_ROWS:          # row by row: the same candidates, fewer calls
        out = np.empty((len(f), k + 1), dtype=np.intp)
        for r, row in enumerate(f.tolist()):
            out[r] = row_nearest(row, d[r], top, k,
                                 lambda cand, r=r: distances(np.full(len(cand), r), cand))
        return out
    width = d.shape[1] // SCREEN_GROUPS         # blocks of SCREEN_GROUPS entries, and the
    if screened and k >= KTH_PASSES and width + d.shape[1] % SCREEN_GROUPS > k:   # rest alone
        return _nearest_blocks(f, d, top, k, distances, width)
    if k < KTH_PASSES:
        taken = np.empty((k + 1, len(f)), dtype=np.intp)
        for i in range(k + 1):
            taken[i] = d.argmin(axis=1)
            v = d[at, taken[i]].astype(float)
            d[at, taken[i]] = np.inf
    else:
        taken = np.ascontiguousarray(np.argpartition(d, k, axis=1)[:, :k + 1].T)
        v = d[at, taken].max(axis=0).astype(float)
        d[at, taken] = np.inf
    limit = v + 2.0 * screen_bound(np.sqrt(np.einsum("ij,ij->i", f, f)), top, f.shape[1])
    limit[~np.isfinite(limit)] = np.inf             # every entry a candidate
    cand = np.sort(taken.T, axis=1)                 # (rows, k + 1), each row by index
    dist = distances(np.repeat(at, k + 1), cand.ravel()).reshape(cand.shape)
    out = np.take_along_axis(cand, np.argsort(dist, axis=1, kind="stable"), axis=1)
    more = np.flatnonzero(d.min(axis=1) <= limit)   # entries left within the limit: few
    if more.size:                                   # rows have any
        er, ej = np.nonzero(d[more] <= limit[more, None])
        rows = np.concatenate([np.repeat(more, k + 1), more[er]])
        ents = np.concatenate([cand[more].ravel(), ej])
        order = np.lexsort((ents, distances(rows, ents), rows))
        count = np.bincount(rows, minlength=len(f))[more]
        out[more] = ents[order[(np.cumsum(count) - count)[:, None] + np.arange(k + 1)]]
    return out


def row_nearest(row, dr, top, k, distances):
    """:func:`nearest32`'s k + 1 entries nearest one feature row ``row`` (a list), in order,
    from its float32 distances ``dr`` (entries,; the k + 1 smallest are set to infinity)
    and ``distances(cand)``, the float64 distances of the candidate entries ``cand``."""
    bound = 2.0 * screen_bound(math.sqrt(math.fsum(x * x for x in row)), top, len(row))
    if k < KTH_PASSES:
        taken = []
        for _ in range(k + 1):
            j = int(dr.argmin())
            taken.append(j)
            v = float(dr[j])
            dr[j] = np.inf
        taken = np.array(taken)
    else:
        taken = np.argpartition(dr, k)[:k + 1]
        v = float(dr[taken].max())
        dr[taken] = np.inf
    limit = v + bound
    if not math.isfinite(limit):            # every entry a candidate
        cand = np.arange(len(dr))
    elif dr.min() <= limit:                 # entries left within the limit
        cand = np.concatenate([taken, np.flatnonzero(dr <= limit)])
    else:
        cand = taken
    return cand[np.lexsort((cand, distances(cand)))[:k + 1]]


def _nearest_blocks(f, d, top, k, distances, width):
    """:func:`nearest32`'s answer for k >= :data:`KTH_PASSES` without a partition of every
    row: the entries fall in blocks (entry j in block ``j % width``, the few past
    ``SCREEN_GROUPS x width`` one each); the (k + 1)-th smallest of the blocks' float32
    minima bounds the (k + 1)-th smallest distance from above (k + 1 blocks, each with an
    entry at or below it), so the entries within twice the error bound of it hold every
    candidate of :func:`nearest32`'s rule, and the same exact distances and order pick
    the same k + 1.  Rows whose bound is not finite take :func:`nearest32`'s own pass."""
    rows, n = d.shape
    mins = d[:, :SCREEN_GROUPS * width].reshape(rows, SCREEN_GROUPS, width).min(axis=1)
    if n > SCREEN_GROUPS * width:
        mins = np.concatenate([mins, d[:, SCREEN_GROUPS * width:]], axis=1)
    limit = np.partition(mins, k, axis=1)[:, k].astype(float) + 2.0 * screen_bound(
        np.sqrt(np.einsum("ij,ij->i", f, f)), top, f.shape[1])
    finite = np.isfinite(limit)
    if not finite.all():            # a row whose screen is not finite: the partition's pass
        out = np.empty((rows, k + 1), dtype=np.intp)
        bad, good = np.flatnonzero(~finite), np.flatnonzero(finite)
        out[bad] = nearest32(f[bad], None, top, k, lambda r, e: distances(bad[r], e),
                             d=d[bad])
        if good.size:
            out[good] = _nearest_blocks(f[good], d[good], top, k,
                                        lambda r, e: distances(good[r], e), width)
        return out
    # float32 limits rounded up (a larger set of candidates picks the same entries)
    limit32 = np.nextafter(limit.astype(np.float32), np.float32(np.inf))
    er, ej = np.divmod(np.flatnonzero(d <= limit32[:, None]), n)   # by row, then entry
    count = np.bincount(er, minlength=rows)
    at = np.arange(len(er)) - (np.cumsum(count) - count)[er]       # place in its row
    dist = np.full((rows, count.max()), np.inf)      # each row's candidates, inf after them
    dist[er, at] = distances(er, ej)
    ents = np.zeros(dist.shape, dtype=np.intp)
    ents[er, at] = ej
    # a stable sort of entries in index order: ties, the lower index first
    return np.take_along_axis(ents, np.argsort(dist, axis=1, kind="stable")[:, :k + 1], axis=1)


def exact_distances(f, entries):
    """``distances`` of :func:`nearest32`: the squared distance of each pair, entry
    (``entries`` (entries, F)) minus aim, summed feature after feature."""
    def distances(rows, ents):
        if len(ents) <= FEW_PAIRS:
            return np.array(_few_sums(entries[ents], f[rows], lambda a, b: (a - b) * (a - b)))
        return _in_order((entries[ents] - f[rows]) ** 2)
    return distances


def product_distances(f, entries, sq):
    """``distances`` of :func:`nearest32`: ``sq - 2 f.F`` of each pair, the products
    summed feature after feature, then the squared norm (``entries`` = -2 F entry by
    entry (entries, F))."""
    def distances(rows, ents):
        if len(ents) <= FEW_PAIRS:
            return np.array(_few_sums(f[rows], entries[ents], lambda a, b: a * b)) + sq[ents]
        return _in_order(f[rows] * entries[ents]) + sq[ents]
    return distances


def _few_sums(xs, es, term):
    """:func:`_in_order` of ``term(x, e)`` over the features of each pair, on Python
    floats (the same operations in the same order, fewer calls for a few pairs)."""
    out = []
    for x, e in zip(xs.tolist(), es.tolist()):
        total = term(x[0], e[0])
        for a, b in zip(x[1:], e[1:]):
            total += term(a, b)
        out.append(total)
    return out


def _in_order(terms):
    """The sums of the rows of terms (pairs, F), term after term (a fixed order)."""
    out = terms[:, 0].copy()
    for c in range(1, terms.shape[1]):
        out += terms[:, c]
    return out


def features(prob, rows):
    """Table coordinates of aims / pose rows (B, 3 or 12; a problem with several tools:
    its ``table_features``)."""
    if hasattr(prob, "table_features"):
        return prob.table_features(rows)
    # an axis the weights mask (0) is left out; the weights' sizes are not: an entry near
    # the aim on every counted axis is a good start whatever the step's weights (with
    # them, a heavy axis chose entries far off on the others)
    a = prob._active.astype(float)
    w = a[:3]
    if prob.kind == "position":
        return rows * w
    rot = rows[:, 3:].reshape(-1, 3, 3) * (ROTATION_WEIGHT * a[3:, None])
    return np.concatenate([rows[:, :3] * w, rot.reshape(-1, 9)], axis=-1)


def table_entries(width):
    """How many sampled poses a table of ``width`` features holds: :data:`TABLE_SIZE`, or
    as many as :data:`TABLE_BYTES` of float64 features hold (at least :data:`NEAREST`)."""
    return int(min(TABLE_SIZE, max(NEAREST, TABLE_BYTES // (8 * width))))


def table(prob, seed):
    """(joint vectors (E, n), -2 times their features transposed (F, E; C-contiguous: an
    aim's distances are ``f @ minus2 + sq``), the features' squared norms (E,)), with E =
    :func:`table_entries` (F) (:data:`TABLE_SIZE` but for a robot of many tools),
    read-only; kept per chain and seed in the process (at most :data:`TABLES_KEPT` a
    chain), and on disk for a plain spatial target (:mod:`armsim.ik.disk_cache`)."""
    key = (prob.kind, tuple(prob.weights), TABLE_SIZE, ROTATION_WEIGHT, prob._draw.tobytes())
    cache = _TABLES.setdefault(prob.chain, {}) if seed is not None else {}
    got = cache.get((seed, key))
    if got is None:
        parts = _disk_parts(prob, seed)
        built = None if parts is None else _from_disk(disk_cache.load("table", parts), prob)
        if built is None:
            rng = np.random.default_rng(None if seed is None else [int(seed), TABLE_STREAM])
            qs = rng.uniform(prob._draw[:, 0], prob._draw[:, 1],
                             size=(table_entries(prob.target_size), prob.n))
            feats = features(prob, prob.value(qs))
            sq = np.einsum("ij,ij->i", feats, feats)
            built = qs, np.ascontiguousarray(-2.0 * feats.T), sq   # (-2 is exact)
            if parts is not None:
                disk_cache.store("table", parts, None, built)
        for a in built:
            a.setflags(write=False)
        if seed is not None:
            if len(cache) >= TABLES_KEPT:    # a seed or weights per solve: bounded memory
                cache.clear()
            cache[(seed, key)] = built
        got = built
    return got


def _disk_parts(prob, seed):
    """What the table of ``prob`` and ``seed`` is kept on disk under
    (:mod:`armsim.ik.disk_cache`); None when it is not kept (a seed of None, a problem
    other than a plain spatial target)."""
    if seed is None:
        return None
    parts = disk_cache.problem_parts(prob)
    if parts is None:
        return None
    return parts + (int(seed), table_entries(prob.target_size), ROTATION_WEIGHT, TABLE_STREAM)


def _from_disk(hit, prob):
    """(joint vectors, -2 features^T, squared norms) of a stored table, or None when it is
    not one of this problem's shape (a miss)."""
    if hit is None or len(hit[1]) != 3:
        return None
    qs, minus2, sq = hit[1]
    width = prob.target_size            # (3 or 12 a tool)
    size = table_entries(width)
    if (qs.shape, minus2.shape, sq.shape) != ((size, prob.n), (width, size),
                                              (size,)) or not all(
            a.dtype == np.float64 for a in (qs, minus2, sq)):
        return None
    return qs, minus2, sq
