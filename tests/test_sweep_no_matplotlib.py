"""Without matplotlib, `armsim sweep --plot` fails in one line before running anything."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CODE = """
import sys
sys.modules['matplotlib'] = None          # as if it were not installed
from armsim.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_plot_without_matplotlib_is_a_one_line_error_and_writes_nothing(tmp_path):
    scene = ROOT / "scenes" / "calibrate-stereo-lm.toml"
    r = subprocess.run([sys.executable, "-c", CODE, "sweep", str(scene), "--vary", "segments=1:2",
                        "--seeds", "1", "--csv", "o.csv", "--plot", "o.png"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert r.returncode == 2
    assert r.stderr == ("armsim sweep: error: argument --plot: plotting needs matplotlib "
                        "(pip install 'armsim[plot]')\n")
    assert not any(tmp_path.iterdir())
