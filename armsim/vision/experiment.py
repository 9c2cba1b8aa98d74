"""Settings of a calibration experiment: cameras, calibration, genetic algorithm, variant.

Small frozen dataclasses, each with a ``validate()`` that raises
``ValueError("<field>: must be ..., got ...")``; :class:`Experiment` bundles
the four sections and prefixes the section name
(``"calibration.segments: must be >= 1, got 0"``), ready for the scene loader
to prefix the file name.  :data:`PRESETS` holds the built-in experiments.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from armsim.vision.camera import OBSERVATIONS, CameraSettings
from armsim.vision.genetic import SECOND_PARENTS, GeneticSettings
from armsim.kinematics.planar import memory_budget
from armsim.ranges import BIG, MAX_ROUNDS, given
from armsim.vision.learners import LEARNERS, learner_class

#: arrays of the bearings' tangents' size a round holds at once (:meth:`Experiment.round_bytes`)
ROUND_ARRAYS = 3

__all__ = ["CalibrationSettings", "VariantSettings", "Experiment", "PRESETS", "CRITERIA",
           "OBSERVATIONS", "ANGLE_MODES", "SECOND_PARENTS", "STOP_CANDIDATES"]

TWO_PI = 2.0 * math.pi
#: [rad] the initial angles' range lies within +-this (a scene's bound too): unwrapped
#: angles are kept within +-1e6 rad (calibration.MAX_UNWRAPPED), so candidates drawn past it
#: were cut back at their first step while the reference stayed, and past 2**53 a step no
#: longer moves an angle
MAX_ANGLE = 1.0e4
CRITERIA = ("loss", "identified")
#: learned and reference angles wrapped to [0, 2 pi) after every step, or left to grow
ANGLE_MODES = ("wrapped", "unwrapped")
#: the candidate the stopping test reads: the best one, or the first (population index 1)
STOP_CANDIDATES = ("best", "first")


@dataclass(frozen=True)
class CalibrationSettings:
    """The hidden arm, the learner and the stopping criterion.

    Attributes
    ----------
    segments : int                       n, segments of the reference and of every candidate
    length_range : (lo, hi) [px]         lengths drawn from and clipped to this range
    angle_range : (lo, hi) [rad]         initial angles drawn from this range, within +-MAX_ANGLE
    base : (x, y) [px]
    canvas : (width, height) [px]        the target jumps to a uniform point of it
    target_start : (x, y) [px]
    target_period : int [rounds]         the target jumps every this many rounds
    max_speed : float [rad/px]           the reference's joint step is clipped to max_speed * distance
    learner : str                        one of ``armsim.vision.learners.LEARNERS``
    rate_range : (lo, hi)                initial per-parameter learning rates, uniform
    criterion : str                      ``"loss"`` (the original) or ``"identified"``
    loss_threshold : float [rad^2]       ``loss``: best accumulated loss / n below this
    check_period : int [rounds]          how often the criterion is checked
    length_tolerance : float             ``identified``: max |l - l_ref| / l_ref
    angle_tolerance : float [rad]        ``identified``: max absolute-angle error
    window : int [rounds]                ``lm``: residuals of this many recent rounds
    damping : float                      ``lm``: initial Marquardt damping
    max_rounds : int                     give up after this many rounds
    """

    segments: int = 3
    length_range: tuple = (50.0, 200.0)
    angle_range: tuple = (0.0, TWO_PI)
    base: tuple = (200.0, 300.0)
    canvas: tuple = (600.0, 600.0)
    target_start: tuple = (100.0, 100.0)
    target_period: int = 100
    max_speed: float = 1e-4
    learner: str = "proportional"
    rate_range: tuple = (1e-5, 1e-2)
    criterion: str = "loss"
    loss_threshold: float = 0.03
    check_period: int = 100
    length_tolerance: float = 0.01
    angle_tolerance: float = 0.01
    window: int = 30
    damping: float = 1e-2
    max_rounds: int = 100_000

    def validate(self):
        """Raise ``ValueError("<field>: must be ..., got ...")`` for the first bad field."""
        _int_at_least(self, "segments", 1)
        _range(self, "length_range", positive=True)
        _within_big(self, "length_range")
        _range(self, "angle_range")
        if max(abs(a) for a in self.angle_range) > MAX_ANGLE:
            raise ValueError(f"angle_range: must lie within [-{MAX_ANGLE:g}, {MAX_ANGLE:g}] rad, "
                             f"got {list(self.angle_range)}")
        _pair(self, "base")
        _within_big(self, "base")
        _pair(self, "canvas")
        if min(self.canvas) <= 0:
            raise ValueError(f"canvas: both sizes must be > 0, got {list(self.canvas)}")
        _within_big(self, "canvas")
        _pair(self, "target_start")
        _within_big(self, "target_start")
        _int_at_least(self, "target_period", 1)
        _positive(self, "max_speed")
        if self.learner not in LEARNERS:
            raise ValueError(f"learner: unknown learner {self.learner!r}; choose one of {', '.join(LEARNERS)}")
        _range(self, "rate_range", positive=True)
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion: unknown criterion {self.criterion!r}; choose one of {', '.join(CRITERIA)}")
        _positive(self, "loss_threshold")
        _int_at_least(self, "check_period", 1)
        _positive(self, "length_tolerance")
        _positive(self, "angle_tolerance")
        _int_at_least(self, "window", 1)
        _positive(self, "damping")
        _int_at_least(self, "max_rounds", 1, MAX_ROUNDS)       # (as run's and a scene's)
        return self


def _is_real(x):
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _int_at_least(s, name, lo, hi=None):
    v = getattr(s, name)
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
        raise ValueError(f"{name}: must be an integer >= {lo}, got {v!r}")
    if v < lo:
        raise ValueError(f"{name}: must be >= {lo}, got {v!r}")
    if hi is not None and v > hi:
        raise ValueError(f"{name}: must be <= {hi:,}, got {v!r}")


def _positive(s, name):
    v = getattr(s, name)
    if not _is_real(v) or not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name}: must be a finite number > 0, got {v!r}")


def _pair(s, name):
    v = getattr(s, name)
    ok = isinstance(v, (tuple, list)) and len(v) == 2 and all(_is_real(x) and np.isfinite(x) for x in v)
    if not ok:
        raise ValueError(f"{name}: must be two finite numbers, got {v!r}")


def _within_big(s, name):
    """Pixels within +-BIG (a scene's bound): lengths of 1e308 overflowed their sums and a
    base and a focus 1e308 either side their difference, making NaN of every gradient."""
    v = getattr(s, name)
    if max(abs(x) for x in v) > BIG:
        raise ValueError(f"{name}: must be two numbers within +-{BIG:.0f} px, got {list(v)}")


def _range(s, name, positive=False):
    _pair(s, name)
    lo, hi = getattr(s, name)
    if lo > hi:
        raise ValueError(f"{name}: must be [lo, hi] with lo <= hi, got {list(getattr(s, name))}")
    if positive and lo <= 0:
        raise ValueError(f"{name}: must be [lo, hi] with 0 < lo <= hi, got {list(getattr(s, name))}")


@dataclass(frozen=True)
class VariantSettings:
    """The four places where armsim's default departs from the original GECCO code.

    The defaults are armsim's choices; :meth:`original` gives the original
    code's, which the ``gecco`` preset uses.

    Attributes
    ----------
    observation : str
        ``"atan2"``: a camera measures the bearing ``atan2(dy, dx)`` and a
        residual is wrapped to (-pi, pi].  ``"atan"`` (original): it measures
        ``atan(dy / dx)``, in (-pi/2, pi/2], and the residual is the plain
        difference (two directions pi apart look the same).
    angles : str
        ``"wrapped"``: reference and learned angles are wrapped to [0, 2 pi)
        after every step.  ``"unwrapped"`` (original): they are never wrapped,
        so a proportional step ``lr * g * abs(theta)`` sees angles of many radians.
    second_parent : str
        ``"other"``: the GA's mother is a random survivor other than the
        father.  ``"any"`` (original): any survivor, the father included.
    stop_candidate : str
        ``"best"``: the stopping test reads the candidate with the lowest
        (accumulated) loss.  ``"first"`` (original): it reads the first
        candidate (population index 1, the reference being 0) whatever its loss.
    """

    observation: str = "atan2"
    angles: str = "wrapped"
    second_parent: str = "other"
    stop_candidate: str = "best"

    CHOICES = {"observation": OBSERVATIONS, "angles": ANGLE_MODES,
               "second_parent": SECOND_PARENTS, "stop_candidate": STOP_CANDIDATES}

    @classmethod
    def original(cls):
        """The original code's choices: ``atan``, ``unwrapped``, ``any``, ``first``."""
        return cls(observation="atan", angles="unwrapped", second_parent="any", stop_candidate="first")

    def validate(self):
        """Raise ``ValueError("observation: unknown observation 'x'; choose one of ...")``."""
        for name, choices in self.CHOICES.items():
            v = getattr(self, name)
            if not isinstance(v, str) or v not in choices:
                what = name.replace("_", " ")
                raise ValueError(f"{name}: unknown {what} {v!r}; choose one of {', '.join(choices)}")
        return self


@dataclass(frozen=True)
class Experiment:
    """Cameras, calibration, genetic and variant settings of one experiment."""

    camera: CameraSettings = field(default_factory=CameraSettings)
    calibration: CalibrationSettings = field(default_factory=CalibrationSettings)
    genetic: GeneticSettings = field(default_factory=GeneticSettings)
    variant: VariantSettings = field(default_factory=VariantSettings)

    #: the sections and the settings class each holds
    SECTIONS = {"camera": CameraSettings, "calibration": CalibrationSettings,
                "genetic": GeneticSettings, "variant": VariantSettings}

    #: short sweep names for the common keys (exact names only, no prefixes)
    ALIASES = {"segments": "calibration.segments", "population": "genetic.population",
               "learner": "calibration.learner", "window": "calibration.window"}

    def validate(self):
        """Validate every section; errors read ``"calibration.segments: must be >= 1, got 0"``;
        then refuse sizes whose round cannot fit in memory (:meth:`round_bytes`)."""
        for section, kind in self.SECTIONS.items():
            value = getattr(self, section)
            if not isinstance(value, kind):     # (a dict or None was an AttributeError)
                raise ValueError(f"{section}: must be a {kind.__name__}, got {given(value)}")
            try:
                value.validate()
            except ValueError as exc:
                raise ValueError(f"{section}.{exc}") from None
        need, budget = self.round_bytes(), memory_budget()
        if need > budget:
            cal = self.calibration
            window = f", window {cal.window}" if learner_class(cal.learner).uses_window else ""
            raise ValueError(
                f"a round of population {self.genetic.population}, segments {cal.segments}, "
                f"{self.camera.count} camera(s){window} would need about {need / 2**30:.1f} "
                f"GiB of memory, more than the {budget / 2**30:.1f} GiB allowed (half the "
                f"memory this process may use); use fewer")
        return self

    def round_bytes(self) -> int:
        """Bytes one round's forward-mode pass holds, about: the bearings' tangents (2 x
        segments directions) of the reference and every candidate, at each joint and camera,
        :data:`ROUND_ARRAYS` times; a window learner's (``lm``) of every round in its window
        too (measured: 0.49 GB at population 100, segments 20, 16 cameras, window 20)."""
        cal, n = self.calibration, self.calibration.segments
        rows = self.genetic.population * (n + 1)
        if learner_class(cal.learner).uses_window:
            rows += self.genetic.candidates * cal.window * n
        return ROUND_ARRAYS * 8 * rows * self.camera.count * 2 * n

    def with_value(self, key, value):
        """A copy with one dotted key (``"calibration.segments"``, or an alias) set."""
        key = self.ALIASES.get(key, key)
        section, _, name = key.partition(".")
        sections = {f.name for f in fields(self)}
        if section not in sections or not name:
            raise ValueError(f"unknown setting {key!r}; keys are section.field with a section "
                             f"among {', '.join(sorted(sections))}, or one of {', '.join(self.ALIASES)}")
        sub = getattr(self, section)
        names = [f.name for f in fields(sub)]
        if name not in names:
            raise ValueError(f"unknown setting {key!r}; choose one of "
                             f"{', '.join(section + '.' + n for n in names)}")
        return replace(self, **{section: replace(sub, **{name: value})})

    def describe(self):
        """Plain nested dict (for JSON reports)."""
        return asdict(self)


#: Built-in experiments.  ``gecco`` is the original: its protocol (constants, schedules, GA,
#: update rule) and the original code's four choices (:meth:`VariantSettings.original`).
#: ``lm`` is armsim's best learner, with armsim's choices, run to the strict identification
#: criterion (checked every round).
PRESETS = {
    "gecco": Experiment(CameraSettings.preset("mono"), CalibrationSettings(),
                        GeneticSettings(population=4), VariantSettings.original()),
    "lm": Experiment(CameraSettings.preset("mono"),
                     CalibrationSettings(learner="lm", criterion="identified", check_period=1,
                                         max_rounds=5_000),
                     GeneticSettings(population=4)),
}
