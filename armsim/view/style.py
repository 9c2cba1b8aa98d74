"""Colours, sizes and the drawing primitives that every picture shares (no state, no window)."""


from __future__ import annotations

import colorsys
import contextlib
import contextvars
import functools
import math
import dataclasses
import re
from dataclasses import dataclass

import os

import numpy as np


os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402


Color = tuple[int, int, int]

# Pixel coordinates are clamped to this far outside the surface, so that a
# point far off screen still draws (clipped) and never overflows pygame's ints.
_SCREEN_MARGIN = 10_000


@dataclass(frozen=True)
class Theme:
    """Colours and sizes of the picture.  Every colour is an RGB triple."""

    background: Color = (18, 20, 28)
    reach: Color = (48, 54, 72)
    trail: Color = (90, 100, 130)
    base: Color = (150, 155, 170)
    joint: Color = (225, 228, 236)
    joint_fill: Color = (30, 33, 44)
    tip: Color = (255, 255, 255)
    target: Color = (255, 64, 64)
    direction: Color = (130, 136, 160)
    panel: Color = (10, 11, 16)
    text: Color = (220, 224, 235)
    waypoint: Color = (160, 168, 196)
    separator: Color = (70, 76, 96)
    segments: tuple[Color, ...] = (
        (78, 201, 176),   # teal
        (242, 166, 90),   # orange
        (155, 140, 255),  # violet
        (247, 211, 92),   # yellow
        (90, 180, 242),   # blue
        (239, 111, 168),  # pink
    )
    segment_width: int = 7
    joint_radius: int = 6
    target_radius: int = 10
    font_size: int = 20       # the scale of paddings; text sizes come from type_scale()
    line_width: int = 2       # trail, Jacobian arrows, target ring
    warning: Color = (255, 196, 64)   # the words saying the solver stops short
    # calibration scenes (the same on both themes): the hidden reference arm, the
    # candidate models, those the next generation replaces, cameras and sight lines
    reference: Color = (60, 130, 255)
    candidate: Color = (60, 200, 100)
    doomed: Color = (230, 50, 50)
    camera: Color = (200, 204, 216)
    sight: Color = (104, 112, 150)
    goal: Color = (250, 190, 40)

    def segment_color(self, j: int) -> Color:
        """Colour of segment ``j`` (0 = next to the base): the palette's, then, past its
        end, hues a golden angle apart at three lightnesses, so no two segments share a
        colour however many there are (see :func:`golden_color`)."""
        j = int(j)
        if j < len(self.segments):
            return self.segments[j]
        dark = sum(self.background) < 3 * 128
        return golden_color(j - len(self.segments), dark)


GOLDEN_ANGLE = 137.50776405003785   # degrees: 360 (1 - 1/phi)


def golden_color(k: int, dark: bool = True) -> Color:
    """The ``k``-th extra segment colour: hue ``k`` golden angles from 15 degrees,
    lightness cycling through three levels (light ones on a dark background)."""
    hue = ((15.0 + k * GOLDEN_ANGLE) % 360.0) / 360.0
    levels = (0.66, 0.52, 0.78) if dark else (0.40, 0.28, 0.52)
    r, g, b = colorsys.hls_to_rgb(hue, levels[k % 3], 0.75)
    return (int(round(255 * r)), int(round(255 * g)), int(round(255 * b)))


DEFAULT_THEME = Theme()

#: the picture size the theme's sizes are for; other sizes scale them by min(W, H) / this
REFERENCE_SIDE = 360


def scaled_theme(theme: Theme, size) -> Theme:
    """``theme`` with its line widths, radii and font size scaled to a surface of ``size``
    (by ``min(W, H) / REFERENCE_SIDE``, never below 1 px; the same theme at 480x360)."""
    k = min(size) / REFERENCE_SIDE
    if abs(k - 1.0) < 1e-9:
        return theme
    def sc(v, lo=1):
        return max(lo, int(round(v * k)))
    return dataclasses.replace(theme, segment_width=sc(theme.segment_width),
                               joint_radius=sc(theme.joint_radius, 2),
                               target_radius=sc(theme.target_radius, 3),
                               font_size=sc(theme.font_size, 8), line_width=sc(theme.line_width))


def _finite_positive(x, fallback: float) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return fallback
    return x if math.isfinite(x) and x > 0 else fallback


def _check_size(size) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height), got {size!r}") from None
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, got {width}x{height}")
    return width, height


def _pixel(p, size) -> tuple[int, int] | None:
    """One pixel position as ints, or None if it is not finite."""
    x, y = float(p[0]), float(p[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    lo_x, hi_x = -_SCREEN_MARGIN, size[0] + _SCREEN_MARGIN
    lo_y, hi_y = -_SCREEN_MARGIN, size[1] + _SCREEN_MARGIN
    return (int(round(min(max(x, lo_x), hi_x))), int(round(min(max(y, lo_y), hi_y))))


_FONTS: dict[int, pygame.font.Font] = {}


def _font(size: int) -> pygame.font.Font:
    """The default pygame font at ``size`` (:class:`_Font`); works without a display."""
    if not pygame.font.get_init():
        pygame.font.init()
        _FONTS.clear()  # fonts made before a pygame.quit() are dead
    if size not in _FONTS:
        _FONTS[size] = _Font(size)
    return _FONTS[size]


class _Font(pygame.font.Font):
    """pygame's default font, its text passed through :func:`drawable` to be measured and
    drawn."""

    def __init__(self, size: int):
        super().__init__(None, size)

    def render(self, text, *args, **kwargs):
        return super().render(drawable(text), *args, **kwargs)

    def size(self, text):
        return super().size(drawable(text))


_GLYPHS: dict[str, bool] = {}


def drawable(text):
    """``text`` with each character the default font has no glyph for (CJK, emoji) or that
    is not printable written as its escape (``左手`` -> ``\\u5de6\\u624b``): the font draws
    all of them as one box, so two such names (tools ``左手`` and ``右手``) looked alike."""
    if not isinstance(text, str) or (text.isascii() and text.isprintable()):
        return text
    return "".join(c if _has_glyph(c) else ascii(c)[1:-1] for c in text)


_GLYPH_FONT: list = []      # the default font read by pygame.freetype, which tells a glyph


def _has_glyph(c: str) -> bool:
    if c not in _GLYPHS:
        if not c.isprintable():
            _GLYPHS[c] = False
            return False
        try:
            import pygame.freetype as freetype
            if not freetype.get_init():       # (pygame.quit() ends it and its fonts)
                freetype.init()
                _GLYPH_FONT.clear()
            if not _GLYPH_FONT:
                _GLYPH_FONT.append(freetype.Font(None, 12))
            _GLYPHS[c] = _GLYPH_FONT[0].get_metrics(c)[0] is not None
        except (ImportError, pygame.error, RuntimeError):     # (no freetype: as drawn)
            return True
    return _GLYPHS[c]


# -- the type scale: three sizes from the surface's size, never from what they show --------

#: the smallest text's height [px]: the ink of "Hg", from the top of the H to the foot of the g
MIN_TEXT_PX = 11
#: title, body and small text as fractions of min(width, height) (pygame font sizes)
TYPE_FRACTIONS = (0.040, 0.032, 0.025)

_INK: dict[int, int] = {}


def text_height(size: int) -> int:
    """The measured height [px] of text at font ``size``: the ink rows of "Hg" rendered."""
    size = int(size)
    if size not in _INK:
        img = pygame.surfarray.array3d(_font(size).render("Hg", True, (255, 255, 255), (0, 0, 0)))
        rows = np.flatnonzero(img.max(axis=(0, 2)) > 96)
        _INK[size] = int(rows[-1] - rows[0] + 1) if len(rows) else 0
    return _INK[size]


@functools.lru_cache(maxsize=8)
def _floor_size(px: int = MIN_TEXT_PX) -> int:
    """The smallest font size whose :func:`text_height` is at least ``px``."""
    size = 6
    while text_height(size) < px and size < 200:
        size += 1
    return size


@dataclass(frozen=True)
class TypeScale:
    """The three font sizes of a picture (pygame sizes; :func:`text_height` gives pixels)."""

    title: int
    body: int
    small: int

    def font(self, role: str) -> pygame.font.Font:
        """The font of ``role`` ("title", "body" or "small")."""
        return _font(getattr(self, role))


def type_scale(width, height) -> TypeScale:
    """Title, body and small sizes for a surface of ``width`` x ``height``: the fractions
    :data:`TYPE_FRACTIONS` of min(width, height), small never under :data:`MIN_TEXT_PX` of
    measured height, each size at least three above the next smaller one.  Text that does
    not fit is laid out (:func:`fit_lines`: wrapped, trimmed), never shrunk."""
    w, h = _check_size((width, height))
    m = min(w, h)
    t, b, s = (int(round(f * m)) for f in TYPE_FRACTIONS)
    small = max(s, _floor_size())
    body = max(b, small + 3)
    title = max(t, body + 3)
    return TypeScale(title, body, small)


#: a space between a number and one of these units never breaks ("0.0" / "deg" read apart)
_UNIT_SPACE = re.compile(r"(?<=\d) (?=(?:mm|cm|m|km|deg|rad|px|ms|s|Hz|%)(?![\w/]))")
_SLASHED = re.compile(r"[^/]*/+|[^/]+")        # a word in parts, each up to its slashes


def _words(text) -> list[str]:
    """``text`` split at its spaces, a number kept with its unit ("0.0 mm," is one word)."""
    return [w.replace("\0", " ") for w in _UNIT_SPACE.sub("\0", text).split(" ")]


def wrap_lines(lines, font, width, indent="  ") -> list[str]:
    """``lines`` broken at spaces so that each is at most ``width`` px wide in ``font``;
    continuation lines start with ``indent``; a "key  value" line (two spaces) too wide breaks
    there first; a number and its unit stay together; a word wider than ``width`` breaks after
    its slashes, and a part still wider is cut, its end replaced by "..."."""
    out = []
    for line in lines:
        line = str(line)
        lead = line[:len(line) - len(line.lstrip(" "))]
        key, sep, value = line[len(lead):].partition("  ")
        if sep and value.strip() and font.size(line)[0] > width:
            # "key  value" too wide: the value goes under its key first
            out += wrap_lines([lead + key, lead + indent + value.strip()], font, width, indent)
            continue
        cur = lead
        for word in _words(line[len(lead):]):
            # a word too wide for a line of its own breaks after its slashes first
            # ("gradient/" "backtrack"), then is cut
            parts = (_SLASHED.findall(word) if "/" in word.strip("/")
                     and font.size(indent + word)[0] > width else [word])
            for i, part in enumerate(parts):
                trial = cur + ("" if i else " ") + part if cur.strip() else cur + part
                if cur.strip() and font.size(trial)[0] > width:
                    out.append(cur.rstrip())
                    cur = indent + part
                else:
                    cur = trial
        out.append(cur)
    return [_cut(line, font, width) for line in out]


def _cut(line, font, width) -> str:
    """``line``, or its longest start that fits ``width`` px with "..." after it (found by
    bisection: one character at a time took seconds for a long word)."""
    if font.size(line)[0] <= width:
        return line
    lo, hi = 0, len(line)           # line[:lo] + "..." fits; line[:hi] + "..." does not
    if font.size(line + "...")[0] <= width:
        return line + "..."
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if font.size(line[:mid] + "...")[0] <= width:
            lo = mid
        else:
            hi = mid
    return line[:lo] + "..."


def fit_lines(lines, font, width, height=None) -> list[str]:
    """:func:`wrap_lines`, then as many whole lines as ``height`` px holds (the last kept
    line ends in "..." when some were left out)."""
    out = wrap_lines(lines, font, width)
    if height is None:
        return out
    room = max(int(height) // max(font.get_linesize(), 1), 0)
    if len(out) > room:
        out = out[:room]
        if out:
            out[-1] = _cut(out[-1].rstrip(".") + "...", font, width)
    return out


#: a line cut short ("err...", "0.4...") still says something when it keeps this many
#: characters (dots and spaces aside); a box none of whose lines keeps as many is left out
READABLE_CHARS = 3


def _kept(line) -> int:
    """The characters of ``line`` besides spaces and its closing dots."""
    return len(line.strip().rstrip(".").replace(" ", ""))


def readable(lines) -> list[int]:
    """The indices of the ``lines`` (as :func:`fit_lines` left them) that say something: a
    whole line, or one cut to at least :data:`READABLE_CHARS` characters ("fr...", ".." do
    not); none when no line keeps that many (a lone "0" under a cut key): the box that
    would show them is then left out, never drawn as dots."""
    keep = [i for i, t in enumerate(lines)
            if _kept(t) >= READABLE_CHARS or (_kept(t) and not t.rstrip().endswith(".."))]
    return keep if any(_kept(lines[i]) >= READABLE_CHARS for i in keep) else []


def _as_points(a) -> np.ndarray:
    """``a`` as a float array (M, 2); an empty (0, 2) array if it is not one."""
    try:
        a = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        return np.zeros((0, 2))
    if a.ndim != 2 or a.shape[1] != 2:
        return np.zeros((0, 2))
    return a


def _as_point(a) -> np.ndarray | None:
    try:
        a = np.asarray(a, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        return None
    if a.shape != (2,) or not np.all(np.isfinite(a)):
        return None
    return a


def _draw_target(surface, color, c, r, width=2) -> None:
    """The target marker: a ring of radius ``r`` with a cross through it, centred on pixel ``c``."""
    pygame.draw.circle(surface, color, c, r, width)
    arm, thin = r + 2 * width, max(1, width // 2)
    pygame.draw.line(surface, color, (c[0] - arm, c[1]), (c[0] + arm, c[1]), thin)
    pygame.draw.line(surface, color, (c[0], c[1] - arm), (c[0], c[1] + arm), thin)


def _draw_arrow(surface, color, start, end, width=2, head=9.0) -> None:
    """A line from ``start`` to ``end`` (pixels, float) with a filled head."""
    d = np.asarray(end, float) - np.asarray(start, float)
    length = float(np.hypot(d[0], d[1]))
    a, b = _pixel(start, surface.get_size()), _pixel(end, surface.get_size())
    if a is None or b is None or length < 1.0:
        return
    u = d / length
    n = np.array([-u[1], u[0]])
    h = min(head, 0.45 * length)
    neck = np.asarray(end, float) - u * h
    pygame.draw.line(surface, color, a, _pixel(neck, surface.get_size()), width)
    corners = [np.asarray(end, float), neck + n * h * 0.5, neck - n * h * 0.5]
    pts = [_pixel(c, surface.get_size()) for c in corners]
    pygame.draw.polygon(surface, color, pts)


def _num(x) -> str:
    """A panel's number in 4 significant digits (an error of 1e-5 m read "0.0000", a far
    target's 141421 m was cut to "141420..."); "-" for none (NaN: no target)."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "?"
    return "-" if math.isnan(x) else f"{x:.4g}"


LIGHT_THEME = Theme(
    background=(246, 246, 242),
    reach=(214, 216, 224),
    trail=(150, 160, 190),
    base=(90, 95, 110),
    joint=(40, 44, 56),
    joint_fill=(250, 250, 250),
    tip=(20, 22, 28),
    target=(214, 40, 40),
    direction=(130, 136, 160),
    panel=(255, 255, 255),
    text=(25, 28, 36),
    waypoint=(110, 116, 140),
    camera=(70, 76, 96),
    sight=(160, 168, 196),
    goal=(225, 150, 0),
    segments=(
        (24, 150, 128),   # teal
        (222, 120, 30),   # orange
        (110, 90, 230),   # violet
        (190, 150, 20),   # ochre
        (30, 120, 200),   # blue
        (200, 60, 130),   # pink
    ),
)

THEMES = {"dark": DEFAULT_THEME, "light": LIGHT_THEME}


def _hex(color: str) -> Color:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def theme_from_scene(render) -> Theme:
    """The :class:`Theme` a scene's ``[render]`` table asks for: the named theme
    with the ``[render.colors]`` overrides applied.  ``render`` is an
    :class:`armsim.scene.RenderSection`."""
    theme = THEMES[render.theme]
    colors = getattr(render, "colors", None)
    if colors is None:
        return theme
    changes = {}
    for name in ("background", "reach", "trail", "base", "joint", "tip", "target", "direction", "text"):
        value = getattr(colors, name)
        if value is not None:
            changes[name] = _hex(value)
    if colors.segments:
        changes["segments"] = tuple(_hex(c) for c in colors.segments)
    return dataclasses.replace(theme, **changes)


# -- calibration scenes: the hidden arm, the population, the cameras -----------

def _polyline(surface, color, points_px, width):
    pts = [_pixel(p, surface.get_size()) for p in points_px]
    for a, b in zip(pts[:-1], pts[1:]):
        if a is not None and b is not None:
            pygame.draw.line(surface, color, a, b, width)


# -- where the pictures wrote: the window keeps its messages off it -----------------------
# (one list per thread: pictures drawn in two threads at once keep their notes apart)
_WRITTEN = contextvars.ContextVar("armsim_text_rects", default=None)


@contextlib.contextmanager
def text_rects():
    """While inside, every block of text a picture writes (a panel, a legend, a header, a
    label) notes its rect, in pixels of the top surface; yields the list of them (an outer
    one's list gets them too)."""
    written = []
    token = _WRITTEN.set(written)
    try:
        yield written
    finally:
        _WRITTEN.reset(token)
        outer = _WRITTEN.get()
        if outer is not None:
            outer.extend(written)


def wrote(surface, rect) -> pygame.Rect:
    """Note (for :func:`text_rects`) that ``surface`` has text in ``rect``; returns it."""
    rect = pygame.Rect(rect)
    written = _WRITTEN.get()
    if written is not None and rect.w > 0 and rect.h > 0:
        top = surface.get_abs_parent().get_rect()
        written.append(rect.move(surface.get_abs_offset()).clip(top))
    return rect


def _draw_text_box(surface, lines, theme, room=None):
    """Lines of text on a translucent box in the top-right corner, in the body size of the
    surface's :func:`type_scale`, wrapped to at most 0.6 of the width, or to ``room`` (the
    free column at the right edge, px) when that is at least 0.15 of the width: the box
    then stays in it, off the picture beside it.  Returns the box (None: no line shown)."""
    font = _font(type_scale(*surface.get_size()).body)
    pad, gap = max(2, (2 * font.get_height()) // 5), 2
    width = int(0.6 * surface.get_width())
    if room is not None and room >= 0.15 * surface.get_width():
        width = min(width, int(room) - 12 - 2 * pad)
    lines = fit_lines(lines, font, width, surface.get_height() // 2)
    lines = [lines[i] for i in readable(lines)]
    if not lines:
        return None
    texts = [font.render(line, True, theme.text) for line in lines]
    w = max(t.get_width() for t in texts) + 2 * pad
    h = sum(t.get_height() for t in texts) + gap * (len(texts) - 1) + 2 * pad
    _text_panel(surface, texts, (surface.get_width() - w - 6, 6), (w, h), pad, gap, theme.panel)
    return pygame.Rect(surface.get_width() - w - 6, 6, w, h)


def _text_panel(surface, texts, corner, box_size, pad, gap, color):
    """A translucent box of ``box_size`` at ``corner`` with the rendered ``texts`` stacked
    in it; returns the y just below the last line."""
    x0, y0 = corner
    box = pygame.Surface(box_size, pygame.SRCALPHA)
    box.fill((*color, 200))
    surface.blit(box, (x0, y0))
    wrote(surface, pygame.Rect((x0, y0), box_size))
    y = y0 + pad
    for t in texts:
        surface.blit(t, (x0 + pad, y))
        y += t.get_height() + gap
    return y


def _draw_legend(surface, entries, theme, keep_off=None):
    """Rows along the bottom edge: a short line in each colour, then its name (the small
    size of the surface's :func:`type_scale`; a new row when the width ends); left out
    where it would meet the rect ``keep_off`` (the panel's words) or leave the surface."""
    font = _font(type_scale(*surface.get_size()).small)
    texts = [font.render(name, True, theme.text) for name, _ in entries]
    swatch, gap, pad = max(12, font.get_height()), 12, 5
    limit = surface.get_width() - 12 - 2 * pad
    rows, row, used = [], [], 0
    for (name, color), t in zip(entries, texts):
        need = swatch + 4 + t.get_width() + (gap if row else 0)
        if row and used + need > limit:
            rows.append(row)
            row, used, need = [], 0, swatch + 4 + t.get_width()
        row.append((color, t))
        used += need
    rows.append(row)
    line = font.get_linesize()
    w = max(sum(swatch + 4 + t.get_width() for _, t in r) + gap * (len(r) - 1) for r in rows) + 2 * pad
    h = line * len(rows) + 2 * pad
    x0, y0 = 6, surface.get_height() - h - 6
    box_rect = pygame.Rect(x0, y0, w, h)
    if y0 < 0 or x0 + w > surface.get_width() or (keep_off and box_rect.colliderect(keep_off)):
        return
    box = pygame.Surface((w, h), pygame.SRCALPHA)
    box.fill((*theme.panel, 170))
    surface.blit(box, (x0, y0))
    wrote(surface, pygame.Rect(x0, y0, w, h))
    for k, r in enumerate(rows):
        x, y = x0 + pad, y0 + pad + k * line
        for color, t in r:
            mid = y + t.get_height() // 2
            pygame.draw.line(surface, color, (x, mid), (x + swatch, mid), 4)
            x += swatch + 4
            surface.blit(t, (x, y))
            x += t.get_width() + gap
