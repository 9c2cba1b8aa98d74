"""SelfCollision.bind keeps its pairs for the chain it was bound to: every solve binds its
objectives, and the pairs' filter runs the distance over 256 sampled poses (half of a
two-arm solve's time when it ran every time)."""

import numpy as np
import pytest

import armsim
from armsim import robots


@pytest.fixture(scope="module")
def dual():
    return robots.load_robot("dual_arm")


def _counting(monkeypatch):
    calls = []
    real = armsim.SelfCollision.distance

    def distance(self, points):
        calls.append(len(points))
        return real(self, points)
    monkeypatch.setattr(armsim.SelfCollision, "distance", distance)
    return calls


def test_a_second_bind_to_the_same_robot_makes_no_pass(dual, monkeypatch):
    sc = armsim.SelfCollision(link_radius=0.06, margin=0.02)
    calls = _counting(monkeypatch)
    sc.bind(dual)
    first = len(calls)
    pairs = (sc._i.copy(), sc._j.copy())
    assert first > 0 and len(pairs[0]) == 111    # (of 119 apart at 0: 8 no pose parts)
    assert sc.bind(dual) is sc and len(calls) == first
    assert np.array_equal(sc._i, pairs[0]) and np.array_equal(sc._j, pairs[1])


@pytest.mark.parametrize("change", ["link_radius", "margin"])
def test_a_changed_setting_binds_again(dual, monkeypatch, change):
    sc = armsim.SelfCollision(link_radius=0.06, margin=0.02).bind(dual)
    calls = _counting(monkeypatch)
    setattr(sc, change, 0.01 if change == "margin" else 0.1)
    sc.bind(dual)
    assert len(calls) > 0
    fresh = armsim.SelfCollision(**{"link_radius": 0.06, "margin": 0.02, change: getattr(
        sc, change)}).bind(dual)
    assert np.array_equal(sc._i, fresh._i) and sc._margin == fresh._margin


def test_another_robot_binds_again_and_solves_give_the_same_answers(dual, monkeypatch):
    sc = armsim.SelfCollision(link_radius=0.06, margin=0.02).bind(dual)
    hand = robots.load_robot("panda_hand")
    calls = _counting(monkeypatch)
    sc.bind(hand)
    assert len(calls) > 0 and sc._bound is hand
    F = dual.frames(np.full(dual.n, 0.3))
    tg = {"left_tool": F["left_tool"], "right_tool": F["right_tool"]}
    a = armsim.solve(dual, tg, q0=np.zeros(dual.n), objectives=[sc])
    b = armsim.solve(dual, tg, q0=np.zeros(dual.n), objectives=[sc])
    c = armsim.solve(dual, tg, q0=np.zeros(dual.n),
                     objectives=[armsim.SelfCollision(link_radius=0.06, margin=0.02)])
    assert a.success and np.array_equal(a.q, b.q) and np.array_equal(a.q, c.q)


@pytest.mark.parametrize("change", ["link_radius", "margin"])
def test_clearance_of_after_a_changed_setting_sees_the_pairs_a_solve_sees(dual, change):
    # bound with link_radius 0 it keeps 119 pairs; with 0.06 (margin 0.02) 8 of them no pose
    # parts are left out.  Was: clearance_of kept the old pairs (min -0.120 m against -0.025
    # at these poses; 0.011 m off after a margin of 0.2)
    q = np.random.default_rng(0).uniform(-1, 1, (50, dual.n))
    sc = armsim.SelfCollision(link_radius=0.0 if change == "link_radius" else 0.06,
                              margin=0.02).bind(dual)
    setattr(sc, change, 0.06 if change == "link_radius" else 0.2)
    fresh = armsim.SelfCollision(link_radius=0.06, margin=sc.margin)
    assert np.array_equal(sc.clearance_of(dual, q), fresh.clearance_of(dual, q))
    assert np.array_equal(sc._i, fresh._i) and sc._margin == fresh._margin
