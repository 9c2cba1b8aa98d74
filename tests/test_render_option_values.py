"""The values of armsim.render's and armsim.animate's drawing options other than the
``show_...`` switches, checked before drawing: one line naming the option (a text or None
jacobian_scale raised numpy's UFuncTypeError or a TypeError from inside the drawing, a
negative one drew every arrow backwards, NaN drew none, all without a word)."""

import numpy as np
import pytest

import armsim
from armsim.view import DEFAULT_THEME

PANDA = armsim.robots.load("panda")
Q = np.array([0.3, -0.4, 0.2, -1.8, 0.1, 1.6, 0.5])
VIEW = {"azimuth_deg": 30, "elevation_deg": 20, "distance": 3.0, "center": [0.2, 0, 0.4],
        "fov_deg": 45}


@pytest.mark.parametrize("value", ["x", None, [1, 2], True, np.nan, np.inf, -0.3, 0.0, 1e7])
def test_a_jacobian_scale_that_is_not_a_length_is_one_line(value):
    for call in (lambda: armsim.render(PANDA, Q, size=(40, 30), show_jacobian=True,
                                       jacobian_scale=value),
                 lambda: armsim.animate(PANDA, [Q, Q], size=(40, 30), show_jacobian=True,
                                        jacobian_scale=value)):
        with pytest.raises(ValueError) as info:
            call()
        text = str(info.value)
        assert "\n" not in text
        assert text.startswith("jacobian_scale: "), text


def test_the_jacobian_arrows_point_along_the_columns_at_the_scale_given():
    from armsim.view.orbit import OrbitCamera
    from armsim.view.spatial import joint_color
    size = (640, 480)
    cam = OrbitCamera.from_view(VIEW, 1.0)
    tool = PANDA.matrix(Q)[:3, 3]
    J = PANDA.jacobian(Q)[:3]
    img = np.asarray(armsim.render(PANDA, Q, size=size, view=VIEW, show_jacobian=True,
                                   jacobian_scale=0.2, show_grid=False, show_solids=False))
    j = int(np.argmax(np.linalg.norm(J, axis=0)))        # the longest arrow
    near_tip = tool + 0.2 * J[:, j] * 0.9                 # on its shaft, short of the head
    x, y = np.floor(cam.project(near_tip, size)[0]).astype(int)
    box = img[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3)
    assert any(tuple(p) == tuple(joint_color(j, DEFAULT_THEME)) for p in box), box


@pytest.mark.parametrize("value", ["no", 1, None])
def test_the_planar_plot_slot_switch_is_true_or_false_as_the_show_switches(value):
    # plot_slot="no" kept the panel band's plot slot free: read as True, as "no" was for
    # the show_... switches before they were checked
    arm = armsim.Chain([1.0, 0.7])
    with pytest.raises(ValueError) as info:
        armsim.render(arm, size=(200, 150), show_panel=True, plot_slot=value)
    assert str(info.value) == f"plot_slot must be True or False, got {value}"
    assert armsim.render(arm, size=(200, 150), show_panel=True, plot_slot=True).size == (200, 150)
