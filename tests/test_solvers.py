"""IK solvers: round trips, unreachable targets, limits, restarts, batches, option validation."""

import warnings

import numpy as np
import pytest

import armsim
from armsim import Chain
from armsim.ik import (CORRECTIONS, DEFAULTS, FIRST_STARTS, METHODS, IKResult, Solver, solve,
                            solve_batch)
from armsim.ik import planar as kin

# every method, and every correction of the gradient
CONFIGS = ([(m, "backtrack") for m in METHODS if m != "gradient"]
           + [("gradient", c) for c in CORRECTIONS])
IDS = [m if m != "gradient" else f"gradient-{c}" for m, c in CONFIGS]
FAST = [("dls", "backtrack"), ("pinv", "backtrack")]


def targets_in(chain, rng, count, lo, hi):
    """Targets with r/R uniform in [lo, hi), at uniform angles around the base."""
    r = rng.uniform(lo, hi, count) * chain.reach
    a = rng.uniform(-np.pi, np.pi, count)
    return chain.base + np.stack([r * np.cos(a), r * np.sin(a)], axis=-1)


def check_round_trip(chain, targets, res):
    assert isinstance(res, IKResult)
    tips = chain.tip(res.q)
    err = np.linalg.norm(tips - targets, axis=-1)
    assert np.all(res.success), (res.reason, res.residual)
    assert np.all(res.reason == "converged")
    assert np.all(err < 1e-6 * chain.reach)
    np.testing.assert_allclose(res.residual, err, rtol=1e-9, atol=1e-15)


# -- the Jacobian ------------------------------------------------------------------------
def test_ad_jacobian_matches_chain_and_finite_differences():
    rng = np.random.default_rng(0)
    chain = Chain(rng.uniform(0.1, 1.0, 6), base=(0.3, -0.2))
    q = rng.uniform(-3, 3, (4, 6))
    tip, jac = kin.tip_and_jacobian(chain, q)
    ref_tip, ref_jac = chain.tip_and_jacobian(q)
    np.testing.assert_allclose(tip, ref_tip, atol=1e-14)
    np.testing.assert_allclose(jac, ref_jac, atol=1e-14)
    h = 1e-6
    for j in range(6):
        dq = np.zeros(6)
        dq[j] = h
        fd = (chain.tip(q + dq) - chain.tip(q - dq)) / (2 * h)
        np.testing.assert_allclose(jac[..., j], fd, atol=1e-8)
    # a hand number: one straight segment of length 2 along x moves the tip along +y
    assert np.allclose(kin.tip_and_jacobian(Chain([2.0]), np.zeros((1, 1)))[1], [[[0.0], [2.0]]])


# -- round trips --------------------------------------------------------------------------
@pytest.mark.parametrize("method, correction", CONFIGS, ids=IDS)
def test_round_trip_every_method(method, correction):
    rng = np.random.default_rng(11)
    chain = Chain([0.4, 0.3, 0.2, 0.1])
    targets = np.concatenate([targets_in(chain, rng, 12, 0.1, 0.5),
                              targets_in(chain, rng, 12, 0.5, 0.9),
                              targets_in(chain, rng, 6, 0.9, 0.99)])
    q0 = rng.uniform(-np.pi, np.pi, (len(targets), chain.n))
    res = solve_batch(chain, targets, q0, method=method, correction=correction, max_iter=2000,
                      restarts=10, seed=1)
    check_round_trip(chain, targets, res)


@pytest.mark.parametrize("method, correction",
                         FAST + [("ccd", "backtrack"), ("fabrik", "backtrack")])
@pytest.mark.parametrize("n", [2, 7, 20])
def test_round_trip_every_stratum(method, correction, n):
    """All reachable strata, up to 0.9999 of the reach, from random starts (CCD, whose
    convergence near full stretch is sublinear, up to 0.99)."""
    rng = np.random.default_rng(n)
    chain = Chain(np.full(n, 1.0 / n))
    strata = ((0.05, 0.5), (0.5, 0.9), (0.9, 0.99), (0.99, 0.9999))
    targets = np.concatenate([targets_in(chain, rng, 10, lo, hi) for lo, hi in
                              strata[:3 if method == "ccd" else 4]])
    q0 = rng.uniform(-np.pi, np.pi, (len(targets), n))
    budget = 60 if method in ("dls", "pinv") else 300
    res = solve_batch(chain, targets, q0, method=method, correction=correction, max_iter=budget,
                      restarts=8)
    check_round_trip(chain, targets, res)


def test_default_solve_is_dls_with_restarts_and_needs_nothing():
    chain = Chain([0.5, 0.3, 0.2])
    res = armsim.solve(chain, [0.2, 0.7])
    assert res.success and res.reason == "converged" and res.iterations > 0
    assert np.linalg.norm(chain.tip(res.q) - [0.2, 0.7]) < 1e-6


# -- unreachable targets --------------------------------------------------------------------
@pytest.mark.parametrize("method, correction", CONFIGS, ids=IDS)
@pytest.mark.parametrize("target", [(2.0, 1.5), (0.0, -1.02)])
def test_unreachable_ends_at_full_reach_on_the_line(method, correction, target):
    chain = Chain([0.5, 0.3, 0.2])
    target = np.array(target)
    res = solve(chain, target, q0=[0.3, 0.3, 0.3], method=method, correction=correction,
                max_iter=3000, restarts=0)
    assert not res.success and res.reason == "unreachable"
    assert np.all(np.isfinite(res.q))
    tip = chain.tip(res.q)
    nearest = target / np.linalg.norm(target) * chain.reach
    # the Jacobian methods and FABRIK end within tol of the nearest point; the gradient family
    # and CCD approach it sublinearly (the error is quadratic in the bends there)
    close = 1e-6 if method in ("dls", "pinv", "fabrik") else 5e-2
    assert np.linalg.norm(tip - nearest) < close
    assert res.residual == pytest.approx(np.linalg.norm(target - tip))


@pytest.mark.parametrize("method, correction", [c for c in CONFIGS if c[1] != "clip"],
                         ids=[i for c, i in zip(CONFIGS, IDS) if c[1] != "clip"])
def test_unreachable_does_not_oscillate(method, correction):
    """One iteration at a time: the distance to the nearest reachable point never grows
    and the joint steps die out."""
    chain = Chain([0.5, 0.3, 0.2])
    target = np.array([1.2, 0.4])
    nearest = target / np.linalg.norm(target) * chain.reach
    solver = Solver(chain, method=method, correction=correction, max_iter=1)
    q = np.array([0.3, 0.3, 0.3])
    dists, steps = [], []
    for _ in range(300):
        qn, _, _, reasons = solver.run(target[None], q[None])
        steps.append(np.max(np.abs(qn[0] - q)))
        q = qn[0]
        dists.append(np.linalg.norm(chain.tip(q) - nearest))
        assert reasons[0] == "unreachable"
    assert np.all(np.diff(dists) <= 1e-15)
    assert max(steps[-10:]) < 1e-2 * max(steps)


def test_clip_law_beyond_reach_settles_near_full_reach():
    """The original law, aimed at the nearest point, shrinks its limit with the distance."""
    chain = Chain([0.5, 0.3, 0.2])
    target = np.array([1.2, 0.4])
    nearest = target / np.linalg.norm(target) * chain.reach
    res = solve(chain, target, q0=[0.3, 0.3, 0.3], method="gradient", correction="clip",
                max_iter=3000, restarts=0)
    assert res.reason == "unreachable"
    assert np.linalg.norm(chain.tip(res.q) - nearest) < 5e-2


def test_target_inside_the_hole_is_unreachable():
    chain = Chain([0.7, 0.2, 0.1])               # inner radius 2 * 0.7 - 1 = 0.4
    for kw in (dict(max_iter=100, restarts=0), {}):
        res = solve(chain, [0.1, 0.1], **kw)
        assert res.reason == "unreachable" and not res.success
        tip = chain.tip(res.q)
        assert np.linalg.norm(tip - [0.4 / np.sqrt(2), 0.4 / np.sqrt(2)]) < 1e-6


def test_fold_plan_puts_the_tip_on_the_inner_circle():
    # [0.7, 0.2, 0.1]: the longest first, the others bent back at joint 1 by
    # arccos((r^2 - 0.58) / 0.42): at r = 0.4, pi (folded straight back)
    assert kin.fold_plan(np.array([0.7, 0.2, 0.1])) == pytest.approx((1, -1, 0.58, 0.42))
    # the longest in the middle: joint 1 at pi, joint 2 bent; the longest last: joint 2 bent
    assert kin.fold_plan(np.array([0.1, 0.7, 0.2]))[:2] == (2, 1)
    assert kin.fold_plan(np.array([0.1, 0.2, 0.7]))[:2] == (2, -1)
    assert kin.fold_plan(np.array([0.5])) is None
    for lengths in ([0.7, 0.2, 0.1], [0.1, 0.7, 0.2], [0.1, 0.2, 0.7]):
        j, flip, a, b = kin.fold_plan(np.array(lengths))
        for r in (0.4, 0.4 + 1e-7, 0.41):
            q = np.zeros(3)
            if flip >= 0:
                q[flip] = np.pi
            q[j] = np.arccos((r * r - a) / b)
            assert np.linalg.norm(Chain(lengths).tip(q)) == pytest.approx(r, abs=1e-12)


@pytest.mark.parametrize("lengths", [[0.6, 0.2, 0.1], [0.1, 0.6, 0.15, 0.05], [0.1, 0.2, 0.6],
                                     [0.05, 0.1, 0.8, 0.1, 0.05]])
def test_targets_on_the_rim_of_the_hole_are_solved(lengths):
    """An arm whose longest segment is longer than the others together reaches the inner
    circle only folded (turns of pi), which the restarts' bending patterns never reach: a
    target on that circle or within 1e-4 of it was missed (8e-6 m short with the defaults)
    until the starts near it fold the arm (kin.fold_plan)."""
    rng = np.random.default_rng(3)
    chain = Chain(lengths, base=(0.3, -0.2))
    r_in = kin.workspace(chain)[0]
    r = r_in * (1.0 + np.concatenate([[0.0], np.logspace(-12, -4, 9)]))
    a = rng.uniform(-np.pi, np.pi, len(r))
    targets = chain.base + np.stack([r * np.cos(a), r * np.sin(a)], axis=-1)
    batch = solve_batch(chain, targets)
    check_round_trip(chain, targets, batch)
    for i, t in enumerate(targets):         # the single solve (floats): the same bits
        one = solve(chain, t)
        assert np.array_equal(one.q, batch.q[i]) and one.iterations == batch.iterations[i]
    # a target inside the hole ends on its rim, the nearest point, to the tolerance
    inside = solve(chain, chain.base + [0.5 * r_in, 0.0])
    assert inside.reason == "unreachable"
    assert np.linalg.norm(chain.tip(inside.q) - chain.base - [r_in, 0.0]) < 1e-6 * chain.reach


def test_a_fold_the_limits_forbid_leaves_the_patterns_start():
    # joints limited to +-2.6 rad cannot turn by pi: the start near the rim is the bending
    # pattern's (a problem without its fold: a problem of its own, not the solver's kept
    # one), inside the limits; unlimited, it folds
    from armsim.ik.problems import PlanarPoint
    limited = Chain([0.6, 0.2, 0.1], limits=[[-2.6, 2.6]] * 3)
    prob, plain = PlanarPoint(limited), PlanarPoint(limited)
    assert prob._fold is not None and prob is not plain
    plain._fold = None
    shapes, dists = kin._restart_table(limited.lengths, 4, 0)
    aim = np.array([[0.3 + 1e-6, 0.0]])
    free = PlanarPoint(Chain([0.6, 0.2, 0.1]))
    for k in range(4):
        start = prob.pointed(shapes[k], dists[k], aim)
        assert np.array_equal(start, plain.pointed(shapes[k], dists[k], aim))
        assert np.all(np.abs(start) <= 2.6)
        folded = free.pointed(shapes[k], dists[k], aim)
        assert abs(abs(folded[0, 1]) - np.pi) < 0.01       # the fold: joint 1 near pi
        assert np.linalg.norm(Chain([0.6, 0.2, 0.1]).tip(folded) - aim) < 1e-12


def test_the_fold_is_taken_only_where_it_reaches():
    # l_max - A + C = 1.35 - 0.88 + 0.37 = 0.84: a target 1.07 m from the base is beyond
    # the fold's reach (and nearer than every pattern's most bent shape): the patterns'
    # starts, which solve it (the fold's, clipped, missed it by 0.2 m)
    chain = Chain([0.25, 0.24, 0.39, 1.35, 0.37], base=(0.18, 0.16))
    for target in ([0.80, 1.03], [-0.84, 0.25]):
        res = solve(chain, target)
        assert res.success and np.linalg.norm(chain.tip(res.q) - target) < 1e-6 * chain.reach


@pytest.mark.parametrize("method, correction", CONFIGS, ids=IDS)
def test_target_at_base_and_singular_start_stay_finite(method, correction):
    chain = Chain([0.5, 0.5])
    res = solve(chain, [0.0, 0.0], q0=[0.0, 0.0], method=method, correction=correction,
                max_iter=200)
    assert np.all(np.isfinite(res.q)) and np.isfinite(res.residual)
    res = solve(chain, [2.0, 0.0], q0=[0.0, 0.0], method=method, correction=correction,
                max_iter=50)  # straight arm, target straight ahead beyond reach: J^T e = 0
    assert np.all(np.isfinite(res.q)) and res.reason == "unreachable"


def test_success_only_under_tol():
    chain = Chain([1.0, 1.0])
    res = solve(chain, [1.0, 1.0], method="gradient", correction="clip", max_iter=3, restarts=0)
    assert not res.success and res.reason == "max_iter" and res.iterations == 3
    assert res.residual >= 1e-6 * chain.reach


# -- joint limits ------------------------------------------------------------------------------
@pytest.mark.parametrize("method, correction", CONFIGS, ids=IDS)
def test_joint_limits_are_never_violated(method, correction):
    rng = np.random.default_rng(5)
    limits = np.array([[-0.5, 0.5], [0.0, 1.0], [-1.0, 0.0]])
    chain = Chain([0.4, 0.4, 0.2], limits=limits)
    targets = chain.tip(rng.uniform(limits[:, 0], limits[:, 1], (10, 3)))
    targets = np.concatenate([targets, [[-0.8, 0.0], [2.0, 0.0], [0.0, 0.05]]])
    q0 = rng.uniform(-3, 3, (len(targets), 3))     # starts outside the limits are clipped
    res = solve_batch(chain, targets, q0, method=method, correction=correction, max_iter=500,
                      restarts=2)
    assert all(chain.within_limits(q) for q in res.q)
    # a target reachable only outside the limits is not reached by breaking them
    assert not res.success[10]
    if method in ("dls", "pinv"):
        assert res.success[:10].all()


@pytest.mark.parametrize("width", [0.5, 1.0, 1.5, 2.0])
def test_the_defaults_solve_limited_planar_arms(width):
    """Joint limits of +-width rad: a restart's bending pattern, turned at the base to point
    at the aim, is clipped by them and lands far away; such starts take the table of joint
    vectors sampled within the limits instead (its k-th nearest tip).  Before, the defaults
    missed a few percent of these targets (reachable: the tips of joint vectors within the
    limits), and even 64 restarts missed some; this fails without the table."""
    rng = np.random.default_rng(int(width * 10))
    for _ in range(40):
        n = int(rng.integers(2, 8))
        chain = Chain(rng.uniform(0.1, 0.4, n), base=rng.uniform(-1, 1, 2),
                      limits=np.tile([-width, width], (n, 1)))
        targets = chain.tip(rng.uniform(-width, width, (6, n)))
        res = solve_batch(chain, targets)
        check_round_trip(chain, targets, res)
        assert all(chain.within_limits(q) for q in res.q)
        for i in (0, 5):                    # the single solve (floats): the same solve
            one = solve(chain, targets[i])
            assert one.iterations == res.iterations[i]
            np.testing.assert_allclose(one.q, res.q[i], rtol=0, atol=1e-12)


def test_limits_open_on_a_side_and_seed_sequences_make_a_table():
    # a side left open: the turn next to the other side (both open: [-pi, pi]); the table's
    # draws stay within the limits and the solves run (an open side raised OverflowError)
    chain = Chain([0.4, 0.3, 0.2], limits=[[-np.inf, np.inf], [0.0, np.inf], [-np.inf, 1.0]])
    qs, tips = kin.limited_table(chain, 0)
    assert np.all(np.abs(qs[:, 0]) <= np.pi)
    assert np.all((qs[:, 1] >= 0.0) & (qs[:, 1] <= 2 * np.pi))
    assert np.all((qs[:, 2] >= 1.0 - 2 * np.pi) & (qs[:, 2] <= 1.0))
    res = solve_batch(chain, [[0.3, 0.5], [-0.5, 0.1]])
    assert np.all(np.isfinite(res.q)) and all(chain.within_limits(q) for q in res.q)
    for t in ([0.3, 0.5], [-0.5, 0.1]):
        assert chain.within_limits(solve(chain, t).q)
    # a SeedSequence seed: the same table (and answers) each time, single as batch
    limited = Chain([0.4, 0.3, 0.2], limits=[[-1.0, 1.0]] * 3)
    seq = np.random.SeedSequence(3)
    a, b = kin.limited_table(limited, seq), kin.limited_table(limited, np.random.SeedSequence(3))
    assert np.array_equal(a[0], b[0])
    # its own stream, spawned from the seed's (not the seed's own draws, which the
    # restarts' patterns take)
    own = np.random.default_rng(np.random.SeedSequence(3, spawn_key=(kin.LIMITED_STREAM,)))
    np.testing.assert_array_equal(a[0], own.uniform(-1.0, 1.0, (kin.LIMITED_TABLE, 3)))
    targets = limited.tip(np.random.default_rng(1).uniform(-1.0, 1.0, (6, 3)))
    batch = solve_batch(limited, targets, seed=np.random.SeedSequence(3))
    for i, t in enumerate(targets):
        one = solve(limited, t, seed=np.random.SeedSequence(3))
        assert one.iterations == batch.iterations[i]
        np.testing.assert_allclose(one.q, batch.q[i], rtol=0, atol=1e-12)


@pytest.mark.parametrize("limits, q0, target", [
    ([[-13.0, 13.0]] * 2, [12.72, 10.73], [0.1858, 0.6533]),    # wider than a turn each way
    ([[0.0, np.inf], [-1.0, 20.0]], [0.2, 2.9], [-0.5, 0.2]),   # open on one side
])
def test_a_restart_s_whole_turn_toward_q0_stays_within_the_limits(limits, q0, target):
    """After a restart, an angle open (or wider than 4 pi) on its upper side is turned by
    whole turns to within pi of q0 -- only where the turned angle stays within its limits
    (the turn crossed a bound: 14.48 with limits of +-13)."""
    chain = Chain([0.5, 0.4], limits=limits)
    one, batch = solve(chain, target, q0=q0), solve_batch(chain, [target], [q0])
    for q in (one.q, batch.q[0]):
        assert chain.within_limits(q)
        assert np.linalg.norm(chain.tip(q) - target) < 1e-6 * chain.reach
    np.testing.assert_allclose(one.q, batch.q[0], rtol=0, atol=1e-12)
    # the pose is the one solved: each angle within pi of q0 where a turn could bring it
    # there inside the limits
    lo, hi = np.array(limits, dtype=float).T
    for v, c, a, b in zip(one.q, q0, lo, hi):
        turned = v + 2 * np.pi * np.rint((c - v) / (2 * np.pi))
        assert abs(v - c) <= np.pi + 1e-12 or not (a <= turned <= b)


def test_random_planar_arms_and_limits_keep_every_answer_inside_them():
    """Arms of 1 to 6 segments (a third with a hole), limits asymmetric, open on one side,
    wider than a turn or none, q0 anywhere, targets reachable and not: every answer, single
    and batch, is finite and within the limits, a success is one by forward kinematics, and
    the single solve takes the batch's iterations.  (Before the whole turn was kept within the
    limits, many of these answers left them.)"""
    rng = np.random.default_rng(99)
    for _ in range(80):
        n = int(rng.integers(1, 7))
        lengths = rng.uniform(0.05, 0.5, n)
        if rng.uniform() < 0.3:
            m = int(rng.integers(0, n))
            lengths[m] = lengths.sum() - lengths[m] + rng.uniform(0.01, 0.3)
        kind = rng.integers(0, 4)
        lo, hi = rng.uniform(-4, 0, n), rng.uniform(0, 4, n)
        if kind == 1:
            hi = np.where(rng.uniform(size=n) < 0.5, np.inf, hi)
        if kind == 2:
            lo, hi = np.where(rng.uniform(size=n) < 0.5, -np.inf, lo), hi + 10.0
        limits = None if kind == 3 else np.stack([lo, hi], axis=1)
        chain = Chain(lengths, base=rng.uniform(-1, 1, 2), limits=limits)
        qa = rng.uniform(np.maximum(lo, -7.0), np.minimum(hi, 7.0), (4, n))
        targets = np.concatenate([chain.tip(qa), rng.uniform(-2, 2, (2, 2))])
        q0 = rng.uniform(-8, 8, (len(targets), n))
        batch = solve_batch(chain, targets, q0)
        for i, t in enumerate(targets):
            one = solve(chain, t, q0=q0[i])
            assert one.iterations == batch.iterations[i]
            for q, ok in ((one.q, one.success), (batch.q[i], batch.success[i])):
                assert np.all(np.isfinite(q)) and chain.within_limits(q), (limits, q)
                assert not ok or np.linalg.norm(chain.tip(q) - t) < 1e-6 * chain.reach


def test_a_limited_planar_restart_keeps_a_pattern_start_inside_the_limits():
    chain = Chain([0.4, 0.3, 0.2], limits=[[-3.0, 3.0]] * 3)
    prob = Solver(chain).problem
    start = prob.restart_starts(4, 0)
    shapes, dists = kin._restart_table(chain.lengths, 4, 0)
    qs, tips = kin.limited_table(chain, 0)
    assert qs.shape == (kin.LIMITED_TABLE, 3) and np.all(np.abs(qs) <= 3.0)
    np.testing.assert_array_equal(tips, chain.tip(qs))
    aim = chain.tip(np.random.default_rng(0).uniform(-3.0, 3.0, (20, 3)))
    kinds = []
    for k in range(4):
        got, pattern = start(k, aim), prob.pointed(shapes[k], dists[k], aim, clip=False)
        for row in range(len(aim)):
            kinds.append(chain.within_limits(pattern[row]))
            if kinds[-1]:
                np.testing.assert_array_equal(got[row], pattern[row])
            else:                       # the table's entry whose tip is k-th nearest the aim
                d = np.sum((tips - aim[row]) ** 2, axis=1)
                np.testing.assert_array_equal(got[row], qs[np.argsort(d, kind="stable")[k]])
    assert 0 < sum(kinds) < len(kinds)                     # both kinds of start were drawn
    assert kin.limited_table(chain, 0)[0] is qs            # kept per chain and seed


# -- restarts and batches ----------------------------------------------------------------------
def test_restarts_rescue_a_bad_start_and_are_deterministic():
    chain = Chain(np.full(20, 0.05))
    rng = np.random.default_rng(3)
    targets = targets_in(chain, rng, 30, 0.99, 0.9999)
    q0 = rng.uniform(-np.pi, np.pi, (30, 20))
    single = solve_batch(chain, targets, q0, max_iter=15, restarts=0)
    rescued = solve_batch(chain, targets, q0, max_iter=15, restarts=8, seed=7)
    assert single.success.mean() < 1.0 and rescued.success.all()
    again = solve_batch(chain, targets, q0, max_iter=15, restarts=8, seed=7)
    np.testing.assert_array_equal(again.q, rescued.q)
    np.testing.assert_array_equal(again.iterations, rescued.iterations)
    other = solve_batch(chain, targets, q0, max_iter=15, restarts=8, seed=8)
    assert not np.array_equal(other.q, rescued.q)


@pytest.mark.parametrize("first_start", FIRST_STARTS)
@pytest.mark.parametrize("method, correction", CONFIGS, ids=IDS)
def test_solve_batch_equals_solve_problem_by_problem(method, correction, first_start):
    rng = np.random.default_rng(2)
    chain = Chain([0.6, 0.25, 0.15])            # a hole of radius 0.2
    targets = np.concatenate([targets_in(chain, rng, 5, 0.25, 0.99), [[1.3, 0.2], [0.05, 0.0]]])
    q0 = rng.uniform(-np.pi, np.pi, (len(targets), 3))
    q0[0] = solve(chain, targets[0], q0[0], method="dls").q + 0.01     # a good start, kept
    kw = dict(method=method, correction=correction, max_iter=40, restarts=2, seed=4,
              first_start=first_start)
    batch = solve_batch(chain, targets, q0, **kw)
    assert batch.q.shape == (7, 3) and batch.success.shape == (7,) and batch.reason.shape == (7,)
    for i in range(len(targets)):
        one = solve(chain, targets[i], q0[i], **kw)
        np.testing.assert_allclose(batch.q[i], one.q, rtol=0, atol=1e-12)
        assert batch.iterations[i] == one.iterations and batch.reason[i] == one.reason
        assert batch.success[i] == one.success
        assert batch.residual[i] == pytest.approx(one.residual, abs=1e-12)


def test_first_iter_is_the_budget_of_the_callers_start_only():
    chain = Chain(np.full(7, 1 / 7))
    target, q0 = np.array([0.0, 0.995]), np.linspace(-3, 3, 7)     # a bad start, near full reach
    alone = solve(chain, target, q0, restarts=0, max_iter=1)
    assert alone.iterations == 1 and alone.reason == "max_iter"
    short = solve(chain, target, q0, first_iter=1, max_iter=50, restarts=3)
    assert short.success and short.iterations > 1                   # a restart finished it
    assert solve(chain, target, q0, first_iter=1, max_iter=50, restarts=0).iterations > 1


# -- which start goes first ------------------------------------------------------------------
def near_solutions(n, count, noise, seed):
    """Targets reached by random angles, and starts = those angles + Gaussian noise [rad]."""
    chain = Chain(np.full(n, 1.0 / n))
    rng = np.random.default_rng(seed)
    qs = rng.uniform(-np.pi, np.pi, (count, n))
    return chain, chain.tip(qs), qs + rng.normal(0.0, noise, qs.shape)


def test_defaults_iterate_first_from_the_nearer_start():
    assert DEFAULTS["first_start"] == "nearer"
    assert Solver(Chain([0.5, 0.5])).first_start == "q0"        # the simulation's solver
    assert Solver(Chain([0.5, 0.5])).q0_radius == pytest.approx(0.2)


def test_nearer_start_keeps_a_good_q0():
    """Starts within q0_radius of their target keep q0 first: the same answers as with
    first_start='q0', each a few iterations from its start and near it."""
    chain, targets, q0 = near_solutions(7, 200, 0.02, seed=1)
    start_err = np.linalg.norm(chain.tip(q0) - targets, axis=-1)
    assert start_err.max() < 0.2 * chain.reach
    nearer = solve_batch(chain, targets, q0)
    check_round_trip(chain, targets, nearer)
    first_q0 = solve_batch(chain, targets, q0, first_start="q0")
    np.testing.assert_array_equal(nearer.q, first_q0.q)
    np.testing.assert_array_equal(nearer.iterations, first_q0.iterations)
    assert nearer.iterations.max() <= DEFAULTS["first_iter"]
    assert np.max(np.abs(kin.wrap(nearer.q - q0))) < 0.1
    # compared on the distances alone (q0_radius=0), the restart's start (its tip within about
    # 1e-4 R of the target) would take most of these problems away from q0
    plain = solve_batch(chain, targets, q0, q0_radius=0.0)
    assert np.mean(np.max(np.abs(kin.wrap(plain.q - q0)), axis=-1) > 0.1) > 0.5


def test_nearer_start_spends_nothing_on_a_far_q0():
    """A far q0 costs no iterations: the answer and the count are those of the first
    restart's start alone (first_start='q0' with first_iter=0)."""
    chain = Chain(np.full(10, 0.1))
    rng = np.random.default_rng(4)
    targets = np.concatenate([targets_in(chain, rng, 20, 0.05, 0.9999), [[0.0, 1.5]]])
    q0 = rng.uniform(-np.pi, np.pi, (len(targets), 10))
    far = np.linalg.norm(chain.tip(q0) - targets, axis=-1) > 0.2
    nearer = solve_batch(chain, targets, q0)
    skipped = solve_batch(chain, targets, q0, first_start="q0", first_iter=0)
    old = solve_batch(chain, targets, q0, first_start="q0")
    assert far.sum() >= 15 and nearer.success[:-1].all() and nearer.reason[-1] == "unreachable"
    np.testing.assert_array_equal(nearer.q[far], skipped.q[far])
    np.testing.assert_array_equal(nearer.iterations[far], skipped.iterations[far])
    assert nearer.iterations[-1] == 0                  # straight arm pointing at the target
    assert np.median(nearer.iterations) < np.median(old.iterations)


def test_nearer_start_keeps_q0_as_the_next_start():
    """The start not taken first comes second: with no budget for the restarts, a far q0
    still gets its first_iter iterations after the (unfinished) restart's start."""
    chain = Chain([0.5, 0.3, 0.2])
    target, q0 = np.array([0.1, 0.6]), np.array([2.5, -2.0, 1.0])
    assert np.linalg.norm(chain.tip(q0) - target) > 0.2
    res = solve(chain, target, q0, max_iter=0, first_iter=50, restarts=1)
    alone = solve(chain, target, q0, max_iter=50, restarts=0)
    assert res.success and alone.success
    np.testing.assert_array_equal(res.q, alone.q)
    assert res.iterations == alone.iterations


def test_nearer_start_tie_goes_to_q0():
    """q0 equal to the first restart's start (a tie): q0 goes first, with first_iter, and
    the same start then comes second with max_iter."""
    chain = Chain(np.full(7, 1 / 7))
    target = np.array([0.3, 0.5])
    # the first restart's start: the better of a far q0 and that start, both after 0 iterations
    g = solve(chain, target, np.full(7, 2.0), first_start="q0", first_iter=0, max_iter=0,
              restarts=1).q
    assert 0 < np.linalg.norm(chain.tip(g) - target) < 1e-2
    # the gradient takes several iterations from there, so the order shows in the count
    kw = dict(method="gradient", correction="backtrack", max_iter=500)
    alone = solve(chain, target, g, restarts=0, **kw)
    assert alone.success and alone.iterations >= 2
    tie = solve(chain, target, g, first_iter=1, q0_radius=0.0, **kw)
    assert tie.success and tie.iterations == 1 + alone.iterations
    # one step nearer than the restart's start: still q0 first
    one = solve(chain, target, g, restarts=0, **dict(kw, max_iter=1)).q
    nearer = solve(chain, target, one, first_iter=500, q0_radius=0.0, **kw)
    from_one = solve(chain, target, one, restarts=0, **kw)
    np.testing.assert_array_equal(nearer.q, from_one.q)
    assert nearer.iterations == from_one.iterations and not np.array_equal(nearer.q, alone.q)


@pytest.mark.parametrize("radius", [0.0, None])
def test_nearer_start_returns_a_solving_q0_as_it_is(radius):
    """A q0 that already solves the problem is returned as it is, with 0 iterations."""
    chain = Chain([0.4, 0.3, 0.2, 0.1])
    q0 = np.array([0.3, -0.7, 1.1, 0.2])
    res = solve(chain, chain.tip(q0), q0, q0_radius=radius)
    assert res.success and res.iterations == 0
    np.testing.assert_array_equal(res.q, q0)


def test_solve_batch_chunks_large_chains():
    chain = Chain(np.full(60, 1 / 60))
    rng = np.random.default_rng(9)
    targets = targets_in(chain, rng, 100, 0.1, 0.9)   # more rows than one chunk holds
    res = solve_batch(chain, targets, None, max_iter=60)
    check_round_trip(chain, targets, res)


# -- tracking ------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, correction", [("gradient", "backtrack"), ("dls", "backtrack")])
def test_tracking_error_never_grows_within_a_frame(method, correction):
    chain = Chain(np.full(7, 1 / 7))
    solver = Solver(chain, method=method, correction=correction, max_iter=3)
    t = np.arange(121) / 60.0
    path = np.stack([0.3 + 0.4 * np.cos(np.pi * t / 2), 0.4 * np.sin(np.pi * t / 2)], -1)
    q = solve(chain, path[0], np.full(7, 0.3)).q
    for k in range(1, len(path)):
        before = np.linalg.norm(chain.tip(q) - path[k])
        qn, _, res, _ = solver.run(path[k][None], q[None])
        assert res[0] <= before
        q = qn[0]


# -- validation ------------------------------------------------------------------------------------
def test_bad_names_raise_value_error_with_choices():
    chain = Chain([1.0])
    methods, corrections = ", ".join(METHODS), ", ".join(CORRECTIONS)
    with pytest.raises(ValueError, match=r"unknown method 'newton'; choose one of " + methods):
        solve(chain, [0.5, 0.5], method="newton")
    with pytest.raises(ValueError, match=r"unknown correction 'cl'; choose one of " + corrections):
        solve(chain, [0.5, 0.5], method="gradient", correction="cl")  # no prefix matching
    with pytest.raises(ValueError, match=r"unknown method 'DLS'"):
        solve_batch(chain, [[0.5, 0.5]], method="DLS")
    with pytest.raises(ValueError, match=r"unknown first_start 'near'; choose one of q0, nearer"):
        solve(chain, [0.5, 0.5], first_start="near")


_POS = "must be a number > 0 and <= 1e+50, got"
_NONNEG = "must be a number >= 0 and <= 1e+50, got"
_ITER = "must be an integer >= 0 and <= 1000000000000"     # MAX_ITER


@pytest.mark.parametrize("kwargs, message", [
    (dict(tol=0.0), f"tol {_POS} 0.0"),
    (dict(tol=1e200), f"tol {_POS} 1e+200"),             # issue 9 item 13: was OverflowError
    (dict(tol=float("nan")), f"tol {_POS} nan"),
    (dict(tol="x"), f"tol {_POS} 'x'"),
    (dict(tol="1e-3"), f"tol {_POS} '1e-3'"),              # text is not a number (was taken)
    (dict(damping=b"0.1"), f"damping {_POS} b'0.1'"),
    (dict(max_iter=-1), f"max_iter {_ITER}, got -1"),
    (dict(max_iter=2.5), f"max_iter {_ITER}, got 2.5"),
    (dict(max_iter=float("nan")), f"max_iter {_ITER}, got nan"),
    (dict(restarts=-1), "restarts must be an integer >= 0 and <= 10000, got -1"),
    (dict(restarts=10**9), "restarts must be an integer >= 0 and <= 10000, got 1000000000"),
    (dict(first_iter=-1), f"first_iter {_ITER} or None, got -1"),
    (dict(first_iter=float("inf")), f"first_iter {_ITER} or None, got inf"),
    (dict(q0_radius=-0.1), f"q0_radius {_NONNEG} -0.1"),
    (dict(q0_radius=float("nan")), f"q0_radius {_NONNEG} nan"),
    (dict(q0_radius=float("inf")), f"q0_radius {_NONNEG} inf"),
    (dict(step_size=-1.0), f"step_size {_POS} -1.0"),
    (dict(step_size=True), f"step_size {_POS} True"),
    (dict(damping=float("nan")), f"damping {_POS} nan"),
    (dict(damping=1e300), f"damping {_POS} 1e+300"),
    (dict(max_angular_speed=0.0), f"max_angular_speed {_POS} 0.0"),
    (dict(max_joint_step=float("inf")), f"max_joint_step {_POS} inf"),
    (dict(seed="a"), "seed must be None or an integer >= 0, got 'a'"),
    (dict(seed=-1), "seed must be None or an integer >= 0, got -1"),
])
def test_bad_numbers(kwargs, message):
    with pytest.raises(ValueError) as info:
        Solver(Chain([1.0]), **kwargs)
    assert str(info.value) == message
    for entry in (solve, lambda chain, target, **kw: solve_batch(chain, [target], **kw)):
        with pytest.raises(ValueError) as info:
            entry(Chain([1.0]), [0.5, 0.0], **kwargs)
        assert str(info.value) == message


def test_bad_target_and_start():
    chain = Chain([1.0, 1.0])
    cases = [
        (lambda: solve(chain, [np.nan, 0.0]),
         "target must be two finite numbers within +-1e+50, got [nan, 0.0]"),
        (lambda: solve(chain, [1e300, 0.0]),
         "target must be two finite numbers within +-1e+50, got [1e+300, 0.0]"),
        (lambda: solve(chain, [0.0, np.nan]),
         "target must be two finite numbers within +-1e+50, got [0.0, nan]"),
        (lambda: solve(chain, [0.0, -np.inf]),
         "target must be two finite numbers within +-1e+50, got [0.0, -inf]"),
        (lambda: solve(chain, [1.0, 0.0], q0=[0.0, np.nan]),
         "q0 must be finite numbers within +-1e+06 rad, got [0.0, nan]"),
        (lambda: solve(chain, [1.0, 0.0], q0=[np.inf, -np.inf]),
         "q0 must be finite numbers within +-1e+06 rad, got [inf, -inf]"),
        (lambda: solve(chain, "ab"), "target must be an array of numbers, got 'ab'"),
        (lambda: solve(chain, [1.0, 0.0], q0=[0.0]),
         "q0 must have shape (2,), got shape (1,)"),
        (lambda: solve(chain, [1.0, 0.0], q0=[1e308, 1e308]),
         "q0 must be finite numbers within +-1e+06 rad, got [1e+308, 1e+308]"),
        (lambda: solve_batch(chain, [1.0, 0.0]),
         "targets must have shape (B, 2), got shape (2,)"),
        (lambda: solve_batch(chain, [[1.0, 0.0], [1.0, np.inf]]),     # the row named
         "targets[1] must be finite numbers within +-1e+50, got [1.0, inf]"),
        (lambda: solve_batch(chain, [[1.0, 0.0], [0.0, 1.0]], q0=np.zeros((3, 2))),
         "q0 must have shape (2, 2), got shape (3, 2)"),
        (lambda: solve_batch(chain, [[1.0, 0.0], [0.0, 1.0]], q0=[[0.0, 0.0], [np.nan, 0.0]]),
         "q0[1] must be finite numbers within +-1e+06 rad, got [nan, 0.0]"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message


@pytest.mark.parametrize("method, correction", [("gradient", c) for c in CORRECTIONS]
                         + [(m, "backtrack") for m in METHODS if m != "gradient"])
@pytest.mark.parametrize("length", [1e-50, 1e50])
def test_extreme_sizes_give_finite_results_without_warnings(method, correction, length):
    """Issue 9 item 13: at both ends of the accepted lengths every method returns finite
    numbers (no overflow, no NaN warning), for a reachable and a far target."""
    import warnings
    chain = Chain([length] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for target in ([length, length], [1e50, -1e50]):
            r = solve(chain, target, method=method, correction=correction, restarts=2)
            assert np.all(np.isfinite(r.q)) and np.isfinite(r.residual)
        r = solve(chain, [length, length], method=method, correction=correction, restarts=2)
        assert r.residual < 1e-4 * length


def _python_calls(fn):
    """Python-level and C-level function calls made by ``fn()`` (a deterministic count)."""
    import sys
    count = [0]

    def prof(frame, event, arg):
        if event in ("call", "c_call"):
            count[0] += 1
    sys.setprofile(prof)
    try:
        out = fn()
    finally:
        sys.setprofile(None)
    return count[0], out


def test_single_solve_overhead_in_python_calls():
    """Issue 11 item 2: one default solve at N = 7 made 437 Python calls (521 from a near
    q0), 345 after the one-problem path of the loop; the float path of one planar ``dls``
    problem (:mod:`armsim.ik.scalar`) makes 213 (195), math's cos and sin included, with the
    answer of the batch path to rounding (the same iterations, reason and success)."""
    from armsim import solve, solve_batch
    c = Chain(np.full(7, 1 / 7))
    far = np.array([0.4, 0.3])
    solve(c, far)
    calls, res = _python_calls(lambda: solve(c, far))
    assert calls <= 230, calls
    near_q0 = res.q
    target = np.array([0.41, 0.3])
    calls_near, res_near = _python_calls(lambda: solve(c, target, near_q0))
    assert calls_near <= 230, calls_near
    for t, q0, r in ((far, None, res), (target, near_q0, res_near)):
        b = solve_batch(c, np.stack([t, [0.1, -0.7]]), None if q0 is None else np.stack([q0, q0]))
        np.testing.assert_allclose(b.q[0], r.q, rtol=0, atol=1e-12)
        assert b.iterations[0] == r.iterations and b.reason[0] == r.reason
        assert b.residual[0] == pytest.approx(r.residual, abs=1e-12) and r.success


def test_solve_makes_its_solver_once_per_settings(monkeypatch):
    """``solve`` keeps the solver of its settings (per thread): the same settings again
    make none, and the answer is the same; any other setting, a value of another type
    (1 and 1.0 are checked apart), a changed module setting the solver read, or another
    thread makes its own; objectives are never kept."""
    import threading

    from armsim.ik import loop
    made = []
    init = loop.Solver.__init__
    monkeypatch.setattr(loop.Solver, "__init__",
                        lambda self, *a, **k: made.append(1) or init(self, *a, **k))
    monkeypatch.setattr(loop, "_SOLVERS", threading.local())
    c = Chain(np.full(5, 0.2))
    target, start = np.array([0.5, 0.3]), np.full(5, 0.3)
    a = solve(c, target, start, first_start="q0", tol=1e-6)
    b = solve(c, target, start, first_start="q0", tol=1e-6)
    assert len(made) == 1
    np.testing.assert_array_equal(a.q, b.q)
    assert a.iterations == b.iterations and a.reason == b.reason
    loose = solve(c, target, start, first_start="q0", tol=1e-2)
    assert len(made) == 2 and a.residual < 1e-6 < loose.residual < 1e-2      # its own tol
    solve(c, target, start, first_start="q0", tol=1e-6, max_iter=11)
    assert len(made) == 3
    with pytest.raises(ValueError, match=f"max_iter {_ITER}, got 11.0"):
        solve(c, target, start, first_start="q0", tol=1e-6, max_iter=11.0)        # not the kept 11
    assert len(made) == 3          # (refused before a solver is made)
    monkeypatch.setattr(loop, "Q0_RADIUS", 0.5)
    solve(c, target, start, first_start="q0", tol=1e-6)
    assert len(made) == 4
    monkeypatch.setattr(loop, "CHUNK_ELEMENTS", 1e5)
    solve(c, target, start, first_start="q0", tol=1e-6)
    assert len(made) == 5
    monkeypatch.setitem(loop.DEFAULTS, "restarts", 3)        # a default the solver read
    solve(c, target, start, first_start="q0", tol=1e-6)
    assert len(made) == 6
    monkeypatch.setitem(loop.DEFAULTS, "restarts", 8)
    other = []
    threading.Thread(target=lambda: other.append(solve(c, target, start, first_start="q0", tol=1e-6))).start()
    while not other:
        threading.Event().wait(0.01)
    assert len(made) == 7
    np.testing.assert_array_equal(other[0].q, a.q)
    post = armsim.Posture(np.zeros(5), weight=1e-3)
    solve(c, target, start, first_start="q0", tol=1e-6, objectives=[post])
    solve(c, target, start, first_start="q0", tol=1e-6, objectives=[post])
    assert len(made) == 9


def test_solve_keeps_a_bounded_number_of_solvers(monkeypatch):
    """At most :data:`armsim.ik.loop.SOLVERS_KEPT` solvers per thread: many settings in
    turn never grow the store past it."""
    import threading

    from armsim.ik import loop
    monkeypatch.setattr(loop, "_SOLVERS", threading.local())
    c = Chain(np.full(3, 0.3))
    for k in range(3 * loop.SOLVERS_KEPT):
        solve(c, [0.4, 0.2], tol=1e-6 * (1 + k))
        assert len(loop._SOLVERS.kept) <= loop.SOLVERS_KEPT


def test_solve_documents_the_spatial_defaults_it_takes():
    # the docstring said give_up's spatial default was 40 (it is 60)
    from armsim.ik.problems import SpatialTarget as S
    doc = " ".join(solve.__doc__.split())
    assert (f"a spatial target: {S.default_max_iter}, {S.default_first_iter}, "
            f"{S.default_restarts} with ``dls``") in doc
    assert f"``default_give_up``, spatial {S.default_give_up};" in doc
    assert f"(spatial: {S.default_damping}," in doc


def test_a_max_iter_given_bounds_the_first_start_too():
    # max_iter=0 ran the first start's own budget (3 planar, 25 spatial) and could succeed
    chain = Chain([0.4, 0.3, 0.2, 0.1])
    r = solve(chain, [0.5, 0.4], q0=[0.3] * 4, max_iter=0)
    assert r.iterations == 0 and not r.success
    panda = armsim.robots.load("panda")
    r = armsim.solve(panda, [0.4, 0.1, 0.5], max_iter=0)
    assert r.iterations == 0 and not r.success
    # a first_iter given is kept; a larger max_iter leaves the problem's default
    assert 0 < solve(chain, [0.5, 0.4], q0=[0.3] * 4, max_iter=0, first_iter=2).iterations <= 2
    far = panda.matrix(panda.clip(np.full(7, 1.0)))
    a = armsim.solve(panda, far, max_iter=40, restarts=1)
    b = armsim.solve(panda, far, max_iter=40, first_iter=25, restarts=1)
    assert (a.iterations, a.q.tobytes()) == (b.iterations, b.q.tobytes())


def test_a_method_given_as_a_numpy_string_is_named_as_text():
    # "method np.str_('fabrik') needs a planar chain"
    with pytest.raises(ValueError) as err:
        armsim.solve(armsim.robots.load("panda"), [0.3, 0.1, 0.4], method=np.str_("fabrik"))
    assert str(err.value) == ("method 'fabrik' needs a planar chain; for this problem choose "
                              "one of dls, gradient, pinv, ccd")


@pytest.mark.parametrize("limits", [None, [(-np.inf, -0.5)]])
def test_a_tight_tol_on_one_segment_is_no_division_by_zero(limits):
    """One segment: J J^T has rank 1, and with lam2 far below |J|^2 (a tol of 1e-10 or
    less) its determinant rounds to 0.  The float path raised ZeroDivisionError and the
    arrays warned; now the step is rejected (no move) on both, and every answer is honest."""
    chain = armsim.Chain([1.0], limits=limits)
    for target, tol in (([2.0, 0.3], 1e-10), ([-0.5, 0.1], 1e-11), ([0.6, 0.8], 1e-14),
                        ([0.0, 0.0], 1e-12)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            one = armsim.solve(chain, target, tol=tol)
            rows = armsim.solve_batch(chain, np.array([target]), tol=tol)
        for q, ok, res in ((one.q, one.success, one.residual),
                           (rows.q[0], rows.success[0], rows.residual[0])):
            assert np.isfinite(q).all() and np.isfinite(res)
            assert ok == (np.linalg.norm(chain.tip(q) - target) < tol)
            if limits:
                assert q[0] <= -0.5
