"""The genetic algorithm over a population of candidate models.

Every ``period`` rounds the candidates are ranked by the loss they
accumulated since the last generation.  The worst ``replaced`` of them
(``(P - 1) // 2`` by default, P counting the hidden reference as in the
original) are overwritten by children of the best candidate (the father) and
a random survivor (the mother: another survivor than the father by default,
or, as in the original code, any survivor, the father included): every parameter comes from either parent with
probability 1/2; every per-parameter learning rate likewise, or, with
probability ``mutation``, is a fresh uniform draw from the rate
range.  With a single candidate (P = 2) there is nobody to breed with: no GA.

Everything is array code over the population axis; the only randomness is the
``numpy.random.Generator`` the caller passes in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GeneticSettings", "Generation", "rank", "doomed", "next_generation"]


@dataclass(frozen=True)
class GeneticSettings:
    """The population and its genetic algorithm.

    Attributes
    ----------
    population : int
        P, counting the hidden reference as the original does: P - 1 candidates.
    enabled : bool
        Run the GA (it never runs with a single candidate).
    period : int
        Rounds between generations; the accumulated loss resets at every period.
    replaced : int or None
        Candidates replaced per generation; None means (P - 1) // 2.
    mutation : float
        Probability that a child's learning rate is a fresh uniform draw.
    """

    population: int = 4
    enabled: bool = True
    period: int = 200
    replaced: int | None = None
    mutation: float = 0.2

    def validate(self):
        """Raise ``ValueError("<field>: ...")`` naming the first bad field."""
        if not _is_int(self.population) or self.population < 2:
            raise ValueError(f"population: must be an integer >= 2 (the reference and at least "
                             f"one candidate), got {self.population!r}")
        if not isinstance(self.enabled, bool):
            raise ValueError(f"enabled: must be true or false, got {self.enabled!r}")
        if not _is_int(self.period) or self.period < 1:
            raise ValueError(f"period: must be an integer >= 1, got {self.period!r}")
        if self.replaced is not None:
            if not _is_int(self.replaced) or not 0 <= self.replaced <= self.population - 2:
                raise ValueError(f"replaced: must be an integer in [0, population - 2] = "
                                 f"[0, {self.population - 2}] so the best survives, got {self.replaced!r}")
        if not _is_real(self.mutation) or not 0.0 <= self.mutation <= 1.0:
            raise ValueError(f"mutation: must be a probability in [0, 1], got {self.mutation!r}")
        return self

    @property
    def candidates(self) -> int:
        return self.population - 1

    @property
    def replace_count(self) -> int:
        """How many candidates a generation replaces (0 when the GA is off)."""
        if not self.enabled or self.candidates < 2:
            return 0
        return (self.candidates // 2) if self.replaced is None else int(self.replaced)


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _is_real(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and np.isfinite(x)


@dataclass(frozen=True)
class Generation:
    """What one generation did (indices into the candidate axis).

    Attributes
    ----------
    order : ndarray (M,) int       candidates from best to worst
    replaced : ndarray (R,) int    overwritten candidates
    fathers, mothers : ndarray (R,) int
    """

    order: np.ndarray
    replaced: np.ndarray
    fathers: np.ndarray
    mothers: np.ndarray


def rank(losses):
    """Candidates from best (lowest loss) to worst; ties keep index order."""
    return np.argsort(np.asarray(losses, dtype=float), kind="stable")


def doomed(losses, count):
    """The ``count`` worst candidates (those the next generation replaces), ndarray int."""
    if count <= 0:
        return np.zeros(0, dtype=int)
    return rank(losses)[-count:]


SECOND_PARENTS = ("other", "any")


def next_generation(params, rates, losses, count, mutation, rate_range, rng, second_parent="other"):
    """Replace the ``count`` worst candidates by children, in place.

    Parameters
    ----------
    params : ndarray (M, D)      learned parameters of the M candidates
    rates : ndarray (M, D)       their per-parameter learning rates
    losses : ndarray (M,)        loss accumulated since the last generation
    count : int                  how many to replace, 0 <= count <= M - 1
    mutation : float             probability of a fresh rate
    rate_range : (lo, hi)        range of a fresh rate
    rng : numpy.random.Generator
    second_parent : str
        ``"other"``: the mother is a random survivor other than the father
        (the father itself when he is the only survivor); ``"any"`` (the
        original code): any survivor, the father included.

    Returns
    -------
    Generation
    """
    if second_parent not in SECOND_PARENTS:
        raise ValueError(f"unknown second parent {second_parent!r}; choose one of {', '.join(SECOND_PARENTS)}")
    m, d = params.shape
    if not (_is_int(count) and count >= 0):     # (2.5 was a TypeError; -1 replaced none)
        raise ValueError(f"count must be an integer >= 0, got {str(count)[:40]}")
    order = rank(losses)
    if count == 0 or m < 2:
        empty = np.zeros(0, dtype=int)
        return Generation(order, empty, empty, empty)
    if count > m - 1:
        raise ValueError(f"cannot replace {count} of {m} candidates: the best must survive")
    replaced = order[m - count:]
    survivors = order[:m - count]
    father = order[0]
    if second_parent == "any":
        others = survivors
    else:
        others = survivors[1:] if survivors.size > 1 else survivors
    mothers = others[rng.integers(0, others.size, size=count)]
    fathers = np.full(count, father)
    take_father = rng.random((count, d)) < 0.5
    params[replaced] = np.where(take_father, params[fathers], params[mothers])
    take_father = rng.random((count, d)) < 0.5
    child_rates = np.where(take_father, rates[fathers], rates[mothers])
    fresh = rng.random((count, d)) < mutation
    draws = rng.uniform(rate_range[0], rate_range[1], size=(count, d))
    rates[replaced] = np.where(fresh, draws, child_rates)
    return Generation(order, replaced, fathers, mothers)
