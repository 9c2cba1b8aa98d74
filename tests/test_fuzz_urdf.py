"""Fuzzing the robot models (issue 22): random URDF documents, DH tables and special paths.

Every example either loads a chain whose pose and Jacobian are finite at a few joint
vectors, or raises exactly one ValueError line naming the file (the DH table, the arm);
never another exception, never a warning, each within the hypothesis deadline.  The URDF
documents are random link graphs (trees, cycles, missing and duplicated links, a link the
child of two joints) with every joint type (mimic, floating and planar too) and numbers
from ordinary to extreme (0, +-1e-300, +-1e308, inf, nan, huge limits).  One command-line
run per hostile file is made in a child process under an address-space limit.
"""

import math
import os
import subprocess
import sys
import textwrap
import warnings
from datetime import timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pytest

import hypothesis  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import armsim  # noqa: E402
from armsim.kinematics import validate  # noqa: E402
from armsim.kinematics.spatial import SpatialChain  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

NUMBERS = [0.0, -0.0, 0.3, -0.25, 1.0, 0.001, 1e-7, 1e-300, -1e-300, 5e-324, 1e3, -1e3, 1000.5,
           1e6, -1e6, 1e7, 1e308, -1e308, math.inf, -math.inf, math.nan, 3.14159, -6.3]
WORDS = ["", "x", "1e999", "0x10", "1_0", "--1"]
TYPES = ["revolute", "continuous", "prismatic", "fixed", "floating", "planar", "weird", None]
NAMES = ["a", "b", "c", "d", "e", "base", "tool", "link 1", "ü", "x" * 90, ""]


def _num(x):
    return x if isinstance(x, str) else repr(float(x))


numbers = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(NUMBERS), st.sampled_from(WORDS),
                    st.floats(-2.0, 2.0))
_three = st.lists(numbers, min_size=3, max_size=3).map(lambda v: " ".join(map(_num, v)))
triples = st.one_of(_three, _three, _three,
                    st.lists(numbers, min_size=0, max_size=4).map(lambda v: " ".join(map(_num, v))),
                    st.sampled_from(["0 0 1", "1 0 0", "0.1 0.2 0", "0 0 0"]))


MUTATIONS = ["xyz", "rpy", "axis", "limits", "type", "mimic", "no parent", "no child", "parent",
             "extra joint", "detached cycle", "same link name", "same joint name", "link name"]


@st.composite
def urdf_documents(draw):
    """A URDF text and a base and tip (each None or a link's name): a random tree of links,
    then 0-3 mutations (an extreme number, another joint type, a missing or redirected
    parent, an extra joint, a cycle beside the arm, a duplicated name)."""
    n = draw(st.integers(1, 8))
    links = [f"l{i}" for i in range(n)]
    joints = []
    for i in range(1, n):
        kind = draw(st.sampled_from(["revolute", "revolute", "continuous", "prismatic", "fixed"]))
        joints.append({"name": f"j{i}", "type": kind, "parent": links[draw(st.integers(0, i - 1))],
                       "child": links[i], "xyz": draw(st.sampled_from(["0 0 0.2", "0.3 0 0", "0 0 0"])),
                       "rpy": draw(st.sampled_from(["0 0 0", "1.57 0 0", "0 -0.5 3"])),
                       "axis": draw(st.sampled_from(["0 0 1", "1 0 0", "0 1 1", None])),
                       "limit": (-1.0, 1.0), "mimic": False})
    for m in range(draw(st.integers(0, 3))):
        what = draw(st.sampled_from(MUTATIONS))
        j = joints[draw(st.integers(0, len(joints) - 1))] if joints else None
        if what in ("xyz", "rpy", "axis") and j:
            j[what] = draw(triples)
        elif what == "limits" and j:
            j["limit"] = None if not draw(st.integers(0, 4)) else (draw(numbers), draw(numbers))
        elif what == "type" and j:
            j["type"] = draw(st.sampled_from(TYPES))
        elif what == "mimic" and j:
            j["mimic"] = True
        elif what in ("no parent", "no child") and j:
            j[what[3:]] = None
        elif what == "parent" and j:
            j["parent"] = draw(st.sampled_from(links + ["ghost"]))
        elif what == "extra joint":
            joints.append({"name": f"x{len(joints)}", "type": draw(st.sampled_from(TYPES[:4])),
                           "parent": draw(st.sampled_from(links)), "xyz": "0.1 0 0", "rpy": "0 0 0",
                           "child": draw(st.sampled_from(links + ["ghost"])), "axis": "0 0 1",
                           "limit": (-1.0, 1.0), "mimic": False})
        elif what == "detached cycle":
            k = draw(st.integers(1, 3))
            ring = [f"c{m}.{i}" for i in range(k)]
            links += ring
            joints += [{"name": f"k{m}.{i}", "type": "fixed", "parent": ring[i], "child": ring[(i + 1) % k],
                        "xyz": "0 0 0.1", "rpy": "0 0 0", "axis": None, "limit": None,
                        "mimic": False} for i in range(k)]
        elif what == "same link name":
            links.append(draw(st.sampled_from(links)))
        elif what == "same joint name" and len(joints) > 1:
            joints[-1]["name"] = joints[0]["name"]
        elif what == "link name":
            i = draw(st.integers(0, len(links) - 1))
            old, links[i] = links[i], draw(st.sampled_from(NAMES))
            for jj in joints:
                for end in ("parent", "child"):
                    if jj[end] == old:
                        jj[end] = links[i]
    text = ("<?xml version='1.0'?><robot name='fuzz'>"
            + "".join(f"<link name={quoteattr(lk)}/>" for lk in links)
            + "".join(_joint_xml(j) for j in joints) + "</robot>")
    base = draw(st.one_of(st.none(), st.none(), st.sampled_from(links + ["ghost"])))
    tip = draw(st.one_of(st.none(), st.none(), st.sampled_from(links + ["ghost"])))
    return text, base, tip


PLAIN = st.sampled_from(["0 0 0.2", "0.3 0 0", "0 0 0", "0.1 -0.2 0.05"])


@st.composite
def chain_documents(draw):
    """A line of 1-6 joints, all on the arm, one of them (or none) with its type and every
    number drawn from ordinary and extreme ones: the URDF text."""
    n = draw(st.integers(1, 6))
    wild = draw(st.integers(0, n))          # the one joint with drawn numbers (n: none)
    joints = []
    for i in range(n):
        joints.append({"name": f"j{i}", "type": draw(st.sampled_from(TYPES[:4])), "parent": f"l{i}",
                       "child": f"l{i + 1}", "xyz": draw(PLAIN), "rpy": "0 0.5 0", "axis": "0 0 1",
                       "limit": (-1.0, 1.0), "mimic": False})
        if i != wild:
            continue
        limit = (draw(numbers), draw(numbers)) if draw(st.booleans()) else (-1.0, 1.0)
        joints[-1].update({"type": draw(st.sampled_from(TYPES[:4] * 4 + TYPES)),
                           "xyz": draw(st.one_of(PLAIN, triples)), "rpy": draw(st.one_of(PLAIN, triples)),
                           "mimic": draw(st.integers(0, 9)) == 9, "axis": draw(st.one_of(st.none(), triples)),
                           "limit": None if draw(st.integers(0, 9)) == 9 else limit})
    return ("<?xml version='1.0'?><robot name='fuzz'>"
            + "".join(f"<link name='l{i}'/>" for i in range(n + 1))
            + "".join(_joint_xml(j) for j in joints) + "</robot>")


def _joint_xml(j):
    parts = [f"<{end} link={quoteattr(j[end])}/>" for end in ("parent", "child") if j[end] is not None]
    parts.append(f"<origin xyz={quoteattr(j['xyz'])} rpy={quoteattr(j['rpy'])}/>")
    if j["axis"] is not None:
        parts.append(f"<axis xyz={quoteattr(j['axis'])}/>")
    if j["limit"] is not None:
        lo, hi = j["limit"]
        parts.append(f"<limit lower={quoteattr(_num(lo))} upper={quoteattr(_num(hi))} effort='1' "
                     f"velocity='1'/>")
    if j["mimic"]:
        parts.append("<mimic joint='j1'/>")
    kind = "" if j["type"] is None else f" type={quoteattr(j['type'])}"
    return f"<joint name={quoteattr(j['name'])}{kind}>{''.join(parts)}</joint>"


def _finite(x):
    return bool(np.all(np.isfinite(np.asarray(x, dtype=float))))


def check_chain(chain):
    """The pose and the Jacobian are finite at zero, at the limits' middles and at random
    joint vectors within the limits."""
    lo = np.where(np.isfinite(chain.limits[:, 0]), chain.limits[:, 0], -np.pi)
    hi = np.where(np.isfinite(chain.limits[:, 1]), chain.limits[:, 1], np.pi)
    qs = np.vstack([np.zeros(chain.n), 0.5 * (lo + hi), lo, hi,
                    np.random.default_rng(0).uniform(lo, hi, (4, chain.n))])
    R, p = chain.pose(qs)
    assert _finite(R) and _finite(p)
    assert _finite(chain.jacobian(qs)) and _finite(chain.jacobian(qs[0]))
    assert 1e-3 <= chain.reach <= 1e3 and chain.n <= validate.MAX_CHAIN_JOINTS


def one_line(exc, start):
    msg = str(exc)
    assert type(exc) is ValueError, repr(exc)
    assert "\n" not in msg and msg.startswith(start) and len(msg) < 600, msg


FUZZ = settings(max_examples=250, deadline=timedelta(seconds=2), derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def check_urdf(tmp_path, text, base=None, tip=None):
    path = tmp_path / "fuzz.urdf"
    path.write_text(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # a numpy warning fails the example
        try:
            chain = armsim.load_urdf(path, base=base, tip=tip)
        except ValueError as exc:
            one_line(exc, f"{path}: ")
            return
        check_chain(chain)


@FUZZ
@given(doc=urdf_documents())
def test_random_urdf_documents(tmp_path, doc):
    check_urdf(tmp_path, *doc)


@FUZZ
@given(text=chain_documents())
def test_random_numbers_on_a_chain(tmp_path, text):
    check_urdf(tmp_path, text)


@st.composite
def dh_arguments(draw):
    """A DH table of 0-6 rows (ordinary rows, one row with drawn numbers or none), its
    convention, types, limits (mostly one per row) and tool."""
    n = draw(st.integers(0, 6))
    table = [[draw(st.sampled_from([0.0, 0.3, -0.2])), draw(st.sampled_from([0.0, 1.57, -1.57])),
              draw(st.sampled_from([0.0, 0.1, 0.333])), 0.0] for _ in range(n)]
    wild = draw(st.integers(0, n))
    if wild < n:
        table[wild] = [draw(st.sampled_from(NUMBERS)) for _ in range(4)]
    sizes = st.one_of(st.just(n), st.integers(0, 7))
    types = draw(st.one_of(st.none(), sizes.flatmap(
        lambda k: st.lists(st.sampled_from(TYPES[:3] * 3 + ["fixed"]), min_size=k, max_size=k))))
    pair = st.one_of(st.just((-1.0, 1.0)), st.tuples(st.sampled_from(NUMBERS), st.sampled_from(NUMBERS)))
    limits = draw(st.one_of(st.none(), sizes.flatmap(lambda k: st.lists(pair, min_size=k, max_size=k))))
    tool = draw(st.sampled_from([None, np.eye(4), np.diag([1.0, 1.0, 1.0, 2.0]), [[1, 0, 0, 1e308]] * 4,
                                 np.array([[0, -1, 0, 0.1], [1, 0, 0, 0], [0, 0, 1, 0.05], [0, 0, 0, 1]])]))
    convention = draw(st.sampled_from(["standard", "modified", "craig"]))
    return table, convention, types, limits, tool


@FUZZ
@given(args=dh_arguments())
def test_random_dh_tables(args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            chain = SpatialChain.from_dh(*args)
        except ValueError as exc:
            one_line(exc, "")
            return
        check_chain(chain)


SPECIAL = {
    "fifo": (lambda d: os.mkfifo(d / "p.urdf") or d / "p.urdf",
             "cannot read the file: it is a pipe (FIFO), not a regular file"),
    "folder": (lambda d: d, "cannot read the file: it is a directory, not a regular file"),
    "dev null": (lambda d: Path("/dev/null"),
                 "cannot read the file: it is a character device, not a regular file"),
    "dangling link": (lambda d: (d / "l.urdf").symlink_to(d / "none") or d / "l.urdf",
                      "no such file (a symbolic link to '{d}/none', which does not exist)"),
    "link to a folder": (lambda d: (d / "f.urdf").symlink_to(d) or d / "f.urdf",
                         "cannot read the file: it is a directory, not a regular file"),
    "empty": (lambda d: (d / "e.urdf").write_text("") or d / "e.urdf",
              "not well-formed XML: Document is empty, line 1, column 1"),
}


@pytest.mark.parametrize("kind", sorted(SPECIAL))
def test_special_paths(tmp_path, kind):
    make, line = SPECIAL[kind]
    path = make(tmp_path)
    with pytest.raises(ValueError) as err:
        armsim.load_urdf(path)
    assert str(err.value) == f"{path}: {line.format(d=tmp_path)}"


LOOP = ("<robot name='r'><link name='a'/><link name='b'/><link name='c1'/><link name='c2'/>"
        "<joint name='j' type='revolute'><parent link='a'/><child link='b'/><origin xyz='0 0 0.3'/>"
        "<limit lower='-1' upper='1'/></joint>"
        "<joint name='k1' type='fixed'><parent link='c1'/><child link='c2'/></joint>"
        "<joint name='k2' type='fixed'><parent link='c2'/><child link='c1'/></joint></robot>")


@pytest.mark.parametrize("kind, tip, message", [   # the scene shortens the path in the middle
    ("loop", "c2", "the links form a cycle: 'c1' -> 'c2' -> 'c1' (joints 'k1', 'k2'); a URDF "
                   "must be one tree\n"),
    ("huge", None, "URDF file too large: more than 16777216 bytes (16 MiB)\n"),
])
def test_cli_on_a_hostile_urdf_exits_2_in_bounded_memory(tmp_path, kind, tip, message):
    path = tmp_path / "bad.urdf"
    if kind == "loop":
        path.write_text(LOOP)
    else:
        with open(path, "w") as f:
            f.write(LOOP[:-8] + " " * (validate.MAX_URDF_BYTES + 10) + "</robot>")
    scene = tmp_path / "s.toml"
    scene.write_text("[arm]\nurdf = 'bad.urdf'\n" + (f"tip_link = '{tip}'\n" if tip else "")
                     + "[target]\nkind = 'fixed'\npoint = [0.3, 0.1, 0.4]\n")
    code = textwrap.dedent("""
        import resource, sys
        import armsim.cli, armsim.kinematics.urdf, armsim.scene, yourdfpy, lxml.etree
        vm = int(open('/proc/self/status').read().split('VmSize:')[1].split()[0]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + 200 * 2**20, vm + 200 * 2**20))
        sys.exit(armsim.cli.main(sys.argv[1:]))
    """)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               SDL_VIDEODRIVER="dummy", PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code, str(scene), "--gif", str(tmp_path / "o.gif")],
                         capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith(f"{scene}: arm.urdf: ") and out.stderr.endswith(message)
    assert not (tmp_path / "o.gif").exists()
