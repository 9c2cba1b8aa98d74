"""The compiled peers of ``bench/ik_spatial.py``: robotics-toolbox's ``ik_LM`` and Klampt.

Each peer loads the same URDF file as armsim, between the same base and tip links, and is
checked before any timing: its forward kinematics must equal armsim's to 1e-9 (m, and
entries of the rotation) at random joint vectors, and its joint limits must be armsim's;
otherwise it is skipped with the reason.

**robotics-toolbox ``ik_LM``** (C++ Levenberg-Marquardt, Chan's damping ``lambda E``): its
test is ``E = 0.5 e.e < tol`` where ``e`` is the 6-vector (position error, rotation vector),
so ``tol = 0.5 * 1e-10 = 5e-11`` (:func:`rtb_tol`) means ``|e| < 1e-5``, which implies both
halves of the common rule.  Its own defaults otherwise (``ilimit`` 30 iterations a search,
``slimit`` 100 searches, ``method`` "chan", no ``mask``) but ``k`` = 0.1, the fastest of the
settings its docs suggest on the tuning poses (``--tune``: ``default_rng(31337)``, the
shipped arms; never the reported poses); ``joint_limits=True``:
an answer outside the limits (after whole turns are taken off) is rejected and a new search
starts.  Its searches after the first start from ``Eigen::VectorX::Random``, that is the C
library's ``rand()``, which it gives no way to seed: the process's ``rand`` is seeded once with
``srand(0)`` (:func:`seed_c_rand`).  It has no time limit: its answers that come back after
the cap are counted as failures (none did in the runs recorded).  No batch mode.

**Klampt** (``IKSolver``, Newton's method with the joint limits as bounds): its test is the
largest component of its residual (position error, rotation vector) ``<= tol``, so it is
asked for ``tol = 1e-5 / sqrt(3)`` as TRAC-IK is; ``setMaxIters`` its default 100; the
chain's joints as the active DOFs (``setActiveDofs``), the target relative to the base link
(``IKObjective.setRelativeTransform``); restarts as its own ``solve_global`` makes them
(``sampleInitial``, seeded by ``robotsim.set_random_seed(0)``), with the cap checked between
attempts (an answer after the cap counts as a failure).  No batch mode.

**Two arms the defaults never saw** (``bench/unseen_arms.py``), written as URDF from published
standard Denavit-Hartenberg tables and joint limits (P. Corke, *Robotics, Vision and
Control*; the same numbers are in robotics-toolbox's DH models): the PUMA 560 (six revolute
joints, a shoulder offset) and the Stanford arm (a prismatic third joint).  armsim's defaults
were tuned on the shipped robots only.

**First use** (:func:`first_use`): in a fresh process per solver, robot and repeat, after the
solver's import and loading, the time of its first solve of one pose less the median of
:data:`LATER` more solves of the same pose (armsim as ``bench/first_solve.py`` measures it,
on any URDF); armsim's compiled path (``armsim compiled``) the same, with
``ARMSIM_COMPILED=1`` (numba's import and its kernel's load from numba's cache are in it).

**The table** (:func:`peers_markdown`): armsim's two entries, its default path and its
compiled path (``bench/ik_spatial.py`` measures both), and the peers; per robot, which armsim
entry leads each column (success, mean, median, first use; no peer ahead of the better
entry, :func:`leads`) and where neither does (a peer ahead of both, :func:`behind`).

    python bench/peers_spatial.py --tune     # ik_LM's settings on the tuning poses
    python bench/peers_spatial.py --first armsim PATH BASE TIP TARGET Q0   # the worker
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

TOL = 1e-5
#: ik_LM's own defaults (robotics-toolbox 1.5) but k: 0.1 (its default 1.0) was the fastest
#: at the same success of the settings its docs suggest, on the tuning poses
#: (``python bench/peers_spatial.py --tune``)
RTB_SETTINGS = dict(ilimit=30, slimit=100, k=0.1, method="chan", joint_limits=True, mask=None)
#: the tuning poses' seed: bench/ik_spatial_settings.py's, never the reported poses'
TUNING_SEED = 31337
#: the settings --tune compares: ik_LM's docs' guide, "chan, k = 1.0 - 0.01, wampler,
#: k = 0.01 - 0.0001, and sugihara, k = 0.1 - 0.0001"
RTB_CANDIDATES = [("chan", k) for k in (1.0, 0.3, 0.1, 0.03, 0.01)] + [
    ("sugihara", k) for k in (0.1, 0.01, 0.001, 0.0001)] + [
    ("wampler", k) for k in (0.01, 0.001, 0.0001)]
#: Klampt's own default iterations per attempt
KLAMPT_ITERS = 100
#: later solves of the same pose after the first (their median; armsim's once its float
#: pass is compiled), as bench/first_solve.py
LATER = 30
#: the peers' restart seed (the C library's rand for ik_LM, Klampt's own)
PEER_SEED = 0


def rtb_tol(error_norm):
    """ik_LM's ``tol`` for a 6-vector error shorter than ``error_norm``: its test is
    ``0.5 e.e < tol``."""
    return 0.5 * error_norm ** 2


#: |e| < 1e-5, at least as strict as the common rule (each half shorter than |e|)
RTB_TOL = rtb_tol(TOL)
#: Klampt bounds each component of its residual: as TRAC-IK's eps
KLAMPT_TOL = TOL / math.sqrt(3.0)

from unseen_arms import UNSEEN  # noqa: E402


# -- the C library's rand, ik_LM's restart draws ---------------------------------------------
def seed_c_rand(seed=PEER_SEED):
    """Seed the process's C ``rand()`` (ik_LM's restarts draw from it)."""
    ctypes.CDLL(None).srand(ctypes.c_uint(seed))


# -- robotics-toolbox ---------------------------------------------------------------------------
class RtbPeer:
    """robotics-toolbox's C++ ``ik_LM`` on the ETS from ``base`` to ``tip`` of a URDF."""

    name = "ik_LM"

    def __init__(self, path, base, tip, q_seed):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import roboticstoolbox as rtb
            from roboticstoolbox.models.URDF.URDFRobot import URDF_file
            links, name, _ = URDF_file(str(path))
            robot = rtb.Robot(links, name=name)
        self.ets = robot.ets(start=base, end=tip)
        self.n = self.ets.n
        self.limits = np.asarray(self.ets.qlim, dtype=float).T
        self.q_seed = np.asarray(q_seed, dtype=float)
        seed_c_rand()

    def fk(self, q):
        return np.asarray(self.ets.eval(q), dtype=float)

    def solve(self, M):
        """(seconds, q, own success)."""
        t0 = time.perf_counter()
        r = self.ets.ik_LM(M, q0=self.q_seed, tol=RTB_TOL, **RTB_SETTINGS)
        dt = time.perf_counter() - t0
        return dt, np.asarray(r.q, dtype=float), bool(r.success)


# -- Klampt -------------------------------------------------------------------------------------
class KlamptPeer:
    """Klampt's ``IKSolver`` on a URDF's robot, the chain's joints active, the target
    relative to the base link; restarts by ``sampleInitial`` until ``cap_s`` has passed."""

    name = "Klampt"

    def __init__(self, path, base, tip, q_seed, cap_s):
        from klampt import IKObjective, IKSolver, WorldModel, robotsim
        self.objective, self.cap_s = IKObjective(), cap_s
        self.world = WorldModel()
        # the URDF parser prints to the C stdout: send it away while loading
        fd = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                sys.stdout.flush()
                os.dup2(null.fileno(), 1)
                self.robot = self.world.loadRobot(str(path))
        finally:
            os.dup2(fd, 1)
            os.close(fd)
        if self.robot.index < 0:
            raise ValueError(f"Klampt could not load {path}")
        names = [self.robot.link(i).getName() for i in range(self.robot.numLinks())]
        # the chain's joints: the links from base (exclusive) to tip with a movable joint
        chain, i = [], names.index(tip)
        while names[i] != base:
            if self.robot.getJointType(i) == "normal":     # not "weld", "floating"
                chain.append(i)
            i = self.robot.link(i).getParent()
            if i < 0:
                raise ValueError(f"{base} is not above {tip} in Klampt's tree")
        lo, hi = self.robot.getJointLimits()
        self.dofs = [d for d in reversed(chain) if hi[d] > lo[d]]
        self.n = len(self.dofs)
        self.limits = np.array([[lo[d], hi[d]] for d in self.dofs])
        self.base, self.tip = self.robot.link(base), self.robot.link(tip)
        self.q_full = self.robot.getConfig()
        self.q_seed = list(np.asarray(q_seed, dtype=float))
        self.solver = IKSolver(self.robot)
        self.solver.setActiveDofs(self.dofs)
        self.solver.setMaxIters(KLAMPT_ITERS)
        self.solver.setTolerance(KLAMPT_TOL)
        robotsim.set_random_seed(PEER_SEED)

    def _set(self, q):
        full = list(self.q_full)
        for d, x in zip(self.dofs, q):
            full[d] = float(x)
        self.robot.setConfig(full)

    def fk(self, q):
        self._set(q)
        Rb, tb = self.base.getTransform()
        Rt, tt = self.tip.getTransform()

        def mat(R, t):
            M = np.eye(4)
            M[:3, :3] = np.asarray(R).reshape(3, 3).T   # Klampt's so3: column-major
            M[:3, 3] = t
            return M
        return np.linalg.inv(mat(Rb, tb)) @ mat(Rt, tt)

    def solve(self, M):
        """(seconds, q, own success): attempts from q_seed, then from sampleInitial, until
        one succeeds or the cap has passed."""
        t0 = time.perf_counter()
        R = M[:3, :3].T.ravel().tolist()     # column-major
        self.objective.setRelativeTransform(self.tip.index, self.base.index, R,
                                            M[:3, 3].tolist())
        self.solver.clear()
        self.solver.add(self.objective)
        self._set(self.q_seed)
        while True:
            ok = self.solver.solve()
            if ok or time.perf_counter() - t0 > self.cap_s:
                break
            self.solver.sampleInitial()
        dt = time.perf_counter() - t0
        q = self.robot.getConfig()
        return dt, np.array([q[d] for d in self.dofs]), bool(ok)


def make_peer(kind, path, chain, q_seed, cap_ms):
    """A checked peer (its FK equals armsim's to 1e-9 at 20 random joint vectors, its
    limits are armsim's), or why it is skipped (a str)."""
    try:
        if kind == "ik_LM":
            peer = RtbPeer(path, chain.base, chain.tip, q_seed)
        else:
            peer = KlamptPeer(path, chain.base, chain.tip, q_seed, cap_ms / 1e3)
    except ImportError as exc:
        return f"{kind} not importable ({exc})"
    except Exception as exc:   # a peer that cannot read the file is reported, not fatal
        return f"{kind} could not load the URDF ({type(exc).__name__}: {exc})"
    return check_peer(peer, chain)


def fk_difference(peer, chain, count=20, seed=1):
    """The largest difference of peer's and armsim's tool pose at ``count`` random joint
    vectors within armsim's limits."""
    q = np.random.default_rng(seed).uniform(chain.limits[:, 0], chain.limits[:, 1],
                                            (count, chain.n))
    A = chain.matrix(q)
    return max(float(np.abs(peer.fk(x) - a).max()) for x, a in zip(q, A))


def check_peer(peer, chain):
    if peer.n != chain.n:
        return f"{peer.name} sees {peer.n} joints, armsim {chain.n}"
    if not np.allclose(peer.limits, chain.limits, atol=1e-12, rtol=0):
        return f"{peer.name}'s joint limits differ from armsim's"
    diff = fk_difference(peer, chain)
    if not diff < 1e-9:
        return f"{peer.name}'s forward kinematics differ from armsim's by {diff:.1e}"
    peer.fk_difference = diff
    return peer


def peer_round(peer, chain, T, fk_success, stats, cap_ms):
    """One timed solve per pose: stats with success by the common rule (and an answer within
    the cap), by the peer's own test, and the answers after the cap."""
    q_out = np.full((len(T), chain.n), np.nan)
    times, own = [], []
    for i, M in enumerate(T):
        dt, q, ok = peer.solve(M)
        times.append(dt)
        own.append(ok)
        q_out[i] = q
    times = np.asarray(times)
    late = times > cap_ms / 1e3
    good = fk_success(chain, q_out, T) & ~late
    out = stats(times, good, own=own)
    out["over_cap"] = int(late.sum())
    out["own_but_failed"] = int(np.sum(np.asarray(own) & ~good))
    return out


# -- first use, in fresh processes --------------------------------------------------------------
def _worker(kind, path, base, tip, target, q0):
    t0 = time.perf_counter()
    M, q0 = np.asarray(target, dtype=float).reshape(4, 4), np.asarray(q0, dtype=float)
    if kind == "armsim":
        sys.path.insert(0, str(ROOT))
        import armsim
        import_ms = (time.perf_counter() - t0) * 1e3
        t = time.perf_counter()
        chain = armsim.load_urdf(path, base=base, tip=tip)
        load_ms = (time.perf_counter() - t) * 1e3

        def solve():
            return armsim.solve(chain, M, q0=q0, tol=TOL).success
    elif kind == "TRAC-IK":
        import pytracik
        import_ms = (time.perf_counter() - t0) * 1e3
        t = time.perf_counter()
        solver = pytracik.TRAC_IK(base, tip, Path(path).read_text(), 0.02, TOL / math.sqrt(3),
                                  pytracik.SolveType.Speed)
        load_ms = (time.perf_counter() - t) * 1e3
        w, x, y, z = _quaternion(M[:3, :3])

        def solve():
            return pytracik.ik(solver, q0, M[0, 3], M[1, 3], M[2, 3], x, y, z, w)[0] >= 0
    elif kind == "IKPy":
        import warnings
        from ikpy.chain import Chain
        import_ms = (time.perf_counter() - t0) * 1e3
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mask = [k.joint_type != "fixed"
                    for k in Chain.from_urdf_file(path, base_elements=[base]).links]
            ik = Chain.from_urdf_file(path, base_elements=[base], active_links_mask=mask)
        load_ms = (time.perf_counter() - t) * 1e3
        full = np.zeros(len(mask))
        full[np.flatnonzero(mask)] = q0

        def solve():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ik.inverse_kinematics_frame(M, initial_position=full, orientation_mode="all")
            return True
    else:
        import_ms = 0.0
        t = time.perf_counter()
        peer = (RtbPeer(path, base, tip, q0) if kind == "ik_LM"
                else KlamptPeer(path, base, tip, q0, 0.02))
        load_ms = (time.perf_counter() - t) * 1e3     # its import with it

        def solve():
            return peer.solve(M)[2]
    t = time.perf_counter()
    ok = solve()
    first = (time.perf_counter() - t) * 1e3
    tier = 0
    if kind == "armsim":
        # a new chain's float pass runs from its program, then is compiled: the later solves
        # are timed once it is (the steady cost; bench/first_solve.py times the solves between)
        from armsim.ik import spatial_scalar
        while tier < 400 and spatial_scalar.from_program(chain):
            solve()
            tier += 1
    later = []
    for _ in range(LATER):
        t = time.perf_counter()
        solve()
        later.append((time.perf_counter() - t) * 1e3)
    return {"import_ms": import_ms, "load_ms": load_ms, "first_ms": first,
            "later_ms": statistics.median(later), "success": bool(ok), "tier_solves": tier,
            "numba": "numba" in sys.modules}


def _quaternion(R):
    """(w, x, y, z) of a rotation matrix, by its largest component."""
    w = math.sqrt(max(0.0, 1 + R[0, 0] + R[1, 1] + R[2, 2])) / 2
    x = math.copysign(math.sqrt(max(0.0, 1 + R[0, 0] - R[1, 1] - R[2, 2])) / 2, R[2, 1] - R[1, 2])
    y = math.copysign(math.sqrt(max(0.0, 1 - R[0, 0] + R[1, 1] - R[2, 2])) / 2, R[0, 2] - R[2, 0])
    z = math.copysign(math.sqrt(max(0.0, 1 - R[0, 0] - R[1, 1] + R[2, 2])) / 2, R[1, 0] - R[0, 1])
    n = math.sqrt(w * w + x * x + y * y + z * z)
    return w / n, x / n, y / n, z / n


def first_use(kind, path, chain, M, q0, runs, cache="cold", compiled=False):
    """The median over ``runs`` fresh processes of the first solve's cost: {first_ms,
    later_ms, first_use_ms (first - later), import_ms, load_ms}, or why it failed (str).
    armsim keeps first-use work on disk (``armsim.ik.disk_cache``): ``cache="cold"`` gives
    each process an empty cache folder of its own (a new machine), ``"warm"`` one folder a
    process before the timed ones has filled (every later run on that machine).  armsim
    runs its default path (``ARMSIM_COMPILED`` empty), or with ``compiled`` its compiled
    path (``ARMSIM_COMPILED=1``: numba's import and the load of its kernel from numba's
    cache, where the caller's process left it, are in the first solve)."""
    rs = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        os.chmod(base, 0o700)
        for i in range(runs + (cache == "warm")):
            folder = base / ("shared" if cache == "warm" else f"cold{i}")
            env = dict(os.environ, ARMSIM_CACHE_DIR=str(folder),
                       ARMSIM_COMPILED="1" if compiled else "")
            out = subprocess.run(
                [sys.executable, __file__, "--first", kind, str(path), chain.base, chain.tip,
                 json.dumps(np.asarray(M).ravel().tolist()), json.dumps(list(map(float, q0)))],
                capture_output=True, text=True, cwd=ROOT, env=env)
            if cache == "warm" and i == 0:          # fills the cache; not timed
                continue
            rs.append(out)
            if out.returncode != 0:
                break
    runs_out, rs = rs, []
    for out in runs_out:
        if out.returncode != 0:
            return f"{kind}: " + (out.stderr.strip().splitlines() or ["failed"])[-1]
        rs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        if kind == "armsim" and rs[-1].get("numba", compiled) != compiled:
            return (f"{kind}: the worker's solve {'did not run' if compiled else 'ran'} "
                    "the compiled path")
    med = {k: statistics.median(r[k] for r in rs)
           for k in ("import_ms", "load_ms", "first_ms", "later_ms")}
    med["first_use_ms"] = statistics.median(r["first_ms"] - r["later_ms"] for r in rs)
    med["success"] = all(r["success"] for r in rs)
    return med


# -- the table ----------------------------------------------------------------------------------
SOLVERS = ("armsim", "armsim compiled", "ik_LM", "TRAC-IK", "Klampt", "IKPy")
#: armsim's entries: its default path and its compiled path (``bench/ik_spatial.py``)
ARMSIM = ("armsim", "armsim compiled")
#: the columns where a solver may lead: (name, key, higher is better)
COLUMNS = (("success", "success", True), ("mean", "mean", False),
           ("median", "median", False), ("first use", "first_use", False))


def rows(r, cap):
    """{solver: its figures on one robot, or why it was skipped}: success (common rule,
    answers within the cap), own success, mean and median ms, first use, batch solves/s."""
    first, out = r["first_use"], {}
    for kind in ARMSIM:
        a, whole = r["capped"][str(cap)].get(kind), r.get(kind)
        if isinstance(a, dict) and isinstance(whole, dict):
            out[kind] = dict(success=a["success"], own=a["own_success"], mean=a["mean_ms"],
                             median=a["median_ms"], count=a["count"],
                             batch=whole["batch_default_threads_per_s"],
                             batch_one=whole["batch_per_s"])
        elif whole is not None:          # skipped (a run before the compiled rows: absent)
            out[kind] = whole if isinstance(whole, str) else str(a)
    for kind, v in (("ik_LM", r["ik_LM"]), ("TRAC-IK", r["capped"][str(cap)]["tracik"]),
                    ("Klampt", r["Klampt"])):
        out[kind] = v if isinstance(v, str) else dict(
            success=v["success"], own=v["own_success"], mean=v["mean_ms"],
            median=v["median_ms"], count=v["count"], batch=None)
    k = r["ikpy"]
    out["IKPy"] = k if isinstance(k, str) else dict(
        success=k["success_within_cap"], own=None, mean=k["mean_ms"], median=k["median_ms"],
        count=k["count"], batch=None, uncapped=k["success"])
    for kind, v in out.items():
        if isinstance(v, dict):
            f = first.get(kind)
            v["first_use"] = f["first_use_ms"] if isinstance(f, dict) else None
    for kind in ARMSIM:
        if isinstance(out.get(kind), dict):
            warm = first.get(kind + " warm")
            out[kind]["first_use_warm"] = (warm["first_use_ms"] if isinstance(warm, dict)
                                           else None)
    return out


#: a time within this fraction of another is a tie (no lead either way): the same solves
#: timed twice in one run (armsim's rows at the two caps) differed by up to 6.3 % in their
#: medians (run of 2026-12-07; :func:`cap_spread` prints a run's own)
TIME_MARGIN = 0.10


def _better(x, y, higher):
    """Whether x beats y: a success rate by any amount, a time by :data:`TIME_MARGIN`."""
    return x > y if higher else x * (1.0 + TIME_MARGIN) < y


def cap_spread(results):
    """The largest relative difference of armsim's medians at the two caps, or None."""
    got = [[r["capped"][c].get(kind) for c in list(r["capped"])[:2]]
           for r in results["robots"].values() if len(r.get("capped", {})) > 1 for kind in ARMSIM]
    got = [(a["median_ms"], b["median_ms"]) for a, b in got
           if isinstance(a, dict) and isinstance(b, dict)]
    return max((abs(a - b) / min(a, b) for a, b in got), default=None)


def _armsim_best(solvers, key, higher):
    """armsim's better figure in a column and the entries that have it ([] when none has
    the figure)."""
    got = {k: solvers[k][key] for k in ARMSIM
           if isinstance(solvers.get(k), dict) and solvers[k].get(key) is not None}
    if not got:
        return None, []
    best = (max if higher else min)(got.values())
    return best, [k for k, v in got.items() if v == best]


def _peer_figure(v, key):
    """A peer's figure in a column, as it could best claim it: its success by its own test
    when that is higher (a lead must not come from a peer's test passing answers the common
    rule fails), a first use below 0 (a difference of noisy times) as 0."""
    x = v[key]
    if x is None:
        return None
    if key == "success" and v.get("own") is not None:
        return max(x, v["own"])
    return max(x, 0.0) if key == "first_use" else x


def leads(table):
    """Which armsim entry leads each column (its figure the better armsim's, every peer's
    figure (:func:`_peer_figure`) strictly worse; a tie is no lead): [(robot, column,
    [entries])]."""
    out = []
    for robot, solvers in table.items():
        for col, key, higher in COLUMNS:
            best, who = _armsim_best(solvers, key, higher)
            if not who:
                continue
            peers = [_peer_figure(v, key) for kind, v in solvers.items()
                     if kind not in ARMSIM and isinstance(v, dict)]
            if all(x is None or _better(best, x, higher) for x in peers):
                out.append((robot, col, who))
    return out


def tied(table):
    """Where a peer's figure (:func:`_peer_figure`) and armsim's better one are even (a
    success rate equal, a time neither better by :data:`TIME_MARGIN`):
    [(robot, column, the peer)]."""
    out = []
    for robot, solvers in table.items():
        for col, key, higher in COLUMNS:
            best, _ = _armsim_best(solvers, key, higher)
            for kind, v in solvers.items():
                x = None if kind in ARMSIM or not isinstance(v, dict) else _peer_figure(v, key)
                if (best is not None and x is not None and not _better(x, best, higher)
                        and not _better(best, x, higher)):
                    out.append((robot, col, kind))
    return out


def behind(table):
    """Where neither armsim entry leads (its default path, its compiled path when it ran):
    [(robot, column, the peer, its figure, armsim's better figure)]."""
    out = []
    for robot, solvers in table.items():
        for kind, v in solvers.items():
            if kind in ARMSIM or isinstance(v, str):
                continue
            for col, key, higher in COLUMNS:
                best, _ = _armsim_best(solvers, key, higher)
                x = _peer_figure(v, key)
                if best is not None and x is not None and _better(x, best, higher):
                    out.append((robot, col, kind, x, best))
    return out


def pct(x):
    """A success rate; one short of 100 % is never printed as 100.00 %."""
    return f"{100 * x:.3f} %" if 0.99995 <= x < 1 else f"{100 * x:.2f} %"


def peers_markdown(results):
    cap = max(results["caps_ms"])
    table = {name: rows(r, cap) for name, r in results["robots"].items()}
    lines = [f"One solve per pose from the middle of the limits ({results['poses']} poses per "
             f"robot; IKPy the first {results['ikpy_poses']}), every solver on the same URDF "
             f"and poses, a wall-clock cap of {cap:g} ms per solve for all; **success by the "
             f"common rule** (armsim's forward kinematics of the answer: position < {TOL:g} m, "
             f"rotation < {TOL:g} rad, the joints inside the limits to float32 rounding of "
             "the file's numbers, as TRAC-IK reads them; an answer that comes back after the cap "
             "fails, whichever solver: ik_LM, Klampt and IKPy are timed against it, armsim "
             "and TRAC-IK stop at it themselves, between iterations) / by "
             "the solver's own test. First use: the first solve in a fresh process after "
             "import and loading, less the median of the next 30 (below 0, a difference of "
             "noisy times: printed as such and counted as 0; armsim's once its float "
             "pass, run from its program for its first evaluations, is compiled; median of "
             f"{results['first_runs']} processes, the first pose; armsim with an empty "
             "disk cache of its own, a new machine, and in brackets with the cache a "
             "previous process filled). Batch: armsim's "
             "`solve_batch` of every pose, no cap (the maths library's default threads, and "
             "one; the compiled path on numba's threads, one per core, in both); the peers "
             "have no batch mode.",
             "", "| robot | solver | success, common / own | mean / median ms | first use ms "
             "| batch solves/s |", "|---|---|---|---|---|---|"]
    for name, solvers in table.items():
        for kind in SOLVERS:
            if kind not in solvers:
                continue
            v = solvers[kind]
            if isinstance(v, str):
                lines.append(f"| {name} | {kind} | skipped: {v} | | | |")
                continue
            own = "none" if v["own"] is None else pct(v["own"])
            if "uncapped" in v:
                own += f" ({100 * v['uncapped']:.1f} % uncapped)"
            fu = ("?" if v["first_use"] is None else f"{v['first_use']:.2f}"
                  if v["first_use"] >= 0 else f"< 0 (noise: {v['first_use']:.3f})")
            if v.get("first_use_warm") is not None:
                fu += f" (warm {v['first_use_warm']:.2f})"
            batch = "none" if v["batch"] is None else (
                f"{v['batch']:,.0f} (one thread {v['batch_one']:,.0f})")
            bold = "**" if kind in ARMSIM else ""
            lines.append(f"| {name} | {bold}{kind}{bold} | {pct(v['success'])} / {own} "
                         f"| {v['mean']:.3f} / {v['median']:.3f} | {fu} | {batch} |")
    passed = [f"{name} {kind} {v['own_but_failed']}" for name, r in results["robots"].items()
              for kind in ("ik_LM", "Klampt") if isinstance(v := r[kind], dict)
              and v.get("own_but_failed")]
    late = [f"{name} {kind} {v['over_cap']}" for name, r in results["robots"].items()
            for kind, v in [*((k, r["capped"][str(cap)].get(k)) for k in ARMSIM),
                            ("TRAC-IK", r["capped"][str(cap)]["tracik"]),
                            *((k, r.get(k)) for k in ("ik_LM", "Klampt", "ikpy"))]
            if isinstance(v, dict) and v.get("over_cap")]
    lines += ["", "Answers that passed the solver's own test and failed the common rule (the "
              "fastest round): " + (", ".join(passed) or "none") + ". Answers after the cap "
              "(ik_LM and IKPy have no time limit; Klampt's is checked between attempts, "
              "armsim's and TRAC-IK's between iterations): "
              + (", ".join(late) or "none") + "."]
    lag = behind(table)
    grouped = {}
    for robot, col, kind, _, _ in lag:
        grouped.setdefault(robot, {}).setdefault(kind, []).append(col)
    ahead = {}
    for robot, col, who in leads(table):
        who = "both entries" if len(who) > 1 else who[0]
        ahead.setdefault(robot, {}).setdefault(who, []).append(col)
    lines += ["", "Where armsim leads (every peer behind its better entry; a peer's success "
              "taken by its own test where that is higher), and which entry: "
              + ("; ".join(f"{robot}: " + ", ".join(f"{who} ({', '.join(cols)})"
                                                    for who, cols in kinds.items())
                           for robot, kinds in ahead.items()) or "nowhere") + "."]
    even = {}
    for robot, col, kind in tied(table):
        even.setdefault(robot, {}).setdefault(col, []).append(kind)
    spread = cap_spread(results)
    lines += ["", "Where a peer ties armsim's better entry (no lead either way; a time within "
              f"{100 * TIME_MARGIN:g} % of the other is a tie"
              + (f": the same solves timed twice in this run, armsim's at the two caps, differ "
                 f"by up to {100 * spread:.1f} % in their medians" if spread is not None else "")
              + "): "
              + ("; ".join(f"{robot}: " + ", ".join(f"{col} ({', '.join(kinds)})"
                                                    for col, kinds in cols.items())
                           for robot, cols in even.items()) or "nowhere") + "."]
    lines += ["", "Where neither armsim entry leads (a peer ahead of both in success, mean, "
              "median or first use): " + ("; ".join(
                  f"{robot}: " + ", ".join(f"{kind} ({', '.join(cols)})"
                                           for kind, cols in kinds.items())
                  for robot, kinds in grouped.items()) or "nowhere") + "."]
    lines += ["", f"Settings: armsim its defaults (tol {TOL:g}, timeout {cap:g} ms; "
              "**armsim compiled**: the same with `armsim.ik.compiled.use(True)`, numba's "
              "kernels, its first use with `ARMSIM_COMPILED=1` and numba's cache written "
              "before, numba's import and the kernel's load in it; its batch on numba's "
              "threads, one per core); ik_LM "
              f"tol = 0.5 x (1e-5)^2 = {RTB_TOL:.0e} on 0.5 e.e, ilimit "
              f"{RTB_SETTINGS['ilimit']}, slimit {RTB_SETTINGS['slimit']}, k "
              f"{RTB_SETTINGS['k']:g} (chosen on the tuning poses by `python bench/peers_spatial.py "
              f"--tune`; its default 1), method {RTB_SETTINGS['method']}, joint_limits, no "
              f"mask, C rand seeded {PEER_SEED}; TRAC-IK Speed, eps 1e-5/sqrt(3) "
              f"a component, timeout {cap:g} ms; Klampt tol 1e-5/sqrt(3) on the largest "
              f"component, {KLAMPT_ITERS} iterations an attempt, sampleInitial restarts "
              f"(seed {PEER_SEED}) until the cap; IKPy orientation_mode all. The peers' forward "
              f"kinematics equal armsim's to " + ", ".join(
                  f"{name} {max(r[k]['fk_difference'] for k in ('ik_LM', 'Klampt') if isinstance(r[k], dict)):.0e}"
                  for name, r in results["robots"].items()
                  if any(isinstance(r[k], dict) for k in ('ik_LM', 'Klampt')))
              + f". Unseen arms: {', '.join(UNSEEN)} (standard DH, published parameters). "
              f"Poses: default_rng({results.get('pose_seed', 2026)}); nothing was tuned on them."]
    return "\n".join(lines)


def tune(poses=3000, names=("panda", "ur5", "iiwa14")):
    """ik_LM's candidate settings on the tuning poses of the shipped arms: prints success
    (the common rule), mean and median ms; returns the fastest total mean among those whose
    success is the best within 0.1 % on every arm."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import armsim
    from ik_spatial import fk_success
    res = {}
    for name in names:
        chain = armsim.robots.load(name)
        rng = np.random.default_rng(TUNING_SEED)
        T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (poses, chain.n)))
        peer = make_peer("ik_LM", armsim.robots.path(name), chain, chain.limits.mean(axis=1),
                         20.0)
        for method, k in RTB_CANDIDATES:
            settings = dict(RTB_SETTINGS, method=method, k=k)
            ts, qs = [], []
            for M in T:
                t0 = time.perf_counter()
                r = peer.ets.ik_LM(M, q0=peer.q_seed, tol=RTB_TOL, **settings)
                ts.append(time.perf_counter() - t0)
                qs.append(r.q)
            ok = float(np.mean(fk_success(chain, np.asarray(qs), T)))
            res[name, method, k] = (ok, float(np.mean(ts)) * 1e3, float(np.median(ts)) * 1e3)
            print(f"{name} {method} k={k:g}: success {100 * ok:.2f} %, mean "
                  f"{res[name, method, k][1]:.4f} ms, median {res[name, method, k][2]:.4f} ms",
                  flush=True)
    best = {name: max(v[0] for (n, *_), v in res.items() if n == name) for name in names}
    fit = [c for c in RTB_CANDIDATES
           if all(res[(name, *c)][0] >= best[name] - 1e-3 for name in names)]
    chosen = min(fit, key=lambda c: sum(res[(name, *c)][1] for name in names))
    print(f"chosen: method {chosen[0]}, k {chosen[1]:g} (tuning poses default_rng({TUNING_SEED}), "
          f"{poses} per arm)")
    return chosen


if __name__ == "__main__":
    if sys.argv[1:] == ["--tune"]:
        tune()
    elif len(sys.argv) == 8 and sys.argv[1] == "--first":
        kind, path, base, tip, target, q0 = sys.argv[2:]
        print(json.dumps(_worker(kind, path, base, tip, json.loads(target), json.loads(q0))))
    else:
        usage = ("usage: python bench/peers_spatial.py --tune | --first SOLVER URDF BASE TIP "
                 "TARGET Q0 (run bench/ik_spatial.py for the benchmark)")
        if sys.argv[1:] in (["-h"], ["--help"]):
            print(usage)
        else:
            print(usage, file=sys.stderr)
            sys.exit(2)
