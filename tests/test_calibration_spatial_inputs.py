"""The 3D calibration's Python API refuses bad input in one line (helper 116's checks)."""

import warnings

import numpy as np
import pytest

from armsim.vision import spatial_calibration as sc
from armsim.vision.camera3d import Camera
from armsim.vision.spatial_run import SpatialCalibrationRun


def test_run_with_a_camera_that_sees_nothing_says_so():
    # link capsules of 1 m hide every joint: run() raised IndexError from identify
    with pytest.raises(ValueError, match=r"^camera\[0\]: sees none of the robot's points in 6 "
                                         r"poses \(link capsules of radius 1 m hide them all"):
        sc.run(sc.SpatialSetup(poses=6, occlusion=1.0), 0)
    # make_problem itself still makes the data (what the cameras saw: nothing)
    assert not sc.make_problem(sc.SpatialSetup(poses=6, occlusion=1.0), 0).seen.any()
    with pytest.raises(ValueError, match=r"^camera\[0\]: sees none"):
        SpatialCalibrationRun(sc.make_problem(sc.SpatialSetup(poses=6, occlusion=1.0), 0))


def test_given_cameras_are_checked():
    setup = sc.SpatialSetup(poses=6)
    # not a Camera: AttributeError ('str' object has no attribute 'intrinsics')
    with pytest.raises(ValueError, match=r"^cameras\[0\]: must be a Camera, got x$"):
        sc.make_problem(setup, 0, cameras=["x"])
    # a NaN position saw nothing and was told to point the camera at the robot
    with pytest.raises(ValueError, match=r"^position: must be three finite "):
        sc.make_problem(setup, 0, cameras=[Camera((0.0, 0.0, 0.0), (np.nan, 0.0, 1.0))])
    with pytest.raises(ValueError, match=r"^rpy: must be three finite numbers"):
        sc.make_problem(setup, 0, cameras=[Camera((0.0, 0.0), (2.0, 0.0, 1.0))])


@pytest.mark.parametrize("field,value,message", [
    ("marker", (np.nan, 0.0, 0.0), r"^marker: must be three numbers in \[-10, 10\] m"),  # NaN truth
    ("marker", (0.0, 0.0), r"^marker: must be three numbers"),          # a numpy matmul message
    ("marker", "abc", r"^marker: must be three numbers"),               # "could not convert"
    ("rig", "no", r"^rig: must be True or False, got 'no'$"),          # taken as a rig
])
def test_setup_fields_are_checked(field, value, message):
    setup = sc.SpatialSetup(cameras=2, poses=4, **{field: value})
    with pytest.raises(ValueError, match=message):
        setup.validate()
    with pytest.raises(ValueError, match=message):
        sc.make_problem(setup, 0)


@pytest.mark.parametrize("mutation", [5, -0.1, float("nan"), "x", True])
def test_mutation_is_a_probability(mutation):
    problem = sc.make_problem(sc.SpatialSetup(poses=4), 0)
    with pytest.raises(ValueError, match=r"^mutation must be a probability from 0 to 1, got "):
        SpatialCalibrationRun(problem, learner="adam", mutation=mutation)
    with pytest.raises(ValueError, match=r"^mutation must be a probability"):
        sc.run(sc.SpatialSetup(poses=4), 0, "proportional", rounds=2, mutation=mutation)


def test_nan_observations_are_refused():
    problem = sc.make_problem(sc.SpatialSetup(poses=4, sigma=0.5), 0)
    problem.observed[0, 1, 2] = np.nan          # a seen point (every point is seen here)
    assert problem.seen[0, 1, 2]
    for learner in ("lm", "adam"):              # every loss was NaN, the report's None
        with pytest.raises(ValueError, match=r"^observed: 1 seen pixel\(s\) not finite"):
            SpatialCalibrationRun(problem, learner=learner)
    free = np.ones(problem.model.dim, dtype=bool)
    with pytest.raises(ValueError, match=r"^observed: 1 seen pixel"):
        sc.solve_proportional(problem.model, problem, problem.start, free,
                              np.random.default_rng(0), rounds=2)
    problem.seen[0, 1, 2] = False               # unseen: its pixels are not read
    SpatialCalibrationRun(problem).step()
    start = problem.start.copy()
    start[0] = np.inf
    with pytest.raises(ValueError, match=r"^theta0: the starting parameters must be finite$"):
        sc.solve_adam(problem.model, problem, start, free, np.random.default_rng(0), rounds=2)


@pytest.mark.parametrize("option,value", [("damping", float("nan")), ("damping", -1.0),
                                          ("damping", 0.0), ("damping", 1e300),
                                          ("xtol", float("nan")), ("ftol", -1.0)])
def test_lm_options_are_checked(option, value):
    # a NaN damping rejected every step for max_rounds rounds and returned the start
    with pytest.raises(ValueError, match=rf"^{option} must be a number from .* to 1e12, got "):
        sc.run(sc.SpatialSetup(poses=4), 0, "lm", **{option: value})


def test_identify_edges():
    # no residuals: IndexError; NaN: "SVD did not converge"; a zero Jacobian: a NaN condition
    for jac in (np.zeros((0, 3)), np.full((4, 3), np.nan), np.zeros(3)):
        with pytest.raises(ValueError, match=r"^identify: the Jacobian must be a finite "):
            sc.identify(jac, ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"^identify: 2 names for 3 parameters$"):
        sc.identify(np.eye(3), ["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zero = sc.identify(np.zeros((4, 3)), ["a", "b", "c"])
    assert zero.rank == 0 and zero.condition == np.inf and zero.deficit == 3


@pytest.mark.parametrize("tolerance", ["x", None, True, float("nan"), 0])
def test_simulation_tolerance_is_checked(tolerance):
    from armsim.vision.spatial_simulation import SpatialCalibrationSimulation
    with pytest.raises(ValueError, match=r"^tolerance must be a number > 0, got "):
        SpatialCalibrationSimulation(sc.SpatialSetup(poses=4), tolerance=tolerance)
