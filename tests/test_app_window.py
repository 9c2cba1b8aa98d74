"""End to end: the real window under Xvfb, the target dragged with xdotool."""

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from armsim.view.planar import bands

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")),
    reason="Xvfb and xdotool not installed (apt-get install xvfb xdotool)",
)


def wait_for(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def window_geometry(display, win):
    """xdotool's X, Y, WIDTH, HEIGHT of ``win``, retried while a loaded machine maps it."""
    g = {}
    for _ in range(100):
        geo = xdo(display, "getwindowgeometry", "--shell", win).stdout
        g = dict(line.split("=", 1) for line in geo.split() if "=" in line)
        if "X" in g:
            break
        time.sleep(0.1)
    return g


def xdo(display, *args):
    env = dict(os.environ, DISPLAY=display)
    return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=20)


def test_drag_moves_target_and_tip_follows(tmp_path):
    num = random.randint(120, 400)
    while Path(f"/tmp/.X11-unix/X{num}").exists():
        num += 1
    display = f":{num}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = None
    state_path = tmp_path / "state.json"
    try:
        assert wait_for(lambda: Path(f"/tmp/.X11-unix/X{num}").exists(), 10), "Xvfb did not start"
        env = dict(os.environ, DISPLAY=display, SDL_VIDEODRIVER="x11",
                   ARMSIM_STATE_OUT=str(state_path))
        app = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py")], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # SDL types WM_NAME ("armsim") as UTF-8, which xdotool's --name search does not
        # decode; the window class is the script's name
        r = xdo(display, "search", "--sync", "--onlyvisible", "--class", "run_arm")
        assert r.returncode == 0 and r.stdout.strip(), f"no window: {r.stderr}"
        win = r.stdout.split()[0]
        g = window_geometry(display, win)
        x0, y0, w, h = int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])
        assert wait_for(state_path.exists, 15), "the app wrote no state"
        # drag from the centre (the base) up and to the right, ending at a reachable point
        end = (w // 2 + 90, h // 2 - 60)
        xdo(display, "mousemove", str(x0 + w // 2 + 20), str(y0 + h // 2 - 20))
        xdo(display, "mousedown", "1")
        for i in range(1, 6):
            xdo(display, "mousemove", str(x0 + w // 2 + 20 + (end[0] - w // 2 - 20) * i // 5),
                str(y0 + h // 2 - 20 + (end[1] - h // 2 + 20) * i // 5))
            time.sleep(0.05)
        xdo(display, "mouseup", "1")
        time.sleep(2.0)                         # about 120 frames for the arm to catch up
        xdo(display, "key", "--window", win, "Escape")
        app.wait(timeout=15)
        assert app.returncode == 0, app.stderr.read()
        state = json.loads(state_path.read_text())
        # the view puts the base at the centre of the workspace area (the whole window, or
        # what the panel's band leaves) with the reach over 0.45 x its min(w, h) pixels
        free, _ = bands((w, h))
        scale = 0.45 * min(free.size) / state["reach"]
        cx, cy = free.x + free.w / 2, free.y + free.h / 2
        expected = np.array([(end[0] - cx) / scale, -(end[1] - cy) / scale])
        target = np.array(state["target"])
        assert np.linalg.norm(target - expected) < 3 / scale + 1e-9, (target, expected)
        assert np.linalg.norm(np.array(state["tip"]) - target) < 0.01   # the tip followed
        assert state["frames"] > 30
        assert state["target_history_len"] >= 6   # the press and five drag motions
    finally:
        if app is not None and app.poll() is None:
            app.kill()
            app.wait()
        xvfb.kill()
        xvfb.wait()


def test_keys_in_the_real_window(tmp_path):
    """Issue 13: keys typed into the real window (xdotool) do what the help says: +, m, j,
    space, h and s (the screenshot shows the help and is the window's size)."""
    num = random.randint(120, 400)
    while Path(f"/tmp/.X11-unix/X{num}").exists():
        num += 1
    display = f":{num}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = None
    state_path = tmp_path / "state.json"

    def state():
        try:
            return json.loads(state_path.read_text())
        except (OSError, ValueError):
            return {}
    try:
        assert wait_for(lambda: Path(f"/tmp/.X11-unix/X{num}").exists(), 10), "Xvfb did not start"
        env = dict(os.environ, DISPLAY=display, SDL_VIDEODRIVER="x11",
                   ARMSIM_STATE_OUT=str(state_path))
        app = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py")], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        r = xdo(display, "search", "--sync", "--onlyvisible", "--class", "run_arm")
        assert r.returncode == 0 and r.stdout.strip(), f"no window: {r.stderr}"
        win = r.stdout.split()[0]
        assert wait_for(lambda: state().get("segments") == 7, 15), "the app wrote no state"
        assert state()["window"] == [1280, 800]            # the default size fits 1600x1000
        for k in ("plus", "plus", "m", "j"):
            xdo(display, "key", "--window", win, k)
        assert wait_for(lambda: state().get("segments") == 9 and state().get("method") == "pinv"
                        and state()["show"]["jacobian"] is False, 10), state()
        xdo(display, "key", "--window", win, "space")
        assert wait_for(lambda: state().get("paused") is True, 10), state()
        frames = state()["frames"]
        xdo(display, "key", "--window", win, "h")
        xdo(display, "key", "--window", win, "s")
        shot = tmp_path / "armsim-screenshot-0001.png"
        assert wait_for(shot.exists, 10)
        assert wait_for(lambda: state().get("show_help") is True, 10)
        assert state()["frames"] == frames                  # paused: no frame stepped
        xdo(display, "key", "--window", win, "q")
        app.wait(timeout=15)
        out = app.stdout.read()
        assert app.returncode == 0, app.stderr.read()
        assert out == f"armsim: screenshot saved to {shot.resolve()}\n"
        import imageio.v3 as iio
        img = iio.imread(shot)[..., :3]
        assert img.shape == (800, 1280, 3)
        # the help box is in the middle, its keys in the warning colour
        from armsim.view import DEFAULT_THEME, scaled_theme
        warn = np.array(scaled_theme(DEFAULT_THEME, (1280, 800)).warning, dtype=np.uint8)
        close = np.all(np.abs(img[100:740, 200:1080].astype(int) - warn) <= 40, axis=-1)
        assert close.sum() > 1000
    finally:
        if app is not None and app.poll() is None:
            app.kill()
            app.wait()
        xvfb.kill()
        xvfb.wait()


def test_drag_a_panda_target_and_the_tool_reaches_it(tmp_path):
    """Issue 13: `run_arm.py --robot panda` under Xvfb; pause, drag the target with xdotool
    (left button), resume; the app's own state says the tool reached the dragged target and
    the target went where the camera puts the mouse (the plane through it facing the view)."""
    from armsim.view.orbit import OrbitCamera
    num = random.randint(120, 400)
    while Path(f"/tmp/.X11-unix/X{num}").exists():
        num += 1
    display = f":{num}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = None
    state_path = tmp_path / "state.json"

    def state():
        try:
            return json.loads(state_path.read_text())
        except (OSError, ValueError):
            return {}
    try:
        assert wait_for(lambda: Path(f"/tmp/.X11-unix/X{num}").exists(), 10), "Xvfb did not start"
        env = dict(os.environ, DISPLAY=display, SDL_VIDEODRIVER="x11",
                   ARMSIM_STATE_OUT=str(state_path))
        app = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), "--robot", "panda"],
                               env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        r = xdo(display, "search", "--sync", "--onlyvisible", "--class", "run_arm")
        assert r.returncode == 0 and r.stdout.strip(), f"no window: {r.stderr}"
        win = r.stdout.split()[0]
        g = window_geometry(display, win)
        x0, y0 = int(g["X"]), int(g["Y"])
        assert wait_for(lambda: state().get("frames", 0) > 5, 15), "the app wrote no state"
        xdo(display, "key", "--window", win, "space")
        assert wait_for(lambda: state().get("paused") is True, 10), state()
        time.sleep(0.6)                                     # a state written while paused
        s0 = state()
        size = tuple(s0["window"])
        camera = OrbitCamera(**s0["camera"])
        T0 = np.array(s0["target_pose"])
        px, _, _ = camera.project(T0[:3, 3], size)
        start = (int(round(px[0])), int(round(px[1])))
        end = (start[0] - 80, start[1] + 50)               # left and down: towards the robot
        xdo(display, "mousemove", str(x0 + start[0]), str(y0 + start[1]))
        xdo(display, "mousedown", "1")
        for i in range(1, 6):
            xdo(display, "mousemove", str(x0 + start[0] + (end[0] - start[0]) * i // 5),
                str(y0 + start[1] + (end[1] - start[1]) * i // 5))
            time.sleep(0.05)
        xdo(display, "mouseup", "1")
        xdo(display, "key", "--window", win, "space")
        assert wait_for(lambda: state().get("paused") is False, 10), state()
        time.sleep(2.0)                                     # frames for the arm to catch up
        xdo(display, "key", "--window", win, "Escape")
        app.wait(timeout=15)
        assert app.returncode == 0, app.stderr.read()
        s = state()
        expected = camera.unproject(end, size, through=T0[:3, 3])
        target = np.array(s["target"])
        metres_per_px = float((T0[:3, 3] - camera.eye) @ camera.basis()[2]) / camera.focal_px(size)
        assert np.linalg.norm(target - expected) < 1.5 * metres_per_px, (target, expected)
        assert np.linalg.norm(target - T0[:3, 3]) > 40 * metres_per_px      # it did move
        assert np.allclose(np.array(s["target_pose"])[:3, :3], T0[:3, :3])  # orientation kept
        assert np.linalg.norm(np.array(s["tip"]) - target) < 1e-3           # the tool reached it
        assert s["orientation_error"] < 1e-3
        assert s["target_history_len"] >= 6
    finally:
        if app is not None and app.poll() is None:
            app.kill()
            app.wait()
        xvfb.kill()
        xvfb.wait()
