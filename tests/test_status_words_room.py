"""Where the solver stops short, the words say so whole: in a bottom band whose panel
leaves them no room (each arm of original_vs_default at the window's 1280x800), they go
under the Jacobian legend, in its column; they were cut to "target out of reach: the tip
0.908 m from it (best 0.500 m)..." and the scene's last point, "stalled: ... not falling",
was not drawn."""

import numpy as np
import pytest

import armsim.scene as scene_mod
import armsim.view as view
from armsim.view import DEFAULT_THEME, planar

SIZE = (1280, 800)


@pytest.fixture(scope="module")
def stopped_short():
    sim = scene_mod.build_simulation(scene_mod.load("scenes/original_vs_default.toml"))
    for _ in range(400):
        sim.step()
    return sim.state


def test_every_status_line_is_drawn_whole(stopped_short, monkeypatch):
    drawn = []
    real = planar._draw_status

    def spy(surface, state, theme, rect, size=None):
        drawn.append((planar.status_lines(state), rect.copy(), size))
        return real(surface, state, theme, rect, size)

    monkeypatch.setattr(planar, "_draw_status", spy)
    img = view.render_array(stopped_short, SIZE)
    left = [d for d in drawn if d[0] and any(x.startswith("stalled") for x in d[0])]
    assert left, drawn                          # the clip arm stalls beyond the reach
    for lines, rect, size in drawn:
        assert planar._fits(lines, rect, size), (lines, rect)
    # its words in the warning colour, under the legend's box (the legend's column)
    warn = np.all(img[..., :3] == np.array(DEFAULT_THEME.warning[:3]), axis=-1)
    ys, xs = np.nonzero(warn[:, :640])
    assert len(ys) > 200 and ys.max() > 740 and xs.min() > 200


def test_words_that_fit_under_the_panel_stay_there():
    sim = scene_mod.build_simulation(scene_mod.load("scenes/unreachable.toml"))
    for _ in range(200):
        sim.step()
    assert planar.status_lines(sim.state)
    img = view.render_array(sim.state, SIZE)    # one arm: the side band, under the panel
    warn = np.all(img[..., :3] == np.array(DEFAULT_THEME.warning[:3]), axis=-1)
    assert warn.any()


def test_a_narrow_bottom_band_gives_the_panel_the_legends_column(monkeypatch):
    # two arms at 400x300: each panel read "gradie...", "clip", "frame..." beside the
    # legend's swatches, the error not shown (helper 117's report); the panel now takes the
    # legend's column and shows its first lines whole
    sim = scene_mod.build_simulation(scene_mod.load("scenes/original_vs_default.toml"))
    for _ in range(60):
        sim.step()
    boxes, legends = [], []
    real_panel, real_legend = planar._draw_panel, planar._draw_jacobian_legend

    def panel(surface, state, theme, rect=None, size=None):
        boxes.append((rect.copy(), size, state))
        return real_panel(surface, state, theme, rect, size)

    def legend(*a, **k):
        legends.append(a)
        return real_legend(*a, **k)

    monkeypatch.setattr(planar, "_draw_panel", panel)
    monkeypatch.setattr(planar, "_draw_jacobian_legend", legend)
    view.render_array(sim.state, (400, 300))
    assert len(boxes) == 2 and not legends
    from armsim.view.style import _font, fit_lines
    slot = planar.band_slots(planar.bands((200, 300))[1])[0]
    shown = []
    for rect, size, state in boxes:
        assert rect.w > slot.w                              # the two columns
        font = _font(size)
        pad = max(2, min(rect.w, rect.h) // 40)
        shown.append(fit_lines(planar._panel_lines(state), font, rect.w - 2 * pad - 2,
                               rect.h - 2 * pad))
    left = shown[0]
    assert left[0] == "gradient/clip" and left[1].startswith("frame  60")
    assert left[2].startswith("error  ")                    # the clip arm's error shows
