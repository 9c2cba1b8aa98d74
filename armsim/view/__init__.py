"""armsim.view."""
