"""The planar chain: positions, shapes, and Jacobians against finite differences."""

import numpy as np
import pytest

from armsim import Chain, joint_positions
from armsim.ad import dual as ad

from _differences import fd

RNG = np.random.default_rng(7)


def analytic_jacobian(lengths, q):
    """Hand-written reference: column j = sum over segments k >= j of l_k (-sin, cos)(theta_k)."""
    theta = np.cumsum(q)
    sx = np.cumsum((lengths * np.sin(theta))[::-1])[::-1]
    cx = np.cumsum((lengths * np.cos(theta))[::-1])[::-1]
    return np.stack([-sx, cx])


def test_two_link_hand_values():
    c = Chain([1.0, 1.0])
    np.testing.assert_allclose(c.joints([0.0, np.pi / 2]), [[0, 0], [1, 0], [1, 1]], atol=1e-15)
    np.testing.assert_allclose(c.jacobian([0.0, np.pi / 2]), [[-1, -1], [1, 0]], atol=1e-15)
    # straight along +y: J = [[-2, -1], [0, 0]]
    np.testing.assert_allclose(c.jacobian([np.pi / 2, 0.0]), [[-2, -1], [0, 0]], atol=1e-15)
    # base offsets everything
    c2 = Chain([2.0, 1.0], base=(1.0, -1.0))
    np.testing.assert_allclose(c2.tip([0.0, 0.0]), [4.0, -1.0])


@pytest.mark.parametrize("n", [1, 2, 3, 7, 20])
def test_angle_jacobian_matches_finite_differences_and_analytic(n):
    lengths = RNG.uniform(0.1, 1.0, n)
    c = Chain(lengths, base=RNG.normal(size=2))
    for _ in range(5):
        q = RNG.uniform(-np.pi, np.pi, n)
        J = c.jacobian(q)
        assert J.shape == (2, n)
        np.testing.assert_allclose(J, fd(c.tip, q), atol=1e-8)
        np.testing.assert_allclose(J, analytic_jacobian(lengths, q), atol=1e-12)


def test_length_and_base_jacobian():
    n = 4
    lengths = RNG.uniform(0.1, 1.0, n)
    base = RNG.normal(size=2)
    c = Chain(lengths, base=base)
    q = RNG.uniform(-np.pi, np.pi, n)
    J = c.jacobian(q, wrt=("angles", "lengths", "base"))
    assert J.shape == (2, 2 * n + 2)
    np.testing.assert_allclose(J[:, :n], fd(c.tip, q), atol=1e-8)
    np.testing.assert_allclose(J[:, n:2 * n], fd(lambda L: Chain(L, base).tip(q), lengths), atol=1e-8)
    np.testing.assert_allclose(J[:, 2 * n:], np.eye(2), atol=1e-12)
    # every joint's position w.r.t. lengths (what calibration needs)
    JJ = c.joints_jacobian(q, wrt="lengths")
    assert JJ.shape == (n + 1, 2, n)
    np.testing.assert_allclose(JJ, fd(lambda L: Chain(L, base).joints(q), lengths), atol=1e-8)


def test_batch_shapes_and_equality_with_single():
    n, b = 5, 6
    c = Chain(RNG.uniform(0.1, 1.0, n))
    q = RNG.uniform(-3, 3, (b, n))
    assert c.joints(q).shape == (b, n + 1, 2)
    assert c.tip(q).shape == (b, 2)
    J = c.jacobian(q)
    assert J.shape == (b, 2, n)
    for i in range(b):
        np.testing.assert_allclose(J[i], c.jacobian(q[i]), atol=1e-15)
        np.testing.assert_allclose(c.joints(q)[i], c.joints(q[i]), atol=1e-15)
    assert c.jacobian(q, wrt=("angles", "lengths", "base")).shape == (b, 2, 2 * n + 2)


def test_same_code_on_floats_and_duals():
    lengths = np.array([0.5, 0.3])
    q = np.array([0.2, -0.4])
    plain = joint_positions(q, lengths)
    dual = joint_positions(ad.Dual.variables(q), lengths)
    assert isinstance(plain, np.ndarray)
    np.testing.assert_array_equal(plain, dual.value)


def test_segments_keep_their_lengths():
    c = Chain([0.3, 0.5, 0.2])
    pts = c.joints(RNG.uniform(-3, 3, (10, 3)))
    np.testing.assert_allclose(np.linalg.norm(np.diff(pts, axis=-2), axis=-1),
                               np.broadcast_to(c.lengths, (10, 3)))


_LIMIT_RULE = ("must be (lower, upper) with lower <= upper, each within +-1e+06 rad "
               "(lower may be -inf, upper +inf)")


@pytest.mark.parametrize("kwargs, message", [
    (dict(lengths=[1.0, -1.0]), "lengths[1] must be within [1e-50, 1e+50], got -1.0"),
    (dict(lengths=[]), "a chain needs at least one segment"),
    (dict(lengths=[1.0, np.nan]), "lengths[1] must be within [1e-50, 1e+50], got nan"),
    (dict(lengths=[1.0], base=(0, 0, 0)), "base must be two numbers within +-1e+50, got [0.0, 0.0]..."),
    (dict(lengths=[1.0, 1.0], limits=[[0, 1]]), "limits must have shape (2, 2), got (1, 2)"),
    (dict(lengths=[1.0], limits=[[1, 0]]), f"limits[0] {_LIMIT_RULE}, got [1.0, 0.0]"),
    # issue 9 item 13: sizes whose squares overflow, and limits that give a NaN tip
    (dict(lengths=[1e200] * 2), "lengths[0] must be within [1e-50, 1e+50], got 1e+200"),
    (dict(lengths=[1e308] * 2), "lengths[0] must be within [1e-50, 1e+50], got 1e+308"),
    (dict(lengths=[5e-324]), "lengths[0] must be within [1e-50, 1e+50], got 5e-324"),
    (dict(lengths=[1.0], base=(1e300, 0)), "base must be two numbers within +-1e+50, got [1e+300, 0.0]"),
    (dict(lengths=[1.0], limits=[[np.inf, np.inf]]), f"limits[0] {_LIMIT_RULE}, got [inf, inf]"),
    (dict(lengths=[1.0, 1.0], limits=[[0, 1], [-np.inf, -np.inf]]),
     f"limits[1] {_LIMIT_RULE}, got [-inf, -inf]"),
    (dict(lengths=[1.0], limits=[[0, 1e300]]), f"limits[0] {_LIMIT_RULE}, got [0.0, 1e+300]"),
    # not numbers: refused, never converted (a complex length was a TypeError traceback)
    (dict(lengths=[1 + 1j, 1.0]), "lengths must be real numbers, got complex numbers ([(1+1j), 1.0])"),
    (dict(lengths=["1", "2"]), "lengths must be an array of numbers, got ['1', '2']"),
    (dict(lengths=[1.0], base="ab"), "base must be an array of numbers, got 'ab'"),
    (dict(lengths=[1.0], limits=[[None, 1]]),
     "limits must be an array of numbers, got an array of Python objects ([[None, 1]])"),
])
def test_invalid_chains(kwargs, message):
    with pytest.raises(ValueError) as info:
        Chain(**kwargs)
    assert str(info.value) == message


def test_open_joint_limits_are_accepted_and_give_finite_tips():
    c = Chain([1.0, 1.0], limits=[[-np.inf, np.inf], [0.0, np.inf]])
    assert np.all(np.isfinite(c.tip(c.clip([5.0, -3.0]))))


@pytest.mark.parametrize("wrt, message", [
    ((), "wrt must name at least one parameter group of angles, lengths, base"),
    (("angles", "angles"), "wrt: each parameter group at most once, got ('angles', 'angles')"),
    (("base", "lengths", "base"), "wrt: each parameter group at most once, got ('base', 'lengths', 'base')"),
    (("angle",), "wrt: unknown parameter group 'angle'; choose from angles, lengths, base"),
    ((1,), "wrt: unknown parameter group '1'; choose from angles, lengths, base"),
    (5, "wrt must be a group name or a tuple of them, got 5"),
])
def test_jacobian_refuses_empty_duplicate_and_unknown_groups(wrt, message):
    c = Chain([1.0, 1.0])
    for f in (c.jacobian, c.joints_jacobian, c.tip_and_jacobian):
        with pytest.raises(ValueError) as info:
            f([0.1, 0.2], wrt=wrt)
        assert str(info.value) == message


@pytest.mark.parametrize("q", [[np.inf, 0.0], [np.nan, 0.0], [1e300, 1e300]])
def test_angles_must_be_finite_and_bounded(q):
    c = Chain([1.0, 1.0])
    for f in (c.tip, c.joints, c.jacobian):
        with pytest.raises(ValueError) as info:
            f(q)
        assert str(info.value) == "angles must be finite and within +-1e+06 rad"


def test_jacobian_refuses_before_allocating_what_cannot_fit(monkeypatch):
    """Issue 9 item 11, with the structured pass of issue 11: the estimate is 10 floats of
    8 bytes per angle of the batch (angles only) plus the output; a batch over the budget
    is refused up front, naming the memory it would need."""
    import tracemalloc

    import armsim.kinematics.planar as chain_mod
    monkeypatch.setattr(chain_mod, "memory_budget", lambda: 64 << 20)
    c = Chain(np.full(1000, 1e-3))
    q = np.zeros((1000, 1000))
    tracemalloc.start()
    with pytest.raises(ValueError) as info:
        c.jacobian(q)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert str(info.value) == (
        "the Jacobian of 1000 arm(s) of 1000 segments with 1000 columns would need about "
        "92 MiB of memory, more than the 64 MiB allowed (0.5 of the memory this process may "
        "use); pass fewer arms at a time")
    assert peak < 16 << 20         # refused before any big array was made (q itself is 8 MB)
    small = c.jacobian(q[:10])     # a batch that fits still works
    assert small.shape == (10, 2, 1000)


def _batched_analytic(lengths, q):
    theta = np.cumsum(q, axis=-1)
    sx = np.cumsum((lengths * np.sin(theta))[..., ::-1], axis=-1)[..., ::-1]
    cx = np.cumsum((lengths * np.cos(theta))[..., ::-1], axis=-1)[..., ::-1]
    return np.stack([-sx, cx], axis=-2)


def test_jacobian_n1000_b1000_runs_within_four_times_the_analytic_memory():
    """Issue 11: N = 1000, B = 1000 (22 GiB with dense tangents) now runs, its peak within
    4x the hand-written formula's, exact against it to 1e-12."""
    import tracemalloc
    c = Chain(RNG.uniform(0.5, 1.5, 1000) / 1000)
    q = RNG.uniform(-np.pi, np.pi, (1000, 1000))
    tracemalloc.start()
    ref = _batched_analytic(c.lengths, q)
    ref_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    tracemalloc.start()
    J = c.jacobian(q)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert J.shape == (1000, 2, 1000)
    assert np.max(np.abs(J - ref)) <= 1e-12
    assert peak <= 4 * ref_peak, (peak, ref_peak)
    for wrt in (("angles", "lengths", "base"), "lengths", "base"):
        k = c.jacobian(q[:1], wrt).shape[-1]
        tracemalloc.start()
        Jw = c.jacobian(q, wrt)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert Jw.shape == (1000, 2, k)
        assert peak <= 4 * ref_peak * max(1.0, k / 1000), (wrt, peak, ref_peak)
        del Jw


@pytest.mark.parametrize("wrt", ["angles", "lengths", "base", ("base", "lengths", "angles")])
def test_jacobian_n1000_matches_analytic_and_finite_differences(wrt):
    """Issue 11: every group at N = 1000, against the formula (1e-12) and central
    differences (1e-8, their own error at h = 1e-6), batched and single."""
    n = 1000
    lengths = RNG.uniform(0.5, 1.5, n) / n
    base = RNG.normal(size=2)
    c = Chain(lengths, base=base)
    q = RNG.uniform(-np.pi, np.pi, (3, n))
    J = c.jacobian(q, wrt)
    theta = np.cumsum(q, axis=-1)
    parts = {"angles": _batched_analytic(lengths, q),
             "lengths": np.stack([np.cos(theta), np.sin(theta)], axis=-2),
             "base": np.broadcast_to(np.eye(2), (3, 2, 2))}
    groups = (wrt,) if isinstance(wrt, str) else wrt
    ref = np.concatenate([parts[w] for w in groups], axis=-1)
    assert J.shape == ref.shape
    assert np.max(np.abs(J - ref)) <= 1e-12
    np.testing.assert_array_equal(c.jacobian(q[1], wrt), J[1])
    # central differences on a few columns of every group
    params = {"angles": q[0], "lengths": lengths, "base": base}

    def tip_of(group, value):
        kw = {"lengths": lengths, "base": base}
        if group == "angles":
            return Chain(lengths, base).tip(value)
        kw[group] = value
        return Chain(kw["lengths"], kw["base"]).tip(q[0])
    off = 0
    for w in groups:
        size = params[w].size
        for j in (0, size // 2, size - 1):
            e = np.zeros(size)
            e[j] = 1e-6
            col = (tip_of(w, params[w] + e) - tip_of(w, params[w] - e)) / 2e-6
            np.testing.assert_allclose(J[0, :, off + j], col, atol=1e-8)
        off += size


def test_memory_budget_is_half_the_physical_memory():
    import os

    import armsim.kinematics.planar as chain_mod
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert chain_mod.memory_budget() == int(0.5 * total)


def test_bad_wrt_and_bad_angles():
    c = Chain([1.0, 1.0])
    with pytest.raises(ValueError, match="unknown parameter group 'mass'"):
        c.jacobian([0, 0], wrt="mass")
    with pytest.raises(ValueError, match=r"angles must have shape \(\.\.\., 2\)"):
        c.tip([0, 0, 0])


def test_a_pruned_jacobian_s_estimate_covers_its_peak(monkeypatch):
    # under prune() the dense mask's temporaries peak at 6.1 floats per B (N+1) K (7.1 with
    # lengths), where the estimate counted the unpruned pass's 4 (6): a Jacobian the check
    # let through could take 0.78 of the memory instead of the budget's 0.5 (helper 106)
    import tracemalloc

    import armsim.kinematics.planar as chain_mod
    from armsim.ad.pruning import prune
    c = Chain(np.full(60, 1 / 60))
    q = np.random.default_rng(1).uniform(-1, 1, (40, 60))
    for wrt, k in ((("angles",), 60), (("angles", "lengths"), 120)):
        tracemalloc.start()
        with prune(2):
            c.tip_and_jacobian(q, wrt=wrt)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        per = chain_mod._PRUNED_FLOATS["tip" if wrt == ("angles",) else "tip+"]
        estimate = per * 8 * 40 * 61 * k
        assert peak <= estimate
        monkeypatch.setattr(chain_mod, "memory_budget", lambda e=estimate: e - 1)
        with prune(2), pytest.raises(ValueError, match="would need about"):
            c.tip_and_jacobian(q, wrt=wrt)         # refused up front at its own estimate
        monkeypatch.undo()
