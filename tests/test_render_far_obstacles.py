"""An obstacle the user passes to armsim.render / armsim.animate outside the robot's own
framing is framed too: a ball 1.5 m from a Panda (reach 0.99 m) or 2.5 m from the dual arm
was off the picture (not one of its pixels drawn), as the default camera framed only the
robot and its target.  A camera the user gives stays as given, and a picture that already
shows its obstacles is the robot's framing, pixel for pixel."""

import imageio.v3 as iio
import numpy as np
import pytest

import armsim
from _pixels import count
from armsim.view import DEFAULT_THEME
from armsim.view.orbit import OrbitCamera

SIZE = (320, 240)
FILL = DEFAULT_THEME.separator          # a sphere obstacle's fill
WHITE = 200                             # the Panda's housings: every channel above it


@pytest.fixture(scope="module")
def panda():
    return armsim.robots.load("panda")


def ball(center, radius=0.15):
    return {"kind": "sphere", "center": center, "radius": radius}


def housings(img):
    return int((img.min(axis=2) > WHITE).sum())


@pytest.mark.parametrize("center", [[1.5, 0.0, 0.3], [0.0, 2.0, 0.5], [0.0, 0.0, 2.5]])
def test_a_far_obstacle_is_in_the_default_picture(panda, center):
    q = panda.clip(np.zeros(7))
    plain = np.asarray(armsim.render(panda, q, size=SIZE))
    img = np.asarray(armsim.render(panda, q, size=SIZE, obstacles=[ball(center)]))
    assert count(plain, FILL) == 0
    assert count(img, FILL) > 100            # (none before)
    assert housings(img) > 50                # the arm is still drawn
    skeleton = np.asarray(armsim.render(panda, q, size=SIZE, show_solids=False,
                                        obstacles=[armsim.Obstacle(center, 0.15)]))
    assert count(skeleton, FILL) > 100


def test_a_far_box_and_capsule_are_in_the_default_picture(panda):
    edge = DEFAULT_THEME.waypoint            # their outlines
    for ob in ({"kind": "box", "center": [0.0, -1.8, 0.3], "size": [0.3, 0.3, 0.3]},
               {"kind": "capsule", "a": [1.6, -0.3, 0.2], "b": [1.6, 0.3, 0.2],
                "radius": 0.1}):
        img = np.asarray(armsim.render(panda, size=SIZE, obstacles=[ob]))
        assert count(img, edge) > 30, ob


def test_a_whole_robots_far_obstacle_is_in_the_default_picture():
    robot = armsim.robots.load_robot("dual_arm")
    for center in ([2.5, 0.0, 0.8], [0.0, 3.0, 0.8]):
        img = np.asarray(armsim.render(robot, size=SIZE, obstacles=[ball(center)]))
        assert count(img, FILL) > 50, center


def test_an_animation_frames_a_far_obstacle(panda):
    q = panda.clip(np.zeros(7))
    for robot, qs in ((panda, [q, q]),
                      (armsim.robots.load_robot("dual_arm"), None)):
        if qs is None:
            qs = [np.where(np.isfinite(robot.limits), robot.limits, 0.0).mean(axis=1)] * 2
        gif = armsim.animate(robot, qs, size=SIZE, obstacles=[ball([0.0, 2.6, 0.5])]).data
        frame = np.asarray(iio.imread(gif, index=0))[..., :3]
        assert count(frame, FILL) > 50


def test_a_camera_given_stays_as_given(panda):
    q = panda.clip(np.zeros(7))
    far = [ball([1.5, 0.0, 0.3])]
    camera = OrbitCamera(distance=2.0, center=(0.0, 0.0, 0.5))
    px, _, front = camera.project(np.array([1.5, 0.0, 0.3]), SIZE)
    assert front and px[0] < -50 and px[1] > SIZE[1] + 50   # it does not show the ball
    given = np.asarray(armsim.render(panda, q, size=SIZE, view=camera, obstacles=far))
    assert count(given, FILL) == 0
    assert (given == np.asarray(armsim.render(panda, q, size=SIZE, view=camera))).all()
    settings = {k: v for k, v in camera.settings().items() if k != "orbit_deg_per_s"}
    as_dict = np.asarray(armsim.render(panda, q, size=SIZE, view=settings, obstacles=far))
    assert (as_dict == given).all()
    # a dict that leaves the distance and centre out is framed, the obstacle with it
    turned = np.asarray(armsim.render(panda, q, size=SIZE, view={"azimuth_deg": 80},
                                      obstacles=far))
    assert count(turned, FILL) > 100


def test_obstacles_already_in_the_picture_leave_the_framing_as_it_was(panda):
    q = panda.clip(np.zeros(7))
    near = [ball([0.4, 0.0, 0.4], 0.1)]
    img = np.asarray(armsim.render(panda, q, size=SIZE, obstacles=near))
    plain = np.asarray(armsim.render(panda, q, size=SIZE))
    changed = (img != plain).any(axis=2)
    # only the ball's pixels changed: the arm's camera is the same
    assert 100 < changed.sum() < count(img, FILL) + count(img, DEFAULT_THEME.waypoint) + 400


def test_an_obstacle_past_the_framings_far_bound_leaves_the_arm_large(panda):
    # as a far target: an obstacle wholly beyond 3 reaches of the arm's first joint is left
    # out of the framing (10 m away it would shrink the arm to a few pixels)
    q = panda.clip(np.zeros(7))
    plain = np.asarray(armsim.render(panda, q, size=SIZE))
    far = np.asarray(armsim.render(panda, q, size=SIZE, obstacles=[ball([10.0, 0.0, 0.3])]))
    assert (far == plain).all()


@pytest.mark.parametrize("ob, share", [
    (ball([0.0, 0.0, -1e3], 999.9), 0.8),                               # a floor
    (ball([0.0, 0.0, 0.0], 9e5), 0.8),                                  # all around
    ({"kind": "box", "center": [1.3, 0.0, 0.5], "size": [0.05, 20.0, 20.0]}, 0.5)])  # a wall
def test_an_obstacle_larger_than_the_far_bound_leaves_the_arm_large(panda, ob, share):
    # framed whole, a sphere 1 km across shrank the arm to a dot; its side nearest the arm
    # is framed instead (the wall's, 1.3 m off, so the arm is smaller)
    q = panda.clip(np.zeros(7))
    plain = housings(np.asarray(armsim.render(panda, q, size=SIZE)))
    img = np.asarray(armsim.render(panda, q, size=SIZE, obstacles=[ob]))
    assert housings(img) > share * plain


@pytest.mark.parametrize("panel", [False, True])
def test_a_planar_obstacle_past_the_arms_picture_is_in_it(panel):
    # a 0.9 m chain: a circle 1.5 m below its base was off the picture (no pixel of its
    # fill), with or without the panel; the scale now shrinks so it shows
    chain = armsim.Chain([0.3, 0.3, 0.3])
    q = np.array([0.3, 0.2, 0.1])
    plain = np.asarray(armsim.render(chain, q, size=SIZE, show_panel=panel))
    for ob in (armsim.Obstacle([0.0, -1.5], 0.15),
               {"kind": "box", "center": [1.4, 0.0], "size": [0.2, 0.2]},
               {"kind": "capsule", "a": [-1.4, -0.2], "b": [-1.4, 0.2], "radius": 0.08}):
        img = np.asarray(armsim.render(chain, q, size=SIZE, show_panel=panel, obstacles=[ob]))
        assert count(plain, FILL) == 0
        assert count(img, FILL) > 50, ob


def test_a_planar_obstacle_half_the_scale_cannot_show_leaves_the_picture_as_it_is():
    chain = armsim.Chain([0.3, 0.3, 0.3])
    q = np.array([0.3, 0.2, 0.1])
    for panel in (False, True):
        plain = np.asarray(armsim.render(chain, q, size=SIZE, show_panel=panel))
        for center in ([0.0, -3.0], [5.0, 0.0]):
            img = np.asarray(armsim.render(chain, q, size=SIZE, show_panel=panel,
                                           obstacles=[armsim.Obstacle(center, 0.15)]))
            assert np.array_equal(img, plain), center
        near = np.asarray(armsim.render(chain, q, size=SIZE, show_panel=panel,
                                        obstacles=[armsim.Obstacle([0.5, 0.3], 0.15)]))
        scaled = np.asarray(armsim.render(chain, q, size=SIZE, show_panel=panel,
                                          obstacles=[armsim.Obstacle([0.5, 0.3], 0.15)],
                                          view=None))
        assert np.array_equal(near, scaled)


def test_a_planar_animation_frames_its_obstacles():
    chain = armsim.Chain([0.3, 0.3, 0.3])
    qs = np.linspace([0.0, 0.2, 0.1], [0.6, 0.2, 0.1], 3)
    anim = armsim.animate(chain, qs, size=SIZE, obstacles=[armsim.Obstacle([0.0, -1.5], 0.15)])
    frame = iio.imread(anim.data, index=0)[..., :3]
    assert count(frame, FILL) > 50
