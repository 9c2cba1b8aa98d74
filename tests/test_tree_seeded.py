"""A robot's link frames (Robot.poses): the plain pass over its links (tree_seeded.plain_frames)
and a Dual q's tangents by the chain rule on one-hot seeds (tree_seeded.seeded_poses), against
the factor-by-factor twist product (Robot._motions) they replaced and central differences."""

import numpy as np
import pytest

from armsim import robots
from armsim.ad import dual as ad
from armsim.ad import opcount
from armsim.kinematics.urdf import load_robot
from test_tree import TWO_ARMS


@pytest.fixture(scope="module", params=["two_arms", "two_arms floating", "dual_arm",
                                        "panda_hand"])
def robot(request, tmp_path_factory):
    name = request.param
    if name.startswith("two_arms"):
        path = tmp_path_factory.mktemp("tree") / "two_arms.urdf"
        path.write_text(TWO_ARMS)
        return load_robot(path, base_joint="floating" if "floating" in name else None)
    return robots.load_robot(name)


def _stepwise(robot, q):
    """Every link's (R, p) by the twist product, factor by factor (Duals where moved)."""
    T = robot._motions(robot.joint_values(q), len(robot._steps))
    out = {}
    for link in robot.links:
        m = T[robot._index[link]]
        out[link] = (np.eye(3), np.zeros(3)) if m is None else m.duals()
    return out


def _q(robot, shape, seed):
    lo, hi = np.nan_to_num(robot.limits, posinf=np.pi, neginf=-np.pi).T
    return np.random.default_rng(seed).uniform(lo, hi, shape + (robot.n,))


@pytest.mark.parametrize("shape", [(), (6,)])
@pytest.mark.parametrize("seed_kind", ["identity", "random"])
def test_a_dual_q_gives_the_twist_product_s_frames_and_tangents(robot, shape, seed_kind):
    n = robot.n
    q = _q(robot, shape, 1)
    dq = (np.broadcast_to(np.eye(n), shape + (n, n)) if seed_kind == "identity" else
          np.random.default_rng(2).normal(size=shape + (n, 4)))
    qd = ad.Dual(q, dq)
    got, want = robot.poses(qd), _stepwise(robot, qd)
    assert list(got) == list(robot.links)
    plain = robot.poses(q)
    for link in robot.links:
        (R, p), (Rw, pw) = got[link], want[link]
        moved = isinstance(Rw, ad.Dual)
        assert isinstance(R, ad.Dual) == moved and isinstance(p, ad.Dual) == moved, link
        # the values are the plain pass's, bit for bit (objectives decide near rows on them)
        assert np.array_equal(ad.value_of(R), plain[link][0])
        assert np.array_equal(ad.value_of(p), plain[link][1])
        assert ad.value_of(R).shape == shape + (3, 3) and ad.value_of(p).shape == shape + (3,)
        np.testing.assert_allclose(ad.value_of(R), np.broadcast_to(ad.value_of(Rw), shape + (3, 3)),
                                   atol=1e-15)
        np.testing.assert_allclose(ad.value_of(p), np.broadcast_to(ad.value_of(pw), shape + (3,)),
                                   atol=1e-15)
        if moved:
            assert R.tangent.shape == shape + (3, 3, dq.shape[-1])
            np.testing.assert_allclose(R.tangent, Rw.tangent, atol=1e-13)
            np.testing.assert_allclose(p.tangent, pw.tangent, atol=1e-13)


def test_every_link_s_jacobian_matches_central_differences(robot):
    q = _q(robot, (), 3)
    qd = ad.Dual(q, np.eye(robot.n))
    got = robot.poses(qd)
    h = 1e-6
    for j in range(robot.n):
        plus, minus = q.copy(), q.copy()
        plus[j] += h
        minus[j] -= h
        a, b = robot.poses(plus), robot.poses(minus)
        for link, (R, p) in got.items():
            if not isinstance(R, ad.Dual):
                continue
            np.testing.assert_allclose(p.tangent[:, j], (a[link][1] - b[link][1]) / (2 * h),
                                       atol=1e-7)
            np.testing.assert_allclose(R.tangent[:, :, j], (a[link][0] - b[link][0]) / (2 * h),
                                       atol=1e-7)


def test_a_mimic_adds_to_its_source_s_column(tmp_path):
    path = tmp_path / "two_arms.urdf"
    path.write_text(TWO_ARMS)
    r = load_robot(path)
    src = r.joint_names.index("finger_a_joint")
    p = r.poses(ad.Dual(_q(r, (), 4), np.eye(r.n)))["finger_b"][1]
    # finger_b slides along -y of l3 at half finger_a's rate: its column is -0.5 R_l3 y
    R3 = r.poses(_q(r, (), 4))["l3"][0]
    np.testing.assert_allclose(p.tangent[:, src], -0.5 * R3[:, 1], atol=1e-15)


def test_under_a_hook_the_poses_are_each_operation_of_the_stepwise_product(tmp_path):
    # counting operations needs every operation's tangent: the factor-by-factor pass
    path = tmp_path / "two_arms.urdf"
    path.write_text(TWO_ARMS)
    r = load_robot(path)
    qd = ad.Dual(_q(r, (), 5), np.eye(r.n))
    with opcount.counting() as counts:
        got = r.poses(qd)
    assert counts.derivative > 0
    want = _stepwise(r, qd)
    for link in r.links:
        if isinstance(want[link][0], ad.Dual):
            assert np.array_equal(got[link][0].tangent, want[link][0].tangent)


@pytest.mark.parametrize("shape", [(), (4,)])
def test_the_links_positions_are_the_poses_positions_stacked(robot, shape):
    # what obstacles and self-collision read (geometry.chain_points), in one array
    n = robot.n
    q = _q(robot, shape, 6)
    plain = robot.poses(q)
    got = robot.link_positions(q)
    assert got.shape == shape + (len(robot.links), 3)
    for r, link in enumerate(robot.links):
        assert np.array_equal(got[..., r, :], plain[link][1])
    for dq in (np.broadcast_to(np.eye(n), shape + (n, n)),
               np.random.default_rng(7).normal(size=shape + (n, 2))):
        qd = ad.Dual(q, dq)
        got, poses = robot.link_positions(qd), robot.poses(qd)
        assert got.tangent.shape == shape + (len(robot.links), 3, dq.shape[-1])
        for r, link in enumerate(robot.links):
            p = poses[link][1]
            assert np.array_equal(got.value[..., r, :], ad.value_of(p))
            want = p.tangent if isinstance(p, ad.Dual) else 0.0
            assert np.array_equal(got.tangent[..., r, :, :],
                                  np.broadcast_to(want, got.tangent[..., r, :, :].shape))


def test_a_robot_of_a_thousand_links_takes_the_factor_by_factor_pass(tmp_path):
    # the chain rule's plan holds a (steps, links x n) matrix: 1,241 links x 120 x 120
    # joints would be 143 MB; such a robot keeps the pass whose memory follows its links
    import tracemalloc

    from armsim.kinematics import tree_seeded
    from test_tree_sizes import comb
    path = tmp_path / "comb.urdf"
    path.write_text(comb(arm=600, teeth=40, every=15))
    r = load_robot(path, tips=["a600", "b600"])
    assert len(r.links) == 1241 and r.n == 120
    assert not tree_seeded.fits(r, len(r.links)) and tree_seeded.fits(r, 60)
    qd = ad.Dual(_q(r, (), 8), np.eye(r.n))
    tracemalloc.start()
    try:
        pts = r.link_positions(qd)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 60e6, f"{peak / 1e6:.1f} MB"
    want = _stepwise(r, qd)
    for k, link in enumerate(r.links[::97]):
        p = want[link][1]
        row = r.links.index(link)
        np.testing.assert_allclose(pts.value[row], ad.value_of(p), atol=1e-14)
        if isinstance(p, ad.Dual):
            np.testing.assert_array_equal(pts.tangent[row], p.tangent)
    # a few of its links take the chain rule, and agree with it
    some = list(r.links[1:60])
    got = r.poses(qd, some)
    for link in some:
        R, p = want[link]
        np.testing.assert_allclose(ad.value_of(got[link][1]), ad.value_of(p), atol=1e-14)
        if isinstance(p, ad.Dual):
            np.testing.assert_allclose(got[link][1].tangent, p.tangent, atol=1e-12)
