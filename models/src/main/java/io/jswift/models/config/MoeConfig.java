package io.jswift.models.config;

import java.util.List;

/**
 * The Mixture-of-Experts MLP of a decoder's sparse layers (the others keep the dense {@link MlpConfig}): E
 * {@code numExperts} gated-MLP experts of {@code expertIntermediate}, each token sent to {@code topK} of them by a softmax
 * router whose top-k probabilities are renormalized to sum 1 when {@code normTopkProb} (Mixtral always; Qwen MoE per
 * {@code norm_topk_prob}). {@code sharedIntermediate} > 0: a shared expert every token takes, scaled by
 * sigmoid(shared_expert_gate(x)) (Qwen2-MoE); 0: none. {@code sparseLayers}: per layer, MoE or dense (Qwen's
 * decoder_sparse_step and mlp_only_layers).
 */
public record MoeConfig(int numExperts, int topK, int expertIntermediate, boolean normTopkProb, int sharedIntermediate,
                        List<Boolean> sparseLayers) {
    public MoeConfig {
        if (numExperts <= 0 || topK <= 0 || topK > numExperts) {
            throw new IllegalArgumentException("need num_experts > 0 and 0 < num_experts_per_tok <= num_experts, got " + numExperts + " and " + topK);
        }
        if (expertIntermediate <= 0) throw new IllegalArgumentException("the experts' intermediate size must be > 0, got " + expertIntermediate);
        if (sharedIntermediate < 0) throw new IllegalArgumentException("shared_expert_intermediate_size must be >= 0, got " + sharedIntermediate);
        sparseLayers = List.copyOf(sparseLayers);
    }

    public boolean sparse(int layer) { return sparseLayers.get(layer); }
}
