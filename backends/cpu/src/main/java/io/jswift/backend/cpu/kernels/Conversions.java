package io.jswift.backend.cpu.kernels;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.HostAccess;

import java.lang.foreign.MemorySegment;

/** Fast contiguous conversions between f32 and the 16-bit float formats (bit-exact with {@link Half}). */
final class Conversions {
    private Conversions() {}

    /** Converts n contiguous elements if this pair of dtypes has a fast path; returns false otherwise. */
    static boolean contiguous(MemorySegment s, long so, DType st, MemorySegment d, long dO, DType dt, long n) {
        Converter c = converter(st, dt);
        if (c == null) return false;
        Parallel.range((int) Math.min(Integer.MAX_VALUE, (n + 8191) / 8192), 4, (from, to) -> {
            long lo = (long) from * 8192, hi = Math.min(n, (long) to * 8192);
            c.run(s, so + lo, d, dO + lo, hi - lo);
        });
        return true;
    }

    private interface Converter {
        void run(MemorySegment s, long so, MemorySegment d, long dO, long n);
    }

    private static Converter converter(DType st, DType dt) {
        if (st == DType.BF16 && dt == DType.F32) {
            return (s, so, d, dO, n) -> {
                for (long i = 0; i < n; i++) d.setAtIndex(HostAccess.F32, dO + i, Half.bf16ToFloat(s.getAtIndex(HostAccess.I16, so + i)));
            };
        }
        if (st == DType.F32 && dt == DType.BF16) {
            return (s, so, d, dO, n) -> {
                for (long i = 0; i < n; i++) d.setAtIndex(HostAccess.I16, dO + i, Half.floatToBf16(s.getAtIndex(HostAccess.F32, so + i)));
            };
        }
        if (st == DType.F16 && dt == DType.F32) {
            return (s, so, d, dO, n) -> {
                for (long i = 0; i < n; i++) d.setAtIndex(HostAccess.F32, dO + i, Half.f16ToFloat(s.getAtIndex(HostAccess.I16, so + i)));
            };
        }
        if (st == DType.F32 && dt == DType.F16) {
            return (s, so, d, dO, n) -> {
                for (long i = 0; i < n; i++) d.setAtIndex(HostAccess.I16, dO + i, Half.floatToF16(s.getAtIndex(HostAccess.F32, so + i)));
            };
        }
        if (st == DType.F32 && dt == DType.F64) {
            return (s, so, d, dO, n) -> {
                for (long i = 0; i < n; i++) d.setAtIndex(HostAccess.F64, dO + i, s.getAtIndex(HostAccess.F32, so + i));
            };
        }
        if (st == DType.F64 && dt == DType.F32) {
            return (s, so, d, dO, n) -> {
                for (long i = 0; i < n; i++) d.setAtIndex(HostAccess.F32, dO + i, (float) s.getAtIndex(HostAccess.F64, so + i));
            };
        }
        return null;
    }
}
