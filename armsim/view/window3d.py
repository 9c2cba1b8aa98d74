"""The 3D view's controls in the window: the orbit camera and the target pose under the mouse
and the keys (mixed into :class:`armsim.view.window.App`, which lists them in its
``BINDINGS``).  The sizes of the steps are stated here and in the help."""

from __future__ import annotations

import math

import numpy as np
import pygame

from armsim.view.picking import PICK_PX, obstacle_at

__all__ = ["SpatialControls", "ORBIT_DEG_PER_PX", "ZOOM_PER_NOTCH", "ALONG_VIEW_PER_NOTCH",
           "TURN_DEG"]

# the 3D view's mouse and keys (the help states them)
#: [deg/s] the orbit ``o`` starts when the scene's view.orbit_deg_per_s is 0
KEY_ORBIT_DEG_PER_S = 12.0
#: degrees the camera orbits per pixel of a right-drag
ORBIT_DEG_PER_PX = 0.4
#: the camera distance is multiplied by this per wheel notch towards the screen
ZOOM_PER_NOTCH = 0.9
#: shift + wheel moves the target this fraction of the arm's reach per notch
ALONG_VIEW_PER_NOTCH = 0.02
#: the target turns this many degrees per key press
TURN_DEG = 10.0


def _axis_angle(axis, angle) -> np.ndarray:
    """The rotation (3, 3) by ``angle`` [rad] about the unit ``axis`` (Rodrigues)."""
    x, y, z = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    K = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + math.sin(angle) * K + (1.0 - math.cos(angle)) * (K @ K)


class SpatialControls:
    """The 3D view's actions of :class:`~armsim.view.window.App` (``self.camera``,
    ``self.sim``, ``self.screen``, ``self.user_target``, ``self.say`` come from it)."""

    def _3d_only(self, what):
        self.say(f"{what}: the 3D view only (a spatial arm)")

    #: what a 3D calibration scene says to the target's controls
    SCRIPTED = "the commanded poses are scripted (a 3D calibration has no target to move)"

    def reset_view(self):
        if self.camera is None:
            return self._3d_only("v (view)")
        rate = self.camera.orbit_deg_per_s      # the orbit is o's: v puts the camera back,
        self.camera.reset()                     # an orbit o started goes on at its rate
        self.camera.orbit_deg_per_s = rate

    def toggle_orbit(self):
        if self.camera is None:
            return self._3d_only("o (orbit)")
        self.orbiting = not self.orbiting
        if self.orbiting and self.camera.orbit_deg_per_s == 0:
            # the scene keeps the camera still (--robot does): o turns it at KEY_ORBIT_DEG_PER_S
            self.camera.orbit_deg_per_s = KEY_ORBIT_DEG_PER_S
        rate = self.camera.orbit_deg_per_s
        self.say(f"camera orbit {'on' if self.orbiting else 'off'} ({rate:g} deg/s)")

    def target_pose(self):
        """The target the arm chases now: the user's, else the scripted one, as (4, 4)."""
        if self.user_target is None:
            return np.array(self.sim.state.target, dtype=float)
        t = np.asarray(self.user_target, dtype=float)
        if t.shape == (4, 4):
            return t.copy()
        T = np.eye(4)
        T[:3, 3] = t
        return T

    def _set_user_target(self, T):
        """The user's target from now on: the pose ``T`` (its position only for a
        position target), the position kept within 10 x the reach of the base."""
        T = np.array(T, dtype=float)
        bound = 10.0 * float(self.sim.chain.reach)
        T[:3, 3] = np.clip(T[:3, 3], -bound, bound)
        self.user_target = T if self.sim.state.kind == "pose" else T[:3, 3].copy()
        self.target_history_len += 1

    def _drag_target(self, pos):
        T = self.target_pose()
        T[:3, 3] = self.camera.unproject(pos, self.screen.get_size(), through=T[:3, 3])
        self._set_user_target(T)

    def _pick_obstacle(self, pos):
        """(obstacle, its centre minus the grab point) for the nearest obstacle under the
        pixel ``pos`` (the grab point: on the plane through its centre facing the camera,
        within :data:`PICK_PX` pixels of its surface), else None."""
        size = self.screen.get_size()
        hits = []
        for o in self.obstacles:
            _, depth, in_front = self.camera.project(o.center, size)
            if not bool(in_front):
                continue
            depth = float(depth)
            point = self.camera.unproject(pos, size, through=o.center)
            metres_per_px = depth / self.camera.focal_px(size)
            if obstacle_at([o], point, PICK_PX * metres_per_px) is not None:
                hits.append((depth, id(o), o, o.center - point))
        if not hits:
            return None
        _, _, o, offset = min(hits, key=lambda h: (h[0], h[1]))
        return o, offset

    def turn_target(self, key):
        """Arrow keys and page up / down: turn the target pose by :data:`TURN_DEG`."""
        if not self.spatial:
            if self.camera is not None:
                return self.say(f"turn: {self.SCRIPTED}")
            return self._3d_only("arrows, page up / down (turn the target)")
        if self.sim.state.kind != "pose":
            return self.say("turn: this target is a position, it has no orientation")
        sign = 1.0 if key in (pygame.K_RIGHT, pygame.K_UP, pygame.K_PAGEUP) else -1.0
        T = self.target_pose()
        R = T[:3, :3]
        if key in (pygame.K_LEFT, pygame.K_RIGHT):
            axis, where, name = np.array([0.0, 0.0, 1.0]), "world", "world z"
        elif key in (pygame.K_UP, pygame.K_DOWN):
            axis, where, name = self.camera.basis()[0], "world", "camera x"
        else:
            axis, where, name = np.array([0.0, 0.0, 1.0]), "own", "its z"
        turn = _axis_angle(axis, math.radians(sign * TURN_DEG))
        R = turn @ R if where == "world" else R @ turn
        u, _, vt = np.linalg.svd(R)                 # stays a rotation after many turns
        T[:3, :3] = u @ vt
        self._set_user_target(T)
        self.say(f"target turned {sign * TURN_DEG:+g} deg about {name}")

    def _spatial_mouse(self, event):
        size = self.screen.get_size()
        if event.type == pygame.MOUSEBUTTONDOWN:
            if event.button in (1, 2, 3):
                self._buttons.add(event.button)
                self._last_pos = event.pos
            if event.button == 1 and not self.spatial:
                self.say(f"drag: {self.SCRIPTED}; right-drag orbits the view")
            elif event.button == 1:
                self.held_obstacle = self._pick_obstacle(event.pos)
                if self.held_obstacle is None:
                    self.dragging = True
                    self._drag_target(event.pos)
        elif event.type == pygame.MOUSEBUTTONUP:
            self._buttons.discard(event.button)
            if event.button == 1:
                self.dragging = False
                self.held_obstacle = None
        elif event.type == pygame.MOUSEMOTION:
            last = self._last_pos if self._last_pos is not None else event.pos
            dx, dy = event.pos[0] - last[0], event.pos[1] - last[1]
            self._last_pos = event.pos
            if self.held_obstacle is not None:
                obstacle, offset = self.held_obstacle
                obstacle.move_to(self.camera.unproject(event.pos, size, through=obstacle.center)
                                 + offset)
            elif self.dragging:
                self._drag_target(event.pos)
            elif 3 in self._buttons:
                self.camera.orbit(-ORBIT_DEG_PER_PX * dx, ORBIT_DEG_PER_PX * dy)
            elif 2 in self._buttons:
                self.camera.pan(dx, dy, size)
        elif event.type == pygame.MOUSEWHEEL:
            notches = float(event.y)
            if pygame.key.get_mods() & pygame.KMOD_SHIFT and not self.spatial:
                self.say(f"shift + wheel: {self.SCRIPTED}")
            elif pygame.key.get_mods() & pygame.KMOD_SHIFT:
                T = self.target_pose()
                T[:3, 3] = self.camera.along_view(T[:3, 3], notches * ALONG_VIEW_PER_NOTCH
                                                  * float(self.sim.chain.reach))
                self._set_user_target(T)
            else:
                self.camera.zoom(ZOOM_PER_NOTCH ** notches)
