"""The visual problem on real pixels: a real robot's data files and its markers in images.

:mod:`~armsim.vision.real.setup` (``setup.toml``: cameras and markers),
:mod:`~armsim.vision.real.tables` (``joints.csv`` and ``obs.csv``),
:mod:`~armsim.vision.real.corners` (marker corners without bias: lines fitted to the edges,
pure numpy) and :mod:`~armsim.vision.real.detect` (ArUco detection in image files; the only
module that imports OpenCV, from the ``vision`` extra: ``pip install armsim[vision]``; the
others get it from :func:`~armsim.vision.real.detect.opencv`, when called).  The
identification: :mod:`~armsim.vision.real.model` (parameters -> marker corner pixels, on
forward-mode Duals), :mod:`~armsim.vision.real.handeye` (OpenCV's hand-eye start),
:mod:`~armsim.vision.real.identify` (LM under a Huber loss, gauges, Cramér-Rao sigmas),
:mod:`~armsim.vision.real.report` (report.json) and :mod:`~armsim.vision.real.urdf_out`
(the calibrated URDF).  The formats and ``armsim calibrate`` are described in
docs/calibrate_real.md.
"""

from armsim.vision.real.errors import DataError
from armsim.vision.real.setup import Camera, Marker, Setup, parse_setup, read_setup
from armsim.vision.real.tables import (Joints, Observations, format_joints, format_observations,
                                       parse_joints, parse_observations, read_joints,
                                       read_observations, write_text)

__all__ = ["DataError", "Camera", "Marker", "Setup", "read_setup", "parse_setup", "Joints",
           "Observations", "read_joints", "parse_joints", "format_joints", "read_observations",
           "parse_observations", "format_observations", "write_text"]
