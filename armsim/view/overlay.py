"""The window's overlays: a banner (a message, PAUSED) and the help, in the sizes of the
window's :func:`~armsim.view.style.type_scale` (banners in the title size, the help in the
body size).  Text that does not fit is wrapped, split into two columns or left out, never
drawn smaller."""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from armsim.view.style import _font, fit_lines, type_scale, wrap_lines  # noqa: E402

__all__ = ["banner_layout", "draw_banner", "draw_help"]


def banner_layout(size, lines, where, avoid=None):
    """(rect, font, pad, lines as wrapped) of a banner of ``lines`` on a window of ``size``:
    centred, at the top (``where="top"``) or above the bottom edge, and then above the
    rects ``avoid`` (a rect or several: the live plot, the panels' text) it would cover,
    when there is room."""
    w, h = size
    font = _font(type_scale(w, h).title)
    pad = max(3, font.get_height() // 3)
    shown = fit_lines(lines, font, int(0.9 * w) - 2 * pad, int(0.3 * h))
    if not shown:           # not one line fits (a window under about 60 px): left out
        return pygame.Rect(w // 2, 0, 0, 0), font, pad, []
    bw = max(font.size(t)[0] for t in shown) + 2 * pad
    bh = len(shown) * font.get_linesize() + 2 * pad
    y = 6 if where == "top" else h - bh - 6 - int(0.06 * h)
    rect = pygame.Rect((w - bw) // 2, y, bw, bh)
    rects = [avoid] if isinstance(avoid, pygame.Rect) else list(avoid or ())
    # the rects it covers and can clear (a side band as tall as the window it cannot)
    hit = [r for r in rects if rect.colliderect(r) and r.top - bh - 6 >= 0]
    if where != "top" and hit:
        rect.bottom = min(r.top for r in hit) - 6
    return rect, font, pad, shown


def draw_banner(screen, lines, theme, color, where, avoid=None) -> pygame.Rect:
    """A banner of ``lines`` in ``color`` on a translucent box (:func:`banner_layout`);
    returns its rect."""
    rect, font, pad, shown = banner_layout(screen.get_size(), lines, where, avoid)
    if not shown:
        return rect
    box = pygame.Surface(rect.size, pygame.SRCALPHA)
    box.fill((*theme.panel, 225))
    screen.blit(box, rect.topleft)
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
