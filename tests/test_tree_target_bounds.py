"""A whole robot's target that is NaN or too far, said as a chain's is and naming the bound
enforced where it is given: the solver's (+-1e50) in ``armsim.solve``, the picture's and the
scene's (+-1e6 m) in ``armsim.render`` and in a scene file on the command line."""

from pathlib import Path

import numpy as np
import pytest

import armsim
from armsim.cli import main

ROBOTS = Path(__file__).resolve().parents[1] / "assets" / "robots"


@pytest.fixture(scope="module")
def arms():
    return (armsim.load_urdf(ROBOTS / "panda.urdf"),
            armsim.load_urdf(ROBOTS / "dual_arm.urdf", tips=["left_tool", "right_tool"]))


def _error(call):
    with pytest.raises(ValueError) as err:
        call()
    assert "\n" not in str(err.value)
    return str(err.value)


@pytest.mark.parametrize("bad", [np.nan, 1e60], ids=["nan", "1e60"])
def test_solve_says_a_tools_bad_target_as_a_chain_says_it(arms, bad):
    # one target's message said "must be three numbers within +-1e+50, got [nan, ...]", not
    # that the numbers must be finite (a batch's said "finite numbers within")
    chain, tree = arms
    point = [bad, 0.0, 0.3]
    pose = np.eye(4)
    pose[0, 3] = 1e60
    got = repr(float(bad))
    assert _error(lambda: armsim.solve(chain, point)) == (
        f"target must be three finite numbers within +-1e+50, got [{got}, 0.0, 0.3]")
    assert _error(lambda: armsim.solve(tree, {"left_tool": point})) == (
        f"target 'left_tool' must be three finite numbers within +-1e+50, got [{got}, 0.0, 0.3]")
    assert _error(lambda: armsim.solve(tree, {"left_tool": armsim.Target(point)})) == (
        f"target 'left_tool' must be three finite numbers within +-1e+50, got [{got}, 0.0, 0.3]")
    rows = "[1e+60, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]"
    assert _error(lambda: armsim.solve(chain, pose)) == (
        f"target must be 12 finite numbers within +-1e+50, got {rows}")
    assert _error(lambda: armsim.solve(tree, {"left_tool": pose})) == (
        f"target 'left_tool' must be 12 finite numbers within +-1e+50, got {rows}")
    # a batch: the row, a pose's as its 12 numbers (it was the 4 x 4 cut mid-row)
    assert _error(lambda: armsim.solve_batch(chain, [pose, pose])) == (
        f"targets[0] must be finite numbers within +-1e+50, got {rows}")
    assert _error(lambda: armsim.solve_batch(tree, {"left_tool": [np.eye(4), pose]})) == (
        f"target 'left_tool'[1] must be finite numbers within +-1e+50, got {rows}")


@pytest.mark.parametrize("bad, words", [(np.nan, "must be finite numbers"),
                                        (1e60, "must be within +-1e+06 m")],
                         ids=["nan", "1e60"])
def test_render_names_the_pictures_bound_for_a_robot_as_for_a_chain(arms, bad, words):
    # a robot's target said "must be finite numbers within +-1e+50" (the solver's bound,
    # checked first) where a chain's said the picture's +-1e6 m
    chain, tree = arms
    got = repr(float(bad))
    assert _error(lambda: armsim.render(chain, target=[bad, 0, 0.3])) == (
        f"target {words}, got [{got}, 0.0, 0.3]")
    assert _error(lambda: armsim.render(tree, target={"left_tool": [bad, 0, 0.3]})) == (
        f"target['left_tool'] {words}, got [{got}, 0.0, 0.3]")
    pose = np.eye(4)
    pose[0, 3] = bad
    assert _error(lambda: armsim.render(tree, target={"left_tool": pose})) == (
        f"target['left_tool'] {words}, got [{got}, 0.0, 0.0]")


@pytest.mark.parametrize("bad, words", [("nan", "must be a finite number, got nan"),
                                        ("1e60", "must be <= 1e+06, got 1e+60")],
                         ids=["nan", "1e60"])
def test_a_scene_names_the_scenes_bound_for_a_robot_as_for_a_chain(tmp_path, capsys, bad,
                                                                   words):
    chain = tmp_path / "chain.toml"
    chain.write_text(f'[arm]\nrobot = "panda"\n[target]\nkind = "fixed"\n'
                     f'point = [{bad}, 0.0, 0.3]\n')
    tree = tmp_path / "tree.toml"
    tree.write_text(f'[arm]\nrobot = "dual_arm"\n[[tool]]\nlink = "left_tool"\nkind = "fixed"\n'
                    f'point = [{bad}, 0.0, 0.3]\n')
    out = tmp_path / "out.gif"
    for path, where in ((chain, "target"), (tree, "tool[0]")):
        assert main([str(path), "--gif", str(out), "--frames", "1"]) == 2
        assert capsys.readouterr().err == f"{path}: {where}.point[0]: {words}\n"
    assert not out.exists()
