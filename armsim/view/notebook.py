"""A pose drawn from Python, and a list of poses played as a GIF (for notebooks).

:func:`render` draws one configuration of a chain as a ``PIL.Image.Image``;
:func:`animate` plays a list of them as a GIF, wrapped in an :class:`Animation` that a
Jupyter notebook shows inline.  Neither has a renderer of its own: they build the state
the window and the export draw (a :class:`~armsim.ik.tracking.State` for a planar chain, a
:class:`~armsim.ik.spatial_tracking.SpatialState` from
:func:`~armsim.ik.spatial_tracking.snapshot` for a spatial one) and hand it to
:func:`~armsim.view.render.render_array` / :func:`~armsim.view.spatial.render_spatial`
(one picture) or to the CLI's streamed GIF writer :func:`~armsim.view.export.write_frames`
(an animation).  Nothing opens a window: ``SDL_VIDEODRIVER`` is set to ``dummy`` when no
video driver is set, as the export does.

``armsim.render``, ``armsim.animate`` and the chains' ``_repr_png_`` (a chain shows itself
in a notebook) reach this module lazily, so ``import armsim`` does not import pygame.
"""

from __future__ import annotations

import base64
import io
import math
import os
import pathlib
import sys
from collections import deque
from types import SimpleNamespace

import numpy as np

from armsim.ik.problems import SpatialTarget, as_problem, for_target
from armsim.ik.spatial_tracking import snapshot
from armsim.ik.tracking import MAX_TRAIL, State
from armsim.kinematics.validate import listed, shown
from armsim.ranges import real_array, whole
from armsim.view.picture_options import MAX_TARGET, check_obstacles as _check_obstacles
from armsim.view.picture_options import check_values

__all__ = ["render", "animate", "Animation", "png", "SIZE_RANGE", "in_kernel"]

#: the accepted width and height [px]: the scene's ``render.size`` rule
SIZE_RANGE = (16, 4096)
#: the tool positions an animation's trail keeps (the scene's default ``trail_length``)
TRAIL_LENGTH = 60
#: slack [rad or m] on a joint limit before a joint value counts as outside it
LIMIT_SLACK = 1e-9


# -- arguments ---------------------------------------------------------------------------

def _frames(n) -> str:
    return f"{n} frame{'s' if n != 1 else ''}"


def _is_spatial(robot) -> bool:
    from armsim.kinematics import Chain, SpatialChain
    if isinstance(robot, SpatialChain):
        return True
    if isinstance(robot, Chain):
        return False
    raise ValueError(f"robot must be an armsim.Chain, an armsim.SpatialChain or an "
                     f"armsim.Robot, got {type(robot).__name__}")


def _check_size(size, picture=False) -> tuple[int, int]:
    """``size`` as (w, h), or the scene's ``render.size`` error as a one-line ValueError
    (``picture``: also one when a picture of ``size`` would not fit in memory)."""
    from armsim.scene.schema import SceneError, Size, Where
    value = list(size) if isinstance(size, (tuple, list, np.ndarray)) else size
    if isinstance(value, list):
        value = [int(v) if isinstance(v, np.integer) else v for v in value]
    try:
        w, h = Size().parse(value, Where("", ("size",)))
    except SceneError as exc:
        raise ValueError(f"{exc.key}: {exc.detail}") from None
    if picture:         # (before any drawing; an animation's export checks its own)
        from armsim.view.export import ExportError, check_memory, picture_memory
        try:
            check_memory(picture_memory((w, h)), (w, h), "a picture")
        except ExportError as exc:
            raise ValueError(str(exc)) from None
    return int(w), int(h)


def _check_q(chain, q, name, spatial, values=None):
    """Joint values of ``chain`` (or a whole robot) (n,) when ``name`` is "q", (frames, n)
    otherwise; or a one-line ValueError naming ``name`` (and the joint)."""
    q = real_array(name, q)
    n = chain.n
    one = name == "q"
    if q.shape[-1:] != (n,) or q.ndim != (1 if one else 2):
        want = f"({n},)" if one else f"(frames, {n})"
        raise ValueError(f"{name} must have shape {want}: "
                         f"{values or f'{n} joint values per pose'}, got shape {q.shape}")
    rows = q.reshape(-1, n)
    bad = ~np.isfinite(rows)
    if bad.any():
        k, j = np.argwhere(bad)[0]
        raise ValueError(f"{name}{_at(name, k)}[{j}] must be a finite number, got {rows[k, j]}")
    lo, hi = (None, None) if chain.limits is None else np.asarray(chain.limits, float).T
    from armsim.kinematics.planar import MAX_ANGLE
    from armsim.kinematics.spatial import MAX_VALUE
    big = MAX_VALUE if spatial else MAX_ANGLE
    out = np.abs(rows) > big
    if lo is not None:
        out |= (rows < lo - LIMIT_SLACK) | (rows > hi + LIMIT_SLACK)
    if out.any():
        k, j = np.argwhere(out)[0]
        names = getattr(chain, "joint_names", None) or getattr(chain, "names", None)
        whose = f"joint {j + 1}" + (f" ({names[j]})" if spatial else "") + "'s limits"
        if spatial and getattr(chain, "coordinate_of", lambda name: None)(names[j]):
            whose = f"the limits of {chain.describe_joint(names[j])}"   # (a robot's base)
        if lo is None or lo[j] - LIMIT_SLACK <= rows[k, j] <= hi[j] + LIMIT_SLACK:
            where = f"within +-{big:g}"         # (a continuous joint's limits: +-inf)
        else:
            where = f"within {whose} [{lo[j]:.6g}, {hi[j]:.6g}]"
        raise ValueError(f"{name}{_at(name, k)}[{j}] must be {where}, got {rows[k, j]:.6g}")
    return q


def _at(name, k):
    return "" if name == "q" else f"[{k}]"


def _check_reach(t, name):
    """A one-line ValueError for a target (a point or a pose) beyond :data:`MAX_TARGET`."""
    p = t[:3, 3] if t.shape == (4, 4) else t
    for at in np.argwhere(~np.isfinite(t))[:1]:     # (NaN passes the range test below)
        got = f"{t[tuple(at)]} at {at.tolist()}" if np.isfinite(p).all() else p.tolist()
        raise ValueError(f"{name} must be finite numbers, got {str(got)[:60]}")
    if np.any(np.abs(p) > MAX_TARGET):
        raise ValueError(f"{name} must be within +-{MAX_TARGET:g} m, got "
                         f"{str(p.tolist())[:60]}")


def _check_options(options, kind):
    """A one-line ValueError for a drawing option the routine of ``kind`` ("planar",
    "spatial", "tree") does not take."""
    import inspect
    if kind == "planar":
        from armsim.view.render import draw as routine
    elif kind == "spatial":
        from armsim.view.spatial import draw_spatial as routine
    else:
        from armsim.view.tree3d import TREE_OPTIONS
        routine = None
    known = (set(TREE_OPTIONS) if routine is None else
             {n for n, p in inspect.signature(routine).parameters.items()
              if p.kind is p.KEYWORD_ONLY or (p.kind is p.POSITIONAL_OR_KEYWORD and n not in
                                               ("surface", "state", "camera"))})
    known -= {"theme", "show_panel", "show_jacobian", "view", "body", "keep_out"}
    if kind == "planar":
        known.add("obstacles")            # drawn from the state (render, _Replay)
    bad = sorted(set(options) - known)
    if bad:
        raise ValueError(f"unknown option {bad[0]!r}; the options: {', '.join(sorted(known))}")
    if options.get("obstacles") is not None:
        options["obstacles"] = _check_obstacles(options["obstacles"], 2 if kind == "planar" else 3)
    check_values(options)


def _check_target(chain, target, spatial, name="target"):
    """One target: (2,) planar; (3,) or (4, 4) spatial; a one-line ValueError otherwise."""
    t = real_array(name, target)
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name} must be finite numbers, got {str(t.tolist())[:60]}")
    _check_reach(t, name)
    if not spatial:
        if t.shape != (2,):
            raise ValueError(f"{name} of a planar chain must be a point (x, y), got shape "
                             f"{t.shape}")
        return t
    try:
        for_target(chain, t)              # the solver's checks: shape, bottom row, rotation
    except ValueError as exc:
        text = str(exc)
        raise ValueError(text if text.startswith(name) else f"{name}: {text}") from None
    return t


def _targets(chain, target, frames, spatial):
    """``target`` for an animation of ``frames`` poses: None, one target for every frame,
    or one per frame (frames, 2 / 3 / 4x4); a list of ``frames`` targets (or Nones)."""
    if target is None:
        return [None] * frames
    t = real_array("target", target)
    single = ((2,),) if not spatial else ((3,), (4, 4))
    if t.shape in single:
        t = _check_target(chain, t, spatial)
        return [t] * frames
    if t.ndim >= 2 and t.shape[1:] in single:
        if len(t) != frames:
            raise ValueError(f"target must be one target, or one per pose ({frames}), got "
                             f"{len(t)}")
        return [_check_target(chain, t[k], spatial, f"target[{k}]") for k in range(frames)]
    shapes = "(2,) or (frames, 2)" if not spatial else "(3,), (4, 4), (frames, 3) or (frames, 4, 4)"
    raise ValueError(f"target must have shape {shapes}, got {t.shape}")


def _theme(theme):
    from armsim.view.style import DEFAULT_THEME, THEMES, Theme
    if theme is None:
        return DEFAULT_THEME
    if isinstance(theme, Theme):
        return theme
    if isinstance(theme, str) and theme in THEMES:
        return THEMES[theme]
    raise ValueError(f"theme must be a Theme or one of {', '.join(THEMES)}, got {theme!r}")


def _camera(chain, view, points=None, solids=None, opts=None):
    """The spatial view: None frames the robot (as the window does: the ``points`` and the
    ``solids`` it stands at, but a skeleton's: ``opts`` show_solids False), a dict is a
    scene's ``[view]`` table (its missing keys so framed), an
    :class:`~armsim.view.orbit.OrbitCamera` is used (a copy).  The obstacles of ``opts``
    that framing leaves outside the picture are framed too, as a scene's are
    (:func:`~armsim.view.orbit.framed_camera`: not beyond ``FRAME_FAR`` reaches, as a far
    target is not); a picture that shows them all is the robot's framing, unchanged."""
    from armsim.view.orbit import OrbitCamera, framed_camera, view_reach
    opts = opts or {}
    solids = solids if opts.get("show_solids", True) else None    # (not drawn)
    if isinstance(view, OrbitCamera):
        return view.copy()
    if view is not None and not isinstance(view, dict):
        raise ValueError(f"view must be a dict of [view] keys (azimuth_deg, elevation_deg, "
                         f"distance, center, fov_deg, orbit_deg_per_s) or an OrbitCamera, "
                         f"got {type(view).__name__}")
    framing = {"solids": solids, **({} if points is None else {"points": points})}
    return framed_camera(view or {}, view_reach(chain), framing, opts.get("obstacles") or ())


def _planar_view(chain, view, size, show_panel, obstacles=()):
    """The planar view: None centres the base with the reach filling 0.45 x the shorter
    side, or less so that the ``obstacles`` (drawn dicts) show (beside the panel's band
    when the panel is shown: :meth:`View.fit`, which reads them from the state)."""
    from armsim.view.planar import View
    if view is None:
        if show_panel:
            return None                   # View.fit of the state, left of the panel
        return View.centred(SimpleNamespace(base=chain.base, reach=chain.reach,
                                            obstacles=obstacles), size)
    if isinstance(view, View):
        return view.checked(size)          # (a View for another size drew nothing)
    raise ValueError(f"view of a planar chain must be None or an armsim.view.View, got "
                     f"{type(view).__name__}")


# -- the state of one pose -----------------------------------------------------------------

def _state(chain, q, target, spatial, trail=None, frame=0):
    """The state the renderers draw for ``chain`` at ``q`` (checked) aiming at ``target``
    (None: no target drawn)."""
    if spatial:
        aim = np.full(3, np.nan) if target is None else target
        return snapshot(chain, q, aim, frame=frame, trail=trail)
    joints = chain.joints(q)
    tip = joints[-1]
    aim = np.full(2, np.nan) if target is None else np.asarray(target, float)
    error = float(np.linalg.norm(aim - tip)) if target is not None else math.nan
    trail = tip[None].copy() if trail is None else np.asarray(trail, float).reshape(-1, 2)
    return State(frame=int(frame), q=np.array(q, float), joints=joints, target=aim,
                 jacobian=chain.jacobian(q), error=error, method="", correction="", step=0.0,
                 iterations=0, trail=trail, reach=chain.reach,
                 base=np.array(chain.base, float))


def _options(theme, show_panel, show_jacobian, options):
    """The drawing options; a ``show_...`` switch (and a planar picture's ``plot_slot``)
    must be True or False ("no" read as True, an array as numpy's ambiguous truth)."""
    for name, v in [("show_panel", show_panel), ("show_jacobian", show_jacobian),
                    *[(k, v) for k, v in options.items()
                      if k.startswith("show_") or k == "plot_slot"]]:
        if not isinstance(v, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False, got {str(v)[:40]}")
    out = dict(theme=_theme(theme), show_panel=bool(show_panel),
               show_jacobian=bool(show_jacobian))
    out.update(options)
    return out


def _default_q(chain, spatial):
    """The start a solve takes when none is given: the middle of the joint ranges
    (spatial, 0 for a continuous joint), 0.3 rad per joint within the limits (planar)."""
    problem = SpatialTarget(chain, "position") if spatial else as_problem(chain)
    return problem.default_start()


# -- one picture -------------------------------------------------------------------------

def render(robot, q=None, *, target=None, size=(640, 480), view=None, show_panel=False,
           show_jacobian=False, theme=None, **options):
    """``robot`` at joint values ``q`` as a picture.

    Parameters
    ----------
    robot : armsim.Chain, armsim.SpatialChain or armsim.Robot (a whole robot)
    q : array_like (n,), optional
        Joint values [rad or m], within the joint limits; default: the start a solve
        takes (spatial: the middle of the joint ranges; planar: 0.3 rad each).
    target : array_like, optional
        Drawn as the target: a point (2,) for a planar chain; a position (3,) or a
        homogeneous pose (4, 4) (drawn as a frame) for a spatial one; a whole robot's, a
        dict from tool link to either.
    size : (int, int)
        Width and height [px], each 16 to 4096 (the scene's ``render.size``).
    view : dict or OrbitCamera (spatial); armsim.view.View (planar); optional
        A spatial chain's camera: a scene's ``[view]`` keys (``azimuth_deg``,
        ``elevation_deg``, ``distance``, ``center``, ``fov_deg``), missing ones framing
        the robot, or an :class:`~armsim.view.orbit.OrbitCamera` (used as given).  None
        frames the robot, its target and the ``obstacles`` (but one more than 3 reaches
        off, as a far target: the robot stays large).
    show_panel, show_jacobian : bool
        The text panel and the Jacobian's columns as arrows at the tool (both off: a
        clean picture).
    theme : armsim.view.Theme or "dark" / "light", optional
    **options
        Passed to the drawing routine: ``show_trail``, ``show_limits``, ``show_grid``
        (spatial) or ``show_reach`` (planar), ...

    Returns
    -------
    PIL.Image.Image (RGB) of ``size``.

    Raises
    ------
    ValueError (one line, naming the argument) for a bad robot, q, target (a coordinate
    past 1e6 m too), size (one whose picture would not fit in the memory available too),
    view or option (one the drawing routine does not take).
    """
    from PIL import Image
    from armsim.kinematics.tree import Robot
    if isinstance(robot, Robot):
        if show_jacobian:       # (it was ignored)
            raise ValueError("show_jacobian: a whole robot's picture has no Jacobian arrows "
                             "(a chain's has: load it with tip=...)")
        return _render_tree(robot, q, target, size, view, show_panel, theme, options)
    spatial = _is_spatial(robot)
    size = _check_size(size, picture=True)
    q = _default_q(robot, spatial) if q is None else _check_q(robot, q, "q", spatial)
    target = None if target is None else _check_target(robot, target, spatial)
    _check_options(options, "spatial" if spatial else "planar")
    opts = _options(theme, show_panel, show_jacobian, options)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    state = _state(robot, q, target, spatial)
    if not spatial:             # a planar frame draws its state's obstacles
        state.obstacles = opts.pop("obstacles", None) or ()
    if spatial:
        from armsim.view.spatial import render_spatial
        from armsim.view.solids import body_of
        from armsim.view.orbit import states_framing
        camera = _camera(robot, view, opts=opts, **states_framing(robot, [state]))
        pixels = render_spatial(state, camera, size, **{"body": body_of(robot), **opts})
    else:
        from armsim.view.render import render_picture      # (centred when no panel shows)
        pixels = render_picture(state, size, **opts, view=_planar_view(
            robot, view, size, show_panel, state.obstacles))
    return Image.fromarray(np.ascontiguousarray(pixels), "RGB")


def _render_tree(robot, q, target, size, view, show_panel, theme, options):
    """:func:`render` of a whole robot (:class:`~armsim.kinematics.tree.Robot`): ``q`` (n,)
    in ``robot.joint_names`` order (default: the middle of the joint ranges), ``target``
    None or ``{tool link: (3,) position or (4, 4) pose}``; every tip's frame is drawn, a
    tip with a target in that target's colour."""
    from PIL import Image

    from armsim.ik.tree_tracking import tree_snapshot
    from armsim.view.orbit import states_framing
    from armsim.view.tree3d import render_tree
    size = _check_size(size, picture=True)
    if q is None:
        q = np.where(np.isfinite(robot.limits), robot.limits, 0.0).mean(axis=1)
    q = _tree_q(robot, q, "q")[0]
    aims = _tree_targets(robot, target, None)
    _check_options(options, "tree")
    state = tree_snapshot(robot, q, _every_tip(robot, aims))
    opts = _options(theme, show_panel, False, options)
    opts.pop("show_jacobian")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from armsim.view.solids import tree_body_of
    camera = _camera(robot, view, opts=opts, **states_framing(robot, [state]))
    pixels = render_tree(state, camera, size, body=tree_body_of(robot), **opts)   # (finite)
    return Image.fromarray(np.ascontiguousarray(pixels), "RGB")


def _tree_q(robot, q, name):
    """``q`` (n,) or ``qs`` (frames, n) of a whole robot, checked as a chain's: (frames, n)."""
    return np.atleast_2d(_check_q(robot, q, name, True, "the values of robot.joint_names"))


def _tree_targets(robot, target, frames):
    """``target`` of a whole robot, checked: {tool link: (3,) or (4, 4)}, or with ``frames``
    each value one for every frame or one per frame ((frames, 3), (frames, 4, 4))."""
    aims = {} if target is None else target
    bad = [k for k in aims if k not in robot.links] if isinstance(aims, dict) else [aims]
    if bad:         # one line naming the key that is no link, or what the target is
        what = f"no link named {shown(str(bad[0]))}" if isinstance(aims, dict) else (
            f"must be None or a dict from tool link to a (3,) position or (4, 4) pose, not "
            f"{type(aims).__name__}")
        raise ValueError(f"target of a robot: {what}; tools: {listed(robot.tips)}")
    from armsim.ik.tree import for_tree
    out = {}
    for link, t in aims.items():
        t = np.asarray(real_array(f"target[{link!r}]", t), dtype=float)
        per = frames is not None and t.ndim in (2, 3) and t.shape[1:] in ((3,), (4, 4))
        if per and len(t) != frames:      # (as a chain's)
            raise ValueError(f"target[{link!r}] must be one target, or one per pose "
                             f"({frames}), got {len(t)}")
        for k, row in enumerate(t if per else [t]):     # the picture's bound first, as a
            _check_reach(row, f"target[{link!r}]" + (f"[{k}]" if per else ""))   # chain's
        try:            # the solver's checks: shape, rotation
            for_tree(robot, {link: t}, batch=per)
        except ValueError as exc:
            text = str(exc)
            raise ValueError(text if text.startswith("target") else f"target: {text}") \
                from None
        out[link] = t if per else np.broadcast_to(t, ((frames or 1),) + t.shape)
    return out if frames is not None else {k: v[0] for k, v in out.items()}


def _every_tip(robot, aims):
    """``aims`` and every other tip with no target (NaN: drawn without one)."""
    return {**aims, **{k: np.full(3, np.nan) for k in robot.tips if k not in aims}}


class _TreeReplay:
    """:class:`_Replay` of a whole robot: each frame's :func:`tree_snapshot`, with trails."""

    objectives = ()

    def __init__(self, robot, qs, targets, trail_length):
        self.robot, self.qs, self.targets = robot, qs, targets
        self.chain = robot              # (what the export frames and draws solids of)
        self._trails = {}
        self._length = max(int(trail_length), 1)
        self.frame = 0
        self.state = self._state(0)

    def _state(self, k):
        from armsim.ik.tree_tracking import tree_snapshot
        return tree_snapshot(self.robot, self.qs[k], _every_tip(
            self.robot, {link: t[k] for link, t in self.targets.items()}), frame=k)

    def step(self):
        k = self.frame
        self.state = self._state(k)
        for tool in self.state.tools:
            trail = self._trails.setdefault(tool.link, deque(maxlen=self._length))
            trail.append(tool.frame[:3, 3].copy())
            tool.trail = np.array(trail)
        self.frame += 1
        return self.state


def png(robot, size=(480, 360)) -> bytes:
    """PNG bytes of ``robot`` at its default pose (:func:`render`): a chain's
    ``_repr_png_``, which a notebook shows."""
    buf = io.BytesIO()
    render(robot, size=size).save(buf, format="PNG")
    return buf.getvalue()


# -- an animation --------------------------------------------------------------------------

class _Replay:
    """A list of poses as the export's ``sim``: ``step()`` gives the next frame's state
    (its trail the recent tool positions), ``state`` is the first one."""

    objectives = ()

    def __init__(self, chain, qs, targets, spatial, trail_length, obstacles=()):
        self.chain, self.qs, self.targets, self.spatial = chain, qs, targets, spatial
        self._trail = deque(maxlen=max(int(trail_length), 1))
        self.frame = 0
        self.obstacles = obstacles          # a planar chain's (its states draw them)
        self.state = self._state(0)

    def _state(self, k):
        state = _state(self.chain, self.qs[k], self.targets[k], self.spatial)
        if self.obstacles:
            state.obstacles = self.obstacles
        return state

    def step(self):
        k = self.frame
        self.state = self._state(k)
        tool = self.state.tool[:3, 3] if self.spatial else self.state.joints[-1]
        self._trail.append(np.array(tool, float))
        self.state.trail = np.array(self._trail)
        self.state.frame = k
        self.frame += 1
        return self.state


class _Memory:
    """An in-memory destination for :func:`~armsim.view.export.write_frames`."""

    name = "<memory>"

    def __init__(self):
        self.file = io.BytesIO()

    def error(self, exc):
        return ValueError(f"cannot write the animation: {exc}")


def in_kernel() -> bool:
    """Whether this Python is a Jupyter kernel (IPython's kernel shell: a notebook, a console,
    an editor's cells), whose standard output is not what a cell shows (ipykernel forwards it
    as text, bytes mangled, and to the server's terminal).  IPython is not imported for it."""
    get = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return getattr(get() if callable(get) else None, "kernel", None) is not None


class Animation:
    """A GIF made by :func:`animate`; a notebook shows it inline (``_repr_html_``).

    Attributes
    ----------
    data : bytes        the GIF file
    frames : int
    size : (int, int)   width and height [px]
    fps : float
    """

    def __init__(self, data: bytes, frames: int, size, fps: float):
        self.data, self.frames = bytes(data), int(frames)
        self.size, self.fps = (int(size[0]), int(size[1])), float(fps)

    def save(self, path):
        """Write the GIF to ``path`` (replaced atomically, as the CLI's ``--gif``; a
        device or FIFO written through; a file's name must end in ``.gif``; ``-`` is the
        process's standard output, refused in a Jupyter kernel: :func:`in_kernel`).  Returns
        ``path`` as a Path (the same whether the file was new or replaced); ValueError (one
        line) when it cannot be written."""
        from armsim.files import OutputError, Outputs, names_stdout, suffix_problem
        if not isinstance(path, (str, os.PathLike)):
            raise ValueError(f"path must be a file name, got {str(path)[:40]}")
        if in_kernel() and names_stdout(path):     # (its pipe or the server's terminal)
            raise ValueError(f"cannot save the animation to {shown(os.fspath(path))} in a "
                             f"Jupyter kernel: that is the kernel's standard output, not the "
                             f"notebook; show it (a cell's last value, or IPython.display."
                             f"display(anim)) or save it to a file ending in .gif")
        problem = suffix_problem(path, ".gif", "a GIF")
        if problem:
            raise ValueError(problem)
        try:
            with Outputs() as outs:
                dest = outs.add(path)
                try:
                    dest.file.write(self.data)
                except OSError as exc:
                    raise dest.error(exc) from None
        except OutputError as exc:
            raise ValueError(str(exc)) from None
        return pathlib.Path(os.fspath(path))

    def _repr_html_(self):
        b64 = base64.b64encode(self.data).decode("ascii")
        w, h = self.size
        return (f'<img src="data:image/gif;base64,{b64}" width="{w}" height="{h}" '
                f'alt="armsim animation: {_frames(self.frames)} at {self.fps:g} fps"/>')

    def __repr__(self):
        w, h = self.size
        return (f"Animation({_frames(self.frames)}, {w}x{h}, {self.fps:g} fps, "
                f"{len(self.data)} bytes)")


def animate(robot, qs, *, target=None, size=(480, 360), fps=30, view=None, show_panel=False,
            show_jacobian=False, theme=None, trail_length=TRAIL_LENGTH, **options) -> Animation:
    """``robot`` through the poses ``qs`` as a GIF, one frame per pose.

    The frames go through the CLI's streamed GIF export
    (:func:`~armsim.view.export.write_frames`: one global palette, only the changed
    rectangle stored, delays that keep ``len(qs) / fps`` seconds) into memory.

    Parameters
    ----------
    robot : armsim.Chain, armsim.SpatialChain or armsim.Robot (a whole robot)
    qs : array_like (frames, n)
        Joint values of each frame, within the limits (a robot's: ``robot.joint_names``
        order); 1 to :data:`~armsim.view.export.MAX_GIF_FRAMES` frames.
    target : array_like, optional
        One target for every frame, or one per frame: (2,) / (frames, 2) planar;
        (3,), (4, 4), (frames, 3) or (frames, 4, 4) spatial; a robot's: a dict from tool
        link to such a target.
    size : (int, int)    16 to 4096 px a side
    fps : float          frames per second, as a GIF can play them (see the export)
    view : as :func:`render`; a ``[view]`` dict's ``orbit_deg_per_s`` turns the camera
    trail_length : int   recent tool positions drawn as the trail
    show_panel, show_jacobian, theme, **options : as :func:`render`

    Returns
    -------
    Animation   (``data``: the GIF's bytes; ``save(path)``; shown inline by a notebook)
    """
    from armsim.view.export import MAX_GIF_FRAMES, ExportError, check_export, write_frames
    from armsim.kinematics.tree import Robot
    tree = isinstance(robot, Robot)
    spatial = tree or _is_spatial(robot)
    if tree and show_jacobian:
        raise ValueError("show_jacobian: a whole robot's picture has no Jacobian arrows "
                         "(a chain's has: load it with tip=...)")
    try:
        count = len(qs)
    except TypeError:
        raise ValueError(f"qs must be a list of poses (frames, {robot.n}), got "
                         f"{type(qs).__name__}") from None
    if count > MAX_GIF_FRAMES:
        raise ValueError(f"qs must hold at most {MAX_GIF_FRAMES:,} poses (the GIF export's "
                         f"frame limit), got {count:,}")
    if count < 1:
        raise ValueError("qs must hold at least one pose, got none")
    qs = _tree_q(robot, qs, "qs") if tree else _check_q(robot, qs, "qs", spatial)
    size = _check_size(size)
    try:
        frames, fps, size = check_export(count, fps, size)
    except ExportError as exc:
        raise ValueError(str(exc)) from None
    trail_length = whole("trail_length", trail_length, 0, MAX_TRAIL)
    if tree:
        return _animate_tree(robot, qs, _tree_targets(robot, target, frames), size, fps,
                             view, show_panel, theme, trail_length, options)
    targets = _targets(robot, target, frames, spatial)
    _check_options(options, "spatial" if spatial else "planar")
    opts = _options(theme, show_panel, show_jacobian, options)
    if not trail_length:
        opts.setdefault("show_trail", False)
    if spatial:
        pick = np.asarray(qs, float).reshape(len(qs), -1)[::max(1, -(-len(qs) // 50))]
        aims = [np.asarray(t, float) for t in targets if t is not None]
        from armsim.view.orbit import robot_solids
        camera = _camera(robot, view, np.vstack(        # the first joint first (arm_points)
            [np.roll(np.asarray(robot.frames(q)[1]).reshape(-1, 3), -1, axis=0) for q in pick]
            + [(t[:3, 3] if t.shape == (4, 4) else t).reshape(1, 3) for t in aims]),
            np.vstack([robot_solids(robot, tuple(robot.frames(q))) for q in pick]), opts)
    else:
        camera = None
        opts["view"] = _planar_view(robot, view, size, show_panel, opts.get("obstacles") or ())
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    replay = _Replay(robot, qs, targets, spatial, trail_length,
                     () if spatial else opts.pop("obstacles", None) or ())
    dest = _Memory()
    write_frames(replay, dest, frames=frames, fps=fps, size=size, camera=camera, **opts)
    return Animation(dest.file.getvalue(), frames, size, fps)


def _animate_tree(robot, qs, targets, size, fps, view, show_panel, theme, trail_length,
                  options):
    """:func:`animate` of a whole robot (checked arguments)."""
    from armsim.view.export import write_frames
    from armsim.view.orbit import states_framing
    _check_options(options, "tree")
    opts = _options(theme, show_panel, False, options)
    opts.pop("show_jacobian")
    if not trail_length:
        opts.setdefault("show_trail", False)
    replay = _TreeReplay(robot, qs, targets, trail_length)
    seen = states_framing(robot, map(replay._state, range(0, len(qs), max(1, -(-len(qs) // 50)))))
    seen["points"] = np.vstack([seen["points"]] + [np.reshape(    # (the framing: the finite)
        t[..., :3, 3] if t.shape[-2:] == (4, 4) else t, (-1, 3)) for t in targets.values()])
    camera = _camera(robot, view, opts=opts, **seen)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    dest = _Memory()
    write_frames(replay, dest, frames=len(qs), fps=fps, size=size, camera=camera, **opts)
    return Animation(dest.file.getvalue(), len(qs), size, fps)
