"""Forward-mode AD: every rule against central finite differences, plus hand values."""

import numpy as np
import pytest

from armsim.ad import dual as ad
from armsim.ad.dual import Dual, jacobian
from armsim.ad.reverse import Var

RNG = np.random.default_rng(1234)
H = 1e-6


def fd_jacobian(f, x, h=H):
    """Central finite differences: returns f(x).shape + x.shape."""
    x = np.asarray(x, dtype=float)
    y0 = np.asarray(f(x))
    out = np.zeros(y0.shape + x.shape)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        out[(...,) + i] = (np.asarray(f(xp)) - np.asarray(f(xm))) / (2 * h)
    return out


UNARY = {
    "sin": (ad.sin, (-3, 3)),
    "cos": (ad.cos, (-3, 3)),
    "tan": (ad.tan, (-1.2, 1.2)),
    "atan": (ad.atan, (-3, 3)),
    "sqrt": (ad.sqrt, (0.1, 4)),
    "exp": (ad.exp, (-2, 2)),
    "log": (ad.log, (0.1, 4)),
    "tanh": (ad.tanh, (-2, 2)),
    "sigmoid": (ad.sigmoid, (-4, 4)),
    "abs": (ad.abs, (0.1, 3)),
    "square": (ad.square, (-3, 3)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_rule_matches_finite_differences(name):
    f, (lo, hi) = UNARY[name]
    x = RNG.uniform(lo, hi, size=(3, 4))
    if name == "abs":
        x *= RNG.choice([-1, 1], size=x.shape)
    J = jacobian(f, x)
    np.testing.assert_allclose(J, fd_jacobian(f, x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(f(Dual.variables(x)).value, f(x))


def test_rule_table_covers_every_unary_function():
    assert set(UNARY) == set(ad.JVP_RULES)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "atan2": ad.atan2,
    "hypot": ad.hypot,
    "maximum": ad.maximum,
    "minimum": ad.minimum,
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_rules_both_arguments(name):
    f = BINARY[name]
    a = RNG.uniform(0.5, 2.0, size=5)
    b = RNG.uniform(0.5, 2.0, size=5) * (1 if name in ("pow",) else RNG.choice([-1, 1], size=5))

    def g(x):
        return f(x[0], x[1])

    x = np.stack([a, b])
    np.testing.assert_allclose(jacobian(g, x), fd_jacobian(g, x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_operators_with_constants_in_both_orders(op):
    c = RNG.uniform(0.5, 2.0, size=4)
    x = RNG.uniform(0.5, 2.0, size=4)
    fwd = {"add": lambda u: u + c, "sub": lambda u: u - c, "mul": lambda u: u * c,
           "div": lambda u: u / c, "pow": lambda u: u ** 2.5}[op]
    rev = {"add": lambda u: c + u, "sub": lambda u: c - u, "mul": lambda u: c * u,
           "div": lambda u: c / u, "pow": lambda u: c ** u}[op]
    for f in (fwd, rev):
        y = f(Dual.variables(x))
        assert isinstance(y, Dual)  # numpy deferred to Dual, no object array
        np.testing.assert_allclose(y.tangent, fd_jacobian(f, x), rtol=1e-6, atol=1e-7)
    # Python scalars on the left too
    y = 2.0 - Dual.variables(x)
    np.testing.assert_allclose(y.tangent, -np.eye(4))


def test_structural_ops():
    x = RNG.normal(size=(2, 3))
    fns = [
        lambda u: ad.cumsum(u, axis=-1),
        lambda u: ad.cumsum(u, axis=0),
        lambda u: ad.sum(u, axis=1),
        lambda u: ad.sum(u),
        lambda u: ad.stack([u[:, 0], u[:, 2] * 2.0, np.ones(2)], axis=-1),
        lambda u: ad.concatenate([u, u * u], axis=0),
        lambda u: u[..., 1:],
        lambda u: u[1],
        lambda u: ad.reshape(u, (3, 2)),
        lambda u: u.T,
        lambda u: ad.where(u > 0, u * u, -u),
        lambda u: ad.clip(u, -0.5, 0.5),
        lambda u: ad.matmul(u, np.arange(6.0).reshape(3, 2)),
        lambda u: ad.matmul(u, u.T),
        lambda u: np.arange(4.0).reshape(2, 2) @ u,
        lambda u: ad.matmul(u, np.arange(3.0)),
    ]
    for f in fns:
        np.testing.assert_allclose(jacobian(f, x), fd_jacobian(f, x), rtol=1e-6, atol=1e-7)


def test_hand_computed_values():
    # d/dx sin(x) * x at x = pi/2 is cos(pi/2) * pi/2 + sin(pi/2) = 1
    y = ad.sin(Dual(np.pi / 2, [1.0])) * Dual(np.pi / 2, [1.0])
    assert y.tangent[0] == pytest.approx(1.0)
    # atan2(y, x) at (1, 1): d/dy = x / r^2 = 0.5, d/dx = -y / r^2 = -0.5
    J = jacobian(lambda v: ad.atan2(v[0], v[1]), [1.0, 1.0])
    np.testing.assert_allclose(J, [0.5, -0.5])
    # hypot(3, 4) = 5, gradient (3/5, 4/5)
    J = jacobian(lambda v: ad.hypot(v[0], v[1]), [3.0, 4.0])
    np.testing.assert_allclose(J, [0.6, 0.8])


def test_scalar_code_one_number_at_a_time():
    # teaching style: plain Python floats, one Dual per variable
    a = Dual(0.3, [1.0, 0.0])
    b = Dual(0.5, [0.0, 1.0])
    y = ad.cos(a) * b + 2.0 * ad.sin(a * b)
    va, vb = 0.3, 0.5
    expected = [-np.sin(va) * vb + 2 * np.cos(va * vb) * vb, np.cos(va) + 2 * np.cos(va * vb) * va]
    np.testing.assert_allclose(y.tangent, expected)
    assert y.value.shape == ()


def test_batch_axis_broadcasts():
    x = RNG.normal(size=(7, 3))
    d = ad.seed(x, batch_dims=1)  # each row its own identity
    y = ad.sum(ad.sin(d) * d, axis=-1)
    assert y.tangent.shape == (7, 3)
    np.testing.assert_allclose(y.tangent, np.cos(x) * x + np.sin(x))
    # a (3,) Dual plus a (7, 3) array broadcasts to a (7, 3) value with (7, 3, 3) tangent
    z = Dual.variables(x[0]) + x
    assert z.value.shape == (7, 3) and z.tangent.shape == (7, 3, 3)


def test_singular_points_stay_finite():
    zero = Dual.variables(np.zeros(2))
    for y in (ad.atan2(zero[0], zero[1]), ad.hypot(zero[0], zero[1]), ad.sqrt(zero)):
        assert np.all(np.isfinite(y.tangent))
        assert np.all(np.isfinite(y.value))


def test_jacobian_shapes_and_constant_function():
    assert jacobian(lambda u: ad.sum(u), np.ones((2, 3))).shape == (2, 3)
    assert jacobian(lambda u: u, np.ones(4)).shape == (4, 4)
    np.testing.assert_array_equal(jacobian(lambda u: np.ones(3), np.ones(2)), np.zeros((3, 2)))


def test_mismatched_tangent_shape_is_an_error():
    with pytest.raises(ValueError, match="does not fit"):
        Dual(np.zeros(3), np.zeros((4, 2)))


def test_variables_of_seeds_only_the_picked_entries():
    from armsim.ad.dual import Dual
    x = np.array([1.0, 2.0, 3.0, 4.0])
    a = Dual.variables_of(x, np.array([False, True, False, True]))
    b = Dual.variables_of(x, [1, 3])
    assert np.array_equal(a.tangent, b.tangent) and a.tangent.shape == (4, 2)
    assert np.array_equal(a.tangent, [[0, 0], [1, 0], [0, 0], [0, 1]])
    y = (a * a).tangent                      # d(x_i^2)/d(x_1, x_3)
    assert np.array_equal(y, [[0, 0], [4, 0], [0, 0], [0, 8]])


@pytest.mark.parametrize("make", [lambda v: Dual(v, np.ones(np.shape(v) + (1,))),
                                  lambda v: Var(v)],
                         ids=["Dual", "Var"])
def test_equality_compares_values_like_the_other_comparisons(make):
    # == and != look at values, elementwise, as <, <=, > and >= do (they compared identity:
    # a Dual equal to 0.5 was "not equal" to 0.5, and np.where(q == 0, ...) got a bare False)
    x = make(np.array([0.5, 1.0, 2.0]))
    assert (x == 1.0).tolist() == [False, True, False]
    assert (1.0 == x).tolist() == [False, True, False]
    assert (x != np.array([0.5, 0.0, 2.0])).tolist() == [False, True, False]
    assert (x == make(np.array([0.5, 1.0, 3.0]))).tolist() == [True, True, False]
    assert (make(0.5) == 0.5) is np.True_
    with pytest.raises(TypeError):      # like a numpy array: no hash by identity
        hash(x)
