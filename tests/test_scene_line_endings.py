"""Line endings of a scene file: LF and CRLF load; CR alone (old Mac OS) is one clear line
naming the problem and the fix, from Python (ValueError) and the command line (exit 2)."""

import subprocess
import sys
from pathlib import Path

import pytest

from armsim.scene import SceneError, load, loads

ROOT = Path(__file__).resolve().parent.parent

SCENE = ("# a two-link arm reaching a fixed point\nseed = 0\n\n[arm]\nlengths = [0.5, 0.4]\n\n"
         "[target]\nkind = \"fixed\"\npoint = [0.3, 0.4]\n\n[render]\nframes = 2\n")

CR_ONLY = ("line endings are CR only (old Mac OS style: a carriage return with no line feed), "
           "which TOML does not accept; save the file with LF or CRLF line endings "
           "(e.g. tr '\\r' '\\n' < old.toml > new.toml)")


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


@pytest.mark.parametrize("text", [SCENE.replace("\n", "\r"),
                                  "seed = 0\r[arm]\rlengths = [0.5, 0.4]\r",   # no comment
                                  "seed = = 0\r[arm]\r"])     # a TOML error too: CR first
def test_cr_only_is_one_line_naming_the_line_endings(tmp_path, text):
    # it was tomllib's words: "line 1, column 40: invalid TOML: Found invalid character '\r'"
    # (or "Expected newline or end of document after a statement"): the whole file is line 1
    with pytest.raises(SceneError) as e:
        loads(text)
    assert str(e.value) == f"<string>: {CR_ONLY}"
    assert isinstance(e.value, ValueError)
    path = _write(tmp_path, "mac.toml", text)
    with pytest.raises(ValueError) as e:
        load(path)
    assert str(e.value) == f"{path}: {CR_ONLY}"


def test_a_stray_cr_line_ending_among_lf_lines_is_named_at_its_line():
    text = SCENE.replace("[target]\n", "[target]\r")
    with pytest.raises(SceneError) as e:
        loads(text)
    assert str(e.value) == (
        "<string>: line 7, column 9: a CR line ending (old Mac OS style: a carriage return "
        "with no line feed), which TOML does not accept; save the file with LF or CRLF line "
        "endings")
    # an earlier TOML error is still the one named
    with pytest.raises(SceneError) as e:
        loads(text.replace("# a two-link", "= a two-link"))
    assert str(e.value).startswith("<string>: line 1, column 1: invalid TOML: ")


def test_lf_and_crlf_scenes_load_the_same():
    lf = loads(SCENE)
    assert loads(SCENE.replace("\n", "\r\n")).to_table() == lf.to_table()
    assert lf.target.point == (0.3, 0.4)


def test_cr_only_on_the_command_line_is_one_line_and_exit_2(tmp_path):
    path = _write(tmp_path, "mac.toml", SCENE.replace("\n", "\r"))
    gif = tmp_path / "out.gif"
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(path), "--gif", str(gif)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == f"{path}: {CR_ONLY}\n"
    assert not gif.exists()
    crlf = _write(tmp_path, "dos.toml", SCENE.replace("\n", "\r\n"))
    r = subprocess.run([sys.executable, str(ROOT / "run_arm.py"), str(crlf), "--gif", str(gif)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert gif.stat().st_size > 0
