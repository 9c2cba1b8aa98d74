"""Issue 22 (hard edges, kind 2): a value the scene accepts never crashes the camera.

One range per view quantity (armsim/ranges.py) is used by the scene's [view] table and by
the camera, so a value is either accepted by both or refused by both with the same text;
a quantity the view computes (the distance and centre framing a huge or tiny arm, the
distance after many wheel notches, the centre after many pans) is clamped into its range.
"""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import armsim.scene as sc
from armsim.ik.spatial_tracking import snapshot
from armsim.kinematics.spatial import SpatialChain
from armsim.view import DEFAULT_THEME
from armsim.view.orbit import OrbitCamera
from armsim.view.spatial import render_spatial
from tests._pixels import count

ROOT = Path(__file__).resolve().parent.parent
TINY = sys.float_info.min              # the smallest normal float
SIZE = (240, 180)
UR5 = '[arm]\nrobot = "ur5"\n[target]\nkind = "fixed"\npoint = [0.3, 0.2, 0.4]\n'
# a one-joint DH arm: the fastest spatial scene to load (the hypothesis tests load many)
DH = '[arm]\ndh = [[0.5, 0, 0.2, 0]]\n[target]\nkind = "fixed"\npoint = [0.3, 0.2, 0.2]\n'

RAIL_URDF = """<robot name="rail">
  <link name="base"/><link name="carriage"/><link name="arm"/><link name="tool"/>
  <joint name="slide" type="prismatic"><parent link="base"/><child link="carriage"/>
    <origin xyz="0 0 0.1"/><axis xyz="1 0 0"/>
    <limit lower="-1e6" upper="1e6" effort="1" velocity="1"/></joint>
  <joint name="turn" type="revolute"><parent link="carriage"/><child link="arm"/>
    <origin xyz="0 0 0.2"/><axis xyz="0 0 1"/>
    <limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
  <joint name="fix" type="fixed"><parent link="arm"/><child link="tool"/>
    <origin xyz="0.5 0 0"/></joint>
</robot>
"""


def run_arm(scene, tmp_path):
    """``run_arm.py SCENE --gif OUT --frames 2`` in a subprocess: (rc, stderr lines, gif)."""
    gif = tmp_path / "out.gif"
    proc = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(scene), "--gif",
                           str(gif), "--frames", "2"], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    return proc.returncode, proc.stderr.splitlines(), gif


# -- the reviewer's cases, end to end --------------------------------------------------

def test_fov_179_5_is_one_scene_error_line_and_exit_2(tmp_path):
    scene = tmp_path / "wide.toml"
    scene.write_text(UR5 + "[view]\nfov_deg = 179.5\n")
    rc, err, gif = run_arm(scene, tmp_path)
    # before: exit 1, a ValueError traceback from the camera (the scene took it)
    assert (rc, err) == (2, [f"{scene}: view.fov_deg: must be <= 170, got 179.5"])
    assert not gif.exists()


@pytest.mark.parametrize("elevation", [90, -90])
def test_a_straight_down_or_up_view_exports(tmp_path, elevation):
    scene = tmp_path / "top.toml"
    scene.write_text(UR5 + f"[view]\nelevation_deg = {elevation}\n")
    rc, err, gif = run_arm(scene, tmp_path)
    assert (rc, err) == (0, [])            # before: exit 1, "[-89, 89], got 90.0"
    assert gif.stat().st_size > 0


@pytest.mark.parametrize("elevation", [90, -90])
def test_a_straight_down_or_up_view_shows_the_robot(elevation):
    scene = sc.loads(UR5 + f"[view]\nelevation_deg = {elevation}\n")
    sim = sc.build_simulation(scene)
    state = sim.step()
    camera = OrbitCamera.from_view(scene.view, reach=sim.chain.reach)
    img = render_spatial(state, camera, SIZE, show_grid=False, show_panel=False)
    # looking along the z axis: the tool's pixel is the tip colour, and the joints have ink
    px, _, front = camera.project(state.tool[:3, 3], SIZE)
    x, y = np.floor(px).astype(int)
    assert bool(front) and tuple(img[y, x]) == DEFAULT_THEME.tip
    assert count(img, DEFAULT_THEME.tip) >= 9
    ink = np.any(img != np.array(DEFAULT_THEME.background), axis=-1)
    for x, y in np.floor(camera.project(state.origins, SIZE)[0]).astype(int):
        assert ink[y, x]
    # the image is the top view: world x and y map to the image axes (no mirror, no twist)
    right, up, forward = camera.basis()
    assert np.allclose(forward, [0, 0, -np.sign(elevation)])
    assert np.allclose(np.cross(right, up), -forward)


def test_a_rail_of_plus_minus_a_million_metres_is_refused_before_the_view(tmp_path):
    """The model layer's one range for lengths refuses the rail in one line (before: the
    scene accepted it and the camera raised on the distance computed from it); the view
    clamps what it computes from any model it is given (the test below)."""
    (tmp_path / "rail.urdf").write_text(RAIL_URDF)
    scene = tmp_path / "rail.toml"
    scene.write_text('[arm]\nurdf = "rail.urdf"\n[target]\nkind = "fixed"\n'
                     'point = [0.3, 0.2, 0.4]\n')
    rc, err, gif = run_arm(scene, tmp_path)
    # before: exit 1, "view distance must be a finite number in [1e-06, 1e+06], got 2351814.98"
    assert rc == 2 and len(err) == 1 and not gif.exists()
    assert "limit" in err[0] and "must be within [-1000, 1000] m" in err[0], err


@pytest.mark.parametrize("value, message", [
    ("5000", "must be <= 3600, got 5000.0"), ("nan", "must be a finite number, got nan"),
    ("1e-320", "must be 0 or at least 2.225e-308 in size (a normal float), got 1e-320")])
def test_the_orbit_option_has_the_scene_range(tmp_path, value, message):
    from armsim.ranges import VIEW_ORBIT_DEG_PER_S
    assert VIEW_ORBIT_DEG_PER_S.problem(float(value)) == message
    proc = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "--robot", "ur5", "--orbit",
                           value, "--gif", str(tmp_path / "o.gif"), "--frames", "1"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2 and not (tmp_path / "o.gif").exists()
    assert proc.stderr.splitlines() == [f"armsim: error: argument --orbit: {message}"]
    with pytest.raises(sc.SceneError) as err:
        sc.loads(DH + f"[view]\norbit_deg_per_s = {value}\n", source="x.toml")
    assert str(err.value) == f"x.toml: view.orbit_deg_per_s: {message}"


def test_the_framing_of_a_tiny_or_huge_reach_is_clamped_not_raised():
    from armsim.ranges import VIEW_CENTER, VIEW_DISTANCE
    try:                  # the model layer may refuse links this short (not the view's job)
        reach = SpatialChain.from_dh([[1e-7, 0, 0, 0]] * 3).reach
    except ValueError:
        reach = 3e-7
    assert reach < 1e-6
    for r in (reach, 1e-300, 5e-324, 2.4e6, 1e300, 1.7e308):
        for fov in (1, 45, 170):
            cam = OrbitCamera.framing(r, fov_deg=fov)     # before: ValueError for each r
            assert VIEW_DISTANCE.lo <= cam.distance <= VIEW_DISTANCE.hi
            assert all(VIEW_CENTER.lo <= c <= VIEW_CENTER.hi for c in cam.center)
            px, depth, front = cam.project([[0, 0, 0], cam.center], SIZE)
            assert np.all(np.isfinite(px)) and np.all(np.isfinite(depth))
        view = sc.sections.ViewSection().settings(r)          # the scene's defaults, too
        assert OrbitCamera(**view).distance == min(max(2.5 * r, 1e-6), 1e6)


def test_the_3d_calibration_framing_is_clamped_not_raised():
    from types import SimpleNamespace

    from armsim.view.calibration_spatial import framing
    for scale in (1e-9, 1.0, 1e7, 1e12):
        pts = np.array([[0.0, 0.0, 0.0], [0.1, 0.2, 0.3], [1.0, 0.5, 0.8]]) * scale
        state = SimpleNamespace(reference=pts, camera_positions=pts[1:] + scale)
        cam = framing(state)
        assert 1e-6 <= cam.distance <= 1e6 and np.all(np.abs(cam.center) <= 1e6)


def test_zoom_and_pan_keep_the_camera_in_its_ranges():
    from armsim.ranges import VIEW_CENTER, VIEW_DISTANCE
    far = OrbitCamera(distance=9e5)
    for _ in range(200):
        far.zoom(1 / 0.9)                     # 200 wheel notches out: 20 x 9e5 > 1e6
    assert far.distance == VIEW_DISTANCE.hi
    near = OrbitCamera(distance=2e-6)
    for _ in range(200):
        near.zoom(0.9)                        # 0.05 x 2e-6 < 1e-6
    assert near.distance == VIEW_DISTANCE.lo
    for _ in range(1000):
        far.pan(-1e6, 0, SIZE)
    assert np.all(np.abs(far.center) <= VIEW_CENTER.hi) and far.center[0] != 0
    cam = OrbitCamera()
    cam.orbit(math.inf, math.nan)             # ignored, not a NaN azimuth
    cam.orbit(0, 500)
    assert cam.azimuth_deg == OrbitCamera().azimuth_deg and cam.elevation_deg == 90


# -- every value inside a range works, every value outside is refused by both -----------

def _keys():
    from armsim.ranges import VIEW_RANGES
    return sorted(VIEW_RANGES)


def _inside(r):
    # (a subnormal float is outside every range: its reciprocal overflows)
    return st.floats(r.lo, r.hi, exclude_min=r.lo_open, exclude_max=r.hi_open,
                     allow_subnormal=False)


def _outside(r):
    parts = [st.floats(max_value=r.lo, exclude_max=not r.lo_open, allow_infinity=True,
                       allow_nan=False),
             st.floats(min_value=r.hi, exclude_min=not r.hi_open, allow_infinity=True,
                       allow_nan=False),
             st.just(math.nan)]
    if r.lo < 0 < r.hi:
        parts.append(st.floats(-TINY, TINY, exclude_min=True, exclude_max=True).filter(bool))
    return st.one_of(parts)


def _toml(v) -> str:
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)


def _view_text(name, v):
    if name == "center":
        return f"center = [0.1, {_toml(v)}, 0.2]\n"
    return f"{name} = {_toml(v)}\n"


RANGE_TESTS = settings(max_examples=60, deadline=None, derandomize=True,
                       suppress_health_check=[HealthCheck.too_slow])


def test_the_view_ranges_are_the_scene_and_the_camera_bounds():
    from armsim.ranges import VIEW_RANGES
    from armsim.view.orbit import VIEW_KEYS
    assert set(VIEW_RANGES) == set(VIEW_KEYS)
    schema = sc.json_schema()["properties"]["view"]["properties"]
    for name, r in VIEW_RANGES.items():
        s = schema[name]["items"] if name == "center" else schema[name]
        assert s.get("minimum") == r.lo and s.get("maximum") == r.hi, name


@RANGE_TESTS
@given(st.data())
def test_any_value_inside_a_range_builds_the_camera_and_a_finite_projection(data):
    from armsim.ranges import VIEW_RANGES
    name = data.draw(st.sampled_from(_keys()))
    v = data.draw(_inside(VIEW_RANGES[name]))
    scene = sc.loads(DH + "[view]\n" + _view_text(name, v))
    camera = OrbitCamera.from_view(scene.view, reach=scene.arm.chain.reach)
    got = camera.center[1] if name == "center" else getattr(camera, name)
    assert got == (v % 360 if name == "azimuth_deg" else v)
    px, depth, front = camera.project([[0.0, 0.0, 0.0], [0.5, 0.0, 0.2]], SIZE)
    assert np.all(np.isfinite(px)) and np.all(np.isfinite(depth))
    a, b, za, zb, vis = camera.project_segments([[0.0, 0.0, 0.0]], [[0.5, 0.0, 0.2]], SIZE)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    state = sc.build_simulation(scene).step()
    assert render_spatial(state, camera, (48, 36)).shape == (36, 48, 3)


@RANGE_TESTS
@given(st.data())
def test_any_value_outside_a_range_is_refused_by_scene_and_camera_alike(data):
    from armsim.ranges import VIEW_RANGES
    name = data.draw(st.sampled_from(_keys()))
    r = VIEW_RANGES[name]
    v = data.draw(_outside(r))
    where = "view.center[1]" if name == "center" else f"view.{name}"
    with pytest.raises(sc.SceneError) as err:
        sc.loads(DH + "[view]\n" + _view_text(name, v), source="x.toml")
    assert str(err.value) == f"x.toml: {where}: {r.problem(v)}"
    value = [0.1, v, 0.2] if name == "center" else v
    with pytest.raises(ValueError) as err:
        OrbitCamera(**{name: value})
    assert str(err.value) == f"{where}: {r.problem(v)}"


# -- the Range itself ------------------------------------------------------------------

def test_a_range_says_its_bounds_and_clamps_into_them():
    from armsim.ranges import Range
    r = Range.bounds(gt=0, le=1e6, unit="m")
    assert (r.lo, r.hi, r.lo_open, r.hi_open) == (0, 1e6, True, False)
    assert r.text() == "> 0 and <= 1e+06" and r.schema() == {"exclusiveMinimum": 0,
                                                              "maximum": 1e6}
    assert r.problem(0.0) == "must be > 0, got 0.0" and r.problem(2e6) == \
        "must be <= 1e+06, got 2000000.0" and r.problem(1.0) is None
    assert r.clamp(-5.0) == TINY == r.clamp(0.0) and r.clamp(math.inf) == 1e6   # not subnormal
    assert r.clamp(math.nan) > 0 and r.clamp(math.nan, fallback=3.0) == 3.0
    assert Range().problem(-1e300) is None and Range().text() == ""
    with pytest.raises(ValueError) as err:
        Range(1, 170, "deg").check("view.fov_deg", "wide")
    assert str(err.value) == "view.fov_deg: expected a number, got 'wide'"
    with pytest.raises(ValueError) as err:
        Range(1, 170, "deg").check("view.fov_deg", 10**400)
    assert str(err.value) == "view.fov_deg: must be a finite number, got inf"
    assert Range(-1, 1).clamp(1e-320) == 0.0 and 1e-320 not in Range(-1, 1)
    with pytest.raises(ValueError):
        Range.bounds(gt=0, ge=1)
