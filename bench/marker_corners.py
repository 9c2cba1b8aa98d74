"""Marker corners on rendered images: armsim's edge-line corners against OpenCV's cornerSubPix.

Each image (640 x 480, a pinhole camera f = 800 px) holds four 4x4 ArUco markers
(``DICT_4X4_50`` ids 0-3, OpenCV's marker images) on white cards over a grey background,
each at a random pose: seen from 0 to 50 degrees off its normal, 40 to 90 px a side.
Rendered at 8x (``cv2.warpPerspective``, bilinear) and averaged over 8 x 8 blocks (area
sampling), so the true corners are known exactly: the projections of the marker's corners,
pixels with (0, 0) at the centre of the top-left pixel.  Then Gaussian blur (sigma 0 and
0.7 px) and Gaussian pixel noise (0, 1, 2 grey levels; black 40, white 210), rounded to 8 bits.

Per setting, on the same images and the same ArUco detections:

* ``lines``: armsim's corners (armsim.vision.real.corners: lines fitted to the edges);
* ``subpix``: OpenCV's ``CORNER_REFINE_SUBPIX`` (cornerSubPix, its default window);
* ``none``: the detector's quadrilateral, unrefined.

Then a few images with lens distortion (barrel, ``LENS``), blur 0.7 and noise 1: armsim's
corners with the camera's lens given (edges fitted in the undistorted image), the same
ignoring the lens, and cornerSubPix.

Reported: detection rate (markers found / shown), bias (mean offset of a corner toward
its marker's centre, px), RMS error (px) and the largest error.  Goal (issue 26):
|bias| <= 0.05 px for ``lines``.  Seeded: ``default_rng(2026)``.

    python bench/marker_corners.py                 # 60 images a setting
    python bench/marker_corners.py --quick         # 12
    python bench/marker_corners.py --json out.json
    python bench/marker_corners.py --markdown      # the table into docs/calibrate_real.md
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from armsim.vision.real.detect import find_markers, opencv  # noqa: E402

SEED = 2026
WIDTH, HEIGHT, FOCAL = 640, 480, 800.0
SIDE = 0.05                     # marker side [m]
DICTIONARY, BITS = "DICT_4X4_50", 4
DARK, LIGHT, BACKGROUND = 40.0, 210.0, 110.0
SUPER = 8                       # supersampling factor
CARD = 0.5                      # white card around a marker, as a fraction of its side (narrower
                                # cards against a darker background: OpenCV drops some markers,
                                # taking the card for a marker too near: minMarkerDistanceRate)
NOISES = (0.0, 1.0, 2.0)
BLURS = (0.0, 0.7)
METHODS = ("lines", "subpix", "none")


def marker_source(marker_id, dictionary=DICTIONARY, bits=BITS, cell=60):
    """The marker on its white card, float32 grey levels, ``cell`` pixels a cell."""
    cv2 = opencv()
    aruco = cv2.aruco
    d = aruco.getPredefinedDictionary(getattr(aruco, dictionary))
    n = (bits + 2) * cell
    img = aruco.generateImageMarker(d, int(marker_id), n).astype(np.float32) / 255.0
    pad = int(round(CARD * n))
    card = np.ones((n + 2 * pad, n + 2 * pad), np.float32)
    card[pad:pad + n, pad:pad + n] = img
    return DARK + (LIGHT - DARK) * card, n, pad


def unit_homography(R, t, K, side=SIDE):
    """Maps the marker's unit square ((0, 0) its top-left corner 0, (1, 1) corner 2) to
    image pixels, for the marker at ``R, t`` in the camera (its +y up, facing the camera
    along its -z)."""
    S = np.array([[side, 0, -side / 2], [0, -side, side / 2], [0, 0, 1.0]])
    return K @ np.column_stack([R[:, 0], R[:, 1], t]) @ S


def corners_of(H):
    """The four true corners (4, 2) [px] of the marker whose unit-square map is ``H``."""
    p = H @ np.array([[0, 1, 1, 0], [0, 0, 1, 1], [1, 1, 1, 1.0]])
    return (p[:2] / p[2]).T


def render(placements, width=WIDTH, height=HEIGHT, blur=0.0, noise=0.0, rng=None, lens=None):
    """An 8-bit grey image of markers: ``placements`` is ``[(id, H)]``, ``H`` the map of
    :func:`unit_homography`.  Cards must not overlap.  ``lens``: a
    :class:`armsim.vision.real.lens.Lens` whose distortion the image shows (each
    supersample is undistorted and looked up in the marker: ``cv2.remap``)."""
    cv2 = opencv()
    canvas = np.full((height, width), BACKGROUND, np.float64)
    for marker_id, H in placements:
        src, n, pad = marker_source(marker_id)
        card_px = corners_of(H @ np.array([[1 + 2 * CARD, 0, -CARD], [0, 1 + 2 * CARD, -CARD],
                                           [0, 0, 1.0]]))
        extra = 2
        if lens is not None:                   # the card's outline, distorted, with room
            s = np.linspace(0, 1, 33)[:, None]
            outline = np.concatenate([card_px[i] + s * (card_px[(i + 1) % 4] - card_px[i])
                                      for i in range(4)])
            card_px, extra = lens.distort(outline), 4
        x0, y0 = np.floor(card_px.min(axis=0)).astype(int) - extra
        x1, y1 = np.ceil(card_px.max(axis=0)).astype(int) + extra + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        # unit square -> source pixel index: u = (X * n + pad) - 0.5
        A_src = np.array([[n, 0, pad - 0.5], [0, n, pad - 0.5], [0, 0, 1.0]])
        # final pixel x (centre convention) -> high-res index: J = S (x - x0 + 0.5) - 0.5
        A_dst = np.array([[SUPER, 0, SUPER * (0.5 - x0) - 0.5],
                          [0, SUPER, SUPER * (0.5 - y0) - 0.5], [0, 0, 1.0]])
        size = ((x1 - x0) * SUPER, (y1 - y0) * SUPER)
        if lens is None:
            M = A_dst @ H @ np.linalg.inv(A_src)
            hi = cv2.warpPerspective(src, M, size, flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=BACKGROUND)
        else:
            ideal = _undistorted_grid(lens, x0, y0, size)
            M = A_src @ np.linalg.inv(H)
            p = ideal @ M[:, :2].T + M[:, 2]
            maps = (p[..., :2] / p[..., 2:]).astype(np.float32)
            hi = cv2.remap(src, maps[..., 0], maps[..., 1], cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=BACKGROUND)
        low = hi.reshape(y1 - y0, SUPER, x1 - x0, SUPER).mean(axis=(1, 3), dtype=np.float64)
        canvas[y0:y1, x0:x1] = low
    if blur > 0:
        canvas = cv2.GaussianBlur(canvas, (0, 0), blur, borderType=cv2.BORDER_REPLICATE)
    if noise > 0:
        canvas = canvas + (rng or np.random.default_rng(0)).normal(0.0, noise, canvas.shape)
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


def _undistorted_grid(lens, x0, y0, size, step=0.5):
    """The ideal pixel (h, w, 2) of each supersample of the box at (x0, y0) of ``size``
    supersamples: undistorted exactly on a grid ``step`` px apart, interpolated bilinearly
    in between (the map's curvature makes that 3e-5 px off at most for k1 = -0.3)."""
    w, h = size
    gx = np.arange(0, w / SUPER + step, step)
    gy = np.arange(0, h / SUPER + step, step)
    grid = lens.undistort(np.stack(np.meshgrid(x0 - 0.5 + gx, y0 - 0.5 + gy), axis=-1))
    fx = (np.arange(w) + 0.5) / SUPER / step
    fy = (np.arange(h) + 0.5) / SUPER / step
    jx, iy = np.floor(fx).astype(int), np.floor(fy).astype(int)
    ax, ay = (fx - jx)[None, :, None], (fy - iy)[:, None, None]
    rows = (1 - ax) * grid[:, jx] + ax * grid[:, jx + 1]          # along x, then along y
    return (1 - ay) * rows[iy] + ay * rows[iy + 1]


def _rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    Kx = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * Kx + (1 - np.cos(angle)) * Kx @ Kx


def random_scene(rng, width=WIDTH, height=HEIGHT, count=4, sides=(40.0, 90.0),
                 max_tilt_deg=50.0):
    """``[(id, H)]``: markers ids 0..count-1, one in each cell of a 2 x 2 grid, at random
    poses whose cards stay inside their cell."""
    K = np.array([[FOCAL, 0, (width - 1) / 2], [0, FOCAL, (height - 1) / 2], [0, 0, 1.0]])
    out = []
    cells = [(i % 2, i // 2) for i in range(count)]
    for marker_id, (gx, gy) in enumerate(cells):
        box = np.array([gx * width / 2, gy * height / 2, (gx + 1) * width / 2,
                        (gy + 1) * height / 2])
        while True:
            side_px = rng.uniform(*sides)
            z = FOCAL * SIDE / side_px
            spin = rng.uniform(0, 2 * np.pi)
            tilt = np.radians(rng.uniform(0, max_tilt_deg))
            phi = rng.uniform(0, 2 * np.pi)
            R = _rotation([np.cos(phi), np.sin(phi), 0], tilt) @ np.diag([1.0, -1, -1]) \
                @ _rotation([0, 0, 1], spin)
            u = rng.uniform(box[0] + 60, box[2] - 60)
            v = rng.uniform(box[1] + 60, box[3] - 60)
            t = z * np.array([(u - K[0, 2]) / FOCAL, (v - K[1, 2]) / FOCAL, 1.0])
            H = unit_homography(R, t, K)
            card = corners_of(H @ np.array([[1 + 2 * CARD, 0, -CARD],
                                            [0, 1 + 2 * CARD, -CARD], [0, 0, 1.0]]))
            if (card.min(axis=0) >= box[:2] + 3).all() and (card.max(axis=0) <= box[2:] - 4).all():
                break
        out.append((marker_id, H))
    return out


def errors(found, truth):
    """Per corner found: (signed offset toward the marker's centre, error length) [px]."""
    toward, length = [], []
    for marker_id, true in truth.items():
        if marker_id not in found:
            continue
        centre = true.mean(axis=0)
        d = found[marker_id] - true
        inward = (centre - true) / np.linalg.norm(centre - true, axis=1, keepdims=True)
        toward += list((d * inward).sum(axis=1))
        length += list(np.linalg.norm(d, axis=1))
    return toward, length


def run(images, seed=SEED):
    rows = []
    for blur in BLURS:
        for noise in NOISES:
            rng = np.random.default_rng([seed, int(10 * blur), int(noise)])
            acc = {m: {"found": 0, "toward": [], "length": []} for m in METHODS}
            shown, seconds = 0, {m: 0.0 for m in METHODS}
            for _ in range(images):
                scene = random_scene(rng)
                image = render(scene, blur=blur, noise=noise, rng=rng)
                truth = {i: corners_of(H) for i, H in scene}
                shown += len(truth)
                for m in METHODS:
                    t0 = time.perf_counter()
                    found, _, _ = find_markers(image, DICTIONARY, refine=m)
                    seconds[m] += time.perf_counter() - t0
                    found = {i: q for i, q in found.items() if i in truth}
                    toward, length = errors(found, truth)
                    acc[m]["found"] += len(found)
                    acc[m]["toward"] += toward
                    acc[m]["length"] += length
            for m in METHODS:
                a = acc[m]
                L = np.array(a["length"])
                rows.append({"blur": blur, "noise": noise, "method": m, "markers": shown,
                             "found": a["found"], "rate": a["found"] / shown,
                             "bias_px": float(np.mean(a["toward"])) if L.size else None,
                             "rms_px": float(np.sqrt(np.mean(L ** 2))) if L.size else None,
                             "max_px": float(L.max()) if L.size else None,
                             "ms_per_image": 1e3 * seconds[m] / images})
                print(json.dumps(rows[-1]), flush=True)
    return rows


LENS = (-0.3, 0.1, 0.0, 0.0, 0.0)          # barrel distortion: 7 % at the image's corners
LENS_METHODS = (("lines", True), ("lines", False), ("subpix", False))


def run_lens(images, seed=SEED, blur=0.7, noise=1.0):
    """Rows for images with lens distortion ``LENS``: armsim's corners fitted in the
    undistorted image (the camera's lens given), the same ignoring the lens, cornerSubPix."""
    from armsim.vision.real.lens import Lens
    lens = Lens(FOCAL, FOCAL, (WIDTH - 1) / 2, (HEIGHT - 1) / 2, LENS)
    rng = np.random.default_rng([seed, 99])
    acc = {m: {"found": 0, "toward": [], "length": []} for m in LENS_METHODS}
    shown = 0
    for _ in range(images):
        scene = random_scene(rng)
        image = render(scene, blur=blur, noise=noise, rng=rng, lens=lens)
        truth = {i: lens.distort(corners_of(H)) for i, H in scene}
        shown += len(truth)
        for m in LENS_METHODS:
            found, _, _ = find_markers(image, DICTIONARY, refine=m[0], lens=lens if m[1] else None)
            toward, length = errors(found, truth)
            acc[m]["found"] += len(found)
            acc[m]["toward"] += toward
            acc[m]["length"] += length
    rows = []
    for (method, with_lens), a in acc.items():
        L = np.array(a["length"])
        rows.append({"blur": blur, "noise": noise, "distortion": list(LENS),
                     "method": method + (" + lens" if with_lens else ""), "markers": shown,
                     "found": a["found"], "rate": a["found"] / shown,
                     "bias_px": float(np.mean(a["toward"])),
                     "rms_px": float(np.sqrt(np.mean(L ** 2))), "max_px": float(L.max())})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def lens_table(rows):
    lines = ["| method | found | bias px | RMS px | max px |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['method']} | {r['found']}/{r['markers']} | {r['bias_px']:+.4f} | "
                     f"{r['rms_px']:.4f} | {r['max_px']:.3f} |")
    return "\n".join(lines)


def table(rows):
    lines = ["| blur σ px | noise grey | method | found | bias px | RMS px | max px | ms/image |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['blur']:g} | {r['noise']:g} | {r['method']} | "
                     f"{r['found']}/{r['markers']} | {r['bias_px']:+.4f} | {r['rms_px']:.4f} | "
                     f"{r['max_px']:.3f} | {r['ms_per_image']:.1f} |")
    return "\n".join(lines)


def main(argv=None):
    from _docs import add_markdown_argument, write_blocks, write_json
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="12 images a setting (else 60)")
    ap.add_argument("--images", type=int, default=None, help="images a setting")
    ap.add_argument("--json", metavar="PATH", help="write the rows as JSON")
    add_markdown_argument(ap, "docs/calibrate_real.md")
    args = ap.parse_args(argv)
    images = args.images or (12 if args.quick else 60)
    rows = run(images)
    lens_images = max(2, images // 4)
    lens_rows = run_lens(lens_images)
    print()
    print(f"bench/marker_corners.py: {images} images a setting, 4 markers an image, "
          f"seed {SEED}")
    print(table(rows))
    worst = max(abs(r["bias_px"]) for r in rows if r["method"] == "lines")
    print(f"\nlargest |bias| of the edge-line corners: {worst:.4f} px (goal <= 0.05)")
    lens_note = (f"{lens_images} images with lens distortion (k1, k2) = ({LENS[0]:g}, {LENS[1]:g}), "
                 "blur 0.7 px, noise 1 grey level:")
    print("\n" + lens_note)
    print(lens_table(lens_rows))
    if args.json:
        write_json(args.json, {"images": images, "seed": SEED, "rows": rows,
                               "lens_images": lens_images, "lens_rows": lens_rows})
    if args.markdown:
        command = "python bench/marker_corners.py" + (" --quick" if args.quick else "") \
            + (f" --images {args.images}" if args.images else "") + " --markdown"
        body = (table(rows) + f"\n\n{images} images a setting, 4 markers an image; "
                f"largest |bias| of armsim's corners: {worst:.4f} px (goal <= 0.05).\n\n"
                + lens_note + "\n\n" + lens_table(lens_rows))
        write_blocks(args.markdown, {"bench/marker_corners.py corners": body}, command)


if __name__ == "__main__":
    main()
