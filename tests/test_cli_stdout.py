"""What the commands print on standard output (a table, the schema, the line naming what was
written, calibrate's summary, --help and --version) when standard output cannot take it: one
line on stderr naming standard output, exit status 2, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import armsim
from _real_data import SETUP, Synthetic
from armsim.vision.real import format_joints, format_observations

ROOT = Path(__file__).resolve().parents[1]
# (standard output buffered, as a user's shell has it: PYTHONUNBUFFERED hid a second failed
# flush at exit, status 120, in every run here and none on a clean machine)
ENV = {k: v for k, v in dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy",
                             PYGAME_HIDE_SUPPORT_PROMPT="1").items()
       if k != "PYTHONUNBUFFERED"}

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")


def _to_full(args, cwd):
    with open("/dev/full", "wb") as full:
        return subprocess.run([sys.executable, "-m", "armsim", *map(str, args)], cwd=cwd,
                              env=ENV, stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=120)


def _calibrate_args(d):
    s = Synthetic(0)
    (d / "joints.csv").write_text(format_joints(s.joints))
    (d / "obs.csv").write_text(format_observations(s.observations))
    (d / "setup.toml").write_text(SETUP)
    return ["calibrate", armsim.robots.path("panda"), "--joints", d / "joints.csv",
            "--observations", d / "obs.csv", "--setup", d / "setup.toml"]


@pytest.mark.parametrize("args, prog", [
    (["ops", "--segments", "2"], "armsim ops"),
    (["ops", "--segments", "2", "--json"], "armsim ops"),
    (["schema"], "armsim schema"),
    (["--frames", "2", "--size", "16x16", "--gif", "out.gif"], "armsim"),
    ("calibrate", "armsim calibrate"),
])
def test_a_full_standard_output_is_one_line_and_status_2(tmp_path, args, prog):
    if args == "calibrate":
        args = _calibrate_args(tmp_path)
    r = _to_full(args, tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr == (f"{prog}: error: cannot write standard output: "
                        f"{os.strerror(28)}\n")


@pytest.mark.parametrize("args, prog", [
    (["--help"], "armsim"), (["--version"], "armsim"), (["ops", "--help"], "armsim ops"),
    (["schema", "--help"], "armsim schema"), (["calibrate", "--help"], "armsim calibrate"),
    (["sweep", "--help"], "armsim sweep"),
])
def test_help_and_version_on_a_full_standard_output_are_not_status_0(tmp_path, args, prog):
    r = _to_full(args, tmp_path)        # (argparse dropped the error: nothing shown, status 0)
    assert r.returncode == 2, r.stderr
    assert r.stderr == (f"{prog}: error: cannot write standard output: "
                        f"{os.strerror(28)}\n")


def test_help_still_reaches_a_pipe(tmp_path):
    r = subprocess.run([sys.executable, "-m", "armsim", "ops", "--help"], cwd=tmp_path, env=ENV,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("usage: armsim ops") and r.stdout.endswith("\n")
