package io.jswift.tensor.spi;

import io.jswift.tensor.Tensor;

/**
 * The fused ops of {@link Backend} composed from its primitives: the reference every fused kernel is
 * tested against, and the fallback for a backend without the kernel (mlx's fast.cpp fallbacks).
 */
public final class FusedReference {
    private FusedReference() {}

    static FusedResults.RmsNorm rmsNorm(Backend b, Tensor x, Tensor weight, double eps) { throw pending(); }
    static FusedResults.NormGrads rmsNormBackward(Backend b, Tensor dy, Tensor x, Tensor weight, Tensor rstd) { throw pending(); }
    static FusedResults.LayerNorm layerNorm(Backend b, Tensor x, Tensor weight, Tensor bias, double eps) { throw pending(); }
    static FusedResults.NormGrads layerNormBackward(Backend b, Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) { throw pending(); }
    static Tensor rope(Backend b, Tensor x, Tensor cos, Tensor sin) { throw pending(); }
    static Tensor ropeBackward(Backend b, Tensor dy, Tensor cos, Tensor sin) { throw pending(); }
    static Tensor siluMul(Backend b, Tensor gate, Tensor up) { throw pending(); }
    static FusedResults.SiluMulGrads siluMulBackward(Backend b, Tensor dy, Tensor gate, Tensor up) { throw pending(); }
    static Tensor softmax(Backend b, Tensor x) { throw pending(); }
    static Tensor softmaxBackward(Backend b, Tensor dy, Tensor y) { throw pending(); }
    static Tensor logSoftmax(Backend b, Tensor x) { throw pending(); }
    static Tensor logSoftmaxBackward(Backend b, Tensor dy, Tensor y) { throw pending(); }
    static FusedResults.Attention attention(Backend b, Tensor q, Tensor k, Tensor v, AttentionSpec spec) { throw pending(); }
    static FusedResults.AttentionGrads attentionBackward(Backend b, Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, AttentionSpec spec) { throw pending(); }
    static FusedResults.CrossEntropy crossEntropy(Backend b, Tensor logits, Tensor targets, long ignoreIndex) { throw pending(); }
    static Tensor crossEntropyBackward(Backend b, Tensor dLosses, Tensor logits, Tensor targets, Tensor lse, long ignoreIndex) { throw pending(); }
    static void adamwStep(Backend b, Tensor p, Tensor g, Tensor m, Tensor v, AdamWConfig c, long step) { throw pending(); }

    // Placeholder for the skeleton commit only: the fused-ops work replaces every body above.
    private static UnsupportedOperationException pending() {
        return new UnsupportedOperationException("reference composition not written yet");
    }
}
