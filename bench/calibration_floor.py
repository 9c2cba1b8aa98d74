"""Benchmark of a 3D calibration scene's noise floor: identified, or as close as the noise allows.

Runs the setup of ``scenes/calibrate-ur5-stereo.toml`` (UR5, a stereo rig, ``lm``, its
``[genetic]`` candidates) through
:class:`~armsim.vision.spatial_simulation.SpatialCalibrationSimulation`, as the scene's
window and GIF do, for every row of the table: seeds 7 (the scene's) and
0..3, at 40 poses (the scene's) and 160 with 0.5 px of noise, and at 40 poses noise-free.
Each run goes the scene's ``max_rounds`` (200) rounds and gives the report's fields
(``at_noise_floor``, ``noise_floor_round``, ``identified_round``, ``bound_sigmas``,
``bound_rel_sd``, ``best_max_rel_error``, ``best_rms_px``) and, from the run itself:
the parameter of the largest relative error and that error; how much the largest relative
error moves from the round at the floor to the last round; the parameter of the bound's
largest relative standard deviation and that deviation; ``sum (error / sd)^2`` over the
free parameters; and the largest relative difference between the best candidate and the
least-squares minimum solved from the truth on the same pixels (``solve_lm``, 500 rounds).

A figure below :data:`SHOWN_FLOOR` (a residual in px, a relative error) is written
"< 1e-10" in the tables: there it is rounding, and its digits change with the BLAS kernel.

Usage::

    PYTHONPATH=. python bench/calibration_floor.py [--quick] [--json PATH] [--markdown [DOC]]
    PYTHONPATH=. python bench/calibration_floor.py --from-json PATH [--markdown [DOC]]

``--quick`` runs seed 7 at 40 poses, noisy and noise-free, for 20 rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from _docs import (add_from_json_argument, add_markdown_argument, republish,  # noqa: E402
                   write_blocks, write_json)

from armsim.scene import build_simulation, from_table, load  # noqa: E402
from armsim.vision.spatial_calibration import FLOOR, relative_errors, solve_lm  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENE = "scenes/calibrate-ur5-stereo.toml"
DOC = "docs/calibration_spatial.md"
#: below this a residual [px] or relative error is rounding: the tables print "< 1e-10"
SHOWN_FLOOR = 1e-10
#: (seed, poses, sigma [px]) of every run, in the table's order
FULL = ([(s, 40, 0.5) for s in (7, 0, 1, 2, 3)] + [(s, 160, 0.5) for s in (7, 0, 1, 2, 3)]
        + [(s, 40, 0.0) for s in (7, 0, 1, 2, 3)])
#: the scene's own (seed, poses, sigma)
SCENE_RUN = (7, 40, 0.5)
QUICK = [SCENE_RUN, (7, 40, 0.0)]
QUICK_ROUNDS = 20
#: rounds of the least-squares solve from the truth
LS_ROUNDS = 500
BLOCKS = ("bench/calibration_floor.py scene", "bench/calibration_floor.py runs")


def simulation(seed, poses, sigma, rounds=None):
    """The scene's simulation with its seed, poses, every camera's sigma (and the rounds)
    replaced."""
    table = load(ROOT / SCENE).to_table()
    table["seed"] = seed
    table["calibration"]["poses"] = poses
    if rounds is not None:
        table["calibration"]["max_rounds"] = rounds
    for cam in table["camera"]:
        cam["sigma"] = sigma
    return build_simulation(from_table(table, SCENE))


def _unit(model, i, x):
    """A parameter's value in mrad (angles) or mm (lengths)."""
    return f"{1e3 * x:.1f} {'mrad' if model.angular[i] else 'mm'}"


def measure(seed, poses, sigma, rounds=None):
    """One run of the scene's setup to its last round; a dict of its figures."""
    t0 = time.perf_counter()
    sim = simulation(seed, poses, sigma, rounds)
    run, model = sim.run, sim.problem.model
    free = np.flatnonzero(run.free)
    best_rel = []
    while run.round < sim.max_rounds:
        sim.step()
        best = int(np.argmin(run.current))
        best_rel.append(float(relative_errors(run.theta(best), run.reference, run.free).max()))
    rep = sim.report()
    best = int(np.argmin(run.current))
    theta = run.theta(best)
    err = theta[free] - run.reference[free]
    rel = relative_errors(theta, run.reference, run.free)
    worst = int(np.argmax(rel))
    out = {"seed": seed, "poses": poses, "sigma": sigma, "free": int(len(free)),
           **{k: rep[k] for k in ("rounds", "candidates", "identified", "identified_round",
                                  "at_noise_floor", "noise_floor_round", "converged_round",
                                  "bound_sigmas", "bound_rel_sd", "best_rms_px",
                                  "best_max_rel_error")},
           "worst_parameter": model.names[free[worst]],
           "worst_error": _unit(model, free[worst], abs(err[worst])),
           "z2": None, "bound_rel_sd_parameter": None, "bound_sd": None,
           "poses_for_tolerance": None,
           "rel_error_at_floor": None, "rel_error_moves": None}
    sd = sim.bound_sd
    if sd is not None:
        rel_sd = sd / np.maximum(np.abs(run.reference[free]), FLOOR)
        i = int(np.argmax(rel_sd))
        out.update(z2=float(np.sum((err / sd) ** 2)),
                   bound_rel_sd_parameter=model.names[free[i]],
                   bound_sd=_unit(model, free[i], sd[i]),
                   poses_for_tolerance=float((rep["bound_rel_sd"] / rep["tolerance"]) ** 2))
    if rep["noise_floor_round"] is not None:
        after = best_rel[rep["noise_floor_round"] - 1:]
        out.update(rel_error_at_floor=after[0], rel_error_moves=max(after) - min(after))
    ls = solve_lm(model, sim.problem, run.reference, run.free, max_rounds=LS_ROUNDS).theta
    out["ls_rel_difference"] = float(relative_errors(theta, ls, run.free).max())
    out["seconds"] = time.perf_counter() - t0
    return out


def shown(x, digits=2):
    """A residual or relative error as the tables print it: rounding shows as "< 1e-10"."""
    return f"< {SHOWN_FLOOR:.0e}" if x < SHOWN_FLOOR else f"{x:.{digits}g}"


def runs_table(runs):
    lines = ["| seed | poses | σ [px] | round at the floor | RMS [px] | largest relative error "
             "| bound's largest relative σ | largest \\|error\\| / σ | Σ (error/σ)² "
             "| best vs least squares from the truth |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        if r["sigma"] > 0:
            cells = [str(r["noise_floor_round"]) if r["at_noise_floor"]
                     else f"none in {r['rounds']} rounds",
                     f"{r['best_rms_px']:.3f}", f"{r['best_max_rel_error']:.2f}",
                     f"{r['bound_rel_sd']:.2f}", f"{r['bound_sigmas']:.2f}",
                     f"{r['z2']:.1f} ({r['free']} parameters)"]
        else:
            cells = [f"none (identified in {r['identified_round']} rounds)" if r["identified"]
                     else f"none (not identified in {r['rounds']} rounds)",
                     shown(r["best_rms_px"]), shown(r["best_max_rel_error"]), "", "", ""]
        cells = [str(r["seed"]), str(r["poses"]), f"{r['sigma']:g}", *cells,
                 shown(r["ls_rel_difference"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _two_figures(x):
    """``x`` rounded to two significant figures (3478 -> 3500)."""
    return float(f"{x:.2g}")


def scene_lines(report):
    """The scene's own run (its seed, poses and noise) in words."""
    r = next(r for r in report["runs"] if (r["seed"], r["poses"], r["sigma"]) == SCENE_RUN)
    if not r["at_noise_floor"]:
        return (f"- `{SCENE}` (seed 7, 40 poses, 0.5 px): not at the noise floor in "
                f"{r['rounds']} rounds.")
    noisy = [x for x in report["runs"] if x["sigma"] > 0]
    return "\n".join([
        f"- `{SCENE}` (seed 7, 40 poses, 0.5 px, `lm`, {r['candidates']} candidates, "
        f"{r['rounds']} rounds): at the noise floor from round {r['noise_floor_round']}, "
        f"{r['best_rms_px']:.3f} px RMS, every free parameter within "
        f"{r['bound_sigmas']:.2f} standard deviations of the bound.",
        f"- Its largest relative error: {r['best_max_rel_error']:.2f} ({r['worst_parameter']}, "
        f"{r['worst_error']} off); from the round at the floor to round {r['rounds']} it "
        f"moves by {shown(r['rel_error_moves'])}.",
        f"- The bound's largest relative standard deviation: {r['bound_rel_sd']:.2f} "
        f"({r['bound_rel_sd_parameter']}, {r['bound_sd']}); within the 1 % tolerance it "
        f"would take about {_two_figures(r['poses_for_tolerance']):,.0f} times the "
        f"poses (the bound falls as 1/√poses).",
        f"- Noisy runs at the noise floor: {sum(x['at_noise_floor'] for x in noisy)} of "
        f"{len(noisy)}; their best candidate against the least-squares minimum from the "
        f"truth: at most {shown(max(x['ls_rel_difference'] for x in noisy))} relative."])


def _saved(path):
    """The report saved by ``--json`` at ``path``; ValueError saying what is wrong with it."""
    try:
        report = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ValueError(f"cannot read it ({exc.strerror})") from None
    except ValueError:
        raise ValueError("not JSON") from None
    runs = report.get("runs") if isinstance(report, dict) else None
    if not (isinstance(runs, list) and all(isinstance(r, dict) for r in runs)
            and any((r.get("seed"), r.get("poses"), r.get("sigma")) == SCENE_RUN
                    for r in runs)):
        raise ValueError("not a run of bench/calibration_floor.py (no run of the scene's "
                         "seed 7 at 40 poses and 0.5 px)")
    return report


def _blocks(report):
    return {BLOCKS[0]: scene_lines(report), BLOCKS[1]: runs_table(report["runs"])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"seed 7 at 40 poses, noisy and noise-free, {QUICK_ROUNDS} rounds")
    parser.add_argument("--json", metavar="PATH", help="write every figure as JSON")
    add_markdown_argument(parser, DOC)
    add_from_json_argument(parser)
    args = parser.parse_args(argv)
    if args.from_json:
        if args.quick or args.json:
            print("--from-json: takes no --quick or --json (it runs nothing)", file=sys.stderr)
            return 2
        try:
            blocks = _blocks(_saved(args.from_json))
        except ValueError as exc:
            print(f"--from-json: {args.from_json}: {exc}", file=sys.stderr)
            return 2
        republish(args, "calibration_floor.py", blocks.values(),
                  {args.markdown: blocks} if args.markdown else {})
        return 0
    command = ("python bench/calibration_floor.py " + " ".join(sys.argv[1:] if argv is None
                                                             else argv)).strip()
    rows, rounds = (QUICK, QUICK_ROUNDS) if args.quick else (FULL, None)
    report = {"machine": platform.platform(), "python": platform.python_version(),
              "numpy": np.__version__, "quick": args.quick, "argv": command, "scene": SCENE,
              "ls_rounds": LS_ROUNDS, "runs": []}
    t0 = time.perf_counter()
    for seed, poses, sigma in rows:
        r = measure(seed, poses, sigma, rounds)
        report["runs"].append(r)
        print(f"   seed {seed} poses {poses:<3} sigma {sigma:<3g} floor round "
              f"{r['noise_floor_round']}, identified round {r['identified_round']}, RMS "
              f"{r['best_rms_px']:.3g} px, max rel. error {r['best_max_rel_error']:.3g}, "
              f"vs least squares {r['ls_rel_difference']:.1e}, {r['seconds']:.0f} s "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    noisy = [r for r in report["runs"] if r["sigma"] > 0]
    clean = [r for r in report["runs"] if r["sigma"] == 0]
    report["noisy_at_noise_floor"] = sum(r["at_noise_floor"] for r in noisy)
    report["noisy_ls_rel_difference_max"] = max(r["ls_rel_difference"] for r in noisy)
    report["noise_free_identified"] = sum(r["identified"] for r in clean)
    report["noise_free_max_rel_error"] = max(r["best_max_rel_error"] for r in clean)
    report["wall_seconds"] = time.perf_counter() - t0
    blocks = _blocks(report)
    for text in blocks.values():
        print(text)
    print(f"wall time {report['wall_seconds']:.0f} s")
    if args.json:
        write_json(args.json, report)
    if args.markdown:
        write_blocks(args.markdown, blocks, command)
        print(f"wrote the tables into {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
