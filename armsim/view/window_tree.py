"""A whole robot in the window: several tools, each target draggable.

:class:`TreeApp` is the window's :class:`~armsim.view.window.App` for a
:class:`~armsim.ik.tree_tracking.TreeSimulation`: the 3D view draws the robot with
:func:`~armsim.view.tree3d.draw_tree` (every tool's frame, target and errors); a left press
picks an obstacle under the mouse (a scene's ``[[obstacle]]``), else the target nearest the
mouse on screen, and, while the button is held, moves it in the plane through it facing the
camera, as a chain's target or obstacle moves (a pose keeps its orientation); a target then
stays the user's while the other tools follow their paths.  The
arrow and page keys turn, and shift + wheel moves along the view, the target picked last.
Right-drag, middle-drag and the wheel move the camera as for a chain.  :func:`run_window`
opens the app a simulation needs (a chain's :class:`App`, or this one).
"""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pygame

from armsim.files import Outputs
from armsim.view.paused import obstacles_now
from armsim.view.render import is_tree, spatial_obstacles
from armsim.view.solids import tree_body_of
from armsim.view.window import App, open_window, planar_obstacles
from armsim.view.window3d import ALONG_VIEW_PER_NOTCH, TURN_DEG, _axis_angle

__all__ = ["TreeApp", "run_window", "nearest_target"]


def nearest_target(camera, size, targets, pos):
    """The index of the target (each a (4, 4) pose) whose projection is nearest the pixel
    ``pos`` (targets behind the camera or not finite never), or None."""
    best, pick = math.inf, None
    for k, T in enumerate(targets):
        T = np.asarray(T, dtype=float)
        if not np.all(np.isfinite(T)):
            continue
        px, _, front = camera.project(T[:3, 3], size)
        if not bool(front) or not np.all(np.isfinite(px)):
            continue
        d = math.hypot(float(px[0]) - pos[0], float(px[1]) - pos[1])
        if d < best:
            best, pick = d, k
    return pick


class TreeApp(App):
    """The window of a whole robot (see the module's docstring).  ``user_targets``: the
    targets the user has moved, ``{tool link: (3,) position or (4, 4) pose}``; ``picked``:
    the tool whose target the last press picked (None before any)."""

    def __init__(self, sim, screen, fps=60, draw_options=None, title=None, camera=None):
        self.user_targets = {}
        self.picked = None
        super().__init__(sim, screen, fps=fps, draw_options=draw_options, title=title,
                         camera=camera)
        # the scene's obstacles, dragged as a spatial arm's (a press on one holds it; r puts
        # them back)
        self.obstacles = planar_obstacles(sim)
        self._obstacle_home = [o.center.copy() for o in self.obstacles]

    @property
    def planar(self) -> bool:
        return False

    # -- the targets ---------------------------------------------------------------------
    def tool_targets(self):
        """Every tool's target now as a (4, 4) pose: the user's, else the scripted one."""
        out = []
        for t in self.sim.state.tools:
            u = self.user_targets.get(t.link)
            if u is None:
                out.append(np.array(t.target, dtype=float))
                continue
            u = np.asarray(u, dtype=float)
            T = u.copy() if u.shape == (4, 4) else np.eye(4)
            if u.shape == (3,):
                T[:3, :3] = np.asarray(t.target, float)[:3, :3]
                T[:3, 3] = u
            out.append(T)
        return out

    def _set_tool_target(self, k, T):
        """Tool ``k``'s target from now on: the pose ``T`` (its position only for a position
        target), kept within 10 x the reach of the base."""
        tool = self.sim.state.tools[k]
        T = np.array(T, dtype=float)
        bound = 10.0 * float(self.sim.robot.reach)
        T[:3, 3] = np.clip(T[:3, 3], -bound, bound)
        self.user_targets[tool.link] = T if tool.kind == "pose" else T[:3, 3].copy()
        self.user_target = dict(self.user_targets)       # (the window's "user has moved")
        self.target_history_len += 1

    def _drag_target(self, pos):
        if self.picked is None:
            return
        T = self.tool_targets()[self.picked]
        T[:3, 3] = self.camera.unproject(pos, self.screen.get_size(), through=T[:3, 3])
        self._set_tool_target(self.picked, T)

    def _spatial_mouse(self, event):
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            self._buttons.add(1)
            self._last_pos = event.pos
            self.held_obstacle = self._pick_obstacle(event.pos)
            if self.held_obstacle is not None:      # an obstacle under the mouse: drag it
                return
            self.picked = nearest_target(self.camera, self.screen.get_size(),
                                         self.tool_targets(), event.pos)
            if self.picked is not None:
                self.dragging = True
                self._drag_target(event.pos)
            return
        if event.type == pygame.MOUSEWHEEL and pygame.key.get_mods() & pygame.KMOD_SHIFT:
            k = 0 if self.picked is None else self.picked
            T = self.tool_targets()[k]
            T[:3, 3] = self.camera.along_view(T[:3, 3], float(event.y) * ALONG_VIEW_PER_NOTCH
                                              * float(self.sim.robot.reach))
            self._set_tool_target(k, T)
            return
        super()._spatial_mouse(event)

    def turn_target(self, key):
        """Arrow and page keys: turn the picked target (the first tool's before any pick) by
        :data:`~armsim.view.window3d.TURN_DEG`, as for a chain."""
        k = 0 if self.picked is None else self.picked
        tool = self.sim.state.tools[k]
        if tool.kind != "pose":
            return self.say(f"turn: {tool.link}'s target is a position, it has no orientation")
        sign = 1.0 if key in (pygame.K_RIGHT, pygame.K_UP, pygame.K_PAGEUP) else -1.0
        T = self.tool_targets()[k]
        if key in (pygame.K_LEFT, pygame.K_RIGHT):
            R = _axis_angle((0.0, 0.0, 1.0), math.radians(sign * TURN_DEG)) @ T[:3, :3]
            name = "world z"
        elif key in (pygame.K_UP, pygame.K_DOWN):
            R = _axis_angle(self.camera.basis()[0], math.radians(sign * TURN_DEG)) @ T[:3, :3]
            name = "camera x"
        else:
            R = T[:3, :3] @ _axis_angle((0.0, 0.0, 1.0), math.radians(sign * TURN_DEG))
            name = "its z"
        u, _, vt = np.linalg.svd(R)
        T[:3, :3] = u @ vt
        self._set_tool_target(k, T)
        self.say(f"{tool.link}'s target turned {sign * TURN_DEG:+g} deg about {name}")

    # -- the rest of the window ------------------------------------------------------------
    def _advance(self):
        """One frame of the simulation, toward the user's targets (App.step does the rest)."""
        self.sim.step(targets=dict(self.user_targets) or None)

    def reset(self):
        self.user_targets = {}
        self.picked = None
        super().reset()

    def draw_options(self):
        return dict(self.options, theme=self.theme, show_trail=self.show["trail"],
                    show_panel=self.show["panel"], show_solids=self.show["solids"],
                    body=tree_body_of(self.sim.robot), obstacles=spatial_obstacles(self.sim),
                    keep_out=(self.plot_rect(),) if self.show_plot else ())

    def plot_rect(self) -> pygame.Rect:
        w, h = self.screen.get_size()
        pw, ph = int(0.34 * w), int(0.30 * h)
        return pygame.Rect(w - pw - 6, h - ph - 6, pw, ph)

    def _shown_target(self, state):
        """While paused, the state drawn with the targets where the user put them, each
        tool's errors (and out-of-reach bound) measured to them (the panel said 0.0 mm); once
        one moved, not stalled nor restarted; the clearance to the obstacles where they are."""
        from armsim.ik.tree_tracking import _best, _tool_errors
        shown = copy.copy(obstacles_now(self.sim, state, self.sim.robot))
        shown.tools = [copy.copy(t) for t in state.tools]
        for t, T in zip(shown.tools, self.tool_targets()):
            if not np.array_equal(T, t.target):     # moved: the run's notes were on the old
                shown.stalled = shown.restarted = False     # one (its stall count restarts)
            t.target = T
            t.error, t.orientation_error = _tool_errors(t.frame, T, t.kind)
            t.best = _best(self.sim.robot, t.link, np.asarray(T, float)[:3, 3])
            t.out_of_reach = t.best > 0
        if shown.tools:
            shown.error = max(t.error for t in shown.tools)
            shown.orientation_error = max(t.orientation_error for t in shown.tools)
        return shown

    def toggle_reach(self):
        self.say("w (reach circle): planar arms only")

    def toggle_jacobian(self):
        self.say("j (Jacobian arrows): a chain's only (a whole robot's picture has none)")

    def add_segment(self):
        self.say("+/- (segments): planar arms only (a robot is its model)")

    remove_segment = add_segment

    def write_state(self, path):
        """The window's state as JSON (``ARMSIM_STATE_OUT``): frames, every tool's target,
        the user's targets, tool positions and errors, the switches and the camera."""
        st = self.sim.state
        surface = pygame.display.get_surface()
        data = {"frames": self.frames, "target_history_len": self.target_history_len,
                "window": list(surface.get_size()) if surface else None,
                "kind": "tree", "robot": self.sim.robot.name, "picked": (
                    None if self.picked is None else st.tools[self.picked].link),
                "user_targets": {k: np.asarray(v, float)[..., :3, 3].tolist()
                                 if np.shape(v) == (4, 4) else np.asarray(v, float).tolist()
                                 for k, v in self.user_targets.items()},
                "tools": {t.link: {"target": np.asarray(t.target, float)[:3, 3].tolist(),
                                   "tip": np.asarray(t.frame, float)[:3, 3].tolist(),
                                   "error": float(t.error),
                                   "orientation_error": float(t.orientation_error),
                                   "out_of_reach": bool(t.out_of_reach)} for t in st.tools},
                "paused": self.paused, "show_help": self.show_help, "show_plot": self.show_plot,
                "show": dict(self.show), "method": self.sim.solver.method,
                "camera": self.camera.settings(), "orbiting": self.orbiting}
        with Outputs() as outs:
            outs.add(path).file.write(json.dumps(data, allow_nan=False).encode())


def run_window(sim, size=None, fps=60, max_frames=None, draw_options=None, screen=None,
               title=None, max_loops=None, camera=None):
    """:func:`armsim.view.window.run_window` for any simulation: a whole robot's gets a
    :class:`TreeApp`, any other the chain's :class:`~armsim.view.window.App`."""
    screen = screen or open_window(size, title=title)
    cls = TreeApp if is_tree(sim.state) else App
    return cls(sim, screen, fps=fps, draw_options=draw_options, title=title,
               camera=camera).run(max_frames=max_frames, max_loops=max_loops)
