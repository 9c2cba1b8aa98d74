"""Inverse kinematics: move the tool to a target by changing joint values only.

Segments never stretch: the state of every solver is the vector of joint
values.  :mod:`~armsim.ik.loop` holds the loop (:class:`Solver`), the
:class:`IKResult` and the entry points :func:`solve` / :func:`solve_batch`;
:mod:`~armsim.ik.steps` the methods (``dls``, ``gradient`` with its
corrections, ``pinv``, ``ccd``, ``fabrik``); :mod:`~armsim.ik.problems`
what the loop solves: an m-vector task value and its Jacobian (the planar
point, m = 2, or any function written with :mod:`armsim.ad.dual`);
:mod:`~armsim.ik.planar` the planar tip, its forward-mode AD
Jacobian and the workspace; :mod:`~armsim.ik.tracking` an arm chasing a moving
target frame by frame (what the window and the GIFs show).
"""

from armsim.ik.loop import (CORRECTIONS, DEFAULTS, FIRST_STARTS, METHODS, REASONS, IKResult,
                            Options, Solver, default_start, solve, solve_batch)
from armsim.ik.prepare import on_load, prepare
from armsim.kinematics import urdf as _urdf
from armsim.ik.problems import FunctionProblem, PlanarPoint, Problem, SpatialTarget, as_problem

_urdf.ON_LOAD.append(on_load)     # loading a chain builds its float pass for pose targets

__all__ = ["Solver", "IKResult", "Options", "solve", "solve_batch", "prepare", "default_start",
           "METHODS", "CORRECTIONS", "REASONS", "FIRST_STARTS", "DEFAULTS",
           "Problem", "PlanarPoint", "FunctionProblem", "SpatialTarget", "as_problem"]
