package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.VecMath;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.HostAccess;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Products with very few rows of A (token-by-token decoding): memory-bound, so B is streamed exactly once,
 * split across cores by columns. With B = Wᵀ for a row-major weight W [N, K] (every Linear layer), each
 * output is a dot product along contiguous K; bf16 weights are widened in registers (no f32 copy).
 */
final class Gemv {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    // ints of the float vector's width: each holds two bf16 weights (32 per vector on AVX-512, 16 on AVX2)
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final int L = F.length();
    /** Vector loop alignment in bytes: a vector load within one cache line (64 B) never straddles two. */
    private static final int ALIGN = Math.min(64, I.vectorByteSize());
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Weight rows per pass of long bf16 rows ({@link #dotBf16x8}). */
    private static final int GROUP = 8;

    private Gemv() {}

    /** C = A·B, or C += A·B when {@code accumulate}. */
    static void rows(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        float[][] aRows = new float[m][k];
        for (int i = 0; i < m; i++) a.readRun(i, 0, k, true, aRows[i], 0, 1);
        if (b.isWeightRows()) {
            weightRows(m, n, k, aRows, b, c, cOff, ldc, accumulate);
            return;
        }
        // generic: c[i, j] = Σ_k a[i, k] · B(k, j), accumulated in column blocks to stream B row by row
        Parallel.range((n + 255) / 256, 1, (from, to) -> {
            float[] col = new float[256];
            for (int blk = from; blk < to; blk++) {
                int j0 = blk * 256, cols = Math.min(256, n - j0);
                float[][] acc = new float[m][cols];
                for (int p = 0; p < k; p++) {
                    b.readRun(p, j0, cols, true, col, 0, 1);
                    for (int i = 0; i < m; i++) {
                        float av = aRows[i][p];
                        float[] row = acc[i];
                        for (int j = 0; j < cols; j++) row[j] += av * col[j];
                    }
                }
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < cols; j++) {
                        long at = cOff + i * ldc + j0 + j;
                        c.setAtIndex(HostAccess.F32, at, accumulate ? c.getAtIndex(HostAccess.F32, at) + acc[i][j] : acc[i][j]);
                    }
                }
            }
        });
    }

    /**
     * Rows of W [N, K] (B = Wᵀ, every Linear layer): each output is a dot product along contiguous K, and the
     * weights are streamed once, each core running forward through its share of the rows and then taking halves
     * of the other's (see the comment at {@code step}). Safetensors files place tensors at
     * 8-byte granularity (all tensors of an HF checkpoint here sat 40 bytes past a cache line), and a 64-byte
     * vector load across two cache lines costs a second access: measured on a mapped bf16 file, 48 -> 39 GB/s.
     * So the vector loop runs from the first cache-line boundary of each row when every row shares that
     * alignment (row bytes a multiple of {@link #ALIGN}), and the {@code lead} elements before it are summed apart:
     * for bf16 by one masked vector from the row start, for f32 one by one. The bf16 elements left after the
     * vector loop come from one masked vector ending at the row end ({@link Bf16Edge}), and both edge vectors start
     * the loop's accumulators, so a row costs one horizontal sum and no scalar tail (eight-row passes add the edges
     * as one more sum per row). A separate lead sum and a scalar tail of up to 31 elements were ~20% of a
     * 2048-weight row's instructions: all 113 matrices of Llama-3.2-1B, alternated runs, 38-44 -> 45-47 GB/s
     * (docs/BENCHMARKS.md, session 16).
     */
    private static void weightRows(int m, int n, int k, float[][] x, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        boolean bf16 = b.type() == DType.BF16;
        int size = bf16 ? 2 : 4;
        long address = b.segment().address() + b.offset() * size;
        long rowBytes = b.colStride() * size;
        int lead = rowBytes % ALIGN == 0 && address % size == 0 ? (int) (((ALIGN - address % ALIGN) % ALIGN) / size) : 0;
        if (lead >= k || (bf16 && k < 2 * I.length())) lead = 0;
        final int skip = lead, rest = k - lead;
        float[][] xe = null, xo = null;
        if (bf16) { // activations split into even and odd halves of the aligned part (see dotBf16)
            xe = new float[m][(rest + 1) / 2];
            xo = new float[m][(rest + 1) / 2];
            for (int i = 0; i < m; i++) splitPairs(x[i], skip, rest, xe[i], xo[i]);
        }
        float[][] tails = new float[m][];
        if (!bf16) for (int i = 0; i < m; i++) tails[i] = java.util.Arrays.copyOfRange(x[i], skip, k);
        final float[][] even = xe, odd = xo;
        // Long bf16 rows take eight weight rows per pass: the activations (4·K bytes as f32 halves) no longer fit
        // in L1 beside the weight stream from K ~ 4096 on, and each pass then reads them once for eight rows.
        // down_proj of Llama-3.2-1B (K = 8192) streamed at 22 GB/s one row per pass, 33 four rows per pass and
        // 40-45 eight rows per pass; all 113 matrices +5% from four to eight (Zen 5, and +6-16% with AVX2's
        // 8-lane vectors: docs/BENCHMARKS.md, session 17). For K = 2048 one row per pass streams fastest (four rows
        // per pass ran 25% slower there). With AVX2's 8-lane vectors the loop issues twice the instructions per
        // byte, and sharing the activation loads over several rows pays from K = 1024 on (Zen 3, all 113 matrices
        // alternated in one run: +0.8 GB/s, ~4%, in 5 of 7 pairs).
        int group = bf16 && rest >= (L >= 16 ? 4096 : 1024) ? GROUP : 1;
        // bf16 rows of at least two vectors: lead and tail as masked edge vectors (the loops leave < 2·I.length() elements)
        boolean edges = bf16 && k >= 2 * I.length();
        // (a row without lead still takes the head vector, all lanes masked: a vector that is sometimes absent would
        // merge two values in the compiled loop, which C2 boxes: 39 -> 26 GB/s)
        final Bf16Edge head = edges ? new Bf16Edge(x, 0, 0, skip) : null;
        final Bf16Edge tail1 = edges ? new Bf16Edge(x, k - 2 * I.length(), skip + 2 * dotBf16Pairs(rest), k) : null;
        final Bf16Edge tailGroup = edges && group == GROUP ? new Bf16Edge(x, k - 2 * I.length(), skip + 2 * dotBf16x8Pairs(rest), k) : null;
        int groups = (n + group - 1) / group;
        // Each core streams its share of the rows forward in steps of ~64 KiB and, once done, takes halves of what
        // the other has left (Parallel.splitting): the stream stays contiguous for the prefetchers (64 KiB chunks
        // handed out in turn lost ~15% on 32 MB matrices) and the cores finish together (a core of a shared VM
        // runs slower now and then, and a static half each left the other idle)
        int step = (int) Math.max(1, (64L << 10) / ((long) k * size * group));
        long ws = b.colStride(), w00 = b.offset();
        MemorySegment seg = b.segment();
        // One compiled body per kind of row: C2 inlines a method's callees, and with them the Vector API
        // intrinsics, only up to a budget, and the three kinds in one lambda went past it (FMAs fell back to boxed
        // Java code: 39 -> 26 GB/s).
        if (group == GROUP) {
            Parallel.splitting(groups, step, (from, to) -> {
                float[] dots = new float[GROUP];
                for (int gi = from; gi < to; gi++) {
                    int j0 = gi * GROUP, rows = Math.min(GROUP, n - j0);
                    long w0 = w00 + j0 * ws;
                    for (int i = 0; i < m; i++) {
                        long at = cOff + i * ldc + j0;
                        if (rows == GROUP) {
                            dotBf16x8(even[i], odd[i], seg, w0 + skip, ws, rest, dots);
                            for (int r = 0; r < GROUP; r++) store(c, at + r, dots[r] + Bf16Edge.sum(head, tailGroup, i, seg, w0 + r * ws), accumulate);
                        } else {
                            for (int r = 0; r < rows; r++) store(c, at + r, dotBf16Row(even[i], odd[i], seg, w0 + r * ws, skip, k, head, tail1, i), accumulate);
                        }
                    }
                }
            });
        } else if (edges) {
            Parallel.splitting(groups, step, (from, to) -> {
                for (int j = from; j < to; j++) {
                    for (int i = 0; i < m; i++) store(c, cOff + i * ldc + j, dotBf16Row(even[i], odd[i], seg, w00 + j * ws, skip, k, head, tail1, i), accumulate);
                }
            });
        } else {
            Parallel.splitting(groups, step, (from, to) -> {
                for (int j = from; j < to; j++) {
                    long w = w00 + j * ws;
                    for (int i = 0; i < m; i++) {
                        float dot = 0;
                        for (int p = 0; p < skip; p++) dot += x[i][p] * seg.getAtIndex(HostAccess.F32, w + p);
                        dot += bf16 ? dotBf16(even[i], odd[i], seg, w + skip, rest) : dotF32(tails[i], seg, w + skip, rest);
                        store(c, cOff + i * ldc + j, dot, accumulate);
                    }
                }
            });
        }
    }

    /** even[p] = x[from + 2p], odd[p] = x[from + 2p + 1] for the {@code count} elements from {@code from} (see dotBf16). */
    static void splitPairs(float[] x, int from, int count, float[] even, float[] odd) {
        for (int p = 0; p < count; p++) (p % 2 == 0 ? even : odd)[p / 2] = x[from + p];
    }

    /** c[at] = dot, or c[at] += dot when {@code accumulate}. */
    static void store(MemorySegment c, long at, float dot, boolean accumulate) {
        c.setAtIndex(HostAccess.F32, at, accumulate ? c.getAtIndex(HostAccess.F32, at) + dot : dot);
    }

    /**
     * One edge of a bf16 weight row: the vector of 2·I.length() weights starting {@code start} elements into the
     * row, of which only elements [from, to) count. Lanes outside are masked to zero weights (so an infinite weight
     * there cannot turn 0·w into NaN) and meet zero activations; the product is one vector that starts an accumulator.
     */
    private static final class Bf16Edge {
        private final long startBytes;
        private final float[][] even, odd;   // per activation row: x at the lane's even and odd element, 0 outside
        private final int[] evenMask, oddMask; // per pair lane: which halves count

        Bf16Edge(float[][] x, int start, int from, int to) {
            int lanes = I.length();
            startBytes = start * 2L;
            even = new float[x.length][lanes];
            odd = new float[x.length][lanes];
            evenMask = new int[lanes];
            oddMask = new int[lanes];
            for (int p = 0; p < lanes; p++) {
                int e = start + 2 * p;
                boolean evenIn = e >= from && e < to, oddIn = e + 1 >= from && e + 1 < to;
                if (evenIn) evenMask[p] = 0x0000FFFF;
                if (oddIn) oddMask[p] = 0xFFFF0000;
                for (int i = 0; i < x.length; i++) {
                    if (evenIn) even[i][p] = x[i][e];
                    if (oddIn) odd[i][p] = x[i][e + 1];
                }
            }
        }

        /** Σ over the edge's lanes of x·w for activation row {@code i} and the weight row at element {@code row}, per lane. */
        FloatVector products(int i, MemorySegment w, long row) {
            IntVector p = IntVector.fromMemorySegment(I, w, row * 2 + startBytes, NATIVE);
            FloatVector e = FloatVector.fromArray(F, even[i], 0).mul(p.and(IntVector.fromArray(I, evenMask, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats());
            return FloatVector.fromArray(F, odd[i], 0).fma(p.and(IntVector.fromArray(I, oddMask, 0)).reinterpretAsFloats(), e);
        }

        /** Both edges of one weight row, summed. */
        static float sum(Bf16Edge head, Bf16Edge tail, int i, MemorySegment w, long row) {
            return VecMath.sum(head.products(i, w, row).add(tail.products(i, w, row)));
        }
    }

    /** Weight pairs {@link #dotBf16Row}'s loops cover of {@code rest} elements: whole double steps, then one single step. */
    private static int dotBf16Pairs(int rest) {
        int pairs = rest / 2, done = pairs / (2 * L) * (2 * L);
        return pairs - done >= L ? done + L : done;
    }

    /** Weight pairs {@link #dotBf16x8}'s loop covers of {@code rest} elements. */
    private static int dotBf16x8Pairs(int rest) {
        return rest / 2 / L * L;
    }

    /**
     * A whole bf16 weight row at element {@code row} (k ≥ 2·I.length()): the {@code head} edge (the elements
     * before the first aligned one, if any), the vector loops from {@code row + lead}, and the {@code tail} edge (what the
     * loops leave), all in one set of accumulators. The loops repeat {@link #dotBf16}'s instead of sharing a helper
     * that takes the accumulators: vectors passed to a call that C2 does not inline are boxed, and that happened
     * here once the caller grew (see weightRows).
     */
    private static float dotBf16Row(float[] xe, float[] xo, MemorySegment w, long row, int lead, int k, Bf16Edge head, Bf16Edge tail, int i) {
        FloatVector a0 = head.products(i, w, row);
        FloatVector a1 = tail.products(i, w, row), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int pairs = (k - lead) / 2, j = 0;
        long base = (row + lead) * 2;
        for (; j + 2 * L <= pairs; j += 2 * L) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, base + (long) j * 4, NATIVE);
            IntVector p1 = IntVector.fromMemorySegment(I, w, base + (long) (j + L) * 4, NATIVE);
            a0 = FloatVector.fromArray(F, xe, j).fma(p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0);
            a1 = FloatVector.fromArray(F, xo, j).fma(p0.and(0xFFFF0000).reinterpretAsFloats(), a1);
            a2 = FloatVector.fromArray(F, xe, j + L).fma(p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a2);
            a3 = FloatVector.fromArray(F, xo, j + L).fma(p1.and(0xFFFF0000).reinterpretAsFloats(), a3);
        }
        if (j + L <= pairs) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, base + (long) j * 4, NATIVE);
            a0 = FloatVector.fromArray(F, xe, j).fma(p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0);
            a1 = FloatVector.fromArray(F, xo, j).fma(p0.and(0xFFFF0000).reinterpretAsFloats(), a1);
        }
        return VecMath.sum(a0.add(a1).add(a2.add(a3)));
    }

    /**
     * The aligned part of eight bf16 weight rows {@code rowStride} elements apart, from {@code off}, each pair of x
     * vectors loaded once; covers {@link #dotBf16x8Pairs} pairs, the caller adds the rows' {@link Bf16Edge}s. One
     * accumulator per row takes both the even and the odd products: eight rows keep eight FMA chains in flight,
     * and 2·8 accumulators would not fit AVX2's sixteen registers beside the activations. The eight rows are
     * written out: the same products in a small helper method were boxed (12 instead of 40 GB/s).
     */
    private static void dotBf16x8(float[] xe, float[] xo, MemorySegment w, long off, long rowStride, int k, float[] out) {
        FloatVector z = FloatVector.zero(F);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        int pairs = k / 2, j = 0;
        long b0 = off * 2, rs = rowStride * 2;
        for (; j + L <= pairs; j += L) {
            FloatVector ve = FloatVector.fromArray(F, xe, j), vo = FloatVector.fromArray(F, xo, j);
            long at = b0 + (long) j * 4;
            IntVector p0 = IntVector.fromMemorySegment(I, w, at, NATIVE);
            IntVector p1 = IntVector.fromMemorySegment(I, w, at + rs, NATIVE);
            IntVector p2 = IntVector.fromMemorySegment(I, w, at + 2 * rs, NATIVE);
            IntVector p3 = IntVector.fromMemorySegment(I, w, at + 3 * rs, NATIVE);
            a0 = vo.fma(p0.and(0xFFFF0000).reinterpretAsFloats(), ve.fma(p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0));
            a1 = vo.fma(p1.and(0xFFFF0000).reinterpretAsFloats(), ve.fma(p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a1));
            a2 = vo.fma(p2.and(0xFFFF0000).reinterpretAsFloats(), ve.fma(p2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a2));
            a3 = vo.fma(p3.and(0xFFFF0000).reinterpretAsFloats(), ve.fma(p3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a3));
            IntVector p4 = IntVector.fromMemorySegment(I, w, at + 4 * rs, NATIVE);
            IntVector p5 = IntVector.fromMemorySegment(I, w, at + 5 * rs, NATIVE);
            IntVector p6 = IntVector.fromMemorySegment(I, w, at + 6 * rs, NATIVE);
            IntVector p7 = IntVector.fromMemorySegment(I, w, at + 7 * rs, NATIVE);
            a4 = vo.fma(p4.and(0xFFFF0000).reinterpretAsFloats(), ve.fma(p4.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a4));
            a5 = vo.fma(p5.and(0xFFFF0000).reinterpretAsFloats(), ve.fma(p5.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a5));
            a6 = vo.fma(p6.and(0xFFFF0000).reinterpretAsFloats(), ve.fma(p6.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a6));
            a7 = vo.fma(p7.and(0xFFFF0000).reinterpretAsFloats(), ve.fma(p7.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a7));
        }
        out[0] = VecMath.sum(a0);
        out[1] = VecMath.sum(a1);
        out[2] = VecMath.sum(a2);
        out[3] = VecMath.sum(a3);
        out[4] = VecMath.sum(a4);
        out[5] = VecMath.sum(a5);
        out[6] = VecMath.sum(a6);
        out[7] = VecMath.sum(a7);
    }

    static float dotF32(float[] x, MemorySegment w, long off, int k) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int i = 0, step = 2 * F.length(), bound = k - k % step;
        for (; i < bound; i += step) {
            acc0 = FloatVector.fromArray(F, x, i).fma(FloatVector.fromMemorySegment(F, w, (off + i) * 4, NATIVE), acc0);
            acc1 = FloatVector.fromArray(F, x, i + F.length()).fma(FloatVector.fromMemorySegment(F, w, (off + i + F.length()) * 4, NATIVE), acc1);
        }
        float s = VecMath.sum(acc0.add(acc1));
        for (; i < k; i++) s += x[i] * w.getAtIndex(HostAccess.F32, off + i);
        return s;
    }

    /**
     * bf16 → f32 is a 16-bit left shift of the bits. Reading the weights as 32-bit pairs (lo = element 2p,
     * hi = element 2p + 1 on little-endian), {@code pair << 16} is the even element and {@code pair & 0xFFFF0000}
     * the odd one, so no lane widening is needed: the activations come split into even and odd halves instead.
     * Four accumulators keep the FMA latency off the memory stream's critical path (measured on a mapped
     * bf16 file: 37 -> 47 GB/s on 2 cores against the widening version).
     */
    static float dotBf16(float[] xe, float[] xo, MemorySegment w, long off, int k) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int pairs = k / 2, j = 0;
        long base = off * 2;
        for (; j + 2 * L <= pairs; j += 2 * L) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, base + (long) j * 4, NATIVE);
            IntVector p1 = IntVector.fromMemorySegment(I, w, base + (long) (j + L) * 4, NATIVE);
            a0 = FloatVector.fromArray(F, xe, j).fma(p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0);
            a1 = FloatVector.fromArray(F, xo, j).fma(p0.and(0xFFFF0000).reinterpretAsFloats(), a1);
            a2 = FloatVector.fromArray(F, xe, j + L).fma(p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a2);
            a3 = FloatVector.fromArray(F, xo, j + L).fma(p1.and(0xFFFF0000).reinterpretAsFloats(), a3);
        }
        for (; j + L <= pairs; j += L) {
            IntVector p0 = IntVector.fromMemorySegment(I, w, base + (long) j * 4, NATIVE);
            a0 = FloatVector.fromArray(F, xe, j).fma(p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), a0);
            a1 = FloatVector.fromArray(F, xo, j).fma(p0.and(0xFFFF0000).reinterpretAsFloats(), a1);
        }
        float s = VecMath.sum(a0.add(a1).add(a2.add(a3)));
        for (int p = 2 * j; p < k; p++) {
            float x = p % 2 == 0 ? xe[p / 2] : xo[p / 2];
            s += x * Half.bf16ToFloat(w.getAtIndex(HostAccess.I16, off + p));
        }
        return s;
    }
}
