"""Powers ``x ** y`` and their slopes, shared by forward mode (:mod:`armsim.ad.dual`) and
reverse mode (:mod:`armsim.ad.reverse`).

With a constant exponent only :func:`pow_slope` is needed.  When the exponent varies too,
:func:`partials` gives numpy's value and both slopes:

- along the base, :func:`pow_slope` (``y x^(y-1)``, as for a constant exponent);
- along the exponent, ``x^y log x`` for x > 0, and 0 at x = 0 for y > 0 (0^y is 0 there).

A negative base has no slope along the exponent (``x^y`` is real only at integer y), nor has
``0^y`` for y <= 0; ``0^y`` for y < 0 has none along the base either (it is infinite).  There
the slope is set to 0 and marked, and :func:`refuse` raises a ValueError as soon as a non-zero
derivative would go through it (a tangent in forward mode, an adjoint in reverse mode).  A
value numpy itself makes NaN from numbers, such as ``(-2) ** 0.5``, is refused at once.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pow_slope", "partials", "refuse"]


def pow_slope(x, p):
    """``d x^p / dx = p x^(p-1)`` elementwise (written without dividing by x): 0 where
    ``p = 0`` (x^0 is constant, even at x = 0), and taken as 0 at x = 0 where it is not
    finite (a fractional power's slope there, as :func:`armsim.ad.dual.sqrt`'s), so the
    other directions of a tangent stay finite (inf times their 0 was NaN)."""
    x, p = np.asarray(x, dtype=float), np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = p * x ** (p - 1.0)
    return np.where((p == 0) | ((x == 0) & ~np.isfinite(d)), 0.0, d)


def _at(mask, x, y):
    """The numbers of ``x`` and ``y`` at the first true element of ``mask``, for a message."""
    i = int(np.argmax(np.ravel(mask)))
    xs, ys = (np.ravel(np.broadcast_to(a, np.shape(mask)))[i] for a in (x, y))
    return f"x = {xs:g}, y = {ys:g}"


def partials(x, y):
    """``x ** y`` for an exponent that varies, with both slopes.

    Returns
    -------
    value, d_dx, d_dy, bad_x, bad_y
        Arrays of the broadcast shape; ``bad_x`` / ``bad_y`` mark where the slope along
        the base / the exponent is undefined (that slope is 0 there).

    Raises
    ------
    ValueError
        Where numpy's power of two numbers is NaN (a negative base, a fractional exponent).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        v = x ** y
        nan = np.isnan(v) & ~np.isnan(x) & ~np.isnan(y)
        if nan.any():
            raise ValueError(f"x ** y is not a real number at {_at(nan, x, y)} "
                             "(a negative base needs an integer exponent)")
        xb = np.broadcast_to(x, np.shape(v))
        positive, zero = xb > 0, xb == 0
        d_dy = np.where(positive, v * np.log(np.where(positive, xb, 1.0)), 0.0)
    bad_x = zero & (y < 0)
    bad_y = (xb < 0) | (zero & (y <= 0))
    return v, pow_slope(x, y), d_dy, bad_x, bad_y


def refuse(bad, moving, wrt, x, y):
    """Raise if a derivative flows where the slope along ``wrt`` ("x", the base, or "y",
    the exponent) is undefined.

    ``bad`` marks the undefined slopes (from :func:`partials`); ``moving()`` gives, per
    element, whether a non-zero derivative goes through (called only when ``bad`` has a
    true element, so the check costs one ``any`` on the usual path).
    """
    if not np.any(bad):
        return
    hit = bad & moving()
    if not np.any(hit):
        return
    x0 = np.ravel(np.broadcast_to(x, np.shape(hit)))[int(np.argmax(np.ravel(hit)))]
    why = ("0 ** y with y < 0 is infinite" if wrt == "x" else
           "a negative base" if x0 < 0 else "0 ** y with y <= 0")
    fix = "" if wrt == "x" else "; keep the exponent constant there"
    raise ValueError(f"the derivative of x ** y with respect to {wrt} is undefined at "
                     f"{_at(hit, x, y)} ({why}){fix}")
