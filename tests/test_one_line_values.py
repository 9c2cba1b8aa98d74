"""A 2-D array where a number, a name or a short vector belongs is echoed on one line in
the message (``armsim.ranges.shown``): ``str(value)[:40]`` ran a numpy array's rows onto
two lines, cut mid-row."""

import numpy as np
import pytest

import armsim
from armsim.ik.tracking import Simulation
from armsim.kinematics.spatial import Joint

GRID = np.arange(12.0).reshape(3, 4)                   # numbers of the wrong shape
WORDS = np.array([["a", "b", "c"], ["d", "e", "f"]])   # not numbers at all


def _planar():
    return armsim.Chain([1.0, 1.0])


def _panda():
    return armsim.robots.load("panda")


_DH = [[0.0, 0.0, 0.3, 0.0], [0.4, 0.0, 0.0, 0.0]]

SHOWN = "[[ 0. 1. 2. 3.] [ 4. 5. 6. 7.] [ 8. 9..."      # GRID, on one line, cut at 40
SHOWN_WORDS = "[['a' 'b' 'c'] ['d' 'e' 'f']]"

# each public entry point, and its whole message
CALLS = {
    "solve tol": (lambda: armsim.solve(_planar(), [1.0, 1.0], tol=GRID),
                  f"tol must be a number > 0 and <= 1e+50, got {SHOWN}"),
    "solve max_iter": (lambda: armsim.solve(_planar(), [1.0, 1.0], max_iter=GRID),
                       f"max_iter must be an integer >= 0 and <= 1000000000000, got {SHOWN}"),
    "solve seed": (lambda: armsim.solve(_planar(), [1.0, 1.0], seed=GRID),
                   f"seed must be None or an integer >= 0, got {SHOWN}"),
    "solve max_step": (lambda: armsim.solve(_planar(), [1.0, 1.0], max_step=GRID),
                       f"max_step must be a number > 0 and at most 1e+06 [rad], got {SHOWN}"),
    "pose position": (lambda: armsim.pose(WORDS),
                      f"position must be three numbers, got {SHOWN_WORDS}"),
    "pose quaternion": (lambda: armsim.pose([0, 0, 0], quaternion=WORDS),
                        f"quaternion must be four numbers (w, x, y, z), got {SHOWN_WORDS}"),
    "pose rotation": (lambda: armsim.pose([0, 0, 0], rotation=WORDS),
                      f"rotation must be a 3 x 3 matrix of numbers, got {SHOWN_WORDS}"),
    "from_dh tool": (lambda: armsim.SpatialChain.from_dh(_DH, tool=GRID),
                     f"DH tool must be a 4 x 4 matrix, got {SHOWN}"),
    "from_dh limits": (lambda: armsim.SpatialChain.from_dh(_DH, limits=[GRID, (-1, 1)]),
                       f"DH table: limits[0] must be (lower, upper), got {SHOWN}"),
    "from_dh convention": (lambda: armsim.SpatialChain.from_dh(_DH, convention=GRID),
                           f"convention must be 'standard' or 'modified', got '{SHOWN}'"),
    "joint xyz": (lambda: armsim.SpatialChain(
        [Joint("j", "revolute", GRID, (0, 0, 0), (0, 0, 1), -1.0, 1.0)]),
        f"joint 'j': xyz must be three numbers, got '{SHOWN}'"),
    "joint type": (lambda: armsim.SpatialChain(
        [Joint("j", GRID, (0, 0, 0.3), (0, 0, 0), (0, 0, 1), -1.0, 1.0)]),
        f"joint 'j': type must be one of revolute, continuous, prismatic, got '{SHOWN}'"),
    "PointTarget point": (lambda: armsim.PointTarget(GRID, [0.1, 0.2]),
                          f"point must be numbers >= 0, got {SHOWN}"),
    "clearance_of q": (lambda: armsim.Obstacle([0.4, 0.0, 0.4], 0.1).clearance_of(
        _panda(), WORDS), f"Obstacle.clearance_of: q must be numbers, got {SHOWN_WORDS}"),
    "jacobian wrt": (lambda: _planar().jacobian(np.zeros(2), wrt=(GRID,)),
                     f"wrt: unknown parameter group '{SHOWN}'; choose from angles, lengths, "
                     f"base"),
    "robots.load": (lambda: armsim.robots.load(GRID),
                    f"unknown robot '{SHOWN}'; choose one of panda, ur5, iiwa14, snake20, "
                    f"dual_arm, panda_hand"),
    "set_segments": (lambda: Simulation(_planar(), lambda k: np.array([1.0, 1.0]),
                                        np.zeros(2)).set_segments(GRID),
                     f"segments must be an integer, got {SHOWN}"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_2d_array_in_a_bad_place_is_one_line(name):
    # (three of them raised numpy's "The truth value of an array with more than one
    # element is ambiguous", naming nothing)
    call, message = CALLS[name]
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == message
