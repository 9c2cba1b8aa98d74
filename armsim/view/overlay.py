"""The window's overlays: a banner (a message, PAUSED) and the help, in the sizes of the
window's :func:`~armsim.view.style.type_scale` (banners in the title size, the help in the
body size).  Text that does not fit is wrapped, split into two columns or left out, never
drawn smaller."""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from armsim.view.style import _font, fit_lines, type_scale, wrap_lines  # noqa: E402

__all__ = ["banner_layout", "banners_meet", "draw_banner", "draw_help"]


def _as_rects(rects) -> list:
    return [rects] if isinstance(rects, pygame.Rect) else [pygame.Rect(r) for r in rects or ()]


def _free_spot(size, home, rects, least=False) -> pygame.Rect | None:
    """The box ``home`` moved to where it meets none of ``rects`` and stays in the window,
    as near ``home`` as such a place is (tried: beside each rect, at the window's edges,
    centred), else None; ``least``: else the place it covers least of them."""
    w, h = size
    bw, bh = home.size
    if bw > w or bh > h:
        return None
    xs = {home.x, 6, w - bw - 6} | {r.right + 6 for r in rects} | {r.left - 6 - bw for r in rects}
    ys = {home.y, 6, h - bh - 6} | {r.bottom + 6 for r in rects} | {r.top - 6 - bh for r in rects}
    xs = {min(max(x, 0), w - bw) for x in xs} | ({r.right for r in rects} if least else set())
    ys = {min(max(y, 0), h - bh) for y in ys} | ({r.bottom for r in rects} if least else set())
    spots = [pygame.Rect(x, y, bw, bh) for x in xs for y in ys if x + bw <= w and y + bh <= h]

    def covered(r):
        return sum(c.w * c.h for c in (r.clip(o) for o in rects)) if least else 0
    spots = [r for r in spots if least or r.collidelist(rects) < 0]
    if not spots:
        return None
    return min(spots, key=lambda r: (covered(r), abs(r.y - home.y) + abs(r.x - home.x), r.y, r.x))


def banner_layout(size, lines, where, avoid=None, prefer_off=None):
    """(rect, font, pad, lines as wrapped) of a banner of ``lines`` on a window of ``size``:
    centred, at the top (``where="top"``) or above the bottom edge; when that meets one of
    the rects ``avoid`` (the panels' words, the live plot, another banner), moved to the
    nearest place that meets none of them, and, where there is one, none of ``prefer_off``
    either (the text bands, where words may come); wrapped narrower when only a narrower
    box has such a place (beside the words).  With no place at all it goes where it covers
    least of ``avoid``, its opaque box over what it covers (:func:`draw_banner`)."""
    w, h = size
    font = _font(type_scale(w, h).title)
    pad = max(3, font.get_height() // 3)
    hard = _as_rects(avoid)
    soft = hard + _as_rects(prefer_off)
    widest = int(0.9 * w) - 2 * pad
    widths = [widest] + sorted({x - 12 - 2 * pad for r in hard for x in (w - r.right, r.left)
                                if font.size("M" * 8)[0] <= x - 12 - 2 * pad < widest},
                               reverse=True)

    def box(width):
        shown = fit_lines(lines, font, width, int(0.3 * h))
        if not shown:
            return None, shown
        bw = max(font.size(t)[0] for t in shown) + 2 * pad
        bh = len(shown) * font.get_linesize() + 2 * pad
        y = 6 if where == "top" else h - bh - 6 - int(0.06 * h)
        return pygame.Rect((w - bw) // 2, y, bw, bh), shown

    home, shown = box(widest)
    if home is None:        # not one line fits (a window under about 60 px): left out
        return pygame.Rect(w // 2, 0, 0, 0), font, pad, []
    if home.collidelist(soft) < 0:
        return home, font, pad, shown
    for rects in (soft, hard):
        for width in widths:
            rect, lines_in = box(width)
            if rect is None or (width < widest and                 # narrower: every word
                                len(lines_in) < len(wrap_lines(lines, font, width))):
                continue
            spot = _free_spot(size, rect, rects)
            if spot is not None:
                return spot, font, pad, lines_in
    return _free_spot(size, home, hard, least=True) or home, font, pad, shown


def banners_meet(size, words, paused, message, avoid, prefer_off) -> bool:
    """True when the window's banners, ``paused`` lines at the top, then ``message`` lines
    at the bottom off them (each empty when not shown), laid out by :func:`banner_layout`
    off ``avoid``, find no place off the picture's ``words`` (rects): the window then draws
    the picture without its panel while they show."""
    rects = []
    for lines, where in ((paused, "top"), (message, "bottom")):
        if lines:
            rects.append(banner_layout(size, lines, where, list(avoid) + rects, prefer_off)[0])
    return any(r.collidelist(words) >= 0 for r in rects)


def draw_banner(screen, lines, theme, color, where, avoid=None, prefer_off=None) -> pygame.Rect:
    """A banner of ``lines`` in ``color`` on an opaque box (:func:`banner_layout`: off
    ``avoid`` and, where it can, ``prefer_off``); returns its rect."""
    rect, font, pad, shown = banner_layout(screen.get_size(), lines, where, avoid, prefer_off)
    if not shown:
        return rect
    screen.fill(theme.panel, rect)
    pygame.draw.rect(screen, color, rect, max(1, theme.line_width))
    y = rect.y + pad
    for line in shown:
        screen.blit(font.render(line, True, color), (rect.x + pad, y))
        y += font.get_linesize()
    return rect


def _rows(rows, font, value_w):
    """Each row as its (key, value line) pairs, the value wrapped to ``value_w``."""
    out = []
    for k, v in rows:
        out.append([(k if i == 0 else "", part)
                    for i, part in enumerate(wrap_lines([v], font, value_w))])
    return out


def _split(wrapped, columns, room):
    """The rows' lines in ``columns`` columns of at most ``room`` lines, a row never split
    between two columns, and how many rows were left out (those past the last column's
    room)."""
    total = sum(len(r) for r in wrapped)
    target = min(room, -(-total // columns))
    cols, cur = [], []
    shown = 0
    for r in wrapped:
        if cur and len(cur) + len(r) > target and len(cols) < columns - 1:
            cols.append(cur)
            cur = []
        if len(cur) + len(r) > room:
            break
        cur += r
        shown += 1
    cols.append(cur)
    return cols, len(wrapped) - shown


def draw_help(screen, title, rows, theme) -> pygame.Rect:
    """The help: ``title`` then (control, what it does) ``rows`` in the body size, on a box
    in the middle of the window; one column, or two when one is taller than the window; in
    a window too narrow for a control and 8 letters beside it, each control on its line and
    what it does under it.  The title is wrapped, never cut by the window's edge.  The box
    is opaque (what lies under it, the panel's words, would show through and mix with the
    help's).  Returns the box."""
    w, h = screen.get_size()
    font = _font(type_scale(w, h).body)
    line = font.get_linesize()
    pad = max(4, line // 2)
    inner = max(w - 2 * pad, 1)
    heads = fit_lines([title], font, inner, max(h - 3 * pad - line, line))
    key_w = max(font.size(k)[0] for k, _ in rows) + font.size("MM")[0]
    room = max((h - 3 * pad - line * len(heads)) // line, 1)   # rows of text the height holds
    narrow = inner - key_w < font.size("M" * 8)[0]
    if narrow:                                          # the words under their control
        key_w = font.size("MM")[0]
        wrapped = [[(k, "")] + [("", p) for p in wrap_lines([v], font, inner - key_w)]
                   for k, v in rows]
    else:
        wrapped = _rows(rows, font, inner - key_w)
    value_w = min(max(font.size(v)[0] for _, v in rows), inner - key_w)
    columns = 1
    half = (w - 4 * pad) // 2 - key_w
    if not narrow and sum(len(r) for r in wrapped) > room and half >= font.size("M" * 8)[0]:
        columns = 2                                     # two columns side by side, when
        wrapped = _rows(rows, font, half)               # each holds 8 letters a line
    width = half if columns == 2 else max(value_w, 1)
    cols, left = _split(wrapped, columns, room)
    if left:                          # the last lines say how many rows were left out
        note = wrap_lines([f"... {left} more: a larger window shows them"], font, width)
        cols, left = _split(wrapped, columns, max(room - len(note), 1))
        note = wrap_lines([f"... {left} more: a larger window shows them"], font, width)
        if len(note) > max(room - len(cols[-1]), 1):     # no room to say why: the count
            note = fit_lines([f"... {left} more"], font, width, line * max(room - len(cols[-1]), 1))
        cols[-1] += [("", part) for part in note]
    lines = [x for c in cols for x in c]
    per = max(len(c) for c in cols)
    col_w = max([key_w + font.size(v)[0] for _, v in lines] + [font.size(k)[0] for k, _ in lines])
    bw = min(w, max(max(font.size(t)[0] for t in heads),
                    columns * col_w + (columns - 1) * 2 * pad) + 2 * pad)
    bh = min(h, line * (per + len(heads)) + pad * 3)
    rect = pygame.Rect((w - bw) // 2, (h - bh) // 2, bw, bh)
    screen.fill(theme.panel, rect)
    pygame.draw.rect(screen, theme.text, rect, 1)
    for i, t in enumerate(heads):
        screen.blit(font.render(t, True, theme.warning), (rect.x + pad, rect.y + pad + i * line))
    for c, col in enumerate(cols):
        x = rect.x + pad + c * (col_w + 2 * pad)
        y = rect.y + 2 * pad + line * len(heads)
        for k, v in col:
            screen.blit(font.render(k, True, theme.warning), (x, y))
            screen.blit(font.render(v, True, theme.text), (x + key_w, y))
            y += line
    return rect
