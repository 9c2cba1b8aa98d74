"""Calibrating a real arm from images: ``armsim calibrate`` against OpenCV's hand-eye baseline.

On data this script makes itself (bench/calib_data.py: a Panda whose joint origins deviate
by 1-2 mm and zero offsets by 5-10 mrad, a DICT_4X4_50 marker on its flange, fixed cameras
with lens distortion, images 8x supersampled with blur 0.7 px, 1 grey level of noise and
per-corner pixel noise), it runs ``armsim calibrate ROBOT.urdf --joints joints.csv --images
DIR --setup setup.toml --out calibrated.urdf --report report.json`` (in this process:
``armsim.cli.main``) and judges, on 100 held-out poses (readings) the calibration never
saw, against the truth:

* **armsim**: calibrated.urdf's FK and report.json's ``markers`` (``link_from_marker``);
* **baseline**: the nominal URDF's FK and report.json's ``start.markers``: OpenCV's hand-eye
  solution on the nominal kinematics (what users have today).

Per held-out pose: the marker's world position error [mm] (the origin of
``link_from_marker``, its centre in OpenCV's convention) and the tool's (the flange's,
``panda_link8``) position [mm] and rotation [mrad] errors; mean and max over the poses.
The world is the Panda's base link.  Beside them, report.json's ``tool.sigma_mm``, the
tool's predicted 1-sigma position uncertainty, and the exit status (3: written for
inspection, not to be used; the errors are judged all the same).

Swept: the corners' pixel noise (0, 0.25, 0.5, 1 px; at 0 the corners' only error is what
the image's blur and grey-level noise leave, about 0.01 px), the poses (4, 5, 10, 30,
100), mono against two cameras, and the nominal case (truth = nominal; at 0.5 and 0 px).
At 0.5 px, 30 poses, 2 cameras, over 3 seeds: the parameters' errors against
report.json's ``parameters[].sigma`` (the Cramér-Rao bound).  Then one 30-pose x 2-camera
calibration timed, detection included.

Goals (issue 26): tool position error <= 0.05x the baseline's when the kinematics deviate,
within 10 % of it when they do not; parameter RMS <= 1.2x the bound; <= 2 s.

    python bench/calibrate_images.py                 # the sweep
    python bench/calibrate_images.py --quick         # 4 settings, 1 seed
    python bench/calibrate_images.py --data-only     # the datasets' cost and corner accuracy
    python bench/calibrate_images.py --tool-sweep    # predicted tool sigma against the error
    python bench/calibrate_images.py --json out.json --markdown
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import calib_data  # noqa: E402

from armsim.kinematics.spatial import rotation_vector  # noqa: E402
from armsim.kinematics.urdf import load_robot  # noqa: E402

UNAVAILABLE = "armsim calibrate not available (issue 26 item 1 is not on this branch)"
DOC = "docs/calibrate_real.md"
BLOCKS = ("bench/calibrate_images.py data", "bench/calibrate_images.py calibration",
          "bench/calibrate_images.py tool")
#: ``--tool-sweep``: the poses and seeds (2 cameras, 0.5 px)
TOOL_POSES, TOOL_SEEDS = (4, 5, 6, 8, 10, 30), (1, 2, 3)


class BenchError(Exception):
    """One line: what went wrong (printed, exit status 2)."""


# -- judging ---------------------------------------------------------------------------------
def pose_errors(T_est, T_true):
    """Position errors [mm] (B,) and rotation errors [mrad] (B,) of poses (B, 4, 4)."""
    T_est, T_true = np.asarray(T_est, float), np.asarray(T_true, float)
    mm = 1e3 * np.linalg.norm(T_est[:, :3, 3] - T_true[:, :3, 3], axis=1)
    D = np.swapaxes(T_true[:, :3, :3], -1, -2) @ T_est[:, :3, :3]
    mrad = 1e3 * np.linalg.norm(rotation_vector(D), axis=1)
    return mm, mrad


def marker_errors(T_link_est, link_from_marker_est, T_link_true, link_from_marker_true):
    """The marker's world position errors [mm] (B,): the origins of ``T_link @
    link_from_marker``, estimated against true."""
    est = (np.asarray(T_link_est) @ np.asarray(link_from_marker_est, float))[:, :3, 3]
    true = (np.asarray(T_link_true) @ np.asarray(link_from_marker_true, float))[:, :3, 3]
    return 1e3 * np.linalg.norm(est - true, axis=1)


def _stats(prefix, values):
    return {f"{prefix}_mean": float(np.mean(values)), f"{prefix}_max": float(np.max(values))}


def judge(urdf, link_from_marker, truth):
    """Held-out errors of a model: the URDF's FK of the held-out readings and the marker's
    pose on its link, against ``truth`` (calib_data's truth.json)."""
    held = np.array(truth["heldout"]["readings"])
    tool = truth["tool"]
    T = load_robot(urdf).frames(held, links=[tool])[tool]
    T_true = np.array(truth["heldout"]["tool"])
    mm, mrad = pose_errors(T, T_true)
    marker = marker_errors(T, link_from_marker, T_true, truth["marker"]["link_from_marker"])
    return {**_stats("marker_mm", marker), **_stats("tool_mm", mm), **_stats("tool_mrad", mrad)}


def _marker_pose(block, truth, where):
    """``link_from_marker`` (4, 4) of the truth's marker in a report's ``markers`` block."""
    marker = truth["marker"]
    entry = (block or {}).get(str(marker["id"]))
    if entry is None:
        raise BenchError(f"{where}: no marker {marker['id']}")
    if entry.get("link") != marker["link"]:
        raise BenchError(f"{where}: marker {marker['id']} on link {entry.get('link')!r}, "
                         f"expected {marker['link']!r}")
    M = np.array(entry.get("link_from_marker"), float)
    if M.shape != (4, 4) or not np.all(np.isfinite(M)):
        raise BenchError(f"{where}: marker {marker['id']}'s link_from_marker is not a finite "
                         "4x4 matrix")
    return M


def match_parameter(name, joints):
    """The truth's name (``<joint>.x``, ``.y``, ``.z`` or ``.offset``) of a report's
    parameter ``name``, or None: the longest joint name it contains, then ``offset`` or
    ``zero`` (a zero offset) or an axis letter ``x``, ``y``, ``z`` standing alone (or
    ``xyz[i]``); rotations (``rpy``, ``roll``...) and other parameters give None."""
    text = str(name)
    found = [j for j in joints if j in text]
    if not found:
        return None
    joint = max(found, key=len)
    rest = text.replace(joint, " ").lower()
    if re.search(r"rpy|roll|pitch|yaw|rot", rest):
        return None
    if re.search(r"offset|zero", rest):
        return f"{joint}.offset"
    m = re.search(r"xyz\s*\[\s*([012])\s*\]", rest)
    if m:
        return f"{joint}.{'xyz'[int(m.group(1))]}"
    axes = re.findall(r"(?<![a-z])([xyz])(?![a-z])", rest)
    return f"{joint}.{axes[-1]}" if axes else None


def parameter_errors(report, truth):
    """``[{name, truth, value, sigma, error}]`` for each free parameter of the report whose
    name :func:`match_parameter` maps to the truth (``parameters``: value [m or rad], the
    joint origin's coordinate in its parent link as the URDF writes it, or the offset)."""
    out = []
    for p in report.get("parameters", []):
        key = match_parameter(p.get("name", ""), truth["joints"])
        if key is None or p.get("held") or key not in truth["parameters"]:
            continue
        value, sigma = float(p["value"]), float(p["sigma"])
        out.append({"name": p["name"], "key": key, "truth": truth["parameters"][key],
                    "value": value,
                    "sigma": sigma, "error": value - truth["parameters"][key]})
    return out


def crlb_summary(errors):
    """Pooled over runs: RMS error against RMS sigma per kind (origins [mm], offsets
    [mrad]) and ``z = sqrt(mean((error / sigma)^2))`` (1 at the bound)."""
    if not errors:
        return {"matched": 0}
    out = {"matched": len(errors)}
    e = np.array([r["error"] for r in errors])
    s = np.array([r["sigma"] for r in errors])
    kind = np.array(["offset" if r["key"].endswith(".offset") else "origin" for r in errors])
    for k, unit in (("origin", "mm"), ("offset", "mrad")):
        pick = kind == k
        if pick.any():
            out[f"{k}_rms_error_{unit}"] = 1e3 * float(np.sqrt(np.mean(e[pick] ** 2)))
            out[f"{k}_rms_sigma_{unit}"] = 1e3 * float(np.sqrt(np.mean(s[pick] ** 2)))
    ok = s > 0
    out["z"] = float(np.sqrt(np.mean((e[ok] / s[ok]) ** 2))) if ok.any() else None
    return out


def corner_accuracy(folder):
    """Corners found by armsim's detector against the drawn and the true ones [px]."""
    from armsim.vision.real import read_joints, read_observations, read_setup
    from armsim.vision.real.detect import detect_images
    folder = Path(folder)
    setup, joints = read_setup(folder / "setup.toml"), read_joints(folder / "joints.csv")
    t0 = time.perf_counter()
    found = detect_images(folder / "images", setup, joints).observations.images()
    seconds = time.perf_counter() - t0
    out = {"detect_s": seconds, "images": len(joints.poses) * len(setup.cameras),
           "found": sum(len(v) for v in found.values())}
    for table in ("drawn", "true"):
        want = read_observations(folder / f"obs_{table}.csv", setup, joints).images()
        err = np.concatenate([np.linalg.norm(found[k][m] - want[k][m], axis=1)
                              for k in found for m in found[k] if k in want and m in want[k]])
        out[f"vs_{table}_rms_px"] = float(np.sqrt(np.mean(err ** 2)))
        out[f"vs_{table}_max_px"] = float(err.max())
        if table == "drawn":                  # the mean offset toward the marker's centre
            inward = []
            for k in found:
                for m in found[k]:
                    w = want[k][m]
                    to_centre = w.mean(axis=0) - w
                    to_centre /= np.linalg.norm(to_centre, axis=1, keepdims=True)
                    inward += list(((found[k][m] - w) * to_centre).sum(axis=1))
            out["bias_px"] = float(np.mean(inward))
    return out


# -- running ---------------------------------------------------------------------------------
def command_available():
    """Whether ``armsim calibrate`` exists (a subcommand of armsim.cli)."""
    try:
        from armsim.cli import SUBCOMMANDS
    except ImportError:
        return False
    return "calibrate" in SUBCOMMANDS


def calibrate(folder, out):
    """Run ``armsim calibrate`` on a dataset's images; (report dict, calibrated.urdf, s,
    exit status): 0, or 3 (outputs written for inspection), else :class:`BenchError`."""
    from armsim.cli import main as armsim_main
    folder, out = Path(folder), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    argv = ["calibrate", str(folder / "nominal.urdf"), "--joints", str(folder / "joints.csv"),
            "--images", str(folder / "images"), "--setup", str(folder / "setup.toml"),
            "--out", str(out / "calibrated.urdf"), "--report", str(out / "report.json")]
    err = io.StringIO()
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            status = armsim_main(argv)
    except Exception as exc:                  # a crash of the command: one line, not ours
        raise BenchError(f"armsim calibrate raised {type(exc).__name__} on {folder}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}") from None
    seconds = time.perf_counter() - t0
    if status not in (0, 3):
        last = (err.getvalue().strip().splitlines() or ["(nothing on stderr)"])[-1]
        raise BenchError(f"armsim calibrate exited {status} on {folder}: {last}")
    try:
        report = json.loads((out / "report.json").read_text())
    except (OSError, ValueError) as exc:
        raise BenchError(f"{out / 'report.json'}: cannot be read: {exc}") from None
    return report, out / "calibrated.urdf", seconds, status


def _ratio(a, b):
    """a / b, or None when b is 0 (to 1e-9 mm: the baseline's tool error with no
    deviation, where the nominal URDF is the truth)."""
    return a / b if b > 1e-9 else None


def run_case(root, case, seed, config, timed=False):
    """Make one dataset, calibrate it, judge armsim and the baseline: a row."""
    folder = Path(root) / f"{case}-s{seed}"
    truth = calib_data.make_dataset(folder, config)
    row = {"case": case, "seed": seed, "noise_px": config.pixel_noise, "poses": config.poses,
           "cameras": config.cameras, "deviate": config.deviate,
           "make_s": truth["seconds"], **corner_accuracy(folder)}
    report, calibrated, seconds, row["status"] = calibrate(folder, folder / "out")
    row["calibrate_s"] = seconds
    for key in ("rms_px_before", "rms_px_after", "converged", "identified"):
        row[key] = report.get(key)
    row["tool_sigma_mm"] = (report.get("tool") or {}).get("sigma_mm")
    row["tool_sigma_max_mm"] = (report.get("tool") or {}).get("max_mm")
    row["tool_unseen_mm"] = (report.get("tool") or {}).get("unseen_mm")
    row["kept"] = not (report.get("kinematics") or {}).get("deviate", True)
    if "start" not in report:
        raise BenchError(f"{folder / 'out' / 'report.json'}: no 'start' block (the baseline)")
    row["armsim"] = judge(calibrated, _marker_pose(report.get("markers"), truth,
                                                   "report.json markers"), truth)
    row["baseline"] = judge(folder / "nominal.urdf",
                            _marker_pose(report["start"].get("markers"), truth,
                                         "report.json start.markers"), truth)
    row["tool_ratio"] = _ratio(row["armsim"]["tool_mm_mean"], row["baseline"]["tool_mm_mean"])
    row["marker_ratio"] = _ratio(row["armsim"]["marker_mm_mean"],
                                 row["baseline"]["marker_mm_mean"])
    row["parameters"] = parameter_errors(report, truth)
    if timed:
        _, _, row["calibrate_again_s"], _ = calibrate(folder, folder / "again")
    print(json.dumps({k: v for k, v in row.items() if k != "parameters"}), flush=True)
    return row


def settings(quick):
    """(case, Config) of the sweep."""
    C = calib_data.Config
    if quick:
        return [("30x2", C(30, 2, 0.5)), ("10x2", C(10, 2, 0.5)), ("30x1", C(30, 1, 0.5)),
                ("nominal", C(30, 2, 0.5, deviate=False))]
    return [("30x2", C(30, 2, 0.5)), ("noise0", C(30, 2, 0.0)), ("noise0.25", C(30, 2, 0.25)),
            ("noise1", C(30, 2, 1.0)),
            ("10x2", C(10, 2, 0.5)), ("5x2", C(5, 2, 0.5)), ("4x2", C(4, 2, 0.5)),
            ("100x2", C(100, 2, 0.5)), ("30x1", C(30, 1, 0.5)),
            ("nominal", C(30, 2, 0.5, deviate=False)),
            ("nominal0", C(30, 2, 0.0, deviate=False))]


def run(root, quick=False, seeds=(1, 2, 3)):
    rows = []
    for case, config in settings(quick):
        rows.append(run_case(root, case, 1, config, timed=case == "30x2"))
    crlb_runs = [r for r in rows if r["case"] == "30x2"]
    for seed in seeds[1:]:
        crlb_runs.append(run_case(root, "30x2", seed,
                                  calib_data.Config(30, 2, 0.5, seed=seed)))
    crlb = crlb_summary([p for r in crlb_runs for p in r["parameters"]])
    crlb["seeds"] = [r["seed"] for r in crlb_runs]
    return rows, crlb


def run_tool(root, poses=TOOL_POSES, seeds=TOOL_SEEDS):
    """``--tool-sweep``: 2 cameras, 0.5 px, each of ``poses`` over ``seeds``."""
    return [run_case(root, f"{n}x2", seed, calib_data.Config(n, 2, 0.5, seed=seed))
            for n in poses for seed in seeds]


def run_data(root, seed=1):
    """The datasets alone: making a 30-pose x 2-camera dataset, and its corners."""
    rows = []
    for case, noise in (("30x2 no pixel noise", 0.0), ("30x2", 0.5)):
        folder = Path(root) / f"data-{noise}"
        truth = calib_data.make_dataset(folder, calib_data.Config(30, 2, noise, seed=seed))
        rows.append({"case": case, "noise_px": noise, "make_s": truth["seconds"],
                     **corner_accuracy(folder)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


# -- tables ----------------------------------------------------------------------------------
def data_table(rows):
    lines = ["| dataset | pixel noise px | made in s | markers found | detection s | "
             "bias px | vs drawn RMS / max px | vs true RMS / max px |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['noise_px']:g} | {r['make_s']:.1f} | "
                     f"{r['found']}/{r['images']} | {r['detect_s']:.2f} | {r['bias_px']:+.4f} | "
                     f"{r['vs_drawn_rms_px']:.4f} / {r['vs_drawn_max_px']:.3f} | "
                     f"{r['vs_true_rms_px']:.3f} / {r['vs_true_max_px']:.3f} |")
    return "\n".join(lines)


def _pair(d, key, fmt):
    return f"{d[key + '_mean']:{fmt}} / {d[key + '_max']:{fmt}}"


def _fmt(value, spec):
    return "n/a" if value is None else format(value, spec)


def table(rows):
    lines = ["| case | noise px | poses | cameras | deviate | RMS px before / after | "
             "marker mm armsim | marker mm baseline | tool mm armsim | tool σ mm armsim | "
             "tool mm baseline | tool mrad armsim | tool mrad baseline | tool ratio | exit | s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        a, b = r["armsim"], r["baseline"]
        before, after = r.get("rms_px_before"), r.get("rms_px_after")
        px = (f"{before:.3f} / {after:.3f}" if isinstance(before, (int, float))
              and isinstance(after, (int, float)) else "?")
        lines.append(f"| {r['case']} | {r['noise_px']:g} | {r['poses']} | {r['cameras']} | "
                     f"{'yes' if r['deviate'] else 'no'} | {px} | "
                     f"{_pair(a, 'marker_mm', '.3f')} | {_pair(b, 'marker_mm', '.3f')} | "
                     f"{_pair(a, 'tool_mm', '.3f')} | {_fmt(r.get('tool_sigma_mm'), '.3f')} | "
                     f"{_pair(b, 'tool_mm', '.3f')} | "
                     f"{_pair(a, 'tool_mrad', '.3f')} | {_pair(b, 'tool_mrad', '.3f')} | "
                     f"{_fmt(r['tool_ratio'], '.3f')} | {r.get('status', 0)} | "
                     f"{r['calibrate_s']:.2f} |")
    return "\n".join(lines)


def tool_table(rows):
    """The predicted tool sigma against the held-out tool error, a row a run, and per pose
    count the root of the mean squared errors (means) over that of the sigmas."""
    lines = ["| poses | seed | kinematics | held-out tool mm, mean / max | tool σ mm, RMS / max "
             "| mean / σ | exit |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        err, sigma = r["armsim"]["tool_mm_mean"], r.get("tool_sigma_mm")
        ratio = err / sigma if sigma else None
        kept = (f"kept (freed: {_fmt(r.get('tool_unseen_mm'), '.2f')})" if r.get("kept")
                else "deviate")
        lines.append(f"| {r['poses']} | {r['seed']} | {kept} | "
                     f"{_pair(r['armsim'], 'tool_mm', '.2f')} | {_fmt(sigma, '.2f')} / "
                     f"{_fmt(r.get('tool_sigma_max_mm'), '.2f')} | {_fmt(ratio, '.2f')} | "
                     f"{r.get('status', 0)} |")
    pooled = []
    for n in sorted({r["poses"] for r in rows}):
        sized = [r for r in rows if r["poses"] == n and r.get("tool_sigma_mm")]
        if sized:
            e = np.array([r["armsim"]["tool_mm_mean"] for r in sized])
            s = np.array([r["tool_sigma_mm"] for r in sized])
            pooled.append(f"{n} poses {np.sqrt(np.sum(e ** 2) / np.sum(s ** 2)):.2f} "
                          f"({len(sized)} runs)")
    return ("\n".join(lines) + "\n\nMean / max over 100 held-out poses; tool σ: report.json's "
            "tool.sigma_mm and max_mm (n/a: not identified); kept: the URDF's kinematics kept "
            "(no deviation shown; freed: tool.unseen_mm, the tool σ of the fit that freed "
            "them, judged against --max-tool-sigma).\n\n* held-out mean tool error / predicted σ, the root of "
            "the mean squares' ratio over the seeds: " + (", ".join(pooled) or "none") + ".")


def crlb_text(crlb):
    if not crlb.get("matched"):
        return ("No parameter of report.json matched a joint origin coordinate or zero offset "
                "(bench/calibrate_images.py match_parameter): no comparison with the bound.")
    parts = [f"{crlb['matched']} free parameters matched over seeds "
             f"{', '.join(map(str, crlb['seeds']))}"]
    for k, unit in (("origin", "mm"), ("offset", "mrad")):
        if f"{k}_rms_error_{unit}" in crlb:
            parts.append(f"{k}s: RMS error {crlb[f'{k}_rms_error_{unit}']:.4f} {unit} against "
                         f"RMS sigma {crlb[f'{k}_rms_sigma_{unit}']:.4f} {unit}")
    z = crlb.get("z")
    parts.append("sqrt(mean((error/sigma)^2)) = " + ("?" if z is None else f"{z:.2f}")
                 + " (goal <= 1.2)")
    return "; ".join(parts) + "."


def goals_text(rows, crlb):
    dev = [r for r in rows if r["deviate"]]
    nominal = [r for r in rows if not r["deviate"]]
    timed = [r for r in rows if "calibrate_again_s" in r]
    out = []
    used = [r for r in dev if not r.get("status")]
    if used:
        worst = max(used, key=lambda r: r["tool_ratio"] or 0.0)
        out.append(f"tool position error, armsim / baseline, largest over the deviated cases "
                   f"that exit 0: {worst['tool_ratio']:.3f} ({worst['case']}; goal <= 0.05)")
    sized = [r for r in dev if r.get("tool_sigma_mm")]
    if sized:
        ratio = [r["armsim"]["tool_mm_mean"] / r["tool_sigma_mm"] for r in sized]
        out.append(f"held-out tool position error (mean) / predicted tool sigma over the "
                   f"deviated cases: {min(ratio):.2f} to {max(ratio):.2f}; exit 3 (not to be "
                   f"used): {', '.join(r['case'] for r in dev if r.get('status')) or 'none'}")
    for r in nominal:
        out.append(f"no deviation, {r['noise_px']:g} px: marker position error armsim / "
                   f"baseline {_fmt(r['marker_ratio'], '.3f')} (goal within 10 %); tool "
                   f"position error armsim {r['armsim']['tool_mm_mean']:.3f} mm, baseline "
                   f"{r['baseline']['tool_mm_mean']:.3f} mm (the nominal URDF is the truth)")
    for r in timed:
        out.append(f"one {r['poses']}-pose x {r['cameras']}-camera calibration, detection "
                   f"included: {r['calibrate_s']:.2f} s, again {r['calibrate_again_s']:.2f} s "
                   f"(goal <= 2 s)")
    out.append("Cramér-Rao: " + crlb_text(crlb))
    return "\n".join(f"* {line}" for line in out)


def main(argv=None):
    from _docs import add_markdown_argument, write_blocks, write_json
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = ap.add_mutually_exclusive_group()
    what.add_argument("--quick", action="store_true",
                      help="4 settings and 1 seed (else 11 and 3)")
    what.add_argument("--data-only", action="store_true",
                      help="only make the datasets and measure their corners (no calibration)")
    what.add_argument("--tool-sweep", action="store_true",
                      help=f"only the predicted tool sigma against the held-out error: "
                      f"{', '.join(map(str, TOOL_POSES))} poses x seeds "
                      f"{', '.join(map(str, TOOL_SEEDS))}")
    ap.add_argument("--keep", metavar="DIR", help="make the datasets in DIR (new) and keep them")
    ap.add_argument("--json", metavar="PATH", help="write the rows as JSON")
    add_markdown_argument(ap, DOC)
    args = ap.parse_args(argv)
    if not args.data_only and not command_available():
        print(f"bench/calibrate_images.py: {UNAVAILABLE}", file=sys.stderr)
        return 2
    with contextlib.ExitStack() as stack:
        if args.keep:
            root = Path(args.keep)
            if root.exists() and any(root.iterdir()):
                print(f"bench/calibrate_images.py: {root}: not empty; give a new folder",
                      file=sys.stderr)
                return 2
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="calbench-")))
        try:
            if args.tool_sweep:
                rows = run_tool(root)
                print("\n" + tool_table(rows))
                if args.json:
                    write_json(args.json, {"tool": rows})
                if args.markdown:
                    write_blocks(args.markdown, {BLOCKS[2]: tool_table(rows)},
                                 "python bench/calibrate_images.py --tool-sweep --markdown")
                return 0
            if args.data_only:
                data_rows, rows, crlb = run_data(root), [], {}
            else:
                rows, crlb = run(root, args.quick, seeds=(1,) if args.quick else (1, 2, 3))
                data_rows = [r for r in rows if r["case"] in ("noise0", "30x2")]
        except BenchError as exc:
            print(f"bench/calibrate_images.py: {exc}", file=sys.stderr)
            return 2
    print("\nbench/calibrate_images.py: datasets (bench/calib_data.py), seed 1")
    print(data_table(data_rows))
    if rows:
        print("\nheld-out errors on 100 poses, mean / max (seed 1):")
        print(table(rows))
        print("\n" + goals_text(rows, crlb))
    if args.json:
        write_json(args.json, {"data": data_rows, "rows": rows, "crlb": crlb})
    if args.markdown:
        flags = (" --quick" if args.quick else "") + (" --data-only" if args.data_only else "")
        blocks = {BLOCKS[0]: data_table(data_rows)}
        if rows:
            blocks[BLOCKS[1]] = (table(rows) + "\n\nMean / max over 100 held-out poses; tool "
                                 "σ: report.json's tool.sigma_mm, the predicted 1-sigma tool "
                                 "position uncertainty (n/a: not identified); tool ratio: "
                                 "armsim's mean tool position error / the baseline's; exit: "
                                 "armsim calibrate's exit status.\n\n"
                                 + goals_text(rows, crlb))
        write_blocks(args.markdown, blocks, f"python bench/calibrate_images.py{flags} --markdown")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
