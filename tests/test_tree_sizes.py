"""Whole robots of thousands of links: what a frame costs grows with the links, not faster.

A URDF may hold 10,000 links (armsim.kinematics.validate.MAX_LINKS) as one robot of 1,024
movable joints at most; each tool's chain has at most 128.  The frame's joint housings came
from a chain per leaf (leaves x depth: a 10,000-link comb of 1,000 joints took 2.5 minutes
and 1.2 GB for 2 frames), the picture's faces were shaded all at once (a 10,000-link chain:
500 MB)."""

import numpy as np

import armsim
from armsim.ik.tree_tracking import joint_axes, tree_snapshot


def comb(arm=30, teeth=300, every=1, fixed_teeth=False):
    """Two arms of ``arm`` links from ``base`` (one joint in ``every`` revolute, the others
    fixed; tools ``a{arm}`` and ``b{arm}``) and ``teeth`` one-link leaves hanging from the
    arms' links (revolute, or fixed)."""
    links, joints = ['<link name="base"/>'], []

    def joint(name, kind, parent, child, xyz, i):
        axis = ("0 0 1", "0 1 0", "1 0 0")[i % 3]
        limit = '<limit lower="-1" upper="1"/>' if kind == "revolute" else ""
        links.append(f'<link name="{child}"/>')
        joints.append(f'<joint name="{name}" type="{kind}"><parent link="{parent}"/><child '
                      f'link="{child}"/><axis xyz="{axis}"/>{limit}<origin xyz="{xyz}"/></joint>')
    for side, x in (("a", 0.02), ("b", -0.02)):
        for i in range(1, arm + 1):
            joint(f"{side}j{i}", "revolute" if i % every == 0 else "fixed",
                  "base" if i == 1 else f"{side}{i - 1}", f"{side}{i}", f"{x / every:g} 0 "
                  f"{0.03 / every:g}", i)
    for k in range(teeth):
        joint(f"tj{k}", "fixed" if fixed_teeth else "revolute", f"{'ab'[k % 2]}{k // 2 % arm + 1}",
              f"tooth{k}", "0 0.01 0", k)
    return '<robot name="comb">\n' + "\n".join(links + joints) + "\n</robot>\n"


def _robot(tmp_path, text, tips):
    path = tmp_path / "big.urdf"
    path.write_text(text)
    return armsim.load_robot(path, tips=tips)


def test_joint_axes_are_the_chains_numbers_without_a_chain_per_leaf(tmp_path):
    # each leaf's chain was built (and kept) for the housings: 300 teeth, 300 chains
    robot = _robot(tmp_path, comb(), ["a30", "b30"])
    q = np.random.default_rng(0).uniform(-1, 1, robot.n)
    targets = {t: robot.frames(q, [t])[t][:3, 3] for t in robot.tips}
    state = tree_snapshot(robot, q, targets)
    assert len(robot._chains) == 2                      # the tools' chains only
    assert state.origins.shape == state.axes.shape == (360, 3)
    names = list(robot.movable_names)
    for leaf in ("a30", "tooth7", "tooth298"):
        chain, cols, mult, off = robot.chain(leaf)
        z, o = chain.joint_axes(q[cols] * mult + off)
        rows = [names.index(j.name) for j in chain.joints]
        assert np.array_equal(state.axes[rows], z) and np.array_equal(state.origins[rows], o)


def test_every_movable_joint_has_a_housing_a_wheel_too(tmp_path):
    # the housings came from the leaves' chains: a wheel's (reach 0, refused) had none
    robot = _robot(tmp_path, """<robot name="mobile"><link name="base"/><link name="wheel"/>
<link name="l1"/><link name="gripper"/>
<joint name="wheel_joint" type="continuous"><parent link="base"/><child link="wheel"/>
  <origin xyz="0 0.2 0.05"/><axis xyz="0 1 0"/></joint>
<joint name="a1" type="revolute"><parent link="base"/><child link="l1"/>
  <origin xyz="0 0 0.3"/><axis xyz="0 0 1"/><limit lower="-3" upper="3"/></joint>
<joint name="a2" type="revolute"><parent link="l1"/><child link="gripper"/>
  <origin xyz="0.4 0 0"/><axis xyz="0 1 0"/><limit lower="-2" upper="2"/></joint>
</robot>""", None)
    o, a = joint_axes(robot, np.array([0.3, 0.4, 0.5]))
    assert np.allclose(o, [[0, 0.2, 0.05], [0, 0, 0.3], [0.4 * np.cos(0.4), 0.4 * np.sin(0.4), 0.3]])
    assert np.allclose(a, [[0, 1, 0], [0, 0, 1], [-np.sin(0.4), np.cos(0.4), 0]])


def test_a_frame_of_1200_links_takes_memory_in_proportion(tmp_path):
    # building, stepping and drawing a 1,241-link robot peaked at 53 MB (its 37,000 faces
    # shaded all at once; 60 MB with a chain per leaf); 7 MB now, 6 KB a link
    import tracemalloc

    from armsim.ik.tree_tracking import TreeSimulation
    from armsim.view.orbit import OrbitCamera, arm_points
    from armsim.view.tree3d import render_tree
    robot = _robot(tmp_path, comb(arm=600, teeth=40, every=15), ["a600", "b600"])
    assert len(robot.links) == 1241 and robot.n == 120
    q0 = np.zeros(robot.n)
    F = robot.frames(q0, robot.tips)

    def frame():
        sim = TreeSimulation(robot, {t: (lambda k, p=F[t][:3, 3].copy(): p) for t in F}, q0)
        state = sim.step()
        camera = OrbitCamera.framing(robot.arm_reach, points=arm_points(state))
        return render_tree(state, camera, (320, 240))
    frame()                     # (the first picture's fonts and imports are not counted)
    tracemalloc.start()
    try:
        pixels = frame()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6, f"{peak / 1e6:.1f} MB"
    assert (pixels != pixels[0, 0]).any(axis=2).mean() > 0.05      # the robot is drawn


def test_the_faces_shaded_in_chunks_paint_the_same_pixels(monkeypatch):
    # each face's numbers are its own: any chunk size gives the same picture
    import armsim.view.solids as solids
    robot = armsim.robots.load_robot("dual_arm")
    lo, hi = robot.limits.T
    q = lo + np.linspace(0.2, 0.8, robot.n) * (hi - lo)
    whole = np.asarray(armsim.render(robot, q, size=(320, 240)))
    monkeypatch.setattr(solids, "FACE_CHUNK", 7)
    assert np.array_equal(np.asarray(armsim.render(robot, q, size=(320, 240))), whole)


def test_the_framing_previews_a_small_robot_on_its_own_model_and_no_large_one(
        tmp_path, monkeypatch):
    # the preview stepped a deep copy: the model's copy stayed among the solver's 16 recent
    # robots (a 10,000-link robot: 15 MB each), and a 10,000-link tree of 60 joints took 30
    # of its frames (10 s) for a framing
    import gc

    from armsim.ik.tree_tracking import TreeSimulation
    from armsim.kinematics.tree import Robot
    from armsim.view import orbit

    def simulation(robot):
        q0 = np.zeros(robot.n)
        F = robot.frames(q0, robot.tips)
        return TreeSimulation(robot, {t: (lambda k, p=F[t][:3, 3].copy(): p + [0, 0, 1e-3 * k])
                                      for t in F}, q0)
    sim = simulation(_robot(tmp_path, comb(arm=20, teeth=0), None))
    gc.collect()        # (robots earlier tests left as garbage are not counted either side)
    robots = sum(isinstance(o, Robot) for o in gc.get_objects())
    points = orbit.sim_points(sim, 30)
    gc.collect()
    assert sim.frame == 0 and len(points) > len(orbit.sim_points(sim, 0))
    assert sum(isinstance(o, Robot) for o in gc.get_objects()) == robots
    steps = []
    monkeypatch.setattr(orbit, "_preview", lambda sim, last, boxes=None: steps.append(last) or [])
    big = _robot(tmp_path, comb(arm=200, teeth=0, every=8), None)
    assert len(big.link_order) > orbit.PREVIEW_LINKS >= 256 and big.n <= orbit.PREVIEW_JOINTS
    orbit.sim_points(simulation(big), 30)
    orbit.sim_points(sim, 30)
    assert steps == [30]                        # the small robot's only


def test_the_command_line_reads_a_robots_file_once(tmp_path, monkeypatch):
    # the scene written for `PATH.urdf --tips`, the scene read and its overrides read the file
    # three times (a 10,000-link file: 3 s and 20 MB each)
    from armsim.cli import main
    from armsim.kinematics import urdf
    path = tmp_path / "comb.urdf"
    path.write_text(comb(arm=6, teeth=4))
    reads, load = [], urdf.load_robot
    monkeypatch.setattr(urdf, "load_robot", lambda *a, **k: reads.append(a) or load(*a, **k))
    out = tmp_path / "out.gif"
    assert main([str(path), "--tips", "a6,b6", "--gif", str(out), "--frames", "1"]) == 0
    assert out.stat().st_size > 0 and len(reads) == 1
