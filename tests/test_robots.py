"""The shipped robots: their URDF files equal the published DH tables, with the real limits."""

import numpy as np
import pytest

import armsim
from armsim.kinematics.spatial import SpatialChain

PI = np.pi

# (a, alpha, d, theta offset) rows as published by the makers (see each file's comment)
PANDA_MDH = [(0, 0, 0.333, 0), (0, -PI / 2, 0, 0), (0, PI / 2, 0.316, 0), (0.0825, PI / 2, 0, 0),
             (-0.0825, -PI / 2, 0.384, 0), (0, PI / 2, 0, 0), (0.088, PI / 2, 0, 0)]
UR5_DH = [(0, PI / 2, 0.089159, 0), (-0.425, 0, 0, 0), (-0.39225, 0, 0, 0),
          (0, PI / 2, 0.10915, 0), (0, -PI / 2, 0.09465, 0), (0, 0, 0.0823, 0)]
IIWA_DH = [(0, -PI / 2, 0.36, 0), (0, PI / 2, 0, 0), (0, PI / 2, 0.42, 0), (0, -PI / 2, 0, 0),
           (0, -PI / 2, 0.4, 0), (0, PI / 2, 0, 0), (0, 0, 0.126, 0)]
FLANGE = np.eye(4)
FLANGE[2, 3] = 0.107
LIMITS = {
    "panda": [(-2.8973, 2.8973), (-1.7628, 1.7628), (-2.8973, 2.8973), (-3.0718, -0.0698),
              (-2.8973, 2.8973), (-0.0175, 3.7525), (-2.8973, 2.8973)],
    "ur5": [(-2 * PI, 2 * PI)] * 6,
    "iiwa14": [(-np.radians(d), np.radians(d)) for d in (170, 120, 170, 120, 170, 120, 175)],
    "snake20": [(-PI / 2, PI / 2)] * 20,
}
REFERENCE = {
    "panda": lambda: SpatialChain.from_dh(PANDA_MDH, "modified", tool=FLANGE),
    "ur5": lambda: SpatialChain.from_dh(UR5_DH, "standard"),
    "iiwa14": lambda: SpatialChain.from_dh(IIWA_DH, "standard"),
}


@pytest.mark.parametrize("name", armsim.robots.NAMES)
def test_robot_loads_with_its_limits(name):
    chain = armsim.robots.load(name)
    assert chain.n == len(LIMITS[name])
    assert np.abs(chain.limits - np.array(LIMITS[name])).max() < 1e-11
    assert armsim.robots.path(name).read_text().count("Source") + (name == "snake20") >= 1


@pytest.mark.parametrize("name", ["panda", "ur5", "iiwa14"])
def test_robot_equals_the_published_dh_table(name):
    chain, ref = armsim.robots.load(name), REFERENCE[name]()
    q = np.random.default_rng(0).uniform(chain.limits[:, 0], chain.limits[:, 1], (500, chain.n))
    assert np.abs(chain.matrix(q) - ref.matrix(q)).max() < 1e-12
    assert np.abs(chain.jacobian(q) - ref.jacobian(q)).max() < 1e-12


def test_snake_is_spatial_and_unknown_names_are_refused():
    snake = armsim.robots.load("snake20")
    _, p = snake.pose(np.zeros(20))
    assert np.allclose(p, [2.0, 0, 0], atol=1e-12)
    axes = snake.axes
    assert (axes[0::2] == [0, 0, 1]).all() and (axes[1::2] == [0, 1, 0]).all()
    with pytest.raises(ValueError, match=r"^unknown robot 'pr2'; choose one of panda, ur5, "
                                         r"iiwa14, snake20, dual_arm, panda_hand$"):
        armsim.robots.load("pr2")
