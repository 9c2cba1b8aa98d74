"""A joint locked by lower == upper limits is always on them: the panel of a spatial
picture or window leaves it out of "at limit: joint ..." (it listed it whenever the arm
stopped short, saying nothing of the run)."""

import copy

import numpy as np
import pytest

from armsim.ik.spatial_tracking import STALL_WINDOW, SpatialSimulation
from armsim.kinematics.spatial import Joint, SpatialChain
from armsim.view import DEFAULT_THEME
from armsim.view import spatial as sp
from armsim.view.orbit import OrbitCamera

SIZE = (480, 360)
CAMERA = OrbitCamera(30, 20, 2.5, (0.3, 0, 0.4), 45)


@pytest.fixture(scope="module")
def short():
    """A three-joint arm whose joint 3 is locked at 0.4 rad, stopped short of a target
    out of its reach (joint 2 on its upper limit there)."""
    arm = SpatialChain([Joint("a", "revolute", (0, 0, 0), (0, 0, 0), (0, 0, 1), -3.0, 3.0),
                        Joint("b", "revolute", (0, 0, 0.3), (0, 0, 0), (0, 1, 0), -2.0, 1.2),
                        Joint("c", "revolute", (0, 0, 0.3), (0, 0, 0), (0, 1, 0), 0.4, 0.4)],
                       tool_xyz=(0, 0, 0.3))
    sim = SpatialSimulation(arm, lambda f: np.array([2.0, 0.5, 0.3]))
    for _ in range(STALL_WINDOW + 5):
        state = sim.step()
    assert state.best > 0 and 3 not in state.at_limit   # nor does the run say it
    return copy.copy(state)


def _picture(state):
    return sp.render_spatial(state, CAMERA, SIZE, show_jacobian=False)


def _with(state, at_limit):
    out = copy.copy(state)
    out.at_limit = at_limit
    return out


def test_a_locked_joint_is_not_said_at_its_limit(short):
    lines = [s for s, _ in sp._panel_lines(_with(short, (3,)), False, 0.3, DEFAULT_THEME)]
    assert "stalled" in lines and not any(s.startswith("at limit") for s in lines)
    # the picture: as if no joint were at a limit (the line drew 'at limit: joint 3')
    assert np.array_equal(_picture(_with(short, (3,))), _picture(_with(short, ())))


def test_a_moving_joint_at_its_limit_is_still_said(short):
    lines = [s for s, _ in sp._panel_lines(_with(short, (2, 3)), False, 0.3, DEFAULT_THEME)]
    assert lines[-1] == "at limit: joint 2"
    assert np.array_equal(_picture(_with(short, (2, 3))), _picture(_with(short, (2,))))
    assert not np.array_equal(_picture(_with(short, (2,))), _picture(_with(short, ())))


def test_the_run_leaves_a_locked_joint_out_of_its_joints_at_limit():
    # armsim.ik.tracking.joints_at_limit named joint 3 of a chain stopped short of a target
    # out of reach whenever joint 3 was locked (planar status line, spatial state)
    from armsim.ik.tracking import joints_at_limit, locked
    from armsim.kinematics.planar import Chain
    lim = np.array([[-2.0, 2.0], [-2.0, 2.0], [0.4, 0.4]])
    assert joints_at_limit(np.array([2.0, 0.1, 0.4]), lim) == (1,)
    assert joints_at_limit(np.array([0.0, 0.1, 0.4]), lim) == ()
    assert locked(lim).tolist() == [False, False, True]
    assert locked([[1e6, 1e6 + 1e-4], [-np.inf, np.inf]]).tolist() == [True, False]
    chain = Chain([0.3, 0.2, 0.1], limits=lim)
    from armsim.ik.tracking import Simulation
    sim = Simulation(chain, lambda f: np.array([2.0, 0.5]), np.array([0.1, 0.1, 0.4]))
    for _ in range(60):
        state = sim.step()
    assert 3 not in state.at_limit
