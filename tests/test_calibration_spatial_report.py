"""A 3D calibration's --report has the keys every calibration report has: converged,
identified (every free parameter of the best candidate within calibration.length_tolerance
of the truth), converged_round; and at_noise_floor (the learner at the least-squares minimum,
every parameter within a few standard deviations of the Cramer-Rao bound)."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from armsim.scene import build_simulation, loads
from armsim.vision.spatial_calibration import crlb, relative_errors, solve_lm

ROOT = Path(__file__).resolve().parents[1]
UR5 = ROOT / "scenes" / "calibrate-ur5-stereo.toml"


def _report(tmp_path, text, frames):
    scene = tmp_path / "s.toml"
    scene.write_text(text)
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(scene), "--gif",
                        str(tmp_path / "o.gif"), "--frames", str(frames), "--size", "96x96",
                        "--report", str(tmp_path / "r.json")],
                       capture_output=True, text=True, timeout=300,
                       env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    return json.loads((tmp_path / "r.json").read_text())


def test_noise_free_pixels_are_identified_and_noisy_ones_say_not(tmp_path):
    text = UR5.read_text()
    assert text.count("sigma = 0.5") == 2
    clean = _report(tmp_path, text.replace("sigma = 0.5", "sigma = 0.0"), 60)
    assert clean["identified"] is True and clean["converged"] is True
    assert 1 <= clean["converged_round"] <= clean["rounds"] == 60
    assert clean["best_max_rel_error"] <= clean["tolerance"] == 0.01
    assert clean["at_noise_floor"] is False and clean["bound_sigmas"] is None  # no noise
    noisy = _report(tmp_path, text, 60)
    # 0.5 px of noise leaves joint 5's zero offset 0.59 standard deviation of the Cramer-Rao
    # bound relative (5.9 mrad): never within 1 %, and the report says so; the learner is at
    # the noise floor from round 4 (0.478 px RMS, every parameter within 1.88 standard
    # deviations of the bound), and the report says that too
    assert noisy["identified"] is False and noisy["identified_round"] is None
    assert noisy["best_max_rel_error"] == pytest.approx(0.7034, abs=1e-4)
    assert noisy["bound_rel_sd"] == pytest.approx(0.5897, abs=1e-4)
    assert noisy["at_noise_floor"] is True and noisy["converged"] is True
    assert noisy["noise_floor_round"] == noisy["converged_round"] == 4
    assert noisy["bound_sigmas"] == pytest.approx(1.875, abs=1e-3)
    assert noisy["best_rms_px"] == pytest.approx(0.4782, abs=1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_noisy_runs_reach_the_noise_floor_of_the_bound(seed):
    """Over seeds, the learner ends where the noise leaves the least-squares estimate: every
    parameter within a few standard deviations of the Cramer-Rao bound (measured: 1.85, 2.15,
    3.79, 3.48; the least-squares minimum solved from the truth is the same point to 1e-7),
    however far that is from the 1 % goal (joint 5's zero offset: 0.59 relative)."""
    text = UR5.read_text().replace("seed = 7", f"seed = {seed}")
    sim = build_simulation(loads(text, source=str(UR5)))
    for _ in range(12):
        sim.step()
    r = sim.report()
    assert r["at_noise_floor"] is True and r["converged"] is True
    assert r["noise_floor_round"] <= 12 and r["bound_sigmas"] <= 4.0
    assert r["bound_rel_sd"] > 0.5 and r["identified"] is False
    run = sim.run
    best = int(np.argmin(run.current))
    ls = solve_lm(run.model, sim.problem, run.reference, run.free, max_rounds=500).theta
    assert relative_errors(run.theta(best), ls, run.free).max() < 1e-5


@pytest.mark.parametrize("seed", [7, 2])
@pytest.mark.parametrize("sigmas", [(0.0, 0.5), (0.5, 2.0), (0.5, 0.0)])
def test_cameras_of_unequal_noise_reach_the_noise_floor(sigmas, seed):
    # a noise-free camera beside a noisy one had no bound at all (any sigma of 0 gave up):
    # the run said "identifying" for ever; with unequal noise the bound weighted each camera
    # by its noise while the learner fits every pixel alike (4.53 of the 5 sigmas allowed).
    # Now the bound is the spread of the learner's unweighted fit (measured over seeds 7 and
    # 0-3: at the floor in rounds 3-4, within 1.45-3.75 of its standard deviations)
    from armsim.view.calibration_spatial import calibration_status, header_text
    text = UR5.read_text().replace("seed = 7", f"seed = {seed}")
    text = text.replace("sigma = 0.5", f"sigma = {sigmas[0]}", 1)
    head, tail = text.rsplit("sigma = 0.5", 1)
    sim = build_simulation(loads(head + f"sigma = {sigmas[1]}" + tail, source=str(UR5)))
    assert list(sim.sigmas) == list(sigmas)
    for _ in range(12):
        sim.step()
    r = sim.report()
    assert r["at_noise_floor"] and r["converged"] and r["noise_floor_round"] <= 12, r
    assert r["bound"] == "unweighted fit" and r["bound_sigmas"] <= 4.5
    words = header_text(sim.state, calibration_status(sim))
    assert words.startswith("at the noise floor in ") and "noise's spread in the fit" in words


def test_the_scenes_floor_is_the_noise_and_joint5_is_told_from_joint6_by_the_tool_alone():
    """docs/calibration_spatial.md: the scene's 0.48 px and 0.70 from round 4 on are not a
    stall: the RMS is the noise's, and joint 5's zero offset is loose because joint 6's origin,
    8.2 cm off joint 5's axis, moves with it as joint6.x does."""
    sim = build_simulation(loads(UR5.read_text(), source=str(UR5)))
    for _ in range(6):
        sim.step()
    run, p = sim.run, sim.problem
    model = run.model
    best = int(np.argmin(run.current))
    fit = np.sqrt(np.mean(model.residuals(run.theta(best), p)[0] ** 2))
    noise = np.sqrt(np.mean(model.residuals(p.truth, p)[0] ** 2))
    rows, free = model.residuals(p.truth, p)[0].size, int(run.free.sum())
    assert (rows, free) == (1036, 26)
    assert fit == pytest.approx(0.4782, abs=1e-4) and noise == pytest.approx(0.4866, abs=1e-4)
    expected, spread = 0.5 * np.sqrt(1 - free / rows), 0.5 / np.sqrt(2 * rows)
    assert expected == pytest.approx(0.4937, abs=1e-4) and spread == pytest.approx(0.011, abs=1e-3)
    assert abs(fit - expected) < 2 * spread
    assert np.linalg.norm(model.chain.xyz[5][:2]) == pytest.approx(0.0823)  # off joint 5's axis
    names = [n for n, f in zip(model.names, run.free) if f]
    cov = crlb(model, p, run.reference, run.free, 0.5)
    sd = np.sqrt(np.diag(cov))
    j5, j6 = names.index("joint5.dq"), names.index("joint6.x")
    corr = cov[j5] / (sd[j5] * sd)
    assert corr[j6] == pytest.approx(0.953, abs=1e-3)
    assert np.argsort(-np.abs(corr))[1] == j6          # its strongest tie after itself
    _, jac = model.residuals(run.reference, p, run.free)
    keep = [i for i in range(len(names)) if i != j6]
    known = 0.25 * np.linalg.inv(jac[:, keep].T @ jac[:, keep])
    assert sd[j5] == pytest.approx(5.9e-3, abs=1e-4)
    assert np.sqrt(known[keep.index(j5), keep.index(j5)]) == pytest.approx(1.8e-3, abs=1e-4)
