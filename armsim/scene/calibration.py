"""Scene tables of the visual problem: ``[calibration]``, ``[cameras]``, ``[genetic]``, ``[variant]``.

A scene with a ``[calibration]`` table is a *calibration scene*: a hidden
reference arm chases a target, cameras watch it, and a population of
candidate models learns its lengths and angles (:mod:`armsim.vision.calibration`).
It has no ``[arm]``, ``[target]``, ``[solver]`` or ``[compare]`` table;
``[render]`` and ``[output]`` work as in any scene.  Coordinates are those of
the ``gecco`` problem: canvas pixels, y down.

Each table is a frozen dataclass checked key by key (errors read
``scenes/x.toml: calibration.segments: must be >= 1, got 0``) whose defaults
are the core's; :func:`experiment` maps a scene onto the core's
:class:`~armsim.vision.experiment.Experiment`.  Key names are the core's field
names, so ``calibration.window`` in a scene and in ``armsim sweep --vary``
mean the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from armsim.vision.experiment import (ANGLE_MODES, CRITERIA, OBSERVATIONS, SECOND_PARENTS, STOP_CANDIDATES,
                         CalibrationSettings, Experiment, VariantSettings)
from armsim.vision.camera import CAMERA_PRESETS, CameraSettings
from armsim.vision.genetic import GeneticSettings
from armsim.vision.learners import LEARNERS
from armsim.scene import (BIG, BUILDERS, SMALL, Boolean, Choice, Integer, ListOf, Number, Section, key,
                    section)

__all__ = ["CalibrationSection", "CamerasSection", "GeneticSection", "VariantSection", "experiment",
           "MAX_SEGMENTS", "MAX_POPULATION"]

KIND = "calibration"
MAX_SEGMENTS = 20          # bounds that keep one round of the whole population cheap
MAX_POPULATION = 100
MAX_WINDOW = 1000
MAX_ROUNDS = 10**8

_CAL = CalibrationSettings()
_GEN = GeneticSettings()


class Pair(ListOf):
    """``[a, b]`` of numbers checked by ``number``; with ``ordered``, a <= b."""

    def __init__(self, number: Number, what: str, ordered=False):
        super().__init__(number, 2, 2, what=what)
        self.ordered = ordered

    def parse(self, value, where):
        lo, hi = super().parse(value, where)
        if self.ordered and lo > hi:
            where.fail(f"limits reversed: lower {lo!r} > upper {hi!r}")
        return (lo, hi)


def _px_point(what="[x, y]"):
    return Pair(Number(ge=-BIG, le=BIG), f"{what} (two numbers) [px]")


def _range(number: Number, unit):
    return Pair(number, f"[lower, upper] with lower <= upper [{unit}]", ordered=True)


@section(KIND, implicit=False, kinds=(KIND,), marks=KIND)
@dataclass(frozen=True)
class CalibrationSection(Section):
    """The hidden arm, how candidates learn it and when a run has converged."""

    segments: int = key(Integer(ge=1, le=MAX_SEGMENTS), _CAL.segments,
                        "segments of the hidden reference arm and of every candidate")
    length_range: tuple = key(_range(Number(ge=SMALL, le=BIG), "px"), _CAL.length_range,
                              "lengths are drawn from, and learned lengths clipped to, this range")
    angle_range: tuple = key(_range(Number(ge=-1e4, le=1e4), "rad"), _CAL.angle_range,
                             "initial relative angles are drawn from this range (learned angles wrap)")
    base: tuple = key(_px_point(), _CAL.base, "base of every arm (canvas pixels, y down)")
    canvas: tuple = key(Pair(Number(ge=1, le=BIG), "[width, height] (two numbers >= 1) [px]"),
                        _CAL.canvas, "the target jumps to uniform points of this rectangle")
    target_start: tuple = key(_px_point(), _CAL.target_start, "where the target starts")
    target_period: int = key(Integer(ge=1, le=MAX_ROUNDS, unit="rounds"), _CAL.target_period,
                             "the target jumps to a random point every this many rounds")
    max_speed: float = key(Number(gt=0, le=BIG, unit="rad/px"), _CAL.max_speed,
                           "the reference's joint step is clipped to max_speed x distance to the target")
    learner: str = key(Choice("learner", LEARNERS, "armsim.vision.learners.LEARNERS"), _CAL.learner,
                       "step rule of the candidates: plain, proportional (the original "
                       "p -= lr dL/dp |p|), adam, or lm (Levenberg-Marquardt on a window of rounds)")
    rate_range: tuple = key(_range(Number(gt=0, le=BIG), "1"), _CAL.rate_range,
                            "initial per-parameter learning rates, uniform in this range")
    criterion: str = key(Choice("criterion", CRITERIA, "armsim.vision.experiment.CRITERIA"), _CAL.criterion,
                         "loss (the original: accumulated loss / n below loss_threshold) or "
                         "identified (true length and angle errors within the tolerances)")
    loss_threshold: float = key(Number(gt=0, le=BIG, unit="rad^2"), _CAL.loss_threshold,
                                "criterion loss: threshold of the best accumulated loss / segments")
    check_period: int = key(Integer(ge=1, le=MAX_ROUNDS, unit="rounds"), _CAL.check_period,
                            "the criterion is checked every this many rounds")
    length_tolerance: float = key(Number(gt=0, le=BIG), _CAL.length_tolerance,
                                  "criterion identified: largest relative length error")
    angle_tolerance: float = key(Number(gt=0, le=BIG, unit="rad"), _CAL.angle_tolerance,
                                 "criterion identified: largest absolute segment angle error")
    window: int = key(Integer(ge=1, le=MAX_WINDOW, unit="rounds"), _CAL.window,
                      "learner lm: residuals of this many recent rounds")
    damping: float = key(Number(gt=0, le=BIG), _CAL.damping, "learner lm: initial Marquardt damping")
    max_rounds: int = key(Integer(ge=1, le=MAX_ROUNDS, unit="rounds"), _CAL.max_rounds,
                          "a run (report, sweep) gives up after this many rounds")
    rounds_per_frame: int = key(Integer(ge=1, le=100_000, unit="rounds"), 10,
                                "rounds simulated per window or GIF frame")

    def check(self, where, keys):
        self.settings(where)

    def settings(self, where=None) -> CalibrationSettings:
        """The core's :class:`CalibrationSettings` (its own checks too, as scene errors)."""
        values = {name: getattr(self, name) for name in _CAL.__dataclass_fields__}
        return _validated(CalibrationSettings(**values), where)


@section("cameras", kinds=(KIND,))
@dataclass(frozen=True)
class CamerasSection(Section):
    """Where the cameras are: a named arrangement or explicit focus points (default mono)."""

    preset: str | None = key(Choice("camera preset", tuple(CAMERA_PRESETS)), None,
                             "mono: one focus at (600, 300); stereo: (600, 200) and (600, 400)")
    focuses: tuple | None = key(ListOf(_px_point(), 1, 16, what="an array of [x, y] focus points [px]"),
                                None, "one [x, y] per camera (instead of preset)")

    def check(self, where, keys):
        if self.preset is not None and self.focuses is not None:
            where.child("focuses").fail("give cameras.preset or cameras.focuses, not both")
        self.settings(where)

    def settings(self, where=None) -> CameraSettings:
        if self.focuses is not None:
            return _validated(CameraSettings(focuses=tuple(self.focuses)), where)
        return CameraSettings.preset(self.preset or "mono")


@section("genetic", kinds=(KIND,))
@dataclass(frozen=True)
class GeneticSection(Section):
    """The population and the genetic algorithm over its learning rates."""

    population: int = key(Integer(ge=2, le=MAX_POPULATION), _GEN.population,
                          "P, counting the hidden reference as the original does: P - 1 candidates")
    enabled: bool = key(Boolean(), _GEN.enabled, "run the genetic algorithm (never with P = 2)")
    period: int = key(Integer(ge=1, le=MAX_ROUNDS, unit="rounds"), _GEN.period,
                      "rounds between generations")
    replaced: int | None = key(Integer(ge=0, le=MAX_POPULATION), _GEN.replaced,
                               "candidates replaced per generation (default (P - 1) // 2)")
    mutation: float = key(Number(ge=0, le=1), _GEN.mutation,
                          "probability that a child's learning rate is a fresh draw")

    def check(self, where, keys):
        if self.replaced is not None and self.replaced > self.population - 2:
            where.child("replaced").fail(
                f"must be <= population - 2 = {self.population - 2} so the best candidate "
                f"survives, got {self.replaced}")
        self.settings(where)

    def settings(self, where=None) -> GeneticSettings:
        values = {name: getattr(self, name) for name in _GEN.__dataclass_fields__}
        return _validated(GeneticSettings(**values), where)


_VAR = VariantSettings()


@section("variant", kinds=(KIND,))
@dataclass(frozen=True)
class VariantSection(Section):
    """Where the original GECCO code departs from armsim's defaults (the `gecco` preset uses
    the original's choice in all four: `atan`, `unwrapped`, `any`, `first`)."""

    observation: str = key(Choice("observation", OBSERVATIONS), _VAR.observation,
                           "`atan2` (bearing, residual wrapped to (-pi, pi]) or `atan` (the "
                           "original: atan(dy/dx), residual not wrapped)")
    angles: str = key(Choice("angles", ANGLE_MODES), _VAR.angles,
                      "`wrapped` to [0, 2 pi) after every step, or `unwrapped` (the original)")
    second_parent: str = key(Choice("second parent", SECOND_PARENTS), _VAR.second_parent,
                             "the GA's second parent: `other` than the first, or `any` "
                             "survivor (the original)")
    stop_candidate: str = key(Choice("stop candidate", STOP_CANDIDATES), _VAR.stop_candidate,
                              "the stopping test reads the `best` candidate, or the `first` "
                              "(the original)")

    def settings(self, where=None) -> VariantSettings:
        values = {name: getattr(self, name) for name in _VAR.__dataclass_fields__}
        return _validated(VariantSettings(**values), where)


def _validated(settings, where):
    """``settings.validate()``, its ``"field: detail"`` errors raised as scene errors."""
    try:
        return settings.validate()
    except ValueError as exc:
        if where is None:
            raise
        name, _, detail = str(exc).partition(": ")
        where.child(name).fail(detail)


def experiment(scene) -> Experiment:
    """The :class:`~armsim.vision.experiment.Experiment` of a calibration scene.

    Raises
    ------
    ValueError when the scene has no ``[calibration]`` table.
    """
    cal = getattr(scene, KIND, None)
    if cal is None:
        raise ValueError(f"{scene.source}: not a calibration scene (it has no [calibration] table)")
    cameras = scene.cameras or CamerasSection()
    genetic = scene.genetic or GeneticSection()
    variant = scene.variant or VariantSection()
    return Experiment(camera=cameras.settings(), calibration=cal.settings(),
                      genetic=genetic.settings(), variant=variant.settings()).validate()


def _build(scene):
    from armsim.vision.simulation import CalibrationSimulation
    return CalibrationSimulation(experiment(scene), seed=scene.seed,
                                 rounds_per_frame=scene.calibration.rounds_per_frame)


BUILDERS[KIND] = _build
