"""Frames per second of the real window loop (events, solver steps, drawing, flip), uncapped.

    Xvfb :77 -screen 0 1920x1080x24 & DISPLAY=:77 SDL_VIDEODRIVER=x11 \\
        python bench/window_fps.py --size 1280x800 --frames 600 [--plot] [--segments N] [SCENE]

Prints one line: scene, size, frames, seconds, frames/s.
"""

import argparse
import time

from armsim.commands.options import parse_size, positive_int


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("scene", nargs="?")
    p.add_argument("--size", type=parse_size, default=(1280, 800))
    p.add_argument("--frames", type=positive_int, default=600)
    p.add_argument("--plot", action="store_true", help="with the live plot on")
    p.add_argument("--segments", type=positive_int, help="planar: give the arm N segments")
    args = p.parse_args(argv)
    from armsim.scene import build_simulation, default_scene, load
    from armsim.view import window as W
    from armsim.cli import draw_options
    scene = load(args.scene) if args.scene else default_scene()
    sim = build_simulation(scene)
    if args.segments:
        sim.set_segments(args.segments)
    screen = W.open_window(args.size, allow_headless=True)
    app = W.App(sim, screen, fps=0, draw_options=draw_options(scene))   # fps 0: no cap
    app.show_plot = args.plot
    app.run(max_frames=10, close=False)                                 # warm up
    start = time.perf_counter()
    app.run(max_frames=10 + args.frames)
    seconds = time.perf_counter() - start
    print(f"{args.scene or 'default scene'}  {args.size[0]}x{args.size[1]}  driver "
          f"{W.last_driver}  segments {sim.chain.n if hasattr(sim, 'chain') else '-'}  plot "
          f"{'on' if args.plot else 'off'}  {args.frames} frames  {seconds:.2f} s  "
          f"{args.frames / seconds:.1f} frames/s")


if __name__ == "__main__":
    main()
