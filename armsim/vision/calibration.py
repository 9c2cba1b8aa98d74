"""The visual problem: a population of candidate models learns a hidden arm from bearings.

The ``gecco`` geometry (canvas pixels, y down): the base is at (200, 300);
segment i is drawn along its local +y axis after a rotation by its angle
relative to the parent, so with absolute angles ``theta = cumsum(angles)``
joint k sits at ``base + sum_{i<=k} l_i (-sin theta_i, cos theta_i)``.
A hidden reference arm chases a target by the original law; every candidate
adds the reference's joint increments to its own angles; cameras see the
bearing of every joint (tip included); a candidate's round loss is the sum
over joints and cameras of its squared, wrapped bearing difference to the
reference.  The experiment's :class:`~armsim.vision.experiment.VariantSettings`
switch each of the four places where this departs from the original code
(``atan`` of the slope with plain residuals, angles never wrapped, the father
allowed as second parent, the stopping test reading the first candidate);
the ``gecco`` preset uses the original's choices.

One forward-mode pass (:class:`BearingModel`) evaluates the bearings of the
reference and of every candidate together, with tangents on each arm's own 2n
parameters (K = 2n): the population is a batch axis, so the whole
population's gradients (and the reference's tip Jacobian for its own control
law) come out of one vectorised evaluation.  The pass is structured: each
segment's step depends on its own absolute angle and length only, so its
derivatives are elementwise, and the joints' K = 2n tangents come from the
triangular chain rules of the two cumulative sums (:meth:`BearingModel.duals`;
the same numbers as seeding identity tangents through every operation).  The ``lm`` learner runs
the same model over a batch of (candidate, past round) pairs.

:class:`CalibrationRun` owns the loop (:meth:`~CalibrationRun.step` is one
round; :attr:`~CalibrationRun.state` is what a renderer draws) and
:func:`run` runs one experiment to its criterion.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from armsim import ranges
from armsim.ad import dual as ad
from armsim.vision.camera import residuals, slope_angle, wrap, wrap_positive
from armsim.vision.experiment import CRITERIA, PRESETS, CalibrationSettings, Experiment, VariantSettings
from armsim.vision.genetic import doomed, next_generation
from armsim.vision.learners import make_learner

__all__ = [
    "CalibrationSettings", "Experiment", "VariantSettings", "PRESETS", "CRITERIA",  # re-exported
    "BearingModel",
    "CalibrationRun", "CalibrationState", "CalibrationResult", "run", "parameter_errors",
]

TWO_PI = 2.0 * math.pi
#: [rad] an unwrapped angle stays within this (a turn count far past any run: a step that
#: overflows would make NaN of every sum of angles)
MAX_UNWRAPPED = 1.0e6
# cos(theta + pi/2) = -sin(theta), cos(theta + 0) = cos(theta): the gecco step along local +y
_PHASE = np.array([[math.pi / 2.0, 0.0]])


class BearingModel:
    """Bearings of many arms at once, optionally with forward-mode tangents.

    Parameters
    ----------
    segments : int
    base : (2,) [px]
    focuses : ndarray (C, 2) [px]
    observation : str
        ``"atan2"`` (the bearing) or ``"atan"`` (the original's ``atan(dy / dx)``,
        see :func:`armsim.vision.camera.slope_angle`).

    Arrays passed in carry any batch shape ``B``: angles (B..., n) [rad,
    relative], lengths (B..., n) or broadcastable [px].  Internally each
    joint value has shape (B..., n, 1, 1) so that the camera axis (C) and the
    x/y axis broadcast in without reshaping Duals.
    """

    def __init__(self, segments, base, focuses, observation="atan2"):
        self.n = int(segments)
        self.observation = observation
        self.base = np.asarray(base, dtype=float)
        self.focuses = np.asarray(focuses, dtype=float).reshape(-1, 2)
        self.offset = self.base - self.focuses                      # (C, 2): base seen from each focus
        n = self.n
        d = 2 * n
        eye = np.eye(d)
        self._seed_angles = eye[:n].reshape(n, 1, 1, d)  # tangent rows of angles (dense pass)
        self._seed_lengths = eye[n:].reshape(n, 1, 1, d)
        # the triangular chain rules of the two cumulative sums, as 0/1 matrices (n, n * n):
        # d pos_k / d a_j = sum_{j <= i <= k} d step_i / d theta_i, d pos_k / d l_j = [j <= k] d step_j / d l_j
        i, k, j = np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij")
        self._sum_angles = ((j <= i) & (i <= k)).astype(float).reshape(n, n * n)
        self._sum_lengths = ((i == j) & (j <= k)).astype(float).reshape(n, n * n)

    def _forward(self, a, l):
        """a, l: arrays or Duals of shape (B..., n, 1, 1) -> (positions rel. base, bearings)."""
        theta = ad.cumsum(a, axis=-3)                              # absolute angles
        pos = ad.cumsum(l * ad.cos(theta + _PHASE), axis=-3)       # (B..., n, 1, 2) from the base
        return pos, self._bearings(pos)

    def _bearings(self, pos):
        rel = pos + self.offset                                    # (B..., n, C, 2) from each focus
        b = ad.atan2(rel[..., 1], rel[..., 0])                     # bearings (B..., n, C)
        return slope_angle(b) if self.observation == "atan" else b

    def values(self, angles, lengths):
        """Plain evaluation: bearings (B..., n, C) [rad] and joints (B..., n+1, 2) [px]."""
        a = np.asarray(angles, dtype=float)[..., None, None]
        l = np.asarray(lengths, dtype=float)[..., None, None]
        pos, b = self._forward(a, l)
        return b, self.joints(pos)

    def duals(self, angles, lengths):
        """Evaluation with tangents on each arm's own 2n parameters (angles first).

        Structured forward mode: each segment's step ``l_i (-sin, cos)(theta_i)`` depends
        on its own absolute angle and length only, so its two derivatives are
        elementwise (no K = 2n tangent through the cosine and the product); the
        joints' tangents (B..., n, 1, 2, 2n) then follow from the triangular chain
        rules of the two cumulative sums (one matrix product each), and the
        bearings run on :class:`~armsim.ad.dual.Dual` from there.  Equal to
        :meth:`duals_dense` (identity seeds through every operation) to rounding.

        Returns
        -------
        pos : Dual (B..., n, 1, 2)   joints relative to the base, tangent (..., 2n)
        bearings : Dual (B..., n, C), tangent (B..., n, C, 2n)
        """
        n = self.n
        a = np.asarray(angles, dtype=float)[..., None, None]
        l = np.asarray(lengths, dtype=float)[..., None, None]
        arg = np.cumsum(a, axis=-3) + _PHASE                       # theta + phase (B..., n, 1, 2)
        c = np.cos(arg)
        step = l * c
        d_theta = -np.sin(arg) * l                                 # d step_i / d theta_i
        batch = step.shape[:-3]
        tangent = np.empty(batch + (n, 2, 2 * n))
        for cols, d, rule in ((slice(0, n), d_theta, self._sum_angles),
                              (slice(n, 2 * n), np.broadcast_to(c, step.shape), self._sum_lengths)):
            rows = np.swapaxes(d[..., 0, :], -1, -2).reshape(-1, n)   # (B... x 2, n): one product
            tangent[..., cols] = np.swapaxes((rows @ rule).reshape(batch + (2, n, n)), -3, -2)
        pos = ad.Dual.__new__(ad.Dual)
        pos.value = np.cumsum(step, axis=-3)                       # (B..., n, 1, 2) from the base
        pos.tangent = tangent[..., :, None, :, :]
        return pos, self._bearings(pos)

    def duals_dense(self, angles, lengths):
        """:meth:`duals` by the plain dense pass (identity seeds on the 2n parameters through
        every operation): the reference the structured pass is tested against."""
        a = np.asarray(angles, dtype=float)[..., None, None]
        l = np.asarray(lengths, dtype=float)[..., None, None]
        a_dual = ad.Dual(a, np.broadcast_to(self._seed_angles, a.shape + (2 * self.n,)))
        l_dual = ad.Dual(l, np.broadcast_to(self._seed_lengths, l.shape + (2 * self.n,)))
        return self._forward(a_dual, l_dual)

    def joints(self, pos):
        """Absolute joints (B..., n+1, 2), base first, from relative positions."""
        p = ad.value_of(pos)[..., 0, :] + self.base
        base = np.broadcast_to(self.base, p.shape[:-2] + (1, 2))
        return np.concatenate([base, p], axis=-2)


def parameter_errors(angles, lengths, ref_angles, ref_lengths):
    """True errors of candidates against the reference (which the learner never sees).

    Returns
    -------
    length_px : ndarray (M,)     max |l - l_ref| [px]
    length_rel : ndarray (M,)    max |l - l_ref| / l_ref
    angle : ndarray (M,)         max |wrap(theta - theta_ref)| of the absolute segment angles [rad]
    """
    dl = np.abs(np.asarray(lengths) - ref_lengths)
    dth = np.abs(wrap(np.cumsum(angles, axis=-1) - np.cumsum(ref_angles)))
    return dl.max(axis=-1), (dl / ref_lengths).max(axis=-1), dth.max(axis=-1)


@dataclass
class CalibrationState:
    """One snapshot for a renderer (all arrays are copies).

    Attributes
    ----------
    round, generation : int
    reference : ndarray (n+1, 2) [px]       the hidden arm, base first
    candidates : ndarray (M, n+1, 2) [px]   the M = P - 1 candidate models
    doomed : ndarray (M,) bool              replaced at the next generation if it ran now
    focuses : ndarray (C, 2) [px]
    target : ndarray (2,) [px]
    losses : ndarray (M,) [rad^2]           this round's loss per candidate
    accumulated : ndarray (M,) [rad^2]      loss since the last generation
    best : int                              candidate with the lowest round loss
    best_loss : float                       its round loss
    length_error_px, length_error_rel, angle_error : ndarray (M,)   true errors
    converged : bool
    learner, criterion : str
    canvas : (2,) [px]
    """

    round: int
    generation: int
    reference: np.ndarray
    candidates: np.ndarray
    doomed: np.ndarray
    focuses: np.ndarray
    target: np.ndarray
    losses: np.ndarray
    accumulated: np.ndarray
    best: int
    best_loss: float
    length_error_px: np.ndarray
    length_error_rel: np.ndarray
    angle_error: np.ndarray
    converged: bool
    learner: str
    criterion: str
    canvas: tuple


@dataclass
class CalibrationResult:
    """How one run ended.  ``as_row()`` gives the sweep's CSV row."""

    segments: int
    population: int
    seed: int
    learner: str
    cameras: int
    criterion: str
    converged: bool
    rounds: int
    seconds: float
    final_loss: float | None      # best accumulated loss / n at the last check [rad^2]
    #                               (None before the first check)
    length_error_px: float        # of the candidate with the lowest round loss
    length_error_pct: float
    angle_error: float
    generations: int

    def as_row(self):
        return asdict(self)


class CalibrationRun:
    """One calibration experiment, advanced a round at a time.

    Parameters
    ----------
    experiment : Experiment
    seed : int
        Owns every random draw: the reference, the candidates, their rates,
        the target jumps and the GA.  Same seed, same run.
    """

    def __init__(self, experiment=None, seed=0):
        experiment = PRESETS["gecco"] if experiment is None else experiment
        if not isinstance(experiment, Experiment):  # (a preset's name was an AttributeError)
            raise ValueError(f"experiment must be an Experiment (armsim.vision.PRESETS has "
                             f"{', '.join(PRESETS)}), got {ranges.given(experiment)}")
        self.experiment = experiment.validate()
        cal, gen = experiment.calibration, experiment.genetic
        self.variant = var = experiment.variant
        self._wrap_angles = var.angles == "wrapped"
        self.settings = cal
        self.seed = ranges.seed(seed)
        self.rng = np.random.default_rng(self.seed)
        n, m = cal.segments, gen.candidates
        self.n, self.m = n, m
        lo, hi = cal.length_range
        alo, ahi = cal.angle_range
        rng = self.rng
        self.ref_lengths = rng.uniform(lo, hi, n)
        self.ref_angles = rng.uniform(alo, ahi, n)
        self.params = np.concatenate([rng.uniform(alo, ahi, (m, n)), rng.uniform(lo, hi, (m, n))], axis=1)
        if self._wrap_angles:
            self.params[:, :n] = wrap_positive(self.params[:, :n])
        self.rates = rng.uniform(cal.rate_range[0], cal.rate_range[1], (m, 2 * n))
        self.model = BearingModel(n, cal.base, experiment.camera.array, var.observation)
        units = np.concatenate([np.ones(n), np.full(n, 0.5 * (lo + hi))])
        options = {"damping": cal.damping} if cal.learner == "lm" else {}
        self.learner = make_learner(cal.learner, m, 2 * n, units, **options)
        self.replace_count = gen.replace_count
        self.target = np.array(cal.target_start, dtype=float)
        self.held_target = None           # a target the user placed (set_target(hold=True))
        self._lo, self._hi = lo, hi
        self._limit = cal.max_speed
        # window of past reference poses and bearings (order is irrelevant to the loss)
        w = cal.window if self.learner.uses_window else 0
        self._hist_q = np.zeros((w, n))
        self._hist_b = np.zeros((w, n, experiment.camera.count))
        self._hist_count = 0
        self.round = 0
        self.generation = 0
        self.accumulated = np.zeros(m)
        self.losses = np.zeros(m)
        self.converged = False
        self.checked_loss = float("inf")                  # best accumulated loss / n at the last check
        self._evaluate()
        self.losses = self._round_losses                      # round 0: no step yet

    # -- one forward-mode pass over reference + candidates -------------------
    def _evaluate(self):
        n = self.n
        angles = np.concatenate([self.ref_angles[None], self.params[:, :n]])
        lengths = np.concatenate([self.ref_lengths[None], self.params[:, n:]])
        pos, b = self.model.duals(angles, lengths)
        r = residuals(b, b.value[0], self.variant.observation)   # row 0 (the reference) is zero
        rv, rt = r.value[1:], r.tangent[1:]
        self._round_losses = np.einsum("mjc,mjc->m", rv, rv)
        self._grad = 2.0 * np.einsum("mjc,mjcd->md", rv, rt)
        self._ref_bearings = b.value[0]
        self._ref_jac = pos.tangent[0, -1, 0, :, :n]          # d tip / d reference angles (2, n)
        self._joints = self.model.joints(pos)                 # (P, n+1, 2)

    # -- the problem interface used by window learners ------------------------
    def project(self, params):
        """Angles wrapped to [0, 2 pi) (unless ``variant.angles`` is ``"unwrapped"``: then
        clipped to +-:data:`MAX_UNWRAPPED`), lengths clipped to the length range (in a
        copy)."""
        out = np.array(params, dtype=float)
        if self._wrap_angles:
            out[:, :self.n] = np.mod(out[:, :self.n], TWO_PI)
        else:           # unwrapped: within MAX_UNWRAPPED (their sums stay finite)
            np.clip(out[:, :self.n], -MAX_UNWRAPPED, MAX_UNWRAPPED, out=out[:, :self.n])
        np.clip(out[:, self.n:], self._lo, self._hi, out=out[:, self.n:])
        return out

    def window_residuals(self, params, jacobian=True):
        """Bearing residuals (wrapped, or plain for ``atan``) of the stored rounds.

        A candidate's angles ``t`` rounds ago were its current angles minus the
        reference's increments since then, so the whole window is a function of
        the current parameters.

        Returns
        -------
        r : ndarray (M, R) with R = rounds x n x C [rad]
        J : ndarray (M, R, 2n) or None
        """
        k = min(self._hist_count, self._hist_q.shape[0])
        n = self.n
        shift = self.ref_angles - self._hist_q[:k]                          # (W, n)
        angles = params[:, None, :n] - shift                                # (M, W, n)
        lengths = params[:, None, n:]                                       # (M, 1, n)
        ref_b = self._hist_b[:k]
        m = params.shape[0]
        if not jacobian:
            b, _ = self.model.values(angles, lengths)
            return residuals(b, ref_b, self.variant.observation).reshape(m, -1), None
        _, b = self.model.duals(angles, lengths)
        r = residuals(b, ref_b, self.variant.observation)
        return r.value.reshape(m, -1), r.tangent.reshape(m, -1, 2 * n)

    # -- the round ------------------------------------------------------------
    def set_target(self, xy, hold=False):
        """Move the target the reference chases [px]; with ``hold`` (a target the user
        placed, e.g. dragged in the window) it stays there instead of jumping every
        ``target_period`` rounds."""
        xy = ranges.real_array("target", xy)      # (text: named, not numpy's message)
        if xy.shape != (2,) or not np.all(np.isfinite(xy)):
            raise ValueError(f"target must be two finite numbers, got {xy.tolist()}")
        self.target = xy.copy()
        if hold:
            self.held_target = xy.copy()

    def reference_increment(self):
        """The original law: per joint, (unit vector to target) . (Jacobian column),
        clipped to +-max_speed * distance [rad]."""
        err = self.target - self._joints[0, -1]
        dist = math.hypot(err[0], err[1])
        if dist == 0.0:
            return np.zeros(self.n)
        limit = self._limit * dist
        return np.clip((err / dist) @ self._ref_jac, -limit, limit)

    def step(self):
        """Advance one round: move, observe, learn, and maybe check and breed."""
        cal = self.settings
        if self.round and self.round % cal.target_period == 0:
            drawn = self.rng.uniform((0.0, 0.0), cal.canvas)    # drawn either way: the same
            self.target = drawn if self.held_target is None else self.held_target   # stream
        dq = self.reference_increment()
        self.ref_angles = self.ref_angles + dq
        if self._wrap_angles:
            self.ref_angles = np.mod(self.ref_angles, TWO_PI)
        self.params[:, :self.n] += dq                         # every candidate gets the same increments
        self._evaluate()
        if self._hist_q.shape[0]:
            slot = self._hist_count % self._hist_q.shape[0]
            self._hist_q[slot] = self.ref_angles
            self._hist_b[slot] = self._ref_bearings
            self._hist_count += 1
        self.losses = self._round_losses
        self.accumulated += self.losses
        with np.errstate(over="ignore", invalid="ignore"):
            new = self.learner.step(self.params, self._grad, self.rates, self)
        # a step that overflows (a large rate on unwrapped angles) leaves that number as it
        # was, so every parameter stays finite (as the 3D population's)
        self.params = self.project(np.where(np.isfinite(new), new, self.params))
        self.round += 1
        if self.round % cal.check_period == 0:
            self.checked_loss = float(self.accumulated[self.stop_index()] / self.n)
            self.converged = self.converged or self.criterion_met()
        if self.round % self.experiment.genetic.period == 0:
            if self.replace_count:
                g = next_generation(self.params, self.rates, self.accumulated, self.replace_count,
                                    self.experiment.genetic.mutation, cal.rate_range, self.rng,
                                    self.variant.second_parent)
                self.learner.reset(g.replaced)
                self.generation += 1
            self.accumulated[:] = 0.0
        return self.converged

    def errors(self):
        """True parameter errors of every candidate: (length_px, length_rel, angle), each (M,)."""
        n = self.n
        return parameter_errors(self.params[:, :n], self.params[:, n:], self.ref_angles, self.ref_lengths)

    def stop_index(self) -> int:
        """The candidate the stopping test reads: with ``variant.stop_candidate`` ``"best"``,
        the lowest accumulated loss (criterion ``loss``) or round loss (``identified``);
        with ``"first"`` (the original code), candidate 0, population index 1."""
        if self.variant.stop_candidate == "first":
            return 0
        if self.settings.criterion == "loss":
            return int(np.argmin(self.accumulated))
        return int(np.argmin(self.losses))

    def criterion_met(self) -> bool:
        cal = self.settings
        best = self.stop_index()
        if cal.criterion == "loss":
            return bool(self.accumulated[best] / self.n < cal.loss_threshold)
        lpx, lrel, ang = self.errors()
        return bool(lrel[best] <= cal.length_tolerance and ang[best] <= cal.angle_tolerance)

    @property
    def state(self):
        """A :class:`CalibrationState` snapshot of the current round."""
        n = self.n
        _, cand = self.model.values(self.params[:, :n], self.params[:, n:])
        _, ref = self.model.values(self.ref_angles, self.ref_lengths)
        mask = np.zeros(self.m, dtype=bool)
        mask[doomed(self.accumulated, self.replace_count)] = True
        lpx, lrel, ang = self.errors()
        best = int(np.argmin(self.losses))
        return CalibrationState(
            round=self.round, generation=self.generation, reference=ref, candidates=cand,
            doomed=mask, focuses=self.model.focuses.copy(), target=self.target.copy(),
            losses=self.losses.copy(), accumulated=self.accumulated.copy(), best=best,
            best_loss=float(self.losses[best]), length_error_px=lpx, length_error_rel=lrel,
            angle_error=ang, converged=self.converged, learner=self.settings.learner,
            criterion=self.settings.criterion, canvas=tuple(self.settings.canvas))

    def result(self, seconds=0.0):
        """A :class:`CalibrationResult` for the current round."""
        lpx, lrel, ang = self.errors()
        best = int(np.argmin(self.losses))
        exp = self.experiment
        return CalibrationResult(
            segments=self.n, population=exp.genetic.population, seed=self.seed,
            learner=self.settings.learner, cameras=exp.camera.count, criterion=self.settings.criterion,
            converged=self.converged, rounds=self.round, seconds=float(seconds),
            final_loss=self.checked_loss if math.isfinite(self.checked_loss) else None,
            length_error_px=float(lpx[best]),
            length_error_pct=float(100.0 * lrel[best]), angle_error=float(ang[best]),
            generations=self.generation)


def run(experiment=None, seed=0, max_rounds=None):
    """Run one experiment until its criterion holds or ``max_rounds`` pass.

    Parameters
    ----------
    experiment : Experiment, default the ``gecco`` preset
    seed : int from 0 to 2**63 - 1 (as a scene's ``seed``)
    max_rounds : int from 1 to 10**8, optional (default ``experiment.calibration.max_rounds``;
        the range of the scene key and of ``armsim sweep --max-rounds``)

    Returns
    -------
    CalibrationResult  (``seconds`` is wall time of the rounds, set-up included;
    ``final_loss`` None when the criterion was never checked)

    Raises ValueError naming ``seed`` or ``max_rounds`` when it is out of its range.
    """
    start = time.perf_counter()
    limit = None if max_rounds is None else ranges.rounds("max_rounds", max_rounds)
    sim = CalibrationRun(experiment, seed)
    limit = sim.settings.max_rounds if limit is None else limit
    step = sim.step
    while sim.round < limit and not step():
        pass
    return sim.result(time.perf_counter() - start)
