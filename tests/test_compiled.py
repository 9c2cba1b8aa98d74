"""The compiled attempt (armsim.ik.compiled): the same solves as the float and array paths."""

import importlib.util

import numpy as np
import pytest

import armsim
from armsim.ik import compiled, rules
from armsim.ik.loop import Solver
from armsim.ik.problems import SpatialTarget
from _chains import prismatic_chain

# numba is in the test extra: these run wherever the tests do (no skip)


@pytest.fixture
def on():
    old = compiled.use(True)
    yield
    compiled.use(old)


def _both(fn):
    """fn() with the compiled attempt off, then on."""
    old = compiled.use(False)
    try:
        a = fn()
        compiled.use(True)
        return a, fn()
    finally:
        compiled.use(old)


def _poses(chain, count, seed):
    lo = np.where(np.isfinite(chain.limits[:, 0]), chain.limits[:, 0], -np.pi)
    hi = np.where(np.isfinite(chain.limits[:, 1]), chain.limits[:, 1], np.pi)
    q = np.random.default_rng(seed).uniform(lo, hi, (count, chain.n))
    R, p = chain.pose(q)
    T = np.tile(np.eye(4), (count, 1, 1))
    T[:, :3, :3], T[:, :3, 3] = R, p
    return T


@pytest.mark.parametrize("name", ["panda", "ur5", "snake20", "prismatic"])
@pytest.mark.parametrize("kind", ["pose", "position"])
def test_single_solves_equal_the_float_path(name, kind):
    """Every solve: the same iterations and reason, q to 1e-9, success by FK."""
    chain = prismatic_chain() if name == "prismatic" else armsim.robots.load(name)
    T = _poses(chain, 40, 5)
    targets = T if kind == "pose" else T[:, :3, 3]
    a, b = _both(lambda: [armsim.solve(chain, t, tol=1e-6) for t in targets])
    for ra, rb in zip(a, b):
        assert (ra.iterations, ra.reason, ra.success) == (rb.iterations, rb.reason, rb.success)
        np.testing.assert_allclose(rb.q, ra.q, rtol=0, atol=1e-9)
    assert sum(r.success for r in b) >= 39
    R, p = chain.pose(np.array([r.q for r in b if r.success]))
    want = targets[[r.success for r in b]]
    assert np.abs(p - (want[:, :3, 3] if kind == "pose" else want)).max() < 1e-6


def test_weighted_targets_equal_the_float_path():
    chain = armsim.robots.load("iiwa14")
    T = _poses(chain, 30, 6)
    prob = SpatialTarget(chain, "pose", (1.0, 0.0, 2.0, 1.0, 3.0, 0.5))
    s = Solver(prob)
    rows = np.concatenate([T[:, :3, 3], T[:, :3, :3].reshape(-1, 9)], axis=1)
    a, b = _both(lambda: [s.solve(r, prob.default_start()) for r in rows])
    for ra, rb in zip(a, b):
        assert ra.iterations == rb.iterations and ra.reason == rb.reason
        np.testing.assert_allclose(rb.q, ra.q, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name, tips", [("dual_arm", ("left_tool", "right_tool")),
                                        ("panda_hand", ("panda_leftfinger_tip",
                                                        "panda_rightfinger_tip"))])
def test_tree_solves_equal_the_float_path(name, tips):
    """A robot's tools (shared joints, a mimic finger): the same solves."""
    robot = armsim.robots.load_robot(name, tips=list(tips))
    lo = np.where(np.isfinite(robot.limits[:, 0]), robot.limits[:, 0], -np.pi)
    hi = np.where(np.isfinite(robot.limits[:, 1]), robot.limits[:, 1], np.pi)
    F = robot.frames(np.random.default_rng(7).uniform(lo, hi, (30, robot.n)), list(tips))
    targets = [{k: v[i] for k, v in F.items()} for i in range(30)]
    a, b = _both(lambda: [armsim.solve(robot, t, tol=1e-6) for t in targets])
    for ra, rb in zip(a, b):
        assert ra.iterations == rb.iterations and ra.success == rb.success
        np.testing.assert_allclose(rb.q, ra.q, rtol=0, atol=1e-8)
    assert all(r.success for r in b)


def test_weighted_tree_solves_equal_the_float_path():
    """A robot's weighted tools damp by their unweighted error in the kernel too: the same
    solves as the float path (single) and the array path (batch), every pose arrived."""
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    F = robot.frames(np.random.default_rng(11).uniform(*robot.limits.T, (6, robot.n)),
                     ["left_tool", "right_tool"])
    w = (1, 1, 1, 100, 100, 100)
    targets = [{k: armsim.Target(v[i], w) for k, v in F.items()} for i in range(6)]
    a, b = _both(lambda: [armsim.solve(robot, t, tol=1e-6) for t in targets])
    for ra, rb in zip(a, b):
        assert (ra.iterations, ra.success) == (rb.iterations, True)
        np.testing.assert_allclose(rb.q, ra.q, rtol=0, atol=1e-8)
    a, b = _both(lambda: armsim.solve_batch(robot, {k: armsim.Target(v, w) for k, v in
                                                    F.items()}, tol=1e-6))
    assert np.array_equal(a.iterations, b.iterations) and b.success.all()
    np.testing.assert_allclose(b.q, a.q, rtol=0, atol=1e-7)


def test_batches_equal_the_array_path():
    """solve_batch: the same iterations per row, q to 1e-7, the same success (a chain, a
    tree with one tool out of reach in some rows)."""
    chain = armsim.robots.load("panda")
    T = _poses(chain, 300, 8)
    a, b = _both(lambda: armsim.solve_batch(chain, T, tol=1e-6))
    assert np.array_equal(a.iterations, b.iterations) and np.array_equal(a.success, b.success)
    np.testing.assert_allclose(b.q, a.q, rtol=0, atol=1e-7)
    assert b.success.mean() > 0.99

    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    lo, hi = robot.limits[:, 0], robot.limits[:, 1]
    F = robot.frames(np.random.default_rng(9).uniform(lo, hi, (120, robot.n)),
                     ["left_tool", "right_tool"])
    F["right_tool"][::4, :3, 3] += 5.0           # beyond the reach: FAR_WEIGHT rows
    a, b = _both(lambda: armsim.solve_batch(robot, F, tol=1e-6))
    near = np.arange(120) % 4 != 0
    assert np.array_equal(a.iterations[near], b.iterations[near])
    assert np.array_equal(a.success, b.success)
    np.testing.assert_allclose(b.q[near], a.q[near], rtol=0, atol=1e-7)
    # the far rows run restarts to give-up on both paths (their answers part by rounding):
    # the far tool as near as the search found, the other near its target
    assert not b.success[::4].any() and b.success[near].all()
    assert np.isfinite(b.q).all() and (b.targets["left_tool"][::4] < 0.05).all()


def test_a_rule_constant_changed_at_run_time_takes_the_default_path(on, monkeypatch):
    """The kernel holds the rule constants it was compiled with; while one of rules.py's
    differs (a patch), solves take the default path, which reads it, and the compiled one
    again once it is back: the rule has one place."""
    chain = armsim.robots.load("panda")
    T = _poses(chain, 12, 21)
    compiled.kernel()
    assert compiled.enabled()
    before = [armsim.solve(chain, t).iterations for t in T]
    monkeypatch.setattr(rules, "NU_UP", rules.NU_UP * 3)
    assert not compiled.enabled()
    changed = [armsim.solve(chain, t).iterations for t in T]
    old = compiled.use(False)
    assert [armsim.solve(chain, t).iterations for t in T] == changed   # the default path's
    compiled.use(old)
    assert changed != before, "the change changed nothing"
    monkeypatch.undo()
    assert compiled.enabled()
    assert [armsim.solve(chain, t).iterations for t in T] == before


def test_a_kernel_compiled_with_other_constants_is_compiled_again(monkeypatch):
    """On first load, a kernel whose constants are not the rules' (a cache written before
    rules.py changed) is compiled again, every function."""
    from armsim.ik import _kernel as k
    monkeypatch.setattr(compiled, "_KERNEL", [])
    monkeypatch.setattr(compiled, "_FROZEN", [None])
    from numba.core.dispatcher import Dispatcher
    calls = []
    kernels = [f for f in vars(k).values() if isinstance(f, Dispatcher)]
    for f in kernels:       # noted, not done (a real one compiles for a minute)
        monkeypatch.setattr(f, "recompile", lambda f=f: calls.append(f))
    monkeypatch.setattr(rules, "NU_UP", rules.NU_UP * 2)
    assert compiled.kernel() is k
    assert calls == kernels
    assert {k.frozen, k.attempt, k.solve_one, k.solve_packed, k.solve_target,
            k.solve_rows} <= set(calls)


def test_a_failed_pivot_is_reported():
    k = compiled.kernel()
    G = np.array([[1.0, 1.0], [1.0, 1.0]])
    L, y = np.empty((2, 2)), np.empty(2)
    assert not k._solve(G, 0.0, np.ones(2), L, y)
    assert k._solve(G, 1.0, np.array([3.0, 1.0]), L, y)
    np.testing.assert_allclose((G + np.eye(2)) @ y, [3.0, 1.0], rtol=0, atol=1e-14)


def test_a_workspace_too_small_is_refused_before_it_is_touched(on):
    """An attempt's arrays are views of the workspace it is given: one float short of
    space() is one line of ValueError (nothing read or written past the end); space() is
    enough, and the attempt from the answer's own joints converges at once."""
    chain = armsim.robots.load("panda")
    prob = SpatialTarget(chain, "pose")
    M, lo, hi, wrap, m = compiled.model(prob)
    k = compiled.kernel()
    q = chain.limits.mean(axis=1)
    R, p = chain.pose(q[None])
    row = np.concatenate([p[0], R[0].ravel()])
    need = k.space(M, m, chain.n, 10)
    out = np.empty(6)

    def run(size):
        return k.attempt(q.copy(), 10, M, row, np.ones(1), lo, hi, wrap, m, 5e-13, 0.01,
                         1e-24, 0, 0.0, 3, True, out, np.empty(size))
    with pytest.raises(ValueError, match=r"^attempt: workspace too small$"):
        run(need - 1)
    assert run(need) and out[0] == 0 and out[1] < 1e-20


def test_the_model_is_the_chain(on):
    """The kernel's forward pass: the chain's pose, and its Jacobian against central
    differences (a prismatic and a continuous joint)."""
    chain = prismatic_chain()
    prob = SpatialTarget(chain, "pose")
    M, lo, hi, wrap, m = compiled.model(prob)
    k = compiled.kernel()
    q = np.array([0.3, 0.1, -0.7, 2.0, 0.4, -1.1])
    R, p = chain.pose(q[None])
    row = np.concatenate([p[0] + [0.01, -0.02, 0.03], R[0].ravel()])
    e, J, parts = np.empty(m), np.empty((m, 6)), np.empty(2)
    f = k.evaluate(q, M, row, np.ones(1), e, J, parts, k.scratch(M))
    np.testing.assert_allclose(e, [0.01, -0.02, 0.03, 0, 0, 0], rtol=0, atol=1e-15)
    assert f == pytest.approx(0.5 * (0.01**2 + 0.02**2 + 0.03**2), rel=1e-12)
    np.testing.assert_allclose(parts, [np.sqrt(14e-4), 0.0], rtol=1e-12, atol=1e-15)
    h = 1e-6
    for j in range(6):
        ep, em = np.empty(m), np.empty(m)
        dq = np.zeros(6)
        dq[j] = h
        k.evaluate(q + dq, M, row, np.ones(1), ep, np.empty((m, 6)), np.empty(2),
                   k.scratch(M))
        k.evaluate(q - dq, M, row, np.ones(1), em, np.empty((m, 6)), np.empty(2),
                   k.scratch(M))
        # e = aim - y: de/dq = -J
        np.testing.assert_allclose(-(ep - em) / (2 * h), J[:, j], rtol=0, atol=1e-8)


def test_use_without_numba_is_one_clear_error(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "numba" else real(name, *a))
    with pytest.raises(ValueError, match=r"^the compiled solve needs numba: "
                                         r"pip install 'armsim\[fast\]'$"):
        compiled.use(True)


@pytest.mark.parametrize("name", ["panda", "dual_arm", "panda_hand"])
def test_a_compiled_batch_is_its_single_solves(on, name, monkeypatch):
    """solve_batch runs the single solve on each row (on every thread): row i is exactly
    solve(targets[i]) -- q, iterations, the residuals (each tool's too) and reason -- unless
    that single solve handed over to the array path (a Cholesky pivot that failed: its LU
    is BLAS's)."""
    handed = []      # each compiled call's answer: None (handed over) or not

    def spy(kernel_solve):
        def call(*args, **kwargs):
            got = kernel_solve(*args, **kwargs)
            handed.append(got is None)
            return got
        return call
    for name_ in ("run_one", "run_target"):   # a chain's target: run_target, then run_one
        monkeypatch.setattr(compiled, name_, spy(getattr(compiled, name_)))
    if name == "panda":
        robot = armsim.robots.load("panda")
        T = _poses(robot, 60, 11)
        rows = list(T)
    else:
        tips = (["left_tool", "right_tool"] if name == "dual_arm"
                else ["panda_leftfinger_tip", "panda_rightfinger_tip"])
        robot = armsim.robots.load_robot(name, tips=tips)
        lo = np.where(np.isfinite(robot.limits[:, 0]), robot.limits[:, 0], -np.pi)
        hi = np.where(np.isfinite(robot.limits[:, 1]), robot.limits[:, 1], np.pi)
        T = robot.frames(np.random.default_rng(11).uniform(lo, hi, (60, robot.n)), tips)
        rows = [{k: v[i] for k, v in T.items()} for i in range(60)]
    batch = armsim.solve_batch(robot, T, tol=1e-6)
    for i, row in enumerate(rows):
        handed.clear()
        one = armsim.solve(robot, row, tol=1e-6)
        if handed[-1]:
            # a failed Cholesky pivot: the single solve takes the LU array path, the batch
            # row makes no move (each path's rule); both judged by FK
            assert one.success == batch.success[i]
            continue
        np.testing.assert_array_equal(batch.q[i], one.q)
        # the residuals as the kernel measured them, in the batch as in the single solve
        assert batch.residual[i] == one.residual
        assert batch.position_residual[i] == one.position_residual
        assert batch.orientation_residual[i] == one.orientation_residual
        if name != "panda":
            assert {k: v[i] for k, v in batch.targets.items()} == one.targets
        assert batch.reason[i] == one.reason and batch.success[i] == one.success
    assert batch.success.mean() > 0.98


def test_a_compiled_batch_of_one_row_is_its_single_solve(on):
    """A batch of one row took the array path (the single solve's hand-over) where a longer
    batch runs the compiled solve: the Panda's stalled pose ended after 333 iterations, not
    the single solve's 336, and 25 of 30 dual-arm rows had other bits in q."""
    panda = armsim.robots.load("panda")
    T = np.eye(4)
    T[:3, 3] = [-0.50389729, -0.83216705, 0.17694084]      # near full stretch: stalls
    one, batch = armsim.solve(panda, T, tol=1e-9), armsim.solve_batch(panda, T[None], tol=1e-9)
    assert (batch.iterations[0], batch.reason[0]) == (one.iterations, one.reason)
    assert batch.q[0].tobytes() == one.q.tobytes() and batch.residual[0] == one.residual
    dual = armsim.robots.load_robot("dual_arm")
    lo = np.where(np.isfinite(dual.limits[:, 0]), dual.limits[:, 0], -np.pi)
    hi = np.where(np.isfinite(dual.limits[:, 1]), dual.limits[:, 1], np.pi)
    F = dual.frames(np.random.default_rng(3).uniform(lo, hi, (8, dual.n)), dual.tips)
    for i in range(8):
        row = {k: v[i] for k, v in F.items()}
        one = armsim.solve(dual, row)
        batch = armsim.solve_batch(dual, {k: v[None] for k, v in row.items()})
        assert batch.q[0].tobytes() == one.q.tobytes()
        assert batch.iterations[0] == one.iterations and batch.reason[0] == one.reason
        assert {k: v[0] for k, v in batch.targets.items()} == one.targets


def test_a_large_max_iter_is_taken_without_its_memory(on):
    """The compiled attempt kept every iteration's error (a workspace of max_iter + 1
    floats): max_iter=10**9 took 8 GB, 10**12 raised MemoryError; now a ring of at most
    HISTORY + 1.  max_iter past MAX_ITER (2**64 overflowed int64) is one line."""
    panda = armsim.robots.load("panda")
    T = armsim.pose([0.45, 0.2, 0.35], rpy=[np.pi, 0, 0])
    for mi in (10**9, 10**12):
        assert armsim.solve(panda, T, max_iter=mi).success
        assert armsim.solve(panda, T, first_iter=mi).success
        assert armsim.solve_batch(panda, T[None], max_iter=mi).success.all()
    for call in (armsim.solve, armsim.solve_batch):
        with pytest.raises(ValueError, match=r"^max_iter must be an integer >= 0 and <= "
                                             r"1000000000000, got 18446744073709551616$"):
            call(panda, T if call is armsim.solve else T[None], max_iter=2**64)
    # an attempt longer than the ring (a target beyond the reach runs its whole budget):
    # the same iterations and joints as the default path
    far = T.copy()
    far[:3, 3] *= 3.0
    a, b = _both(lambda: armsim.solve(panda, far, max_iter=300, first_iter=300, restarts=0))
    assert a.iterations == b.iterations == 300 and a.reason == b.reason == "unreachable"
    np.testing.assert_allclose(b.q, a.q, rtol=0, atol=1e-9)
    a, b = _both(lambda: armsim.solve_batch(panda, np.stack([far, T]), max_iter=300,
                                            first_iter=300, restarts=0))
    assert a.iterations.tolist() == b.iterations.tolist()
    np.testing.assert_allclose(b.q, a.q, rtol=0, atol=1e-9)


def test_the_environment_switch_without_numba_warns_and_stays_off():
    """ARMSIM_COMPILED=1 where numba cannot be imported: one warning line, the default
    path, the same answer."""
    import os
    import subprocess
    import sys
    code = ("import importlib.util, sys; sys.modules.pop('numba', None)\n"
            "real = importlib.util.find_spec\n"
            "importlib.util.find_spec = lambda n, *a: None if n == 'numba' else real(n, *a)\n"
            "import warnings; warnings.simplefilter('always')\n"
            "import numpy as np, armsim\n"
            "from armsim.ik import compiled\n"
            "arm = armsim.robots.load('ur5')\n"
            "r = armsim.solve(arm, arm.matrix(np.full(6, 0.4)))\n"
            "print(compiled.enabled(), r.success)\n")
    env = dict(os.environ, ARMSIM_COMPILED="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True"]
    assert "ARMSIM_COMPILED=1 is ignored: the compiled solve needs numba" in out.stderr


def test_a_deadline_ends_the_compiled_solve(on):
    """timeout= runs in the kernel too: a generous one changes nothing; one that passes
    before a target no start can meet (tol below the rounding) is met ends the search with
    reason "timeout", after fewer iterations than the search without it."""
    chain = armsim.robots.load("panda")
    T = _poses(chain, 20, 31)
    armsim.solve(chain, T[0])       # the kernel loaded (compiled, with an empty cache) first
    a, b = _both(lambda: [armsim.solve(chain, t, timeout=5.0) for t in T])
    assert [r.iterations for r in a] == [r.iterations for r in b]
    assert [r.reason for r in a] == [r.reason for r in b] == ["converged"] * 20
    full = armsim.solve(chain, T[0], tol=1e-17)
    cut = armsim.solve(chain, T[0], tol=1e-17, timeout=1e-4)
    assert full.reason == "stalled" and cut.reason == "timeout"
    assert cut.iterations < full.iterations


def test_the_kernel_clock_is_perf_counter(on):
    """The kernel's clock (a deadline's) reads ``time.perf_counter``'s: between two Python
    reads of it, five times over."""
    import time

    from armsim.ik import compiled
    now = compiled.kernel().now
    for _ in range(5):
        a = time.perf_counter()
        t = now()
        b = time.perf_counter()
        assert a <= t <= b


def test_batches_from_several_threads_at_once(on):
    """solve_batch called from four Python threads at once (numba's pool runs one parallel
    call at a time): every batch answers as it does alone."""
    import threading
    chain = armsim.robots.load("ur5")
    T = _poses(chain, 40, 41)
    alone = armsim.solve_batch(chain, T)
    got = [None] * 4

    def run(i):
        got[i] = armsim.solve_batch(chain, T)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in got:
        np.testing.assert_array_equal(r.q, alone.q)
        assert np.array_equal(r.iterations, alone.iterations)


def test_the_kth_entry_is_the_sorted_buffers_and_numpys():
    """_kth (from SAMPLE_FROM on, a long d screened by a sample first) keeps the same
    k + 1 entries in the same order as the sorted buffer (_kth_serial) -- ties by the lower
    index, infinities, NaN among the first k + 1 or after them, falling order -- and,
    without NaN, numpy's stable sort's first k + 1."""
    from armsim.ik import _kernel_parts as parts
    compiled.kernel()
    rng = np.random.default_rng(3)
    idx, val = np.empty(300, dtype=np.int64), np.empty(300)
    idx2, val2 = np.empty(300, dtype=np.int64), np.empty(300)
    for trial in range(1200):
        n = int(rng.integers(1, 400)) if trial % 6 else int(rng.integers(400, 5000))
        d = [rng.random(n), rng.integers(0, 6, n).astype(float),
             rng.choice([0.0, -0.0, 1.0, np.inf, -np.inf, 2.0], n)][trial % 3]
        if trial % 7 == 3:                  # in falling order (every entry a new smallest)
            d = np.sort(d)[::-1].copy()
        if trial % 5 == 4:
            d[rng.integers(0, n)] = np.nan
        if trial % 2:
            d = d.astype(np.float32)
        k = int(rng.integers(parts.SAMPLE_FROM, 250)) if trial % 4 else int(rng.integers(0, 250))
        m = min(k + 1, n)
        got = parts._kth(d, k, idx, val)
        assert got == parts._kth_serial(d, k, idx2, val2)
        np.testing.assert_array_equal(idx[:m], idx2[:m])
        np.testing.assert_array_equal(val[:m], val2[:m])
        if not np.isnan(d).any():
            order = np.argsort(d, kind="stable")[:m]
            np.testing.assert_array_equal(idx[:m], order)
            assert got == order[min(k, n - 1)]


@pytest.mark.parametrize("size", [1, 2, 15, 16, 17, 4096, 4100])
def test_the_two_lowest_are_the_first_smallest_and_the_next(size):
    """_two_lowest (blocks tested at once, then gone through in order): the index is
    numpy's argmin, the first of equal smallest values, and the value the second of numpy's
    sorted ones (the smallest again when it is there twice), whatever the length (a tail
    past the last block too) and order (falling: every block holds a lower entry), with NaN
    skipped and infinities counted; with no number below infinity, (0, -inf)."""
    from armsim.ik import _kernel_parts as parts
    compiled.kernel()
    rng = np.random.default_rng(size)
    for trial in range(30):
        d = rng.integers(0, 50 if trial % 2 else 10**6, size).astype(np.float32)  # ties, or few
        if trial % 3 == 1:
            d[rng.integers(0, size, max(1, size // 5))] = np.nan
        if trial % 3 == 2:
            d[rng.integers(0, size, max(1, size // 5))] = np.inf
        if trial == 5:
            d[:] = np.inf
        if trial in (6, 7):
            d = np.sort(d)[::-1].copy()         # falling (NaN first)
        at, second = parts._two_lowest(d, size)
        if not (d < np.inf).any():
            assert (at, second) == (0, -np.inf)
            continue
        assert at == int(np.nanargmin(np.where(np.isnan(d), np.inf, d)))
        ranked = np.sort(d[~np.isnan(d)])
        assert second == (ranked[1] if ranked.size > 1 else np.inf)
    assert parts._two_lowest(np.full(size, np.nan, dtype=np.float32), size) == (0, -np.inf)


def test_a_solver_keeps_its_kernel_arguments_until_what_they_hold_changes(on, monkeypatch):
    """The packed arguments a solver keeps for its single solves are made again when the
    restart table's settings or the seed change: each solve equals a new solver's."""
    from armsim.ik import restart_table
    chain = armsim.robots.load("panda")
    T = _poses(chain, 12, 3)
    kept = Solver(chain, tol=1e-6, max_iter=15, first_iter=25, restarts=150, seed=0,
                  first_start="nearer", damping=0.01, give_up=40)

    def fresh():
        return Solver(chain, tol=1e-6, max_iter=15, first_iter=25, restarts=150, seed=kept.seed,
                      first_start="nearer", damping=0.01, give_up=40)

    def same(a, b):
        assert (a.iterations, a.reason) == (b.iterations, b.reason)
        np.testing.assert_array_equal(a.q, b.q)

    prob = kept.problem
    rows = [SpatialTarget.target_rows(t, False)[1][0] for t in T]
    before = [kept.solve(r) for r in rows]
    monkeypatch.setattr(restart_table, "TABLE_SIZE", 1024)     # another table
    after = [kept.solve(r) for r in rows]
    for a, r in zip(after, rows):
        same(a, fresh().solve(r))
    assert [a.iterations for a in after] != [b.iterations for b in before]
    monkeypatch.undo()
    kept.seed = 5
    for r in rows:
        same(kept.solve(r), fresh().solve(r))
    assert kept._compiled_one[0][0] == 5 and prob is kept.problem    # made again
