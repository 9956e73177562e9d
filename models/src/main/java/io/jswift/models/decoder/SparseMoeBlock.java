package io.jswift.models.decoder;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.Grouped;
import io.jswift.autograd.ops.Reductions;
import io.jswift.autograd.ops.Views;
import io.jswift.models.config.DecoderConfig;
import io.jswift.models.config.MoeConfig;
import io.jswift.nn.GatedMlp;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.moe.GptOssExperts;
import io.jswift.nn.moe.MoeExperts;
import io.jswift.nn.moe.RoutedExperts;
import io.jswift.nn.moe.RouterRecord;
import io.jswift.nn.moe.Routing;
import io.jswift.nn.moe.TopKRouter;
import io.jswift.nn.Linear;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.UnaryOp;

/**
 * The sparse MLP of a MoE layer (HF MixtralSparseMoeBlock, Qwen2MoeSparseMoeBlock, Qwen3MoeSparseMoeBlock, Glm4MoeMoE, GptOssMLP):
 * {@code gate} routes each token to its top-k {@code experts}, whose outputs are summed weighted by the router, plus the
 * shared expert(s) every token takes — Qwen2-MoE's {@code shared_expert}(x) · sigmoid({@code shared_expert_gate}(x)),
 * GLM-4.5's and DeepSeek's {@code shared_experts}(x).
 *
 * <p>Routing as transformers 5 ({@link MoeConfig}): softmax routers take the top-k of softmax(logits) in f32, divided by
 * their sum when norm_topk_prob (DeepSeek-V2: within the best expert groups, never renormalized, times
 * routed_scaling_factor); sigmoid routers choose by sigmoid(logits) + e_score_correction_bias within the best
 * expert groups and weigh by the plain sigmoid scores, renormalized (+1e-20) and times routed_scaling_factor. Gradients
 * reach the router only through the chosen weights and the experts only through the rows routed to them; the choice is
 * a constant, as torch.topk's indices are. GPT-OSS (GptOssMLP): a biased {@code router}, softmax over the top-k logits, and
 * {@link GptOssExperts}. Dims: N tokens, C hidden, E experts, k top-k, M = N·k.
 */
final class SparseMoeBlock extends Module {
    private final TopKRouter gate;        // "gate", or GPT-OSS's "router"
    private final RoutedExperts experts;
    private final GatedMlp sharedExpert; // or null
    private final MoeConfig moe;

    SparseMoeBlock(DecoderConfig c, Generator gen) {
        moe = c.moe();
        boolean topKSoftmax = moe.scoring() == MoeConfig.Scoring.TOPK_SOFTMAX; // GptOssMLP: router (with bias) and experts
        gate = registerModule(topKSoftmax ? "router" : "gate", new TopKRouter(moe.numExperts(), c.hiddenSize(), moe.scoring() == MoeConfig.Scoring.SIGMOID,
                topKSoftmax, gen));
        experts = moe.expertMlp() == MoeConfig.ExpertMlp.GPT_OSS
                ? registerModule("experts", new GptOssExperts(moe.numExperts(), c.hiddenSize(), moe.expertIntermediate(), gen))
                : registerModule("experts", new MoeExperts(moe.numExperts(), c.hiddenSize(), moe.expertIntermediate(), c.mlp().activation(), gen));
        MoeConfig.SharedExpert shared = moe.shared();
        if (shared != null) {
            sharedExpert = registerModule(shared.name(), new GatedMlp(c.hiddenSize(), shared.intermediate(), shared.bias(), c.mlp().activation(), gen));
            if (shared.gated()) registerModule("shared_expert_gate", new Linear(c.hiddenSize(), 1, false, gen));
        } else {
            sharedExpert = null;
        }
    }

    /** x [..., C] → [..., C]; {@code record}: where a softmax router's output goes for the load-balancing loss, or null. */
    Variable forward(Variable x, RouterRecord record) {
        int[] shape = x.shape();
        int hidden = shape[shape.length - 1], tokens = Math.toIntExact(x.value().numel() / hidden), k = moe.topK();
        Variable flat = Views.reshape(x, tokens, hidden);
        Variable logits = gate.logits(flat); // [N, E]
        if (record == null && experts instanceof MoeExperts fused && fused.combines(flat) && !logits.requiresGrad() && logits.dtype() == DType.F32) {
            return inference(shape, flat, logits, fused, tokens);
        }
        Device device = x.value().device();
        Routed routed = moe.scoring() == MoeConfig.Scoring.TOPK_SOFTMAX ? topKSoftmax(logits, tokens, k, record, device)
                : routedScores(logits, tokens, k, record, device);
        return combine(shape, flat, routed, tokens, k, device);
    }

    /**
     * Inference (nothing needs a gradient, no load-balancing record): the routing on the host ({@link HostRouter}) and
     * the experts, their gather and their weighted sum in one backend call ({@link MoeExperts#combine}), the same
     * values as the differentiable path below without its per-layer index tensors and [M, C] intermediates.
     */
    private Variable inference(int[] shape, Variable flat, Variable logits, MoeExperts fused, int tokens) {
        double[] bias = moe.scoring() == MoeConfig.Scoring.SIGMOID ? gate.correctionBias().value().toDoubleArray() : null;
        HostRouter route = HostRouter.route(moe, logits.value().toFloatArray(), tokens, bias);
        Variable combined = fused.combine(flat, route.routing().counts(), route.rowTokens(), route.rowWeights());
        return Views.reshape(withShared(flat, combined), shape);
    }

    /** Where the tokens go, and the chosen experts' weights [N, k]. */
    private record Routed(Routing routing, Variable top) {}

    /**
     * GptOssTopKRouter: torch.topk of the (biased) logits, then softmax over those k values; for the load-balancing loss
     * load_balancing_loss_func takes softmax over all E logits and its top-k (the same experts).
     */
    private Routed topKSoftmax(Variable logits, int tokens, int k, RouterRecord record, Device device) {
        Routing routing = Routing.topK(logits.value().toDoubleArray(), tokens, moe.numExperts(), k);
        Variable chosen = Views.reshape(Views.indexSelect(Views.reshape(logits, tokens * moe.numExperts()), 0, routing.chosenFlat(device)), tokens, k);
        if (record != null) record.add(Fused.softmax(logits), routing);
        return new Routed(routing, Fused.softmax(chosen));
    }

    /** The softmax and sigmoid routers: the chosen experts' scores, renormalized and scaled as the config says. */
    private Routed routedScores(Variable logits, int tokens, int k, RouterRecord record, Device device) {
        Variable scores;
        Routing routing;
        if (moe.scoring() != MoeConfig.Scoring.SIGMOID) {
            scores = Fused.softmax(logits);
            routing = moe.scoring() == MoeConfig.Scoring.SOFTMAX ? Routing.topK(scores.value().toDoubleArray(), tokens, moe.numExperts(), k)
                    : Routing.groupLimitedTopK(scores.value().toDoubleArray(), tokens, moe.numExperts(), k, moe.nGroup(), moe.topkGroup(), Routing.GroupScore.MAX);
            if (record != null && moe.hasLoadBalancingLoss()) record.add(scores, routing);
        } else {
            scores = Elementwise.unary(UnaryOp.SIGMOID, logits);
            routing = Routing.groupLimitedTopK(corrected(scores.value().toDoubleArray(), tokens), tokens, moe.numExperts(), k, moe.nGroup(), moe.topkGroup());
        }
        Variable top = Views.reshape(Views.indexSelect(Views.reshape(scores, tokens * moe.numExperts()), 0, routing.chosenFlat(device)), tokens, k);
        if (moe.normTopkProb()) {
            Variable sum = Reductions.sum(top, new int[]{1}, true);
            top = Elementwise.div(top, moe.scoring() == MoeConfig.Scoring.SIGMOID ? Elementwise.addScalar(sum, 1e-20) : sum);
        }
        if (moe.routedScaling() != 1) top = Elementwise.scale(top, moe.routedScaling());
        return new Routed(routing, top);
    }

    /** The chosen experts' outputs on their rows, weighted by {@code top} [N, k] and summed per token, plus the shared expert. */
    private Variable combine(int[] shape, Variable flat, Routed routed, int tokens, int k, Device device) {
        Routing routing = routed.routing();
        Variable weights = Views.reshape(Views.indexSelect(Views.reshape(routed.top(), tokens * k), 0, routing.slotIndex(device)), tokens * k, 1);

        Tensor tokenIndex = routing.tokenIndex(device);
        Variable rows = Views.indexSelect(flat, 0, tokenIndex);                             // [M, C] grouped by expert
        Variable out = Elementwise.mul(experts.forward(rows, routing.counts()), weights);  // [M, C]
        Variable combined = Grouped.scatterRows(out, tokenIndex, tokens);                  // [N, C]
        return Views.reshape(withShared(flat, combined), shape);
    }

    /** The routed experts' sum [N, C] plus the shared expert's output, when there is one. */
    private Variable withShared(Variable flat, Variable combined) {
        if (sharedExpert == null) return combined;
        Variable shared = sharedExpert.forward(flat);
        if (moe.shared().gated()) {
            shared = Elementwise.mul(shared, Elementwise.unary(UnaryOp.SIGMOID, LinearLayer.child(this, "shared_expert_gate").forward(flat))); // [N, 1]
        }
        return Elementwise.add(combined, shared);
    }

    /** The choice scores: sigmoid scores [N, E] plus the correction bias [E] of each expert. */
    private double[] corrected(double[] scores, int tokens) {
        double[] bias = gate.correctionBias().value().toDoubleArray();
        int e = bias.length;
        for (int n = 0; n < tokens; n++) for (int j = 0; j < e; j++) scores[n * e + j] += bias[j];
        return scores;
    }
}
