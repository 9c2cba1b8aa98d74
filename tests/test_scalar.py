"""The float path of one planar ``dls`` solve (armsim.ik.scalar) against the batch path."""

import numpy as np
import pytest

from armsim import Chain
from armsim.ik import DEFAULTS, Solver, scalar
from armsim.ik.problems import SCALES, _restart_table, as_problem

SETTINGS = [dict(DEFAULTS), dict(DEFAULTS, restarts=0, max_iter=40),
            dict(DEFAULTS, first_start="q0", restarts=5, seed=3, max_iter=15, first_iter=2),
            dict(DEFAULTS, seed=None, q0_radius=0.0)]


@pytest.mark.parametrize("kw", SETTINGS, ids=["defaults", "one start", "q0 first", "seed None"])
@pytest.mark.parametrize("n, lengths, limits", [
    (7, "equal", None), (3, "random", None), (2, "equal", None), (10, "random", 2.0),
    (20, "equal", None)])
def test_float_path_equals_the_batch_path(kw, n, lengths, limits):
    rng = np.random.default_rng(n)
    lens = np.full(n, 1 / n) if lengths == "equal" else rng.uniform(0.2, 1.0, n)
    chain = Chain(lens, base=(0.1, -0.2),
                  limits=None if limits is None else np.tile([-limits, limits], (n, 1)))
    solver = Solver(chain, **kw)
    if kw["seed"] is None:
        solver.seed = 5          # the same draws for both paths
    assert solver._scalar
    targets = chain.base + chain.reach * rng.uniform(-1.3, 1.3, (60, 2))   # some beyond reach
    q0 = rng.uniform(-3, 3, (60, n))
    batch = solver.solve_batch(targets, q0)
    for i in range(len(targets)):
        one = solver.solve(targets[i], q0[i])
        assert one.iterations == batch.iterations[i] and one.reason == batch.reason[i]
        assert one.success == batch.success[i]
        assert one.residual == pytest.approx(batch.residual[i], rel=1e-11, abs=1e-12)
        # converged: 1e-12; rounding grows over a long unfinished run (and at full reach,
        # where q is ill-conditioned)
        atol = {"converged": 1e-12, "unreachable": 1e-7}.get(one.reason, 1e-10)
        np.testing.assert_allclose(one.q, batch.q[i], rtol=0, atol=atol)
        if limits is not None:
            assert np.all(np.abs(one.q) <= limits)


def test_geometric_starts_are_the_batch_paths_bit_for_bit():
    chain = Chain(np.random.default_rng(1).uniform(0.2, 1.0, 7))
    prob = as_problem(chain)
    shapes, dists = _restart_table(chain.lengths, 8, 0)
    aims = np.random.default_rng(0).uniform(-2.0, 2.0, (500, 2))
    data = scalar._planar(prob)
    for i, aim in enumerate(aims):
        k = i % 8
        want = prob.pointed(shapes[k], dists[k], aim[None])[0]
        got = scalar._pointed(data, shapes[k].tolist(), dists[k].tolist(), SCALES.tolist(), *aim)
        np.testing.assert_array_equal(got, want)


def test_other_methods_and_large_chains_keep_the_array_path():
    assert not Solver(Chain(np.full(7, 1 / 7)), method="gradient")._scalar
    assert not Solver(Chain(np.full(scalar.MAX_N + 1, 0.1)))._scalar
