"""A whole robot's panel with long tool names, as a user sees it at 640x480 and 480x360: each
tool's line wraps after its name, never between a number and its unit, and no name is cut."""

import dataclasses

import numpy as np
import pytest

import armsim
from armsim.ik.tree_tracking import tree_snapshot
from armsim.view import spatial
from armsim.view.orbit import OrbitCamera, arm_points
from armsim.view.style import _font, wrap_lines
from armsim.view.tree3d import render_tree, tool_color

PANDA = (0.0, -0.3, 0.0, -2.2, 0.0, 1.9, 0.785)
NAMES = [("left_tool", "right_tool"), ("panda_1_hand", "panda_2_hand"),
         ("a_very_long_tool_name_24", "another_long_toolname_24")]


def drawn(names, size, monkeypatch):
    """The strings the panel of dual_arm draws, its tools named ``names``, with their
    colours; the tools' (name, numbers)."""
    robot = armsim.robots.load_robot("dual_arm")
    q = np.array((0.0,) + PANDA * 2)
    F = robot.frames(q)
    state = tree_snapshot(robot, q, {link: F[link] for link in ("left_tool", "right_tool")})
    state = dataclasses.replace(state, tools=[dataclasses.replace(t, link=n)
                                              for t, n in zip(state.tools, names)])
    seen = []
    real = spatial._text

    def spy(s, fs, color):
        seen.append((s, tuple(color)))
        return real(s, fs, color)
    monkeypatch.setattr(spatial, "_TEXT_CACHE", {})
    monkeypatch.setattr(spatial, "_text", spy)
    camera = OrbitCamera.framing(robot.reach, points=arm_points(state))
    render_tree(state, camera, size)
    return seen, state


@pytest.mark.parametrize("size", [(640, 480), (480, 360)])
@pytest.mark.parametrize("names", NAMES)
def test_each_tool_line_reads_whole(names, size, monkeypatch):
    # at 640x480 "panda_1_hand: 0.0 mm, 0.0" / "  deg", then "panda_2_hand: 0.0 mm, 0.0" /
    # "  deg..." (the other lines left out); at 480x360 dual_arm's "left_tool: 0.0 mm, 0.0" /
    # "  deg" and a 24-character name cut to "a_very_long_tool_na..."
    seen, state = drawn(names, size, monkeypatch)
    for k, t in enumerate(state.tools):
        rows = [s for s, c in seen if c == tool_color(k)]
        values = f"{t.error * 1000:.1f} mm, {np.degrees(t.orientation_error):.1f} deg"
        assert rows in ([f"{t.link}: {values}"], [f"{t.link}:", f"  {values}"]), rows
    said = [s for s, _ in seen]
    assert "method dls" in said or "method -" in said, said       # nothing left out
    assert not [s for s in said if s.endswith("...")], said


def test_a_number_keeps_its_unit_when_a_line_wraps():
    font = _font(21)
    for width in range(60, 260, 7):
        for row in wrap_lines(["panda_1_hand: 0.0 mm, 0.0 deg (at least 30 mm)"], font, width):
            assert row.strip().split(" ")[0] not in ("mm", "mm,", "deg", "mm)"), (width, row)
