package io.jswift.nn.moe;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Reductions;
import io.jswift.tensor.Tensor;

import java.util.List;

/**
 * transformers' {@code load_balancing_loss_func} (Switch Transformer eqs. 4-6) over every sparse layer's router:
 * E · Σ_e f_e · P_e, with f_e the share of top-k assignments that went to expert e and P_e the mean router probability
 * of e, both over all layers' rows, padding excluded when a token mask is given (attention_mask). The assignment counts
 * are constants (torch's one_hot / bincount carry no gradient), so d/dprobs[n, e] = E · mask_n · f_e / rows: one
 * weighted sum per layer. Dims: N tokens, E experts.
 */
public final class LoadBalancingLoss {
    private LoadBalancingLoss() {}

    /** {@code tokenMask} [N] 1 for real tokens, 0 for padding, or null: every row counts. */
    public static Variable apply(List<RouterRecord.Layer> layers, double[] tokenMask) {
        if (layers.isEmpty()) throw new IllegalArgumentException("the load-balancing loss needs at least one MoE layer's router output");
        int experts = layers.get(0).routing().numExperts(), n = layers.get(0).routing().tokens();
        if (tokenMask != null && tokenMask.length != n) throw new IllegalArgumentException("token mask has " + tokenMask.length + " entries for " + n + " tokens");
        double[] assigned = new double[experts];
        double rows = 0;
        for (RouterRecord.Layer l : layers) {
            Routing r = l.routing();
            for (int s = 0; s < r.experts().length; s++) assigned[r.experts()[s]] += tokenMask == null ? 1 : tokenMask[s / r.topK()];
            rows += tokenMask == null ? n : sum(tokenMask);
        }
        // weight[n, e] = E · mask_n · (assigned_e / rows) / rows
        double[] weight = new double[n * experts];
        for (int t = 0; t < n; t++) {
            double m = tokenMask == null ? 1 : tokenMask[t];
            for (int e = 0; e < experts; e++) weight[t * experts + e] = experts * m * assigned[e] / rows / rows;
        }
        Variable total = null;
        for (RouterRecord.Layer l : layers) {
            Tensor w = Tensor.of(weight, n, experts).to(l.probs().value().dtype()).to(l.probs().value().device());
            Variable term = Reductions.sum(Elementwise.mul(l.probs(), Variable.constant(w)));
            total = total == null ? term : Elementwise.add(total, term);
        }
        return total;
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s;
    }
}
