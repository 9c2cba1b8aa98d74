"""A robot's tools solved together: the restarts from each tool's own table, the Woodbury
solve of the float pass, and the single solve's residuals by the float pass."""

import numpy as np
import pytest

import armsim
from armsim.ik import restart_table
from armsim.ik.tree import for_tree
from armsim.ik.tree_float import woodbury_plan
from armsim.kinematics.spatial import rotation_vector

DUAL = ("left_tool", "right_tool")


def _targets(robot, tips, count, seed):
    rng = np.random.default_rng(seed)
    lim = robot.limits
    q = rng.uniform(lim[:, 0], lim[:, 1], (count, robot.n))
    return robot.frames(q, list(tips))


@pytest.fixture(scope="module")
def dual():
    robot = armsim.robots.load_robot("dual_arm", tips=list(DUAL))
    T = _targets(robot, DUAL, 6, 11)
    prob, row = for_tree(robot, {k: v[0] for k, v in T.items()}, False)
    return robot, prob, T


def test_the_dual_arm_shares_only_the_torso_and_the_hand_shares_everything(dual):
    robot, prob, _ = dual
    C = prob.float_pass()
    assert C.woodbury
    owner, shared = woodbury_plan(prob)
    assert [robot.joint_names[j] for j in shared] == ["torso_yaw"]
    assert sorted(set(owner) - {-1}) == [0, 1]
    hand = armsim.robots.load_robot("panda_hand", tips=["panda_leftfinger_tip",
                                                        "panda_rightfinger_tip"])
    T = _targets(hand, hand.tips, 1, 3)
    hp, _ = for_tree(hand, {k: v[0] for k, v in T.items()}, False)
    assert not hp.float_pass().woodbury      # every joint moves both fingertips: dense


@pytest.mark.parametrize("lam2", [1e-1, 1e-6, 1e-14])
def test_the_woodbury_solve_and_clamp_equal_the_dense_solve(dual, lam2):
    robot, prob, T = dual
    C = prob.float_pass()
    rng = np.random.default_rng(5)
    for i in range(1, 4):
        row = np.concatenate([np.concatenate([T[k][i][:3, 3], T[k][i][:3, :3].ravel()])
                              for k in DUAL])
        q = rng.uniform(robot.limits[:, 0], robot.limits[:, 1])
        f, e, cols, d = C.make(*row.tolist())(q.tolist())
        J = prob.value_and_jacobian(q[None])[1][0]
        e = np.array(e)
        g = C.gram(cols)
        want = np.linalg.solve(J @ J.T + lam2 * np.eye(12), e)
        got = np.array(C.solve(g, lam2, tuple(e)))
        assert np.abs(got - want).max() <= 1e-8 * np.abs(want).max()
        qt, _ = C.move(q.tolist(), cols, tuple(got))
        assert np.allclose(qt, q + J.T @ got, rtol=0, atol=1e-12)
        for j in (0, 3, 12):                      # the shared torso, one of each arm's own
            x = 0.05
            g2, r2 = C.fix(g, tuple(e), C.column(cols, j), x)
            Jf = J.copy()
            Jf[:, j] = 0.0
            want = np.linalg.solve(Jf @ Jf.T + lam2 * np.eye(12), e - J[:, j] * x)
            got = np.array(C.solve(g2, lam2, r2))
            assert np.abs(got - want).max() <= 1e-8 * np.abs(want).max(), (j, lam2)


def _local_rows(robot, prob, q, T, tool):
    """Brute force: tool target seen from the frame after the torso joint."""
    t = prob.names.index(tool)
    chain = prob.subs[t].chain
    F = chain.frames(q[prob._maps[t][0]])
    Rf, pf = F[0][1], F[1][1]                     # the link after joint 0 (the torso)
    R = Rf.T @ T[tool][:3, :3]
    p = Rf.T @ (T[tool][:3, 3] - pf)
    return np.concatenate([p, R.ravel()])


def test_a_restart_sets_each_arm_from_its_own_table(dual):
    robot, prob, T = dual
    start = prob.restart_starts(8, 0)
    own = prob._own_tables(8, 0)
    assert [(t, split) for t, split, _, _ in own] == [(0, 1), (1, 1)]
    for i in range(6):
        row = np.concatenate([np.concatenate([T[k][i][:3, 3], T[k][i][:3, :3].ravel()])
                              for k in DUAL])
        float_start = prob.float_starts(prob.float_pass(), 8, 0, row)
        for k in (0, 1, 3):
            q = start(k, row[None])[0]
            assert np.array_equal(q, np.array(float_start(k)))
            for t, split, cols, table in own:
                local = _local_rows(robot, prob, q, {DUAL[t]: T[DUAL[t]][i]}, DUAL[t])
                f = restart_table.features(table.prob, local[None])[0]
                order = np.argsort(((table.feats_t.T - f) ** 2).sum(axis=1), kind="stable")
                assert np.array_equal(q[cols], table.qs[order[k]])


# a lift (prismatic), a yaw and a joint that mimics the yaw under two 3-joint arms: each
# arm's own joints hang from the frame after three shared joints
LIFTED = """<robot name="lifted">
  <link name="base"/><link name="mast"/><link name="torso"/><link name="top"/>
  <link name="l1"/><link name="l2"/><link name="l3"/><link name="lt"/>
  <link name="r1"/><link name="r2"/><link name="r3"/><link name="rt"/>
  <joint name="lift" type="prismatic"><parent link="base"/><child link="mast"/>
    <origin xyz="0 0 0.4"/><axis xyz="0 0 1"/><limit lower="0" upper="0.4"/></joint>
  <joint name="yaw" type="revolute"><parent link="mast"/><child link="torso"/>
    <origin xyz="0.1 0 0.2" rpy="0 0.2 0"/><axis xyz="0 0 1"/><limit lower="-2" upper="2"/></joint>
  <joint name="yaw2" type="revolute"><parent link="torso"/><child link="top"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/>
    <mimic joint="yaw" multiplier="0.5" offset="0.1"/></joint>
  <joint name="l_j1" type="revolute"><parent link="top"/><child link="l1"/>
    <origin xyz="0 0.2 0.2" rpy="-1.5708 0 0"/><axis xyz="0 0 1"/><limit lower="-2.8" upper="2.8"/></joint>
  <joint name="l_j2" type="revolute"><parent link="l1"/><child link="l2"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="l_j3" type="revolute"><parent link="l2"/><child link="l3"/>
    <origin xyz="0 0 0.3"/><axis xyz="1 0 0"/><limit lower="-2.5" upper="2.5"/></joint>
  <joint name="l_tool" type="fixed"><parent link="l3"/><child link="lt"/>
    <origin xyz="0.05 0 0.1"/></joint>
  <joint name="r_j1" type="revolute"><parent link="top"/><child link="r1"/>
    <origin xyz="0 -0.2 0.2" rpy="1.5708 0 0"/><axis xyz="0 0 1"/><limit lower="-2.8" upper="2.8"/></joint>
  <joint name="r_j2" type="revolute"><parent link="r1"/><child link="r2"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
  <joint name="r_j3" type="revolute"><parent link="r2"/><child link="r3"/>
    <origin xyz="0 0 0.3"/><axis xyz="1 0 0"/><limit lower="-2.5" upper="2.5"/></joint>
  <joint name="r_tool" type="fixed"><parent link="r3"/><child link="rt"/>
    <origin xyz="0 0 0.1"/></joint>
</robot>
"""


def test_the_single_solve_starts_as_the_batch_under_several_shared_joints(tmp_path):
    """The float path's starts (each arm's frame after a lift, a yaw and a mimic of it, on
    Python floats) are the batch's, for the nearest entry and later ones."""
    path = tmp_path / "lifted.urdf"
    path.write_text(LIFTED)
    robot = armsim.load_urdf(path, tips=["lt", "rt"])
    T = _targets(robot, ("lt", "rt"), 8, 5)
    prob, _ = for_tree(robot, {k: v[0] for k, v in T.items()}, False)
    own = prob._own_tables(8, 0)
    assert [(t, split) for t, split, _, _ in own] == [(0, 3), (1, 3)]
    start = prob.restart_starts(8, 0)
    for i in range(8):
        row = np.concatenate([np.concatenate([T[k][i][:3, 3], T[k][i][:3, :3].ravel()])
                              for k in ("lt", "rt")])
        float_start = prob.float_starts(prob.float_pass(), 8, 0, row)
        local = prob._seen_one(0, 3)[0]
        for k in (0, 1, 5):
            q = start(k, row[None])[0]
            assert np.array_equal(q, np.array(float_start(k)))
            # the frame's view of the target agrees with the batch's arithmetic to rounding
            seen = _Rows()
            prob._own_starts([(0, 3, own[0][2], seen)], q[None].copy(), row[None], k)
            assert np.allclose(local(q.tolist(), row[:12].tolist()), seen.rows[0],
                               rtol=0, atol=1e-14)


class _Rows:
    """An own table that records the rows it is asked about (and answers with entry 0)."""

    def __init__(self):
        self.rows = []

    def nearest(self, rows, k):
        self.rows.extend(rows.tolist())
        return np.zeros((len(rows), 3))


def test_own_table_starts_start_each_tool_nearer_its_target(dual):
    robot, prob, _ = dual
    T = _targets(robot, DUAL, 60, 2024)
    rows = np.concatenate([np.concatenate([T[k][:, :3, 3], T[k][:, :3, :3].reshape(-1, 9)],
                                          axis=1) for k in DUAL], axis=1)
    whole = restart_table.restart_starts(prob, 4, 0)
    ours = prob.restart_starts(4, 0)

    def error(q):
        F = robot.frames(q, list(DUAL))
        return np.mean([np.linalg.norm(F[k][:, :3, 3] - T[k][:, :3, 3], axis=1)
                        for k in DUAL])
    assert error(ours(0, rows)) < 0.5 * error(whole(0, rows))


@pytest.mark.parametrize("seed", [0, 1])
def test_the_single_solve_reports_each_tool_as_the_arrays_do(dual, seed):
    robot, prob, _ = dual
    T = _targets(robot, DUAL, 5, 40 + seed)
    for i in range(5):
        one = {k: v[i] for k, v in T.items()}
        r = armsim.solve(robot, one, tol=1e-5)
        F = robot.frames(r.q, list(DUAL))
        for k in DUAL:
            dp = np.linalg.norm(F[k][:3, 3] - one[k][:3, 3])
            dr = np.linalg.norm(rotation_vector((one[k][:3, :3] @ F[k][:3, :3].T)[None])[0])
            assert abs(r.targets[k] - max(dp, dr)) <= 1e-12
        assert r.success == (max(r.targets.values()) < 1e-5)
        assert r.success


@pytest.mark.parametrize("shared", [[14], [0, 14]])
def test_the_batch_block_solve_equals_the_dense_one(shared):
    from armsim.ik.steps import _damped_last, damped_blocks_last
    rng = np.random.default_rng(len(shared))
    J = rng.normal(size=(12, 15, 400))
    own = [[c for c in range(7) if c not in shared], [c for c in range(7, 15) if c not in shared]]
    J[:6, own[1]] = 0.0
    J[6:, own[0]] = 0.0
    e = rng.normal(size=(12, 400))
    for lam2 in (1e-2, 1e-8):
        lam = np.full(400, lam2)
        want = _damped_last(J, e.copy(), lam)
        got = damped_blocks_last(J, e.copy(), lam, [(slice(0, 6), own[0]), (slice(6, 12), own[1])],
                                 np.array(shared))
        assert np.abs(got - want).max() <= 1e-9 * np.abs(want).max()


def test_the_dual_arm_batch_takes_the_block_solve_and_the_hand_the_dense(dual):
    robot, prob, _ = dual
    assert prob.damped_last is not None
    T = _targets(robot, DUAL, 400, 7)          # from 320 rows on, the batch-last solve
    r = armsim.solve_batch(robot, T, tol=1e-5)
    F = robot.frames(r.q, list(DUAL))
    ok = np.all([np.linalg.norm(F[k][:, :3, 3] - T[k][:, :3, 3], axis=1) < 1e-5 for k in DUAL],
                axis=0)
    assert ok.mean() >= 0.99 and np.array_equal(r.success & ok, r.success)
    hand = armsim.robots.load_robot("panda_hand", tips=["panda_leftfinger_tip",
                                                        "panda_rightfinger_tip"])
    Th = _targets(hand, hand.tips, 1, 3)
    assert for_tree(hand, {k: v[0] for k, v in Th.items()}, False)[0].damped_last is None


def test_own_table_nearest_entries_are_the_exact_ones_in_a_batch(dual):
    """k = 0 on many rows (float32, screened) and k = 2 (float64) pick the entries that exact
    elementwise distances rank there; one row gives the same as a batch."""
    robot, prob, _ = dual
    table = prob._own_tables(8, 0)[0][3]
    rng = np.random.default_rng(9)
    F = table.prob.chain.matrix(rng.uniform(table.prob.chain.limits[:, 0],
                                            table.prob.chain.limits[:, 1], (600, 7)))
    aims = np.concatenate([F[:, :3, 3], F[:, :3, :3].reshape(-1, 9)], axis=1)
    E = table.prob.chain.matrix(table.qs[:50])             # entries themselves: distance 0
    aims[:50] = np.concatenate([E[:, :3, 3], E[:, :3, :3].reshape(-1, 9)], axis=1)
    f = aims * table.scale
    exact = np.array([table._exact(r) for r in f])
    order = np.argsort(exact, axis=1, kind="stable")
    for k in (0, 2):
        got = table.nearest(aims, k)
        assert np.array_equal(got, table.qs[order[:, k]]), k
        one = np.concatenate([table.nearest(a[None], k) for a in aims[:40]])
        assert np.array_equal(one, got[:40])
    # the single solve's k = 0 of one row (a list), also at a tie of two entries' features
    # (the screen cannot decide: exact distances, the lower index)
    ties = []
    for i in range(40):                 # the midpoints of entries and their nearest others
        d = table._exact(table.feats_t[:, i])
        d[i] = np.inf
        j = int(d.argmin())
        mid = (table.feats_t[:, i] + table.feats_t[:, j]) / 2.0 / table.scale
        dm = table._exact(mid * table.scale)
        if dm[i] == dm[j] == dm.min():
            ties.append((mid, min(i, j)))
    assert len(ties) >= 5
    for a, want in list(zip(aims, order[:, 0])) + ties:
        assert table.nearest_one(a.tolist()) == table.qs[want].tolist()


def test_a_restart_past_an_own_table_s_entries_starts_from_its_farthest_entry(dual):
    """restarts may pass an own table's 4,096 entries (up to MAX_RESTARTS, 10,000): restart
    k >= entries sets a tool's own joints to the table's farthest entry on the batch path
    (it raised IndexError: index 4096 is out of bounds), as the float path and the compiled
    kernel do; the starts of a batch equal the float path's, row by row."""
    robot, prob, T = dual
    table = prob._own_tables(8, 0)[0][3]
    entries = len(table.qs)
    aim = np.concatenate([np.concatenate([T[k][:, :3, 3], T[k][:, :3, :3].reshape(-1, 9)],
                                         axis=1) for k in DUAL], axis=1)
    local = aim[:, :12]
    far = [table.qs[int(np.argsort(table._exact(f), kind="stable")[-1])].tolist()
           for f in local * table.scale]
    for k in (entries - 1, entries, entries + 903):
        assert table.nearest(local, k).tolist() == far, k
        assert [table.nearest_row(a.tolist(), k) for a in local] == far, k
    ks = [0, entries, entries + 1, 3, entries + 903, 1]
    assert table.nearest(local, ks).tolist() == [
        table.nearest(local[i:i + 1], k)[0].tolist() for i, k in enumerate(ks)]
    restarts = entries + 10
    start = prob.restart_starts(restarts, 0)
    for i in range(2):
        float_start = prob.float_starts(prob.float_pass(), restarts, 0, aim[i])
        for k in (entries - 1, entries, entries + 9):
            assert start(k, aim[i:i + 1])[0].tolist() == float_start(k), (i, k)
    assert np.array_equal(start.many([entries, 2], aim[:2]),
                          np.concatenate([start(entries, aim[:2]), start(2, aim[:2])]))


def test_several_restarts_at_once_are_the_starts_one_by_one(dual):
    """``start.many(ks, aim)`` (what a batch's restarts take: each own table searched once
    for every k) equals ``start(k, aim)`` for each k, stacked, bit for bit: k below and past
    the table's passes and its nearest entries, and more rows than a block of the screen;
    and one own table's per-row k equals its k one at a time."""
    robot, prob, _ = dual
    start = prob.restart_starts(restart_table.NEAREST + 12, 0)
    T = _targets(robot, DUAL, restart_table.NEAREST_ROWS + 40, 23)
    aim = np.concatenate([np.concatenate([T[k][:, :3, 3], T[k][:, :3, :3].reshape(-1, 9)],
                                         axis=1) for k in DUAL], axis=1)
    for ks in ([0, 1], [1, 2, 3, 4], [2, 5, 9, 17], list(range(restart_table.NEAREST - 2,
                                                              restart_table.NEAREST + 10))):
        rows = aim if len(ks) < 8 else aim[:5]
        got = start.many(ks, rows)
        assert np.array_equal(got, np.concatenate([start(k, rows) for k in ks])), ks
    table = prob._own_tables(8, 0)[1][3]
    local = aim[:, 12:]
    ks = np.random.default_rng(4).integers(0, 40, len(local))
    ks[:restart_table.NEAREST_ROWS] = 0                # a block of k = 0 alone (argmin)
    one = np.array([table.nearest(local[i:i + 1], int(k))[0] for i, k in enumerate(ks)])
    assert np.array_equal(table.nearest(local, ks), one)


def _weighted(robot, F, i, weights):
    return {k: armsim.Target(v if i is None else v[i], weights=weights) for k, v in F.items()}


def test_weighted_tools_damp_by_their_error_in_metres_and_radians():
    """dls damps a weighted tool by its unweighted error, as a chain's weighted target:
    with rotations weighing 100, every pose of the dual arm stalled 0.1-0.25 m or rad away
    (786-961 iterations: the weighted rotation error damped every step); now each arrives."""
    robot = armsim.robots.load_robot("dual_arm", tips=list(DUAL))
    F = _targets(robot, DUAL, 3, 11)
    w = (1, 1, 1, 100, 100, 100)
    prob = for_tree(robot, _weighted(robot, F, 0, w), False)[0]
    np.testing.assert_array_equal(prob.damping_scale, np.tile([1, 1, 1, 1e-4, 1e-4, 1e-4], 2))
    batch = armsim.solve_batch(robot, _weighted(robot, F, None, w))
    for i in range(3):
        res = armsim.solve(robot, _weighted(robot, F, i, w))
        assert res.success and batch.success[i] and res.iterations == batch.iterations[i]
        np.testing.assert_allclose(batch.q[i], res.q, rtol=0, atol=1e-9)
        got = robot.frames(res.q, list(DUAL))
        for k in DUAL:
            assert np.abs(got[k][:3, 3] - F[k][i][:3, 3]).max() < 1e-6
            assert np.abs(rotation_vector(got[k][:3, :3].T @ F[k][i][:3, :3])).max() < 1e-6
    # an unweighted tool beside a weighted one: its rows damp as they are
    one = {"left_tool": F["left_tool"][0], "right_tool": armsim.Target(F["right_tool"][0], w)}
    np.testing.assert_array_equal(for_tree(robot, one, False)[0].damping_scale,
                                  [1] * 6 + [1, 1, 1, 1e-4, 1e-4, 1e-4])
    assert for_tree(robot, {k: v[0] for k, v in F.items()}, False)[0].damping_scale is None


@pytest.mark.parametrize("fast", [False, True])
def test_the_joints_no_tool_moves_keep_the_callers_start(fast):
    """Solving the left tool alone leaves the right arm where the caller had it: a restart's
    start drew its joints anywhere (they moved 1.5-4.8 rad on these poses), though no tool
    of the solve depends on them."""
    from armsim.ik import compiled
    robot = armsim.robots.load_robot("dual_arm")
    rng = np.random.default_rng(4)
    q0 = rng.uniform(*robot.limits.T, (4, robot.n))
    T = robot.frames(rng.uniform(*robot.limits.T, (4, robot.n)), ["left_tool"])["left_tool"]
    right = [i for i, name in enumerate(robot.joint_names) if name.startswith("right_")]
    old = compiled.use(fast)
    try:
        batch = armsim.solve_batch(robot, {"left_tool": T}, q0=q0)
        ones = [armsim.solve(robot, {"left_tool": T[i]}, q0=q0[i]) for i in range(4)]
        plain = armsim.solve(robot, {"left_tool": T[0]})
    finally:
        compiled.use(old)
    assert batch.success.all() and all(r.success for r in ones) and plain.success
    np.testing.assert_array_equal(batch.q[:, right], q0[:, right])
    for i, res in enumerate(ones):
        np.testing.assert_array_equal(res.q[right], q0[i, right])
        assert res.iterations == batch.iterations[i]
        got = robot.frames(res.q, ["left_tool"])["left_tool"]
        assert np.abs(got[:3, 3] - T[i][:3, 3]).max() < 1e-6
    # no q0: the start's, the middle of the ranges
    mid = armsim.solve(robot, {"left_tool": T[0]}, restarts=0).q
    np.testing.assert_array_equal(plain.q[right], robot.limits[right].mean(axis=1))
    np.testing.assert_array_equal(mid[right], robot.limits[right].mean(axis=1))


@pytest.mark.parametrize("priority", [False, True])
def test_with_objectives_the_joints_no_tool_moves_start_at_the_callers_q0(priority):
    """With objectives, the left tool alone: every start (the table's, a restart's) keeps the
    right arm at the caller's q0, so an objective that asks nothing of it (an obstacle far
    off) leaves it there; it moved 1.2-3.3 rad on these poses before, a restart's start
    drawn anywhere.  An objective that asks something of it (a posture) still moves it."""
    robot = armsim.robots.load_robot("dual_arm")
    rng = np.random.default_rng(5)
    q0 = rng.uniform(*robot.limits.T, (3, robot.n))
    T = robot.frames(rng.uniform(*robot.limits.T, (3, robot.n)), ["left_tool"])["left_tool"]
    right = [i for i, name in enumerate(robot.joint_names) if name.startswith("right_")]
    far = [armsim.Obstacle([3.0, 3.0, 3.0], 0.1)]
    batch = armsim.solve_batch(robot, {"left_tool": T}, q0=q0, objectives=far,
                               priority=priority)
    ones = [armsim.solve(robot, {"left_tool": T[i]}, q0=q0[i], objectives=far,
                         priority=priority) for i in range(3)]
    assert batch.success.all() and all(r.success for r in ones)
    assert min(r.iterations for r in ones) > 0
    np.testing.assert_array_equal(batch.q[:, right], q0[:, right])
    for i, res in enumerate(ones):
        np.testing.assert_array_equal(res.q[right], q0[i, right])
        got = robot.frames(res.q, ["left_tool"])["left_tool"]
        assert np.abs(got[:3, 3] - T[i][:3, 3]).max() < 1e-6
    # a posture whose rest differs on the right arm: the objective moves it toward the rest
    rest = q0[0].copy()
    rest[right] = robot.limits[right].mean(axis=1)
    res = armsim.solve(robot, {"left_tool": T[0]}, q0=q0[0], priority=True,
                       objectives=[armsim.Posture(rest, weight=1.0)])
    assert res.success
    assert (np.abs(res.q[right] - rest[right]).max()
            < 0.5 * np.abs(q0[0, right] - rest[right]).max())
