"""Issue 23, item 6: one type scale (title, body, small) computed from the surface's size
only; the smallest text at least 11 px (the ink of "Hg") at 1280x800 and at the README GIF's
480x360; text that does not fit is laid out, never shrunk; the live plot's words never meet.

Which font sizes a picture asks for is recorded at armsim.view.style's font cache (every
text drawn goes through it), so the tests judge every word of the real pictures."""

import copy
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pygame
import pytest

from armsim.scene import build_simulation, default_scene, load
from armsim.view import style
from armsim.view.style import DEFAULT_THEME, MIN_TEXT_PX, scaled_theme, text_height, type_scale

ROOT = Path(__file__).resolve().parents[1]
WINDOW = (1280, 800)
README_GIF = (480, 360)          # python run_arm.py --gif assets/demo.gif ... --size 480x360
SIZES = (WINDOW, README_GIF, (640, 480), (800, 1000))


class _Asked(dict):
    """The font cache, noting every size looked up."""

    def __init__(self, base):
        super().__init__(base)
        self.asked = set()

    def __getitem__(self, size):
        self.asked.add(size)
        return super().__getitem__(size)


@contextmanager
def asked_sizes():
    from armsim.view import spatial
    spatial._TEXT_CACHE.clear()                 # cached words would skip the font cache
    saved = style._FONTS
    style._FONTS = rec = _Asked(saved)
    try:
        yield rec.asked
    finally:
        style._FONTS = saved
        spatial._TEXT_CACHE.clear()


def _planar(label=None, frames=30, scene=None):
    sim = build_simulation(scene or default_scene())
    for _ in range(frames):
        st = sim.step()
    if label is not None:
        st = copy.copy(st)
        st.label = label
    return st


LONG = ("a label far longer than any panel is wide, which the panel has to wrap onto "
        "several lines instead of drawing every other line smaller")


def _pictures(size):
    """Every picture kind at ``size``: planar (short and long panel text), side by side, 3D
    arm, 2D and 3D calibration, the live plot, the help and a banner."""
    from armsim.view import render_array
    from armsim.view.calibration_spatial import calibration_status, render_calibration_spatial
    from armsim.view.orbit import OrbitCamera
    from armsim.view.overlay import draw_banner, draw_help
    from armsim.view.plot import History, draw_plot, series_for, values_of
    from armsim.view.spatial import render_spatial
    from armsim.view.window import help_lines
    yield "planar", lambda: render_array(_planar(), size)
    yield "planar, long label", lambda: render_array(_planar(LONG), size)
    yield "side by side", lambda: render_array(
        _planar(scene=load(ROOT / "scenes" / "original_vs_default.toml")), size)
    panda = build_simulation(load(ROOT / "scenes" / "panda_circle.toml"))
    st = panda.step()
    yield "3D arm", lambda: render_spatial(st, OrbitCamera.framing(st.reach), size)
    cal = build_simulation(load(ROOT / "scenes" / "calibrate-ga.toml"))
    cst = cal.step()
    yield "2D calibration", lambda: render_array(cst, size)
    ur5 = build_simulation(load(ROOT / "scenes" / "calibrate-ur5-stereo.toml"))
    ust = ur5.step()
    yield "3D calibration", lambda: render_calibration_spatial(ust, None, size,
                                                               status=calibration_status(ur5))

    def overlays():
        surf = pygame.Surface(size)
        th = scaled_theme(DEFAULT_THEME, size)
        h = History(series_for(cst, th))
        for k in range(50):
            h.add(k, values_of(cal.step()))
        draw_plot(surf, pygame.Rect(size[0] // 2, size[1] // 2, size[0] // 2 - 6, size[1] // 2 - 6),
                  h, th, title="last 600 frames, log scale")
        draw_help(surf, "armsim controls  (h or ? closes)", help_lines(), th)
        draw_banner(surf, ["PAUSED  (space resumes)"], th, th.warning, "top")
    yield "plot, help, banner", overlays


def test_type_scale_is_a_function_of_the_size_alone():
    for size in SIZES:
        ts = type_scale(*size)
        assert ts == type_scale(*size) and ts.title > ts.body > ts.small
        assert text_height(ts.title) > text_height(ts.body) >= text_height(ts.small) >= MIN_TEXT_PX
    # larger windows, larger text (never smaller)
    assert type_scale(1920, 1200).body > type_scale(*WINDOW).body > type_scale(*README_GIF).body


@pytest.mark.parametrize("size", [WINDOW, README_GIF])
def test_panel_text_keeps_its_size_whatever_it_says(size):
    """Before: the panel's font shrank until the longest line fitted (a long label made all
    its text smaller)."""
    from armsim.view import render_array
    with asked_sizes() as short:
        render_array(_planar("arm"), size)
    with asked_sizes() as long:
        img = render_array(_planar(LONG), size)
    assert short == long
    assert short <= set(type_scale(*size).__dict__.values())
    # the long label is laid out (wrapped and cut), not drawn across the workspace
    from armsim.view.planar import band_slots, bands
    band = bands(size)[1]
    ys, xs = np.nonzero(np.all(img == DEFAULT_THEME.text, axis=-1))
    assert len(xs) and xs.max() < band.right


@pytest.mark.parametrize("size", SIZES)
def test_every_picture_uses_the_three_sizes_and_none_under_11_px(size):
    ts = type_scale(*size)
    allowed = {ts.title, ts.body, ts.small}
    heights = {}
    for name, draw in _pictures(size):
        with asked_sizes() as asked:
            draw()
        assert asked, name                         # the picture has words
        assert asked <= allowed, (name, sorted(asked), ts)
        heights[name] = min(text_height(s) for s in asked)
    assert min(heights.values()) >= MIN_TEXT_PX, heights


def test_text_height_is_measured_from_rendered_pixels():
    font = style._font(type_scale(*WINDOW).small)
    img = pygame.surfarray.array3d(font.render("Hg", True, (255, 255, 255), (0, 0, 0)))
    rows = np.flatnonzero(img.max(axis=(0, 2)) > 96)
    assert rows[-1] - rows[0] + 1 == text_height(type_scale(*WINDOW).small) >= 11


def _rects_apart(placed):
    for i, (a, ra) in enumerate(placed):
        for b, rb in placed[i + 1:]:
            assert not ra.colliderect(rb), (a, ra, b, rb)


def _history(scene, th, frames):
    """The live plot's History of a shipped scene after ``frames`` frames."""
    from armsim.view.plot import History, series_for, values_of
    sim = build_simulation(load(ROOT / "scenes" / scene))
    h = History(series_for(sim.state, th))
    for k in range(frames):
        h.add(k, values_of(sim.step()))
    return h


@pytest.mark.parametrize("rect", [(840, 200, 430, 300), (838, 540, 435, 240), (20, 20, 260, 170)])
def test_plot_title_headings_and_axis_labels_never_meet(rect):
    """Before: the top decade's label sat half over the row's heading (and, in the first row,
    under the title)."""
    from armsim.view.plot import draw_plot
    th = scaled_theme(DEFAULT_THEME, WINDOW)
    for scene in ("calibrate-ga.toml", "seven_link_figure8.toml"):
        h = _history(scene, th, 120)
        surf = pygame.Surface(WINDOW)
        placed = []
        axes = draw_plot(surf, pygame.Rect(rect), h, th, title="last 600 frames, log scale",
                         placed=placed)
        assert axes and any(t == "last 600 frames, log scale" for t, _ in placed)
        assert sum(t.startswith("1e") for t, _ in placed) >= 2 * len(axes)
        # the frames under the last row (the plot had no x labels): the last one always,
        # the first where both fit, each below the row's frame
        words = dict(placed)
        assert words["119"].top >= axes[-1].rect.bottom
        assert ("frame 0" in words) == (rect[2] > 200)
        _rects_apart(placed)
        for t, r in placed:                       # and every word inside the plot's box
            assert pygame.Rect(rect).contains(r), (t, r)


@pytest.mark.parametrize("size, rect", [((300, 200), (192, 134, 102, 60)),
                                        ((200, 150), (126, 99, 68, 45))])
def test_a_small_plot_leaves_out_the_words_it_has_no_room_for(size, rect):
    """Before: in a 300 x 200 window the live plot's heading ('tip error [m]') was drawn
    half below the box's edge, cut; in a calibration scene the two rows' headings met."""
    from armsim.view.plot import draw_plot
    th = scaled_theme(DEFAULT_THEME, size)
    for scene in ("calibrate-ga.toml", "seven_link_figure8.toml"):
        h = _history(scene, th, 30)
        surf = pygame.Surface(size)
        placed = []
        draw_plot(surf, pygame.Rect(rect), h, th, title="last 600 frames, log scale",
                  placed=placed)
        assert placed                             # the box still says something
        _rects_apart(placed)
        for t, r in placed:
            assert pygame.Rect(rect).contains(r), (scene, t, r)
        # the pixels: the box's last row and column are its fill alone (no word runs into them)
        img = pygame.surfarray.array3d(surf).transpose(1, 0, 2)
        x, y, w, hh = rect
        for edge in (img[y + hh - 1, x:x + w], img[y:y + hh, x + w - 1]):
            assert np.all(edge == edge[0]), scene


@pytest.mark.parametrize("size, left", [((300, 200), True), ((640, 400), True),
                                        ((1400, 900), False)])
def test_the_help_fits_its_box_and_says_what_it_left_out(size, left, monkeypatch):
    # at 300 x 200 the help kept two columns whose words ran past the window's edge, and at
    # 640 x 400 it dropped the last rows without a word
    from armsim.view import overlay
    from armsim.view.style import _font
    from armsim.view.window import help_lines
    seen = []
    split = overlay._split

    def spy(wrapped, columns, room):
        got = split(wrapped, columns, room)
        seen.append((columns, got))
        return got
    monkeypatch.setattr(overlay, "_split", spy)
    surf = pygame.Surface(size)
    rows = help_lines()
    rect = overlay.draw_help(surf, "armsim controls  (h or ? closes)", rows,
                             scaled_theme(DEFAULT_THEME, size))
    columns, (cols, _) = seen[-1]
    font = _font(type_scale(*size).body)
    pad = max(4, font.get_linesize() // 2)
    key_w = max(font.size(k)[0] for k, _ in rows) + font.size("MM")[0]
    widest = max(key_w + font.size(v)[0] for col in cols for _, v in col)
    assert columns * widest + (columns - 1) * 2 * pad + 2 * pad <= rect.w <= size[0]
    shown = [v for col in cols for _, v in col]
    assert any(v.startswith("... ") and "more" in v for v in shown) == left
    if left:
        n = int(next(v for v in shown if v.startswith("... ")).split()[1])
        assert n == len(rows) - sum(1 for col in cols for k, _ in col if k)


@pytest.mark.parametrize("size", [(200, 150), (160, 120), (120, 90)])
def test_a_narrow_help_wraps_its_title_and_stays_in_its_box(size, monkeypatch):
    # in a window 200 px wide the help's title ran past the window's edge ("armsim controls
    # (h or ? clo"), the box had no right edge, and its every control was left out: the words
    # "... 25 more: a larger window shows them" stood one to a line, cut ("lar...") at 160 px
    from armsim.view import overlay
    from armsim.view.window import help_lines
    drawn = []
    real = overlay._font

    class Noting:
        def __init__(self, font):
            self.font = font

        def __getattr__(self, name):
            return getattr(self.font, name)

        def render(self, text, *args):
            drawn.append(text)
            return self.font.render(text, *args)
    monkeypatch.setattr(overlay, "_font", lambda n: Noting(real(n)))
    theme = scaled_theme(DEFAULT_THEME, size)
    surf = pygame.Surface(size)
    rows = help_lines()
    title = "armsim controls  (h or ? closes)"
    rect = overlay.draw_help(surf, title, rows, theme)
    assert pygame.Rect(0, 0, *size).contains(rect)
    font = real(type_scale(*size).body)
    pad = max(4, font.get_linesize() // 2)
    words = [t for t in drawn if t.strip()]
    for t in words:                                     # every line fits inside the box
        assert font.size(t)[0] <= rect.w - 2 * pad, (t, rect)
        assert not t.endswith("...") or t.strip().rstrip(".") in title, t     # none cut

    said = " ".join(t.strip() for t in words if t.strip().split()[0] in title.split())
    assert said.startswith("armsim controls")
    img = pygame.surfarray.array3d(surf)                # the box's edges are whole
    border = np.concatenate([img[rect.x, rect.y:rect.bottom], img[rect.right - 1, rect.y:rect.bottom],
                             img[rect.x:rect.right, rect.y], img[rect.x:rect.right, rect.bottom - 1]])
    assert np.all(border == theme.text[:3])
    if size == (200, 150):                              # a control is shown, its words under it
        keys = [k for k, _ in rows]
        assert keys[0] in drawn and rows[0][1] in [t.strip() for t in drawn]
        note = [t for t in words if t.startswith("... ")]
        assert note and int(note[0].split()[1]) == len(rows) - sum(k in drawn for k in keys)


@pytest.mark.parametrize("size", [(700, 500), (1280, 800)])
def test_a_message_stays_off_the_live_plot(size):
    # "+/- (segments): planar arms only ..." was drawn across the live plot's lower half
    from armsim.view.overlay import banner_layout
    w, h = size
    plot = pygame.Rect(w - int(0.34 * w) - 6, h - int(0.30 * h) - 6, int(0.34 * w), int(0.30 * h))
    line = ["+/- (segments): planar arms only (a spatial arm is its model)"]
    assert banner_layout(size, line, "bottom")[0].colliderect(plot)        # as it was drawn
    rect = banner_layout(size, line, "bottom", avoid=plot)[0]
    assert not rect.colliderect(plot) and rect.top >= 0
    assert banner_layout(size, line, "bottom", avoid=pygame.Rect(0, 0, 10, 10))[0] == \
        banner_layout(size, line, "bottom")[0]                            # nothing in the way


def test_the_help_box_hides_what_lies_under_it():
    """The help is drawn on an opaque box: over a white window its background is the
    panel's colour exactly (it was 92 % opaque: the panel's words showed through it)."""
    from armsim.view import overlay
    from armsim.view.window import help_lines
    size = (800, 600)
    theme = scaled_theme(DEFAULT_THEME, size)
    surf = pygame.Surface(size)
    surf.fill((255, 255, 255))
    rect = overlay.draw_help(surf, "armsim controls  (h or ? closes)", help_lines(), theme)
    inside = pygame.surfarray.array3d(surf)[rect.x + 1:rect.right - 1, rect.y + 1:rect.bottom - 1]
    colours, counts = np.unique(inside.reshape(-1, 3), axis=0, return_counts=True)
    assert tuple(colours[counts.argmax()]) == tuple(theme.panel)[:3]
    assert not np.any(np.all(inside == 255, axis=-1))         # no white shows through


@pytest.mark.parametrize("size", [(160, 120), (120, 300), (100, 60)])
def test_a_legend_too_short_for_its_swatches_cuts_none_in_half(size):
    """``--gif out.gif --size 160x120``: the legend's third swatch row was drawn half, cut by
    the picture's bottom edge ("3" of joints 1..7), and at 120x300 the fifth.  Now only
    whole rows are drawn, the last cell "..." when joints are left out: every swatch
    colour in the box is a whole square, and the box lies inside the picture."""
    from armsim.view import planar
    from armsim.view.render import draw
    state = build_simulation(default_scene()).step()
    boxes = []
    legend = planar._draw_jacobian_legend

    def spy(surface, state, theme, rect, size=None):
        boxes.append((legend(surface, state, theme, rect, size), theme, size))
        return boxes[-1][0]
    planar._draw_jacobian_legend = spy
    try:
        surf = pygame.Surface(size)
        draw(surf, state)
    finally:
        planar._draw_jacobian_legend = legend
    if not boxes:       # a bottom band too narrow for the panel's words: it took the
        band = planar.bands(size)[1]        # legend's column (no legend drawn to cut)
        assert band.h < band.w and not planar._fits(
            planar._panel_lines(state), planar.band_slots(band)[0],
            style.type_scale(*size).body)
        return
    (box, theme, font_size), = boxes
    assert pygame.Rect(0, 0, *size).contains(box)
    sw = max(4, int(0.7 * style._font(font_size).get_height()))
    pixels = pygame.surfarray.array3d(surf)[box.x:box.right, box.y:box.bottom].reshape(-1, 3)
    for j in range(7):
        n = int(np.sum(np.all(pixels == theme.segment_color(j)[:3], axis=1)))
        assert n in (0, sw * sw), (j, n, sw)


@pytest.mark.parametrize("size", [(400, 300), (450, 300), (500, 200), (400, 250)])
def test_a_short_legend_shows_every_joints_colour(size):
    """A small window with the live plot's slot kept: the Jacobian legend's box is short,
    and the swatches (what the legend is for) come before its title.  All seven joints'
    colours are in the box (3-5 of 7 before: the rows under the title were cut off)."""
    from armsim.view import planar
    from armsim.view.render import draw
    state = build_simulation(default_scene()).step()
    boxes = []
    legend = planar._draw_jacobian_legend

    def spy(surface, state, theme, rect, size=None):
        boxes.append((legend(surface, state, theme, rect, size), theme))
        return boxes[-1][0]
    planar._draw_jacobian_legend = spy
    try:
        surf = pygame.Surface(size)
        draw(surf, state, plot_slot=True)
    finally:
        planar._draw_jacobian_legend = legend
    (box, theme), = boxes
    pixels = pygame.surfarray.array3d(surf)[box.x:box.right, box.y:box.bottom].reshape(-1, 3)
    seen = [j + 1 for j in range(7)
            if np.any(np.all(pixels == theme.segment_color(j)[:3], axis=1))]
    assert seen == [1, 2, 3, 4, 5, 6, 7]


_TWO_HANDS = """<?xml version="1.0" encoding="UTF-8"?>
<robot name="two_hands">
  <link name="base"/><link name="body"/><link name="LA"/><link name="RA"/>
  <link name="LEFT"/><link name="RIGHT"/>
  <joint name="waist" type="revolute"><parent link="base"/><child link="body"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/>
    <limit lower="-3" upper="3" effort="1" velocity="1"/></joint>
  <joint name="ls" type="revolute"><parent link="body"/><child link="LA"/>
    <origin xyz="0 0.15 0.3" rpy="1.2 0 0"/><axis xyz="0 1 0"/>
    <limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
  <joint name="le" type="revolute"><parent link="LA"/><child link="LEFT"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/>
    <limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
  <joint name="rs" type="revolute"><parent link="body"/><child link="RA"/>
    <origin xyz="0 -0.15 0.3" rpy="-1.2 0 0"/><axis xyz="0 1 0"/>
    <limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
  <joint name="re" type="revolute"><parent link="RA"/><child link="RIGHT"/>
    <origin xyz="0 0 0.3"/><axis xyz="0 1 0"/>
    <limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
</robot>
"""


def test_names_the_font_has_no_glyphs_for_are_drawn_told_apart(tmp_path):
    """Tools named 左手 and 右手 (left and right hand): the default font has no glyph for
    either, and drew each character as the same box, so the panel's two tool lines looked
    alike whichever tool was which.  Such a character is drawn as its escape (\\u5de6): the
    picture changes when the two names swap places (it was the same picture)."""
    import armsim
    left, right = "\u5de6\u624b", "\u53f3\u624b"
    font = style._font(20)
    ink = [pygame.surfarray.array2d(font.render(t, False, (255, 255, 255)))
           for t in (left, right)]
    assert ink[0].shape != ink[1].shape or not np.array_equal(*ink)
    assert font.size(left) == font.size("\\u5de6\\u624b")
    pictures = []
    for a, b in ((left, right), (right, left)):
        path = tmp_path / f"{len(pictures)}.urdf"
        path.write_text(_TWO_HANDS.replace("LEFT", a).replace("RIGHT", b), encoding="utf-8")
        robot = armsim.load_robot(path)
        q = np.zeros(robot.n)
        pictures.append(np.asarray(armsim.render(robot, q, size=(480, 360), show_panel=True)))
    assert not np.array_equal(*pictures)
    assert style.drawable("x\u00e4\u0437\tz") == "x\u00e4\u0437\\tz"    # (Latin, Cyrillic: glyphs)


def test_a_word_too_wide_breaks_after_its_slash_before_it_is_cut():
    # original_vs_default's panel at 800 x 400 drew "gradient/backtr..." and "(default)" on
    # the next line: a word wider than its line breaks after its slashes first
    pygame.font.init()
    font = style._font(14)
    label = "gradient/backtrack (default)"
    width = font.size("gradient/backtrack")[0] - 4          # the word alone does not fit
    lines = style.wrap_lines([label], font, width)
    assert lines == ["gradient/", "  backtrack", "  (default)"]
    assert all(font.size(line)[0] <= width for line in lines)
    assert style.wrap_lines(["a/b c"], font, 500) == ["a/b c"]      # fits: as it was
    narrow = font.size("  backtr")[0]                      # a part still too wide: cut
    assert style.wrap_lines([label], font, narrow)[1].endswith("...")
    assert style.wrap_lines(["/"], font, 1) == ["..."]     # slashes alone: no empty part
