"""The spatial serial chain: revolute, continuous and prismatic joints with URDF-style origins.

Joint ``i`` sits at a fixed transform (its *origin*: a translation ``xyz`` and a
rotation ``rpy`` = roll, pitch, yaw about the fixed x, y, z axes, so
``R = Rz(yaw) Ry(pitch) Rx(roll)``, as in URDF) from the frame of the link
before it, and moves about (revolute, continuous) or along (prismatic) its unit
``axis``, given in its own frame.  A fixed tool offset follows the last joint.

Every frame is plain array maths (:func:`forward`) that runs unchanged on
floats, arrays and :class:`~armsim.ad.dual.Dual` with a leading batch axis:
a joint's rotation is Rodrigues' ``I + sin q K + (1 - cos q) K^2`` built with
the dual operators, and frames compose by (stacked) matrix products.  The pose
Jacobian is one forward pass with identity tangents on the joint values (and,
when asked, on the origins): the linear rows are the tangent of the tool
position, the angular rows the axial vector of ``dR R^T``.

A chain is built from a list of :class:`Joint` (what :func:`armsim.load_urdf`
does), or from a Denavit-Hartenberg table (:meth:`SpatialChain.from_dh`,
standard or modified).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from armsim.ad import dual as ad, twist
from armsim.kinematics import batch, validate
from armsim.ranges import real_array, shown

__all__ = ["Joint", "SpatialChain", "forward", "rpy_matrix", "matrix_rpy", "rotation_vector",
           "axis_angle_matrix", "axis_angles_matrices", "quaternion_matrix", "matrix_quaternion", "pose", "JOINT_TYPES",
           "WRT_SPATIAL"]

JOINT_TYPES = validate.JOINT_TYPES
WRT_SPATIAL = ("joints", "origins")
MAX_VALUE = validate.JOINT_VALUE_RANGE[1]   # joint values [rad or m]: 1e6
MAX_OFFSET = validate.POSITION_RANGE[1]     # a point to reach (a target, a pose) [m]: 1e6


def rpy_matrix(rpy):
    """Rotation ``Rz(y) Ry(p) Rx(r)`` of roll-pitch-yaw angles (..., 3) -> (..., 3, 3).

    Runs on arrays and Duals."""
    cr, sr = ad.cos_sin(rpy[..., 0])
    cp, sp = ad.cos_sin(rpy[..., 1])
    cy, sy = ad.cos_sin(rpy[..., 2])
    rows = [[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr]]
    return ad.stack([ad.stack(r, axis=-1) for r in rows], axis=-2)


def matrix_rpy(R):
    """Roll, pitch, yaw (3,) of a rotation matrix (3, 3): the inverse of :func:`rpy_matrix`."""
    R = np.asarray(R, dtype=float)
    sp = -R[2, 0]
    cp = np.hypot(R[0, 0], R[1, 0])
    pitch = np.arctan2(sp, cp)
    if cp > 1e-12:
        roll = np.arctan2(R[2, 1], R[2, 2])
        yaw = np.arctan2(R[1, 0], R[0, 0])
    else:   # gimbal lock: put the whole turn on yaw
        roll = 0.0
        yaw = np.arctan2(-R[0, 1], R[1, 1])
    return np.array([roll, pitch, yaw])


_NEXT, _LAST = [1, 2, 0], [2, 0, 1]    # (a x b)_i = a_(i+1) b_(i+2) - a_(i+2) b_(i+1)
_NEXT_I, _LAST_I = np.array(_NEXT), np.array(_LAST)   # the same as index arrays (no list
                                                       # conversion per call)
# flat indices of R[2,1], R[0,2], R[1,0] and of R[1,2], R[2,0], R[0,1] (the skew part)
_SKEW_PLUS, _SKEW_MINUS = np.array([7, 2, 3]), np.array([5, 6, 1])


def _skew(a):
    a = np.asarray(a, dtype=float)
    return np.array([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]])


def axis_angle_matrix(axis, angle):
    """Rotation by ``angle`` (...) about the unit ``axis`` (3,): (..., 3, 3) (numpy)."""
    k = _skew(axis)
    angle = np.asarray(angle, dtype=float)[..., None, None]
    return np.eye(3) + np.sin(angle) * k + (1.0 - np.cos(angle)) * (k @ k)


def axis_angles_matrices(axes, angles):
    """Rotations by ``angles`` (B,) about unit ``axes`` (B, 3), one per row: (B, 3, 3)."""
    axes = np.asarray(axes, dtype=float)
    c, s = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
    x, y, z = axes[:, 0], axes[:, 1], axes[:, 2]
    zero = np.zeros_like(x)
    k = np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1),
                  np.stack([-y, x, zero], -1)], axis=-2)
    return np.eye(3) + s * k + (1.0 - c) * (k @ k)


def rotation_vector(R):
    """The rotation vector (axis times angle in [0, pi]) of rotation matrices (..., 3, 3).

    Accurate at every angle: from the skew part where the angle is below pi/2,
    from the symmetric part (the axis as the largest column of ``R + R^T - (tr R - 1) I``)
    near pi.
    """
    R = np.asarray(R, dtype=float)
    flat = R.reshape(R.shape[:-2] + (9,))
    v = 0.5 * (flat[..., _SKEW_PLUS] - flat[..., _SKEW_MINUS])         # sin(angle) * axis
    c = np.clip(0.5 * (flat[..., 0] + flat[..., 4] + flat[..., 8] - 1.0), -1.0, 1.0)
    s = np.sqrt((v * v).sum(axis=-1))
    angle = np.arctan2(s, c)
    # angle / s -> 1 as s -> 0; where s == 0 and c > 0, v is 0 and so is the result
    out = v * (angle / np.maximum(s, 1e-300))[..., None]
    wide = c < 0.0
    if np.any(wide):
        Rw, cw, vw, aw = R[wide], c[wide], v[wide], angle[wide]
        sym = 0.5 * (Rw + np.swapaxes(Rw, -1, -2)) - cw[:, None, None] * np.eye(3)  # (1-c) a a^T
        i = np.argmax(np.diagonal(sym, axis1=-2, axis2=-1), axis=-1)
        col = sym[np.arange(len(i)), :, i]
        axis = col / np.linalg.norm(col, axis=-1, keepdims=True)
        sign = np.where(np.einsum("bi,bi->b", axis, vw) < 0.0, -1.0, 1.0)
        out[wide] = axis * (sign * aw)[:, None]
    return out


def rotation_vector_one(M):
    """:func:`rotation_vector` of one rotation matrix given as 9 Python floats (row-major):
    the same arithmetic on scalars (a single solve's per-iteration cost); a list of 3 floats,
    or None when the angle is past pi/2 (the caller then uses :func:`rotation_vector`)."""
    m0, m1, m2, m3, m4, m5, m6, m7, m8 = M
    c = 0.5 * (m0 + m4 + m8 - 1.0)
    if not c >= 0.0:
        return None
    c = min(c, 1.0)
    v0, v1, v2 = 0.5 * (m7 - m5), 0.5 * (m2 - m6), 0.5 * (m3 - m1)
    s = math.sqrt(v0 * v0 + v1 * v1 + v2 * v2)
    k = float(np.arctan2(s, c)) / max(s, 1e-300)    # numpy's atan2 (not math's): same bits
    return [v0 * k, v1 * k, v2 * k]


@dataclass(frozen=True)
class Joint:
    """One joint: its ``type`` (:data:`JOINT_TYPES`), origin ``xyz`` [m] and ``rpy``
    [rad] in the previous link's frame, unit ``axis`` in its own frame, and limits
    ``lower``, ``upper`` [rad or m] (a continuous joint has none: -inf, inf)."""

    name: str
    type: str
    xyz: tuple = (0.0, 0.0, 0.0)
    rpy: tuple = (0.0, 0.0, 0.0)
    axis: tuple = (0.0, 0.0, 1.0)
    lower: float = -np.pi
    upper: float = np.pi


def forward(q, origin_R, origin_p, axes, prismatic, tool_R, tool_p, frames=False):
    """Tool pose (and every link frame) of a spatial chain: the one kinematic code path.

    Parameters
    ----------
    q : array or Dual (..., n)
        Joint values [rad or m].
    origin_R, origin_p : arrays (n, 3, 3), (n, 3) or Duals
        The fixed transform of each joint in the previous link's frame.
    axes : ndarray (n, 3)
        Unit joint axes, each in its joint's frame.
    prismatic : sequence of n bools
    tool_R, tool_p : arrays (3, 3), (3,) or Duals
        The tool offset in the last link's frame.
    frames : bool
        Also return every link frame.

    Returns
    -------
    R (..., 3, 3), p (..., 3): the tool pose in the base frame (Duals when anything given
    is one); with ``frames`` also the lists of the n link frames (rotation, position)
    after each joint.  The pass is :func:`forward_motion`'s: derivatives ride as twists
    (:mod:`armsim.ad.twist`) and become Duals at the end.
    """
    tool, links = forward_motion(q, origin_R, origin_p, axes, prismatic, tool_R, tool_p,
                                 frames=frames)
    tool_rot, tool_pos = tool.duals()
    if frames:
        pairs = [m.duals() for m in links]
        return tool_rot, tool_pos, [r for r, _ in pairs], [x for _, x in pairs]
    return tool_rot, tool_pos


def forward_motion(q, origin_R, origin_p, axes, prismatic, tool_R, tool_p, frames=False,
                   seed=None):
    """:func:`forward` as :class:`~armsim.ad.twist.Motion` values: the tool and (with
    ``frames``) the n link frames, each carrying its derivatives as twists.

    ``seed = (k, offset)`` seeds q (an array) one-hot without a Dual: joint i's value is
    direction ``offset + i`` of ``k`` (the joints' Jacobian columns), so each joint's
    product adds one column.  Each joint is its origin (a constant, or Duals: an origin
    being calibrated) times its turn about (or slide along) its axis."""
    n = len(prismatic)
    dual_q = isinstance(q, ad.Dual)
    T = None
    links = []
    for i in range(n):
        qi = q[..., i]
        one_hot = (seed[0], seed[1] + i) if seed is not None and not dual_q else ()
        J = (twist.slide if prismatic[i] else twist.turn)(qi, axes[i], *one_hot)
        O = twist.from_duals(origin_R[i], origin_p[i])
        local = twist.compose(O, J)
        T = local if T is None else twist.compose(T, local)
        if frames:
            links.append(T)
    tool = twist.compose(T, twist.from_duals(tool_R, tool_p))
    return tool, links


class Limited:
    """Joint limits (``self.limits`` (n, 2); continuous joints -inf, inf): what a chain and
    a robot (:class:`~armsim.kinematics.tree.Robot`) do with them."""

    def clip(self, q):
        """Joint values within the limits (continuous joints unchanged)."""
        return np.clip(self._shaped(q), self.limits[:, 0], self.limits[:, 1])

    def within_limits(self, q, atol=0.0) -> bool:
        q = self._shaped(q)
        return bool(np.all(q >= self.limits[:, 0] - atol) and np.all(q <= self.limits[:, 1] + atol))

    def _shaped(self, q):
        """``q`` as floats (..., n), or a one-line ValueError (not numpy's broadcast error)."""
        q = real_array("joint values", q)
        if q.shape[-1:] != (len(self.limits),):
            raise ValueError(self._shape_message(q.shape))
        return q

    def _shape_message(self, shape):
        return f"joint values must have shape (..., {len(self.limits)}), got {shape}"


class SpatialChain(Limited):
    """A spatial serial arm of revolute, continuous and prismatic joints.

    Parameters
    ----------
    joints : sequence of :class:`Joint` (at most ``validate.MAX_CHAIN_JOINTS``)
    tool_xyz, tool_rpy : (3,), the tool offset in the last link's frame [m, rad]
    base, tip : str, optional; the link names (for display and error messages)
    name : str, optional; the arm in error messages (default "the arm from BASE to TIP")

    Every number is checked against its quantity's range in :mod:`~armsim.kinematics.validate`
    (lengths within +-1e3 m, angles within +-1e6 rad) before any arithmetic, and the reach
    must be within ``REACH_RANGE`` (1e-3 to 1e3 m); anything else is one ``ValueError`` line
    naming the joint or the arm.

    Attributes
    ----------
    n : number of joints;  limits : ndarray (n, 2) [rad or m] (continuous: -inf, inf)
    names, types : tuples of str;  xyz, rpy, axes : ndarrays (n, 3)
    """

    def __init__(self, joints, tool_xyz=(0.0, 0.0, 0.0), tool_rpy=(0.0, 0.0, 0.0),
                 base="base", tip="tool", name=None):
        joints = list(joints)
        if not joints:
            raise ValueError("a spatial chain needs at least one joint")
        name = f"the arm from {validate.shown(base)} to {validate.shown(tip)}" if name is None \
            else name
        validate.chain_size(len(joints), name)
        xyz, rpy, axes, lim = zip(*(validate.joint(j) for j in joints))   # :mod:`validate`
        self.joints = tuple(joints)
        self.names = tuple(j.name for j in joints)
        self.types = tuple(j.type for j in joints)
        self.xyz = _frozen(np.array(xyz))
        self.rpy = _frozen(np.array(rpy))
        self.axes = _frozen(np.array(axes))
        self.limits = _frozen(np.array(lim, dtype=float))
        self.tool_xyz = _frozen(validate.vector(tool_xyz, "length", "tool xyz"))
        self.tool_rpy = _frozen(validate.vector(tool_rpy, "angle", "tool rpy"))
        self.base, self.tip = str(base), str(tip)
        self.prismatic = tuple(t == "prismatic" for t in self.types)
        self.continuous = _frozen(np.array([t == "continuous" for t in self.types]))
        ext = np.where(self.prismatic, np.max(np.abs(self.limits), axis=1), 0.0).sum()
        self._reach = validate.reach(float(np.linalg.norm(self.xyz[1:], axis=1).sum()
                                           + np.linalg.norm(self.tool_xyz) + ext), name)
        self._R0 = _frozen(rpy_matrix(self.rpy))
        self._tool_R = _frozen(rpy_matrix(self.tool_rpy))
        # the float pass (:meth:`_float_frames`): T0 + s TK + (1 - c) TKK + q TA per joint
        self._T0, self._TKA = batch.local_constants(self._R0, self.xyz, self.axes,
                                                    self.prismatic)
        tool = np.eye(4)
        tool[:3, :3], tool[:3, 3] = self._tool_R, self.tool_xyz
        self._tool_T = _frozen(tool)
        self._rev = _frozen(~np.array(self.prismatic))
        self._all_revolute = bool(self._rev.all())
        # the batch-last pass (:mod:`armsim.kinematics.batch`): its constant 4 x 4 products
        self._batch = batch.constants(self.axes, self._R0, self.xyz, self._tool_R, self.tool_xyz)

    def __repr__(self):
        return f"SpatialChain(n={self.n}, base={self.base!r}, tip={self.tip!r})"

    # -- sizes --------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.joints)

    @property
    def reach(self) -> float:
        """An upper bound of the tool's distance from the first joint: the sum of the
        offsets (prismatic joints at their largest extension; once: the numbers are frozen)."""
        return self._reach

    def _q(self, q):
        if isinstance(q, ad.Dual):
            return q
        q = real_array("joint values", q)   # (complex: refused, not cast with a warning)
        if q.shape[-1:] != (self.n,):
            raise ValueError(self._shape_message(q.shape))
        if not np.all(np.abs(q) <= MAX_VALUE):
            raise ValueError(f"joint values must be finite and within +-{MAX_VALUE:g}")
        return q

    # -- kinematics ---------------------------------------------------------------------
    def _forward(self, q, frames=False, origins=None):
        if not frames and origins is None and _plain(q):    # the chain rule on one-hot seeds
            return twist.seeded(*self._axes_origins(q.value), self.prismatic,
                                dq=q.tangent).duals()
        R0, p0, tR, tp = self._R0, self.xyz, self._tool_R, self.tool_xyz
        if origins is not None:
            xyz, rpy = origins
            R0, p0 = rpy_matrix(rpy), xyz
        return forward(q, R0, p0, self.axes, self.prismatic, tR, tp, frames=frames)

    def _float_frames(self, q):
        """The float pass: every link frame T_i (..., n, 4, 4) (after joint i) and the tool
        T (..., 4, 4), for joint values (..., n) (numpy; no Dual).

        The same kinematics as :func:`forward`, arranged for numpy: the n local transforms
        come from one vectorised Rodrigues over all joints, then n stacked 4 x 4 products.
        """
        batch = q.shape[:-1]
        q2 = q.reshape(-1, self.n)
        # TK, TKK are zero for a prismatic joint, TA for a revolute one
        local = self._local(np.sin(q2), 1.0 - np.cos(q2), q2)              # (B, n, 4, 4)
        frames = np.empty_like(local)
        T = local[:, 0]
        frames[:, 0] = T
        for i in range(1, self.n):
            T = T @ local[:, i]
            frames[:, i] = T
        tool = T @ self._tool_T
        return frames.reshape(batch + (self.n, 4, 4)), tool.reshape(batch + (4, 4))

    def _axes_origins(self, q):
        """The tool's R (..., 3, 3), p (..., 3) and each joint's axis and origin in the base
        frame, (..., 3, n) each, by the float pass (batch-last from LAST_ROWS rows on)."""
        if q.ndim == 2 and len(q) >= batch.LAST_ROWS:
            G, T = batch.last_frames(self, q)
            y = batch.pose_rows(T)
            return y[:, 3:].reshape(-1, 3, 3), y[:, :3], G[:, :, 2].T, G[:, :, 3].T
        frames, T = (self._frames_one if q.ndim == 1 else self._float_frames)(q)
        return (T[..., :3, :3], T[..., :3, 3], self._axes_base(frames),
                np.swapaxes(frames[..., :3, 3], -1, -2))

    def _local(self, s, c1, q):
        """The local transforms (..., j, 4, 4) of the first j joints from sin q, 1 - cos q
        and q (..., j): ``T0 + (s TK + (1 - c) TKK + q TA)``, elementwise (the term of a kind
        of joint the chain lacks is zero and left out), the same for a batch and one row."""
        j = q.shape[-1]
        TK, TKK, TA = (T[:j] for T in self._TKA)
        d = s[..., None, None] * TK
        d += c1[..., None, None] * TKK
        if not self._all_revolute:
            d += q[..., None, None] * TA
        d += self._T0[:j]
        return d

    def _axes_base(self, frames):
        """Each joint's axis in the base frame, (..., 3, n), from the link frames
        (..., n, 4, 4): ``R_i a_i`` as three products and two sums (elementwise, the same
        arithmetic for a batch and one row)."""
        R, a = frames[..., :3, :3], self.axes
        z = R[..., 0] * a[:, None, 0]
        z += R[..., 1] * a[:, None, 1]
        z += R[..., 2] * a[:, None, 2]
        return np.swapaxes(z, -1, -2)

    def _pose_and_jacobian_one(self, q):
        """:meth:`pose_and_jacobian` (joints, structured) of one joint vector q (n,) already
        checked: the same arithmetic on unbatched arrays, without the batch bookkeeping
        (a single solve's per-iteration cost).  Returns the tool T (4, 4) and J (6, n)."""
        frames, T = self._frames_one(q)
        z = self._axes_base(frames)
        lever = T[:3, 3, None] - frames[:, :3, 3].T
        lin = z[_NEXT_I] * lever[_LAST_I] - z[_LAST_I] * lever[_NEXT_I]
        if self._all_revolute:
            return T, np.concatenate([lin, z])
        lin = np.where(self._rev, lin, z)
        return T, np.concatenate([lin, np.where(self._rev, z, 0.0)])

    def _frames_one(self, q):
        """:meth:`_float_frames` of one joint vector q (n,) already checked, unbatched (the
        same arithmetic): the link frames (n, 4, 4) and the tool T (4, 4)."""
        n = self.n
        local = self._local(np.sin(q), 1.0 - np.cos(q), q)
        frames = np.empty_like(local)
        T = frames[0] = local[0]
        for i in range(1, n):
            T = frames[i] = T @ local[i]
        return frames, T @ self._tool_T

    def pose(self, q):
        """Tool pose: R (..., 3, 3), p (..., 3) in the base frame."""
        q = self._q(q)
        if isinstance(q, ad.Dual):
            return self._forward(q)
        _, T = self._float_frames(q)
        return T[..., :3, :3], T[..., :3, 3]

    def tip_position(self, q):
        """Tool position (..., 3)."""
        return self.pose(q)[1]

    def matrix(self, q):
        """Tool pose as homogeneous matrices (..., 4, 4) (numpy)."""
        R, p = self.pose(q)
        R, p = ad.value_of(R), ad.value_of(p)
        T = np.zeros(R.shape[:-2] + (4, 4))
        T[..., :3, :3], T[..., :3, 3], T[..., 3, 3] = R, p, 1.0
        return T

    def frames(self, q):
        """Every link frame: R (..., n + 2, 3, 3), p (..., n + 2, 3) -- the base (identity),
        the link after each joint, and the tool last."""
        q = self._q(q)
        batch = np.shape(ad.value_of(q))[:-1]
        if not isinstance(q, ad.Dual) or _plain(q):
            links, tool = self._float_frames(ad.value_of(q))
            T = np.concatenate([np.broadcast_to(np.eye(4), batch + (1, 4, 4)), links,
                                tool[..., None, :, :]], axis=-3)
            if not isinstance(q, ad.Dual):
                return T[..., :3, :3], T[..., :3, 3]
            return twist.seeded(T[..., :3, :3], T[..., :3, 3], self._axes_base(links),
                                np.swapaxes(links[..., :3, 3], -1, -2), self.prismatic,
                                dq=q.tangent, counts=np.minimum(range(self.n + 2), self.n)).duals()
        tR, tp, Rs, ps = self._forward(q, frames=True)
        base_R = np.broadcast_to(np.eye(3), batch + (3, 3))
        base_p = np.zeros(batch + (3,))
        Rs = [base_R] + [ad.broadcast_to(r, batch + (3, 3)) for r in Rs] + [tR]
        ps = [base_p] + [ad.broadcast_to(x, batch + (3,)) for x in ps] + [tp]
        return ad.stack(Rs, axis=-3), ad.stack(ps, axis=-2)

    def joint_axes(self, q):
        """Each joint's axis z_i (..., n, 3) and origin p_i (..., n, 3) in the base frame
        (what the geometric Jacobian and ``ccd`` need); numpy, by the float pass (a
        prismatic joint's origin is its link frame's less its travel ``q_i z_i``)."""
        q = np.asarray(self._q(q), dtype=float)
        frames, _ = (self._frames_one if q.ndim == 1 else self._float_frames)(q)
        z = np.swapaxes(self._axes_base(frames), -1, -2)
        o = frames[..., :3, 3] - np.where(np.asarray(self.prismatic)[:, None], q[..., None] * z, 0)
        return z, o

    def geometric_jacobian(self, q, axes=None, p=None):
        """The textbook pose Jacobian (..., 6, n): ``(z_i x (p - p_i), z_i)`` for a revolute
        joint, ``(z_i, 0)`` for a prismatic one (numpy; the cross-check of :meth:`jacobian`).
        ``axes`` (:meth:`joint_axes` of q) and ``p`` (the tool's position) when the caller
        has them."""
        q = np.asarray(self._q(q), dtype=float)
        z, o = self.joint_axes(q) if axes is None else axes
        p = self.pose(q)[1] if p is None else p
        lin = np.cross(z, p[..., None, :] - o)
        pri = np.asarray(self.prismatic)
        lin = np.where(pri[:, None], z, lin)
        ang = np.where(pri[:, None], 0.0, z)
        return np.concatenate([np.swapaxes(lin, -1, -2), np.swapaxes(ang, -1, -2)], axis=-2)

    # -- derivatives -----------------------------------------------------------------------
    def _seeded(self, q, wrt):
        q = np.asarray(self._q(q), dtype=float)
        if isinstance(wrt, str):
            wrt = (wrt,)
        wrt = tuple(wrt)
        if not wrt or any(w not in WRT_SPATIAL for w in wrt) or len(set(wrt)) != len(wrt):
            raise ValueError(f"wrt must name one or more of {', '.join(WRT_SPATIAL)} "
                             f"(each at most once), got {wrt!r}")
        if wrt == ("joints",):           # one-hot seeds on the float pass (twist.seeded)
            return twist.seeded(*self._axes_origins(q), self.prismatic)
        n, batch = self.n, q.shape[:-1]
        sizes = [n if w == "joints" else 6 * n for w in wrt]
        k, offset = sum(sizes), dict(zip(wrt, np.cumsum([0] + sizes[:-1]).tolist()))
        # the joint values seeded one-hot without a Dual: joint i's column is its own
        seed = (k, offset["joints"]) if "joints" in wrt else None
        R0, p0 = self._R0, self.xyz
        if "origins" in wrt:
            # columns per joint: x, y, z, roll, pitch, yaw
            o = offset["origins"]
            tx, tr = np.moveaxis(np.eye(k)[o:o + 6 * n].reshape(n, 2, 3, k), 1, 0)
            p0 = ad.Dual(self.xyz, tx)
            R0 = rpy_matrix(ad.Dual(self.rpy, tr))
        tool, _ = forward_motion(q, R0, p0, self.axes, self.prismatic, self._tool_R,
                                 self.tool_xyz, seed=seed)
        if tool.v is None:        # origins only, and no origin given a direction: constant
            tool = twist.Motion(tool.R, tool.p, *np.zeros((2,) + batch + (3, k)), 0, k)
        return tool

    def pose_and_jacobian(self, q, wrt="joints", structured=True):
        """Tool pose R (..., 3, 3), p (..., 3) and its Jacobian (..., 6, K) from one forward pass.

        ``wrt``: ``"joints"`` (n columns), ``"origins"`` (6 n columns: each joint's origin
        x, y, z, roll, pitch, yaw), or both in the order given.  Rows: the tool's linear
        velocity, then its angular velocity, in the base frame.

        For ``wrt="joints"`` the tangents are seeded structurally (``structured=True``, the
        default): joint i's tangent is one-hot, and carried as a twist in the base frame
        (``dT T^-1``) it does not change under the products that follow joint i, so it is
        known the moment the pass reaches joint i: angular velocity ``z_i`` (its axis in the
        base frame) and, at the tool, linear velocity ``z_i x (p - o_i)`` (revolute) or
        ``z_i`` (prismatic).  One float pass then gives the pose and all n columns, equal to
        the general forward pass (``structured=False``: the float pass's frames, then
        :func:`armsim.ad.twist.seeded`, the rule a Dual q takes too) to rounding (1e-12).
        """
        if structured and wrt in ("joints", ("joints",)):
            q = np.asarray(self._q(q), dtype=float)
            if q.ndim == 2 and len(q) >= batch.LAST_ROWS:
                return batch.pose_and_jacobian(self, q)
            frames, T = self._float_frames(q)
            z = self._axes_base(frames)                                         # (..., 3, n)
            p = T[..., :3, 3]
            lever = p[..., None] - np.swapaxes(frames[..., :3, 3], -1, -2)     # (..., 3, n)
            lin = z[..., _NEXT, :] * lever[..., _LAST, :] - z[..., _LAST, :] * lever[..., _NEXT, :]
            if self._all_revolute:
                return T[..., :3, :3], p, np.concatenate([lin, z], axis=-2)
            lin = np.where(self._rev, lin, z)
            return T[..., :3, :3], p, np.concatenate([lin, np.where(self._rev, z, 0.0)], axis=-2)
        tool = self._seeded(q, wrt)
        return tool.R, tool.p, tool.jacobian()

    def jacobian(self, q, wrt="joints", structured=True):
        """Pose Jacobian (..., 6, K) by forward-mode AD (see :meth:`pose_and_jacobian`)."""
        return self.pose_and_jacobian(q, wrt, structured)[2]

    # -- other constructors ------------------------------------------------------------------
    @classmethod
    def from_dh(cls, table, convention="standard", types=None, limits=None, tool=None,
                names=None):
        """A chain from a Denavit-Hartenberg table.

        Parameters
        ----------
        table : array_like (n, 4)
            Rows ``(a, alpha, d, theta_offset)`` [m, rad, m, rad].
        convention : ``"standard"`` (``T_i = Rz(theta) Tz(d) Tx(a) Rx(alpha)``) or
            ``"modified"`` (Craig's: ``T_i = Rx(alpha) Tx(a) Rz(theta) Tz(d)``).
        types : sequence of "revolute" / "prismatic" / "continuous" (default revolute);
            a prismatic joint's value is added to ``d``.
        limits : array_like (n, 2), optional (default (-pi, pi))
        tool : (4, 4) homogeneous tool offset after the last DH frame, optional
        names : sequence of n str, optional (default joint1, joint2, ...)

        Every entry is checked against its range before any arithmetic
        (:func:`armsim.kinematics.validate.dh`: ``a``, ``d`` within +-1e3 m, angles within
        +-1e6 rad, at most 128 rows), and the arm's reach must be within 1e-3 to 1e3 m:
        otherwise one ``ValueError`` line, e.g. ``the DH arm (3 joints) reaches 0 m from its
        first joint; ...``.
        """
        table, types, limits, tool, names = validate.dh(table, convention, types, limits, tool,
                                                        names)

        def tz(d):
            T = np.eye(4)
            T[2, 3] = d
            return T

        def tx(a):
            T = np.eye(4)
            T[0, 3] = a
            return T

        def rot(axis, ang):
            T = np.eye(4)
            T[:3, :3] = axis_angle_matrix(np.eye(3)[axis], ang)
            return T

        origins = []
        after = np.eye(4)                      # the fixed part after the previous joint
        for a, alpha, d, theta in table:
            if convention == "standard":
                origins.append(after @ rot(2, theta) @ tz(d))
                after = tx(a) @ rot(0, alpha)
            else:
                origins.append(rot(0, alpha) @ tx(a) @ tz(d) @ rot(2, theta))
                after = np.eye(4)
        tool_T = after @ tool
        joints = [Joint(names[i], types[i], tuple(T[:3, 3]), tuple(matrix_rpy(T[:3, :3])),
                        (0.0, 0.0, 1.0), limits[i][0], limits[i][1])
                  for i, T in enumerate(origins)]
        return cls(joints, tool_T[:3, 3], matrix_rpy(tool_T[:3, :3]),
                   name=f"the DH arm ({len(joints)} joints)")


def _vector(what, v, bound):
    try:
        a = np.asarray(v, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be three numbers, got {shown(v)}") from None
    if a.shape != (3,) or not np.all(np.abs(a) <= bound):
        raise ValueError(f"{what} must be three finite numbers within +-{bound:g}, "
                         f"got {str(a.tolist())[:60]}")
    return a


def _plain(q):
    """A Dual with a dense tangent, no hook watching each operation: the chain rule applies."""
    return type(q) is ad.Dual and type(q.tangent) is np.ndarray and not ad.instrumented()


def _frozen(a):
    a = np.array(a)
    a.setflags(write=False)
    return a


QUATERNION_TOL = 1e-6    # |q| may differ from 1 by this much (then it is normalised)


def quaternion_matrix(quaternion):
    """The rotation (3, 3) of a unit quaternion ``(w, x, y, z)`` (scalar first).

    ``|q|`` must be 1 within :data:`QUATERNION_TOL` (it is then normalised); otherwise a
    ValueError says so: ``quaternion must have unit norm (|q| = 1 within 1e-06), got |q| = 2``.
    """
    try:
        q = np.asarray(quaternion, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"quaternion must be four numbers (w, x, y, z), "
                         f"got {shown(quaternion)}") from None
    if q.shape != (4,) or not np.all(np.isfinite(q)):
        raise ValueError(f"quaternion must be four finite numbers (w, x, y, z), "
                         f"got {str(q.tolist())[:60]}")
    size = float(np.sqrt(np.sum(q * q)))
    if not abs(size - 1.0) <= QUATERNION_TOL:
        raise ValueError(f"quaternion must have unit norm (|q| = 1 within {QUATERNION_TOL:g}), "
                         f"got |q| = {size:.6g}")
    w, x, y, z = q / size
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def matrix_quaternion(R):
    """The unit quaternion ``(w, x, y, z)`` with ``w >= 0`` of a rotation (3, 3)."""
    r = rotation_vector(np.asarray(R, dtype=float))
    angle = float(np.linalg.norm(r))
    axis = r / angle if angle > 0 else np.zeros(3)
    return np.concatenate([[np.cos(angle / 2)], np.sin(angle / 2) * axis])


def pose(position, quaternion=None, *, rotation=None, rpy=None):
    """A homogeneous pose (4, 4), the target :func:`armsim.solve` takes for a full pose.

    Parameters
    ----------
    position : array_like (3,) [m]
    quaternion : array_like (4,), optional
        Orientation as a unit quaternion ``(w, x, y, z)`` (scalar first).
    rotation : array_like (3, 3), optional
        Orientation as a rotation matrix (orthonormal within 1e-6, determinant +1).
    rpy : array_like (3,) [rad], optional
        Orientation as roll, pitch, yaw about the fixed x, y, z axes (URDF's convention).

    At most one orientation may be given; none means the identity.
    """
    given = [name for name, v in (("quaternion", quaternion), ("rotation", rotation),
                                  ("rpy", rpy)) if v is not None]
    if len(given) > 1:
        raise ValueError(f"give at most one of quaternion, rotation and rpy, got {' and '.join(given)}")
    p = _vector("position", position, MAX_OFFSET)
    if quaternion is not None:
        R = quaternion_matrix(quaternion)
    elif rotation is not None:
        try:
            R = np.asarray(rotation, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"rotation must be a 3 x 3 matrix of numbers, "
                             f"got {shown(rotation)}") from None
        if R.shape != (3, 3) or not np.all(np.isfinite(R)):
            raise ValueError(f"rotation must be a finite 3 x 3 matrix, got shape {R.shape}")
        dev = float(np.abs(R @ R.T - np.eye(3)).max())
        if dev > 1e-6 or np.linalg.det(R) < 0:
            raise ValueError(f"rotation must be orthonormal with determinant +1 (R R^T = I "
                             f"within 1e-6), got a deviation of {dev:.3g} and determinant "
                             f"{np.linalg.det(R):.3g}")
    elif rpy is not None:
        R = rpy_matrix(_vector("rpy", rpy, MAX_VALUE))
    else:
        R = np.eye(3)
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, p
    return T
