"""Spatial IK on the shipped robots, the TRAC-IK protocol, with TRAC-IK and IKPy in the same run.

For each robot: random joint vectors uniform within the limits, their tool poses as
targets, solved from the middle of the joint ranges; full 6-D, tolerance 1e-5 (m and
rad).  **The common rule** judges every solver's answer: armsim's forward kinematics of
the joints it returns, the length of the position error < 1e-5 m and the angle of the
rotation error < 1e-5 rad, the joints inside the limits (to float32 rounding of the file's
numbers, :data:`LIMIT_SLACK`).  Each solver's **own test** is reported beside it: armsim's
``success`` flag (the same two lengths), TRAC-IK's return code.  TRAC-IK bounds each
component of its error by ``eps`` separately (a vector with every component under eps
may be sqrt(3) eps long), so it is asked for ``eps = 1e-5 / sqrt(3)``: its own test is
then at least as strict as the common rule.  IKPy has no success test of its own.

**Equal time caps**: every one-pose solve of armsim and TRAC-IK gets the same wall-clock
cap (each of :data:`CAPS_MS`; armsim's ``timeout=``, which ends a solve with reason
``"timeout"``, and TRAC-IK's own timeout).  Also: ``solve_batch`` throughput with the
maths library's default threads and with one (what ``solve_batch`` sets), position-only
targets, the time to give up on targets beyond the reach (1.05, 1.2 and 2 x the reach
bound from the first joint), and the AD Jacobian against a hand-written geometric one
(n = 7, B = 1000).

Peers: TRAC-IK through pytracik (Speed) and IKPy (``orientation_mode="all"``), and
robotics-toolbox's C++ ``ik_LM`` and Klampt's ``IKSolver`` (:mod:`peers_spatial`: their
tolerances, settings, restart seeds and the check that their kinematics are armsim's; they
run at the largest cap), loading the same URDF files; each is skipped with a printed reason
when it cannot be imported (``pip install 'armsim[bench]'``) or when its joint count, forward
kinematics (to 1e-9) or limits are not armsim's (:func:`kinematics_differ`; TRAC-IK's binding
gives no limits).  Robots: the shipped ones and
two arms the defaults never saw, the PUMA 560 and the Stanford arm (URDFs written from their
published DH tables by :func:`unseen_arms.write_unseen`).  First use of every solver (the
first solve in a fresh process less the median of later ones): :func:`peers_spatial.first_use`.

**armsim compiled**: armsim's compiled path (:mod:`armsim.ik.compiled`, numba) is a row of its
own beside the default path, measured the same way -- the same poses, settings, caps and
rule, its batches, one solves, IKPy blocks, give-up and position-only batch right after the
default path's, with ``compiled.use(True)`` around them and ``compiled.use(False)`` after
(``ARMSIM_COMPILED=1`` in the environment is ignored: the ``armsim`` rows are always the
default path).  A solve with a cap runs the Python restarts with compiled attempts, one
without the whole solve compiled; its ``solve_batch`` runs on numba's threads, one per core,
whatever the maths library's thread setting.  Its untimed first use (numba's import and the
load of its kernels from numba's cache, a compile when that is empty) comes before its
timing; its first-use figure is the default path's, in fresh processes with
``ARMSIM_COMPILED=1`` (numba's cache as the untimed first use left it).  When numba cannot
be imported its rows are skipped with the reason printed.

Timing (the machine is shared: loads come and go): after an untimed first use of each
solver, a full run makes 3 rounds of armsim's ``solve_batch`` (the compiled path's first,
then the default path's with one thread and with the maths library's default threads: a
BLAS call on several threads leaves OpenBLAS's threads spinning for about 0.1 s, on the
cores numba's threads want), and
for each cap armsim's one ``solve`` per pose and TRAC-IK's one solve per pose, in turn,
and keeps each measurement's fastest round (success figures: the mean of the rounds, as
a capped solve may time out in one round and not another); IKPy's poses are solved in
blocks of 50, by IKPy and then by armsim, and its ratio compares those two means.  Both
sides always solve the same poses (``--quick`` too).

    python bench/ik_spatial.py            # 10,000 poses per robot, each one solve (IKPy: 200)
    python bench/ik_spatial.py --quick    # a few minutes
    python bench/ik_spatial.py --json out.json --markdown   # README blocks, docs/solvers.md's
                                                            # peers block
    python bench/ik_spatial.py --from-json out.json [--markdown]   # the blocks of a saved run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import armsim  # noqa: E402
from armsim.kinematics.spatial import rotation_vector  # noqa: E402
from ik_jacobian import jacobian_markdown, jacobian_timing  # noqa: E402

from armsim.ik import compiled as ik_compiled  # noqa: E402
from armsim.ik import settings as ik_settings  # noqa: E402
from armsim.ik.problems import SpatialTarget  # noqa: E402
from ik_spatial_report import (BEYOND, COMPILED, IKPY_BLOCK, POSE_SEED,  # noqa: E402
                               SMALL_BATCH, TOL, TRACIK_EPS, markdown)

#: the wall-clock caps of one solve [ms], the same for armsim and TRAC-IK (TRAC-IK's
#: default is 5 ms)
CAPS_MS = (5.0, 20.0)
GIVE_UP_TARGETS = 100
#: timing rounds (full run): each solver's fastest round of this many counts
ROUNDS = 3
#: fresh processes per first-use figure (their median; --quick: 1)
FIRST_RUNS = 3
# the spatial problem's own defaults (what solve uses when the caller gives none)
SETTINGS = dict(max_iter=SpatialTarget.default_max_iter,
                first_iter=SpatialTarget.default_first_iter,
                restarts=SpatialTarget.default_restarts, tol=TOL)


def compiled_skip():
    """Why armsim's compiled rows are skipped (numba cannot be imported), or None."""
    try:
        import numba  # noqa: F401
    except Exception as exc:        # not installed, or it fails to import
        return f"numba not importable ({type(exc).__name__}: {exc}; pip install 'armsim[fast]')"
    return None


@contextlib.contextmanager
def compiled_path():
    """armsim's compiled path on (``compiled.use(True)``) inside, off after (the default)."""
    ik_compiled.use(True)
    try:
        yield
    finally:
        ik_compiled.use(False)


#: the slack of the joint-limit judge, relative to a limit's size: a limit read as a float32
#: (TRAC-IK's URDF reader: its answers at a bound are past armsim's by up to 4.4e-8 rad, the
#: rounding of pi/2) is within |limit| 2^-24 of the file's number
LIMIT_SLACK = 2.0 ** -23


def within_limits(chain, q):
    """(B,) bool: every joint inside armsim's limits, to :data:`LIMIT_SLACK`."""
    lo, hi = chain.limits[:, 0], chain.limits[:, 1]
    return np.all((q >= lo - LIMIT_SLACK * np.abs(lo)) & (q <= hi + LIMIT_SLACK * np.abs(hi)),
                  axis=-1)


def fk_success(chain, q, T):
    """Success by armsim's forward kinematics: position and orientation within TOL, every
    joint inside the limits (:func:`within_limits`)."""
    ok = np.all(np.isfinite(q), axis=-1)
    q = np.where(ok[:, None], q, 0.0)
    ok &= within_limits(chain, q)
    M = chain.matrix(q)
    pos = np.linalg.norm(M[:, :3, 3] - T[:, :3, 3], axis=-1)
    ori = np.linalg.norm(rotation_vector(T[:, :3, :3] @ np.swapaxes(M[:, :3, :3], -1, -2)), axis=-1)
    return ok & (pos < TOL) & (ori < TOL)


def quaternion(R):
    """(w, x, y, z) of a rotation matrix (Shepperd's method)."""
    t = np.trace(R)
    if t > 0:
        s = 2.0 * np.sqrt(1.0 + t)
        return np.array([0.25 * s, (R[2, 1] - R[1, 2]) / s, (R[0, 2] - R[2, 0]) / s,
                         (R[1, 0] - R[0, 1]) / s])
    i = int(np.argmax(np.diag(R)))
    j, k = (i + 1) % 3, (i + 2) % 3
    s = 2.0 * np.sqrt(1.0 + R[i, i] - R[j, j] - R[k, k])
    q = np.empty(4)
    q[0] = (R[k, j] - R[j, k]) / s
    q[1 + i] = 0.25 * s
    q[1 + j] = (R[j, i] + R[i, j]) / s
    q[1 + k] = (R[k, i] + R[i, k]) / s
    return q


def stats(times, success, iters=None, own=None):
    """``success`` by the common rule, ``own``: by the solver's own test."""
    t = np.asarray(times) * 1e3
    out = {"success": float(np.mean(success)), "mean_ms": float(t.mean()),
           "median_ms": float(np.median(t)), "p95_ms": float(np.percentile(t, 95)), "count": len(t)}
    if own is not None:
        out["own_success"] = float(np.mean(own))
    if iters is not None:
        out["iterations"] = float(np.mean(iters))
    return out


def armsim_batch(chain, T, seed_q, threads):
    """One timed ``solve_batch`` of every pose with the maths library's threads as
    ``solve_batch`` sets them (``threads="one"``) or as the process has them
    (``"default"``): (seconds, result)."""
    keep = ik_settings.BATCH_BLAS_THREADS
    ik_settings.BATCH_BLAS_THREADS = 1 if threads == "one" else None
    try:
        t0 = time.perf_counter()
        r = armsim.solve_batch(chain, T, q0=np.broadcast_to(seed_q, (len(T), chain.n)),
                               **SETTINGS)
        return time.perf_counter() - t0, r
    finally:
        ik_settings.BATCH_BLAS_THREADS = keep


def _time_batches(store, chain, T, seed_q, threads, small):
    """One :func:`armsim_batch` of every pose into ``store[threads]``, then, when ``small``,
    one of the first ``small`` poses into ``store["small_" + threads]``."""
    store[threads].append(armsim_batch(chain, T, seed_q, threads))
    if small:
        store["small_" + threads].append(armsim_batch(chain, T[:small], seed_q, threads))


def armsim_singles(chain, T, seed_q, count, cap_ms=None):
    """One timed ``solve`` per pose of the first ``count`` (``timeout`` cap_ms):
    (times, good by the common rule, iterations, own flags, reasons).  The answers are
    judged after the last solve, in one call, as the peers' are (:func:`tracik_round`,
    :func:`peers_spatial.peer_round`): a check between two timed solves would leave the
    caches to the next one colder than the peers' (about 10 us a solve, ad hoc).  With a
    cap, an answer that came back after it fails, as a peer's does (:func:`within_cap`:
    ``timeout`` is checked between iterations, so the last one may end after the cap)."""
    times, its, own, reasons = [], [], [], []
    q_out = np.empty((count, chain.n))
    cap = None if cap_ms is None else cap_ms / 1e3
    for i in range(count):
        t0 = time.perf_counter()
        s = armsim.solve(chain, T[i], q0=seed_q, timeout=cap, **SETTINGS)
        times.append(time.perf_counter() - t0)
        q_out[i] = s.q
        its.append(s.iterations)
        own.append(bool(s.success))
        reasons.append(s.reason)
    good = fk_success(chain, q_out, T[:count]) & within_cap(times, cap_ms)
    return times, good.tolist(), its, own, reasons


def within_cap(times, cap_ms):
    """(B,) bool: the solves that came back within the cap (all, without one): the rule
    every solver's answers meet, whether it stops at the cap itself (armsim, TRAC-IK, whose
    last step may end after it) or is timed against it (ik_LM, Klampt, IKPy)."""
    times = np.asarray(times, dtype=float)
    return np.ones(len(times), dtype=bool) if cap_ms is None else times <= cap_ms / 1e3


def warm_up(chain, seed_q):
    """The untimed first use of a chain (its restart table and compiled float pass), as the
    peers' solver objects are built before their timing: milliseconds it took."""
    t0 = time.perf_counter()
    armsim.solve_batch(chain, chain.matrix(seed_q[None]), q0=seed_q[None], **SETTINGS)
    armsim.solve(chain, chain.matrix(seed_q), q0=seed_q, **SETTINGS)
    # the float pass runs from its program for its first evaluations, then is compiled:
    # compiled here, so the timed solves do not hold the compile
    armsim.prepare(chain, chain.matrix(seed_q))
    return (time.perf_counter() - t0) * 1e3


def warm_up_compiled(chain, seed_q, cap_ms):
    """The untimed first use of the compiled path on a chain: :func:`warm_up`'s solves with
    it on, the batch of two rows (one row takes the Python path) and one capped solve (its
    compiled attempts): numba's import and the load of each kernel from numba's cache (a
    compile when it is empty) come first in a process: milliseconds it took."""
    Q = np.stack([seed_q, seed_q])
    with compiled_path():
        t0 = time.perf_counter()
        armsim.solve_batch(chain, chain.matrix(Q), q0=Q, **SETTINGS)
        armsim.solve(chain, chain.matrix(seed_q), q0=seed_q, **SETTINGS)
        armsim.solve(chain, chain.matrix(seed_q), q0=seed_q, timeout=cap_ms / 1e3, **SETTINGS)
        return (time.perf_counter() - t0) * 1e3


def armsim_capped(singles, cap_ms=None):
    """armsim's one-solve figures at one cap: the fastest round's times, success (by the
    common rule, within the cap, and by its flag) and timeouts as the mean of the rounds;
    ``over_cap``: the fastest round's solves that came back after the cap."""
    times, good, its, own, reasons = min(singles, key=lambda x: float(np.mean(x[0])))
    out = stats(times, good, its, own)
    out["success"] = float(np.mean([np.mean(x[1]) for x in singles]))
    out["own_success"] = float(np.mean([np.mean(x[3]) for x in singles]))
    out["timeouts"] = float(np.mean([sum(r == "timeout" for r in x[4]) for x in singles]))
    out["false_success"] = int(sum(o and not g for x in singles for o, g in zip(x[3], x[1])))
    out["over_cap"] = int(np.sum(np.asarray(times) > cap_ms / 1e3)) if cap_ms else 0
    out["mean_ms_rounds"] = [float(np.mean(x[0]) * 1e3) for x in singles]
    return out


def armsim_summary(chain, T, batches, singles):
    """The armsim figures of the rounds: each measurement's fastest round (``singles``:
    the rounds at the largest cap)."""
    batch_s, r = min(batches["one"], key=lambda b: b[0])
    ok = fk_success(chain, r.q, T)
    times, good, its, own, _ = min(singles, key=lambda x: float(np.mean(x[0])))
    single = stats(times, good, its, own)
    its = np.asarray(its)
    # the hard tail: poses that needed many restarts
    single["over_100_iterations"] = int(np.sum(its > 100))
    single["over_100_share"] = float(its[its > 100].sum() / max(its.sum(), 1))
    single["most_iterations"] = int(its.max(initial=0))
    single["most_iterations_ms"] = float(times[int(np.argmax(its))] * 1e3) if len(its) else 0.0
    single["batch_success"] = float(ok.mean())
    single["batch_per_s"] = len(T) / batch_s
    single["batch_per_s_rounds"] = [len(T) / b[0] for b in batches["one"]]
    single["batch_default_threads_per_s"] = len(T) / min(b[0] for b in batches["default"])
    single["batch_default_threads_per_s_rounds"] = [len(T) / b[0] for b in batches["default"]]
    single["batch_iterations"] = float(np.mean(r.iterations))
    single["flag_agrees"] = bool(np.array_equal(ok, r.success))
    small = batches.get("small_one")
    if small:
        b = len(small[0][1].q)
        single["batch_small_rows"] = b
        single["batch_small_per_s"] = b / min(x[0] for x in small)
        single["batch_small_per_s_rounds"] = [b / x[0] for x in small]
        single["batch_small_default_threads_per_s"] = b / min(
            x[0] for x in batches["small_default"])
        single["batch_small_success"] = float(np.mean(
            [fk_success(chain, x[1].q, T[:b]).mean() for x in small]))
    return single


def run_position(chain, T, seed_q, compiled=False):
    """Position-only targets, one ``solve_batch`` (``compiled``: also by the compiled
    path, its figures under ``"compiled"``)."""
    p = T[:, :3, 3]
    t0 = time.perf_counter()
    r = armsim.solve_batch(chain, p, q0=np.broadcast_to(seed_q, (len(p), chain.n)), **SETTINGS)
    dt = time.perf_counter() - t0
    err = np.linalg.norm(chain.pose(r.q)[1] - p, axis=-1)
    out = {"success": float(np.mean(err < TOL)), "batch_per_s": len(p) / dt}
    if compiled:
        with compiled_path():
            out["compiled"] = run_position(chain, T, seed_q)
    return out


def tracik_solver(path, chain, cap_ms, first=None):
    """TRAC-IK's solver object (Speed, timeout cap_ms, eps TRACIK_EPS), or why it is
    skipped (a str); ``first`` (target, start): its untimed first use, one solve, as
    armsim's (:func:`warm_up`) and the other peers' before their timing."""
    try:
        import pytracik
    except ImportError as exc:
        return f"pytracik not importable ({exc})"
    urdf = Path(path).read_text()
    solver = pytracik.TRAC_IK(chain.base, chain.tip, urdf, cap_ms / 1e3, TRACIK_EPS,
                              pytracik.SolveType.Speed)
    why = kinematics_differ("TRAC-IK", chain, pytracik.get_num_joints(solver),
                            lambda q: pytracik.fk(solver, np.asarray(q, float)))
    if why:
        return why
    if first is not None:
        tracik_solve(solver, *first)
    return solver


def kinematics_differ(name, chain, n, fk, limits=None):
    """Why a peer is skipped (a str), or None: its joint count, forward kinematics
    (:func:`peers_spatial.check_peer`: to 1e-9 at 20 random joint vectors) and, when it
    gives them, limits must be armsim's (TRAC-IK's binding gives none)."""
    from peers_spatial import check_peer

    class Peer:
        pass
    peer = Peer()
    peer.name, peer.n, peer.fk = name, n, fk
    peer.limits = chain.limits if limits is None else limits
    got = check_peer(peer, chain)
    return got if isinstance(got, str) else None


def tracik_solve(solver, M, seed_q):
    """One TRAC-IK solve: (seconds, q or None by its own test)."""
    import pytracik
    w, x, y, z = quaternion(M[:3, :3])
    t0 = time.perf_counter()
    r = pytracik.ik(solver, seed_q, M[0, 3], M[1, 3], M[2, 3], x, y, z, w)
    dt = time.perf_counter() - t0
    return dt, (np.asarray(r[1:], dtype=float) if r[0] >= 0 else None)


def tracik_round(solver, chain, T, seed_q, cap_ms=None):
    """One timed TRAC-IK solve per pose: its stats (success by the common rule, an answer
    after ``cap_ms`` failing as any solver's (:func:`within_cap`), and by its own return
    code; ``over_cap``: the solves that came back after the cap)."""
    q_out = np.full((len(T), chain.n), np.nan)
    times, own = [], []
    for i, M in enumerate(T):
        dt, q = tracik_solve(solver, M, seed_q)
        times.append(dt)
        own.append(q is not None)
        if q is not None:
            q_out[i] = q
    inside = within_cap(times, cap_ms)
    out = stats(times, fk_success(chain, q_out, T) & inside, own=own)
    out["over_cap"] = int(np.sum(~inside))
    out["head_mean_ms"] = float(np.mean(times[:SMALL_BATCH]) * 1e3)   # the small batch's poses
    return out


def beyond_targets(chain, scale, count, seed=POSE_SEED + 1):
    """Pose targets whose position lies ``scale`` x the reach bound from the first joint
    (random directions and orientations from ``default_rng(seed)``)."""
    prob = SpatialTarget(chain, "pose")
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(count, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (count, chain.n)))
    T[:, :3, 3] = np.asarray(prob._origin) + scale * prob._bound * u
    return T


def _give_up(chain, T, seed_q):
    ts, reasons = [], {}
    for M in T:
        t0 = time.perf_counter()
        r = armsim.solve(chain, M, q0=seed_q, **SETTINGS)
        ts.append(time.perf_counter() - t0)
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    return {"mean_ms": float(np.mean(ts) * 1e3), "max_ms": float(np.max(ts) * 1e3),
            "reasons": reasons}


def give_up_times(chain, seed_q, tracik, count, compiled=False):
    """Time to give up on targets beyond the reach (no cap for armsim; TRAC-IK at its
    cap): {scale: {"armsim": (mean, max ms, reasons), "tracik": (mean, max ms)}}, and
    ``COMPILED`` as "armsim" by the compiled path (``compiled``)."""
    out = {}
    for scale in BEYOND:
        T = beyond_targets(chain, scale, count)
        row = {"armsim": _give_up(chain, T, seed_q)}
        if compiled:
            with compiled_path():
                row[COMPILED] = _give_up(chain, T, seed_q)
        if not isinstance(tracik, str):
            tt = [tracik_solve(tracik, M, seed_q)[0] for M in T]
            row["tracik"] = {"mean_ms": float(np.mean(tt) * 1e3), "max_ms": float(np.max(tt) * 1e3)}
        out[str(scale)] = row
    return out


def run_ikpy(path, chain, T, seed_q, count, cap_ms=max(CAPS_MS), compiled=False):
    try:
        from ikpy.chain import Chain as IkpyChain
    except ImportError as exc:
        return f"ikpy not importable ({exc})"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ik = IkpyChain.from_urdf_file(str(path), base_elements=[chain.base])
        mask = [link.joint_type != "fixed" for link in ik.links]
        ik = IkpyChain.from_urdf_file(str(path), base_elements=[chain.base],
                                      active_links_mask=mask)
    active = np.flatnonzero(mask)
    if len(active) != chain.n:
        return f"ikpy sees {len(active)} joints, armsim {chain.n}"
    full = np.zeros(len(ik.links))
    full[active] = seed_q
    bounds = np.array([[-np.inf if lo is None else lo, np.inf if hi is None else hi]
                       for lo, hi in (ik.links[i].bounds for i in active)], dtype=float)

    def fk(q):
        every = full.copy()
        every[active] = q
        return ik.forward_kinematics(every)
    why = kinematics_differ("IKPy", chain, len(active), fk, bounds)
    if why:
        return why
    with warnings.catch_warnings():     # untimed first use, as every other solver's
        warnings.simplefilter("ignore")
        ik.inverse_kinematics_frame(T[0], initial_position=full, orientation_mode="all")
    q_out = np.full((count, chain.n), np.nan)
    times, ours, ours_c = [], [], []
    for s in range(0, count, IKPY_BLOCK):
        # a block of poses by IKPy, then the same block by armsim (then by its compiled
        # path): the means see the same load, each solver solving back to back as in its
        # own timing
        for i in range(s, min(s + IKPY_BLOCK, count)):
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sol = ik.inverse_kinematics_frame(T[i], initial_position=full,
                                                  orientation_mode="all")
            times.append(time.perf_counter() - t0)
            q_out[i] = sol[active]
        ours += armsim_singles(chain, T[s:s + IKPY_BLOCK], seed_q,
                               min(IKPY_BLOCK, count - s))[0]
        if compiled:
            with compiled_path():
                ours_c += armsim_singles(chain, T[s:s + IKPY_BLOCK], seed_q,
                                         min(IKPY_BLOCK, count - s))[0]
    good = fk_success(chain, q_out, T[:count])
    late = np.asarray(times) > cap_ms / 1e3       # IKPy has no time limit of its own
    out = stats(times, good)
    out["success_within_cap"] = float(np.mean(good & ~late))
    out["over_cap"] = int(late.sum())
    out["armsim_mean_ms"] = float(np.mean(ours) * 1e3)
    out["armsim_median_ms"] = float(np.median(ours) * 1e3)
    if compiled:
        out["armsim_compiled_mean_ms"] = float(np.mean(ours_c) * 1e3)
        out["armsim_compiled_median_ms"] = float(np.median(ours_c) * 1e3)
    return out


def robots(folder):
    """{name: URDF path}: the shipped robots and the two unseen arms (written into folder)."""
    from unseen_arms import write_unseen
    return {**{n: armsim.robots.path(n) for n in armsim.robots.NAMES}, **write_unseen(folder)}


def run_robot(name, path, poses, rounds, ikpy_count, give_up_count, first_runs,
              skip_compiled=None):
    """Every measurement of one robot (see the module's docstring); armsim's compiled path
    as a row of its own (``COMPILED``) unless ``skip_compiled`` says why not."""
    import peers_spatial as peers
    comp = skip_compiled is None
    chain = armsim.load_urdf(path)
    rng = np.random.default_rng(POSE_SEED)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (poses, chain.n)))
    seed_q = chain.limits.mean(axis=1)
    big = max(CAPS_MS)
    warm_ms = warm_up(chain, seed_q)
    warm_c_ms = warm_up_compiled(chain, seed_q, big) if comp else None
    trackers = {cap: tracik_solver(path, chain, cap, (T[0], seed_q)) for cap in CAPS_MS}
    compiled = {kind: peers.make_peer(kind, path, chain, seed_q, big)
                for kind in ("ik_LM", "Klampt")}
    for kind in compiled.values():
        if not isinstance(kind, str):
            kind.solve(T[0])      # untimed first use, as armsim's warm_up
    # rounds: armsim's batch (both thread settings; then by the compiled path), then for
    # each cap armsim's one solves (then by the compiled path) and TRAC-IK, then (at the
    # largest cap) ik_LM and Klampt, in turn, so that every solver meets the same load;
    # each measurement keeps its fastest round
    small = SMALL_BATCH if poses > SMALL_BATCH else 0   # the first poses alone
    kinds = ("default", "one") + (("small_one", "small_default") if small else ())
    batches = {k: [] for k in kinds}
    singles = {cap: [] for cap in CAPS_MS}
    batches_c = {k: [] for k in kinds}
    singles_c = {cap: [] for cap in CAPS_MS}
    tracik_rounds = {cap: [] for cap in CAPS_MS}
    peer_rounds = {kind: [] for kind in compiled}
    for _ in range(rounds):
        # the compiled batches first: a BLAS call on several threads (the default path's
        # batch with the default threads) leaves OpenBLAS's threads spinning for about 0.1 s,
        # on the cores numba's threads then want (ad hoc, stanford's compiled batch of 1,000
        # right after it: 43,000-68,000 solves/s, against 86,000-93,000 after the one-thread
        # batch, and 93,000-98,000 right after it with OPENBLAS_THREAD_TIMEOUT=4, which puts
        # them to sleep at once)
        if comp:
            with compiled_path():
                for threads in ("default", "one"):
                    _time_batches(batches_c, chain, T, seed_q, threads, small)
        for threads in ("one", "default"):
            _time_batches(batches, chain, T, seed_q, threads, small)
        for cap in CAPS_MS:
            singles[cap].append(armsim_singles(chain, T, seed_q, poses, cap))
            if comp:
                with compiled_path():
                    singles_c[cap].append(armsim_singles(chain, T, seed_q, poses, cap))
            if not isinstance(trackers[cap], str):
                tracik_rounds[cap].append(tracik_round(trackers[cap], chain, T, seed_q,
                                                       cap))
        for kind, peer in compiled.items():
            if not isinstance(peer, str):
                peer_rounds[kind].append(peers.peer_round(peer, chain, T, fk_success, stats, big))
    a = armsim_summary(chain, T, batches, singles[big])
    a["first_use_ms"] = warm_ms
    if comp:
        a_c = armsim_summary(chain, T, batches_c, singles_c[big])
        a_c["first_use_ms"] = warm_c_ms
    else:
        a_c = skip_compiled
    capped = {}
    for cap in CAPS_MS:
        tracik = trackers[cap]
        if not isinstance(tracik, str):
            tracik = fastest(tracik_rounds[cap])
        capped[str(cap)] = {"armsim": armsim_capped(singles[cap], cap), "tracik": tracik,
                            COMPILED: (armsim_capped(singles_c[cap], cap) if comp
                                       else skip_compiled)}
    compiled = {kind: peer if isinstance(peer, str) else
                dict(fastest(peer_rounds[kind]), fk_difference=peer.fk_difference)
                for kind, peer in compiled.items()}
    first = {kind: peers.first_use(kind, path, chain, T[0], seed_q, first_runs)
             for kind in ("armsim", "ik_LM", "TRAC-IK", "Klampt", "IKPy")}
    first["armsim warm"] = peers.first_use("armsim", path, chain, T[0], seed_q, first_runs,
                                           cache="warm")
    for cache, key in (("cold", COMPILED), ("warm", COMPILED + " warm")):
        # ARMSIM_COMPILED=1: numba's import and the load of solve_one from numba's cache
        # (the package's, which warm_up_compiled filled) are in the first solve
        first[key] = (peers.first_use("armsim", path, chain, T[0], seed_q, first_runs,
                                      cache=cache, compiled=True)
                      if comp else skip_compiled)
    r = {"n": chain.n, "poses": poses, "armsim": a, COMPILED: a_c, "capped": capped,
         **compiled, "first_use": first, "position": run_position(chain, T, seed_q, comp),
         "give_up": give_up_times(chain, seed_q, trackers[min(CAPS_MS)], give_up_count,
                                  comp),
         "ikpy": run_ikpy(path, chain, T, seed_q, ikpy_count, compiled=comp)}
    if not comp:
        print(f"{name}: {COMPILED} skipped: {skip_compiled}")
    for peer in ("ikpy", "ik_LM", "Klampt"):
        if isinstance(r[peer], str):
            print(f"{name}: {peer} skipped: {r[peer]}")
    if isinstance(trackers[big], str):
        print(f"{name}: tracik skipped: {trackers[big]}")
    return r


def fastest(rs):
    """A random solver's rounds: the fastest round's times, success as the mean of the
    rounds (a capped solve may time out in one round and not another)."""
    out = dict(min(rs, key=lambda t: t["mean_ms"]))
    out["mean_ms_rounds"] = [t["mean_ms"] for t in rs]
    if all("head_mean_ms" in t for t in rs):      # the small batch's poses: their fastest
        out["head_mean_ms"] = min(t["head_mean_ms"] for t in rs)
    out["success"] = float(np.mean([t["success"] for t in rs]))
    out["own_success"] = float(np.mean([t["own_success"] for t in rs]))
    return out


def main(argv=None):
    import tempfile
    from _docs import (add_from_json_argument, add_markdown_argument, publish, republish,
                       write_blocks, write_json)
    from peers_spatial import peers_markdown
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer poses (a few minutes)")
    ap.add_argument("--poses", type=int, default=None, help="poses per robot (default 10000)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--only", choices=["jacobian"], help="only the Jacobian timing (its block)")
    add_from_json_argument(ap)
    add_markdown_argument(ap, str(ROOT / "README.md"))
    args = ap.parse_args(argv)
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        text, peers_text = markdown(results), peers_markdown(results)
        republish(args, "ik_spatial.py", [text, peers_text], {
            args.markdown: {"bench/ik_spatial.py robots": text, "bench/ik_spatial.py jacobian":
                            jacobian_markdown(results["jacobian"])},
            ROOT / "docs" / "solvers.md": {"bench/ik_spatial.py peers": peers_text}})
        return
    if args.only == "jacobian":
        j = jacobian_timing(3 if args.quick else 20)
        text = jacobian_markdown(j)
        publish(args, "bench/ik_spatial.py jacobian", text, j,
                "python bench/ik_spatial.py --only jacobian --markdown")
        return
    poses = args.poses or (300 if args.quick else 10_000)
    ikpy_count = min(poses, 10 if args.quick else 200)
    give_up_count = 10 if args.quick else GIVE_UP_TARGETS
    rounds = 1 if args.quick else ROUNDS
    first_runs = 1 if args.quick else FIRST_RUNS
    from armsim.ik import restart_table
    if ik_compiled.enabled():
        print("ARMSIM_COMPILED=1 ignored: the armsim rows are the default path, the compiled "
              "path has its own rows")
    ik_compiled.use(False)
    skip_compiled = compiled_skip()
    if skip_compiled:
        print(f"{COMPILED} skipped: {skip_compiled}")
    results = {"poses": poses, "tol": TOL, "tracik_eps": TRACIK_EPS, "caps_ms": list(CAPS_MS),
               "settings": SETTINGS, "robots": {}, "rounds": rounds,
               "give_up_targets": give_up_count, "ikpy_poses": ikpy_count,
               "first_runs": first_runs, "pose_seed": POSE_SEED,
               "table": {"size": restart_table.TABLE_SIZE, "nearest": restart_table.NEAREST}}
    with tempfile.TemporaryDirectory() as folder:
        for name, path in robots(folder).items():
            r = run_robot(name, path, poses, rounds, ikpy_count, give_up_count, first_runs,
                          skip_compiled)
            results["robots"][name] = r
            print(f"{name}: " + json.dumps(r, default=float)[:600], flush=True)
    results["jacobian"] = jacobian_timing(3 if args.quick else 20)
    text, peers_text = markdown(results), peers_markdown(results)
    print(text)
    print(peers_text)
    if args.json:
        write_json(args.json, results)
    if args.markdown:
        cmd = "python bench/ik_spatial.py" + (" --quick" if args.quick else "") + (
            f" --poses {args.poses}" if args.poses else "") + " --markdown"
        write_blocks(args.markdown, {"bench/ik_spatial.py robots": text,
                                     "bench/ik_spatial.py jacobian":
                                     jacobian_markdown(results["jacobian"])}, cmd)
        write_blocks(ROOT / "docs" / "solvers.md", {"bench/ik_spatial.py peers": peers_text},
                     cmd)


if __name__ == "__main__":
    main()
