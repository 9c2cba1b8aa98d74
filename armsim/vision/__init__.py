"""armsim.vision."""
