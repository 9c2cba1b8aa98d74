"""Fuzzing the scene loader (issue 9): random and mutated scene files.

Every example either loads, builds, steps twice and draws with finite numbers,
or raises a one-line :class:`SceneError`; never another exception, and each
example within the hypothesis deadline.  Documents are built from the real
key set (every registered section and target kind) with ordinary and extreme
values, and from the shipped scenes with bytes deleted, inserted or a number
replaced by an extreme one.
"""

import math
import os
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from armsim import scene as sc  # noqa: E402
from armsim.ik.spatial_tracking import SpatialState  # noqa: E402
from armsim.scene import document, schema  # noqa: E402
from armsim.view import render_array  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenes").glob("*.toml"))
document._discover()

FLOATS = [0.0, -0.0, 0.5, -1.0, 1.0, 2.0, 0.25, 10.0, 1e-6, 2e-6, 1e5, 1e-7, 1e6, 1e7, 1e-310, 5e-324, 1e-320, 1e308,
          -1e308, math.inf, -math.inf, math.nan, 3.0, 240.0, 0.001]
INTS = [0, 1, 2, 3, 7, 16, 100, 4096, -1, 2**63 - 1, 2**63, 10**30]
WORDS = ["", " ", "dls", "gradient", "clip", "fixed", "circle", "waypoints", "random", "mouse",
         "line", "figure8", "dark", "#00ff00", "mono", "stereo", "lm", "loss", "x" * 200, "out.gif"]


def _toml(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + schema._escape(v) + '"'
    return "[" + ", ".join(_toml(x) for x in v) + "]"


scalars = st.one_of(st.sampled_from(FLOATS), st.sampled_from(INTS), st.sampled_from(WORDS),
                    st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
                    st.floats(min_value=-2.0, max_value=2.0))
values = st.one_of(scalars, st.lists(scalars, max_size=4),
                   st.lists(st.lists(st.sampled_from(FLOATS + INTS[:6]), min_size=2, max_size=2),
                            max_size=4))


def _keys(cls):
    return list(cls.allowed_keys())


def _table_keys():
    out = {}
    for name, reg in sc.SECTIONS.items():
        if reg.cls is sc.TargetSection:
            keys = sorted({k for cls in sc.TARGET_KINDS.values() for k in _keys(cls)}) + ["kind"]
        else:
            keys = _keys(reg.cls)
        out[name] = keys
    return out


TABLES = _table_keys()


IK_TABLES = ["solver", "render", "compare", "output"]
CAL_TABLES = ["calibration", "cameras", "genetic", "render"]
TARGET_BASE = {"fixed": {"point": [0.5, 0.2]}, "mouse": {}, "circle": {"radius": 0.5, "period": 60},
               "figure8": {"size": [0.5, 0.3], "period": 60}, "line": {"start": [0, 0], "end": [0.5, 0.5],
               "period": 60}, "random": {"every": 10}, "waypoints": {"points": [[0.5, 0.2], [0, 0.6]],
               "hold": 20}}
TARGET_SPATIAL = {"fixed": {"point": [0.3, 0.1, 0.4], "quaternion": [0, 1, 0, 0]},
                  "mouse": {}, "circle": {"center": [0.3, 0, 0.4], "radius": 0.1, "period": 60},
                  "line": {"start": [0.3, 0, 0.3], "end": [0.3, 0.2, 0.5], "period": 60},
                  "waypoints": {"points": [[0.3, 0.2, 0.3], [0.2, 0, 0.5]], "hold": 20,
                                "rpy": [[0, 0, 0], [3.1, 0, 0]]}}


@st.composite
def documents(draw):
    """A scene of either kind: the tables it needs with valid values, then 0-4 keys of
    its tables (including the required ones) set to random or extreme values."""
    tables = {}
    which = draw(st.integers(0, 4))
    if which == 4:       # a spatial arm
        kind = draw(st.sampled_from(sorted(TARGET_SPATIAL)))
        tables["arm"] = draw(st.sampled_from([{"robot": "ur5"}, {"robot": "panda"},
                                              {"dh": [[0.3, 0, 0.1, 0], [0.2, 1.57, 0, 0]]}]))
        tables["target"] = {"kind": kind, **TARGET_SPATIAL[kind]}
        names = ["arm", "target", "view"] + IK_TABLES
    elif which:
        n = draw(st.integers(1, 4))
        lengths = draw(st.lists(st.sampled_from([1e-6, 0.3, 1.0, 1e6, 2e-6, 5e5]), min_size=n, max_size=n))
        kind = draw(st.sampled_from(sorted(TARGET_BASE)))
        tables["arm"] = {"lengths": lengths}
        tables["target"] = {"kind": kind, **TARGET_BASE[kind]}
        names = ["arm", "target"] + IK_TABLES
    else:
        tables["calibration"] = {"max_rounds": 50}
        names = CAL_TABLES
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(names))
        keys = TABLES[name]
        kind = tables.get("target", {}).get("kind")
        if name == "target" and isinstance(kind, str) and kind in sc.TARGET_KINDS:
            keys = _keys(sc.TARGET_KINDS[tables["target"]["kind"]]) + ["kind"]
        tables.setdefault(name, {})[draw(st.sampled_from(keys))] = draw(values)
    lines = []
    if draw(st.booleans()):
        lines.append(f"seed = {_toml(draw(st.sampled_from(INTS)))}")
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _finite(x):
    return bool(np.all(np.isfinite(np.asarray(x, dtype=float))))


def check(text):
    try:
        scene = sc.loads(text, source="fuzz.toml")
    except sc.SceneError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith("fuzz.toml: ") and len(msg) < 400, msg
        return
    sim = sc.build_simulation(scene)
    for _ in range(2):
        state = sim.step()
    if isinstance(state, SpatialState):
        # numbers only: the 3D picture is armsim.view's (drawn there once it lands)
        assert _finite(state.frames_p) and _finite(state.error) and _finite(state.target), text
        assert _finite(state.orientation_error) and _finite(state.jacobian), text
        return
    if hasattr(state, "tools"):        # a whole robot's TreeState
        assert _finite(state.link_p) and _finite(state.q), text
        assert all(_finite(t.error) and _finite(t.target) for t in state.tools), text
        return
    if scene.kind == sc.IK_KIND:
        assert _finite(state.joints) and _finite(state.error) and _finite(state.target), text
    img = render_array(state, (48, 36))
    assert img.shape == (36, 48, 3)


FUZZ = settings(max_examples=400, deadline=timedelta(seconds=3),
                suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@FUZZ
@given(documents())
def test_random_scene_documents(text):
    check(text)


_NUMBER = __import__("re").compile(r"(?<![\w.#])-?\d+(\.\d+)?(e-?\d+)?")


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SHIPPED)).read_text()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "insert", "number"]))
        i = draw(st.integers(0, len(text)))
        if kind == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 20)):]
        elif kind == "insert":
            text = text[:i] + draw(st.text(alphabet='[]="#.,-_ 0123456789e\nabcxyz{}', max_size=8)) + text[i:]
        else:
            numbers = list(_NUMBER.finditer(text))
            if numbers:
                m = numbers[draw(st.integers(0, len(numbers) - 1))]
                text = text[:m.start()] + _toml(draw(st.sampled_from(FLOATS + INTS))) + text[m.end():]
    return text


@FUZZ
@given(mutated())
def test_mutated_shipped_scenes(text):
    check(text)


def test_shipped_scenes_pass_the_check():
    for path in SHIPPED:
        check(path.read_text())
