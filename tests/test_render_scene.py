"""What the renderer draws for scenes: waypoints, several arms, themes and colours."""

import numpy as np

from armsim import scene as sc
from armsim.view import DEFAULT_THEME, LIGHT_THEME, THEMES, layout, render_array, theme_from_scene, world_at
from armsim.scene import build_simulation, loads
from armsim.view.planar import bands

ARM = '[arm]\nlengths = [0.5, 0.3, 0.2]\n'
WAYPOINTS = ARM + ('[target]\nkind = "waypoints"\npoints = [[-0.5, 0.5], [0.5, -0.3], [-0.6, -0.6]]\n'
                   'hold = [20, 1000, 10]\n[solver]\nmethod = "dls"\n')


def px(state, size, world, view_of=None):
    """Pixel (x, y) of a world point in the single-panel picture of ``state``."""
    (rect, view), = layout(state, size)
    x, y = view.to_screen(np.asarray(world, float))
    return int(round(x)), int(round(y))


def test_waypoints_hollow_until_reached_then_filled():
    sim = build_simulation(loads(WAYPOINTS))
    for _ in range(60):
        state = sim.step()
    assert state.reached.tolist() == [True, True, False]
    size = (300, 300)
    opts = dict(show_panel=False, show_trail=False, show_jacobian=False, show_reach=False)
    img = render_array(state, size, **opts)
    bare = render_array(state, size, show_waypoints=False, **opts)
    theme = DEFAULT_THEME
    # waypoint 0, reached and no longer the target, is a filled disc
    x0, y0 = px(state, size, [-0.5, 0.5])
    assert tuple(img[y0, x0]) == theme.waypoint and tuple(bare[y0, x0]) == theme.background
    # waypoint 2, not reached yet, is a ring: centre background, rim drawn
    x2, y2 = px(state, size, [-0.6, -0.6])
    assert tuple(img[y2, x2]) == theme.background
    assert theme.waypoint in [tuple(img[y2, x2 + d]) for d in range(2, 7)]
    assert all(tuple(bare[y2, x2 + d]) == theme.background for d in range(0, 7))


def test_companions_are_drawn_side_by_side_and_mouse_maps_per_panel():
    s = loads(ARM + '[target]\nkind = "fixed"\npoint = [0.3, 0.4]\n[compare]\nmethod = "dls"\n')
    sim = build_simulation(s)
    state = sim.step()
    panels = layout(state, (400, 200))
    assert [tuple(r) for r, _ in panels] == [(0, 0, 200, 200), (200, 0, 200, 200)]
    # the base is at the centre of each column's workspace area (right of its panel band:
    # a 200 x 200 column leaves no room beside the workspace, so the band takes 68 px)
    free, band = bands((200, 200))
    assert tuple(band) == (0, 0, 68, 200) and tuple(free) == (68, 0, 132, 200)
    np.testing.assert_allclose(world_at(panels, (134, 100)), [0, 0], atol=1e-12)
    np.testing.assert_allclose(world_at(panels, (334, 100)), [0, 0], atol=1e-12)
    np.testing.assert_allclose(world_at(panels, (300, 10)), world_at(panels, (100, 10)))
    img = render_array(state, (400, 200), show_panel=False)
    single = render_array(sim.companions[0].state, (200, 200), show_panel=False)
    np.testing.assert_array_equal(img[:, 201:], single[:, 1:])   # right column = the second arm


def test_single_arm_layout_is_the_whole_surface():
    state = build_simulation(loads(WAYPOINTS)).state
    assert state.waypoints.shape == (3, 2) and not state.reached.any()
    (rect, view), = layout(state, (320, 240))
    assert tuple(rect) == (0, 0, 320, 240) and view.size == (320, 240)


def test_themes_and_colour_overrides():
    assert set(THEMES) == set(sc.THEMES)
    s = loads(ARM + '[target]\nkind = "fixed"\npoint = [0.3, 0.4]\n[render]\ntheme = "light"\n')
    assert theme_from_scene(s.render) == LIGHT_THEME
    s = loads(ARM + '[target]\nkind = "fixed"\npoint = [0.3, 0.4]\n[render]\ntheme = "light"\n'
              '[render.colors]\nbackground = "#102030"\nsegments = ["#ff0000"]\n')
    theme = theme_from_scene(s.render)
    assert theme.background == (16, 32, 48) and theme.segments == ((255, 0, 0),)
    assert theme.target == LIGHT_THEME.target
    img = render_array(build_simulation(s).state, (120, 90), theme=theme, show_panel=False)
    assert tuple(img[-1, -1]) == (16, 32, 48)
    assert (img.reshape(-1, 3) == (255, 0, 0)).all(axis=1).any()      # the segments are red


def test_a_pixel_past_the_panels_is_taken_at_their_edge():
    # a drag released outside the window left the target off the picture (only the line
    # from the tip pointed at it)
    from armsim.ik.tracking import default_simulation
    sim = default_simulation()
    panels = layout(sim.state, (480, 360))
    rect = panels[0][0]
    far = world_at(panels, (5000, -5000))
    np.testing.assert_allclose(far, world_at(panels, (rect.right - 1, rect.top)), atol=0)
    inside = world_at(panels, (200, 100))
    assert np.all(np.isfinite(inside))
    np.testing.assert_allclose(world_at(panels, (-30, 100)), world_at(panels, (rect.left, 100)))
