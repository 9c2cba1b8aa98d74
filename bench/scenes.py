"""The README's "Scenes" table: every shipped IK scene run for its ``render.frames``.

Each scene in ``scenes/`` without a ``[calibration]`` table is built and stepped
exactly as ``python run_arm.py SCENE --gif OUT --report OUT.json`` steps it
(:func:`armsim.scene.build_simulation`, then ``step()`` ``render.frames`` times;
no picture is drawn, which does not change the figures), and its
:meth:`~armsim.ik.tracking.Simulation.report` is tabulated.  "best" is the least error
any pose can have at the last frame's target (0 inside the workspace, the
distance outside it otherwise).

Usage::

    python bench/scenes.py              # a plain listing
    python bench/scenes.py --markdown   # the README table
    python bench/scenes.py --json PATH
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _docs import write_blocks, write_json  # noqa: E402
from armsim.scene import build_simulation, load  # noqa: E402

DEFAULT = "seven_link_figure8.toml"


def solver_name(sim):
    s = sim.solver
    name = f"{s.method}/{s.correction}" if s.method == "gradient" else s.method
    return f"{name}, {s.max_iter} it/frame"


def run_scene(path):
    scene = load(path)
    sim = build_simulation(scene)
    for _ in range(scene.render.frames):
        sim.step()
    sims = [sim] + list(getattr(sim, "companions", []))
    rep = sim.report()
    if hasattr(sim.state, "tools"):           # a whole robot: its tools side by side
        return tree_row(path, scene, sim, rep)
    spatial = hasattr(sim.state, "frames_p")
    reps = [rep] + rep.get("companions", [])
    return {
        "scene": path.name, "frames": scene.render.frames,
        "links": sim.chain.n, "arms": len(sims), "spatial": spatial,
        "robot": scene.arm.robot if spatial and getattr(scene.arm, "robot", None) else "",
        "limited": (bool(np.isfinite(sim.chain.limits).any()) if spatial
                    else sim.chain.limits is not None),
        "final_orientation_error": (rep.get("final_orientation_error")
                                    if spatial and rep.get("kind") == "pose" else None),
        "target": scene.target.kind,
        "solvers": [solver_name(s) for s in sims],
        "mean_error": [r["mean_error"] for r in reps],
        "final_error": [r["final_error"] for r in reps],
        "best": [float(s.state.best) for s in sims],
        "waypoints_reached": [sum(r["waypoints_reached"]) for r in reps],
        "waypoints": len(rep["waypoints_reached"]),
    }


def tree_row(path, scene, sim, rep):
    """:func:`run_scene`'s row of a whole robot's scene: the tools' targets joined by "+",
    the largest tool error, waypoints summed over the tools."""
    tools = sim.state.tools
    reached = [r for t in rep["tools"].values() for r in t["waypoints_reached"]]
    return {
        "scene": path.name, "frames": scene.render.frames, "links": sim.robot.n, "arms": 1,
        "spatial": True, "robot": f"{scene.arm.robot or sim.robot.name} ({len(tools)} tools)",
        "limited": bool(np.isfinite(sim.robot.limits).any()),
        "final_orientation_error": (rep["final_orientation_error"]
                                    if any(t.kind == "pose" for t in tools) else None),
        "target": " + ".join(t.target.kind for t in scene.tool.items),
        "solvers": [solver_name(sim)], "mean_error": [rep["mean_error"]],
        "final_error": [rep["final_error"]], "best": [max(t.best for t in tools)],
        "waypoints_reached": [sum(reached)], "waypoints": len(reached),
    }


def shipped():
    out = []
    for path in sorted((ROOT / "scenes").glob("*.toml")):
        if load(path).kind == "ik":
            out.append(path)
    return out


def _g(x):
    return f"{x:.4f}" if x >= 1e-3 else ("0" if x == 0 else f"{x:.1e}")


def markdown(rows):
    lines = ["| scene | arm | target | solver | mean error [m] | final error [m] | final orientation error [rad] | best possible [m] | waypoints |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        name = f"`{r['scene']}`" + (" (default)" if r["scene"] == DEFAULT else "")
        joints = f"{r['robot']}, {r['links']} joints" if r["robot"] else f"{r['links']} joints, spatial"
        arm = (joints if r["spatial"] else f"{r['links']} links") + \
            (", limited" if r["limited"] else "") + (", twice" if r["arms"] == 2 else "")
        ori = "-" if r["final_orientation_error"] is None else _g(r["final_orientation_error"])
        vs = " vs ".join
        way = f"{r['waypoints_reached'][0]}/{r['waypoints']}" if r["waypoints"] else "-"
        if r["waypoints"] and r["arms"] > 1:
            way = vs(f"{k}/{r['waypoints']}" for k in r["waypoints_reached"])
        lines.append(f"| {name} | {arm} | {r['target']} | {vs(r['solvers'])} | "
                     f"{vs(_g(x) for x in r['mean_error'])} | {vs(_g(x) for x in r['final_error'])} | {ori} | "
                     f"{_g(r['best'][0]) if r['best'][0] else '0'} | {way} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--markdown", action="store_true",
                   help="print the README table and write it into the README's generated block")
    p.add_argument("--json", metavar="PATH", help="write every figure as JSON")
    args = p.parse_args(argv)
    rows = [run_scene(path) for path in shipped()]
    if args.markdown:
        print(markdown(rows))
        write_blocks(ROOT / "README.md", {"bench/scenes.py scenes": markdown(rows)},
                     "python bench/scenes.py --markdown")
    else:
        for r in rows:
            print(r["scene"], r["solvers"], "mean", r["mean_error"], "final", r["final_error"],
                  "best", r["best"])
    if args.json:
        write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
