"""armsim.scene."""
