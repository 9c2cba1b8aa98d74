"""Headless by default (set before anything imports pygame); a private disk cache for the run;
the x_app fixture of the window tests run under Xvfb (tests/_xvfb.py)."""

import atexit
import os
import shutil
import tempfile

import pytest

# the disk cache of first-use work (armsim.ik.disk_cache) in a private folder of this run:
# the tests neither read the user's cache nor fill it (subprocesses inherit the folder)
if "ARMSIM_CACHE_DIR" not in os.environ:
    os.environ["ARMSIM_CACHE_DIR"] = tempfile.mkdtemp(prefix="armsim-test-cache-")
    atexit.register(shutil.rmtree, os.environ["ARMSIM_CACHE_DIR"], True)
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


@pytest.fixture
def x_app(tmp_path):
    """``x_app(*args, screen=..., env=...)``: ``run_arm.py *args`` in its own Xvfb, run in
    ``tmp_path`` (an :class:`_xvfb.XApp`); the app and Xvfb are killed after the test.
    Mark the test with ``_xvfb.needs_xvfb``."""
    from _xvfb import XApp
    opened = []

    def start(*args, screen="1024x768x24", env=None):
        opened.append(XApp(tmp_path, args, screen=screen, env=env))
        return opened[-1]
    yield start
    for x in opened:
        x.close()


@pytest.fixture
def display_closed():
    """Quits pygame's display after the test (window tests: one display per test)."""
    yield
    import pygame
    pygame.display.quit()
