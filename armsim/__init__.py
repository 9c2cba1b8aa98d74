"""armsim: a robotic-arm inverse-kinematics simulator with gradient-driven control.

A serial arm is a small neural network: joint angles are the weights, the tip
is the output, the distance to the target is the loss.
"""

from armsim.kinematics.planar import Chain, joint_positions
from armsim.ad.dual import Dual, jacobian, value_and_jacobian
from armsim.ik import IKResult, solve, solve_batch

__version__ = "0.1.0"

__all__ = ["Chain", "Dual", "IKResult", "jacobian", "joint_positions", "solve", "solve_batch",
           "value_and_jacobian", "__version__"]
