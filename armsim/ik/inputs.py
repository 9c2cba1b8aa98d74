"""What a caller gives a solve, checked: real numbers, target rotations that are rotations,
values within bounds -- each refusal one ValueError line naming what is wrong."""

from __future__ import annotations

import numpy as np

from armsim.ik.settings import _WORDS
from armsim.ranges import real_array, shown

#: a pose target's rotation R must satisfy |R R^T - I| <= this (each entry)
ORTHONORMAL_TOL = 1e-6
_FLOAT = np.dtype(float)
_ORTHONORMAL_TEXT = "1e-6"      # as the messages print it


def check_rotations(R, prefix="target rotation", dev=None, det=None):
    """Refuse target rotations that are not rotations, in one line beginning ``prefix``:
    ``R`` (B, 3, 3) must satisfy ``R R^T = I`` within :data:`ORTHONORMAL_TOL` and have
    determinant +1.  ``dev`` (the largest deviation) and ``det`` may be given already
    computed (one target on floats); what is missing is computed from ``R``."""
    if dev is None:
        with np.errstate(invalid="ignore", over="ignore"):
            dev = np.abs(R @ np.swapaxes(R, -1, -2) - np.eye(3)).max(initial=0.0)
    if not np.isfinite(dev) and R is not None:
        _non_finite(np.reshape(R, (-1, 9)), prefix)
    if not np.isfinite(dev) or dev > ORTHONORMAL_TOL:
        raise ValueError(f"{prefix} must be orthonormal (R R^T = I within "
                         f"{_ORTHONORMAL_TEXT}), got a deviation of {dev:.3g}")
    if det is None:                # orthonormal, so finite: the determinant is +-1
        det = np.linalg.det(R) if len(R) else np.ones(0)
    if (det < 0).any():
        raise ValueError(f"{prefix} must be a rotation (determinant +1), got a "
                         f"reflection (determinant {det[np.argmin(det)]:.3g})")


def check_pose_rows(rows, batch, prefix="target rotation"):
    """:func:`check_rotations` of pose rows (B, 12); one row (not ``batch``) on floats (a
    single solve's cost)."""
    if batch:
        R = rows[:, 3:].reshape(-1, 3, 3)
        with np.errstate(invalid="ignore", over="ignore"):
            devs = np.abs(R @ np.swapaxes(R, -1, -2) - np.eye(3)).max(axis=(1, 2), initial=0.0)
        bad = ~(devs <= ORTHONORMAL_TOL)
        if bad.any():                   # named by its row
            i = int(np.flatnonzero(bad)[0])
            check_rotations(R[i:i + 1], f"{prefix} (row {i})", dev=devs[i])
        check_rotations(R, prefix, dev=0.0)
        return
    a0, a1, a2, b0, b1, b2, c0, c1, c2 = rows[0, 3:].tolist()
    devs = (abs(a0 * a0 + a1 * a1 + a2 * a2 - 1), abs(a0 * b0 + a1 * b1 + a2 * b2),
            abs(a0 * c0 + a1 * c1 + a2 * c2), abs(b0 * b0 + b1 * b1 + b2 * b2 - 1),
            abs(b0 * c0 + b1 * c1 + b2 * c2), abs(c0 * c0 + c1 * c1 + c2 * c2 - 1))
    dev = np.nan if any(d != d for d in devs) else max(devs)
    det = (a0 * (b1 * c2 - b2 * c1) - a1 * (b0 * c2 - b2 * c0) + a2 * (b0 * c1 - b1 * c0))
    if not (dev <= ORTHONORMAL_TOL and det >= 0.0):     # a rotation passes on floats
        check_rotations(rows[:, 3:].reshape(1, 3, 3), prefix, dev=dev, det=np.array([det]))


def _non_finite(rows, prefix):
    """Refuse the first rotation row (of (B, 9)) holding a number that is not finite, naming
    the entry (a NaN made the deviation from orthonormal NaN: 'a deviation of nan')."""
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if bad.size:
        k = int(np.flatnonzero(~np.isfinite(rows[bad[0]]))[0])
        raise ValueError(f"{prefix} must be finite numbers, got {rows[bad[0], k]} at "
                         f"[{k // 3}, {k % 3}]")


#: solve_batch takes at most this many rows (about 1.5 kB a row at its peak on a 7-joint
#: chain or the dual arm: 6 GB); more is refused before any array is made of them
MAX_ROWS = 4_000_000


def check_rows(targets):
    """Refuse, in one line, a batch of more than :data:`MAX_ROWS` rows -- told from the
    leading axis of an array (a broadcast view too) or the length of a list or tuple of
    rows, of a :class:`Target`'s pose, or of a robot's dict of them -- before any copy of
    it is made."""
    values = targets.values() if isinstance(targets, dict) else (targets,)
    for v in values:
        v = getattr(v, "pose", v)               # a Target: its array
        shape = (len(v),) if isinstance(v, (list, tuple)) else getattr(v, "shape", None)
        if isinstance(shape, tuple) and shape and isinstance(shape[0], int) and (
                shape[0] > MAX_ROWS):
            raise ValueError(f"solve_batch takes at most {MAX_ROWS:,} rows, got "
                             f"{shape[0]:,}; solve them in parts")


def plain(a, shape):
    """Whether ``a`` is a float array of this shape, C-ordered and writeable (the arrays a
    compiled function takes without compiling again for another kind)."""
    if a.__class__ is not np.ndarray or a.dtype is not _FLOAT or a.shape != shape:
        return False
    flags = a.flags
    return flags.c_contiguous and flags.writeable


#: the shapes of a target a solve hands over as it is (:func:`raw_kind`), and their kind
RAW_KINDS = {(4, 4): "pose", (3,): "position"}


def raw_kind(target):
    """The kind (:data:`RAW_KINDS`) of a target that is a plain float array
    (:func:`plain`) of shape (4, 4) or (3,), else None."""
    kind = RAW_KINDS.get(getattr(target, "shape", None))
    return kind if kind is not None and plain(target, target.shape) else None


def within(a, size, bound):
    """Whether the float array ``a`` has shape ``(size,)`` and every entry within
    ``+-bound`` (NaN is not), on Python floats (a single solve's cost: a third of numpy's)."""
    if a.shape != (size,):
        return False
    v = a.tolist()
    total = sum(v)       # NaN when an entry is; an infinity is refused by the bounds
    return total == total and (not v or (-bound <= min(v) and max(v) <= bound))


def solve_target(target, size, bound):
    """``target`` as a float array of shape ``(size,)``, every entry within ``+-bound``:
    one solve's target (:meth:`armsim.ik.loop.Solver.solve`), else the one-line ValueError
    naming it."""
    t = real_array("target", target)
    if not within(t, size, bound):
        raise ValueError(f"target must be {_WORDS.get(size, str(size))} finite numbers within "
                         f"+-{bound:g}, got {str(t.tolist())[:80]}")
    return t


def rows_error(name, a, shape, bound, unit=""):
    """The one-line ValueError of an array ``a`` (floats) that is not of ``shape`` (a tuple;
    "B" for any length) with every entry within ``+-bound``: its shape, or the first row
    (or the vector) that is not finite numbers within the bound."""
    text = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    if a.ndim != len(shape) or any(w != "B" and w != d for w, d in zip(shape, a.shape)):
        return ValueError(f"{name} must have shape {text}, got shape {a.shape}")
    rule = f"must be finite numbers within +-{bound:g}{unit}"
    if a.ndim == 1:
        return ValueError(f"{name} {rule}, got {str(a.tolist())[:80]}")
    i = int(np.flatnonzero(~np.all(np.abs(a) <= bound, axis=1))[0])
    return ValueError(f"{name}[{i}] {rule}, got {str(a[i].tolist())[:80]}")


def run_arrays(prob, targets, q0, check=True):
    """``Solver.run``'s targets (B, m) and q0 (B, n) as float arrays; with ``check``, refused
    in one line as ``solve_batch`` refuses them (a shape, or a row not finite numbers within
    the bounds): the loop itself gave NaN answers or numpy's broadcast errors."""
    if not check:                   # (solve_batch's own rows, checked there)
        return np.asarray(targets, dtype=float), np.asarray(q0, dtype=float)
    from armsim.kinematics.planar import MAX_ANGLE, MAX_COORDINATE
    t, q = real_array("targets", targets), real_array("q0", q0)
    m, n = prob.target_size, prob.n
    if t.ndim != 2 or t.shape[1] != m or not np.all(np.abs(t) <= MAX_COORDINATE):
        raise rows_error("targets", t, ("B", m), MAX_COORDINATE)
    if q.shape != (len(t), n) or not np.all(np.abs(q) <= MAX_ANGLE):
        raise rows_error("q0", q, (len(t), n), MAX_ANGLE, " rad")
    return t, q


def real_residual(what, r):
    """The value of a user function's residual ``r`` (an array or a Dual), checked to be
    real numbers (ValueError naming ``what`` otherwise).  A NaN or an infinity is let
    through: a step into a region where the function is not defined is rejected, as a step
    that raises the error (a function with a limited domain still solves)."""
    v = np.asarray(getattr(r, "value", r))
    if v.dtype.kind not in "fiub":
        raise ValueError(f"{what}: fun must return real numbers, got dtype {v.dtype}")
    return v


MAX_WEIGHT_RATIO = 1e6     # a target's weights: the largest over the smallest not 0


def check_weights(weights, m, where="weights"):
    """``weights`` as m floats >= 0, not all 0, the largest at most
    :data:`MAX_WEIGHT_RATIO` times the smallest that is not 0; else one-line ValueError."""
    bad = ValueError(f"{where} must be {m} finite numbers >= 0, not all 0, within a ratio "
                     f"of {MAX_WEIGHT_RATIO:g} of each other, got {shown(weights, 60)}")
    try:
        w = np.array(weights, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise bad from None
    if w.ndim != 1:         # (flattened, (2, 3) or (6, 1) were taken as six weights)
        raise ValueError(f"{where} must be {m} numbers in one row, shape ({m},), got shape "
                         f"{w.shape}")
    if w.shape != (m,) or not np.all(np.isfinite(w)) or np.any(w < 0) or not w.any() \
            or w.max() > MAX_WEIGHT_RATIO * w[w > 0].min():
        raise bad
    return w


_POSE_ROW = np.array([3, 7, 11, 0, 1, 2, 4, 5, 6, 8, 9, 10])   # a 4 x 4 pose's row, flat


def target_rows(target, batch, name=None):
    """(kind, rows (B, 3 or 12)) from positions (3,) / (B, 3) or homogeneous poses
    (4, 4) / (B, 4, 4); None when the shape is neither; a ValueError when the numbers
    are not real (:func:`real_array`) or a pose's bottom row is not ``[0, 0, 0, 1]``
    (``name``: the target in messages, default "target" or "targets")."""
    name = name or ("targets" if batch else "target")
    t = real_array(name, target)
    if (not batch and t.shape == (4, 4) and t[3].tolist() == [0.0, 0.0, 0.0, 1.0]
            and np.isfinite(t).all()):
        return "pose", t.take(_POSE_ROW)[None]   # one pose
    single = t.shape in ((3,), (4, 4))
    if not batch and single:
        t = t[None]
    elif not (batch and t.ndim >= 2 and t.shape[1:] in ((3,), (4, 4))):
        return None
    if t.shape[1:] == (3,):
        return "position", t
    if not np.isfinite(t[:, :3, 3]).all():  # (flattened, it read "must be 12 numbers"; a
        # rotation's NaN: its orthonormality check's deviation)
        b, i = (int(v[0]) for v in np.nonzero(~np.isfinite(t[:, :3, 3])))
        raise ValueError(f"{name}: a homogeneous pose must be finite "
                         f"numbers, got {t[b, i, 3]} at [{i}, 3]"
                         + (f" of pose {b}" if batch else ""))
    bottom = t[:, 3, :]
    if not (bottom == (0.0, 0.0, 0.0, 1.0)).all():
        bad = bottom[np.flatnonzero(~(bottom == (0.0, 0.0, 0.0, 1.0)).all(axis=-1))[0]]
        raise ValueError(f"{name}: a homogeneous pose's bottom row "
                         f"must be [0, 0, 0, 1], got {[float(v) for v in bad]}")
    rows = np.concatenate([t[:, :3, 3], t[:, :3, :3].reshape(-1, 9)], axis=-1)
    return "pose", rows
