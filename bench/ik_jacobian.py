"""The Panda's pose Jacobian, timed: the structured pass, the general forward pass and the
hand-written geometric formula (``python bench/ik_spatial.py --only jacobian``; moved out of
``bench/ik_spatial.py`` unchanged, which runs it and writes its block).
"""

from __future__ import annotations

import time

import numpy as np

import armsim


def jacobian_timing(repeats):
    """The Panda's pose Jacobian at B = 1,000 and B = 1: the structured pass (one-hot seeds
    carried as twists), the general forward pass (:mod:`armsim.ad.twist`: each joint's
    one-hot seed read as its twist after the plain product, ``structured=False``) and the hand-written geometric formula (numpy), best of
    ``repeats``; the largest differences between them."""
    chain = armsim.robots.load("panda")
    out = {}
    for b in (1000, 1):
        q = np.random.default_rng(0).uniform(chain.limits[:, 0], chain.limits[:, 1], (b, 7))
        calls = max(1, 1000 // b)

        def best(f):
            ts = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                for _ in range(calls):
                    f(q)
                ts.append((time.perf_counter() - t0) / calls)
            return min(ts) * 1e3
        J, G = chain.jacobian(q), chain.geometric_jacobian(q)
        D = chain.jacobian(q, structured=False)
        ad_ms, geo_ms = best(chain.jacobian), best(chain.geometric_jacobian)
        dual_ms = best(lambda x: chain.jacobian(x, structured=False))
        out[str(b)] = {"ad_ms": ad_ms, "dual_ms": dual_ms, "geometric_ms": geo_ms,
                       "dual_over_ad": dual_ms / ad_ms,
                       "max_difference": float(max(np.abs(J - G).max(), np.abs(D - G).max()))}
    return out


def jacobian_markdown(j):
    lines = ["| B | structured pass | general forward pass | its ratio | hand-written geometric "
             "| largest difference |", "|---|---|---|---|---|---|"]
    for b, r in j.items():
        lines.append(f"| {int(b):,} | {r['ad_ms']:.3f} ms | {r['dual_ms']:.3f} ms | "
                     f"{r['dual_over_ad']:.1f} | {r['geometric_ms']:.3f} ms | "
                     f"{r['max_difference']:.1e} |")
    return ("Pose Jacobian of the Panda (n = 7): the structured pass (one-hot seeds carried as "
            "twists), the general forward pass (each joint's seed as its twist, `twist.seeded`; "
            "`structured=False`) and "
            "the hand-written geometric formula:\n\n" + "\n".join(lines))
