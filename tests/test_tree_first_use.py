"""A robot's first solves: what they build, and what the disk cache keeps of it."""

import functools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

import armsim
from armsim.ik import disk_cache, tree_starts

ROOT = Path(__file__).resolve().parents[1]
TIPS = ["left_tool", "right_tool"]


def _robot():
    return armsim.robots.load_robot("dual_arm", tips=TIPS)


def _near(robot):
    """A start in the middle of the limits and a target 0.05 rad from it (no start drawn
    from a table), and a target from joints drawn within the limits (its start is)."""
    q0 = robot.limits.mean(axis=1)
    near = robot.frames(q0 + 0.05, TIPS)
    far = robot.frames(np.random.default_rng(4).uniform(*robot.limits.T), TIPS)
    return q0, dict(near), dict(far)


def test_a_solve_that_draws_no_start_builds_no_tools_own_table(monkeypatch):
    built = []
    real = tree_starts.OwnTable.__init__

    def counted(self, *args, **kwargs):
        built.append(1)
        real(self, *args, **kwargs)
    monkeypatch.setattr(tree_starts.OwnTable, "__init__", counted)
    robot = _robot()
    q0, near, far = _near(robot)
    r = armsim.solve(robot, near, q0)
    assert r.success and r.iterations <= 5 and built == []
    r = armsim.solve(robot, far, q0)            # its first start: from the tables
    assert r.success and len(built) == 2          # one table per arm


def test_a_robots_solves_import_no_masked_arrays():
    """numpy.ma costs 6-8 ms to import (np.unique's first call imported it)."""
    code = textwrap.dedent(f"""
        import json, sys
        import numpy as np, armsim
        robot = armsim.robots.load_robot("dual_arm", tips={TIPS!r})
        q0 = robot.limits.mean(axis=1)
        far = robot.frames(np.random.default_rng(4).uniform(*robot.limits.T), {TIPS!r})
        ok = armsim.solve(robot, dict(far), q0).success
        ok &= bool(armsim.solve_batch(robot, {{k: v[None] for k, v in far.items()}}).success[0])
        print(json.dumps([bool(ok), "numpy.ma" in sys.modules]))
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, False]


def test_a_robots_generated_code_is_read_back_from_the_disk_cache(tmp_path, monkeypatch):
    seen = []
    load = disk_cache.load

    def counted(what, parts):
        got = load(what, parts)
        seen.append((what, got is not None))
        return got
    monkeypatch.setattr(disk_cache, "load", counted)
    results = []
    for folder in ("", str(tmp_path), str(tmp_path)):     # off, cold (written), warm (read)
        monkeypatch.setenv(disk_cache.ENV, folder)
        seen.clear()
        robot = _robot()
        q0, near, far = _near(robot)
        got = [armsim.solve(robot, T, q0) for T in (near, far)]
        results.append([(r.q.tolist(), r.iterations, r.reason) for r in got])
        codes = [hit for what, hit in seen if what in ("code", "woodbury")]
        # the stack's pass, its Woodbury solve (keyed by what its source is written from:
        # a later process does not write it), and the clamp's code (the far pose clamps)
        assert codes == [folder != "" and len(results) == 3] * 3
    assert results[0] == results[1] == results[2]
    kinds = sorted(p.name.split("-")[0] for p in tmp_path.iterdir())
    assert (kinds.count("code"), kinds.count("woodbury")) == (2, 1)


def test_a_robots_woodbury_source_is_not_written_again_in_a_later_process(tmp_path,
                                                                          monkeypatch):
    from armsim.ik import tree_float
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    written = []
    real = tree_float._woodbury_source
    monkeypatch.setattr(tree_float, "_woodbury_source",
                        lambda *a: written.append(1) or real(*a))
    answers = []
    for _ in range(2):                        # the second as a new process: a new robot
        robot = _robot()
        q0, near, _ = _near(robot)
        r = armsim.solve(robot, near, q0)
        answers.append((r.q.tolist(), r.iterations))
        assert robot_problem(robot, near).float_pass().woodbury
    assert written == [1] and answers[0] == answers[1]


def test_the_clamps_code_is_compiled_by_the_first_clamp(monkeypatch):
    """A robot's Woodbury code for the clamp (a function per joint: most of the generated
    code) is compiled when a step first drives a joint past its limit."""
    from armsim.ik import tree_float
    texts = []
    real = tree_float._code

    def code(text):
        texts.append("def fix0(" in text)
        return real(text)
    monkeypatch.setattr(tree_float, "_code", code)
    robot = _robot()
    q0, near, _ = _near(robot)
    assert armsim.solve(robot, near, q0).success
    assert texts and not any(texts)
    hi = robot.limits[:, 1]
    at = np.where(np.isfinite(hi), hi, 0.0) - 1e-3          # a target beside the upper limits
    edge = dict(robot.frames(at, TIPS))
    r = armsim.solve(robot, edge, q0)
    assert r.success and sum(texts) == 1
    armsim.solve(robot, edge, q0 + 0.01)
    assert sum(texts) == 1                                    # once


def test_a_robots_chain_passes_run_from_their_programs_until_they_are_due(monkeypatch):
    """A robot's first solves run its tools' chain passes from their programs (nothing of
    them compiled: 5.7 ms for the dual arm's two), compiled once due, as a chain's; the
    same answers as a robot whose passes are compiled at once (armsim.prepare)."""
    monkeypatch.setenv(disk_cache.ENV, "")
    from armsim.ik import spatial_scalar
    from armsim.ik.tree import for_tree
    robot, ready = _robot(), _robot()
    q0, near, far = _near(robot)
    armsim.prepare(ready, near)
    first = armsim.solve(robot, near, q0)
    stack = for_tree(robot, near, False)[0].float_pass()
    assert stack.interpreted and not for_tree(ready, near, False)[0].float_pass().interpreted
    got, want = [first], [armsim.solve(ready, near, q0)]
    for T in (far, near, far, near, far):
        got.append(armsim.solve(robot, T, q0))
        want.append(armsim.solve(ready, T, q0))
    assert sum(c.count[0] for c in stack.chains) >= 2 * spatial_scalar.COMPILE_AFTER
    assert not stack.interpreted                    # compiled once due
    assert [(r.q.tolist(), r.iterations) for r in got] == [
        (r.q.tolist(), r.iterations) for r in want]


def test_a_dense_robots_linear_solve_is_read_back_from_the_disk_cache(tmp_path, monkeypatch):
    """panda_hand's tools share most joints: its damped solve is the dense one, whose
    generated code (6.4 ms of compile) a later process reads back."""
    from armsim.ik import float_code, spatial_scalar
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    # (a new process's: an earlier test's panda_hand solve kept its linear solve in this one,
    # and the first solve here then wrote none to this cache)
    monkeypatch.setattr(spatial_scalar, "_LINEAR", {})
    robot = armsim.robots.load_robot("panda_hand")
    q0 = robot.limits.mean(axis=1)
    target = dict(robot.frames(np.clip(q0 + 0.05, *robot.limits.T), list(robot.tips)))
    first = armsim.solve(robot, target, q0)
    assert robot_problem(robot, target).float_pass().woodbury is False
    seen = []
    load = disk_cache.load
    monkeypatch.setattr(disk_cache, "load", lambda what, parts: seen.append(
        (what, parts)) or load(what, parts))
    monkeypatch.setattr(spatial_scalar, "_LINEAR", {})           # as in a new process
    written = []
    for name in ("linear_source", "flat_source"):     # the sources are not written again
        real = getattr(float_code, name)
        monkeypatch.setattr(float_code, name, functools.wraps(real)(
            lambda *a, real=real: written.append(real.__name__) or real(*a)))
    again = armsim.robots.load_robot("panda_hand")
    r = armsim.solve(again, target, q0)
    hits = [p for w, p in seen if w == "generated"]
    assert [p[1].rsplit(".", 1)[1] for p in hits] == ["linear_source", "flat_source"]
    assert all(load("generated", p) is not None for p in hits) and written == []
    assert r.q.tolist() == first.q.tolist() and r.iterations == first.iterations


def robot_problem(robot, target):
    from armsim.ik.tree import for_tree
    return for_tree(robot, target, False)[0]


def test_a_robots_generated_code_is_kept_per_interpreter(tmp_path, monkeypatch):
    """Compiled code is marshalled: another interpreter (a patch release that changed the
    bytecode, PyPy of the same version) must not read it back (a chain's pass is keyed by
    :func:`disk_cache.bytecode_tag` too)."""
    from armsim.ik import tree_float
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    compiled = []

    def counted(*args):
        compiled.append(args[0])
        return compile(*args)
    monkeypatch.setattr(tree_float, "compile", counted, raising=False)
    text = "def make():\n    return 1.0\n"
    first = tree_float._code(text)
    assert tree_float._code(text).co_code == first.co_code and len(compiled) == 1   # read back
    monkeypatch.setattr(disk_cache, "bytecode_tag", lambda: "another interpreter")
    tree_float._code(text)
    assert len(compiled) == 2            # compiled again, not the other interpreter's code


def test_a_whole_robots_restart_table_is_read_back_from_the_disk_cache(tmp_path, monkeypatch):
    """The whole robot's table (4,096 poses of both arms: 10-20 ms to build) is kept on disk
    as a chain's is; a later process reads it back and solves to the same bits."""
    from armsim.ik import restart_table
    seen = []
    load = disk_cache.load

    def counted(what, parts):
        got = load(what, parts)
        seen.append((what, parts[0], got is not None))
        return got
    monkeypatch.setattr(disk_cache, "load", counted)
    results = []
    for folder in ("", str(tmp_path), str(tmp_path)):     # off, cold (written), warm (read)
        monkeypatch.setenv(disk_cache.ENV, folder)
        monkeypatch.setattr(restart_table, "_TABLES", type(restart_table._TABLES)())
        seen.clear()
        robot = _robot()
        q0, _, far = _near(robot)
        r = armsim.solve(robot, far, q0)              # its first start: from the tables
        assert r.success
        results.append((r.q.tolist(), r.iterations, r.reason))
        trees = [hit for what, first, hit in seen if what == "table" and first == "tree"]
        assert trees == [folder != "" and len(results) == 3]
    assert results[0] == results[1] == results[2]


def _hand(tmp_path, multiplier):
    text = (ROOT / "assets/robots/panda_hand.urdf").read_text()
    text = text.replace('multiplier="1" offset="0"', f'multiplier="{multiplier}" offset="0"')
    path = tmp_path / f"hand{multiplier}.urdf"
    path.write_text(text)
    return armsim.load_urdf(path, tips=["panda_leftfinger_tip", "panda_rightfinger_tip"])


def test_a_whole_robots_table_is_keyed_by_its_mimic_rule(tmp_path):
    """Two robots that differ only in a mimic's multiplier draw the same joints but reach
    other poses: their tables must not share an entry."""
    from armsim.ik import restart_table
    keys = []
    for multiplier in ("1", "0.5"):
        robot = _hand(tmp_path, multiplier)
        prob = robot_problem(robot, dict(robot.frames(robot.limits.mean(axis=1),
                                                      list(robot.tips))))
        parts = restart_table._disk_parts(prob, 0)
        assert parts is not None and parts[0] == "tree"
        keys.append(disk_cache.key("table", parts))
    assert keys[0] != keys[1]
