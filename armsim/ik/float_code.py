"""A chain's float pass as one program, run two ways: from its steps, or as compiled Python.

:func:`program` folds a chain's forward pass and pose Jacobian into straight-line
arithmetic on Python floats (:class:`_Emit`: each joint's axis folded into its frame, so
a revolute joint is a turn about its local z, the fixed origins constants, their zero
entries dropped).  :func:`source` writes the program as Python source, which
:mod:`armsim.ik.spatial_scalar` compiles (the fast tier, a few microseconds a pass);
:func:`interpreted` runs the same steps on a dict of named values, with no source and no
compile (the first solves on a new chain, which would otherwise wait for the compile).
Both evaluate every sum left to right over the same terms, so they give the same bits
(tests: ``tests/test_float_code.py``).  The same holds for the Gram, the step and the
Cholesky solve: :func:`flat_source` and :func:`linear_source` are the compiled forms,
:func:`flat_loops` and :func:`linear_loops` the loops in the same order.
"""

from __future__ import annotations

import math

from armsim.ik import compiled, rotvec

__all__ = ["ZERO", "program", "source", "interpreted", "flat_source", "inside_text",
           "flat_loops", "linear_source", "linear_loops", "parts_text", "parts_loop"]

ZERO = 1e-15          # constants (rotation entries, offsets) this small count as 0

# the rotation vector of M = R_target R^T, written in (:func:`armsim.ik.rotvec.small`'s
# arithmetic; past pi/2 its ``wide``)
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


def _neg(x):
    if isinstance(x, float):
        return -x
    return x[1:] if x.startswith("-") else "-" + x


class _Emit:
    """Straight-line code: a symbol is a Python float (a constant), a local name, or a
    name with a leading minus; equal sums share one local.  A sum is kept as its terms
    ``(minus, a, x)``, each the product of two registers: a name times a coefficient (a
    positive float, 1.0 for the name alone, or a name), or 1.0 times a positive constant;
    ``consts`` holds the floats among them."""

    def __init__(self):
        self.steps, self.names = [], {}   # ("let", name, terms) / ("trig", i, names)
        self.consts = {1.0: 1.0, -1.0: -1.0}

    def let(self, terms):
        name = self.names.get(terms)
        if name is None:
            name = self.names[terms] = f"v{len(self.names)}"
            self.steps.append(("let", name, terms))
        return name

    def scaled(self, x, v):
        """``sum([(x, v)])`` for a symbol x and a float v != 0, with fewer steps (the same
        symbol, the same lets in the same order)."""
        if x.__class__ is float:
            x *= v
            return x if abs(x) > ZERO else 0.0
        if x[0] == "-":
            x, v = x[1:], -v
        k = abs(v)
        if k <= ZERO:
            return 0.0
        self.consts[k] = k
        return ("-" if v < 0 else "") + (x if k == 1.0 else self.let(((False, k, x),)))

    def sum(self, terms):
        """The sum of the products ``a * x`` (symbols), constants folded, let."""
        const, parts, consts = 0.0, [], self.consts
        for a, x in terms:
            if a.__class__ is float:
                if x.__class__ is float:
                    const += a * x
                    continue
            elif x.__class__ is float:
                a, x = x, a
            if x[0] == "-":
                x = x[1:]
                if a.__class__ is float:
                    a = -a
                else:
                    a = a[1:] if a[0] == "-" else "-" + a
            if a.__class__ is float:
                k = abs(a)
                if k <= ZERO:
                    continue
                consts[k] = k
                parts.append((a < 0, k, x))
            else:
                parts.append((a[0] == "-", a.lstrip("-"), x))
        if not parts:
            return const if abs(const) > ZERO else 0.0
        if abs(const) > ZERO:
            k = abs(const)
            consts[k] = k
            parts.append((const < 0, 1.0, k))
        if len(parts) == 1:
            minus, a, x = parts[0]
            return ("-" if minus else "") + (x if a == 1.0 else self.let(((False, a, x),)))
        return self.let(tuple(parts))


class Program:
    """A chain's float pass: ``steps`` (lets and turns), the target rotation's product
    ``M`` (pose targets), the unweighted error ``d``, and ``e`` and ``cols`` as (symbol,
    weight) pairs, the unmasked ``rows``, the ``consts`` of the steps' terms."""

    def __init__(self, n, pose, steps, M, d, e, cols, rows, consts):
        self.n, self.pose, self.steps, self.M = n, pose, steps, M
        self.d, self.e, self.cols, self.rows = d, e, cols, rows
        self.consts = consts

    @property
    def args(self):
        return ["ap0", "ap1", "ap2"] + ([f"t{i}{j}" for i in range(3) for j in range(3)]
                                        if self.pose else [])


def program(prob):
    """The :class:`Program` of f = |e|^2 / 2, the weighted error e of the unmasked rows,
    their Jacobian columns (flat, column after column) and the unweighted (dp, dr) of one
    joint vector."""
    chain, pose = prob.chain, prob.kind == "pose"
    n, w = chain.n, [float(v) for v in prob.weights]
    rows = [i for i in range(prob.m) if w[i] > 0.0]
    em = _Emit()
    R = [[1.0 if r == c else 0.0 for c in range(3)] for r in range(3)]
    p = [0.0, 0.0, 0.0]
    axes, origins = [], []
    for i, (A, t) in enumerate(compiled.folded(chain)):
        # a zero entry of A or t adds nothing a sum keeps (a product of a name and 0 is
        # dropped, one of two constants adds +-0 to the constant): left out up front
        A, t = A.tolist(), [(k, v) for k, v in enumerate(t.tolist()) if v != 0.0]
        A = [[(k, A[k][c]) for k in range(3) if A[k][c] != 0.0] for c in range(3)]
        p = [em.sum([(1.0, p[r])] + [(R[r][k], v) for k, v in t]) for r in range(3)]
        R = [[em.scaled(R[r][A[c][0][0]], A[c][0][1]) if len(A[c]) == 1 else
              em.sum([(R[r][k], v) for k, v in A[c]]) for c in range(3)] for r in range(3)]
        if i == n:
            break
        axes.append([R[r][2] for r in range(3)])
        origins.append(p)
        if chain.prismatic[i]:
            p = [em.sum([(1.0, p[r]), (f"q{i}", R[r][2])]) for r in range(3)]
        else:
            em.steps.append(("trig", i, (f"q{i}", f"c{i}", f"s{i}")))
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
        cols += [(col[j], w[j]) for j in rows]
    d = [em.sum([(1.0, f"ap{r}"), (-1.0, p[r])]) for r in range(3)]
    M = None
    if pose:
        M = [[em.sum([(f"t{i}{k}", R[j][k]) for k in range(3)]) for j in range(3)]
             for i in range(3)]
        d += ["d3", "d4", "d5"]
    return Program(n, pose, em.steps, M, d, [(d[j], w[j]) for j in rows], cols, rows,
                   em.consts)


def _weighted(x, wj):
    if isinstance(x, float):
        return repr(x * wj)
    return x if wj == 1.0 else f"{wj!r} * {x}"


def _term_text(a, x):
    if x.__class__ is float:          # a constant (times 1.0)
        return repr(x)
    return x if a == 1.0 else f"{a!r} * {x}" if a.__class__ is float else f"{a} * {x}"


def source(prog):
    """Source of ``make(aim...) -> evaluate(q)`` of a :class:`Program` (evaluate returns
    f, e, the flat columns and the unweighted (dp, dr))."""
    body = []
    for step in prog.steps:
        if step[0] == "trig":
            body.append(f"c{step[1]} = cos(q{step[1]}); s{step[1]} = sin(q{step[1]})")
            continue
        terms = step[2]
        text = ("-" if terms[0][0] else "") + _term_text(*terms[0][1:])
        for minus, a, x in terms[1:]:
            text += f" {'-' if minus else '+'} {_term_text(a, x)}"
        body.append(f"{step[1]} = {text}")
    if prog.pose:
        m = {f"m{i}{j}": f"({prog.M[i][j]})" for i in range(3) for j in range(3)}
        body += [line.format(**m) for line in _ROTATION_VECTOR]
    body += [f"e{k} = {_weighted(x, wj)}" for k, (x, wj) in enumerate(prog.e)]
    es = [f"e{k}" for k in range(len(prog.e))]
    body.append(f"e = ({', '.join(es)},)")
    body.append(f"f = 0.5 * ({' + '.join(f'{x} * {x}' for x in es)})")
    body.append(f"return f, e, ({', '.join(_weighted(x, wj) for x, wj in prog.cols)},), "
                f"({', '.join(map(str, prog.d))},)")
    return (f"def make({', '.join(prog.args)}):\n    def evaluate(q):\n"
            f"        {', '.join(f'q{i}' for i in range(prog.n))}, = q\n"
            + "".join(f"        {line}\n" for line in body)
            + "    return evaluate\n")


def interpreted(prog, counter):
    """``make(aim...) -> evaluate(q)`` of a :class:`Program`, run from its steps (no source,
    no compile): the same values as :func:`source`'s, bit for bit.  Each evaluation adds
    1 to ``counter[0]``."""

    # every term a product of two registers: a constant is its own register (a float key),
    # a name alone is times 1.0, so is a constant alone; an output is its register times
    # +-1 or +-its weight (all exact: the same bits as the source's signs and weights)
    consts = dict(prog.consts)

    def symbol(x, wj=1.0):
        """(register, factor) of a symbol times a weight."""
        if isinstance(x, float):
            consts[x * wj] = x * wj
            return x * wj, 1.0
        consts[wj] = wj
        consts[-wj] = -wj
        return x.lstrip("-"), -wj if x.startswith("-") else wj

    M = [symbol(prog.M[i][j]) for i in range(3) for j in range(3)] if prog.pose else ()
    es = [symbol(x, wj) for x, wj in prog.e]
    cs = [symbol(x, wj) for x, wj in prog.cols]
    ds = [symbol(x) for x in prog.d]
    names = [f"q{i}" for i in range(prog.n)]
    args, pose = prog.args, prog.pose
    small, wide, cos, sin = rotvec.small, rotvec.wide, math.cos, math.sin
    # a turn: (None, None, None, None, (q_i, c_i, s_i)); a let: (name, its first term, the rest)
    tape = [(None, None, None, None, terms) if kind == "trig" else (dst, *terms[0], terms[1:])
            for kind, dst, terms in prog.steps]

    def make(*aim):
        base = dict(consts)
        base.update(zip(args, map(float, aim)))

        def evaluate(q):
            counter[0] += 1
            r = dict(base)
            r.update(zip(names, q))
            for dst, minus, a, x, rest in tape:
                if dst is None:               # a turn: rest = (q_i, c_i, s_i)
                    v = r[rest[0]]
                    r[rest[1]] = cos(v)
                    r[rest[2]] = sin(v)
                    continue
                acc = r[a] * r[x]             # as Python reads the source: left to right
                if minus:
                    acc = -acc
                for minus, a, x in rest:
                    acc = acc - r[a] * r[x] if minus else acc + r[a] * r[x]
                r[dst] = acc
            if pose:        # _ROTATION_VECTOR: rotvec's arithmetic
                m = [r[x] * w for x, w in M]
                r["d3"], r["d4"], r["d5"] = (
                    small if 0.5 * (m[0] + m[4] + m[8] - 1.0) >= 0.0 else wide)(*m)
            e = tuple([r[x] * w for x, w in es])
            f = e[0] * e[0]
            for x in e[1:]:
                f = f + x * x
            return (0.5 * f, e, tuple([r[x] * w for x, w in cs]),
                    tuple([r[x] * w for x, w in ds]))
        return evaluate
    return make


def linear_source(m):
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


def flat_source(n, m, lo, hi, pattern=None):
    """For n columns of m rows given flat: ``gram(cols)`` -> the lower triangle of
    G = sum of c c^T, row after row (:func:`linear_source`'s ``solve`` takes it), and
    ``move(q, cols, y)`` -> (qt, inside): the list ``qt = q + J^T y`` and whether every
    joint of it is within its limits ``lo``, ``hi`` (written in as constants).  With
    ``pattern``, the columns' zero entries (``pattern[j][r]`` False) are left out of every
    sum (a robot's tools share only the joints above both)."""
    keep = (lambda k, i: True) if pattern is None else (lambda k, i: pattern[k][i])
    idx = [(i, j) for i in range(m) for j in range(i + 1)]
    cs = ", ".join(f"c{k}" for k in range(n * m))
    gs = []
    for i, j in idx:
        terms = [f"c{k * m + i} * c{k * m + j}" for k in range(n) if keep(k, i) and keep(k, j)]
        gs.append(" + ".join(terms) if terms else "0.0")
    ys = ", ".join(f"y{i}" for i in range(m))
    qs = ", ".join(f"q{k}" for k in range(n))
    dq = []
    for k in range(n):
        terms = [f"c{k * m + i} * y{i}" for i in range(m) if keep(k, i)]
        dq.append(f"q{k} + (" + " + ".join(terms) + ")" if terms else f"q{k}")
    inside = inside_text(n, lo, hi)
    return "\n".join(["def gram(cols):", f"    {cs}, = cols", f"    return ({', '.join(gs)},)",
                      "", "def move(q, cols, y):", f"    {cs}, = cols", f"    {ys}, = y",
                      f"    {qs}, = q",
                      *(f"    t{k} = {dq[k]}" for k in range(n)),
                      f"    return [{', '.join(f't{k}' for k in range(n))}], {inside}"]) + "\n"


def inside_text(n, lo, hi):
    """The test that ``t0`` .. ``t(n-1)`` are within their finite limits, as source."""
    tests = [f"{lo[k]!r} <= t{k} <= {hi[k]!r}" if math.isfinite(lo[k]) and math.isfinite(hi[k])
             else f"{lo[k]!r} <= t{k}" if math.isfinite(lo[k])
             else f"t{k} <= {hi[k]!r}" if math.isfinite(hi[k]) else None for k in range(n)]
    return " and ".join(t for t in tests if t is not None) or "True"


def flat_loops(n, m, lo, hi):
    """``gram`` and ``move`` of :func:`flat_source` as loops (the same sums in the same
    order: the same bits)."""
    idx = [(i, j) for i in range(m) for j in range(i + 1)]
    later = range(m, n * m, m)
    tests = [(k, lo[k] if math.isfinite(lo[k]) else None, hi[k] if math.isfinite(hi[k])
              else None) for k in range(n)]
    tests = [t for t in tests if t[1] is not None or t[2] is not None]

    def gram(cols):
        out = []
        for i, j in idx:
            s = cols[i] * cols[j]
            for k in later:
                s = s + cols[k + i] * cols[k + j]
            out.append(s)
        return tuple(out)

    def move(q, cols, y):
        t = []
        for k in range(n):
            c = k * m
            s = cols[c] * y[0]
            for i in range(1, m):
                s = s + cols[c + i] * y[i]
            t.append(q[k] + s)
        inside = True
        for k, a, b in tests:
            v = t[k]
            if not ((a is None or a <= v) and (b is None or v <= b)):
                inside = False
                break
        return t, inside
    return gram, move


def linear_loops(m):
    """``solve`` and ``fix`` of :func:`linear_source` as loops (the same bits)."""
    idx = [(i, j) for i in range(m) for j in range(i + 1)]
    sqrt = math.sqrt

    def solve(g, lam2, r):
        L = [[0.0] * m for _ in range(m)]
        h = [0.0] * m
        k = 0
        for i in range(m):
            Li = L[i]
            for j in range(i + 1):
                s = g[k]
                k += 1
                if i == j:
                    s = s + lam2
                Lj = L[j]
                for t in range(j):
                    s = s - Li[t] * Lj[t]
                if i == j:
                    if not s > 0.0:
                        return None
                    Li[i] = sqrt(s)
                    h[i] = 1.0 / Li[i]
                else:
                    Li[j] = s * h[j]
        z = [0.0] * m
        for i in range(m):
            s = r[i]
            for t in range(i):
                s = s - L[i][t] * z[t]
            z[i] = s * h[i]
        y = [0.0] * m
        for i in reversed(range(m)):
            s = z[i]
            for t in range(i + 1, m):
                s = s - L[t][i] * y[t]
            y[i] = s * h[i]
        return tuple(y)

    def fix(g, r, c, x):
        return (tuple([g[k] - c[i] * c[j] for k, (i, j) in enumerate(idx)]),
                tuple([r[i] - c[i] * x for i in range(m)]))
    return solve, fix


def parts_text(active, m):
    """The body of ``parts(d)``: the position and orientation residuals of an
    unweighted (dp, dr) (its rows ``active``)."""
    norm = [" + ".join(f"d[{j}] * d[{j}]" for j in js if active[j]) for js in
            (range(3), range(3, m))]
    return (f"def parts(d):\n    return {f'sqrt({norm[0]})' if norm[0] else '0.0'}, "
            f"{f'sqrt({norm[1]})' if norm[1] else '0.0'}\n")


def parts_loop(active, m):
    """``parts`` of :func:`parts_text` as a loop (the same bits)."""
    groups = [[j for j in js if active[j]] for js in (range(3), range(3, m))]
    sqrt = math.sqrt

    def parts(d):
        out = []
        for js in groups:
            if not js:
                out.append(0.0)
                continue
            s = d[js[0]] * d[js[0]]
            for j in js[1:]:
                s = s + d[j] * d[j]
            out.append(sqrt(s))
        return out[0], out[1]
    return parts
