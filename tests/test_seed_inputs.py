"""Seeds other than an int: a SeedSequence or a list of integers is taken on every problem
(the same answers each call, solve as solve_batch), a Generator is refused in one line."""

import numpy as np
import pytest

import armsim

SEED = "seed must be None or an integer >= 0, got "


@pytest.fixture(scope="module")
def robots():
    return armsim.robots.load("panda"), armsim.robots.load_robot("dual_arm")


@pytest.mark.parametrize("make", [lambda: np.random.SeedSequence(7), lambda: [7, 3]])
def test_solve_takes_a_seed_sequence_or_a_list_on_a_spatial_chain_and_a_robot(robots, make):
    panda, dual = robots
    T = armsim.pose([-0.1, -0.5, 0.9], rpy=[0.3, 2.0, 0.0])
    a, b = armsim.solve(panda, T, seed=make()), armsim.solve(panda, T, seed=make())
    assert a.success and a.q.tobytes() == b.q.tobytes()
    batch = armsim.solve_batch(panda, T[None], seed=make())
    assert batch.iterations[0] == a.iterations
    np.testing.assert_allclose(batch.q[0], a.q, rtol=0, atol=1e-9)
    targets = {"left_tool": [0.3, 0.3, 0.5], "right_tool": [0.3, -0.3, 0.5]}
    c, d = armsim.solve(dual, targets, seed=make()), armsim.solve(dual, targets, seed=make())
    assert c.success and c.q.tobytes() == d.q.tobytes()
    armsim.prepare(panda, T, seed=make())


@pytest.mark.parametrize("seed", [np.random.default_rng(0), np.random.PCG64(1), True, False,
                                  np.True_])
def test_solve_refuses_a_generator_seed_in_one_line(robots, seed):
    """(A bool, as every count refuses it: seed=True was taken as seed 1.)"""
    panda, _ = robots
    for task, target in ((panda, [0.3, 0.2, 0.4]), (armsim.Chain([0.4, 0.3]), [0.5, 0.2])):
        with pytest.raises(ValueError, match="^" + SEED):
            armsim.solve(task, target, seed=seed)
        with pytest.raises(ValueError, match="^" + SEED):
            armsim.solve_batch(task, [target], seed=seed)


def test_solve_batch_refuses_too_many_rows_before_it_copies_them(robots):
    """A broadcast view of 10^9 rows costs no memory; solve_batch copied it (and its
    per-row arrays: about 1.5 kB a row) until the process was killed."""
    panda, dual = robots
    huge = 10 ** 9
    msg = "^solve_batch takes at most 4,000,000 rows, got 1,000,000,000; solve them in parts$"
    point, T = np.array([0.3, 0.2, 0.4]), armsim.pose([0.3, 0.2, 0.4])
    for task, targets in (
            (panda, np.broadcast_to(point, (huge, 3))),
            (panda, np.broadcast_to(T, (huge, 4, 4))),
            (panda, armsim.Target(np.broadcast_to(T, (huge, 4, 4)), weights=[1] * 6)),
            (armsim.Chain([0.4, 0.3]), np.broadcast_to(point[:2], (huge, 2))),
            (dual, {"left_tool": np.broadcast_to(point, (huge, 3))}),
            (dual, {"left_tool": point[None], "right_tool": np.broadcast_to(T, (huge, 4, 4))})):
        with pytest.raises(ValueError, match=msg):
            armsim.solve_batch(task, targets)
    with pytest.raises(ValueError, match=msg):
        armsim.Solver(panda).solve_batch(np.broadcast_to(point, (huge, 3)))


def test_solve_names_what_ccd_needs_on_a_robot(robots):
    """ccd on a robot said "needs a planar chain", but a spatial chain takes it too."""
    panda, dual = robots
    assert armsim.solve(panda, [0.3, 0.2, 0.4], method="ccd").success
    with pytest.raises(ValueError) as err:
        armsim.solve(dual, {"left_tool": [0.3, 0.3, 0.5]}, method="ccd")
    assert str(err.value) == ("method 'ccd' needs a chain, planar or spatial; for this problem "
                              "choose one of dls, gradient, pinv")


def _fields(res):
    """Each array field of a batch's result: its shape past the rows (None when absent)."""
    out = {}
    for name in ("q", "success", "iterations", "residual", "reason", "position_residual",
                 "orientation_residual", "objectives", "targets"):
        v = getattr(res, name)
        out[name] = (None if v is None else {k: np.shape(a)[1:] for k, a in v.items()}
                     if isinstance(v, dict) else np.shape(v)[1:])
    return out


@pytest.mark.parametrize("kind", ["pose", "position"])
def test_solve_batch_of_no_rows_has_the_fields_of_one_row(robots, kind):
    """A batch of 0 rows of a spatial chain gave position_residual and orientation_residual
    None where a batch of 1 gives (1,) arrays: `res.position_residual < tol` broke."""
    panda, dual = robots
    T = armsim.pose([0.3, 0.2, 0.4], rpy=[np.pi, 0.0, 0.0])
    t = T if kind == "pose" else T[:3, 3]
    for task, one, none in ((panda, t[None], t[None][:0]),
                            (dual, {"left_tool": t[None]}, {"left_tool": t[None][:0]})):
        a, b = armsim.solve_batch(task, one), armsim.solve_batch(task, none)
        assert _fields(a) == _fields(b)
        assert b.position_residual.shape == b.orientation_residual.shape == (0,)


def test_solve_names_an_unknown_option_in_one_line(robots):
    """solve(panda, p, tolerance=1e-9) raised TypeError: Solver.__init__() got an unexpected
    keyword argument 'tolerance' (a class the caller never named)."""
    panda, dual = robots
    msg = ("unknown option 'tolerance'; the options: damping, max_angular_speed, "
           "max_joint_step, step_size (and the named parameters of solve)")
    for call in (lambda: armsim.solve(panda, [0.3, 0.2, 0.4], tolerance=1e-9),
                 lambda: armsim.solve_batch(panda, [[0.3, 0.2, 0.4]], tolerance=1e-9),
                 lambda: armsim.solve(dual, {"left_tool": [0.3, 0.3, 0.5]}, tolerance=1e-9),
                 lambda: armsim.solve(armsim.Chain([0.4, 0.3]), [0.3, 0.2], tolerance=1e-9)):
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == msg


def test_solve_on_a_robot_after_many_seeds(robots):
    """The dual arm's fourth seed raised KeyError: 'chain', and so did every solve after it:
    the cache of each arm's own restart tables, cleared at 4 entries, held its chain too."""
    _, dual = robots
    targets = {"left_tool": [0.3, 0.3, 0.5], "right_tool": [0.3, -0.3, 0.5]}
    first = armsim.solve(dual, targets, seed=0)
    for seed in range(1, 7):
        assert armsim.solve(dual, targets, seed=seed).success
        assert armsim.solve_batch(dual, {k: [v] for k, v in targets.items()}, seed=seed).success
    assert armsim.solve(dual, targets, seed=0).q.tobytes() == first.q.tobytes()


def test_solve_batch_refuses_too_many_rows_given_as_a_list(robots, monkeypatch):
    """A list (or tuple) of more than MAX_ROWS rows was copied and solved: only an array's
    shape was read.  (The bound lowered to 3 here: the same check, without 4 million rows.)"""
    from armsim.ik import inputs
    panda, dual = robots
    monkeypatch.setattr(inputs, "MAX_ROWS", 3)
    msg = "^solve_batch takes at most 3 rows, got 4; solve them in parts$"
    point = [0.3, 0.2, 0.4]
    for task, targets in (
            (panda, [point] * 4),
            (panda, tuple([point] * 4)),
            (panda, armsim.Target([point] * 4, weights=[1, 1, 1])),
            (armsim.Chain([0.4, 0.3]), [point[:2]] * 4),
            (dual, {"left_tool": [point] * 4})):
        with pytest.raises(ValueError, match=msg):
            armsim.solve_batch(task, targets)
    with pytest.raises(ValueError, match=msg):
        armsim.Solver(panda).solve_batch([point] * 4)
    assert armsim.solve_batch(panda, [point] * 3).success.all()
