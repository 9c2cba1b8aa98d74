"""Scale independence of the solvers: one scene at scale 1 and scaled down.

Every value in metres of the scene (lengths, points, radii, tolerances, ...)
is multiplied by the scale; each method (and each correction of
``gradient``) then runs the scene's frames, and the mean tip-to-target
distance is printed as a percentage of the arm's reach::

    python bench/units.py [SCENE] [--scale 0.001] [--frames 240]

A setting without units gives the same percentage at every scale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _docs import write_blocks  # noqa: E402

from armsim import scene as sc  # noqa: E402
from armsim.ik import CORRECTIONS, METHODS  # noqa: E402


def _scaled(value, spec, factor):
    if isinstance(spec, sc.Point):
        return tuple(v * factor for v in value)
    if isinstance(spec, sc.Number):
        return value * factor if spec.unit == "m" else value
    if isinstance(spec, sc.NumberOrList):
        return _scaled(value, spec.list if isinstance(value, tuple) else spec.number, factor)
    if isinstance(spec, sc.ListOf):
        return tuple(_scaled(v, spec.item, factor) for v in value)
    if isinstance(spec, sc.Table):
        return scaled_section(value, factor)
    return value


def scaled_section(section, factor):
    """A copy of ``section`` with every value in metres multiplied by ``factor``."""
    import dataclasses
    values = {}
    for name, f in type(section).specs().items():
        v = getattr(section, name)
        if v is not None:
            values[name] = _scaled(v, f.metadata["spec"], factor)
    return dataclasses.replace(section, **values)


def scaled_scene(scene, factor):
    """``scene`` with every length and position in metres multiplied by ``factor``."""
    sections = {name: (None if s is None else scaled_section(s, factor))
                for name, s in scene.sections.items()}
    return sc.Scene(sections=sections, seed=scene.seed, source=scene.source)


def mean_error_percent(scene, frames):
    """Mean distance tip-target over ``frames`` frames, in % of the reach."""
    sim = sc.build_simulation(scene)
    errors = []
    for _ in range(frames):
        st = sim.step()
        errors.append(float(st.error))
    return 100.0 * float(np.mean(errors)) / sim.chain.reach


def settings():
    """(method, correction) pairs: every method, and every correction of gradient."""
    return [("gradient", c) for c in CORRECTIONS] + [(m, "clip") for m in METHODS if m != "gradient"]


def table(scene, scale, frames):
    rows = []
    for method, correction in settings():
        s = sc.override(scene, {"solver.method": method, "solver.correction": correction})
        rows.append((method, correction, mean_error_percent(s, frames),
                     mean_error_percent(scaled_scene(s, scale), frames)))
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scene", nargs="?")
    p.add_argument("--scale", type=float, default=0.001)
    p.add_argument("--frames", type=int, default=240)
    p.add_argument("--markdown", action="store_true",
                   help="write the table into docs/scenes.md's generated block")
    a = p.parse_args(argv)
    scene = sc.load(a.scene) if a.scene else sc.default_scene()
    lines = [f"Scene {scene.source}, {a.frames} frames; mean error, % of the reach:", "",
             f"| method | correction | scale 1 | scale {a.scale:g} |", "|---|---|---|---|"]
    for method, correction, one, small in table(scene, a.scale, a.frames):
        corr = correction if method == "gradient" else "-"
        lines.append(f"| {method} | {corr} | {one:.3f} | {small:.3f} |")
    print("\n".join(lines))
    if a.markdown:
        write_blocks(ROOT / "docs" / "scenes.md", {"bench/units.py units": "\n".join(lines)},
                     "python bench/units.py --markdown")


if __name__ == "__main__":
    main()
