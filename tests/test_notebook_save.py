"""Animation.save("-") in a Jupyter kernel: standard output there is not the notebook
(ipykernel forwards it as text, the GIF's bytes mangled into 1,000 characters of
replacement marks under the cell, and copies them to the server's terminal), so it is
refused in one line naming what to do instead; outside a kernel "-" is standard output,
as the CLI's --gif takes it."""

import os
import sys
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import armsim
from armsim.view import notebook

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFUSED = ("cannot save the animation to {} in a Jupyter kernel: that is the kernel's "
           "standard output, not the notebook; show it (a cell's last value, or "
           "IPython.display.display(anim)) or save it to a file ending in .gif")


@pytest.fixture(scope="module")
def anim():
    return armsim.animate(armsim.Chain([0.4, 0.3]), np.zeros((2, 2)), size=(32, 24))


def shell(monkeypatch, kernel):
    """IPython as a kernel's shell (what ipykernel's shell has: a ``kernel``) or as a
    terminal's (none)."""
    session = SimpleNamespace(kernel=object()) if kernel else SimpleNamespace()
    monkeypatch.setitem(sys.modules, "IPython", SimpleNamespace(get_ipython=lambda: session))


@pytest.mark.parametrize("name", ["-", "/dev/stdout"])
def test_standard_output_is_refused_in_a_kernel(anim, monkeypatch, capfdbinary, name):
    shell(monkeypatch, kernel=True)
    assert notebook.in_kernel()
    with pytest.raises(ValueError) as info:
        anim.save(name)
    assert str(info.value) == REFUSED.format(repr(name))
    assert capfdbinary.readouterr().out == b""          # not a byte written


def test_a_file_is_saved_in_a_kernel(anim, monkeypatch, tmp_path):
    shell(monkeypatch, kernel=True)
    assert anim.save(tmp_path / "a.gif") == tmp_path / "a.gif"
    assert (tmp_path / "a.gif").read_bytes() == anim.data


@pytest.mark.parametrize("ipython", ["terminal", None])
def test_outside_a_kernel_dash_is_standard_output(anim, monkeypatch, capfdbinary, ipython):
    if ipython:
        shell(monkeypatch, kernel=False)
    else:
        monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert not notebook.in_kernel()
    assert str(anim.save("-")) == "-"
    assert capfdbinary.readouterr().out == anim.data


def test_a_real_kernel_refuses_it_under_the_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import armsim, numpy as np\n"
        "anim = armsim.animate(armsim.Chain([0.4, 0.3]), np.zeros((2, 2)), size=(32, 24))\n"
        "anim.save('-')")]
    # as Jupyter starts a kernel (under pytest ipykernel leaves standard output alone)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(SDL_VIDEODRIVER="dummy",
               PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""))
    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)
    out = nb.cells[0].outputs
    errors = [o for o in out if o.output_type == "error"]
    assert [(o.ename, o.evalue) for o in errors] == [("ValueError", REFUSED.format("'-'"))]
    assert not [o for o in out if o.output_type == "stream"]      # no GIF as text
