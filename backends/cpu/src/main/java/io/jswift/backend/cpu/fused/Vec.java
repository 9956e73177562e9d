package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.VecMath;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Half;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/** Row-level SIMD helpers over f32 memory segments (offsets in elements); bf16 and f16 rows widened in registers. */
final class Vec {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** L shorts (bf16 bit patterns) and L ints: one bf16 load fills one float vector. */
    private static final VectorSpecies<Short> HALF = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private Vec() {}

    static FloatVector load(MemorySegment s, long off) {
        return FloatVector.fromMemorySegment(F, s, off * 4, NATIVE);
    }

    static void store(FloatVector v, MemorySegment s, long off) {
        v.intoMemorySegment(s, off * 4, NATIVE);
    }

    /** L bf16 values at element {@code off} of s, widened exactly to f32 (the bits moved to the high half). */
    static FloatVector loadBf16(MemorySegment s, long off) {
        IntVector bits = (IntVector) ShortVector.fromMemorySegment(HALF, s, off * 2, NATIVE).convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /**
     * L f16 values at element {@code off} of s, widened exactly to f32: the 15 bits below the sign moved up by 13 are an
     * f32 with the same fraction and the exponent 112 too small (a subnormal f16 lands as an f32 subnormal of the same
     * fraction), so one multiply by 2^112 rebias them exactly; Inf and NaN (exponent 31) take the f32 all-ones exponent.
     */
    static FloatVector loadF16(MemorySegment s, long off) {
        IntVector h = ((IntVector) ShortVector.fromMemorySegment(HALF, s, off * 2, NATIVE).convertShape(VectorOperators.S2I, I, 0)).and(0xFFFF);
        IntVector magnitude = h.and(0x7FFF);
        IntVector finite = magnitude.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        IntVector special = magnitude.lanewise(VectorOperators.LSHL, 13).or(0x70000000); // exponent 31 -> 255, fraction kept
        IntVector bits = finite.blend(special, magnitude.compare(VectorOperators.GE, 0x7C00));
        return bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** L values of a KV cache of {@code stored} dtype (f32, bf16 or f16) as f32: the loops that read a KV pool in place. */
    static FloatVector load(MemorySegment s, long off, DType stored) {
        return stored == DType.BF16 ? loadBf16(s, off) : stored == DType.F16 ? loadF16(s, off) : load(s, off);
    }

    /** One value of {@code stored} dtype (f32, bf16 or f16) as f32. */
    static float get(MemorySegment s, long off, DType stored) {
        return stored == DType.BF16 ? Half.bf16ToFloat(s.getAtIndex(HostAccess.I16, off))
                : stored == DType.F16 ? Half.f16ToFloat(s.getAtIndex(HostAccess.I16, off)) : get(s, off);
    }

    static float get(MemorySegment s, long off) {
        return s.getAtIndex(HostAccess.F32, off);
    }

    static void set(MemorySegment s, long off, float v) {
        s.setAtIndex(HostAccess.F32, off, v);
    }

    /** Σ x[i]·y[i] over n elements. */
    static float dot(MemorySegment x, long xo, MemorySegment y, long yo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) acc = load(x, xo + i).fma(load(y, yo + i), acc);
        float s = VecMath.sum(acc);
        for (; i < n; i++) s += get(x, xo + i) * get(y, yo + i);
        return s;
    }

    /** Σ x[i] over n elements. */
    static float sum(MemorySegment x, long xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) acc = acc.add(load(x, xo + i));
        float s = VecMath.sum(acc);
        for (; i < n; i++) s += get(x, xo + i);
        return s;
    }

    static float max(MemorySegment x, long xo, int n) {
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) acc = acc.max(load(x, xo + i));
        float m = VecMath.max(acc);
        for (; i < n; i++) m = Math.max(m, get(x, xo + i));
        return m;
    }

    /** Σ exp(x[i] - shift), accumulated per vector block in double. */
    static double sumExp(MemorySegment x, long xo, int n, float shift) {
        double total = 0;
        int i = 0, bound = F.loopBound(n);
        while (i < bound) {
            FloatVector acc = FloatVector.zero(F);
            int end = Math.min(bound, i + 64 * L);
            for (; i < end; i += L) acc = acc.add(VecMath.exp(load(x, xo + i).sub(shift)));
            total += VecMath.sum(acc);
        }
        for (; i < n; i++) total += VecMath.exp(get(x, xo + i) - shift);
        return total;
    }

    /** y[i] += a · x[i]. */
    static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(F, a);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) av.fma(FloatVector.fromArray(F, x, xo + i), FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        for (; i < n; i++) y[yo + i] += a * x[xo + i];
    }

    static float dot(float[] x, int xo, float[] y, int yo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0, bound = F.loopBound(n);
        for (; i < bound; i += L) acc = FloatVector.fromArray(F, x, xo + i).fma(FloatVector.fromArray(F, y, yo + i), acc);
        float s = VecMath.sum(acc);
        for (; i < n; i++) s += x[xo + i] * y[yo + i];
        return s;
    }
}
