"""Edges of the visual problem found by an audit: each case failed on the code before."""

from pathlib import Path

import numpy as np
import pytest

from armsim.vision import PRESETS, CalibrationRun
from armsim.vision.spatial_calibration import identify

ROOT = Path(__file__).resolve().parents[1]


def test_a_large_rate_on_unwrapped_angles_keeps_every_parameter_finite():
    # the gecco protocol leaves angles unwrapped: at rate 10 they overflowed and every
    # parameter was NaN by round 1427 (then --report failed on the NaN)
    run = CalibrationRun(PRESETS["gecco"].with_value("calibration.rate_range", (10.0, 10.0)), 123)
    for _ in range(1500):
        run.step()
    assert np.all(np.isfinite(run.params)) and np.all(np.isfinite(run.losses))


def test_lm_with_a_damping_too_small_to_lift_its_window_still_steps():
    # a one-round window's J^T J is rank-short; 1e-17 damping was LinAlgError: Singular matrix
    run = CalibrationRun(PRESETS["lm"].with_value("calibration.damping", 1e-17), 1)
    for _ in range(30):
        run.step()
    assert np.all(np.isfinite(run.params)) and float(np.min(run.losses)) < 1e-20


def test_identify_holds_a_parameter_per_null_direction_with_few_residuals():
    # one residual, three parameters: two null directions (was held = [])
    info = identify(np.array([[1.0, 2.0, 3.0]]), ["a", "b", "c"])
    assert (info.rank, info.deficit) == (1, 2)
    assert len(info.held) == 2 and len(info.directions) == 2


def test_sizes_whose_round_cannot_fit_are_refused_up_front():
    # population 1e9 was a MemoryError; each size alone within its limit, the scene below
    # (16 cameras, lm's window 1000) needed about 22 GB and failed midway
    with pytest.raises(ValueError) as err:
        PRESETS["lm"].with_value("population", 10**9).validate()
    assert str(err.value).startswith(
        "a round of population 1000000000, segments 3, 1 camera(s), window 30 would need "
        "about 12606.4 GiB of memory, more than the ")
    assert str(err.value).endswith(" GiB allowed (half the memory this process may use); use fewer")
    focuses = tuple((600.0, float(i)) for i in range(1, 17))
    big = (PRESETS["lm"].with_value("segments", 20).with_value("population", 100)
           .with_value("window", 1000).with_value("camera.focuses", focuses))
    assert big.round_bytes() == 3 * 8 * (100 * 21 + 99 * 1000 * 20) * 16 * 40
    with pytest.raises(ValueError, match=r"^a round of population 100, segments 20, 16 "
                                         r"camera\(s\), window 1000 would need about 28.4 GiB"):
        big.validate()
    # the same sizes with window 20: about 0.6 GiB, accepted (0.49 GB measured at its peak)
    assert big.with_value("window", 20).validate().round_bytes() < 0.6 * 2**30 + 2**26


def test_a_placed_target_stays_the_users_at_every_target_jump():
    # the scripted jump replaced it for one round at each target_period (0.025 rad apart)
    from armsim.vision.simulation import CalibrationSimulation
    angles = []
    for period in (100, 10**8):
        sim = CalibrationSimulation(PRESETS["lm"].with_value("calibration.target_period", period),
                                    seed=1, rounds_per_frame=1)
        sim.step(target=(300.0, 500.0))
        for _ in range(149):
            sim.step()
        angles.append(sim.run.ref_angles)
        assert np.array_equal(sim.run.target, [300.0, 500.0])
    assert np.array_equal(angles[0], angles[1])


@pytest.mark.parametrize("kwargs, message", [
    # an argmin of nothing, a negative dimension, a TypeError, a ZeroDivisionError, an
    # IndexError; NaN spread or noise made every learned parameter NaN; -5 px was taken
    (dict(population=1), "population must be an integer from 2 to 100, got 1"),
    (dict(population=2.5), "population must be an integer from 2 to 100, got 2.5"),
    (dict(period=0, learner="adam"), "period must be an integer >= 1, got 0"),
    (dict(occlude=[True]), "occlude must be 2 flag(s), one a camera, got [True]"),
    (dict(spread=float("nan")), "spread must be a number from 0 to 100, got nan"),
    (dict(sigmas=[float("nan"), 0.0]), "sigmas must be 2 number(s) from 0 to 1000 px, got "
                                       "[nan, 0.0]"),
    (dict(sigmas=[-5, 0]), "sigmas must be 2 number(s) from 0 to 1000 px, got [-5.0, 0.0]"),
])
def test_the_3d_calibration_refuses_bad_settings_in_one_line(kwargs, message):
    from armsim.vision.spatial_calibration import SpatialSetup
    from armsim.vision.spatial_simulation import SpatialCalibrationSimulation
    with pytest.raises(ValueError) as err:
        SpatialCalibrationSimulation(SpatialSetup(poses=10, cameras=2), **kwargs)
    assert str(err.value) == message


def test_a_3d_run_too_big_for_memory_is_refused_before_its_first_pass(monkeypatch, tmp_path,
                                                                      capsys):
    # a 3D calibration scene at its documented largest sizes (10,000 poses, population
    # 100) ran out of memory while it was built, a traceback after 35 s: now refused in
    # one line, naming the scene key, from the estimate of its bytes
    from armsim.cli import main
    from armsim.vision import spatial_run
    from armsim.vision.spatial_calibration import SpatialSetup, make_problem
    prob = make_problem(SpatialSetup(robot="ur5", cameras=2, rig=True, poses=40))
    assert spatial_run.round_bytes(prob, 10) == 2 * 40 * 7 * (prob.model.dim + 1) * 8 * (12 + 20)
    monkeypatch.setattr(spatial_run, "memory_budget", lambda: 1 << 20)
    with pytest.raises(ValueError) as err:
        spatial_run.SpatialCalibrationRun(prob, population=10)
    assert str(err.value) == (
        "population: 10 candidates over 40 poses and 2 camera(s) would need about 0.0 GiB of "
        "memory, more than the 0.0 GiB allowed (half the memory this process may use); use "
        "fewer poses or a smaller population")
    scene = ROOT / "scenes" / "calibrate-ur5-stereo.toml"
    assert main([str(scene), "--gif", str(tmp_path / "o.gif"), "--frames", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{scene}: genetic.population: ") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_the_memory_budget_is_half_of_an_address_space_limit(tmp_path):
    # under `ulimit -v` the budget was half the physical memory, so sizes that could not
    # fit were let through and failed midway with MemoryError
    import subprocess
    import sys
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
            "from armsim.kinematics.planar import memory_budget; print(memory_budget())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert int(out.stdout) == (3 << 30) // 2


@pytest.mark.parametrize("population, message", [
    (None, "population"), ("x", "population"), (10**30, "population")])
def test_a_bad_population_gets_its_own_message_before_any_memory_estimate(population, message):
    from armsim.vision import spatial_run
    from armsim.vision.spatial_calibration import SpatialSetup, make_problem
    prob = make_problem(SpatialSetup(robot="ur5", cameras=1, poses=10))
    with pytest.raises(ValueError) as err:
        spatial_run.SpatialCalibrationRun(prob, population=population)
    assert str(err.value).startswith(message) and "GiB" not in str(err.value)


# -- seeds and counts of rounds: one ValueError naming the argument and its range -----------
SEED = "seed must be an integer from 0 to 9,223,372,036,854,775,807, got "
ROUNDS = "max_rounds must be an integer from 1 to 100,000,000, got "


@pytest.mark.parametrize("seed, max_rounds, message", [
    (1, 0, ROUNDS + "0"), (1, -1, ROUNDS + "-1"), (1, 2.5, ROUNDS + "2.5"),
    (1, True, ROUNDS + "True"), (1, float("inf"), ROUNDS + "inf"),
    (1, 10**8 + 1, ROUNDS + "100000001"),
    (1.5, 10, SEED + "1.5"), (-1, 10, SEED + "-1"), (True, 10, SEED + "True"),
    ("1", 10, SEED + "'1'"), (2**63, 10, SEED + "9223372036854775808"),
])
def test_a_calibration_run_refuses_a_bad_seed_or_round_count(seed, max_rounds, message):
    # max_rounds 0 returned final_loss inf, 2.5 ran 2 rounds; seed 1.5 was numpy's TypeError
    # and -1 its ValueError naming nothing
    from armsim.vision import calibration
    with pytest.raises(ValueError) as info:
        calibration.run(PRESETS["lm"], seed, max_rounds)
    assert str(info.value) == message


def test_a_run_never_checked_has_no_final_loss_and_a_whole_float_counts():
    from armsim.vision import calibration
    unchecked = calibration.run(PRESETS["gecco"], 1, 1)    # gecco checks every 100 rounds
    assert unchecked.final_loss is None                     # (was inf)
    done = calibration.run(PRESETS["lm"], 1, 2.0)
    assert done.rounds == 2 and np.isfinite(done.final_loss)


def _spatial_calls():
    from armsim.vision import genetic, sweep
    from armsim.vision import spatial_calibration as sc
    from armsim.vision.simulation import CalibrationSimulation
    from armsim.vision.spatial_run import SpatialCalibrationRun
    from armsim.vision.spatial_simulation import SpatialCalibrationSimulation
    setup = sc.SpatialSetup(poses=4)
    p = sc.make_problem(setup, 0)
    free = np.ones(p.model.dim, dtype=bool)
    rng = np.random.default_rng(0)
    gen = (np.zeros((3, 2)), np.ones((3, 2)), np.arange(3.0))
    rounds = ROUNDS.replace("max_rounds", "rounds")
    return [
        (lambda: sc.make_problem(setup, 1.5), SEED + "1.5"),
        (lambda: sc.run(setup, -1), SEED + "-1"),
        (lambda: sc.run(setup, 0, max_rounds=0), ROUNDS + "0"),
        (lambda: sc.run(setup, 0, "adam", rounds=2.5), rounds + "2.5"),
        (lambda: sc.solve_lm(p.model, p, p.start, free, max_rounds=-1), ROUNDS + "-1"),
        (lambda: sc.solve_proportional(p.model, p, p.start, free, rng, rounds=0), rounds + "0"),
        (lambda: sc.solve_adam(p.model, p, p.start, free, rng, rounds=True), rounds + "True"),
        (lambda: SpatialCalibrationRun(p, seed=2.5), SEED + "2.5"),
        (lambda: SpatialCalibrationSimulation(setup, -3), SEED + "-3"),
        (lambda: SpatialCalibrationSimulation(setup, max_rounds=2.5), ROUNDS + "2.5"),
        (lambda: SpatialCalibrationSimulation(setup, rounds_per_frame=float("inf")),
         "rounds_per_frame must be an integer >= 1, got inf"),
        (lambda: CalibrationSimulation(PRESETS["lm"], seed=-1), SEED + "-1"),
        (lambda: CalibrationSimulation(PRESETS["lm"], rounds_per_frame=float("inf")),
         "rounds_per_frame must be an integer >= 1, got inf"),
        (lambda: sweep.tasks(PRESETS["lm"], [{}], [1, 1.5]), SEED + "1.5"),
        (lambda: sweep.tasks(PRESETS["lm"], [{}], [-1]), SEED + "-1"),
        (lambda: sweep.tasks(PRESETS["lm"], [{}], [1], 0), ROUNDS + "0"),
        (lambda: genetic.next_generation(*gen, -1, 0.2, (0, 1), rng),
         "count must be an integer >= 0, got -1"),
        (lambda: genetic.next_generation(*gen, 1.5, 0.2, (0, 1), rng),
         "count must be an integer >= 0, got 1.5"),
    ]


def test_every_vision_entry_point_refuses_a_bad_seed_or_count_alike():
    # each was accepted (0 or -1 rounds, seed 1.5 truncated to 1 by a sweep, a negative
    # count) or raised numpy's TypeError / an OverflowError naming nothing
    failures = []
    for k, (call, message) in enumerate(_spatial_calls()):
        try:
            call()
            failures.append((k, "accepted"))
        except ValueError as exc:
            if str(exc) != message:
                failures.append((k, str(exc)))
        except Exception as exc:                                    # noqa: BLE001
            failures.append((k, f"{type(exc).__name__}: {exc}"))
    assert failures == []


def test_a_calibration_runs_text_target_is_named():
    # "could not convert string to float: 'ab'" (numpy's; no argument named)
    from armsim.vision import calibration as C
    run = C.CalibrationRun(C.PRESETS["lm"], 1)
    with pytest.raises(ValueError, match=r"^target must be an array of numbers, got 'ab'$"):
        run.set_target("ab")
    run.set_target([1.0, 2.0])
    assert run.target.tolist() == [1.0, 2.0]


def test_a_3d_run_names_an_option_its_learner_does_not_take():
    # run(learner="lm", rounds=5) raised the solve's TypeError after the problem was made
    from armsim.vision import spatial_calibration as S
    with pytest.raises(ValueError, match=r"^learner 'lm' takes no option 'rounds'; its options: "
                       r"max_rounds, damping, xtol, ftol$"):
        S.run(seed=1, learner="lm", rounds=5)
    with pytest.raises(ValueError, match=r"^learner 'adam' takes no option 'max_rounds'; its "
                       r"options: rounds, population, period, mutation$"):
        S.run(seed=1, learner="adam", max_rounds=5)
