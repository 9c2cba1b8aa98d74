"""`armsim sweep --engine dask` and `--resume`: the same rows as the serial run, row for row."""

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from armsim import cli
from armsim.vision import sweep as sweep_mod
from armsim.vision.experiment import PRESETS
from armsim.vision.sweep import dask_client, close_client, expand_grid, sweep

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
SCENE = 'seed = 1\n[calibration]\nlearner = "lm"\ncriterion = "identified"\ncheck_period = 1\n'
GRID = ["s.toml", "--vary", "segments=1:2", "--vary", "window=10,20", "--seeds", "5,6", "--max-rounds", "30"]


def run_cli(*args, cwd, code=None):
    head = ["-c", code] if code else [str(ROOT / "run_arm.py")]
    return subprocess.run([sys.executable, *head, *map(str, args)], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=120)


def without_seconds(rows):
    """Rows with the wall-clock column left out: everything else is deterministic under the seed."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def read(path):
    return list(csv.DictReader(Path(path).open(newline="")))


def listing(folder):
    return sorted(p.name for p in Path(folder).iterdir())


@pytest.fixture
def scene(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(SCENE)
    return tmp_path


@pytest.fixture
def serial_csv(scene, capsys):
    assert cli.main(["sweep", *GRID, "--csv", "serial.csv"]) == 0
    capsys.readouterr()
    return read(scene / "serial.csv")


# -- the dask engine ---------------------------------------------------------------------

def test_dask_on_an_in_process_cluster_of_2_workers_equals_the_serial_run():
    grid = expand_grid([("segments", [1, 2]), ("population", [2, 3])])
    serial = sweep(PRESETS["lm"], grid, [5, 6], jobs=1, max_rounds=40, progress=False)
    client = dask_client(workers=2, processes=False)
    try:
        assert len(client.nthreads()) == 2
        got = sweep(PRESETS["lm"], grid, [5, 6], max_rounds=40, progress=False, engine="dask", client=client)
    finally:
        close_client(client)
    assert len(got) == 8
    assert without_seconds(got) == without_seconds(serial)      # same order, same values, bit for bit
    assert [(r["segments"], r["population"], r["seed"]) for r in got][:3] == [(1, 2, 5), (1, 2, 6), (1, 3, 5)]


def test_dask_keeps_grid_order_with_a_window_of_one_task(monkeypatch):
    monkeypatch.setattr(sweep_mod, "IN_FLIGHT", 1)
    grid = expand_grid([("segments", [2, 1])])
    serial = sweep(PRESETS["lm"], grid, [7, 8, 9], jobs=1, max_rounds=20, progress=False)
    client = dask_client(workers=2, processes=False)
    try:
        got = sweep(PRESETS["lm"], grid, [7, 8, 9], max_rounds=20, progress=False, engine="dask", client=client)
    finally:
        close_client(client)
    assert without_seconds(got) == without_seconds(serial)


def test_cli_dask_engine_writes_the_serial_csv(scene, serial_csv):
    r = run_cli("sweep", *GRID, "--csv", "dask.csv", "--engine", "dask", "--workers", 2, cwd=scene)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "wrote dask.csv" in r.stdout
    assert without_seconds(read(scene / "dask.csv")) == without_seconds(serial_csv)
    assert len(serial_csv) == 8 and listing(scene) == ["dask.csv", "s.toml", "serial.csv"]


def test_missing_dask_is_one_line_before_anything_is_written(scene):
    code = ("import sys\nsys.modules['distributed'] = None\nfrom armsim.cli import main\n"
            "raise SystemExit(main(sys.argv[1:]))")
    r = run_cli("sweep", *GRID, "--csv", "o.csv", "--engine", "dask", cwd=scene, code=code)
    assert r.returncode == 2
    assert r.stderr == "armsim sweep: error: --engine dask needs dask.distributed: pip install 'armsim[dask]'\n"
    assert listing(scene) == ["s.toml"]


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "nonsense://x"],
     "armsim sweep: error: argument --scheduler: expected an address like tcp://HOST:PORT, got 'nonsense://x' "
     "(unknown address scheme 'nonsense' (known schemes: ['inproc', 'tcp', 'tls', 'ucx', 'ws', 'wss']))"),
    (["--scheduler", "inproc://x"],      # no in-process scheduler there: said so (it said "not
     # enough values to unpack (expected 3, got 1)")
     "armsim sweep: error: argument --scheduler: no scheduler at 'inproc://x' in this process (an "
     "inproc:// address is reachable only from the process that started it)"),
    (["--scheduler", "localhost"],
     "armsim sweep: error: argument --scheduler: expected an address like tcp://HOST:PORT, got 'localhost' "
     "(missing port number in address 'localhost')"),
    (["--scheduler", "tcp://127.0.0.1:1"],      # nothing listens there: refused at once
     "armsim sweep: error: argument --scheduler: cannot connect to 'tcp://127.0.0.1:1': Connection refused"),
    (["--jobs", "2"], "armsim sweep: error: argument --jobs: the dask engine's processes are --workers"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
     "armsim sweep: error: argument --workers: the cluster at --scheduler has its own workers"),
])
def test_bad_dask_options_are_one_line_with_status_2(scene, capsys, monkeypatch, args, message):
    monkeypatch.setattr(sweep_mod, "CONNECT_TIMEOUT", 1)
    t = time.perf_counter()
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--engine", "dask", *args]) == 2
    assert time.perf_counter() - t < 8
    out = capsys.readouterr()
    assert out.err == message + "\n" and out.out == ""
    assert listing(scene) == ["s.toml"]


def test_a_server_that_never_answers_is_refused_within_the_timeout(scene, capsys, monkeypatch):
    import socket
    monkeypatch.setattr(sweep_mod, "CONNECT_TIMEOUT", 1)
    with socket.socket() as server:         # accepts connections (the kernel's backlog), never replies
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        address = "tcp://127.0.0.1:%d" % server.getsockname()[1]
        t = time.perf_counter()
        assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--engine", "dask", "--scheduler", address]) == 2
        assert time.perf_counter() - t < 8
    assert capsys.readouterr().err == (f"armsim sweep: error: argument --scheduler: cannot connect to "
                                       f"'{address}': no dask scheduler answered within 1 s\n")
    assert listing(scene) == ["s.toml"]


def test_dask_options_need_the_dask_engine(scene, capsys):
    assert cli.main(["sweep", *GRID, "--workers", "2"]) == 2
    assert capsys.readouterr().err == ("armsim sweep: error: argument --workers: only with --engine dask "
                                       "(the local engine's processes are --jobs)\n")


# -- resume ------------------------------------------------------------------------------

def interrupt_after(monkeypatch, k):
    """The k+1-th run raises KeyboardInterrupt (Ctrl-C in the middle of a sweep)."""
    real, calls = sweep_mod._one, []

    def one(task):
        if len(calls) == k:
            raise KeyboardInterrupt
        calls.append(task)
        return real(task)
    monkeypatch.setattr(sweep_mod, "_one", one)
    return real


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_an_interrupted_sweep_resumes_to_the_uninterrupted_csv(scene, serial_csv, capsys, monkeypatch, engine):
    real = interrupt_after(monkeypatch, 3)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv"]) == 130
    err = capsys.readouterr().err
    assert err == ("armsim sweep: interrupted; kept 3 of 8 runs in o.csv.partial; the same command with "
                   "--resume continues\n")
    assert listing(scene) == ["o.csv.partial", "s.toml", "serial.csv"]      # no o.csv: it is only ever whole
    journal = (scene / "o.csv.partial").read_text(encoding="utf-8").splitlines(keepends=True)
    assert journal[0].startswith("# armsim sweep journal ") and len(journal) == 2 + 3
    monkeypatch.setattr(sweep_mod, "_one", real)

    # the same command without --resume never overwrites the journal
    assert cli.main(["sweep", *GRID, "--csv", "o.csv"]) == 2
    assert capsys.readouterr().err == ("armsim sweep: error: o.csv.partial holds an interrupted sweep: "
                                       "add --resume to continue it, or delete it to start again\n")

    extra = ["--engine", "dask", "--workers", "2"] if engine == "dask" else []
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--resume", *extra]) == 0
    assert capsys.readouterr().out.startswith("resuming o.csv.partial: 3 of 8 runs already done\n")
    assert listing(scene) == ["o.csv", "s.toml", "serial.csv"]
    lines = (scene / "o.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[:4] == journal[1:]                 # the rows already written, byte for byte
    assert without_seconds(read(scene / "o.csv")) == without_seconds(serial_csv)


def test_a_journal_cut_mid_row_reruns_that_row(scene, serial_csv, capsys, monkeypatch):
    interrupt_after(monkeypatch, 2)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv"]) == 130
    monkeypatch.undo()
    monkeypatch.chdir(scene)
    path = scene / "o.csv.partial"
    path.write_bytes(path.read_bytes()[:-7])        # killed while writing the second row
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--resume"]) == 0
    assert "resuming o.csv.partial: 1 of 8 runs already done" in capsys.readouterr().out
    assert without_seconds(read(scene / "o.csv")) == without_seconds(serial_csv)


OTHER = "armsim sweep: error: --resume: o.csv.partial belongs to another sweep: "


@pytest.mark.parametrize("change, message", [      # (each named: it said "a different scene,
    (["--seeds", "5,7"], OTHER + "its seeds differ (as many, other values); delete it to "  # grid,
                                 "start again"),                    # seeds or --max-rounds")
    (["--seeds", "5,6,7"], OTHER + "it has 2 seeds, this command 3; delete it to start again"),
    (["--max-rounds", "31"], OTHER + "its --max-rounds is 30, this command's 31; delete it to "
                                     "start again"),
    (["--vary", "segments=1:3"], OTHER + "its grid has 4 points, this command's 6; delete it to "
                                         "start again"),
    (["--vary", "segments=2:3"], OTHER + "its grid values differ (the same keys, as many "
                                         "points); delete it to start again"),
    (["--vary", "population=3:4"], OTHER + "it varies calibration.segments and "
                                           "calibration.window, this command genetic.population "
                                           "and calibration.window; delete it to start again"),
    (["--scene", "max_speed = 0.0002"], OTHER + "its scene differs (another scene or preset, or a "
                                                "key of it changed); delete it to start again"),
    (["--edit", "1,4,5,", "1,4,6,"], "armsim sweep: error: --resume: o.csv.partial row 1 (line 3): seed = '6': "
                                     "expected 5 (this sweep's value)"),
])
def test_a_journal_of_another_sweep_is_refused(scene, capsys, monkeypatch, change, message):
    interrupt_after(monkeypatch, 2)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv"]) == 130
    monkeypatch.undo()
    monkeypatch.chdir(scene)
    capsys.readouterr()
    args = list(GRID)
    path = scene / "o.csv.partial"
    before = path.read_bytes()
    if change[0] == "--scene":
        (scene / "s.toml").write_text(SCENE + change[1] + "\n")
    elif change[0] == "--edit":
        path.write_bytes(before.replace(change[1].encode(), change[2].encode(), 1))
        before = path.read_bytes()
    elif change[1].startswith("population"):
        args[args.index("segments=1:2")] = change[1]
    else:
        args[args.index(change[0]) + 1] = change[1]
    assert cli.main(["sweep", *args, "--csv", "o.csv", "--resume"]) == 2
    assert capsys.readouterr().err == message + "\n"
    assert path.read_bytes() == before and not (scene / "o.csv").exists()


def test_a_journal_written_before_its_header_named_the_parts_resumes(scene, serial_csv, capsys,
                                                                      monkeypatch):
    import json
    real = interrupt_after(monkeypatch, 3)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv"]) == 130
    monkeypatch.setattr(sweep_mod, "_one", real)
    path = scene / "o.csv.partial"
    first, rest = path.read_bytes().split(b"\r\n", 1)
    magic, params = first.decode().split(" {", 1)
    params = json.loads("{" + params)
    del params["parts"]
    path.write_bytes(f"{magic} {json.dumps(params)}\r\n".encode() + rest)
    capsys.readouterr()
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--resume"]) == 0
    assert capsys.readouterr().out.startswith("resuming o.csv.partial: 3 of 8 runs already done\n")
    assert without_seconds(read(scene / "o.csv")) == without_seconds(serial_csv)


def test_resume_needs_a_csv_file(scene, capsys):
    assert cli.main(["sweep", *GRID, "--resume"]) == 2
    assert capsys.readouterr().err == "armsim sweep: error: argument --resume: needs --csv with a file name\n"


def test_resume_without_a_journal_runs_everything(scene, serial_csv, capsys):
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--resume"]) == 0
    assert capsys.readouterr().out.startswith(
        "nothing to resume (o.csv.partial does not exist): running all 8 runs\n")
    assert without_seconds(read(scene / "o.csv")) == without_seconds(serial_csv)


def test_killed_for_real_then_resumed(tmp_path):
    # SIGKILL: no handler runs; the journal holds every row finished before the kill
    args = ["sweep", "--preset", "gecco", "--vary", "segments=1:2", "--seeds", "1,2,3", "--max-rounds", "1500"]
    full = run_cli(*args, "--csv", "full.csv", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), *args, "--csv", "o.csv"], cwd=tmp_path,
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = tmp_path / "o.csv.partial"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 3:    # magic, header, one row
            break
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the sweep finished before it could be killed")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = journal.read_text().count("\n") - 2
    assert 1 <= kept < 6 and not (tmp_path / "o.csv").exists()
    r = run_cli(*args, "--csv", "o.csv", "--resume", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"resuming o.csv.partial: {kept} of 6 runs already done\n")
    assert without_seconds(read(tmp_path / "o.csv")) == without_seconds(read(tmp_path / "full.csv"))
    # (the CSV's hidden temporary file the kill left is removed by the resumed run)
    assert listing(tmp_path) == ["full.csv", "o.csv"]


def test_a_cluster_without_workers_is_refused_within_the_timeout(scene, capsys, monkeypatch):
    from distributed import LocalCluster
    monkeypatch.setattr(sweep_mod, "CONNECT_TIMEOUT", 1)
    cluster = LocalCluster(n_workers=0, processes=False, dashboard_address=None)
    try:
        t = time.perf_counter()
        code = cli.main(["sweep", *GRID, "--csv", "o.csv", "--engine", "dask", "--scheduler",
                         cluster.scheduler_address])
        assert time.perf_counter() - t < 8
    finally:
        cluster.close()
    assert code == 2
    assert capsys.readouterr().err == (f"armsim sweep: error: argument --scheduler: cannot connect to "
                                       f"'{cluster.scheduler_address}': the cluster has no workers (waited 1 s)\n")
    assert listing(scene) == ["s.toml"]


def test_stopped_after_the_runs_before_the_csv_keeps_every_row(scene, serial_csv, capsys, monkeypatch):
    # Ctrl-C (or SIGTERM) while the CSV is written: the journal keeps all 8 rows; --resume
    # writes the CSV without running anything again
    real = sweep_mod._csv_to

    def stopped(rows, binary):
        raise KeyboardInterrupt
    monkeypatch.setattr(sweep_mod, "_csv_to", stopped)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv"]) == 130
    assert capsys.readouterr().err == ("armsim sweep: interrupted; kept 8 of 8 runs in o.csv.partial; the same "
                                       "command with --resume continues\n")
    assert listing(scene) == ["o.csv.partial", "s.toml", "serial.csv"]
    monkeypatch.setattr(sweep_mod, "_csv_to", real)
    monkeypatch.setattr(sweep_mod, "_one", None)        # nothing may run again
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--resume"]) == 0
    assert capsys.readouterr().out.startswith("resuming o.csv.partial: 8 of 8 runs already done\n")
    assert without_seconds(read(scene / "o.csv")) == without_seconds(serial_csv)
    assert listing(scene) == ["o.csv", "s.toml", "serial.csv"]


def test_a_task_that_fails_on_the_cluster_is_one_line(scene, capsys, monkeypatch):
    # e.g. a worker without armsim: the task's error comes back from the cluster
    def one(task):
        raise ModuleNotFoundError("No module named 'armsim'")
    monkeypatch.setattr(sweep_mod, "_one", one)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--engine", "dask", "--workers", "1"]) == 2
    assert capsys.readouterr().err == ("armsim sweep: error: the dask engine failed: ModuleNotFoundError: No module "
                                       "named 'armsim'; kept 0 of 8 runs in o.csv.partial; the same command with "
                                       "--resume continues\n")


def test_a_run_that_kills_its_dask_worker_is_one_clear_line(scene):
    """Each try of a run kills its worker (os.kill, as the out-of-memory killer would): dask
    gives the run up (here after one death) and the sweep says so as the local engine does;
    it printed dask's KilledWorker text: the task's key 'one-<uuid>', the last worker's
    address, advice and a web address, 420 characters."""
    code = ("import os, signal, sys\nfrom armsim.vision import sweep as s\n"
            "def one(task):\n    os.kill(os.getpid(), signal.SIGKILL)\ns._one = one\n"
            "from armsim.cli import main\nraise SystemExit(main(sys.argv[1:]))\n")
    r = subprocess.run([sys.executable, "-c", code, "sweep", "s.toml", "--seeds", "6",
                        "--max-rounds", "30", "--csv", "o.csv", "--engine", "dask", "--workers",
                        "1"], cwd=scene, capture_output=True, text=True, timeout=120,
                       env=dict(ENV, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0"))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("armsim sweep: error: a worker process ended before its run was done "
                        "(killed, or out of memory); kept 0 of 1 runs in o.csv.partial; the "
                        "same command with --resume continues\n")
    assert listing(scene) == ["o.csv.partial", "s.toml"]


def test_dask_gives_up_a_run_in_one_line_naming_the_tries(monkeypatch):
    from distributed.scheduler import KilledWorker

    class Future:
        def result(self, timeout):
            raise KilledWorker("one-1234", None, 3)
    with pytest.raises(sweep_mod.EngineError) as got:
        sweep_mod._result(Future(), None)
    assert str(got.value) == ("a worker process ended before its run was done (killed, or out "
                              "of memory), on all 4 workers that tried it")


def test_a_lost_scheduler_is_one_line_without_dask_s_task_key():
    # the scheduler killed mid-sweep: 'the dask engine failed: FutureCancelledError:
    # _one-fa08fdad-b5c5-41eb-84df-f363f423e3be cancelled for reason: scheduler-connection-lost.'
    from distributed.client import FutureCancelledError

    class Future:
        def result(self, timeout):
            raise FutureCancelledError("_one-fa08fdad", "scheduler-connection-lost")
    with pytest.raises(sweep_mod.EngineError) as got:
        sweep_mod._result(Future(), None)
    assert str(got.value) == ("the connection to the dask scheduler was lost (it stopped, or the "
                              "network failed)")


def test_dask_s_internal_all_exit_left_unread_is_not_printed(caplog):
    """A worker that dies holding a finished result while it is fetched: the wait times out,
    dask's fetch is left behind, and when the task then fails it ends in dask's internal
    AllExit, unread; asyncio printed "Task exception was never retrieved" and a traceback at
    exit, after the sweep's one line (seen with a task that kills its worker).  The client's
    loop drops that one; an unread error of anything else is still reported."""
    import asyncio
    import gc
    import logging
    from distributed.client import AllExit

    async def leave(exc):
        async def fail():
            raise exc
        asyncio.ensure_future(fail())       # nobody awaits it, as dask's left-behind fetch

    client = dask_client(workers=1, processes=False)
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            client.sync(leave, AllExit())
            client.sync(leave, ValueError("other"))
            for _ in range(20):
                gc.collect()
                if caplog.records:
                    break
                time.sleep(0.05)
            time.sleep(0.1)
            gc.collect()
    finally:
        close_client(client)
    unread = [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()]
    assert len(unread) == 1 and "ValueError('other')" in unread[0], unread


def test_a_second_cluster_on_the_machine_gives_no_warning():
    """dask binds port 8787 for its HTTP server even with the dashboard off, and warns on
    stderr when another cluster holds it; armsim's local cluster takes a free port."""
    import socket
    import warnings
    holder = socket.socket()
    try:
        holder.bind(("0.0.0.0", 8787))
        holder.listen(1)
    except OSError:
        pass                                   # held already: the case itself
    try:
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            client = dask_client(workers=1, processes=False)
            try:
                assert client.submit(sum, [1, 2]).result() == 3
            finally:
                close_client(client)
        assert not [w for w in got if "8787" in str(w.message) or "in use" in str(w.message)]
    finally:
        holder.close()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_an_output_that_cannot_be_written_keeps_the_journal(scene, serial_csv, capsys,
                                                            monkeypatch):
    """Every run done, the plot fails: the journal keeps all 8 rows (it was removed, and
    the runs with it), and --resume writes the outputs without running anything."""
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--plot", "/dev/full"]) == 2
    assert capsys.readouterr().err == (
        "armsim sweep: error: cannot write '/dev/full': No space left on device; kept 8 of 8 "
        "runs in o.csv.partial; the same command with --resume writes the outputs\n")
    assert listing(scene) == ["o.csv.partial", "s.toml", "serial.csv"]
    monkeypatch.setattr(sweep_mod, "_one", None)        # nothing may run again
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--resume"]) == 0
    assert without_seconds(read(scene / "o.csv")) == without_seconds(serial_csv)
    assert listing(scene) == ["o.csv", "s.toml", "serial.csv"]


def test_a_cluster_whose_workers_all_stopped_ends_the_wait(monkeypatch):
    """Every worker gone mid-run: the wait for a result ends after CONNECT_TIMEOUT seconds
    without one (it never ended), while a cluster with workers is waited for."""
    monkeypatch.setattr(sweep_mod, "CONNECT_TIMEOUT", 0.05)

    class Future:
        def __init__(self, after):
            self.calls, self.after = 0, after

        def result(self, timeout):
            self.calls += 1
            if self.calls > self.after:
                return "row"
            time.sleep(timeout)
            raise TimeoutError

    class Client:
        def __init__(self, workers):
            self.workers = workers

        def nthreads(self):
            return self.workers

    assert sweep_mod._result(Future(after=5), Client({"w": 1})) == "row"
    with pytest.raises(sweep_mod.EngineError, match=r"^the cluster has had no workers for "
                                                    r"0\.05 s \(they stopped\)$"):
        sweep_mod._result(Future(after=10**6), Client({}))


def test_quiet_dask_silences_loggers_with_levels_of_their_own():
    import logging
    import distributed  # noqa: F401  (its configuration sets distributed.client's level)
    with sweep_mod.quiet_dask():
        assert not logging.getLogger("distributed.client").isEnabledFor(logging.ERROR)
        assert not logging.getLogger("distributed.worker").isEnabledFor(logging.ERROR)


def test_a_journal_that_is_a_link_goes_with_its_file(scene, serial_csv, capsys, monkeypatch):
    """A journal given as a symbolic link: the rows go to the file it names, and a finished
    sweep removes both (the file stayed behind, every row in it)."""
    real = sweep_mod._csv_to

    def stopped(rows, binary):
        raise KeyboardInterrupt
    monkeypatch.setattr(sweep_mod, "_csv_to", stopped)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv"]) == 130
    capsys.readouterr()
    os.replace(scene / "o.csv.partial", scene / "real.partial")
    os.symlink("real.partial", scene / "o.csv.partial")
    monkeypatch.setattr(sweep_mod, "_csv_to", real)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--resume"]) == 0
    assert without_seconds(read(scene / "o.csv")) == without_seconds(serial_csv)
    assert listing(scene) == ["o.csv", "s.toml", "serial.csv"]


@pytest.mark.skipif(not hasattr(os, "getppid") or sys.platform == "win32", reason="POSIX")
def test_a_killed_sweeps_pool_workers_end_quietly(tmp_path):
    """SIGKILL of a --jobs 2 sweep while its workers run tasks: they see the parent gone and
    end at once, without a traceback (they ran their task on and printed BrokenPipeError)."""
    args = ["sweep", "--preset", "gecco", "--vary", "segments=1:2", "--seeds", "1,2,3",
            "--max-rounds", "20000", "--jobs", "2", "--csv", "o.csv"]
    err = tmp_path / "err.txt"
    with err.open("w") as fh:
        proc = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), *args], cwd=tmp_path,
                                env=ENV, stdout=subprocess.DEVNULL, stderr=fh)
    journal = tmp_path / "o.csv.partial"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 3:   # a row: workers run
            break
        time.sleep(0.01)
    kids = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                           text=True).stdout.split()]
    if proc.poll() is not None or not kids:
        pytest.skip("the sweep ended before it could be killed")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    def running(pid):
        try:
            return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
        except OSError:
            return False
    end = time.monotonic() + 5
    while any(running(k) for k in kids) and time.monotonic() < end:
        time.sleep(0.05)
    assert not any(running(k) for k in kids)
    time.sleep(0.5)
    assert "Traceback" not in err.read_text()


@pytest.mark.parametrize("option, name", [("--plot", "p.png"), ("--csv", "c.csv")])
def test_an_output_that_links_to_the_journal_is_refused(scene, capsys, monkeypatch, option, name):
    """An output given as a link to the journal: it replaced the journal when written, then
    the journal's removal deleted it ('wrote p.png', a link to nothing left)."""
    interrupt_after(monkeypatch, 2)
    csv_name = "c.csv" if option == "--plot" else "o.csv"
    assert cli.main(["sweep", *GRID, "--csv", csv_name]) == 130
    monkeypatch.undo()
    monkeypatch.chdir(scene)
    capsys.readouterr()
    journal = scene / "c.csv.partial"
    if option == "--csv":
        os.replace(scene / "o.csv.partial", journal)
    before = journal.read_bytes()
    os.symlink("c.csv.partial", scene / name)
    args = ["--csv", "c.csv", "--plot", "p.png"] if option == "--plot" else ["--csv", "c.csv"]
    assert cli.main(["sweep", *GRID, *args, "--resume"]) == 2
    assert capsys.readouterr().err == (
        f"armsim sweep: error: argument {option}: '{name}' resolves to '{journal}', a name "
        f"ending in .partial (a sweep's journal's); choose another\n")
    assert journal.read_bytes() == before and os.readlink(scene / name) == "c.csv.partial"


def test_the_journal_is_checked_before_the_cluster_starts(scene, serial_csv, capsys, monkeypatch):
    """A journal refused, or one that holds every run, starts no cluster (a local one took
    2-3 s to start and stop, a --scheduler with no workers 5 s, before the journal's line);
    a cluster that cannot start leaves no journal behind."""
    started = []

    def no_cluster(**kwargs):
        started.append(kwargs)
        raise sweep_mod.EngineError("argument --scheduler: cannot connect to 'tcp://x:1': no")
    monkeypatch.setattr(sweep_mod, "dask_client", no_cluster)
    dask = ["--engine", "dask", "--workers", "2"]
    (scene / "o.csv.partial").write_text("notes\n")
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", *dask]) == 2
    assert capsys.readouterr().err.startswith("armsim sweep: error: 'o.csv.partial' is not an "
                                              "armsim sweep journal")
    assert started == [] and (scene / "o.csv.partial").read_text() == "notes\n"
    os.remove(scene / "o.csv.partial")
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", *dask]) == 2     # no journal left
    assert capsys.readouterr().err == ("armsim sweep: error: argument --scheduler: cannot "
                                       "connect to 'tcp://x:1': no\n")
    assert len(started) == 1 and listing(scene) == ["s.toml", "serial.csv"]

    interrupt_after(monkeypatch, 3)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv"]) == 130
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--resume", *dask]) == 2    # kept
    assert capsys.readouterr().err.endswith("no; kept 3 of 8 runs in o.csv.partial; the same "
                                            "command with --resume continues\n")
    os.remove(scene / "o.csv.partial")
    monkeypatch.undo()
    monkeypatch.chdir(scene)
    real = sweep_mod._csv_to

    def stopped(rows, binary):          # stopped after the runs, before the CSV
        raise KeyboardInterrupt
    monkeypatch.setattr(sweep_mod, "_csv_to", stopped)
    assert cli.main(["sweep", *GRID, "--csv", "o.csv"]) == 130             # every run kept
    monkeypatch.setattr(sweep_mod, "_csv_to", real)
    monkeypatch.setattr(sweep_mod, "dask_client", no_cluster)
    capsys.readouterr()
    assert cli.main(["sweep", *GRID, "--csv", "o.csv", "--resume", *dask]) == 0
    assert capsys.readouterr().out.startswith("resuming o.csv.partial: 8 of 8 runs already done\n")
    assert len(started) == 2 and without_seconds(read(scene / "o.csv")) == without_seconds(
        serial_csv)


@pytest.mark.parametrize("values", ["calibration.damping=1:2", "calibration.damping=2,0.5",
                                    "genetic.enabled=true,false"])
def test_a_sweep_varying_a_key_written_otherwise_resumes(scene, capsys, monkeypatch, values):
    # the journal wrote a run's value (damping 2.0) and read it back against the value as
    # given (2): no sweep varying a float key by whole numbers could be resumed
    grid = ["s.toml", "--vary", values, "--seeds", "5,6", "--max-rounds", "30"]
    assert cli.main(["sweep", *grid, "--csv", "whole.csv"]) == 0
    real = interrupt_after(monkeypatch, 3)
    assert cli.main(["sweep", *grid, "--csv", "o.csv"]) == 130
    monkeypatch.setattr(sweep_mod, "_one", real)
    capsys.readouterr()
    assert cli.main(["sweep", *grid, "--csv", "o.csv", "--resume"]) == 0
    assert capsys.readouterr().out.startswith("resuming o.csv.partial: 3 of 4 runs already done\n")
    assert without_seconds(read(scene / "o.csv")) == without_seconds(read(scene / "whole.csv"))
