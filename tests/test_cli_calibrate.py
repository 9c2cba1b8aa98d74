"""``armsim calibrate`` (issue 26): the round trip from files to the calibrated URDF and
report.json, bad data as one line with exit status 2 and nothing written, plots, and one
small run from rendered images (``--images``)."""

import importlib.util
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest

import armsim
from _real_data import SETUP, Synthetic
from armsim.cli import main
from armsim.vision.real import format_joints, format_observations
from armsim.vision.real.model import Model

ROOT = Path(__file__).resolve().parents[1]
URDF = armsim.robots.path("panda")
SCHEMA = json.loads((ROOT / "docs" / "calibrate_report.schema.json").read_text())


@pytest.fixture(scope="module")
def synthetic():
    return Synthetic(0)


def _files(tmp_path, s):
    (tmp_path / "joints.csv").write_text(format_joints(s.joints))
    (tmp_path / "obs.csv").write_text(format_observations(s.observations))
    (tmp_path / "setup.toml").write_text(SETUP)
    return tmp_path


def _argv(d, joints="joints.csv", obs="obs.csv", extra=()):
    return ["calibrate", str(URDF), "--joints", str(d / joints), "--observations",
            str(d / obs), "--setup", str(d / "setup.toml"), "--out", str(d / "out.urdf"),
            "--report", str(d / "report.json"), *extra]


def _theta(model, report):
    values = {p["name"]: p["value"] for p in report["parameters"]}
    return np.array([values[n] for n in model.names])


def test_the_round_trip_writes_a_urdf_whose_kinematics_are_the_identified_models(
        tmp_path, synthetic, capsys):
    d = _files(tmp_path, synthetic)
    assert main(_argv(d, extra=["--plots", str(d / "plots")])) == 0
    out = capsys.readouterr().out
    assert "converged: True, identified: True" in out and "wrote" in out
    report = json.loads((d / "report.json").read_text())
    jsonschema.validate(report, SCHEMA)
    assert report["converged"] and report["identified"] and report["rms_px_after"] < 0.6
    model = Model(synthetic.robot, synthetic.setup, synthetic.joints.names)
    theta = _theta(model, report)
    calibrated = armsim.load_robot(d / "out.urdf")
    readings = np.vstack([synthetic.readings, synthetic.heldout])
    ours = model.link_poses(theta, readings)
    for link in ("panda_link3", "panda_link6", "panda_link8"):
        T = calibrated.frames(readings, [link])[link]
        np.testing.assert_allclose(T[:, :3, :3], ours[link][0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(T[:, :3, 3], ours[link][1], rtol=0, atol=1e-12)
    # the identified model is the truth's kinematics within a millimetre on held-out poses
    truth = synthetic.model.link_poses(synthetic.truth, synthetic.heldout)["panda_link8"][1]
    assert np.max(np.linalg.norm(ours["panda_link8"][1][len(synthetic.readings):] - truth,
                                 axis=1)) < 2e-3
    # one picture per image with corners, PNG, the image's size
    plots = sorted((d / "plots").iterdir())
    assert len(plots) == 2 * len(synthetic.joints.poses)
    import imageio.v3 as iio
    picture = iio.imread(plots[0])
    assert picture.shape == (1024, 1280, 3)
    assert (picture != 255).any(axis=2).sum() > 100          # the marks are drawn
    band = picture[:int(1024 / 60 * 4.6), :400].astype(int)   # the legend: four lines
    red = (band[..., 0] > 150) & (band[..., 1] < 90) & (band[..., 2] < 90)
    blue = (band[..., 2] > 150) & (band[..., 0] < 90)
    assert red.sum() > 50 and blue.sum() > 50               # the start's and the fit's lines



def test_each_cameras_fit_is_reported_and_a_wrong_camera_is_named(tmp_path, synthetic,
                                                                   capsys):
    # a camera set up with a wrong focal length (4 %) fitted worse than the other, and only
    # a tally of report.json's outliers showed which one
    d = _files(tmp_path, synthetic)
    assert main(_argv(d)) == 0
    out = capsys.readouterr().out
    report = json.loads((d / "report.json").read_text())
    per = report["by_camera"]
    assert sorted(per) == ["left", "right"] and "warning" not in out
    assert sum(c["corners"] for c in per.values()) == report["corners"]
    assert all(c["rms_px"] < 2 * report["noise_px"] for c in per.values())
    assert ", ".join(f"{n} {c['rms_px']:.3f} px ({c['corners']} corners, {c['outliers']} "
                     f"outliers)" for n, c in per.items()) in out
    (d / "setup.toml").write_text(SETUP.replace("fx = 1100.0", "fx = 1144.0"))
    assert main(_argv(d)) == 3       # and the fit is far worse than the corners' noise
    out = capsys.readouterr().out
    per = json.loads((d / "report.json").read_text())["by_camera"]
    assert per["right"]["rms_px"] > 2 * per["left"]["rms_px"]
    assert (f"warning: camera 'right' fits worse than the others ({per['right']['rms_px']:.3f}"
            f" px against at most {per['left']['rms_px']:.3f}): check its intrinsics, its "
            f"distortion and its images") in out

def test_a_fit_far_worse_than_the_corners_noise_is_written_said_and_exit_3(tmp_path, synthetic,
                                                                           capsys):
    # both cameras' focal lengths 3x off: 11.8 px calibrated against 0.5 px of noise, and
    # exit 0 with no word (the per-camera check compares the cameras with each other)
    d = _files(tmp_path, synthetic)
    (d / "setup.toml").write_text(SETUP.replace("fx = 1150.0\nfy = 1148.0",
                                                "fx = 3450.0\nfy = 3444.0")
                                  .replace("fx = 1100.0\nfy = 1101.0",
                                           "fx = 3300.0\nfy = 3303.0"))
    assert main(_argv(d)) == 3
    captured = capsys.readouterr()
    report = json.loads((d / "report.json").read_text())
    jsonschema.validate(report, SCHEMA)
    floor, rms = report["corner_noise_px"], report["rms_px_after"]
    assert 0.3 < floor < 0.7 and rms > 3 * floor and (d / "out.urdf").exists()
    assert captured.err == (
        f"armsim calibrate: warning: the calibrated RMS, {rms:.3f} px, is {rms / floor:.3g} "
        f"times the corners' own scatter ({floor:.3f} px, each marker fitted alone; at most 3 "
        f"times expected): the model does not fit the data; check the cameras' intrinsics and "
        f"distortion, the markers' size and the joint readings\n"
        "armsim calibrate: the outputs are written for inspection; do not use them as a "
        "calibration (exit status 3)\n")
    assert "wrote" in captured.out


@pytest.mark.parametrize("size, scale", [(0.16, 2.0), (0.8, 10.0)])
def test_a_marker_size_in_the_wrong_unit_is_said_and_exit_3(tmp_path, synthetic, capsys,
                                                            size, scale):
    # the marker's size is the only length scale: 2 or 10 times too large fitted the
    # corners as well, wrote an arm 2 or 10 times the URDF's and exited 0 (2 times) or
    # blamed too few poses (10 times: the tool's sigma grows with the arm)
    d = _files(tmp_path, synthetic)
    (d / "setup.toml").write_text(SETUP.replace("size = 0.08", f"size = {size}"))
    assert main(_argv(d)) == 3
    captured = capsys.readouterr()
    report = json.loads((d / "report.json").read_text())
    assert report["converged"] and report["rms_px_after"] < 3 * report["corner_noise_px"]
    model = Model(synthetic.robot, synthetic.setup, synthetic.joints.names)
    lengths = [np.linalg.norm(model.joint_origin(_theta(model, report), j)[0])
               for j in ("panda_joint3", "panda_joint5")]
    assert np.allclose(lengths, [scale * 0.316, scale * np.hypot(0.0825, 0.384)], rtol=0.02)
    got = float(captured.err.split("the identified arm is ", 1)[1].split(" times", 1)[0])
    assert abs(got - scale) < 0.02 * scale
    assert captured.err == (
        f"armsim calibrate: warning: the identified arm is {got:.3g} times the size of the "
        "URDF's (its joint origins' positions; 0.833 to 1.2 expected): check the markers' "
        "size in the setup (the black square's side, border included, in metres), the "
        "calibration's only length scale\n"
        "armsim calibrate: the outputs are written for inspection; do not use them as a "
        "calibration (exit status 3)\n")
    assert (d / "out.urdf").exists()


def test_a_calibration_that_did_not_converge_is_written_said_and_exit_3(tmp_path, synthetic,
                                                                        capsys, monkeypatch):
    # converged: False was only printed in the summary, and the exit status was 0
    import armsim.vision.real.identify as identify
    d = _files(tmp_path, synthetic)
    monkeypatch.setattr(identify, "MAX_REWEIGHTS", 1)     # the Huber weights cannot settle
    assert main(_argv(d)) == 3
    captured = capsys.readouterr()
    report = json.loads((d / "report.json").read_text())
    assert not report["converged"] and (d / "out.urdf").exists()
    assert captured.err == (
        f"armsim calibrate: warning: the calibration did not converge in {report['rounds']} "
        "rounds (the solve or its Huber weights did not settle)\n"
        "armsim calibrate: the outputs are written for inspection; do not use them as a "
        "calibration (exit status 3)\n")


def _edit_lines(text, line, edit):
    lines = text.splitlines(keepends=True)
    lines[line - 1] = edit(lines[line - 1])
    return "".join(lines)


BAD = {
    "unknown joint": ("joints.csv", 1, lambda s: s.replace("panda_joint3", "panda_jointX"),
                      "{d}/bad.csv: line 1: joint 'panda_jointX' is not in the URDF (did you "
                      "mean 'panda_joint7'?)"),
    "duplicate pose": ("joints.csv", 3, lambda s: s.replace("p001", "p000"),
                       "{d}/bad.csv: line 3 (pose 'p000'): pose 'p000' appears twice (first "
                       "on line 2)"),
    "not finite": ("joints.csv", 4, lambda s: s.replace(s.split(",")[2], "nan"),
                   "{d}/bad.csv: line 4 (pose 'p002'): panda_joint2: not a finite number: "
                   "'nan'"),
    "beyond the limits": ("joints.csv", 4, lambda s: s.replace(s.split(",")[2], "90.0"),
                          "{d}/bad.csv: line 4 (pose 'p002'): panda_joint2: 90 rad is outside "
                          "the URDF's limits [-1.7628, 1.7628] rad (by more than 0.1 rad; "
                          "degrees given as radians?)"),
    "missing pose": ("obs.csv", 2, lambda s: s.replace("p000", "p999"),
                     "{d}/bad.csv: line 2: pose 'p999' is not in joints.csv"),
    "unknown camera": ("obs.csv", 2, lambda s: s.replace(",left,", ",middle,"),
                       "{d}/bad.csv: line 2 (pose 'p000', camera 'middle'): camera 'middle' "
                       "is not in the setup (cameras: left, right)"),
    "unknown marker": ("obs.csv", 2, lambda s: s.replace(",left,3,", ",left,9,"),
                       "{d}/bad.csv: line 2 (pose 'p000', camera 'left'): marker 9 is not in "
                       "the setup (markers: 3)"),
    "duplicate corner": ("obs.csv", 3, lambda s: s.replace(",left,3,1,", ",left,3,0,"),
                         "{d}/bad.csv: line 3 (pose 'p000', camera 'left'): marker 3 corner 0 "
                         "appears twice (first on line 2)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_data_is_one_line_exit_2_and_nothing_written(tmp_path, synthetic, capsys, case):
    d = _files(tmp_path, synthetic)
    name, line, edit, message = BAD[case]
    (d / "bad.csv").write_text(_edit_lines((d / name).read_text(), line, edit))
    argv = _argv(d, **{"joints" if name == "joints.csv" else "obs": "bad.csv"},
                 extra=["--plots", str(d / "plots")])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == message.format(d=d) + "\n"
    assert not (d / "out.urdf").exists() and not (d / "report.json").exists()
    assert not (d / "plots").exists()
    assert sorted(p.name for p in d.iterdir()) == sorted(["joints.csv", "obs.csv",
                                                          "setup.toml", "bad.csv"])


def test_a_joint_that_moves_the_marker_must_have_readings(tmp_path, synthetic, capsys):
    d = _files(tmp_path, synthetic)
    rows = [line.split(",") for line in (d / "joints.csv").read_text().splitlines()]
    (d / "bad.csv").write_text("".join(",".join(r[:3] + r[4:]) + "\n" for r in rows))
    assert main(_argv(d, joints="bad.csv")) == 2
    assert capsys.readouterr().err == (f"{d}/bad.csv: line 1: no column for joint "
                                       "'panda_joint3', which moves a marker or a camera; "
                                       "give its readings\n")
    assert not (d / "out.urdf").exists() and not (d / "report.json").exists()


def test_an_existing_output_is_kept_when_the_data_is_bad(tmp_path, synthetic, capsys):
    d = _files(tmp_path, synthetic)
    (d / "out.urdf").write_text("old")
    (d / "bad.csv").write_text("pose,panda_joint1\np0,inf\n")
    assert main(_argv(d, joints="bad.csv")) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert (d / "out.urdf").read_text() == "old"


@pytest.mark.parametrize("option, given, what", [
    ("--out", "urdf", "the URDF"), ("--report", "joints.csv", "--joints"),
    ("--out", "obs.csv", "--observations"), ("--report", "setup.toml", "--setup")])
def test_an_output_that_is_an_input_is_refused_untouched(tmp_path, synthetic, capsys, option,
                                                        given, what):
    d = _files(tmp_path, synthetic)
    robot = d / "robot.urdf"
    robot.write_bytes(URDF.read_bytes())
    argv = _argv(d)
    argv[1] = str(robot)
    target = robot if given == "urdf" else d / given
    before = target.read_bytes()
    argv[argv.index(option) + 1] = str(target)
    assert main(argv) == 2
    assert capsys.readouterr().err == (f"armsim calibrate: error: argument {option}: refusing "
                                       f"to overwrite {what} '{target}' (an input)\n")
    assert target.read_bytes() == before


@pytest.mark.parametrize("option, what", [
    ("--out", "a file name (or - for standard output)"),
    ("--report", "a file name (or - for standard output)"), ("--plots", "a folder name")])
def test_an_empty_output_name_is_refused(tmp_path, synthetic, capsys, option, what):
    """An empty name was taken as no option: 'nothing written', exit 0."""
    d = _files(tmp_path, synthetic)
    argv = _argv(d)
    if option in argv:
        argv[argv.index(option) + 1] = ""
    else:
        argv += [option, ""]
    assert main(argv) == 2
    assert capsys.readouterr().err == (f"armsim calibrate: error: argument {option}: "
                                       f"expected {what}, got ''\n")
    assert not (d / "out.urdf").exists() and not (d / "report.json").exists()


def test_a_names_escape_code_is_shown_escaped(tmp_path, synthetic, capsys):
    """A file name's escape code printed raw would clear the terminal."""
    d = _files(tmp_path, synthetic)
    argv = _argv(d)
    argv[argv.index("--joints") + 1] = str(d / "\x1b[2J.csv")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J.csv" in err and err.count("\n") == 1


def test_usage_errors_are_one_line(capsys):
    assert main(["calibrate", str(URDF), "--joints", "j.csv", "--setup", "s.toml"]) == 2
    err = capsys.readouterr().err
    assert err == ("armsim calibrate: error: one of the arguments --images --observations "
                   "is required\n")


# -- from images ---------------------------------------------------------------------------

def _bench():
    path = ROOT / "bench" / "marker_corners.py"
    spec = importlib.util.spec_from_file_location("bench_marker_corners", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _render_images(s, folder, rng):
    """One PNG per pose and camera: the marker where the truth puts it, rendered at 8x and
    area-sampled through the camera's lens (bench/marker_corners.py), blur 0.6 px, noise 1."""
    import cv2
    bench = _bench()
    from armsim.vision.real.lens import Lens
    m = s.model
    marker = s.setup.markers[0]
    frames = m.link_poses(s.truth, s.readings)
    Rl, pl = frames[marker.link]
    T_lm = m.pose_matrix(s.truth, marker.id)
    for cam in s.setup.cameras:
        (folder / cam.name).mkdir(parents=True)
        W = m.pose_matrix(s.truth, cam.name)
        K = np.array([[cam.fx, 0, cam.cx], [0, cam.fy, cam.cy], [0, 0, 1.0]])
        for p, pose in enumerate(s.joints.poses):
            T_wm = np.eye(4)
            T_wm[:3, :3], T_wm[:3, 3] = Rl[p] @ T_lm[:3, :3], pl[p] + Rl[p] @ T_lm[:3, 3]
            T = np.linalg.inv(W) @ T_wm
            H = bench.unit_homography(T[:3, :3], T[:3, 3], K, side=marker.size)
            image = bench.render([(marker.id, H)], cam.width, cam.height, blur=0.6, noise=1.0,
                                 rng=rng, lens=Lens.of(cam))
            cv2.imwrite(str(folder / cam.name / f"{pose}.png"), image)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    s = Synthetic(5, poses=12, heldout=50)
    d = tmp_path_factory.mktemp("images")
    _render_images(s, d / "images", np.random.default_rng(5))
    (d / "joints.csv").write_text(format_joints(s.joints))
    (d / "setup.toml").write_text(SETUP)
    return s, d


def _image_argv(d, out):
    return ["calibrate", str(URDF), "--joints", str(d / "joints.csv"), "--images",
            str(d / "images"), "--setup", str(d / "setup.toml"), "--out", str(out / "c.urdf"),
            "--report", str(out / "r.json"), "--plots", str(out / "plots")]


def test_calibration_from_rendered_images(rendered, tmp_path, capsys):
    s, d = rendered
    assert main(_image_argv(d, tmp_path)) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(report, SCHEMA)
    assert len(report["detections"]) == 24
    assert all(det["seen"] == [3] and det["error"] is None and det["size"] == [1280, 1024]
               for det in report["detections"])
    assert report["corners"] == 96 and report["converged"] and report["identified"]
    assert report["rms_px_after"] < 0.1            # corners without bias, no noise beyond 1 grey
    model = Model(s.robot, s.setup, s.joints.names)
    theta = _theta(model, report)
    truth = s.marker_world(s.model, s.truth, s.heldout)
    ours = s.marker_world(model, theta, s.heldout)
    assert np.sqrt(np.mean(np.sum((ours - truth) ** 2, axis=1))) < 1e-3
    assert len(list((tmp_path / "plots").iterdir())) == 24
    assert (tmp_path / "c.urdf").exists()


@pytest.mark.parametrize("option, inside", [("--out", "right/p004.png"),
                                            ("--report", "r.json"), ("--plots", "left"),
                                            ("--plots", ".")])
def test_no_output_goes_into_the_images(rendered, tmp_path, capsys, option, inside):
    # --out over an input image wrote the URDF into it (and the next run calibrated on
    # fewer corners without a word); --plots into the images made the next run fail
    s, d = rendered
    images = d / "images"
    before = {p: p.read_bytes() for p in images.rglob("*") if p.is_file()}
    argv = _image_argv(d, tmp_path)
    argv[argv.index(option) + 1] = str(images / inside)
    assert main(argv) == 2
    assert capsys.readouterr().err == (f"armsim calibrate: error: argument {option}: refusing "
                                       f"to write into --images '{images}' (the inputs: a "
                                       f"file there is read as an image)\n")
    assert {p: p.read_bytes() for p in images.rglob("*") if p.is_file()} == before
    assert not list(tmp_path.iterdir())


def test_markers_the_images_do_not_match_are_named(rendered, tmp_path, capsys):
    # a wrong id said "no marker of the setup was found ... expected images
    # DIR/<camera>/<pose>.png" (the images were fine); a marker never seen said "the
    # hand-eye start cannot place it: seen in no 3 poses of a camera that can"
    s, d = rendered
    for setup, message in (
            (SETUP.replace("id = 3", "id = 5"),
             f"{d / 'images'}: no marker of the setup was found (none of the 24 images); found "
             f"marker(s) 3, which the setup does not list (its markers: 5)"),
            (SETUP + '\n[[marker]]\nid = 9\ndictionary = "DICT_4X4_50"\nsize = 0.05\n'
                     'link = "panda_link0"\n',
             f"{d / 'images'}: marker 9: seen in no image; take it out of the setup, or add "
             f"images where it is seen")):
        (tmp_path / "s.toml").write_text(setup)
        argv = _image_argv(d, tmp_path)
        argv[argv.index("--setup") + 1] = str(tmp_path / "s.toml")
        assert main(argv) == 2
        assert capsys.readouterr().err == message + "\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_the_summary_counts_what_the_images_lacked(rendered, tmp_path, capsys):
    # an unreadable image and a pose with no image were only in report.json's entries
    import shutil
    s, d = rendered
    copy = tmp_path / "data"
    shutil.copytree(d, copy)
    (copy / "images" / "left" / "p000.png").write_bytes(b"not a picture")
    (copy / "images" / "right" / "p001.png").unlink()
    out = tmp_path / "out"
    out.mkdir()
    assert main(_image_argv(copy, out)) == 0
    assert ("\nimages: 1 could not be read, 1 missing (no image of a pose) (each one's "
            "entry: --report, 'detections')\n") in capsys.readouterr().out
    assert main(_image_argv(d, out)) == 0
    assert "\nimages: " not in capsys.readouterr().out


def test_opencv_s_own_log_lines_stay_off_stderr(rendered, tmp_path, capfd):
    # a truncated PNG (its signature, then garbage) made OpenCV print "[ WARN:0@0.040]
    # global grfmt_png.cpp ..." and "[ERROR:...]" lines on stderr beside armsim's summary
    import shutil
    s, d = rendered
    copy = tmp_path / "data"
    shutil.copytree(d, copy)
    (copy / "images" / "left" / "p000.png").write_bytes(b"\x89PNG\r\n\x1a\ngarbage")
    out = tmp_path / "out"
    out.mkdir()
    assert main(_image_argv(copy, out)) == 0
    got = capfd.readouterr()
    assert "\nimages: 1 could not be read" in got.out
    assert "WARN" not in got.err and "ERROR" not in got.err, got.err


@pytest.mark.parametrize("damage", ["truncated", "crc"])
def test_libpng_s_own_error_lines_stay_off_stderr(rendered, tmp_path, capfd, damage):
    # a PNG cut in half printed "libpng error: PNG input buffer is incomplete", one whose
    # pixels were damaged "libpng error: IDAT: CRC error", on stderr past OpenCV's log level
    import shutil
    s, d = rendered
    copy = tmp_path / "data"
    shutil.copytree(d, copy)
    image = copy / "images" / "left" / "p000.png"
    data = bytearray(image.read_bytes())
    if damage == "truncated":
        data = data[:len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    image.write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    assert main(_image_argv(copy, out)) == 0
    got = capfd.readouterr()
    assert "\nimages: 1 could not be read" in got.out
    assert got.err == ""
    report = json.loads((out / "r.json").read_text())
    entry = [e for e in report["detections"] if e["image"] == str(image)]
    assert entry[0]["error"] == "cannot be read: not a PNG or JPEG image OpenCV can decode"


def test_what_is_written_and_a_file_given_as_the_images_are_said(rendered, tmp_path, capsys):
    s, d = rendered
    argv = [a for a in _image_argv(d, tmp_path)]
    argv[argv.index("--images") + 1] = str(d / "joints.csv")     # said "no such folder"
    assert main(argv) == 2
    assert capsys.readouterr().err == f"{d / 'joints.csv'}: not a folder of images (a file)\n"
    bare = argv[:argv.index("--out")]                           # nothing to write: said so
    bare[bare.index("--images") + 1] = str(d / "images")
    assert main(bare) == 0
    assert capsys.readouterr().out.endswith(
        "\nnothing written: give --out CALIBRATED.urdf (and --report REPORT.json)\n")
    assert main(bare + ["--out", "-"]) == 0                     # said "wrote -"
    got = capsys.readouterr()
    assert got.err.endswith("\nwrote the URDF to standard output\n")

def test_an_image_of_the_wrong_size_is_one_line(rendered, tmp_path, capsys):
    import cv2
    s, d = rendered
    import shutil
    copy = tmp_path / "data"
    shutil.copytree(d, copy)
    image = cv2.imread(str(copy / "images" / "right" / "p004.png"), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(copy / "images" / "right" / "p004.png"), image[:480, :640])
    _refused_size(copy, tmp_path, capsys, "640x480")


@pytest.mark.parametrize("case", ["no folder", "unreadable", "blank"])
def test_a_camera_without_usable_images_is_said_so(rendered, tmp_path, capsys, case):
    # all three said only "the hand-eye start needs a marker on a moving link seen in at
    # least 3 poses by this camera", not that camera 'right' had no image, none readable
    # (16-bit PNGs) or no marker in any
    import shutil
    import cv2
    s, d = rendered
    copy = tmp_path / "data"
    shutil.copytree(d, copy)
    folder = copy / "images" / "right"
    if case == "no folder":
        shutil.rmtree(folder)
    for png in sorted(folder.glob("*.png")):
        image = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
        if case == "unreadable":
            cv2.imwrite(str(png), image.astype(np.uint16) * 257)
        else:
            cv2.imwrite(str(png), np.full_like(image, 255))
    out = tmp_path / "out"
    out.mkdir()
    assert main(_image_argv(copy, out)) == 2
    want = {"no folder": f"no images (expected {folder}/<pose>.png for the poses of "
                         f"joints.csv)",
            "unreadable": "none of its 12 images could be read (p000.png: cannot be read: "
                          "uint16 pixels; expected 8-bit grey or colour)",
            "blank": "no marker of the setup seen in any of its 12 images"}[case]
    assert capsys.readouterr().err == f"{copy / 'images'}: camera 'right': {want}\n"
    assert list(out.iterdir()) == []


def _refused_size(copy, tmp_path, capsys, size):
    """The run on ``copy`` is one line naming right/p004.png's ``size``, nothing written."""
    out = tmp_path / "out"
    out.mkdir()
    assert main(_image_argv(copy, out)) == 2
    assert capsys.readouterr().err == (f"{copy}/images/right/p004.png: the image is {size} "
                                       f"pixels; camera 'right' is 1280x1024 in "
                                       f"{copy}/setup.toml\n")
    assert list(out.iterdir()) == []


def test_columns_in_any_order_and_a_symlinked_output(tmp_path, synthetic, capsys):
    """joints.csv's columns reversed give the same calibration; an output that is a
    symbolic link keeps the link and gets its target replaced."""
    from armsim.vision.real import Joints
    d = _files(tmp_path, synthetic)
    j = synthetic.joints
    reversed_joints = Joints(j.names[::-1], j.poses, j.values[:, ::-1])
    (d / "reversed.csv").write_text(format_joints(reversed_joints))
    (d / "target.urdf").write_text("old")
    (d / "link.urdf").symlink_to(d / "target.urdf")
    argv = _argv(d, joints="reversed.csv")
    argv[argv.index("--out") + 1] = str(d / "link.urdf")
    assert main(argv) == 0
    assert (d / "link.urdf").is_symlink() and (d / "target.urdf").read_text().startswith("<?xml")
    first = json.loads((d / "report.json").read_text())
    assert main(_argv(d)) == 0
    second = json.loads((d / "report.json").read_text())
    np.testing.assert_allclose([p["value"] for p in first["parameters"]],
                               [p["value"] for p in second["parameters"]], atol=1e-9)


def test_an_unwritable_plots_folder_is_one_line_and_nothing_is_written(tmp_path, synthetic,
                                                                       capsys):
    d = _files(tmp_path, synthetic)
    (d / "afile").write_text("")
    assert main(_argv(d, extra=["--plots", str(d / "afile")])) == 2
    assert capsys.readouterr().err == (f"armsim calibrate: error: argument --plots: cannot "
                                       f"write '{d}/afile/left_p000.png"
                                       f"': '{d}/afile' is not a folder\n")
    assert not (d / "out.urdf").exists() and not (d / "report.json").exists()


def test_outputs_that_clash_or_fail_are_named_and_the_summary_leaves_stdout(
        tmp_path, synthetic, capfd):
    d = _files(tmp_path, synthetic)
    base = ["calibrate", str(URDF), "--joints", str(d / "joints.csv"), "--observations",
            str(d / "obs.csv"), "--setup", str(d / "setup.toml")]
    assert main(base + ["--out", str(d / "x"), "--report", str(d / "x")]) == 2
    assert capfd.readouterr().err == (f"armsim calibrate: error: --out and --report are the "
                                       f"same file: {d / 'x'}\n")
    if Path("/dev/full").exists():      # the report fails, not the URDF: --report is named
        assert main(base + ["--out", str(d / "o.urdf"), "--report", "/dev/full"]) == 2
        assert capfd.readouterr().err == (
            "armsim calibrate: error: argument --report: cannot write '/dev/full': No space "
            "left on device\n")
        assert not (d / "o.urdf").exists()
    assert main(base + ["--out", "-"]) == 0     # the URDF on stdout, the summary on stderr
    got = capfd.readouterr()
    assert got.out.rstrip().endswith("</robot>")
    assert "converged: True" in got.err


def test_a_header_only_file_and_intrinsics_no_pose_fits_are_one_line(tmp_path, synthetic,
                                                                      capsys):
    d = _files(tmp_path, synthetic)
    (d / "bad.csv").write_text((d / "obs.csv").read_text().splitlines()[0] + "\n")
    assert main(_argv(d, obs="bad.csv")) == 2
    assert capsys.readouterr().err == f"{d}/bad.csv: no observations: the file has its header only\n"
    text = (d / "setup.toml").read_text()
    cx = next(line for line in text.splitlines() if line.strip().startswith("cx"))
    (d / "setup.toml").write_text(text.replace(cx, "cx = 1e300", 1))
    assert main(_argv(d)) == 2        # (it failed at the hand-eye start, blamed on the data)
    assert capsys.readouterr().err == f"{d}/setup.toml: camera[0].cx: must be <= 1e+06, got 1e+300\n"
    assert not (d / "out.urdf").exists() and not (d / "report.json").exists()


def test_an_image_declaring_a_huge_size_is_refused_by_its_header(rendered, tmp_path, capsys):
    """A small file may declare a huge image: the size is read from the header and the
    image refused before its pixels are decoded (a 0.95 MB PNG of 30000 x 30000 took
    1.8 GB to refuse)."""
    import shutil
    import struct
    import zlib
    s, d = rendered
    copy = tmp_path / "data"
    shutil.copytree(d, copy)

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 30000, 30000, 8, 0,
                                                             0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\0" * 30001 * 4)) + chunk(b"IEND", b""))
    (copy / "images" / "right" / "p004.png").write_bytes(png)
    _refused_size(copy, tmp_path, capsys, "30000x30000")


def test_plots_of_a_large_camera_are_drawn_scaled_and_names_that_clash_are_refused(
        tmp_path, synthetic, capsys):
    """A camera wider than PLOT_SIDE is plotted scaled down (a 30000 px camera's white
    canvases took 6.3 GB); two (camera, pose) pairs giving one file name are refused up
    front, and a folder the plots would have made is not left behind."""
    from armsim.commands.calibrate import PLOT_SIDE
    d = _files(tmp_path, synthetic)
    text = (d / "setup.toml").read_text()
    (d / "setup.toml").write_text(text.replace("width = 1280", "width = 9000")
                                  .replace("height = 1024", "height = 7200"))
    assert main(_argv(d, extra=["--plots", str(d / "plots")])) == 0
    capsys.readouterr()
    from PIL import Image
    pictures = sorted((d / "plots").iterdir())
    assert pictures
    for p in pictures[:3]:
        with Image.open(p) as img:
            assert img.size == (PLOT_SIDE, round(7200 * PLOT_SIDE / 9000))
            assert len(np.unique(np.asarray(img.convert("L")))) > 2   # marks drawn on white
    # camera 'left' at pose 'x_p000' and camera 'left_x' at pose 'p000': left_x_p000.png
    e = tmp_path / "clash"
    e.mkdir()
    (e / "setup.toml").write_text(SETUP.replace('"right"', '"left_x"'))
    (e / "joints.csv").write_text((d / "joints.csv").read_text().replace("p001,", "x_p000,"))
    (e / "obs.csv").write_text((d / "obs.csv").read_text().replace(",right,", ",left_x,")
                               .replace("p001,", "x_p000,"))
    assert main(_argv(e, extra=["--plots", str(e / "new" / "plots")])) == 2
    err = capsys.readouterr().err
    assert err.startswith("armsim calibrate: error: argument --plots: camera ") and err.endswith(
        "would both be left_x_p000.png; rename a camera or a pose\n")
    assert sorted(p.name for p in e.iterdir()) == ["joints.csv", "obs.csv", "setup.toml"]


def test_more_corners_than_a_calibration_takes_are_refused_up_front(tmp_path, synthetic,
                                                                    capsys, monkeypatch):
    from armsim.commands import calibrate as command
    monkeypatch.setattr(command, "MAX_CORNERS", 50)
    d = _files(tmp_path, synthetic)
    assert main(_argv(d)) == 2
    n = len((d / "obs.csv").read_text().splitlines()) - 1
    assert capsys.readouterr().err == (f"{d}/obs.csv: {n:,} corners; at most 50 (the solve's "
                                       f"memory grows with them: 192,000 took 3 GB and 4 "
                                       f"minutes)\n")
    assert not (d / "out.urdf").exists()


@pytest.mark.parametrize("turned", [6, None])
def test_poses_turning_the_marker_about_one_axis_are_one_line(tmp_path, synthetic, capsys,
                                                                turned):
    # twelve poses that differ only in the last joint (or not at all): OpenCV's hand-eye
    # raised cv2.error ("determinant(R) is null") through the command as a traceback
    from _real_data import Joints, Observations
    s = synthetic
    readings = np.repeat(s.readings[:1], 12, axis=0)
    if turned is not None:
        readings[:, turned] += np.linspace(-0.3, 0.3, 12)
    data = s._data(s.truth, readings, visible_only=True)
    uv = s.model.predict(s.truth, data)[0]
    names = tuple(f"p{i:03d}" for i in range(12))
    cams = [c.name for c in s.setup.cameras]
    ids = [mk.id for mk in s.setup.markers]
    (tmp_path / "joints.csv").write_text(format_joints(Joints(tuple(s.robot.joint_names),
                                                              names, readings)))
    (tmp_path / "obs.csv").write_text(format_observations(Observations(
        tuple(names[p] for p in data.pose), tuple(cams[c] for c in data.camera),
        np.array([ids[k] for k in data.marker]), data.corner.copy(), uv)))
    (tmp_path / "setup.toml").write_text(SETUP)
    assert main(_argv(tmp_path)) == 2
    # one line naming joints.csv and what is wrong (it said "armsim calibrate: the
    # calibration failed: ..." naming neither the file nor the camera)
    assert capsys.readouterr().err == (
        f"{tmp_path}/joints.csv: all 12 poses have the same readings: the arm must move "
        "between poses, turning each marker (or camera) about at least two different axes\n"
        if turned is None else
        f"{tmp_path}/joints.csv: camera 'left', marker 3: no hand-eye method gave a finite "
        "pose: the poses must turn the marker (or the camera) about at least two different "
        "axes, and the cameras' intrinsics be right\n")
    assert not (tmp_path / "out.urdf").exists() and not (tmp_path / "report.json").exists()
