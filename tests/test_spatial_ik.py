"""Spatial IK: pose and position targets on the shipped robots, honest success, limits, masks."""

import numpy as np
import pytest

import armsim
from armsim.ik.problems import SpatialTarget
from armsim.kinematics.spatial import Joint, SpatialChain, rotation_vector

SETTINGS = dict(max_iter=SpatialTarget.default_max_iter, first_iter=SpatialTarget.default_first_iter,
                restarts=SpatialTarget.default_restarts, tol=1e-5)


def _fk_residuals(chain, q, T):
    M = chain.matrix(q)
    pos = np.linalg.norm(M[..., :3, 3] - T[..., :3, 3], axis=-1)
    ori = np.linalg.norm(rotation_vector(T[..., :3, :3] @ np.swapaxes(M[..., :3, :3], -1, -2)),
                         axis=-1)
    return pos, ori


@pytest.mark.parametrize("name", armsim.robots.NAMES)
def test_pose_round_trip_on_every_robot(name):
    chain = armsim.robots.load(name)
    rng = np.random.default_rng(1)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (200, chain.n)))
    r = armsim.solve_batch(chain, T, **SETTINGS)
    pos, ori = _fk_residuals(chain, r.q, T)
    assert r.success.mean() >= 0.99
    assert np.array_equal(r.success, (pos < 1e-5) & (ori < 1e-5))
    assert np.allclose(r.position_residual, pos, atol=1e-12)
    assert np.allclose(r.orientation_residual, ori, atol=1e-9)
    assert np.all(r.q >= chain.limits[:, 0]) and np.all(r.q <= chain.limits[:, 1])
    one = armsim.solve(chain, T[0], **SETTINGS)     # on floats: the batch's row to rounding
    assert np.allclose(one.q, r.q[0], rtol=0, atol=1e-9) and one.success == r.success[0]
    assert one.iterations == r.iterations[0]


@pytest.mark.parametrize("name", ["ur5", "iiwa14"])
def test_position_round_trip(name):
    chain = armsim.robots.load(name)
    rng = np.random.default_rng(2)
    p = chain.pose(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (50, chain.n)))[1]
    r = armsim.solve_batch(chain, p, **SETTINGS)
    assert r.success.all()
    assert np.linalg.norm(chain.pose(r.q)[1] - p, axis=-1).max() < 1e-5
    assert np.all(r.orientation_residual == 0.0)
    one = armsim.solve(chain, p[3], **SETTINGS)
    assert one.success and one.q.shape == (chain.n,)


def test_no_false_success_on_thousands_of_poses():
    chain = armsim.robots.load("panda")
    rng = np.random.default_rng(3)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (2000, chain.n)))
    T[::7, :3, 3] += 0.5                      # some targets beyond reach or off the pose set
    r = armsim.solve_batch(chain, T, max_iter=10, first_iter=3, restarts=4, tol=1e-5)
    pos, ori = _fk_residuals(chain, r.q, T)
    assert np.array_equal(r.success, (pos < 1e-5) & (ori < 1e-5))
    assert 0.2 < r.success.mean() < 1.0
    assert np.all(r.q >= chain.limits[:, 0]) and np.all(r.q <= chain.limits[:, 1])


def test_deterministic_under_a_seed():
    chain = armsim.robots.load("iiwa14")
    T = chain.matrix(np.random.default_rng(4).uniform(-1, 1, (30, 7)))
    a = armsim.solve_batch(chain, T, seed=5, **SETTINGS)
    b = armsim.solve_batch(chain, T, seed=5, **SETTINGS)
    assert np.array_equal(a.q, b.q) and np.array_equal(a.iterations, b.iterations)


def test_mask_and_continuous_joints_wrap():
    joints = [Joint("a", "continuous", axis=(0, 0, 1)),
              Joint("b", "revolute", (0, 0, 0.3), axis=(0, 1, 0), lower=-2, upper=2),
              Joint("c", "continuous", (0, 0, 0.3), axis=(0, 0, 1))]
    chain = SpatialChain(joints, tool_xyz=(0.2, 0, 0))
    T = chain.matrix(np.array([[3.0, 1.0, -3.0], [-2.5, -0.7, 2.9]]))
    prob = SpatialTarget(chain, "pose", weights=[1, 1, 1, 0, 0, 0])
    rows = np.concatenate([T[:, :3, 3], T[:, :3, :3].reshape(-1, 9)], axis=1)
    r = armsim.Solver(prob, max_iter=50, restarts=10).solve_batch(rows, np.full((2, 3), 3.1))
    assert r.success.all() and np.all(r.orientation_residual == 0)
    # the continuous joints: within pi of their start 3.1 (wrapped while solved, then
    # turned by whole turns there: the same pose)
    assert np.all(np.abs(r.q[:, [0, 2]] - 3.1) <= np.pi)
    assert np.all(prob.weights == [1, 1, 1, 0, 0, 0])
    assert np.all(SpatialTarget(chain, "pose", weights=[2, 2, 2, 4, 4, 4]).weights
                  == [1, 1, 1, 2, 2, 2])
    with pytest.raises(ValueError, match=r"^weights must be 6 finite numbers >= 0, not all 0"):
        SpatialTarget(chain, "pose", weights=[0] * 6)


def test_a_weighted_target_takes_a_pose_as_it_is():
    # SpatialTarget(arm, "pose", weights=...) took only its 12-number rows (a 4 x 4 pose:
    # "target must be 12 numbers"), and a chain refused armsim.Target (a robot's tools take it)
    panda = armsim.robots.load("panda")
    rng = np.random.default_rng(5)
    T = panda.matrix(rng.uniform(panda.limits[:, 0], panda.limits[:, 1], (40, 7)))
    w = [1, 1, 1, 1, 1, 0]                      # the rotation about z masked
    prob = SpatialTarget(panda, "pose", weights=w)
    rows = np.concatenate([T[:, :3, 3], T[:, :3, :3].reshape(-1, 9)], axis=1)
    by_rows = armsim.solve_batch(prob, rows, tol=1e-5)
    for got in (armsim.solve_batch(prob, T, tol=1e-5),
                armsim.solve_batch(panda, armsim.Target(T, weights=w), tol=1e-5)):
        assert np.array_equal(got.q, by_rows.q) and np.array_equal(got.success, by_rows.success)
    assert by_rows.success.mean() >= 0.95
    one = [armsim.solve(prob, T[0], tol=1e-5), armsim.solve(panda, armsim.Target(T[0], w),
                                                            tol=1e-5)]
    assert one[0].q.tobytes() == one[1].q.tobytes() and one[0].success
    # round trip by FK: the position, and the rotation vector of R_target R^T (the
    # orientation error) without its x and y parts (only the rotation about z is free)
    M = panda.matrix(by_rows.q[by_rows.success])
    Ts = T[by_rows.success]
    assert np.abs(M[:, :3, 3] - Ts[:, :3, 3]).max() < 1e-5
    turn = rotation_vector(Ts[:, :3, :3] @ np.swapaxes(M[:, :3, :3], -1, -2))
    assert np.abs(turn[:, :2]).max() < 1e-5 and np.abs(turn[:, 2]).max() > 0.1
    # a position with weights; the errors
    p = armsim.solve(panda, armsim.Target(T[0, :3, 3], weights=[1, 1, 0]), tol=1e-5)
    assert p.success and np.abs(panda.matrix(p.q)[:2, 3] - T[0, :2, 3]).max() < 1e-5
    with pytest.raises(ValueError, match=r"^target of a position problem must be a position "
                                         r"\(3,\), got a pose \(4, 4\)$"):
        armsim.solve(SpatialTarget(panda, "position"), T[0])
    with pytest.raises(ValueError, match=r"^weights must be 6 finite numbers >= 0"):
        armsim.solve(panda, armsim.Target(T[0], weights=[1, 1, 1]))


def test_refusals():
    chain = armsim.robots.load("ur5")
    with pytest.raises(ValueError, match=r"^method 'fabrik' needs a planar chain; for this "
                                         r"problem choose one of dls, gradient, pinv, ccd$"):
        armsim.solve(chain, np.eye(4), method="fabrik")
    with pytest.raises(ValueError, match=r"^target of a spatial chain must have shape \(3,\) "
                                         r"or \(4, 4\) \(positions or homogeneous poses\), got \(2,\)$"):
        armsim.solve(chain, [0.1, 0.2])
    bad = np.eye(4)
    bad[0, 0] = 2.0
    with pytest.raises(ValueError, match=r"^target rotation must be orthonormal"):
        armsim.solve(chain, bad)


@pytest.mark.parametrize("method", ["gradient", "pinv"])
def test_other_methods_run_on_pose_errors(method):
    chain = armsim.robots.load("iiwa14")
    q = np.array([0.3, 0.5, -0.2, -1.0, 0.4, 0.6, 0.1])
    T = chain.matrix(q)
    r = armsim.solve(chain, T, q0=q + 0.05, method=method, max_iter=2000 if method == "gradient"
                     else 100, restarts=0, tol=1e-5)
    assert r.success


def test_restarts_start_near_the_aim_from_a_seeded_table():
    from armsim.ik import restart_table
    chain = armsim.robots.load("panda")
    prob = SpatialTarget(chain, "pose")
    rng = np.random.default_rng(6)
    q = rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (30, chain.n))
    aim = prob.value(q)
    start = prob.restart_starts(restart_table.NEAREST + 2, 0)
    dist = [np.linalg.norm(prob.error(aim, prob.value(start(k, aim))), axis=1)
            for k in range(restart_table.NEAREST + 2)]
    assert all(np.all(chain.limits[:, 0] <= start(k, aim)) and
               np.all(start(k, aim) <= chain.limits[:, 1]) for k in range(restart_table.NEAREST + 2))
    # table starts: the k-th nearest entry (by the table's metric), far nearer than uniform draws
    assert np.median(dist[0]) < 0.5 * np.median(dist[-1])
    feats = restart_table.features(prob, aim)
    d = [np.linalg.norm(restart_table.features(prob, prob.value(start(k, aim))) - feats, axis=1)
         for k in range(restart_table.NEAREST)]
    assert np.all(np.diff(np.array(d), axis=0) >= -1e-12)
    # the same rows asked again, or a subset, get the same starts; another seed, another table
    again = prob.restart_starts(restart_table.NEAREST + 2, 0)
    assert np.array_equal(again(3, aim[5:9]), start(3, aim)[5:9])
    assert not np.array_equal(prob.restart_starts(4, 1)(0, aim), start(0, aim))
    # the table's stream is not default_rng(seed): not the bench's (or a test's) draws
    qs = restart_table.table(prob, 0)[0]
    plain = np.random.default_rng(0).uniform(chain.limits[:, 0], chain.limits[:, 1], (8, 7))
    assert not np.isin(plain, qs).any()


def test_spatial_targets_bring_their_own_default_settings():
    """solve/solve_batch with nothing chosen use the spatial target's measured defaults, not
    the planar ones (10, 3, 8 give 64-91 % on these arms)."""
    chain = armsim.robots.load("iiwa14")
    rng = np.random.default_rng(5)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (30, chain.n)))
    plain = armsim.solve_batch(chain, T, tol=1e-5)
    chosen = armsim.solve_batch(chain, T, **SETTINGS)
    assert np.array_equal(plain.q, chosen.q) and np.array_equal(plain.iterations, chosen.iterations)
    one = armsim.solve(chain, T[3], tol=1e-5)
    assert np.allclose(one.q, chosen.q[3], rtol=0, atol=1e-9)
    from armsim.ik import DEFAULTS
    planar = armsim.Chain([0.5, 0.3, 0.2])
    a = armsim.solve(planar, [0.4, 0.3])
    b = armsim.solve(planar, [0.4, 0.3], max_iter=DEFAULTS["max_iter"],
                     first_iter=DEFAULTS["first_iter"], restarts=DEFAULTS["restarts"])
    assert np.array_equal(a.q, b.q) and a.iterations == b.iterations


def test_restarts_run_in_groups_with_the_answers_of_one_at_a_time(monkeypatch):
    # solve_batch runs the next k starts of every unfinished row as one batch (about
    # GROUP_ROWS rows) and takes them in order: the same q, iterations and reasons as one
    # restart at a time, whatever the chunk size, and as each row's own solve
    from armsim.ik import loop
    chain = armsim.robots.load("panda")
    rng = np.random.default_rng(3)
    T = chain.matrix(rng.uniform(chain.limits[:, 0], chain.limits[:, 1], (120, chain.n)))
    kw = dict(SETTINGS, first_iter=4)   # a short first budget: many rows restart
    grouped = armsim.solve_batch(chain, T, **kw)
    restarted = np.flatnonzero(grouped.iterations > kw["first_iter"])
    assert len(restarted) >= 20          # the poses exercise the restarts
    monkeypatch.setattr(loop, "GROUP_ROWS", 1)
    monkeypatch.setattr(loop, "CHUNK_ELEMENTS", 5 * 12 * 7 * 7)     # chunks of 5 rows
    monkeypatch.setattr(loop, "CHUNK_ROWS", 1)
    single = armsim.solve_batch(chain, T, **kw)
    # (groups of 32 rows or more take the batch-last pass, chunks of 5 the stacked one:
    # q equal to rounding (1e-9: the two paths sum in other orders, and a converging dls
    # step amplifies the last bits by up to 1e3 on some BLAS kernels), the same iterations
    # and reasons)
    assert np.abs(grouped.q - single.q).max() < 1e-9
    assert np.array_equal(grouped.iterations, single.iterations)
    assert np.array_equal(grouped.reason, single.reason)
    for i in restarted[:5]:
        one = armsim.solve(chain, T[i], **kw)      # on floats: the same to rounding
        assert np.allclose(one.q, grouped.q[i], rtol=0, atol=1e-9)
        assert one.iterations == grouped.iterations[i]


def test_restarts_of_a_joint_wider_than_a_turn_are_drawn_in_the_turn_around_its_middle(
        monkeypatch):
    from armsim.ik import restart_table
    joints = [Joint("wide", "revolute", axis=(0, 0, 1), lower=-1.0, upper=9.0),
              Joint("narrow", "revolute", (0, 0, 0.3), axis=(0, 1, 0), lower=-2, upper=2),
              Joint("spin", "continuous", (0, 0, 0.3), axis=(0, 0, 1)),
              Joint("slide", "prismatic", (0.1, 0, 0), axis=(1, 0, 0), lower=0.0, upper=8.0)]
    chain = SpatialChain(joints, tool_xyz=(0.2, 0, 0))
    prob = SpatialTarget(chain, "position")
    np.testing.assert_allclose(prob._draw, [[4 - np.pi, 4 + np.pi], [-2, 2], [-np.pi, np.pi],
                                            [0, 8]], rtol=0, atol=1e-15)
    qs = restart_table.table(prob, 0)[0]
    later = prob.restart_starts(restart_table.NEAREST + 20, 0)(restart_table.NEAREST + 5,
                                                                 np.zeros((1, 3)))
    for q in (qs, later):
        assert np.all(np.abs(q[:, 0] - 4.0) <= np.pi) and np.all(np.abs(q[:, 1]) <= 2)
    assert qs[:, 3].max() > 7.0                    # a prismatic joint keeps its whole range
    ur5 = SpatialTarget(armsim.robots.load("ur5"), "pose")
    np.testing.assert_allclose(ur5._draw, np.tile([-np.pi, np.pi], (6, 1)), rtol=0, atol=1e-15)
    # the whole range when asked (SpatialTarget.turn_draws = False), with its own table
    monkeypatch.setattr(SpatialTarget, "turn_draws", False)
    whole = SpatialTarget(chain, "position")
    assert np.array_equal(whole._draw[0], [-1.0, 9.0])
    assert not np.array_equal(restart_table.table(whole, 0)[0], qs)


@pytest.mark.parametrize("weights", [(100, 1, 1, 1, 1, 1), (1, 1, 1, 100, 100, 100),
                                     (1, 1, 1, 1, 1, 100)])
def test_weights_far_apart_still_reach_every_axis(weights):
    # the damping grew with the weighted error, so a heavy axis damped the others' steps,
    # and the restart table's nearest entries were near on the heavy axis alone: with
    # weights 100 apart, 61-84 % of reachable Panda poses were solved by the defaults
    panda = armsim.robots.load("panda")
    rng = np.random.default_rng(23)
    T = panda.matrix(rng.uniform(panda.limits[:, 0], panda.limits[:, 1], (40, 7)))
    batch = armsim.solve_batch(panda, armsim.Target(T, weights=weights), tol=1e-5)
    singles = [armsim.solve(panda, armsim.Target(M, weights=weights), tol=1e-5) for M in T]
    pos, ori = _fk_residuals(panda, batch.q, T)
    assert np.array_equal(batch.success, (pos < 1e-5) & (ori < 1e-5))
    assert batch.success.all()
    qs = np.array([s.q for s in singles])
    pos, ori = _fk_residuals(panda, qs, T)
    assert all(s.success for s in singles) and np.all((pos < 1e-5) & (ori < 1e-5))
    assert np.mean([s.iterations for s in singles]) < 40


def test_the_restart_table_measures_counted_axes_unweighted():
    from armsim.ik import restart_table
    panda = armsim.robots.load("panda")
    rows = np.concatenate([np.full((2, 3), 0.3), np.tile(np.eye(3).reshape(1, 9), (2, 1))], 1)
    plain = restart_table.features(SpatialTarget(panda, "pose"), rows)
    heavy = SpatialTarget(panda, "pose", weights=[100, 1, 1, 1, 1, 50])
    assert np.array_equal(restart_table.features(heavy, rows), plain)
    masked = SpatialTarget(panda, "pose", weights=[1, 1, 0, 5, 5, 5])
    f = restart_table.features(masked, rows)
    assert np.all(f[:, 2] == 0) and np.array_equal(np.delete(f, 2, 1), np.delete(plain, 2, 1))
    assert np.array_equal(heavy.feature_scale * rows, plain)     # the float path's scale too


@pytest.mark.parametrize("compiled_on", [False, True])
def test_continuous_joints_answer_near_the_start_so_tracking_never_jumps_a_turn(compiled_on):
    """A continuous joint's answer was wrapped to [-pi, pi): a start of q + 2 pi came back
    2 pi away (0 iterations), and a spinning joint tracked with q0 = the last answer jumped
    6.18 rad when it passed pi.  Now it is turned by whole turns to within pi of q0, on
    every path, with the residual of the returned q."""
    from armsim.ik import compiled
    if compiled_on and not compiled.available():
        pytest.skip("numba not installed")
    arm = SpatialChain([Joint("a", "continuous", (0, 0, 0), (0, 0, 0), (0, 0, 1)),
                        Joint("b", "continuous", (0, 0, 0.2), (0, 0, 0), (0, 1, 0)),
                        Joint("c", "continuous", (0.3, 0, 0), (0, 0, 0), (0, 1, 0))],
                       tool_xyz=(0.2, 0, 0))
    old = compiled.use(compiled_on)
    try:
        q0 = np.array([0.3, 0.5, -0.8]) + 2 * np.pi
        one = armsim.solve(arm, arm.matrix(q0), q0=q0)
        assert one.success and np.allclose(one.q, q0, atol=1e-9)
        rows = armsim.solve_batch(arm, arm.matrix(np.tile(q0, (3, 1))), q0=np.tile(q0, (3, 1)))
        assert rows.success.all() and np.allclose(rows.q, q0, atol=1e-9)
        prev, jumps = np.array([3.0, 0.5, -0.8]), []
        for k in range(40):                     # the first joint spins past pi
            want = arm.matrix(np.array([3.0 + 0.05 * k, 0.5, -0.8]))
            got = armsim.solve(arm, want, q0=prev)
            assert got.success                  # judged at the returned q, by its kinematics
            assert np.linalg.norm(arm.matrix(got.q) - want) < 1e-5
            jumps.append(np.abs(got.q - prev).max())
            prev = got.q
        assert max(jumps) < 0.06 and prev[0] == pytest.approx(4.95, abs=1e-6)
    finally:
        compiled.use(old)


@pytest.mark.parametrize("reach", [1.02e-3, 0.01, 999.0])
def test_a_pose_of_an_arm_far_from_a_metre_in_size_is_solved(reach):
    """The Panda's geometry scaled to a reach of 1 mm solved 0 of 40 poses (stalled, the
    position 28 % of the reach off), 1 cm 22 and 1 km 37: its position rows in metres
    weighed next to nothing (or everything) beside the radians.  They now weigh in units of
    reach / SpatialTarget.LENGTHS' nearer bound; arms within the bounds are unchanged."""
    panda = armsim.robots.load("panda")
    s = reach / panda.reach
    arm = SpatialChain([Joint(f"j{i}", panda.types[i], tuple(panda.xyz[i] * s),
                              tuple(panda.rpy[i]), tuple(panda.axes[i]), panda.limits[i, 0],
                              panda.limits[i, 1]) for i in range(7)],
                       tool_xyz=tuple(np.asarray(panda.tool_xyz) * s),
                       tool_rpy=tuple(panda.tool_rpy))
    q = np.random.default_rng(1).uniform(panda.limits[:, 0], panda.limits[:, 1], (20, 7))
    T = arm.matrix(q)
    got = armsim.solve_batch(arm, T)
    assert got.success.all()
    R, p = arm.pose(got.q)
    assert np.linalg.norm(p - T[:, :3, 3], axis=-1).max() < 1e-5 * max(reach, 1.0)
    assert np.abs(R - T[:, :3, :3]).max() < 2e-5
    one = armsim.solve(arm, T[3])
    assert one.success and np.allclose(one.q, got.q[3], atol=1e-6)
    w = SpatialTarget(arm, "pose").weights
    assert np.allclose(w, [0.5 / reach] * 3 + [1.0] * 3 if reach < 0.5
                       else [1.0] * 3 + [reach / 2.5] * 3)
    for name in armsim.robots.NAMES:            # the shipped arms: as they were
        assert np.all(SpatialTarget(armsim.robots.load(name), "pose").weights == 1.0)


def test_the_whole_turn_leaves_objectives_max_step_and_mimic_sources_as_solved(tmp_path):
    """The turn of continuous joints toward q0 is only for plain targets: with max_step (it
    capped against the wrapped q0, and a solve that succeeded failed), with a joint-space
    objective (a posture then read 0.663 for 0.038) and for a mimic's source (a whole turn
    moves a mimic of multiplier 0.5 by pi: another pose) the answer stays as solved."""
    arm = SpatialChain([Joint("a", "continuous", (0, 0, 0), (0, 0, 0), (0, 0, 1)),
                        Joint("b", "continuous", (0, 0, 0.2), (0, 0, 0), (0, 1, 0)),
                        Joint("c", "continuous", (0.3, 0, 0), (0, 0, 0), (0, 1, 0))],
                       tool_xyz=(0.2, 0, 0))
    q0 = np.array([0.3, 0.5, -0.8]) + 2 * np.pi
    capped = armsim.solve(arm, arm.matrix(q0 + [0.05, 0.02, 0.01]), q0=q0, max_step=0.1)
    assert capped.success and np.all(np.abs(capped.q) <= np.pi)
    posed = armsim.solve(arm, arm.matrix(q0), q0=q0, objectives=[armsim.Posture(np.zeros(3))])
    assert np.all(np.abs(posed.q) <= np.pi)
    assert posed.objectives["posture"] == pytest.approx(0.1 * np.linalg.norm(posed.q), rel=1e-9)
    urdf = tmp_path / "mimic.urdf"
    urdf.write_text(
        "<robot name='m'><link name='base'/><link name='a'/><link name='tip'/><link name='b'/>"
        "<link name='tip2'/><joint name='j1' type='continuous'><parent link='base'/>"
        "<child link='a'/><axis xyz='0 0 1'/></joint><joint name='j2' type='revolute'>"
        "<parent link='a'/><child link='tip'/><origin xyz='0.3 0 0'/><axis xyz='0 1 0'/>"
        "<limit lower='-2' upper='2'/></joint><joint name='jm' type='revolute'>"
        "<parent link='base'/><child link='b'/><origin xyz='0 0 0.2'/><axis xyz='1 0 0'/>"
        "<limit lower='-10' upper='10'/><mimic joint='j1' multiplier='0.5'/></joint>"
        "<joint name='t2' type='fixed'><parent link='b'/><child link='tip2'/>"
        "<origin xyz='0 0.3 0'/></joint></robot>")
    robot = armsim.load_robot(urdf, tips=["tip", "tip2"])
    targets = {"tip": np.array([0.3, -0.2, 0.1]), "tip2": np.array([1.0, 0.5, -0.4])}
    got = armsim.solve(robot, targets, q0=np.array([9.0, 0.3]), restarts=0)
    # j1 drives a half-rate mimic (whose +-10 bound it to +-20): never wrapped nor turned
    # by a whole turn (either would move the mimic); the residuals are those of the q given
    assert list(robot.limits[0]) == [-20.0, 20.0] and not robot.continuous[0]
    F = robot.frames(got.q, ["tip", "tip2"])
    for link, t in targets.items():
        assert got.targets[link] == pytest.approx(np.linalg.norm(F[link][:3, 3] - t), abs=1e-12)


def test_a_tracking_simulation_s_step_takes_a_continuous_joint_the_short_way():
    """armsim's own tracking (the window, the GIFs) reported a step of 6.23 rad as a
    continuous joint passed pi (its value wrapped, its pose the same): the step now takes
    such a joint the short way round."""
    from armsim.ik.spatial_tracking import SpatialSimulation
    arm = SpatialChain([Joint("a", "continuous", (0, 0, 0), (0, 0, 0), (0, 0, 1)),
                        Joint("b", "revolute", (0, 0, 0.2), (0, 0, 0), (0, 1, 0), -2.0, 2.0),
                        Joint("c", "revolute", (0.3, 0, 0), (0, 0, 0), (0, 1, 0), -2.0, 2.0)],
                       tool_xyz=(0.2, 0, 0))
    path = lambda k: arm.matrix(np.array([3.0 + 0.02 * k, 0.5, -0.8]))  # noqa: E731
    sim = SpatialSimulation(arm, path, q0=np.array([3.0, 0.5, -0.8]), iterations_per_frame=8)
    steps = [sim.step().step for _ in range(20)]
    assert max(steps) < 0.1 and sim.state.error < 1e-6
    from armsim.ik.tracking import joint_step
    assert joint_step([3.1, 0.0], [-3.1, 0.0], [True, False]) == pytest.approx(2 * np.pi - 6.2)
    assert joint_step([3.1, 0.0], [-3.1, 0.0], [False, False]) == pytest.approx(6.2)
