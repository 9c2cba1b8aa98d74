"""Automatic differentiation, knowing nothing of arms.

:mod:`~armsim.ad.dual` is forward mode: a :class:`Dual` holds a value of any shape S
and a tangent S + (K,), every operator and elementary function (a rule table) computes
both.  :mod:`~armsim.ad.reverse` is a small tape-based reverse mode, the cross-check;
:mod:`~armsim.ad.pruning` keeps only the k largest tangent entries (dynamic pruning);
:mod:`~armsim.ad.opcount` counts the derivative operations of either mode;
:mod:`~armsim.ad.power` holds the slopes of ``x ** y`` both modes share;
:mod:`~armsim.ad.nofloat` refuses ``float(dual)`` (``arr[i] = dual`` dropped the tangent);
:mod:`~armsim.ad.compare` compares either mode's numbers by their values;
:mod:`~armsim.ad.hooks` holds each thread's instrumentation (counting, pruning).
"""

from armsim.ad import dual, opcount, pruning, reverse
from armsim.ad.dual import Dual, jacobian, value_and_jacobian

__all__ = ["dual", "reverse", "pruning", "opcount", "Dual", "jacobian", "value_and_jacobian"]
