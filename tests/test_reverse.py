"""Reverse mode (tape) against forward mode (Dual) on every rule, to 1e-12."""

import numpy as np
import pytest

from armsim.ad import dual as ad
from armsim.ad import reverse as rv
from armsim.kinematics.planar import joint_positions

RNG = np.random.default_rng(77)


def check(f, x):
    """Gradient of sum(w * f(x)) by both modes, w random (a random adjoint seed)."""
    y0 = np.asarray(f(x))
    w = RNG.uniform(-1, 1, y0.shape)

    def loss(v):
        return ad.sum(f(v) * w)

    J = ad.jacobian(f, x)                        # y.shape + x.shape
    fwd = np.tensordot(w, J, axes=w.ndim) if w.ndim else w * J
    val, rev = rv.value_and_grad(loss, x)
    np.testing.assert_allclose(rev, fwd, rtol=0, atol=1e-12)
    np.testing.assert_allclose(val, np.sum(w * y0), rtol=1e-13)


UNARY = {"sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "atan": (-3, 3), "sqrt": (0.1, 4),
         "exp": (-2, 2), "log": (0.1, 4), "tanh": (-2, 2), "sigmoid": (-4, 4), "abs": (0.1, 3),
         "square": (-3, 3)}


def test_every_unary_rule_has_a_reverse_rule():
    assert set(rv.VJP_RULES) == set(ad.JVP_RULES) == set(UNARY)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_rules_agree(name):
    lo, hi = UNARY[name]
    x = RNG.uniform(lo, hi, (3, 4))
    if name == "abs":
        x *= RNG.choice([-1, 1], x.shape)
    f = getattr(ad, name)
    check(f, x)
    if name != "sigmoid":   # numpy's own ufunc on a Var reaches the same rule
        g = getattr(np, {"atan": "arctan", "abs": "absolute"}.get(name, name))
        w = RNG.uniform(-1, 1, x.shape)
        np.testing.assert_array_equal(rv.grad(lambda v: ad.sum(g(v) * w), x),
                                      rv.grad(lambda v: ad.sum(f(v) * w), x))


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "atan2": ad.atan2,
    "hypot": ad.hypot, "maximum": ad.maximum, "minimum": ad.minimum,
    "where": lambda a, b: ad.where(np.array([True, False, True, False, True]), a, b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_rules_agree(name):
    a = RNG.uniform(0.5, 2.0, 5)
    b = RNG.uniform(0.5, 2.0, 5) * (1 if name == "pow" else RNG.choice([-1, 1], 5))
    check(lambda x: BINARY[name](x[0], x[1]), np.stack([a, b]))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "rsub", "rdiv", "rpow", "neg"])
def test_operators_with_constants_agree(op):
    c = RNG.uniform(0.5, 2.0, (2, 3))
    fs = {"add": lambda v: v + c, "sub": lambda v: v - c, "mul": lambda v: c * v,
          "div": lambda v: v / c, "pow": lambda v: v ** 2.5, "rsub": lambda v: c - v,
          "rdiv": lambda v: c / v, "rpow": lambda v: 1.7 ** v, "neg": lambda v: -v}
    check(fs[op], RNG.uniform(0.5, 2.0, (2, 3)))


STRUCTURAL = {
    "cumsum": lambda v: ad.cumsum(v, axis=-1) * ad.cumsum(v, axis=0),
    "sum": lambda v: ad.sum(v * v, axis=0) + ad.sum(v, axis=-1, keepdims=True).reshape(-1)[0],
    "stack": lambda v: ad.stack([v[0], v[1] * 2.0, np.ones(4)], axis=-1),
    "concatenate": lambda v: ad.concatenate([v, np.zeros((1, 4)), v * v], axis=0),
    "getitem": lambda v: v[1, ::-1] * v[..., 2][0],
    "reshape": lambda v: ad.reshape(v, (4, 2)) * np.arange(8.0).reshape(4, 2),
    "moveaxis": lambda v: ad.moveaxis(v * v, 0, 1),
    "broadcast_to": lambda v: ad.broadcast_to(v[0], (3, 4)) * v[1],
    "matmul_mv": lambda v: ad.matmul(v, np.arange(4.0)),
    "matmul_vm": lambda v: ad.matmul(v[0], np.ones((4, 4))) + ad.matmul(np.ones(2), v),
    "matmul_mm": lambda v: ad.matmul(v.T, v),
    "matmul_vv": lambda v: ad.matmul(v[0], v[1]),
}


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_rules_agree(name):
    check(STRUCTURAL[name], RNG.uniform(-1, 1, (2, 4)))


def test_the_arm_runs_unchanged_on_the_tape():
    lengths = RNG.uniform(0.1, 1.0, 9)
    target = np.array([0.5, -0.2])

    def loss(q):
        return ad.sum(ad.square(joint_positions(q, lengths)[..., -1, :] - target))

    q = RNG.uniform(-1, 1, 9)
    np.testing.assert_allclose(rv.grad(loss, q), ad.jacobian(loss, q), rtol=0, atol=1e-12)


def test_hand_value_and_errors():
    val, g = rv.value_and_grad(lambda x: x[0] * x[1] + ad.sin(x[0]), np.array([2.0, 3.0]))
    assert val == pytest.approx(6.0 + np.sin(2.0))
    np.testing.assert_allclose(g, [3.0 + np.cos(2.0), 2.0])
    with pytest.raises(ValueError, match="reverse mode needs a scalar output"):
        rv.grad(lambda x: x * 2.0, np.ones(3))
    with pytest.raises(TypeError, match="reverse mode has no rule for numpy.arcsinh"):
        rv.grad(lambda x: np.sum(np.arcsinh(x)), np.ones(3))
    np.testing.assert_array_equal(rv.grad(lambda x: 3.0, np.ones(2)), [0.0, 0.0])
