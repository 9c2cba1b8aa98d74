"""Scene tables of the visual problem: ``[calibration]``, ``[cameras]``, ``[genetic]``, ``[variant]``,
``[[camera]]``.

A scene with a ``[calibration]`` table is a *calibration scene*: a hidden
reference arm chases a target, cameras watch it, and a population of
candidate models learns its lengths and angles (:mod:`armsim.vision.calibration`).
It has no ``[arm]``, ``[target]``, ``[solver]`` or ``[compare]`` table;
``[render]`` and ``[output]`` work as in any scene.  Coordinates are those of
the ``gecco`` problem: canvas pixels, y down.

With ``calibration.robot`` (``"ur5"`` or ``"panda"``) the scene is the visual problem
in 3D (:mod:`armsim.vision.spatial_calibration`): a shipped robot with seeded kinematic
deviations moves through ``poses`` known configurations, the pinhole cameras of the
``[[camera]]`` tables (one or two, their poses unknown to the learner) see its joints, and
candidates learn the deviations and the camera poses.  Such a scene has neither the
planar keys of ``[calibration]`` (``segments``, ``length_range``, ...) nor ``[cameras]``
or ``[variant]``; a planar one has no ``[[camera]]``.

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
from armsim.vision import spatial_calibration as spatial
from armsim.vision.population import MAX_POPULATION
from armsim.vision.spatial_run import MAX_SPREAD
from armsim.vision.camera3d import FOCAL, FOCAL_WHY, Camera, Intrinsics, principal_problem
from armsim import ranges
from armsim.scene import (BIG, BUILDERS, SMALL, Boolean, Choice, Integer, ListOf, Number, SceneError,
                          Section, key, section)
from armsim.scene.document import KIND_CHECKS
from armsim.scene.schema import Reasoned
from armsim.scene.spatial_keys import _RPY

__all__ = ["CalibrationSection", "CamerasSection", "GeneticSection", "VariantSection",
           "CameraSection", "experiment", "spatial_simulation", "MAX_SEGMENTS", "MAX_POPULATION",
           "SPATIAL_KEYS", "PLANAR_KEYS"]

KIND = "calibration"
MAX_SEGMENTS = 20          # bounds that keep one round of the whole population cheap
MAX_WINDOW = 1000
MAX_ROUNDS = ranges.MAX_ROUNDS

_CAL = CalibrationSettings()
_GEN = GeneticSettings()
_SPATIAL = spatial.SpatialSetup()
_K = Intrinsics()
MAX_CAMERAS = 2


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
    robot: str | None = key(Choice("robot", spatial.ROBOTS), None,
                            "3D: the hidden robot, a shipped model (ur5 or panda); makes the "
                            "scene the visual problem in 3D, seen by the [[camera]] tables")
    poses: int = key(Integer(ge=1, le=10_000), _SPATIAL.poses,
                     "3D: commanded joint configurations (known, as encoder readings)")
    zero_offset: float = key(Number(ge=0, le=1, unit="rad"), _SPATIAL.zero_offset,
                             "3D: size of the joint zero offsets (uniform in +-)")
    origin_offset: float = key(Number(ge=0, le=1, unit="m"), _SPATIAL.origin_offset,
                               "3D: size of the joint origin and tool offsets (uniform in +- "
                               "per coordinate)")
    camera_error: float = key(Number(ge=0, le=1, unit="rad and m"), _SPATIAL.camera_error,
                              "3D: size of the learner's initial camera pose error (uniform in +-)")
    rig: bool = key(Boolean(), True, "3D, two cameras: a stereo rig (their relative pose "
                                     "known, one unknown pose) or two independent cameras")
    occlusion_radius: float = key(Number(gt=0, le=1, unit="m"), 0.05,
                                  "3D: link capsule radius of a camera with occlusion = true: a "
                                  "joint is hidden when its line of sight comes this close to a "
                                  "link it is not on (a wider radius hides more)")
    spread: float = key(Number(ge=0, le=MAX_SPREAD), 1.0,
                        "3D: candidates after the first start off by uniform draws of this many "
                        "deviation sizes")

    def check(self, where, keys):
        if self.robot is not None:
            if self.learner not in spatial.LEARNERS:
                where.child("learner").fail(
                    f"the 3D problem has no learner {self.learner!r}; choose one of "
                    f"{', '.join(spatial.LEARNERS)}")
            return
        self.settings(where)

    def to_table(self):
        out = super().to_table()
        for name in (PLANAR_KEYS if self.robot is not None else SPATIAL_KEYS):
            out.pop(name, None)
        return out

    @classmethod
    def normalize(cls, table, where):
        if "robot" in table:
            for name in PLANAR_KEYS:
                if name in table:
                    where.child(name).fail("a 3D calibration (calibration.robot) has no "
                                           f"{name}; remove it")
        else:
            for name in SPATIAL_KEYS:
                if name in table:
                    where.child(name).fail("only a 3D calibration (with calibration.robot) "
                                           f"has {name}")
        return table

    def settings(self, where=None) -> CalibrationSettings:
        """The core's :class:`CalibrationSettings` (its own checks too, as scene errors)."""
        values = {name: getattr(self, name) for name in _CAL.__dataclass_fields__}
        return _validated(CalibrationSettings(**values), where)


#: keys of [calibration] that only a 3D (robot) or only a planar calibration has
SPATIAL_KEYS = ("poses", "zero_offset", "origin_offset", "camera_error", "rig",
                "occlusion_radius", "spread")
PLANAR_KEYS = ("segments", "length_range", "angle_range", "base", "canvas", "target_start",
               "target_period", "max_speed", "rate_range", "criterion", "loss_threshold",
               "check_period", "length_tolerance", "angle_tolerance", "window", "damping")


def _vec3(what):
    return ListOf(Number(ge=-BIG, le=BIG), 3, 3, what=f"{what} (three numbers)")


@section("camera", implicit=False, kinds=(KIND,))
@dataclass(frozen=True)
class CameraSection(Section):
    """A 3D calibration's pinhole cameras: an array of tables `[[camera]]`, 1 or 2 of them.

    Each camera's pose is given by `eye`, `center` (and `up`, `roll`) or by `position` and
    `rpy`; its intrinsics, noise and occlusion by the other keys."""

    eye: tuple | None = key(_vec3("[x, y, z] [m]"), None, "look-at pose: the optical centre")
    center: tuple | None = key(_vec3("[x, y, z] [m]"), None, "look-at pose: the point on the "
                                                              "optical axis")
    up: tuple = key(_vec3("[x, y, z]"), (0.0, 0.0, 1.0), "look-at pose: image up is towards this")
    roll: float = key(Number(ge=-10, le=10, unit="rad"), 0.0,
                      "look-at pose: then turned by this about the optical axis")
    position: tuple | None = key(_vec3("[x, y, z] [m]"), None,
                                 "explicit pose: the optical centre (with rpy)")
    rpy: tuple | None = key(_RPY, None,
                            "explicit pose: world from camera, about fixed x, y, z; camera x "
                            "right, y down, z forward")
    fx: float = key(Reasoned(FOCAL, FOCAL_WHY), _K.fx, "focal length along image x")
    fy: float = key(Reasoned(FOCAL, FOCAL_WHY), _K.fy, "focal length along image y")
    cx: float = key(Number(ge=-BIG, le=BIG, unit="px"), _K.cx, "principal point x")
    cy: float = key(Number(ge=-BIG, le=BIG, unit="px"), _K.cy, "principal point y")
    width: int = key(Integer(ge=1, le=100_000, unit="px"), _K.width, "image width")
    height: int = key(Integer(ge=1, le=100_000, unit="px"), _K.height, "image height")
    sigma: float = key(Number(ge=0, le=spatial.MAX_SIGMA, unit="px"), 0.0,
                       "Gaussian pixel noise (0: none; else at least 1e-6 px)")
    occlusion: bool = key(Boolean(), False, "joints hidden behind a link capsule (radius "
                                            "calibration.occlusion_radius) are not observed")

    @classmethod
    def from_table(cls, table, where):
        if isinstance(table, dict):
            where.fail("expected an array of tables [[camera]] (one per camera), got a table "
                       "[camera]")
        if not isinstance(table, list) or not all(isinstance(t, dict) for t in table):
            where.fail("expected an array of tables [[camera]] (one per camera)")
        if not 1 <= len(table) <= MAX_CAMERAS:
            where.fail(f"must have 1 to {MAX_CAMERAS} [[camera]] tables, got {len(table)}")
        one = super().from_table
        return CameraTables(one(t, where.item(i)) for i, t in enumerate(table))

    def check(self, where, keys):
        look = self.eye is not None or self.center is not None
        explicit = self.position is not None or self.rpy is not None
        if look and explicit:
            where.child("position" if self.position is not None else "rpy").fail(
                "give eye and center, or position and rpy, not both")
        if look and (self.eye is None or self.center is None):
            where.child("center" if self.center is None else "eye").fail(
                "missing; a look-at pose needs eye and center")
        if explicit and (self.position is None or self.rpy is None):
            where.child("rpy" if self.rpy is None else "position").fail(
                "missing; an explicit pose needs position and rpy")
        if not (look or explicit):
            where.child("eye").fail("missing; give eye and center, or position and rpy")
        for name, side in (("cx", "width"), ("cy", "height")):
            detail = principal_problem(getattr(self, name), getattr(self, side), side)
            if detail is not None:
                where.child(name).fail(detail)
        if spatial.sigma_problem(self.sigma) is not None:
            where.child("sigma").fail(spatial.sigma_problem(self.sigma))
        try:
            self.camera()
        except ValueError as exc:
            detail = str(exc).replace("look_at: ", "")
            if detail.startswith("up "):
                where.child("up").fail(detail[len("up "):])
            where.child("center").fail(detail)

    def camera(self) -> Camera:
        k = Intrinsics(self.fx, self.fy, self.cx, self.cy, self.width, self.height)
        if self.eye is not None:
            return Camera.look_at(self.eye, self.center, self.up, self.roll, k)
        return Camera(tuple(self.rpy), tuple(self.position), k)

    @classmethod
    def json_schema(cls):
        item = super().json_schema()
        return {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_CAMERAS,
                "description": item.get("description", "")}


class CameraTables(tuple):
    """The ``[[camera]]`` tables of a scene (a tuple of :class:`CameraSection`)."""

    def to_table(self):
        return [c.to_table() for c in self]


def _check_kind(sections, where, table):
    """Rules across the tables of a calibration scene (3D or planar)."""
    cal = sections.get(KIND)
    cams = sections.get("camera")
    if cal is not None and cal.robot is not None:
        for name, default in (("cameras", CamerasSection()), ("variant", VariantSection())):
            # (a dumped scene carries these implicit tables at their defaults)
            if name in table and sections.get(name) != default:
                where.child(name).fail(f"a 3D calibration (calibration.robot) has no [{name}] "
                                       "table; its cameras are [[camera]] tables")
        if cams is None:
            where.child("camera").fail("missing; a 3D calibration (calibration.robot) needs "
                                       f"1 to {MAX_CAMERAS} [[camera]] tables")
    elif cams is not None:
        where.child("camera").fail("only a 3D calibration (with calibration.robot) has "
                                   "[[camera]] tables; a planar one has [cameras]")


KIND_CHECKS[KIND] = _check_kind


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
    if cal.robot is not None:
        raise SceneError(scene.source, "calibration.robot",
                         "a 3D calibration is not a planar experiment (no sweep of it yet)")
    cameras = scene.cameras or CamerasSection()
    genetic = scene.genetic or GeneticSection()
    variant = scene.variant or VariantSection()
    return Experiment(camera=cameras.settings(), calibration=cal.settings(),
                      genetic=genetic.settings(), variant=variant.settings()).validate()


def spatial_setup(scene):
    """The :class:`~armsim.vision.spatial_calibration.SpatialSetup`, the true cameras, their
    noise and occlusion flags of a 3D calibration scene."""
    cal, cams = scene.calibration, scene.camera
    sigmas = [c.sigma for c in cams]
    occlude = [c.occlusion for c in cams]
    setup = spatial.SpatialSetup(robot=cal.robot, cameras=len(cams), rig=cal.rig,
                                 poses=cal.poses, sigma=max(sigmas),
                                 zero_offset=cal.zero_offset, origin_offset=cal.origin_offset,
                                 camera_error=cal.camera_error,
                                 occlusion=cal.occlusion_radius if any(occlude) else None)
    return setup, [c.camera() for c in cams], sigmas, occlude


def spatial_simulation(scene):
    """The :class:`~armsim.vision.spatial_simulation.SpatialCalibrationSimulation` of a 3D
    calibration scene (``[genetic]`` gives population, period and mutation)."""
    from armsim.vision.spatial_simulation import SpatialCalibrationSimulation
    cal = scene.calibration
    gen = scene.genetic or GeneticSection()
    # a 3D run's genetic algorithm (proportional, adam) replaces the worst half every period
    # rounds, and lm has none: [genetic]'s switch and count would be ignored, so are refused
    if not gen.enabled:
        raise SceneError(scene.source, "genetic.enabled", "a 3D calibration (calibration.robot) "
                         "has no switch for its genetic algorithm (learner 'lm' runs none, "
                         "'proportional' and 'adam' always do); remove it")
    if gen.replaced is not None:
        raise SceneError(scene.source, "genetic.replaced", "a 3D calibration (calibration.robot) "
                         "replaces the worst half of its candidates every period rounds; remove "
                         "it")
    setup, cams, sigmas, occlude = spatial_setup(scene)
    try:
        return SpatialCalibrationSimulation(setup, scene.seed, cams, sigmas, occlude,
                                            learner=cal.learner, population=gen.population,
                                            period=gen.period, mutation=gen.mutation,
                                            spread=cal.spread,
                                            rounds_per_frame=cal.rounds_per_frame,
                                            max_rounds=cal.max_rounds,
                                            tolerance=cal.length_tolerance)
    except ValueError as exc:
        where, _, detail = str(exc).partition(": ")
        where = "genetic.population" if where == "population" else where   # its scene key
        raise SceneError(scene.source, where, detail) from None


def _build(scene):
    from armsim.vision.simulation import CalibrationSimulation
    if scene.calibration.robot is not None:
        return spatial_simulation(scene)
    return CalibrationSimulation(experiment(scene), seed=scene.seed,
                                 rounds_per_frame=scene.calibration.rounds_per_frame)


BUILDERS[KIND] = _build
