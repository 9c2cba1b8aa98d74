"""Scene files: round trip, exact error messages, fuzzing, overrides, shipped scenes."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from armsim import scene as sc
from armsim.scene import document
from armsim.scene import SceneError, build_simulation, dumps, load, loads, override
from armsim.ik import CORRECTIONS, METHODS

document._discover()      # every section and target kind registered before the lists below are built

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenes").glob("*.toml"))
# arms chasing targets; the calibration scenes (tests/test_calibration_scene.py) have no [arm]
SHIPPED_IK = [p for p in SHIPPED if not p.name.startswith("calibrate-")]

ARM = '[arm]\nlengths = [0.5, 0.3, 0.2]\n'
FIXED = '[target]\nkind = "fixed"\npoint = [0.4, 0.3]\n'


def error_of(text, source="scenes/x.toml"):
    with pytest.raises(SceneError) as info:
        loads(text, source)
    return str(info.value)


# -- round trip ------------------------------------------------------------------

FULL = """
seed = 12
[arm]
lengths = [0.5, 0.25, 0.25]
base = [0.1, -0.2]
angles_deg = [10, -20, 30]
limits_deg = [[-90, 90], [-45, 45], [-180, 180]]
[target]
kind = "waypoints"
points = [[0.5, 0.5], [-0.3, 0.2], [0.0, -0.6]]
hold = [30, 45.5, 10]
loop = true
tolerance = 0.005
[solver]
method = "dls"
damping = 0.2
max_joint_step = 0.1
tolerance = 1e-7
iterations_per_frame = 9
[compare]
label = "the \\"original\\" law\\tä"
method = "gradient"
correction = "clip"
max_angular_speed = 0.4
[render]
size = [320, 200]
fps = 12
frames = 33
theme = "light"
show_jacobian = false
trail_length = 0
[render.colors]
background = "#FFFFFF"
segments = ["#102030", "#405060"]
[output]
gif = "out dir/run.gif"
report = "/tmp/r.json"
"""


@pytest.mark.parametrize("path", SHIPPED + [None], ids=[p.name for p in SHIPPED] + ["full"])
def test_round_trip(path):
    s = load(path) if path else loads(FULL, "full.toml")
    text = dumps(s)
    again = loads(text)
    assert again == s
    assert dumps(again) == text


def test_round_trip_values_are_the_dataclasses():
    s = loads(FULL, "full.toml")
    assert isinstance(s.arm, sc.ArmSection) and isinstance(s.target, sc.WaypointsTarget)
    assert s.arm.angles == pytest.approx(tuple(math.radians(a) for a in (10, -20, 30)))
    assert s.arm.limits[1] == pytest.approx((-math.pi / 4, math.pi / 4))
    assert s.target.hold == (30.0, 45.5, 10.0)
    assert s.render.colors.background == "#ffffff" and s.render.colors.reach is None
    assert s.compare.label == 'the "original" law\tä'
    assert s.seed == 12 and s.render.size == (320, 200)
    assert s.solver.restarts == 0 and s.solver.step_size is None
    # absent optional sections: implicit ones hold their defaults, [compare] is None
    minimal = loads(ARM + FIXED)
    assert minimal.render == sc.RenderSection() and minimal.solver == sc.SolverSection()
    assert minimal.compare is None and minimal.output.gif is None and minimal.seed == 0


def test_every_target_kind_round_trips():
    kinds = {
        "fixed": 'point = [1, 2]',
        "mouse": 'start = [0.1, 0.2]',
        "waypoints": 'points = [[0, 1], [1, 0]]\ntimes = [0, 12.5]',
        "circle": 'radius = 0.3\nperiod = 90\nclockwise = true\nphase = 1.0',
        "figure8": 'size = [0.5, 0.25]\nperiod = 100',
        "line": 'start = [0, 0]\nend = [1, 0]\nperiod = 60',
        "random": 'every = 5\nradius = 0.4\nseed = 3',
    }
    assert set(kinds) == set(sc.TARGET_KINDS)
    for kind, body in kinds.items():
        s = loads(ARM + f'[target]\nkind = "{kind}"\n{body}\n')
        assert s.target.kind == kind
        assert loads(dumps(s)) == s


# -- every invalid case, exact message --------------------------------------------

_M = ", ".join(METHODS)
INVALID = [
    # impossible values
    (ARM.replace("0.2]", "-1]") + FIXED, "arm.lengths[2]: must be >= 1e-06, got -1.0"),
    ('[arm]\nlengths = [0.5, 0, 1]\n' + FIXED, "arm.lengths[1]: must be >= 1e-06, got 0.0"),
    ('[arm]\nlengths = []\n' + FIXED, "arm.lengths: must have at least 1 item(s), got 0"),
    (ARM + 'limits = [[0, 1], [1, 0.5], [0, 0]]\n' + FIXED,
     "arm.limits[1]: limits reversed: lower 1.0 > upper 0.5"),
    (ARM + 'limits_deg = [[0, 1], [10, -10], [0, 0]]\n' + FIXED,
     "arm.limits_deg[1]: limits reversed: lower 10.0 > upper -10.0"),
    (ARM + FIXED + '[render]\nfps = 0\n', "render.fps: must be > 0, got 0.0"),
    (ARM + '[target]\nkind = "circle"\nradius = 1\nperiod = 0\n',
     "target.period: must be > 0, got 0.0"),
    (ARM + '[target]\nkind = "figure8"\nsize = [1, 1]\nperiod = 0.0\n',
     "target.period: must be > 0, got 0.0"),
    (ARM + '[target]\nkind = "line"\nstart = [0, 0]\nend = [1, 1]\nperiod = -3\n',
     "target.period: must be > 0, got -3.0"),
    (ARM + '[target]\nkind = "circle"\nradius = nan\nperiod = 10\n',
     "target.radius: must be a finite number, got nan"),
    (ARM + '[target]\nkind = "fixed"\npoint = [inf, 0]\n',
     "target.point[0]: must be a finite number, got inf"),
    (ARM + FIXED + '[render]\nsize = [0, 100]\n', "render.size[0]: must be >= 16, got 0"),
    (ARM + FIXED + '[render]\nframes = 0\n', "render.frames: must be >= 1, got 0"),
    (ARM + FIXED + '[solver]\niterations_per_frame = 0\n',
     "solver.iterations_per_frame: must be >= 1, got 0"),
    ('seed = -1\n' + ARM + FIXED, "seed: must be >= 0, got -1"),
    # wrong types
    ('[arm]\nlengths = "abc"\n' + FIXED,
     "arm.lengths: expected an array of numbers >= 1e-06 and <= 1e+06 [m], got string 'abc'"),
    ('[arm]\nlengths = [0.5, true]\n' + FIXED, "arm.lengths[1]: expected a number, got boolean true"),
    (ARM + FIXED + '[render]\nframes = 2.0\n', "render.frames: expected an integer, got 2.0"),
    (ARM + FIXED + '[render]\nshow_trail = 1\n', "render.show_trail: expected true or false, got 1"),
    ('render = 3\n' + ARM + FIXED, "render: expected a table, got 3"),
    (ARM + FIXED + '[render.colors]\ntip = "#12345"\n',
     "render.colors.tip: expected a colour \"#rrggbb\", got string '#12345'"),
    (ARM + FIXED + '[output]\ngif = ""\n', "output.gif: must not be empty"),
    # unknown keys, names
    ('[arm]\nlenghts = [1]\n' + FIXED, "arm.lenghts: unknown key; did you mean 'lengths'?"),
    (ARM + FIXED + '[rendr]\nfps = 3\n', "rendr: unknown key; did you mean 'render'?"),
    ('zzz = 1\n' + ARM + FIXED,
     "zzz: unknown key; expected one of " + ", ".join(("seed",) + tuple(sc.SECTIONS))),
    (ARM + '[target]\nkind = "circle"\nradius = 1\nperiod = 5\nperoid = 4\n',
     "target.peroid: unknown key; did you mean 'period'?"),
    (ARM + '[target]\nkind = "fixed"\npoint = [0, 0]\nradius = 1\n',
     "target.radius: unknown key; expected one of point, quaternion, rpy, weights"),
    (ARM + '[target]\nkind = "cirlce"\n',
     "target.kind: unknown target kind 'cirlce'; choose one of " + ", ".join(sc.TARGET_KINDS)
     + " (did you mean 'circle'?)"),
    (ARM + FIXED + '[solver]\nmethod = "dsl"\n',
     f"solver.method: unknown method 'dsl'; choose one of {_M} (did you mean 'dls'?)"),
    (ARM + FIXED + '[solver]\ncorrection = "banana"\n',
     f"solver.correction: unknown correction 'banana'; choose one of {', '.join(CORRECTIONS)}"),
    # missing and inconsistent keys
    (FIXED, "arm: missing table [arm]"),
    (ARM, "target: missing table [target]"),
    (ARM + '[target]\npoint = [0, 0]\n', "target.kind: missing; expected one of "
     + ", ".join(repr(k) for k in sc.TARGET_KINDS)),
    (ARM + '[target]\nkind = "circle"\nperiod = 5\n',
     "target.radius: missing; expected a number > 0 and <= 1e+06 [m]"),
    (ARM + 'angles = [0, 0]\n' + FIXED, "arm.angles: must have 3 item(s), one per segment, got 2"),
    (ARM + 'angles = [0, 0, 0]\nangles_deg = [0, 0, 0]\n' + FIXED,
     "arm.angles_deg: give arm.angles [rad] or arm.angles_deg [deg], not both"),
    (ARM + 'angles_deg = [0, 100, 0]\nlimits_deg = [[-90, 90], [-90, 90], [-90, 90]]\n' + FIXED,
     "arm.angles_deg[1]: must be within arm.limits_deg[1] = [-90.0, 90.0] deg, got 100.0 deg"),
    (ARM + '[target]\nkind = "waypoints"\npoints = [[0, 0], [1, 1]]\n',
     "target.hold: give exactly one of target.hold [frames] and target.times [frames]"),
    (ARM + '[target]\nkind = "waypoints"\npoints = [[0, 0], [1, 1]]\nhold = [1, 2, 3]\n',
     "target.hold: must have 2 item(s), one per waypoint, got 3"),
    (ARM + '[target]\nkind = "waypoints"\npoints = [[0, 0], [1, 1]]\ntimes = [5, 5]\n',
     "target.times[1]: must be > target.times[0] = 5.0, got 5.0"),
    (ARM + '[target]\nkind = "line"\nstart = [1, 2]\nend = [1, 2]\nperiod = 9\n',
     "target.end: must differ from target.start, got [1.0, 2.0]"),
    # TOML syntax: line and column
    (ARM + FIXED + '[render]\nfps = = 3\n', "line 7, column 7: invalid TOML: Invalid value"),
    ('[arm]\nlengths = [1, 2\n', "line 3, column 1: invalid TOML: Unclosed array (at the end of the file)"),
]


@pytest.mark.parametrize("text, message", INVALID, ids=[m.split(":")[0] + f"#{i}" for i, (_, m) in enumerate(INVALID)])
def test_invalid_scene_message(text, message):
    assert error_of(text) == "scenes/x.toml: " + message


def test_file_errors(tmp_path):
    missing = tmp_path / "nope.toml"
    with pytest.raises(SceneError, match=r"nope\.toml: cannot read scene file: No such file"):
        load(missing)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"seed = 1\n\xff\xfe\n")
    with pytest.raises(SceneError) as info:
        load(bad)
    assert str(info.value) == f"{bad}: not UTF-8 text (byte 9)"


# -- fuzzing: loads a valid scene or raises SceneError, nothing else ---------------

def _accepts_or_scene_error(text):
    try:
        s = loads(text, "fuzz.toml")
    except SceneError as exc:
        assert str(exc).startswith("fuzz.toml: ")
        assert "\n" not in str(exc)
        return None
    try:
        sim = build_simulation(s)   # a valid scene builds and runs
    except SceneError as exc:       # or is refused where its arm is needed to judge it (an
        assert str(exc).startswith("fuzz.toml: ")      # obstacle holding the base, a
        assert "\n" not in str(exc)                     # point no joint moves): one line
        return None
    if s.kind == "calibration":     # one round (a frame may hold many)
        sim.run.step()
        state = sim.state
        assert np.all(np.isfinite(state.reference)) and np.all(np.isfinite(state.candidates))
        assert np.all(np.isfinite(state.losses))
        return s
    state = sim.step()
    assert np.all(np.isfinite(state.q)) and np.isfinite(state.error)
    return s


KNOWN_KEYS = sorted({k for reg in sc.SECTIONS.values() for k in reg.cls.allowed_keys()}
                    | {k for cls in sc.TARGET_KINDS.values() for k in cls.allowed_keys()}
                    | {"kind", "seed"} | set(sc.SECTIONS))

scalars = st.one_of(
    st.integers(-5, 300), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.sampled_from(list(sc.TARGET_KINDS) + list(METHODS) + ["#a0b0c0", "", "x"]),
    st.text(max_size=8),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.sampled_from(KNOWN_KEYS), inner, max_size=4)),
                      max_leaves=12)
tables = st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), st.text(min_size=1, max_size=6)),
                         values, max_size=6)
plausible = st.one_of(st.floats(-2, 2), st.integers(-2, 400),
                      st.lists(st.floats(-2, 2), min_size=1, max_size=3),
                      st.lists(st.lists(st.floats(-2, 2), min_size=2, max_size=2), min_size=1, max_size=3))
edits = st.dictionaries(st.sampled_from(KNOWN_KEYS), st.one_of(plausible, values), max_size=3)
documents = st.fixed_dictionaries(
    {}, optional={name: tables for name in sc.SECTIONS} | {"seed": scalars})


@st.composite
def near_valid_documents(draw):
    """A shipped scene with a few keys of its sections added, replaced or removed."""
    table = load(draw(st.sampled_from(SHIPPED))).to_table()
    for name in draw(st.lists(st.sampled_from(list(sc.SECTIONS)), max_size=3, unique=True)):
        sec = table.setdefault(name, {})
        if not isinstance(sec, dict):
            continue
        for k in draw(st.lists(st.sampled_from(sorted(sec) or ["x"]), max_size=2)):
            sec.pop(k, None)
        sec.update(draw(edits))
    return table


def _toml(doc):
    """Write a random document with the scene writer (NaN as the literal nan)."""
    def fix(v):
        if isinstance(v, float) and math.isnan(v):
            return math.inf      # the writer refuses NaN; NaN text comes from the mutations below
        if isinstance(v, (list, tuple)):
            return [fix(x) for x in v]
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v
    return tomli_w.dumps(fix(doc))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_fuzz_random_documents(doc):
    _accepts_or_scene_error(_toml(doc))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_valid_documents())
def test_fuzz_near_valid_documents(doc):
    _accepts_or_scene_error(_toml(doc))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SHIPPED), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3),
                                                    st.sampled_from(list('[]{}=",.#\n -0123456789e') + ["nan", "inf", "true", "kind", "lengths", "\\"])),
                                          min_size=1, max_size=6))
def test_fuzz_mutated_scenes(path, edits):
    text = path.read_text()
    for pos, op, piece in edits:
        pos %= len(text) + 1
        if op == 0:
            text = text[:pos] + piece + text[pos:]            # insert
        elif op == 1:
            text = text[:pos] + text[pos + 1:]                # delete a character
        elif op == 2:
            text = text[:pos] + piece + text[pos + len(piece):]   # overwrite
        else:
            lines = text.split("\n")                          # swap two lines
            i, j = pos % len(lines), (pos * 7 + 3) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    _accepts_or_scene_error(text)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SHIPPED), st.data())
def test_fuzz_value_swaps(path, data):
    """Replace one value of a valid scene by a random TOML value."""
    s = load(path)
    table = s.to_table()
    name = data.draw(st.sampled_from([k for k, v in table.items() if isinstance(v, dict) and v]))
    keys = list(table[name])
    k = data.draw(st.sampled_from(keys))
    table[name][k] = data.draw(values)
    _accepts_or_scene_error(_toml(table))


# -- overrides, defaults, paths --------------------------------------------------

def test_override_replaces_and_validates():
    s = load(ROOT / "scenes" / "seven_link_figure8.toml")
    t = override(s, {"render.fps": 12, "solver.method": "dls", "seed": 5, "output.gif": "a.gif"})
    assert (t.render.fps, t.solver.method, t.seed, t.output.gif) == (12, "dls", 5, "a.gif")
    assert t.arm == s.arm and t.target == s.target and t.source == s.source
    assert s.render.fps == 30      # the original is untouched
    with pytest.raises(SceneError) as info:
        override(s, {"render.fps": 0})
    assert str(info.value) == f"{s.source}: render.fps: must be > 0, got 0.0"


def test_default_scene_is_a_shipped_scene_and_works_anywhere(tmp_path):
    packaged = ROOT / "armsim" / "scene" / sc.DEFAULT_SCENE
    assert packaged.read_bytes() == (ROOT / "scenes" / "seven_link_figure8.toml").read_bytes()
    code = ("from armsim.scene import default_scene, build_simulation\n"
            "s = default_scene(); sim = build_simulation(s); sim.step()\n"
            "print(s.arm.lengths.__len__(), s.target.kind)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["7", "figure8"]


def test_relative_paths_resolve_against_the_scene_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    f = tmp_path / "sub" / "s.toml"
    f.write_text(ARM + FIXED + '[output]\ngif = "out/a.gif"\nreport = "/abs/r.json"\n')
    s = load(f)
    assert s.resolve(s.output.gif) == tmp_path / "sub" / "out" / "a.gif"
    assert s.resolve(s.output.report) == Path("/abs/r.json")
    assert loads(ARM + FIXED).folder == Path.cwd()


def test_docs_cover_every_key():
    docs = (ROOT / "docs" / "scenes.md").read_text()
    for name, reg in sc.SECTIONS.items():
        assert f"[{name}]" in docs
        classes = list(sc.TARGET_KINDS.values()) if reg.cls is sc.TargetSection else [reg.cls]
        classes += [f.metadata["spec"].cls for c in classes for f in c.specs().values()
                    if isinstance(f.metadata["spec"], sc.Table)]
        for cls in classes:
            for k in cls.allowed_keys():
                assert f"`{k}`" in docs, f"docs/scenes.md does not mention {name}.{k}"
    for kind in sc.TARGET_KINDS:
        assert f'kind = "{kind}"' in docs


# -- registry: a new section plugs in without editing the loader -------------------

def test_a_new_section_plugs_in():
    from dataclasses import dataclass

    @sc.section("test_plugin", implicit=False)
    @dataclass(frozen=True)
    class Plugin(sc.Section):
        """A section added by another module."""
        count: int = sc.key(sc.Integer(ge=1), doc="how many")
        name: str = sc.key(sc.Text(), "x", "a name")

    try:
        s = loads(ARM + FIXED + "[test_plugin]\ncount = 3\n")
        assert s.test_plugin == Plugin(count=3) and loads(dumps(s)) == s
        assert loads(ARM + FIXED).test_plugin is None
        assert error_of(ARM + FIXED + "[test_plugin]\ncount = 0\n") == \
            "scenes/x.toml: test_plugin.count: must be >= 1, got 0"
        assert error_of(ARM + FIXED + "[test_plugin]\n") == \
            "scenes/x.toml: test_plugin.count: missing; expected an integer >= 1"
    finally:
        del sc.SECTIONS["test_plugin"]


# -- from scene to simulation ------------------------------------------------------

@pytest.mark.parametrize("path", SHIPPED_IK, ids=[p.name for p in SHIPPED_IK])
def test_shipped_scenes_build_and_run(path):
    s = load(path)
    sim = build_simulation(s)
    for _ in range(5):
        state = sim.step()
    if s.arm.tree is not None:      # a whole robot's TreeState (tests/test_scene_tree.py)
        assert np.all(np.isfinite(state.link_p)) and state.frame == 5
        assert len(state.q) == s.arm.tree.n
        return
    if s.spatial:       # a SpatialState (tests/test_scene_spatial.py checks more)
        assert np.all(np.isfinite(state.frames_p)) and state.frame == 5
        assert len(state.q) == s.arm.chain.n
        return
    assert np.all(np.isfinite(state.joints)) and state.frame == 5
    assert len(state.q) == len(s.arm.lengths)


def test_build_uses_every_section():
    s = loads(FULL, "full.toml")
    sim = build_simulation(s)
    assert sim.solver.method == "dls" and sim.solver.max_iter == 9 and sim.solver.tol == 1e-7
    assert sim.solver.options.damping == 0.2 and sim.solver.options.max_joint_step == 0.1
    np.testing.assert_allclose(sim.state.q, s.arm.angles)
    np.testing.assert_allclose(sim.chain.limits, s.arm.limits)
    np.testing.assert_allclose(sim.chain.base, (0.1, -0.2))
    assert sim.trail_length == 0 and sim.reach_tolerance == 0.005
    (other,) = sim.companions
    assert other.solver.method == "gradient" and other.solver.options.max_angular_speed == 0.4
    assert other.solver.max_iter == 9 and other.label == 'the "original" law\tä'
    st = sim.step()
    assert len(st.companions) == 1
    np.testing.assert_array_equal(st.companions[0].target, st.target)
    np.testing.assert_allclose(st.waypoints, s.target.points)


def test_compare_runs_two_solvers_on_one_path():
    s = load(ROOT / "scenes" / "original_vs_dls.toml")
    sim = build_simulation(s)
    for _ in range(90):
        st = sim.step()
    other = st.companions[0]
    assert (st.method, other.method) == ("gradient", "dls")
    np.testing.assert_array_equal(st.target, other.target)
    np.testing.assert_array_equal(st.joints[0], other.joints[0])
    rep = sim.report()
    assert rep["frames"] == 90 and rep["companions"][0]["label"] == "damped least squares"
    # DLS tracks the circle more closely than the original law at 2 iterations per frame
    assert rep["companions"][0]["mean_error"] < rep["mean_error"]
    sim.reset()
    assert sim.state.frame == 0 and sim.companions[0].state.frame == 0


def test_random_target_seed_comes_from_the_scene():
    text = ARM + '[target]\nkind = "random"\nevery = 3\n'
    a = build_simulation(loads("seed = 1\n" + text))
    b = build_simulation(loads("seed = 1\n" + text))
    c = build_simulation(loads("seed = 2\n" + text))
    pa = [a.path(f) for f in range(0, 30, 3)]
    np.testing.assert_array_equal(pa, [b.path(f) for f in range(0, 30, 3)])
    assert not np.array_equal(pa, [c.path(f) for f in range(0, 30, 3)])
    # inside 0.9 x reach around the base by default
    assert max(np.linalg.norm(pa, axis=1)) <= 0.9 * 1.0 + 1e-12


def test_mouse_target_starts_at_the_tip():
    s = loads(ARM + '[target]\nkind = "mouse"\n')
    sim = build_simulation(s)
    assert sim.path.interactive
    np.testing.assert_allclose(sim.state.target, sim.chain.tip(sim.q0))
    sim.step(target=[0.2, 0.2])
    np.testing.assert_allclose(sim.state.target, [0.2, 0.2])


def test_waypoints_reached_bookkeeping():
    s = load(ROOT / "scenes" / "snake_waypoints.toml")
    sim = build_simulation(s)
    for _ in range(45 * 6):
        sim.step()
    assert sim.report()["waypoints_reached"] == [True] * 6
    # a waypoint out of reach (reach 1 m) is never reached; the others are
    far = ARM + ('[target]\nkind = "waypoints"\npoints = [[0.5, 0.2], [3.0, 0.0], [0.2, 0.5]]\n'
                 'hold = 40\n[solver]\nmethod = "dls"\n')
    sim = build_simulation(loads(far))
    for _ in range(120):
        st = sim.step()
    assert sim.report()["waypoints_reached"] == [True, False, True]
    assert st.reached.tolist() == [True, False, True]


def test_discovery_marker():
    """Modules are imported for their sections only when a line starts with the decorator."""
    assert document._REGISTERS.search('x = 1\n@section("cameras")\n@dataclass\nclass C: ...')
    assert document._REGISTERS.search('@scene.target_kind("spiral")\nclass S: ...')
    assert not document._REGISTERS.search('import pygame\n# @section("no")\ndef f(): section("x")\n')


# -- the reference and the JSON Schema are generated from the same specs ----------------

def test_reference_in_the_docs_is_the_generated_one():
    docs = (ROOT / "docs" / "scenes.md").read_text()
    block = docs.split("<!-- begin: reference -->\n", 1)[1].split("<!-- end: reference -->", 1)[0]
    assert block.strip() == sc.reference_markdown().strip()


def test_the_reference_states_a_gif_s_limits_of_render_fps_and_frames():
    # render.fps (<= 240) and render.frames (<= 1,000,000) read as a GIF's ("frames in a GIF
    # export"), which refuses over 50 fps and over 100,000 frames: the reference said neither
    from armsim.view.export import MAX_GIF_FPS, MAX_GIF_FRAMES, MIN_GIF_FPS
    specs = sc.RenderSection.specs()
    assert MIN_GIF_FPS == 100 / 65535
    assert specs["fps"].metadata["doc"].endswith(f"(which plays at 100/65535 to {MAX_GIF_FPS:g})")
    assert specs["frames"].metadata["doc"].endswith(f"(which holds at most {MAX_GIF_FRAMES:,})")


def test_committed_json_schema_is_the_generated_one():
    import json
    committed = json.loads((ROOT / "docs" / "scene.schema.json").read_text())
    assert committed == json.loads(json.dumps(sc.json_schema()))


def _validator():
    import jsonschema
    schema = sc.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_json_schema_accepts_every_shipped_scene():
    import tomllib
    v = _validator()
    files = sorted((ROOT / "scenes").glob("*.toml")) + [ROOT / "armsim" / "scene" / "default.toml"]
    assert len(files) >= 8
    for f in files:
        errors = [e.message for e in v.iter_errors(tomllib.loads(f.read_text()))]
        assert errors == [], f"{f.name}: {errors}"


@pytest.mark.parametrize("doc, fragment", [
    ({"arm": {"lengths": [0.4, -1.0]}, "target": {"kind": "fixed", "point": [0.1, 0.1]}},
     "less than the minimum"),
    ({"arm": {"lenghts": [1.0]}, "target": {"kind": "fixed", "point": [0.1, 0.1]}},
     "Additional properties are not allowed"),
    ({"arm": {"lengths": [1.0]}, "target": {"kind": "spiral"}}, "is not one of"),
    ({"arm": {"lengths": [1.0]}, "target": {"kind": "fixed", "point": [0.1, 0.1]},
      "solver": {"method": "newton"}}, "is not one of"),
    ({"target": {"kind": "fixed", "point": [0.1, 0.1]}}, "is not valid under any"),
])
def test_json_schema_flags_what_the_loader_refuses(doc, fragment):
    v = _validator()
    messages = " | ".join(e.message for e in v.iter_errors(doc))
    assert fragment in messages
    with pytest.raises(SceneError):
        sc.from_table(doc)


def test_a_scene_with_a_byte_order_mark_loads(tmp_path):
    # a BOM (some editors write one first) read "line 1, column 1: invalid TOML: Invalid
    # statement", with no hint of it
    text = (ROOT / "scenes" / "two_link_reach.toml").read_text()
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert dumps(load(p)) == dumps(load(ROOT / "scenes" / "two_link_reach.toml"))
