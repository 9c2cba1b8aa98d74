"""Operation counts: the slide's 13 and 7, growth with the arm, the command line."""

import json

import numpy as np
import pytest

from armsim.ad import dual as ad
from armsim.ad.opcount import count_forward, slide_counts
from armsim.commands.ops import arm_counts, ops_main


def test_slide_counts_13_forward_7_reverse():
    s = slide_counts()
    assert (s["forward"].mul, s["forward"].add) == (13, 0)
    assert (s["reverse"].mul, s["reverse"].add) == (7, 0)
    assert s["forward"].primal == s["reverse"].primal == 5
    assert s["agree"]


def test_hand_counts_of_single_rules():
    x = ad.Dual(np.array([1.0, 2.0]), np.array([[1.0, 0.0], [1.0, 1.0]]))
    y = ad.Dual(np.array([3.0, 4.0]), np.array([[0.0, 1.0], [1.0, 0.0]]))
    _, c = count_forward(lambda a, b: a * b, [x, y])          # 3 + 2 products, 1 overlap
    assert (c.primal, c.mul, c.add) == (2, 5, 1)
    _, c = count_forward(lambda a: ad.sin(a) + 1.0, [x])       # 3 products, constant add free
    assert (c.primal, c.mul, c.add) == (4, 3, 0)
    _, c = count_forward(lambda a: ad.sum(a), [x])             # direction 0 merges once
    assert (c.primal, c.mul, c.add) == (1, 0, 1)
    _, c = count_forward(lambda a, b: a * b, [x, y], convention="dense")
    assert (c.mul, c.add) == (8, 4)
    with pytest.raises(ValueError, match="unknown convention 'all'; choose one of nonzero, dense"):
        count_forward(lambda a: a, [x], convention="all")


def test_arm_forward_grows_like_n_k_and_reverse_like_n():
    rows = [arm_counts(n, ("angles", "lengths"), convention="dense") for n in (10, 20, 40)]
    for r in rows:
        assert r["max_diff"] < 1e-12
    fwd = [r["forward"].derivative / (r["n"] * r["k"]) for r in rows]
    rev = [r["reverse"].derivative / r["n"] for r in rows]
    assert max(fwd) / min(fwd) < 1.1          # forward / (N K) constant
    assert max(rev) / min(rev) < 1.1          # reverse / N constant
    assert rows[-1]["forward"].derivative > 50 * rows[-1]["reverse"].derivative


def test_arm_counts_of_lengths_alone_are_those_of_a_bent_arm():
    # the unseeded angles were zeros: a straight arm, sin = 0, so the y row's tangent was
    # exactly zero and the nonzero convention counted 3N multiplies and no add. Hand count
    # at a bent pose, K = N lengths (one tangent entry per step): forward l c and l s N
    # each, the square 2N, the sum of the two rows N adds; reverse the square 2, l c and
    # l s N each, the lengths' two adjoints added N times
    for n in (1, 3, 10):
        r = arm_counts(n, ("lengths",))
        assert (r["forward"].mul, r["forward"].add) == (4 * n, n)
        assert (r["reverse"].mul, r["reverse"].add) == (2 * n + 2, n)
        assert r["max_diff"] < 1e-12


def test_ops_command_prints_table_and_json(capsys):
    assert ops_main(["--segments", "3", "10"]) == 0
    out = capsys.readouterr().out
    assert "forward       5    13     0     13" in out
    assert "reverse       5     7     0      7" in out
    assert ops_main(["--segments", "4", "--json", "--wrt", "angles", "base"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["slide"]["forward"]["derivative"] == 13
    assert data["arm"][0]["k"] == 6 and data["arm"][0]["segments"] == 4


@pytest.mark.parametrize("argv, msg", [
    (["--convention", "sparse"], "unknown convention 'sparse'; choose one of nonzero, dense"),
    (["--wrt", "angle"], "unknown parameter group 'angle'; choose one of angles, lengths, base"),
    # a group twice was counted twice (K = 20 for N = 10)
    (["--wrt", "angles", "angles"], "wrt: each parameter group at most once, got angles angles"),
    (["--segments", "0"], "argument --segments: at least 1 segment, got 0"),   # (as the top)
    (["--segments", "x"], "argument --segments: invalid int value: 'x'"),
    # issue 9 item 12: refused up front instead of a MemoryError traceback
    (["--segments", "100000"], "argument --segments: at most 2000 segments (the count takes "
                               "memory growing as N^2: about 0.9 GB at 2000), got 100000"),
    (["--segments", "3", "2001"], "argument --segments: at most 2000 segments (the count takes "
                                  "memory growing as N^2: about 0.9 GB at 2000), got 2001"),
])
def test_ops_command_rejects_bad_options(argv, msg, capsys):
    with pytest.raises(SystemExit) as e:
        ops_main(argv)
    assert e.value.code == 2
    captured = capsys.readouterr()
    assert captured.err == f"armsim ops: error: {msg}\n" and captured.out == ""


def test_ops_refuses_up_front_a_count_that_does_not_fit_this_machine(monkeypatch, capsys):
    # the only refusal was N > 2000 whatever K and the memory: under ulimit -v 800000,
    # --segments 2000 --wrt angles lengths base (0.86 GB) was a MemoryError traceback
    from armsim.kinematics import planar
    monkeypatch.setattr(planar, "memory_budget", lambda: 100 << 20)
    with pytest.raises(SystemExit) as e:
        ops_main(["--segments", "5", "1000", "--wrt", "angles", "lengths"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err == ("armsim ops: error: argument --segments: counting N = 1000 with K = 2000 "
                   "would need about 214 MiB of memory, more than the 100 MiB allowed (0.5 of "
                   "the memory this process may use); count fewer segments\n")
    assert ops_main(["--segments", "300", "--wrt", "angles", "lengths", "--json"]) == 0


def test_ops_huge_segments_via_the_command_line_is_one_line_and_fast():
    import subprocess
    import sys
    import time
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    t = time.perf_counter()
    r = subprocess.run([sys.executable, str(root / "run_arm.py"), "ops", "--segments", "100000"],
                       capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - t < 30
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "at most 2000 segments" in r.stderr


def test_ops_states_which_forward_pass_it_counts(capsys):
    """Issue 11: Chain.jacobian runs the structured pass; `armsim ops` says it counts the
    dense one, and a counted Chain.jacobian does run the dense pass (the hook sees K = N)."""
    import json

    import numpy as np

    from armsim import Chain
    from armsim.ad import dual as ad
    from armsim.ad.opcount import counting
    from armsim.commands.ops import FORWARD_PASS, ops_main
    assert ops_main(["--segments", "3"]) == 0
    out = capsys.readouterr().out
    assert FORWARD_PASS in out.splitlines()
    assert ops_main(["--segments", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forward_pass"] == FORWARD_PASS
    c = Chain([0.5, 0.3, 0.2])
    q = np.array([0.1, -0.4, 0.7])
    ks = []
    with ad.hooked(lambda name, value, tangent, inputs, params: ks.append(tangent.shape[-1])
                   or tangent):
        dense = c.jacobian(q)
    assert ks and set(ks) == {3}
    np.testing.assert_allclose(dense, c.jacobian(q), rtol=0, atol=1e-15)
    with counting() as counted:
        c.jacobian(q)
    assert counted.derivative > 0


def test_reverse_counts_no_add_where_stack_or_concatenate_only_pick_entries():
    # the un-broadcast rule counted node size - adjoint size for every "move": stack's and
    # concatenate's picks were adds (N = 1: 5 where the sweep adds once, cos and sin into
    # theta), and the reversed cumsum of [0, ..., 0, g] one add of nothing
    from armsim.ad import reverse as rv
    from armsim.ad.opcount import count_reverse
    assert [(r["reverse"].mul, r["reverse"].add) for r in map(arm_counts, (1, 10))] == \
        [(6, 1), (42, 19)]                   # N cos/sin adds, N - 1 of the angles' cumsum
    v = rv.Var(np.array([1.0, 2.0, 3.0]))
    _, c = count_reverse(lambda x: ad.sum(ad.stack([x, x[0]]) ** 2), [v])   # x[0] broadcast
    assert c.add == 2 + 1                     # x[0]'s 3 entries summed, x[0] into x
    _, c = count_reverse(lambda x: ad.sum(ad.concatenate([x, x[:1]]) ** 2), [v])
    assert c.add == 1
    _, c = count_reverse(lambda x: ad.cumsum(x)[-1], [v])        # [0, 0, 1]: nothing added
    assert c.add == 0
    _, c = count_reverse(lambda x: ad.sum(ad.cumsum(x.reshape(3, 1), axis=0)), [v])
    assert c.add == 2


def test_hand_counts_of_a_small_function_both_modes_both_conventions():
    """f(x) = sum(sin(x) * x) + sum(A @ x) + sum(cumsum(x) * x), x of 3, K = 3, by hand.

    nonzero, forward: sin 3 mul; sin(x) * x 3 + 3 mul and 3 adds (both rows hold e_i), its
    sum no add (disjoint rows); A @ x 2 x 3 products (one entry per row of x), the sum of
    its 2 rows 3 adds; cumsum(x) no add (e_0 + e_1 ... never overlap), cumsum(x) * x
    6 + 3 mul and 3 adds on the diagonal, its sum (rows of 1, 2, 3 entries) 2 + 1 adds; the
    two adds of the three scalars (3 entries each, none zero at this x) 3 + 3.
    dense: every entry of the 3-wide tangents: sin 9, the products 18 mul and 9 adds each,
    A @ x 18 mul and 12 adds, the sums 6, 3 and 6 adds, cumsum 6 adds, the scalars 3 + 3.
    reverse: sin(x) * x and cumsum(x) * x 3 + 3 mul each, sin 3, A^T g 3 x 2 mul and 3 adds,
    the reversed cumsum of 3 non-zero adjoints 2 adds, x's adjoint from 5 uses 4 x 3 adds.
    """
    from armsim.ad import reverse as rv
    from armsim.ad.opcount import count_reverse
    A = np.array([[1.0, -2.0, 0.5], [0.3, 4.0, -1.0]])

    def f(v):
        return ad.sum(ad.sin(v) * v) + ad.sum(ad.matmul(A, v)) + ad.sum(ad.cumsum(v) * v)

    x = np.array([0.3, -0.5, 0.9])
    _, fw = count_forward(f, [ad.Dual.variables(x)])
    assert (fw.mul, fw.add) == (3 + 6 + 6 + 9, 3 + 3 + 3 + 3 + 3 + 3)
    assert fw.primal == (3 + 3 + 2) + (2 * 5 + 1) + (2 + 3 + 2) + 2
    _, fd = count_forward(f, [ad.Dual.variables(x)], convention="dense")
    assert (fd.mul, fd.add) == (9 + 18 + 18 + 18, 9 + 6 + 12 + 3 + 6 + 9 + 6 + 3 + 3)
    assert fd.primal == fw.primal
    for convention in ("nonzero", "dense"):      # no adjoint entry is zero here
        _, rc = count_reverse(f, [rv.Var(x)], convention=convention)
        assert (rc.mul, rc.add) == (6 + 6 + 3 + 6, 3 + 2 + 12)


def test_arm_counts_do_not_depend_on_the_blas_kernel_or_the_pose():
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    argv = [sys.executable, str(root / "run_arm.py"), "ops", "--segments", "3", "40", "--json",
            "--wrt", "angles", "lengths", "base"]
    runs = []
    for kernel in ("", "Haswell"):
        env = dict(os.environ, OPENBLAS_CORETYPE=kernel)
        data = json.loads(subprocess.run(argv, capture_output=True, text=True, env=env,
                                         check=True, timeout=120).stdout)
        runs.append([(r["forward"], r["reverse"]) for r in data["arm"]] + [data["slide"]])
    assert runs[0] == runs[1]
    counts = {(r["forward"].derivative, r["reverse"].derivative)
              for r in (arm_counts(12, ("angles", "lengths"), seed=s) for s in range(4))}
    assert len(counts) == 1


def test_ops_limit_is_per_wrt_choice(capsys):
    """--wrt base alone seeds K = 2 whatever N: its count takes memory growing as N (about
    113 bytes a segment, peak RSS), not N^2, so N = 2001 runs; a choice that seeds angles or
    lengths (K ~ N) is still refused above 2000 with the N^2 line."""
    assert ops_main(["--segments", "2001", "--wrt", "base", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["arm"][0]["segments"] == 2001 and data["arm"][0]["k"] == 2
    assert data["arm"][0]["max_diff"] < 1e-12
    from armsim.commands.ops import MAX_SEGMENTS, MAX_SEGMENTS_BASE, max_segments
    assert max_segments(["base"]) == MAX_SEGMENTS_BASE > MAX_SEGMENTS
    for wrt in (["angles"], ["lengths"], ["angles", "base"], ["lengths", "base"],
                ["base", "angles", "lengths"]):
        assert max_segments(wrt) == MAX_SEGMENTS == 2000
        with pytest.raises(SystemExit) as e:
            ops_main(["--segments", "2001", "--wrt", *wrt])
        assert e.value.code == 2
        assert capsys.readouterr().err == (
            "armsim ops: error: argument --segments: at most 2000 segments (the count takes "
            "memory growing as N^2: about 0.9 GB at 2000), got 2001\n")
    with pytest.raises(SystemExit) as e:
        ops_main(["--segments", str(MAX_SEGMENTS_BASE + 1), "--wrt", "base"])
    assert e.value.code == 2
    assert capsys.readouterr().err == (
        f"armsim ops: error: argument --segments: at most {MAX_SEGMENTS_BASE} segments with "
        f"--wrt base alone (the count takes memory growing as N: about 0.9 GB at "
        f"{MAX_SEGMENTS_BASE}), got {MAX_SEGMENTS_BASE + 1}\n")


def test_ops_base_alone_is_refused_by_the_memory_it_needs(monkeypatch, capsys):
    """The memory check of --wrt base alone counts its N bytes (not N K with K = 2)."""
    from armsim.kinematics import planar
    monkeypatch.setattr(planar, "memory_budget", lambda: 100 << 20)
    with pytest.raises(SystemExit) as e:
        ops_main(["--segments", "1000000", "--wrt", "base"])
    assert e.value.code == 2
    assert capsys.readouterr().err == (
        "armsim ops: error: argument --segments: counting N = 1000000 with K = 2 would need "
        "about 114 MiB of memory, more than the 100 MiB allowed (0.5 of the memory this "
        "process may use); count fewer segments\n")
