"""armsim.ad."""
