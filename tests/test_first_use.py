"""The first use in a process: what `import armsim` and `load_urdf` import, and the disk
cache of a chain's restart table and float pass (armsim.ik.disk_cache): a hit gives the
same q and iterations as a miss, and a corrupt, foreign or unwritable cache is a miss."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import armsim
from armsim.ik import disk_cache, float_code, restart_table, spatial_scalar
from armsim.ik.loop import Solver
from armsim.ik.problems import SpatialTarget

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("trimesh", "scipy", "networkx", "pygame", "imageio", "PIL", "collada")


def _python(code, env=None, timeout=120):
    env = dict(os.environ if env is None else env, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def _compiled_at_once(monkeypatch):
    """These tests are of the disk cache: a chain's float pass compiled (and stored) when
    it is built.  (A new chain's pass first runs from its program, compiled after
    spatial_scalar.COMPILE_AFTER evaluations: tests/test_float_code.py.)"""
    monkeypatch.setattr(spatial_scalar, "COMPILE_AFTER", 0)


# -- import armsim, load_urdf ----------------------------------------------------------------
def test_import_load_and_solve_import_no_mesh_or_picture_library():
    out = _python(f"""
        import json, sys
        import armsim
        after_import = sorted(m for m in {HEAVY!r} if m in sys.modules)
        chain = armsim.load_urdf("assets/robots/panda.urdf")
        robot = armsim.load_robot("assets/robots/dual_arm.urdf")
        q0 = chain.limits.mean(axis=1)
        armsim.solve(chain, chain.matrix(q0 + 0.3), q0)
        print(json.dumps([after_import, sorted(m for m in {HEAVY!r} if m in sys.modules),
                          armsim.__file__, "yourdfpy" in sys.modules]))
    """)
    assert out == [[], [], str(ROOT / "armsim" / "__init__.py"), True]


def test_yourdfpy_keeps_its_meshes_scenes_and_kinematics_after_the_deferred_import():
    """trimesh is imported on yourdfpy's first use of it; then every name is the real one."""
    out = _python("""
        import json, sys
        import armsim
        chain = armsim.load_urdf("assets/robots/panda.urdf")
        import yourdfpy
        before = "trimesh" in sys.modules
        annotation = yourdfpy.URDF.scene.fget.__annotations__["return"]
        urdf = yourdfpy.URDF.load("assets/robots/panda.urdf", load_meshes=False,
                                  build_scene_graph=True)
        q = chain.limits.mean(axis=1) + 0.2
        urdf.update_cfg(q)
        import trimesh, trimesh.transformations
        print(json.dumps([before, annotation, type(urdf.scene).__name__,
                          yourdfpy.urdf.trimesh is trimesh,
                          yourdfpy.urdf.tra is trimesh.transformations,
                          type(sys.modules["trimesh"]).__name__,
                          float(abs(urdf.get_transform(chain.tip, chain.base)
                                    - chain.matrix(q)).max())]))
    """)
    before, annotation, scene, same, same_tra, kind, err = out
    assert (before, annotation, scene, same, same_tra, kind) == (
        False, "trimesh.Scene", "Scene", True, True, "module")
    assert err < 1e-12


def test_trimesh_imported_first_is_left_alone():
    out = _python("""
        import json, sys
        import trimesh
        import armsim
        armsim.load_urdf("assets/robots/ur5.urdf")
        import yourdfpy
        print(json.dumps([yourdfpy.urdf.trimesh is trimesh,
                          yourdfpy.URDF.scene.fget.__annotations__["return"] is trimesh.Scene]))
    """)
    assert out == [True, True]


# -- the disk cache --------------------------------------------------------------------------
def _poses(chain, count, seed=2026):
    rng = np.random.default_rng(seed)
    return chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (count, chain.n)))


def _results(name, targets, weights=None):
    """Solves of ``targets`` on a freshly loaded chain (nothing kept in memory from another
    chain): each single solve's q, iterations and reason, and solve_batch's q and
    iterations.  With ``weights``: a weighted pose problem, with solve's settings."""
    chain = armsim.robots.load(name)
    q0 = chain.limits.mean(axis=1)
    if weights is None:
        single = [armsim.solve(chain, T, q0) for T in targets]
        batch = armsim.solve_batch(chain, targets, np.tile(q0, (len(targets), 1)))
    else:
        prob = SpatialTarget(chain, "pose", weights)
        solver = Solver(prob, max_iter=15, first_iter=25, restarts=150, first_start="nearer",
                        damping=prob.default_damping, give_up=60)
        rows = np.concatenate([targets[:, :3, 3], targets[:, :3, :3].reshape(-1, 9)], axis=1)
        single = [solver.solve(r, q0) for r in rows]
        batch = solver.solve_batch(rows, np.tile(q0, (len(rows), 1)))
    return ([(r.q.tolist(), r.iterations, r.reason) for r in single],
            (batch.q.tolist(), np.asarray(batch.iterations).tolist()))


@pytest.fixture
def counted(monkeypatch):
    """Hits and misses of the disk cache, by what the entry is."""
    seen = {"hit": [], "miss": [], "store": []}
    load, store = disk_cache.load, disk_cache.store

    def counted_load(what, parts):
        out = load(what, parts)
        seen["hit" if out is not None else "miss"].append(what)
        return out

    def counted_store(what, parts, *args):
        seen["store"].append(what)
        return store(what, parts, *args)
    monkeypatch.setattr(disk_cache, "load", counted_load)
    monkeypatch.setattr(disk_cache, "store", counted_store)
    return seen


CASES = [("panda", "pose", None), ("ur5", "position", None),
         ("iiwa14", "pose", (1, 1, 1, 0.5, 0.5, 0))]


@pytest.mark.parametrize("name, kind, weights", CASES)
def test_a_hit_gives_the_same_q_and_iterations_as_a_miss_and_as_no_cache(
        name, kind, weights, tmp_path, monkeypatch, counted):
    chain = armsim.robots.load(name)
    for seen in counted.values():       # (its load may read the pass another test stored)
        seen.clear()
    targets = _poses(chain, 40 if name == "panda" else 12)
    if kind == "position":
        targets = targets[:, :3, 3]
    kw = {"weights": weights}
    monkeypatch.setenv(disk_cache.ENV, "")
    off = _results(name, targets, **kw)
    assert not list(tmp_path.iterdir())
    counted["miss"].clear()
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path / "cache"))
    miss = _results(name, targets, **kw)
    assert set(counted["miss"]) == {"pass", "table"} and counted["hit"] == []
    # loading builds the pass of a plain pose target too (compiled here at once: stored)
    passes = 1 if kind == "pose" and weights is None else 2
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "cache").iterdir()) == (
        ["pass"] * passes + ["table"])
    counted["miss"].clear()
    hit = _results(name, targets, **kw)
    assert counted["miss"] == [] and set(counted["hit"]) == {"pass", "table"}
    assert off == miss == hit
    if name == "panda":   # two of the poses take restarts (past the first budget, 25)
        assert sum(r[1] > 25 for r in off[0]) == 2


def test_a_hit_in_a_new_process_gives_the_same_results(tmp_path):
    code = f"""
        import json, numpy as np, armsim
        from armsim.ik import disk_cache, spatial_scalar
        spatial_scalar.COMPILE_AFTER = 0      # the pass compiled (and stored) at once
        hits = []
        real = disk_cache.load
        disk_cache.load = lambda *a: hits.append(real(*a) is not None) or real(*a)
        chain = armsim.load_urdf("assets/robots/panda.urdf")
        q = np.random.default_rng(5).uniform(chain.limits[:, 0], chain.limits[:, 1], (8, 7))
        out = [armsim.solve(chain, T, chain.limits.mean(axis=1)) for T in chain.matrix(q)]
        print(json.dumps([hits, [(r.q.tolist(), r.iterations) for r in out]]))
    """
    env = dict(os.environ, ARMSIM_CACHE_DIR=str(tmp_path))
    first = _python(code, env)
    second = _python(code, env)
    off = _python(code, dict(os.environ, ARMSIM_CACHE_DIR=""))
    assert not any(first[0]) and second[0] and all(second[0])
    assert first[1] == second[1] == off[1]


def _entries(folder):
    return sorted(p for p in folder.iterdir() if p.suffix == disk_cache.SUFFIX)


def _corrupt_each(folder, how):
    entries = _entries(folder)
    original = {p: p.read_bytes() for p in entries}
    for p in entries:
        data = bytearray(p.read_bytes())
        if how == "flip":
            data[len(data) // 2] ^= 0x10
            p.write_bytes(bytes(data))
        elif how == "truncate":
            p.write_bytes(bytes(data[:len(data) // 3]))
        elif how == "empty":
            p.write_bytes(b"")
        elif how == "garbage":
            p.write_bytes(os.urandom(len(data)))
        elif how == "foreign":          # a whole entry, under another entry's name
            p.write_bytes(original[[q for q in entries if q != p][0]])
        elif how == "header":           # a valid CRC over a body that is not ours
            body = b"\x00" * 64
            import zlib
            p.write_bytes(disk_cache.MAGIC + zlib.crc32(body).to_bytes(4, "big") + body)
        elif how == "directory":
            p.unlink()
            p.mkdir()
        elif how == "fifo":
            p.unlink()
            os.mkfifo(p)


@pytest.mark.parametrize("how", ["flip", "truncate", "empty", "garbage", "foreign", "header",
                                 "directory", "fifo"])
def test_a_corrupt_cache_entry_is_a_miss_with_the_same_results(how, tmp_path, monkeypatch,
                                                               counted):
    chain = armsim.robots.load("panda")
    targets = _poses(chain, 6, seed=7)
    monkeypatch.setenv(disk_cache.ENV, "")
    off = _results("panda", targets)
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    _results("panda", targets)
    assert len(_entries(tmp_path)) == 2
    _corrupt_each(tmp_path, how)
    counted["hit"].clear()
    counted["miss"].clear()
    assert _results("panda", targets) == off
    assert counted["hit"] == [] and set(counted["miss"]) == {"pass", "table"}
    if how not in ("directory", "fifo"):     # rewritten whole: the next chain hits
        counted["miss"].clear()
        assert _results("panda", targets) == off
        assert counted["miss"] == [] and set(counted["hit"]) == {"pass", "table"}


def test_any_changed_word_of_an_entry_s_arrays_is_a_miss(tmp_path, monkeypatch):
    """The arrays' bytes are checked by a 64-bit sum (not CRC-32: 8x faster over a table):
    one word changed anywhere, in any bit, two runs of words swapped, or the end cut at a
    word's boundary is a miss; the entry as written is a hit, the same bytes."""
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    arrays = [np.arange(3000, dtype=np.float64).reshape(1000, 3) * 0.37,
              np.arange(77, dtype=np.float32)]
    disk_cache.store("test", ("sum64",), {"n": 3}, arrays)
    [path] = _entries(tmp_path)
    good = path.read_bytes()
    payload, got = disk_cache.load("test", ("sum64",))
    assert payload == {"n": 3} and all(np.array_equal(a, b) for a, b in zip(arrays, got))
    start = len(good) - 3000 * 8 - 77 * 4 - 4          # the first array's bytes start near
    start -= start % 8                                 # here (a word boundary, aligned)
    changed = []
    for at in (start, start + 8 * 64 * 2, len(good) - 8):       # runs 0, 2 and the tail
        for bit in (0, 31, 62, 63):
            data = bytearray(good)
            word = int.from_bytes(data[at:at + 8], "little") ^ (1 << bit)
            data[at:at + 8] = word.to_bytes(8, "little")
            changed.append(bytes(data))
    run = 8 * 64
    swapped = bytearray(good)
    swapped[start:start + run], swapped[start + run:start + 2 * run] = (
        good[start + run:start + 2 * run], good[start:start + run])
    assert bytes(swapped) != good
    for data in changed + [bytes(swapped), good[:len(good) - 8]]:
        path.write_bytes(data)
        assert disk_cache.load("test", ("sum64",)) is None
    path.write_bytes(good)
    assert disk_cache.load("test", ("sum64",)) is not None


@pytest.mark.parametrize("where", ["under a file", "proc", "read-only home"])
def test_an_unwritable_cache_folder_solves_the_same_and_writes_nothing(where, tmp_path,
                                                                       monkeypatch):
    chain = armsim.robots.load("ur5")
    targets = _poses(chain, 6, seed=3)
    monkeypatch.setenv(disk_cache.ENV, "")
    off = _results("ur5", targets)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    if where == "under a file":
        monkeypatch.setenv(disk_cache.ENV, str(blocker / "cache"))
    elif where == "proc":
        monkeypatch.setenv(disk_cache.ENV, "/proc/armsim-cache")
    else:
        monkeypatch.delenv(disk_cache.ENV)
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        monkeypatch.setenv("HOME", str(blocker))
        assert disk_cache.folder() == blocker / ".cache" / "armsim"
    monkeypatch.setattr(disk_cache, "_refused", set())
    monkeypatch.setattr(disk_cache, "_checked", {})
    assert _results("ur5", targets) == off
    assert _results("ur5", targets) == off
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
    assert not os.path.exists("/proc/armsim-cache")
    # decided once in the process (not a folder: not used; cannot be made: refused)
    assert len(disk_cache._refused) + list(disk_cache._checked.values()).count(False) == 1


def test_concurrent_processes_share_one_cache(tmp_path):
    code = """
        import json, numpy as np, armsim
        from armsim.ik import spatial_scalar
        spatial_scalar.COMPILE_AFTER = 0      # the pass compiled (and stored) at once
        chain = armsim.load_urdf("assets/robots/iiwa14.urdf")
        q = np.random.default_rng(11).uniform(chain.limits[:, 0], chain.limits[:, 1], (6, 7))
        out = [armsim.solve(chain, T, chain.limits.mean(axis=1)) for T in chain.matrix(q)]
        print(json.dumps([(r.q.tolist(), r.iterations) for r in out]))
    """
    env = dict(os.environ, ARMSIM_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    results = [json.loads(o[0].strip().splitlines()[-1]) for o in outs]
    assert all(r == results[0] for r in results)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n.split("-")[0] for n in names] == ["pass", "table"]     # no temporary file left
    assert _python(code, dict(os.environ, ARMSIM_CACHE_DIR="")) == results[0]


def test_the_cache_keeps_at_most_max_files_and_max_bytes_newest_first(tmp_path, monkeypatch):
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    monkeypatch.setattr(disk_cache, "MAX_FILES", 3)

    def written(i, when=None):   # entry i last used `when` (default i) s after 1970
        path = tmp_path / (disk_cache.key("t", (i,)) + disk_cache.SUFFIX)
        when = i if when is None else when
        os.utime(path, ns=(when * 10**9, when * 10**9))
    for i in range(6):
        disk_cache.store("t", (i,), i, [np.full(100, float(i))])
        written(i)
    assert len(_entries(tmp_path)) == 3
    assert [i for i in range(6) if disk_cache.load("t", (i,)) is not None] == [3, 4, 5]
    payload, (a,) = disk_cache.load("t", (5,))
    assert payload == 5 and np.array_equal(a, np.full(100, 5.0)) and not a.flags.writeable
    # a hit is a use: entry 3, read last, outlives 4 and 5 when two more are written
    for i in (3, 4, 5):
        written(i)
    disk_cache.load("t", (3,))
    for i in (6, 7):
        disk_cache.store("t", (i,), i)
        written(i, i + 100)
    assert [i for i in range(8) if disk_cache.load("t", (i,)) is not None] == [3, 6, 7]
    # bytes: entries of ~8 kB under a 20 kB cap -> two kept, the newest
    monkeypatch.setattr(disk_cache, "MAX_FILES", 100)
    monkeypatch.setattr(disk_cache, "MAX_BYTES", 20_000)
    for i in range(10, 14):
        disk_cache.store("t", (i,), None, [np.zeros(1000)])
        written(i, i + 100)
    assert sum(p.stat().st_size for p in _entries(tmp_path)) <= 20_000
    assert [i for i in range(10, 14) if disk_cache.load("t", (i,)) is not None] == [12, 13]
    # a dead writer's temporary file is removed once it is stale
    stale = tmp_path / ".tmp-dead.bin"
    stale.write_bytes(b"x")
    os.utime(stale, (0, 0))
    disk_cache.store("t", (99,), None)
    assert not stale.exists()


def test_an_entry_is_keyed_by_every_number_it_is_built_from(tmp_path, monkeypatch, counted):
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    chain = armsim.robots.load("panda")
    T = _poses(chain, 1, seed=1)[0]
    q0 = chain.limits.mean(axis=1)
    armsim.solve(chain, T, q0)
    armsim.solve(armsim.robots.load("panda"), T, q0, seed=1)     # another table, same pass
    prob = SpatialTarget(armsim.robots.load("panda"), "pose", (1, 1, 1, 2, 2, 2))
    Solver(prob, restarts=150, first_start="nearer").solve(
        np.concatenate([T[:3, 3], T[:3, :3].ravel()]), q0)
    lim = chain.limits.copy()
    lim[0] *= 0.5
    other = armsim.SpatialChain([j.__class__(j.name, j.type, j.xyz, j.rpy, j.axis, *lo_hi)
                                 for j, lo_hi in zip(chain.joints, lim)],
                                chain.tool_xyz, chain.tool_rpy)
    armsim.solve(other, T, q0.clip(lim[:, 0], lim[:, 1]))
    assert counted["hit"] == ["pass", "pass"]     # the second and third panda's loads
    kinds = sorted(p.name.split("-")[0] for p in _entries(tmp_path))
    assert kinds == ["pass"] * 3 + ["table"] * 4


def test_a_table_of_no_seed_and_a_subclassed_problem_are_not_kept(tmp_path, monkeypatch,
                                                                 counted):
    monkeypatch.setenv(disk_cache.ENV, "")          # (loading builds a pass: not kept)
    chain = armsim.robots.load("ur5")
    for seen in counted.values():
        seen.clear()
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))

    class Mine(SpatialTarget):
        pass
    assert disk_cache.problem_parts(Mine(chain)) is None
    restart_table.table(SpatialTarget(chain), None)
    spatial_scalar._Compiled(Mine(chain))
    assert counted == {"hit": [], "miss": [], "store": []} and not list(tmp_path.iterdir())


def test_a_blas_loaded_after_the_first_solve_batch_runs_on_one_thread_too():
    """load_urdf no longer brings scipy (and its own BLAS) in, so a program may load it after
    its first solve_batch: the next solve_batch limits that library as well."""
    pytest.importorskip("scipy")
    out = _python("""
        import json, numpy as np, armsim
        from threadpoolctl import threadpool_info
        from armsim.ik import loop, settings
        chain = armsim.load_urdf("assets/robots/panda.urdf")
        T = chain.matrix(np.random.default_rng(0).uniform(
            chain.limits[:, 0], chain.limits[:, 1], (settings.BATCH_BLAS_ROWS, 7)))
        armsim.solve_batch(chain, T)
        import scipy.linalg
        seen, run = [], loop.Solver.run
        def spy(self, targets, q0, *details):
            seen.append([i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"])
            return run(self, targets, q0, *details)
        loop.Solver.run = spy
        armsim.solve_batch(chain, T)
        print(json.dumps(seen))
    """, dict(os.environ, OPENBLAS_NUM_THREADS="2"))
    assert len(out) == 1 and len(out[0]) >= 2 and set(out[0]) == {1}


def test_a_folder_others_can_write_to_is_not_used(tmp_path, monkeypatch, counted):
    """Entries hold compiled code: a shared folder (mode 0777, as /tmp) is neither read nor
    written, and the solves are the same."""
    chain = armsim.robots.load("panda")
    targets = _poses(chain, 4, seed=9)
    monkeypatch.setenv(disk_cache.ENV, "")
    off = _results("panda", targets)
    shared = tmp_path / "shared"
    monkeypatch.setenv(disk_cache.ENV, str(shared))
    _results("panda", targets)                     # written while the folder is private
    assert len(_entries(shared)) == 2
    shared.chmod(0o777)
    monkeypatch.setattr(disk_cache, "_checked", {})
    counted["hit"].clear()
    assert _results("panda", targets) == off
    assert counted["hit"] == [] and len(_entries(shared)) == 2
    monkeypatch.setattr(disk_cache, "_checked", {})
    shared.chmod(0o700)
    assert _results("panda", targets) == off and set(counted["hit"]) == {"pass", "table"}


def test_chains_a_process_solved_and_let_go_are_freed():
    # a weak-key cache whose value (the chain's problem) held its key kept every chain ever
    # solved, with its restart table (about 0.7 MB for the Panda): memory grew with chains
    import gc
    import weakref
    from armsim.ik import problems
    T = armsim.robots.load("panda").matrix(np.full(7, 0.3))
    alive = []
    for _ in range(40):
        chain = armsim.robots.load("panda")
        armsim.solve(chain, T)
        armsim.solve_batch(chain, T[None])
        alive.append(weakref.ref(chain))
    del chain
    gc.collect()
    assert sum(r() is not None for r in alive) <= problems._SPATIAL.size
    planar = [armsim.Chain([0.5, 0.3, 0.2]) for _ in range(40)]
    for c in planar:
        armsim.solve(c, np.array([0.4, 0.3]))
    refs = [weakref.ref(c) for c in planar]
    del planar, c
    gc.collect()
    assert sum(r() is not None for r in refs) <= problems._PLANAR.size


def test_a_loaded_chain_solves_its_first_pose_without_building_its_pass(monkeypatch):
    """load_urdf builds the float pass of a pose target (armsim.ik.prepare.on_load, as a
    peer builds its solver when it loads a robot): the first pose solves build no program,
    and answer as a chain built directly, whose first solve builds it, to the bit."""
    monkeypatch.setenv(disk_cache.ENV, "")
    chain = armsim.robots.load("panda")
    direct = armsim.SpatialChain(chain.joints, chain.tool_xyz, chain.tool_rpy)
    targets = _poses(chain, 4, seed=5)
    q0 = chain.limits.mean(axis=1)
    built, real = [], float_code.program
    monkeypatch.setattr(float_code, "program", lambda prob: built.append(prob) or real(prob))
    expected = [armsim.solve(direct, T, q0) for T in targets]
    assert len(built) == 1                              # the direct chain's, at its first solve
    got = [armsim.solve(chain, T, q0) for T in targets]
    assert len(built) == 1
    assert [r.q.tolist() for r in got] == [r.q.tolist() for r in expected]
    assert [r.iterations for r in got] == [r.iterations for r in expected]
    assert all(r.success for r in got)
    armsim.solve(chain, targets[0][:3, 3], q0)          # a position target: built when met
    assert len(built) == 2
