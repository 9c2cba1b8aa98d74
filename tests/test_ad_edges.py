"""Edges of the forward-mode AD a user writes functions with, and of the tracking
simulations' step (a fifth audit): each case failed on the code before it."""

import numpy as np
import pytest

import armsim
from armsim.ad import dual as ad
from armsim.ad import reverse
from armsim.ik.problems import FunctionProblem
from armsim.ik.spatial_tracking import SpatialSimulation
from armsim.ik.tracking import Simulation
from armsim.ik.tree_tracking import TreeSimulation

from _differences import fd


@pytest.mark.parametrize("container", [list, tuple])
def test_a_function_returning_a_list_of_duals_gets_its_jacobian(container):
    # was all zeros: np.asarray took each 0-d Dual's float and dropped its tangent
    def f(v):
        return container([v[0] * v[1], ad.sin(v[0])])
    J = ad.jacobian(f, [1.0, 2.0])
    assert np.allclose(J, [[2.0, 1.0], [np.cos(1.0), 0.0]], atol=1e-15)
    nested = ad.jacobian(lambda v: [[v[0], v[1]], [v[1] * v[0], 1.0]], [3.0, 5.0])
    assert np.array_equal(nested, [[[1, 0], [0, 1]], [[5, 3], [0, 0]]])


def test_a_power_with_a_zero_in_its_exponents_keeps_the_other_slopes():
    # was every slope 0 as soon as one exponent was 0 (forward and reverse alike)
    J = ad.jacobian(lambda v: v ** np.array([0.0, 2.0]), [2.0, 3.0])
    assert np.array_equal(J, [[0.0, 0.0], [0.0, 6.0]])
    g = reverse.grad(lambda v: (v ** np.array([0.0, 2.0])).sum(), np.array([2.0, 3.0]))
    assert np.array_equal(g, [0.0, 6.0])


def test_a_fractional_power_at_zero_is_finite_in_every_direction():
    # was [nan, nan]: the power's infinite slope at 0 times the other direction's 0
    f = lambda v: (v[0] ** 2 + v[1] ** 2) ** 0.5 + v[1]     # noqa: E731
    assert np.array_equal(ad.jacobian(f, [0.0, 0.0]), [0.0, 1.0])
    x = [0.3, -0.4]
    assert np.allclose(ad.jacobian(f, x), fd(f, x), atol=1e-8)
    assert np.array_equal(ad.jacobian(lambda v: v ** 1.5, [0.0]), [[0.0]])


def _varying_powers(v):
    # bases -2, 0, 0, 1.5 and 0.7; exponents 2, 3, 2 (constant at -2 and at the first 0: no
    # tangent), then 2.5 and -1.3 varying; the last two also as a float base to a Dual power
    base, expo = v[:5], v[5:] * np.array([0.0, 0.0, 1.0, 1.0, 1.0]) + np.array([2, 3, 0, 0, 0])
    return ad.concatenate([base ** expo, 3.0 ** v[8:], 0.0 ** v[7:8]])


def test_a_power_with_a_varying_exponent_is_numpys_where_it_is_finite():
    # was exp(y log x): NaN at every base <= 0 (and in the tangent of 0 ** y)
    x = np.array([-2.0, 0.0, 0.0, 1.5, 0.7, 0.0, 0.0, 2.0, 2.5, -1.3])
    y, J = ad.value_and_jacobian(_varying_powers, x)
    assert np.array_equal(y[:3], [4.0, 0.0, 0.0]) and y[-1] == 0.0
    np.testing.assert_allclose(y, _varying_powers(x), rtol=1e-15)
    np.testing.assert_allclose(J, fd(_varying_powers, x), rtol=1e-7, atol=1e-8)
    assert J[0, 0] == -4.0 and J[3, 3] == 2.5 * 1.5 ** 1.5       # y x^(y-1) by hand
    assert J[3, 8] == 1.5 ** 2.5 * np.log(1.5)                    # x^y log x by hand
    assert not J[1].any() and not J[2].any() and not J[-1].any()  # 0^y: flat for y > 0
    x0 = ad.Dual.variables([0.0])
    y0 = x0 ** (x0 * 0)                                  # 0^0 = 1, the exponent constant
    assert y0.value == 1.0 and y0.tangent[0, 0] == 0.0
    f = lambda u: u[0] ** u[1] + 3.0 ** u[1]            # noqa: E731
    for v in ([1.5, 2.5], [0.7, -1.3], [0.0, 2.0]):      # reverse mode, the same numbers
        val, g = reverse.value_and_grad(f, np.array(v))
        assert val == pytest.approx(v[0] ** v[1] + 3.0 ** v[1], rel=1e-15)
        np.testing.assert_allclose(g, ad.jacobian(f, v), rtol=1e-14, atol=0)
        np.testing.assert_allclose(g, fd(f, v), rtol=1e-7, atol=1e-8)
    assert (reverse.Var(-2.0) ** reverse.Var(2.0)).value == 4.0
    assert ((-2.0) ** reverse.Var(np.array([2.0]))).value == 4.0


_ZERO_TO_MINUS_ONE = "with respect to {} is undefined at x = 0, y = -1"


@pytest.mark.parametrize("f, x, message, reverse_message", [
    (lambda v: v[0] ** v[1], [-2.0, 2.0], "with respect to y is undefined at x = -2, y = 2 "
     r"\(a negative base\); keep the exponent constant there$", None),
    (lambda v: (-2.0) ** v, [2.0], "with respect to y is undefined at x = -2, y = 2", None),
    (lambda v: 0.0 ** v, [0.0], r"to y is undefined at x = 0, y = 0 \(0 \*\* y with y <= 0\)",
     None),
    (lambda v: v[0] ** v[1], [0.0, -1.0], _ZERO_TO_MINUS_ONE.format("y"), None),
    # the exponent's tangent is zero, its adjoint (reverse mode) is not
    (lambda v: v[0] ** (v[1] * 0.0 - 1.0), [0.0, 1.0], _ZERO_TO_MINUS_ONE.format("x")
     + r" \(0 \*\* y with y < 0 is infinite\)$", _ZERO_TO_MINUS_ONE.format("y")),
    (lambda v: v[0] ** v[1], [-2.0, 0.5], r"^x \*\* y is not a real number at x = -2, y = 0.5 "
     r"\(a negative base needs an integer exponent\)$", None),
])
def test_an_undefined_power_or_slope_raises_one_clear_error(f, x, message, reverse_message):
    # each was a NaN value or a NaN slope, forward and reverse alike
    with pytest.raises(ValueError, match=message):
        ad.jacobian(f, x)
    with pytest.raises(ValueError, match=reverse_message or message):
        reverse.grad(lambda u: ad.sum(f(u)), np.array(x))


def test_duals_of_different_directions_do_not_combine():
    with pytest.raises(ValueError) as err:
        ad.Dual(1.0, [1.0]) * ad.Dual(1.0, [1.0, 2.0])
    assert str(err.value) == ("Duals of 1 and 2 directions cannot be combined (seed every "
                              "input of one evaluation together)")
    for op in (lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a / b):
        with pytest.raises(ValueError, match="cannot be combined"):
            op(ad.Dual(1.0, [1.0, 0.0]), ad.Dual(2.0, [1.0]))


def test_a_function_problem_names_the_shape_it_needs():
    # a list of per-column arrays: was a numpy broadcasting error naming nothing
    prob = FunctionProblem(lambda q: [q[:, 0] + q[:, 1], q[:, 1] * 2.0], 2, 2)
    with pytest.raises(ValueError) as err:
        armsim.solve(prob, [1.0, 0.5])
    assert str(err.value) == ("the function must return (B, m) = (1, 2) values for q of "
                              "shape (1, 2), got shape (2, 1)")
    good = FunctionProblem(lambda q: ad.stack([q[:, 0] + q[:, 1], q[:, 1] * 2.0], axis=-1), 2, 2)
    res = armsim.solve(good, [1.0, 0.5])
    assert res.success and np.allclose([res.q[0] + res.q[1], 2 * res.q[1]], [1.0, 0.5],
                                       atol=1e-5)


def test_pinv_leaves_a_row_whose_function_is_not_finite_where_it_is():
    # was LinAlgError "Eigenvalues did not converge" from a NaN J J^T
    chain = armsim.Chain([0.2] * 7)
    edge = armsim.Objective(lambda q, c: ad.sqrt(q[:, :1] - 0.29))   # NaN a step away from q0
    with np.errstate(invalid="ignore"):
        res = armsim.solve(chain, [0.5, 0.3], method="pinv", objectives=[edge])
    assert np.all(np.isfinite(res.q))
    bad = armsim.Objective(lambda q, c: ad.sqrt(q[:, :1] - 5.0))     # NaN everywhere:
    with np.errstate(invalid="ignore"), pytest.raises(ValueError, match=r"^objective "
                                                      r"'objective' is not finite at the "
                                                      r"start q0 \(nan\)"):
        armsim.solve(chain, [0.5, 0.3], method="pinv", objectives=[bad])   # named at once


def test_a_pose_target_that_is_a_reflection_is_refused_while_tracking():
    arm = armsim.robots.load("panda")
    q = arm.clip(np.array([0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785]))
    T0 = arm.matrix(q)
    mirror = T0.copy()
    mirror[:3, :3] = mirror[:3, :3] @ np.diag([1.0, 1.0, -1.0])
    sim = SpatialSimulation(arm, lambda f: T0, q)
    with pytest.raises(ValueError) as err:
        sim.step(mirror)
    assert str(err.value) == ("target rotation must be a rotation (determinant +1), got a "
                              "reflection (determinant -1)")
    assert sim.frame == 0           # a refused target leaves the frame as it was
    sim.step()
    assert sim.frame == 1 and sim.state.error < 1e-9


def test_a_refused_target_does_not_advance_a_planar_simulation():
    sim = Simulation(armsim.Chain([0.5, 0.4]), lambda f: np.array([0.3, 0.4]), np.zeros(2))
    for _ in range(2):
        with pytest.raises(ValueError, match="target must be two finite numbers"):
            sim.step([np.nan, 0.0])
    assert sim.frame == 0
    sim.step()
    assert sim.frame == 1


def test_huge_gradient_steps_keep_an_unlimited_planar_arm_running():
    # gradient steps of 1e6 with no correction: the angles of joints without limits grew
    # by about 1e6 rad a frame until the chain refused them (a traceback from a valid scene)
    from armsim.ik.tracking import TURN_BACK
    chain = armsim.Chain([1.0, 1.0])
    sim = Simulation(chain, lambda f: np.array([0.4, 0.4]), np.zeros(2), method="gradient",
                     correction="none", step_size=1e6)
    for _ in range(40):
        sim.step()
        assert np.all(np.abs(sim.q) <= TURN_BACK) and np.isfinite(sim.state.error)
        # the pose drawn is the pose solved: only whole turns are taken off
        assert np.allclose(sim.state.joints[-1], chain.tip(sim.q))
    assert sim.frame == 40 and sim._last_step > TURN_BACK     # (the steps were that large)


def test_ordinary_planar_tracking_is_not_turned_back():
    sim = Simulation(armsim.Chain([0.5, 0.4]), lambda f: np.array([0.3, 0.4]), np.array([7.0, 0]))
    sim.step()
    assert sim.q[0] > 2 * np.pi       # well within TURN_BACK: left as solved


def test_a_tree_simulation_refuses_unknown_tools_and_keeps_its_targets():
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    q = np.mean(robot.limits, axis=1)
    F = robot.frames(q, ["left_tool", "right_tool"])
    sim = TreeSimulation(robot, {k: (lambda f, T=v: T) for k, v in F.items()}, q)
    with pytest.raises(ValueError) as err:
        sim.step({"nope": [0.0, 0.0, 0.0]})
    assert str(err.value) == ("targets name no tool of this simulation: 'nope' (its tools: "
                              "left_tool, right_tool)")
    skew = F["left_tool"].copy()
    skew[:3, :3] *= 2.0
    with pytest.raises(ValueError, match="orthonormal"):
        sim.step({"left_tool": skew})
    assert sim.frame == 0 and np.array_equal(sim._targets["left_tool"], F["left_tool"])


@pytest.mark.parametrize("kwargs, message", [
    # inf was an OverflowError naming nothing; -5 was accepted
    (dict(iterations_per_frame=float("inf")), "iterations_per_frame must be an integer >= 1, got inf"),
    (dict(iterations_per_frame=float("nan")), "iterations_per_frame must be an integer >= 1, got nan"),
    (dict(trail_length=-5), "trail_length must be an integer from 0 to 100,000, got -5"),
    (dict(trail_length=float("inf")), "trail_length must be an integer from 0 to 100,000, got inf"),
])
def test_the_simulations_refuse_counts_that_are_not_whole(kwargs, message):
    chain = armsim.Chain([0.5, 0.4])
    panda = armsim.robots.load("panda")
    T = panda.matrix(panda.clip(np.zeros(7)))
    robot = armsim.robots.load_robot("dual_arm", tips=["left_tool", "right_tool"])
    F = robot.frames(np.mean(robot.limits, axis=1), ["left_tool", "right_tool"])
    for make in (lambda: Simulation(chain, lambda f: np.array([0.3, 0.4]), np.zeros(2), **kwargs),
                 lambda: SpatialSimulation(panda, lambda f: T, **kwargs),
                 lambda: TreeSimulation(robot, {k: (lambda f, v=v: v) for k, v in F.items()},
                                        **kwargs)):
        with pytest.raises(ValueError) as err:
            make()
        assert str(err.value) == message
    sim = Simulation(chain, lambda f: np.array([0.3, 0.4]), np.zeros(2))
    with pytest.raises(ValueError, match=r"^segments must be an integer, got inf$"):
        sim.set_segments(float("inf"))
    assert sim.set_segments(10**6) == 50 and sim.set_segments(-3) == 1    # clamped, as the keys


def test_pruning_refuses_a_k_that_is_not_whole():
    from armsim.ad.pruning import prune
    for k in (float("inf"), float("nan"), "3"):
        with pytest.raises(ValueError, match=r"^k must be None or an integer >= 1, got "):
            with prune(k):
                pass


def test_objectives_on_a_function_problem():
    # Posture reads only n: it binds to the function (was AttributeError: 'NoneType' ...);
    # an obstacle needs the links' geometry: one line
    prob = FunctionProblem(lambda q: ad.stack([q[:, 0] + q[:, 1], q[:, 1] * 2.0], axis=-1), 2, 2)
    res = armsim.solve(prob, [1.0, 0.5], objectives=[armsim.Posture([0.0, 0.0], 1e-3)])
    assert np.allclose([res.q[0] + res.q[1], 2 * res.q[1]], [1.0, 0.5], atol=1e-5)
    with pytest.raises(ValueError) as err:
        armsim.solve(prob, [1.0, 0.5], objectives=[armsim.Obstacle([0.0, 0.0], 0.1)])
    assert str(err.value) == ("Obstacle needs a chain or a robot (the links' geometry); this "
                              "problem has none")
    with pytest.raises(ValueError, match=r"^Posture: q_rest must have 2 numbers, got 3$"):
        armsim.solve(prob, [1.0, 0.5], objectives=[armsim.Posture([0.0, 0.0, 0.0])])


def test_crossing_segments_have_a_zero_distance_slope():
    # the distance is 0 all around crossing segments; the slope was a unit vector in a
    # direction rounding picked (or 0), 25 % of a Capsule residual's Jacobian in the audit
    from armsim.ik import geometry
    c, d = np.array([0.3, 0.2]), np.array([0.5, 0.1])
    f = lambda x: geometry.segment_segment_distance(x[:2], x[2:], c, d)    # noqa: E731
    for x in ([0.4295106, 0.18297095, 0.47640183, 0.06172239], [0.35, 0.3, 0.45, 0.0],
              [0.43, 0.2, 0.47, 0.05]):
        assert np.array_equal(ad.jacobian(f, np.array(x)), np.zeros(4))
        assert np.allclose(fd(f, np.array(x)), 0.0, atol=1e-9)
    apart = np.array([0.0, 0.5, 0.2, 0.6])               # segments apart: the slope as before
    assert np.allclose(ad.jacobian(f, apart), fd(f, apart), atol=1e-8)


def test_complex_values_are_refused_not_cast():
    # each was cast with a ComplexWarning, its imaginary part dropped
    for call, message in [
        (lambda: ad.Dual.variables(np.array([1 + 2j])),
         "a Dual's values must be real numbers, got complex numbers ([(1+2j)])"),
        (lambda: armsim.Chain([0.5, 0.4]).jacobian(np.zeros(2) + 1j),
         "angles must be real numbers, got complex numbers ([0.+1.j 0.+1.j])"),
        (lambda: armsim.robots.load("ur5").pose(np.zeros(6) + 1j),
         "joint values must be real numbers, got complex numbers ([0.+1.j 0.+1.j 0.+1.j 0.+1.j "
         "0.+1.j 0...)"),          # (cut: "..." says so, ranges.shown)
    ]:
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == message


def test_the_smaller_dual_corners():
    # variables_of with no free entry was an IndexError; cumsum over axis=None a TypeError
    assert ad.Dual.variables_of(np.ones(3), []).tangent.shape == (3, 0)
    J = ad.jacobian(lambda v: ad.cumsum(v, axis=None), np.ones((2, 2)))
    assert np.array_equal(J.reshape(4, 4), np.tril(np.ones((4, 4))))
    assert np.array_equal(ad.cumsum(ad.Dual.variables(np.array(2.0))).value, [2.0])


def test_the_clamped_resolve_of_a_singular_batch_stays_quiet():
    # from CHOLESKY_ROWS rows on, the clamp's solve again ran outside the damped solve's
    # errstate: a system singular to rounding printed "divide by zero" (solve_batch of
    # 10,000 dual-arm poses with restarts=0 and max_iter=25 did); the NaN step is rejected
    import warnings
    from armsim.ik import steps
    B, n = steps.CHOLESKY_ROWS + 80, 3
    jac = np.zeros((B, 2, n))
    jac[:, 0] = [1e8, 1.0, 0.0]
    jac[:, 1] = [1e8, 1.0 + 1e-8, 0.0]
    dq = np.zeros((B, n))
    dq[:, 2] = 5.0                                   # joint 2 driven past its limit
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = steps._clamped(np.zeros((B, n)), dq, jac, np.ones((B, 2)), np.full(B, 1e-300),
                             np.array([[-1.0, 1.0]] * n))
    assert out.shape == (B, n)          # NaN rows: dls moves them by nothing (its finite test)


def test_maximum_and_minimum_of_a_nan_are_nan_as_numpy():
    # maximum(Dual(nan), 0) was 0 (the comparison with NaN is False)
    nan = ad.Dual(np.nan, [1.0])
    for f in (ad.maximum, ad.minimum):
        assert np.isnan(f(nan, 0.0).value) and np.isnan(f(0.0, nan).value)
        assert np.isnan(f(ad.Dual(1.0, [1.0]), np.nan).value)
        assert f(ad.Dual(2.0, [1.0]), 1.0).value == (2.0 if f is ad.maximum else 1.0)


def test_a_function_undefined_at_the_start_is_named():
    # FunctionProblem returned q0 with residual NaN (and numpy's warnings) where an
    # objective undefined at the start is one line
    import warnings
    from armsim.ik.problems import FunctionProblem
    fp = FunctionProblem(lambda q: ad.sqrt(q - 10.0), n=3, m=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"^the function is not finite at the start q0 "
                                             r"\(\[nan, nan, nan\]\); a solve starts where it "
                                             r"is defined$"):
            armsim.solve(fp, [0.3, 0.4, 0.6])
        with pytest.raises(ValueError, match=r"at the start q0\[1\] \(\[nan\]\)"):
            armsim.solve_batch(FunctionProblem(lambda q: ad.sqrt(q - 10.0), n=1, m=1),
                               [[0.3], [0.4]], q0=[[11.0], [0.0]])
    assert armsim.solve(FunctionProblem(lambda q: ad.sqrt(q + 10.0), n=1, m=1), [3.3]).success
