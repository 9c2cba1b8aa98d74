"""The API refuses nonsense in one ValueError line naming the argument: a pose that is not a
rigid transform, complex, object or text input (never a warning and a silent conversion)."""

import warnings

import numpy as np
import pytest

import armsim


@pytest.fixture(scope="module")
def ur5():
    return armsim.robots.load("ur5")


@pytest.fixture(scope="module")
def pose(ur5):
    return ur5.matrix(ur5.limits.mean(axis=1))


def _refused(call, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")         # a ComplexWarning would fail here
        with pytest.raises(ValueError, match=message) as info:
            call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("bottom", [[0, 0, 1, 1], [0, 0, 0, 2], [1e-9, 0, 0, 1], [0, 0, 0, np.nan]])
def test_a_pose_whose_bottom_row_is_not_0001_is_refused(ur5, pose, bottom):
    T = pose.copy()
    T[3] = bottom
    _refused(lambda: armsim.solve(ur5, T),
             r"^target: a homogeneous pose's bottom row must be \[0, 0, 0, 1\], got \[")
    _refused(lambda: armsim.solve_batch(ur5, np.stack([pose, T])),
             r"^targets: a homogeneous pose's bottom row must be \[0, 0, 0, 1\], got \[")


def test_a_reflection_is_refused_as_a_rotation(ur5, pose):
    T = pose.copy()
    T[:3, 0] *= -1.0                    # orthonormal, determinant -1
    message = (r"^target rotation must be a rotation \(determinant \+1\), got a reflection "
               r"\(determinant -1\)$")
    _refused(lambda: armsim.solve(ur5, T), message)
    _refused(lambda: armsim.solve_batch(ur5, np.stack([pose, T])), message)


def test_a_complex_target_is_refused_not_truncated(ur5):
    _refused(lambda: armsim.solve(ur5, [0.4 + 5j, 0.1, 0.3]),
             r"^target must be real numbers, got complex numbers \(\[\(0\.4\+5j\)")
    _refused(lambda: armsim.solve_batch(ur5, np.array([[0.4, 0.1, 0.3j]])),
             r"^targets must be real numbers, got complex numbers")
    planar = armsim.Chain([0.5, 0.5])
    _refused(lambda: armsim.solve(planar, [0.5 + 0j, 0.2]),
             r"^target must be real numbers, got complex numbers")
    _refused(lambda: armsim.solve(planar, [0.5, 0.2], q0=[0.1 + 1j, 0.2]),
             r"^q0 must be real numbers, got complex numbers")


@pytest.mark.parametrize("target, what", [
    (np.array([0.4, 0.1, 0.3], dtype=object), "an array of Python objects"),
    (["0.4", "0.1", "0.3"], r"\['0\.4'"),
    ([0.4, None, 0.3], "an array of Python objects"),
    ({"x": 1}, r"an array of Python objects \(\{'x': 1\}\)"),
])
def test_object_and_text_targets_are_refused(ur5, target, what):
    _refused(lambda: armsim.solve(ur5, target), rf"^target must be an array of numbers, got {what}")


def test_a_refused_2d_array_is_shown_in_one_line(ur5):
    # numpy prints a 2-D array a row a line: "q must be real numbers, got complex numbers
    # ([[0.+0.j 0.+0.j 0.+0.j]\n [0.+0.j 0.+0.j )", the message in two lines, cut mid-row
    chain = armsim.Chain([0.4, 0.3, 0.2])
    _refused(lambda: armsim.render(chain, np.zeros((2, 3), complex)),
             r"^q must be real numbers, got complex numbers "
             r"\(\[\[0\.\+0\.j 0\.\+0\.j 0\.\+0\.j\] \[0\.\+0\.j 0\.\+0\.\.\.\.\)$")
    _refused(lambda: armsim.Chain(np.array([["1", "2"], ["3", "4"]])),
             r"^lengths must be an array of numbers, got \[\['1' '2'\] \['3' '4'\]\]$")
    _refused(lambda: armsim.solve(ur5, {"tool0": armsim.pose([0.3, 0, 0.3])}),
             r"^target must be an array of numbers, got an array of Python objects "
             r"\(\{'tool0': array\(\[\[1\. , 0\. , 0\. , 0\.3\]\.\.\.\)$")
    _refused(lambda: armsim.Obstacle([0.3, 0.2], 0.05, weight=np.ones((2, 2))),
             r"^weight must be a finite number >= 0, got \[\[1\. 1\.\] \[1\. 1\.\]\]$")


def test_a_valid_pose_still_solves(ur5, pose):
    r = armsim.solve(ur5, pose, tol=1e-6)
    assert r.success and np.allclose(ur5.matrix(r.q), pose, atol=1e-5)
    r = armsim.solve_batch(ur5, np.stack([pose, pose]), tol=1e-6)
    assert r.success.all()
    # integer arrays are numbers
    assert armsim.solve(armsim.Chain([0.5, 0.5]), np.array([0, 1])).success


def test_unclear_messages_now_name_what_is_wrong(ur5, pose):
    # a NaN in a 4 x 4 pose read "target must be 12 numbers within +-1e+50, got [nan, ...",
    # a bottom row 1e-12 off printed as [0. 0. 0. 1.], lengths [[0.4, 0.3]] were two
    # segments, and compiled.use("no") switched the compiled solve on
    from armsim.ik import compiled
    T = pose.copy()
    T[0, 3] = np.nan
    _refused(lambda: armsim.solve(ur5, T),
             r"^target: a homogeneous pose must be finite numbers, got nan at \[0, 3\]$")
    _refused(lambda: armsim.solve_batch(ur5, np.stack([pose, T])),
             r"^targets: a homogeneous pose must be finite numbers, got nan at \[0, 3\] of "
             r"pose 1$")
    T = pose.copy()
    T[3, 3] = 1.0 + 1e-12
    _refused(lambda: armsim.solve(ur5, T), r"^target: a homogeneous pose's bottom row must be "
                                           r"\[0, 0, 0, 1\], got \[0\.0, 0\.0, 0\.0, "
                                           r"1\.000000000001\]$")
    _refused(lambda: armsim.Chain([[0.4, 0.3]]),
             r"^lengths must be a list of numbers \(N,\), got shape \(1, 2\)$")
    assert armsim.Chain(0.5).n == 1
    before = compiled.on()
    _refused(lambda: compiled.use("no"), r"^use\(\) takes True or False, got 'no'$")
    assert compiled.on() == before

def test_a_target_rotation_that_is_not_finite_names_the_entry():
    # it said 'target rotation must be orthonormal (R R^T = I within 1e-6), got a deviation
    # of nan', naming neither the NaN nor where it is
    import armsim
    panda = armsim.robots.load("panda")
    T = panda.matrix(np.zeros(7))
    T[0, 1] = np.nan
    with pytest.raises(ValueError) as err:
        armsim.solve(panda, T)
    assert str(err.value) == "target rotation must be finite numbers, got nan at [0, 1]"
    with pytest.raises(ValueError) as err:
        armsim.solve_batch(panda, np.stack([panda.matrix(np.zeros(7)), T]))
    assert str(err.value) == "target rotation (row 1) must be finite numbers, got nan at [0, 1]"
    robot = armsim.robots.load_robot("dual_arm")
    F = robot.frames(robot.clip(np.zeros(robot.n)), list(robot.tips))
    F["left_tool"][1, 2] = -np.inf
    with pytest.raises(ValueError) as err:
        armsim.solve(robot, F)
    assert str(err.value) == ("target 'left_tool': rotation must be finite numbers, got -inf "
                              "at [1, 2]")
    T[0, 1] = 2.0           # finite, not a rotation: as before
    with pytest.raises(ValueError, match="must be orthonormal .* got a deviation of 4"):
        armsim.solve(panda, T)


@pytest.mark.parametrize("flag", ["no", "False", 2, None, np.array([True, False]), 0.5])
def test_priority_that_is_not_true_or_false_is_refused(ur5, pose, flag):
    """priority="no" (text is truthy) served the objectives in the null space of the target;
    an array raised numpy's "truth value ... ambiguous", naming no argument."""
    chain = armsim.Chain([0.4, 0.3, 0.2])
    for task, target in ((chain, [0.5, 0.2]), (ur5, pose)):
        for objectives in (None, [armsim.JointLimitBarrier()]):
            _refused(lambda: armsim.solve(task, target, objectives=objectives, priority=flag),
                     r"^priority must be True or False, got ")
            _refused(lambda: armsim.solve_batch(task, np.array([target]),
                                                objectives=objectives, priority=flag),
                     r"^priority must be True or False, got ")
    _refused(lambda: armsim.Solver(chain, priority=flag), r"^priority must be True or False")


@pytest.mark.parametrize("flag", [True, False, 1, 0, np.True_, np.False_])
def test_priority_takes_true_or_false(flag):
    chain = armsim.Chain([0.4, 0.3, 0.2])
    res = armsim.solve(chain, [0.5, 0.2], objectives=[armsim.JointLimitBarrier()],
                       priority=flag)
    assert res.success


@pytest.mark.parametrize("name, value", [("max_iter", 40), ("first_iter", 3), ("restarts", 2),
                                         ("give_up", 5), ("seed", 7), ("priority", False),
                                         ("tol", 1e-7), ("timeout", 100.0), ("max_step", 3.0),
                                         ("damping", 0.5), ("q0_radius", 0.1)])
def test_a_setting_given_as_a_0d_array_is_its_number(ur5, pose, name, value):
    """A 0-d array (what numpy's reductions give: ``np.array(40)``) is the number it holds,
    for a count as for a float: max_iter=np.array(40) said "max_iter must be an integer
    >= 0 ..., got 40"."""
    chain = armsim.Chain([0.4, 0.3, 0.2])
    for task, target in ((chain, [0.5, 0.2]), (ur5, pose)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            a = armsim.solve(task, target, **{name: np.array(value)})
            b = armsim.solve(task, target, **{name: value})
            batch = armsim.solve_batch(task, np.array([target]), **{name: np.array(value)})
        assert a.q.tobytes() == b.q.tobytes() and a.iterations == b.iterations
        assert batch.iterations[0] == a.iterations


@pytest.mark.parametrize("name, message", [
    ("tol", "^tol must be a number > 0"), ("timeout", "^timeout must be a number > 0"),
    ("q0_radius", "^q0_radius must be a number >= 0"), ("damping", "^damping must be a number"),
    ("step_size", "^step_size must be a number"), ("max_step", "^max_step must be a number")])
def test_a_setting_given_as_an_array_of_one_number_is_refused(ur5, pose, name, message):
    """tol=np.array([1e-7]) was taken as 1e-7 with numpy's DeprecationWarning (a future numpy
    raises), where tol=[1e-7] is refused; np.True_ was taken as 1.0 where True is refused."""
    chain = armsim.Chain([0.4, 0.3, 0.2])
    for value in (np.array([0.5]), np.array([[0.5]]), np.True_):
        for task, target in ((chain, [0.5, 0.2]), (ur5, pose)):
            _refused(lambda: armsim.solve(task, target, **{name: value}), message)
            _refused(lambda: armsim.solve_batch(task, np.array([target]), **{name: value}),
                     message)


def test_a_solvers_pose_rows_are_checked_and_a_4x4_pose_taken(ur5, pose):
    """Solver(arm).solve / solve_batch (a pose problem: 12 numbers a row) took rows whose
    rotation is not one (scaled by 2: solved toward, 'stalled'), which armsim.solve refuses,
    and refused a (4, 4) pose as 'target must be 12 finite numbers'; now both as
    armsim.solve(SpatialTarget(arm, 'pose'), ...) does."""
    rows = np.concatenate([pose[:3, 3], pose[:3, :3].ravel()])
    bad = rows.copy()
    bad[3:] *= 2
    for solver in (armsim.Solver(ur5, restarts=8),
                   armsim.Solver(ur5, restarts=8, objectives=[armsim.JointLimitBarrier()])):
        _refused(lambda: solver.solve(bad), "^target rotation must be orthonormal")
        _refused(lambda: solver.solve_batch(bad[None]), r"^target rotation \(row 0\) must be orth")
        a, b = solver.solve(pose), solver.solve(rows)
        assert a.success and a.q.tobytes() == b.q.tobytes()
        batch = solver.solve_batch(np.stack([pose, pose]))
        assert batch.success.all() and batch.iterations[0] == a.iterations


def test_solver_run_refuses_targets_and_starts_it_cannot_solve_in_one_line():
    # Solver.run (docs/solvers.md: the object behind solve) checked nothing: a NaN target
    # gave q = 0, a NaN residual and "unreachable"; a wrong shape numpy's broadcast error
    chain = armsim.Chain([1.0, 1.0])
    solver = armsim.ik.Solver(chain)
    cases = [(([[np.nan, 1.0]], [[0.0, 0.0]]),
              "targets[0] must be finite numbers within +-1e+50, got [nan, 1.0]"),
             (([[1.0, 1.0, 1.0]], [[0.0, 0.0]]),
              "targets must have shape (B, 2), got shape (1, 3)"),
             (([[1.0, 1.0]], [[0.0]]), "q0 must have shape (1, 2), got shape (1, 1)"),
             (([[1.0, 1.0]], [[np.inf, 0.0]]),
              "q0[0] must be finite numbers within +-1e+06 rad, got [inf, 0.0]"),
             (("ab", [[0.0, 0.0]]), "targets must be an array of numbers, got 'ab'")]
    for (targets, q0), message in cases:
        with pytest.raises(ValueError) as err:
            solver.run(targets, q0)
        assert str(err.value) == message
    q, iters, res, reasons = solver.run([[1.0, 1.0]], [[0.1, 0.2]])
    assert reasons == ["converged"] and res[0] < solver.tol
    panda = armsim.robots.load("panda")                 # a pose problem's 12 numbers a row
    pose = armsim.ik.Solver(armsim.ik.problems.SpatialTarget(panda, "pose"))
    with pytest.raises(ValueError, match=r"^targets must have shape \(B, 12\)"):
        pose.run(np.zeros((1, 3)), np.zeros((1, 7)))
