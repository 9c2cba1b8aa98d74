"""A link through a box that is not a cube: where it crosses the box's middle plane of its
thinnest axis, the two faces of that axis meet and the smallest distance along the link is
``-h`` (that half width) whatever small move the link makes: a slope of 0."""

import numpy as np
import pytest

import armsim
from armsim import dual as ad
from armsim.ik import geometry
from armsim.ik.objectives import _Pass


def _slopes(f, x, eps=1e-4):
    """One-sided differences up and down of f at x (the search's bracket, 4e-9, is noise at
    smaller steps)."""
    f0 = f(x)
    up = np.array([(f(x + eps * e) - f0) / eps for e in np.eye(len(x))])
    down = np.array([(f0 - f(x - eps * e)) / eps for e in np.eye(len(x))])
    return up, down


@pytest.mark.parametrize("dim", [2, 3])
def test_a_segment_across_a_flat_box_s_middle_has_a_slope_of_zero(dim):
    c, h = np.full(dim, 0.5), np.array([0.3, 0.1, 0.25][:dim])
    rng = np.random.default_rng(dim)

    def f(y):
        return geometry.segment_box_distance(y[None, :dim], y[None, dim:], c, h)[0]

    checked = 0
    for _ in range(60):
        x = np.concatenate([c + rng.uniform(-1, 1, dim) * h, c + rng.uniform(-1, 1, dim) * h])
        x[1], x[dim + 1] = 0.5 - rng.uniform(0.02, 0.1), 0.5 + rng.uniform(0.02, 0.1)
        d = geometry.segment_box_distance(*(ad.Dual(x, np.eye(2 * dim))[None, s]
                                            for s in (slice(0, dim), slice(dim, None))), c, h)
        up, down = _slopes(f, x)
        if abs(d.value[0] + 0.1) > 1e-9 or np.abs(up - down).max() > 1e-3:
            continue                    # not across the middle, or at a kink
        np.testing.assert_allclose(d.tangent[0], 0.0, atol=1e-12)
        np.testing.assert_allclose(0.5 * (up + down), 0.0, atol=1e-6)
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("robot", ["planar", "panda"])
def test_box_jacobian_at_random_poses_matches_central_differences(robot):
    # random poses put links through the box: the Jacobian was 0.34 (planar) and 0.2
    # (Panda) off central differences on a sixth to a quarter of them
    rng = np.random.default_rng(0)
    if robot == "planar":
        chain = armsim.Chain([0.22, 0.19, 0.16, 0.13, 0.12, 0.1, 0.08])
        box = armsim.Box([0.2, 0.1], [0.3, 0.2], clearance=0.1)
        q = rng.uniform(-np.pi, np.pi, (50, chain.n))
    else:
        chain = armsim.robots.load("panda")
        box = armsim.Box([0.3, 0.1, 0.4], [0.3, 0.2, 0.4], clearance=0.1)
        lim = np.asarray(chain.limits)
        q = rng.uniform(lim[:, 0], lim[:, 1], (60, chain.n))
    box.bind(chain)
    n = chain.n

    def value(x):
        return np.asarray(ad.value_of(box.residual(_Pass(x, chain))))

    inside = box.clearance_of(chain, q) < 0
    assert inside.sum() > 5
    r = box.residual(_Pass(ad.Dual(q, np.broadcast_to(np.eye(n), q.shape + (n,))), chain))
    checked = 0
    for row in range(len(q)):
        up, down = _slopes(lambda x: value(x[None])[0, 0], q[row])
        if np.abs(up - down).max() > 1e-3:
            continue                    # a kink within the step: not smooth there
        np.testing.assert_allclose(r.tangent[row, 0], 0.5 * (up + down), atol=1e-5)
        checked += inside[row]
    assert checked > 5
