"""armsim.render / armsim.animate of a planar chain given its own armsim.view.View: the arm
is drawn where the View puts it, and a View that cannot draw the picture is refused in one
line (it drew an empty picture, a mirrored one, or raised pygame's TypeError)."""

import numpy as np
import pytest

import armsim
from armsim.view import DEFAULT_THEME, View

ARM = armsim.Chain([1.0, 0.7])
Q = np.array([0.4, 0.6])


def test_the_arm_is_drawn_where_the_view_puts_it():
    size = (200, 160)
    view = View(size, np.array([0.5, 0.2]), 60.0)
    img = np.asarray(armsim.render(ARM, Q, size=size, view=view))
    x, y = np.floor(view.to_screen(ARM.tip(Q))).astype(int)
    assert tuple(img[y, x]) == DEFAULT_THEME.tip
    for j, (a, b) in enumerate(zip(ARM.joints(Q)[:-1], ARM.joints(Q)[1:])):
        mx, my = np.floor(view.to_screen((a + b) / 2)).astype(int)
        assert tuple(img[my, mx]) == DEFAULT_THEME.segment_color(j)


def test_a_view_made_for_another_picture_size_is_refused():
    # View((400, 300), ...) in a 40x30 picture put the arm's base at (200, 150): a picture
    # of background only, and no word of why
    view = View((400, 300), np.zeros(2), 10.0)
    message = ("view: a View of size 400x300 cannot draw a picture of 40x30; make it with "
               "the picture's size, View((40, 30), center, scale)")
    for call in (lambda: armsim.render(ARM, Q, size=(40, 30), view=view),
                 lambda: armsim.animate(ARM, [Q, Q], size=(40, 30), view=view)):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message


@pytest.mark.parametrize("center, scale, pixel_center, message", [
    ([np.nan, 0.0], 10.0, None, "view.center must be 2 finite numbers [m], got [nan, 0.0]"),
    ([0.0, 0.0, 0.0], 10.0, None, "view.center must be 2 finite numbers [m], got [0.0, 0.0, 0.0]"),
    ([0.0, 0.0], -5.0, None, "view.scale must be a finite number > 0 [px per m], got -5.0"),
    ([0.0, 0.0], 0.0, None, "view.scale must be a finite number > 0 [px per m], got 0.0"),
    ([0.0, 0.0], np.inf, None, "view.scale must be a finite number > 0 [px per m], got inf"),
    ([0.0, 0.0], "10", None, "view.scale must be a finite number > 0 [px per m], got '10'"),
    ([0.0, 0.0], 10.0, (np.nan, 3), "view.pixel_center must be None or 2 finite numbers [px], "
                                    "got (nan, 3)"),
])
def test_a_view_that_cannot_be_drawn_is_one_line(center, scale, pixel_center, message):
    # a NaN centre raised pygame's "TypeError: center argument must be a pair of numbers";
    # a scale <= 0 drew a mirrored arm or a dot
    view = View((40, 30), np.array(center, float), scale, pixel_center)
    for call in (lambda: armsim.render(ARM, Q, size=(40, 30), view=view),
                 lambda: armsim.animate(ARM, [Q, Q], size=(40, 30), view=view)):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message


def test_a_view_with_its_pixel_centre_moves_the_picture():
    size = (120, 90)
    view = View(size, np.zeros(2), 30.0, (20.0, 70.0))
    img = np.asarray(armsim.render(ARM, Q, size=size, view=view))
    x, y = np.floor(view.to_screen(ARM.tip(Q))).astype(int)
    assert tuple(img[y, x]) == DEFAULT_THEME.tip
