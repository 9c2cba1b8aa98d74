"""Issue 14: [[objective]] and [[obstacle]] scene tables, validated as the rest, handed to
the planar and spatial simulations' solvers every frame."""

import numpy as np
import pytest

import armsim
from armsim.scene import SceneError, build_simulation, dumps, load, loads

PLANAR = """
[arm]
lengths = [0.22, 0.19, 0.16, 0.13, 0.12, 0.1, 0.08]
[target]
kind = "fixed"
point = [0.5, 0.3]
[solver]
method = "dls"
"""
SPATIAL = """
[arm]
robot = "panda"
[target]
kind = "fixed"
point = [0.4, 0.0, 0.4]
"""


@pytest.mark.parametrize("base, extra, message", [
    (PLANAR, '[[obstacle]]\nkind = "circle"\ncenter = [0.3, 0.2]\nradius = -1\n',
     "x.toml: obstacle[0].radius: must be >= 0, got -1.0"),
    (PLANAR, '[[obstacle]]\nkind = "circle"\ncenter = [0.3, 0.2]\nradius = 0.1\n'
             '[[obstacle]]\nkind = "boxx"\n',
     "x.toml: obstacle[1].kind: unknown obstacle kind 'boxx'; choose one of circle, sphere, "
     "box, capsule (did you mean 'box'?)"),
    (PLANAR, '[[obstacle]]\nkind = "sphere"\ncenter = [0.3, 0.2]\nradius = 0.1\n',
     "x.toml: obstacle[0].kind: a planar arm takes 'circle', not 'sphere'"),
    (SPATIAL, '[[obstacle]]\nkind = "box"\ncenter = [0.3, 0.2]\nsize = [0.1, 0.1]\n',
     "x.toml: obstacle[0].center: a spatial arm takes 3 numbers, got 2"),
    (PLANAR, '[[obstacle]]\nkind = "capsule"\na = [0.3, 0.2]\nradius = 0.1\n',
     "x.toml: obstacle[0].b: missing; expected [x, y] or [x, y, z] (2 numbers for a planar "
     "arm, 3 for a spatial one) [m]"),
    (PLANAR, '[[objective]]\nkind = "posture"\nrest = [0, 0]\n',
     "x.toml: objective[0].rest: must have one angle per joint (7), got 2"),
    (PLANAR, '[[objective]]\nkind = "point"\npoint = 9\ntarget = [0.1, 0.1]\n',
     "x.toml: objective[0].point: must be <= 7 (the tip), got 9.0"),
    (PLANAR, '[[objective]]\nkind = "self_collision"\nradius = 0.1\n',
     "x.toml: objective[0].radius: unknown key; did you mean 'link_radius'?"),
    (PLANAR, 'objective = 3\n',
     "x.toml: objective: expected an array of tables ([[objective]] ...), got 3"),
    (PLANAR.replace('"dls"', '"ccd"'), '[[objective]]\nkind = "smoothness"\n',
     "x.toml: solver.method: 'ccd' takes no [[objective]]; use one of dls, gradient, pinv"),
    # the second arm serves the items too: "armsim: error: method 'ccd' cannot take
    # objectives ...", no file nor key, when the simulation was built
    (PLANAR, '[compare]\nmethod = "ccd"\n[[objective]]\nkind = "posture"\n',
     "x.toml: compare.method: 'ccd' takes no [[objective]] (the second arm serves them too); "
     "use one of dls, gradient, pinv"),
    (PLANAR, '[compare]\nmethod = "fabrik"\n[[obstacle]]\nkind = "circle"\n'
             'center = [0.3, 0.2]\nradius = 0.1\n',
     "x.toml: compare.method: 'fabrik' takes no [[obstacle]] (the second arm serves them "
     "too); use one of dls, gradient, pinv"),
])
def test_bad_objective_and_obstacle_tables_give_one_line(base, extra, message):
    with pytest.raises(SceneError) as err:
        loads(extra + base if extra.startswith("objective =") else base + extra, "x.toml")
    assert str(err.value) == message


@pytest.mark.parametrize("extra, message", [
    ('kind = "circle"\ncenter = [0, 0]\nradius = 0.1\n', "Obstacle: the robot's point (0, 0)"),
    ('kind = "box"\ncenter = [0.02, 0]\nsize = [0.1, 0.1]\n', "Box: the robot's point (0, 0)"),
    ('kind = "capsule"\na = [-0.1, 0]\nb = [0.1, 0]\nradius = 0.05\n',
     "Capsule: the robot's point (0, 0)"),
])
def test_an_obstacle_that_holds_the_base_is_refused(extra, message):
    # no pose takes the base out of it: it was accepted, and the arm ran through it
    scene = loads(PLANAR + "[[obstacle]]\n" + extra, "x.toml")
    with pytest.raises(SceneError) as err:
        build_simulation(scene)
    assert str(err.value) == (f"x.toml: obstacle[0]: {message}, which no joint moves (its "
                              f"base), is inside it: no pose can clear it")
    chain = armsim.Chain([0.4, 0.3, 0.2])
    with pytest.raises(ValueError, match=r"^Obstacle: the robot's point \(0, 0\)"):
        armsim.solve(chain, [0.5, 0.3], objectives=[armsim.Obstacle([0.0, 0.0], 0.1)])
    # a table under the base (its top through the base) is no obstacle to a pose
    table = armsim.Box([0.0, -0.05], [1.0, 0.1])
    assert armsim.solve(chain, [0.5, 0.3], objectives=[table]).success


def test_shipped_obstacle_scenes_round_trip_and_keep_clear():
    for name, frames in (("scenes/obstacle_reach.toml", 240), ("scenes/panda_obstacle.toml", 120)):
        scene = load(name)
        assert loads(dumps(scene), name) == scene
        sim = build_simulation(scene)
        obstacles = [o for o in sim.objectives if hasattr(o, "clearance_of")]
        assert len(obstacles) == (2 if "reach" in name else 1)
        worst, err = np.inf, 0.0
        for _ in range(frames):
            st = sim.step()
            worst, err = min(worst, st.clearance), max(err, st.error)
        assert worst > 0.019 and err < 1e-3, (name, worst, err)


def test_without_the_obstacles_the_planar_scene_collides():
    text = open("scenes/obstacle_reach.toml").read().split("[[obstacle]]")[0]
    sim = build_simulation(loads(text + '[[objective]]\nkind = "smoothness"\n', "x.toml"))
    with_obs = build_simulation(load("scenes/obstacle_reach.toml"))
    obstacles = with_obs.objectives[1:]
    worst = min(min(o.clearance_of(sim.chain, sim.step().q[None])[0] for o in obstacles)
                for _ in range(240))
    assert worst < 0


def test_simulation_smoothness_gets_the_previous_angles_and_objectives_reach_the_solver():
    sim = build_simulation(loads(PLANAR + '[[objective]]\nkind = "smoothness"\n'
                                 '[[obstacle]]\nkind = "box"\ncenter = [0.3, 0.2]\n'
                                 'size = [0.1, 0.1]\n', "x.toml"))
    smooth, box = sim.objectives
    assert isinstance(box, armsim.Box) and sim.solver.problem.objectives == [smooth, box]
    before = sim.q.copy()
    sim.step()
    assert np.array_equal(smooth.q_rest, before)


def test_planar_drawing_shows_obstacles_margins_and_the_clearance():
    import pygame
    from armsim.view.planar import View, _draw_one, _panel_lines
    from armsim.view.style import Theme
    sim = build_simulation(loads(PLANAR + '[[obstacle]]\nkind = "box"\ncenter = [0.3, -0.3]\n'
                                 'size = [0.2, 0.1]\nclearance = 0.05\n'
                                 '[[obstacle]]\nkind = "capsule"\na = [-0.4, 0.2]\n'
                                 'b = [-0.2, 0.4]\nradius = 0.05\n', "x.toml"))
    st = sim.step()
    assert [o["kind"] for o in st.obstacles] == ["box", "capsule"]
    assert f"clearance  {st.clearance:.4g} m" in _panel_lines(st) and st.clearance > 0.019
    surface = pygame.Surface((400, 400))
    theme = Theme()
    view = View((400, 400), np.zeros(2), 200.0)
    _draw_one(surface, st, theme=theme, show_jacobian=False, show_trail=False, show_panel=False,
              show_reach=False, show_waypoints=False, view=view)
    px = lambda xy: tuple(int(round(v)) for v in view.to_screen(xy))
    assert surface.get_at(px([0.3, -0.3]))[:3] == theme.separator            # the box
    assert surface.get_at(px([-0.3, 0.3]))[:3] == theme.separator            # the capsule
    # the faint margin outline: 0.05 m (10 px) left of the box's left edge, at mid height
    y = px([0.3, -0.3])[1]
    x0 = px([0.15, 0])[0]
    assert theme.reach in [surface.get_at((x, y))[:3] for x in range(x0 - 2, x0 + 3)]


@pytest.mark.parametrize("arm", ['lengths = [1.0, 1.0]\nlimits = [[0, 0], [0, 0]]\n',
                                 'dh = [[0.1, 0.0, 0.3, 0.0], [0.0, 0.0, 0.3, 0.0]]\n'
                                 'limits = [[0, 0], [0, 0]]\n'])
def test_an_arm_with_every_joint_locked_runs_beside_an_obstacle(tmp_path, arm):
    """A scene of an arm whose joints are all locked and an obstacle was refused with
    numpy's "zero-size array to reduction operation minimum" (no link counts for the
    obstacle): it now runs, the arm standing still, the report finite."""
    from armsim.cli import main
    spatial = arm.startswith("dh")
    ob = ('kind = "sphere"\ncenter = [5, 5, 5]' if spatial else
          'kind = "circle"\ncenter = [5, 5]')
    scene = tmp_path / "locked.toml"
    scene.write_text(f'[arm]\n{arm}[target]\nkind = "fixed"\n'
                     f'point = {"[0.3, 0.3, 0.3]" if spatial else "[1, 1]"}\n'
                     f'[[obstacle]]\n{ob}\nradius = 0.1\n')
    gif, report = tmp_path / "o.gif", tmp_path / "r.json"
    assert main([str(scene), "--gif", str(gif), "--frames", "3", "--size", "160x120",
                 "--report", str(report)]) == 0
    import json
    text = report.read_text()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text)["frames"] == 3 and gif.stat().st_size > 0


def test_a_point_objective_no_joint_moves_is_named_by_its_item(tmp_path):
    # "armsim: error: PointTarget: point 0 is not moved by any joint": no file, no key
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    scene = tmp_path / "p.toml"
    scene.write_text('[arm]\nlengths = [0.35, 0.3]\n[target]\nkind = "fixed"\n'
                     'point = [0.1, 0.1]\n[[objective]]\nkind = "point"\npoint = 0\n'
                     'target = [0.1, 0.1]\n')
    r = subprocess.run([sys.executable, str(root / "run_arm.py"), str(scene), "--gif",
                        str(tmp_path / "p.gif"), "--frames", "2", "--size", "16x16"],
                       capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "SDL_VIDEODRIVER": "dummy",
                            "PYTHONPATH": str(root)})
    assert r.returncode == 2 and r.stderr == (
        f"{scene}: objective[0].point: point 0 is not moved by any joint\n")
    assert not (tmp_path / "p.gif").exists()
