"""The visual problem: cameras watch a hidden reference arm; a population of models learns it.

:mod:`~armsim.vision.camera` (what a camera measures), :mod:`~armsim.vision.experiment`
(the settings and presets: ``gecco``, ``lm``, ...), :mod:`~armsim.vision.calibration`
(one round of the whole population in one forward-mode pass, and :func:`run`),
:mod:`~armsim.vision.learners` (step rules), :mod:`~armsim.vision.genetic` (the genetic
algorithm over per-parameter learning rates), :mod:`~armsim.vision.simulation` (a run
frame by frame, for the window and GIFs) and :mod:`~armsim.vision.sweep` (grids of runs
in parallel).  In 3D: :mod:`~armsim.vision.camera3d` (pinhole cameras),
:mod:`~armsim.vision.spatial_calibration` (a spatial arm and its cameras from pixels),
:mod:`~armsim.vision.spatial_run` (its population a round at a time) and
:mod:`~armsim.vision.spatial_simulation` (its frames).
"""

from armsim.vision.calibration import (CalibrationResult, CalibrationRun, CalibrationState,
                                       parameter_errors, run)
from armsim.vision.camera import CAMERA_PRESETS, CameraSettings
from armsim.vision.experiment import (CRITERIA, PRESETS, CalibrationSettings, Experiment,
                                      VariantSettings)
from armsim.vision.genetic import GeneticSettings
from armsim.vision.learners import LEARNERS
from armsim.vision.simulation import CalibrationSimulation
from armsim.vision.camera3d import Camera, Intrinsics
from armsim.vision.spatial_calibration import SpatialSetup
from armsim.vision.spatial_run import SpatialCalibrationRun, SpatialCalibrationState
from armsim.vision.spatial_simulation import SpatialCalibrationSimulation

__all__ = ["run", "CalibrationRun", "CalibrationState", "CalibrationResult", "parameter_errors",
           "Experiment", "CalibrationSettings", "VariantSettings", "GeneticSettings",
           "CameraSettings", "CAMERA_PRESETS", "PRESETS", "CRITERIA", "LEARNERS",
           "CalibrationSimulation", "Camera", "Intrinsics", "SpatialSetup",
           "SpatialCalibrationRun", "SpatialCalibrationState", "SpatialCalibrationSimulation"]
