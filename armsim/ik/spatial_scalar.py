"""One spatial ``dls`` solve on Python floats: the single-problem path of the loop.

:meth:`~armsim.ik.loop.Solver.run` is array code for a batch; for one pose the cost
of a solve is then the number of numpy calls on arrays of a few numbers, not the
arithmetic.  :func:`run_one` is the same algorithm as ``run`` with ``method="dls"``
on a :class:`~armsim.ik.problems.SpatialTarget` -- the ``"nearer"`` first start, the
short first budget and its continuation, the restarts
(:meth:`SpatialTarget.restart_starts`: the table's nearest poses, then uniform
draws), the error-adaptive damping, the clamped step (joints a step drives past a
limit leave it, :func:`armsim.ik.steps._clamped`), the wrap of continuous joints and
the stall test -- on Python floats.

The forward pass and the pose Jacobian of a chain are one generated function
(:func:`_compile`): each joint's axis is folded into its frame, so a revolute joint
is a turn about its local z (four products per matrix row), the fixed origins are
constants in the code and their zero entries drop out.  (Constants below
:data:`ZERO` -- the ``cos(pi/2)`` of a quarter-turn ``rpy`` -- count as zero: a
change below the rounding of the sums they enter.)  The code is generated and
compiled once per chain, kind and weights (kept while the chain lives), and its compiled
code kept on disk for a plain spatial target (:mod:`armsim.ik.disk_cache`: a later process
reads it back instead of generating and compiling it; ``bench/first_solve.py``).  The m x m system
``(J J^T + lambda^2 I) y = e`` is solved by a Cholesky factorisation written out for
each m.  The arithmetic is the batch path's up to rounding (the order of sums, LU
against Cholesky), so the answers equal it to rounding (tests: the same success and
iterations, q to 1e-9).
"""

from __future__ import annotations

import math
import time
import weakref

import numpy as np

from armsim.ik import attempt as rule, compiled, disk_cache, restart_table, rotvec
from armsim.ik.attempt import FLOATS
from armsim.ik import steps as _steps
from armsim.ik.rules import reason as _reason, whole_turns

__all__ = ["run_one"]

ZERO = 1e-15          # constants (rotation entries, offsets) this small count as 0
_TWO_PI = 2.0 * math.pi
_COMPILED = weakref.WeakKeyDictionary()   # chain -> {(kind, weights): _Compiled}
_LINEAR = {}                              # m -> the generated solve, fix
_LINEAR_CODE = {}                         # m -> their compiled source
_CodeType = type(compile("", "<string>", "exec"))


# -- code generation --------------------------------------------------------------------
def _neg(x):
    if isinstance(x, float):
        return -x
    return x[1:] if x.startswith("-") else "-" + x


class _Emit:
    """Straight-line code: a symbol is a Python float (a constant), a local name, or a
    name with a leading minus; equal expressions share one local."""

    def __init__(self):
        self.lines, self.names = [], {}

    def let(self, expr):
        if isinstance(expr, float) or expr.lstrip("-").isidentifier():
            return expr
        name = self.names.get(expr)
        if name is None:
            name = self.names[expr] = f"v{len(self.names)}"
            self.lines.append(f"{name} = {expr}")
        return name

    def sum(self, terms):
        """The sum of the products ``a * x`` (symbols), constants folded, let."""
        const, parts = 0.0, []
        for a, x in terms:
            if isinstance(a, float) and isinstance(x, float):
                const += a * x
                continue
            if isinstance(x, float):
                a, x = x, a
            sign = -1.0 if x.startswith("-") else 1.0
            x = x.lstrip("-")
            if isinstance(a, float):
                a *= sign
                if abs(a) <= ZERO:
                    continue
                parts.append((a < 0, x if abs(a) == 1.0 else f"{abs(a)!r} * {x}"))
            else:
                parts.append((a.startswith("-") != (sign < 0), f"{a.lstrip('-')} * {x}"))
        if not parts:
            return const if abs(const) > ZERO else 0.0
        if abs(const) > ZERO:
            parts.append((const < 0, repr(abs(const))))
        if len(parts) == 1:
            minus, text = parts[0]
            return ("-" if minus else "") + self.let(text)
        text = ("-" if parts[0][0] else "") + parts[0][1]
        for minus, x in parts[1:]:
            text += f" {'-' if minus else '+'} {x}"
        return self.let(text)


def _compile(prob):
    """Source of ``make(aim...) -> evaluate(q)``: f = |e|^2 / 2, the weighted error e of
    the unmasked rows, their Jacobian columns (flat, column after column) and the
    unweighted (dp, dr) of one joint vector (a list)."""
    chain, pose = prob.chain, prob.kind == "pose"
    n, w = chain.n, [float(v) for v in prob.weights]
    rows = [i for i in range(prob.m) if w[i] > 0.0]
    em = _Emit()
    R = [[1.0 if r == c else 0.0 for c in range(3)] for r in range(3)]
    p = [0.0, 0.0, 0.0]
    axes, origins = [], []
    for i, (A, t) in enumerate(compiled.folded(chain)):
        A, t = A.tolist(), t.tolist()
        p = [em.sum([(1.0, p[r])] + [(R[r][k], t[k]) for k in range(3)]) for r in range(3)]
        R = [[em.sum([(R[r][k], A[k][c]) for k in range(3)]) for c in range(3)] for r in range(3)]
        if i == n:
            break
        axes.append([R[r][2] for r in range(3)])
        origins.append(p)
        if chain.prismatic[i]:
            p = [em.sum([(1.0, p[r]), (f"q{i}", R[r][2])]) for r in range(3)]
        else:
            em.lines.append(f"c{i} = cos(q{i}); s{i} = sin(q{i})")
            c, s = f"c{i}", f"s{i}"
            x = [em.sum([(c, R[r][0]), (s, R[r][1])]) for r in range(3)]
            y = [em.sum([(c, R[r][1]), ("-" + s, R[r][0])]) for r in range(3)]
            R = [[x[r], y[r], R[r][2]] for r in range(3)]
    cols = []
    for i in range(n):
        z = axes[i]
        if chain.prismatic[i]:
            col = list(z) + [0.0, 0.0, 0.0]
        else:
            lev = [em.sum([(1.0, p[r]), (-1.0, origins[i][r])]) for r in range(3)]
            col = [em.sum([(z[(r + 1) % 3], lev[(r + 2) % 3]),
                           (_neg(z[(r + 2) % 3]), lev[(r + 1) % 3])]) for r in range(3)]
            col += z
        cols += [_weighted(col[j], w[j]) for j in rows]
    d = [em.sum([(1.0, f"ap{r}"), (-1.0, p[r])]) for r in range(3)]
    lines = []
    if pose:
        M = [[em.sum([(f"t{i}{k}", R[j][k]) for k in range(3)]) for j in range(3)]
             for i in range(3)]
        m = {f"m{i}{j}": f"({M[i][j]})" for i in range(3) for j in range(3)}
        lines += [line.format(**m) for line in _ROTATION_VECTOR]
        d += ["d3", "d4", "d5"]
    lines += [f"e{k} = {_weighted(d[j], w[j])}" for k, j in enumerate(rows)]
    es = [f"e{k}" for k in range(len(rows))]
    lines.append(f"e = ({', '.join(es)},)")
    lines.append(f"f = 0.5 * ({' + '.join(f'{x} * {x}' for x in es)})")
    lines.append(f"return f, e, ({', '.join(cols)},), ({', '.join(map(str, d))},)")
    args = ["ap0", "ap1", "ap2"] + ([f"t{i}{j}" for i in range(3) for j in range(3)]
                                    if pose else [])
    src = (f"def make({', '.join(args)}):\n    def evaluate(q):\n"
           f"        {', '.join(f'q{i}' for i in range(n))}, = q\n"
           + "".join(f"        {line}\n" for line in em.lines + lines)
           + "    return evaluate\n")
    return src, rows


# the rotation vector of M = R_target R^T (:func:`rotation_vector_one`; past pi/2: numpy's)
_ROTATION_VECTOR = [
    "cc = 0.5 * ({m00} + {m11} + {m22} - 1.0)",
    "if cc >= 0.0:",
    "    if cc > 1.0: cc = 1.0",
    "    u0 = 0.5 * ({m21} - {m12}); u1 = 0.5 * ({m02} - {m20}); u2 = 0.5 * ({m10} - {m01})",
    "    ss = sqrt(u0 * u0 + u1 * u1 + u2 * u2)",
    "    kk = atan2(ss, cc) / (ss if ss > 1e-300 else 1e-300)",
    "    d3 = u0 * kk; d4 = u1 * kk; d5 = u2 * kk",
    "else:",
    "    d3, d4, d5 = _wide({m00}, {m01}, {m02}, {m10}, {m11}, {m12}, {m20}, {m21}, {m22})"]


def _weighted(x, wj):
    if isinstance(x, float):
        return repr(x * wj)
    return x if wj == 1.0 else f"{wj!r} * {x}"


def _linear_source(m):
    """For m rows: ``solve(g, lam2, r)`` -> y with (G + lam2 I) y = r by Cholesky (G by
    its lower triangle, row after row; None when a pivot is not positive), and
    ``fix(g, r, c, x)`` -> (G - c c^T, r - c x): one joint's column c taken out of the
    Gram and its fixed step x out of the error (the clamp)."""
    idx = [(i, j) for i in range(m) for j in range(i + 1)]
    gs = ", ".join(f"g{i}{j}" for i, j in idx)
    rs = ", ".join(f"r{i}" for i in range(m))
    out = ["def solve(g, lam2, r):", f"    {gs}, = g", f"    {rs}, = r"]
    for i in range(m):
        for j in range(i + 1):
            s = f"g{i}{j}" + (" + lam2" if i == j else "") + "".join(
                f" - l{i}{k} * l{j}{k}" for k in range(j))
            if i == j:
                out += [f"    d = {s}", "    if not d > 0.0: return None",
                        f"    l{i}{i} = sqrt(d); h{i} = 1.0 / l{i}{i}"]
            else:
                out.append(f"    l{i}{j} = ({s}) * h{j}")
    for i in range(m):
        out.append(f"    z{i} = (r{i}" + "".join(f" - l{i}{k} * z{k}" for k in range(i))
                   + f") * h{i}")
    for i in reversed(range(m)):
        out.append(f"    y{i} = (z{i}" + "".join(f" - l{k}{i} * y{k}" for k in range(i + 1, m))
                   + f") * h{i}")
    out += [f"    return ({', '.join(f'y{i}' for i in range(m))},)", "",
            "def fix(g, r, c, x):", f"    {gs}, = g", f"    {rs}, = r",
            f"    {', '.join(f'c{i}' for i in range(m))}, = c",
            f"    return ({', '.join(f'g{i}{j} - c{i} * c{j}' for i, j in idx)},), "
            f"({', '.join(f'r{i} - c{i} * x' for i in range(m))},)"]
    return "\n".join(out) + "\n"


def _flat_source(n, m, lo, hi):
    """For n columns of m rows given flat: ``gram(cols)`` -> the lower triangle of
    G = sum of c c^T, row after row (:func:`_linear_source`'s ``solve`` takes it), and
    ``move(q, cols, y)`` -> (qt, inside): the list ``qt = q + J^T y`` and whether every
    joint of it is within its limits ``lo``, ``hi`` (written in as constants)."""
    idx = [(i, j) for i in range(m) for j in range(i + 1)]
    cs = ", ".join(f"c{k}" for k in range(n * m))
    gs = [" + ".join(f"c{k * m + i} * c{k * m + j}" for k in range(n)) for i, j in idx]
    ys = ", ".join(f"y{i}" for i in range(m))
    qs = ", ".join(f"q{k}" for k in range(n))
    dq = [f"q{k} + (" + " + ".join(f"c{k * m + i} * y{i}" for i in range(m)) + ")"
          for k in range(n)]
    tests = [f"{lo[k]!r} <= t{k} <= {hi[k]!r}" if math.isfinite(lo[k]) and math.isfinite(hi[k])
             else f"{lo[k]!r} <= t{k}" if math.isfinite(lo[k])
             else f"t{k} <= {hi[k]!r}" if math.isfinite(hi[k]) else None for k in range(n)]
    inside = " and ".join(t for t in tests if t is not None) or "True"
    return "\n".join([f"def gram(cols):", f"    {cs}, = cols", f"    return ({', '.join(gs)},)",
                      "", "def move(q, cols, y):", f"    {cs}, = cols", f"    {ys}, = y",
                      f"    {qs}, = q",
                      *(f"    t{k} = {dq[k]}" for k in range(n)),
                      f"    return [{', '.join(f't{k}' for k in range(n))}], {inside}"]) + "\n"


def _linear(m, code=None):
    """``solve`` and ``fix`` of :func:`_linear_source` for m rows (once per process and m;
    ``code``: their compiled source, when it is at hand)."""
    fns = _LINEAR.get(m)
    if fns is None:
        space = {"sqrt": math.sqrt}
        exec(_linear_code(m) if code is None else code, space)
        fns = _LINEAR[m] = (space["solve"], space["fix"])
    return fns


def _linear_code(m):
    code = _LINEAR_CODE.get(m)
    if code is None:
        code = _LINEAR_CODE[m] = compile(_linear_source(m), "<string>", "exec")
    return code


def _pass_code(prob):
    """(source, rows, and the code of make, of gram and move, of parts, of the m x m
    solve) of a problem's float pass: built (:func:`_compile`, :func:`_flat_source`, the
    residual norms), or read from the disk cache (:mod:`armsim.ik.disk_cache`: the same
    code; a plain spatial target only), where a build is stored."""
    parts = disk_cache.problem_parts(prob)
    if parts is not None:
        parts += (disk_cache.bytecode_tag(), ZERO)
        hit = disk_cache.load("pass", parts)
        hit = None if hit is None else hit[0]
        if (type(hit) is tuple and len(hit) == 6 and all(
                isinstance(c, _CodeType) for c in hit[2:]) and type(hit[1]) is tuple):
            return hit
    src, rows = _compile(prob)
    m = len(rows)
    lo, hi = prob.limits[:, 0].tolist(), prob.limits[:, 1].tolist()
    a = prob._active
    # parts(d) -> the position and orientation residuals of the unweighted (dp, dr)
    norm = [" + ".join(f"d[{j}] * d[{j}]" for j in js if a[j]) for js in
            (range(3), range(3, prob.m))]
    out = (src, tuple(rows), compile(src, "<string>", "exec"),
           compile(_flat_source(prob.n, m, lo, hi), "<string>", "exec"),
           compile(f"def parts(d):\n    return {f'sqrt({norm[0]})' if norm[0] else '0.0'}, "
                   f"{f'sqrt({norm[1]})' if norm[1] else '0.0'}\n", "<string>", "exec"),
           _linear_code(m))
    if parts is not None:
        disk_cache.store("pass", parts, out)
    return out


class _Compiled:
    """What the float path needs of a chain for one kind of target and weights."""

    def __init__(self, prob):
        src, rows, make, flat, parts, linear = _pass_code(prob)
        self.rows = list(rows)
        space = {"cos": math.cos, "sin": math.sin, "sqrt": math.sqrt, "atan2": math.atan2,
                 "_wide": rotvec.wide}
        exec(make, space)
        self.make = space["make"]
        self.source = src
        self.m = len(self.rows)
        self.solve, self.fix = _linear(self.m, linear)
        self.column = lambda cols, j, m=self.m: cols[j * m:(j + 1) * m]   # joint j's
        self.lo, self.hi = prob.limits[:, 0].tolist(), prob.limits[:, 1].tolist()
        space = {}
        exec(flat, space)
        self.gram, self.move = space["gram"], space["move"]     # of the flat columns
        self.wrap = [bool(v) for v in prob._wrap] if prob._wrap.any() else None
        probe = np.full((1, prob.n), 4.0 * np.pi)
        self.free = (prob.clip(probe)[0] == probe[0]).tolist()
        space = {"sqrt": math.sqrt}
        exec(parts, space)
        self.parts = space["parts"]
        self.tables = {}     # (seed, table settings) -> what _Starts needs of the table


def _compiled(prob):
    if hasattr(prob, "float_pass"):      # several tools: their chains' passes side by side
        return prob.float_pass()
    key = (prob.kind, tuple(prob.weights.tolist()))
    per_chain = _COMPILED.get(prob.chain)
    if per_chain is None:
        per_chain = _COMPILED[prob.chain] = {}
    c = per_chain.get(key)
    if c is None:
        if len(per_chain) >= 32:          # many weights on one chain: bounded memory
            per_chain.clear()
        c = per_chain[key] = _Compiled(prob)
    return c


# -- the solve ----------------------------------------------------------------------------
def _clamped(C, q, qt, cols, g, e, lam2):
    """The passes of the clamp: the joints ``qt = q + dq`` drives past a limit move to it
    and leave the step, the others solve again for what is left of the error.  The
    Gram of the others is ``g`` less the fixed joints' ``c c^T`` (:func:`_linear_source`'s
    ``fix``), equal to the batch's Gram of the Jacobian with those columns zeroed up to
    rounding."""
    lo, hi = C.lo, C.hi
    fixed = {}                    # joint -> its step to the limit
    r = e
    for _ in range(_steps.CLAMP_PASSES):
        out = [j for j, v in enumerate(qt) if (v < lo[j] or v > hi[j]) and j not in fixed]
        if not out:
            break
        for j in out:
            x = fixed[j] = min(max(qt[j], lo[j]), hi[j]) - q[j]
            g, r = C.fix(g, r, C.column(cols, j), x)
        y = C.solve(g, lam2, r)
        if y is None:
            return None
        qt = C.move(q, cols, y)[0]
        for j, x in fixed.items():
            qt[j] = q[j] + x
    return qt


def compiled_reason(res, tol, attainable, stalled, timed):
    """The reason of a compiled solve's answer: ``"timeout"`` when its deadline passed
    before an attainable target was reached, else :func:`armsim.ik.rules.reason`'s."""
    return ("timeout" if timed and res >= tol and attainable
            else _reason(res, tol, res < tol or attainable, stalled))


def run_one(solver, target, q0):
    """``solver.run(target[None], q0[None])`` for one :class:`SpatialTarget` and
    ``method="dls"``: (q (list), iterations, residual, reason, position residual,
    orientation residual); None when a Cholesky pivot fails (the caller then takes
    the array path, which solves by LU), and for a problem that retries unattainable
    targets when its target is one (a robot's tools, one beyond its reach: the array
    path weighs the far tool and runs the restarts for the others)."""
    prob = solver.problem
    if compiled.enabled():               # the whole solve compiled
        deadline = None if solver.timeout is None else time.perf_counter() + solver.timeout
        attainable = prob.attainable_one(target.tolist())
        if not attainable and prob.retry_unattainable:
            return None        # several tools, one beyond reach: the array path's weighing
        got = compiled.run_one(solver, target, q0, rule.first_budget(solver), attainable,
                               deadline)
        if got is None:
            return None        # a Cholesky pivot failed: the array path (LU)
        q, iters, res, stalled, pr, tools, timed = got
        why = compiled_reason(res, solver.tol, attainable, stalled, timed)
        return q, iters, res, why, pr, tools
    clock = time.perf_counter
    deadline = None if solver.timeout is None else clock() + solver.timeout
    timed = [False]              # the deadline passed (set inside attempt)
    C = _compiled(prob)
    tol, max_iter = solver.tol, solver.max_iter
    half_tol2 = 0.5 * tol * tol
    floor2, damping = solver.lambda_floor2, float(solver.options.damping)
    tl = target.tolist()
    evaluate = C.make(*tl)
    parts = C.parts
    gram, solve, move, lo, hi, wrap = C.gram, C.solve, C.move, C.lo, C.hi, C.wrap
    watch = solver._progress
    width, factor = watch if watch else (0, 0.0)

    def attempt(q, budget, ev=None, watch=watch):
        f, e, cols, d = evaluate(q) if ev is None else ev
        nu = damping
        best, since, k = f, 0, 0
        hist = [f]                    # f after k iterations (the progress rule)
        g = None                      # the gram of cols (kept while steps are rejected)
        while True:
            # too slow (the progress rule): stalled, the next start runs
            slow = k >= width and rule.too_slow(f, hist[k - width], factor) if watch else False
            if rule.stopped(f, since, half_tol2) or k == budget or slow:
                break
            if deadline is not None and clock() > deadline:
                timed[0] = True
                break
            if g is None:
                g = gram(cols)
            # one dls step (:func:`armsim.ik.steps._clamped_one` on floats)
            lam2 = nu * 2.0 * f + floor2
            y = solve(g, lam2, e)
            if y is None:
                raise _Fallback
            qt, inside = move(q, cols, y)
            if not inside:
                qt = _clamped(C, q, qt, cols, g, e, lam2)
                if qt is None:
                    raise _Fallback
                qt = list(map(min, map(max, qt, lo), hi))
            if wrap is not None:
                qt = [(v + math.pi) % _TWO_PI - math.pi if wr else v for v, wr in zip(qt, wrap)]
            ft, et, colt, dt = evaluate(qt)
            ok = rule.accepted(f, ft)
            nu = rule.damped(nu, ok, FLOATS)
            if ok:
                q, f, e, cols, d, g = qt, ft, et, colt, dt, None
            best, since = rule.recorded(f, best, since, FLOATS)
            k += 1
            hist.append(f)
        pr = parts(d)
        return q, k, max(pr), rule.stalled(since, slow), pr

    def clip(q):
        q = list(map(min, map(max, q, lo), hi))
        if wrap is not None:
            q = [(v + math.pi) % _TWO_PI - math.pi if wr else v for v, wr in zip(q, wrap)]
        return q

    try:
        q0 = q0.tolist()
        first = rule.first_budget(solver)
        qa = clip(q0)
        attainable = prob.attainable_one(tl)
        if not attainable and prob.retry_unattainable:
            return None        # several tools, one beyond reach: the array path's weighing

        def reason(res, stalled):
            if timed[0] and res >= tol and attainable:
                return "timeout"
            return _reason(res, tol, res < tol or attainable, stalled)

        if not solver.restarts:
            q, iters, res, stalled, pr = attempt(qa, first)
            return q, iters, res, reason(res, stalled), pr
        if not attainable:     # proved by the bound: one start, its full budget, unwatched
            first = max_iter
        own = getattr(prob, "float_starts", None)      # a robot's tools: TreeTargets
        start_of = (own(C, solver.restarts, solver.seed, target) if own is not None
                    else _Starts(prob, C, solver.restarts, solver.seed, target))
        starts = list(range(solver.restarts))    # k: start_of(k); else a list of joints
        budgets = [max_iter] * solver.restarts
        restarted = False
        start, ev = qa, evaluate(qa)
        ea2 = 2.0 * ev[0]
        r2 = solver.q0_radius ** 2
        nearer = solver.first_start == "nearer"
        if nearer and not ea2 <= r2:
            qb = start_of(0)
            evb = evaluate(qb)
            restarted = True
            if rule.swapped(ea2, 2.0 * evb[0], r2):
                start, ev, budgets[0], first = qb, evb, first, max_iter
                starts[0] = qa
            else:
                starts[0] = qb
        q, iters, res, stalled, pr = attempt(start, first, ev, watch if attainable else None)
        if nearer and res >= tol:
            extra = rule.continuation(ea2, r2, max_iter, first, FLOATS)
            if extra > 0:
                starts.insert(0, q)
                budgets.insert(0, extra)
        give_up, since = solver.give_up, 0
        for begin, budget in zip(starts, budgets):
            if res < tol or not attainable or timed[0]:
                break
            if deadline is not None and clock() > deadline:
                timed[0] = True
                break
            restarted = True
            q2, it2, res2, st2, pr2 = attempt(      # clipped, as the batch's starts
                clip(start_of(begin) if type(begin) is int else begin), budget)
            iters += it2
            since = rule.gave_up_count(since, res2, res, res2, res, True, FLOATS)
            if rule.improved(res2, res, res2, res, True, FLOATS):
                q, res, stalled, pr = q2, res2, st2, pr2
            if give_up is not None and since >= give_up:
                stalled = True
                break
        if restarted and True in C.free:
            turned = whole_turns(q, q0, C.free)
            if turned != q:
                q = turned
                pr = parts(evaluate(q)[3])
                res = max(pr)
        return q, iters, res, reason(res, stalled), pr
    except _Fallback:
        return None


class _Starts:
    """``start(k)`` of :meth:`SpatialTarget.restart_starts` for one aim, as a list: the
    k-th nearest table entry for ``k <`` :data:`~armsim.ik.restart_table.NEAREST` (one
    distance pass over the table, on first use), the problem's own later starts."""

    def __init__(self, prob, C, restarts, seed, target):
        self.prob, self.C, self.restarts, self.seed, self.target = prob, C, restarts, seed, target
        self.d = self.order = self.later = None

    def __call__(self, k):
        prob = self.prob
        if k >= min(self.restarts, restart_table.NEAREST):
            if self.later is None:
                self.later = prob.restart_starts(self.restarts, self.seed)
            return self.later(k, self.target[None])[0].tolist()
        if self.d is None:
            self.qs, scale, minus2, sq = _table(prob, self.C, self.seed)
            d = (self.target * scale)[None] @ minus2      # sq - 2 f.F, as the batch's
            d += sq
            self.d = d[0]
        if k == 0:              # most solves need only the nearest (the "nearer" test)
            return self.qs[int(self.d.argmin())].tolist()
        if self.order is None:
            near = min(self.restarts, restart_table.NEAREST)
            top = np.argpartition(self.d, near - 1)[:near]
            self.order = top[np.argsort(self.d[top])]
        return self.qs[self.order[k]].tolist()


def _table(prob, C, seed):
    """(joint vectors, feature scale (3 or 12,), -2 features^T, |features|^2) of the
    problem's restart table: the aim's features are ``aim * scale``, the products of
    :func:`armsim.ik.restart_table.features`; kept on ``C`` per seed and table settings (a
    table of ``seed=None`` is new each time, as the problem's)."""
    rt = restart_table
    key = (seed, rt.TABLE_SIZE, rt.ROTATION_WEIGHT, rt.TABLE_STREAM, prob._draw.tobytes())
    hit = C.tables.get(key) if seed is not None else None
    if hit is None:
        qs, minus2, sq = rt.table(prob, seed)
        hit = (qs, prob.feature_scale, minus2, sq)
        if seed is not None:
            if len(C.tables) >= 4:
                C.tables.clear()
            C.tables[key] = hit
    return hit


class _Fallback(Exception):
    """A Cholesky pivot was not positive (J J^T + lambda^2 I singular to rounding)."""

