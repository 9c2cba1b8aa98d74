"""A chain's float pass run from its program and compiled (armsim.ik.float_code): the same
bits, and the tiers of spatial_scalar._Compiled (from the program first, compiled after
COMPILE_AFTER evaluations, stored on disk only once compiled)."""

import math

import numpy as np
import pytest

import armsim
from armsim.ik import disk_cache, float_code, spatial_scalar
from armsim.ik.problems import SpatialTarget
from _chains import prismatic_chain


def _chain(name):
    return prismatic_chain() if name == "prismatic" else armsim.robots.load(name)


CASES = [("panda", "pose", None), ("ur5", "position", None),
         ("iiwa14", "pose", (1, 1, 1, 0.5, 0.5, 0)), ("prismatic", "pose", (2, 0, 1, 1, 1, 1)),
         ("snake20", "pose", None), ("prismatic", "position", (1, 1, 0.5))]


def _compiled_pass(prog):
    space = {"cos": math.cos, "sin": math.sin, "sqrt": math.sqrt, "atan2": math.atan2,
             "_wide": armsim.ik.rotvec.wide}
    exec(float_code.source(prog), space)
    return space["make"]


def _bits(x):
    return np.asarray(x, dtype=float).tobytes()


@pytest.mark.parametrize("name, kind, weights", CASES)
def test_the_program_run_from_its_steps_gives_the_compiled_bits(name, kind, weights):
    chain = _chain(name)
    prob = SpatialTarget(chain, kind, weights)
    prog = float_code.program(prob)
    count = [0]
    run, comp = float_code.interpreted(prog, count), _compiled_pass(prog)
    rng = np.random.default_rng(3)
    lo = np.where(np.isfinite(chain.limits[:, 0]), chain.limits[:, 0], -np.pi)
    hi = np.where(np.isfinite(chain.limits[:, 1]), chain.limits[:, 1], np.pi)
    wide = 0
    for _ in range(60):
        qt = rng.uniform(lo, hi)
        R, p = chain.pose(qt)
        aim = p.tolist() + (R.reshape(9).tolist() if kind == "pose" else [])
        q = rng.uniform(lo, hi).tolist()            # far from the aim: rotations past pi/2
        a, b = run(*aim)(q), comp(*aim)(q)
        assert _bits(a[0]) == _bits(b[0])
        for x, y in zip(a[1:], b[1:]):
            assert type(x) is tuple and len(x) == len(y) and _bits(x) == _bits(y)
        if kind == "pose":
            R2 = chain.pose(np.array(q))[0]
            wide += np.trace(R @ R2.T) < 1.0         # the template's wide branch
    assert count[0] == 60
    if kind == "pose":
        assert wide > 10


@pytest.mark.parametrize("n, m", [(7, 6), (6, 3), (1, 6), (20, 5)])
def test_the_gram_step_and_cholesky_loops_give_the_compiled_bits(n, m):
    rng = np.random.default_rng(n * m)
    lo = [-1.0, -math.inf] + [-0.5] * (n - 2) if n > 1 else [-1.0]
    hi = [1.0, math.inf] + [math.inf] * (n - 2) if n > 1 else [1.0]
    space = {"sqrt": math.sqrt}
    exec(float_code.flat_source(n, m, lo, hi) + float_code.linear_source(m), space)
    gram, move = float_code.flat_loops(n, m, lo, hi)
    solve, fix = float_code.linear_loops(m)
    for k in range(40):
        cols = tuple(rng.normal(size=n * m).tolist())
        q, y = rng.uniform(-1, 1, n).tolist(), rng.normal(size=m).tolist()
        g = gram(cols)
        assert _bits(g) == _bits(space["gram"](cols))
        t, inside = move(q, cols, y)
        t2, inside2 = space["move"](q, cols, y)
        assert type(t) is list and _bits(t) == _bits(t2) and inside == inside2
        lam2 = float(10.0 ** rng.uniform(-12, 0))
        assert _bits(solve(g, lam2, y)) == _bits(space["solve"](g, lam2, y))
        c, x = cols[:m], float(rng.normal())
        assert _bits(fix(g, y, c, x)[0]) == _bits(space["fix"](g, y, c, x)[0])
        assert _bits(fix(g, y, c, x)[1]) == _bits(space["fix"](g, y, c, x)[1])
    # a pivot not positive: None from both; a step out of the limits or NaN: not inside
    zero = (0.0,) * (m * (m + 1) // 2)
    assert solve(zero, 0.0, [1.0] * m) is None and space["solve"](zero, 0.0, [1.0] * m) is None
    big = [10.0] * n
    assert move(big, (0.0,) * (n * m), [0.0] * m)[1] is False
    nan = [math.nan] * n
    assert move(nan, (0.0,) * (n * m), [0.0] * m)[1] == space["move"](nan, (0.0,) * (n * m),
                                                                     [0.0] * m)[1]
    d = rng.normal(size=6).tolist()
    for active in ([True] * 6, [True, False, True, False, False, False], [False] * 3 + [True] * 3):
        space2 = {"sqrt": math.sqrt}
        exec(float_code.parts_text(active, 6), space2)
        assert _bits(float_code.parts_loop(active, 6)(d)) == _bits(space2["parts"](d))


def _solves(chain, targets, q0, **kw):
    out = [armsim.solve(chain, T, q0, **kw) for T in targets]
    return [(r.q.tobytes(), r.iterations, r.reason, r.residual) for r in out]


def test_a_new_chain_solves_from_its_program_then_compiled_with_the_same_answers(monkeypatch):
    monkeypatch.setenv(disk_cache.ENV, "")
    rng = np.random.default_rng(2026)
    panda = armsim.robots.load("panda")
    targets = panda.matrix(rng.uniform(panda.limits[:, 0], panda.limits[:, 1], (40, 7)))
    q0 = panda.limits.mean(axis=1)
    default = _solves(armsim.robots.load("panda"), targets, q0)
    ref_chain = armsim.robots.load("panda")
    monkeypatch.setattr(spatial_scalar, "COMPILE_AFTER", 0)
    reference = _solves(ref_chain, targets, q0)
    C = spatial_scalar._compiled(SpatialTarget(ref_chain))
    assert not C.interpreted
    monkeypatch.setattr(spatial_scalar, "COMPILE_AFTER", 10 ** 9)     # never compiled
    chain = armsim.robots.load("panda")
    never = _solves(chain, targets, q0)
    C = spatial_scalar._compiled(SpatialTarget(chain))
    assert C.interpreted and C.source is None and C.count[0] > 100
    # the default: from the program, then compiled part way (in a solve, between attempts)
    monkeypatch.setattr(spatial_scalar, "COMPILE_AFTER", 64)
    chain = armsim.robots.load("panda")
    first = _solves(chain, targets[:1], q0)
    C = spatial_scalar._compiled(SpatialTarget(chain))
    assert C.interpreted and 0 < C.count[0] < 64
    tiered = first + _solves(chain, targets[1:], q0)
    assert not C.interpreted and "def make(" in C.source
    assert reference == never == tiered == default
    assert sum(r[1] > 25 for r in reference) == 2      # poses that take restarts


def test_a_tier_change_inside_a_solve_keeps_its_answer(monkeypatch):
    monkeypatch.setenv(disk_cache.ENV, "")
    chain = armsim.robots.load("iiwa14")
    q = np.random.default_rng(319).uniform(chain.limits[:, 0], chain.limits[:, 1], (40, 7))
    targets, q0 = chain.matrix(q), chain.limits.mean(axis=1)
    monkeypatch.setattr(spatial_scalar, "COMPILE_AFTER", 0)
    reference = _solves(armsim.robots.load("iiwa14"), targets, q0)
    for after in (1, 5, 17):
        monkeypatch.setattr(spatial_scalar, "COMPILE_AFTER", after)
        fresh = armsim.robots.load("iiwa14")
        assert _solves(fresh, targets, q0) == reference


def test_the_pass_is_stored_on_disk_once_compiled(tmp_path, monkeypatch):
    monkeypatch.setenv(disk_cache.ENV, str(tmp_path))
    monkeypatch.setattr(spatial_scalar, "COMPILE_AFTER", 64)
    chain = armsim.robots.load("ur5")
    q = np.random.default_rng(9).uniform(chain.limits[:, 0], chain.limits[:, 1], (40, 6))
    targets, q0 = chain.matrix(q), chain.limits.mean(axis=1)
    stored = lambda: sorted(p.name.split("-")[0] for p in tmp_path.iterdir())  # noqa: E731
    _solves(chain, targets[:1], q0)
    assert "pass" not in stored()                 # one solve: nothing compiled, nothing stored
    answers = _solves(chain, targets, q0)
    assert "pass" in stored()
    # a later chain reads the compiled pass back: compiled from its first solve
    again = armsim.robots.load("ur5")
    assert _solves(again, targets, q0) == answers
    assert not spatial_scalar._compiled(SpatialTarget(again)).interpreted
