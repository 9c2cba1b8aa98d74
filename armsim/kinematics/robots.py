"""The shipped robot models, loaded by name: :func:`load` (``armsim.robots.load("panda")``).

The URDF files (kinematics only: no meshes, no inertias) are written for armsim from
the makers' published kinematic parameters, each naming its source in a comment.  They
live in ``armsim/kinematics/models/`` so that an installed package has them;
``assets/robots`` in the source tree points there.
"""

from __future__ import annotations

from pathlib import Path

from armsim.files import short_name
from armsim.kinematics.urdf import load_robot as _load_robot
from armsim.kinematics.urdf import load_urdf
from armsim.ranges import shown

__all__ = ["NAMES", "TREES", "load", "load_robot", "path"]

#: the shipped arms (serial chains; the chain benchmarks run on each)
NAMES = ("panda", "ur5", "iiwa14", "snake20")
#: the shipped whole robots (kinematic trees: several tools, mimic joints), loaded with
#: :func:`load_robot`: a dual-arm robot on a turning torso, and the Panda with its hand
TREES = ("dual_arm", "panda_hand")
_DIR = Path(__file__).resolve().parent / "models"


def path(name) -> Path:
    """The URDF file of a shipped robot."""
    if not isinstance(name, str) or name not in NAMES + TREES:
        raise ValueError(f"unknown robot {shown(name)!r}; choose one of "
                         f"{', '.join(NAMES + TREES)}")
    return _DIR / f"{name}.urdf"


def load(name, base=None, tip=None):
    """The spatial chain of a shipped robot (see :data:`NAMES`; of a tree in :data:`TREES`,
    the chain to ``tip``, by default its deepest leaf)."""
    return _named(name, lambda file: load_urdf(file, base=base, tip=tip))


def load_robot(name, tips=None, base_joint=None):
    """A shipped robot as a whole (:class:`~armsim.kinematics.tree.Robot`): any name of
    :data:`NAMES` or :data:`TREES` (``tips`` default: every leaf)."""
    return _named(name, lambda file: _load_robot(file, tips=tips, base_joint=base_joint))


def _named(name, read):
    """``read(path(name))``; its ValueError names the robot as the caller gave it
    (``panda: no link named 'a' (the tip); ...``) where it named the packaged file, a path
    inside the installed package the caller never gave."""
    file = path(name)
    try:
        return read(file)
    except ValueError as exc:
        text, prefix = str(exc), f"{short_name(file)}: "
        if text.startswith(prefix):
            exc.args = (f"{name}: {text[len(prefix):]}",) + exc.args[1:]
        raise
