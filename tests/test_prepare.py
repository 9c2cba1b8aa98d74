"""armsim.prepare builds a chain's or a robot's problem, float pass (compiled) and restart
tables before the first solve: the solves after it build nothing, and their answers are
those of a chain that was not prepared, bit for bit."""

import numpy as np
import pytest

import armsim
from armsim.ik import float_code, loop, planar, problems, restart_table, spatial_scalar, tree_starts


@pytest.fixture(autouse=True)
def _no_disk_cache(monkeypatch):
    """The disk cache off: what a solve needs is built in this process or not at all (a
    pass or table another test stored would be read back instead of built)."""
    monkeypatch.setenv("ARMSIM_CACHE_DIR", "")


def _refuse_building(monkeypatch):
    """Any pass or table built from here on fails the test."""
    def built(*args, **kwargs):
        raise AssertionError("built after armsim.prepare")
    monkeypatch.setattr(float_code, "program", built)
    monkeypatch.setattr(restart_table, "table_entries", built)
    monkeypatch.setattr(tree_starts.OwnTable, "__init__", built)


def _poses(chain, count, seed):
    rng = np.random.default_rng(seed)
    return chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (count, chain.n)))


def _start_pose(chain):
    return chain.matrix(chain.limits.mean(axis=1))


def _answers(task, targets):
    out = [armsim.solve(task, t) for t in targets]
    return [(r.q.tobytes(), r.iterations, r.reason, r.success) for r in out]


def test_a_prepared_chain_builds_nothing_and_answers_the_same(monkeypatch):
    path = armsim.robots.path("panda")
    targets = list(_poses(armsim.load_urdf(path), 12, 2026))
    other = armsim.load_urdf(path)
    plain = _answers(other, targets)                         # built along the way
    assert other in restart_table._TABLES                    # the solves read the table
    chain = armsim.load_urdf(path)
    assert armsim.prepare(chain, _start_pose(chain)) is None
    assert not spatial_scalar.from_program(chain)             # compiled at once
    _refuse_building(monkeypatch)
    assert _answers(chain, targets) == plain
    assert all(ok for *_, ok in plain)
    with pytest.raises(AssertionError, match="built after"):  # a kind not prepared is built
        armsim.solve(chain, targets[0][:3, 3])


def test_a_position_target_prepares_the_position_pass(monkeypatch):
    chain = armsim.load_urdf(armsim.robots.path("ur5"))
    armsim.prepare(chain, _start_pose(chain)[:3, 3])
    _refuse_building(monkeypatch)
    points = _poses(chain, 5, 7)[:, :3, 3]
    assert all(armsim.solve(chain, p).success for p in points)


def test_a_prepared_robot_solves_its_tools_without_building(monkeypatch):
    def load():
        return armsim.robots.load_robot("dual_arm")
    robot = load()
    tips = list(robot.tips)
    rng = np.random.default_rng(5)
    T = robot.frames(rng.uniform(robot.limits[:, 0], robot.limits[:, 1], (8, robot.n)), tips)
    targets = [{t: T[t][i] for t in tips} for i in range(8)]
    plain = _answers(load(), targets)
    start = robot.frames(robot.limits.mean(axis=1)[None], tips)
    armsim.prepare(robot, {t: start[t][0] for t in tips})
    _refuse_building(monkeypatch)
    assert _answers(robot, targets) == plain
    assert all(ok for *_, ok in plain)


def test_the_solver_of_the_settings_is_kept(monkeypatch):
    chain = armsim.load_urdf(armsim.robots.path("iiwa14"))
    armsim.prepare(chain, _start_pose(chain), tol=1e-6, restarts=40)

    def made(*args, **kwargs):
        raise AssertionError("a new solver")
    monkeypatch.setattr(loop.Solver, "__init__", made)
    target = _poses(chain, 1, 3)[0]
    assert armsim.solve(chain, target, tol=1e-6, restarts=40).success
    with pytest.raises(AssertionError, match="a new solver"):     # other settings: made
        armsim.solve(chain, target, tol=1e-7, restarts=40)


def test_prepare_refuses_what_solve_refuses():
    chain = armsim.load_urdf(armsim.robots.path("panda"))
    with pytest.raises(ValueError) as by_solve:
        armsim.solve(chain, np.zeros(5))
    with pytest.raises(ValueError) as by_prepare:
        armsim.prepare(chain, np.zeros(5))
    assert str(by_prepare.value) == str(by_solve.value)
    robot = armsim.robots.load_robot("dual_arm")
    with pytest.raises(ValueError, match="no link named 'hand'"):
        armsim.prepare(robot, {"hand": np.eye(4)})
    turned = np.eye(4)
    turned[:3, :3] *= 2.0                                      # not a rotation
    with pytest.raises(ValueError, match="rotation"):
        armsim.prepare(chain, turned)


def test_a_planar_chain_prepares_its_restart_patterns(monkeypatch):
    def chain():
        return armsim.Chain([1.0, 0.8, 0.5], limits=[(-1.5, 1.5)] * 3)
    targets = [[1.9, 0.9], [0.55, -0.92], [-1.2, 0.9]]   # converged, restarts, out of limits
    plain = [armsim.solve(chain(), t, seed=11) for t in targets]
    assert [r.reason for r in plain] == ["converged", "converged", "max_iter"]
    assert plain[1].iterations > 10                        # took restarts
    planar._restart_table_cached.cache_clear()
    planar._LIMITED.clear()
    prepared = chain()
    assert armsim.prepare(prepared, [1.0, 0.7], seed=11) is None
    assert len(planar._LIMITED) == 1            # the limits' table of joint vectors too
    table = next(iter(planar._LIMITED.values()))

    def built(*args):
        raise AssertionError("built after armsim.prepare")
    monkeypatch.setattr(planar, "_make_restart_table", built)
    again = [armsim.solve(prepared, t, seed=11) for t in targets]
    assert list(planar._LIMITED.values()) == [table]       # the same one, not drawn again
    assert [(r.q.tobytes(), r.iterations, r.reason) for r in again] == [
        (r.q.tobytes(), r.iterations, r.reason) for r in plain]
    with pytest.raises(AssertionError, match="built after"):  # another seed's: built
        armsim.solve(prepared, [0.2, 1.6], seed=12)


def test_a_planar_target_is_checked_as_solve_checks_it():
    chain = armsim.Chain([1.0, 0.5])
    for bad in ("x", [1.0, 2.0, 3.0], [np.nan, 1.0]):
        with pytest.raises(ValueError) as by_solve:
            armsim.solve(chain, bad)
        with pytest.raises(ValueError) as by_prepare:
            armsim.prepare(chain, bad)
        assert str(by_prepare.value) == str(by_solve.value)
