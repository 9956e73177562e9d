package io.jswift.tensor.spi;

import io.jswift.tensor.Tensor;

/** Multi-tensor results of fused ops. Saved statistics are f32 (f64 for F64 inputs). */
public final class FusedResults {
    private FusedResults() {}

    /** RMSNorm output and 1/rms per row ([rows] = numel / last dim). */
    public record RmsNorm(Tensor output, Tensor rstd) {}

    /** LayerNorm output with per-row mean and 1/std. */
    public record LayerNorm(Tensor output, Tensor mean, Tensor rstd) {}

    /** Gradients of a normalization: input, weight (null when no weight), bias (null when none). */
    public record NormGrads(Tensor dInput, Tensor dWeight, Tensor dBias) {}

    /** Gradients of silu(gate) * up. */
    public record SiluMulGrads(Tensor dGate, Tensor dUp) {}

    /** Attention output [B, Hq, T, D] and the log-sum-exp of each score row [B, Hq, T] (f32). */
    public record Attention(Tensor output, Tensor logSumExp) {}

    /** Attention gradients; dk and dv are summed over the query heads that share a key/value head (GQA). */
    public record AttentionGrads(Tensor dq, Tensor dk, Tensor dv) {}

    /** Per-row cross-entropy loss [N] (0 where the target is ignored) and log-sum-exp of each row [N]. */
    public record CrossEntropy(Tensor losses, Tensor logSumExp) {}

    /** The experts' SwiGLU MLP on grouped rows: output [M, C] and the gate/up projection [M, 2I] its backward reads. */
    public record GroupedMlp(Tensor output, Tensor gateUp) {}

    /** Gradients of the experts' SwiGLU MLP: rows [M, C], gate_up_proj [E, 2I, C], down_proj [E, C, I]. */
    public record GroupedMlpGrads(Tensor dInput, Tensor dGateUp, Tensor dDown) {}
}
