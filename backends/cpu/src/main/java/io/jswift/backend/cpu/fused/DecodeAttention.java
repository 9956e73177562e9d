package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Attention of a single query per head (token-by-token decoding) against keys and values read in place from
 * the KV cache: scores K·q, a softmax, and Σ p·V per head, in plain vector loops. The tiled kernel of
 * {@link AttentionKernels} pads the query block to {@link AttentionBlocks#BQ} rows and packs K and V first,
 * 64 times the arithmetic for one query plus a copy of the cache per layer and token. A single query at the
 * last position sees every key, causal or not; segment masks take the tiled kernel.
 */
final class DecodeAttention {
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private DecodeAttention() {}

    /** q [B, Hq, 1, D] contiguous; k, v [B, Hkv, S, D] with contiguous rows per head ({@link Contig#headRows}). */
    static FusedResults.Attention forward(Tensor q, Tensor k, Tensor v, float scale) {
        int b = q.size(0), hq = q.size(1), d = q.size(3), hkv = k.size(1), s = k.size(2), group = hq / hkv;
        Tensor out = Tensor.zeros(DType.F32, b, hq, 1, d), lse = Tensor.zeros(DType.F32, b, hq, 1);
        MemorySegment qs = q.hostSegment(), ks = k.hostSegment(), vs = v.hostSegment(), os = out.hostSegment(), ls = lse.hostSegment();
        var species = FloatVector.SPECIES_PREFERRED;
        int full = d - d % species.length();
        Parallel.range(b * hq, 1, (from, to) -> {
            float[] scores = new float[s], acc = new float[d];
            for (int bh = from; bh < to; bh++) {
                int batch = bh / hq, kvHead = (bh % hq) / group;
                long qOff = q.offset() + (long) bh * d, kOff = Contig.headOffset(k, batch, kvHead), vOff = Contig.headOffset(v, batch, kvHead);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    long row = kOff + (long) j * d;
                    FloatVector sum = FloatVector.zero(species);
                    int x = 0;
                    for (; x < full; x += species.length()) {
                        sum = FloatVector.fromMemorySegment(species, qs, (qOff + x) * 4, NATIVE)
                                .fma(FloatVector.fromMemorySegment(species, ks, (row + x) * 4, NATIVE), sum);
                    }
                    float dot = sum.reduceLanes(VectorOperators.ADD);
                    for (; x < d; x++) dot += qs.getAtIndex(HostAccess.F32, qOff + x) * ks.getAtIndex(HostAccess.F32, row + x);
                    scores[j] = dot * scale;
                    max = Math.max(max, scores[j]);
                }
                java.util.Arrays.fill(acc, 0);
                float total = 0;
                for (int j = 0; j < s; j++) {
                    float p = (float) Math.exp(scores[j] - max);
                    total += p;
                    long row = vOff + (long) j * d;
                    int x = 0;
                    FloatVector pv = FloatVector.broadcast(species, p);
                    for (; x < full; x += species.length()) {
                        FloatVector.fromMemorySegment(species, vs, (row + x) * 4, NATIVE)
                                .fma(pv, FloatVector.fromArray(species, acc, x)).intoArray(acc, x);
                    }
                    for (; x < d; x++) acc[x] += p * vs.getAtIndex(HostAccess.F32, row + x);
                }
                long oOff = (long) bh * d;
                if (s == 0) { // no key: output 0, lse -inf (as the tiled kernel)
                    ls.setAtIndex(HostAccess.F32, bh, Float.NEGATIVE_INFINITY);
                    continue;
                }
                for (int x = 0; x < d; x++) os.setAtIndex(HostAccess.F32, oOff + x, acc[x] / total);
                ls.setAtIndex(HostAccess.F32, bh, (float) (Math.log(total) + max));
            }
        });
        return new FusedResults.Attention(out, lse);
    }
}
