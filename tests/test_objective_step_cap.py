"""max_step is a hard cap: no joint of the answer differs from q0 by more than max_step,
to the last bit (q0 + s (q - q0) rounded past it by an ulp in half the capped rows)."""

import numpy as np

import armsim
from armsim.ik.stack import capped


def test_capped_never_exceeds_the_cap():
    rng = np.random.default_rng(0)
    q0 = rng.uniform(-3, 3, (20000, 7))
    q = q0 + rng.uniform(-2, 2, q0.shape)
    for cap in (0.1, 0.05, 0.3, 1e-3, 1e-9):
        out = capped(q, q0, cap)
        assert np.abs(out - q0).max() <= cap
        assert np.abs(out - q0).max() > cap * (1 - 1e-9)      # (moved as far as allowed)
        # along the line from q0 to q, up to rounding
        s = (out - q0) / np.where(q != q0, q - q0, 1.0)
        assert np.ptp(s, axis=1).max() < 1e-6


def test_a_solve_s_answer_keeps_the_cap():
    chain = armsim.Chain([0.22, 0.19, 0.16, 0.13, 0.12, 0.1, 0.08])
    rng = np.random.default_rng(1)
    q0 = rng.uniform(-3, 3, (40, 7))
    targets = armsim.joint_positions(rng.uniform(-3, 3, (40, 7)), chain.lengths,
                                     chain.base)[:, -1]
    res = armsim.solve_batch(chain, targets, q0=q0, max_step=0.1)
    assert np.abs(res.q - q0).max() <= 0.1
    one = armsim.solve(chain, targets[0], q0=q0[0], max_step=0.1)
    assert np.abs(one.q - q0[0]).max() <= 0.1
