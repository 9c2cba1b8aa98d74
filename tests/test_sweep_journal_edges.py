"""`armsim sweep` after a kill and with journals armsim did not write as it writes them: the
temporary files a SIGKILL leaves are removed by the next run (only armsim's own, never a link),
and a journal's rows are read back only in the form armsim writes them.

The sweeps run as real commands in subprocesses.
"""

import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy",
           PYGAME_HIDE_SUPPORT_PROMPT="1", OPENBLAS_NUM_THREADS="1")
SCENE = 'seed = 1\n[calibration]\nlearner = "lm"\ncriterion = "identified"\ncheck_period = 1\n'
GRID = ["s.toml", "--vary", "segments=1:2", "--vary", "window=10,20", "--seeds", "5,6",
        "--max-rounds", "30"]
GECCO = ["--preset", "gecco", "--vary", "segments=1:2", "--seeds", "1,2,3,4",
         "--max-rounds", "4000", "--csv", "o.csv"]


def sweep(*args, cwd, timeout=120):
    """``armsim sweep ARGS``: (returncode, stdout, stderr)."""
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), "sweep", *map(str, args)],
                       cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def listing(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def killed(folder, args=GECCO):
    """Start ``armsim sweep ARGS`` and SIGKILL it once its journal holds a row."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_arm.py"), "sweep", *args], cwd=folder,
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    journal = folder / "o.csv.partial"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            if journal.exists() and journal.read_bytes().count(b"\n") >= 3:   # a row
                break
            time.sleep(0.01)
        if proc.poll() is not None:
            pytest.skip("the sweep ended before it could be killed")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if (folder / "o.csv").exists():
        pytest.skip("the sweep ended before the kill arrived")


# -- a SIGKILL's temporary files ----------------------------------------------------------

@pytest.mark.parametrize("again", ["resume", "fresh"])
def test_the_temporary_files_a_kill_leaves_are_removed_by_the_next_run(tmp_path, again):
    # SIGKILL runs no handler: '.o.csv.xxxxxxxx.tmp' stayed beside o.csv, one more each kill
    (tmp_path / "elsewhere.txt").write_text("not armsim's")
    decoys = {
        ".o.csv.abcdefgh.tmp": lambda p: p.symlink_to("elsewhere.txt"),     # a link: kept
        ".o.csv.dddddddd.tmp": lambda p: p.mkdir(),                         # a folder
        ".o.csv.hhhhhhhh.tmp": lambda p: os.link(tmp_path / "elsewhere.txt", p),   # 2 links
        ".o.csv.notarmsim.tmp": lambda p: p.write_text("x"),               # not mkstemp's name
        ".o.csv.ABCDEFGH.tmp": lambda p: p.write_text("x"),
        ".o.csv.llllllll.tmp": lambda p: p.write_text("x"),     # held: another sweep's
        "o.csv.kkkkkkkk.tmp": lambda p: p.write_text("x"),
        ".x.csv.aaaaaaaa.tmp": lambda p: p.write_text("x"),     # another output's
    }
    if os.geteuid() == 0:
        decoys[".o.csv.uuuuuuuu.tmp"] = lambda p: (p.write_text("x"), os.chown(p, 65534, 65534))
    for name, make in decoys.items():
        make(tmp_path / name)
    holder = os.open(tmp_path / ".o.csv.llllllll.tmp", os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        killed(tmp_path)
        left = sorted(set(listing(tmp_path)) - set(decoys))
        assert len(left) == 3 and left[0].startswith(".o.csv.") and left[1:] == [
            "elsewhere.txt", "o.csv.partial"], left
        if again == "fresh":
            (tmp_path / "o.csv.partial").unlink()
        code, out, err = sweep(*GECCO, *(["--resume"] if again == "resume" else []), cwd=tmp_path)
        assert code == 0, err
        assert listing(tmp_path) == sorted([*decoys, "elsewhere.txt", "o.csv"])
    finally:
        os.close(holder)
    assert (tmp_path / "elsewhere.txt").read_text() == "not armsim's"
    assert os.readlink(tmp_path / ".o.csv.abcdefgh.tmp") == "elsewhere.txt"


# -- a journal's rows as armsim writes them ------------------------------------------------

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


def edit(path, column, change, row=2):
    """Replace ``column`` of journal row ``row`` by ``change(its text)``; the new text."""
    lines = path.read_bytes().split(b"\r\n")
    header = lines[1].decode().split(",")
    cells = lines[row + 1].decode().split(",")
    cells[header.index(column)] = text = change(cells[header.index(column)])
    lines[row + 1] = ",".join(cells).encode()
    path.write_bytes(b"\r\n".join(lines))
    return text


@pytest.fixture
def scene(tmp_path):
    (tmp_path / "s.toml").write_text(SCENE)
    return tmp_path


INTEGER = "expected an integer as armsim writes it (digits 0-9)"
NUMBER = "expected a number as armsim writes it (e.g. 0.25, 1e-05)"


@pytest.mark.parametrize("column, change, reason", [
    ("seed", lambda v: "+" + v, INTEGER),           # int() took every one of these as 6
    ("seed", lambda v: " " + v, INTEGER),
    ("seed", lambda v: v + " ", INTEGER),
    ("seed", lambda v: "0" + v, INTEGER),
    ("seed", lambda v: "0_" + v, INTEGER),
    ("seed", lambda v: "\u0666", INTEGER),          # ARABIC-INDIC DIGIT SIX
    ("seed", lambda v: "\uff16", INTEGER),          # FULLWIDTH DIGIT SIX
    ("rounds", lambda v: v[0] + "_" + v[1:] if len(v) > 1 else "0_" + v, INTEGER),
    ("seconds", lambda v: " " + v, NUMBER),         # float() took these
    ("seconds", lambda v: "+" + v, NUMBER),
    ("seconds", lambda v: v + "0" if "e" not in v else v.replace("e", "E"), NUMBER),
    ("seconds", lambda v: "0_" + v if "e" not in v else "+" + v, NUMBER),
    ("angle_error", lambda v: "\u0660.\u0665", NUMBER),     # 0.5 in Arabic-Indic digits
])
def test_a_journal_cell_not_as_armsim_writes_it_is_refused_naming_line_and_field(
        scene, column, change, reason):
    path = interrupted(scene)
    text = edit(path, column, change)
    before = digest(path)
    code, out, err = sweep(*GRID, "--csv", "o.csv", "--resume", cwd=scene)
    assert (code, err) == (2, f"armsim sweep: error: --resume: o.csv.partial row 2 (line 4): "
                              f"{column} = {text!r}: {reason}\n")
    assert digest(path) == before and not (scene / "o.csv").exists()


@pytest.mark.parametrize("column, text, shown, reason", [
    ("seed", "6" * 60000, "'" + "6" * 24 + "..." + "6" * 11 + "' (60000 characters)", INTEGER),
    ("learner", "l" * 60000, "'" + "l" * 24 + "..." + "l" * 11 + "' (60000 characters)",
     "expected 'lm' (this sweep's value)"),
    ("calibration.window", "2" * 60000, "'" + "2" * 24 + "..." + "2" * 11 + "' (60000 characters)",
     "expected '10' (this sweep's value)"),
])
def test_a_very_long_cell_is_shown_by_its_ends_in_a_short_line(scene, column, text, shown, reason):
    # the cell was shown whole: a journal line of 60,000 digits made an error line as long
    path = interrupted(scene)
    edit(path, column, lambda v: text)
    code, out, err = sweep(*GRID, "--csv", "o.csv", "--resume", cwd=scene)
    assert (code, err) == (2, f"armsim sweep: error: --resume: o.csv.partial row 2 (line 4): "
                              f"{column} = {shown}: {reason}\n")
    assert len(err) < 200


@pytest.mark.parametrize("kept", ["", "segments,popu", "columns", "columns\r"])
def test_a_journal_cut_in_its_column_line_gets_it_again_and_resumes(scene, kept):
    # a journal cut after its first line (killed while it was made) was refused as another
    # sweep's when nothing followed, and its rows were written on the end of a column line
    # that had no line end (the journal then refused at the next --resume)
    path = interrupted(scene, rows=1)
    first, columns, _ = path.read_bytes().split(b"\r\n", 2)
    kept = columns + b"\r" if kept == "columns\r" else columns if kept == "columns" \
        else kept.encode()
    path.write_bytes(first + b"\r\n" + kept)
    interrupted(scene, rows=2, args=(*GRID, "--csv", "o.csv", "--resume"))
    lines = path.read_bytes().split(b"\r\n")
    assert lines[:2] == [first, columns] and len(lines) == 5 and lines[-1] == b""
    code, out, err = sweep(*GRID, "--csv", "o.csv", "--resume", cwd=scene)
    assert code == 0, err
    assert out.startswith("resuming o.csv.partial: 2 of 8 runs already done\n")
    assert (scene / "o.csv").read_text().count("\n") == 9
    assert listing(scene) == ["o.csv", "s.toml"]
