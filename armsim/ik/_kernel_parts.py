"""The parts of the compiled solve (:mod:`armsim.ik._kernel`) that hold no rule: numba's
settings, the rule's backend on numbers (:data:`NB`), a joint's frame and motion, the search
of a restart table for its k-th nearest entry and a restart's start made from it, the clip
to the limits, and views of a buffer (one solve's packed arrays, an attempt's workspace)."""

from __future__ import annotations

import math
from collections import namedtuple

import numba as nb
import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic

from armsim.ik.restart_table import SCREEN_ULPS

_jit = nb.njit(cache=True, nogil=True)
#: the small helpers of the iteration, inlined where they are called (no call, and no
#: count of references to their arrays on the way in and out: about a quarter of an
#: iteration's time, ad hoc; inlining :func:`evaluate` or :func:`_step` as well doubled the
#: compile for little more)
_jit_in = nb.njit(cache=True, nogil=True, inline="always")


@_jit
def _where(c, a, b):
    return a if c else b


@_jit
def _maximum(a, b):
    return a if a > b else b


@_jit
def _minimum(a, b):
    return a if a < b else b


#: the backend the compiled rule runs on (numbers, like :data:`armsim.ik.attempt.FLOATS`)
NB = namedtuple("Backend", "where maximum minimum")(_where, _maximum, _minimum)


@_jit_in
def _through(R, R2, p, A, v, i):
    """Across the constant frame (A[i], v[i]) before a joint: p += R v, R2 = R A."""
    for a in range(3):
        p[a] += R[a, 0] * v[i, 0] + R[a, 1] * v[i, 1] + R[a, 2] * v[i, 2]
    for a in range(3):
        for b in range(3):
            R2[a, b] = R[a, 0] * A[i, 0, b] + R[a, 1] * A[i, 1, b] + R[a, 2] * A[i, 2, b]


@_jit_in
def _turn(R, R2, p, x, prismatic):
    """The joint's motion x about (along) R2's z: R (and p)."""
    if prismatic:
        R[:, :] = R2
        for a in range(3):
            p[a] += x * R2[a, 2]
    else:
        c, s = math.cos(x), math.sin(x)
        for a in range(3):
            R[a, 0] = c * R2[a, 0] + s * R2[a, 1]
            R[a, 1] = c * R2[a, 1] - s * R2[a, 0]
            R[a, 2] = R2[a, 2]


#: :func:`_kth` screens a long d by a sample from this k on (below it the sorted buffer over
#: every entry is faster; ad hoc, of 4,096 table distances, fresh each call: 12.8 against 11.5
#: us at k = 40, 39 against 23 at k = 150)
SAMPLE_FROM = 40
#: ... by every SAMPLE_STEP-th entry
SAMPLE_STEP = 16


@_jit_in
def _lambda2(nu, f, e, ds, floor2):
    """dls's damping ``nu |e|^2 + floor2`` (f = |e|^2 / 2), or for a weighted target
    (``ds``, its rows' 1 / w^2; empty otherwise) ``nu sum_i e_i^2 ds_i + floor2``: the
    damping of its unweighted error (:func:`armsim.ik.steps._damping`)."""
    if ds.shape[0] == 0:
        return nu * 2.0 * f + floor2
    s = 0.0
    for i in range(ds.shape[0]):
        s += e[i] * e[i] * ds[i]
    return nu * s + floor2


@_jit
def _kth_serial(d, k, idx, val):
    """:func:`_kth` by a sorted buffer of the k + 1 smallest so far, each entry inserted in
    turn (the rule for any d, NaN too: a NaN stays where it was inserted)."""
    size = 0
    for j in range(d.shape[0]):
        v = d[j]
        if size == k + 1 and not v < val[k]:
            continue
        i = size if size < k + 1 else k
        while i > 0 and v < val[i - 1]:
            if i < k + 1:
                val[i], idx[i] = val[i - 1], idx[i - 1]
            i -= 1
        val[i], idx[i] = v, j
        if size < k + 1:
            size += 1
    return idx[min(k, size - 1)]


@_jit
def _kth(d, k, idx, val):
    """The index of the k-th smallest of d (ties: the lower index first), keeping the k + 1
    smallest in order in ``idx``, ``val`` (work arrays of at least k + 1), as
    :func:`_kth_serial` finds them.  From k = :data:`SAMPLE_FROM` on, a long d is screened
    first: the smallest of every :data:`SAMPLE_STEP`-th entry give a bound that about
    ``SAMPLE_STEP * (k / SAMPLE_STEP + 5)`` entries are under; when at least k + 1 are (else,
    and with a NaN, the whole d), those alone, in order, are searched: every entry up to the
    k-th smallest is among them."""
    n = d.shape[0]
    ns = n // SAMPLE_STEP
    q = (k + 1) // SAMPLE_STEP + 4          # the sample's q-th smallest: the bound
    if k < SAMPLE_FROM or ns < 4 * q:
        return _kth_serial(d, k, idx, val)
    sample = np.empty(ns, dtype=d.dtype)
    for i in range(ns):
        sample[i] = d[i * SAMPLE_STEP]
    sidx, sval = np.empty(q + 1, dtype=np.int64), np.empty(q + 1)
    bound = sample[_kth_serial(sample, q, sidx, sval)]
    count = 0
    nan = False
    for j in range(n):
        v = d[j]
        count += 1 if v <= bound else 0
        nan = nan or v != v
    if count < k + 1 or nan:
        return _kth_serial(d, k, idx, val)
    at = np.empty(count, dtype=np.int64)
    sub = np.empty(count, dtype=d.dtype)
    c = 0
    for j in range(n):
        if d[j] <= bound:
            at[c] = j
            sub[c] = d[j]
            c += 1
    r = _kth_serial(sub, k, idx, val)
    for i in range(min(k + 1, count)):
        idx[i] = at[idx[i]]
    return at[r]


#: :func:`_two_lowest` tests this many entries at once against the second smallest so far
BLOCK = 16


@_jit_in
def _lowest_in(d, j0, j1, b1, b2, i1):
    """:func:`_two_lowest`'s update by the entries d[j0:j1] in order: (smallest, second
    smallest, the index of the smallest)."""
    for j in range(j0, j1):
        v = d[j]
        if v < b2:
            if v < b1:
                b1, b2, i1 = v, b1, j
            else:
                b2 = v
    return b1, b2, i1


@_jit
def _two_lowest(d, E):
    """(The index of the smallest of d[:E], the first of equal ones; the second smallest
    value, the smallest again when it is there twice), in one pass: each block of
    :data:`BLOCK` entries is first tested as a whole against the second smallest so far (a
    test the compiler runs on vector registers) and only a block that holds a lower entry
    is gone through in order -- after the first blocks, few do (a NaN is no smaller than
    anything, as in ``<``).  With no number below infinity: (0, -infinity), no entry known
    to be alone.  (Ad hoc, 4,096 float32 entries: 2.8 us against 9.9 for 16 running pairs
    side by side, which the compiler did not turn into vector instructions.)"""
    b1, b2, i1 = np.inf, np.inf, 0
    top = E - E % BLOCK
    for j0 in range(0, top, BLOCK):
        hit = False
        for a in range(BLOCK):
            hit |= d[j0 + a] < b2
        if hit:
            b1, b2, i1 = _lowest_in(d, j0, j0 + BLOCK, b1, b2, i1)
    b1, b2, i1 = _lowest_in(d, top, E, b1, b2, i1)
    if not b1 < np.inf:
        return 0, -np.inf
    return i1, float(b2)


@_jit
def _nearest(k, f, size, T, exact, d, d32, cand, idx, val):
    """The index of the table entry k-th nearest the features f[:size] in T = (joint
    vectors, -2 features entry by entry, squared norms, -2 features^T and the squared norms
    in float32, the largest squared norm: :func:`armsim.ik.compiled._table_arrays`),
    with ``idx[:k + 1]`` the k + 1 nearest in order.  The distances ``sq - 2 f.F`` in float32
    screen the table (the error bound of :func:`armsim.ik.restart_table.argmin32`): every
    entry within twice the bound of the k-th smallest is a candidate, and the candidates
    alone take float64 distances -- exact squared ones (``exact``: entry minus aim,
    feature after feature) or ``sq - 2 f.F`` -- so the answer is the float64 scan's, at a
    float32 scan's cost."""
    minus2, sq, m32, sq32, top = T[1], T[2], T[3], T[4], T[5]
    E = sq.shape[0]
    for j in range(E):
        d32[j] = sq32[j]
    fn = 0.0
    for i in range(size):
        fn += f[i] * f[i]
    i = 0
    while i + 4 <= size:    # four features a pass over the entries (the same sums in order)
        f0, f1 = np.float32(f[i]), np.float32(f[i + 1])
        f2, f3 = np.float32(f[i + 2]), np.float32(f[i + 3])
        for j in range(E):
            d32[j] = (((d32[j] + f0 * m32[i, j]) + f1 * m32[i + 1, j]) + f2 * m32[i + 2, j]
                      + f3 * m32[i + 3, j])
        i += 4
    while i < size:
        fi = np.float32(f[i])
        for j in range(E):
            d32[j] += fi * m32[i, j]
        i += 1
    bound = max(SCREEN_ULPS, size + 4) * 2.0 ** -24 * (2.0 * math.sqrt(fn) * math.sqrt(top)
                                                        + top)
    if k == 0:              # the nearest alone: the smallest, and whether it is alone
        j1, second = _two_lowest(d32, E)
        limit = float(d32[j1]) + 2.0 * bound
        if second > limit:              # no other entry within the bound
            idx[0] = j1
            return j1
    else:
        _kth(d32[:E], k, idx, val)
        limit = val[min(k, E - 1)] + 2.0 * bound
    c = 0
    for j in range(E):
        if d32[j] <= limit:
            cand[c] = j
            c += 1
    if not c > k:                         # not finite: every entry a candidate
        c = E
        for j in range(E):
            cand[j] = j
    for ci in range(c):
        j = cand[ci]
        if exact:
            s2 = 0.0
            for i in range(size):
                v = -0.5 * minus2[j, i] - f[i]
                s2 += v * v
        else:
            s2 = 0.0
            for i in range(size):
                s2 += f[i] * minus2[j, i]
            s2 += sq[j]
        d[ci] = s2
    r = _kth(d[:c], k, idx, val)
    for i in range(min(k + 1, c)):
        idx[i] = cand[idx[i]]
    return cand[r]


@_jit
def _own_starts(q, k, M, OW, tg, d, d32, cand, idx, val):
    """q with each tool's own joints set to the entry of its own table k-th nearest its
    target seen from the frame they hang from (:meth:`armsim.ik.tree.TreeTargets._own_starts`)."""
    (tools, split, cols, ncols, oqs, minus2, sq, m32, sq32, top, scale, unfold) = OW
    starts, JR, Jt, jfree, jmult, joff, jpris = M[0], M[1], M[2], M[3], M[4], M[5], M[6]
    toff = M[14]
    R = np.empty((3, 3))
    R2 = np.empty((3, 3))
    p = np.empty(3)
    f = np.empty(12)
    for o in range(tools.shape[0]):
        t = tools[o]
        for a in range(3):
            p[a] = 0.0
            for b in range(3):
                R[a, b] = 1.0 if a == b else 0.0
        for kk in range(starts[t], starts[t] + split[o]):
            _through(R, R2, p, JR, Jt, kk)
            _turn(R, R2, p, q[jfree[kk]] * jmult[kk] + joff[kk], jpris[kk])
        for a in range(3):          # the frame's rotation (unfolded)
            for b in range(3):
                R2[a, b] = R[a, 0] * unfold[o, 0, b] + R[a, 1] * unfold[o, 1, b] + R[a, 2] * unfold[o, 2, b]
        o0 = toff[t]
        size = toff[t + 1] - o0
        for a in range(3):          # F^-1 target, features
            f[a] = ((tg[o0] - p[0]) * R2[0, a] + (tg[o0 + 1] - p[1]) * R2[1, a]
                    + (tg[o0 + 2] - p[2]) * R2[2, a]) * scale[o, a]
        if size == 12:
            for a in range(3):
                for b in range(3):
                    f[3 + 3 * a + b] = (R2[0, a] * tg[o0 + 3 + b] + R2[1, a] * tg[o0 + 6 + b]
                                        + R2[2, a] * tg[o0 + 9 + b]) * scale[o, 3 + 3 * a + b]
        e = _nearest(k, f, size, (oqs[o], minus2[o], sq[o], m32[o], sq32[o], top[o]), True,
                     d, d32, cand, idx, val)
        for i in range(ncols[o]):
            q[cols[o, i]] = oqs[o, e, i]


@_jit
def _start(k, M, W, D, OW, tg, lo, hi, wrap, near, d, d32, cand, idx, val, nearest):
    """Restart k's start, clipped: the whole table's entry k-th nearest the target's
    features (k < near; W = (joint vectors, -2 features^T, squared norms, their float32,
    the largest norm, feature scale); the ``near`` nearest kept in ``nearest`` once found,
    ``nearest[0]`` = -1 until then), else the k-th uniform draw D[k]; then each tool's own
    joints from its own table."""
    if k < near:
        scale = W[6]
        f = np.empty(scale.shape[0])
        for i in range(scale.shape[0]):
            f[i] = tg[i] * scale[i]
        if k == 0 and nearest[0] < 0:
            e = _nearest(0, f, f.shape[0], W, False, d, d32, cand, idx, val)
        else:
            if nearest[0] < 0:
                _nearest(near - 1, f, f.shape[0], W, False, d, d32, cand, idx, val)
                nearest[:] = idx[:near]
            e = nearest[k]
        q = W[0][e].copy()
    else:
        q = D[k].copy()
    if OW[0].shape[0]:
        _own_starts(q, k, M, OW, tg, d, d32, cand, idx, val)
    _clip(q, lo, hi, wrap)
    return q


@_jit
def _clip(q, lo, hi, wrap):
    for j in range(q.shape[0]):
        q[j] = min(max(q[j], lo[j]), hi[j])
        if wrap[j]:
            q[j] = (q[j] + math.pi) % (2.0 * math.pi) - math.pi


# -- one solve's arguments in five arrays (a call costs about 75 ns per array it is given) --
@intrinsic
def _pointer(typingctx, address):
    """The address (an integer) as a pointer, for :func:`numba.carray`."""
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)
    return types.voidptr(types.intp), codegen


# The views are numba.carray arrays over the buffer's memory: arrays without a reference
# count of their own (the buffer must outlive them: the caller's argument).  numba counts a
# reference to an array each time a variable or a called function takes it, an atomic
# operation on the buffer's count, about 180 an iteration; on these views it is a test of
# a null pointer (ad hoc: a Panda forward pass 0.82 -> 0.67 us).
@_jit_in
def _part1(buf, at, a):
    """buf[at:at + a] as a view without a reference count."""
    return nb.carray(_pointer(buf.ctypes.data + at * buf.itemsize), (a,), buf.dtype)


@_jit_in
def _part2(buf, at, a, b):
    """buf[at:at + a * b] as an (a, b) view without a reference count."""
    return nb.carray(_pointer(buf.ctypes.data + at * buf.itemsize), (a, b), buf.dtype)


@_jit_in
def _ints(buf, at, a):
    """buf[at:at + a] (8-byte slots) as int64, a view without a reference count."""
    return nb.carray(_pointer(buf.ctypes.data + at * buf.itemsize), (a,), np.int64)


@_jit_in
def _floats32(buf, at, a):
    """a float32 from buf[at] on (a / 2 slots of 8 bytes), a view without a reference
    count."""
    return nb.carray(_pointer(buf.ctypes.data + at * buf.itemsize), (a,), np.float32)


@_jit
def scratch(M):
    """The work arrays of :func:`evaluate`, allocated (an attempt takes views of its
    workspace: :func:`_scratch_in`)."""
    k = M[1].shape[0]
    return (np.empty((3, 3)), np.empty((3, 3)), np.empty(3), np.empty((k, 3)),
            np.empty((k, 3)), np.empty(6), np.empty(6))


@_jit_in
def _scratch_in(M, ws, at):
    """:func:`scratch`'s arrays as views of the workspace ``ws`` from ``at`` (33 + 6 k
    floats, k the model's frames)."""
    k = M[1].shape[0]
    return (_part2(ws, at, 3, 3), _part2(ws, at + 9, 3, 3), _part1(ws, at + 18, 3),
            _part2(ws, at + 21, k, 3), _part2(ws, at + 21 + 3 * k, k, 3),
            _part1(ws, at + 21 + 6 * k, 6), _part1(ws, at + 27 + 6 * k, 6))


@_jit_in
def _view1(buf, H, i):
    """The i-th array :func:`armsim.ik.compiled.packed` put in ``buf``: 1 axis."""
    return _part1(buf, H[i, 0], H[i, 1])


@_jit_in
def _view2(buf, H, i):
    """... 2 axes."""
    return _part2(buf, H[i, 0], H[i, 1], H[i, 2])


@_jit_in
def _view3(buf, H, i):
    """... 3 axes."""
    return nb.carray(_pointer(buf.ctypes.data + H[i, 0] * buf.itemsize),
                     (H[i, 1], H[i, 2], H[i, 3]), buf.dtype)


#: an attempt keeps the error of its last this many iterations at most (a ring: the
#: progress rule reads ``width`` back), so its workspace is bounded whatever ``max_iter``
HISTORY = 64


@_jit_in
def space(M, m, n, budget):
    """The floats of the workspace :func:`attempt` takes for this budget."""
    return (4 * m + 2 * m * n + 2 * m * m + 3 * n + min(budget, HISTORY) + 1 + 4 + 33
            + 6 * M[1].shape[0])
