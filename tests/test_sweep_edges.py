"""`armsim sweep` under hostile input: limits checked before anything is built, the dask engine's
bounded waits and clean ends, and a resume journal that is ours or is refused untouched.

Every case runs the real command in a subprocess (a hang is a failed test, not a stuck suite;
memory is capped with RLIMIT_AS where a case could otherwise take it all).
"""

import csv
import hashlib
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1",
           OPENBLAS_NUM_THREADS="1")
SCENE = 'seed = 1\n[calibration]\nlearner = "lm"\ncriterion = "identified"\ncheck_period = 1\n'
GRID = ["s.toml", "--vary", "segments=1:2", "--vary", "window=10,20", "--seeds", "5,6", "--max-rounds", "30"]
MEMORY = 1 << 30            # 1 GiB of address space: plenty for a sweep, far from a billion-item list


def cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def sweep(*args, cwd, timeout=60, memory=True):
    """Run ``armsim sweep ARGS`` in its own process group; (returncode, stdout, stderr, seconds).
    A run past ``timeout`` is killed with its whole group and reported as returncode None."""
    t = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), "sweep", *map(str, args)], cwd=cwd,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=cap_memory if memory else None)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, out, err, time.monotonic() - t
    return proc.returncode, out, err, time.monotonic() - t


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def listing(folder):
    return sorted(p.name for p in Path(folder).iterdir())


@pytest.fixture
def scene(tmp_path):
    (tmp_path / "s.toml").write_text(SCENE)
    return tmp_path


# -- 5. limits before building -------------------------------------------------------------

@pytest.mark.parametrize("vary, message", [
    (["--vary", "segments=1:1000000000"],
     "armsim sweep: error: --vary calibration.segments: must be <= 20, got 1000000000"),
    (["--vary", "calibration.max_rounds=1:1000000000"],
     "armsim sweep: error: --vary calibration.max_rounds: must be <= 100000000, got "
     "1000000000"),
    (["--vary", "calibration.max_rounds=1:99999999"],        # within the key's own limit: counted
     "armsim sweep: error: --vary calibration.max_rounds: 99999999 values; a sweep has at most 100000 runs"),
    (["--vary", "segments=1:20", "--vary", "population=2:100", "--vary", "window=1:1000"],
     "armsim sweep: error: the sweep has 5940000 runs (20 x 99 x 1000 grid values x 3 seeds); at most 100000"),
])
def test_a_huge_grid_is_refused_before_it_is_built(scene, vary, message):
    code, out, err, _ = sweep("s.toml", *vary, "--seeds", "1,2,3", "--csv", "o.csv", cwd=scene, timeout=30)
    assert (code, err) == (2, message + "\n")
    assert out == "" and listing(scene) == ["s.toml"]


def test_the_api_counts_a_range_without_building_it():
    from armsim.vision.sweep import parse_vary, read_vary
    huge = "window=1:%d" % 10**30                       # len() of this range overflows
    assert read_vary(huge) == ("window", range(1, 10**30 + 1))
    with pytest.raises(ValueError, match=r"^--vary 'window=1:1000000000000000000000000000000': "
                                         r"1000000000000000000000000000000 values; a sweep has at most "
                                         r"100000 runs$"):
        parse_vary(huge)
    assert parse_vary("window=3:5") == ("window", [3, 4, 5])


@pytest.mark.parametrize("option", [["--engine", "dask", "--workers"], ["--jobs"]])
def test_processes_beyond_the_machine_are_refused_before_any_start(scene, option):
    cores = len(os.sched_getaffinity(0))
    code, out, err, _ = sweep(*GRID, "--csv", "o.csv", *option, "1000000", cwd=scene, timeout=30, memory=False)
    assert (code, err) == (2, f"armsim sweep: error: argument {option[-1]}: at most {4 * cores} on this "
                              f"machine (4 per core, {cores} cores), got 1000000\n")
    assert listing(scene) == ["s.toml"]


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("scheme", ["tls", "tcp"])
def test_a_scheduler_on_a_closed_port_is_one_line_at_once(scene, scheme):
    address = f"{scheme}://127.0.0.1:{closed_port()}"
    code, out, err, seconds = sweep(*GRID, "--csv", "o.csv", "--engine", "dask", "--scheduler", address,
                                    cwd=scene, timeout=30, memory=False)
    assert (code, err) == (2, f"armsim sweep: error: argument --scheduler: cannot connect to '{address}': "
                              f"Connection refused\n")
    assert seconds < 6 and listing(scene) == ["s.toml"]


def test_a_tls_scheduler_without_certificates_is_one_line(scene):
    with socket.socket() as server:         # listens, never answers
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        address = "tls://127.0.0.1:%d" % server.getsockname()[1]
        code, out, err, seconds = sweep(*GRID, "--csv", "o.csv", "--engine", "dask", "--scheduler", address,
                                        cwd=scene, timeout=30, memory=False)
    assert (code, err) == (2, f"armsim sweep: error: argument --scheduler: cannot connect to '{address}': "
                              f"tls:// needs TLS certificates in dask's configuration "
                              f"(distributed.comm.tls: ca-file, client.cert, client.key)\n")
    assert seconds < 6 and listing(scene) == ["s.toml"]


def descendants(pid):
    """Every process below ``pid`` (from /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rpartition(")")[2].split()[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def alive(pid):
    """Running (a zombie has ended: it only waits for its parent to collect it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def stopped(folder, engine, stop, **popen):
    """Run a small gecco sweep on ``engine`` into o.csv, call ``stop(proc)`` once its journal
    has a row (its workers are running), then end it: (returncode, stderr, rows kept)."""
    args = ["--preset", "gecco", "--vary", "segments=1:2", "--seeds", "1,2,3,4", "--max-rounds",
            "4000", *engine, "--csv", "o.csv"]
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), "sweep", *args], cwd=folder,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **popen)
    journal = folder / "o.csv.partial"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and journal.read_text().count("\n") >= 3:     # header, columns, a row
                break
            time.sleep(0.02)
        if proc.poll() is not None:
            pytest.skip("the sweep ended before it could be stopped")
        stop(proc)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    if proc.returncode == 0:        # every run ended between the look and the signal (a
        csv = folder / "o.csv"      # loaded machine): the whole sweep is written, no journal
        assert csv.read_text().count("\n") == 9 and not journal.exists(), err
        pytest.skip("the sweep ended before the signal arrived")
    return proc.returncode, err, journal.read_text().count("\n") - 2 if journal.exists() else 0


@pytest.mark.parametrize("engine", [["--engine", "dask", "--workers", "2"], ["--jobs", "2"]])
def test_sigterm_ends_a_run_its_workers_and_says_so_in_one_line(tmp_path, engine):
    below = []

    def stop(proc):
        below.extend(descendants(proc.pid))
        assert below                                    # the worker processes
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(p) for p in below):
            time.sleep(0.05)
    code, err, kept = stopped(tmp_path, engine, stop)
    assert [p for p in below if alive(p)] == []
    assert code == 143
    assert err == (f"armsim sweep: terminated (SIGTERM); kept {kept} of 8 runs in o.csv.partial; "
                   f"the same command with --resume continues\n")
    assert not (tmp_path / "o.csv").exists()


# -- 6. the journal is ours or it is refused, untouched ---------------------------------------

def interrupted(folder, rows=3, args=(*GRID, "--csv", "o.csv")):
    """Run ``armsim sweep ARGS`` and stop it after ``rows`` rows (Ctrl-C); the journal's path."""
    code = ("import sys\nfrom armsim.vision import sweep as s\nreal, n = s._one, []\n"
            "def one(task):\n    if len(n) == %d:\n        raise KeyboardInterrupt\n"
            "    n.append(1)\n    return real(task)\ns._one = one\nfrom armsim.cli import main\n"
            "raise SystemExit(main(sys.argv[1:]))\n" % rows)
    r = subprocess.run([sys.executable, "-c", code, "sweep", *args], cwd=folder, env=ENV,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 130, r.stderr
    return folder / "o.csv.partial"


@pytest.mark.parametrize("resume", [[], ["--resume"]])
@pytest.mark.parametrize("kind, message", [
    ("fifo", "it is a named pipe"),
    ("zero", "it is a symbolic link to a character device ('/dev/zero')"),
    ("folder", "it is a folder"),
    ("socket", "it is a socket"),
    ("dangling", "it is a symbolic link to a missing file ('nowhere')"),
])
def test_a_special_file_as_journal_is_named_and_left_alone(scene, kind, message, resume):
    path = scene / "o.csv.partial"
    holder = None
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "folder":
        path.mkdir()
    elif kind == "socket":
        holder = socket.socket(socket.AF_UNIX)
        holder.bind(str(path))
    else:
        path.symlink_to("nowhere")
    try:
        code, out, err, seconds = sweep(*GRID, "--csv", "o.csv", *resume, cwd=scene, timeout=30)
    finally:
        if holder is not None:
            holder.close()
    assert (code, err) == (2, f"armsim sweep: error: cannot use 'o.csv.partial' as the sweep's journal: "
                              f"{message}\n")
    assert listing(scene) == ["o.csv.partial", "s.toml"]


@pytest.mark.parametrize("resume", [[], ["--resume"]])
@pytest.mark.parametrize("notes", [b"buy milk\nand a cut line without its end",
                                   b"# armsim sweep journal\nnot really\n", b""])
def test_a_file_that_is_not_a_journal_is_refused_byte_for_byte_untouched(scene, notes, resume):
    path = scene / "o.csv.partial"
    path.write_bytes(notes)
    before = digest(path)
    code, out, err, _ = sweep(*GRID, "--csv", "o.csv", *resume, cwd=scene, timeout=30)
    assert (code, err) == (2, "armsim sweep: error: 'o.csv.partial' is not an armsim sweep journal "
                              "(its first line is not '# armsim sweep journal 2 ...'); refusing to touch it: "
                              "move it away or name another --csv\n")
    assert digest(path) == before and listing(scene) == ["o.csv.partial", "s.toml"]


def test_a_journal_too_big_for_the_sweep_is_refused_unread(scene):
    path = scene / "o.csv.partial"
    with open(path, "wb") as f:             # sparse: 10 GB that take no disk
        f.truncate(10**10)
    code, out, err, seconds = sweep(*GRID, "--csv", "o.csv", "--resume", cwd=scene, timeout=30)
    assert (code, err) == (2, "armsim sweep: error: cannot use 'o.csv.partial' as the sweep's journal: it is "
                              "10000000000 bytes, more than a journal of 8 runs can hold (655360)\n")
    assert path.stat().st_size == 10**10


@pytest.mark.parametrize("column, value, reason", [
    ("final_loss", "nan", "not a finite number"),
    ("final_loss", "inf", "not a finite number"),
    ("seconds", "-1.0", "must be >= 0"),
    ("rounds", "31", "must be <= 30 (the run's round limit)"),
    ("converged", "yes", "expected True or False"),
    ("segments", "7", "expected 1 (this sweep's value)"),
    ("learner", "adam", "expected 'lm' (this sweep's value)"),
    ("generations", "1e3", "expected an integer as armsim writes it (digits 0-9)"),
])
def test_a_bad_row_in_the_journal_is_refused_naming_row_and_field(scene, column, value, reason):
    path = interrupted(scene)
    lines = path.read_bytes().split(b"\r\n")
    header = lines[1].decode().split(",")
    cells = lines[3].decode().split(",")               # the second row
    cells[header.index(column)] = value
    lines[3] = ",".join(cells).encode()
    path.write_bytes(b"\r\n".join(lines))
    before = digest(path)
    code, out, err, _ = sweep(*GRID, "--csv", "o.csv", "--resume", cwd=scene)
    assert (code, err) == (2, f"armsim sweep: error: --resume: o.csv.partial row 2 (line 4): "
                              f"{column} = {value!r}: {reason}\n")
    assert digest(path) == before and not (scene / "o.csv").exists()


@pytest.mark.parametrize("change, why", [
    (["--vary", "segments=1:3"], "its grid has 4 points, this command's 6"),
    (["--seeds", "5,6,7"], "it has 2 seeds, this command 3"),
    (["--max-rounds", "31"], "its --max-rounds is 30, this command's 31")])
def test_a_journal_of_other_parameters_is_refused_untouched(scene, change, why):
    path = interrupted(scene)
    with open(path, "ab") as f:
        f.write(b"1,4,5,lm,1,identified,Fal")         # a cut row: kept as it is when refused
    before = digest(path)
    args = list(GRID)
    args[args.index(change[0]) + 1] = change[1]
    code, out, err, _ = sweep(*args, "--csv", "o.csv", "--resume", cwd=scene)
    assert (code, err) == (2, f"armsim sweep: error: --resume: o.csv.partial belongs to another "
                              f"sweep: {why}; delete it to start again\n")
    assert digest(path) == before


def test_the_journal_header_names_format_version_and_parameters(scene):
    path = interrupted(scene, rows=1)
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith('# armsim sweep journal 2 {"runs": 8, "seeds": 2, "max_rounds": 30, '
                            '"vary": ["calibration.segments", "calibration.window"], "sweep": "')
    code, out, err, _ = sweep(*GRID, "--csv", "o.csv", "--resume", cwd=scene)
    assert code == 0, err
    rows = list(csv.DictReader((scene / "o.csv").open(newline="")))
    assert len(rows) == 8 and listing(scene) == ["o.csv", "s.toml"]


def test_a_journal_of_another_armsim_version_is_refused_untouched(scene):
    path = scene / "o.csv.partial"
    path.write_bytes(b"# armsim sweep journal 0123abcd\r\nsegments,population\r\n")     # format 1
    before = digest(path)
    code, out, err, _ = sweep(*GRID, "--csv", "o.csv", "--resume", cwd=scene)
    assert (code, err) == (2, "armsim sweep: error: 'o.csv.partial' is a sweep journal of another armsim "
                              "version (not format 2); it cannot be resumed: delete it to start again\n")
    assert digest(path) == before


def test_a_journal_in_use_by_a_running_sweep_is_refused(tmp_path):
    args = ["--preset", "gecco", "--vary", "segments=1:2", "--seeds", "1,2,3", "--max-rounds", "4000",
            "--csv", "o.csv"]
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), "sweep", *args], cwd=tmp_path, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and not (tmp_path / "o.csv.partial").exists():
            time.sleep(0.01)
        if proc.poll() is not None:
            pytest.skip("the sweep ended before the second one started")
        code, out, err, _ = sweep(*args, "--resume", cwd=tmp_path)
        running = proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if not running:
        pytest.skip("the sweep ended while the second one started")
    assert (code, err) == (2, "armsim sweep: error: 'o.csv.partial' is in use by another armsim sweep\n")


def test_a_run_that_never_measured_its_loss_has_an_empty_cell_and_resumes(tmp_path):
    # gecco checks its loss every few rounds: after one round there is none (it was inf)
    args = ["--preset", "gecco", "--seeds", "1,2,3", "--max-rounds", "1", "--csv", "o.csv"]
    interrupted(tmp_path, 2, args)
    code, out, err, _ = sweep(*args, "--resume", cwd=tmp_path)
    assert code == 0, err
    rows = list(csv.DictReader((tmp_path / "o.csv").open(newline="")))
    assert [r["seed"] for r in rows] == ["1", "2", "3"]
    assert [r["final_loss"] for r in rows] == ["", "", ""]
    assert all(float(r["length_error_px"]) >= 0 for r in rows)


def test_max_rounds_beyond_the_scene_limit_is_refused(scene):
    code, out, err, _ = sweep(*GRID[:-2], "--max-rounds", 10**30, "--csv", "o.csv", cwd=scene)
    assert (code, err) == (2, "armsim sweep: error: argument --max-rounds: must be <= 100000000, "
                              f"got {10**30}\n")


def test_a_journal_whose_header_cannot_be_written_is_not_left_behind(tmp_path, monkeypatch):
    import errno
    from armsim.vision import journal as journal_mod
    real = journal_mod.Journal.__init__

    class Full:                             # a disk that is full from the first byte
        def __init__(self, file):
            self.file = file

        def write(self, text):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            pass

        def close(self):
            self.file.close()

    def init(self, path, fields, fd):
        real(self, path, fields, fd)
        self._file = Full(self._file)
    monkeypatch.setattr(journal_mod.Journal, "__init__", init)
    with pytest.raises(OSError, match="No space left on device"):
        journal_mod.Journal.open(tmp_path / "o.csv.partial", ["a"], {"runs": 1}, None)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("stop", [KeyboardInterrupt, "in use"])
def test_a_journal_stopped_before_its_header_is_not_left_behind(tmp_path, monkeypatch, stop):
    # a second sweep that opened the new file first (its lock: 'in use'), or a signal before
    # the header was written, left an empty file: refused as not a journal ever after
    from armsim.vision import journal as journal_mod

    def lock(path, fd):
        if stop == "in use":
            raise journal_mod.JournalError(f"'{path}' is in use by another armsim sweep")
        raise stop
    monkeypatch.setattr(journal_mod, "_lock", lock)
    with pytest.raises(journal_mod.JournalError if stop == "in use" else stop):
        journal_mod.Journal.open(tmp_path / "o.csv.partial", ["a"], {"runs": 1}, None)
    assert listing(tmp_path) == []


def test_a_stopped_sweep_counts_the_rows_its_journal_holds(tmp_path):
    # "kept N" came from the rows the sweep had counted: a signal between a row's write and
    # its count said one fewer than the journal held (seen as a flaky SIGTERM test)
    from armsim.vision import journal as journal_mod
    path = tmp_path / "o.csv.partial"
    j, done = journal_mod.Journal.open(path, ["a", "b"], {"runs": 5}, None)
    assert done == [] and j.kept() == 0
    for k in range(3):
        j.write({"a": k, "b": 2 * k})
    assert j.kept() == 3
    j._file.write("7,1")                  # a row cut short by the signal: not kept
    j.close()
    assert j.kept() == 3
    path.unlink()
    assert j.kept() is None

# -- 7. a worker that dies, outputs that would replace inputs, what cannot be shown -----------

def test_a_worker_killed_midway_ends_the_sweep_in_one_line_and_resumes(tmp_path):
    def stop(proc):             # as the out-of-memory killer would (the pool waited forever)
        workers = [p for p in descendants(proc.pid)
                   if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]
        assert workers
        os.kill(workers[0], signal.SIGKILL)
    code, err, kept = stopped(tmp_path, ["--jobs", "2"], stop)
    assert code == 2
    assert err == (f"armsim sweep: error: a worker process ended before its run was done "
                   f"(killed, or out of memory); kept {kept} of 8 runs in o.csv.partial; the "
                   f"same command with --resume continues\n")
    code, out, err, _ = sweep("--preset", "gecco", "--vary", "segments=1:2", "--seeds", "1,2,3,4",
                              "--max-rounds", "4000", "--jobs", "2", "--csv", "o.csv", "--resume",
                              cwd=tmp_path, timeout=120, memory=False)
    assert code == 0, err
    assert len(list(csv.DictReader((tmp_path / "o.csv").open()))) == 8


@pytest.mark.parametrize("engine", [["--engine", "dask", "--workers", "2"], ["--jobs", "2"]])
def test_ctrl_c_to_every_process_is_one_line(tmp_path, engine):
    # a terminal's Ctrl-C reaches the workers too: they leave it to the sweep (no tracebacks)
    code, err, kept = stopped(tmp_path, engine, lambda p: os.killpg(p.pid, signal.SIGINT),
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert code == 130
    assert err == (f"armsim sweep: interrupted; kept {kept} of 8 runs in o.csv.partial; the same "
                   f"command with --resume continues\n")


@pytest.mark.parametrize("option", ["--csv", "--plot"])
def test_an_output_that_is_the_scene_or_a_journal_is_refused_untouched(scene, option):
    before = digest(scene / "s.toml")
    code, _, err, _ = sweep(*GRID, option, "s.toml", cwd=scene)
    assert code == 2 and err == (f"armsim sweep: error: argument {option}: refusing to overwrite "
                                 f"the scene file 's.toml'\n")
    assert digest(scene / "s.toml") == before
    (scene / "x.csv.partial").write_text("someone's journal\n")
    code, _, err, _ = sweep(*GRID, option, "x.csv.partial", cwd=scene)
    assert code == 2 and err == (f"armsim sweep: error: argument {option}: a name ending in "
                                 f".partial is a sweep's journal's; choose another\n")
    assert (scene / "x.csv.partial").read_text() == "someone's journal\n"


@pytest.mark.parametrize("values", ["segments=,", "segments= , "])
def test_a_vary_list_with_no_values_is_one_line(scene, values):
    code, _, err, _ = sweep("s.toml", "--vary", values, "--seeds", "1", cwd=scene)
    assert code == 2 and err == (f"armsim sweep: error: --vary {values!r}: no values; expected "
                                 f"KEY=A:B or KEY=X,Y,...\n")


def test_a_summary_that_cannot_be_shown_is_one_line(scene):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "sweep", "s.toml",
                               "--seeds", "1", "--max-rounds", "20", "--csv", "o.csv"],
                              cwd=scene, env=ENV, stdout=full, stderr=subprocess.PIPE, text=True,
                              timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == ("armsim sweep: error: cannot write the summary to standard output: "
                           "No space left on device\n")
    assert (scene / "o.csv").exists()            # the outputs were written before


def test_a_journal_write_that_fails_is_named_and_resumes(scene):
    def small_files():
        cap_memory()
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
    args = ["s.toml", "--seeds", "1,2,3", "--vary", "segments=1:4", "--max-rounds", "20",
            "--csv", "f.csv"]
    proc = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "sweep", *args], cwd=scene,
                          env=ENV, capture_output=True, text=True, timeout=120,
                          preexec_fn=small_files)
    assert proc.returncode == 2
    assert proc.stderr.startswith("armsim sweep: error: cannot write the sweep's journal "
                                  "'f.csv.partial': File too large; kept ")
    code, out, err, _ = sweep(*args, "--resume", cwd=scene, timeout=120)
    assert code == 0, err
    assert len(list(csv.DictReader((scene / "f.csv").open()))) == 12


def test_the_summary_keeps_every_varied_key_apart(scene):
    # the table and the plot grouped by segments and population alone: two learners (or
    # two windows) were pooled into one median that described neither
    from armsim.vision.sweep import summarise, varied_columns
    code, out, err, _ = sweep("s.toml", "--vary", "learner=lm,plain", "--vary", "window=10,20",
                              "--seeds", "5,6", "--max-rounds", "40", "--csv", "o.csv",
                              "--plot", "o.png", cwd=scene)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["segments", "P", "learner", "window", "runs", "conv", "rounds",
                                "seconds"]
    rows = list(csv.DictReader((scene / "o.csv").open(newline="")))
    assert varied_columns(rows) == ["learner", "calibration.window"]
    assert len(summarise([{**r, "rounds": float(r["rounds"]), "seconds": 0.0}
                          for r in rows])) == 4
    assert len(lines) == 5 + 2                     # the table, then the two files written
    shown = {}
    for line in lines[1:5]:
        s, p, learner, window, runs, conv, rounds, secs = line.split()
        shown[learner, window] = (int(runs), float(rounds))
    for (learner, window), (runs, rounds) in shown.items():
        mine = [float(r["rounds"]) for r in rows
                if r["learner"] == learner and r["calibration.window"] == window]
        assert runs == 2 and rounds == round(float(np.median(mine)))
    assert set(shown) == {(a, b) for a in ("lm", "plain") for b in ("10", "20")}


def test_a_seed_past_the_scene_s_bound_is_refused(scene):
    # --seeds had no upper bound while the scene's seed has one
    code, out, err, _ = sweep(*GRID[:-4], "--seeds", "5," + str(2**63), "--max-rounds", "30",
                              cwd=scene)
    assert code == 2 and out == ""
    assert err == ("armsim sweep: error: argument --seeds: a seed must be <= "
                   f"{2**63 - 1} (as the scene's seed), got {2**63}\n")


def test_a_seed_given_twice_is_refused(scene):
    # --seeds 1,1 ran the same experiment twice and counted it twice in the table
    code, out, err, _ = sweep("s.toml", "--seeds", "3,1,3", "--csv", "o.csv", cwd=scene,
                              timeout=30)
    assert (code, out) == (2, "")
    assert err.endswith("argument --seeds: seed 3 is given twice\n") and err.count("\n") == 1
    assert listing(scene) == ["s.toml"]


@pytest.mark.parametrize("vary, message", [
    ("segments=2,1,2", "calibration.segments: 2 is given twice"),
    ("learner=lm,adam,lm", "calibration.learner: lm is given twice"),
    ("calibration.loss_threshold=1e-3,0.001", "calibration.loss_threshold: 0.001 is given twice"),
    ("genetic.enabled=true,false,true", "genetic.enabled: true is given twice"),
])
def test_a_vary_value_given_twice_is_refused(scene, vary, message):
    # --vary segments=2,1,2 ran every run of segments 2 twice, and the table counted each twice
    # (its runs column said 2 per seed), as --seeds 3,1,3 is refused for
    code, out, err, _ = sweep("s.toml", "--vary", vary, "--seeds", "1", "--csv", "o.csv",
                              cwd=scene, timeout=30)
    assert (code, out) == (2, "")
    assert err == f"armsim sweep: error: --vary {message}\n"
    assert listing(scene) == ["s.toml"]


@pytest.mark.parametrize("csv_name, plot_name", [("-", "/dev/stdout"), ("/dev/stdout", "-"),
                                                 ("/dev/stdout", "/proc/self/fd/1")])
def test_the_csv_and_the_plot_both_on_standard_output_are_refused(scene, csv_name, plot_name):
    # '-' and /dev/stdout (a pipe) were two names: the CSV and the PNG went out mixed
    code, out, err, _ = sweep("s.toml", "--seeds", "1", "--max-rounds", "5", "--csv", csv_name,
                              "--plot", plot_name, cwd=scene)
    assert (code, out) == (2, "")
    assert err == "armsim sweep: error: argument --plot: the plot and the CSV are the same file\n"
    assert listing(scene) == ["s.toml"]


def test_standard_output_in_dev_null_takes_both(scene):
    with open(os.devnull, "w") as null:
        proc = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "sweep", "s.toml",
                               "--seeds", "1", "--max-rounds", "5", "--csv", "-", "--plot",
                               "/dev/stdout"], cwd=scene, env=ENV, stdout=null,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_limits_the_docs_quote_are_the_command_s_own_lines(tmp_path):
    # the table quoted '<preset lm>: calibration.segments: must be <= 20, ...', a message the
    # command no longer gives: each example of the Limits block is run and compared
    from armsim.vision.sweep import process_limit
    doc = (ROOT / "docs" / "calibration.md").read_text()
    block = doc.split("**Limits.**", 1)[1].split("```", 2)[1]
    lines = block.strip().splitlines()
    examples = [(a[2:], b) for a, b in zip(lines, lines[1:]) if a.startswith("$ armsim sweep ")]
    table = doc.split("**Limits.**", 1)[1].split("```", 1)[0]
    quoted = re.findall(r"`([^`]*, got [^`]*)`", table)     # a message quoted in the table
    assert set(quoted) <= {want.partition(": error: ")[2] for _, want in examples}, quoted
    for cmd, want in examples:
        if "on this machine" in want and process_limit() != 8:
            continue                                    # (the docs' machine: 2 cores)
        code, out, err, _ = sweep(*cmd.split()[2:], cwd=tmp_path)
        assert (code, err) == (2, want + "\n"), cmd


def test_a_name_that_is_not_printable_is_one_line_on_any_stream(scene):
    # 'wrote NAME' and 'resuming NAME...' printed the name as it was: a line break made two
    # lines, and a byte that is not UTF-8 a UnicodeEncodeError traceback (a strict stdout)
    env = dict(ENV, PYTHONIOENCODING="utf-8")
    for name, shown in ((b"\xff.csv", "\\udcff.csv"), (b"a\nb.csv", "a\\nb.csv")):
        for resume in ([], ["--resume"]):
            proc = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "sweep", "s.toml",
                                   "--seeds", "1", "--max-rounds", "5", "--csv", name, *resume],
                                  cwd=scene, env=env, capture_output=True, timeout=120)
            assert proc.returncode == 0, proc.stderr
            lines = proc.stdout.decode().splitlines()
            assert lines[-1] == f"wrote {shown}"
            if resume:
                assert lines[0] == (f"nothing to resume ({shown}.partial does not exist): "
                                    f"running all 1 runs")
    proc = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "sweep", "s.toml", "--csv",
                           b"a\n/b.csv"], cwd=scene, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.decode() == (
        "armsim sweep: error: cannot write 'a\\n/b.csv': folder 'a\\n' does not exist\n")


def test_the_summary_prints_a_median_of_rounds_as_it_is():
    # seeds of 4 and 7 rounds printed "6" (5.5 rounded half to even), a count no run took,
    # while --plot drew 5.5
    from armsim.commands.sweep import _table
    rows = [dict(segments=2, population=2, seed=s, learner="lm", cameras=2,
                 criterion="identified", converged=True, rounds=r, seconds=0.01)
            for s, r in ((1, 4), (2, 7))]
    assert _table(rows).splitlines()[1].split()[3:5] == ["2", "5.5"]
    rows[1]["rounds"] = 6
    assert _table(rows).splitlines()[1].split()[3:5] == ["2", "5"]


def test_a_journals_errors_show_its_name_short_and_escaped(tmp_path):
    # the journal's messages printed its path whole and raw, unlike every other message: a
    # name with a line break made two lines, a long one a line of its full length
    from armsim.files import SHOWN_NAME
    from armsim.vision import journal as journal_mod
    for name in ("o\nx.csv.partial", "o" * 200 + ".csv.partial"):
        path = tmp_path / name
        path.write_text("not a journal\n")
        with pytest.raises(journal_mod.JournalError) as err:
            journal_mod.Journal.open(path, ["a"], {"runs": 1}, None, resume=True)
        text = str(err.value)
        assert "\n" not in text
        assert text.startswith("'") and "' is not an armsim sweep journal" in text
        shown = text[1:text.index("' is not")]
        assert len(shown) <= SHOWN_NAME
        assert shown.endswith(".csv.partial")
        assert ("\\n" in shown) == ("\n" in name)
        assert path.read_text() == "not a journal\n"
