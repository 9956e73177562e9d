package io.jswift.backend.opencl;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.FusedResults;

/** Fused row ops (norms, rope, silu*mul, softmax, cross-entropy) and the AdamW step; reference compositions for now. */
final class ClFused {
    private final ClContext ctx;
    private final Backend be;

    ClFused(ClContext ctx, Backend backend) {
        this.ctx = ctx;
        this.be = backend;
    }

    FusedResults.RmsNorm rmsNorm(Tensor x, Tensor w, double eps) { return FusedReference.rmsNorm(be, x, w, eps); }

    FusedResults.NormGrads rmsNormBackward(Tensor dy, Tensor x, Tensor w, Tensor rstd) { return FusedReference.rmsNormBackward(be, dy, x, w, rstd); }

    FusedResults.LayerNorm layerNorm(Tensor x, Tensor w, Tensor b, double eps) { return FusedReference.layerNorm(be, x, w, b, eps); }

    FusedResults.NormGrads layerNormBackward(Tensor dy, Tensor x, Tensor w, Tensor mean, Tensor rstd, boolean hasBias) {
        return FusedReference.layerNormBackward(be, dy, x, w, mean, rstd, hasBias);
    }

    Tensor rope(Tensor x, Tensor cos, Tensor sin) { return FusedReference.rope(be, x, cos, sin); }

    Tensor ropeBackward(Tensor dy, Tensor cos, Tensor sin) { return FusedReference.ropeBackward(be, dy, cos, sin); }

    Tensor siluMul(Tensor gate, Tensor up) { return FusedReference.siluMul(be, gate, up); }

    FusedResults.SiluMulGrads siluMulBackward(Tensor dy, Tensor gate, Tensor up) { return FusedReference.siluMulBackward(be, dy, gate, up); }

    Tensor softmax(Tensor x, boolean log) { return log ? FusedReference.logSoftmax(be, x) : FusedReference.softmax(be, x); }

    Tensor softmaxBackward(Tensor dy, Tensor y, boolean log) {
        return log ? FusedReference.logSoftmaxBackward(be, dy, y) : FusedReference.softmaxBackward(be, dy, y);
    }

    FusedResults.CrossEntropy crossEntropy(Tensor logits, Tensor targets, long ignoreIndex) {
        return FusedReference.crossEntropy(be, logits, targets, ignoreIndex);
    }

    Tensor crossEntropyBackward(Tensor dLosses, Tensor logits, Tensor targets, Tensor lse, long ignoreIndex) {
        return FusedReference.crossEntropyBackward(be, dLosses, logits, targets, lse, ignoreIndex);
    }

    void adamwStep(Tensor p, Tensor g, Tensor m, Tensor v, AdamWConfig config, long step) { FusedReference.adamwStep(be, p, g, m, v, config, step); }
}
