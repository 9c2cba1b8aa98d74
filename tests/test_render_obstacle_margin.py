"""An obstacle dict's ``margin`` (the clearance outline :func:`armsim.ik.tracking.shapes`
gives the dicts it draws from) passed to armsim.render / armsim.animate: drawn where it
says, or refused in one line naming it (a NaN or infinite margin hid the planar obstacle
without a word; a list or None raised float()'s TypeError)."""

import numpy as np
import pytest

import armsim
from armsim.view import DEFAULT_THEME, View

ARM = armsim.Chain([1.0, 0.7])
Q = np.array([0.4, 0.6])
SIZE = (200, 200)
VIEW = View(SIZE, np.zeros(2), 50.0)


def test_a_margin_is_drawn_as_an_outline_at_radius_plus_margin():
    ob = {"center": [-1.5, -1.0], "radius": 0.2, "margin": 0.3}
    img = np.asarray(armsim.render(ARM, Q, size=SIZE, view=VIEW, obstacles=[ob]))
    cx, cy = VIEW.to_screen(ob["center"])                # (25, 150) px
    row = img[int(round(cy))]
    outline = [x for x in range(len(row)) if tuple(row[x]) == DEFAULT_THEME.reach]
    edge = cx + (0.2 + 0.3) * 50                        # the outline's right side
    assert any(abs(x - edge) <= 1.5 for x in outline), (edge, outline)
    assert tuple(row[int(round(cx))]) == DEFAULT_THEME.separator   # the filled core


@pytest.mark.parametrize("margin", [np.nan, np.inf, -0.1, "x", [1, 2], None, True])
@pytest.mark.parametrize("robot, center", [(ARM, [1.0, 0.8]),
                                           (armsim.robots.load("panda"), [0.5, 0.0, 0.5])])
def test_a_margin_that_is_not_a_length_is_one_line(robot, center, margin):
    ob = {"center": center, "radius": 0.2, "margin": margin}
    q = None if robot is not ARM else Q
    qs = np.array([armsim.view.notebook._default_q(robot, robot is not ARM)] * 2)
    for call in (lambda: armsim.render(robot, q, size=(40, 30), obstacles=[ob]),
                 lambda: armsim.animate(robot, qs, size=(40, 30), obstacles=[ob])):
        with pytest.raises(ValueError) as info:
            call()
        text = str(info.value)
        assert "\n" not in text
        assert text.startswith("obstacles[0]['margin'] must be "), text
