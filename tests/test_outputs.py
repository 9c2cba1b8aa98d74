"""Where outputs go (issue 9 items 3, 5-8, 11, 12): every destination is opened before
the first frame, written through when it is not a regular file, and all outputs of a run
are committed together or not at all.  Real command lines (subprocesses) unless noted."""

import csv
import errno
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import imageio.v3 as iio
import pytest
from PIL import Image

from armsim import cli

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
SMALL = ["--frames", "4", "--size", "48x36"]
SCENE = '[arm]\nlengths = [0.5, 0.3]\n[target]\nkind = "fixed"\npoint = [0.4, 0.3]\n'


def run_cli(*args, cwd, text=True, **kw):
    return subprocess.run([sys.executable, str(ROOT / "run_arm.py"), *map(str, args)], cwd=cwd,
                          env=ENV, capture_output=True, text=text, timeout=120, **kw)


def one_line_status_2(r, message):
    assert r.returncode == 2, r.stderr
    assert r.stderr == message + "\n"


def listing(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def durations(data):
    with Image.open(io.BytesIO(data)) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append(im.info["duration"])
    return out


# -- refused up front: one line, status 2, nothing written ----------------------------

@pytest.mark.parametrize("args, message", [
    (["--gif", ""], "armsim: error: argument --gif: expected a file name (or - for standard output), got ''"),
    (["--gif", "/proc/x.gif"], "armsim: error: cannot write '/proc/x.gif': No such file or directory"),
    (["--gif", "/sys/x.gif"], "armsim: error: cannot write '/sys/x.gif': Permission denied"),
    (["--gif", "a.gif", "--report", "/proc/r.json"],
     "armsim: error: cannot write '/proc/r.json': No such file or directory"),
    (["--gif", "a.gif", "--report", ""],
     "armsim: error: argument --report: expected a file name (or - for standard output), got ''"),
    (["--gif", "a.gif", "--fps", "0.001"],
     "armsim: error: argument --fps: must be >= 100/65535 = 0.0015259 for a GIF (a frame lasts at "
     "most 655.35 s), got 0.001"),
    (["--gif", "a.gif", "--fps", "60"],
     "armsim: error: argument --fps: must be <= 50 for a GIF, got 60: GIF delays are whole "
     "hundredths of a second and viewers play delays under 2 as 10 (the window can run at any rate)"),
    (["--gif", "a.gif", "--frames", "1000000"],
     "armsim: error: argument --frames: must be <= 100,000 for a GIF export, got 1000000"),
    (["--gif", ".", "--frames", "2"], "armsim: error: cannot write '.': it is a directory"),
])
def test_bad_destinations_and_gif_settings_fail_before_any_frame(tmp_path, args, message):
    if "/sys/x.gif" in args and os.access("/sys", os.W_OK) and not Path("/sys/kernel").exists():
        pytest.skip("no sysfs here")
    t = time.perf_counter()
    r = run_cli(*args, "--frames", "3000", "--size", "600x600", cwd=tmp_path) if "--frames" not in args \
        else run_cli(*args, "--size", "600x600", cwd=tmp_path)
    one_line_status_2(r, message)
    assert time.perf_counter() - t < 30          # 3000 frames would take longer: refused first
    assert listing(tmp_path) == []


def test_a_scene_output_under_proc_fails_before_any_frame(tmp_path):
    (tmp_path / "s.toml").write_text(SCENE + '[render]\nframes = 3000\nsize = [600, 600]\n'
                                     '[output]\ngif = "/proc/x.gif"\n')
    r = run_cli("s.toml", "--export", cwd=tmp_path)
    one_line_status_2(r, "armsim: error: cannot write '/proc/x.gif': No such file or directory")
    assert listing(tmp_path) == ["s.toml"]


def test_scene_fps_above_50_names_the_scene_key(tmp_path):
    (tmp_path / "s.toml").write_text(SCENE + '[render]\nfps = 60\n')
    r = run_cli("s.toml", "--gif", "a.gif", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("s.toml: render.fps: must be <= 50 for a GIF, got 60")
    assert len(r.stderr.splitlines()) == 1
    assert listing(tmp_path) == ["s.toml"]


def test_export_removes_the_folders_it_made_when_another_output_fails(tmp_path):
    (tmp_path / "s.toml").write_text(SCENE + '[output]\ngif = "new/deeper/a.gif"\nreport = "/proc/r.json"\n')
    r = run_cli("s.toml", "--export", *SMALL, cwd=tmp_path)
    one_line_status_2(r, "armsim: error: cannot write '/proc/r.json': No such file or directory")
    assert listing(tmp_path) == ["s.toml"]
    (tmp_path / "s.toml").write_text(SCENE + '[output]\ngif = "new/deeper/a.gif"\nreport = "r.json"\n')
    r = run_cli("s.toml", "--export", *SMALL, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert iio.imread(tmp_path / "new" / "deeper" / "a.gif").shape[0] == 4


def test_a_failed_report_leaves_no_gif_and_keeps_older_files(tmp_path, monkeypatch, capsys):
    # in process: the report cannot be written at the very end (disk full); the GIF that was
    # complete is not published either, and the older files stay as they were
    (tmp_path / "a.gif").write_bytes(b"old gif")
    (tmp_path / "r.json").write_bytes(b"old report")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")

    def full(dest, data):
        raise dest.error(OSError(errno.ENOSPC, "No space left on device"))
    monkeypatch.setattr(cli, "_dump_json", full)
    assert cli.main(["--gif", "a.gif", "--report", "r.json", *SMALL]) == 2
    assert capsys.readouterr().err == "armsim: error: cannot write 'r.json': No space left on device\n"
    assert (tmp_path / "a.gif").read_bytes() == b"old gif"
    assert (tmp_path / "r.json").read_bytes() == b"old report"
    assert listing(tmp_path) == ["a.gif", "r.json"]


def test_not_enough_memory_is_refused_saying_how_much(tmp_path, monkeypatch, capsys):
    import armsim.view.export as ex
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ex, "_available_memory", lambda: 200 << 20)
    assert cli.main(["--gif", "a.gif", "--size", "4096x4096", "--frames", "400"]) == 2
    assert capsys.readouterr().err == ("armsim: error: an export at 4096x4096 needs about 560 MiB "
                                       "of memory; 200 MiB available\n")
    assert listing(tmp_path) == []


_UNDER_A_LIMIT = """
import resource, sys
import numpy, pygame, armsim
from armsim import cli
with open("/proc/self/status") as fh:
    size = next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (size + (250 << 20), resource.RLIM_INFINITY))
if sys.argv[1] == "render":
    try:
        armsim.render(armsim.Chain([0.4, 0.3]), size=(4096, 4096))
    except ValueError as exc:
        sys.exit(f"ValueError: {exc}")
    sys.exit("drawn")
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/self/status")
def test_an_address_space_limit_is_memory_not_available(tmp_path):
    """Under ``ulimit -v`` (250 MiB above what the process holds) a 4096x4096 export
    (560 MiB) and picture (304 MiB) are refused up front in one line: the check read only
    the system's available memory (23 GiB here), and the export ended in a MemoryError
    traceback."""
    run = [sys.executable, "-c", _UNDER_A_LIMIT]
    r = subprocess.run(run + ["--gif", "a.gif", "--size", "4096x4096", "--frames", "2"],
                       cwd=tmp_path, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    got = re.fullmatch(r"armsim: error: an export at 4096x4096 needs about 560 MiB of memory; "
                       r"(\d+) MiB available\n", r.stderr)
    assert got and int(got[1]) <= 250, r.stderr     # (less what the process took since)
    assert listing(tmp_path) == []
    r = subprocess.run(run + ["render"], cwd=tmp_path, env=ENV, capture_output=True, text=True,
                       timeout=300)
    got = re.fullmatch(r"ValueError: a picture at 4096x4096 needs about 304 MiB of memory; "
                       r"(\d+) MiB available\n", r.stderr)
    assert got and int(got[1]) <= 250, r.stderr


def test_a_containers_memory_limit_is_memory_not_available(tmp_path, monkeypatch):
    """A cgroup's limit (a container's: the system's MemAvailable is the host's) bounds the
    memory available; cgroup v2's "max" and v1's 2^63 are no limit."""
    import armsim.view.export as ex
    files = {}
    for name, text in [("max", "1073741824\n"), ("current", "805306368\n"),
                       ("none", "max\n"), ("v1none", "9223372036854771712\n")]:
        files[name] = tmp_path / name
        files[name].write_text(text)
    monkeypatch.setattr(ex, "CGROUP_FILES", ((files["max"], files["current"]),))
    assert ex._cgroup_room() == 256 << 20
    assert ex._available_memory() == 256 << 20
    with pytest.raises(ex.ExportError, match="needs about 560 MiB of memory; 256 MiB available"):
        ex.check_export(2, 30, (4096, 4096))
    for none in ("none", "v1none"):
        monkeypatch.setattr(ex, "CGROUP_FILES", ((files[none], files["current"]),))
        assert ex._cgroup_room() is None
    monkeypatch.setattr(ex, "CGROUP_FILES", ((tmp_path / "missing", files["current"]),))
    assert ex._cgroup_room() is None


# -- destinations that are not regular files ----------------------------------------------

def test_gif_to_standard_output(tmp_path):
    r = run_cli("--gif", "-", *SMALL, cwd=tmp_path, text=False)
    assert r.returncode == 0 and r.stderr == b""
    assert r.stdout[:6] == b"GIF89a" and len(durations(r.stdout)) == 4
    assert listing(tmp_path) == []


def test_report_to_standard_output_with_a_gif(tmp_path):
    r = run_cli("--gif", "a.gif", "--report", "-", *SMALL, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["gif"] == "a.gif"
    assert listing(tmp_path) == ["a.gif"]


@pytest.mark.parametrize("gif, report", [("/dev/stdout", "-"), ("-", "/dev/stdout"),
                                         ("/dev/fd/1", "-"), ("/dev/stdout", "/dev/stdout")])
def test_two_outputs_to_standard_output_are_refused_however_it_is_named(tmp_path, gif, report):
    # '-' and '-' were refused, but '/dev/stdout' and '-' wrote the GIF and then the JSON
    # into one stream, status 0 (a pipe is no regular file, so its names were not compared)
    r = run_cli("--gif", gif, "--report", report, *SMALL, cwd=tmp_path, text=False)
    assert r.returncode == 2 and r.stdout == b"" and listing(tmp_path) == []
    assert r.stderr == (b"armsim: error: argument --report: the report and the GIF are the "
                        b"same file\n")


def test_a_link_to_standard_output_is_written_through_and_kept(tmp_path):
    (tmp_path / "out.gif").symlink_to("/dev/stdout")     # -> /proc/self/fd/1 -> our pipe
    r = run_cli("--gif", "out.gif", *SMALL, cwd=tmp_path, text=False)
    assert r.returncode == 0, r.stderr
    assert len(durations(r.stdout)) == 4
    assert os.readlink(tmp_path / "out.gif") == "/dev/stdout"


def test_a_device_node_stays_a_device(tmp_path):
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    r = run_cli("--gif", "null", "--report", "null", *SMALL, cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == ""
    assert stat.S_ISCHR(os.lstat(node).st_mode) and os.lstat(node).st_rdev == os.makedev(1, 3)
    assert listing(tmp_path) == ["null"]


def test_a_named_pipe_gets_the_gif(tmp_path):
    os.mkfifo(tmp_path / "p")
    got = {}

    def read():
        with open(tmp_path / "p", "rb") as fh:
            got["data"] = fh.read()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    r = run_cli("--gif", "p", *SMALL, cwd=tmp_path)
    reader.join(30)
    assert r.returncode == 0, r.stderr
    assert len(durations(got["data"])) == 4
    assert stat.S_ISFIFO(os.lstat(tmp_path / "p").st_mode)


def test_a_named_pipe_nobody_reads_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "p")
    r = run_cli("--gif", "p", *SMALL, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("armsim: error: cannot write 'p': no process is reading "
                        "the named pipe (waited 2 s)\n")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "p").st_mode)


# -- failures during the export: one line, nothing left --------------------------------------

def test_sigterm_during_export_leaves_nothing(tmp_path):
    p = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), "--gif", "a.gif", "--frames", "20000",
                          "--size", "300x300"], cwd=tmp_path, env=ENV, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
            assert time.monotonic() < deadline and p.poll() is None, "no temporary file appeared"
            time.sleep(0.05)
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 143
    assert err == "armsim: terminated (SIGTERM); no output written\n"
    assert listing(tmp_path) == []


def test_disk_full_is_one_line_and_keeps_the_old_file(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs (needs root)")
    try:
        (small / "keep.gif").write_bytes(b"old")
        r = run_cli("--gif", "small/keep.gif", "--frames", "60", "--size", "400x300", cwd=tmp_path)
        one_line_status_2(r, "armsim: error: cannot write 'small/keep.gif': No space left on device")
        assert listing(small) == ["keep.gif"] and (small / "keep.gif").read_bytes() == b"old"
    finally:
        subprocess.run(["umount", str(small)], check=True)
    # no free inodes: the temporary file cannot be made, found before the first frame
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,nr_inodes=2", "tmpfs", str(small)], check=True)
    try:
        (small / "used").write_bytes(b"")
        r = run_cli("--gif", "small/x.gif", "--frames", "3000", "--size", "600x600", cwd=tmp_path)
        one_line_status_2(r, "armsim: error: cannot write 'small/x.gif': No space left on device")
        assert listing(small) == ["used"]
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_disk_full_in_process_prints_no_traceback(tmp_path, monkeypatch, capsys):
    from armsim.view.export import GifWriter
    monkeypatch.chdir(tmp_path)

    def add(self, rgb):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(GifWriter, "add", add)
    assert cli.main(["--gif", "a.gif", *SMALL]) == 2
    import gc
    gc.collect()                    # imageio used to retry (and fail again) in __del__
    assert capsys.readouterr().err == "armsim: error: cannot write 'a.gif': No space left on device\n"
    assert listing(tmp_path) == []


# -- timing (item 5) ----------------------------------------------------------------------

def test_240_frames_at_30_fps_last_8_seconds(tmp_path):
    r = run_cli("--gif", "-", "--frames", "240", "--fps", "30", "--size", "32x24", cwd=tmp_path, text=False)
    assert r.returncode == 0
    d = durations(r.stdout)
    assert len(d) == 240 and sum(d) == 8000 and set(d) == {30, 40}


# -- the group itself -----------------------------------------------------------------------

def test_outputs_commit_together_or_not_at_all(tmp_path):
    from armsim.files import Outputs
    (tmp_path / "old.txt").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with Outputs() as outs:
            a = outs.add(tmp_path / "old.txt")
            b = outs.add(tmp_path / "new.txt")
            a.file.write(b"A")
            b.file.write(b"B")
            raise RuntimeError("later failure")
    assert listing(tmp_path) == ["old.txt"] and (tmp_path / "old.txt").read_bytes() == b"old"
    with Outputs() as outs:
        outs.add(tmp_path / "old.txt").file.write(b"A")
        outs.add(tmp_path / "new.txt").file.write(b"B")
    assert (tmp_path / "old.txt").read_bytes() == b"A" and (tmp_path / "new.txt").read_bytes() == b"B"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o666 & ~mask


def test_a_second_destination_failing_removes_the_first_temporary_file(tmp_path):
    from armsim.files import OutputError, Outputs
    with pytest.raises(OutputError, match="^cannot write '/proc/x': No such file or directory$"):
        with Outputs() as outs:
            outs.add(tmp_path / "a.gif")
            outs.add("/proc/x")
    assert listing(tmp_path) == []


# -- sweep (item 12) ------------------------------------------------------------------------

SWEEP_SCENE = 'seed = 1\n[calibration]\nlearner = "lm"\ncriterion = "identified"\ncheck_period = 1\n' \
              'max_rounds = 200\n'


@pytest.mark.parametrize("args, message", [
    (["--csv", "/proc/x.csv"], "armsim sweep: error: cannot write '/proc/x.csv': No such file or directory"),
    (["--csv", "ok.csv", "--plot", "/proc/x.png"],
     "armsim sweep: error: cannot write '/proc/x.png': No such file or directory"),
    (["--csv", ""], "armsim sweep: error: argument --csv: expected a file name (or - for standard output), got ''"),
])
def test_sweep_outputs_fail_before_the_runs(tmp_path, args, message):
    (tmp_path / "s.toml").write_text(SWEEP_SCENE.replace("200", "100000000"))
    (tmp_path / "ok.csv").write_text("old,csv\n")
    t = time.perf_counter()
    r = run_cli("sweep", "s.toml", "--vary", "segments=6", "--seeds", "1,2,3", *args, cwd=tmp_path)
    one_line_status_2(r, message)
    assert time.perf_counter() - t < 30
    assert listing(tmp_path) == ["ok.csv", "s.toml"] and (tmp_path / "ok.csv").read_text() == "old,csv\n"


def test_sweep_csv_is_atomic(tmp_path, monkeypatch, capsys):
    # a disk that fills while the CSV is written leaves the older CSV whole
    from armsim.vision import sweep
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(SWEEP_SCENE)
    (tmp_path / "o.csv").write_text("old,csv\n")
    real = sweep._csv_to

    def full(rows, binary):
        real(rows[:1], binary)
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(sweep, "_csv_to", full)
    one = ["sweep", "s.toml", "--vary", "segments=1", "--seeds", "1", "--csv", "o.csv"]
    assert cli.main(one) == 2
    assert capsys.readouterr().err == ("armsim sweep: error: cannot write 'o.csv': No space left "
                                       "on device; kept 1 of 1 runs in o.csv.partial; the same "
                                       "command with --resume writes the outputs\n")
    assert (tmp_path / "o.csv").read_text() == "old,csv\n"
    assert listing(tmp_path) == ["o.csv", "o.csv.partial", "s.toml"]     # the runs kept
    monkeypatch.setattr(sweep, "_csv_to", real)
    assert cli.main(one + ["--resume"]) == 0
    assert listing(tmp_path) == ["o.csv", "s.toml"]
    assert len(list(csv.DictReader((tmp_path / "o.csv").open()))) == 1
    assert cli.main(["sweep", "s.toml", "--vary", "segments=1", "--seeds", "1,2", "--csv", "o.csv"]) == 0
    assert len(list(csv.DictReader((tmp_path / "o.csv").open()))) == 2


# -- fuzz: output names and GIF settings ------------------------------------------------------

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

NAMES = st.one_of(
    st.sampled_from(["", ".", "..", "a.gif", "sub/a.gif", "missing/a.gif", "/proc/x.gif", "/sys/x.gif",
                     "/dev/null", "a.gif/", "s.toml"]),
    st.text(st.sampled_from("ab._- /"), min_size=1, max_size=12).filter(
        lambda s: not s.startswith("/") and ".." not in s))
FPS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(0.001, 60), st.integers(-1, 60),
                st.sampled_from(["0.001", "0.0015259", "0.0015260", "50", "50.0001", "1e308", "x"]))
FRAMES = st.one_of(st.integers(-1, 4), st.sampled_from(["100001", "1000000", "1e3", "x", ""]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gif=NAMES, report=st.one_of(st.none(), NAMES), fps=FPS, frames=FRAMES)
@example(gif="a.gif", report=None, fps=30, frames=2)
@example(gif="sub/a.gif", report="r.json", fps=12.5, frames=1)
@example(gif="/dev/null", report="/dev/null", fps=50, frames=3)
@example(gif="a.gif", report="a.gif", fps=30, frames=2)
@example(gif="a.gif/", report=None, fps=30, frames=2)
def test_fuzz_output_options_exit_0_with_a_gif_or_2_with_one_line(gif, report, fps, frames):
    import contextlib
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "sub").mkdir()
        (Path(d) / "s.toml").write_text(SCENE)
        before = listing(d)
        argv = ["s.toml", "--gif", gif, "--fps", str(fps), "--frames", str(frames), "--size", "24x16"]
        if report is not None:
            argv += ["--report", report]
        err, cwd = io.StringIO(), os.getcwd()
        os.chdir(d)
        try:
            t = time.perf_counter()
            with contextlib.redirect_stderr(err):
                status = cli.main(argv)
            assert time.perf_counter() - t < 20
        finally:
            os.chdir(cwd)
        text = err.getvalue()
        assert "Traceback" not in text
        after = listing(d)
        if status == 0:
            assert text == ""
            made = (set(after) | {p.relative_to(d).as_posix() for p in (Path(d) / "sub").iterdir()}) - set(before)
            given_names = {os.path.normpath(n) for n in (gif, report) if n}
            assert all(n in given_names for n in made), (made, given_names)   # no temporary left
        else:
            assert status == 2, text
            assert len(text.splitlines()) == 1 and text.endswith("\n"), text
            assert after == before and listing(Path(d) / "sub") == []



def test_a_name_near_the_longest_a_file_system_takes_is_written(tmp_path):
    """A 249-byte name: its temporary file takes a short name (.NAME.xxxxxxxx.tmp would be
    263 bytes, and the output was refused as 'File name too long')."""
    from armsim.files import Outputs
    name = tmp_path / ("a" * 245 + ".csv")
    with Outputs() as outs:
        dest = outs.add(str(name))
        dest.file.write(b"x,y\n")
    assert name.read_bytes() == b"x,y\n"
    assert [p.name for p in tmp_path.iterdir()] == [name.name]


def test_a_read_only_or_hard_linked_file_is_refused_and_a_replaced_one_keeps_its_mode(
        tmp_path, monkeypatch, capsys):
    # a read-only GIF was replaced (its mode widened to 0644), a private report (0600)
    # became 0644, and a report with another hard link was split from it: now the first
    # and the last are refused in one line before any frame, and a replaced file keeps
    # its permissions
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    (tmp_path / "ro.gif").write_bytes(b"precious")
    os.chmod(tmp_path / "ro.gif", 0o444)
    assert cli.main(["--gif", "ro.gif", *SMALL]) == 2
    assert capsys.readouterr().err == ("armsim: error: cannot write 'ro.gif': it is read-only "
                                       "(mode 0444); refusing to replace it\n")
    assert (tmp_path / "ro.gif").read_bytes() == b"precious"
    (tmp_path / "private.json").write_bytes(b"old")
    os.chmod(tmp_path / "private.json", 0o600)
    assert cli.main(["--gif", "a.gif", "--report", "private.json", *SMALL]) == 0
    capsys.readouterr()
    assert stat.S_IMODE(os.stat(tmp_path / "private.json").st_mode) == 0o600
    assert json.loads((tmp_path / "private.json").read_text())["frames"] > 0
    os.link(tmp_path / "private.json", tmp_path / "other.json")
    assert cli.main(["--gif", "b.gif", "--report", "private.json", *SMALL]) == 2
    assert capsys.readouterr().err == (
        "armsim: error: cannot write 'private.json': it has 1 other hard link(s), which a new "
        "file would not reach; refusing to replace it\n")
    assert listing(tmp_path) == ["a.gif", "other.json", "private.json", "ro.gif"]


@pytest.mark.skipif(not hasattr(os, "statvfs"), reason="statvfs (POSIX)")
def test_a_file_on_a_read_only_file_system_or_not_this_users_is_named_so(
        tmp_path, monkeypatch, capsys):
    # a writable mode (0644) on a file system mounted read-only was called "it is read-only
    # (mode 0644)" (helper 112, a tmpfs remounted read-only), which its mode contradicts
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    (tmp_path / "o.gif").write_bytes(b"precious")
    os.chmod(tmp_path / "o.gif", 0o644)
    real_access, real_statvfs = os.access, os.statvfs
    target = str(tmp_path / "o.gif")

    def access(path, mode, *a, **k):
        return False if os.path.abspath(path) == target and mode & os.W_OK else \
            real_access(path, mode, *a, **k)

    class _Flags:
        def __init__(self, flag):
            self.f_flag = flag

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "statvfs", lambda p: _Flags(os.ST_RDONLY)
                        if os.path.abspath(p) == target else real_statvfs(p))
    assert cli.main(["--gif", "o.gif", *SMALL]) == 2
    assert capsys.readouterr().err == ("armsim: error: cannot write 'o.gif': it is on a "
                                       "read-only file system; refusing to replace it\n")
    monkeypatch.setattr(os, "statvfs", lambda p: _Flags(0))
    assert cli.main(["--gif", "o.gif", *SMALL]) == 2
    assert capsys.readouterr().err == ("armsim: error: cannot write 'o.gif': this user may not "
                                       "write it (mode 0644); refusing to replace it\n")
    assert (tmp_path / "o.gif").read_bytes() == b"precious"


def test_a_closed_standard_output_is_named(tmp_path):
    # `--gif - >&-` said only "armsim: error: Bad file descriptor"
    r = subprocess.run([sys.executable, "run_arm.py", "--gif", "-", *SMALL],
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env={**os.environ, "SDL_VIDEODRIVER": "dummy"},
                       preexec_fn=lambda: os.close(1))
    assert r.returncode == 2
    assert r.stderr == ("armsim: error: cannot write to standard output: Bad file descriptor "
                        "(is it closed?)\n")


@pytest.mark.parametrize("args", [
    ["--gif", "a.gif", "--report", "-", *SMALL],
    ["sweep", "s.toml", "--vary", "segments=1", "--seeds", "1", "--csv", "a.csv", "--plot", "-"],
])
def test_a_closed_standard_output_is_never_another_output(tmp_path, args):
    # with standard output closed, the first file opened took its descriptor and `-` wrote
    # into it: the JSON report at the end of the GIF, the PNG plot in the CSV, status 0
    (tmp_path / "s.toml").write_text(SWEEP_SCENE)
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), *args], cwd=tmp_path, env=ENV,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
                       preexec_fn=lambda: os.close(1))
    assert r.returncode == 2, r.stderr
    assert r.stderr.endswith("error: cannot write to standard output: Bad file descriptor "
                             "(is it closed?)\n") and r.stderr.count("\n") == 1, r.stderr
    assert listing(tmp_path) == ["s.toml"]


@pytest.mark.parametrize("closed", [1, 2])
def test_a_sweep_runs_with_standard_output_or_error_closed(tmp_path, closed):
    # `armsim sweep ... --csv a.csv >&-` wrote the CSV, then "AttributeError: 'NoneType' object
    # has no attribute 'flush'", status 1; with 2>&- no run was made ('NoneType' object has no
    # attribute 'isatty') and a.csv.partial was left, refused by the next run as unfinished
    (tmp_path / "s.toml").write_text(SWEEP_SCENE)
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "sweep", "s.toml", "--vary",
                        "segments=1", "--seeds", "1", "--csv", "a.csv"], cwd=tmp_path, env=ENV,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120,
                       preexec_fn=lambda: os.close(closed))
    assert (r.returncode, r.stdout if closed == 1 else r.stderr) == (0, ""), r.stderr
    assert listing(tmp_path) == ["a.csv", "s.toml"]
    assert (tmp_path / "a.csv").read_text().startswith("segments,population,seed,")


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path):
    # `--gif - | head -c 10` said "armsim: error: cannot write '-': Broken pipe", exit 2,
    # as if the input were bad
    p = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), "--gif", "-",
                          "--frames", "60", "--size", "320x240"], cwd=tmp_path, env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.read(6) == b"GIF89a"
    p.stdout.close()                          # the reader leaves, as head does
    err = p.stderr.read()
    assert p.wait(timeout=120) == 0
    assert err == b""
    assert os.listdir(tmp_path) == []         # nothing left behind


def test_a_scene_s_own_outputs_are_named_as_its_keys_not_as_options(tmp_path, capsys):
    # under --export, a scene whose [output] report is its gif (or the scene itself) was
    # reported as "argument --report: ...", an option the user never typed
    head = '[arm]\nlengths = [0.5, 0.5]\n[target]\nkind = "fixed"\npoint = [0.5, 0.5]\n'
    for report, end in (("same.gif", "the report and the GIF are the same file"),
                        ("s.toml", "refusing to overwrite the scene file '{scene}'")):
        scene = tmp_path / "s.toml"
        scene.write_text(head + f'[output]\ngif = "same.gif"\nreport = "{report}"\n')
        assert cli.main([str(scene), "--export"]) == 2
        assert capsys.readouterr().err == (
            f"armsim: error: argument --export ([output] report of {scene}): "
            + end.format(scene=scene) + "\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]
