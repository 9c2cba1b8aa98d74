"""Objectives (issue 14): obstacle scenes, null-space posture, tracking jumps, AD cost.

* Obstacle scenes, planar N = 7 (the default scene's lengths) and N = 20 (equal links,
  reach 1), and the Panda (position targets, links as capsules of radius 3 cm): random
  targets (the tool of joint vectors drawn uniformly, planar in [-pi, pi), Panda in its
  limits), each with 1-3 obstacles (circles / spheres) whose centres lie between the
  start's tool and the target (a fraction 0.3-0.7 of the way, jittered; radius 0.04-0.12 reach), none touching the
  target or the fixed first link.  Every solve starts from the default start.  "reached"
  means the tip within tol (forward kinematics), "free" every link's surface distance > 0.
  A collision-free answer is known to exist for a target when any run below found one:
  the default solve with the obstacles, the same with 50 restarts and another seed, or
  the plain solve (no obstacle objective).
* Null-space posture: the tip error and the posture error without / with
  ``priority=True`` (posture rest: zeros planar, the middle of the ranges on the Panda).
* Tracking: the largest per-frame joint jump of ``solve`` with q0 = the previous answer
  on a smooth path against the continuous solution's (the path in 8 small steps per frame,
  a local solve each), and the count of jumps over 0.3 rad.
* The cost of the shipped obstacle objective (Jacobian by forward-mode AD) against the
  same objective with a hand-written Jacobian, in the same run.

    python bench/objectives.py             # 1,000 targets per scene, 10,000 frames
    python bench/objectives.py --quick     # under a minute
    python bench/objectives.py --json out.json --markdown    # docs/objectives.md blocks
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import armsim  # noqa: E402
from armsim.ik.geometry import chain_points  # noqa: E402
from armsim.ik.stack import Stack  # noqa: E402
from armsim.ik.problems import SpatialTarget, as_problem  # noqa: E402
from armsim.ik.tracking import figure_eight  # noqa: E402

PANDA_Q = np.array([0.0, -0.5, 0.0, -2.0, 0.0, 1.6, 0.8])
PANDA_LINK = 0.03      # [m] link radius of the Panda's capsules


def scenes():
    return {
        "planar N=7": armsim.Chain([0.22, 0.19, 0.16, 0.13, 0.12, 0.1, 0.08]),
        "planar N=20": armsim.Chain(np.full(20, 0.05)),
        "Panda": armsim.robots.load("panda"),
    }


def _spatial(chain):
    return hasattr(chain, "pose_and_jacobian")


def _tip(chain, q):
    return chain.tip_position(q) if _spatial(chain) else chain.tip(q)


def _start(chain):
    return as_problem(SpatialTarget(chain, "position") if _spatial(chain) else chain).default_start()


def _draw_scene(chain, rng):
    """(target, obstacles) with 1-3 obstacles between the start's tool and the target."""
    start = _start(chain)
    p0 = _tip(chain, start)
    fixed = chain_points(chain, start[None])[0, :2]     # the base and the first joint
    spatial = _spatial(chain)
    link = PANDA_LINK if spatial else 0.0
    while True:
        if spatial:
            qt = rng.uniform(chain.limits[:, 0], chain.limits[:, 1])
        else:
            qt = rng.uniform(-np.pi, np.pi, chain.n)
        target = _tip(chain, qt)
        if np.linalg.norm(target - p0) < 0.2 * chain.reach:
            continue
        obs = []
        for _ in range(rng.integers(1, 4)):
            for _try in range(20):
                f = rng.uniform(0.3, 0.7)
                c = p0 + f * (target - p0) + rng.normal(0, 0.05 * chain.reach, p0.shape)
                r = rng.uniform(0.04, 0.12) * chain.reach
                try:
                    o = armsim.Obstacle(c, r, link_radius=link).bind(chain)
                except ValueError:      # it holds the base, which no pose clears: on_fixed
                    continue
                near_target = np.linalg.norm(c - target) < r + link + 0.05 * chain.reach
                on_fixed = o.distance(fixed[None])[0, 0] < 0.02 * chain.reach
                if not (near_target or on_fixed):
                    obs.append(o)
                    break
        if obs:
            return target, obs


def _clearance(chain, obs, q):
    return min(float(o.clearance_of(chain, q[None])[0]) for o in obs)


def obstacle_scenes(count, seed=0):
    rows = {}
    for name, chain in scenes().items():
        rng = np.random.default_rng(seed)
        tol = 1e-6 * (chain.reach if not _spatial(chain) else max(chain.reach, 1e-3))
        rec = {k: [] for k in ("plain_reached", "plain_free", "reached", "free", "exists",
                               "clear", "err", "iters", "ms", "plain_ms")}
        for _ in range(count):
            target, obs = _draw_scene(chain, rng)
            t0 = time.perf_counter()
            plain = armsim.solve(chain, target)
            t1 = time.perf_counter()
            res = armsim.solve(chain, target, objectives=obs)
            t2 = time.perf_counter()
            cp, cr = _clearance(chain, obs, plain.q), _clearance(chain, obs, res.q)
            ok = res.success and cr > 0
            found = ok or (plain.success and cp > 0)
            if not found:
                more = armsim.solve(chain, target, objectives=obs, restarts=50, seed=1)
                found = more.success and _clearance(chain, obs, more.q) > 0
            err = float(np.linalg.norm(_tip(chain, res.q) - target))
            for k, v in (("plain_reached", plain.success), ("plain_free", plain.success and cp > 0),
                         ("reached", res.success), ("free", ok), ("exists", found),
                         ("clear", cr), ("err", err), ("iters", res.iterations),
                         ("ms", 1e3 * (t2 - t1)), ("plain_ms", 1e3 * (t1 - t0))):
                rec[k].append(v)
        a = {k: np.array(v) for k, v in rec.items()}
        ex = a["exists"]
        good = a["free"]
        rows[name] = dict(
            targets=count, tol=tol,
            plain_reached=100 * a["plain_reached"].mean(),
            plain_free=100 * a["plain_free"].mean(),
            plain_collided=100 * (a["plain_reached"] & ~a["plain_free"]).mean(),
            reached=100 * a["reached"].mean(), free=100 * good.mean(),
            exists=int(ex.sum()), free_of_exists=100 * good[ex].mean() if ex.any() else float("nan"),
            min_clearance=float(a["clear"][good].min()) if good.any() else float("nan"),
            median_clearance=float(np.median(a["clear"][good])) if good.any() else float("nan"),
            max_err=float(a["err"][a["reached"]].max()) if a["reached"].any() else float("nan"),
            iters=float(a["iters"].mean()), ms=float(np.median(a["ms"])),
            plain_ms=float(np.median(a["plain_ms"])))
        print(name, json.dumps(rows[name], default=float), flush=True)
    return rows


def posture(count, seed=0):
    rows = {}
    for name, chain in scenes().items():
        if name == "planar N=20":
            continue
        rng = np.random.default_rng(seed)
        rest = chain.limits.mean(axis=1) if _spatial(chain) else np.zeros(chain.n)
        post = armsim.Posture(rest, 0.1)
        before, after, errs, ok = [], [], [], []
        for _ in range(count):
            if _spatial(chain):
                target = _tip(chain, rng.uniform(chain.limits[:, 0], chain.limits[:, 1]))
            else:
                target = _tip(chain, rng.uniform(-np.pi, np.pi, chain.n))
            plain = armsim.solve(chain, target)
            res = armsim.solve(chain, target, objectives=[post], priority=True)
            if not plain.success:
                continue
            ok.append(res.success)
            errs.append(np.linalg.norm(_tip(chain, res.q) - target))
            before.append(0.1 * np.linalg.norm(plain.q - rest))
            after.append(res.objectives["posture"])
        b, f = np.array(before), np.array(after)
        rows[name] = dict(targets=len(b), reached=100 * np.mean(ok), max_err=float(np.max(errs)),
                          posture_before=float(np.median(b)), posture_after=float(np.median(f)),
                          fell=100 * float(np.mean(f < b)), ratio=float(np.median(f / b)))
        print(name, "posture", json.dumps(rows[name], default=float), flush=True)
    return rows


def _paths():
    seven = scenes()["planar N=7"]
    panda = scenes()["Panda"]
    q = panda.clip(PANDA_Q)
    p0 = panda.tip_position(q)

    def circle(k, period=500):
        t = 2 * np.pi * k / period
        return p0 + 0.2 * np.array([0.0, np.cos(t) - 1.0, np.sin(t)])
    eight = figure_eight((0.1, 0.25), (0.85, 0.6), 600)   # grazes the edge: 1.004 reach
    return {"planar N=7 figure-eight": (seven, eight, armsim.solve(seven, eight(0)).q),
            "Panda circle": (panda, circle, q)}


def tracking(frames, substeps=8):
    rows = {}
    for name, (chain, path, q_start) in _paths().items():
        q = q_start
        jumps = np.empty(frames - 1)
        t0 = time.perf_counter()
        for k in range(1, frames):
            r = armsim.solve(chain, path(k), q0=q)
            jumps[k - 1] = np.abs(r.q - q).max()
            q = r.q
        ms = 1e3 * (time.perf_counter() - t0) / (frames - 1)
        task = SpatialTarget(chain, "position") if _spatial(chain) else chain
        local = armsim.Solver(task, max_iter=30, restarts=0)
        q = q_start
        cont = np.empty(frames - 1)
        for k in range(1, frames):
            start = q
            for s in range(1, substeps + 1):
                q = local.solve(path(k - 1 + s / substeps), q).q
            cont[k - 1] = np.abs(q - start).max()
        rows[name] = dict(frames=frames, max_jump=float(jumps.max()), cont_max=float(cont.max()),
                          ratio=float(jumps.max() / cont.max()), flips=int((jumps > 0.3).sum()),
                          ms=ms)
        print(name, json.dumps(rows[name], default=float), flush=True)
    return rows


class HandObstacleStack(Stack):
    """The same stack as ``Stack(primary, chain, [obstacle])`` on a planar chain, with the
    obstacle row's Jacobian written by hand: the residual is ``w |s|`` with
    ``s_l = max(0, margin - d_l)`` per link, so ``dr = w sum_l s_l ds_l / |s|``; for a link from ``a`` to ``b`` with nearest
    point ``p = a + t (b - a)`` to the centre ``c``, ``d(dist)/dq_j = -u . (dp/dq_j)`` with
    ``u = (c - p) / |c - p|`` and ``dp/dq_j = (1 - t) da/dq_j + t db/dq_j`` (the ``dt`` term
    vanishes at an interior minimum and t is constant where clamped); a joint point ``x_i``
    moves with joint ``j < i`` as ``perp(x_i - x_j)``."""

    def value_and_jacobian(self, q):
        y, jac = self.primary.value_and_jacobian(q)
        ob = self.objectives[0]
        pts = self.chain.joints(q)                             # (B, P, 2)
        a, b = pts[:, :-1], pts[:, 1:]
        ab = b - a
        den = np.einsum("bsi,bsi->bs", ab, ab)
        t = np.clip(np.einsum("bsi,bsi->bs", ob.center - a, ab) / den, 0.0, 1.0)
        p = a + t[..., None] * ab
        v = ob.center - p
        dist = np.sqrt(np.einsum("bsi,bsi->bs", v, v))
        s = np.maximum(ob._margin - (dist - ob.radius - ob.link_radius), 0.0)   # (B, links)
        u = v / np.where(dist > 0, dist, 1.0)[..., None]
        # dx_i/dq_j = perp(x_i - x_j) for j < i: (B, P, n, 2)
        rel = pts[:, :, None, :] - pts[:, None, :-1, :]          # x_i - x_j (B, P, n, 2)
        perp = np.stack([-rel[..., 1], rel[..., 0]], axis=-1)
        mask = np.arange(pts.shape[1])[:, None] > np.arange(self.n)[None, :]
        dx = np.where(mask[None, :, :, None], perp, 0.0)         # (B, P, n, 2)
        dp = (1 - t)[..., None, None] * dx[:, :-1] + t[..., None, None] * dx[:, 1:]
        ds = np.where((s > 0)[..., None], np.einsum("bsi,bsni->bsn", u, dp), 0.0)
        size = np.sqrt(np.einsum("bs,bs->b", s, s))             # the residual |s|
        dr = np.einsum("bs,bsn->bn", s, ds) / np.where(size > 0, size, 1.0)[:, None]
        r, dr = (ob.weight * size)[:, None], (ob.weight * dr)[:, None, :]
        return np.concatenate([y, r], axis=-1), np.concatenate([jac, dr], axis=-2)


def ad_cost(batch=1000, solves=200, seed=0):
    chain = scenes()["planar N=7"]
    ob = armsim.Obstacle([0.3, 0.2], 0.05, clearance=0.3)
    ad_stack = Stack(as_problem(chain), chain, [ob])
    hand = HandObstacleStack(as_problem(chain), chain, [ob])
    rng = np.random.default_rng(seed)
    q = rng.uniform(-np.pi, np.pi, (batch, chain.n))
    ya, ja = ad_stack.value_and_jacobian(q)
    yh, jh = hand.value_and_jacobian(q)
    agree = float(np.abs(ja - jh).max())

    def best(fn, reps=5):
        out = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return min(out)
    t_ad = best(lambda: ad_stack.value_and_jacobian(q))
    t_hand = best(lambda: hand.value_and_jacobian(q))
    one = q[:1]
    t_ad1 = best(lambda: [ad_stack.value_and_jacobian(one) for _ in range(200)]) / 200
    t_hand1 = best(lambda: [hand.value_and_jacobian(one) for _ in range(200)]) / 200
    targets = chain.tip(rng.uniform(-np.pi, np.pi, (solves, chain.n)))

    def run(problem):
        s = armsim.Solver(problem, max_iter=10, first_iter=3, restarts=8, first_start="nearer")
        return [s.solve(t) for t in targets]
    t0 = time.perf_counter()
    ra = run(ad_stack)
    t1 = time.perf_counter()
    rh = run(hand)
    t2 = time.perf_counter()
    same = int(sum(np.abs(x.q - y.q).max() < 1e-9 for x, y in zip(ra, rh)))
    ok_ad, ok_hand = (int(sum(x.success for x in rr)) for rr in (ra, rh))
    row = dict(jacobian_max_diff=agree, batch=batch, batch_ms_ad=1e3 * t_ad,
               batch_ms_hand=1e3 * t_hand, batch_ratio=t_ad / t_hand,
               one_us_ad=1e6 * t_ad1, one_us_hand=1e6 * t_hand1, one_ratio=t_ad1 / t_hand1,
               solves=solves, solve_ms_ad=1e3 * (t1 - t0) / solves,
               solve_ms_hand=1e3 * (t2 - t1) / solves, solve_ratio=(t1 - t0) / (t2 - t1),
               same_answers=same, reached_ad=ok_ad, reached_hand=ok_hand, kernel=_kernel())
    print("ad cost", json.dumps(row, default=float), flush=True)
    return row


def _kernel():
    """OpenBLAS's kernel in this process (the same-answer count depends on it)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "default"
    return next((i.get("architecture") or "?" for i in threadpool_info()
                 if i.get("internal_api") == "openblas"), "default")


def markdown(res):
    out = {}
    lines = ["| scene | targets | plain: reached | plain: reached and free | plain: collided "
             "| with obstacles: reached | reached and free | free-answer known | free among known "
             "| min / median clearance [m] | max tip error [m] | iterations | ms per solve "
             "(plain) |", "|" + "---|" * 13]
    for name, r in res["obstacles"].items():
        lines.append(f"| {name} | {r['targets']} | {r['plain_reached']:.1f} % | "
                     f"{r['plain_free']:.1f} % | {r['plain_collided']:.1f} % | {r['reached']:.1f} % "
                     f"| {r['free']:.1f} % | {r['exists']} | **{r['free_of_exists']:.1f} %** | "
                     f"{r['min_clearance']:.4f} / {r['median_clearance']:.4f} | {r['max_err']:.1e} "
                     f"| {r['iters']:.1f} | {r['ms']:.2f} ({r['plain_ms']:.2f}) |")
    out["bench/objectives.py obstacles"] = "\n".join(lines)
    lines = ["| chain | targets | reached (priority) | max tip error [m] | posture error, plain "
             "(median) | with priority (median) | fell in | median ratio |", "|" + "---|" * 8]
    for name, r in res["posture"].items():
        lines.append(f"| {name} | {r['targets']} | {r['reached']:.1f} % | {r['max_err']:.1e} | "
                     f"{r['posture_before']:.4f} | {r['posture_after']:.4f} | {r['fell']:.1f} % | "
                     f"{r['ratio']:.2f} |")
    out["bench/objectives.py posture"] = "\n".join(lines)
    lines = ["| path | frames | largest jump [rad] | continuous solution's largest [rad] | ratio "
             "(goal <= 3) | jumps > 0.3 rad | ms per frame |", "|" + "---|" * 7]
    for name, r in res["tracking"].items():
        lines.append(f"| {name} | {r['frames']} | {r['max_jump']:.4f} | {r['cont_max']:.4f} | "
                     f"{r['ratio']:.2f} | {r['flips']} | {r['ms']:.2f} |")
    out["bench/objectives.py tracking"] = "\n".join(lines)
    a = res["ad_cost"]
    out["bench/objectives.py ad cost"] = "\n".join([
        "| measure | AD (shipped `Obstacle`) | hand-written Jacobian | ratio (goal <= 3) |",
        "|---|---|---|---|",
        f"| value and Jacobian, B = {a['batch']} | {a['batch_ms_ad']:.2f} ms | "
        f"{a['batch_ms_hand']:.2f} ms | {a['batch_ratio']:.2f} |",
        f"| value and Jacobian, B = 1 | {a['one_us_ad']:.0f} us | {a['one_us_hand']:.0f} us | "
        f"{a['one_ratio']:.2f} |",
        f"| whole solve (default settings), {a['solves']} targets | {a['solve_ms_ad']:.2f} ms | "
        f"{a['solve_ms_hand']:.2f} ms | {a['solve_ratio']:.2f} |",
        "",
        f"Largest difference of the two Jacobians: {a['jacobian_max_diff']:.1e}.  Targets "
        f"reached: {a['reached_ad']} (AD) and {a['reached_hand']} (hand-written) of "
        f"{a['solves']}; the same answer (within 1e-9 rad): {a['same_answers']} with "
        f"OpenBLAS's {a.get('kernel', 'default')} kernel (rounding differences of 1e-14 send "
        f"some restarts elsewhere, so this count moves with the BLAS kernel)."])
    return out


def main(argv=None):
    from _docs import add_markdown_argument, write_blocks, write_json
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer targets and frames (under a minute)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    add_markdown_argument(ap, str(ROOT / "docs" / "objectives.md"))
    args = ap.parse_args(argv)
    n_targets, n_frames, n_posture = (60, 1000, 60) if args.quick else (1000, 10_000, 500)
    res = dict(obstacles=obstacle_scenes(n_targets), posture=posture(n_posture),
               tracking=tracking(n_frames), ad_cost=ad_cost(solves=50 if args.quick else 200))
    blocks = markdown(res)
    for text in blocks.values():
        print(text + "\n")
    if args.json:
        write_json(args.json, res)
    if args.markdown:
        cmd = "python bench/objectives.py" + (" --quick" if args.quick else "") + " --markdown"
        write_blocks(args.markdown, blocks, cmd)


if __name__ == "__main__":
    main()
