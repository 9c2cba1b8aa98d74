"""A square marker's corners without bias: the intersections of lines fitted to its edges.

OpenCV's corner refinement (``cornerSubPix``) finds where the image gradient is orthogonal
to the rays from the corner; near a blurred, pixel-sampled corner that point lies inside
the marker, 0.15 to 0.24 px toward its centre on bench/marker_corners.py's images; a
marker that looks small makes a calibrated arm too large (issue 26).  Here each edge is
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
adds scatter, not bias.  The window reaches half the black border into the marker and
at least 3 px out of it, across the edge (so the marker's inner bits stay out); columns
near the adjacent edges are skipped.  ``L`` and ``D`` are the mean grey levels at the
windows' two ends, or for a border too thin to show its black once blurred, ``D`` is the
mean of the marker's deep-dark pixels (:func:`dark_level`).  The edge's line is the
least-squares fit of these crossings (one outlier pass).  Two passes: the first from the
detector's quadrilateral, the second with the windows placed by the first pass's lines.

Pure numpy: no OpenCV, no pygame.  Pixels have (0, 0) at the centre of the top-left pixel.
"""

from __future__ import annotations

import numpy as np

__all__ = ["refine_corners", "fit_edge", "intersect", "border_width", "reach", "dark_level",
           "MIN_CONTRAST"]

MIN_CONTRAST = 8.0        # grey levels between the light and dark sides of an edge, at least
MIN_COLUMNS = 4           # pixel columns an edge is measured on, at least
CLEAR = 2.5               # px from a window's pixel centres to the adjacent edges, at least
MAX_REACH = 6             # px a window reaches across an edge, at most
THIN = 5.0                # px: a border thinner than this shows no black plateau once blurred;
                          # its black is measured deeper inside the marker (dark_level)


def refine_corners(gray, quad, bits, lens=None, passes=2):
    """The four corners of a marker, refined.

    Parameters
    ----------
    gray : ndarray (H, W)   the image, grey levels (any real dtype)
    quad : ndarray (4, 2)   its corners as found by a detector, in OpenCV's ArUco order
                            (clockwise in the image from the marker's top-left) [px]
    bits : int              data bits a side (4 for DICT_4X4_*): the black border is one
                            cell of ``side / (bits + 2)``
    lens : Lens or None     the camera's distortion (:class:`~armsim.vision.real.lens.Lens`):
                            the edges, curved in the image, are straight lines once the
                            points measured on them are undistorted; the lines are fitted
                            and intersected there and the corners distorted back

    Returns
    -------
    ndarray (4, 2) [px], or None where an edge cannot be measured (too near the image's
    border, too short, or too little contrast).
    """
    img = np.asarray(gray, dtype=float)
    corners = np.asarray(quad, dtype=float).reshape(4, 2)
    if not np.all(np.isfinite(corners)):
        return None
    centre = corners.mean(axis=0)
    for _ in range(passes):
        lines = []
        level = dark_level(img, corners)
        for i in range(4):
            a, b = corners[i], corners[(i + 1) % 4]
            width = border_width(corners, i, bits)
            dark, light = reach(width)
            line = fit_edge(img, a, b, centre, dark, light, corners[i - 1], corners[(i + 2) % 4],
                            dark_level=level if width < THIN else None, lens=lens)
            if line is None:
                return None
            lines.append(line)
        new = np.array([intersect(lines[i - 1], lines[i]) for i in range(4)])
        if lens is not None and lens.distorts and np.all(np.isfinite(new)):
            new = lens.distort(new)
        if not np.all(np.isfinite(new)) or np.max(np.abs(new - corners)) > 2 * MAX_REACH + 2:
            return None
        corners = new
    return corners


def border_width(corners, i, bits):
    """The black border's width [px] across edge ``i`` (from corner ``i`` to ``i + 1``) of
    the quadrilateral ``corners`` (4, 2): the marker's height across that edge, the mean
    distance of the opposite corners from its line, over ``bits + 2`` cells."""
    a, b = corners[i], corners[(i + 1) % 4]
    d = b - a
    n = np.array([-d[1], d[0]]) / (np.hypot(*d) or 1.0)
    height = np.mean(np.abs((corners[[(i + 2) % 4, (i + 3) % 4]] - a) @ n))
    return float(height) / (bits + 2)


def dark_level(img, corners, depth=2):
    """The marker's black, far from any light pixel: the mean grey level of the pixels
    inside ``corners`` (4, 2) whose every neighbour within ``depth`` pixels (a square) is
    darker than the midpoint of the quadrilateral's grey levels; None if there is none."""
    lo = np.floor(corners.min(axis=0)).astype(int)
    hi = np.ceil(corners.max(axis=0)).astype(int) + 1
    lo, hi = np.maximum(lo, 0), np.minimum(hi, img.shape[::-1])
    crop = img[lo[1]:hi[1], lo[0]:hi[0]]
    if crop.shape[0] <= 2 * depth or crop.shape[1] <= 2 * depth:
        return None
    ys, xs = np.mgrid[lo[1]:hi[1], lo[0]:hi[0]]
    inside = np.ones(crop.shape, dtype=bool)
    for i in range(4):                     # on the marker's side of each edge
        a, b = corners[i], corners[(i + 1) % 4]
        c = corners.mean(axis=0)
        side = lambda x, y: (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0])
        inside &= side(xs, ys) * side(*c) > 0
    if not inside.any():
        return None
    mid = 0.5 * (crop[inside].min() + crop[inside].max())
    dark = crop < mid
    deep = dark.copy()
    h, w = crop.shape
    for dy in range(-depth, depth + 1):
        for dx in range(-depth, depth + 1):
            shifted = np.zeros_like(dark)
            shifted[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
                dark[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
            deep &= shifted
    deep &= inside
    return float(crop[deep].mean()) if deep.any() else None


def reach(width):
    """How far (px, across the edge) a window reaches into the black border and out
    onto the white margin: half the border (at least 2 px, at most :data:`MAX_REACH`),
    and at least 3 px outside."""
    dark = float(np.clip(width / 2, 2, MAX_REACH))
    return dark, max(dark, 3.0)


def intersect(l1, l2):
    """The point (2,) where the lines ``a x + b y + c = 0`` given as (a, b, c) meet."""
    p = np.cross(l1, l2)
    if abs(p[2]) < 1e-12 * (abs(p[0]) + abs(p[1]) + 1e-300):
        return np.array([np.nan, np.nan])
    return p[:2] / p[2]


def fit_edge(img, a, b, centre, dark, light, before=None, after=None, dark_level=None,
             lens=None):
    """The line (a, b, c) with ``a x + b y + c = 0`` through the edge from corner ``a`` to
    corner ``b`` (each (2,) [px]) of a dark marker whose centre is ``centre``; None when
    it cannot be measured.  The window reaches ``dark`` pixels into the marker and
    ``light`` pixels out of it, measured across the edge.
    ``before`` and ``after``: the corners before ``a`` and after ``b``; a column is used
    only where every pixel of its window is :data:`CLEAR` pixels or more from the lines
    of the adjacent edges (``before``-``a`` and ``b``-``after``), so an acute corner seen
    in perspective does not reach into the windows.  ``dark_level``: the marker's black
    (:func:`dark_level`), for a border too thin to show it; else it is the mean of the
    windows' dark ends.  ``lens``: the line is fitted to the undistorted points (and is a
    line of the undistorted image)."""
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
    margin = 1.0                           # (the corners are kept clear of below: CLEAR)
    light_first = cx[1] > ax[1] + (cx[0] - ax[0]) * slope   # the marker lies at larger s
    # the window reaches so far across the edge, which is further along the column; its
    # end pixels' centres lie within the reach, so the pixels beyond (the marker's inner
    # bits, past its border) stay out
    stretch = np.hypot(1.0, slope)
    ahead, behind = (light, dark) if light_first else (dark, light)
    t = np.arange(np.ceil(ax[0] + margin), np.floor(bx[0] - margin) + 1)
    s_line = ax[1] + (t - ax[0]) * slope
    first = np.ceil(s_line - ahead * stretch - 1e-9).astype(int)
    last = np.floor(s_line + behind * stretch + 1e-9).astype(int)
    ok = (t >= 0) & (t < grid.shape[1]) & (first >= 0) & (last < grid.shape[0])
    t, first, last = t[ok], first[ok], last[ok]
    if len(t) < MIN_COLUMNS:
        return None
    size = int((last - first).max()) + 1
    rows = np.minimum(first[:, None] + np.arange(size), last[:, None])   # (K, size)
    for p, q in neighbours:                # the adjacent edges' lines: stay clear of them
        n = np.array([q[1] - p[1], p[0] - q[0]])
        n = n / (np.hypot(*n) or 1.0)
        px = np.stack(np.broadcast_arrays(t[:, None], rows), axis=-1)   # (t, s) a pixel
        xy = px[..., ::-1] if steep else px
        clear = np.abs((xy - q) @ n).min(axis=1) >= CLEAR
        t, first, last, rows = t[clear], first[clear], last[clear], rows[clear]
    if len(t) < MIN_COLUMNS:
        return None
    cols = t.astype(int)
    profile = grid[rows, cols[:, None]]                   # (K, size), the last row repeated
    inside = first[:, None] + np.arange(size) <= last[:, None]
    top, bottom = grid[first, cols], grid[last, cols]
    light, dark = (top.mean(), bottom.mean()) if light_first else (bottom.mean(), top.mean())
    if dark_level is not None:
        dark = dark_level
    if light - dark < MIN_CONTRAST:
        return None
    light_length = np.where(inside, (profile - dark) / (light - dark), 0.0).sum(axis=1)
    if light_first:
        s = first - 0.5 + light_length
    else:                                  # the light part is at the window's far end
        s = last + 0.5 - light_length
    t = t.astype(float)
    if lens is not None and lens.distorts:
        xy = np.column_stack([s, t] if steep else [t, s])
        xy = lens.undistort(xy)
        t, s = (xy[:, 1], xy[:, 0]) if steep else (xy[:, 0], xy[:, 1])
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
