"""The two arms armsim's defaults never saw, for ``bench/peers_spatial.py`` and
``bench/ik_spatial.py``: standard Denavit-Hartenberg tables and joint limits (P. Corke,
*Robotics, Vision and Control*; the same numbers are in robotics-toolbox's DH models) of the
PUMA 560 (six revolute joints, a shoulder offset) and the Stanford arm (a prismatic third
joint), their tool pose, and the URDF each is written as."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

#: (a, d, alpha, prismatic, lower, upper) per joint, standard DH; angles in rad, lengths in m
UNSEEN = {
    "puma560": [(0.0, 0.6718, math.pi / 2, False, -2.7925, 2.7925),
                (0.4318, 0.0, 0.0, False, -0.7854, 3.9270),
                (0.0203, 0.15005, -math.pi / 2, False, -3.9270, 0.7854),
                (0.0, 0.4318, math.pi / 2, False, -1.9199, 2.9671),
                (0.0, 0.0, -math.pi / 2, False, -1.7453, 1.7453),
                (0.0, 0.0, 0.0, False, -4.6426, 4.6426)],
    "stanford": [(0.0, 0.412, -math.pi / 2, False, -2.9671, 2.9671),
                 (0.0, 0.154, math.pi / 2, False, -2.9671, 2.9671),
                 (0.0203, 0.0, 0.0, True, 0.3048, 1.27),
                 (0.0, 0.0, -math.pi / 2, False, -2.9671, 2.9671),
                 (0.0, 0.0, math.pi / 2, False, -1.5708, 1.5708),
                 (0.0, 0.0, 0.0, False, -2.9671, 2.9671)],
}


def dh_matrix(a, d, alpha, theta):
    """Standard DH: Rz(theta) Tz(d) Tx(a) Rx(alpha)."""
    ct, st, ca, sa = math.cos(theta), math.sin(theta), math.cos(alpha), math.sin(alpha)
    return np.array([[ct, -st * ca, st * sa, a * ct], [st, ct * ca, -ct * sa, a * st],
                     [0.0, sa, ca, d], [0.0, 0.0, 0.0, 1.0]])


def dh_pose(table, q):
    """The tool pose of a DH table at joints ``q`` (the prismatic joint's q adds to d)."""
    M = np.eye(4)
    for (a, d, alpha, prismatic, _, _), x in zip(table, q):
        M = M @ (dh_matrix(a, d + x, alpha, 0.0) if prismatic else dh_matrix(a, d, alpha, x))
    return M


def dh_urdf(name, table):
    """A URDF of a DH table: links base, link1..linkN, tool; joint i turns (or slides) about
    link(i-1)'s z, the offset Tz(d) Tx(a) Rx(alpha) of joint i is the origin of the next."""
    out = [f'<?xml version="1.0"?>\n<robot name="{name}">', '  <link name="base"/>']
    parent, origin = "base", (0.0, 0.0, 0.0)
    xyz0 = (0.0, 0.0, 0.0)
    for i, (a, d, alpha, prismatic, lo, hi) in enumerate(table, 1):
        kind = "prismatic" if prismatic else "revolute"
        out += [f'  <link name="link{i}"/>',
                f'  <joint name="joint{i}" type="{kind}"><parent link="{parent}"/>'
                f'<child link="link{i}"/><origin xyz="{xyz0[0]!r} {xyz0[1]!r} {xyz0[2]!r}" '
                f'rpy="{origin[0]!r} {origin[1]!r} {origin[2]!r}"/><axis xyz="0 0 1"/>'
                f'<limit lower="{lo!r}" upper="{hi!r}" effort="100" velocity="1"/></joint>']
        parent, xyz0, origin = f"link{i}", (a, 0.0, d), (alpha, 0.0, 0.0)
    out += ['  <link name="tool"/>',
            f'  <joint name="tool_joint" type="fixed"><parent link="{parent}"/>'
            f'<child link="tool"/><origin xyz="{xyz0[0]!r} {xyz0[1]!r} {xyz0[2]!r}" '
            f'rpy="{origin[0]!r} {origin[1]!r} {origin[2]!r}"/></joint>', "</robot>\n"]
    return "\n".join(out)


def write_unseen(folder):
    """Write the unseen arms' URDFs into ``folder``: {name: path}."""
    out = {}
    for name, table in UNSEEN.items():
        p = Path(folder) / f"{name}.urdf"
        p.write_text(dh_urdf(name, table))
        out[name] = p
    return out
