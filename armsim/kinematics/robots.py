"""The shipped robot models, loaded by name: :func:`load` (``armsim.robots.load("panda")``).

The URDF files (kinematics only: no meshes, no inertias) are written for armsim from
the makers' published kinematic parameters, each naming its source in a comment.  They
live in ``armsim/kinematics/models/`` so that an installed package has them;
``assets/robots`` in the source tree points there.
"""

from __future__ import annotations

from pathlib import Path

from armsim.kinematics.urdf import load_urdf

__all__ = ["NAMES", "load", "path"]

NAMES = ("panda", "ur5", "iiwa14", "snake20")
_DIR = Path(__file__).resolve().parent / "models"


def path(name) -> Path:
    """The URDF file of a shipped robot."""
    if not isinstance(name, str) or name not in NAMES:
        raise ValueError(f"unknown robot {str(name)[:40]!r}; choose one of {', '.join(NAMES)}")
    return _DIR / f"{name}.urdf"


def load(name, base=None, tip=None):
    """The spatial chain of a shipped robot (see :data:`NAMES`)."""
    return load_urdf(path(name), base=base, tip=tip)
