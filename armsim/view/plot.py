"""The error plot: what a run measured, against frames, on a log scale, drawn with pygame.

:class:`History` keeps the last ``length`` values of each series (the window's live
plot); :class:`RunHistory` keeps a whole run in bounded memory by decimation (every
second point dropped when full, later points taken at twice the stride), for the PNG
written beside a GIF (``--plot``).  :func:`draw_plot` paints either into a rectangle
and returns the axes it used, so a test can find where a value must be drawn.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

import pygame

from armsim.view.style import Theme, _font, type_scale, wrap_lines

__all__ = ["Series", "History", "RunHistory", "Axis", "draw_plot", "series_for", "values_of",
           "FLOOR", "LIVE_LENGTH"]

#: values below this (an exact zero error) are drawn at it, as a log scale has no zero
FLOOR = 1e-12
#: frames the window's live plot shows
LIVE_LENGTH = 600


@dataclass(frozen=True)
class Series:
    """One curve: its name (legend), colour and row (curves of one row share an axis)."""

    name: str
    color: tuple
    row: int = 0
    row_title: str = ""


def series_for(state, theme: Theme) -> list[Series]:
    """The curves a state has: each arm's tip error [m] (one row); for a calibration
    state the best loss [rad^2] and the best candidate's true errors (second row); for a
    3D calibration state the best loss [px^2] and the best candidate's largest relative
    parameter error (second row)."""
    if hasattr(state, "camera_rotations"):
        return [Series("best loss", theme.goal, 0, "best loss [px^2]"),
                Series("max rel. error", theme.reference, 1, "true error of the best")]
    if hasattr(state, "best_loss"):
        return [Series("best loss", theme.goal, 0, "best loss [rad^2]"),
                Series("lengths (rel.)", theme.reference, 1, "true error of the best"),
                Series("angles [rad]", theme.candidate, 1, "true error of the best")]
    arms = [state] + list(getattr(state, "companions", None) or [])
    colors = [theme.target, theme.goal, theme.reference, theme.candidate]
    out = []
    for i, st in enumerate(arms):
        name = str(getattr(st, "label", "") or ("tip error" if len(arms) == 1 else f"arm {i + 1}"))
        out.append(Series(name, colors[i % len(colors)], 0, "tip error [m]"))
    return out


def values_of(state) -> list[float]:
    """The current values of :func:`series_for`'s curves, in the same order."""
    if hasattr(state, "camera_rotations"):
        return [float(state.best_loss), float(state.best_error)]
    if hasattr(state, "best_loss"):
        b = int(getattr(state, "best", 0))
        lrel = np.asarray(state.length_error_rel, dtype=float).reshape(-1)
        ang = np.asarray(state.angle_error, dtype=float).reshape(-1)
        ok = 0 <= b < len(lrel)
        return [float(state.best_loss), float(lrel[b]) if ok else math.nan,
                float(ang[b]) if ok else math.nan]
    arms = [state] + list(getattr(state, "companions", None) or [])
    return [float(getattr(st, "error", math.nan)) for st in arms]


class History:
    """The last ``length`` frames of each series: (frame, value) pairs, bounded memory."""

    def __init__(self, series, length=LIVE_LENGTH):
        self.series = list(series)
        self.length = None if length is None else int(length)
        self.clear()

    def clear(self):
        self.frames = deque(maxlen=self.length)
        self.values = [deque(maxlen=self.length) for _ in self.series]

    def add(self, frame, values):
        self.frames.append(int(frame))
        for d, v in zip(self.values, values):
            d.append(float(v))

    def arrays(self):
        """(frames (K,), [values (K,) per series])."""
        return np.array(self.frames, dtype=float), [np.array(v, dtype=float) for v in self.values]


class RunHistory(History):
    """A whole run in at most ``capacity`` points per series: when full, the stride
    doubles and only the frames that are multiples of it are kept (then and from then on)."""

    def __init__(self, series, capacity=2048):
        self.capacity = max(2, int(capacity))
        self.stride = 1
        super().__init__(series, length=None)

    def clear(self):
        self.stride = 1
        self.frames = []
        self.values = [[] for _ in self.series]

    def add(self, frame, values):
        if int(frame) % self.stride:
            return
        while len(self.frames) >= self.capacity:      # keep the frames a multiple of twice the stride
            self.stride *= 2
            keep = [i for i, f in enumerate(self.frames) if f % self.stride == 0]
            self.frames = [self.frames[i] for i in keep]
            self.values = [[v[i] for i in keep] for v in self.values]
            if int(frame) % self.stride:
                return
        self.frames.append(int(frame))
        for d, v in zip(self.values, values):
            d.append(float(v))


@dataclass(frozen=True)
class Axis:
    """Where one row of the plot is: ``rect`` [px], log10 range ``lo``..``hi`` (bottom to
    top) and frames ``f0``..``f1`` (left to right)."""

    rect: pygame.Rect
    lo: int
    hi: int
    f0: float
    f1: float

    def y(self, value) -> float:
        """Pixel row of ``value`` (below :data:`FLOOR`: at it): 10**lo on the last row
        inside the frame, 10**hi on the first."""
        v = max(float(value), FLOOR)
        inner = self.rect.h - 3
        return self.rect.bottom - 2 - (math.log10(v) - self.lo) / (self.hi - self.lo) * inner

    def x(self, frame) -> float:
        span = self.f1 - self.f0
        inner = self.rect.w - 3
        return self.rect.left + 1 + (0.0 if span <= 0 else (float(frame) - self.f0) / span * inner)


def draw_plot(surface, rect, history: History, theme: Theme, title="", placed=None) -> list[Axis]:
    """Draw ``history`` into ``rect`` of ``surface`` (box, decade grid and labels, one
    curve per series, legend, the first and last frame under the last row).  Returns the
    :class:`Axis` of each row.

    The title is in the body size of the surface's :func:`~armsim.view.style.type_scale`,
    the rest in its small size (wrapped or left out, never shrunk, where the rect is
    narrow, and left out where the rect is too small for them: no word is cut by its
    edge); each row's plot area starts half a label below its heading, so the top decade's
    label never meets the heading.  ``placed``: a list that gets (text, ``pygame.Rect``) of
    every word drawn."""
    rect = pygame.Rect(rect)
    if rect.w < 40 or rect.h < 40:
        return []
    box = pygame.Surface(rect.size, pygame.SRCALPHA)
    box.fill((*theme.panel, 215))
    surface.blit(box, rect.topleft)
    sizes = type_scale(*surface.get_size())
    font, title_font = _font(sizes.small), _font(sizes.body)
    placed = [] if placed is None else placed
    earlier = len(placed)

    def put(text, color, xy, f=font):
        # a word that would be cut by the box or meet another is left out (a small box)
        t = f.render(text, True, color)
        r = pygame.Rect(xy, t.get_size())
        if rect.contains(r) and not any(r.colliderect(q) for _, q in placed[earlier:]):
            surface.blit(t, xy)
            placed.append((text, r))
        return t

    frames, values = history.arrays()
    rows = sorted({s.row for s in history.series})
    pad = max(3, font.get_height() // 3)
    label_w = font.size("1e-10")[0] + pad
    top = rect.y + pad
    clip = surface.get_clip()
    surface.set_clip(rect.clip(clip) if clip else rect)
    line, fh = font.get_linesize(), font.get_height()
    # a row: its heading, half a label over and under the curve's box, and the box tall
    # enough for its top and bottom decades' labels a line apart (one label alone would
    # make the curve look as if it lay at that value)
    least = max(11, fh + 3)
    need = least + fh + 2 * (fh // 2) + pad + pad // 2
    heads = wrap_lines([title], title_font, rect.w - 2 * pad) if title else []
    room = rect.bottom - pad - top - line
    titled = max(room - len(heads) * title_font.get_linesize(), 0)
    if heads and min(titled // need, len(rows)) < min(max(room, 0) // need, len(rows)):
        heads = []              # a short box: the curves before the title (more rows fit)
    for words in heads:
        put(words, theme.text, (rect.x + pad, top), title_font)
        top += title_font.get_linesize()
    room = rect.bottom - pad - top - line
    if len(rows) > 1 and need <= room < need * len(rows):
        rows = rows[:room // need]                      # the rows that fit, the first first
    row_h = (rect.bottom - pad - top - line) / max(len(rows), 1)   # a line left for frames
    axes = []
    for k, row in enumerate(rows):
        members = [i for i, s in enumerate(history.series) if s.row == row]
        head = history.series[members[0]].row_title
        ry = int(top + k * row_h)
        # the heading, then each curve's name in its colour, onto a new line when the width ends
        words = [(head + (":" if len(members) > 1 else ""), theme.text)]
        if len(members) > 1:
            words += [(history.series[i].name, history.series[i].color) for i in members]
        x, y = rect.x + pad, ry
        for j, (word, color) in enumerate(words):
            w = font.size(word)[0]
            if j and x + font.size("  ")[0] + w > rect.right - pad:
                x, y = rect.x + pad + font.size("  ")[0], y + line
            elif j:
                x += font.size("  ")[0]
            x += put(word, color, (x, y)).get_width()
        heading_bottom = y + font.get_height()
        area_top = heading_bottom + font.get_height() // 2 + pad // 2   # room for half a label
        area = pygame.Rect(rect.x + label_w + pad, area_top,
                           rect.w - label_w - 2 * pad,
                           int(ry + row_h) - area_top - pad - font.get_height() // 2)
        if area.w < 10 or area.h < least:
            continue
        pick = [values[i] for i in members]
        finite = np.concatenate([v[np.isfinite(v)] for v in pick]) if pick else np.zeros(0)
        finite = np.maximum(finite, FLOOR)
        if finite.size:
            lo, hi = math.floor(math.log10(finite.min())), math.ceil(math.log10(finite.max()))
        else:
            lo, hi = -3, 0
        if hi <= lo:
            hi = lo + 1
        f0, f1 = (float(frames[0]), float(frames[-1])) if len(frames) else (0.0, 1.0)
        axis = Axis(area, lo, hi, f0, f1)
        axes.append(axis)
        pygame.draw.rect(surface, theme.separator, area, 1)
        # at most about 5 labelled decades, and never closer than a line apart
        per_decade = (area.h - 3) / (hi - lo)
        step = max(1, -(-(hi - lo) // 4), math.ceil(font.get_height() / max(per_decade, 1e-9)))
        for e in range(lo, hi + 1):
            y = int(round(axis.y(10.0 ** e)))
            if e not in (lo, hi):
                pygame.draw.line(surface, theme.reach, (area.left + 1, y), (area.right - 2, y), 1)
            if len(frames) and ((e - lo) % step == 0 or e == hi):    # (no values: no scale)
                w, h = font.size(f"1e{e}")
                spot = pygame.Rect(area.left - w - 2, y - h // 2, w, h)
                if e == hi and any(spot.colliderect(r) for _, r in placed):
                    continue                       # the top decade's label would meet another
                put(f"1e{e}", theme.text, spot.topleft)
        surface.set_clip(area.clip(clip) if clip else area)
        for i in members:
            v = values[i]
            ok = np.isfinite(v)
            pts = [(axis.x(f), axis.y(val)) for f, val in zip(frames[ok], v[ok])]
            pts = [(int(round(x)), int(round(y))) for x, y in pts]
            if len(pts) >= 2:
                pygame.draw.lines(surface, history.series[i].color, False, pts, 2)
            elif pts:
                pygame.draw.circle(surface, history.series[i].color, pts[0], 2)
        surface.set_clip(rect.clip(clip) if clip else rect)
    if axes and not len(frames):        # (a run reset while paused): said, no numbers
        last = axes[-1]
        put("no frames yet", theme.text, (last.rect.left, last.rect.bottom + max(2, pad // 2)))
    elif axes:          # the frames under the last row: its first (named) and its last
        last = axes[-1]
        y = last.rect.bottom + max(2, pad // 2)
        first, end = f"frame {last.f0:.0f}", f"{last.f1:.0f}"
        if last.rect.left + font.size(first)[0] + 2 * pad < last.rect.right - font.size(end)[0]:
            put(first, theme.text, (last.rect.left, y))
        else:                   # no room for both: the last, named (a bare number says nothing)
            end = f"frame {last.f1:.0f}"
        put(end, theme.text, (last.rect.right - font.size(end)[0], y))
    surface.set_clip(clip)
    return axes
