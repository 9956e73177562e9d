package io.jswift.nn.moe;

import io.jswift.autograd.Variable;

/** The routed experts of a MoE block: rows grouped by expert in, each row's (unweighted) expert output out. */
public interface RoutedExperts {
    /** rows [M, C] sorted by expert, {@code counts[e]} rows for expert e → [M, C]. */
    Variable forward(Variable rows, int[] counts);

    /**
     * Whether the fused weights are used as x·W[e], stored [E, in, out] (transformers' {@code is_transposed}, GPT-OSS),
     * rather than x·W[e]ᵀ from [E, out, in]; PEFT's LoRA on these parameters reads it to tell in from out.
     */
    default boolean transposedWeights() { return false; }
}
