package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.GroupedReference;

import java.lang.foreign.MemorySegment;

/**
 * The MoE experts' grouped products on the CPU: every expert's block of rows against its own weight, the experts
 * spread across the cores (one parallel region per grouped product, not one per expert) and each expert's product
 * run on one core with the kernel its few rows want: x·Wᵀ as dot-product tiles reading W in place
 * ({@link RowDotTiles}, {@link Gemv} up to 4 rows), dY·W as broadcast tiles reading W in place
 * ({@link RowMajorTiles}), dYᵀ·X (the weight gradient, K = the expert's rows) as tiles added into the gradient from
 * registers ({@link ExpertWeightGrads}), which pack only the expert's small dY and X. With 128 experts of ~16 rows each (Qwen3-30B-A3B's shape) the
 * per-expert products had each forked and joined both cores and packed the whole expert weight: 8 GFLOPS against
 * 42 for a dense GEMM of the same FLOPs. An expert with many rows ({@link #BIG} and up: prefill or a long batch on
 * few experts) runs afterwards on its own through the ordinary blocked GEMM, which packs and splits it across cores.
 * Dims: M grouped rows, E experts, K in, N out features.
 */
public final class GroupedGemm {
    /** From this many rows an expert's product takes the blocked, multi-core GEMM (packing pays off). */
    static final int BIG = Integer.getInteger("jswift.grouped.big", 96);

    private GroupedGemm() {}

    /** out[rows of e] = x[rows of e]·op(w[e]) (see {@link io.jswift.tensor.spi.Backend#groupedMatmul}). */
    public static void matmul(Tensor x, Tensor w, int[] counts, boolean transW, Tensor out) {
        GroupedReference.checkMatmul(x, w, counts, transW, out);
        if (out.dtype() != DType.F32 && out.dtype() != DType.F64) {
            throw new IllegalArgumentException("grouped matmul: out must be F32 or F64, got " + out.dtype());
        }
        int[] offsets = offsets(counts);
        int n = out.size(1), k = x.size(1);
        Expert body = e -> {
            int m = counts[e];
            Operand a = rows(x, offsets[e]);
            long wo = w.offset() + e * w.stride(0);
            Operand b = transW ? new Operand(w.hostSegment(), w.dtype(), wo, w.stride(2), w.stride(1))
                    : new Operand(w.hostSegment(), w.dtype(), wo, w.stride(1), w.stride(2));
            product(m, n, k, a, b, out.hostSegment(), out.offset() + (long) offsets[e] * n, n, out.dtype() == DType.F64, false);
        };
        run(counts, body);
    }

    /**
     * dw[e] = dy[rows of e]ᵀ·x[rows of e], zero where e has no rows; or += when {@code accumulate}, an expert of no
     * rows untouched (see {@link io.jswift.tensor.spi.Backend#groupedWeightGrad}).
     */
    public static void weightGrad(Tensor dy, Tensor x, int[] counts, Tensor dw, boolean accumulate) {
        GroupedReference.checkWeightGrad(dy, x, counts, dw);
        if (dw.dtype() != DType.F32 && dw.dtype() != DType.F64) {
            throw new IllegalArgumentException("grouped weight gradient: dw must be F32 or F64, got " + dw.dtype());
        }
        int[] offsets = offsets(counts);
        int n = dw.size(1), k = dw.size(2);
        long size = (long) n * k;
        Expert body = e -> {
            int m = counts[e];
            long co = dw.offset() + e * size;
            MemorySegment c = dw.hostSegment();
            long row = dy.offset() + (long) offsets[e] * dy.stride(0);
            Operand a = new Operand(dy.hostSegment(), dy.dtype(), row, dy.stride(1), dy.stride(0)); // dy[rows of e]ᵀ
            Operand b = rows(x, offsets[e]);
            weightProduct(n, k, m, a, b, c, co, k, dw.dtype() == DType.F64, accumulate); // m = 0: zeros (an unused expert), or untouched
        };
        Parallel.dynamic(counts.length, 1, (from, to) -> {
            for (int e = from; e < to; e++) if (counts[e] < BIG) body.run(e);
        });
        for (int e = 0; e < counts.length; e++) if (counts[e] >= BIG) body.run(e);
    }

    /**
     * C[m, n] = A·B on the kernel the shape wants, for one expert (nested parallel calls run on the calling core):
     * x·Wᵀ as dot tiles ({@link ExpertRowDots} for f32 W, whose 2×4 tiles read x half as often as the 4×2 tiles of
     * {@link RowDotTiles}: 110-120 vs 150-170 ms of CPU for 128 experts × 16 rows × [768, 1024], docs/BENCHMARKS.md),
     * a few rows times a row-major f32 B as broadcast tiles, else the blocked GEMM (GEMV up to 4 rows); C in f64 when
     * {@code f64}, else f32; C += A·B when {@code accumulate} (BLAS beta = 1).
     */
    static void product(int m, int n, int k, Operand a, Operand b, MemorySegment c, long co, long ldc, boolean f64, boolean accumulate) {
        boolean few = m > 4 && m < BIG && k > 0;
        if (f64) Gemm.dgemm(m, n, k, a, b, c, co, ldc, accumulate);
        else if (few && ExpertRowDots.supports(b, k)) ExpertRowDots.multiply(m, n, k, a, b, c, co, ldc, accumulate);
        else if (few && b.isWeightRows()) RowDotTiles.multiply(m, n, k, a, b, c, co, ldc, accumulate);
        else if (few && RowMajorTiles.supports(b)) RowMajorTiles.multiply(m, n, k, a, b, c, co, ldc, accumulate);
        else Gemm.sgemm(m, n, k, a, b, c, co, ldc, accumulate);
    }

    /**
     * One expert's weight gradient C[n, k] (+)= A·B with A = dyᵀ [n, rows] and B = x [rows, k]: rows below {@link #BIG}
     * take {@link ExpertWeightGrads}, which streams C along its rows, else {@link #product}.
     */
    static void weightProduct(int n, int k, int rows, Operand a, Operand b, MemorySegment c, long co, long ldc, boolean f64, boolean accumulate) {
        if (!f64 && rows > 0 && rows < BIG) ExpertWeightGrads.multiply(n, k, rows, a, b, c, co, ldc, accumulate);
        else product(n, k, rows, a, b, c, co, ldc, f64, accumulate);
    }

    /** One expert's product. */
    @FunctionalInterface
    interface Expert {
        void run(int e);
    }

    /** The experts of few rows spread across cores, one expert per core at a time; then the big ones one by one. */
    static void run(int[] counts, Expert body) {
        int active = 0;
        for (int cnt : counts) if (cnt > 0 && cnt < BIG) active++;
        int[] small = new int[active];
        for (int e = 0, i = 0; e < counts.length; e++) if (counts[e] > 0 && counts[e] < BIG) small[i++] = e;
        Parallel.dynamic(active, 1, (from, to) -> {
            for (int i = from; i < to; i++) body.run(small[i]);
        });
        for (int e = 0; e < counts.length; e++) if (counts[e] >= BIG) body.run(e);
    }

    static int[] offsets(int[] counts) {
        int[] off = new int[counts.length];
        for (int e = 1; e < counts.length; e++) off[e] = off[e - 1] + counts[e - 1];
        return off;
    }

    /** The block of rows of {@code t} [M, K] from row {@code first} as an operand. */
    static Operand rows(Tensor t, int first) {
        return new Operand(t.hostSegment(), t.dtype(), t.offset() + (long) first * t.stride(0), t.stride(0), t.stride(1));
    }
}
