"""docs/tutorial.ipynb runs from scratch on a real kernel, headless, shows its pictures and
prints what its text says."""

import base64
import io
import os
import re
from pathlib import Path

import imageio.v3 as iio
import nbformat
import numpy as np
from nbclient import NotebookClient
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
GIF = re.compile(r'<img src="data:image/gif;base64,([A-Za-z0-9+/=]+)"')
NUM = r"([0-9.e+-]+)"


def _execute(nb, tmp_path):
    """Run ``nb`` in place on a fresh kernel, headless, on the worktree's armsim."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["SDL_VIDEODRIVER"] = "dummy"
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)                 # raises CellExecutionError on any error cell
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _stream(outputs, name="stdout"):
    return "".join(o.get("text", "") for o in outputs
                   if o.output_type == "stream" and o.get("name") == name)


def _one(pattern, text):
    found = re.findall(pattern, text, re.M)
    assert len(found) == 1, (pattern, found)
    return found[0]


def test_the_tutorial_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_the_tutorial_runs_headless_and_shows_its_pictures(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import armsim, os\n"
                                              "print(armsim.__file__)\n"
                                              "print(os.environ.get('SDL_VIDEODRIVER'))"))
    outputs = _execute(nb, tmp_path)
    assert not [o for o in outputs if o.output_type == "error"]
    assert not _stream(outputs, "stderr")                      # no warning, no traceback
    text = _stream(outputs)
    # (the kernel may send the cell's two prints as one stream output or as two)
    last = _stream(nb.cells[-1].outputs).split("\n")
    assert last[0] == str(ROOT / "armsim" / "__init__.py")     # the worktree's armsim
    assert last[1] == "dummy"
    assert not list(tmp_path.iterdir())                        # the notebook writes no file

    pngs = [base64.b64decode(o.data["image/png"]) for o in outputs
            if o.output_type in ("execute_result", "display_data") and "image/png" in o.data]
    # the chain's own picture, two renders, the answer, the side-by-side pair, the two tools
    assert len(pngs) == 5
    for data in pngs:
        img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        assert np.any(img != img[0, 0], axis=-1).sum() > 1000      # a robot, not a blank
    gifs = [GIF.search(o.data["text/html"]) for o in outputs
            if o.output_type in ("execute_result", "display_data") and "text/html" in o.data]
    gifs = [base64.b64decode(m.group(1)) for m in gifs if m]
    assert len(gifs) == 1
    assert iio.imread(gifs[0], index=None, extension=".gif").shape == (30, 360, 480, 3)

    # the Panda: a pose, a path followed closely with small joint steps
    assert "success: True" in text
    assert float(_one(r"^largest tool error on the path: " + NUM + " m$", text)) < 1e-5
    assert float(_one(r"^largest joint step between frames: " + NUM + " rad$", text)) < 0.1
    # what the cells print says the solves did what the markdown says
    residuals = dict(re.findall(r"^(target only|target \+ elbow_aside)\s+success True, elbow y "
                                r"[0-9.+-]+ m, objective residual ([0-9.e+-]+)$", text, re.M))
    assert float(residuals["target only"]) > 1e-2          # the objective has work to do
    assert float(residuals["target + elbow_aside"]) < 1e-6   # and gets it done
    pose = re.search(r"tool pose error with the objective: ([0-9.e+-]+) m, ([0-9.e+-]+) rad", text)
    assert float(pose.group(1)) < 1e-6 and float(pose.group(2)) < 1e-6
    fd = re.search(r"largest difference from finite differences: ([0-9.e+-]+)", text)
    assert float(fd.group(1)) < 1e-6
    elbow = _one(r"^d elbow y / dq by AD: \[(.*)\]$", text).split()
    assert [float(v) for v in elbow[3:]] == [0.0] * 4     # the last four joints do not move it
    # the whole robot: both tools within the default tolerance
    tools = re.search(r"success: True \| residuals: \{'left_tool': '([0-9.e+-]+)', "
                      r"'right_tool': '([0-9.e+-]+)'\}", text)
    assert tools and max(float(tools.group(1)), float(tools.group(2))) < 1e-5
