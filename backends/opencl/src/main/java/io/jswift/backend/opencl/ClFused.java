package io.jswift.backend.opencl;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;

/**
 * Fused row ops (norms, rope, silu·mul, softmax, cross-entropy) and the AdamW step as OpenCL kernels, one class
 * and kernel file per family. The kernels only need copies and fills of the core, not the other op families.
 */
final class ClFused {
    private final ClNorms norms;
    private final ClRope rope;
    private final ClSiluMul siluMul;
    private final ClSoftmax softmax;
    private final ClCrossEntropy crossEntropy;
    private final ClAdamW adamw;

    /** {@code backend} is not needed: every op here runs its own kernels. */
    ClFused(ClContext ctx, Backend backend) {
        this.norms = new ClNorms(ctx);
        this.rope = new ClRope(ctx);
        this.siluMul = new ClSiluMul(ctx);
        this.softmax = new ClSoftmax(ctx);
        this.crossEntropy = new ClCrossEntropy(ctx);
        this.adamw = new ClAdamW(ctx);
    }

    FusedResults.RmsNorm rmsNorm(Tensor x, Tensor w, double eps) { return norms.rmsNorm(x, w, eps); }

    FusedResults.NormGrads rmsNormBackward(Tensor dy, Tensor x, Tensor w, Tensor rstd) { return norms.rmsNormBackward(dy, x, w, rstd); }

    FusedResults.LayerNorm layerNorm(Tensor x, Tensor w, Tensor b, double eps) { return norms.layerNorm(x, w, b, eps); }

    FusedResults.NormGrads layerNormBackward(Tensor dy, Tensor x, Tensor w, Tensor mean, Tensor rstd, boolean hasBias) {
        return norms.layerNormBackward(dy, x, w, mean, rstd, hasBias);
    }

    Tensor rope(Tensor x, Tensor cos, Tensor sin) { return rope.apply(x, cos, sin, false); }

    Tensor ropeBackward(Tensor dy, Tensor cos, Tensor sin) { return rope.apply(dy, cos, sin, true); }

    Tensor siluMul(Tensor gate, Tensor up) { return siluMul.forward(gate, up); }

    FusedResults.SiluMulGrads siluMulBackward(Tensor dy, Tensor gate, Tensor up) { return siluMul.backward(dy, gate, up); }

    Tensor softmax(Tensor x, boolean log) { return softmax.forward(x, log); }

    Tensor softmaxBackward(Tensor dy, Tensor y, boolean log) { return softmax.backward(dy, y, log); }

    FusedResults.CrossEntropy crossEntropy(Tensor logits, Tensor targets, long ignoreIndex) {
        return crossEntropy.forward(logits, targets, ignoreIndex);
    }

    Tensor crossEntropyBackward(Tensor dLosses, Tensor logits, Tensor targets, Tensor lse, long ignoreIndex) {
        return crossEntropy.backward(dLosses, logits, targets, lse, ignoreIndex);
    }

    void adamwStep(Tensor p, Tensor g, Tensor m, Tensor v, AdamWConfig config, long step) { adamw.step(p, g, m, v, config, step); }
}
