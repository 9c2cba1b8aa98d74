"""docs/tutorial.ipynb runs from scratch on a real kernel, headless, shows its pictures and
prints what its text says; a student who skips the cells tagged optional loses nothing else."""

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
    # the planar arm with its Jacobian, the obstacle pair, the Panda's own picture, two
    # renders, the side-by-side pair, the two tools
    assert len(pngs) == 7
    for data in pngs:
        img = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        assert np.any(img != img[0, 0], axis=-1).sum() > 1000      # a robot, not a blank
    gifs = [GIF.search(o.data["text/html"]) for o in outputs
            if o.output_type in ("execute_result", "display_data") and "text/html" in o.data]
    gifs = [base64.b64decode(m.group(1)) for m in gifs if m]
    assert len(gifs) == 1
    assert iio.imread(gifs[0], index=None, extension=".gif").shape == (30, 360, 480, 3)

    # the planar arm: AD is arm.jacobian exactly; central differences err by the step
    # both ways and even the best step is far from rounding
    assert float(_one(r"^largest difference from arm\.jacobian: " + NUM + "$", text)) < 1e-12
    fd = {float(h): float(e) for h, e in re.findall(
        r"^central differences, h = " + NUM + ": largest error " + NUM + "$", text, re.M)}
    assert set(fd) == {1e-1, 1e-4, 1e-6, 1e-8, 1e-12}
    assert 1e-12 < fd[1e-6] < 1e-10 and min(fd.values()) == fd[1e-6]   # about 5 digits lost
    assert fd[1e-1] > 1e-4 and fd[1e-12] > 1e-6
    # a raw gradient step: below 2 / s1^2 the error falls at every step, beyond it it grows
    runs = dict(re.findall(r"^alpha = ([0-9.]+) / s1\^2 = [0-9.]+: tip error \[m\] (.*)$",
                           text, re.M))
    falls, grows = (np.array(runs[k].split(), float) for k in ("0.5", "2.5"))
    assert len(falls) == len(grows) == 8
    assert np.all(np.diff(falls) < 0) and np.all(np.diff(grows) > 0)
    # s1^2 changes with the pose: about twice as large at q_start as near the solution
    near = float(_one(r"^squared singular values of J: \[\s*([0-9.]+)", text))
    start = float(_one(r"^s1\^2 at q_start: ([0-9.]+) m\^2", text))
    assert 1.7 < start / near < 2.5
    # the corrections on 500 targets
    table = {label.strip(): (float(ok), int(it), int(stalled)) for label, ok, it, stalled in
             re.findall(r"^((?:gradient|dls)[a-z_=. 0-9]*?)\s+solved\s+([0-9.]+)%, median "
                        r"iterations\s+(\d+), stalled\s+(\d+)$", text, re.M)}
    none, big = table["gradient correction=none"], table["gradient correction=none step_size=5.0"]
    assert none[2] == 0 and big[2] > 0 and big[0] < none[0]   # step_size 5 overshoots, stalls
    assert table["gradient correction=backtrack"][1] < none[1]
    assert table["dls"][0] == 100.0 and table["dls"][1] < table["gradient correction=backtrack"][1]
    assert len(table) == 6
    # damped least squares, the same problem; out of reach: the nearest point, said so
    iters = dict(re.findall(r"^(dls|gradient correction=\w+)\s+(\d+) iterations", text, re.M))
    assert (int(iters["dls"]) < int(iters["gradient correction=backtrack"])
            < int(iters["gradient correction=none"]))
    assert "success False, reason 'unreachable', tip [1. 0.]" in text
    # restarts: one start leaves some stalled; the defaults solve every target
    one, stalled = _one(r"^one start, 200 iterations: solved ([0-9.]+)%, stalled (\d+)", text)
    assert float(one) < 100 and int(stalled) > 0
    assert float(_one(r"^the defaults \(restarts=8\):\s+solved ([0-9.]+)%", text)) == 100.0
    # the obstacle: the plain answer collides, the objective's clears the margin (2 % of 1 m)
    clear = dict(re.findall(r"^(target only|target \+ obstacle)\s+success True, residual "
                            r"[0-9.e+-]+ m, clearance ([0-9.+-]+) m$", text, re.M))
    assert float(clear["target only"]) < 0 and float(clear["target + obstacle"]) >= 0.02
    assert float(_one(r"^obstacle Jacobian, largest difference from finite differences: "
                      + NUM + "$", text)) < 1e-8

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


def test_the_optional_cells_can_be_skipped(tmp_path):
    """The cells tagged optional only draw or check: the rest runs without them (a picture
    cell once gave a later one the armsim.view it needed) and prints the same."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    optional = [c for c in nb.cells if "optional" in c.metadata.get("tags", [])]
    assert len(optional) >= 5
    kept = nbformat.read(NOTEBOOK, as_version=4)
    kept.cells = [c for c in kept.cells if "optional" not in c.metadata.get("tags", [])]
    _execute(kept, tmp_path)
    full = nbformat.read(NOTEBOOK, as_version=4)
    _execute(full, tmp_path)
    by_id = {c.id: _stream(c.outputs) for c in full.cells if c.cell_type == "code"}
    for cell in kept.cells:
        if cell.cell_type == "code":
            assert _stream(cell.outputs) == by_id[cell.id], cell.id
