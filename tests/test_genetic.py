"""The genetic algorithm: keeps the best, replaces exactly the worst, deterministic under a seed."""

import numpy as np
import pytest

from armsim.vision.genetic import GeneticSettings, doomed, next_generation, rank


def _population(m=5, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, d)), rng.uniform(1e-5, 1e-2, (m, d)), rng.uniform(0, 10, m)


@pytest.mark.parametrize("population", [3, 4, 5, 6, 9])
def test_replaces_exactly_the_worst_and_keeps_the_best(population):
    m = population - 1
    params, rates, losses = _population(m)
    count = GeneticSettings(population=population).replace_count
    assert count == (population - 1) // 2
    before_p, before_r = params.copy(), rates.copy()
    g = next_generation(params, rates, losses, count, 0.2, (1e-5, 1e-2), np.random.default_rng(1))
    worst = np.argsort(losses)[m - count:]
    assert sorted(g.replaced.tolist()) == sorted(worst.tolist())
    keep = np.setdiff1d(np.arange(m), g.replaced)
    np.testing.assert_array_equal(params[keep], before_p[keep])     # the best and other survivors
    np.testing.assert_array_equal(rates[keep], before_r[keep])
    assert np.argmin(losses) in keep
    assert np.all(g.fathers == np.argmin(losses))
    assert not set(g.mothers.tolist()) & set(g.replaced.tolist())  # mothers are survivors
    for i, f, mo in zip(g.replaced, g.fathers, g.mothers):
        from_parent = (params[i] == before_p[f]) | (params[i] == before_p[mo])
        assert np.all(from_parent)
        rate_ok = (rates[i] == before_r[f]) | (rates[i] == before_r[mo]) | \
                  ((rates[i] >= 1e-5) & (rates[i] <= 1e-2))
        assert np.all(rate_ok)


def test_deterministic_under_a_seed():
    outs = []
    for _ in range(2):
        params, rates, losses = _population(7, seed=4)
        next_generation(params, rates, losses, 3, 0.2, (1e-5, 1e-2), np.random.default_rng(9))
        outs.append((params, rates))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_mutation_one_draws_fresh_rates_in_range():
    params, rates, losses = _population(5)
    old = rates.copy()
    g = next_generation(params, rates, losses, 2, 1.0, (0.5, 0.6), np.random.default_rng(2))
    assert np.all((rates[g.replaced] >= 0.5) & (rates[g.replaced] <= 0.6))
    keep = np.setdiff1d(np.arange(5), g.replaced)
    np.testing.assert_array_equal(rates[keep], old[keep])


def test_single_candidate_has_no_ga():
    assert GeneticSettings(population=2).replace_count == 0
    assert GeneticSettings(population=6, enabled=False).replace_count == 0
    assert GeneticSettings(population=6, replaced=4).replace_count == 4


def test_rank_and_doomed():
    losses = np.array([3.0, 1.0, 2.0, 5.0])
    assert rank(losses).tolist() == [1, 2, 0, 3]
    assert sorted(doomed(losses, 2).tolist()) == [0, 3]
    assert doomed(losses, 0).size == 0


def test_cannot_replace_the_best():
    params, rates, losses = _population(3)
    with pytest.raises(ValueError, match="cannot replace 3 of 3 candidates"):
        next_generation(params, rates, losses, 3, 0.2, (1e-5, 1e-2), np.random.default_rng(0))


@pytest.mark.parametrize("kwargs, message", [
    ({"population": 1}, "population: must be an integer >= 2"),
    ({"population": 2.5}, "population: must be an integer >= 2"),
    ({"period": 0}, "period: must be an integer >= 1, got 0"),
    ({"enabled": "yes"}, "enabled: must be true or false"),
    ({"population": 4, "replaced": 3}, "replaced: must be an integer in [0, population - 2] = [0, 2]"),
    ({"mutation": 1.5}, "mutation: must be a probability in [0, 1], got 1.5"),
])
def test_invalid_settings(kwargs, message):
    with pytest.raises(ValueError) as err:
        GeneticSettings(**kwargs).validate()
    assert str(err.value).startswith(message)
