package io.jswift.backend.opencl;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.FusedResults;

/** Scaled-dot-product attention; the reference composition for now. */
final class ClAttention {
    private final ClContext ctx;
    private final Backend be;

    ClAttention(ClContext ctx, Backend backend) {
        this.ctx = ctx;
        this.be = backend;
    }

    FusedResults.Attention forward(Tensor q, Tensor k, Tensor v, AttentionSpec spec) { return FusedReference.attention(be, q, k, v, spec); }

    FusedResults.AttentionGrads backward(Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, AttentionSpec spec) {
        return FusedReference.attentionBackward(be, dOut, q, k, v, out, lse, spec);
    }
}
