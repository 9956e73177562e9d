package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.HostAccess;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The MoE combine epilogue: every token's expert outputs, weighted by the router, summed back into the token's row.
 * Each token owns its output row and sums its grouped rows in grouped order, so the cores never write one row
 * together and the result is that of index_add (rows in index order) of the weighted rows into zeros: each weighted
 * row rounded as a product first (no fused multiply-add), then added. Dims: M grouped rows, N tokens, C hidden.
 */
final class WeightedRows {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private WeightedRows() {}

    /** out[n, :] = Σ_{m: tokens[m] = n, m ascending} weights[m] · y[m, :], for y [M, C] and out [N, C] (contiguous f32, zeroed). */
    static void sum(MemorySegment y, int c, int[] tokens, float[] weights, MemorySegment out, int n) {
        // the rows of each token, ascending: a counting sort of the grouped rows by token
        int[] first = new int[n + 1];
        for (int t : tokens) first[t + 1]++;
        for (int t = 0; t < n; t++) first[t + 1] += first[t];
        int[] next = first.clone(), rows = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) rows[next[tokens[i]]++] = i;
        int grain = Math.max(1, (1 << 14) / Math.max(1, c * Math.max(1, tokens.length / Math.max(1, n))));
        Parallel.range(n, grain, (from, to) -> {
            for (int t = from; t < to; t++) {
                for (int j = first[t]; j < first[t + 1]; j++) add(y, (long) rows[j] * c, weights[rows[j]], out, (long) t * c, c);
            }
        });
    }

    /** out[o..o+c) += w · y[s..s+c), the product rounded before the sum. */
    private static void add(MemorySegment y, long s, float w, MemorySegment out, long o, int c) {
        int i = 0;
        for (int bound = S.loopBound(c); i < bound; i += S.length()) {
            FloatVector v = FloatVector.fromMemorySegment(S, y, (s + i) * 4, NATIVE).mul(w);
            FloatVector.fromMemorySegment(S, out, (o + i) * 4, NATIVE).add(v).intoMemorySegment(out, (o + i) * 4, NATIVE);
        }
        for (; i < c; i++) {
            float v = y.getAtIndex(HostAccess.F32, s + i) * w;
            out.setAtIndex(HostAccess.F32, o + i, out.getAtIndex(HostAccess.F32, o + i) + v);
        }
    }
}
