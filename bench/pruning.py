"""Benchmark: dynamic top-k pruning of forward-mode tangents.

Three measurements, each against the unpruned run (k = None) of the same
benchmark run:

1. IK.  Planar arms of N equal segments (reach 1), random reachable targets,
   a plain steepest-descent loop on the tip error whose gradient comes from the
   pruned Jacobian (``armsim.ad.pruning.prune`` around ``Chain.tip_and_jacobian``).
   Reports success rate, iterations, time per solve, and the cosine between
   the pruned and the full gradient step at the start pose.
2. Representation.  Time of one pruned Jacobian with dense-with-mask versus
   sparse slots, and how far the two pruned steps are from the full one.
3. Calibration (the visual problem): rounds until the ``lm`` learner
   identifies the hidden arm (lengths within 1 %, angles within 0.01 rad)
   with the bearing model's tangents (K = 2n per candidate) pruned to k.
4. The original neural-network experiment: a 4-5-5-1 network (sigmoid hidden
   layers, linear output, 61 weights with biases) trained by forward-mode
   gradients on y = sum(x), K = 61 directions, tangents pruned to k.

Usage::

    python bench/pruning.py --quick
    python bench/pruning.py --json out.json --plot pruning.png
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _docs import add_markdown_argument, write_blocks, write_json  # noqa: E402

from armsim import Chain  # noqa: E402
from armsim.ad import dual as ad  # noqa: E402
from armsim.ad.opcount import counting  # noqa: E402
from armsim.ad.pruning import dense_tangent, prune  # noqa: E402

K_LABEL = "all"


def _label(k):
    return K_LABEL if k is None else str(k)


# ---------------------------------------------------------------------------
# Calibration with pruned tangents
# ---------------------------------------------------------------------------

def bench_calibration(segments, ks, seeds, population=4, max_rounds=3000, verbose=True):
    """Rounds to identification by ``lm`` with the bearing tangents pruned to k."""
    from armsim.vision.calibration import PRESETS, CalibrationRun

    rows = []
    for n in segments:
        exp = PRESETS["lm"].with_value("segments", n).with_value("population", population)
        for k in ks:
            if k is not None and k >= 2 * n:
                continue                     # k >= K prunes nothing: the same as "all"
            rounds, done, secs = [], 0, 0.0
            for seed in seeds:
                t0 = time.perf_counter()
                with prune(k):
                    run = CalibrationRun(exp, seed=seed)
                    r = 0
                    converged = False
                    while r < max_rounds and not converged:
                        r += 1
                        converged = run.step()
                secs += time.perf_counter() - t0
                rounds.append(r if converged else None)
                done += converged
            row = {"segments": n, "K": 2 * n, "k": _label(k), "population": population,
                   "seeds": list(seeds), "identified": done, "runs": len(seeds),
                   "rounds": rounds, "max_rounds": max_rounds,
                   "median_rounds": (float(np.median([x for x in rounds if x is not None]))
                                     if done else None),
                   "seconds": secs}
            rows.append(row)
            if verbose:
                med = "-" if row["median_rounds"] is None else f"{row['median_rounds']:.0f}"
                per = " / ".join("cap" if x is None else str(x) for x in rounds)
                print(f"{n:>8} {2 * n:>3} {_label(k):>4} {done:>4}/{len(seeds)} {med:>7}   {per}",
                      flush=True)
    return rows


# ---------------------------------------------------------------------------
# 1. IK with a pruned Jacobian
# ---------------------------------------------------------------------------

def ik_problems(n, batch, seed):
    """Start angles (B, N) and reachable targets (B, 2) for an arm of reach 1."""
    rng = np.random.default_rng(seed)
    q0 = rng.normal(0.0, 2.0 / n, (batch, n))
    q0[:, 0] = rng.uniform(-np.pi, np.pi, batch)
    r = rng.uniform(0.2, 0.8, batch)
    a = rng.uniform(-np.pi, np.pi, batch)
    return q0, np.stack([r * np.cos(a), r * np.sin(a)], axis=-1)


def pruned_tip_jacobian(chain, q, k, representation):
    """Tip (B, 2) and Jacobian (B, 2, N) with tangents pruned to k at every operation."""
    with prune(k, representation=representation):
        tip, jac = chain.tip_and_jacobian(q)
    return tip, dense_tangent(jac)


def gradient_step(jac, err, max_step=0.2):
    """Steepest descent on 0.5 |e|^2 with the exact step length of the linear model.

    ``g = J^T e``, ``alpha = |g|^2 / |J g|^2``; the step is scaled down so no
    joint moves by more than ``max_step`` [rad].  Returns (B, N).
    """
    g = np.einsum("bik,bi->bk", jac, err)
    jg = np.einsum("bik,bk->bi", jac, g)
    den = np.sum(jg * jg, axis=-1)
    alpha = np.where(den > 0, np.sum(g * g, axis=-1) / np.where(den > 0, den, 1.0), 0.0)
    dq = alpha[:, None] * g
    big = np.max(np.abs(dq), axis=-1)
    scale = np.where(big > max_step, max_step / np.where(big > 0, big, 1.0), 1.0)
    return dq * scale[:, None]


def solve_ik(chain, q0, targets, k, representation="dense", tol=1e-3, max_iter=200):
    """Run the pruned gradient loop on a batch; returns per-problem results."""
    q = q0.copy()
    batch = q.shape[0]
    iters = np.full(batch, -1)
    t0 = time.perf_counter()
    for it in range(max_iter + 1):
        tip, jac = pruned_tip_jacobian(chain, q, k, representation)
        err = targets - tip
        res = np.linalg.norm(err, axis=-1)
        newly = (res < tol) & (iters < 0)
        iters[newly] = it
        if np.all(iters >= 0) or it == max_iter:
            break
        dq = gradient_step(jac, err)
        dq[iters >= 0] = 0.0
        q = q + dq
    elapsed = time.perf_counter() - t0
    return {"success": iters >= 0, "iterations": np.where(iters >= 0, iters, max_iter),
            "residual": res, "time": elapsed / batch, "time_per_iter": elapsed / (it + 1)}


def tangent_ops(chain, q, k, representation="dense"):
    """Tangent multiplies + adds of one pruned tip Jacobian of the first problem
    (non-zero convention of :mod:`armsim.ad.opcount`: only entries kept are worked on)."""
    with counting("nonzero") as c:
        pruned_tip_jacobian(chain, q[:1], k, representation)
    return c.derivative


def step_cosine(chain, q, targets, k, representation="dense"):
    """Cosine between the pruned and the full gradient step, per problem."""
    tip, jac = chain.tip_and_jacobian(q)
    g_full = np.einsum("bik,bi->bk", jac, targets - tip)
    _, jac_k = pruned_tip_jacobian(chain, q, k, representation)
    g_k = np.einsum("bik,bi->bk", jac_k, targets - tip)
    den = np.linalg.norm(g_full, axis=-1) * np.linalg.norm(g_k, axis=-1)
    return np.where(den > 0, np.sum(g_full * g_k, axis=-1) / np.where(den > 0, den, 1.0), 0.0)


def bench_ik(config, seed):
    rows = []
    for n, batch, max_iter, ks, rep in config:
        chain = Chain(np.full(n, 1.0 / n))
        q0, targets = ik_problems(n, batch, seed)
        for k in ks:
            r = solve_ik(chain, q0, targets, k, representation=rep, max_iter=max_iter)
            cos = step_cosine(chain, q0, targets, k, rep)
            ops = tangent_ops(chain, q0, k, rep)
            ok = r["success"]
            rows.append({
                "n": n, "representation": rep, "k": _label(k), "problems": batch,
                "max_iter": max_iter,
                "success_rate": float(ok.mean()),
                "iterations_mean": float(r["iterations"][ok].mean()) if ok.any() else None,
                "residual_median": float(np.median(r["residual"])),
                "time_per_solve_s": r["time"], "ms_per_iteration": 1e3 * r["time_per_iter"],
                "tangent_ops": ops,
                "cosine_mean": float(cos.mean()), "cosine_min": float(cos.min()),
            })
            print(_fmt_ik(rows[-1]), flush=True)
    return rows


def _fmt_ik(r):
    it = "-" if r["iterations_mean"] is None else f"{r['iterations_mean']:.1f}"
    return (f"{r['n']:>5} {r['representation']:>6} {r['k']:>4} {r['problems']:>4} "
            f"{r['success_rate']:>8.2f} {it:>7} "
            f"{r['residual_median']:>10.2e} {r['time_per_solve_s']:>9.3f} "
            f"{r['ms_per_iteration']:>8.2f} {r['tangent_ops']:>9} "
            f"{r['cosine_mean']:>7.3f} {r['cosine_min']:>7.3f}")


IK_HEADER = (f"{'N':>5} {'rep':>6} {'k':>4} {'B':>4} {'success':>8} {'iters':>7} {'med.res':>10} "
             f"{'s/solve':>9} {'ms/iter':>8} {'tan.ops':>9} {'cos':>7} {'cos min':>7}")


# ---------------------------------------------------------------------------
# 2. Dense-with-mask versus sparse slots
# ---------------------------------------------------------------------------

def bench_representation(config, seed, repeats):
    rows = []
    for n, batch, ks in config:
        chain = Chain(np.full(n, 1.0 / n))
        q0, targets = ik_problems(n, batch, seed)
        t_full = _time(lambda: chain.tip_and_jacobian(q0), repeats)
        for k in ks:
            row = {"n": n, "k": k, "batch": batch, "full_ms": 1e3 * t_full}
            for rep in ("dense", "sparse"):
                row[f"{rep}_ms"] = 1e3 * _time(lambda: pruned_tip_jacobian(chain, q0, k, rep),
                                               repeats)
                row[f"{rep}_cos"] = float(step_cosine(chain, q0, targets, k, rep).mean())
                row[f"{rep}_ops"] = tangent_ops(chain, q0, k, rep)
            row["full_ops"] = tangent_ops(chain, q0, None)
            rows.append(row)
            print(f"{n:>5} {k:>4} {batch:>4} {row['full_ms']:>8.2f} {row['dense_ms']:>9.2f} "
                  f"{row['sparse_ms']:>10.2f} {row['dense_cos']:>9.3f} {row['sparse_cos']:>10.3f} "
                  f"{row['full_ops']:>9} {row['dense_ops']:>9} {row['sparse_ops']:>10}",
                  flush=True)
    return rows


def _time(fn, repeats):
    fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats


# ---------------------------------------------------------------------------
# 3. The neural-network experiment
# ---------------------------------------------------------------------------

N_WEIGHTS = 4 * 5 + 5 + 5 * 5 + 5 + 5 + 1      # 61


def network(w, x):
    """4-5-5-1: sigmoid hidden layers, linear output.

    Parameters
    ----------
    w : Dual or ndarray, shape (61,)
        W1 (5, 4), b1 (5), W2 (5, 5), b2 (5), W3 (5), b3 (1), in that order.
    x : ndarray, shape (B, 4)

    Returns
    -------
    Dual or ndarray, shape (B,)
    """
    w1 = ad.reshape(w[0:20], (5, 4))
    w2 = ad.reshape(w[25:50], (5, 5))
    h1 = ad.sigmoid(ad.sum(w1 * x[:, None, :], axis=-1) + w[20:25])
    h2 = ad.sigmoid(ad.sum(w2 * ad.reshape(h1, (-1, 1, 5)), axis=-1) + w[50:55])
    return ad.sum(w[55:60] * h2, axis=-1) + w[60]


def mse(w, x, y):
    d = network(w, x) - y
    return ad.sum(ad.square(d)) * (1.0 / len(y))


def train_network(n_samples, k, epochs, seed=42, batch=10, max_change=0.01,
                  representation="dense"):
    """Train by forward-mode gradients pruned to k; returns loss curves.

    Data: x uniform in [0, 1]^4, y = sum(x), first 80 % training, last 20 %
    validation.  Each step moves the weights by ``-max_change * g / max|g|``
    (the largest weight change is ``max_change``).
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, (n_samples, 4))
    y = x.sum(axis=1)
    w = rng.normal(0.0, 0.5, N_WEIGHTS)
    n_train = int(round(0.8 * n_samples))
    xt, yt, xv, yv = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    train_curve, val_curve = [], []
    for _ in range(epochs):
        order = rng.permutation(n_train)
        for s in range(0, n_train, batch):
            idx = order[s:s + batch]
            with prune(k, representation=representation):
                loss = mse(ad.Dual.variables(w), xt[idx], yt[idx])
            g = dense_tangent(loss.tangent)
            big = np.max(np.abs(g))
            if big > 0:
                w = w - max_change * g / big
        train_curve.append(float(mse(w, xt, yt)))
        val_curve.append(float(mse(w, xv, yv)))
    return {"train": train_curve, "val": val_curve}


def bench_network(corpora, ks, epochs, seed, representation="dense", verbose=True):
    rows, curves = [], {}
    for n in corpora:
        for k in ks:
            t0 = time.perf_counter()
            c = train_network(n, k, epochs, seed=seed, representation=representation)
            dt = time.perf_counter() - t0
            curves[f"{n}/{_label(k)}"] = c
            tail = max(1, len(c["val"]) // 10)
            below = [i for i, v in enumerate(c["val"]) if v < 0.01]
            rows.append({"samples": n, "k": _label(k), "seed": seed,
                         "representation": representation, "train_loss": c["train"][-1],
                         "val_loss": c["val"][-1], "best_val_loss": min(c["val"]),
                         "val_loss_tail": float(np.mean(c["val"][-tail:])),
                         "epochs_to_0.01": below[0] + 1 if below else None,
                         "time_s": dt})
            if verbose:
                r = rows[-1]
                ep = "-" if r["epochs_to_0.01"] is None else r["epochs_to_0.01"]
                print(f"{n:>7} {representation:>6} {_label(k):>4} {r['train_loss']:>11.5f} "
                      f"{r['val_loss']:>11.5f} {r['val_loss_tail']:>10.5f} "
                      f"{r['best_val_loss']:>9.5f} {ep:>6} {dt:>7.1f}", flush=True)
    return rows, curves


def best_k(rows, corpora):
    """k with the lowest final validation loss (and with the lowest mean over the
    last 10 % of epochs) per corpus size: ``{n: (k_final, k_tail)}``.

    Equal losses (k >= 61 is the unpruned run) go to the larger k, "all" last.
    """
    out = {}
    for n in corpora:
        rs = [r for r in rows if r["samples"] == n]
        pick = [min(enumerate(rs), key=lambda ir: (ir[1][key], -ir[0]))[1]["k"]
                for key in ("val_loss", "val_loss_tail")]
        out[n] = tuple(pick)
    return out


def plot(path, nn_curves, corpora, ks, ik_rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install armsim[plot]); plot skipped")
        return False
    fig, axes = plt.subplots(1, len(corpora) + 1, figsize=(4 * (len(corpora) + 1), 3.6))
    for ax, n in zip(axes, corpora):
        for k in ks:
            c = nn_curves[f"{n}/{_label(k)}"]
            ax.semilogy(c["val"], label=f"k={_label(k)}")
        ax.set_title(f"{n} samples: validation MSE")
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=7)
    ax = axes[-1]
    for rep, style in (("dense", "o-"), ("sparse", "s--")):
        for n in sorted({r["n"] for r in ik_rows if r["representation"] == rep}):
            rs = [r for r in ik_rows if r["n"] == n and r["representation"] == rep]
            xs = [n if r["k"] == K_LABEL else int(r["k"]) for r in rs]
            ax.semilogx(xs, [r["cosine_mean"] for r in rs], style, label=f"N={n} {rep}")
    ax.set_title("IK: cos(pruned step, full step)")
    ax.set_xlabel("k (k = N: all)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot written to {path}")
    return True


def _md(header, rows):
    """A Markdown table: ``header`` a list of (title, align), ``rows`` lists of cells."""
    lines = ["| " + " | ".join(h for h, _ in header) + " |",
             "|" + "|".join("---:" if a == "r" else "---" for _, a in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _g(x, spec):
    return "–" if x is None else format(x, spec)


def markdown(result, corpora, ks, extra_seeds):
    """The tables of docs/pruning.md, one generated block each."""
    blocks = {}
    blocks["bench/pruning.py ik"] = _md(
        [("N", "r"), ("repr.", "l"), ("k", "r"), ("problems", "r"), ("success", "r"),
         ("mean iterations (solved)", "r"), ("median residual", "r"), ("s / solve", "r"),
         ("ms / iteration (batch)", "r"), ("tangent ops / Jacobian", "r"), ("cos mean", "r"),
         ("cos min", "r")],
        [[r["n"], r["representation"], r["k"], r["problems"], f"{r['success_rate']:.2f}",
          _g(r["iterations_mean"], ".1f"), f"{r['residual_median']:.1e}",
          f"{r['time_per_solve_s']:.3f}", f"{r['ms_per_iteration']:.1f}", r["tangent_ops"],
          f"{r['cosine_mean']:.3f}", f"{r['cosine_min']:.3f}"] for r in result["ik"]])
    blocks["bench/pruning.py representation"] = _md(
        [(h, "r") for h in ("N", "k", "batch", "full ms", "dense-mask ms", "sparse ms",
                            "dense cos", "sparse cos", "full ops", "dense ops", "sparse ops")],
        [[r["n"], r["k"], r["batch"], f"{r['full_ms']:.2f}", f"{r['dense_ms']:.2f}",
          f"{r['sparse_ms']:.2f}", f"{r['dense_cos']:.3f}", f"{r['sparse_cos']:.3f}",
          r["full_ops"], r["dense_ops"], r["sparse_ops"]] for r in result["representation"]])
    blocks["bench/pruning.py calibration"] = _md(
        [("segments", "r"), ("K", "r"), ("k", "r"), ("identified", "r"),
         ("median rounds", "r"), ("rounds per seed", "l")],
        [[r["segments"], r["K"], r["k"], f"{r['identified']}/{r['runs']}",
          _g(r["median_rounds"], ".0f"),
          " / ".join("–" if x is None else str(x) for x in r["rounds"])]
         for r in result["calibration"]])
    net_header = [("samples", "r"), ("repr.", "l"), ("k", "r"), ("final train MSE", "r"),
                  ("final val MSE", "r"), ("val MSE, last 10 % of epochs", "r"),
                  ("best val MSE", "r"), ("first epoch val < 0.01", "r"), ("time s", "r")]

    def net_rows(rows):
        return [[r["samples"], r["representation"], r["k"], f"{r['train_loss']:.5f}",
                 f"{r['val_loss']:.5f}", f"{r['val_loss_tail']:.5f}",
                 f"{r['best_val_loss']:.5f}", _g(r["epochs_to_0.01"], "d"),
                 f"{r['time_s']:.1f}"] for r in rows]
    blocks["bench/pruning.py network dense"] = _md(net_header, net_rows(result["network"]))
    blocks["bench/pruning.py network sparse"] = _md(net_header,
                                                    net_rows(result["network_sparse"]))
    best = result["network_best_k"]
    best_sparse = result["network_sparse_best_k"]
    lines = ["Best k by final validation MSE (and by the last-10 % mean), seed 42: dense "
             + ", ".join(f"{n} → {b[0]} ({b[1]})" for n, b in best.items())
             + "; sparse " + ", ".join(f"{n} → {b[0]} ({b[1]})" for n, b in best_sparse.items())
             + "."]
    for seed, b in result["network_other_seeds_best_k"].items():
        lines.append(f"Seed {seed}: " + ", ".join(f"{n} → {v[0]} ({v[1]})" for n, v in b.items())
                     + ".")
    blocks["bench/pruning.py best k"] = "\n\n".join(lines)
    every = result["network"] + result["network_other_seeds"]
    seeds = ", ".join(map(str, (42,) + tuple(extra_seeds)))
    for key, name, what in (("val_loss", "final", "final validation MSE"),
                            ("val_loss_tail", "tail", "validation MSE over the last 10 % of "
                                                      "epochs"),
                            ("epochs_to_0.01", "epochs", "epochs until the validation MSE "
                                                         "first drops below 0.01 "
                                                         "(mean over the seeds that get there; "
                                                         "(m/n) when only m of n do)")):
        rows = []
        for n in corpora:
            cells = [n]
            for k in ks:
                v = [r[key] for r in every if r["samples"] == n and r["k"] == _label(k)]
                if key == "epochs_to_0.01":
                    got = [x for x in v if x is not None]
                    cell = "–" if not got else f"{np.mean(got):.1f}"
                    if got and len(got) < len(v):
                        cell += f" ({len(got)}/{len(v)})"
                    cells.append(cell)
                else:
                    cells.append(f"{np.mean(v):.5f}")
            rows.append(cells)
        blocks[f"bench/pruning.py network means {name}"] = (
            f"Mean over the seeds {seeds} (dense), {what}:\n\n"
            + _md([("samples", "r")] + [(_label(k), "r") for k in ks], rows))
    return blocks


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    p.add_argument("--json", metavar="PATH", help="write all results as JSON")
    p.add_argument("--plot", metavar="PATH", help="write the curves (needs matplotlib)")
    p.add_argument("--seed", type=int, default=0, help="seed of the IK problems")
    add_markdown_argument(p, "docs/pruning.md")
    args = p.parse_args(argv)

    if args.quick:
        ik_cfg = [(20, 8, 100, (2, 8, None), "dense"), (100, 4, 60, (8, None), "dense"),
                  (20, 4, 60, (4,), "sparse")]
        rep_cfg = [(20, 8, (4,))]
        corpora, ks, epochs, repeats = (50,), (2, 8, None), 5, 2
        sparse_corpora, extra_seeds = (50,), (43,)
        cal_segments, cal_ks, cal_seeds, cal_rounds = (3,), (2, 4, None), (123,), 300
    else:
        ik_cfg = [(20, 64, 500, (1, 2, 4, 8, 16, None), "dense"),
                  (100, 32, 500, (2, 4, 8, 16, 32, 64, None), "dense"),
                  (1000, 2, 150, (8, 64, 256, None), "dense"),
                  (20, 64, 500, (1, 2, 4, 8, 16), "sparse"),
                  (100, 16, 300, (4, 16), "sparse")]
        rep_cfg = [(20, 32, (2, 4, 8)), (100, 16, (4, 16, 64)), (1000, 2, (8,))]
        corpora, ks, epochs, repeats = (50, 100, 200, 400), (2, 4, 8, 16, 32, 64, None), 250, 5
        sparse_corpora, extra_seeds = (50, 100, 200, 400), (43, 44, 45, 46)
        cal_segments, cal_ks = (2, 3, 6), (1, 2, 4, 6, 8, None)
        cal_seeds, cal_rounds = (123, 456, 789), 3000

    print("IK: pruned steepest descent, tol 1e-3 (reach 1); cos at the start pose")
    print(IK_HEADER)
    ik_rows = bench_ik(ik_cfg, args.seed)
    print("\nRepresentation: one pruned tip Jacobian [ms], mean step cosine, tangent ops")
    print(f"{'N':>5} {'k':>4} {'B':>4} {'full ms':>8} {'dense ms':>9} {'sparse ms':>10} "
          f"{'dense cos':>9} {'sparse cos':>10} {'full ops':>9} {'dense ops':>9} "
          f"{'sparse ops':>10}")
    rep_rows = bench_representation(rep_cfg, args.seed, repeats)
    print(f"\nCalibration: lm learner, P = 4, rounds to identification (cap {cal_rounds})")
    print(f"{'segments':>8} {'K':>3} {'k':>4} {'ok':>6} {'median':>7}   rounds per seed")
    cal_rows = bench_calibration(cal_segments, cal_ks, cal_seeds, max_rounds=cal_rounds)
    print(f"\nNetwork 4-5-5-1 on y = sum(x), {epochs} epochs, batch 10, max change 0.01, seed 42")
    print("val tail = mean validation MSE over the last 10 % of epochs; ep<0.01 = first epoch "
          "with validation MSE < 0.01")
    print(f"{'samples':>7} {'rep':>6} {'k':>4} {'train MSE':>11} {'val MSE':>11} {'val tail':>10} "
          f"{'best val':>9} {'ep<0.01':>6} {'time s':>7}")
    nn_rows, nn_curves = bench_network(corpora, ks, epochs, seed=42)
    sp_ks = tuple(k for k in ks if k is not None)
    sp_rows, _ = bench_network(sparse_corpora, sp_ks, epochs, seed=42, representation="sparse")
    best = best_k(nn_rows, corpora)
    print("best k by (final, tail) validation MSE (dense, seed 42): "
          + ", ".join(f"{n} samples -> {b}" for n, b in best.items()))
    best_sparse = best_k(sp_rows + [r for r in nn_rows if r["k"] == K_LABEL], sparse_corpora)
    print("best k by (final, tail) validation MSE (sparse slots, seed 42; 'all' = dense): "
          + ", ".join(f"{n} samples -> {b}" for n, b in best_sparse.items()))
    seed_rows, seed_best = [], {}
    for s in extra_seeds:
        rows, _ = bench_network(corpora, ks, epochs, seed=s, verbose=False)
        seed_rows += rows
        seed_best[s] = best_k(rows, corpora)
        print(f"seed {s}: best k (final, tail) "
              + ", ".join(f"{n} -> {b}" for n, b in seed_best[s].items()), flush=True)
    if seed_rows:
        every = nn_rows + seed_rows
        for key, what in (("val_loss", "final validation MSE"),
                          ("val_loss_tail", "validation MSE over the last 10 % of epochs"),
                          ("epochs_to_0.01", "epochs to validation MSE < 0.01 (- if never)")):
            print(f"\nmean {what}, seeds 42, " + ", ".join(map(str, extra_seeds)))
            print(f"{'samples':>7} " + " ".join(f"{_label(k):>8}" for k in ks))
            for n in corpora:
                cells = []
                for k in ks:
                    v = [r[key] for r in every if r["samples"] == n and r["k"] == _label(k)]
                    if key == "epochs_to_0.01":
                        cells.append(f"{np.mean(v):>8.1f}" if None not in v else f"{'-':>8}")
                    else:
                        cells.append(f"{np.mean(v):>8.5f}")
                print(f"{n:>7} " + " ".join(cells))

    result = {"quick": args.quick, "ik": ik_rows, "representation": rep_rows,
              "calibration": cal_rows,
              "network": nn_rows, "network_best_k": {str(n): b for n, b in best.items()},
              "network_sparse": sp_rows,
              "network_sparse_best_k": {str(n): b for n, b in best_sparse.items()},
              "network_other_seeds": seed_rows,
              "network_other_seeds_best_k": {str(s): {str(n): b for n, b in v.items()}
                                             for s, v in seed_best.items()},
              "network_best_k_note": "(k by final validation MSE, k by tail mean)",
              "network_curves": nn_curves}
    if args.json:
        write_json(args.json, result)
        print(f"JSON written to {args.json}")
    if args.plot:
        plot(args.plot, nn_curves, corpora, ks, ik_rows)
    if args.markdown:
        command = "python bench/pruning.py" + (" --quick" if args.quick else "") + " --markdown"
        write_blocks(args.markdown, markdown(result, corpora, ks, extra_seeds), command)
        print(f"wrote the tables into {args.markdown}")
    return result


if __name__ == "__main__":
    main()
