"""Restart starts of a robot's tools from tables of their own joints.

A tool whose chain ends in joints no other tool moves (an arm on a torso) gets its own
restart table: the sampled poses of those joints' chain, from the frame they hang from.
A start of the whole robot (:meth:`armsim.ik.tree.TreeTargets.restart_starts`) keeps its
shared joints and sets each such tool's own joints to the entry nearest the tool's target
seen from that frame: each arm starts near its own target whatever the other needs.
"""

from __future__ import annotations

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
    unweighted targets (a table's nearest entry in a turned frame ignores weights)."""
    counts = np.zeros(prob.n, dtype=int)
    for cols, _, _, _ in prob._maps:
        counts[np.unique(cols)] += 1
    per = _OWN.setdefault(prob.robot, {})
    out = []
    for link, s, (cols, mult, off, _) in zip(prob.names, prob.subs, prob._maps):
        key = (link, tuple(counts.tolist()))
        if key not in per:
            chain = s.chain
            split = chain.n
            while split > 0 and counts[cols[split - 1]] == 1 and (
                    mult is None or (mult[split - 1] == 1.0 and off[split - 1] == 0.0)):
                split -= 1
            if split == chain.n or (split == 0 and len(prob.subs) == 1):
                per[key] = None
            else:
                sub = SpatialChain(chain.joints[split:], chain.tool_xyz, chain.tool_rpy,
                                   base=chain.base, tip=chain.tip,
                                   name=f"link {chain.tip}'s own joints")
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

    def _argmin32(self, fs):
        """The nearest entries of feature rows fs (rows, F): float32 distances, screened
        (:func:`armsim.ik.restart_table.argmin32`; half the work of float64); the rows the
        screen cannot decide take :meth:`_exact` distances."""
        if self._f32 is None:
            self._f32 = (self.minus2.astype(np.float32), self.sq.astype(np.float32))
        m32, sq32 = self._f32
        j, tie = restart_table.argmin32(fs, m32, sq32, self.top)
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

    def nearest(self, aims, k):
        """The entries (B, own joints) ``k``-th nearest each aim row (B, 3 or 12) by their
        features.  k = 0: the argmin of ``sq - 2 f.F`` (:meth:`_argmin32`: the same entry on
        any BLAS); k > 0: the k-th of the sorted nearest (as the chain's table; below 8 by
        k argmins, each taking out the nearest left)."""
        f = aims * self.scale
        out = np.empty(len(f), dtype=np.intp)
        for s in range(0, len(f), restart_table.NEAREST_ROWS):
            fs = f[s:s + restart_table.NEAREST_ROWS]
            if k == 0:
                out[s:s + len(fs)] = self._argmin32(fs)
                continue
            d = fs @ self.minus2
            d += self.sq
            if k < 8:                  # k passes of argmin: cheaper than a partition
                at = np.arange(len(fs))
                for _ in range(k):
                    d[at, d.argmin(axis=1)] = np.inf
                out[s:s + len(fs)] = d.argmin(axis=1)
            else:
                near = min(k + 1, d.shape[1])
                top = np.argpartition(d, near - 1, axis=1)[:, :near]
                top = np.take_along_axis(top, np.argsort(np.take_along_axis(d, top, 1), 1), 1)
                out[s:s + len(fs)] = top[:, min(k, near - 1)]
        return self.qs[out]
