"""Issue 14: objectives stacked under the target (AD Jacobians), task priority, obstacles,
joint-limit barrier, step cap, smoothness, and tracking without branch flips."""

import numpy as np
import pytest

import armsim
from armsim import dual as ad
from armsim.ik.geometry import chain_points
from armsim.ik.stack import Stack
from armsim.ik.problems import as_problem, SpatialTarget
from armsim.ik.tracking import figure_eight

SEVEN = armsim.Chain([0.22, 0.19, 0.16, 0.13, 0.12, 0.1, 0.08])
PANDA = armsim.robots.load("panda")
PANDA_Q = PANDA.clip(np.array([0.0, -0.5, 0.0, -2.0, 0.0, 1.6, 0.8]))


def elbow_up(q, chain):
    """The README example: the third joint kept above y = 0.05 (planar)."""
    pts = armsim.joint_positions(q, chain.lengths, chain.base)
    return ad.maximum(0.05 - pts[:, 3, 1], 0.0)[:, None]


def _fd_check(stack, q, h=1e-6):
    y, jac = stack.value_and_jacobian(q)
    np.testing.assert_allclose(y, stack.value(q), atol=1e-13)
    fd = np.empty_like(jac)
    for j in range(q.shape[1]):
        dq = np.zeros_like(q)
        dq[:, j] = h
        fd[:, :, j] = (stack.value(q + dq) - stack.value(q - dq)) / (2 * h)
    np.testing.assert_allclose(jac, fd, atol=1e-6)
    return jac


def test_custom_objective_jacobian_matches_central_differences_planar():
    smooth = armsim.Objective(lambda q, c: ad.sin(q[:, :3]) * ad.cos(ad.sum(q, axis=-1))[:, None],
                              weight=2.0)
    obs = armsim.Obstacle([0.3, 0.2], 0.05, clearance=0.3)
    stack = Stack(as_problem(SEVEN), SEVEN, [smooth, obs, armsim.Posture(np.zeros(7), 0.5),
                                             armsim.PointTarget([2.5, 4], [[0.1, 0.2], [0.3, 0.3]])])
    q = np.random.default_rng(1).uniform(-1, 1, (5, 7))
    jac = _fd_check(stack, q)
    assert stack.m == 2 + 3 + 1 + 7 + 4 and jac.shape == (5, 17, 7)
    assert np.abs(jac[:, 5]).max() > 0.1              # the obstacle's row is active


def test_custom_objective_jacobian_matches_central_differences_spatial():
    def above(q, chain):
        pts = chain.frames(q)[1]                        # (B, n + 2, 3)
        return ad.maximum(0.3 - pts[:, 4, 2], 0.0)[:, None] + ad.square(pts[:, -1, :1])
    obs = armsim.Obstacle(PANDA.tip_position(PANDA_Q) + [0.05, 0, 0], 0.05, clearance=0.2)
    stack = Stack(SpatialTarget(PANDA, "position"), PANDA,
                  [armsim.Objective(above), obs, armsim.JointLimitBarrier(0.5)])
    q = PANDA_Q + np.random.default_rng(2).uniform(-0.2, 0.2, (3, 7))
    jac = _fd_check(stack, q)
    assert np.abs(jac[:, 4:]).max() > 0.1


def test_readme_example_keeps_the_elbow_up():
    target = np.array([0.55, -0.35])
    plain = armsim.solve(SEVEN, target)
    res = armsim.solve(SEVEN, target, objectives=[armsim.Objective(elbow_up, weight=10)])
    assert SEVEN.joints(plain.q)[3, 1] < 0.05                    # without it: below
    assert res.success and SEVEN.joints(res.q)[3, 1] >= 0.05 - 1e-6
    assert res.objectives == {"objective": pytest.approx(0.0, abs=1e-6)}


def _collision_free(obstacles, chain, q):
    return min(float(o.clearance_of(chain, q[None])[0]) for o in obstacles)


def test_obstacle_planar_avoided_and_target_reached():
    target = np.array([0.5, 0.3])
    plain = armsim.solve(SEVEN, target)
    obs = [armsim.Obstacle(SEVEN.joints(plain.q)[3], 0.05)]
    assert _collision_free(obs, SEVEN, plain.q) < 0
    res = armsim.solve(SEVEN, target, objectives=obs)
    assert res.success and res.residual < 1e-6
    assert res.residual == pytest.approx(np.linalg.norm(SEVEN.tip(res.q) - target), abs=1e-15)
    assert _collision_free(obs, SEVEN, res.q) > 0
    assert res.objectives == {"obstacle": 0.0}


def test_obstacle_spatial_sphere_avoided_by_panda():
    target = PANDA.tip_position(PANDA_Q) + [0.1, 0.1, 0.0]
    plain = armsim.solve(PANDA, target, q0=PANDA_Q)
    ob = armsim.Obstacle(chain_points(PANDA, plain.q[None])[0, 5], 0.05, link_radius=0.02)
    assert ob.clearance_of(PANDA, plain.q[None])[0] < 0
    res = armsim.solve(PANDA, target, q0=PANDA_Q, objectives=[ob, armsim.JointLimitBarrier()])
    assert res.success and res.position_residual < 1e-6
    assert ob.clearance_of(PANDA, res.q[None])[0] > 0
    assert set(res.objectives) == {"obstacle", "joint_limits"}


def test_success_means_the_primary_target_and_objectives_are_reported():
    """A posture pulling away (no priority): the stacked solve is a compromise, so the
    target is missed and success says so; residual is the tip's distance by FK."""
    target = np.array([0.5, 0.3])
    res = armsim.solve(SEVEN, target, objectives=[armsim.Posture(np.zeros(7), 0.3)])
    assert not res.success and res.reason != "converged"
    assert res.residual == pytest.approx(np.linalg.norm(SEVEN.tip(res.q) - target), rel=1e-12)
    assert res.objectives["posture"] == pytest.approx(0.3 * np.linalg.norm(res.q), rel=1e-12)


@pytest.mark.parametrize("chain,target,q0", [
    (SEVEN, np.array([0.5, 0.3]), None),
    (PANDA, PANDA.tip_position(PANDA_Q) + [0.1, -0.1, 0.05], PANDA_Q),
])
def test_priority_reaches_the_target_while_the_posture_error_falls(chain, target, q0):
    rest = np.zeros(chain.n) if chain is SEVEN else PANDA.limits.mean(axis=1)
    plain = armsim.solve(chain, target, q0=q0)
    post = armsim.Posture(rest, 0.1)
    res = armsim.solve(chain, target, q0=q0, objectives=[post], priority=True, max_iter=30)
    before = 0.1 * np.linalg.norm(plain.q - rest)
    assert plain.success and res.success
    tip = chain.tip(res.q) if chain is SEVEN else chain.tip_position(res.q)
    assert np.linalg.norm(tip - target) < 1e-6 * chain.reach
    assert res.objectives["posture"] < 0.8 * before


def test_point_targets_several_end_effectors():
    q_true = np.array([0.9, -0.4, 0.5, -0.7, 0.3, 0.6, -0.2])
    pts = SEVEN.joints(q_true)
    goals = [pts[2], 0.5 * (pts[4] + pts[5])]
    plain = armsim.solve(SEVEN, pts[-1])
    res = armsim.solve(SEVEN, pts[-1], objectives=[armsim.PointTarget([2, 4.5], goals)])
    got = SEVEN.joints(res.q)
    assert np.linalg.norm(SEVEN.joints(plain.q)[2] - goals[0]) > 0.05
    assert res.success and res.objectives["point_target"] < 1e-6
    np.testing.assert_allclose(got[2], goals[0], atol=1e-6)
    np.testing.assert_allclose(0.5 * (got[4] + got[5]), goals[1], atol=1e-6)


def test_joint_limit_barrier_keeps_joints_off_their_limits():
    lim = np.tile([-1.0, 1.0], (7, 1))
    chain = armsim.Chain(SEVEN.lengths, limits=lim)
    target = np.array([0.2, 0.55])
    plain = armsim.solve(chain, target)
    gap = lambda q: np.min(np.minimum(q - lim[:, 0], lim[:, 1] - q))   # noqa: E731
    res = armsim.solve(chain, target, objectives=[armsim.JointLimitBarrier(0.2, 1.0)])
    assert plain.success and gap(plain.q) < 0.2
    assert res.success and gap(res.q) >= 0.2 - 1e-9
    assert res.objectives["joint_limits"] == 0.0


def test_max_step_is_a_hard_cap_and_smoothness_shrinks_the_change():
    q0 = np.full(7, 0.3)
    target = np.array([-0.3, 0.4])
    free = armsim.solve(SEVEN, target, q0=q0)
    assert np.abs(free.q - q0).max() > 0.5
    capped = armsim.solve(SEVEN, target, q0=q0, max_step=0.05)
    assert np.abs(capped.q - q0).max() <= 0.05 + 1e-12 and not capped.success
    near = SEVEN.tip(q0) + [0.1, 0.1]
    kw = dict(q0=q0, first_start="q0", restarts=0, max_iter=30)
    a = armsim.solve(SEVEN, near, **kw)
    b = armsim.solve(SEVEN, near, objectives=[armsim.Smoothness(q0, 0.05)], priority=True, **kw)
    assert a.success and b.success
    assert np.linalg.norm(b.q - q0) < np.linalg.norm(a.q - q0) - 0.005
    assert b.objectives["smoothness"] == pytest.approx(0.05 * np.linalg.norm(b.q - q0))
    # a q0 past the limits: the cap counts from where the solve starts, q0 clipped (it
    # counted from the caller's q0, 2 rad away: the step was scaled by 0.005, not to 0.01)
    limited = armsim.Chain([0.4, 0.3, 0.2], limits=[[-1.0, 1.0]] * 3)
    r = armsim.solve(limited, [0.5, 0.3], q0=[3.0, 0.0, 0.0], max_step=0.01)
    assert np.abs(r.q - [1.0, 0.0, 0.0]).max() == pytest.approx(0.01, abs=1e-12)


def test_batch_gives_the_single_answers():
    targets = np.array([[0.5, 0.3], [0.1, 0.6], [-0.4, 0.2]])
    objs = [armsim.Obstacle([0.25, 0.25], 0.05), armsim.Posture(np.zeros(7), 0.05)]
    batch = armsim.solve_batch(SEVEN, targets, objectives=objs, priority=True)
    for i, t in enumerate(targets):
        one = armsim.solve(SEVEN, t, objectives=objs, priority=True)
        np.testing.assert_allclose(batch.q[i], one.q, atol=1e-9)
        assert batch.success[i] == one.success
        assert batch.objectives["posture"][i] == pytest.approx(one.objectives["posture"], abs=1e-9)


@pytest.mark.parametrize("kwargs,message", [
    (dict(objectives=[3]), "objectives must be armsim objectives (Objective, Posture, Obstacle, "
                           "...), got int"),
    (dict(objectives=[armsim.Obstacle([0, 0, 0], 0.1)]),
     "Obstacle: center needs 2 coordinates for this chain, got 3"),
    (dict(objectives=[armsim.Posture([0, 0], 1)]), "Posture: q_rest must have 7 numbers, got 2"),
    (dict(objectives=[armsim.PointTarget(9, [0, 0])]),
     "PointTarget: point must be within [0, 7] (0 the base, 7 the tip), got [9.0]"),
    (dict(priority=True, method="gradient"), "priority=True needs method 'dls', got 'gradient'"),
    # one rule and one message for every max_step refused (-1 and 0 read differently)
    (dict(max_step=-1), "max_step must be a number > 0 and at most 1e+06 [rad], got -1"),
    (dict(max_step=0), "max_step must be a number > 0 and at most 1e+06 [rad], got 0"),
    (dict(max_step=float("nan")), "max_step must be a number > 0 and at most 1e+06 [rad], "
                                  "got nan"),
    # a planar chain takes ccd; objectives do not (the message said "needs a planar chain")
    (dict(method="ccd", objectives=[]), "method 'ccd' cannot take objectives (obstacles, "
                                        "posture, smoothness, ...); for this problem "
                                        "choose one of dls, gradient, pinv"),
    # a user function's rows must be q's (numpy's concatenate error, or a TypeError, before)
    (dict(objectives=[armsim.Objective(lambda q, c: np.zeros((3, 1)), name="mine")]),
     "objective 'mine': fun must return (B, k) or (B,) with B = 1 (a row per row of q), got "
     "shape (3, 1)"),
    (dict(objectives=[armsim.Objective(lambda q, c: [["a"]], name="mine")]),
     "objective 'mine': fun must return real numbers, got dtype <U1"),
])
def test_bad_objectives_name_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError) as err:
        armsim.solve(SEVEN, [0.5, 0.3], **kwargs)
    assert str(err.value) == message


# -- tracking -------------------------------------------------------------------------------
def _track(chain, path, frames, q, tip):
    """Largest per-frame joint jump of solve with q0 = the previous answer, and the count
    of jumps over 0.3 rad."""
    jumps = []
    for k in range(1, frames):
        r = armsim.solve(chain, path(k), q0=q)
        jumps.append(np.abs(r.q - q).max())
        q = r.q
    return np.array(jumps)


def _continuous(chain, path, frames, q, substeps=8):
    """The continuous solution: the target moved in small steps, a local solve each."""
    solver = armsim.Solver(chain if chain is SEVEN else SpatialTarget(chain, "position"),
                           max_iter=30, restarts=0)
    jumps = []
    for k in range(1, frames):
        start = q
        for s in range(1, substeps + 1):
            q = solver.solve(path(k - 1 + s / substeps), q).q
        jumps.append(np.abs(q - start).max())
    return np.array(jumps)


def test_tracking_a_figure_eight_has_no_branch_flips_planar():
    """The figure-eight grazes the edge of the workspace (radius 1.004 x reach): a restart
    used to turn the first joint by 2 pi (6.22 rad at frame 714)."""
    path = figure_eight((0.1, 0.25), (0.85, 0.6), 600)
    q = armsim.solve(SEVEN, path(0)).q
    jumps = _track(SEVEN, path, 2000, q, SEVEN.tip)
    cont = _continuous(SEVEN, path, 2000, q)
    assert (jumps > 0.3).sum() == 0
    assert jumps.max() <= 3 * cont.max()


def test_tracking_a_circle_has_no_branch_flips_panda():
    p0 = PANDA.tip_position(PANDA_Q)

    def path(k):
        t = 2 * np.pi * k / 500
        return p0 + 0.2 * np.array([0.0, np.cos(t) - 1.0, np.sin(t)])
    jumps = _track(PANDA, path, 600, PANDA_Q, PANDA.tip_position)
    cont = _continuous(PANDA, path, 600, PANDA_Q, substeps=4)
    assert (jumps > 0.3).sum() == 0
    assert jumps.max() <= 3 * cont.max()


@pytest.mark.parametrize("method", ["gradient", "pinv"])
def test_gradient_methods_descend_the_summed_loss(method):
    target = np.array([0.5, 0.3])
    plain = armsim.solve(SEVEN, target)
    # off the joint (where the distance to the links is 0 and not differentiable)
    ob = armsim.Obstacle(SEVEN.joints(plain.q)[3] + [0.02, 0.01], 0.05)
    res = armsim.solve(SEVEN, target, method=method, objectives=[ob], max_iter=200)
    assert res.success and ob.clearance_of(SEVEN, res.q[None])[0] > 0
    stack = Stack(as_problem(SEVEN), SEVEN, [ob])
    y, jac = stack.value_and_jacobian(plain.q[None])
    e = stack.error(target[None], y)
    # J^T e of the stack is minus the gradient of |e|^2 / 2 (the tip's and the obstacle's)
    h, grad = 1e-6, np.empty(7)
    for j in range(7):
        d = np.zeros(7)
        d[j] = h
        f = [0.5 * np.sum(stack.error(target[None], stack.value((plain.q + s * d)[None])) ** 2)
             for s in (1, -1)]
        grad[j] = (f[0] - f[1]) / (2 * h)
    np.testing.assert_allclose(np.einsum("bij,bi->bj", jac, e)[0], -grad, atol=1e-6)


# -- box and capsule obstacles, self-collision (issue 14, second part) ----------------

def test_box_and_capsule_distances_match_hand_computed_values():
    from armsim.ik import geometry as g
    a, b = np.array([[-1.0, 2.0]]), np.array([[1.0, 2.0]])
    assert g.segment_box_distance(a, b, [0, 0], [0.5, 0.5])[0] == pytest.approx(1.5, abs=1e-12)
    # nearest to a corner: (1, 1) to the corner (0.5, 0.5)
    assert g.segment_box_distance(np.array([[1.0, 1.0]]), np.array([[2.0, 2.0]]), [0, 0],
                                  [0.5, 0.5])[0] == pytest.approx(np.sqrt(0.5), abs=1e-9)
    # through the box: the depth of its centre, -0.5
    assert g.segment_box_distance(np.array([[-1.0, 0.0]]), np.array([[1.0, 0.0]]), [0, 0],
                                  [0.5, 0.5])[0] == pytest.approx(-0.5, abs=1e-8)
    # a 3-D box: (2, 0.2, 3) -> face x = 1 at distance 1, z face 3 - 2 = 1: sqrt(2)
    assert g.point_box_distance(np.array([2.0, 0.2, 3.0]), [0, 0, 0], [1, 1, 2]) == \
        pytest.approx(np.sqrt(2.0))
    # crossing segments: 0; skew 3-D segments: 1; parallel ones: 0.5
    d = g.segment_segment_distance
    assert d(np.array([-1.0, 0]), np.array([1.0, 0]), np.array([0, -1.0]), np.array([0, 1.0])) == \
        pytest.approx(0.0, abs=1e-12)
    assert d(np.array([-1.0, 0, 0]), np.array([1.0, 0, 0]), np.array([0.3, -1, 1.0]),
             np.array([0.3, 1, 1.0])) == pytest.approx(1.0)
    assert d(np.array([0.0, 0]), np.array([1.0, 0]), np.array([0.5, 0.5]),
             np.array([3.0, 0.5])) == pytest.approx(0.5)
    # the objectives: link 1 of a 1-link arm along x, box above it, capsule beside it
    one = armsim.Chain([1.0])
    box = armsim.Box([0.5, 0.3], [0.2, 0.2], link_radius=0.05).bind(one)
    assert box.clearance_of(one, np.zeros((1, 1)))[0] == pytest.approx(0.3 - 0.1 - 0.05)
    cap = armsim.Capsule([1.5, -1.0], [1.5, 1.0], 0.1).bind(one)
    assert cap.clearance_of(one, np.zeros((1, 1)))[0] == pytest.approx(0.4)
    cap.move_to([1.2, 0.0])
    assert cap.a.tolist() == [1.2, -1.0] and cap.clearance_of(one, np.zeros((1, 1)))[0] == \
        pytest.approx(0.1)


@pytest.mark.parametrize("dim", [2, 3])
def test_a_segment_inside_a_box_has_the_derivative_of_its_deepest_point(dim):
    # inside, the smallest distance along a segment sits where two faces' depths meet, and
    # that point slides along the segment as it moves: the derivative was one face's at a
    # fixed point (20-50 % off central differences; 30x inside a 7-link arm)
    from armsim.ik import geometry
    c, h = np.full(dim, 0.5), np.full(dim, 0.2)
    rng = np.random.default_rng(dim)
    f = (lambda y: geometry.segment_box_distance(y[None, :dim], y[None, dim:], c, h)[0])
    checked = 0
    for _ in range(250):
        x = rng.uniform(0.2, 0.8, 2 * dim)
        d = geometry.segment_box_distance(*(ad.Dual(x, np.eye(2 * dim))[None, s]
                                            for s in (slice(0, dim), slice(dim, None))), c, h)
        if d.value[0] > -1e-3:          # outside or near a face: the smooth case, tested elsewhere
            continue
        eps = 1e-4                      # (the search's bracket, 4e-9, is noise at smaller steps)
        up = np.array([(f(x + eps * e) - d.value[0]) / eps for e in np.eye(2 * dim)])
        down = np.array([(d.value[0] - f(x - eps * e)) / eps for e in np.eye(2 * dim)])
        if np.abs(up - down).max() > 1e-3:      # a kink within eps (the deepest point at an
            continue                            # end, or faces trading places): not smooth
        np.testing.assert_allclose(d.tangent[0], 0.5 * (up + down), atol=2e-5)
        checked += 1
    assert checked > 30


def test_box_capsule_and_self_collision_jacobians_match_central_differences():
    # configurations with every link outside the shapes (inside a box the distance has
    # a kink where the deepest face changes; see Box)
    q = np.random.default_rng(1).uniform(-1, 1, (40, 7))
    shapes = [armsim.Box([0.3, 0.2], [0.1, 0.2], clearance=0.3),
              armsim.Capsule([0.2, 0.1], [0.3, 0.3], 0.05, clearance=0.3),
              armsim.SelfCollision(0.02, 0.5)]
    for o in shapes:
        o.bind(SEVEN)
    ok = np.all([o.clearance_of(SEVEN, q) > 0 for o in shapes], axis=0)
    q = q[ok][:5]
    assert len(q) == 5
    stack = Stack(as_problem(SEVEN), SEVEN, shapes)
    jac = _fd_check(stack, q)
    assert np.abs(jac[:, 2:]).max(axis=(0, 2)).min() > 0.05      # every row active
    tip = PANDA.tip_position(PANDA_Q)
    stack = Stack(SpatialTarget(PANDA, "position"), PANDA,
                  [armsim.Box(tip + [0.05, 0, 0], [0.1, 0.1, 0.1], clearance=0.2),
                   armsim.Capsule(tip + [0, 0.1, 0], tip + [0, 0.1, 0.2], 0.05, clearance=0.2)])
    jac = _fd_check(stack, PANDA_Q + np.random.default_rng(2).uniform(-0.2, 0.2, (3, 7)))
    assert np.abs(jac[:, 3:]).max() > 0.1


def test_rows_beyond_every_margin_skip_the_dual_pass_and_keep_their_jacobian():
    # an obstacle or self-collision row whose every distance is past the margin is 0 with
    # a zero slope: it takes no Dual pass (the solve with an obstacle ran 1.7x faster); a
    # batch mixing near and far rows gives each row the Jacobian it has alone
    q = np.random.default_rng(4).uniform(-1, 1, (60, 7))
    shapes = [armsim.Obstacle([0.3, 0.2], 0.05, clearance=0.15),
              armsim.Box([0.2, 0.5], [0.1, 0.1], clearance=0.15),
              armsim.SelfCollision(0.02, 0.235)]
    for o in shapes:
        o.bind(SEVEN)
    clear = np.stack([o.clearance_of(SEVEN, q) for o in shapes])
    margin = np.array([[0.15], [0.15], [0.235]])
    near = (clear > 0) & (clear < margin)
    assert near.any(axis=1).all() and (~near & (clear > margin)).any(axis=1).all()
    keep = np.all(clear > 0, axis=0)
    stack = Stack(as_problem(SEVEN), SEVEN, shapes)
    jac = _fd_check(stack, q[keep])
    ones = np.stack([stack.value_and_jacobian(row[None])[1][0] for row in q[keep]])
    np.testing.assert_allclose(jac, ones, rtol=0, atol=1e-13)
    far = np.flatnonzero((clear[:, keep] > margin).all(axis=0))
    assert far.size and not jac[far][:, 2:].any()     # far from all: exact zeros
    stack.value_and_jacobian(q[keep][far])      # (after a call whose rows were all near, an
    calls = []                                  # objective's next takes the Dual pass at once)
    real = ad.Dual.__init__

    def counted(self, *args):
        calls.append(1)
        real(self, *args)
    ad.Dual.__init__ = counted
    try:
        stack.value_and_jacobian(q[keep][far])
    finally:
        ad.Dual.__init__ = real
    assert len(calls) == 1          # q seeded; no Dual built from a chain point onwards


def test_clearance_of_one_pose_is_the_clearance_of_that_pose():
    # one pose (n,) was read as n poses of one joint: 0.15 m for a link through the disc's
    # centre (planar), a broadcasting error (spatial)
    two = armsim.Chain([0.4, 0.3])
    assert armsim.Obstacle([0.2, 0.0], 0.05).clearance_of(two, np.zeros(2)) == \
        pytest.approx(-0.05, abs=1e-15)
    assert armsim.Box([0.2, 0.0], [0.1, 0.1]).clearance_of(two, np.zeros(2)) == \
        pytest.approx(-0.05, abs=1e-8)          # (a box's inside: a smooth corner)
    sphere = armsim.Obstacle([0.0, 0.0, 0.3], 0.05)
    one = sphere.clearance_of(PANDA, PANDA_Q)
    assert isinstance(one, float) and one == sphere.clearance_of(PANDA, PANDA_Q[None])[0]
    self_c = armsim.SelfCollision(0.02).bind(PANDA)
    assert self_c.clearance_of(PANDA, PANDA_Q) == self_c.clearance_of(PANDA, PANDA_Q[None])[0]


@pytest.mark.parametrize("make", [
    lambda p: armsim.Box(p, [0.1, 0.06]),
    lambda p: armsim.Capsule(p - [0.04, 0.0], p + [0.04, 0.02], 0.03)])
def test_a_solve_avoids_a_box_and_a_capsule_and_reaches_the_target(make):
    target = np.array([0.5, 0.3])
    plain = armsim.solve(SEVEN, target)
    obs = make(SEVEN.joints(plain.q)[3]).bind(SEVEN)
    assert obs.clearance_of(SEVEN, plain.q[None])[0] < 0           # plain: collides
    res = armsim.solve(SEVEN, target, objectives=[obs])
    assert res.success and res.residual < 1e-6
    assert obs.clearance_of(SEVEN, res.q[None])[0] >= 0.02 * SEVEN.reach - 1e-6


def test_a_solve_avoids_a_box_and_a_capsule_spatial():
    q = PANDA.clip(np.array([0.3, 0.2, 0.0, -1.8, 0.0, 1.9, 0.8]))
    target = PANDA.tip_position(q)
    plain = armsim.solve(PANDA, target)
    mid = chain_points(PANDA, plain.q[None])[0, 4]
    for obs in (armsim.Box(mid, [0.08, 0.08, 0.08], link_radius=0.03),
                armsim.Capsule(mid - [0, 0, 0.05], mid + [0, 0, 0.05], 0.04, link_radius=0.03)):
        obs.bind(PANDA)
        assert obs.clearance_of(PANDA, plain.q[None])[0] < 0
        res = armsim.solve(PANDA, target, objectives=[obs])
        assert res.success and obs.clearance_of(PANDA, res.q[None])[0] > 0


def test_self_collision_keeps_a_folding_seven_link_arm_clear():
    sc = armsim.SelfCollision(0.01, 0.02).bind(SEVEN)
    assert len(sc._i) == 15                                          # 7 links: 15 pairs
    for target in ([0.05, 0.0], [0.1, 0.1], [-0.1, 0.05]):          # folded onto itself
        plain = armsim.solve(SEVEN, target)
        assert sc.clearance_of(SEVEN, plain.q) < 0                   # plain: links cross
        res = armsim.solve(SEVEN, target, objectives=[armsim.SelfCollision(0.01, 0.02)])
        assert res.success and res.residual < 1e-6
        assert sc.clearance_of(SEVEN, res.q) >= 0.02 - 1e-6


def test_an_objective_undefined_at_the_start_is_named():
    # a user objective NaN (or infinite) at q0: no step could be judged, and the solve ran
    # every start's budget (1190 iterations on the Panda) to report {'mine': nan}
    arm = armsim.robots.load("panda")
    T = arm.matrix(arm.limits.mean(axis=1) + 0.3)
    for value, shown in ((np.nan, "nan"), (np.inf, "inf")):
        with pytest.raises(ValueError) as err:
            armsim.solve(arm, T, objectives=[armsim.Objective(
                lambda q, chain, v=value: q[:, 0] * 0.0 + v, name="mine")])
        assert str(err.value) == (f"objective 'mine' is not finite at the start q0 ({shown}); "
                                  f"a solve starts where every objective is defined")
    undefined_left = armsim.Objective(lambda q, chain: q[:, 0] ** 0.5 * 1e-3, name="root")
    q0 = np.stack([arm.clip(np.full(7, 0.5)), arm.clip(np.full(7, -0.5))])
    with pytest.raises(ValueError, match=r"^objective 'root' is not finite at the start "
                                         r"q0\[1\] \(nan\)"):
        with np.errstate(invalid="ignore"):
            armsim.solve_batch(arm, np.stack([T, T]), q0=q0, objectives=[undefined_left])
    # defined at q0 (a limited domain): it solves
    with np.errstate(invalid="ignore"):
        r = armsim.solve(arm, T, q0=q0[0], objectives=[undefined_left], tol=1e-5)
    assert np.isfinite(r.objectives["root"]) and np.isfinite(r.q).all()


def test_an_objective_may_return_a_list_and_a_planar_target_takes_no_weights():
    res = armsim.solve(SEVEN, [0.5, 0.3], objectives=[armsim.Objective(lambda q, c: [[0.0]])])
    assert res.success
    with pytest.raises(ValueError, match=r"^per-axis weights \(armsim.Target\) take a spatial "
                                         r"chain or a robot; a Chain's target is its plain "
                                         r"point$"):
        armsim.solve(SEVEN, armsim.Target([0.5, 0.4], weights=[1, 0]))


# -- memory: a row's objectives counted in the solve's chunks, refused when no memory holds one

def test_a_row_no_memory_holds_is_refused_before_any_pass(monkeypatch):
    """SelfCollision on 2,000 segments (2e6 pairs) tried to allocate 7.6 GiB in its bind;
    now one ValueError line says what a row would need (here the budget is made small)."""
    from armsim.ik import objectives, stack
    long = armsim.Chain([0.005] * 100)
    for mod in (objectives, stack):
        monkeypatch.setattr(mod, "memory_budget", lambda: 10 << 20)
    with pytest.raises(ValueError) as info:
        armsim.SelfCollision(1e-4).bind(long)
    assert str(info.value) == ("SelfCollision: 4,851 pairs of links on 100 joints would need "
                               "about 30 MiB of memory a row, more than the 10 MiB budget "
                               "(half the memory this process may use)")
    with pytest.raises(ValueError, match=r"^objectives obstacle: one row of a solve would "
                                         r"need about .* more than the 1 MiB budget"):
        monkeypatch.setattr(stack, "memory_budget", lambda: 1 << 20)
        armsim.solve(armsim.Chain([0.005] * 300), [0.3, 0.2],
                     objectives=[armsim.Obstacle([0.5, 0.5], 0.1)])


def test_objectives_evaluated_in_blocks_give_the_same_numbers(monkeypatch):
    """The objectives' values (the loop's value, the start check, the report) are taken in
    blocks of rows, and the solve's chunks count each objective's evaluation: the same
    answers, bit for bit, whatever the block."""
    from armsim.ik import objectives, stack
    objs = [armsim.SelfCollision(0.01, 0.02), armsim.Obstacle([0.35, 0.2], 0.05)]
    targets = np.random.default_rng(3).uniform(-0.6, 0.6, (40, 2))
    q0 = np.tile(np.linspace(0.1, 0.7, SEVEN.n), (40, 1))
    whole = armsim.solve_batch(SEVEN, targets, q0=q0, objectives=objs)
    prob = Stack(as_problem(SEVEN), SEVEN, objs)
    v, r = prob.value(q0 + 0.1), prob.objective_residuals(q0 + 0.1)
    monkeypatch.setattr(stack, "VALUE_CHUNK", 1)             # one row a block
    assert prob._value_rows() == 1
    assert np.array_equal(prob.value(q0 + 0.1), v)
    assert all(np.array_equal(prob.objective_residuals(q0 + 0.1)[k], r[k]) for k in r)
    blocks = armsim.solve_batch(SEVEN, targets, q0=q0, objectives=objs)
    assert np.array_equal(blocks.q, whole.q) and np.array_equal(blocks.residual, whole.residual)
    assert all(np.array_equal(blocks.objectives[k], whole.objectives[k]) for k in r)
    # a long chain's pairs make a row big: the solve's chunks shrink to a few rows
    long = armsim.Chain([0.01] * 100)
    plain = armsim.Solver(as_problem(long))._chunk
    heavy = armsim.Solver(Stack(as_problem(long), long, [armsim.SelfCollision(1e-3)]))._chunk
    assert plain > 100 * heavy and heavy >= 1


def test_clearance_of_names_a_wrong_pose_or_chain_and_a_locked_arm_has_none():
    """clearance_of raised numpy's "operands could not be broadcast" for a q of the wrong
    length or a chain of the other dimension, returned nan for a NaN q, and a scene of an
    arm with every joint locked and an obstacle stopped with "zero-size array to reduction
    operation minimum" (no link counts): now one ValueError line, and inf (none)."""
    four = armsim.Chain([0.3] * 4)
    cases = [(armsim.Obstacle([0.5, 0.0], 0.01), four, [0.0, 0.0],
              "Obstacle.clearance_of: q must be 4 finite joint values (n,) or (B, 4) for this "
              "chain, got shape (2,)"),
             (armsim.Obstacle([0.5, 0.0], 0.01), four, [0.0, 0.0, np.nan, 0.0],
              "Obstacle.clearance_of: q must be 4 finite joint values (n,) or (B, 4) for this "
              "chain, got shape (4,) with a non-finite value"),
             (armsim.Obstacle([0.5, 0.0], 0.01), PANDA, np.zeros(7),
              "Obstacle.clearance_of: this chain needs a centre of 3 coordinates, the "
              "obstacle has 2"),
             (armsim.SelfCollision(0.01), four, [0.0, 0.0],
              "SelfCollision.clearance_of: q must be 4 finite joint values (n,) or (B, 4) for "
              "this chain, got shape (2,)")]
    for obj, chain, q, message in cases:
        with pytest.raises(ValueError) as info:
            obj.clearance_of(chain, q)
        assert str(info.value) == message
    # SelfCollision on a chain it was not bound to: bound to it (its pairs are that chain's)
    sc = armsim.SelfCollision(0.01).bind(SEVEN)
    assert sc.clearance_of(four, [0.0, 0.5, 0.5, 0.5]) == pytest.approx(0.28)
    locked = armsim.Chain([1.0, 1.0], limits=[[0.0, 0.0], [0.0, 0.0]])
    far = armsim.Obstacle([5.0, 5.0], 0.1).bind(locked)
    assert far.clearance_of(locked, [0.0, 0.0]) == np.inf
    from armsim.ik.tracking import clearance
    assert clearance([far], locked, [0.0, 0.0]) is None
    res = armsim.solve(locked, [1.0, 1.0], objectives=[far])
    assert np.isfinite(res.residual) and np.isfinite(res.objectives["obstacle"])
