"""The compiled solve's clock: ``time.perf_counter()`` read inside a numba kernel (imported
only by :mod:`armsim.ik._kernel`), where a deadline is set."""

from __future__ import annotations

import sys
import time

import numba as nb
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

_CLOCK_MONOTONIC = 1        # Linux's <time.h>
#: ``time.perf_counter`` is ``clock_gettime(CLOCK_MONOTONIC)`` (Linux): read it in the
#: kernel (about 25 ns); elsewhere call into Python (about 0.4 us)
NATIVE_CLOCK = sys.platform.startswith("linux") and time.get_clock_info(
    "perf_counter").implementation == "clock_gettime(CLOCK_MONOTONIC)"


@intrinsic
def _monotonic(typingctx):
    """``clock_gettime(CLOCK_MONOTONIC)`` in seconds, the clock of ``time.perf_counter`` on
    Linux (called by its symbol, so numba's cache keeps it)."""
    def codegen(context, builder, signature, args):
        i64, f64 = ir.IntType(64), ir.DoubleType()
        spec = ir.LiteralStructType([i64, i64])                 # struct timespec
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.IntType(32), [ir.IntType(32), spec.as_pointer()]),
            "clock_gettime")
        ts = cgutils.alloca_once(builder, spec)
        builder.call(fn, [ir.Constant(ir.IntType(32), _CLOCK_MONOTONIC), ts])
        sec = builder.sitofp(builder.load(cgutils.gep_inbounds(builder, ts, 0, 0)), f64)
        nsec = builder.sitofp(builder.load(cgutils.gep_inbounds(builder, ts, 0, 1)), f64)
        return builder.fadd(sec, builder.fmul(nsec, ir.Constant(f64, 1e-9)))
    return nb.types.float64(), codegen


if NATIVE_CLOCK:
    @nb.njit(cache=True)
    def now():
        """``time.perf_counter()``, read only where a deadline is set."""
        return _monotonic()
else:
    @nb.njit(cache=True)
    def now():
        """``time.perf_counter()``, read only where a deadline is set."""
        with nb.objmode(t="float64"):
            t = time.perf_counter()
        return t
