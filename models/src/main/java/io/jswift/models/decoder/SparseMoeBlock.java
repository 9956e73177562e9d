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
import io.jswift.nn.moe.MoeExperts;
import io.jswift.nn.moe.RouterRecord;
import io.jswift.nn.moe.Routing;
import io.jswift.nn.moe.TopKRouter;
import io.jswift.nn.Linear;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.spi.UnaryOp;

/**
 * The sparse MLP of a MoE layer (HF MixtralSparseMoeBlock, Qwen2MoeSparseMoeBlock, Qwen3MoeSparseMoeBlock):
 * {@code gate} routes each token to its top-k {@code experts}, whose outputs are summed weighted by the router's
 * probabilities, plus (Qwen2-MoE) {@code shared_expert}(x) · sigmoid({@code shared_expert_gate}(x)).
 *
 * <p>Routing as transformers 5: probs = softmax(router logits) in f32, top-k of probs, divided by their sum when
 * norm_topk_prob (Mixtral always: its renormalized top-k equals a softmax over the top-k logits). Gradients reach the
 * router only through the chosen probabilities and the experts only through the rows routed to them; the choice itself
 * is a constant, as torch.topk's indices are. Dims: N tokens, C hidden, E experts, k top-k, M = N·k.
 */
final class SparseMoeBlock extends Module {
    private final TopKRouter gate;
    private final MoeExperts experts;
    private final GatedMlp sharedExpert; // or null
    private final MoeConfig moe;

    SparseMoeBlock(DecoderConfig c, Generator gen) {
        moe = c.moe();
        gate = registerModule("gate", new TopKRouter(moe.numExperts(), c.hiddenSize(), gen));
        experts = registerModule("experts", new MoeExperts(moe.numExperts(), c.hiddenSize(), moe.expertIntermediate(), c.mlp().activation(), gen));
        if (moe.sharedIntermediate() > 0) {
            sharedExpert = registerModule("shared_expert", new GatedMlp(c.hiddenSize(), moe.sharedIntermediate(), false, c.mlp().activation(), gen));
            registerModule("shared_expert_gate", new Linear(c.hiddenSize(), 1, false, gen));
        } else {
            sharedExpert = null;
        }
    }

    /** x [..., C] → [..., C]; {@code record}: where the router's output goes for the load-balancing loss, or null. */
    Variable forward(Variable x, RouterRecord record) {
        int[] shape = x.shape();
        int hidden = shape[shape.length - 1], tokens = Math.toIntExact(x.value().numel() / hidden), k = moe.topK();
        Variable flat = Views.reshape(x, tokens, hidden);
        Variable probs = Fused.softmax(gate.logits(flat)); // [N, E]
        Routing routing = Routing.topK(probs.value().toDoubleArray(), tokens, moe.numExperts(), k);
        if (record != null) record.add(probs, routing);
        Device device = x.value().device();

        Variable top = Views.reshape(Views.indexSelect(Views.reshape(probs, tokens * moe.numExperts()), 0, routing.chosenFlat(device)), tokens, k);
        if (moe.normTopkProb()) top = Elementwise.div(top, Reductions.sum(top, new int[]{1}, true));
        Variable weights = Views.reshape(Views.indexSelect(Views.reshape(top, tokens * k), 0, routing.slotIndex(device)), tokens * k, 1);

        var tokenIndex = routing.tokenIndex(device);
        Variable rows = Views.indexSelect(flat, 0, tokenIndex);                             // [M, C] grouped by expert
        Variable out = Elementwise.mul(experts.forward(rows, routing.counts()), weights);  // [M, C]
        Variable combined = Grouped.scatterRows(out, tokenIndex, tokens);                  // [N, C]
        if (sharedExpert != null) {
            Variable shareGate = Elementwise.unary(UnaryOp.SIGMOID, LinearLayer.child(this, "shared_expert_gate").forward(flat)); // [N, 1]
            combined = Elementwise.add(combined, Elementwise.mul(sharedExpert.forward(flat), shareGate));
        }
        return Views.reshape(combined, shape);
    }
}
