"""Benchmark of the visual problem in 3D: calibrate UR5 and Panda and their cameras from pixels.

Measures, in one run (every figure from :func:`armsim.vision.spatial_calibration.run`):

1. identifiability of every robot x camera arrangement (mono, a stereo rig of known
   baseline, two independent cameras): parameters, rank, condition number of the
   column-scaled Jacobian at the truth, and the named null directions;
2. ``lm`` on the grid robots x {mono, rig} x sigma {0, 0.5, 1, 2} px x poses x seeds:
   the worst relative parameter error of the noise-free runs (against the truth in the
   learner's gauge) and, for the noisy runs, the RMS error over the Cramér-Rao bound:
   ``sqrt(sum over runs and free parameters of error^2 / CRLB variance / (runs x free))``
   (1 for an efficient estimator); rounds and seconds;
3. two independent cameras, and occlusion (link capsules of radius 5 cm) on and off;
4. the original ``proportional`` rule and ``adam``, each with the genetic algorithm,
   against ``lm`` on the same runs (every seed; the median and the range over seeds).

A figure below :data:`SHOWN_FLOOR` (a residual in px, a relative error) is written
"< 1e-10" in the tables: there it is rounding, and its digits change with the BLAS kernel.

Usage::

    PYTHONPATH=. python bench/calibration_spatial.py [--quick] [--seeds N] [--json PATH]
        [--only learners] [--markdown [DOC]]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _docs import add_markdown_argument, write_blocks, write_json  # noqa: E402

from armsim.vision import spatial_calibration as sc  # noqa: E402

#: below this a residual [px] or relative error is rounding: the tables print "< 1e-10"
SHOWN_FLOOR = 1e-10

ARRANGEMENTS = {"mono": dict(cameras=1), "rig": dict(cameras=2, rig=True),
                "two": dict(cameras=2, rig=False)}


def _setup(robot, arrangement, **kw):
    return sc.SpatialSetup(robot=robot, **ARRANGEMENTS[arrangement], **kw)


def summarise(rows):
    """One line of figures for a group of runs of one setup."""
    out = {"runs": len(rows), "dim": rows[0]["dim"], "rank": rows[0]["rank"],
           "free": rows[0]["free"],
           "condition_median": float(np.median([r["condition"] for r in rows])),
           "seen_fraction": float(np.mean([r["observed"] / r["possible"] for r in rows])),
           "rounds_median": float(np.median([r["rounds"] for r in rows])),
           "rounds_max": int(max(r["rounds"] for r in rows)),
           "seconds_median": float(np.median([r["seconds"] for r in rows])),
           "max_rel_error": float(max(r["max_rel_error"] for r in rows)),
           "converged": sum(r["reason"] == "converged" for r in rows),
           "rms_px_median": float(np.median([r["rms_px"] for r in rows])),
           "rms_px_min": float(min(r["rms_px"] for r in rows)),
           "rms_px_max": float(max(r["rms_px"] for r in rows)),
           "max_rel_error_median": float(np.median([r["max_rel_error"] for r in rows])),
           "max_rel_error_min": float(min(r["max_rel_error"] for r in rows))}
    if rows[0]["sigma"] > 0:
        z2 = sum(r["crlb_z2"] for r in rows)
        out["crlb_ratio"] = float(np.sqrt(z2 / sum(r["free"] for r in rows)))
        out["crlb_ratio_per_run_max"] = float(max(np.sqrt(r["crlb_z2"] / r["free"]) for r in rows))
    return out


def shown(x, digits=2):
    """A residual or relative error as the tables print it: rounding shows as "< 1e-10"."""
    return f"< {SHOWN_FLOOR:.0e}" if x < SHOWN_FLOOR else f"{x:.{digits}g}"


def spread(median, lo, hi):
    """Median (min – max) over seeds; one figure when they print alike."""
    a, b, c = shown(median), shown(lo), shown(hi)
    return a if a == b == c else f"{a} ({b} – {c})"


def grid_table(table):
    lines = ["| robot | cameras | σ [px] | poses | runs | seen | rank / params | condition | "
             "rounds (median, max) | s (median) | noise-free max rel. error | RMS error / CRLB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for e in table:
        err = shown(e["max_rel_error"]) if e["sigma"] == 0 else ""
        ratio = f"{e['crlb_ratio']:.2f}" if "crlb_ratio" in e else ""
        lines.append(f"| {e['robot']} | {e['arrangement']} | {e['sigma']:g} | {e['poses']} | "
                     f"{e['runs']} | {100 * e['seen_fraction']:.0f} % | {e['rank']} / {e['dim']} | "
                     f"{e['condition_median']:.0f} | {e['rounds_median']:.0f}, {e['rounds_max']} | "
                     f"{e['seconds_median']:.2f} | {err} | {ratio} |")
    return "\n".join(lines)


def identifiability_table(rows):
    lines = ["| robot | cameras | params | rank | deficit | condition | held by the learner | "
             "null directions (physical units, pivot = 1) |", "|---|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r['robot']} | {r['arrangement']} | {r['dim']} | {r['rank']} | "
                     f"{r['dim'] - r['rank']} | {r['condition']:.0f} | {', '.join(r['held'])} | "
                     + "<br>".join(r["null"]) + " |")
    return "\n".join(lines)


def learners_table(rows):
    lines = ["| robot | cameras | σ [px] | poses | learner | runs | rounds (median) | s (median) | "
             "RMS residual [px], median (range over seeds) | max rel. error, median (range) |",
             "|---|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for e in rows:
        lines.append(f"| {e['robot']} | {e['arrangement']} | {e['sigma']:g} | {e['poses']} | "
                     f"{e['learner']} | {e['runs']} | {e['rounds_median']:.0f} | "
                     f"{e['seconds_median']:.2f} | "
                     f"{spread(e['rms_px_median'], e['rms_px_min'], e['rms_px_max'])} | "
                     f"{spread(e['max_rel_error_median'], e['max_rel_error_min'], e['max_rel_error'])} |")
    return "\n".join(lines)


def occlusion_table(rows):
    lines = ["| robot | cameras | σ [px] | poses | occlusion | runs | seen | rank | RMS error / CRLB |",
             "|---|---|---:|---:|---|---:|---:|---:|---:|"]
    for e in rows:
        occ = f"capsules r = {e['occlusion']:g} m" if e["occlusion"] else "off"
        lines.append(f"| {e['robot']} | {e['arrangement']} | {e['sigma']:g} | {e['poses']} | {occ} | "
                     f"{e['runs']} | {100 * e['seen_fraction']:.0f} % | {e['rank']} / {e['dim']} | "
                     f"{e['crlb_ratio']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a subset, under a minute")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 10; quick 3)")
    parser.add_argument("--json", metavar="PATH", help="write every figure as JSON")
    parser.add_argument("--only", choices=("learners",),
                        help="run only this section (and write only its table)")
    add_markdown_argument(parser, "docs/calibration_spatial.md")
    args = parser.parse_args(argv)
    if args.seeds is not None and not 1 <= args.seeds <= 1000:
        print(f"--seeds: must be an integer in [1, 1000], got {args.seeds}", file=sys.stderr)
        return 2
    quick = args.quick
    seeds = list(range(args.seeds or (3 if quick else 10)))
    sigmas = (0.0, 1.0) if quick else (0.0, 0.5, 1.0, 2.0)
    poses = (20,) if quick else (10, 50, 200)
    robots = sc.ROBOTS
    command = ("python bench/calibration_spatial.py " + " ".join(sys.argv[1:] if argv is None
                                                              else argv)).strip()
    report = {"machine": platform.platform(), "python": platform.python_version(),
              "numpy": np.__version__, "quick": quick, "seeds": len(seeds), "argv": command}
    t0 = time.perf_counter()

    ident, table, occ = [], [], []
    if args.only is None:
        # 1. identifiability ------------------------------------------------------------------
        print("1. identifiability at the truth (seed 0, 50 poses)")
        ident = []
        for robot in robots:
            for arr in ARRANGEMENTS:
                r = sc.run(_setup(robot, arr, poses=50), seed=0)
                r["arrangement"] = arr
                ident.append(r)
                print(f"   {robot:<6} {arr:<5} params {r['dim']}, rank {r['rank']}, condition "
                      f"{r['condition']:.0f}, held {', '.join(r['held'])}")
                for d in r["null"]:
                    print(f"        {d}")
        report["identifiability"] = ident

        # 2. the grid ---------------------------------------------------------------------------------
        print("\n2. lm on the grid (every seed: its own reference, poses, cameras, noise)")
        table, runs = [], []
        for robot in robots:
            for arr in ("mono", "rig"):
                for sigma in sigmas:
                    for n in poses:
                        rows = [sc.run(_setup(robot, arr, poses=n, sigma=sigma), seed=s) for s in seeds]
                        e = {"robot": robot, "arrangement": arr, "sigma": sigma, "poses": n,
                             **summarise(rows)}
                        table.append(e)
                        runs += rows
                        extra = (f"noise-free max rel. error {e['max_rel_error']:.1e}" if sigma == 0
                                 else f"RMS error / CRLB {e['crlb_ratio']:.3f}")
                        print(f"   {robot:<6} {arr:<5} sigma {sigma:<3g} poses {n:<4} rank "
                              f"{e['rank']}/{e['dim']}, rounds {e['rounds_median']:.0f} "
                              f"(max {e['rounds_max']}), {e['seconds_median']:.2f} s, {extra}   "
                              f"({time.perf_counter() - t0:.0f} s)", flush=True)
        report["grid"] = table
        report["grid_runs"] = runs

        # 3. two independent cameras; occlusion ------------------------------------------------------
        print("\n3. two independent cameras, and occlusion on and off (sigma 1 px)")
        n_occ = 20 if quick else 50
        occ = []
        for robot in (robots[:1] if quick else robots):
            for arr, radius in (("mono", None), ("mono", 0.05), ("rig", None), ("rig", 0.05),
                                ("two", None)):
                rows = [sc.run(_setup(robot, arr, poses=n_occ, sigma=1.0, occlusion=radius), seed=s)
                        for s in seeds]
                e = {"robot": robot, "arrangement": arr, "sigma": 1.0, "poses": n_occ,
                     "occlusion": radius, **summarise(rows)}
                occ.append(e)
                print(f"   {robot:<6} {arr:<5} occlusion {str(radius):<5} seen "
                      f"{100 * e['seen_fraction']:.0f} %, rank {e['rank']}/{e['dim']}, "
                      f"RMS error / CRLB {e['crlb_ratio']:.3f}", flush=True)
        report["occlusion"] = occ

    # 4. proportional + GA and adam + GA against lm ---------------------------------------------------
    rounds = 100 if quick else 1000
    print(f"\n4. the original proportional rule and adam, each with the GA (P = 6, period 50, "
          f"{rounds} rounds), against lm, UR5 mono, 20 poses, seeds 0..{len(seeds) - 1}")
    learn, learn_runs = [], []
    for sigma in (0.0, 1.0):
        for learner in ("lm", "proportional", "adam"):
            opts = {"rounds": rounds} if learner != "lm" else {}
            rows = [sc.run(_setup("ur5", "mono", poses=20, sigma=sigma), seed=s, learner=learner,
                           **opts) for s in seeds]
            learn_runs += rows
            e = {"robot": "ur5", "arrangement": "mono", "sigma": sigma, "poses": 20,
                 "learner": learner, **summarise(rows)}
            learn.append(e)
            print(f"   sigma {sigma:g} {learner:<12} rounds {e['rounds_median']:.0f}, "
                  f"{e['seconds_median']:.2f} s, RMS residual "
                  f"{spread(e['rms_px_median'], e['rms_px_min'], e['rms_px_max'])} px, "
                  f"max rel. error {spread(e['max_rel_error_median'], e['max_rel_error_min'], e['max_rel_error'])}"
                  f"   ({time.perf_counter() - t0:.0f} s)", flush=True)
    report["learners"] = learn
    report["learner_runs"] = learn_runs

    noisy = [e for e in table + occ if e["sigma"] > 0]
    if args.only is None:
        report["crlb_ratio_max"] = max(e["crlb_ratio"] for e in noisy)
        report["noise_free_max_rel_error"] = max(e["max_rel_error"] for e in table
                                                 if e["sigma"] == 0)
    report["wall_seconds"] = time.perf_counter() - t0
    if args.only is None:
        print(f"\ncrlb_ratio_max {report['crlb_ratio_max']:.3f}, noise_free_max_rel_error "
              f"{report['noise_free_max_rel_error']:.2e}", end=", ")
    print(f"wall time {report['wall_seconds']:.0f} s")
    if args.json:
        write_json(args.json, report)
    if args.markdown:
        blocks = {"bench/calibration_spatial.py identifiability": identifiability_table(ident),
                  "bench/calibration_spatial.py grid": grid_table(table),
                  "bench/calibration_spatial.py occlusion": occlusion_table(occ),
                  "bench/calibration_spatial.py learners": learners_table(learn)}
        if args.only:
            blocks = {f"bench/calibration_spatial.py {args.only}": blocks[
                f"bench/calibration_spatial.py {args.only}"]}
        write_blocks(args.markdown, blocks, command)
        print(f"wrote the tables into {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
