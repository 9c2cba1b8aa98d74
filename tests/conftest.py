"""Headless by default (set before anything imports pygame); the x_app fixture of the window
tests run under Xvfb (tests/_xvfb.py)."""

import os

import pytest

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
