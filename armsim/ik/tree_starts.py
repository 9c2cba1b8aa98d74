"""Restart starts of a robot's tools from tables of their own joints.

A tool whose chain ends in joints no other tool moves (an arm on a torso) gets its own
restart table: the sampled poses of those joints' chain, from the frame they hang from.
A start of the whole robot (:meth:`armsim.ik.tree.TreeTargets.restart_starts`) keeps its
shared joints and sets each such tool's own joints to the entry nearest the tool's target
seen from that frame: each arm starts near its own target whatever the other needs.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from armsim.ik import restart_table
from armsim.kinematics.spatial import SpatialChain

__all__ = ["own_chains", "OwnTable"]

_OWN = weakref.WeakKeyDictionary()   # robot -> {tool link: _own_chains' entry}


def own_chains(prob):
    """Per tool of ``prob``: None, or (the chain before its own joints, the chain of its own
    joints to the tool, how many joints come before them, their columns of q): its own
    joints are the last of its chain that no other tool's chain holds, free (not mimics) and
    unweighted targets (a table's nearest entry in a turned frame ignores weights); None
    too when those joints make no chain a model may be (they only turn the tool about
    itself: a finger's one joint at its tip)."""
    counts = np.zeros(prob.n, dtype=int)
    for cols, _, _, _ in prob._maps:
        counts[np.bincount(cols, minlength=prob.n) > 0] += 1    # (np.unique: numpy.ma)
    per = _OWN.setdefault(prob.robot, {})
    out = []
    for link, s, (cols, mult, off, _) in zip(prob.names, prob.subs, prob._maps):
        key = (link, tuple(counts.tolist()))
        if key not in per:
            chain = s.chain
            split = chain.n
            mine = np.bincount(cols, minlength=prob.n)   # (a mimic shares its source's column)
            while split > 0 and counts[cols[split - 1]] == 1 and mine[cols[split - 1]] == 1 and (
                    mult is None or (mult[split - 1] == 1.0 and off[split - 1] == 0.0)):
                split -= 1
            per[key] = None
            if not (split == chain.n or (split == 0 and len(prob.subs) == 1)):
                try:
                    sub = SpatialChain(chain.joints[split:], chain.tool_xyz, chain.tool_rpy,
                                       base=chain.base, tip=chain.tip,
                                       name=f"link {chain.tip}'s own joints")
                except ValueError:      # no chain of its own to sample: its joints turn
                    pass                # the tool about itself (a reach under 1 mm)
                else:
                    per[key] = (split, {"chain": sub}, np.asarray(cols[split:]))
        out.append(per[key] if s.weights is None or np.all(s.weights == 1.0) else None)
    return out


class OwnTable:
    """The restart table of a tool's own joints (:func:`armsim.ik.restart_table.table` of
    their chain) and its nearest entries to aims seen from the frame they hang from."""

    def __init__(self, prob, seed):
        self.prob = prob
        self.qs, self.minus2, self.sq = restart_table.table(prob, seed)
        self.feats_t = -0.5 * self.minus2            # (features, entries); exact
        self.top = float(self.sq.max(initial=0.0))
        self._f32 = None
        self.scale = restart_table.features(prob, np.ones((1, prob.target_size)))[0]

    def _screen(self):
        if self._f32 is None:
            self._f32 = (restart_table.screen32(self.minus2, self.sq),
                         np.ascontiguousarray(self.feats_t.T))
        return self._f32

    def _argmin32(self, fs):
        """The nearest entries of feature rows fs (rows, F): float32 distances, screened
        (:func:`armsim.ik.restart_table.argmin32`; half the work of float64); the rows the
        screen cannot decide take :meth:`_exact` distances."""
        j, tie = restart_table.argmin32(fs, self._screen()[0], self.top)
        for i in tie:
            j[i] = self._exact(fs[i]).argmin()
        return j

    def _exact(self, f):
        """Squared distances of the features f to every entry, elementwise (no sum whose
        order a BLAS kernel picks)."""
        exact = np.zeros(self.feats_t.shape[1])
        for c, v in zip(self.feats_t, f):
            exact += (c - v) ** 2
        return exact

    def nearest_one(self, aim):
        """:meth:`nearest` of one aim row (a list) and k = 0, as a list: the same screen
        (a float32 distance below the second smallest by more than twice its error bound
        is the nearest whatever the rounding) on one row with fewer numpy calls, a near
        tie by :meth:`_exact`."""
        f = [a * s for a, s in zip(aim, self.scale.tolist())]
        with np.errstate(over="ignore", invalid="ignore"):   # past float32: the exact path
            fx = np.array(f + [1.0], dtype=np.float32)
            d = fx @ self._screen()[0]
            j = int(d.argmin())
            v1 = float(d[j])
            d[j] = np.inf
            gap = float(d.min()) - v1
        bound = restart_table.screen_bound(math.sqrt(math.fsum(x * x for x in f)), self.top,
                                           len(f))
        if not gap > 2.0 * bound:
            j = int(self._exact(np.array(f)).argmin())
        return self.qs[j].tolist()

    def nearest_row(self, aim, k):
        """:meth:`nearest` of one aim row (a list), as a list: :meth:`nearest_one` for k = 0,
        else :func:`armsim.ik.restart_table.row_nearest` on the row's float32 distances
        (the same candidates and exact distances, without a batch's arrays around them)."""
        if k == 0:
            return self.nearest_one(aim)
        f = [a * s for a, s in zip(aim, self.scale.tolist())]
        m32, entries = self._screen()
        with np.errstate(over="ignore", invalid="ignore"):   # past float32: the exact path
            d = np.array(f + [1.0], dtype=np.float32) @ m32
        distances = restart_table.exact_distances(np.array([f]), entries)
        got = restart_table.row_nearest(f, d, self.top, min(k, len(d) - 1),
                                        lambda cand: distances(np.zeros(len(cand), int), cand))
        return self.qs[got[-1]].tolist()

    def nearest(self, aims, k):
        """The entries (B, own joints) ``k``-th nearest each aim row (B, 3 or 12) by their
        features' exact squared distances (ties: the lower index first; the compiled
        solve's rule).  k = 0: :meth:`_argmin32`; k > 0: screened in float32
        (:func:`armsim.ik.restart_table.nearest32`).  ``k`` may be one per row (B,): each
        block of rows then takes its largest k's entries, in order, and each row its own
        k-th of them (the same entry); a k past the entries, the farthest."""
        f = aims * self.scale
        out = np.empty(len(f), dtype=np.intp)
        ks = np.minimum(np.broadcast_to(np.asarray(k, dtype=np.intp), (len(f),)),
                        len(self.qs) - 1)       # past the entries: the farthest (the kernel's)
        for s in range(0, len(f), restart_table.NEAREST_ROWS):
            fs, kr = f[s:s + restart_table.NEAREST_ROWS], ks[s:s + restart_table.NEAREST_ROWS]
            top_k = int(kr.max(initial=0))
            if top_k == 0:
                out[s:s + len(fs)] = self._argmin32(fs)
            else:
                m32, entries = self._screen()
                got = restart_table.nearest32(fs, m32, self.top, top_k,
                                              restart_table.exact_distances(fs, entries))
                out[s:s + len(fs)] = got[np.arange(len(fs)), kr]
        return self.qs[out]
