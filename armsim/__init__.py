"""armsim: a robotic-arm inverse-kinematics simulator with gradient-driven control.

A serial arm is a small neural network: joint angles are the weights, the tip
is the output, the distance to the target is the loss.

Sub-packages, imports pointing down: :mod:`armsim.ad` (forward and reverse mode,
pruning, operation counts) <- :mod:`armsim.kinematics` (chains) <- :mod:`armsim.ik`
(one solver loop on an m-vector error) and :mod:`armsim.vision` (the visual
problem) <- :mod:`armsim.scene` (scene files) <- :mod:`armsim.view` (pictures,
window, GIF export; the only one that imports pygame) <- :mod:`armsim.cli` and
:mod:`armsim.commands`.  :mod:`armsim.files` (output destinations) sits below all.

Pictures from Python: ``armsim.render(robot, q)`` (a ``PIL.Image``), ``armsim.animate(robot,
qs)`` (a GIF a notebook shows inline) and a chain's ``_repr_png_`` (a chain shows itself in
Jupyter) live in :mod:`armsim.view.notebook` and are imported on first use, so ``import
armsim`` never imports pygame.
"""

from armsim.ad import dual, pruning, reverse
from armsim.ad.dual import Dual, jacobian, value_and_jacobian
from armsim.ik import IKResult, Solver, prepare, solve, solve_batch
from armsim.ik.objectives import (Box, Capsule, JointLimitBarrier, Objective, Obstacle,
                                  PointTarget, Posture, SelfCollision, Smoothness)
from armsim.kinematics import Chain, SpatialChain, joint_positions
from armsim.kinematics import robots
from armsim.kinematics.spatial import pose
from armsim.kinematics.tree import Robot
from armsim.kinematics.urdf import load_robot, load_urdf
from armsim.ik.tree import Target

__version__ = "0.1.0"

_LAZY = ("render", "animate")       # from armsim.view.notebook, on first use (pygame)


def __getattr__(name):
    if name == "view":      # the pictures' package (pygame), imported on first use
        import importlib
        return importlib.import_module("armsim.view")
    if name in _LAZY:
        from armsim.view import notebook
        value = getattr(notebook, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'armsim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | {"view"})


def _repr_png_(self):
    """The chain at the start a solve takes, as PNG bytes: how a notebook shows it."""
    from armsim.view.notebook import png
    return png(self)


# the kinematics cannot import the view (imports point down); the package, above both,
# gives the chains their picture
Chain._repr_png_ = _repr_png_
SpatialChain._repr_png_ = _repr_png_
Robot._repr_png_ = _repr_png_

__all__ = ["Chain", "SpatialChain", "Robot", "Target", "load_robot", "load_urdf", "pose", "robots", "Dual", "IKResult", "Solver", "jacobian",
           "joint_positions", "solve", "solve_batch", "prepare", "value_and_jacobian", "dual", "reverse", "pruning",
           "__version__", "Objective", "PointTarget", "Posture", "JointLimitBarrier", "Obstacle", "Smoothness",
           "Box", "Capsule", "SelfCollision", "render", "animate"]
