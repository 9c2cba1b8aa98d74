"""The restart table's float32 screens give the float64 answer: the nearest entry
(:func:`argmin32`) and the k + 1 nearest in order (:func:`nearest32`), ties to the lower
index, whatever the rounding of the screen."""

import numpy as np
import pytest

from armsim.ik import restart_table as rt


def _table(rng, entries, features, kind):
    ent = rng.normal(size=(entries, features))
    if kind == "rounded":                       # many equal distances
        ent = np.round(ent, 1)
    elif kind == "repeated":                    # the same entry many times
        ent[rng.integers(0, entries, size=entries // 2)] = ent[0]
    return ent, np.ascontiguousarray(-2.0 * ent.T), np.einsum("ij,ij->i", ent, ent)


def _exact(ent, f):
    """Squared distances entry minus aim, feature after feature (the rule's order)."""
    out = np.zeros(len(ent))
    for c in range(ent.shape[1]):
        out += (ent[:, c] - f[c]) ** 2
    return out


def _products(ent, f, sq):
    out = np.zeros(len(ent))
    for c in range(ent.shape[1]):
        out += f[c] * (-2.0 * ent[:, c])
    return out + sq


@pytest.mark.parametrize("kind", ["plain", "rounded", "repeated"])
@pytest.mark.parametrize("k", [0, 1, 3, 4, 5, 8, 20, 63])
def test_the_nearest_in_order_are_the_float64_ones(kind, k):
    rng = np.random.default_rng([k, len(kind)])
    for entries, features in ((1, 3), (9, 12), (300, 12), (1000, 12), (4096, 3)):
        ent, minus2, sq = _table(rng, entries, features, kind)
        f = np.concatenate([rng.normal(size=(20, features)),
                            ent[rng.integers(0, entries, size=10)]])   # aims on entries
        m32, top = rt.screen32(minus2, sq), float(sq.max())
        kk = min(k, entries - 1)
        got = rt.nearest32(f, m32, top, k, rt.exact_distances(f, ent))
        assert got.shape == (len(f), kk + 1)
        prod = rt.nearest32(f, m32, top, k, rt.product_distances(f, -2.0 * ent, sq))
        for i, row in enumerate(f):
            # np.lexsort: by distance, equal ones by index
            want = np.lexsort((np.arange(entries), _exact(ent, row)))[:kk + 1]
            assert got[i].tolist() == want.tolist()
            one = f[i:i + 1]                   # a row alone (the few rows' path)
            assert rt.nearest32(one, m32, top, k, rt.exact_distances(one, ent))[0].tolist() \
                == want.tolist()
            want = np.lexsort((np.arange(entries), _products(ent, row, sq)))[:kk + 1]
            assert prod[i].tolist() == want.tolist()
            assert rt.nearest32(one, m32, top, k, rt.product_distances(
                one, -2.0 * ent, sq))[0].tolist() == want.tolist()


def test_the_screened_argmin_is_the_float64_argmin():
    rng = np.random.default_rng(5)
    ent, minus2, sq = _table(rng, 4096, 12, "plain")
    f = np.concatenate([rng.normal(size=(300, 12)), ent[:50] + 1e-9])
    j, tie = rt.argmin32(f, rt.screen32(minus2, sq), float(sq.max()))
    d = f @ minus2 + sq
    undecided = set(tie.tolist())
    assert len(undecided) < 10
    for i in range(len(f)):
        if i not in undecided:
            assert j[i] == d[i].argmin()


def test_a_row_that_is_not_finite_takes_every_entry_and_stays_in_bounds():
    rng = np.random.default_rng(6)
    ent, minus2, sq = _table(rng, 50, 3, "plain")
    f = np.array([[np.nan, 0.0, 0.0], [0.1, 0.2, 0.3]])
    got = rt.nearest32(f, rt.screen32(minus2, sq), float(sq.max()), 2,
                       rt.exact_distances(f, ent))
    assert got.shape == (2, 3) and ((got >= 0) & (got < 50)).all()
    assert got[1].tolist() == np.lexsort((np.arange(50), _exact(ent, f[1])))[:3].tolist()


def test_rows_not_finite_beside_finite_ones_in_the_blocks_path():
    # k >= KTH_PASSES on a table of many blocks: the finite rows take the blocks' bound,
    # the others every entry; each finite row gets the float64 ranking
    rng = np.random.default_rng(9)
    ent, minus2, sq = _table(rng, 1000, 3, "rounded")
    f = rng.normal(size=(12, 3))
    f[[2, 7], 1] = [np.nan, np.inf]
    k = rt.KTH_PASSES + 6
    with np.errstate(invalid="ignore"):     # the rows not finite
        got = rt.nearest32(f, rt.screen32(minus2, sq), float(sq.max()), k,
                           rt.exact_distances(f, ent))
    assert got.shape == (12, k + 1) and ((got >= 0) & (got < 1000)).all()
    for i in set(range(12)) - {2, 7}:
        assert got[i].tolist() == np.lexsort((np.arange(1000), _exact(ent, f[i])))[:k + 1].tolist()


def test_the_bound_grows_with_the_features():
    assert rt.screen_ulps(3) == rt.screen_ulps(28) == rt.SCREEN_ULPS
    assert rt.screen_ulps(100) == 104
    # a wide table (a robot of many tools): the screen still gives the float64 ranking
    rng = np.random.default_rng(8)
    ent, minus2, sq = _table(rng, 500, 96, "rounded")
    f = np.concatenate([rng.normal(size=(10, 96)), ent[:5]])
    m32, top = rt.screen32(minus2, sq), float(sq.max())
    got = rt.nearest32(f, m32, top, 3, rt.exact_distances(f, ent))
    for i, row in enumerate(f):
        assert got[i].tolist() == np.lexsort((np.arange(500), _exact(ent, row)))[:4].tolist()
