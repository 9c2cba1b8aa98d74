"""Chains the tests build in code (the shipped robots come from armsim.robots)."""

import numpy as np

from armsim.kinematics.spatial import Joint, SpatialChain


def prismatic_chain():
    """Revolute, prismatic and continuous joints, off-axis origins, a tilted axis."""
    return SpatialChain([
        Joint("a", "revolute", (0, 0, 0.1), (0, 0, 0), (0, 0, 1), -2.5, 2.5),
        Joint("b", "prismatic", (0.1, 0, 0.2), (0.3, 0, 0), (0, 1, 0), -0.2, 0.3),
        Joint("c", "revolute", (0, 0.05, 0.3), (0, 1.2, 0), (1, 0, 0), -2.0, 2.0),
        Joint("d", "continuous", (0.2, 0, 0), (0, 0, 0.4), (0, 0.6, 0.8), -np.inf, np.inf),
        Joint("e", "revolute", (0, 0, 0.15), (0.2, 0, 0), (0, 0, 1), -2.8, 2.8),
        Joint("f", "revolute", (0.1, 0, 0), (0, 0, 0), (0, 1, 0), -2.0, 2.0),
    ], tool_xyz=(0, 0, 0.08))
