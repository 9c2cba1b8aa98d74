"""armsim.kinematics."""
