"""A chain's single solve on the compiled path checks its target and start in the kernel
(armsim.ik._kernel.solve_target): what it refuses gets the checked path's one line, what it
takes the checked path takes too, with the same answer."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import armsim
from armsim.ik import compiled, loop
from armsim.ik.inputs import check_pose_rows, within
from armsim.ik.problems import SpatialTarget
from armsim.kinematics.planar import MAX_ANGLE, MAX_COORDINATE


@pytest.fixture
def on():
    old = compiled.use(True)
    yield
    compiled.use(old)


def _pose(chain, seed):
    q = np.random.default_rng(seed).uniform(chain.limits[:, 0], chain.limits[:, 1])
    return chain.matrix(q)


def _error(fn):
    with pytest.raises(ValueError) as got:
        fn()
    return str(got.value)


def _bad_inputs(chain):
    """(target, q0) pairs the checks refuse, each for its own reason."""
    T = _pose(chain, 1)
    q0 = chain.limits.mean(axis=1)
    out = []
    for i, j, v in [(0, 3, np.nan), (1, 3, np.inf), (0, 0, np.nan), (2, 1, -np.inf),
                    (3, 3, 2.0), (3, 0, 1e-9), (0, 3, 2 * MAX_COORDINATE)]:
        t = T.copy()
        t[i, j] = v
        out.append((t, q0))
    t = T.copy()
    t[:3, :3] *= 1.01                       # not orthonormal
    out.append((t, q0))
    t = T.copy()
    t[:3, 0] *= -1                          # a reflection
    out.append((t, q0))
    for j, v in [(0, np.nan), (3, np.inf), (6, 2 * MAX_ANGLE), (2, -2 * MAX_ANGLE)]:
        q = q0.copy()
        q[j] = v
        out.append((T, q))
    out.append((np.array([0.3, np.nan, 0.2]), q0))
    out.append((np.array([0.3, 0.1, -2 * MAX_COORDINATE]), q0))
    return out


def test_what_the_kernel_refuses_gets_the_checked_paths_line(on):
    """Every refused target or start: the same ValueError line as with the compiled path
    off, after a good solve made the chain's problem (so the kernel's checks run)."""
    chain = armsim.robots.load("panda")
    armsim.solve(chain, _pose(chain, 0))
    armsim.solve(chain, _pose(chain, 0)[:3, 3])
    for target, q0 in _bad_inputs(chain):
        assert loop.raw_problem(chain, target) is not None
        got = _error(lambda: armsim.solve(chain, target, q0))
        compiled.use(False)
        want = _error(lambda: armsim.solve(chain, target, q0))
        compiled.use(True)
        assert got == want
        assert "\n" not in got


def _solver(chain):
    armsim.solve(chain, _pose(chain, 0), tol=1e-6, seed=0)
    prob = loop.raw_problem(chain, _pose(chain, 0))[0]
    return next(s for s in loop._SOLVERS.kept.values() if s.problem is prob)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), dev=st.floats(0.0, 3e-6),
       scale=st.sampled_from([1.0, 1e3, 1e49, 0.99e50, 1e50, 1.01e50]))
def test_what_the_kernel_takes_the_checked_path_takes_with_the_same_answer(seed, dev, scale):
    """A rotation off orthonormal by up to three times the tolerance and positions up to
    past the bound: when the kernel takes a target, :mod:`armsim.ik.inputs`' checks take
    it too, and the answer is the checked path's (:func:`armsim.ik.compiled.run_one`)."""
    old = compiled.use(True)
    try:
        chain = armsim.robots.load("ur5")
        solver = _solver(chain)
        T = _pose(chain, seed)
        rng = np.random.default_rng(seed)
        T[:3, :3] += rng.uniform(-dev, dev, (3, 3))
        T[:3, 3] *= scale
        q0 = chain.limits.mean(axis=1)
        got = compiled.run_target(solver, T.reshape(-1), q0, np.inf)
        if got is None:
            return
        row = SpatialTarget.target_rows(T, False)[1]
        check_pose_rows(row, False)
        assert within(row[0], 12, MAX_COORDINATE)
        (q, iters, res, stalled, parts, _, _), attainable = got
        assert attainable == solver.problem.attainable_one(row[0].tolist())
        want = compiled.run_one(solver, row[0], q0, compiled.rule_first_budget(solver),
                                attainable)
        np.testing.assert_array_equal(q, want[0])
        assert (iters, res, stalled, parts) == want[1:5]
    finally:
        compiled.use(old)


def test_a_target_at_the_edge_of_reach_takes_the_checked_path(on):
    """A position whose distance from the first joint is within a relative 1e-9 of the
    reach bound: the kernel leaves the decision to Python's (math.dist); the answer is the
    checked path's."""
    chain = armsim.robots.load("panda")
    solver = _solver(chain)
    prob = solver.problem
    d = np.array([0.3, -0.5, 0.8])
    T = _pose(chain, 2)
    for r in (prob._bound, prob._bound * (1 + 5e-10), prob._bound * (1 - 5e-10)):
        T[:3, 3] = prob._origin + d / np.linalg.norm(d) * r
        assert compiled.run_target(solver, T.reshape(-1), chain.limits.mean(axis=1), np.inf) is None
        one = armsim.solve(chain, T, tol=1e-6, seed=0)
        row = SpatialTarget.target_rows(T, False)[1][0]
        two = solver.solve(row, prob.default_start())
        np.testing.assert_array_equal(one.q, two.q)
        assert (one.iterations, one.reason) == (two.iterations, two.reason)
    T[:3, 3] = prob._origin + d / np.linalg.norm(d) * prob._bound * 1.01   # clearly beyond
    got = compiled.run_target(solver, T.reshape(-1), chain.limits.mean(axis=1), np.inf)
    assert got is not None and got[1] is False
    assert armsim.solve(chain, T, tol=1e-6, seed=0).reason == "unreachable"


def test_strided_and_read_only_arrays_give_the_same_answer(on):
    """A target or start that is not a plain C-ordered, writeable float array goes the
    checked path (the kernel is not compiled again for it): the same answer."""
    chain = armsim.robots.load("iiwa14")
    T = _pose(chain, 4)
    q0 = chain.limits.mean(axis=1)
    want = armsim.solve(chain, T, q0, seed=0)
    wide = np.zeros((4, 8))
    wide[:, ::2] = T
    frozen_T, frozen_q = T.copy(), q0.copy()
    frozen_T.setflags(write=False)
    frozen_q.setflags(write=False)
    Q = np.zeros((chain.n, 2))
    Q[:, 0] = q0
    armsim.solve(chain, T, q0, seed=0)           # the kernel's one kind of arrays, loaded
    before = len(compiled.kernel().solve_target.overloads)
    assert before == 1
    for t, q in [(wide[:, ::2], q0), (frozen_T, q0), (T, frozen_q), (T, Q[:, 0]),
                 (T.astype(">f8"), q0), (T.tolist(), q0)]:
        got = armsim.solve(chain, t, q, seed=0)
        np.testing.assert_array_equal(got.q, want.q)
        assert (got.iterations, got.reason) == (want.iterations, want.reason)
    assert len(compiled.kernel().solve_target.overloads) == before


def _recompiles(monkeypatch, k):
    """Every kernel's ``recompile`` replaced by a note of the call (a real one compiles for
    a minute and empties numba's cache); returns the notes and the kernels."""
    from numba.core.dispatcher import Dispatcher
    calls = []
    kernels = [f for f in vars(k).values() if isinstance(f, Dispatcher)]
    for f in kernels:
        monkeypatch.setattr(f, "recompile", lambda f=f: calls.append(f))
    return calls, kernels


def test_sources_compiled_in_from_other_modules_are_compiled_again(monkeypatch):
    """numba's cache knows only the file of each function; the kernel holds a fingerprint
    of the other sources compiled in, and every kernel is compiled again when it differs
    (a cache written before _kernel_parts.py or attempt.py changed)."""
    from armsim.ik import _kernel as k
    monkeypatch.setattr(compiled, "_KERNEL", [])
    monkeypatch.setattr(compiled, "_FROZEN", [None])
    calls, kernels = _recompiles(monkeypatch, k)
    assert compiled.kernel() is k
    assert calls == []                              # the cache is the sources'
    monkeypatch.setattr(compiled, "_KERNEL", [])
    monkeypatch.setattr(k, "SOURCES", k.SOURCES + 1)
    assert compiled.kernel() is k
    assert calls == kernels
    assert {k.frozen_sources, k.evaluate, k.attempt, k.solve_one, k.solve_target, k._start,
            k._clip, k.accepted} <= set(calls)
    assert k._fingerprint() == k.SOURCES - 1


def _dual():
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    q = np.random.default_rng(5).uniform(robot.limits[:, 0], robot.limits[:, 1])
    T = robot.frames(q[None], ["left_tool", "right_tool"])
    return robot, {k: v[0] for k, v in T.items()}


def test_a_robots_targets_are_checked_in_the_kernel_as_in_python(on):
    """A robot's dict of float poses (and positions): each refusal the checked path's line,
    naming the tool, after a good solve made the problem."""
    robot, targets = _dual()
    armsim.solve(robot, targets)
    armsim.solve(robot, {"left_tool": targets["left_tool"],
                         "right_tool": targets["right_tool"][:3, 3].copy()})
    q0 = robot.limits.mean(axis=1)
    bad = []
    for i, j, v in [(0, 3, np.nan), (3, 3, 2.0), (1, 1, 1.5), (2, 3, 2 * MAX_COORDINATE)]:
        t = targets["right_tool"].copy()
        t[i, j] = v
        bad.append(({"left_tool": targets["left_tool"], "right_tool": t}, q0))
    bad.append(({"left_tool": targets["left_tool"],
                 "right_tool": np.array([0.2, np.inf, 0.1])}, q0))
    q = q0.copy()
    q[3] = np.nan
    bad.append((targets, q))
    for t, q in bad:
        assert loop.raw_tree(robot, t) is not None
        got = _error(lambda: armsim.solve(robot, t, q))
        compiled.use(False)
        want = _error(lambda: armsim.solve(robot, t, q))
        compiled.use(True)
        assert got == want and "\n" not in got


def test_a_robots_tool_beyond_reach_takes_the_checked_path(on):
    """One tool's target beyond its reach: the kernel leaves it to the checked path (the
    array path, which weighs that tool and restarts for the other), the same answer; a
    reachable pair is solved in the kernel, every tool judged."""
    robot, targets = _dual()
    armsim.solve(robot, targets, seed=0)
    solver = next(s for s in loop._SOLVERS.kept.values()
                  if s.problem is loop.raw_tree(robot, targets)[0])
    prob, flat = loop.raw_tree(robot, targets)
    q0 = robot.limits.mean(axis=1)
    got = compiled.run_target(solver, flat, q0, np.inf)
    assert got is not None and got[1] is True
    one = armsim.solve(robot, targets, q0, seed=0)
    assert one.success and set(one.targets) == {"left_tool", "right_tool"}
    far = dict(targets)
    far["right_tool"] = targets["right_tool"].copy()
    far["right_tool"][:3, 3] += 10.0
    assert compiled.run_target(solver, loop.raw_tree(robot, far)[1], q0, np.inf) is None
    a = armsim.solve(robot, far, q0, seed=0)
    b = solver.solve(loop.for_tree(robot, far, batch=False)[1], q0)      # the checked path
    np.testing.assert_array_equal(a.q, b.q)
    assert (a.reason, a.targets) == (b.reason, b.targets) and a.reason == "unreachable"


@pytest.mark.parametrize("path", [False, True])
def test_a_give_up_beyond_int64_is_refused_in_one_line(path):
    """give_up had no upper bound: 2**63 ran on the default path and raised OverflowError
    ('int too big to convert') in the compiled solve_batch; it is now held to MAX_ITER, as
    max_iter is."""
    old = compiled.use(path)
    try:
        panda = armsim.robots.load("panda")
        T = _pose(panda, 3)
        msg = r"^give_up must be an integer >= 0 and <= 1000000000000 or None, got 9223372036"
        for call in (lambda: armsim.solve(panda, T, give_up=2**63),
                     lambda: armsim.solve_batch(panda, np.stack([T, T]), give_up=2**63)):
            assert "\n" not in _error(call)
            with pytest.raises(ValueError, match=msg):
                call()
        res = armsim.solve_batch(panda, np.stack([T, T]), give_up=10**12)
        assert res.success.all()
    finally:
        compiled.use(old)
