"""Robots a user brings: layouts the shipped models do not have (a gripper whose fingers
each have one joint at the tool, a tool and its parent both solved, many tools), solved
from Python and the command line."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import armsim

ROOT = Path(__file__).resolve().parents[1]

GRIPPER = """<robot name="gripper">
  <link name="base"/><link name="palm"/><link name="fa"/><link name="fb"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="palm"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="ja" type="revolute"><parent link="palm"/><child link="fa"/>
    <origin xyz="0 0.05 0.1"/><axis xyz="1 0 0"/><limit lower="-1" upper="1"/></joint>
  <joint name="jb" type="revolute"><parent link="palm"/><child link="fb"/>
    <origin xyz="0 -0.05 0.1"/><axis xyz="1 0 0"/><limit lower="-1" upper="1"/></joint>
</robot>
"""

# l3 hangs from l2 by one joint whose axis passes through l3: solving both l2 and l3 leaves
# l3 one joint of its own that only turns it about itself
STACK = """<robot name="stack">
  <link name="base"/><link name="l1"/><link name="l2"/><link name="l3"/>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
    <origin xyz="0 0 0.2"/><axis xyz="0 0 1"/><limit lower="-2" upper="2"/></joint>
  <joint name="j2" type="revolute"><parent link="l1"/><child link="l2"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="j3" type="revolute"><parent link="l2"/><child link="l3"/>
    <origin xyz="0.3 0 0"/><axis xyz="1 0 0"/><limit lower="-2" upper="2"/></joint>
</robot>
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def _fk_ok(robot, q, targets, tol):
    F = robot.frames(np.asarray(q, dtype=float), list(targets))
    return all(np.linalg.norm(F[k][:3, 3] - np.asarray(t)[..., :3, 3]
                              if np.shape(t) == (4, 4) else F[k][:3, 3] - t) < tol
               for k, t in targets.items())


@pytest.mark.parametrize("text, tips", [(GRIPPER, None), (STACK, ["l2", "l3"])])
@pytest.mark.parametrize("pose", [False, True])
def test_a_tool_whose_own_joint_turns_it_about_itself_is_solved(tmp_path, text, tips, pose):
    robot = armsim.load_robot(_write(tmp_path, "r.urdf", text),
                              **({"tips": tips} if tips else {}))
    rng = np.random.default_rng(3)
    for _ in range(3):
        q = rng.uniform(-0.8, 0.8, robot.n)
        F = robot.frames(q, list(robot.tips))
        targets = {k: (F[k] if pose else F[k][:3, 3]) for k in robot.tips}
        r = armsim.solve(robot, targets, tol=1e-7)
        assert r.success and _fk_ok(robot, r.q, targets, 1e-6)
        b = armsim.solve_batch(robot, {k: np.repeat(v[None], 2, axis=0)
                                       for k, v in targets.items()}, tol=1e-7)
        assert b.success.all()
        assert all(_fk_ok(robot, qb, targets, 1e-6) for qb in b.q)


def test_the_gripper_runs_from_a_scene_with_restarts(tmp_path):
    _write(tmp_path, "gripper.urdf", GRIPPER)
    scene = _write(tmp_path, "grip.toml", """seed = 0
[arm]
urdf = "gripper.urdf"
tips = ["fa", "fb"]
angles = [0.0, 0.0, 0.0]
[[tool]]
link = "fa"
kind = "circle"
center = [0.0, 0.05, 0.4]
normal = [1.0, 0.0, 0.0]
radius = 0.05
period = 30
[[tool]]
link = "fb"
kind = "circle"
center = [0.0, -0.05, 0.4]
normal = [1.0, 0.0, 0.0]
radius = 0.05
period = 30
[solver]
method = "dls"
iterations_per_frame = 8
restarts = 5
[render]
size = [120, 90]
frames = 6
""")
    out = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(scene), "--gif",
                          str(tmp_path / "g.gif")], capture_output=True, text=True,
                         cwd=tmp_path, env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin",
                                            "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "g.gif").stat().st_size > 0


def _hedgehog(arms):
    """A base with ``arms`` two-joint arms, each ending in a tool 0.2 m out."""
    out = ['<robot name="hedgehog">', '  <link name="base"/>']
    for i in range(arms):
        a = 2 * np.pi * i / arms
        out += [f'  <link name="u{i}"/><link name="t{i}"/><link name="e{i}"/>',
                f'  <joint name="ja{i}" type="revolute"><parent link="base"/><child link="u{i}"/>'
                f'<origin xyz="{0.3 * np.cos(a):.6f} {0.3 * np.sin(a):.6f} 0"/><axis xyz="0 0 1"/>'
                '<limit lower="-1" upper="1"/></joint>',
                f'  <joint name="jb{i}" type="revolute"><parent link="u{i}"/><child link="t{i}"/>'
                '<origin xyz="0.1 0 0"/><axis xyz="0 1 0"/><limit lower="-1" upper="1"/></joint>',
                f'  <joint name="je{i}" type="fixed"><parent link="t{i}"/><child link="e{i}"/>'
                '<origin xyz="0.2 0 0"/></joint>']
    return "\n".join(out + ["</robot>"])


def test_many_tools_solve_on_the_arrays_in_bounded_memory(tmp_path):
    from armsim.ik import restart_table
    from armsim.ik.loop import FLOAT_ROWS, Solver
    from armsim.ik.tree import for_tree
    robot = armsim.load_robot(_write(tmp_path, "h.urdf", _hedgehog(17)))
    q = np.random.default_rng(4).uniform(-0.9, 0.9, robot.n)
    F = robot.frames(q, list(robot.tips))
    targets = {k: F[k][:3, 3] for k in robot.tips}
    prob, _ = for_tree(robot, targets, batch=False)
    assert prob.m == 51 > FLOAT_ROWS
    solver = Solver(prob)
    assert not solver._float_one        # no generated solve of 51 rows
    r = armsim.solve(robot, targets, tol=1e-7)
    assert r.success and _fk_ok(robot, r.q, targets, 1e-6)
    # a table of many features holds fewer entries: at most TABLE_BYTES of features
    assert restart_table.table_entries(12) == restart_table.TABLE_SIZE
    wide = 12 * 1024
    assert restart_table.table_entries(wide) * wide * 8 <= restart_table.TABLE_BYTES
    assert restart_table.table_entries(10**9) == restart_table.NEAREST
