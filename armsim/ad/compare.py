"""Comparisons of forward- and reverse-mode numbers (:class:`~armsim.ad.dual.Dual`,
:class:`~armsim.ad.reverse.Var`): by their values only."""

from __future__ import annotations

__all__ = ["ByValue"]


class ByValue:
    """``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` on the values alone, elementwise as
    numpy's (masks and clipping); no hash, as a numpy array.  A class using it gives
    ``_primal(x)``, the value of x (its own kind or a number or array)."""

    __slots__ = ()
    __hash__ = None

    def __eq__(self, other):
        return self.value == self._primal(other)

    def __ne__(self, other):
        return self.value != self._primal(other)

    def __lt__(self, other):
        return self.value < self._primal(other)

    def __le__(self, other):
        return self.value <= self._primal(other)

    def __gt__(self, other):
        return self.value > self._primal(other)

    def __ge__(self, other):
        return self.value >= self._primal(other)
