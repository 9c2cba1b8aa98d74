"""The single solve of a robot's tools on Python floats: generated code for the stack.

:class:`TreeFloat` has what :func:`armsim.ik.spatial_scalar.run_one` needs of a problem
(``make``, ``gram``, ``solve``, ``fix``, ``column``, ``move``, ``parts``): each tool's
generated chain pass (``spatial_scalar._compiled``) called side by side, their errors
stacked and their columns mapped onto the robot's free joints (the chain rule through
shared and mimic joints).  When the tools share few joints, ``J J^T + lam2 I`` is solved by
Woodbury's identity, one small factor per tool (:func:`woodbury_plan`).
"""

from __future__ import annotations

import math

import numpy as np

from armsim.ik import disk_cache, float_code, spatial_scalar

__all__ = ["TreeFloat", "woodbury_plan"]


def _cached(what, parts, build, valid):
    """``build()``, through the disk cache (:mod:`armsim.ik.disk_cache`) under ``what`` and
    ``parts`` (the interpreter that compiles its code is added): a stored entry that
    ``valid`` accepts is read back instead of built (a later process of the same
    interpreter, the same bits)."""
    parts = (disk_cache.bytecode_tag(),) + tuple(parts)
    hit = disk_cache.load(what, parts)
    if hit is not None and valid(hit[0]):
        return hit[0]
    out = build()
    disk_cache.store(what, parts, out)
    return out


def _is_code(x):
    return isinstance(x, spatial_scalar._CodeType)


def _code(text):
    """``text`` (generated source) compiled, keyed by the text itself (as a chain's pass: a
    later process does not compile it again, most of a robot's float pass)."""
    return _cached("code", (text,), lambda: compile(text, "<string>", "exec"), _is_code)


def _generated(make, *args):
    """The source ``make(*args)`` compiled, keyed by ``make`` and the arguments: a later
    process neither writes the source (the hand's dense solve: a few ms) nor compiles it."""
    return _cached("generated", (f"{make.__module__}.{make.__qualname__}", repr(args)),
                   lambda: compile(make(*args), "<string>", "exec"), _is_code)


def _woodbury(*args):
    """(:func:`_woodbury_source` (``args``)'s first source compiled, its second source),
    keyed by the arguments: a later process neither writes the sources (the dual arm's:
    2-5 ms) nor compiles the first."""
    def build():
        text, fix_text = _woodbury_source(*args)
        return compile(text, "<string>", "exec"), fix_text
    return _cached("woodbury", (repr(args),), build, lambda x: isinstance(x, tuple) and len(
        x) == 2 and _is_code(x[0]) and isinstance(x[1], str))


class TreeFloat:
    """The float pass of a :class:`TreeTargets` (the attributes
    ``spatial_scalar._Compiled`` has, for the whole stack)."""

    def __init__(self, prob):
        # each tool's chain pass, from its program until it is due (:meth:`tier`); called
        # through the pass (the compiled functions once it is)
        self.chains = subs = [spatial_scalar._compiled(s) for s in prob.subs]
        self.m = m = sum(c.m for c in subs)
        # each error row's row of the stack's full error (prob.damping_scale's): the tools'
        # counted rows side by side
        self.rows = [int(a) + r for c, a in zip(subs, prob._errs[:-1]) for r in c.rows]
        self.lo, self.hi = prob.limits[:, 0].tolist(), prob.limits[:, 1].tolist()
        blocks = list(zip(np.cumsum([0] + [c.m for c in subs]).tolist(), [c.m for c in subs]))
        plan = woodbury_plan(prob)
        src, entries, names = _tree_source(prob, subs, plan is not None)
        space = {f"make_{t}": (lambda *aim, c=c: c.make(*aim)) for t, c in enumerate(subs)}
        exec(_code(src), space)
        self.make, self.source = space["make"], src
        space = {"sqrt": math.sqrt}
        if plan is not None:
            code, fix_text = _woodbury(prob.n, m, blocks, entries, names, plan, self.lo,
                                       self.hi)
            exec(code, space)
            fixes = []          # compiled by the first clamp (most of the code: a solve that
                                # drives no joint past a limit does not wait for it)

            def fix(g, r, col, x):
                if not fixes:
                    found = {}
                    exec(_code(fix_text), found)
                    fixes.extend(found["FIXES"])
                return fixes[col[0]](g, r, col[1], x)
            self.fix = fix
            self.column = lambda cols, j: (j, cols)
        else:
            # the m x m solve, once per process and m (its code from the disk cache)
            linear = spatial_scalar._LINEAR.get(m) or spatial_scalar._linear(
                m, _generated(float_code.linear_source, m))
            self.fix = linear[1]
            pattern = [[v != "0.0" for v in row] for row in entries]
            exec(_generated(float_code.flat_source, prob.n, m, self.lo, self.hi, pattern),
                 space)
            space["solve"] = linear[0]
            self.column = lambda cols, j: cols[j * m:(j + 1) * m]
        self.gram, self.move, self.solve = space["gram"], space["move"], space["solve"]
        self.woodbury = plan is not None
        self.wrap = [bool(v) for v in prob._wrap] if prob._wrap.any() else None
        self.free = prob.turnable().tolist()
        sizes = np.cumsum([0] + [s.m for s in prob.subs]).tolist()
        self.pieces = pieces = [((lambda d, c=c: c.parts(d)), a, b) for c, a, b in
                                zip(subs, sizes[:-1], sizes[1:])]

        def parts(d):
            got = [f(d[a:b]) for f, a, b in pieces]
            return max(p for p, _ in got), max(o for _, o in got)
        self.parts = parts
        self.tables = {}

    @property
    def interpreted(self):
        """Whether a tool's chain pass still runs from its program (the stack's own code is
        compiled when it is built)."""
        return any(c.interpreted for c in self.chains)

    def due(self):
        """Whether a tool's chain pass is due to be compiled (``_Compiled.due``)."""
        return any(c.due() for c in self.chains)

    def tier(self):
        """Compile the tools' chain passes (the same bits)."""
        for c in self.chains:
            c.tier()


def woodbury_plan(prob):
    """When the tools of ``prob`` (a :class:`~armsim.ik.tree.TreeTargets`) share few
    joints: (each joint's tool, or -1 for a shared joint and None for a joint no tool moves;
    the shared joints); None when the dense solve of ``J J^T + lam2 I`` costs fewer products.

    ``J J^T = D + S S^T`` with ``D`` block-diagonal (each tool's rows, the joints only it
    moves) and ``S`` the shared joints' columns; ``(D + lam2 I + S S^T)^-1`` by Woodbury's
    identity costs a Cholesky factor per tool and one of ``I + S^T (D + lam2 I)^-1 S``
    (s x s): fewer products than the m x m factor when s is small (a torso under two arms:
    s = 1, two 6 x 6 factors for one 12 x 12)."""
    tools = [set() for _ in range(prob.n)]
    for t, (cols, _, _, _) in enumerate(prob._maps):     # joint j moves tool t's rows
        for j in cols.tolist():
            tools[j].add(t)
    owner = [None if not ts else next(iter(ts)) if len(ts) == 1 else -1 for ts in tools]
    shared = [j for j, o in enumerate(owner) if o == -1]
    sizes = [sub.m for sub in prob.subs]
    m, s = sum(sizes), len(shared)
    own = sum(b ** 3 / 6 + b * b * (1 + s) for b in sizes) + m * s * s + s ** 3 / 6
    if not shared or len(sizes) < 2 or own >= m ** 3 / 6 + m * m:
        return None
    return owner, shared


def _cholesky_lines(size, entry, out, pivot_fail="return None"):
    """Lines factoring the symmetric ``entry(i, j)`` (i >= j) expressions: ``<out>_i_j``
    lower factor, ``<out>_i`` the inverse pivots."""
    lines = []
    for i in range(size):
        for j in range(i + 1):
            e = entry(i, j) + "".join(f" - {out}_{i}_{k} * {out}_{j}_{k}" for k in range(j))
            if i == j:
                lines += [f"    d = {e}", f"    if not d > 0.0: {pivot_fail}",
                          f"    {out}_{i}_{i} = sqrt(d); {out}_{i} = 1.0 / {out}_{i}_{i}"]
            else:
                lines.append(f"    {out}_{i}_{j} = ({e}) * {out}_{j}")
    return lines


def _substitution_lines(size, fac, rhs, out):
    """Lines solving ``L L^T x = rhs`` (``rhs(i)`` expressions) with the factor ``fac``:
    ``<out>_i``."""
    lines = []
    for i in range(size):
        lines.append(f"    {out}z{i} = ({rhs(i)}" + "".join(
            f" - {fac}_{i}_{k} * {out}z{k}" for k in range(i)) + f") * {fac}_{i}")
    for i in reversed(range(size)):
        lines.append(f"    {out}_{i} = ({out}z{i}" + "".join(
            f" - {fac}_{k}_{i} * {out}_{k}" for k in range(i + 1, size)) + f") * {fac}_{i}")
    return lines


def _woodbury_source(n, m, blocks, E, names, plan, lo, hi):
    """Two sources: ``gram(cols)``, ``solve(g, lam2, r)`` and ``move(q, cols, y)``; and
    ``FIXES[j](g, r, cols, x)`` (the clamp's), of a stack whose Jacobian is ``E``
    (expressions of the ``names``, the tools' columns side by side), solved by
    :func:`woodbury_plan`'s identity.  ``g`` holds each tool's ``D`` (lower triangle, the
    joints only it moves) and the shared columns."""
    owner, shared = plan
    s = len(shared)
    nz = lambda j, r: E[j][r] != "0.0"                               # noqa: E731
    d_names = [f"D{t}_{a}_{b}" for t, (_, mt) in enumerate(blocks)
               for a in range(mt) for b in range(a + 1)]
    s_rows = [[r for r in range(m) if nz(j, r)] for j in shared]     # each shared column's rows
    s_names = [f"S{k}_{r}" for k in range(s) for r in s_rows[k]]
    g_names = d_names + s_names
    unpack_c = f"    {', '.join(names)}, = cols"
    unpack_g = f"    {', '.join(g_names)}, = g"
    unpack_r = f"    {', '.join(f'r{i}' for i in range(m))}, = r"

    def d_entry(t, a, b):
        r0 = blocks[t][0]
        terms = [f"({E[j][r0 + a]}) * ({E[j][r0 + b]})" for j in range(n)
                 if owner[j] == t and nz(j, r0 + a) and nz(j, r0 + b)]
        return " + ".join(terms) or "0.0"

    gram = ["def gram(cols):", unpack_c, "    return (" + ", ".join(
        [d_entry(t, a, b) for t, (_, mt) in enumerate(blocks) for a in range(mt)
         for b in range(a + 1)] + [E[j][r] for k, j in enumerate(shared) for r in s_rows[k]])
        + ",)"]

    def s_val(k, r):
        return f"S{k}_{r}" if r in s_rows[k] else None

    solve = ["def solve(g, lam2, r):", unpack_g, unpack_r]
    for t, (r0, mt) in enumerate(blocks):
        solve += _cholesky_lines(mt, lambda i, j, t=t: f"D{t}_{i}_{j}" + (
            " + lam2" if i == j else ""), f"L{t}")
        solve += _substitution_lines(mt, f"L{t}", lambda i, r0=r0: f"r{r0 + i}", f"X{t}")
        for k in range(s):
            if any(s_val(k, r0 + i) for i in range(mt)):
                solve += _substitution_lines(
                    mt, f"L{t}", lambda i, k=k, r0=r0: s_val(k, r0 + i) or "0.0", f"W{t}_{k}")

    def has_w(t, k):
        r0, mt = blocks[t]
        return any(s_val(k, r0 + i) for i in range(mt))

    def cross(k1, vec):     # S_k1^T (D + lam2 I)^-1 vec, vec(t, i) -> the solved name
        terms = [f"{s_val(k1, r0 + i)} * {vec(t, i)}" for t, (r0, mt) in enumerate(blocks)
                 for i in range(mt) if s_val(k1, r0 + i) and vec(t, i)]
        return " + ".join(terms) or "0.0"
    for k1 in range(s):
        for k2 in range(k1 + 1):
            solve.append(f"    K_{k1}_{k2} = " + ("1.0 + " if k1 == k2 else "") + cross(
                k1, lambda t, i, k2=k2: f"W{t}_{k2}_{i}" if has_w(t, k2) else None))
        solve.append(f"    u{k1} = " + cross(k1, lambda t, i: f"X{t}_{i}"))
    solve += _cholesky_lines(s, lambda i, j: f"K_{i}_{j}", "M")
    solve += _substitution_lines(s, "M", lambda i: f"u{i}", "Z")
    ys = []
    for t, (r0, mt) in enumerate(blocks):
        for i in range(mt):
            ys.append(f"X{t}_{i}" + "".join(f" - W{t}_{k}_{i} * Z_{k}" for k in range(s)
                                            if has_w(t, k)))
    solve.append(f"    return ({', '.join(ys)},)")

    qs = ", ".join(f"q{k}" for k in range(n))
    move = ["def move(q, cols, y):", unpack_c, f"    {', '.join(f'y{i}' for i in range(m))}, = y",
            f"    {qs}, = q"]
    for j in range(n):
        terms = [f"({E[j][r]}) * y{r}" for r in range(m) if nz(j, r)]
        move.append(f"    t{j} = q{j} + (" + " + ".join(terms) + ")" if terms else f"    t{j} = q{j}")
    move.append(f"    return [{', '.join(f't{k}' for k in range(n))}], "
                f"{float_code.inside_text(n, lo, hi)}")

    fixes = []
    for j in range(n):
        out = {name: name for name in g_names}
        if owner[j] is None:
            fixes.append(f"def fix{j}(g, r, cols, x):\n    return g, r\n")
            continue
        if owner[j] == -1:
            k = shared.index(j)
            for r in s_rows[k]:
                out[f"S{k}_{r}"] = "0.0"
        else:
            t = owner[j]
            r0, mt = blocks[t]
            for a in range(mt):
                for b in range(a + 1):
                    if nz(j, r0 + a) and nz(j, r0 + b):
                        out[f"D{t}_{a}_{b}"] = (f"D{t}_{a}_{b} - ({E[j][r0 + a]}) * "
                                                f"({E[j][r0 + b]})")
        rs = [f"r{r} - ({E[j][r]}) * x" if nz(j, r) else f"r{r}" for r in range(m)]
        fixes.append("\n".join([f"def fix{j}(g, r, cols, x):", unpack_c, unpack_g, unpack_r,
                                 f"    return ({', '.join(out[v] for v in g_names)},), "
                                 f"({', '.join(rs)},)"]) + "\n")
    return ("\n".join(["\n".join(gram), "", "\n".join(solve), "", "\n".join(move)]) + "\n",
            "\n".join([*fixes, f"FIXES = [{', '.join(f'fix{j}' for j in range(n))}]"]) + "\n")


def _tree_source(prob, subs, compact):
    """Source of ``make(targets...) -> evaluate(q)`` for the stack; ``entries[j][r]``, the
    Jacobian's entry (row r, free joint j) as an expression of the chains' columns
    (``c<tool>_<k>``; "0.0" where it is zero), and those names in the order of the
    tools' columns side by side.  ``compact``: evaluate's columns are the tools' own, side
    by side (the names); otherwise the Jacobian over q column after column."""
    n = prob.n
    sizes = [s.target_size for s in prob.subs]
    m = sum(c.m for c in subs)
    args = [f"a{k}" for k in range(sum(sizes))]
    lines = [f"def make({', '.join(args)}):"]
    at = 0
    for t, size in enumerate(sizes):
        lines.append(f"    ev{t} = make_{t}({', '.join(args[at:at + size])})")
        at += size
    lines += ["    def evaluate(q):", f"        {', '.join(f'q{k}' for k in range(n))}, = q"]
    entries = [["0.0"] * m for _ in range(n)]      # entries[j][row]
    row0 = 0
    for t, (c, (cols, mult, off, _)) in enumerate(zip(subs, prob._maps)):
        ms = None if mult is None else mult.tolist()      # Python floats: their repr
        os_ = None if off is None else off.tolist()
        vals = [f"q{j}" if ms is None else f"q{j} * {ms[i]!r} + {os_[i]!r}"
                for i, j in enumerate(cols.tolist())]
        lines.append(f"        f{t}, e{t}, c{t}, d{t} = ev{t}(({', '.join(vals)},))")
        k = len(cols)
        if not compact:
            lines.append(f"        {', '.join(f'c{t}_{x}' for x in range(k * c.m))}, = c{t}")
        for i, j in enumerate(cols.tolist()):
            factor = "" if ms is None or ms[i] == 1.0 else f"{ms[i]!r} * "
            for r in range(c.m):
                term = f"{factor}c{t}_{i * c.m + r}"
                old = entries[j][row0 + r]
                entries[j][row0 + r] = term if old == "0.0" else f"{old} + {term}"
        row0 += c.m
    T = len(subs)
    if compact:       # each tool's chain columns side by side (the Jacobian: ``entries``)
        cols = " + ".join(f"c{t}" for t in range(T))
    else:             # the Jacobian over q, column after column
        cols = f"({', '.join(entries[j][r] for j in range(n) for r in range(m))},)"
    lines.append(f"        return ({' + '.join(f'f{t}' for t in range(T))}, "
                 f"{' + '.join(f'e{t}' for t in range(T))}, {cols}, "
                 f"{' + '.join(f'd{t}' for t in range(T))})")
    lines.append("    return evaluate")
    names = [f"c{t}_{x}" for t, (c, mp) in enumerate(zip(subs, prob._maps))
             for x in range(len(mp[0]) * c.m)]
    return "\n".join(lines) + "\n", entries, names


