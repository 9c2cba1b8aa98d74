"""The package layout: imports point down, no cycles, only the view imports pygame."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "armsim"

# each room and the rooms it may import (besides itself)
ALLOWED = {
    "files": set(),
    "ranges": set(),            # the accepted ranges shared by the scene, view and API
    "ad": set(),
    "kinematics": {"ad", "files"},
    "ik": {"ad", "kinematics"},
    "vision": {"ad", "kinematics", "files", "ranges"},
    "scene": {"ad", "kinematics", "ik", "vision", "files", "ranges"},
    "view": {"ad", "kinematics", "ik", "vision", "scene", "files", "ranges"},
    "commands": {"ad", "kinematics", "ik", "vision", "scene", "view", "files", "cli", "ranges"},
    "cli": {"ad", "kinematics", "ik", "vision", "scene", "view", "files", "commands", "ranges"},
    "__main__": {"cli"},
    # the package imports the view only inside functions, on first use (armsim.render,
    # armsim.animate, a chain's _repr_png_), so ``import armsim`` still loads no pygame
    # (test_importing_the_maths_loads_no_pygame, test_render_api.py)
    "__init__": {"ad", "kinematics", "ik", "view"},
}
MATHS = ("ad", "kinematics", "ik", "vision", "scene", "files", "ranges")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _room(module):
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def _imports(name, path, top_level_only=False):
    """Absolute names of the armsim modules (and pygame) that ``path`` imports."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    out = set()
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_pkg else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}
    return {m for m in out if m == "pygame" or m.startswith("pygame.") or m == "armsim"
            or m.startswith("armsim.")}


MODULES = dict(_modules())


def test_every_room_is_a_known_package():
    rooms = {_room(m) for m in MODULES}
    assert rooms <= set(ALLOWED), rooms - set(ALLOWED)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down(module):
    room = _room(module)
    for imported in _imports(module, MODULES[module]):
        if imported.startswith("pygame"):
            continue
        parts = imported.split(".")
        if len(parts) < 2 or f"armsim.{parts[1]}" not in MODULES:
            continue           # a name from a package, e.g. armsim.Chain
        target = parts[1]
        assert target == room or target in ALLOWED[room], \
            f"{module} imports {imported}: {room} may import only {sorted(ALLOWED[room])}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _room(m) in MATHS))
def test_maths_and_scenes_never_import_pygame(module):
    assert not any(i.startswith("pygame") for i in _imports(module, MODULES[module]))


def test_no_import_cycles_at_import_time():
    graph = {}
    for module, path in MODULES.items():
        deps = set()
        for imported in _imports(module, path, top_level_only=True):
            while imported and imported not in MODULES:
                imported = imported.rpartition(".")[0]
            if imported and imported != module:
                deps.add(imported)
        graph[module] = deps
    # a package imports its own modules in __init__; importing a module first imports its
    # package, so edges from a module to its own package are the usual way in, not a cycle
    for module in graph:
        graph[module] = {d for d in graph[module] if not module.startswith(d + ".")}
    seen, stack, cycles = set(), [], []

    def visit(m):
        if m in stack:
            cycles.append(stack[stack.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        stack.append(m)
        for d in sorted(graph[m]):
            visit(d)
        stack.pop()

    for m in sorted(graph):
        visit(m)
    assert cycles == []


def test_importing_the_maths_loads_no_pygame():
    code = ("import sys\nimport armsim, armsim.ad, armsim.kinematics, armsim.ik, armsim.vision, "
            "armsim.scene, armsim.files\nprint('pygame' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_largest_module_stays_readable():
    sizes = {m: len(p.read_text().splitlines()) for m, p in MODULES.items()}
    biggest = max(sizes, key=sizes.get)
    assert sizes[biggest] <= 700, f"{biggest} has {sizes[biggest]} lines"


def test_python_dash_m_armsim_is_the_command():
    out = subprocess.run([sys.executable, "-m", "armsim", "ops", "--segments", "2"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "forward" in out.stdout
    cli = subprocess.run([sys.executable, "-m", "armsim.cli", "ops", "--segments", "2"],
                         capture_output=True, text=True, cwd=ROOT)
    assert cli.returncode == 0 and cli.stdout == out.stdout
    schema = subprocess.run([sys.executable, "-m", "armsim", "schema"], capture_output=True,
                            text=True, cwd=ROOT)
    assert schema.returncode == 0 and '"title": "armsim scene"' in schema.stdout
