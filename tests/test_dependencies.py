"""Every dependency a user installs with armsim (and with its test extra) imports: a broken
install fails here by name instead of skipping the tests that need it."""

import importlib
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
#: distribution name -> the module it installs, where they differ
MODULES = {"pillow": "PIL", "tomli-w": "tomli_w", "dask[distributed]": "distributed",
           "pycollada": "collada", "opencv-python-headless": "cv2", "pytest-xdist": "xdist"}


def _module(requirement):
    name = re.split(r"[<>=!~ ;]", requirement, maxsplit=1)[0].strip().lower()
    return MODULES.get(name, name.replace("-", "_"))


@pytest.mark.parametrize("requirement", PROJECT["dependencies"]
                         + PROJECT["optional-dependencies"]["test"])
def test_a_required_dependency_imports(requirement):
    importlib.import_module(_module(requirement))


def test_no_test_skips_a_required_dependency():
    """``importorskip`` is for optional extras only (plot, dask, bench peers)."""
    required = {_module(r) for r in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]}
    for path in sorted((ROOT / "tests").glob("*.py")):
        for name in re.findall(r"importorskip\(\s*[\"']([\w.]+)[\"']", path.read_text()):
            assert name.split(".")[0] not in required, f"{path.name}: importorskip({name!r})"
