"""The interactive window.

Controls: :data:`BINDINGS` is the one table of them; the help overlay (``h``) is
drawn from it and :class:`App` dispatches keys through it, so the two cannot
drift.  The mouse (left button) puts the target under it; it follows the mouse
while the button is held and stays where it is released.

The arm chases the target a few solver iterations per frame, at most ``fps``
frames per second.  In a calibration scene the hidden reference arm chases
the target (``rounds_per_frame`` rounds per frame) while the population
learns it; once dragged, the target stays the user's instead of jumping.
With ``ARMSIM_STATE_OUT=path`` in the environment the window writes its
state (frame, target, tip; for a calibration scene the hidden arm's tip and the
round; the switches, solver and segment count) as JSON to that path every 30
loops (paused or not) and on quit, so a test can drive it from outside.
"""

from __future__ import annotations

import io
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pygame

from armsim.files import OutputError, Outputs, stderr_silenced
from armsim.view.calibration_spatial import calibration_layout, calibration_status
from armsim.view.state_out import write_state
from armsim.view.paused import shown_target
from armsim.view.overlay import banner_layout, banners_meet, draw_banner, draw_help
from armsim.view.planar import band_slots, bands
from armsim.view.plot import History, draw_plot, series_for, values_of
from armsim.view.solids import body_of
from armsim.view.render import (default_camera, draw, draw_frame, drawn_in_3d, is_spatial,
                                layout, spatial_obstacles, world_at)
from armsim.view.style import DEFAULT_THEME, scaled_theme, text_rects
from armsim.view.picking import PICK_PX, obstacle_at  # noqa: F401 (the window's API)
from armsim.view.window3d import (ALONG_VIEW_PER_NOTCH, KEY_ORBIT_DEG_PER_S, ORBIT_DEG_PER_PX, TURN_DEG,
                                  ZOOM_PER_NOTCH, SpatialControls, _axis_angle)

__all__ = ["run_window", "open_window", "window_size", "App", "BINDINGS", "Binding", "help_lines",
           "DisplayError", "DEFAULT_WINDOW", "screenshot_name"]

CAPTION = "armsim"
#: the window's size unless the command line gives one (shrunk to fit a smaller screen)
DEFAULT_WINDOW = (1280, 800)
#: seconds a message (e.g. "method: dls") stays on screen
MESSAGE_SECONDS = 2.5
#: the banner while paused
PAUSED = "PAUSED  (space resumes)"


@dataclass(frozen=True)
class Binding:
    """One control: what the help shows (``label``, ``text``), the key codes and
    typed characters that trigger it, and the :class:`App` method it calls."""

    label: str
    keys: tuple
    chars: tuple
    action: str
    text: str
    keyed: bool = False          # the action takes the key code (e.g. which way to turn)


BINDINGS = (
    Binding("h, ?", (pygame.K_h,), ("?",), "toggle_help", "show / hide this help"),
    Binding("space", (pygame.K_SPACE,), (), "toggle_pause", "pause / resume"),
    Binding("m", (pygame.K_m,), (), "next_method", "next IK method"),
    Binding("c", (pygame.K_c,), (), "next_correction", "next correction (gradient method only)"),
    Binding("+", (pygame.K_PLUS, pygame.K_KP_PLUS, pygame.K_EQUALS), ("+",), "add_segment",
            "add a segment (same reach; planar arms)"),
    Binding("-", (pygame.K_MINUS, pygame.K_KP_MINUS), ("-",), "remove_segment",
            "remove a segment (same reach; planar arms)"),
    Binding("j", (pygame.K_j,), (), "toggle_jacobian", "Jacobian arrows and legend on / off"),
    Binding("t", (pygame.K_t,), (), "toggle_trail", "tip trail on / off"),
    Binding("w", (pygame.K_w,), (), "toggle_reach", "reach circle on / off (planar arms)"),
    Binding("p", (pygame.K_p,), (), "toggle_panel", "text panel on / off"),
    Binding("k", (pygame.K_k,), (), "toggle_solids", "3D: solid robot / skeleton"),
    Binding("l", (pygame.K_l,), (), "toggle_plot", "live error plot on / off"),
    Binding("s", (pygame.K_s,), (), "screenshot", "save a PNG screenshot here"),
    Binding("r", (pygame.K_r,), (), "reset",
            "restart the run: arm, target, trail (your method and segments stay)"),
    Binding("v", (pygame.K_v,), (), "reset_view", "3D: back to the scene's camera view"),
    Binding("o", (pygame.K_o,), (), "toggle_orbit",
            "3D: slow camera orbit on / off (the scene's view.orbit_deg_per_s; "
            f"{KEY_ORBIT_DEG_PER_S:g} deg/s if 0)"),
    Binding("Left, Right", (pygame.K_LEFT, pygame.K_RIGHT), (), "turn_target",
            f"3D: turn the target pose -/+{TURN_DEG:g} deg about the world z axis", keyed=True),
    Binding("Down, Up", (pygame.K_DOWN, pygame.K_UP), (), "turn_target",
            f"3D: turn the target pose -/+{TURN_DEG:g} deg about the camera's x (right) axis",
            keyed=True),
    Binding("PgDn, PgUp", (pygame.K_PAGEDOWN, pygame.K_PAGEUP), (), "turn_target",
            f"3D: turn the target pose -/+{TURN_DEG:g} deg about its own z (tool) axis",
            keyed=True),
    Binding("q, Esc", (pygame.K_q, pygame.K_ESCAPE), (), "quit", "quit"),
)
#: the help's rows that are not keys
MOUSE_HELP = (
    ("drag", "move the target or an obstacle (left button; 3D: in the plane facing you)"),
    ("right-drag", f"3D: orbit the camera ({ORBIT_DEG_PER_PX:g} deg per pixel)"),
    ("middle-drag", "3D: pan the camera"),
    ("wheel", f"3D: zoom (distance x {ZOOM_PER_NOTCH:g} per notch up)"),
    ("shift + wheel", f"3D: move the target along the view axis, {ALONG_VIEW_PER_NOTCH:g} x the "
                      "reach per notch (up: away from you)"),
)


def help_lines() -> list[tuple[str, str]]:
    """The help overlay's rows: (control, what it does), every binding then the mouse."""
    return [(b.label, b.text) for b in BINDINGS] + list(MOUSE_HELP)


def controls_markdown() -> str:
    """The controls as a Markdown table (the README's, checked by a test)."""
    rows = ["| control | what it does |", "|---|---|"]
    for k, v in help_lines():
        keys = ", ".join(f"`{x.strip()}`" for x in k.split(", "))
        rows.append(f"| {keys} | {v} |")
    return "\n".join(rows) + "\n"


def binding_for(event) -> Binding | None:
    """The binding a KEYDOWN event triggers (by typed character first, then key code)."""
    char = getattr(event, "unicode", "") or ""
    for b in BINDINGS:
        if char and char in b.chars:
            return b
    if getattr(event, "mod", 0) & (pygame.KMOD_CTRL | pygame.KMOD_META):
        return None             # Ctrl+C is not c (a character typed with them matched above)
    for b in BINDINGS:
        if event.key in b.keys:
            return b
    return None


class DisplayError(Exception):
    """No window can be opened (no display)."""


def window_size(requested=None, desktop=None, fill=0.92):
    """The size to open: ``requested`` as given, else :data:`DEFAULT_WINDOW` shrunk
    (same aspect) to ``fill`` x the ``desktop`` size when that is smaller."""
    if requested is not None:
        return int(requested[0]), int(requested[1])
    w, h = DEFAULT_WINDOW
    if desktop:
        dw, dh = desktop
        k = min(1.0, fill * dw / w, fill * dh / h)
        if k > 0:
            w, h = max(1, int(w * k)), max(1, int(h * k))
    return w, h


def open_window(size=None, allow_headless=False, title=None):
    """Open the (resizable) window or raise :class:`DisplayError` in one line.

    ``size`` None: :func:`window_size` of the desktop.  Under the ``dummy`` and
    ``offscreen`` SDL drivers there is no screen: that is a :class:`DisplayError`
    too, unless ``allow_headless`` (tests drive the window's event loop there).
    ``title``: the scene's name, shown in the caption (``armsim — NAME``).
    """
    try:
        with stderr_silenced():     # (SDL probing Wayland: 'XDG_RUNTIME_DIR is invalid')
            pygame.display.init()
        pygame.font.init()
        global last_driver
        driver = last_driver = pygame.display.get_driver()
        if driver in ("dummy", "offscreen") and not allow_headless:
            raise DisplayError(_headless_reason(driver))
        desktop = None
        if size is None:
            try:
                sizes = pygame.display.get_desktop_sizes()
                desktop = sizes[0] if sizes and min(sizes[0]) > 0 else None
            except (pygame.error, AttributeError):
                desktop = None
        screen = pygame.display.set_mode(window_size(size, desktop), pygame.RESIZABLE)
    except pygame.error as exc:
        pygame.display.quit()
        raise DisplayError(str(exc) or "no display") from None
    except DisplayError:
        pygame.display.quit()
        raise
    pygame.display.set_caption(caption(title))
    return screen


def _headless_reason(driver):
    """Why SDL ended on a driver without a screen: the display named in the environment could
    not be reached (SDL then falls back), or the driver was asked for."""
    if os.environ.get("SDL_VIDEODRIVER"):
        return f"SDL video driver '{driver}' has no screen"
    names = [f"{k}={os.environ[k]!r}" for k in ("WAYLAND_DISPLAY", "DISPLAY") if os.environ.get(k)]
    if names:
        return (f"cannot connect to the display {' or '.join(names)} (is an X or Wayland server "
                f"running there?); SDL fell back to its '{driver}' driver, which has no screen")
    return f"SDL video driver '{driver}' has no screen"


def caption(title=None) -> str:
    """The window title: ``armsim — NAME``, ``armsim — default scene`` without a name."""
    return f"{CAPTION} \u2014 {title or 'default scene'}"


#: the SDL video driver of the last window opened
last_driver = None

RESIZE_EVENTS = (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED)


def _resized(screen, event):
    """The display surface after a resize event (the picture and the mouse mapping
    are fitted to its new size by the caller)."""
    size = getattr(event, "size", None) or (getattr(event, "x", 0), getattr(event, "y", 0))
    w, h = (max(1, int(v)) for v in size)
    current = pygame.display.get_surface()
    if current is not None and current.get_size() == (w, h):
        return current
    try:
        return pygame.display.set_mode((w, h), pygame.RESIZABLE)
    except pygame.error:
        return current or screen


def screenshot_name(folder=".", stem="armsim-screenshot") -> Path:
    """The first ``STEM-NNNN.png`` in ``folder`` that does not exist yet."""
    folder = Path(folder)
    k = 1
    while (folder / f"{stem}-{k:04d}.png").exists():
        k += 1
    return folder / f"{stem}-{k:04d}.png"


def png_bytes(surface) -> bytes:
    """``surface`` encoded as PNG."""
    buf = io.BytesIO()
    pygame.image.save(surface, buf, "shot.png")
    return buf.getvalue()


class App(SpatialControls):
    """The window's state and behaviour: ``sim`` drawn on ``screen``, driven by events.

    Attributes a test (or the help) can read: ``show`` (the draw switches:
    jacobian, trail, reach, panel), ``show_help``, ``show_plot``, ``paused``,
    ``frames`` (frames stepped), ``history`` (the live plot's
    :class:`~armsim.view.plot.History`), ``message`` (the last on-screen note),
    ``screenshots`` (paths written), ``user_target``.

    A spatial simulation is drawn in perspective (:func:`~armsim.view.spatial.draw_spatial`)
    as ``camera`` (an :class:`~armsim.view.orbit.OrbitCamera`, default: the framing of the
    arm's reach) sees it; the camera turns by its ``orbit_deg_per_s`` / ``fps`` before each
    frame after the first (as the GIF export does), unless a button is held or ``o`` stopped
    it.  ``user_target`` is then a (3,) position or, for a pose target, a (4, 4) pose whose
    orientation a drag keeps.  A 3D calibration scene is drawn by
    :func:`~armsim.view.calibration_spatial.draw_calibration_spatial` through the same
    camera controls (default: its :func:`~armsim.view.calibration_spatial.framing`); the
    left button and the target keys only say that its commanded poses are scripted.
    """

    def __init__(self, sim, screen, fps=60, draw_options=None, title=None, camera=None):
        self.sim = sim
        self.spatial = is_spatial(sim.state)
        # the 3D view (a spatial arm or a 3D calibration): built once, kept until ``v``
        self.camera = (None if not drawn_in_3d(sim.state)
                       else camera or default_camera(sim, screen.get_size()))
        # the scene's orbit runs from the start; a still scene's camera waits for o
        self.orbiting = self.camera is not None and self.camera.orbit_deg_per_s != 0
        self._buttons = set()           # mouse buttons held (3D: no auto orbit meanwhile)
        self._last_pos = None
        self.screen = screen
        self.fps = fps
        options = dict(draw_options or {})
        self.theme = options.pop("theme", None) or DEFAULT_THEME
        self.show = {"jacobian": options.pop("show_jacobian", True),
                     "trail": options.pop("show_trail", True),
                     "reach": options.pop("show_reach", True),
                     "panel": options.pop("show_panel", True),
                     "solids": options.pop("show_solids", True)}
        self.options = options          # the rest (show_waypoints) passed through
        self.show_help = False
        self.show_plot = False
        self.paused = False
        self.frames = 0
        self.running = True
        self.dragging = False
        self.user_target = None         # once the user has placed the target, it stays theirs
        self.obstacles = planar_obstacles(sim) if (self.planar or self.spatial) else []
        self._obstacle_home = [o.center.copy() for o in self.obstacles]
        self.held_obstacle = None       # (obstacle, its centre minus the grab point) while dragged
        self.target_history_len = 0     # mouse-set target positions since start / reset
        self.message = ""
        self._message_until = 0.0
        self.written = []               # the rects of the words the last picture wrote
        self.screenshots = []
        self.history = History(series_for(sim.state, self.theme))
        self._relayout()
        if title is not None:
            pygame.display.set_caption(caption(title))

    # -- the controls -------------------------------------------------------------
    def say(self, text):
        """Show ``text`` on screen for :data:`MESSAGE_SECONDS`."""
        self.message = str(text)
        self._message_until = time.monotonic() + MESSAGE_SECONDS

    @property
    def planar(self) -> bool:
        return hasattr(self.sim, "set_solver") and not self.spatial

    @property
    def ik(self) -> bool:
        """An arm chasing the target by IK (planar or spatial), not a calibration run."""
        return hasattr(self.sim, "set_solver")

    def toggle_help(self):
        self.show_help = not self.show_help

    def toggle_pause(self):
        self.paused = not self.paused

    def _toggle(self, name, words):
        self.show[name] = not self.show[name]
        self.say(f"{words} {'on' if self.show[name] else 'off'}")

    def toggle_jacobian(self):
        if not self.ik:
            return self._ik_only("j (Jacobian arrows)")
        self._toggle("jacobian", "Jacobian arrows")

    def toggle_solids(self):
        if self.camera is None:
            return self._3d_only("k (solid robot)")
        if not self.ik:
            return self._ik_only("k (solid robot)")
        self._toggle("solids", "solid robot")

    def toggle_trail(self):
        if not self.ik:
            return self._ik_only("t (tip trail)")
        self._toggle("trail", "trail")

    def toggle_reach(self):
        if not self.ik:
            return self._ik_only("w (reach circle)")
        if self.spatial:
            return self.say("w (reach circle): planar arms only")
        self._toggle("reach", "reach circle")

    def toggle_panel(self):
        self._toggle("panel", "panel")

    def toggle_plot(self):
        self.show_plot = not self.show_plot
        if self.show_plot and not self._plot_fits():
            return self.say("live plot on, but no room for it here (a larger window shows it)")
        self.say(f"live plot {'on' if self.show_plot else 'off'}")

    def _plot_fits(self) -> bool:
        """Whether the live plot's place has room for a curve and its axis (drawn aside)."""
        size = self.screen.get_size()
        return bool(draw_plot(pygame.Surface(size), self.plot_rect(), self.history,
                              scaled_theme(self.theme, size), title=self._plot_title()))

    def _plot_title(self) -> str:
        return f"last {self.history.length} frames, log scale"

    def _ik_only(self, what):
        self.say(f"{what}: not in a calibration scene (IK scenes only)")

    def next_method(self):
        if not self.ik:
            return self._ik_only("m (method)")
        methods = self.sim.methods
        now = self.sim.solver.method
        new = methods[(methods.index(now) + 1) % len(methods)] if now in methods else methods[0]
        self._set_solver(method=new)
        left = self._left_only()
        if new == "gradient":
            self.say(f"method: gradient / {self.sim.solver.correction}"
                     + (f" ({left})" if left else ""))
        else:
            self.say(f"method: {new} ({left + '; ' if left else ''}the correction applies to "
                     "gradient only)")

    def next_correction(self):
        from armsim.ik import CORRECTIONS
        if not self.ik:
            return self._ik_only("c (correction)")
        now = self.sim.solver.correction
        new = CORRECTIONS[(CORRECTIONS.index(now) + 1) % len(CORRECTIONS)]
        self._set_solver(correction=new)
        if self.sim.solver.method == "gradient":
            left = self._left_only()
            self.say(f"correction: {new}" + (f" ({left})" if left else ""))
        else:
            self.say(f"correction: {new} - only meaningful for gradient (method now "
                     f"{self.sim.solver.method}; m to switch)")

    def _set_solver(self, **change):
        """``sim.set_solver(**change)``; in a comparison the caption the scene made from the
        solver (``gradient/clip``) follows it, in the panel and the live plot."""
        sim = self.sim
        before = _solver_caption(sim.solver.method, sim.solver.correction)
        if getattr(sim, "companions", None) and getattr(sim, "label", "") == before:
            after = _solver_caption(change.get("method") or sim.solver.method,
                                    change.get("correction") or sim.solver.correction)
            sim.label = after           # (the curve's frames before were the old solver's)
            name = f"{after} from frame {sim.frame + 1}" if len(self.history.frames) else after
            self.history.series[0] = replace(self.history.series[0], name=name)
        sim.set_solver(**change)

    def _left_only(self) -> str:
        """In a comparison: words saying that m and c change the left arm alone."""
        others = getattr(self.sim, "companions", None) or []
        if not others or self.spatial:
            return ""
        kept = ", ".join(f"'{c.label}'" if c.label else c.solver.method for c in others)
        return f"left arm; {kept} keeps its own"

    def _segments(self, delta):
        if self.spatial:
            return self.say("+/- (segments): planar arms only (a spatial arm is its model)")
        if not self.planar:
            return self._ik_only("+/- (segments)")
        from armsim.ik.tracking import MAX_SEGMENTS
        before = self.sim.chain.n
        try:
            n = self.sim.set_segments(before + delta)
        except ValueError as exc:           # the arm stays as it was
            return self.say(str(exc))
        words, reach = f"{n} segment{'s' if n != 1 else ''}", self.sim.chain.reach
        bound = f"the most allowed ({MAX_SEGMENTS})" if delta > 0 else "the fewest allowed (1)"
        self.say(f"{words}: {bound}" if n == before else f"{words} (reach {reach:g} m)")
        self._relayout()

    def add_segment(self):
        self._segments(+1)

    def remove_segment(self):
        self._segments(-1)

    def screenshot(self, folder="."):
        path = screenshot_name(folder)
        data = png_bytes(self.screen)
        try:
            with Outputs() as outs:
                outs.add(str(path)).file.write(data)
        except OutputError as exc:      # the window goes on: said there and on stderr
            print(f"armsim: screenshot not saved: {exc}", file=sys.stderr, flush=True)
            self.say("screenshot not saved (see the terminal)")
            return
        self.screenshots.append(path)
        print(f"armsim: screenshot saved to {path.resolve()}", flush=True)
        self.say(f"saved {path.name}")

    def reset(self):
        for o, home in zip(self.obstacles, self._obstacle_home):
            o.move_to(home)
        self.held_obstacle = None
        self.sim.reset()
        self.user_target = None
        self.target_history_len = 0
        self.history = History(series_for(self.sim.state, self.theme))
        self._relayout()
        self.say("reset")

    def quit(self):
        self.running = False

    # -- events, frames, drawing -------------------------------------------------------
    def _relayout(self):
        """One column per arm, fitted to the screen (again after a resize or a new arm)."""
        self._panels_size = self.screen.get_size()
        self.panels = None if self.camera is not None else layout(self.sim.state, self._panels_size)

    def handle(self, event):
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.KEYDOWN:
            b = binding_for(event)
            if b is not None:
                getattr(self, b.action)(*((event.key,) if b.keyed else ()))
        elif event.type in RESIZE_EVENTS:
            self.screen = _resized(self.screen, event)
            self._relayout()
        elif self.camera is not None and event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP,
                                             pygame.MOUSEMOTION, pygame.MOUSEWHEEL):
            self._spatial_mouse(event)
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self.dragging = True
            point = world_at(self.panels, event.pos)
            tolerance = PICK_PX / self.panels[0][1].scale
            hit = obstacle_at(self.obstacles, point, tolerance)
            if hit is not None:                  # an obstacle under the mouse: drag it
                self.held_obstacle = (hit, hit.center - point)
                return
            self.user_target = point
            self.target_history_len += 1
        elif event.type == pygame.MOUSEMOTION and self.dragging:
            point = world_at(self.panels, event.pos)
            if self.held_obstacle is not None:
                obstacle, offset = self.held_obstacle
                obstacle.move_to(point + offset)
                return
            self.user_target = point
            self.target_history_len += 1
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            self.dragging = False
            self.held_obstacle = None

    def step(self):
        if self.paused:
            return
        if self.camera is not None and self.frames > 0 and self.orbiting and not self._buttons:
            self.camera.advance(1.0 / (self.fps or 60))
        self._advance()
        self.frames += 1
        # the plot's frames are the run's (the panel's): a reset starts them again
        state = self.sim.state
        self.history.add(getattr(state, "frame", self.frames), values_of(state))

    def _advance(self):
        """One frame of the simulation, toward the user's target."""
        self.sim.step(target=self.user_target)

    def draw_options(self):
        if self.spatial:
            return dict(self.options, theme=self.theme, show_jacobian=self.show["jacobian"],
                        show_trail=self.show["trail"], show_panel=self.show["panel"],
                        obstacles=spatial_obstacles(self.sim), show_solids=self.show["solids"],
                        body=body_of(getattr(self.sim, "chain", None)),
                        keep_out=(self.plot_rect(),) if self.show_plot else ())
        if self.camera is not None:              # a 3D calibration: the header's words too
            return dict(theme=self.theme, show_panel=self.show["panel"],
                        status=calibration_status(self.sim))
        return dict(self.options, theme=self.theme, show_jacobian=self.show["jacobian"],
                    show_trail=self.show["trail"], show_reach=self.show["reach"],
                    show_panel=self.show["panel"], plot_slot=self.show_plot)

    def plot_rect(self) -> pygame.Rect:
        """Where the live plot goes: the plot slot of the (first) arm's panel band; in a
        calibration scene the bottom-right corner."""
        w, h = self.screen.get_size()
        if self.camera is not None and not self.spatial:     # 3D calibration: in its panel
            return calibration_layout(self.sim.state, (w, h), self.show["panel"]).plot
        if self.camera is not None:               # bottom right; the panel takes a corner
            pw, ph = int(0.34 * w), int(0.30 * h)
            return pygame.Rect(w - pw - 6, h - ph - 6, pw, ph)
        if not self.planar:
            st, view = self.sim.state, self.panels[0][1]
            cw, ch = (float(v) for v in tuple(st.canvas)[:2])
            pts = np.concatenate([[[0.0, 0.0], [cw, ch]], np.asarray(st.focuses, float).reshape(-1, 2)])
            right = float(np.nanmax(view.to_screen(pts)[:, 0])) + 12    # past the canvas and cameras
            if w - right - 6 >= 0.15 * w:        # a free column on the right, under the panel
                return pygame.Rect(int(right), int(0.3 * h), int(w - right - 6), int(0.62 * h))
            pw, ph = int(0.34 * w), int(0.30 * h)
            return pygame.Rect(w - pw - 6, h - ph - 6, pw, ph)
        rect, _ = self.panels[0]
        slot = band_slots(bands(rect.size)[1])[2]
        return slot.move(rect.topleft)

    def _bands(self):
        """The text bands of a planar scene's arms (each column's panel band): what a
        banner keeps off where it can."""
        if self.panels is None or self.camera is not None:
            return []
        return [bands(rect.size)[1].move(rect.topleft) for rect, _ in self.panels]

    def render(self):
        screen = self.screen
        if screen.get_size() != self._panels_size:
            self._relayout()
        state = self.sim.state
        if self.paused:                 # the target and obstacles where the user left them
            state = self._shown_target(state)
        message = self.message if time.monotonic() < self._message_until else ""
        for panel in (True, False):     # a banner with no place off the panel's words: the
            with text_rects() as written:        # panel gives way while it shows
                options = dict(self.draw_options(), show_panel=self.show["panel"] and panel)
                if self.camera is not None:
                    draw_frame(screen, state, self.camera, **options)
                else:
                    draw(screen, state, **options)
            self.written = list(written)
            if not (options["show_panel"] and banners_meet(
                    screen.get_size(), self.written, [PAUSED] if self.paused else [],
                    [message] if message else [], self._taken(), self._bands())):
                break
        theme = scaled_theme(self.theme, screen.get_size())
        self.plot_axes = []
        if self.show_plot:
            self.plot_axes = draw_plot(screen, self.plot_rect(), self.history, theme,
                                       title=self._plot_title())
        if self.paused:
            self._banner([PAUSED], theme, theme.warning, where="top", avoid=self._taken(),
                         prefer_off=self._bands())
        if message:
            paused = [self.paused_rect()] if self.paused else []
            self._banner([message], theme, theme.text, where="bottom",
                         avoid=self._taken() + paused, prefer_off=self._bands())
        if self.show_help:
            self._draw_help(theme)

    def _shown_target(self, state):
        """While paused, the state drawn with the target where the user put it
        (:func:`~armsim.view.paused.shown_target`)."""
        return shown_target(self.sim, state, self.user_target, self.spatial, self.ik)

    def _taken(self) -> list:
        """What a banner keeps off: the words the last picture wrote and the live plot."""
        return self.written + ([self.plot_rect()] if self.show_plot else [])

    def paused_rect(self) -> pygame.Rect:
        """Where the PAUSED banner is drawn (top centre, unless words are there)."""
        return banner_layout(self.screen.get_size(), [PAUSED], "top", self._taken(),
                             self._bands())[0]

    def _banner(self, lines, theme, color, where, avoid=None, prefer_off=None):
        draw_banner(self.screen, lines, theme, color, where, avoid, prefer_off=prefer_off)

    def _draw_help(self, theme):
        self.help_rect = draw_help(self.screen, "armsim controls  (h or ? closes)", help_lines(),
                                   theme)

    def write_state(self, path):
        """:func:`_write_state` plus the window's switches (paused, help, plot, what is
        shown), the solver and the segment count."""
        extra = {"paused": self.paused, "show_help": self.show_help, "show_plot": self.show_plot,
                 "show": dict(self.show), "screenshots": [str(p) for p in self.screenshots]}
        if self.planar:
            extra.update(method=self.sim.solver.method, correction=self.sim.solver.correction,
                         segments=int(self.sim.chain.n))
        if self.spatial:
            extra.update(method=self.sim.solver.method, correction=self.sim.solver.correction)
        if self.camera is not None:
            extra.update(camera=self.camera.settings(), orbiting=self.orbiting)
        write_state(path, self.sim, self.frames, self.user_target, self.target_history_len, extra)

    def run(self, max_frames=None, max_loops=None, close=True):
        """Loop until quit, ``max_frames`` frames stepped or ``max_loops`` loops drawn.
        Returns the frames stepped.  Keeps ``last_frame`` (H, W, 3), the last picture.
        ``close=False`` leaves the display open (a test runs again after more events)."""
        clock = pygame.time.Clock()
        state_out = os.environ.get("ARMSIM_STATE_OUT")
        loops = 0
        try:
            while self.running:
                for event in pygame.event.get():
                    self.handle(event)
                    if not self.running:
                        break
                if not self.running:
                    break
                self.step()
                self.render()
                pygame.display.flip()
                loops += 1
                if state_out and loops % 30 == 0:
                    self.write_state(state_out)
                if max_frames is not None and self.frames >= max_frames:
                    break
                if max_loops is not None and loops >= max_loops:
                    break
                clock.tick(self.fps)
        finally:
            if state_out:
                self.write_state(state_out)
            surface = pygame.display.get_surface()
            if surface is not None:
                self.last_frame = pygame.surfarray.array3d(surface).transpose(1, 0, 2).copy()
            if close:
                pygame.display.quit()
        return self.frames


def _solver_caption(method, correction) -> str:
    """An arm's caption in a comparison scene (:func:`armsim.scene.build_simulation`'s)."""
    return f"{method}/{correction}" if method == "gradient" else str(method)


def planar_obstacles(sim) -> list:
    """The obstacle objectives (circle, box, capsule; anything with ``move_to``) of a
    planar arm's simulation, in the order ``state.obstacles`` lists them."""
    from armsim.ik.objectives import Obstacle
    return [o for o in getattr(sim, "objectives", ()) if isinstance(o, Obstacle)]


def run_window(sim, size=None, fps=60, max_frames=None, draw_options=None, screen=None, title=None,
               max_loops=None, camera=None):
    """Run ``sim`` in a window until the user quits.  Returns the frames shown.
    ``camera``: the 3D view's :class:`~armsim.view.orbit.OrbitCamera` (spatial arms)."""
    screen = screen or open_window(size, title=title)
    return App(sim, screen, fps=fps, draw_options=draw_options, title=title, camera=camera).run(
        max_frames=max_frames, max_loops=max_loops)
