"""The scenes the command line writes for a robot given without a scene file:
``--robot NAME`` and ``run_arm.py PATH.urdf`` (:func:`robot_scene`: one chain, its tool
circling), ``--tips A,B`` or a shipped whole robot (:func:`tree_scene`: a target on each
tool).  Moved out of :mod:`armsim.cli` (its length); it re-exports every name."""

from __future__ import annotations

from pathlib import Path

from armsim.kinematics.validate import shown as _shown

__all__ = ["ROBOT_STARTS", "ROBOT_CIRCLE", "TREE_STARTS", "comfortable_start", "robot_scene",
           "tree_scene", "tip_note"]

#: ``--robot NAME``: a comfortable start [rad] of each shipped robot (elbow bent, tool down
#: or forward, inside the limits); the tool circles about where it starts
ROBOT_STARTS = {
    "panda": (0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785),
    "ur5": (0.0, -1.2, 1.4, -1.8, -1.571, 0.0),
    "iiwa14": (0.0, 0.5, 0.0, -1.4, 0.0, 1.2, 0.0),
    "snake20": tuple([0.0, -0.2] * 10),
}
#: the circle of ``--robot``: radius as a fraction of the reach, frames per turn
ROBOT_CIRCLE = (0.12, 300)


def comfortable_start(chain, draws=512, up=0.6):
    """A start [rad] for a robot armsim has no start for: of ``draws`` joint vectors
    drawn in the limits (``default_rng(0)``; continuous joints in [-pi, pi)), the one whose
    tool lies nearest the point 0.6 x the reach in front of the first joint (along x,
    ``up`` = 0.6: 37 degrees up; the direction (0.8, 0, up) normalised): bent, inside the
    workspace, away from the axis above the base."""
    import numpy as np
    lo = np.where(np.isfinite(chain.limits[:, 0]), chain.limits[:, 0], -np.pi)
    hi = np.where(np.isfinite(chain.limits[:, 1]), chain.limits[:, 1], np.pi)
    # a revolute joint's range wider than a turn: the turn in it nearest 0 (every angle has
    # an equal one there, and a scene takes angles within +-1e4 rad)
    wide = ~np.array(chain.prismatic, dtype=bool) & (hi - lo > 2.0 * np.pi)
    mid = np.clip(0.0, lo + np.pi, hi - np.pi)
    lo, hi = np.where(wide, mid - np.pi, lo), np.where(wide, mid + np.pi, hi)
    q = np.random.default_rng(0).uniform(lo, hi, (draws, chain.n))
    q[0] = 0.5 * (lo + hi)
    p = chain.pose(q)[1] - np.asarray(chain.xyz[0], dtype=float)
    d = np.array([0.8, 0.0, up])
    aim = 0.6 * chain.reach * d / np.linalg.norm(d)
    return q[int(np.argmin(np.linalg.norm(p - aim, axis=1)))]


#: a URDF's circle: the starts tried (:func:`comfortable_start`'s ``up``) and the radii (of
#: :data:`ROBOT_CIRCLE`'s), in order, and the points of the lap a solve must follow
CIRCLE_TRIES, CIRCLE_RADII, CIRCLE_POINTS = (0.6, 0.0, -0.6), (1.0, 0.5, 0.25), 36


def holds_pose(chain, draws=8):
    """Whether the joints of ``chain`` that move (a range, or none: continuous; not a joint
    whose lower limit equals its upper) turn and move its tool in all six directions: the
    rank of their Jacobian (its position rows over the reach) is 6 at one of ``draws``
    joint vectors drawn in the limits (``default_rng(0)``; a start may be singular)."""
    import numpy as np
    lim = np.asarray(chain.limits, dtype=float)
    moving = ~(lim[:, 1] <= lim[:, 0])
    if moving.sum() < 6:
        return False
    box = np.where(np.isfinite(lim), lim, [-np.pi, np.pi])
    for q in np.random.default_rng(0).uniform(box[:, 0], box[:, 1], (draws, chain.n)):
        J = np.array(chain.jacobian(q), dtype=float)[:, moving]
        J[:3] /= chain.reach
        s = np.linalg.svd(J, compute_uv=False)
        if s[5] > 1e-6 * s[0]:
            return True
    return False


def _circle(chain, start, fraction, pose_held):
    """(tool rotation, or None unless ``pose_held`` (:func:`holds_pose`), the circle's centre,
    normal, radius [m]) from ``start``."""
    import numpy as np
    R, p = chain.pose(start)
    out = np.array([*(p - np.asarray(chain.xyz[0], dtype=float))[:2], 0.0])   # from joint 1
    normal = out / np.linalg.norm(out) if np.linalg.norm(out) > 1e-9 else np.array([1.0, 0, 0])
    return (R if pose_held else None), p, normal, ROBOT_CIRCLE[0] * fraction * chain.reach


def fitting_circle(chain):
    """(start, :func:`_circle`) of a URDF's scene: the first radius (:data:`CIRCLE_RADII`)
    and start (:data:`CIRCLE_TRIES`, each also with its slides at the middle of their
    ranges) whose circle's :data:`CIRCLE_POINTS` points (with the start's tool rotation,
    where it holds a pose) a solve follows from the start, each point from the last one's
    answer without restarts (as the scene tracks it); the first of all when none does.  A
    SCARA's slide started at its top, the circle half above its reach; an arm's joint
    near its limit, the lap beyond it."""
    import numpy as np

    from armsim.ik.loop import solve
    from armsim.kinematics.spatial import pose
    from armsim.scene.targets import Circle
    first, held = None, holds_pose(chain)
    slides = np.array(chain.prismatic, dtype=bool) & np.isfinite(chain.limits).all(axis=1)
    starts = []
    for up in CIRCLE_TRIES:             # each start, then with its slides at mid-range
        q = comfortable_start(chain, up=up)
        mid = np.where(slides[:, None], chain.limits, 0.0).mean(axis=1)
        starts += [q, np.where(slides, mid, q)] if slides.any() else [q]
    for fraction in CIRCLE_RADII:
        for start in starts:
            R, p, normal, r = got = _circle(chain, start, fraction, held)
            first = first or (start, got)
            path = Circle(p, r, CIRCLE_POINTS, normal=normal)
            q = start
            for k in range(1, CIRCLE_POINTS + 1):    # the lap followed, as the scene does
                got_k = solve(chain, path(k) if R is None else pose(path(k), rotation=R),
                              q0=q, restarts=0, max_iter=100)
                if not got_k.success:
                    break
                q = got_k.q
            else:
                return start, got
    return first


def tip_note(chain, urdf):
    """The line saying which leaf ``run_arm.py PATH.urdf`` took as the tool (the one with
    the most joints: a finger of a hand, where a user may have expected the hand) when the
    file has other leaves with at least half as many joints (another arm, the hand; not a
    camera fixed on the first link) that are not wheels (a leaf its joints from the root
    carry less than 1 mm: one the whole robot, ``--tips`` left out, does not take as a tool),
    and how to name others; None otherwise."""
    from armsim.files import short_name
    from armsim.kinematics.urdf import load_robot
    from armsim.kinematics.validate import listed
    counts = getattr(chain, "leaves", None) or {}
    tools = [leaf for leaf, n in counts.items() if 2 * n >= counts.get(chain.tip, 0)]
    if len(tools) >= 2:
        try:
            moving = set(load_robot(urdf).tips)
        except ValueError:          # (not read as a whole robot: every leaf, as it was)
            moving = set(tools)
        tools = [leaf for leaf in tools if leaf in moving or leaf == chain.tip]
    if len(tools) < 2:
        return None
    which = ("the one with the most joints" if counts.get(chain.tip) == max(counts.values())
             else "the one with the most joints that does not turn in place")
    return (f"armsim: note: {short_name(urdf)} has {len(tools)} tools ({listed(tools, 6)}); "
            f"moving the chain to {_shown(chain.tip)}, {which} (--tip "
            f"LINK: another; --tips A,B: several tools at once)")


def robot_scene(name=None, urdf=None, base=None, tip=None, note=None) -> str:
    """The scene text ``--robot NAME`` (or ``run_arm.py PATH.urdf``) runs: the robot at
    :data:`ROBOT_STARTS` (a URDF, or another base or tip: :func:`comfortable_start`), its
    tool pose there the centre of a circle (:data:`ROBOT_CIRCLE`) in the vertical plane
    facing the first joint, tracked by damped least squares as a full pose (its orientation
    held), or as a position for a chain of fewer than six joints.  ``note`` (a function
    of one line) is told :func:`tip_note` when a URDF's tip was not named.  A URDF whose
    leaf taken hangs by a joint a chain does not take (a mimic, a floating or planar base,
    an unbounded slide) runs as the whole robot with that leaf its one tool, said to
    ``note``."""
    import numpy as np
    import tomli_w

    from armsim.kinematics import robots
    from armsim.kinematics.spatial import matrix_quaternion
    from armsim.kinematics.urdf import load_urdf
    if urdf is None and name in robots.TREES and base is None and tip is None:
        return tree_scene(name)
    try:
        chain = (robots.load(name, base=base, tip=tip) if urdf is None
                 else load_urdf(urdf, base, tip))
    except ValueError as exc:   # the leaf taken has a joint only a whole robot reads: that
        why = getattr(exc, "whole_robot", None)
        if urdf is None or base is not None or tip is not None or not why:
            raise
        if note is not None:
            from armsim.files import short_name
            note(f"armsim: note: {short_name(urdf)}: {why}, which a chain does not take; "
                 f"moving the whole robot with {_shown(exc.tip)} as its tool (--tips A,B: "
                 f"several tools at once)")
        return tree_scene(None, urdf, [exc.tip])
    said = None if note is None or urdf is None or tip is not None else tip_note(chain, urdf)
    if said:
        note(said)
    shipped = urdf is None and base is None and tip is None
    if shipped:
        start = np.asarray(ROBOT_STARTS[name], dtype=float)
        R, p, normal, radius = _circle(chain, start, 1.0, holds_pose(chain))
    else:
        start, (R, p, normal, radius) = fitting_circle(chain)
    period = ROBOT_CIRCLE[1]

    def v(a):
        return [float(f"{float(x):.6g}") for x in a]
    arm = {"robot": name} if urdf is None else {"urdf": str(Path(urdf).resolve())}
    arm.update({k: val for k, val in (("base_link", base), ("tip_link", tip)) if val is not None})
    arm["angles"] = v(start)
    target = {"kind": "circle", "center": v(p), "normal": v(normal),
              "radius": float(f"{radius:.4g}"), "period": period}
    if R is not None:               # a pose its moving joints hold (an arm of six or more)
        target["quaternion"] = v(matrix_quaternion(R))
    what = f"--robot {name}" if urdf is None else _shown(str(urdf), 200)
    return f"# run_arm.py {what}\n" + tomli_w.dumps({
        "seed": 0, "arm": arm, "target": target,
        "solver": {"method": "dls", "iterations_per_frame": 8},
        "render": {"size": [640, 480], "fps": 30, "frames": period}})


#: ``--robot NAME`` of a whole robot: its start [rad or m] (``robot.joint_names`` order)
TREE_STARTS = {
    "dual_arm": (0.0,) + ROBOT_STARTS["panda"] * 2,
    "panda_hand": ROBOT_STARTS["panda"] + (0.02,),
}


def tree_scene(name=None, urdf=None, tips=None) -> str:
    """The scene ``--robot NAME`` runs for a whole robot (:data:`armsim.kinematics.robots.
    TREES`), and ``PATH.urdf --tips A,B`` / ``--robot NAME --tips A,B`` for any: the robot at
    :data:`TREE_STARTS` (other robots or tips: the middle of the limits, 0 for a continuous
    joint), one mouse target per tip at the tip's pose there (its position for a tip fewer
    than six joints move; drag each in the window; a GIF keeps them still)."""
    import numpy as np
    import tomli_w

    from armsim.kinematics.spatial import matrix_quaternion
    from armsim.scene.robot_arm import load_model
    robot = load_model("robot", name, tips) if urdf is None else load_model("urdf", urdf, tips)
    if urdf is None and tips is None:
        start = np.asarray(TREE_STARTS[name], dtype=float)
    else:
        lim = robot.limits
        finite = np.isfinite(lim).all(axis=1)
        start = np.where(finite, np.where(finite[:, None], lim, 0.0).mean(axis=1), 0.0)
    frames = robot.frames(start)

    def v(a):
        return [float(f"{float(x):.6g}") for x in a]
    # a tool moved by fewer than six joints tracks its position (as a chain's does): held
    # as a pose it pulled the other tools off theirs (a joint locked by lower == upper
    # limits moves nothing)
    moving = ~(robot.limits[:, 1] <= robot.limits[:, 0])
    tools = [{"link": t, "kind": "mouse", "start": v(frames[t][:3, 3]),
              **({"quaternion": v(matrix_quaternion(frames[t][:3, :3]))}
                 if len(np.unique(robot.chain(t)[1][moving[robot.chain(t)[1]]])) >= 6
                 else {})} for t in robot.tips]
    arm = {"robot": name} if urdf is None else {"urdf": str(Path(urdf).resolve())}
    arm.update({"tips": list(robot.tips), "angles": v(start)})
    what = f"--robot {name}" if urdf is None else _shown(str(urdf), 200)
    return f"# run_arm.py {what}\n" + tomli_w.dumps({
        "seed": 0, "arm": arm,
        "solver": {"method": "dls", "iterations_per_frame": 8},
        "render": {"size": [640, 480], "fps": 30, "frames": 150}, "tool": tools})

