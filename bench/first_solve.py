"""The first use of armsim in a fresh process: import and load, then the first solve on the
chain, against the later solves of the same pose; and numba's own costs.

Every figure comes from fresh processes (``subprocess``), run with Python's bytecode cache
on (``PYTHONDONTWRITEBYTECODE`` removed, ``PYTHONPYCACHEPREFIX`` a temporary folder
filled by an untimed run first: an installed package has its ``.pyc`` files), the median
of ``--runs`` processes (the machine is shared).

**Import and load**: ``import armsim`` (numpy with it) and ``armsim.load_urdf`` of a shipped
robot (a planar ``armsim.Chain`` of seven 0.3 m links, joints within +-1.5 rad, is built
instead), timed with
``time.perf_counter`` in the process (the load's part that builds the chain's float pass for
pose targets, ``armsim.ik.prepare.on_load``, timed too), and whether trimesh, scipy, pygame or imageio were
imported by then; and the same with ``import trimesh`` first (what yourdfpy's own import
of trimesh, scipy and networkx costs, which ``load_urdf`` defers).

**First solve** (Panda, UR5, iiwa14 from ``assets/robots``; the planar chain): one
``armsim.solve`` (the defaults) right after the load, then more of the same pose on the
same chain: a new chain's float pass runs from its program until it has been evaluated
``spatial_scalar.COMPILE_AFTER`` times, then is compiled, so the solves are counted until
it is (``tier_solves``, and ``tier_extra_ms``: their time over ``later``, in all, the
compile in the last of them), then ``LATER`` more: ``first``, ``later`` (their median: the
compiled pass) and ``extra`` = first - later.  Three
poses per robot, from a start at the middle of the limits (planar: 0.3 rad per joint):
``near`` (from the middle turned by 0.3 rad per joint -- the iiwa14's middle is a singular
pose -- to that start's pose turned by 0.05 rad per joint, or 0.02, 0.01, 0.005: the
largest whose solve draws no start from the table, its start within ``q0_radius``),
``first start`` (the first pose of ``default_rng(2026)``'s draws whose solve takes the
table's nearest entry and no restart) and ``restarts`` (the first that draws 5 or more
restart starts, else the most).  Three states of the disk cache
(:mod:`armsim.ik.disk_cache`): ``off`` (``ARMSIM_CACHE_DIR=''``: everything built in the
process), ``cold`` (an empty folder: built, then written) and ``warm`` (the folder an
untimed process with the same pose wrote).  The pieces of the first solve are timed too:
``problem`` (the :class:`~armsim.ik.problems.SpatialTarget`), ``table`` (the restart table,
:func:`armsim.ik.restart_table.table`), ``float pass`` (``spatial_scalar._Compiled``:
the pass's program, or its code read from the disk cache), ``compile``
(``_Compiled.tier``, when the first solve compiles), ``cache read`` / ``cache write`` (:func:`disk_cache.load` / :func:`disk_cache.store`).
And ``prepared``: the disk cache off, ``armsim.prepare(chain, start)`` called after the
load with the pose of the start q0 (not the timed target; ``prepare_ms``), then the same
solves (``extra`` after it).

**numba** (optional; skipped with a reason when it is not installed, or with
``--no-numba``): in fresh processes, ``import numba`` (after numpy), and the first call of a
small ``@njit(cache=True)`` kernel of one dls step (the Gram J J^T of a 6 x 7 Jacobian, the
damped Cholesky solve, the step clipped to the limits) with an empty cache (compile and
write) and with the cache written by that run (load; and load with ``scipy.linalg``
imported first: numba's first dispatch imports it when scipy is installed); then its cost
per call against the generated float pass's step (``gram``, ``solve``, ``move`` of the Panda).

**The compiled path** (:mod:`armsim.ik.compiled`; skipped with a reason when numba is not
importable, or with ``--no-numba``): the same first solves of the spatial robots' poses in
fresh processes with ``ARMSIM_COMPILED=1`` (the whole solve in numba, ``solve_one``): with
numba's cache written by an untimed process before (numba's default place, beside the
kernels' source in ``armsim/ik/__pycache__``, or ``NUMBA_CACHE_DIR`` when it is set), the
disk cache off and warm: ``first``, ``later`` and ``extra`` as above, the ``kernel import``
piece (:func:`armsim.ik.compiled.kernel`'s first call: numba's import, the kernels' module and
the check of the constants compiled in, numba's first load), whether the iterations are the
default path's (disk cache off) and the largest difference of q from its q (not bit for
bit: ``tests/test_compiled.py`` holds the two paths' q equal to 1e-9); then the
Panda's near pose with an empty numba cache (``NUMBA_CACHE_DIR`` an empty temporary folder
per process, so the package's cache is not read: numba compiles the kernels).

    python bench/first_solve.py                      # 7 processes per figure
    python bench/first_solve.py --quick --json out.json --markdown
    python bench/first_solve.py --root OTHER_CHECKOUT  # the same figures of another tree
    python bench/first_solve.py --from-json out.json --markdown   # the blocks of a saved run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _docs import (add_from_json_argument, add_markdown_argument, republish,  # noqa: E402
                   write_blocks, write_json)
from first_solve_report import (LATER, PIECES, PREPARED, STATES,  # noqa: E402
                                TIER_MAX, report)
from first_solve_numba import KERNEL, _worker_numba  # noqa: E402

POSE_SEED = 2026          # bench/ik_spatial.py's poses
NEAR_TURNS = (0.05, 0.02, 0.01, 0.005)   # [rad per joint] the near pose's turn, tried in turn
NEAR_FROM = 0.3           # [rad per joint] the near pose's start: the middle turned by this
ROBOTS = ("panda", "ur5", "iiwa14", "planar")
CASES = ("near", "first start", "restarts")
PLANAR = (0.3,) * 7       # the planar chain's link lengths [m]
PLANAR_LIMIT = 1.5        # and its joints' limits, +-[rad] (some poses then need restarts)
WATCHED = ("trimesh", "scipy", "networkx", "pygame", "imageio", "numpy.random")
DOC = ROOT / "docs" / "solvers.md"
BLOCK = "bench/first_solve.py first use"


# -- the first solve, in a fresh process ---------------------------------------------------
def _timer(spent):
    def timed(owner, name, label):
        real = getattr(owner, name, None)
        if real is None:                   # an older tree (--root): not there
            return

        def wrapper(*args, **kw):
            t = time.perf_counter()
            try:
                return real(*args, **kw)
            finally:
                spent[label] = spent.get(label, 0.0) + (time.perf_counter() - t) * 1e3
        setattr(owner, name, wrapper)
    return timed


def _interpreted(spatial_scalar, chain):
    """Whether a chain's float pass still runs from its program (an older tree, --root:
    never)."""
    return getattr(spatial_scalar, "from_program", lambda chain: False)(chain)


def _robot(armsim, robot, root):
    if robot == "planar":
        return armsim.Chain(PLANAR, limits=[(-PLANAR_LIMIT, PLANAR_LIMIT)] * len(PLANAR))
    return armsim.load_urdf(Path(root) / "assets" / "robots" / f"{robot}.urdf")


def _worker_import(robot, root, trimesh_first=False):
    t0 = time.perf_counter()
    sys.path.insert(0, root)
    if trimesh_first:          # what yourdfpy's own import costs: trimesh with it
        import trimesh  # noqa: F401
    import armsim
    t1 = time.perf_counter()
    spent = {}
    from armsim.ik import spatial_scalar
    _timer(spent)(spatial_scalar._Compiled, "__init__", "float pass")
    _robot(armsim, robot, root)
    t2 = time.perf_counter()
    return {"import_ms": (t1 - t0) * 1e3, "load_ms": (t2 - t1) * 1e3,
            "pass_ms": spent.get("float pass", 0.0),
            "total_ms": (t2 - t0) * 1e3, "file": armsim.__file__,
            "modules": [m for m in WATCHED if m in sys.modules]}


def _counter(armsim, robot):
    """A list that grows by one for each restart start drawn (start 0, the "nearer" test,
    included: see _draws)."""
    draws = []
    if robot == "planar":
        from armsim.ik import scalar
        real = scalar._pointed

        def pointed(*args, **kwargs):
            draws.append(None)
            return real(*args, **kwargs)
        scalar._pointed = pointed
    else:
        from armsim.ik import spatial_scalar
        real = spatial_scalar._Starts.__call__

        def counted(self, k):
            draws.append(k)
            return real(self, k)
        spatial_scalar._Starts.__call__ = counted
    return draws


def _draws(draws, robot):
    """Restart starts drawn beyond start 0 (the nearest entry, drawn for the "nearer" test)."""
    if robot == "planar":
        return max(len(draws) - 1, 0)
    return len(draws) - 1 if draws and draws[0] == 0 else len(draws)


def _worker_first(robot, case, index, root, prepared=False):
    t0 = time.perf_counter()
    sys.path.insert(0, root)
    import numpy as np
    import armsim
    from armsim.ik import problems, restart_table, spatial_scalar
    try:
        from armsim.ik import disk_cache
    except ImportError:               # an older tree (--root)
        disk_cache = None
    import_ms = (time.perf_counter() - t0) * 1e3
    spent = {}
    timed = _timer(spent)
    timed(problems.SpatialTarget, "__init__", "problem")
    timed(restart_table, "table", "table")
    timed(spatial_scalar._Compiled, "__init__", "float pass")
    if hasattr(spatial_scalar._Compiled, "tier"):
        timed(spatial_scalar._Compiled, "tier", "compile")
    if robot == "planar":
        from armsim.ik import scalar
        timed(scalar, "_restart_table", "table")
    if disk_cache is not None:
        timed(disk_cache, "load", "cache read")
        timed(disk_cache, "store", "cache write")
    try:
        from armsim.ik import compiled
    except ImportError:               # an older tree (--root)
        compiled = None
    if compiled is not None:
        timed(compiled, "kernel", "kernel import")    # numba's import, the kernels' module
    draws = _counter(armsim, robot)
    t = time.perf_counter()
    chain = _robot(armsim, robot, root)
    load_ms = (time.perf_counter() - t) * 1e3
    target, q0 = _pose(robot, case, index, _robot(armsim, robot, root), np)
    prepare_ms = None
    if prepared:            # armsim.prepare after the load, as a control loop's start-up,
        example = _aim(robot, chain, q0)         # with its start pose (not the timed target)
        t = time.perf_counter()
        armsim.prepare(chain, example)
        prepare_ms = (time.perf_counter() - t) * 1e3
    spent.clear()
    draws.clear()
    t = time.perf_counter()
    r = armsim.solve(chain, target, q0)
    first = (time.perf_counter() - t) * 1e3
    pieces = dict(spent)
    restarts = _draws(draws, robot)
    # a new chain's float pass runs from its program, then is compiled: the solves until
    # it is (the tier-up), then LATER solves at the steady cost
    tier = []
    for _ in range(TIER_MAX):
        if not _interpreted(spatial_scalar, chain):
            break
        t = time.perf_counter()
        armsim.solve(chain, target, q0)
        tier.append((time.perf_counter() - t) * 1e3)
    steady = _later(armsim.solve, chain, target, q0)
    out = {"import_ms": import_ms, "load_ms": load_ms, "first_ms": first, "prepare_ms": prepare_ms,
           "later_ms": steady, "pieces": pieces, "tier_solves": len(tier),
           "tier_extra_ms": sum(t - steady for t in tier),
           "compiled_after": not _interpreted(spatial_scalar, chain),
           "iterations": int(r.iterations), "reason": r.reason, "restart_draws": restarts,
           "q": np.asarray(r.q).tolist(),
           "compiled": compiled is not None and compiled.enabled()}
    if out["compiled"] and "armsim.ik._kernel" in sys.modules:
        k = sys.modules["armsim.ik._kernel"]      # numba's cache, this process
        st = [f.stats for f in (k.solve_packed, k.solve_target)]
        out["numba_cache"] = {"hits": sum(sum(s.cache_hits.values()) for s in st),
                              "misses": sum(sum(s.cache_misses.values()) for s in st)}
    return out


def _later(solve, *args):
    """The median time [ms] of LATER more calls of ``solve(*args)``."""
    later = []
    for _ in range(LATER):
        t = time.perf_counter()
        solve(*args)
        later.append((time.perf_counter() - t) * 1e3)
    return statistics.median(later)


def _worker_robot(name, root):
    """A robot's first solve of two targets: ``near`` (every tool's pose 0.05 rad a joint
    from the middle of the limits, from that middle) and ``from the tables`` (the tools'
    poses at joints drawn from ``default_rng(2026)`` within the limits, from the middle),
    each in a new robot object, less the median of LATER more solves of it."""
    sys.path.insert(0, root)
    import numpy as np
    import armsim
    t = time.perf_counter()
    robot = armsim.robots.load_robot(name)
    load_ms = (time.perf_counter() - t) * 1e3
    out = {"load_ms": load_ms, "tips": list(robot.tips)}
    q0 = robot.limits.mean(axis=1)
    drawn = np.random.default_rng(2026).uniform(*robot.limits.T)
    for case, q in (("near", q0 + 0.05), ("from the tables", drawn)):
        if case != "near":
            robot = armsim.robots.load_robot(name)
        target = dict(robot.frames(np.clip(q, *robot.limits.T), list(robot.tips)))
        t = time.perf_counter()
        r = armsim.solve(robot, target, q0)
        first = (time.perf_counter() - t) * 1e3
        steady = _later(armsim.solve, robot, target, q0)
        out[case] = {"first_ms": first, "later_ms": steady, "extra_ms": first - steady,
                     "iterations": int(r.iterations), "reason": r.reason}
    return out


#: the robots of the robot rows (several tools: the dual arm's two, the hand's three)
ROBOT_ROWS = ("dual_arm", "panda_hand")


def robot_first(runner, runs):
    """:func:`_worker_robot` in fresh processes, the disk cache off and warm (a folder an
    untimed process filled); medians."""
    out = {}
    for name in ROBOT_ROWS:
        runner.run("robot", name)                    # untimed: the bytecode cache filled
        row = {}
        for state in ("off", "warm"):
            rs = []
            for i in range(runs):
                folder = "" if state == "off" else runner.cache(f"r{name}{i}")
                if folder:
                    runner.run("robot", name, cache=folder)      # untimed: writes
                rs.append(runner.run("robot", name, cache=folder))
            row[state] = {case: {k: _median(rs, case, k) for k in ("extra_ms", "later_ms")}
                          for case in ("near", "from the tables")}
            row[state]["iterations"] = {c: rs[0][c]["iterations"] for c in
                                        ("near", "from the tables")}
        out[name] = row
    return out


def _start(robot, chain, np):
    return np.full(chain.n, 0.3) if robot == "planar" else chain.limits.mean(axis=1)


def _aim(robot, chain, q):
    return chain.tip(q) if robot == "planar" else chain.matrix(q)


def _poses(robot, chain, np):
    rng = np.random.default_rng(POSE_SEED)
    return rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (500, chain.n))


def _pose(robot, case, index, chain, np):
    """(target, q0) of a case (the joint vectors come from the select worker: the timed
    process draws nothing, so it does not import numpy.random for the bench's sake)."""
    q0 = index[case].get("q0")
    q0 = _start(robot, chain, np) if q0 is None else np.array(q0)
    return _aim(robot, chain, np.array(index[case]["q"])), q0


def _worker_select(robot, root):
    """The indices of the 'first start' and 'restarts' poses (restart starts drawn)."""
    sys.path.insert(0, root)
    import numpy as np
    import armsim
    chain = _robot(armsim, robot, root)
    draws = _counter(armsim, robot)
    q0 = _start(robot, chain, np)
    out, most = {}, (-1, None)
    qn = q0 + NEAR_FROM       # away from the middle (the iiwa14's is a singular pose)
    for turn in NEAR_TURNS:        # near: the largest turn whose solve draws no start
        draws.clear()
        armsim.solve(chain, _aim(robot, chain, qn + turn), qn)
        if not draws:
            out["near"] = {"turn": turn, "q": (qn + turn).tolist(), "q0": qn.tolist()}
            break
    for i, q in enumerate(_poses(robot, chain, np)):
        draws.clear()
        armsim.solve(chain, _aim(robot, chain, q), q0)
        n = _draws(draws, robot)
        pose = {"index": i, "q": q.tolist()}
        if n == 0 and draws:
            out.setdefault("first start", pose)
        elif n >= 5:
            out.setdefault("restarts", pose)
        if n > most[0]:
            most = (n, pose)
        if len(out) == 3:
            break
    out.setdefault("restarts", most[1])
    return out


# -- numba ----------------------------------------------------------------------------------
def _worker_floats(root):
    """The generated float pass's dls step (gram, solve, move) of the Panda, per call."""
    sys.path.insert(0, root)
    import numpy as np
    import armsim
    from armsim.ik import spatial_scalar
    from armsim.ik.problems import SpatialTarget
    chain = _robot(armsim, "panda", root)
    prob = SpatialTarget(chain)
    try:
        C = spatial_scalar._compiled(prob, now=True)   # the compiled pass
    except TypeError:
        C = spatial_scalar._compiled(prob)             # an older tree (--root): compiled
    q = chain.limits.mean(axis=1)
    target = chain.matrix(q + 0.3)
    row = np.concatenate([target[:3, 3], target[:3, :3].ravel()]).tolist()
    f, e, cols, _ = C.make(*row)(q.tolist())
    ql = q.tolist()
    calls = 20_000
    t = time.perf_counter()
    for _ in range(calls):
        y = C.solve(C.gram(cols), 0.01 * 2.0 * f + 1e-24, e)
        C.move(ql, cols, y)
    return {"per_call_us": (time.perf_counter() - t) / calls * 1e6}


# -- the runs -------------------------------------------------------------------------------
class Runner:
    """Fresh processes of this script's workers, with the bytecode cache on (in a temporary
    folder, filled by an untimed run first)."""

    def __init__(self, tmp, root):
        self.tmp, self.root = Path(tmp), str(root)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(self.tmp / "pyc")
        env["ARMSIM_CACHE_DIR"] = ""
        env["ARMSIM_COMPILED"] = ""          # the default path unless a run asks
        self.env = env
        self.has_prepare = (Path(root) / "armsim" / "ik" / "prepare.py").exists()

    def run(self, kind, *args, cache="", env=None):
        env = dict(self.env, ARMSIM_CACHE_DIR=str(cache), **(env or {}))
        out = subprocess.run([sys.executable, __file__, "--worker", kind, *args, self.root],
                             capture_output=True, text=True, cwd=self.tmp, env=env)
        if out.returncode:
            raise SystemExit(f"worker {kind} {args} failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    def cache(self, name):
        """An empty cache folder."""
        path = self.tmp / "caches" / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        path.chmod(0o700)          # private: disk_cache uses no folder others can write to
        return path


def _median(dicts, *path):
    vals = []
    for d in dicts:
        for p in path:
            d = d.get(p, 0.0) if isinstance(d, dict) else d
        vals.append(d)
    return statistics.median(vals)


def import_load(runner, runs):
    out = {}
    for robot in ROBOTS:
        runner.run("import", robot)                  # untimed: the bytecode cache filled
        rs = [runner.run("import", robot) for _ in range(runs)]
        out[robot] = {k: _median(rs, k) for k in ("import_ms", "load_ms", "pass_ms",
                                                  "total_ms")}
        if robot != "planar":
            runner.run("import", robot, "trimesh")       # untimed: trimesh's bytecode
            out[robot]["with_trimesh_ms"] = _median(
                [runner.run("import", robot, "trimesh") for _ in range(runs)], "total_ms")
        out[robot]["modules"] = sorted({m for r in rs for m in r["modules"]})
        out[robot]["file"] = rs[0]["file"]
    return out


def first_solve(runner, runs):
    out = {}
    for robot in ROBOTS:
        index = runner.run("select", robot)
        out[robot] = {"indices": index, "cases": {}}
        for case in CASES:
            args = (robot, case, json.dumps(index))
            row = {}
            for state in STATES:
                rs = []
                for i in range(runs):
                    if state == "off":
                        rs.append(runner.run("first", *args))
                    elif state == "cold":
                        rs.append(runner.run("first", *args, cache=runner.cache(f"c{i}")))
                    else:
                        folder = runner.cache(f"w{i}")
                        runner.run("first", *args, cache=folder)      # untimed: writes
                        rs.append(runner.run("first", *args, cache=folder))
                same = all(r["q"] == rs[0]["q"] and r["iterations"] == rs[0]["iterations"]
                           for r in rs)
                row[state] = {
                    "first_ms": _median(rs, "first_ms"), "later_ms": _median(rs, "later_ms"),
                    "extra_ms": statistics.median(r["first_ms"] - r["later_ms"] for r in rs),
                    "pieces": {p: _median(rs, "pieces", p) for p in PIECES},
                    "tier_solves": _median(rs, "tier_solves"),
                    "tier_extra_ms": _median(rs, "tier_extra_ms"),
                    "compiled_after": all(r.get("compiled_after", True) for r in rs),
                    "same_result": same, "q": rs[0]["q"], "iterations": rs[0]["iterations"],
                    "reason": rs[0]["reason"], "restart_draws": rs[0]["restart_draws"]}
            # armsim.prepare after the load (the disk cache off): its cost, then the first
            # solve's extra (a tree without armsim.prepare: --root of an older one, skipped)
            rs = ([runner.run("first", *args, "prepared") for _ in range(runs)]
                  if runner.has_prepare else [])
            if rs:
                row[PREPARED] = {
                    "prepare_ms": _median(rs, "prepare_ms"),
                    "extra_ms": statistics.median(r["first_ms"] - r["later_ms"] for r in rs),
                    "same_result": all(r["q"] == rs[0]["q"] and
                                       r["iterations"] == rs[0]["iterations"] for r in rs),
                    "q": rs[0]["q"], "iterations": rs[0]["iterations"]}
            row["same_result_all_states"] = all(
                row[s]["q"] == row["off"]["q"] and row[s]["iterations"] == row["off"]["iterations"]
                and row[s]["same_result"] for s in STATES + ((PREPARED,) if rs else ()))
            out[robot]["cases"][case] = row
    return out


#: the compiled path's rows: the spatial robots (the planar chain is not a spatial solve)
COMPILED_ROBOTS = ("panda", "ur5", "iiwa14")
#: the disk cache's states for them (numba's cache written before)
COMPILED_STATES = ("off", "warm")


def compiled_first(runner, runs, first):
    """The first solve by the compiled path (``ARMSIM_COMPILED=1``), the poses of
    :func:`first_solve` (``first``): numba's cache written before (an untimed process
    fills it: numba's default, beside the kernels' source, or ``NUMBA_CACHE_DIR`` if set),
    the disk cache off and warm; and the Panda's near pose with an empty numba cache
    (``NUMBA_CACHE_DIR`` an empty folder of each process's own: the kernel compiled)."""
    try:
        import numba  # noqa: F401
    except Exception as exc:
        return f"numba not importable ({type(exc).__name__}: {exc})"
    on = {"ARMSIM_COMPILED": "1"}
    out = {"robots": {}}
    fill = ("panda", "near", json.dumps(first["panda"]["indices"]))
    if not runner.run("first", *fill, env=on)["compiled"]:       # untimed: numba's cache
        return "the compiled path did not run (armsim.ik.compiled missing or numba absent)"
    for robot in COMPILED_ROBOTS:
        index = first[robot]["indices"]
        out["robots"][robot] = {}
        for case in CASES:
            args = (robot, case, json.dumps(index))
            row = {}
            for state in COMPILED_STATES:
                rs = []
                for i in range(runs):
                    if state == "off":
                        rs.append(runner.run("first", *args, env=on))
                    else:
                        folder = runner.cache(f"cw{i}")
                        runner.run("first", *args, cache=folder, env=on)   # untimed: writes
                        rs.append(runner.run("first", *args, cache=folder, env=on))
                row[state] = _compiled_row(rs)
            default = first[robot]["cases"][case]["off"]
            # the default path's iterations, the same answer in every process; q to rounding
            row["same_as_default"] = all(
                row[s]["iterations"] == default["iterations"] and row[s]["same_result"]
                for s in COMPILED_STATES)
            row["default_iterations"] = default["iterations"]
            row["largest_q_difference"] = max(
                abs(a - b) for s in COMPILED_STATES for a, b in zip(row[s]["q"], default["q"]))
            out["robots"][robot][case] = row
    args = ("panda", "near", json.dumps(first["panda"]["indices"]))
    rs = []
    with tempfile.TemporaryDirectory(prefix="numba_empty.") as tmp:
        for i in range(runs):
            folder = Path(tmp, f"n{i}")
            folder.mkdir()
            rs.append(runner.run("first", *args, env=dict(on, NUMBA_CACHE_DIR=str(folder))))
    out["empty_numba_cache"] = _compiled_row(rs)
    return out


def _compiled_row(rs):
    if not all(r["compiled"] for r in rs):
        raise SystemExit("a worker with ARMSIM_COMPILED=1 did not run the compiled path")
    return {"first_ms": _median(rs, "first_ms"), "later_ms": _median(rs, "later_ms"),
            "extra_ms": statistics.median(r["first_ms"] - r["later_ms"] for r in rs),
            "kernel_import_ms": _median(rs, "pieces", "kernel import"),
            "cache_hits": _median(rs, "numba_cache", "hits"),
            "cache_misses": _median(rs, "numba_cache", "misses"),
            "same_result": all(r["q"] == rs[0]["q"] and r["iterations"] == rs[0]["iterations"]
                               for r in rs),
            "q": rs[0]["q"], "iterations": rs[0]["iterations"], "reason": rs[0]["reason"]}


def numba_costs(runner, runs):
    try:
        import numba
    except ImportError as exc:
        return f"numba not importable ({exc})"
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "dls_kernel.py").write_text(KERNEL)
        cold, warm, scipy_first = [], [], []
        for i in range(runs):
            cache = Path(tmp, f"cache{i}")
            env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
            cold.append(_run_plain("numba", tmp, env=env))     # an empty cache: compile, write
            warm.append(_run_plain("numba", tmp, env=env))     # the cache that run wrote: load
            scipy_first.append(_run_plain("numba", tmp, "scipy", env=env))
    floats = [runner.run("floats") for _ in range(runs)]
    keys = ("numpy_import_ms", "import_ms", "module_ms", "first_call_ms", "per_call_us",
            "cache_hits", "cache_misses")
    return {"version": numba.__version__,
            "cold": {k: _median(cold, k) for k in keys},
            "warm": {k: _median(warm, k) for k in keys},
            "warm_scipy_imported": {k: _median(scipy_first, k) for k in keys},
            "float_pass_step_us": _median(floats, "per_call_us")}


def _run_plain(kind, *args, env=None):
    out = subprocess.run([sys.executable, __file__, "--worker", kind, *args],
                         capture_output=True, text=True, cwd=ROOT, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 processes per figure")
    ap.add_argument("--runs", type=int, default=None, help="processes per figure (default 7)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--root", default=str(ROOT),
                    help="the armsim tree to measure (default: this one)")
    ap.add_argument("--no-numba", action="store_true", help="skip numba's figures")
    add_markdown_argument(ap, str(DOC.relative_to(ROOT)))
    add_from_json_argument(ap)
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.from_json:
        text = report(json.loads(Path(args.from_json).read_text()))
        republish(args, "first_solve.py", [text], {ROOT / str(args.markdown): {BLOCK: text}})
        return
    if args.worker:
        kind, *rest = args.worker
        if kind == "first":
            out = _worker_first(rest[0], rest[1], json.loads(rest[2]), rest[-1],
                                prepared=rest[3:-1] == ["prepared"])
        elif kind == "select":
            out = _worker_select(rest[0], rest[1])
        elif kind == "robot":
            out = _worker_robot(rest[0], rest[-1])
        elif kind == "import":
            out = _worker_import(rest[0], rest[-1], trimesh_first=rest[1:-1] == ["trimesh"])
        elif kind == "numba":
            out = _worker_numba(rest[0], scipy_first=rest[1:] == ["scipy"])
        else:
            out = _worker_floats(rest[0])
        print(json.dumps(out))
        return
    runs = args.runs or (3 if args.quick else 7)
    root = Path(args.root).resolve()
    with tempfile.TemporaryDirectory(prefix="first_solve.") as tmp:
        runner = Runner(tmp, root)
        results = {"runs": runs, "root": str(root), "import_load": import_load(runner, runs),
                   "first_solve": first_solve(runner, runs),
                   "robots": robot_first(runner, runs),
                   "numba": None if args.no_numba else numba_costs(runner, runs)}
        results["compiled"] = (None if args.no_numba else
                               compiled_first(runner, runs, results["first_solve"]))
    text = report(results)
    print(text)
    if args.json:
        write_json(args.json, results)
    if args.markdown:
        command = "python bench/first_solve.py" + (f" --runs {args.runs}" if args.runs else
                                                   " --quick" if args.quick else "")
        write_blocks(ROOT / args.markdown, {BLOCK: text}, command + " --markdown")


if __name__ == "__main__":
    main()
