"""Ctrl-C while run_arm.py is still importing armsim (its first few tenths of a second) ends
as a later one does, "armsim: interrupted" and status 130, not a KeyboardInterrupt
traceback through importlib (helper 112's report).  The interrupt is raised inside the
import itself (a signal's timing would also land in Python's own start-up, before
run_arm.py runs, where no script can catch it)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import builtins, runpy, sys
real = builtins.__import__
def interrupted(name, *args, **kwargs):
    if name == "armsim.cli":
        raise KeyboardInterrupt
    return real(name, *args, **kwargs)
builtins.__import__ = interrupted
sys.argv = [sys.argv[1], "--gif", "x.gif"]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_an_interrupt_while_armsim_imports_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "run_arm.py")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 130, r.stderr
    assert r.stderr == "armsim: interrupted\n"
    assert list(tmp_path.iterdir()) == []
