"""The tables of ``bench/first_solve.py``'s results (its docstring says what each figure is):
what ``--markdown`` writes into docs/solvers.md, from a run or its saved JSON."""

from __future__ import annotations

LATER = 30                # later solves of the same pose (their median), once compiled
TIER_MAX = 400            # at most this many solves from the program before those
STATES = ("off", "cold", "warm")
PREPARED = "prepared"     # the disk cache off, armsim.prepare called after the load
PIECES = ("problem", "table", "float pass", "compile", "cache read", "cache write")


def report(results):
    runs = results["runs"]
    lines = [f"Import and load in a fresh process (median of {runs} processes; ms; bytecode "
             f"cache on)", "",
             "| robot | import armsim | load | of which the float pass | total | "
             "total, trimesh imported first | imported by then |",
             "|---|---|---|---|---|---|---|"]
    for robot, r in results["import_load"].items():
        with_trimesh = f"{r['with_trimesh_ms']:.0f}" if "with_trimesh_ms" in r else "-"
        built = f"{r['pass_ms']:.2f}" if r.get("pass_ms") else "-"
        lines.append(f"| {robot} | {r['import_ms']:.0f} | {r['load_ms']:.1f} | {built} | "
                     f"{r['total_ms']:.0f} | {with_trimesh} | "
                     f"{', '.join(r['modules']) or '-'} |")
    lines += ["", "(the float pass: loading a chain builds its pass for pose targets, "
              "`armsim.ik.prepare.on_load`, as a peer builds its solver when it loads a "
              "robot; trimesh imported first: what the load cost when yourdfpy's import "
              "brought trimesh, scipy and networkx with it)"]
    lines += ["", f"The first solve after the load, less the median of {LATER} later solves of "
              f"the same pose on the same chain once its float pass is compiled (median of "
              f"{runs} processes; ms), with the disk cache off, cold (built, then written) and "
              f"warm; then, cold, the solves between the first and the compiled ones (the pass "
              f"run from its program, the compile in the last of them) and their time over the "
              f"later median, in all; and, the disk cache off, with `armsim.prepare(chain, "
              f"start)` called after the load (the pose of the start q0, not the target): its "
              f"time, and the first solve's extra after it", "",
              "| robot | pose | iterations | restart starts | later | extra: off | cold | "
              "warm | then, cold: solves, extra | prepared: prepare, extra | "
              "same q and iterations |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for robot, r in results["first_solve"].items():
        for case, c in r["cases"].items():
            o = c["off"]
            name = (f"near ({r['indices']['near']['turn']:g} rad)" if case == "near"
                    else f"{case} (#{r['indices'][case]['index']})")
            lines.append(
                f"| {robot} | {name} | {o['iterations']} ({o['reason']}) | "
                f"{o['restart_draws']} | {c['warm']['later_ms']:.3f} | {o['extra_ms']:.2f} | "
                f"{c['cold']['extra_ms']:.2f} | {c['warm']['extra_ms']:.2f} | "
                f"{_tier_cell(c['cold'])} | {_prepared_cell(c.get(PREPARED))} | "
                f"{'yes' if c['same_result_all_states'] else 'NO'} |")
    lines += ["", "The pieces of the Panda's first solve (ms, medians): problem / restart table "
              "/ float pass (its program) / compile / cache read / cache write", "",
              "| pose | off | cold | warm |", "|---|---|---|---|"]
    for case, c in results["first_solve"]["panda"]["cases"].items():
        cells = [" / ".join(f"{c[s]['pieces'][p]:.2f}" for p in PIECES) for s in STATES]
        lines.append(f"| {case} | {' | '.join(cells)} |")
    rob = results.get("robots")
    if rob:
        lines += ["", f"A whole robot's first solve (`armsim.robots.load_robot(name)`, every "
                  f"tool a pose; median of {runs} processes; ms over the median of {LATER} "
                  f"later solves of the same target, each case in a new robot object): "
                  f"`near`, every tool's pose 0.05 rad a joint from the middle of the "
                  f"limits, from that middle; `from the tables`, at joints drawn within the "
                  f"limits (default_rng(2026)); the disk cache off and warm", "",
                  "| robot | pose | iterations | later | extra: off | warm |",
                  "|---|---|---|---|---|---|"]
        for name, row in rob.items():
            for case in ("near", "from the tables"):
                lines.append(f"| {name} | {case} | {row['off']['iterations'][case]} | "
                             f"{row['warm'][case]['later_ms']:.3f} | "
                             f"{row['off'][case]['extra_ms']:.2f} | "
                             f"{row['warm'][case]['extra_ms']:.2f} |")
    nb = results.get("numba")
    if isinstance(nb, str):
        lines += ["", f"numba: skipped: {nb}"]
    elif nb:
        lines += ["", f"numba {nb['version']} (median of {runs} processes): "
                  f"import numba {nb['cold']['import_ms']:.0f} ms (after numpy, "
                  f"{nb['cold']['numpy_import_ms']:.0f} ms); the dls-step kernel's first call "
                  f"{nb['cold']['first_call_ms']:.0f} ms with an empty cache (compile, write), "
                  f"{nb['warm']['first_call_ms']:.1f} ms with it written (load; "
                  f"{nb['warm_scipy_imported']['first_call_ms']:.1f} ms when scipy.linalg "
                  f"was imported before, which numba's first dispatch imports when scipy is "
                  f"installed; import of the kernel's module {nb['warm']['module_ms']:.1f} ms; "
                  f"cache hits {nb['warm']['cache_hits']:.0f}); a call "
                  f"{nb['warm']['per_call_us']:.2f} us against "
                  f"{nb['float_pass_step_us']:.2f} us for the generated float pass's step "
                  f"(gram, solve, move)"]
    lines += compiled_report(results.get("compiled"), runs)
    return "\n".join(lines)


def _prepared_cell(row):
    if row is None:
        return "-"
    return f"{row['prepare_ms']:.2f}, {row['extra_ms']:.2f}"


def _tier_cell(row):
    if "tier_solves" not in row:
        return "-"
    if not row.get("compiled_after", True):
        return f"not compiled after {TIER_MAX}"
    if not row["tier_solves"]:
        return "0"
    return f"{row['tier_solves']:.0f}, {row['tier_extra_ms']:.2f}"


def compiled_report(c, runs):
    """The compiled path's lines (none when --no-numba)."""
    if c is None:
        return []
    if isinstance(c, str):
        return ["", f"The compiled path: skipped: {c}"]
    lines = ["", "The first solve by the compiled path (`ARMSIM_COMPILED=1`), numba's cache "
             "written before, less the median of "
             f"{LATER} later solves of the same pose (median of {runs} processes; ms): numba's "
             "import, the kernels' module and the check of the constants compiled in (its "
             "first kernel loaded), then the load of the whole solve's kernel from numba's "
             "cache, are in the first solve; with the disk cache off and warm", "",
             "| robot | pose | iterations | later | first: off | extra: off | warm | numba "
             "import, kernels' module, constants checked | iterations as the default path's "
             "(largest difference of q) |", "|---|---|---|---|---|---|---|---|---|"]
    for robot, cases in c["robots"].items():
        for case, row in cases.items():
            o = row["off"]
            same = (f"yes ({row['largest_q_difference']:.1e})" if row["same_as_default"]
                    else f"NO: {row.get('default_iterations')} by the default path "
                         f"({row['largest_q_difference']:.1e})")
            lines.append(f"| {robot} | {case} | {o['iterations']} ({o['reason']}) | "
                         f"{row['warm']['later_ms']:.3f} | {o['first_ms']:.1f} | "
                         f"{o['extra_ms']:.1f} | {row['warm']['extra_ms']:.1f} | "
                         f"{o['kernel_import_ms']:.1f} | {same} |")
    e = c["empty_numba_cache"]
    lines += ["", f"With an empty numba cache (`NUMBA_CACHE_DIR` an empty folder per process; "
              f"the disk cache off), the Panda's near pose: first solve {e['first_ms']:.0f} ms "
              f"(the kernels compiled and written), later {e['later_ms']:.3f} ms, numba's "
              f"import, the kernels' module and the constants checked (compiled) "
              f"{e['kernel_import_ms']:.0f} ms."]
    return lines
