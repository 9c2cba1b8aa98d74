"""The real window under Xvfb, driven with xdotool: the plumbing the window tests share.

A test asks the ``x_app`` fixture (tests/conftest.py) for a running app; it gets an
:class:`XApp` on a display of its own, the window found by its class and the state file the
app writes (``ARMSIM_STATE_OUT``).  The fixture kills the app and Xvfb after the test.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: mark of every test that runs the window under Xvfb
needs_xvfb = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")),
    reason="Xvfb and xdotool not installed (apt-get install xvfb xdotool)",
)


def wait_for(predicate, timeout):
    """Whether ``predicate()`` came true within ``timeout`` seconds (polled every 0.1 s)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


class XApp:
    """``run_arm.py *args`` in a fresh Xvfb of ``screen`` (WIDTHxHEIGHTxDEPTH), run in
    ``cwd`` with ``env`` added to its environment."""

    def __init__(self, cwd, args=(), screen="1024x768x24", env=None):
        num = random.randint(120, 700)
        while Path(f"/tmp/.X11-unix/X{num}").exists():
            num += 1
        self.display = f":{num}"
        self.state_path = Path(cwd) / "state.json"
        self.app = None
        self.win = None
        self._xvfb = subprocess.Popen(["Xvfb", self.display, "-screen", "0", screen, "-nolisten", "tcp"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert wait_for(lambda: Path(f"/tmp/.X11-unix/X{num}").exists(), 10), "Xvfb did not start"
            # pygame's display init in this process (DISPLAY set: a desktop's terminal) puts
            # SDL_VIDEO_X11_WMCLASS=__main__.py in the environment: the app's window class
            app_env = {k: v for k, v in os.environ.items() if k != "SDL_VIDEO_X11_WMCLASS"}
            app_env.update(DISPLAY=self.display, SDL_VIDEODRIVER="x11",
                           ARMSIM_STATE_OUT=str(self.state_path), **(env or {}))
            self.app = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), *args],
                                        env=app_env, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
            # SDL types WM_NAME ("armsim") as UTF-8, which xdotool's --name search does not
            # decode; the window class is the script's name
            r = self.xdo("search", "--sync", "--onlyvisible", "--class", "run_arm")
            assert r.returncode == 0 and r.stdout.strip(), f"no window: {r.stderr}"
            self.win = r.stdout.split()[0]
        except BaseException:
            self.close()
            raise

    def xdo(self, *args):
        """``xdotool *args`` on this display."""
        env = dict(os.environ, DISPLAY=self.display)
        return subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True, timeout=20)

    def geometry(self):
        """The window's X, Y, WIDTH, HEIGHT, retried while a loaded machine maps it."""
        g = {}
        for _ in range(100):
            geo = self.xdo("getwindowgeometry", "--shell", self.win).stdout
            g = dict(line.split("=", 1) for line in geo.split() if "=" in line)
            if "X" in g:
                break
            time.sleep(0.1)
        return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])

    def key(self, *keys):
        """Type ``keys`` (xdotool names) into the window, one after the other."""
        for k in keys:
            self.xdo("key", "--window", self.win, k)

    def drag(self, origin, start, end, steps=5):
        """Left-button drag from ``start`` to ``end`` (window pixels; the window's top left at
        ``origin`` on the screen) in ``steps`` motions."""
        x0, y0 = origin
        self.xdo("mousemove", str(x0 + start[0]), str(y0 + start[1]))
        self.xdo("mousedown", "1")
        for i in range(1, steps + 1):
            self.xdo("mousemove", str(x0 + start[0] + (end[0] - start[0]) * i // steps),
                     str(y0 + start[1] + (end[1] - start[1]) * i // steps))
            time.sleep(0.05)
        self.xdo("mouseup", "1")

    def state(self):
        """The app's last state file, or {} while there is none (or it is half written)."""
        try:
            return json.loads(self.state_path.read_text())
        except (OSError, ValueError):
            return {}

    def close(self):
        """Kill the app if it still runs, then stop Xvfb: SIGTERM, on which it removes its
        socket and lock file (SIGKILL leaves them), SIGKILL if it has not gone in 5 s."""
        if self.app is not None and self.app.poll() is None:
            self.app.kill()
            self.app.wait()
        self._xvfb.terminate()
        try:
            self._xvfb.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._xvfb.kill()
            self._xvfb.wait()
