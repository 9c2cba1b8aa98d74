"""armsim: a robotic-arm inverse-kinematics simulator with gradient-driven control.

A serial arm is a small neural network: joint angles are the weights, the tip
is the output, the distance to the target is the loss.

Sub-packages, imports pointing down: :mod:`armsim.ad` (forward and reverse mode,
pruning, operation counts) <- :mod:`armsim.kinematics` (chains) <- :mod:`armsim.ik`
(one solver loop on an m-vector error) and :mod:`armsim.vision` (the visual
problem) <- :mod:`armsim.scene` (scene files) <- :mod:`armsim.view` (pictures,
window, GIF export; the only one that imports pygame) <- :mod:`armsim.cli` and
:mod:`armsim.commands`.  :mod:`armsim.files` (output destinations) sits below all.
"""

from armsim.ad import dual, pruning, reverse
from armsim.ad.dual import Dual, jacobian, value_and_jacobian
from armsim.ik import IKResult, Solver, solve, solve_batch
from armsim.ik.objectives import (Box, Capsule, JointLimitBarrier, Objective, Obstacle,
                                  PointTarget, Posture, SelfCollision, Smoothness)
from armsim.kinematics import Chain, SpatialChain, joint_positions
from armsim.kinematics import robots
from armsim.kinematics.spatial import pose
from armsim.kinematics.urdf import load_urdf

__version__ = "0.1.0"

__all__ = ["Chain", "SpatialChain", "load_urdf", "pose", "robots", "Dual", "IKResult", "Solver", "jacobian",
           "joint_positions", "solve", "solve_batch", "value_and_jacobian", "dual", "reverse", "pruning",
           "__version__", "Objective", "PointTarget", "Posture", "JointLimitBarrier", "Obstacle", "Smoothness",
           "Box", "Capsule", "SelfCollision"]
