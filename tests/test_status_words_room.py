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
