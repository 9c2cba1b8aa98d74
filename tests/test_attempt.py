"""The attempt's rules live in one place (armsim.ik.attempt): every speed path -- the planar
float path, the spatial float path (one chain, and a robot's several tools), the batch loop
and its one-row driver -- calls the same functions, and a function replaced there changes
them all alike.  Each function gives on one row of floats what it gives on that row of a
batch."""

import numpy as np
import pytest

import armsim
from armsim import Chain
from armsim.ik import attempt, rules, settings
from armsim.ik.loop import Solver

PATHS = ("planar single", "planar batch", "planar one-row batch", "spatial single",
         "spatial batch", "tree single", "tree batch")


def _cases():
    """{path: a function returning the iterations of a few seeded solves}."""
    rng = np.random.default_rng(3)
    chain = Chain(rng.uniform(0.2, 1.0, 7), limits=np.tile([-2.0, 2.0], (7, 1)))
    targets = chain.reach * rng.uniform(-0.9, 0.9, (8, 2))
    # straight behind the base: in the annulus, out of the limits' reach (restarts run)
    targets = np.concatenate([targets, [[-0.999 * chain.reach, 0.0]]])
    panda = armsim.robots.load("panda")
    poses = panda.matrix(np.random.default_rng(4).uniform(
        panda.limits[:, 0], panda.limits[:, 1], (6, 7)))
    robot = armsim.robots.load_robot("dual_arm")
    lim = np.asarray(robot.limits, dtype=float)
    frames = robot.frames(np.random.default_rng(5).uniform(lim[:, 0], lim[:, 1], (4, robot.n)),
                          list(robot.tips))
    one = [{k: np.asarray(v)[i] for k, v in frames.items()} for i in range(4)]
    batch = {k: np.asarray(v) for k, v in frames.items()}

    def planar_single():
        # the defaults, and one start from the default start (the limited chain's table
        # starts solve most targets in an iteration or two, whatever the damping)
        out = []
        for restarts in (8, 0):
            s = Solver(chain, **{**armsim.ik.DEFAULTS, "restarts": restarts})
            assert s._scalar          # the float path
            out += [s.solve(t).iterations for t in targets]
        return out

    return {
        "planar single": planar_single,
        "planar batch": lambda: [i for r in (8, 0) for i in armsim.solve_batch(
            chain, targets, restarts=r).iterations.tolist()],
        # give_up: the array path of one row (Solver._attempt_one)
        "planar one-row batch": lambda: [armsim.solve(chain, t, give_up=3, restarts=r).iterations
                                         for r in (8, 0) for t in targets],
        "spatial single": lambda: [armsim.solve(panda, p).iterations for p in poses],
        "spatial batch": lambda: armsim.solve_batch(panda, poses).iterations.tolist(),
        "tree single": lambda: [armsim.solve(robot, t).iterations for t in one],
        "tree batch": lambda: armsim.solve_batch(robot, batch).iterations.tolist(),
    }


@pytest.mark.parametrize("name", ["damped", "recorded", "stopped", "stalled", "first_budget",
                                  "improved"])
def test_every_path_calls_the_one_rule(name, monkeypatch):
    cases = _cases()
    calls = []
    real = getattr(attempt, name)

    def counted(*args):
        calls.append(name)
        return real(*args)
    monkeypatch.setattr(attempt, name, counted)
    for path in PATHS:
        before = len(calls)
        cases[path]()
        assert len(calls) > before, (name, path)


def test_a_rule_replaced_in_one_place_changes_every_path(monkeypatch):
    """The damping rule replaced by a constant, heavy multiplier: every path's iterations change,
    and the single solves still equal the batch's (iterations)."""
    cases = _cases()
    before = {path: fn() for path, fn in cases.items()}
    monkeypatch.setattr(attempt, "damped", lambda nu, ok, xp: nu * 0.0 + 100.0)
    after = {path: fn() for path, fn in cases.items()}
    for path in PATHS:
        assert after[path] != before[path], path
    assert after["planar single"] == after["planar batch"]
    assert after["spatial single"] == after["spatial batch"]
    assert after["tree single"] == after["tree batch"]


def test_the_same_source_on_floats_and_on_arrays():
    """Each rule on one row of Python floats equals the rule on the batch, row by row."""
    rng = np.random.default_rng(0)
    b = 200
    f = rng.uniform(0, 1, b)
    ft = np.where(rng.uniform(size=b) < 0.3, f * (1 - 1e-10), rng.uniform(0, 1, b))
    best = np.where(rng.uniform(size=b) < 0.3, f / rules.LOWER, rng.uniform(0, 1, b))
    nu = 10.0 ** rng.uniform(-7, 13, b)
    since = rng.integers(0, 2 * rules.PATIENCE, b)
    reach = rng.uniform(size=b) < 0.5
    res2, res = rng.uniform(0, 1, b), rng.uniform(0, 1, b)
    off2, off = rng.uniform(0, 1, b), rng.uniform(0, 1, b)
    ea2, eb2 = rng.uniform(0, 1, b), rng.uniform(0, 1, b)
    F, A = attempt.FLOATS, attempt.ARRAYS
    ok = attempt.accepted(f, ft)
    batch = {
        "damped": attempt.damped(nu, ok, A),
        "recorded": np.stack(attempt.recorded(f, best, since, A)),
        "stopped": attempt.stopped(f, since, 0.05),
        "stalled": attempt.stalled(since, ok),
        "swapped": attempt.swapped(ea2, eb2, 0.3),
        "continuation": attempt.continuation(ea2, 0.3, 15, 3, A),
        "improved": attempt.improved(res2, res, off2, off, reach, A),
        "gave_up_count": attempt.gave_up_count(since, res2, res, off2, off, reach, A),
    }
    for i in range(b):
        r = [v[i].item() for v in (f, ft, best, nu, since, reach, res2, res, off2, off, ea2, eb2)]
        fi, fti, besti, nui, sincei, reachi, res2i, resi, off2i, offi, ea2i, eb2i = r
        oki = attempt.accepted(fi, fti)
        assert oki == ok[i]
        one = {
            "damped": attempt.damped(nui, oki, F),
            "recorded": attempt.recorded(fi, besti, sincei, F),
            "stopped": attempt.stopped(fi, sincei, 0.05),
            "stalled": attempt.stalled(sincei, oki),
            "swapped": attempt.swapped(ea2i, eb2i, 0.3),
            "continuation": attempt.continuation(ea2i, 0.3, 15, 3, F),
            "improved": attempt.improved(res2i, resi, off2i, offi, reachi, F),
            "gave_up_count": attempt.gave_up_count(sincei, res2i, resi, off2i, offi, reachi, F),
        }
        for key, value in one.items():
            want = batch[key][..., i]
            assert np.array_equal(np.asarray(value), want), (key, i, value, want)
    # the decisions that matter occur in the sample
    assert ok.any() and not ok.all() and batch["recorded"][1].min() == 0
    assert (batch["gave_up_count"] == 0).any() and (batch["gave_up_count"] > 0).any()


def test_the_rules_read_the_constants_when_they_run(monkeypatch):
    assert attempt.damped(1.0, True, attempt.FLOATS) == rules.NU_DOWN
    monkeypatch.setattr(rules, "NU_DOWN", 0.5)
    monkeypatch.setattr(settings, "GIVE_UP_FACTOR", 0.5)
    assert attempt.damped(1.0, True, attempt.FLOATS) == 0.5
    # 0.6 is not below 0.5 x 1.0: one more restart without gain
    assert attempt.gave_up_count(2, 0.6, 1.0, 0.6, 1.0, True, attempt.FLOATS) == 3
