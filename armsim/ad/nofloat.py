"""A :class:`~armsim.ad.dual.Dual` is not a float.

numpy stores a number into a float array (``arr[i] = x``, ``np.array([x], dtype=float)``)
through ``float(x)``: a Dual's float was its value, so its tangent went and the Jacobian
came out zeros without a word.  ``Dual.__float__`` raises :class:`NotAFloat` instead.

numpy reports an error of that conversion for any object it can index (a Dual has ``len``
and indexing) as "setting an array element with a sequence.", the refusal as its cause;
:func:`called` gives the refusal itself, one line, for the functions armsim evaluates on
Duals (:func:`armsim.ad.dual.jacobian`, :func:`armsim.ad.pruning.jacobian`).
"""

from __future__ import annotations

__all__ = ["MESSAGE", "NotAFloat", "called"]

MESSAGE = ("a Dual is not a float: float(dual), or arr[i] = dual into a float array, would drop "
           "its derivative; build arrays of Duals with armsim.dual.stack or concatenate (or an "
           "object array), or read dual.value for the number")


class NotAFloat(TypeError):
    """``float()`` of a Dual (see the module)."""


#: a numpy function (np.sin, np.exp, ...) given a Dual: numpy's words name no remedy
UFUNC_MESSAGE = ("numpy's functions (np.sin, np.exp, ...) do not take a Dual, whose "
                 "derivative they would drop: use armsim.dual's (armsim.dual.sin, cos, tan, "
                 "exp, log, sqrt, arctan2, ...) in a function armsim differentiates")


def called(f, *args):
    """``f(*args)``; numpy's "setting an array element with a sequence." over a
    :class:`NotAFloat` is raised as the NotAFloat alone (the traceback still reaches the
    line of ``f`` that stored the Dual), and numpy's refusal of a Dual in one of its
    functions (``Dual.__array_ufunc__`` is None) as :data:`UFUNC_MESSAGE`."""
    try:
        return f(*args)
    except ValueError as exc:
        if not isinstance(exc.__cause__, NotAFloat):
            raise
        raise NotAFloat(MESSAGE).with_traceback(exc.__traceback__) from None
    except TypeError as exc:
        if "'Dual' does not support ufuncs" not in str(exc):
            raise
        raise TypeError(UFUNC_MESSAGE).with_traceback(exc.__traceback__) from None
