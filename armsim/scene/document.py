"""Scene files: one TOML file describes one run, validated key by key.

A scene is a few *sections* (TOML tables) plus a top-level ``seed``.  Each
section is one frozen dataclass whose fields carry a :class:`Spec` (type,
bounds, documentation); the loader checks every key against it and raises a
:class:`SceneError` naming the file, the key path and what was expected::

    scenes/x.toml: arm.lengths[2]: must be > 0, got -1.0

Sections register themselves with the :func:`section` decorator, so a module
that owns a new section (cameras, calibration, ...) adds it without touching
this file: before the first load, the loader imports every module of the
:mod:`armsim` package whose source registers a section (a line starting with
``@section(`` or ``@target_kind(``), so their decorators have run.

A scene has a *kind*: ``"ik"`` (an arm chasing a target: ``[arm]`` and
``[target]`` required) unless a table registered with ``marks=`` is present
(``[calibration]`` makes a ``"calibration"`` scene, see
:mod:`armsim.scene.calibration`).  A table registered with ``kinds=`` is an
error in a scene of another kind, and :func:`build_simulation` hands a
non-IK scene to the builder its module put in :data:`BUILDERS`.

The format reference, generated from the same specs, is ``docs/scenes.md``.
"""

from __future__ import annotations

import importlib
import importlib.resources
import pkgutil
import re
import sys
import tomllib
from dataclasses import MISSING, dataclass, field
from pathlib import Path

import tomli_w

from armsim.files import MAX_KEY_PARTS, InputError, bare_cr, long_toml_key, read_regular
from armsim.scene.schema import (DEFAULT_SCENE, IK_KIND, MAX_SCENE_BYTES, SECTIONS, TARGET_KINDS,
                                 TOP_KEYS, SceneError, Table, Where, _suggest, shorten)
from armsim.scene.sections import (MouseTarget, SolverSection, TargetSection, check_spatial,
                                   check_spatial_kind)
from armsim.scene.robot_arm import TREE
from armsim.scene.tree import build_tree, check_tree

__all__ = ["Scene", "from_table", "loads", "load", "default_scene", "override", "dumps",
           "json_schema", "build_simulation", "reference_markdown", "BUILDERS",
           "KIND_CHECKS"]

# -- the scene -------------------------------------------------------------------

@dataclass
class Scene:
    """A loaded, validated scene.

    Attributes
    ----------
    sections : dict[str, Section]
        One entry per registered section present (or implicit); reach them as
        attributes: ``scene.arm``, ``scene.solver``, ... (``None`` when absent).
    seed : int
    source : str
        The file it came from (as given), ``"<string>"`` otherwise; used in
        messages and to resolve relative output paths.  Not part of equality.
    """

    sections: dict = field(default_factory=dict)
    seed: int = 0
    source: str = field(default="<string>", compare=False)

    @property
    def kind(self) -> str:
        """``"ik"``, or the kind a marking table present makes it (``"calibration"``)."""
        return _kind_of(self.sections)

    def __getattr__(self, name):
        sections = self.__dict__.get("sections")
        if sections is not None and (name in sections or name in SECTIONS):
            return sections.get(name)
        raise AttributeError(name)

    @property
    def spatial(self) -> bool:
        """True for an IK scene whose ``[arm]`` is spatial (``robot``, ``urdf`` or ``dh``)."""
        arm = self.sections.get("arm")
        return bool(arm is not None and arm.spatial)

    @property
    def view(self):
        """A spatial scene's camera as a dict with the keys ``azimuth_deg``,
        ``elevation_deg``, ``distance`` [m], ``center`` (3,) [m], ``fov_deg`` and
        ``orbit_deg_per_s``, defaults filled (a scene without ``[view]`` gets them all);
        None for any other scene."""
        if not self.spatial:
            return None
        from armsim.scene.sections import ViewSection
        view = self.sections.get("view") or ViewSection()
        arm = self.sections["arm"]
        arm = arm.tree if arm.tree is not None else arm.chain   # (a moving base: its own size)
        return view.settings(float(getattr(arm, "arm_reach", arm.reach)))

    @property
    def folder(self) -> Path:
        """Folder that relative paths of this scene resolve against."""
        if self.source.startswith("<"):
            return Path.cwd()
        return Path(self.source).resolve().parent

    def resolve(self, path) -> Path:
        """``path`` as written in the scene, resolved against :attr:`folder`."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.folder / p

    @property
    def urdf_file(self) -> Path | None:
        """The URDF file the scene's ``[arm]`` loads (resolved), or None: an input no
        output may replace."""
        urdf = getattr(self.sections.get("arm"), "urdf", None)
        return None if not urdf else self.resolve(urdf)

    def to_table(self) -> dict:
        out = {"seed": self.seed}
        for name, sec in self.sections.items():
            if sec is not None:
                out[name] = sec.to_table()
        return out


_REGISTERS = re.compile(r"^@(?:\w+\.)*(?:section|target_kind)\(", re.MULTILINE)


def _discover():
    """Import, once, every module of the :mod:`armsim.scene` package that registers a
    section or a target kind (one whose source has a line starting ``@section(`` or
    ``@target_kind(``), so tables defined elsewhere are known before the first load."""
    if getattr(_discover, "done", False):
        return
    _discover.done = True
    import importlib.util

    import armsim.scene as package
    for info in pkgutil.iter_modules(package.__path__):
        name = f"{package.__name__}.{info.name}"
        if info.ispkg or name == __name__:
            continue
        spec = importlib.util.find_spec(name)
        try:
            text = Path(spec.origin).read_text(encoding="utf-8")
        except (OSError, TypeError, ValueError):
            continue
        if _REGISTERS.search(text):
            importlib.import_module(name)


def _kind_of(present) -> str:
    """The scene kind of a document whose tables (names) are ``present``."""
    for name, reg in SECTIONS.items():
        if reg.marks and present.get(name) is not None:
            return reg.marks
    return IK_KIND


def _marker(kind) -> str:
    return next((name for name, reg in SECTIONS.items() if reg.marks == kind), "")


def from_table(table: dict, source="<string>") -> Scene:
    """Validate a parsed TOML document (a dict) into a :class:`Scene`.

    The tables present decide the scene's kind (a ``[calibration]`` table makes
    a calibration scene); a table of another kind is an error."""
    _discover()
    where = Where(str(source))
    allowed = tuple(TOP_KEYS) + tuple(SECTIONS)
    for k, v in table.items():
        if k not in allowed:
            hint = _suggest(k, allowed)
            where.child(k).fail("unknown key; " + (hint or "expected one of " + ", ".join(allowed)))
    seed = TOP_KEYS["seed"].metadata["spec"].parse(table["seed"], where.child("seed")) \
        if "seed" in table else TOP_KEYS["seed"].default
    kind = _kind_of(table)
    arm = table.get("arm")
    # a whole robot (arm.tips, or [[tool]] tables) has tools instead of one [target]
    tree = kind == IK_KIND and ("tool" in table or (isinstance(arm, dict) and "tips" in arm))
    sections = {}
    for name, reg in SECTIONS.items():
        if reg.kinds is not None and kind not in reg.kinds:
            if name in table:
                if kind == IK_KIND:
                    marks = " or ".join(f"[{_marker(k)}]" for k in reg.kinds if _marker(k))
                    where.child(name).fail(f"only a scene with {marks} has [{name}]")
                where.child(name).fail(f"a {kind} scene (one with [{_marker(kind)}]) has no [{name}] table")
            continue
        if name in table:
            if name == "target" and getattr(sections.get("arm"), "spatial", False) and \
                    isinstance(table[name], dict):      # by its kind, before its keys
                check_spatial_kind(table[name].get("kind"), where.child(name), table[name])
            token = TREE.set(name == "arm" and "tool" in table)
            try:
                sections[name] = reg.cls.from_table(table[name], where.child(name))
            finally:
                TREE.reset(token)
        elif reg.required and not (tree and name == "target"):
            where.child(name).fail(f"missing table [{name}]")
        elif reg.implicit:
            sections[name] = reg.cls.from_table({}, where.child(name))
    if kind == IK_KIND:
        check_spatial(sections, where)
        check_tree(sections, where, table, tree)
    if kind in KIND_CHECKS:
        KIND_CHECKS[kind](sections, where, table)
    for sec in list(sections.values()):     # rules of a table against the others
        if hasattr(sec, "check_scene"):
            sec.check_scene(sections, where)
    return Scene(sections=sections, seed=seed, source=str(source))


_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


_LONG_INT = re.compile(r"(?<![\w.])[+-]?[0-9][0-9_]*")
_KEY_AT = re.compile(r"[ \t]*([A-Za-z0-9_.-]+)[ \t]*=")
_HEADER = re.compile(r"^[ \t]*\[\[?([A-Za-z0-9_. -]+)\]\]?", re.MULTILINE)


def _long_integer(text: str, source):
    """The SceneError for a decimal integer longer than Python converts (tomllib
    raises a bare ValueError from ``int()``), at its line and column."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 4300
    for m in _LONG_INT.finditer(text):
        digits = sum(ch.isdigit() for ch in m.group())
        if digits > limit:
            start = text.rfind("\n", 0, m.start()) + 1
            line, column = text.count("\n", 0, m.start()) + 1, m.start() - start + 1
            where = f"line {line}, column {column}"
            name = _KEY_AT.match(text, start)
            if name:
                tables = _HEADER.findall(text, 0, start)
                dotted = ".".join(filter(None, (tables[-1].strip() if tables else "", name.group(1))))
                where = f"{shorten(dotted)} (line {line}, column {column})"
            return SceneError(source, where,
                              f"integer of {digits} digits; at most {limit} digits are accepted")
    return SceneError(source, "", "invalid TOML: a number cannot be converted")


def loads(text: str, source="<string>") -> Scene:
    """Parse and validate scene ``text``; ``source`` names it in messages."""
    long_key = long_toml_key(text)      # (tomllib's memory grows with its square)
    if long_key:
        raise SceneError(source, f"line {long_key[0]}, column {long_key[1]}",
                         f"a key of {long_key[2]} dotted parts; at most {MAX_KEY_PARTS} are "
                         f"accepted")
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        if text.lstrip("\ufeff \t\r\n").startswith("<"):      # a URDF under another name
            raise SceneError(source, "", "not a scene (TOML): the file is XML; a URDF runs from "
                             "a name ending in .urdf (expand a .xacro to a URDF first)") from None
        msg = str(exc)
        m = _POSITION.search(msg)
        cr = bare_cr(text, (int(m.group(1)), int(m.group(2))) if m else None)
        if cr is not None:
            raise SceneError(source, *cr) from None
        if m:
            raise SceneError(source, f"line {m.group(1)}, column {m.group(2)}",
                             f"invalid TOML: {msg[:m.start()]}") from None
        msg = msg.replace(" (at end of document)", "")
        lines = text.split("\n")
        raise SceneError(source, f"line {len(lines)}, column {len(lines[-1]) + 1}",
                         f"invalid TOML: {msg} (at the end of the file)") from None
    except RecursionError:
        raise SceneError(source, "", "invalid TOML: nested too deeply") from None
    except ValueError:       # int() of a decimal integer over Python's digit limit
        raise _long_integer(text, source) from None
    return from_table(table, source)


def _read_scene_bytes(path) -> bytes:
    """The bytes of the regular file ``path``, at most :data:`MAX_SCENE_BYTES`
    (:func:`armsim.files.read_regular`: a pipe, a device such as ``/dev/zero`` or a
    directory is refused at once, before any read)."""
    try:
        return read_regular(path, MAX_SCENE_BYTES)
    except InputError as exc:
        if exc.too_large:
            raise SceneError(path, "", f"scene file too large: more than {MAX_SCENE_BYTES} "
                                       f"bytes (1 MiB)") from None
        raise SceneError(path, "", f"cannot read scene file: {exc}") from None


def load(path) -> Scene:
    """Load the scene file at ``path`` (str or Path): a regular file of at most
    :data:`MAX_SCENE_BYTES` bytes of UTF-8 TOML."""
    data = _read_scene_bytes(path)
    try:       # (a byte-order mark, which some editors write first, is not TOML: skipped)
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SceneError(path, "", f"not UTF-8 text (byte {exc.start})") from None
    return loads(text, source=str(path))


def default_scene() -> Scene:
    """The built-in scene, shipped inside the package (``armsim/scene/default.toml``)."""
    res = importlib.resources.files("armsim.scene") / DEFAULT_SCENE
    scene = loads(res.read_text(encoding="utf-8"), source=f"<armsim>/scene/{DEFAULT_SCENE}")
    return scene


def override(scene: Scene, values: dict) -> Scene:
    """A copy of ``scene`` with keys replaced and validated again.

    ``values`` maps dotted key paths to TOML-like values, e.g.
    ``{"render.fps": 12, "solver.method": "dls", "seed": 3}``.
    """
    table = scene.to_table()
    for dotted, value in values.items():
        parts = dotted.split(".")
        node = table
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return from_table(table, scene.source)


# -- writing TOML ----------------------------------------------------------------

def _value(v) -> str:
    """A value as it is written inline in TOML (for the format reference)."""
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return tomli_w.dumps({"v": v}).split("=", 1)[1].strip()


def dumps(scene: Scene) -> str:
    """The scene as TOML text (written by ``tomli_w``); ``loads(dumps(s)) == s``."""
    return tomli_w.dumps(scene.to_table())


def json_schema() -> dict:
    """A JSON Schema (draft 2020-12) of the scene format, from the same specs as the loader.

    Editors that read JSON Schemas for TOML (Even Better TOML / taplo: a first line
    ``#:schema ./scene.schema.json``) then complete keys, show their docs and flag
    wrong types and bounds as the user types.  The loader stays the reference: rules
    across keys (one angle per segment, limits in order, ...) are checked there only.
    """
    _discover()
    props = {"seed": dict(TOP_KEYS["seed"].metadata["spec"].schema(),
                          description=TOP_KEYS["seed"].metadata["doc"])}
    for name, reg in SECTIONS.items():
        props[name] = dict(reg.cls.json_schema())
        props[name]["description"] = reg.doc
    ik = [n for n, r in SECTIONS.items() if r.required and (r.kinds is None or IK_KIND in r.kinds)]
    tree = [n if n != "target" else "tool" for n in ik]       # a whole robot: [[tool]]
    marks = [n for n, r in SECTIONS.items() if r.marks]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "armsim scene",
            "description": "A scene file of armsim (TOML). Reference: docs/scenes.md.",
            "type": "object", "properties": props, "additionalProperties": False,
            "anyOf": [{"required": ik}, {"required": tree}] + [{"required": [m]} for m in marks]}


# -- from a scene to a running simulation ----------------------------------------

def _solver_kwargs(s: SolverSection, source, seed=0) -> dict:
    import inspect

    from armsim.ik import Solver
    kwargs = {"method": s.method, "correction": s.correction,
              "iterations_per_frame": s.iterations_per_frame}
    for name in ("step_size", "max_angular_speed", "damping", "max_joint_step"):
        if getattr(s, name) is not None:
            kwargs[name] = getattr(s, name)
    if s.tolerance is not None:
        kwargs["tol"] = s.tolerance
    if s.restarts:
        if "restarts" not in inspect.signature(Solver).parameters:
            raise SceneError(source, "solver.restarts", "this armsim's solver has no restarts; use 0")
        kwargs["restarts"] = s.restarts
    if "seed" in inspect.signature(Solver).parameters:
        kwargs["seed"] = seed
    return kwargs


#: scene kind -> function(scene) -> simulation, for kinds other than ``"ik"``;
#: the module that owns a kind adds its builder (``armsim.scene.calibration``).
BUILDERS: dict = {}
#: scene kind -> function(sections, where, table) checking rules across its tables
#: (``table``: the parsed document; raises SceneError); the module that owns a kind adds it (``armsim.scene.calibration``).
KIND_CHECKS: dict = {}


def build_simulation(scene: Scene):
    """The simulation a scene describes.

    A spatial IK scene (``[arm]`` with ``robot``, ``urdf`` or ``dh``) gives an
    :class:`armsim.ik.spatial_tracking.SpatialSimulation`.
    A planar IK scene gives an :class:`armsim.ik.tracking.Simulation`; with a ``[compare]``
    table it carries a second arm (``sim.companions[0]``) that follows the same
    target with the other solver.  A scene of another kind is built by the
    builder its module registered in :data:`BUILDERS` (a calibration scene
    gives an :class:`armsim.vision.simulation.CalibrationSimulation`).  Every
    simulation has ``step(target=None) -> state``, ``state``, ``reset()`` and
    ``report() -> dict``.
    """
    if scene.kind != IK_KIND:
        _discover()
        return BUILDERS[scene.kind](scene)
    import numpy as np

    from armsim.kinematics.planar import Chain
    from armsim.ik.tracking import Simulation
    from armsim.ik import default_start

    arm = scene.arm
    if arm.spatial:
        return _build_spatial(scene)
    chain = Chain(arm.lengths, arm.base, arm.limits)
    q0 = default_start(chain) if arm.angles is None else np.array(arm.angles)
    target = scene.target
    if isinstance(target, MouseTarget) and target.start is None:
        target = MouseTarget(tuple(float(v) for v in chain.tip(q0)))
    tol = getattr(target, "tolerance", None)

    from armsim.scene.objectives import objectives_for
    objectives = objectives_for(scene, chain.clip(q0), chain)   # shared by the arms (dragged)

    def make(solver_section, label):
        path = target.make(chain, scene.seed)
        extra = {"objectives": objectives} if objectives else {}
        return Simulation(chain, path, q0, trail_length=scene.render.trail_length, label=label,
                          reach_tolerance=tol, **extra,
                          **_solver_kwargs(solver_section, scene.source, scene.seed))

    def label(s):
        return f"{s.method}/{s.correction}" if s.method == "gradient" else s.method

    if scene.compare is None:
        return make(scene.solver, "")
    sim = make(scene.solver, label(scene.solver))
    other = scene.compare.solver(scene.solver)
    sim.add_companion(make(other, scene.compare.label or label(other)))
    return sim


def _build_spatial(scene: Scene):
    """The :class:`armsim.ik.spatial_tracking.SpatialSimulation` of a spatial scene."""
    import numpy as np

    from armsim.ik import SpatialTarget
    from armsim.ik.spatial_tracking import SpatialSimulation
    from armsim.scene.sections import MouseTarget as Mouse

    arm, target = scene.arm, scene.target
    if arm.tree is not None:                  # a whole robot: armsim.scene.tree
        return build_tree(scene, _solver_kwargs(scene.solver, scene.source, scene.seed))
    chain = arm.chain
    q0 = SpatialTarget(chain, "position").default_start() if arm.angles is None else \
        SpatialTarget(chain, "position").clip(np.array(arm.angles, dtype=float))
    if isinstance(target, Mouse) and target.start is None:
        import dataclasses
        target = dataclasses.replace(target, start=tuple(float(v) for v in chain.pose(q0)[1]))
    kwargs = _solver_kwargs(scene.solver, scene.source, scene.seed)
    from armsim.scene.objectives import objectives_for
    objectives = objectives_for(scene, q0, chain)
    if objectives:
        kwargs["objectives"] = objectives
    try:
        return SpatialSimulation(chain, target.make(chain, scene.seed), q0,
                                 trail_length=scene.render.trail_length,
                                 weights=getattr(target, "weights", None),
                                 reach_tolerance=getattr(target, "tolerance", None), **kwargs)
    except ValueError as exc:      # e.g. a method the spatial chain refuses (fabrik)
        key = "solver.method" if "method" in str(exc) else "target"
        raise SceneError(scene.source, key, str(exc)) from None


def reference_markdown() -> str:
    """The key reference of every registered section, as Markdown tables."""
    _discover()

    def rows(cls):  # one Markdown row per key
        out = ["| key | type | default | meaning |", "|---|---|---|---|"]
        for name, f in cls.specs().items():
            default = "required" if f.default is MISSING else (
                "none" if f.default is None else "`" + _value(f.metadata["spec"].dump(f.default)) + "`")
            spec = f.metadata["spec"]
            kind = spec.expected
            if getattr(spec, "listed_in", ""):
                kind = f"a name in `{spec.listed_in}` (now {kind})"
            out.append(f"| `{name}` | {kind} | {default} | {f.metadata['doc']} |")
        return out

    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, f in TOP_KEYS.items():
        lines.append(f"| `{name}` | {f.metadata['spec'].expected} | `{f.default}` | {f.metadata['doc']} |")
    for name, reg in SECTIONS.items():
        need = "required" if reg.required else ("optional" if reg.implicit else "optional, off when absent")
        if reg.marks:
            need = f"makes a {reg.marks} scene"
        elif reg.kinds is not None:
            need += " in " + " and ".join(f"{k.upper() if k == IK_KIND else k} scenes" for k in reg.kinds)
        lines += ["", f"### [{name}] ({need})", "", reg.doc, ""]
        if reg.cls is TargetSection:
            lines.append("`kind` (required) is one of " + ", ".join(f"`{k}`" for k in TARGET_KINDS)
                         + "; each kind has its own keys.")
            for kind, cls in TARGET_KINDS.items():
                lines += ["", f"#### kind = \"{kind}\"", "", (cls.__doc__ or "").strip(), ""] + rows(cls)
        elif hasattr(reg.cls, "reference"):     # an array of tables ([[obstacle]])
            lines += reg.cls.reference(rows)
        else:
            lines += rows(reg.cls)
            for f in reg.cls.specs().values():
                spec = f.metadata["spec"]
                if isinstance(spec, Table):
                    lines += ["", f"#### [{name}.{f.name}]", "", (spec.cls.__doc__ or "").strip(), ""] + rows(spec.cls)
    return "\n".join(lines) + "\n"
