"""Fuzzing the command line with scene files (issue 9): whatever the scene and the options,
``armsim`` exits 0 with a valid GIF, or exits 2 with exactly one line on stderr and nothing
created; never a traceback, and each run within a time bound."""

import contextlib
import io
import os
import time
from datetime import timedelta

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from armsim.cli import main  # noqa: E402
from armsim.view.export import read_durations  # noqa: E402

from test_fuzz_scenes import documents, mutated  # noqa: E402

OPTIONS = st.lists(st.sampled_from([
    ["--frames", "2"], ["--frames", "0"], ["--frames", "x"], ["--fps", "12"], ["--fps", "0.001"],
    ["--fps", "60"], ["--size", "32x24"], ["--size", "0x5"], ["--size", "5000x5000"],
    ["--seed", "3"], ["--seed", "-1"], ["--method", "dls"], ["--method", "newton"],
    ["--correction", "norm"], ["--learner", "lm"], ["--rounds-per-frame", "3"],
    ["--report", "r.json"], ["--report", ""]]), max_size=3)


def run(tmp_path, text, options):
    for f in tmp_path.iterdir():
        f.unlink()
    (tmp_path / "s.toml").write_text(text)
    err = io.StringIO()
    argv = ["s.toml", "--gif", "out.gif", "--frames", "3", "--size", "48x32"]
    for opt in options:
        argv += opt
    cwd = os.getcwd()
    os.chdir(tmp_path)
    t0 = time.monotonic()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(argv)
    finally:
        os.chdir(cwd)
    return rc, err.getvalue(), time.monotonic() - t0


def check(tmp_path, text, options):
    rc, err, seconds = run(tmp_path, text, options)
    created = sorted(p.name for p in tmp_path.iterdir() if p.name != "s.toml")
    assert "Traceback" not in err
    assert seconds < 20
    if rc == 0:
        assert "out.gif" in created
        assert len(read_durations(tmp_path / "out.gif")) >= 1
        assert not [c for c in created if c.endswith(".tmp")]
    else:
        assert rc == 2, (rc, err)
        assert err.count("\n") == 1 and err.endswith("\n"), err
        assert created == [], created


@settings(max_examples=60, deadline=timedelta(seconds=20),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.one_of(documents(), mutated()), options=OPTIONS)
def test_cli_on_random_scenes_and_options(tmp_path, text, options):
    check(tmp_path, text, options)
