"""armsim.render / armsim.animate / a chain's _repr_png_, judged by the pixels they draw."""

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pygame
import pytest
from PIL import Image

import armsim
from _pixels import count
from armsim.view import DEFAULT_THEME
from armsim.view.orbit import OrbitCamera

ROOT = Path(__file__).resolve().parents[1]
BG = DEFAULT_THEME.background
TARGET = DEFAULT_THEME.target


@pytest.fixture(scope="module")
def panda():
    return armsim.robots.load("panda")


def pixels(image):
    assert isinstance(image, Image.Image) and image.mode == "RGB"
    return np.asarray(image)


def inked(img, rect):
    """Pixels of ``img`` inside ``rect`` that are not the background."""
    return rect.w * rect.h - count(img, BG, rect)


def framed(panda, q, target=None):
    """The camera a render of ``panda`` at ``q`` (aiming at ``target``) takes by default: the
    framing of the arm as it stands and its target (OrbitCamera.framing with points)."""
    from armsim.view.orbit import arm_points
    state = type("S", (), {})()
    state.frames_p, state.origins = panda.frames(q)[1], panda.joint_axes(q)[1]
    state.target = np.full(3, np.nan) if target is None else np.asarray(target, float)
    return OrbitCamera.framing(panda.reach, points=arm_points(state))


def box_around(points_px, pad, size):
    lo = np.floor(points_px.min(axis=0)).astype(int) - pad
    hi = np.ceil(points_px.max(axis=0)).astype(int) + pad
    rect = pygame.Rect(int(lo[0]), int(lo[1]), int(hi[0] - lo[0]), int(hi[1] - lo[1]))
    return rect.clip(pygame.Rect(0, 0, *size))


def one_line_error(call, message):
    with pytest.raises(ValueError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text
    assert text == message, text


# -- one pose ---------------------------------------------------------------------------

def test_render_returns_an_image_of_the_size_asked(panda):
    assert pixels(armsim.render(panda)).shape == (480, 640, 3)
    assert armsim.render(panda, size=(320, 200)).size == (320, 200)
    assert armsim.render(armsim.Chain([0.5, 0.5]), size=(100, 300)).size == (100, 300)


@pytest.mark.parametrize("width", [16, 17, 18])
def test_the_narrowest_pictures_render_with_the_panel_asked(panda, width):
    # 16 and 17 px wide (the smallest sizes allowed) raised pygame's "Parameter 'width' is
    # invalid": the panel's text was cut to a width of 0; now a panel with no room for a
    # letter is left out
    for thing in (panda, armsim.robots.load_robot("dual_arm")):
        for h in (16, 200):
            img = armsim.render(thing, size=(width, h), show_panel=True)
            assert img.size == (width, h)
            assert (pixels(img) != BG).any()


def test_a_panda_render_shows_the_robot_where_it_projects(panda):
    q = panda.clip(np.array([0.3, -0.4, 0.2, -1.8, 0.1, 1.6, 0.5]))
    size = (640, 480)
    img = pixels(armsim.render(panda, q, size=size, show_grid=False))
    cam = framed(panda, q)                              # None frames the robot like this
    frames_p = panda.frames(q)[1]
    px = cam.project(frames_p, size)[0]
    arm = box_around(px, 50, size)                        # solid links: ~30 px thick
    inside = inked(img, arm)
    everything = inked(img, pygame.Rect(0, 0, *size))
    assert inside > 2000                                  # links and joints drawn
    assert everything - inside < 0.05 * everything        # and almost nothing elsewhere
    for x, y in np.floor(cam.project(panda.joint_axes(q)[1], size)[0]).astype(int):
        assert tuple(img[y, x]) != BG                     # every joint on its pixel
    # the tool marker sits on the tool's projection
    x, y = np.floor(px[-1]).astype(int)
    assert tuple(img[y, x]) == DEFAULT_THEME.tip


def test_the_default_pose_is_the_start_a_solve_takes(panda):
    from armsim.ik.problems import SpatialTarget
    middle = SpatialTarget(panda, "position").default_start()
    np.testing.assert_array_equal(pixels(armsim.render(panda)),
                                  pixels(armsim.render(panda, middle)))
    other = pixels(armsim.render(panda, panda.clip(middle + 0.4)))
    assert np.any(other != pixels(armsim.render(panda)))


def target_pixels(img, centre, r=16):
    x, y = np.floor(centre).astype(int)
    return count(img, TARGET, pygame.Rect(x - r, y - r, 2 * r + 1, 2 * r + 1))


@pytest.mark.parametrize("kind", ["position", "pose"])
def test_the_target_is_drawn_at_its_projection(panda, kind):
    q = panda.clip(np.array([0.3, -0.4, 0.2, -1.8, 0.1, 1.6, 0.5]))
    p = np.array([0.35, -0.3, 0.5])
    target = p if kind == "position" else armsim.pose(p, rpy=[np.pi, 0, 0])
    size = (640, 480)
    centre = framed(panda, q, target).project(p, size)[0]
    with_target = pixels(armsim.render(panda, q, target=target, size=size))
    without = pixels(armsim.render(panda, q, size=size))
    assert target_pixels(with_target, centre) > 40           # the ring (and cross)
    assert target_pixels(without, centre) == 0
    assert count(without, TARGET) == 0                       # no target drawn at all


def test_a_view_dict_and_a_camera_are_the_same_picture(panda):
    view = {"azimuth_deg": 200, "elevation_deg": 40, "fov_deg": 50}
    from armsim.ik.problems import SpatialTarget
    from armsim.view.orbit import arm_points
    q = SpatialTarget(panda, "position").default_start()
    state = type("S", (), {"frames_p": panda.frames(q)[1], "origins": panda.joint_axes(q)[1]})
    cam = OrbitCamera.from_view(view, panda.reach, points=arm_points(state))
    a = pixels(armsim.render(panda, view=view))
    np.testing.assert_array_equal(a, pixels(armsim.render(panda, view=cam)))
    assert np.any(a != pixels(armsim.render(panda)))
    one_line_error(lambda: armsim.render(panda, view={"fov_deg": 179.5}),
                   "view.fov_deg: must be <= 170, got 179.5")
    one_line_error(lambda: armsim.render(panda, view={"zoom": 2}),
                   "view: unknown key 'zoom'; expected one of azimuth_deg, elevation_deg, "
                   "distance, center, fov_deg, orbit_deg_per_s")
    one_line_error(lambda: armsim.render(panda, view="top"),
                   "view must be a dict of [view] keys (azimuth_deg, elevation_deg, distance, "
                   "center, fov_deg, orbit_deg_per_s) or an OrbitCamera, got str")


def test_the_panel_is_off_unless_asked(panda):
    size = (640, 480)
    clean = pixels(armsim.render(panda, size=size, show_grid=False))
    panel = pixels(armsim.render(panda, size=size, show_grid=False, show_panel=True))
    ys, xs = np.nonzero(np.any(clean != panel, axis=-1))
    assert len(ys) > 3000                                 # a translucent box and its text
    # all in one corner's box (the corner the arm covers least)
    w, h = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    assert w < 220 and h < 110
    assert (xs.min() < 20 or xs.max() > size[0] - 20) and (ys.min() < 20 or ys.max() > size[1] - 20)


def test_a_planar_chain_is_drawn_centred_with_its_target():
    arm = armsim.Chain([0.4, 0.3, 0.2, 0.1], base=(0.2, -0.1))
    q = np.array([0.5, -0.3, 0.8, 0.2])
    size = (400, 300)
    img = pixels(armsim.render(arm, q, target=[0.6, 0.5], size=size))
    scale = 0.45 * min(size) / arm.reach                  # px per m, base at the centre

    def screen(p):
        p = np.asarray(p, float) - arm.base
        return np.array([size[0] / 2 + p[0] * scale, size[1] / 2 - p[1] * scale])

    x, y = np.round(screen(arm.tip(q))).astype(int)
    assert tuple(img[y, x]) == DEFAULT_THEME.tip
    assert target_pixels(img, screen([0.6, 0.5])) > 20
    for j, (a, b) in enumerate(zip(arm.joints(q)[:-1], arm.joints(q)[1:])):
        mx, my = np.round(screen((a + b) / 2)).astype(int)   # each segment in its colour
        assert tuple(img[my, mx]) == DEFAULT_THEME.segment_color(j)
    assert count(pixels(armsim.render(arm, q, size=size)), TARGET) == 0


def test_q_outside_the_limits_or_of_the_wrong_shape_is_one_line(panda):
    q = panda.clip(np.zeros(7))
    bad = q.copy()
    bad[3] = 0.5                                         # panda_joint4 is within [-3.07, -0.07]
    lo, hi = panda.limits[3]
    one_line_error(lambda: armsim.render(panda, bad),
                   f"q[3] must be within joint 4 (panda_joint4)'s limits [{lo:.6g}, "
                   f"{hi:.6g}], got 0.5")
    one_line_error(lambda: armsim.render(panda, np.zeros(6)),
                   "q must have shape (7,): 7 joint values per pose, got shape (6,)")
    one_line_error(lambda: armsim.render(panda, [[0.0] * 7]),
                   "q must have shape (7,): 7 joint values per pose, got shape (1, 7)")
    nan = q.copy()
    nan[1] = np.nan
    one_line_error(lambda: armsim.render(panda, nan), "q[1] must be a finite number, got nan")
    one_line_error(lambda: armsim.render(panda, "up"), "q must be an array of numbers, got 'up'")
    limited = armsim.Chain([0.5, 0.5], limits=[[-1, 1], [-0.5, 0.5]])
    one_line_error(lambda: armsim.render(limited, [0.2, 0.7]),
                   "q[1] must be within joint 2's limits [-0.5, 0.5], got 0.7")
    one_line_error(lambda: armsim.render(armsim.Chain([1.0]), [1e9]),
                   "q[0] must be within +-1e+06, got 1e+09")


def test_a_bad_target_robot_or_size_is_one_line(panda):
    one_line_error(lambda: armsim.render(panda, target=[0.1, 0.2]),
                   "target of a spatial chain must have shape (3,) or (4, 4) (positions or "
                   "homogeneous poses), got (2,)")
    one_line_error(lambda: armsim.render(panda, target=[0.1, np.inf, 0.2]),
                   "target must be finite numbers, got [0.1, inf, 0.2]")
    one_line_error(lambda: armsim.render(armsim.Chain([1.0]), target=[0.1, 0.2, 0.3]),
                   "target of a planar chain must be a point (x, y), got shape (3,)")
    one_line_error(lambda: armsim.render("panda"),
                   "robot must be an armsim.Chain, an armsim.SpatialChain or an armsim.Robot, got "
                   "str")
    # the scene's render.size rule, in its words
    one_line_error(lambda: armsim.render(panda, size=(8, 100)), "size[0]: must be >= 16, got 8")
    one_line_error(lambda: armsim.render(panda, size=(640, 5000)),
                   "size[1]: must be <= 4096, got 5000")
    one_line_error(lambda: armsim.render(panda, size=(64.5, 100)),
                   "size[0]: expected an integer, got 64.5")
    one_line_error(lambda: armsim.render(panda, size=640),
                   "size: expected [width, height] (integers from 16 to 4096) [px], got 640")


# -- in a notebook ----------------------------------------------------------------------

def test_chains_show_themselves_as_png(panda):
    for chain in (panda, armsim.Chain([0.4, 0.3, 0.2]), armsim.robots.load_robot("dual_arm")):
        data = chain._repr_png_()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        img = Image.open(io.BytesIO(data))
        assert img.size == (480, 360)
        rgb = np.asarray(img.convert("RGB"))
        np.testing.assert_array_equal(rgb, pixels(armsim.render(chain, size=(480, 360))))


def frames_of(data):
    return iio.imread(data, index=None, extension=".gif")


def test_animate_makes_one_gif_frame_per_pose(panda, tmp_path, monkeypatch):
    a = panda.clip(np.array([0.0, -0.3, 0.0, -2.0, 0.0, 1.8, 0.8]))
    b = panda.clip(np.array([0.8, 0.2, 0.3, -1.4, 0.2, 1.4, 0.2]))
    qs = np.linspace(a, b, 12)
    anim = armsim.animate(panda, qs, target=panda.matrix(b), fps=20)
    assert anim.data.startswith(b"GIF89a") and anim.frames == 12 and anim.size == (480, 360)
    frames = frames_of(anim.data)
    assert frames.shape == (12, 360, 480, 3)
    assert not np.array_equal(frames[0], frames[-1])      # the arm moves
    # the first frame is render's picture (the GIF maps it to its palette exactly)
    # (with one camera: by default the animation frames every pose, a render only its own)
    cam = framed(panda, b, panda.matrix(b)[:3, 3])
    one = frames_of(armsim.animate(panda, qs, target=panda.matrix(b), fps=20, view=cam).data)
    first = pixels(armsim.render(panda, qs[0], target=panda.matrix(b), size=(480, 360), view=cam))
    assert np.mean(np.all(one[0] == first, axis=-1)) > 0.999
    html = anim._repr_html_()
    m = re.fullmatch(r'<img src="data:image/gif;base64,([A-Za-z0-9+/=]+)" width="480" '
                     r'height="360" alt="[^"]*"/>', html)
    assert m and base64.b64decode(m.group(1)) == anim.data
    out = anim.save(tmp_path / "path.gif")
    assert Path(out).read_bytes() == anim.data
    # saved again over it: the same path back (was the resolved real path once replaced)
    assert out == tmp_path / "path.gif" and anim.save(tmp_path / "path.gif") == out
    monkeypatch.chdir(tmp_path)
    assert anim.save("path.gif") == Path("path.gif") == anim.save("path.gif")
    from armsim.view.export import read_durations
    assert sum(read_durations(out)) == 600                # 12 frames at 20 fps


def test_animate_a_planar_chain_with_a_target_per_frame():
    arm = armsim.Chain([0.5, 0.3, 0.2])
    qs = np.linspace([0.0, 0.2, 0.4], [1.2, -0.4, 0.6], 7)
    targets = arm.tip(qs) + 0.05
    anim = armsim.animate(arm, qs, target=targets, size=(200, 160), fps=10)
    frames = frames_of(anim.data)
    assert frames.shape == (7, 160, 200, 3)
    for k in (0, 6):
        want = pixels(armsim.render(arm, qs[k], target=targets[k], size=(200, 160)))
        if k == 0:
            np.testing.assert_array_equal(frames[k], want)
        # the target ring follows: its colour near this frame's target
        scale = 0.45 * 160 / arm.reach
        centre = np.array([100 + targets[k][0] * scale, 80 - targets[k][1] * scale])
        assert target_pixels(frames[k], centre, 10) > 10


def test_animate_a_whole_robot_with_a_target_per_frame():
    # animate refused a Robot ("must be ... or an armsim.Robot, got Robot") that render draws
    robot = armsim.robots.load_robot("dual_arm")
    mid = np.where(np.isfinite(robot.limits), robot.limits, 0.0).mean(axis=1)
    qs = np.tile(mid, (6, 1))
    qs[:, 1] += np.linspace(0.0, 0.6, 6)            # the left arm's shoulder lifts
    qs = robot.clip(qs)
    path = np.stack([robot.frames(q, ["left_tool"])["left_tool"][:3, 3] for q in qs])
    anim = armsim.animate(robot, qs, target={"left_tool": path}, size=(200, 150), fps=10)
    frames = frames_of(anim.data)
    assert frames.shape == (6, 150, 200, 3) and anim.frames == 6
    assert not np.array_equal(frames[0], frames[-1])                 # it moves
    plain = frames_of(armsim.animate(robot, qs, size=(200, 150), fps=10).data)
    assert np.any(frames[-1] != plain[-1], axis=-1).sum() > 20        # the target drawn
    hand = armsim.robots.load_robot("panda_hand")
    one_line_error(lambda: armsim.animate(hand, np.zeros((2, hand.n + 1))),
                   f"qs must have shape (frames, {hand.n}): the values of robot.joint_names, "
                   f"got shape (2, {hand.n + 1})")
    one_line_error(lambda: armsim.animate(hand, np.full((2, hand.n), 50.0)),
                   "qs[0][0] must be within joint 1 (panda_joint1)'s limits [-2.8973, 2.8973], "
                   "got 50")
    one_line_error(lambda: armsim.animate(robot, qs, target={"left_tool": path[:2]}),
                   "target['left_tool'] must be one target, or one per pose (6), got 2")


def test_animate_refuses_bad_input_in_one_line(panda, monkeypatch):
    q = panda.clip(np.zeros(7))
    too_many = np.broadcast_to(q, (100_001, 7))           # no memory: refused before drawing
    one_line_error(lambda: armsim.animate(panda, too_many),
                   "qs must hold at most 100,000 poses (the GIF export's frame limit), "
                   "got 100,001")
    monkeypatch.setattr("armsim.view.export.MAX_GIF_FRAMES", 3)
    one_line_error(lambda: armsim.animate(panda, [q] * 4),
                   "qs must hold at most 3 poses (the GIF export's frame limit), got 4")
    one_line_error(lambda: armsim.animate(panda, []), "qs must hold at least one pose, got none")
    ragged = [q, q[:6]]
    shown = " ".join(str(ragged).split())        # one line, cut with "..."
    one_line_error(lambda: armsim.animate(panda, ragged),
                   f"qs must be an array of numbers, got {shown[:37]}...")
    bad = np.array([q, q])
    bad[1, 3] = 0.5
    lo, hi = panda.limits[3]
    one_line_error(lambda: armsim.animate(panda, bad),
                   f"qs[1][3] must be within joint 4 (panda_joint4)'s limits [{lo:.6g}, "
                   f"{hi:.6g}], got 0.5")
    one_line_error(lambda: armsim.animate(panda, [q, q], fps=60),
                   "fps must be <= 50 for a GIF, got 60: GIF delays are whole hundredths of a "
                   "second and viewers play delays under 2 as 10 (the window can run at any "
                   "rate)")
    # text and bools are not rates ("30" was taken, True was 1 fps)
    one_line_error(lambda: armsim.animate(panda, [q, q], fps="30"), "fps must be a number, got '30'")
    one_line_error(lambda: armsim.animate(panda, [q, q], fps=True), "fps must be a number, got 'True'")
    one_line_error(lambda: armsim.animate(panda, [q, q], target=np.zeros((3, 3))),
                   "target must be one target, or one per pose (2), got 3")
    one_line_error(lambda: armsim.animate(panda, [q, q], size=(10, 10)),
                   "size[0]: must be >= 16, got 10")
    anim = armsim.animate(panda, [q], size=(64, 48))
    missing = ROOT / "no-such-folder"
    one_line_error(lambda: anim.save(missing / "x.gif"),
                   f"cannot write '{missing / 'x.gif'}': folder '{missing}' does not exist")
    assert not missing.exists()
    # a GIF under another name is refused, as the CLI's --gif refuses it (was written)
    png = ROOT / "no-such-folder.png"
    one_line_error(lambda: anim.save(png), f"'{png}' would hold a GIF under another name; "
                   "end it in .gif (e.g. 'no-such-folder.gif')")
    assert not png.exists()
    one_line_error(lambda: anim.save(3), "path must be a file name, got 3")


def test_import_armsim_loads_no_pygame_until_a_picture_is_asked():
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "DISPLAY",
                                                            "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT)
    code = ("import os, sys\nimport armsim\nprint('pygame' in sys.modules)\n"
            "print('render' in dir(armsim))\n"
            "img = armsim.render(armsim.Chain([0.5, 0.5]), size=(64, 48))\n"
            "print('pygame' in sys.modules, img.size, os.environ.get('SDL_VIDEODRIVER'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["False", "True", "True (64, 48) dummy"]


def test_armsim_view_is_reached_from_import_armsim_alone():
    # render's docstring names armsim.view.View, but after `import armsim` alone
    # armsim.view raised AttributeError until a picture had imported the package
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SDL_VIDEODRIVER": "dummy"}
    code = ("import sys\nimport armsim\nprint('pygame' in sys.modules, 'view' in dir(armsim))\n"
            "v = armsim.view.View((64, 48))\nprint(type(v).__name__, 'pygame' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["False True", "View True"]


def test_the_readme_example_writes_its_picture_and_gif(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    section = text.split("## A pose from Python and in a notebook", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"np": np, "armsim": armsim})
    assert Image.open(tmp_path / "pose.png").size == (640, 480)
    assert frames_of((tmp_path / "path.gif").read_bytes()).shape == (30, 360, 480, 3)


def test_a_still_pose_is_still_unless_the_view_orbits(panda):
    q = panda.clip(np.zeros(7))
    still = frames_of(armsim.animate(panda, [q] * 5, size=(96, 72)).data)
    assert all(np.array_equal(f, still[0]) for f in still)
    turning = frames_of(armsim.animate(panda, [q] * 5, size=(96, 72), fps=10,
                                       view={"orbit_deg_per_s": 90}).data)
    # an orbiting camera frames the arm for the whole turn (from the arm's middle, far
    # enough at every eighth of a turn): its first frame is that camera's picture
    cam = OrbitCamera.from_view({"orbit_deg_per_s": 90}, panda.reach,
                                points=np.asarray(panda.frames(q)[1]))
    first = pixels(armsim.render(panda, q, size=(96, 72), view=cam))
    assert np.mean(np.all(turning[0] == first, axis=-1)) > 0.99
    assert not np.array_equal(turning[-1], still[0])     # then the camera turns


def test_a_pose_target_must_be_a_rotation(panda):
    T = np.eye(4)
    T[:3, :3] *= 1.1
    one_line_error(lambda: armsim.render(panda, target=T),
                   "target rotation must be orthonormal (R R^T = I within 1e-6), got a "
                   "deviation of 0.21")


def test_animate_checks_its_options_and_draws_the_obstacles_given():
    # an unknown option was a TypeError (planar) or ignored (spatial); obstacles= was a
    # TypeError ("got multiple values for keyword argument 'obstacles'")
    panda = armsim.robots.load("panda")
    q = panda.clip(np.zeros(7))
    one_line_error(lambda: armsim.animate(armsim.Chain([0.4, 0.3]), np.zeros((2, 2)), foo=1),
                   "unknown option 'foo'; the options: obstacles, plot_slot, show_reach, "
                   "show_trail, show_waypoints")
    one_line_error(lambda: armsim.animate(panda, [q, q], show_reach=True),
                   "unknown option 'show_reach'; the options: jacobian_scale, obstacles, "
                   "show_grid, show_limits, show_solids, show_trail")
    ball = {"kind": "sphere", "center": [0.4, 0.0, 0.4], "radius": 0.1}
    plain = armsim.animate(panda, [q, q], size=(64, 48))
    assert armsim.animate(panda, [q, q], size=(64, 48), obstacles=[ball]).data != plain.data
    assert armsim.animate(panda, [q, q], size=(64, 48),
                          obstacles=[armsim.Obstacle([0.4, 0.0, 0.4], 0.1)]).data != plain.data
    one_line_error(lambda: armsim.render(panda, q, obstacles=[{"kind": "sphere"}]),
                   "obstacles[0]['center'] must be 3 finite numbers within +-1e+06, got None")
    one_line_error(lambda: armsim.render(panda, q, obstacles="x"),
                   "obstacles must be a list of obstacles, got x")
    one_line_error(lambda: armsim.render(panda, q, obstacles=[{**ball, "radius": -1}]),
                   "obstacles[0]['radius'] must be 1 finite number >= 0 within +-1e+06, got -1")
    box = np.asarray(armsim.render(panda, q, size=(64, 48), obstacles=[
        {"kind": "box", "center": [0.4, 0.0, 0.4], "size": [0.1, 0.1, 0.1]}]))
    assert (box != np.asarray(armsim.render(panda, q, size=(64, 48)))).any()


def test_a_robot_target_that_is_nan_is_refused():
    robot = armsim.robots.load_robot("dual_arm")
    one_line_error(lambda: armsim.render(robot, target={"left_tool": [np.nan, 0, 0]}),
                   "target['left_tool'] must be finite numbers, got [nan, 0.0, 0.0]")


def test_a_robot_targets_nan_in_its_rotation_or_in_one_frame_is_named():
    # a NaN in a pose's rotation was shown as its (finite) position: "target['left_tool'] must
    # be finite numbers, got [0.45, 0.3, 0.9]"; one frame's of an animation named no frame
    robot = armsim.robots.load_robot("dual_arm")
    pose = armsim.pose([0.45, 0.3, 0.9])
    bad = pose.copy()
    bad[2, 2] = np.nan
    one_line_error(lambda: armsim.render(robot, target={"left_tool": bad}),
                   "target['left_tool'] must be finite numbers, got nan at [2, 2]")
    qs = [robot.clip(np.zeros(robot.n))] * 2
    one_line_error(lambda: armsim.animate(robot, qs, target={"left_tool": [pose, bad]}),
                   "target['left_tool'][1] must be finite numbers, got nan at [2, 2]")
    one_line_error(lambda: armsim.animate(robot, qs, target={"right_tool": [[0.4, 0, 0.9],
                                                                          [0.4, np.inf, 0.9]]}),
                   "target['right_tool'][1] must be finite numbers, got [0.4, inf, 0.9]")


def test_a_far_target_leaves_the_robot_framed():
    # a target 10-100 m away set the camera's distance: the Panda was a few pixels (76 at
    # 100 m against 1645 at 2 m in the audit's count), and framed again at 1e6 m
    panda = armsim.robots.load("panda")
    q = panda.clip(np.zeros(7))

    def robot_pixels(target):
        img = np.asarray(armsim.render(panda, q, target=target, size=(320, 240)))
        return int((img.min(axis=2) > 200).sum())       # the white housings
    near = robot_pixels([0.5, 0.0, 0.3])
    assert near > 100
    for far in (10.0, 100.0, 9.9e5):
        assert robot_pixels([far, 0.0, 0.3]) > 0.8 * near


@pytest.mark.parametrize("size", [(480, 360), (640, 480)])
def test_the_default_panda_picture_is_not_cut_at_the_top(size):
    # the framing's margin (0.08 reach) was under the housings' half-diagonal: 43 solid
    # pixels of the Panda in the top row at 480 x 360, 57 at 640 x 480
    img = np.asarray(armsim.render(armsim.robots.load("panda"), size=size)).astype(int)
    solid = (img.min(axis=2) > 90) & (np.ptp(img, axis=2) < 25)
    assert solid.sum() > 1000
    assert not solid[0].any() and not solid[:, 0].any() and not solid[:, -1].any()


def test_a_planar_chain_draws_the_obstacles_given():
    # obstacles= was refused for a planar chain ("unknown option 'obstacles'") though the
    # README offers it to render and animate; a dict may leave its kind to its keys
    chain = armsim.Chain([0.4, 0.3, 0.2, 0.1])
    plain = np.asarray(armsim.render(chain, size=(200, 150)))
    ball = armsim.Obstacle([0.3, 0.2], 0.05)
    drawn = np.asarray(armsim.render(chain, size=(200, 150), obstacles=[ball]))
    changed = np.argwhere((drawn != plain).any(axis=2))
    # the base at the centre, 0.45 x 150 px per metre: the ball's centre at (120, 61)
    assert len(changed) > 20
    assert np.abs(changed.mean(axis=0) - [75 - 0.2 * 67.5, 100 + 0.3 * 67.5]).max() < 2
    keyed = np.asarray(armsim.render(chain, size=(200, 150),
                                     obstacles=[{"center": [0.3, 0.2], "radius": 0.05}]))
    assert (keyed == drawn).all()
    still = np.zeros((2, 4))
    assert (armsim.animate(chain, still, size=(64, 48), obstacles=[ball]).data
            != armsim.animate(chain, still, size=(64, 48)).data)
    one_line_error(lambda: armsim.render(chain, obstacles=[armsim.Obstacle([0.3, 0.2, 0], 0.1)]),
                   "obstacles[0] must be a planar obstacle (its center 2 numbers), got 3 "
                   "numbers")
    one_line_error(lambda: armsim.render(chain, obstacles=[{"radius": 1}]),
                   "obstacles[0] must be an Obstacle or a dict with \"kind\" one of circle, "
                   "sphere, box, capsule (or its keys: center and radius, center and size, "
                   "a, b and radius), got {'radius': 1}")


def test_an_obstacle_far_larger_than_the_picture_is_drawn_by_its_pixels():
    # a radius of 1e6 m (1e8 px) took seconds a frame in pygame's circle (a scene's GIF of
    # 240 frames: half an hour), and one whose centre was off the screen was not drawn at all
    from armsim.view.style import DEFAULT_THEME as theme
    chain = armsim.Chain([0.4, 0.3, 0.2])
    size = (200, 150)
    big = {"center": [0.3, 1e6], "radius": 1e6 - 0.5}      # its edge 0.5 m above the base
    got = np.asarray(armsim.render(chain, size=size, obstacles=[big]))
    plain = np.asarray(armsim.render(chain, size=size))
    scale = 0.45 * 150 / chain.reach                      # px per m; the base at the centre
    edge = 75 - 0.5 * scale                                # the edge's row
    col = got[:, 150]                                      # a column clear of the arm
    assert (col[:int(edge) - 1] == theme.separator[:3]).all()
    assert (col[int(edge) + 2:] == plain[int(edge) + 2:, 150]).all()
    assert (col[int(edge) - 1:int(edge) + 2] == theme.waypoint[:3]).all(axis=1).any()
    # a huge box and a huge margin: the same rule
    box = np.asarray(armsim.render(chain, size=size, obstacles=[
        {"kind": "box", "center": [0.0, -5e5 - 0.5], "size": [1e6, 1e6]}]))
    assert (box[int(75 + 0.5 * scale) + 2:, 150] == theme.separator[:3]).all()
    assert (box[:int(75 + 0.5 * scale) - 1, 150] == plain[:int(75 + 0.5 * scale) - 1, 150]).all()


def test_a_robot_on_a_moving_base_is_framed_by_its_own_size(tmp_path):
    # the view was scaled by the reach with the base's travel (100 m a slide): the robot
    # was a dot under its tool's axes
    text = """<robot name="m"><link name="world"/><link name="chassis"/><link name="a1"/>
      <link name="a2"/><link name="tool"/>
      <joint name="f" type="floating"><parent link="world"/><child link="chassis"/></joint>
      <joint name="j1" type="revolute"><parent link="chassis"/><child link="a1"/>
        <origin xyz="0 0 0.3"/><axis xyz="0 0 1"/><limit lower="-3" upper="3"/></joint>
      <joint name="j2" type="revolute"><parent link="a1"/><child link="a2"/>
        <origin xyz="0 0 0.4"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
      <joint name="j3" type="fixed"><parent link="a2"/><child link="tool"/>
        <origin xyz="0.3 0 0"/></joint></robot>"""
    (tmp_path / "m.urdf").write_text(text)
    robot = armsim.load_robot(tmp_path / "m.urdf")
    assert robot.reach > 300.0 and robot.arm_reach == pytest.approx(1.0)
    img = pixels(armsim.render(robot, size=(320, 240)))
    assert inked(img, pygame.Rect(0, 0, 320, 240)) > 0.08 * 320 * 240
    # the base's travel is no link and its coordinates no joints: a rod from the world's
    # origin to the chassis, and housings at the origin, were drawn
    from armsim.ik.tree_tracking import tree_snapshot
    q = np.zeros(robot.n)
    q[:2] = (0.6, 0.4)
    st = tree_snapshot(robot, q, {})
    assert robot.base_joints == {f"f_{c}" for c in ("x", "y", "z", "yaw", "pitch", "roll")}
    assert [st.links[j] for _, j in st.segments] == ["a1", "a2", "tool"]
    assert len(st.origins) == 2 and np.allclose(st.origins[0], [0.6, 0.4, 0.3])


def test_jacobian_arrows_asked_of_a_whole_robot_are_refused_not_ignored():
    robot = armsim.robots.load_robot("dual_arm")
    message = ("show_jacobian: a whole robot's picture has no Jacobian arrows (a chain's has: "
               "load it with tip=...)")
    for call in (lambda: armsim.render(robot, show_jacobian=True),
                 lambda: armsim.animate(robot, [np.zeros(robot.n)], show_jacobian=True)):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message
    assert armsim.render(robot, size=(64, 48)).size == (64, 48)


@pytest.mark.parametrize("kw, message", [
    # each was drawn: a box of negative sides, "no" as True, an array's ambiguous truth
    (dict(obstacles=[{"center": [0.2, 0.1], "size": [-1, -1]}]),
     "obstacles[0]['size'] must be 2 finite numbers >= 0 within +-1e+06, got [-1, -1]"),
    (dict(show_trail="no"), "show_trail must be True or False, got no"),
    (dict(show_reach=np.array([1, 2])), "show_reach must be True or False, got [1 2]"),
    (dict(show_panel=1), "show_panel must be True or False, got 1"),
])
def test_a_planar_pictures_bad_option_is_one_line(kw, message):
    with pytest.raises(ValueError) as err:
        armsim.render(armsim.Chain([0.3, 0.2, 0.1]), size=(16, 16), **kw)
    assert str(err.value) == message
    assert armsim.render(armsim.Chain([0.3, 0.2]), size=(16, 16),
                         show_trail=np.bool_(False)).size == (16, 16)


def test_an_obstacle_radius_is_a_number_not_text():
    with pytest.raises(ValueError, match=r"^radius must be a finite number >= 0, got 0.1$"):
        armsim.Obstacle([0.2, 0.1], "0.1")


def test_a_planar_pictures_panel_says_no_method_as_the_3d_one():
    # a pose drawn from Python has no solver: "method ?" (the 3D panel: "method -")
    from armsim.view.notebook import _state
    from armsim.view.planar import _panel_lines
    lines = _panel_lines(_state(armsim.Chain([0.3, 0.2]), np.zeros(2), None, False))
    assert "method  -" in lines and "method  ?" not in lines
    assert "error  - m" in lines                      # no target: none (it read "nan m")
    # 4 significant digits: 1e-5 m read "0.0000", 141421 m was cut to "141420..."
    from armsim.view.style import _num
    assert [_num(x) for x in (1.2e-5, 0.44721, 141421.356)] == ["1.2e-05", "0.4472",
                                                                "1.414e+05"]


@pytest.mark.parametrize("target", [[1e5, 0, 0], [100.0, 50.0, 3.0]])
def test_the_panel_never_covers_the_arrow_to_a_target_off_the_picture(panda, target):
    # the panel kept clear of the arm and the target's (off-picture) projection, not of the
    # arrow and its "target, ... m from the tool": 37 of its 410 target-coloured pixels showed
    def red(img):
        a = np.asarray(img)
        return int(np.all(a == np.array(DEFAULT_THEME.target), axis=-1).sum())
    on = armsim.render(panda, target=target, show_panel=True, size=(320, 240))
    off = armsim.render(panda, target=target, show_panel=False, size=(320, 240))
    assert red(off) > 300 and red(on) == red(off)


def test_the_words_by_the_arrow_to_a_target_off_the_picture_stand_on_a_box(panda):
    # "target, 5.35 m from the tool" was drawn straight over the robot, red on its white
    # links, and half of it could not be read
    img = np.asarray(armsim.render(panda, target=armsim.pose([5.0, 3.0, 0.35],
                                                              rpy=[np.pi, 0, 0]))).astype(int)
    red = np.all(img == np.array(DEFAULT_THEME.target), axis=-1)
    rows = [y for y in range(img.shape[0]) if red[y].any()
            and np.ptp(np.flatnonzero(red[y])) > 100]          # the words' rows, not the arrow's
    assert len(rows) >= 5
    y0, y1 = min(rows), max(rows) + 1
    xs = np.flatnonzero(red[y0:y1].any(axis=0))
    words = img[y0:y1, xs.min():xs.max() + 1]
    bright = (words.min(axis=-1) > 120) & ~red[y0:y1, xs.min():xs.max() + 1]
    assert int(bright.sum()) == 0          # no white link shows between the letters


MOUNTED = """<robot name="m"><link name="world"/><link name="base"/><link name="a1"/>
  <link name="a2"/><link name="a3"/><link name="tool"/>
  <joint name="mount" type="fixed"><parent link="world"/><child link="base"/>
    <origin xyz="{mount}"/></joint>
  <joint name="j1" type="revolute"><parent link="base"/><child link="a1"/>
    <origin xyz="0 0 0.2"/><axis xyz="0 0 1"/><limit lower="-2" upper="2"/></joint>
  <joint name="j2" type="revolute"><parent link="a1"/><child link="a2"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="j3" type="revolute"><parent link="a2"/><child link="a3"/>
    <origin xyz="0.3 0 0"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="t" type="fixed"><parent link="a3"/><child link="tool"/>
    <origin xyz="0.2 0 0"/></joint></robot>"""


@pytest.mark.parametrize("mount", ["100 100 0", "0 0 50", "5 -5 0"])
def test_a_robot_mounted_far_from_its_root_frame_is_drawn_in_the_picture(tmp_path, mount):
    # a URDF whose root is a world frame with the arm mounted metres away: the framing left
    # out every point farther than 3 reaches from the first point, the root's origin, and
    # looked at it: the picture held the floor and a disc (or the rod to the mount), never
    # the arm (its tool frame: 0 pixels of the axis colours against 131 unmounted)
    def tool_axes(img):             # red, green and blue pixels: the tool frame's axes
        i = np.asarray(img).astype(int)
        r, g, b = i[..., 0], i[..., 1], i[..., 2]
        return int(((r > 150) & (g < 120) & (b < 120)).sum() + ((g > 150) & (r < 120) & (
            b < 140)).sum() + ((b > 200) & (r < 120) & (g < 160)).sum())
    (tmp_path / "home.urdf").write_text(MOUNTED.format(mount="0 0 0"))
    (tmp_path / "away.urdf").write_text(MOUNTED.format(mount=mount))
    for load in (armsim.load_urdf, armsim.load_robot):
        home, away = (load(tmp_path / f) for f in ("home.urdf", "away.urdf"))
        near = tool_axes(armsim.render(home, size=(320, 240)))
        assert near > 60
        assert tool_axes(armsim.render(away, size=(320, 240))) > near / 2
    gifs = [iio.imread(armsim.animate(chain, np.linspace(
        chain.clip(np.zeros(3)), chain.clip(np.full(3, 0.5)), 3), size=(320, 240)).data,
        index=None) for chain in map(armsim.load_urdf, (tmp_path / "home.urdf",
                                                       tmp_path / "away.urdf"))]
    for at_home, away in zip(*gifs):
        assert tool_axes(away) > tool_axes(at_home) / 2 > 30


def test_a_continuous_joint_past_the_bound_is_not_said_outside_infinite_limits(tmp_path):
    # a continuous joint's value past +-1e6 rad was said to be outside its limits
    # "[-inf, inf]" (q[0] must be within joint 1 (j1)'s limits [-inf, inf], got 1e+07)
    path = tmp_path / "turn.urdf"
    path.write_text(
        '<robot name="turn"><link name="b"/><link name="l1"/><link name="t"/>'
        '<joint name="j1" type="continuous"><parent link="b"/><child link="l1"/>'
        '<origin xyz="0 0 0.1"/><axis xyz="0 0 1"/></joint>'
        '<joint name="j2" type="revolute"><parent link="l1"/><child link="t"/>'
        '<origin xyz="0.3 0 0"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>'
        '</robot>')
    chain = armsim.load_urdf(path)
    one_line_error(lambda: armsim.render(chain, [1e7, 0.0]),
                   "q[0] must be within +-1e+06, got 1e+07")
    one_line_error(lambda: armsim.animate(chain, [[0.0, 0.0], [-1e7, 0.0]]),
                   "qs[1][0] must be within +-1e+06, got -1e+07")
    one_line_error(lambda: armsim.render(chain, [0.0, 3.0]),      # a bounded joint: its limits
                   "q[1] must be within joint 2 (j2)'s limits [-2, 2], got 3")


def test_a_robots_joint_value_out_of_range_is_named_as_a_chains():
    # a whole robot's said "q must be within the joint limits (robot.limits)", naming none
    # of its 15 joints, and a continuous joint's past +-1e6 rad "joint values must be finite
    # and within +-1e+06" (robot.frames's words, naming no argument)
    robot = armsim.robots.load_robot("dual_arm")
    q = robot.clip(np.zeros(robot.n))
    q[14] = 100.0
    one_line_error(lambda: armsim.render(robot, q),
                   "q[14] must be within joint 15 (right_joint7)'s limits [-2.8973, 2.8973], "
                   "got 100")
    one_line_error(lambda: armsim.animate(robot, [robot.clip(q), q]),
                   "qs[1][14] must be within joint 15 (right_joint7)'s limits [-2.8973, "
                   "2.8973], got 100")
    free = armsim.robots.load_robot("dual_arm", base_joint="floating")     # yaw: continuous
    q = free.clip(np.zeros(free.n))
    q[free.joint_names.index("base_yaw")] = 1e7
    one_line_error(lambda: armsim.render(free, q), "q[3] must be within +-1e+06, got 1e+07")
    one_line_error(lambda: armsim.animate(free, [q, q]),
                   "qs[0][3] must be within +-1e+06, got 1e+07")


def test_a_robots_target_per_pose_of_the_wrong_count_says_so():
    # 2 targets for 3 poses said "target 'left_tool' must have shape (3,) or (4, 4) (a
    # position or a homogeneous pose), got (2, 3)", leaving out the one per pose animate takes
    robot = armsim.robots.load_robot("dual_arm")
    qs = [robot.clip(np.zeros(robot.n))] * 3
    pose = armsim.pose([0.45, 0.3, 0.9])
    one_line_error(lambda: armsim.animate(robot, qs, target={"left_tool": [pose] * 2}),
                   "target['left_tool'] must be one target, or one per pose (3), got 2")
    one_line_error(lambda: armsim.animate(robot, qs, target={"left_tool": [[0.4, 0.3, 0.9]] * 4}),
                   "target['left_tool'] must be one target, or one per pose (3), got 4")
    one_line_error(lambda: armsim.animate(robot, qs[:1],
                                          target={"left_tool": [[0.4, 0.3, 0.9]] * 2}),
                   "target['left_tool'] must be one target, or one per pose (1), got 2")
    assert armsim.animate(robot, qs, target={"left_tool": [pose] * 3}, size=(64, 48)).frames == 3
    assert armsim.animate(robot, qs[:1], target={"left_tool": pose}, size=(64, 48)).frames == 1


def test_an_animation_of_one_pose_says_one_frame():
    # it said "Animation(1 frames, ...)" and "armsim animation: 1 frames at 30 fps"
    chain = armsim.Chain([0.4, 0.3])
    one, two = armsim.animate(chain, [[0.1, 0.2]]), armsim.animate(chain, [[0.1, 0.2]] * 2)
    assert repr(one).startswith("Animation(1 frame, ") and 'animation: 1 frame at' in (
        one._repr_html_())
    assert repr(two).startswith("Animation(2 frames, ")


@pytest.mark.parametrize("section", ["## Spatial arms", "## Whole robots"])
def test_the_readme_api_blocks_run_as_written_from_the_root(section, monkeypatch):
    # they named files that do not exist (my_robot.urdf, humanoid.urdf) and values never
    # made (q, table, T_target, T_targets, T_start, T_left, ...): NameError for a reader
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    code = text.split(section, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    names = {}
    exec(compile(code, "README.md", "exec"), names)
    assert names["res"].success and np.all(names["batch"].success)


@pytest.mark.parametrize("robot", ["panda", "dual_arm", "chain"])
def test_a_picture_that_would_not_fit_in_memory_is_refused_before_drawing(robot, monkeypatch):
    """armsim.render at 4096x4096 with 100 MiB of memory left: one line saying what it
    needs (it drew, 240 MiB at its peak, and on a machine short of memory failed in a
    MemoryError traceback; animate and --gif checked, render did not).  A small picture is
    drawn as before."""
    import armsim.view.export as ex
    robot = (armsim.Chain([0.4, 0.3]) if robot == "chain" else armsim.robots.load(robot))
    monkeypatch.setattr(ex, "_available_memory", lambda: 100 << 20)
    with pytest.raises(ValueError, match=r"^a picture at 4096x4096 needs about 304 MiB of "
                                         r"memory; 100 MiB available$"):
        armsim.render(robot, size=(4096, 4096))
    assert armsim.render(robot, size=(64, 48)).size == (64, 48)
