"""Kinematic chains: where every joint and the tool are, written once as array maths.

:mod:`~armsim.kinematics.planar` is the planar serial chain (:class:`Chain`): its
joints, tip and Jacobian by forward-mode AD, for one arm or a batch.  The same code
runs on floats, arrays and :class:`~armsim.ad.dual.Dual`.  :mod:`~armsim.kinematics.spatial`
is the spatial serial chain (:class:`SpatialChain`: URDF-style joints, DH tables, the pose
and its 6 x n Jacobian).
"""

from armsim.kinematics.planar import WRT_CHOICES, Chain, joint_positions, tip_position
from armsim.kinematics.spatial import Joint, SpatialChain

__all__ = ["Chain", "joint_positions", "tip_position", "WRT_CHOICES", "Joint", "SpatialChain"]
