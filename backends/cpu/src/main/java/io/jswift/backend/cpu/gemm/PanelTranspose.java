package io.jswift.backend.cpu.gemm;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transposes 8 rows of bf16 (or f32) weights into k-major f32 panel rows, 8 × 8 elements per step: each row's 8 values are
 * widened (sign-extend to int, shift left 16 = the f32 bits of a bf16) and the 8 × 8 block is transposed by three
 * rounds of two-vector shuffles (pairs, then quads, then halves). 256-bit vectors on any x86-64 with AVX2 or
 * AVX-512.
 */
final class PanelTranspose {
    static final int ROWS = 8;
    /** 256-bit vectors run natively (AVX2, AVX-512, SVE-256); narrower units (NEON) would emulate them lane by lane. */
    static final boolean SUPPORTED = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    // lanes >= 8 select from the second vector
    private static final VectorShuffle<Float> EVEN_PAIRS = VectorShuffle.fromValues(F, 0, 8, 2, 10, 4, 12, 6, 14);
    private static final VectorShuffle<Float> ODD_PAIRS = VectorShuffle.fromValues(F, 1, 9, 3, 11, 5, 13, 7, 15);
    private static final VectorShuffle<Float> LOW_QUADS = VectorShuffle.fromValues(F, 0, 1, 8, 9, 4, 5, 12, 13);
    private static final VectorShuffle<Float> HIGH_QUADS = VectorShuffle.fromValues(F, 2, 3, 10, 11, 6, 7, 14, 15);
    private static final VectorShuffle<Float> LOW_HALVES = VectorShuffle.fromValues(F, 0, 1, 2, 3, 8, 9, 10, 11);
    private static final VectorShuffle<Float> HIGH_HALVES = VectorShuffle.fromValues(F, 4, 5, 6, 7, 12, 13, 14, 15);

    private PanelTranspose() {}

    /**
     * rows[src + r·kc + k] (r < 8, k < kc) → buf[dst + k·stride + r] as f32, for k in whole steps of 8; returns
     * the first k not written (the caller finishes the tail).
     */
    static int panel(short[] rows, int src, int kc, float[] buf, int dst, int stride) {
        int k = 0;
        for (; k + 8 <= kc; k += 8) block(rows, null, src + k, kc, buf, dst + k * stride, stride);
        return k;
    }

    /** {@link #panel} for f32 rows (B = Wᵀ of an f32 weight: training, f32 checkpoints). */
    static int panel(float[] rows, int src, int kc, float[] buf, int dst, int stride) {
        int k = 0;
        for (; k + 8 <= kc; k += 8) block(null, rows, src + k, kc, buf, dst + k * stride, stride);
        return k;
    }

    /**
     * One 8 × 8 block: rows at {@code at + r·kc} (bf16 from s16 when it is non-null, else f32 from s32) → buf[d + k·stride + r].
     * The block loads its own rows and takes no vector arguments on purpose: it is bigger than C2's FreqInlineSize
     * (325 bytecodes), so it is compiled as a call, and vectors passed to a call that is not inlined are boxed on the
     * heap (8 allocations per block, 2x slower, measured on Zen 3).
     */
    private static void block(short[] s16, float[] s32, int at, int kc, float[] buf, int d, int stride) {
        FloatVector r0 = row(s16, s32, at), r1 = row(s16, s32, at + kc);
        FloatVector r2 = row(s16, s32, at + 2 * kc), r3 = row(s16, s32, at + 3 * kc);
        FloatVector r4 = row(s16, s32, at + 4 * kc), r5 = row(s16, s32, at + 5 * kc);
        FloatVector r6 = row(s16, s32, at + 6 * kc), r7 = row(s16, s32, at + 7 * kc);
        // round 1: rows (0,1), (2,3), ... interleaved at even k (e) and odd k (o)
        FloatVector e01 = r0.rearrange(EVEN_PAIRS, r1), o01 = r0.rearrange(ODD_PAIRS, r1);
        FloatVector e23 = r2.rearrange(EVEN_PAIRS, r3), o23 = r2.rearrange(ODD_PAIRS, r3);
        FloatVector e45 = r4.rearrange(EVEN_PAIRS, r5), o45 = r4.rearrange(ODD_PAIRS, r5);
        FloatVector e67 = r6.rearrange(EVEN_PAIRS, r7), o67 = r6.rearrange(ODD_PAIRS, r7);
        // round 2: four rows at k ≡ 0 / 2 (mod 4) from e, at k ≡ 1 / 3 from o, each with k + 4 in its high half
        FloatVector k0a = e01.rearrange(LOW_QUADS, e23), k2a = e01.rearrange(HIGH_QUADS, e23);
        FloatVector k0b = e45.rearrange(LOW_QUADS, e67), k2b = e45.rearrange(HIGH_QUADS, e67);
        FloatVector k1a = o01.rearrange(LOW_QUADS, o23), k3a = o01.rearrange(HIGH_QUADS, o23);
        FloatVector k1b = o45.rearrange(LOW_QUADS, o67), k3b = o45.rearrange(HIGH_QUADS, o67);
        // round 3: all eight rows of one k
        k0a.rearrange(LOW_HALVES, k0b).intoArray(buf, d);
        k1a.rearrange(LOW_HALVES, k1b).intoArray(buf, d + stride);
        k2a.rearrange(LOW_HALVES, k2b).intoArray(buf, d + 2 * stride);
        k3a.rearrange(LOW_HALVES, k3b).intoArray(buf, d + 3 * stride);
        k0a.rearrange(HIGH_HALVES, k0b).intoArray(buf, d + 4 * stride);
        k1a.rearrange(HIGH_HALVES, k1b).intoArray(buf, d + 5 * stride);
        k2a.rearrange(HIGH_HALVES, k2b).intoArray(buf, d + 6 * stride);
        k3a.rearrange(HIGH_HALVES, k3b).intoArray(buf, d + 7 * stride);
    }

    private static FloatVector row(short[] s16, float[] s32, int at) {
        return s16 != null ? widen(s16, at) : FloatVector.fromArray(F, s32, at);
    }

    /** 8 bf16 values of {@code rows} from {@code at}, widened exactly to f32 (the bits moved to the high half). */
    static FloatVector widen(short[] rows, int at) {
        IntVector bits = (IntVector) ShortVector.fromArray(S, rows, at).convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
