package io.jswift.models.decoder;

import io.jswift.models.config.MoeConfig;
import io.jswift.nn.moe.Routing;

/**
 * The routing of {@link SparseMoeBlock} for inference, on the host: from the router logits [N, E] to the grouped
 * order and one weight per grouped row, in plain arithmetic on N·E numbers. It computes what the differentiable path
 * ({@code routedScores}) computes with tensor ops — softmax or sigmoid, the (group-limited)
 * top-k, the chosen scores picked by index, renormalized and scaled — but without the dozen small tensors and ops a
 * layer, which at decode (N = 1, a few experts' GEMVs) were a visible share of each token. Each score is computed in
 * double and rounded to float once, so it may differ from the f32 kernels' by an ulp.
 * Dims: N tokens, E experts, k slots per token, M = N·k grouped rows.
 *
 * @param routing    where each token goes (the grouped order)
 * @param rowTokens  [M] the token of each grouped row
 * @param rowWeights [M] the router weight of each grouped row
 */
record HostRouter(Routing routing, int[] rowTokens, float[] rowWeights) {
    /** {@code logits} [N·E] row-major; {@code correctionBias} [E] for sigmoid routers (else ignored, may be null). */
    static HostRouter route(MoeConfig moe, float[] logits, int tokens, double[] correctionBias) {
        int e = moe.numExperts(), k = moe.topK();
        double[] scores = new double[logits.length];
        Routing routing;
        switch (moe.scoring()) {
            case SOFTMAX, SOFTMAX_GROUP_MAX -> {
                for (int n = 0; n < tokens; n++) softmax(logits, n * e, e, scores);
                routing = moe.scoring() == MoeConfig.Scoring.SOFTMAX ? Routing.topK(scores, tokens, e, k)
                        : Routing.groupLimitedTopK(scores, tokens, e, k, moe.nGroup(), moe.topkGroup(), Routing.GroupScore.MAX);
            }
            case SIGMOID -> {
                double[] choice = new double[logits.length];
                for (int i = 0; i < logits.length; i++) {
                    scores[i] = (float) (1 / (1 + Math.exp(-(double) logits[i])));
                    choice[i] = scores[i] + correctionBias[i % e];
                }
                routing = Routing.groupLimitedTopK(choice, tokens, e, k, moe.nGroup(), moe.topkGroup());
            }
            // GPT-OSS's top-k softmax router feeds GptOssExperts, which have no combine call: its block keeps the tensor path
            default -> throw new IllegalStateException("no host routing for " + moe.scoring());
        }
        float[] top = chosen(moe, scores, routing);
        int m = tokens * k;
        int[] rowTokens = new int[m];
        float[] rowWeights = new float[m];
        for (int i = 0; i < m; i++) {
            rowTokens[i] = (int) routing.tokenOrder()[i];
            rowWeights[i] = top[(int) routing.slotOrder()[i]];
        }
        return new HostRouter(routing, rowTokens, rowWeights);
    }

    /** The weights of each token's k slots [N·k], token-major, as the config weighs the chosen scores. */
    private static float[] chosen(MoeConfig moe, double[] scores, Routing routing) {
        int e = moe.numExperts(), k = moe.topK();
        int[] experts = routing.experts();
        float[] top = new float[experts.length];
        for (int n = 0; n < routing.tokens(); n++) {
            int base = n * k;
            float sum = 0;
            for (int j = 0; j < k; j++) sum += top[base + j] = (float) scores[n * e + experts[base + j]];
            if (moe.normTopkProb()) {
                // the sigmoid routers' +1e-20 guards a zero sum (transformers' Glm4MoeTopkRouter / DeepseekV3TopkRouter)
                float denominator = moe.scoring() == MoeConfig.Scoring.SIGMOID ? sum + 1e-20f : sum;
                for (int j = 0; j < k; j++) top[base + j] /= denominator;
            }
            if (moe.routedScaling() != 1) for (int j = 0; j < k; j++) top[base + j] = (float) (top[base + j] * moe.routedScaling());
        }
        return top;
    }

    /** out[from..from+e) = softmax of logits[from..from+e), in double, each rounded to float. */
    private static void softmax(float[] logits, int from, int e, double[] out) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < e; j++) max = Math.max(max, logits[from + j]);
        for (int j = 0; j < e; j++) sum += out[from + j] = Math.exp(logits[from + j] - max);
        for (int j = 0; j < e; j++) out[from + j] = (float) (out[from + j] / sum);
    }
}
