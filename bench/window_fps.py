"""Frames per second of the real window loop (events, solver steps, drawing, flip), uncapped.

    Xvfb :77 -screen 0 1920x1080x24 & DISPLAY=:77 SDL_VIDEODRIVER=x11 \\
        python bench/window_fps.py --size 1280x800 --frames 600 [--plot] [--segments N] [SCENE | --robot NAME]

Prints one line: scene, size, frames, seconds, frames/s, and the app's own milliseconds per
frame (its step: the solver; its render: the drawing) without the flip to the screen.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))     # this tree's armsim

from armsim.commands.options import parse_size, positive_int  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("scene", nargs="?")
    p.add_argument("--size", type=parse_size, default=(1280, 800))
    p.add_argument("--frames", type=positive_int, default=600)
    p.add_argument("--plot", action="store_true", help="with the live plot on")
    p.add_argument("--segments", type=positive_int, help="planar: give the arm N segments")
    p.add_argument("--robot", help="a shipped spatial robot (as run_arm.py --robot NAME)")
    args = p.parse_args(argv)
    from armsim.scene import build_simulation, default_scene, load
    from armsim.view import window as W
    from armsim.cli import draw_options, robot_scene, scene_camera
    from armsim.scene import loads
    if args.robot:
        scene = loads(robot_scene(args.robot), source=f"<--robot {args.robot}>")
    else:
        scene = load(args.scene) if args.scene else default_scene()
    sim = build_simulation(scene)
    if args.segments:
        sim.set_segments(args.segments)
    screen = W.open_window(args.size, allow_headless=True)
    App = W.App
    if hasattr(sim.state, "tools"):              # a whole robot: its own window (TreeApp)
        from armsim.view.window_tree import TreeApp as App
    app = App(sim, screen, fps=0, draw_options=draw_options(scene),      # fps 0: no cap
              camera=scene_camera(scene, sim))
    spent = {"step": 0.0, "render": 0.0}

    def timed(name, f):
        def run():
            t = time.perf_counter()
            f()
            spent[name] += time.perf_counter() - t
        return run
    app.step, app.render = timed("step", app.step), timed("render", app.render)
    app.show_plot = args.plot
    app.run(max_frames=10, close=False)                                 # warm up
    spent.update(step=0.0, render=0.0)
    start = time.perf_counter()
    app.run(max_frames=10 + args.frames)
    seconds = time.perf_counter() - start
    name = f"--robot {args.robot}" if args.robot else (args.scene or "default scene")
    print(f"{name}  {args.size[0]}x{args.size[1]}  driver "
          f"{W.last_driver}  joints {sim.chain.n if hasattr(sim, 'chain') else getattr(getattr(sim, 'robot', None), 'n', '-')}  plot "
          f"{'on' if args.plot else 'off'}  {args.frames} frames  {seconds:.2f} s  "
          f"{args.frames / seconds:.1f} frames/s  app step {1000 * spent['step'] / args.frames:.2f} ms"
          f" + render {1000 * spent['render'] / args.frames:.2f} ms per frame")


if __name__ == "__main__":
    main()
