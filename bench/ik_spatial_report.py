"""The tables of ``bench/ik_spatial.py``'s results (its docstring says what each figure is)
and the protocol's numbers they print, which the run imports from here: what ``--markdown``
writes into the README and docs/solvers.md, from a run or its saved JSON."""

from __future__ import annotations

import math

from armsim.ik.problems import SpatialTarget

TOL = 1e-5
#: TRAC-IK's eps bounds each error component: this makes its own test at least as strict
#: as the common rule (|v| <= sqrt(3) max |v_i|)
TRACIK_EPS = TOL / math.sqrt(3.0)
#: give-up targets: the position at these multiples of the reach bound from the first joint
BEYOND = (1.05, 1.2, 2.0)
#: the poses' seed; not the solver's restart seed (0): with default_rng(0) the poses' joint
#: vectors were the solver's uniform restart draws, so restart k started at pose k's solution
POSE_SEED = 2026
#: the smaller batch measured beside the whole one: the first this many poses
SMALL_BATCH = 1000
#: IKPy's poses are solved in blocks of this many by IKPy, then by armsim
IKPY_BLOCK = 50
#: the row of armsim's compiled path (numba, :mod:`armsim.ik.compiled`)
COMPILED = "armsim compiled"


def _pct(x):
    return f"{100 * x:.2f} %"


def markdown(results):
    caps = results["caps_ms"]
    lines = [f"One `armsim.solve` and one TRAC-IK call per pose ({results['poses']} per robot, "
             f"the same poses for both), each capped at the same wall-clock time; success by "
             f"each solver's own test / by the common rule (forward kinematics: position error "
             f"< {TOL:g} m and rotation angle < {TOL:g} rad). TRAC-IK: Speed, eps = "
             f"{TRACIK_EPS:.3g} per component (1e-5 / sqrt(3)).", "",
             "| robot | cap | armsim success own / common | armsim mean / median / p95 ms | "
             "armsim timeouts | TRAC-IK success own / common | TRAC-IK mean / median / p95 ms | "
             "armsim mean / TRAC-IK mean |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in results["robots"].items():
        for cap in caps:
            a, t = r["capped"][str(cap)]["armsim"], r["capped"][str(cap)]["tracik"]
            tr = (f"{_pct(t['own_success'])} / {_pct(t['success'])} | {t['mean_ms']:.3f} / "
                  f"{t['median_ms']:.3f} / {t['p95_ms']:.3f} | {a['mean_ms'] / t['mean_ms']:.2f}"
                  if isinstance(t, dict) else f"skipped: {t} | | ")
            lines.append(f"| {name} | {cap:g} ms | {_pct(a['own_success'])} / {_pct(a['success'])} | "
                         f"{a['mean_ms']:.3f} / {a['median_ms']:.3f} / {a['p95_ms']:.3f} | "
                         f"{a['timeouts']:.1f} | {tr} |")
            c = r["capped"][str(cap)].get(COMPILED)
            if isinstance(c, dict):
                ratio = (f"{c['mean_ms'] / t['mean_ms']:.2f}" if isinstance(t, dict)
                         else "skipped")
                lines.append(f"| {name}, compiled | {cap:g} ms | {_pct(c['own_success'])} / "
                             f"{_pct(c['success'])} | {c['mean_ms']:.3f} / {c['median_ms']:.3f}"
                             f" / {c['p95_ms']:.3f} | {c['timeouts']:.1f} | as above | "
                             f"as above | {ratio} |")
            elif c is not None:
                lines.append(f"| {name}, compiled | {cap:g} ms | skipped: {c} | | | | | |")
    big = str(max(caps))
    lines += ["", "Batches and the other peers (one `solve_batch` of every pose, no cap; its "
              "solves/s with the maths library's default threads and with one, which "
              "`solve_batch` sets; the compiled rows run on numba's threads, one per core, "
              "in both; against TRAC-IK's one-solve rate at the "
              f"{big} ms cap, one core):", "",
              "| robot | n | batch success | batch solves/s, default threads / one thread | "
              "one / default | batch / TRAC-IK solves/s | IKPy success (common rule) | "
              "IKPy mean ms | IKPy mean / armsim mean, same poses | position-only success |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results["robots"].items():
        a, k, p = r["armsim"], r["ikpy"], r["position"]
        t = r["capped"][big]["tracik"]
        vs_t = f"{a['batch_per_s'] * t['mean_ms'] / 1e3:.1f}" if isinstance(t, dict) else "skipped"
        kp = (f"{100 * k['success']:.1f} % ({k['count']}) | {k['mean_ms']:.1f} | "
              f"{k['mean_ms'] / k['armsim_mean_ms']:.1f}"
              if isinstance(k, dict) else f"skipped: {k} | | ")
        lines.append(f"| {name} | {r['n']} | {_pct(a['batch_success'])} | "
                     f"{a['batch_default_threads_per_s']:.0f} / {a['batch_per_s']:.0f} | "
                     f"{a['batch_per_s'] / a['batch_default_threads_per_s']:.2f} | {vs_t} | {kp} | "
                     f"{_pct(p['success'])} |")
        c = r.get(COMPILED)
        if isinstance(c, dict):
            vs_t = (f"{c['batch_per_s'] * t['mean_ms'] / 1e3:.1f}" if isinstance(t, dict)
                    else "skipped")
            kp = (f"as above | as above | {k['mean_ms'] / k['armsim_compiled_mean_ms']:.1f}"
                  if isinstance(k, dict) and "armsim_compiled_mean_ms" in k else "| | ")
            pc = p.get("compiled")
            lines.append(f"| {name}, compiled | {r['n']} | {_pct(c['batch_success'])} | "
                         f"{c['batch_default_threads_per_s']:.0f} / {c['batch_per_s']:.0f} | "
                         f"{c['batch_per_s'] / c['batch_default_threads_per_s']:.2f} | {vs_t} | "
                         f"{kp} | {_pct(pc['success']) if pc else ''} |")
        elif c is not None:
            lines.append(f"| {name}, compiled | {r['n']} | skipped: {c} | | | | | | | |")
    lines += batch_sizes_markdown(results, big)
    lines += ["", "Time to give up on pose targets beyond the reach (position at 1.05, 1.2 and 2 x "
              f"the reach bound from the first joint, {results['give_up_targets']} each; armsim "
              f"uncapped, TRAC-IK at {min(caps):g} ms): armsim mean / max ms (its reason), "
              "TRAC-IK mean / max ms.", "",
              "| robot | " + " | ".join(f"{b:g} x reach" for b in BEYOND) + " |",
              "|---|" + "---|" * len(BEYOND)]
    for name, r in results["robots"].items():
        cells = []
        for b in BEYOND:
            g = r["give_up"][str(b)]
            reasons = ", ".join(sorted(g["armsim"]["reasons"]))
            cell = f"{g['armsim']['mean_ms']:.2f} / {g['armsim']['max_ms']:.2f} ({reasons})"
            if COMPILED in g:
                gc = g[COMPILED]
                cell += (f"; compiled {gc['mean_ms']:.2f} / {gc['max_ms']:.2f} "
                         f"({', '.join(sorted(gc['reasons']))})")
            if "tracik" in g:
                cell += f"; TRAC-IK {g['tracik']['mean_ms']:.2f} / {g['tracik']['max_ms']:.2f}"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    tail = "; ".join(f"{name} {r['armsim']['over_100_iterations']} "
                     f"({100 * r['armsim']['over_100_share']:.1f} % of the iterations; the most "
                     f"{r['armsim']['most_iterations']}, {r['armsim']['most_iterations_ms']:.1f} ms)"
                     for name, r in results["robots"].items())
    lines += ["", f"One-solve poses that needed more than 100 iterations (restarts; at the "
              f"{big} ms cap): {tail}."]
    lines += ["", f"armsim settings: max_iter "
              f"{results['settings']['max_iter']}, first_iter {results['settings']['first_iter']}, "
              f"restarts {results['settings']['restarts']}, give_up "
              f"{SpatialTarget.default_give_up} (the first {results['table']['nearest']} "
              f"from a table of {results['table']['size']} sampled poses; a chain's first use, which "
              f"builds it and compiles the float pass, is untimed: "
              + ", ".join(f"{n} {r['armsim']['first_use_ms']:.0f} ms"
                          for n, r in results["robots"].items())
              + f"{compiled_note(results)}). Timing: {results['rounds']} round(s) of armsim's "
              f"batch (by the compiled path, then the default path with one thread and with the "
              f"default threads: a BLAS call on several threads leaves OpenBLAS's threads "
              f"spinning for about 0.1 s, on the cores numba's threads want), and for each cap "
              f"armsim's one solves (then by the compiled path) and TRAC-IK, in turn, each "
              f"measurement's fastest round (success: the mean of the rounds); IKPy's poses are "
              f"solved in blocks of {IKPY_BLOCK}, by IKPy and then by armsim (then by its "
              f"compiled path). The poses' joint "
              f"vectors are drawn from default_rng({POSE_SEED}) (the defaults were tuned on other "
              f"seeds), apart from the solver's restart seed 0."]
    return "\n".join(lines)


def compiled_note(results):
    """The compiled rows' first use in the settings line (or why they were skipped)."""
    got = {n: r.get(COMPILED) for n, r in results["robots"].items()}
    if all(v is None for v in got.values()):
        return ""
    skipped = sorted({v for v in got.values() if isinstance(v, str)})
    if skipped:
        return "; the compiled rows skipped: " + "; ".join(skipped)
    return ("; the compiled path's first use in the process (numba's import, its kernels "
            "loaded from numba's cache or compiled), untimed too: "
            + ", ".join(f"{n} {v['first_use_ms']:.0f} ms" for n, v in got.items())
            + "; `name, compiled`: `compiled.use(True)`, the same poses, settings and caps; "
            "its batch runs on numba's threads, one per core, in both thread settings")


def batch_sizes_markdown(results, big):
    """The table of ``solve_batch`` at B = :data:`SMALL_BATCH` (the first poses) and at every
    pose, against TRAC-IK's one-solve rate on the same poses (issue 25's goal: 10x at
    both); no lines for a run without the small batch (``--quick``, an older run)."""
    rows = []
    for name, r in results["robots"].items():
        a, t = r["armsim"], r["capped"][big]["tracik"]
        if "batch_small_per_s" not in a or not isinstance(t, dict) or "head_mean_ms" not in t:
            continue
        c = r.get(COMPILED) if isinstance(r.get(COMPILED), dict) else None
        for b, key, trac_ms in ((a["batch_small_rows"], "batch_small_", t["head_mean_ms"]),
                                (r["poses"], "batch_", t["mean_ms"])):
            one, default = a[key + "per_s"], a[key + "default_threads_per_s"]
            cell = (f"{c[key + 'per_s']:,.0f} | {c[key + 'per_s'] * trac_ms / 1e3:.1f}"
                    if c is not None and key + "per_s" in c else "skipped | ")
            rows.append(f"| {name} | {b:,} | {1e3 / trac_ms:,.0f} | {default:,.0f} / {one:,.0f} "
                        f"| {one * trac_ms / 1e3:.1f} | {cell} |")
    if not rows:
        return []
    return ["", f"`solve_batch` at B = {SMALL_BATCH:,} (the first poses) and at every pose, "
            "against TRAC-IK's one-solve rate on the same poses (its mean time at the "
            f"{big} ms cap; the goal of issue 25: 10x at both sizes): solves/s (the default "
            "path with the maths library's default threads / one thread, which "
            "`solve_batch` sets; the compiled path on numba's threads, one per core: its "
            "ratio is two cores' rate over TRAC-IK's one) and "
            "the one-thread rate over TRAC-IK's:", "",
            "| robot | B | TRAC-IK solves/s | armsim solves/s, default threads / one thread | "
            "armsim / TRAC-IK | armsim compiled solves/s | compiled / TRAC-IK |",
            "|---|---|---|---|---|---|---|", *rows]
