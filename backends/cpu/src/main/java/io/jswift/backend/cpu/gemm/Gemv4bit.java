package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.VecMath;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.Weight4bit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The decode product with a bitsandbytes 4-bit weight, y [M, N] = x [M, K] · dequant(W)ᵀ for few rows of x, reading
 * the packed weight once and dequantizing in registers. Dims: K = in features, N = rows of W, M = rows of x.
 *
 * <p>A 32-byte load is one chunk of 64 weights, read as 8 int lanes of 8 nibbles each: lane l holds weights
 * 8l..8l+7, and its nibble p (bits 4p..4p+3) is weight 8l + (p ^ 1) (bnb puts the first weight of a byte in the
 * high nibble). So a shift by 4p gives 8 weights at once, with no widening of bytes, if the activations are first
 * permuted to match ({@link #permute}: once per call, K floats). A nibble is looked up in the 16-entry code table held
 * in two registers: one two-vector select with AVX-512, or with AVX2 a select in each 8-entry half (single-register
 * vpermd) and a blend on its bit 3 ({@link #lookup}). Each weight row's chunk sum is scaled by its block's absmax once (f32 weights), or, for
 * bf16 weights, the two table halves are scaled by the absmax and rounded to bf16 once a chunk, so each weight is
 * bf16(code · absmax) exactly as the dequantized tensor holds it. Up to four rows of x share each decoded vector.
 * Absmax come plain or double quantized ({@link BlockScales}: the 8-bit codes decoded per block, never expanded).
 */
public final class Gemv4bit {
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    /** The kernel's 256-bit vectors are native (AVX2, AVX-512, SVE-256); elsewhere the backend composes dequantize + matmul. */
    private static final boolean SIMD = IntVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    private static final int CHUNK = 64;  // weights per 32-byte load
    private static final int BYTES = CHUNK / 2;
    /** Rows of x up to which the GEMV runs (in passes of four); more take {@link Gemm4bit}. */
    static final int MAX_ROWS = 8;
    /**
     * Whether a code is looked up with one two-vector select of the 16-entry table (AVX-512: a single vpermt2d on 8
     * lanes) instead of two one-vector selects and a blend (AVX2, where the two-vector select is lowered to more
     * and measured 1.6-3.5x slower, docs/BENCHMARKS.md). {@code -Djswift.gemv4bit.lookup=halves|two} overrides the
     * choice by the preferred vector size, to time both on one machine.
     */
    static final boolean TWO_TABLE_SELECT = switch (System.getProperty("jswift.gemv4bit.lookup", "auto")) {
        case "two" -> true;
        case "halves" -> false;
        case "auto" -> IntVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
        default -> throw new IllegalArgumentException("-Djswift.gemv4bit.lookup must be auto, two or halves, got "
                + System.getProperty("jswift.gemv4bit.lookup"));
    };

    private Gemv4bit() {}

    /** Whether this kernel takes x · Wᵀ (K and the blocksize multiples of 64, few rows, f32 or bf16 weights). */
    public static boolean applies(Tensor x, Weight4bit w, DType weightDtype) {
        return SIMD && x.rank() == 2 && x.size(0) <= MAX_ROWS && w.cols() % CHUNK == 0 && w.blocksize() % CHUNK == 0
                && (weightDtype == DType.F32 || weightDtype == DType.BF16)
                && (x.dtype() == DType.F32 || x.dtype() == DType.BF16 || x.dtype() == DType.F16);
    }

    /**
     * y in the dtype matmul gives x and a {@code weightDtype} weight, summed in f32 and rounded once. Within a chunk
     * the sum runs in another order than dequantize-then-matmul's, so f32 results differ in the last bits.
     */
    public static Tensor multiply(Tensor xIn, Weight4bit w, DType weightDtype) {
        int m = xIn.size(0), n = w.rows(), k = w.cols(), chunks = k / CHUNK;
        Tensor packed = w.packed().contiguous();
        MemorySegment ps = packed.hostSegment();
        long po = packed.offset();
        BlockScales scales = new BlockScales(w.absmax());
        boolean bf16 = weightDtype == DType.BF16;
        float[] table = w.type().table();
        FloatVector t0 = FloatVector.fromArray(F, table, 0), t1 = FloatVector.fromArray(F, table, 8);
        int groups = m == 1 ? 1 : (m + 3) / 4;
        float[][] xp = permute(xIn.toFloatArray(), m, k, m == 1 ? 1 : groups * 4);
        Tensor y = Tensor.zeros(DType.F32, m, n);
        MemorySegment ys = y.hostSegment();
        int blocksize = w.blocksize();
        // each core streams its share of the rows forward ~64 KiB at a time (see Gemv.weightRows)
        int step = Math.max(1, (64 << 10) / (k / 2));
        Parallel.splitting(n, step, (from, to) -> {
            float[] s = new float[chunks], dots = new float[4];
            for (int r = from; r < to; r++) {
                scales.fill((long) r * k, CHUNK, chunks, blocksize, s);
                long row = po + (long) r * (k / 2);
                if (m == 1) {
                    ys.setAtIndex(HostAccess.F32, r, bf16 ? dot1Bf16(ps, row, chunks, xp[0], s, t0, t1) : dot1(ps, row, chunks, xp[0], s, t0, t1));
                    continue;
                }
                for (int g = 0; g < groups; g++) {
                    if (bf16) dot4Bf16(ps, row, chunks, xp, 4 * g, s, t0, t1, dots);
                    else dot4(ps, row, chunks, xp, 4 * g, s, t0, t1, dots);
                    for (int i = 4 * g; i < Math.min(m, 4 * g + 4); i++) ys.setAtIndex(HostAccess.F32, (long) i * n + r, dots[i - 4 * g]);
                }
            }
        });
        DType out = DType.promote(xIn.dtype(), weightDtype);
        return out == DType.F32 ? y : y.to(out);
    }

    /** xp[i][64c + 8p + l] = x[i][64c + 8l + (p ^ 1)] (the nibble order of a chunk, see the class comment); rows past m are 0. */
    static float[][] permute(float[] x, int m, int k, int rows) {
        float[][] xp = new float[rows][k];
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < k; c += CHUNK) {
                for (int p = 0; p < 8; p++) {
                    for (int l = 0; l < 8; l++) xp[i][c + 8 * p + l] = x[i * k + c + 8 * l + (p ^ 1)];
                }
            }
        }
        return xp;
    }

    // (the chunk's eight lookups are written out in each loop: a helper returning the chunk's vector was compiled
    // apart, "already compiled into a big method", and its result boxed: 33 MB allocated a 2048x2048 call, 8x slower)

    /** One x row, f32 weights: Σ_chunks absmax · Σ table[nibble]·x (two sums a chunk, against the FMA latency). */
    private static float dot1(MemorySegment ps, long row, int chunks, float[] x, float[] s, FloatVector t0, FloatVector t1) {
        IntVector lo = t0.reinterpretAsInts(), hi = t1.reinterpretAsInts();
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0; c < chunks; c++) {
            IntVector v = IntVector.fromMemorySegment(I, ps, row + (long) c * BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector even = FloatVector.zero(F), odd = even;
            int xo = c * CHUNK;
            for (int p = 0; p < 8; p += 2) {
                even = lookup(v.lanewise(VectorOperators.LSHR, 4 * p), lo, hi).fma(FloatVector.fromArray(F, x, xo + 8 * p), even);
                odd = lookup(v.lanewise(VectorOperators.LSHR, 4 * p + 4), lo, hi).fma(FloatVector.fromArray(F, x, xo + 8 * p + 8), odd);
            }
            acc = even.add(odd).fma(FloatVector.broadcast(F, s[c]), acc);
        }
        return VecMath.sum(acc);
    }

    /** One x row, bf16 weights: the table halves scaled by the chunk's absmax and rounded to bf16, then Σ w·x. */
    private static float dot1Bf16(MemorySegment ps, long row, int chunks, float[] x, float[] s, FloatVector t0, FloatVector t1) {
        FloatVector even = FloatVector.zero(F), odd = even;
        for (int c = 0; c < chunks; c++) {
            IntVector v = IntVector.fromMemorySegment(I, ps, row + (long) c * BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector a = FloatVector.broadcast(F, s[c]);
            IntVector lo = roundBf16(t0.mul(a)).reinterpretAsInts(), hi = roundBf16(t1.mul(a)).reinterpretAsInts();
            int xo = c * CHUNK;
            for (int p = 0; p < 8; p += 2) {
                even = lookup(v.lanewise(VectorOperators.LSHR, 4 * p), lo, hi).fma(FloatVector.fromArray(F, x, xo + 8 * p), even);
                odd = lookup(v.lanewise(VectorOperators.LSHR, 4 * p + 4), lo, hi).fma(FloatVector.fromArray(F, x, xo + 8 * p + 8), odd);
            }
        }
        return VecMath.sum(even.add(odd));
    }

    /** Four x rows from {@code i0}, f32 weights: each decoded vector feeds four sums. */
    private static void dot4(MemorySegment ps, long row, int chunks, float[][] x, int i0, float[] s, FloatVector t0, FloatVector t1, float[] out) {
        IntVector lo = t0.reinterpretAsInts(), hi = t1.reinterpretAsInts();
        float[] x0 = x[i0], x1 = x[i0 + 1], x2 = x[i0 + 2], x3 = x[i0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < chunks; c++) {
            IntVector v = IntVector.fromMemorySegment(I, ps, row + (long) c * BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            int xo = c * CHUNK;
            for (int p = 0; p < 8; p++) {
                FloatVector wv = lookup(v.lanewise(VectorOperators.LSHR, 4 * p), lo, hi);
                int at = xo + 8 * p;
                s0 = wv.fma(FloatVector.fromArray(F, x0, at), s0);
                s1 = wv.fma(FloatVector.fromArray(F, x1, at), s1);
                s2 = wv.fma(FloatVector.fromArray(F, x2, at), s2);
                s3 = wv.fma(FloatVector.fromArray(F, x3, at), s3);
            }
            FloatVector a = FloatVector.broadcast(F, s[c]);
            a0 = s0.fma(a, a0);
            a1 = s1.fma(a, a1);
            a2 = s2.fma(a, a2);
            a3 = s3.fma(a, a3);
        }
        out[0] = VecMath.sum(a0);
        out[1] = VecMath.sum(a1);
        out[2] = VecMath.sum(a2);
        out[3] = VecMath.sum(a3);
    }

    /** As {@link #dot4} with bf16 weights (scaled, rounded table halves per chunk, as {@link #dot1Bf16}). */
    private static void dot4Bf16(MemorySegment ps, long row, int chunks, float[][] x, int i0, float[] s, FloatVector t0, FloatVector t1, float[] out) {
        float[] x0 = x[i0], x1 = x[i0 + 1], x2 = x[i0 + 2], x3 = x[i0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < chunks; c++) {
            IntVector v = IntVector.fromMemorySegment(I, ps, row + (long) c * BYTES, ByteOrder.LITTLE_ENDIAN);
            FloatVector a = FloatVector.broadcast(F, s[c]);
            IntVector lo = roundBf16(t0.mul(a)).reinterpretAsInts(), hi = roundBf16(t1.mul(a)).reinterpretAsInts();
            int xo = c * CHUNK;
            for (int p = 0; p < 8; p++) {
                FloatVector wv = lookup(v.lanewise(VectorOperators.LSHR, 4 * p), lo, hi);
                int at = xo + 8 * p;
                a0 = wv.fma(FloatVector.fromArray(F, x0, at), a0);
                a1 = wv.fma(FloatVector.fromArray(F, x1, at), a1);
                a2 = wv.fma(FloatVector.fromArray(F, x2, at), a2);
                a3 = wv.fma(FloatVector.fromArray(F, x3, at), a3);
            }
        }
        out[0] = VecMath.sum(a0);
        out[1] = VecMath.sum(a1);
        out[2] = VecMath.sum(a2);
        out[3] = VecMath.sum(a3);
    }

    /**
     * table[idx & 15] from the halves lo = table[0..7], hi = table[8..15]. With AVX-512 ({@link #TWO_TABLE_SELECT})
     * one two-vector select reads all 16 entries (vpermt2d); with AVX2 selectFrom reads idx & 7 (vpermd) in each
     * half, and bit 3 picks the half (tested as "is zero", one compare, where "not zero" cost another instruction).
     */
    private static FloatVector lookup(IntVector idx, IntVector lo, IntVector hi) {
        return TWO_TABLE_SELECT ? lookupTwoTables(idx, lo, hi) : lookupHalves(idx, lo, hi);
    }

    static FloatVector lookupHalves(IntVector idx, IntVector lo, IntVector hi) {
        VectorMask<Integer> lower = idx.and(8).compare(VectorOperators.EQ, 0);
        return idx.selectFrom(hi).blend(idx.selectFrom(lo), lower).reinterpretAsFloats();
    }

    /** selectFrom(lo, hi) wraps each index to [0, 16), so the nibble needs no mask. */
    static FloatVector lookupTwoTables(IntVector idx, IntVector lo, IntVector hi) {
        return idx.selectFrom(lo, hi).reinterpretAsFloats();
    }

    /** Round to nearest even at bf16 precision, kept as floats (Half.floatToBf16 for finite values, lane-wise). */
    private static FloatVector roundBf16(FloatVector v) {
        IntVector bits = v.reinterpretAsInts();
        IntVector odd = bits.lanewise(VectorOperators.LSHR, 16).and(1);
        return bits.add(odd).add(0x7FFF).and(0xFFFF0000).reinterpretAsFloats();
    }
}
