"""A planar target's path stays within +-1e6 m, the bound of every coordinate a scene gives
(arm.base, target.center, the waypoints): a circle's, a random disc's and a figure-eight's
spread around their centre is checked as a spatial circle's is, one line naming the key."""

import pytest

from armsim.scene import SceneError, loads

ARM = "seed = 0\n[arm]\nlengths = [0.5, 0.5]\n"
BASE = "seed = 0\n[arm]\nlengths = [0.5, 0.5]\nbase = [0.0, -999999.0]\n"


@pytest.mark.parametrize("text, message", [
    (ARM + '[target]\nkind = "circle"\ncenter = [999999.0, 0.0]\nradius = 10.0\nperiod = 100\n',
     "target.center: with radius 10 the target's path leaves +-1e+06 m "
     "(largest coordinate 999999)"),
    (ARM + '[target]\nkind = "random"\ncenter = [0.0, -999995.5]\nradius = 4.75\nevery = 10\n',
     "target.center: with radius 4.75 the target's path leaves +-1e+06 m "
     "(largest coordinate 999996)"),
    # the disc's centre defaults to the arm's base
    (BASE + '[target]\nkind = "random"\nradius = 2.0\nevery = 10\n',
     "target.radius: with radius 2 around arm.base the target's path leaves +-1e+06 m "
     "(largest coordinate 999999)"),
    # x = cx + sx sin t, y = cy + sy sin t cos t: the half-height is sy / 2
    (ARM + '[target]\nkind = "figure8"\ncenter = [999999.0, 0.0]\nsize = [2.0, 1.0]\n'
           'period = 100\n',
     "target.center: with size [2, 1] the target's path leaves +-1e+06 m "
     "(largest coordinate 999999)"),
    (ARM + '[target]\nkind = "figure8"\ncenter = [0.0, 999999.0]\nsize = [1.0, 3.0]\n'
           'period = 100\n',
     "target.center: with size [1, 3] the target's path leaves +-1e+06 m "
     "(largest coordinate 999999)"),
])
def test_a_planar_path_past_the_coordinate_range_is_refused(text, message):
    # all of these loaded, and ran (a circle's target at x = 1000009 m)
    with pytest.raises(SceneError) as err:
        loads(text, source="s.toml")
    assert str(err.value) == f"s.toml: {message}"


@pytest.mark.parametrize("text", [
    ARM + '[target]\nkind = "circle"\ncenter = [999990.0, 0.0]\nradius = 10.0\nperiod = 100\n',
    ARM + '[target]\nkind = "random"\ncenter = [-999998.0, 0.0]\nradius = 2.0\nevery = 10\n',
    BASE + '[target]\nkind = "random"\nradius = 1.0\nevery = 10\n',
    BASE + '[target]\nkind = "random"\nevery = 10\n',          # radius 0.9 x reach: computed
    ARM + '[target]\nkind = "figure8"\ncenter = [999998.0, 999998.0]\nsize = [2.0, 4.0]\n'
          'period = 100\n',
    ARM + '[target]\nkind = "figure8"\nsize = [1e6, 1e6]\nperiod = 100\n',
    ARM + '[target]\nkind = "waypoints"\npoints = [[1e6, -1e6]]\nhold = 5\n',
])
def test_a_planar_path_up_to_the_range_loads(text):
    loads(text)


def test_a_waypoint_past_the_range_keeps_its_line():
    with pytest.raises(SceneError) as err:
        loads(ARM + '[target]\nkind = "waypoints"\npoints = [[2e6, 0.0]]\nhold = 5\n')
    assert str(err.value) == "<string>: target.points[0][0]: must be <= 1e+06, got 2000000.0"
