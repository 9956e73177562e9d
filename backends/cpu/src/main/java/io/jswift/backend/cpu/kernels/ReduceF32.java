package io.jswift.backend.cpu.kernels;

import io.jswift.backend.cpu.VecMath;
import io.jswift.tensor.ReduceLayout;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.ElementOrder;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.spi.ReduceOp;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * SIMD reductions of contiguous f32 data. Sums are compensated (Kahan) in f32 lanes and combined in
 * double, so a long sum stays within a few f32 roundings of the exact value at memory speed. Work is
 * cut at fixed element counts, never by thread count, so a result does not depend on how many cores
 * ran it.
 */
final class ReduceF32 {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Same bit size as F: a float vector widens into parts 0 and 1 of these. */
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Elements per task of a long row: a full-tensor sum splits into pieces the cores share. */
    private static final int CHUNK = 1 << 16;
    /** Columns per task of an outer sum (its sums and compensations, 4 KiB, stay in L1). */
    private static final int COLS = 512;
    private static final int GRAIN = 1 << 15;

    private ReduceF32() {}

    /**
     * Each of the {@code outN} outputs reduces a contiguous row of {@code n} elements starting at the
     * kept dims' offset. Rows longer than {@link #CHUNK} are split into chunks reduced in parallel and
     * combined in chunk order.
     */
    static void inner(ReduceOp op, MemorySegment xs, long base, int[] keptShape, long[] keptStrides, int n, MemorySegment os, int outN) {
        int chunks = (n + CHUNK - 1) / CHUNK;
        int grain = Math.max(1, GRAIN / Math.min(n, CHUNK));
        if (chunks == 1) { // rows fit one chunk: one task per output, written directly
            Parallel.range(outN, grain, (from, to) -> {
                for (int o = from; o < to; o++) {
                    double r = chunk(op, xs, ElementOrder.offsetOf(keptShape, keptStrides, base, o), n);
                    os.setAtIndex(HostAccess.F32, o, (float) (op == ReduceOp.MEAN ? r / n : r));
                }
            });
            return;
        }
        double[] partial = new double[Math.multiplyExact(outN, chunks)];
        Parallel.range(partial.length, grain, (from, to) -> {
            for (int t = from; t < to; t++) {
                int o = t / chunks, lo = (t % chunks) * CHUNK;
                long row = ElementOrder.offsetOf(keptShape, keptStrides, base, o);
                partial[t] = chunk(op, xs, row + lo, Math.min(CHUNK, n - lo));
            }
        });
        for (int o = 0; o < outN; o++) {
            double r = partial[o * chunks];
            for (int c = 1; c < chunks; c++) r = combine(op, r, partial[o * chunks + c]);
            os.setAtIndex(HostAccess.F32, o, (float) (op == ReduceOp.MEAN ? r / n : r));
        }
    }

    private static double combine(ReduceOp op, double a, double b) {
        return switch (op) {
            case SUM, MEAN -> a + b;
            case MAX -> a != a || b != b ? Double.NaN : Math.max(a, b);
            case MIN -> a != a || b != b ? Double.NaN : Math.min(a, b);
        };
    }

    /** SUM (also for MEAN), MAX or MIN of n contiguous floats; NaN if any element is NaN. */
    private static double chunk(ReduceOp op, MemorySegment xs, long off, int n) {
        int i = 0, bound = F.loopBound(n);
        if (op == ReduceOp.SUM || op == ReduceOp.MEAN) {
            // Blocks of 8 vectors are summed as a tree (error ~3 roundings, independent loads), then
            // Kahan-added per lane, so the running total adds no error of its own: what remains is the blocks'
            // independent roundings, a random walk ~sqrt(n / block)·u·|block| far below f32's n·u·Σ|x|; the
            // compensation's dependency chain is paid once per block, not per vector.
            int len = F.length(), bound8 = n - n % (8 * len);
            FloatVector acc = FloatVector.zero(F), comp = acc;
            for (; i < bound8; i += 8 * len) {
                FloatVector b = load(xs, off + i).add(load(xs, off + i + len))
                        .add(load(xs, off + i + 2 * len).add(load(xs, off + i + 3 * len)))
                        .add(load(xs, off + i + 4 * len).add(load(xs, off + i + 5 * len))
                                .add(load(xs, off + i + 6 * len).add(load(xs, off + i + 7 * len))));
                FloatVector y = b.sub(comp), t = acc.add(y);
                comp = t.sub(acc).sub(y);
                acc = t;
            }
            for (; i < bound; i += len) {
                FloatVector y = load(xs, off + i).sub(comp), t = acc.add(y);
                comp = t.sub(acc).sub(y);
                acc = t;
            }
            double total = lanesInDouble(acc, comp);
            for (; i < n; i++) total += xs.getAtIndex(HostAccess.F32, off + i);
            if (Double.isNaN(total)) {
                // an infinity makes the compensation inf - inf = NaN; a plain sum gives torch's answer (inf, or NaN
                // when the row holds a NaN or both infinities)
                total = 0;
                for (int j = 0; j < n; j++) total += xs.getAtIndex(HostAccess.F32, off + j);
            }
            return total;
        }
        boolean max = op == ReduceOp.MAX;
        float best = max ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        boolean nan = false;
        FloatVector acc = FloatVector.broadcast(F, best);
        for (; i < bound; i += F.length()) {
            FloatVector v = load(xs, off + i);
            if (v.test(VectorOperators.IS_NAN).anyTrue()) nan = true;
            acc = max ? acc.max(v) : acc.min(v);
        }
        best = max ? VecMath.max(acc) : VecMath.min(acc);
        for (; i < n; i++) {
            float v = xs.getAtIndex(HostAccess.F32, off + i);
            if (v != v) nan = true;
            best = max ? Math.max(best, v) : Math.min(best, v);
        }
        return nan ? Double.NaN : best;
    }

    /**
     * SUM or MEAN where the innermost kept dim (k = its size) has stride 1: output row o adds up the
     * contiguous input rows at every reduced position. Tasks are (output row, block of {@link #COLS}
     * columns); each streams its rows once, adding whole vectors.
     */
    static void outerSum(boolean mean, MemorySegment xs, long base, ReduceLayout layout, int count, MemorySegment os, int outN) {
        int[] kept = layout.keptShape();
        int k = kept[kept.length - 1];
        int[] outerShape = Arrays.copyOf(kept, kept.length - 1);
        long[] outerStrides = Arrays.copyOf(layout.keptStrides(), kept.length - 1);
        int[] redShape = layout.redShape();
        long[] redStrides = layout.redStrides();
        int colBlocks = (k + COLS - 1) / COLS;
        int tasks = Math.multiplyExact(outN / k, colBlocks);
        int grain = (int) Math.max(1, GRAIN / ((long) count * Math.min(k, COLS)));
        Parallel.range(tasks, grain, (from, to) -> {
            float[] sum = new float[COLS], comp = new float[COLS];
            for (int t = from; t < to; t++) {
                int o = t / colBlocks, c0 = (t % colBlocks) * COLS, w = Math.min(COLS, k - c0);
                long rowBase = ElementOrder.offsetOf(outerShape, outerStrides, base, o) + c0;
                Arrays.fill(sum, 0);
                Arrays.fill(comp, 0);
                for (int q = 0; q < count; q++) addRow(xs, ElementOrder.offsetOf(redShape, redStrides, rowBase, q), sum, comp, w);
                long out = (long) o * k + c0;
                for (int j = 0; j < w; j++) {
                    double total = (double) sum[j] - comp[j];
                    // an infinity makes the compensation inf - inf = NaN: recount plainly, as sum() does for a row
                    if (Double.isNaN(total)) total = plainColumn(xs, redShape, redStrides, rowBase + j, count);
                    os.setAtIndex(HostAccess.F32, out + j, (float) (mean ? total / count : total));
                }
            }
        });
    }

    /** The uncompensated sum of one column: torch's answer (inf, or NaN with a NaN or both infinities). */
    private static double plainColumn(MemorySegment xs, int[] redShape, long[] redStrides, long column, int count) {
        double total = 0;
        for (int q = 0; q < count; q++) total += xs.getAtIndex(HostAccess.F32, ElementOrder.offsetOf(redShape, redStrides, column, q));
        return total;
    }

    private static FloatVector load(MemorySegment xs, long element) {
        return FloatVector.fromMemorySegment(F, xs, element * 4, NATIVE);
    }

    /**
     * The sum of a Kahan accumulator's lanes, each corrected by its compensation, in double. Widening
     * through double vectors instead of an array costs ~10% less on short in-cache rows.
     */
    private static double lanesInDouble(FloatVector acc, FloatVector comp) {
        DoubleVector a0 = (DoubleVector) acc.convertShape(VectorOperators.F2D, D, 0), a1 = (DoubleVector) acc.convertShape(VectorOperators.F2D, D, 1);
        DoubleVector c0 = (DoubleVector) comp.convertShape(VectorOperators.F2D, D, 0), c1 = (DoubleVector) comp.convertShape(VectorOperators.F2D, D, 1);
        return VecMath.sum(a0.sub(c0).add(a1.sub(c1)));
    }

    /** Kahan-adds the w floats at element offset {@code off} into sum[0, w) (compensations in comp). */
    private static void addRow(MemorySegment xs, long off, float[] sum, float[] comp, int w) {
        int j = 0, bound = F.loopBound(w);
        for (; j < bound; j += F.length()) {
            FloatVector s = FloatVector.fromArray(F, sum, j);
            FloatVector y = load(xs, off + j).sub(FloatVector.fromArray(F, comp, j));
            FloatVector t = s.add(y);
            t.sub(s).sub(y).intoArray(comp, j);
            t.intoArray(sum, j);
        }
        for (; j < w; j++) {
            float y = xs.getAtIndex(HostAccess.F32, off + j) - comp[j];
            float t = sum[j] + y;
            comp[j] = (t - sum[j]) - y;
            sum[j] = t;
        }
    }
}
