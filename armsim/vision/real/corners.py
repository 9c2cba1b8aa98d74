"""A square marker's corners without bias: the intersections of lines fitted to its edges.

OpenCV's corner refinement (``cornerSubPix``) finds where the image gradient is orthogonal
to the rays from the corner; near a blurred, pixel-sampled corner that point lies inside
the marker, about 0.25 px toward its centre (bench/marker_corners.py measures it).  A
marker 1.5 % small makes a calibrated arm about 1 % large.  Here each of the four edges is
located on its straight middle part, away from the corners, and the corners are where
adjacent edges meet.

Where an edge is on one pixel column (an edge closer to horizontal than vertical; rows for
the others), normalise the grey levels of a window of pixels across it to ``J = (I - D) /
(L - D)``, 1 on the light side (outside the marker) and 0 on the dark side (its black
border), and sum them: the sum is the length of the window's light part, so the edge
crosses the column's centre at

    s = (window start - 0.5) + sum(J)        (light side first)

Exact for a straight edge in an area-sampled image, with any blur whose kernel is
symmetric, as long as the window holds the whole transition; pixel noise of zero mean
adds scatter, not bias.  The edge's line is the least-squares fit of these crossings
(one outlier pass); ``L`` and ``D`` are the mean grey levels at the window's two ends.
Two passes: the first from the detector's quadrilateral, the second with the windows
centred on the first pass's lines.

Pure numpy: no OpenCV, no pygame.  Pixels have (0, 0) at the centre of the top-left pixel.
"""

from __future__ import annotations

import numpy as np

__all__ = ["refine_corners", "fit_edge", "intersect", "MIN_CONTRAST"]

MIN_CONTRAST = 8.0        # grey levels between the light and dark sides of an edge, at least
MIN_COLUMNS = 4           # pixel columns an edge is measured on, at least
CLEAR = 2.5               # px from a window's pixel centres to the adjacent edges, at least


def refine_corners(gray, quad, bits, passes=2):
    """The four corners of a marker, refined.

    Parameters
    ----------
    gray : ndarray (H, W)   the image, grey levels (any real dtype)
    quad : ndarray (4, 2)   its corners as found by a detector, in OpenCV's ArUco order
                            (clockwise in the image from the marker's top-left) [px]
    bits : int              data bits a side (4 for DICT_4X4_*): the black border is one
                            cell of ``side / (bits + 2)``

    Returns
    -------
    ndarray (4, 2) [px], or None where an edge cannot be measured (too near the image's
    border, too short, or too little contrast).
    """
    img = np.asarray(gray, dtype=float)
    corners = np.asarray(quad, dtype=float).reshape(4, 2)
    if not np.all(np.isfinite(corners)):
        return None
    sides = np.linalg.norm(corners - np.roll(corners, -1, axis=0), axis=1)
    cell = float(sides.min()) / (bits + 2)
    half = int(np.clip(np.floor(cell / 2), 2, 6))     # window: 2 * half + 1 pixels
    centre = corners.mean(axis=0)
    for _ in range(passes):
        lines = []
        for i in range(4):
            line = fit_edge(img, corners[i], corners[(i + 1) % 4], centre, half,
                            corners[i - 1], corners[(i + 2) % 4])
            if line is None:
                return None
            lines.append(line)
        new = np.array([intersect(lines[i - 1], lines[i]) for i in range(4)])
        if not np.all(np.isfinite(new)) or np.max(np.abs(new - corners)) > 2 * half + 2:
            return None
        corners = new
    return corners


def intersect(l1, l2):
    """The point (2,) where the lines ``a x + b y + c = 0`` given as (a, b, c) meet."""
    p = np.cross(l1, l2)
    if abs(p[2]) < 1e-12 * (abs(p[0]) + abs(p[1]) + 1e-300):
        return np.array([np.nan, np.nan])
    return p[:2] / p[2]


def fit_edge(img, a, b, centre, half, before=None, after=None):
    """The line (a, b, c) with ``a x + b y + c = 0`` through the edge from corner ``a`` to
    corner ``b`` (each (2,) [px]) of a dark marker whose centre is ``centre``; None when
    it cannot be measured.  ``half``: the window runs ``half`` pixels each side.
    ``before`` and ``after``: the corners before ``a`` and after ``b``; a column is used
    only where every pixel of its window is :data:`CLEAR` pixels or more from the lines
    of the adjacent edges (``before``-``a`` and ``b``-``after``), so an acute corner seen
    in perspective does not reach into the windows."""
    a, b, centre = (np.asarray(v, float) for v in (a, b, centre))
    neighbours = [(np.asarray(p, float), q) for p, q in ((before, a), (after, b))
                  if p is not None]
    d = b - a
    steep = abs(d[1]) > abs(d[0])          # closer to vertical: measure x along rows
    grid = img.T if steep else img         # grid[s, t]: t along the edge, s across it
    ax, bx, cx = (v[::-1] if steep else v for v in (a, b, centre))
    if ax[0] > bx[0]:
        ax, bx = bx, ax
    slope = (bx[1] - ax[1]) / (bx[0] - ax[0])
    margin = 2 * half + 2                  # keep clear of the corners (and their blur)
    # the window reaches ``half`` pixels from the edge across it, not along the column
    half = int(np.ceil(half * np.hypot(1.0, slope) - 1e-9))
    t = np.arange(np.ceil(ax[0] + margin), np.floor(bx[0] - margin) + 1)
    s_line = ax[1] + (t - ax[0]) * slope
    start = np.round(s_line).astype(int) - half
    ok = (t >= 0) & (t < grid.shape[1]) & (start >= 0) & (start + 2 * half < grid.shape[0])
    t, s_line, start = t[ok], s_line[ok], start[ok]
    if len(t) < MIN_COLUMNS:
        return None
    rows = start[:, None] + np.arange(2 * half + 1)
    for p, q in neighbours:                # the adjacent edges' lines: stay clear of them
        n = np.array([q[1] - p[1], p[0] - q[0]])
        n = n / (np.hypot(*n) or 1.0)
        px = np.stack(np.broadcast_arrays(t[:, None], rows), axis=-1)   # (t, s) a pixel
        xy = px[..., ::-1] if steep else px
        clear = np.abs((xy - q) @ n).min(axis=1) >= CLEAR
        t, s_line, start, rows = t[clear], s_line[clear], start[clear], rows[clear]
    if len(t) < MIN_COLUMNS:
        return None
    profile = grid[rows, t.astype(int)[:, None]]          # (K, 2 * half + 1)
    light_first = cx[1] > ax[1] + (cx[0] - ax[0]) * slope   # the marker lies at larger s
    if not light_first:
        profile = profile[:, ::-1]
    light, dark = profile[:, 0].mean(), profile[:, -1].mean()
    if light - dark < MIN_CONTRAST:
        return None
    light_length = ((profile - dark) / (light - dark)).sum(axis=1)
    if light_first:
        s = start - 0.5 + light_length
    else:
        s = start + 2 * half + 0.5 - light_length
    A = np.column_stack([np.ones_like(t), t])
    keep = np.ones(len(t), dtype=bool)
    for _ in range(2):                     # fit, drop outliers once, fit again
        coef, *_ = np.linalg.lstsq(A[keep], s[keep], rcond=None)
        resid = s - A @ coef
        scale = 1.4826 * np.median(np.abs(resid[keep]))
        new = np.abs(resid) <= max(4 * scale, 0.1)
        if new.sum() < MIN_COLUMNS or np.array_equal(new, keep):
            break
        keep = new
    c0, c1 = coef                           # s = c0 + c1 t
    return np.array([c1, -1.0, c0]) if not steep else np.array([-1.0, c1, c0])
