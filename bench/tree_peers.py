"""Peers for several targets on one robot (issue 24): pink and placo, one adapter each.

Each adapter solves the same task as ``armsim.solve(robot, {frame: T, ...})``: every named
frame to its 4x4 target pose (in the frame of the URDF's root link), from ``q0``, within
the joint limits, until every frame's error by the peer's **own test** is below ``tol`` or
``time_cap_s`` has passed.  Signature of both::

    pink_solve(urdf_path, frame_names, targets, q0, tol, time_cap_s)
    placo_solve(urdf_path, frame_names, targets, q0, tol, time_cap_s)
        -> (q: dict joint name -> value, seconds, own_success, iterations)

``q`` holds the free joints (a mimic joint is left out: its value follows from the rule in
the URDF, as yourdfpy's ``update_cfg`` applies it).  ``seconds`` is the wall-clock time of
the solve: setting ``q0`` and the targets and the loop; the model, its data and the tasks
are built once per (file, frames) and kept, outside the clock.  ``q0`` may name any joints;
joints it does not name start at the middle of their limits; every value is clipped into
the limits (both peers refuse to start outside them).  Neither peer restarts from another
point: one descent from ``q0`` is what each offers.

**pink** (pip ``pin-pink``, on Pinocchio, pip ``pin``): a ``pink.FrameTask`` per frame,
position and orientation cost 1, gain 1 (a full Gauss-Newton step) and ``lm_damping``
:data:`PINK_LM_DAMPING`; ``pink.solve_ik`` with the configuration limit only
(``ConfigurationLimit``: each step covers at most half the way to a bound) on QP backend
:data:`PINK_QP`, the velocity integrated over ``dt`` = 1.  Tuned on seed 100 (100 poses,
dual_arm): lm_damping 1e-3 to 0.1 and pink's velocity limit as a step bound
(:data:`PINK_STEP_DT` 0.1 to 0.5) each solved fewer poses; quadprog solved as many as
daqp on dual_arm and more on panda_hand (daqp reported no solution on some feasible
steps).  Pink has no stopping rule of its own; its **own test** here is its own task
error, ``FrameTask.compute_error`` (the body twist log(T_frame^-1 T_target), pinocchio's
[linear, angular] order): the length of the linear part < tol and of the angular part
< tol, for every frame.  Mimic joints: Pinocchio 3 builds them as such
(``buildModelFromUrdf(path, mimic=True)``), so a mimic joint is no free variable for pink
either.

**placo** (pip ``placo``): ``placo.RobotWrapper`` (it adds a floating base, masked with
``mask_fbase(True)``), ``KinematicsSolver`` with ``enable_joint_limits(True)`` (hard
bounds on each step), ``add_frame_task(frame, T)`` configured
``soft`` with weights 1 and 1; each iteration ``solve(True)`` then
``update_kinematics()``.  Each step's joint change is bounded by placo's own velocity
limits (``enable_velocity_limits(True)``, the URDF velocity x ``solver.dt`` =
:data:`PLACO_STEP_DT`, 0.3 rad a step for 2 rad/s): tuned on seed 100 (100 poses,
dual_arm), unbounded steps solved 31 % (the failures looked at had joints stopped at a
bound), dt 0.1 74 %, 0.15 78 %, 0.25 73 %; a regularization task (1e-4 to 1e-2) in
place of the bound solved 33 to 58 % (40 poses).  Its **own test**: each frame task's position and orientation
sub-task ``error_norm()`` (the world-frame position error and the angle of
log3(R_target R^T)) < tol.  placo builds mimic joints as free joints; the adapter ties
each to its leader with a ``hard`` gear task (ratio = the URDF multiplier; an offset is
refused, the gear task has none).

The round trip (``main``): targets from yourdfpy's forward kinematics of random joints
within the limits, solved from the middle of the limits, judged by yourdfpy's forward
kinematics at the answer (< 1e-5 m and < 1e-5 rad for every frame); the table gives that
success, the peer's own test, answers within the limits, the mean and median time over
all poses, the mean over the solved ones, the mean iterations, and the poses where the
own test and the forward-kinematics judge disagree.

    python bench/tree_peers.py                 # round trip, 200 poses, dual_arm and panda_hand
    python bench/tree_peers.py --poses 50 --robot dual_arm --seed 3
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
ROBOTS = ROOT / "assets" / "robots"

#: pink's QP backend (qpsolvers name: daqp, proxqp and quadprog install here)
PINK_QP = "quadprog"
#: pink FrameTask Levenberg-Marquardt damping (0 = pink's default)
PINK_LM_DAMPING = 0.0
#: pink: each step's joint change bounded by the URDF velocity x this [s] (pink's
#: VelocityLimit, integrated over this dt; 0 = no velocity limit, dt = 1)
PINK_STEP_DT = 0.0
#: placo: each step's joint change bounded by the URDF velocity x this [s] (0 = unbounded)
PLACO_STEP_DT = 0.15
#: placo: weight of a regularization task on the step (0 = none added)
PLACO_REGULARIZATION = 0.0
#: the task of the round trip: robot file -> frames
TASKS = {
    "dual_arm": ["left_tool", "right_tool"],
    "panda_hand": ["panda_leftfinger_tip", "panda_rightfinger_tip"],
}
TOL = 1e-5


def _key(urdf_path):
    path = Path(urdf_path).resolve()
    return str(path), path.stat().st_mtime_ns


def _start(names, limits, q0):
    """Joint values in ``names`` order: ``q0``'s where given, else the middle of the
    limits; clipped into the limits."""
    lo, hi = limits
    q = np.array([float(q0.get(n, 0.5 * (a + b))) for n, a, b in zip(names, lo, hi)])
    return np.clip(q, lo, hi)


# ---------------------------------------------------------------------------------- pink

def _pink_setup(key, frames):
    return _pink_built(key, frames, PINK_LM_DAMPING, PINK_STEP_DT)


@functools.lru_cache(maxsize=8)
def _pink_built(key, frames, lm_damping, step_dt):
    import pinocchio as pin
    import pink
    from pink.limits import ConfigurationLimit, VelocityLimit

    model = pin.buildModelFromUrdf(key[0], True)       # mimic=True: mimic joints as such
    data = model.createData()
    # free joints: those with their own coordinates (a mimic joint's nq is 0)
    joints = [(model.names[i], model.joints[i].idx_q) for i in range(1, model.njoints)
              if model.joints[i].nq == 1]
    if model.nq != len(joints):
        raise ValueError(f"{key[0]}: pink adapter handles one-coordinate joints only")
    for f in frames:
        if not model.existFrame(f):
            raise ValueError(f"{key[0]}: no frame {f!r}")
    tasks = [pink.FrameTask(f, position_cost=1.0, orientation_cost=1.0,
                            lm_damping=lm_damping, gain=1.0) for f in frames]
    limits = [ConfigurationLimit(model)]
    if step_dt > 0:
        limits.append(VelocityLimit(model))
    return model, data, joints, tasks, limits, (step_dt if step_dt > 0 else 1.0)


def pink_solve(urdf_path, frame_names, targets, q0, tol, time_cap_s):
    """pink (``pink.solve_ik``) on every frame at once; see the module docstring."""
    import pinocchio as pin
    import pink
    from pink.exceptions import PinkError

    model, data, joints, tasks, limits, dt = _pink_setup(_key(urdf_path), tuple(frame_names))
    names = [n for n, _ in joints]
    idx = [i for _, i in joints]
    lo = model.lowerPositionLimit[idx]
    hi = model.upperPositionLimit[idx]
    t0 = time.perf_counter()
    q = np.zeros(model.nq)
    q[idx] = _start(names, (lo, hi), q0)
    for task, T in zip(tasks, targets):
        T = np.asarray(T, dtype=float)
        task.set_target(pin.SE3(T[:3, :3].copy(), T[:3, 3].copy()))
    conf = pink.Configuration(model, data, q)
    it, ok = 0, False
    while True:
        ok = True
        for task in tasks:
            e = task.compute_error(conf)
            if not (np.linalg.norm(e[:3]) < tol and np.linalg.norm(e[3:]) < tol):
                ok = False
                break
        if ok or time.perf_counter() - t0 > time_cap_s:
            break
        try:
            v = pink.solve_ik(conf, tasks, dt, solver=PINK_QP, limits=limits)
        except PinkError:               # NoSolutionFound, NotWithinConfigurationLimits
            break
        conf.integrate_inplace(v, dt)
        it += 1
    seconds = time.perf_counter() - t0
    return dict(zip(names, conf.q[idx].tolist())), seconds, ok, it


# --------------------------------------------------------------------------------- placo

def _placo_setup(key, frames):
    return _placo_built(key, frames, PLACO_STEP_DT, PLACO_REGULARIZATION)


@functools.lru_cache(maxsize=8)
def _placo_built(key, frames, step_dt, regularization):
    import placo
    import yourdfpy

    robot = placo.RobotWrapper(key[0], placo.Flags.ignore_collisions)
    solver = placo.KinematicsSolver(robot)
    solver.mask_fbase(True)
    solver.enable_joint_limits(True)
    if step_dt > 0:
        solver.dt = step_dt
    solver.enable_velocity_limits(step_dt > 0)
    if regularization > 0:
        solver.add_regularization_task(regularization)
    urdf = yourdfpy.URDF.load(key[0], build_scene_graph=False, load_meshes=False)
    mimics = {j.name: j.mimic for j in urdf.robot.joints if j.mimic is not None}
    gear = None
    for name, m in mimics.items():
        if m.offset not in (None, 0.0):
            raise ValueError(f"{key[0]}: joint {name!r}: placo's gear task has no offset")
        if gear is None:
            gear = solver.add_gear_task()
            gear.configure("mimic", "hard", 1.0)
        gear.set_gear(name, m.joint, 1.0 if m.multiplier is None else float(m.multiplier))
    frame_names = set(robot.frame_names())
    for f in frames:
        if f not in frame_names:
            raise ValueError(f"{key[0]}: no frame {f!r}")
    tasks = []
    for f in frames:
        task = solver.add_frame_task(f, np.eye(4))
        task.configure(f, "soft", 1.0, 1.0)
        tasks.append(task)
    names = [n for n in robot.joint_names() if n not in mimics]
    every = list(robot.joint_names())
    limits = np.array([robot.get_joint_limits(n) for n in every], dtype=float).reshape(-1, 2)
    return robot, solver, tasks, names, every, mimics, limits


def placo_solve(urdf_path, frame_names, targets, q0, tol, time_cap_s):
    """placo (``KinematicsSolver``) on every frame at once; see the module docstring."""
    robot, solver, tasks, names, every, mimics, limits = _placo_setup(
        _key(urdf_path), tuple(frame_names))
    t0 = time.perf_counter()
    q = _start(every, (limits[:, 0], limits[:, 1]), q0)
    value = dict(zip(every, q))
    for name, m in mimics.items():      # start on the mimic rule
        value[name] = (1.0 if m.multiplier is None else m.multiplier) * value[m.joint]
    for n in every:
        robot.set_joint(n, float(value[n]))
    robot.update_kinematics()
    for task, T in zip(tasks, targets):
        task.T_world_frame = np.asarray(T, dtype=float)
    it, ok = 0, False
    while True:
        ok = True
        for task in tasks:
            pos, ori = task.position(), task.orientation()
            pos.update()
            ori.update()
            if not (pos.error_norm() < tol and ori.error_norm() < tol):
                ok = False
                break
        if ok or time.perf_counter() - t0 > time_cap_s:
            break
        try:
            solver.solve(True)
        except RuntimeError:            # the QP has no solution
            break
        robot.update_kinematics()
        it += 1
    seconds = time.perf_counter() - t0
    return {n: float(robot.get_joint(n)) for n in names}, seconds, ok, it


PEERS = {"pink": pink_solve, "placo": placo_solve}


# ---------------------------------------------------------------------------- round trip

def fk_errors(urdf, q, frames, targets):
    """Per frame: (position error [m], rotation angle [rad]) of yourdfpy's forward
    kinematics at ``q`` (mimic rule applied by yourdfpy) against ``targets``."""
    urdf.update_cfg(q)
    out = []
    for f, T in zip(frames, targets):
        A = urdf.get_transform(f, urdf.base_link)
        c = (np.trace(A[:3, :3].T @ T[:3, :3]) - 1.0) / 2.0
        out.append((float(np.linalg.norm(A[:3, 3] - T[:3, 3])),
                    math.acos(min(1.0, max(-1.0, c)))))
    return out


def round_trip(robot, peer, poses, seed, tol=TOL, time_cap_s=1.0):
    """``poses`` targets from yourdfpy's forward kinematics of random joints within the
    limits (``seed``), solved by ``peer`` from the middle of the limits; success judged
    by yourdfpy's forward kinematics (< :data:`TOL` m and rad per frame)."""
    import yourdfpy

    path = ROBOTS / f"{robot}.urdf"
    frames = TASKS[robot]
    urdf = yourdfpy.URDF.load(str(path), build_scene_graph=True, load_meshes=False)
    names = list(urdf.actuated_joint_names)
    lim = np.array([[urdf.joint_map[n].limit.lower, urdf.joint_map[n].limit.upper]
                    for n in names])
    rng = np.random.default_rng(seed)
    mid = dict(zip(names, lim.mean(axis=1)))
    solve = PEERS[peer]
    solve(str(path), frames, [np.eye(4)] * len(frames), mid, tol, 0.01)    # untimed warm-up
    rows = []
    for _ in range(poses):
        truth = dict(zip(names, rng.uniform(lim[:, 0], lim[:, 1])))
        urdf.update_cfg(truth)
        targets = [urdf.get_transform(f, urdf.base_link).copy() for f in frames]
        q, seconds, own, its = solve(str(path), frames, targets, mid, tol, time_cap_s)
        errs = fk_errors(urdf, q, frames, targets)
        fk_ok = all(p < TOL and a < TOL for p, a in errs)
        within = all(lim[i, 0] - 1e-9 <= q[n] <= lim[i, 1] + 1e-9 for i, n in enumerate(names))
        rows.append((fk_ok, own, seconds, its, within))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--poses", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cap", type=float, default=1.0, help="time cap per solve [s]")
    ap.add_argument("--robot", choices=[*TASKS, "both"], default="both")
    ap.add_argument("--peer", choices=[*PEERS, "both"], default="both")
    args = ap.parse_args(argv)
    robots = list(TASKS) if args.robot == "both" else [args.robot]
    peers = list(PEERS) if args.peer == "both" else [args.peer]
    print(f"round trip: {args.poses} poses, seed {args.seed}, tol {TOL:g} m and rad, "
          f"cap {args.cap:g} s, from the middle of the limits")
    print(f"{'robot':<11} {'peer':<6} {'FK success':>10} {'own test':>9} {'in limits':>9} "
          f"{'mean ms':>8} {'median ms':>9} {'ms solved':>9} {'mean it':>8} {'own!=FK':>7}")
    for robot in robots:
        for peer in peers:
            try:
                rows = round_trip(robot, peer, args.poses, args.seed, TOL, args.cap)
            except ImportError as e:
                print(f"{robot:<11} {peer:<6} skipped: {e}")
                continue
            fk, own, sec, its, within = (np.array(c, dtype=float) for c in zip(*rows))
            print(f"{robot:<11} {peer:<6} {fk.mean():>10.1%} {own.mean():>9.1%} "
                  f"{within.mean():>9.1%} {1e3 * sec.mean():>8.2f} "
                  f"{1e3 * np.median(sec):>9.2f} "
                  f"{1e3 * sec[fk > 0].mean() if fk.any() else math.nan:>9.2f} "
                  f"{its.mean():>8.1f} {int((fk != own).sum()):>7d}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
