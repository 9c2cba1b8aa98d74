"""Identifiability of a calibration's Jacobian: rank, condition and named null directions.

:func:`identify` is the one :mod:`armsim.vision.spatial_calibration` (which re-exports it)
and :mod:`armsim.vision.real.identify` use; see its docstring for how the held parameters
are chosen from the null space's projector, so that they do not depend on the BLAS kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Identifiability", "identify"]


@dataclass
class Identifiability:
    """Rank, condition and null directions of a Jacobian.

    Attributes
    ----------
    rank : int;  dim : int (parameters);  condition : float (of the identifiable part)
    singular : ndarray   singular values of the column-scaled Jacobian
    held : ndarray int   one parameter per null direction (the echelon pivot)
    directions : list of str   each null direction, named by its largest components
        (in column-scaled coordinates: the pixel effect of a unit change of each)
    """

    rank: int
    dim: int
    condition: float
    singular: np.ndarray
    held: np.ndarray
    directions: list
    null: np.ndarray

    @property
    def deficit(self) -> int:
        return self.dim - self.rank

    def free(self):
        mask = np.ones(self.dim, dtype=bool)
        mask[self.held] = False
        return mask


def identify(jac, names, tol=1e-9, tie=1e-9):
    """Rank, condition number and named null directions of ``jac`` (R, D).

    Columns are scaled to unit norm first (Jacobi scaling: metres and radians then
    compare by their pixel effect); the rank counts singular values above ``tol`` times
    the largest.  The held parameters (pivots) are chosen from the orthogonal projector
    ``P = N^T N`` onto the null space, not from the basis ``N`` itself: a null space of
    dimension > 1 has no preferred basis, and LAPACK returns a different rotation of it
    under each BLAS kernel (the projectors agree to 1e-15, the bases do not), so pivots
    taken from the basis's entries changed with the kernel.  Pivoted Cholesky of ``P``:
    each pivot is the parameter with the largest share ``P_jj`` of the null space left
    once the pivots before it are held (shares within ``tie`` of the largest count as
    equal; the first parameter wins).  Each direction is then the null vector with 1 at
    its pivot and 0 at the other pivots (unique once the pivots are).
    """
    jac = np.asarray(jac, dtype=float)
    if jac.ndim != 2 or 0 in jac.shape or not np.isfinite(jac).all():
        raise ValueError(f"identify: the Jacobian must be a finite (residuals x parameters) "
                         f"array with both sizes > 0, got shape {jac.shape}")
    if len(names) != jac.shape[1]:
        raise ValueError(f"identify: {len(names)} names for {jac.shape[1]} parameters")
    norms = np.linalg.norm(jac, axis=0)
    norms = np.where(norms > 0, norms, 1.0)
    # every null direction, also when there are fewer residuals R than parameters D: then
    # vt in full (D x D; the reduced one drops the D - R directions past the rows, and for
    # R >= D the full U would be R x R)
    _, s, vt = np.linalg.svd(jac / norms, full_matrices=jac.shape[0] < jac.shape[1])
    rank = int(np.sum(s > tol * s[0]))
    cond = float(s[0] / s[rank - 1]) if rank else float("inf")     # (0 / 0 when J = 0)
    basis = vt[rank:]                                      # (k, D), orthonormal rows
    k = basis.shape[0]
    left = basis.T @ basis                                 # the projector, basis-free
    held = []
    for _ in range(k):
        share = np.diag(left).copy()
        share[held] = -np.inf
        col = int(np.flatnonzero(share >= share.max() * (1.0 - tie))[0])
        held.append(col)
        left = left - np.outer(left[:, col], left[col]) / left[col, col]
    m = np.linalg.solve(basis[:, held], basis) if k else basis.copy()   # 1 at its pivot
    directions = []
    for j, v in enumerate(m):
        # physical units, pivot = 1; rounded to 6 decimals before printing to 2, so a
        # component at a half (UR5: 0.425 m, the upper arm) prints the same on every kernel
        phys = np.round(v / norms / (1.0 / norms[held[j]]), 6)
        # by size to 6 decimals, then by index: near-equal components (+1.00 joint1.z
        # +1.00 camera0.z) keep one order whatever the last bits
        order = np.lexsort((np.arange(v.size), -np.round(np.abs(v), 6)))
        top = [i for i in order[:5] if abs(v[i]) > 0.05 * np.abs(v).max()]
        directions.append(" ".join(f"{phys[i]:+.2f} {names[i]}" for i in top))
    return Identifiability(rank, jac.shape[1], cond, s, np.array(held, dtype=int), directions, m)
