"""Time one draw of the spatial view (armsim.view.spatial.draw_spatial).

Draws a shipped robot (and each ``--urdf`` file's chain, its meshes found as the command
line finds them) at a fixed pose (200-point trail, pose target, every layer on, the
robot as its solids: ``body_of(chain)``, framed as the window frames it) onto a plain
``pygame.Surface`` under the dummy SDL driver, still and with the camera turning every frame
(so the cached floor grid misses), and as the skeleton (``show_solids=False``, still) for the
ratio in the same run, and prints the median milliseconds per draw of
``--repeats`` blocks of ``--draws`` draws: wall clock, and in brackets the CPU time of this
process (the figure to trust on a machine others are using).  The window's goal is 60 fps at
1280x800, so a draw must stay well under 16.7 ms (under 10 ms leaves room for the simulation).

The skeleton drawn in the same run is the reference: each row also gives the solids' CPU time
as a multiple of the skeleton's (a ratio, steadier than seconds on a busy machine), and the
number of faces the robot's solids have.  The rows go to ``--json`` too.

    python bench/draw_spatial.py [--draws 200] [--repeats 5] [--urdf PATH ...]
                                 [--sizes 1280x800,480x360] [--json OUT] [--markdown DOC]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from armsim.ik.spatial_tracking import snapshot  # noqa: E402
from armsim.kinematics import robots  # noqa: E402
from armsim.kinematics.urdf import load_urdf  # noqa: E402
from armsim.view.orbit import OrbitCamera, arm_points  # noqa: E402
from armsim.view.solids import body_of  # noqa: E402
from armsim.view.spatial import draw_spatial  # noqa: E402

ROBOTS = ("panda", "ur5", "snake20")
SIZES = ((1280, 800), (480, 360))


def state_of(name):
    """The chain named (a shipped robot or a URDF file's path) and its state at the pose."""
    chain = load_urdf(name) if name.endswith(".urdf") else robots.load(name)
    q = chain.clip(np.random.default_rng(3).uniform(-0.6, 0.6, chain.n))
    trail = np.array([chain.tip_position(chain.clip(q * s)) for s in np.linspace(0, 1, 200)])
    return chain, snapshot(chain, q, chain.matrix(chain.clip(q + 0.3)), trail=trail,
                           method="dls", frame=42)


def time_draws(state, camera, size, draws, repeats, turning, **options):
    surface = pygame.Surface(size)
    for _ in range(5):
        draw_spatial(surface, state, camera, **options)
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(draws):
            if turning:
                camera.orbit(0.5, 0.0)
            draw_spatial(surface, state, camera, **options)
        wall.append((time.perf_counter() - t0) / draws * 1e3)
        cpu.append((time.process_time() - c0) / draws * 1e3)
    return float(np.median(wall)), float(np.median(cpu))


def _size(text):
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a size is WIDTHxHEIGHT, not {text!r}") from None
    return w, h


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--urdf", action="append", default=[], metavar="PATH",
                   help="also a URDF file's chain (its default tip), drawn with its visuals")
    p.add_argument("--robots", default=",".join(ROBOTS),
                   help="shipped robots, comma-separated ('' for none)")
    p.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES),
                   type=lambda t: [_size(x) for x in t.split(",")])
    p.add_argument("--json", metavar="OUT", help="write the rows as JSON")
    p.add_argument("--markdown", metavar="DOC",
                   help="write the table into DOC's block 'bench/draw_spatial.py draw'")
    args = p.parse_args(argv)
    pygame.init()
    rows = ["| robot | joints | faces | size | solids, still [ms/draw] | solids, camera "
            "turning [ms/draw] | skeleton, still [ms/draw] | solids / skeleton (CPU) |",
            "|---|---:|---:|---|---:|---:|---:|---:|"]
    results = []
    # wall-clock ms (CPU ms of this process in brackets: less sensitive to a busy machine)
    names = [n for n in args.robots.split(",") if n] + list(args.urdf)
    for name in names:
        chain, state = state_of(name)
        body = body_of(chain)
        faces = sum(len(f) for _, f, _ in body.parts(state, chain.reach))
        label = Path(name).stem if name.endswith(".urdf") else name
        for size in args.sizes:
            # as the window frames a robot: its joints span 70 % of the shorter side
            cams = [OrbitCamera.framing(chain.reach, points=arm_points(state)) for _ in range(3)]
            still = time_draws(state, cams[0], size, args.draws, args.repeats, False, body=body)
            turning = time_draws(state, cams[1], size, args.draws, args.repeats, True,
                                 body=body)
            skeleton = time_draws(state, cams[2], size, args.draws, args.repeats, False,
                                  show_solids=False)
            ratio = still[1] / skeleton[1] if skeleton[1] > 0 else float("nan")
            results.append({"robot": label, "joints": chain.n, "faces": faces,
                            "size": list(size), "solids_still_ms": still[0],
                            "solids_still_cpu_ms": still[1], "solids_turning_ms": turning[0],
                            "solids_turning_cpu_ms": turning[1], "skeleton_ms": skeleton[0],
                            "skeleton_cpu_ms": skeleton[1], "solids_over_skeleton": ratio})
            rows.append(f"| {label} | {chain.n} | {faces} | {size[0]}x{size[1]} | "
                        f"{still[0]:.2f} ({still[1]:.2f}) | {turning[0]:.2f} ({turning[1]:.2f})"
                        f" | {skeleton[0]:.2f} ({skeleton[1]:.2f}) | {ratio:.1f} |")
            print(rows[-1], file=sys.stderr, flush=True)
    table = "\n".join(rows)
    print(table)
    if args.json:
        from _docs import write_json
        write_json(args.json, {"draws": args.draws, "repeats": args.repeats, "rows": results})
    if args.markdown:
        from _docs import write_blocks
        command = "python bench/draw_spatial.py --markdown " + args.markdown
        write_blocks(args.markdown, {"bench/draw_spatial.py draw": table}, command)


if __name__ == "__main__":
    main()
