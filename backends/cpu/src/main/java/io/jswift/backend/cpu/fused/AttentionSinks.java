package io.jswift.backend.cpu.fused;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;

import java.lang.foreign.MemorySegment;

/**
 * GPT-OSS's attention sinks on a finished f32 attention (AttentionSpec): each row's softmax gains the head's sink logit
 * as one more term with no value, so with lse the log-sum-exp over the keys, lse' = logaddexp(lse, sink_h) and the
 * output row is multiplied by exp(lse - lse') (0 stays 0 for a row that sees no key, whose lse' is sink_h). The
 * backward kernel reads lse' and so needs no change; the sinks' own gradient is FusedReference.attentionSinksBackward.
 * Dims: B batch, Hq heads, T queries, D head dim.
 */
final class AttentionSinks {
    private AttentionSinks() {}

    /** {@code r} (output [B, Hq, T, D] and lse [B, Hq, T], fresh contiguous f32 tensors of a kernel) with the spec's sinks. */
    static FusedResults.Attention apply(FusedResults.Attention r, AttentionSpec spec) {
        if (!spec.hasSinks()) return r;
        Tensor out = r.output(), lse = r.logSumExp();
        int hq = out.size(1), t = out.size(2), d = out.size(3);
        double[] sinks = spec.sinks().toDoubleArray();
        MemorySegment os = out.hostSegment(), ls = lse.hostSegment();
        long rows = lse.numel();
        for (long row = 0; row < rows; row++) {
            double l = Vec.get(ls, lse.offset() + row), sink = sinks[(int) ((row / t) % hq)];
            double m = Math.max(l, sink);
            double joined = m + Math.log(Math.exp(l - m) + Math.exp(sink - m));
            float factor = (float) Math.exp(l - joined);
            long base = out.offset() + row * d;
            for (int x = 0; x < d; x++) Vec.set(os, base + x, Vec.get(os, base + x) * factor);
            Vec.set(ls, lse.offset() + row, (float) joined);
        }
        return r;
    }
}
