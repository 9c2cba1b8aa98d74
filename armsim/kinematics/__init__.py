"""Kinematic chains: where every joint and the tool are, written once as array maths.

:mod:`~armsim.kinematics.planar` is the planar serial chain (:class:`Chain`): its
joints, tip and Jacobian by forward-mode AD, for one arm or a batch.  The same code
runs on floats, arrays and :class:`~armsim.ad.dual.Dual`.  Spatial chains and URDF
loading belong here too.
"""

from armsim.kinematics.planar import WRT_CHOICES, Chain, joint_positions, tip_position

__all__ = ["Chain", "joint_positions", "tip_position", "WRT_CHOICES"]
