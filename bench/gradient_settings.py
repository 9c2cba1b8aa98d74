"""Which gradient-driven setting should the default scene use?  Measured on the default arm.

The default scene's arm (7 links, reach 1 m) is driven
frame by frame through :meth:`armsim.ik.tracking.Simulation.step` as the window drives it,
with each setting in turn (method, correction, iterations per frame):

* ``held``: a target dragged to a place and held there, then the next, the arm
  starting each from where the last left it: the issue's two places
  ((-0.4, 0.3) for 200 frames, then (0.3025, -0.5) for 900), two places beyond
  reach ((1.2, 0.9), (1.35, 0)), then ``--random`` seeded places, half reachable
  (r/R in [0.05, 0.98]), half not (r/R in [1.02, 1.5]), each held ``--hold`` frames;
* ``figure8``: the default scene's own figure-eight, two laps (480 frames).

Per held target: ``excess`` = final error - best possible (0 when reachable,
distance - reach when not) [m]; ``settle`` = frames until the excess stays under
1 mm for good (None: never); ``frozen`` = at the end the excess is over 1 mm and
the error fell less than 1e-6 m over the last 60 frames.

Usage::

    python bench/gradient_settings.py [--hold 300] [--random 16] [--json PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from armsim.scene import build_simulation, default_scene, override  # noqa: E402

# (method, correction, iterations per frame)
SETTINGS = (("gradient", "clip", 4), ("gradient", "none", 4), ("gradient", "norm", 4),
            ("gradient", "backtrack", 4), ("gradient", "backtrack", 16), ("dls", "backtrack", 4))
SETTLE = 1e-3      # [m] excess under which a target counts as settled
FROZEN_WINDOW = 60  # [frames]


def held_targets(n_random, hold, seed=1):
    """(target, frames) in the order they are dragged to."""
    rng = np.random.default_rng(seed)
    out = [((-0.4, 0.3), 200), ((0.3025, -0.5), 900), ((1.2, 0.9), hold), ((1.35, 0.0), hold)]
    for i in range(n_random):
        r = rng.uniform(0.05, 0.98) if i % 2 == 0 else rng.uniform(1.02, 1.5)
        a = rng.uniform(-np.pi, np.pi)
        out.append(((float(r * np.cos(a)), float(r * np.sin(a))), hold))
    return out


def simulation(method, correction, iterations):
    scene = override(default_scene(), {"solver.method": method, "solver.correction": correction,
                                       "solver.iterations_per_frame": iterations})
    return build_simulation(scene)


def run_held(method, correction, iterations, targets):
    sim = simulation(method, correction, iterations)
    rows = []
    for target, frames in targets:
        best = max(0.0, float(np.hypot(*target)) - sim.chain.reach)
        err = np.array([sim.step(target=target).error for _ in range(frames)])
        excess = err - best
        above = np.flatnonzero(excess > SETTLE)
        settle = 0 if above.size == 0 else (int(above[-1]) + 1 if above[-1] < frames - 1 else None)
        frozen = bool(excess[-1] > SETTLE and err[-FROZEN_WINDOW - 1] - err[-1] < 1e-6)
        rows.append({"target": list(target), "frames": frames, "reachable": best == 0.0,
                     "best": best, "final_error": float(err[-1]), "excess": float(excess[-1]),
                     "settle": settle, "frozen": frozen})
    return rows


def run_figure8(method, correction, iterations, frames=480):
    sim = simulation(method, correction, iterations)
    err = np.array([sim.step().error for _ in range(frames)])
    return {"frames": frames, "mean_error": float(err.mean()),
            "max_error_lap2": float(err[frames // 2:].max()), "final_error": float(err[-1])}


def summarise(rows):
    def part(sel):
        ex = [r["excess"] for r in sel]
        st = [r["settle"] for r in sel]
        done = [s for s in st if s is not None]
        return {"n": len(sel), "max_excess": max(ex), "median_excess": float(np.median(ex)),
                "settled": len(done), "median_settle": float(np.median(done)) if done else None,
                "frozen": sum(r["frozen"] for r in sel)}
    return {"reachable": part([r for r in rows if r["reachable"]]),
            "unreachable": part([r for r in rows if not r["reachable"]])}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hold", type=int, default=300, help="frames each extra target is held")
    p.add_argument("--random", type=int, default=16, help="random targets after the fixed ones")
    p.add_argument("--json", metavar="PATH", help="write every figure as JSON")
    args = p.parse_args(argv)
    if args.hold < FROZEN_WINDOW + 1:
        p.error(f"--hold must be >= {FROZEN_WINDOW + 1} frames (a freeze is judged over the "
                f"last {FROZEN_WINDOW}), got {args.hold}")
    targets = held_targets(args.random, args.hold)
    results = []
    for method, correction, iterations in SETTINGS:
        t0 = time.perf_counter()
        rows = run_held(method, correction, iterations, targets)
        results.append({"method": method, "correction": correction, "iterations_per_frame": iterations,
                        "held": rows, "summary": summarise(rows),
                        "figure8": run_figure8(method, correction, iterations),
                        "seconds": time.perf_counter() - t0})
    issue = targets[1][0]
    print(f"default arm; {len(targets)} held targets "
          f"({sum(r['reachable'] for r in results[0]['held'])} reachable), settle = excess < {SETTLE} m")
    print()
    print("| setting | ms/frame | issue target (0.3025, -0.5): error [m] | reachable: max excess [m] · settled · "
          "median frames · frozen | unreachable: max excess [m] · settled · median frames · frozen "
          "| figure-eight: mean · max on lap 2 [m] |")
    print("|---|---|---|---|---|---|")
    for r in results:
        s, f8 = r["summary"], r["figure8"]
        name = f"{r['method']}/{r['correction']}" if r["method"] == "gradient" else r["method"]
        name += f", {r['iterations_per_frame']} it/frame"
        at = next(h for h in r["held"] if tuple(h["target"]) == issue)

        def cell(x):
            med = "-" if x["median_settle"] is None else f"{x['median_settle']:.0f}"
            return f"{x['max_excess']:.3g} · {x['settled']}/{x['n']} · {med} · {x['frozen']}"
        frames = sum(h["frames"] for h in r["held"]) + r["figure8"]["frames"]
        print(f"| {name} | {1e3 * r['seconds'] / frames:.2f} | {at['final_error']:.3g} | {cell(s['reachable'])} | {cell(s['unreachable'])} "
              f"| {f8['mean_error']:.4f} · {f8['max_error_lap2']:.4f} |")
    if args.json:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _docs import write_json
        write_json(args.json, {"settle": SETTLE, "targets": targets, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
