"""armsim.commands."""
