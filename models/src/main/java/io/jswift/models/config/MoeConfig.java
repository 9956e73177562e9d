package io.jswift.models.config;

import java.util.List;

/**
 * The Mixture-of-Experts MLP of a decoder's sparse layers (the others keep the dense {@link MlpConfig}): E
 * {@code numExperts} gated-MLP experts of {@code expertIntermediate}, each token sent to {@code topK} of them.
 *
 * <p>{@link Scoring#SOFTMAX} (Mixtral, Qwen MoE): the top-k of softmax(router logits), renormalized to sum 1 when
 * {@code normTopkProb} (Mixtral always; Qwen per {@code norm_topk_prob}). {@link Scoring#SIGMOID} (GLM-4.5, DeepSeek-V3's
 * "noaux_tc"): scores = sigmoid(logits); the choice adds the router's {@code e_score_correction_bias} and keeps only
 * the {@code topkGroup} best of {@code nGroup} expert groups (a group's score: the sum of its two best), while the weights
 * are the plain scores of the chosen experts, divided by their sum (+1e-20) when normTopkProb, times
 * {@code routedScaling} (routed_scaling_factor). {@link Scoring#SOFTMAX_GROUP_MAX} (DeepSeek-V2): softmax scores, the
 * choice limited to the {@code topkGroup} best of {@code nGroup} groups when nGroup > 1 (a group's score: its best
 * expert; topk_method "group_limited_greedy", "greedy" is one group), weights the chosen scores × routedScaling, never
 * renormalized; transformers computes no load-balancing loss for it.
 *
 * <p>{@link Scoring#TOPK_SOFTMAX} (GPT-OSS's GptOssTopKRouter): the router has a bias; the top-k of the raw logits are
 * chosen and their weights are softmax over those k logits alone (so they sum to 1; never renormalized again).
 * {@code expertMlp}: what each expert computes ({@link ExpertMlp}).
 *
 * <p>{@code shared}: experts every token takes (null: none). {@code sparseLayers}: per layer, MoE or dense (Qwen's
 * decoder_sparse_step and mlp_only_layers, GLM's first_k_dense_replace).
 */
public record MoeConfig(int numExperts, int topK, int expertIntermediate, boolean normTopkProb, Scoring scoring, int nGroup, int topkGroup,
                        double routedScaling, SharedExpert shared, List<Boolean> sparseLayers, ExpertMlp expertMlp) {
    public enum Scoring { SOFTMAX, SOFTMAX_GROUP_MAX, SIGMOID, TOPK_SOFTMAX }

    /**
     * {@link #GATED}: down(act(gate(x)) · up(x)) with the config's activation, no biases, stored [E, 2I, C] gate rows
     * first (transformers 5's MixtralExperts and its kin). {@link #GPT_OSS}: GptOssExperts — biased projections stored
     * for x·W ([E, C, 2I] with gate and up in interleaved columns, [E, I, C]) and the clamped SwiGLU
     * (up + 1) · g · sigmoid(1.702 · g), g = min(gate, 7), up clamped to [-7, 7].
     */
    public enum ExpertMlp { GATED, GPT_OSS }

    /**
     * The shared expert(s) of a MoE layer as one gated MLP of {@code intermediate} under the state-dict name {@code name}
     * ({@code shared_expert} in Qwen2-MoE, {@code shared_experts} in GLM-4.5); {@code gated}: its output is scaled by
     * sigmoid(shared_expert_gate(x)) (Qwen2-MoE); {@code bias}: its projections have biases (DeepSeek-V2's mlp_bias).
     */
    public record SharedExpert(String name, int intermediate, boolean gated, boolean bias) {
        public SharedExpert {
            if (intermediate <= 0) throw new IllegalArgumentException("the shared expert's intermediate size must be > 0, got " + intermediate);
        }

        /** Without biases. */
        public SharedExpert(String name, int intermediate, boolean gated) { this(name, intermediate, gated, false); }
    }

    public MoeConfig {
        if (numExperts <= 0 || topK <= 0 || topK > numExperts) {
            throw new IllegalArgumentException("need num_experts > 0 and 0 < num_experts_per_tok <= num_experts, got " + numExperts + " and " + topK);
        }
        if (expertIntermediate <= 0) throw new IllegalArgumentException("the experts' intermediate size must be > 0, got " + expertIntermediate);
        if (nGroup <= 0 || numExperts % nGroup != 0 || topkGroup <= 0 || topkGroup > nGroup) {
            throw new IllegalArgumentException("n_group must divide the " + numExperts + " experts and 0 < topk_group <= n_group, got n_group "
                    + nGroup + ", topk_group " + topkGroup);
        }
        if (scoring == Scoring.SIGMOID && nGroup > 1 && numExperts / nGroup < 2) throw new IllegalArgumentException("each of the n_group groups needs >= 2 experts (a group scores by its best two)");
        if (topK > topkGroup * (numExperts / nGroup)) {
            throw new IllegalArgumentException("num_experts_per_tok " + topK + " exceeds the experts of the topk_group best groups");
        }
        if (scoring == Scoring.SOFTMAX_GROUP_MAX && normTopkProb) throw new IllegalArgumentException("DeepSeek-V2's softmax routing never renormalizes");
        if (!(routedScaling > 0)) throw new IllegalArgumentException("routed_scaling_factor must be > 0, got " + routedScaling);
        sparseLayers = List.copyOf(sparseLayers);
        if (scoring == Scoring.TOPK_SOFTMAX && (normTopkProb || nGroup != 1 || routedScaling != 1)) {
            throw new IllegalArgumentException("GPT-OSS's top-k softmax router neither renormalizes, groups nor scales");
        }
    }

    /** Gated-MLP experts. */
    public MoeConfig(int numExperts, int topK, int expertIntermediate, boolean normTopkProb, Scoring scoring, int nGroup, int topkGroup,
                     double routedScaling, SharedExpert shared, List<Boolean> sparseLayers) {
        this(numExperts, topK, expertIntermediate, normTopkProb, scoring, nGroup, topkGroup, routedScaling, shared, sparseLayers, ExpertMlp.GATED);
    }

    /** A softmax router, ungrouped and unscaled, with no shared expert unless given: Mixtral and Qwen MoE. */
    public static MoeConfig softmax(int numExperts, int topK, int expertIntermediate, boolean normTopkProb, SharedExpert shared, List<Boolean> sparseLayers) {
        return new MoeConfig(numExperts, topK, expertIntermediate, normTopkProb, Scoring.SOFTMAX, 1, 1, 1, shared, sparseLayers);
    }

    public boolean sparse(int layer) { return sparseLayers.get(layer); }

    /**
     * Whether transformers computes the router load-balancing loss for this router (load_balancing_loss_func on Mixtral's,
     * Qwen's and GPT-OSS's routers — GPT-OSS's from softmax over all E biased logits; the GLM-4.5 / DeepSeek-V3 sigmoid
     * routers balance through the correction bias instead, and neither their causal LMs nor DeepSeek-V2's compute an
     * auxiliary loss).
     */
    public boolean hasLoadBalancingLoss() { return scoring == Scoring.SOFTMAX || scoring == Scoring.TOPK_SOFTMAX; }
}
