package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The decode product with a bitsandbytes 4-bit weight, y [M, N] = x [M, K] · dequant(W)ᵀ for few rows of x, reading
 * the packed weight once (half a byte a weight, a float absmax per 64) and dequantizing in registers: L packed bytes
 * widen to L int lanes, their high and low nibbles select from the 16-entry code table (the table's float bits in
 * one 16-lane vector, or two 8-lane ones and the two-vector select), and multiply the activations split into even and
 * odd positions (element 2j is byte j's high nibble). Each block of 64 is summed apart and scaled by its absmax once.
 * Rows of W split across cores. Dims: K = in features (a multiple of 64), N = rows of W, M = rows of x, L = lanes.
 */
public final class Gemv4bit {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = I.length();
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    /** 16 lanes: one table vector; 8 lanes: two; narrower machines sum without vectors. */
    private static final boolean SIMD = L == 16 || L == 8;
    private static final int BLOCK = 64;
    private static final int ROWS_PER_TASK = 16;

    private Gemv4bit() {}

    /** Whether this kernel takes the product (else the backend composes dequantize + matmul). */
    public static boolean applies(Tensor x, int blocksize, int[] shape, DType weightDtype) {
        return (weightDtype == DType.F32 || weightDtype == DType.BF16) && x.dtype() == weightDtype && blocksize == BLOCK
                && shape[1] % BLOCK == 0 && x.size(0) <= 8;
    }

    /**
     * y in x's dtype. With bf16 (x and W in bf16, as a bf16 compute dtype has them), each weight is rounded to bf16 in
     * registers (table value · absmax, then round to nearest even) before its product, as the dequantized bf16 weight
     * would be; products of two bf16 values are exact in f32, sums are f32, and y is rounded once.
     */
    public static Tensor multiply(Tensor xIn, Tensor packedIn, Tensor absmaxIn, FourBitType type, int[] shape) {
        int n = shape[0], k = shape[1], m = xIn.size(0);
        Tensor x = xIn.contiguous(), packed = packedIn.contiguous(), absmax = absmaxIn.contiguous();
        float[] table = type.table();
        int[] bits = tableBits(table);
        MemorySegment ps = packed.hostSegment(), scale = absmax.hostSegment().asSlice(absmax.offset() * 4);
        long po = packed.offset();
        boolean bf16 = x.dtype() == DType.BF16;
        Tensor y = Tensor.zeros(x.dtype(), m, n);
        MemorySegment ys = y.hostSegment();
        float[] xs = x.toFloatArray();
        for (int i = 0; i < m; i++) {
            float[] even = new float[k / 2], odd = new float[k / 2];
            for (int j = 0; j < k / 2; j++) {
                even[j] = xs[i * k + 2 * j];
                odd[j] = xs[i * k + 2 * j + 1];
            }
            long yRow = (long) i * n;
            Parallel.range((n + ROWS_PER_TASK - 1) / ROWS_PER_TASK, 1, (from, to) -> {
                int end = Math.min(n, to * ROWS_PER_TASK);
                for (int r = from * ROWS_PER_TASK; r < end; r++) {
                    if (bf16) {
                        float v = SIMD ? rowSimdBf16(ps, po, r, k, bits, scale, even, odd) : rowScalarBf16(ps, po, r, k, table, scale, even, odd);
                        ys.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, yRow + r, Half.floatToBf16(v));
                    } else {
                        float v = SIMD ? rowSimd(ps, po, r, k, bits, scale, even, odd) : rowScalar(ps, po, r, k, table, scale, even, odd);
                        ys.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, yRow + r, v);
                    }
                }
            });
        }
        return y;
    }

    /** One output: Σ over blocks of absmax · Σ table[nibble]·x, 2L weights (L bytes) a step. */
    private static float rowSimd(MemorySegment ps, long po, int r, int k, int[] tableBits, MemorySegment scale, float[] even, float[] odd) {
        IntVector t0 = IntVector.fromArray(I, tableBits, 0), t1 = L == 16 ? t0 : IntVector.fromArray(I, tableBits, 8);
        long rowByte = po + (long) r * (k / 2);
        int blocks = k / BLOCK;
        long firstBlock = (long) r * blocks;
        FloatVector acc = FloatVector.zero(F);
        for (int blk = 0; blk < blocks; blk++) {
            FloatVector sum = FloatVector.zero(F);
            for (int step = 0; step < BLOCK / 2; step += L) {
                int pair = blk * (BLOCK / 2) + step;
                ByteVector bytes = ByteVector.fromMemorySegment(B, ps, rowByte + pair, ByteOrder.LITTLE_ENDIAN);
                IntVector q = (IntVector) bytes.convertShape(VectorOperators.B2I, I, 0);
                IntVector hiIdx = q.lanewise(VectorOperators.LSHR, 4).and(0xF), loIdx = q.and(0xF);
                FloatVector hi = lookup(hiIdx, t0, t1), lo = lookup(loIdx, t0, t1);
                sum = hi.fma(FloatVector.fromArray(F, even, pair), sum);
                sum = lo.fma(FloatVector.fromArray(F, odd, pair), sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, scale.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, firstBlock + blk)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** As {@link #rowSimd}, each weight formed and rounded to bf16 before its product (no per-block factoring). */
    private static float rowSimdBf16(MemorySegment ps, long po, int r, int k, int[] tableBits, MemorySegment scale, float[] even, float[] odd) {
        IntVector t0 = IntVector.fromArray(I, tableBits, 0), t1 = L == 16 ? t0 : IntVector.fromArray(I, tableBits, 8);
        long rowByte = po + (long) r * (k / 2);
        int blocks = k / BLOCK;
        long firstBlock = (long) r * blocks;
        FloatVector acc = FloatVector.zero(F);
        for (int blk = 0; blk < blocks; blk++) {
            FloatVector a = FloatVector.broadcast(F, scale.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, firstBlock + blk));
            for (int step = 0; step < BLOCK / 2; step += L) {
                int pair = blk * (BLOCK / 2) + step;
                ByteVector bytes = ByteVector.fromMemorySegment(B, ps, rowByte + pair, ByteOrder.LITTLE_ENDIAN);
                IntVector q = (IntVector) bytes.convertShape(VectorOperators.B2I, I, 0);
                FloatVector hi = roundBf16(lookup(q.lanewise(VectorOperators.LSHR, 4).and(0xF), t0, t1).mul(a));
                FloatVector lo = roundBf16(lookup(q.and(0xF), t0, t1).mul(a));
                acc = hi.fma(FloatVector.fromArray(F, even, pair), acc);
                acc = lo.fma(FloatVector.fromArray(F, odd, pair), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Round to nearest even at bf16 precision, kept as floats (Half.floatToBf16 for finite values, lane-wise). */
    private static FloatVector roundBf16(FloatVector v) {
        IntVector bits = v.reinterpretAsInts();
        IntVector odd = bits.lanewise(VectorOperators.LSHR, 16).and(1);
        return bits.add(odd).add(0x7FFF).and(0xFFFF0000).reinterpretAsFloats();
    }

    private static float rowScalarBf16(MemorySegment ps, long po, int r, int k, float[] table, MemorySegment scale, float[] even, float[] odd) {
        long rowByte = po + (long) r * (k / 2);
        int blocks = k / BLOCK;
        float acc = 0;
        for (int blk = 0; blk < blocks; blk++) {
            float a = scale.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * blocks + blk);
            for (int j = blk * (BLOCK / 2); j < (blk + 1) * (BLOCK / 2); j++) {
                int b = ps.get(ValueLayout.JAVA_BYTE, rowByte + j) & 0xFF;
                acc += Half.bf16ToFloat(Half.floatToBf16(table[b >> 4] * a)) * even[j]
                        + Half.bf16ToFloat(Half.floatToBf16(table[b & 0xF] * a)) * odd[j];
            }
        }
        return acc;
    }

    /**
     * table[idx] for idx in 0..15: one permute with 16 lanes; with 8, two permutes of idx & 7 and a blend on idx >= 8,
     * single-register permutes (vpermd) that AVX2 has, where the two-vector selectFrom needs AVX-512's vpermi2d. On
     * this 2-core machine under load 14 the SIMD rows ran 2-3x faster than the scalar ones; no rate is claimed here.
     */
    private static FloatVector lookup(IntVector idx, IntVector t0, IntVector t1) {
        if (L == 16) return idx.selectFrom(t0).reinterpretAsFloats();
        IntVector low = idx.and(7);
        return low.selectFrom(t0).blend(low.selectFrom(t1), idx.compare(VectorOperators.GE, 8)).reinterpretAsFloats();
    }

    private static int[] tableBits(float[] table) {
        int[] bits = new int[table.length];
        for (int i = 0; i < table.length; i++) bits[i] = Float.floatToRawIntBits(table[i]);
        return bits;
    }

    /** The same sum without vectors (machines with vectors under 256 bits): still half a byte read a weight. */
    private static float rowScalar(MemorySegment ps, long po, int r, int k, float[] table, MemorySegment scale, float[] even, float[] odd) {
        long rowByte = po + (long) r * (k / 2);
        int blocks = k / BLOCK;
        float acc = 0;
        for (int blk = 0; blk < blocks; blk++) {
            float sum = 0;
            for (int j = blk * (BLOCK / 2); j < (blk + 1) * (BLOCK / 2); j++) {
                int b = ps.get(ValueLayout.JAVA_BYTE, rowByte + j) & 0xFF;
                sum += table[b >> 4] * even[j] + table[b & 0xF] * odd[j];
            }
            acc += sum * scale.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) r * blocks + blk);
        }
        return acc;
    }
}
