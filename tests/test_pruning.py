"""Top-k tangent pruning: dense-with-mask and sparse slots with the hardware merge rule."""

import numpy as np
import pytest

from armsim import Chain
from armsim.ad import dual as ad
from armsim.ad.dual import Dual
from armsim.ad.pruning import (Slots, active, dense_tangent, jacobian, mark, merge, prune,
                            to_slots, topk)


def slots(ids, vals, n=8):
    return Slots(np.array([ids]), np.array([vals], dtype=float), n)


# -- dense top-k ----------------------------------------------------------------

def test_topk_keeps_exactly_the_k_largest_magnitudes():
    t = np.array([[0.1, -5.0, 3.0, 0.2, -4.0],
                  [1.0, 2.0, 3.0, 4.0, 5.0]])
    out = topk(t, 2)
    np.testing.assert_array_equal(out, [[0, -5.0, 0, 0, -4.0], [0, 0, 0, 4.0, 5.0]])
    np.testing.assert_array_equal(topk(t, 1), [[0, -5.0, 0, 0, 0], [0, 0, 0, 0, 5.0]])


def test_topk_keeps_ties_at_the_kth_magnitude():
    t = np.array([[1.0, -2.0, 2.0, 0.5, 2.0]])
    np.testing.assert_array_equal(topk(t, 2), [[0, -2.0, 2.0, 0, 2.0]])
    np.testing.assert_array_equal(topk(t, 1), [[0, -2.0, 2.0, 0, 2.0]])


def test_topk_with_k_none_or_large_returns_the_same_array():
    t = np.arange(6.0).reshape(2, 3)
    assert topk(t, None) is t
    assert topk(t, 3) is t


def test_topk_keeps_a_nan_derivative_and_k_entries_beside_it():
    # a NaN magnitude compared as smaller than everything: k = 1 zeroed the whole row (the
    # NaN and the 2.0), k = 2 kept only 2.0; a NaN derivative must not turn into zeros
    t = np.array([[np.nan, 1.0, -2.0, 0.5]])
    np.testing.assert_array_equal(topk(t, 1), [[np.nan, 0, 0, 0]])
    np.testing.assert_array_equal(topk(t, 2), [[np.nan, 0, -2.0, 0]])
    # and a pruned Jacobian was finite where the unpruned one is NaN (0 * NaN is NaN)
    w = np.array([np.nan, 1.0, -2.0, 0.5])
    x = [0.1, 0.2, 0.3, 0.4]
    for f in (lambda v: ad.sum(v * w), lambda v: v[0] * w[0] + ad.sin(v)):
        assert np.isnan(ad.jacobian(f, x)).all()
        assert np.isnan(jacobian(f, x, k=1)).all()      # was [0, 0, -2, 0] and diag(cos x)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_k_is_an_error(bad):
    with pytest.raises(ValueError, match="k must be None or an integer >= 1"):
        topk(np.ones((2, 3)), bad)


def test_unknown_options_are_errors():
    msg = "unknown representation 'slots'; choose one of dense, sparse"
    with pytest.raises(ValueError, match=msg):
        with prune(2, representation="slots"):
            pass
    msg = "unknown pruning point 'some'; choose one of every, marked"
    with pytest.raises(ValueError, match=msg):
        with prune(2, at="some"):
            pass
    with pytest.raises(ValueError, match="at='marked' needs representation 'dense'"):
        with prune(2, at="marked", representation="sparse"):
            pass


def _arm(x):
    from armsim.kinematics.planar import joint_positions
    return joint_positions(x, np.array([0.3, 0.2, 0.25, 0.15, 0.1]))[..., -1, :]


def _mixed(x):
    return (ad.sum(ad.sin(x) * x[::-1] / (1.0 + x * x), axis=0)
            + ad.atan2(x[0], x[1]) * ad.hypot(x[2], x[3]) + ad.exp(-x[4]) ** 2)


@pytest.mark.parametrize("f", [_arm, _mixed])
def test_k_none_is_the_dense_result_bit_for_bit(f):
    x = np.random.default_rng(3).uniform(-1, 1, 5)
    dense = ad.jacobian(f, x)
    with prune(None):
        y = f(Dual.variables(x))
    assert np.array_equal(y.tangent, dense)
    assert np.array_equal(jacobian(f, x, k=None), dense)
    assert ad.hooks() == [] and not ad.instrumented()


def test_pruning_every_operation_bounds_each_row_of_the_arm_jacobian():
    c = Chain(np.full(12, 1 / 12))
    q = np.random.default_rng(5).uniform(-1, 1, 12)
    _, J = c.tip_and_jacobian(q)
    with prune(4):
        _, Jp = c.tip_and_jacobian(q)
    assert np.all(np.count_nonzero(Jp, axis=-1) <= 4)
    # the angles' absolute-angle tangents are all ties (ones), so the only
    # pruning happens at the last cumulative sum: the rows are top-4 of J (J from the
    # structured pass, the pruned one from the dense pass: equal to rounding)
    np.testing.assert_allclose(Jp, topk(J, 4), rtol=0, atol=1e-15)
    assert np.array_equal(Jp != 0, topk(J, 4) != 0)
    assert ad.hooks() == [] and not ad.instrumented()


def test_mark_prunes_only_where_marked():
    x = np.array([0.3, -1.2, 0.7, 2.0])

    def f(v):
        a = mark(v * v)                  # one entry per element: unchanged
        return mark(ad.sum(a * v))       # four entries -> the two largest

    with prune(2, at="marked"):
        y = f(Dual.variables(x))
    np.testing.assert_allclose(y.tangent, [0, 3 * 1.44, 0, 12.0], rtol=1e-15)
    assert mark(y) is y                  # outside a context: unchanged


# -- sparse slots and the merge rule ------------------------------------------

def test_merge_same_id_adds():
    out = merge(slots([1, 4], [0.5, -1.0]), slots([4, -1], [0.25, 0.0]))
    np.testing.assert_array_equal(out.ids, [[1, 4]])
    np.testing.assert_array_equal(out.vals, [[0.5, -0.75]])


def test_merge_new_id_takes_a_free_slot():
    out = merge(slots([1, -1, -1], [0.5, 0, 0]), slots([6], [-0.1]))
    np.testing.assert_array_equal(out.ids, [[1, 6, -1]])
    np.testing.assert_array_equal(out.vals, [[0.5, -0.1, 0.0]])


def test_merge_smaller_new_id_is_dropped():
    out = merge(slots([1, 2], [0.5, -0.3]), slots([7], [0.2]))
    np.testing.assert_array_equal(out.ids, [[1, 2]])
    np.testing.assert_array_equal(out.vals, [[0.5, -0.3]])
    tie = merge(slots([1, 2], [0.5, -0.3]), slots([7], [0.3]))   # equal: not larger
    np.testing.assert_array_equal(tie.ids, [[1, 2]])


def test_merge_larger_new_id_replaces_the_smallest():
    out = merge(slots([1, 2, 3], [0.5, -0.3, 0.9]), slots([7], [-0.4]))
    np.testing.assert_array_equal(out.ids, [[1, 7, 3]])
    np.testing.assert_array_equal(out.vals, [[0.5, -0.4, 0.9]])


def test_merge_is_sequential_and_can_differ_from_dense_topk():
    # b's entries arrive in slot order: id 3 evicts id 2 before id 2's add arrives
    a, b = slots([1, 2], [0.5, 0.4], 4), slots([3, 2], [0.45, 0.4], 4)
    out = merge(a, b)
    np.testing.assert_array_equal(out.to_dense(), [[0, 0.5, 0, 0.45]])
    np.testing.assert_array_equal(topk(a.to_dense() + b.to_dense(), 2), [[0, 0.5, 0.8, 0]])


def test_to_slots_round_trip_and_overflow():
    t = np.array([[0.0, 2.0, 0.0, -1.0], [1.0, 0.0, 0.0, 0.0]])
    s = to_slots(t, 2)
    np.testing.assert_array_equal(s.to_dense(), t)
    full = to_slots(np.array([[0.1, 0.3, -0.2, 0.4]]), 2)   # id order: 0, 1, then 2 vs 0, 3 vs 2
    np.testing.assert_array_equal(full.to_dense(), [[0, 0.3, 0, 0.4]])


@pytest.mark.parametrize("f", [_arm, _mixed])
def test_sparse_equals_dense_when_nothing_is_dropped(f):
    x = np.random.default_rng(11).uniform(-1, 1, 5)
    dense = ad.jacobian(f, x)
    sparse = jacobian(f, x, k=5, representation="sparse")
    np.testing.assert_allclose(sparse, dense, rtol=0, atol=1e-14)
    masked = jacobian(f, x, k=5, representation="dense")
    np.testing.assert_array_equal(masked, dense)
    with prune(5, representation="sparse"):      # dual.jacobian reads sparse tangents too
        np.testing.assert_allclose(ad.jacobian(f, x), dense, rtol=0, atol=1e-14)


def test_sparse_k_above_the_directions_allocates_no_more_slots_than_directions():
    # k slots were allocated per value element whatever K: k = 10**6 took 292 MB for a
    # 4-element function, k = 10**12 a MemoryError traceback; more than K slots stay empty
    x = np.array([0.3, 0.5, 0.7, 0.9])
    dense = ad.jacobian(_mixed_small, x)
    for k in (4, 5, 1000, 10**12):
        with prune(k, representation="sparse"):
            y = _mixed_small(Dual.variables(x))
        assert isinstance(y.tangent, Slots) and y.tangent.k == 4
        np.testing.assert_allclose(dense_tangent(y.tangent), dense, rtol=1e-15, atol=1e-15)
        assert to_slots(np.eye(4), k).k == 4


def test_sparse_pruning_of_no_directions_is_the_empty_jacobian():
    # K = 0 (an empty x): the dense mask gave the (0, 0) Jacobian, the slots "ValueError:
    # cannot reshape array of size 0 into shape (0)"
    for x in (np.zeros(0), np.zeros((2, 0))):
        J = jacobian(lambda v: v * v, x, k=3, representation="sparse")
        assert J.shape == x.shape * 2 and J.shape == jacobian(lambda v: v * v, x, k=3).shape


def _mixed_small(x):
    return ad.sum(ad.sin(x) * x[::-1]) * x + ad.cumsum(x * x)


# functions that use the seed itself, not only its entries: its tangent is dense (no
# operation made it) and meets the slots of the operations' results
_ON_THE_SEED = {
    "product": lambda x: (x + 1.0) * x,
    "quotient": lambda x: x / (x + 1),
    "atan2": lambda x: ad.atan2(x[0], x[1]) * x,
    "hypot": lambda x: ad.hypot(x[0], x[1]) * x,
    "concatenate": lambda x: ad.concatenate([x, 2 * x]),
    "power": lambda x: x ** x,
    "cumsum": lambda x: ad.sin(x[0] * x[1]) + ad.cumsum(x) * x,
    "stack, sum, where": lambda x: ad.where(x > 0.4, ad.stack([x, x * x]), -x) * ad.sum(x * x),
}


@pytest.mark.parametrize("name", sorted(_ON_THE_SEED))
def test_sparse_equals_dense_on_functions_of_the_seed(name):
    # was TypeError "cannot mix a non-zero dense tangent with a sparse one" (k = K) and
    # ValueError "Duals of 1 and 3 directions cannot be combined" (k < K)
    f, x = _ON_THE_SEED[name], np.array([0.3, 0.5, 0.7])
    dense = ad.jacobian(f, x)
    np.testing.assert_allclose(jacobian(f, x, k=3, representation="sparse"), dense,
                               rtol=1e-15, atol=1e-15)
    xs = np.random.default_rng(5).uniform(0.2, 1.0, (4, 3))        # a batch of seeds
    with prune(3, representation="sparse"):
        y = f(ad.seed(xs, batch_dims=1))
    np.testing.assert_allclose(dense_tangent(y.tangent), f(ad.seed(xs, batch_dims=1)).tangent,
                               rtol=1e-15, atol=1e-15)
    for k in (1, 2):
        pruned = jacobian(f, x, k=k, representation="sparse")
        assert np.count_nonzero(pruned, axis=-1).max() <= k
        if np.count_nonzero(dense, axis=-1).max() <= k:                 # nothing to drop
            np.testing.assert_allclose(pruned, dense, rtol=1e-15, atol=1e-15)


def test_sparse_prunes_a_function_of_the_seed_as_the_merge_rule_says():
    f = lambda x: (x + 1.0) * x                                          # noqa: E731
    for k in (1, 2):            # one entry per row: nothing to drop (was an error at k = 1)
        J = jacobian(f, [0.3, 0.5], k=k, representation="sparse")
        np.testing.assert_allclose(J, [[1.6, 0.0], [0.0, 2.0]], rtol=1e-15)
    # x * x[0]: row 1 is x0 e1 (the seed's, arriving first) + x1 e0 (x[0]'s slots); with one
    # slot e0 replaces e1 only if strictly larger
    g = lambda x: x * x[0]                                               # noqa: E731
    J = jacobian(g, [0.3, 0.5], k=1, representation="sparse")
    np.testing.assert_allclose(J, [[0.6, 0.0], [0.5, 0.0]], rtol=1e-15)
    J = jacobian(g, [0.5, 0.3], k=1, representation="sparse")
    np.testing.assert_allclose(J, [[1.0, 0.0], [0.0, 0.5]], rtol=1e-15)
    J = jacobian(g, [0.4, 0.4], k=1, representation="sparse")          # a tie: e0 dropped
    np.testing.assert_allclose(J, [[0.8, 0.0], [0.0, 0.4]], rtol=1e-15)
    masked = jacobian(g, [0.4, 0.4], k=1, representation="dense")      # the mask keeps ties
    np.testing.assert_allclose(masked, [[0.8, 0.0], [0.4, 0.4]], rtol=1e-15)


def test_a_varying_power_reads_sparse_tangents_where_a_slope_is_undefined():
    # the exponent's slope at a negative base is undefined: it matters only where the
    # exponent's tangent (here slots) is non-zero
    J = jacobian(lambda x: x[0] ** (x[1] * 0.0 + 2.0), [-2.0, 5.0], k=1, representation="sparse")
    np.testing.assert_array_equal(J, [-4.0, 0.0])
    with pytest.raises(ValueError, match="with respect to y is undefined at x = -2, y = 2"):
        jacobian(lambda x: x[0] ** x[1], [-2.0, 2.0], k=1, representation="sparse")


def test_sparse_tangents_flow_through_the_arm_with_batches():
    c = Chain([0.4, 0.3, 0.2, 0.1])
    q = np.random.default_rng(2).uniform(-1, 1, (3, 4))
    _, J = c.tip_and_jacobian(q)
    with prune(2, representation="sparse"):
        _, Js = c.tip_and_jacobian(q)
    assert isinstance(Js, Slots)
    Jd = dense_tangent(Js)
    assert Jd.shape == J.shape
    assert np.all(np.count_nonzero(Jd, axis=-1) <= 2)
    with prune(4, representation="sparse"):
        _, Js = c.tip_and_jacobian(q)
    np.testing.assert_allclose(dense_tangent(Js), J, atol=1e-14)


def test_sparse_rejects_unsupported_operations():
    x = Dual.variables(np.ones(3))
    with prune(2, representation="sparse"):
        with pytest.raises(TypeError, match="sparse tangents do not support"):
            ad.matmul(np.ones((2, 3)), x * 2.0)


# -- the benchmark ------------------------------------------------------------

def _bench():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "bench" / "pruning.py"
    spec = importlib.util.spec_from_file_location("bench_pruning", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pruning_benchmark_runs_in_quick_mode(tmp_path, capsys):
    import json
    out = tmp_path / "p.json"
    result = _bench().main(["--quick", "--json", str(out)])
    data = json.loads(out.read_text())
    assert data["quick"] is True and len(data["ik"]) == len(result["ik"]) > 0
    full = [r for r in data["ik"] if r["k"] == "all"]
    assert all(r["cosine_mean"] == pytest.approx(1.0) for r in full)
    assert all(0.0 <= r["success_rate"] <= 1.0 for r in data["ik"])
    assert {r["k"] for r in data["network"]} == {"2", "8", "all"}
    assert all(np.isfinite(r["val_loss"]) for r in data["network"])
    assert all(len(b) == 2 for b in data["network_best_k"].values())
    assert data["network_other_seeds_best_k"]["43"]["50"] in (["2", "2"], ["8", "8"], ["all", "all"])
    out = capsys.readouterr().out
    assert "best k by (final, tail) validation MSE" in out
    assert "mean epochs to validation MSE < 0.01" in out


def test_network_training_is_deterministic_and_pruning_changes_it():
    b = _bench()
    a1 = b.train_network(50, 4, epochs=2)
    a2 = b.train_network(50, 4, epochs=2)
    full = b.train_network(50, None, epochs=2)
    assert a1 == a2
    assert a1["train"] != full["train"]


def test_network_gradient_matches_finite_differences():
    b = _bench()
    rng = np.random.default_rng(0)
    w, x = rng.normal(0, 0.5, b.N_WEIGHTS), rng.uniform(0, 1, (6, 4))
    y = x.sum(axis=1)
    g = b.mse(Dual.variables(w), x, y).tangent
    h = 1e-6
    fd = np.array([(b.mse(w + h * e, x, y) - b.mse(w - h * e, x, y)) / (2 * h)
                   for e in np.eye(b.N_WEIGHTS)])
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_pruning_in_one_thread_leaves_another_thread_s_jacobian_whole():
    # the hooks were one list for the process: prune() in one thread pruned the Dual
    # operations of every other (a solve's objectives, a user's jacobian) while it lasted
    import threading
    c = Chain(np.full(12, 1 / 12))
    q = np.random.default_rng(5).uniform(-1, 1, 12)
    f = lambda v: ad.stack([ad.sum(ad.sin(v) * v), ad.sum(ad.cos(v))])     # noqa: E731
    whole = ad.jacobian(f, q)
    inside, leave = threading.Event(), threading.Event()
    seen = {}

    def pruner():
        with prune(1):
            seen["pruned"] = c.tip_and_jacobian(q)[1]
            inside.set()
            leave.wait(30)

    t = threading.Thread(target=pruner)
    t.start()
    try:
        assert inside.wait(30)
        assert not ad.instrumented() and active() is None      # this thread: nothing hooked
        assert np.array_equal(ad.jacobian(f, q), whole)         # its Jacobian whole
        assert np.array_equal(c.tip_and_jacobian(q)[1], c.tip_and_jacobian(q)[1])
        assert np.count_nonzero(c.tip_and_jacobian(q)[1], axis=-1).max() == 12
    finally:
        leave.set()
        t.join()
    assert np.count_nonzero(seen["pruned"], axis=-1).max() == 1  # the other thread's: pruned
