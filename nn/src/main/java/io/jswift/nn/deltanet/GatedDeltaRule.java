package io.jswift.nn.deltanet;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Reductions;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.UnaryOp;

import java.util.ArrayList;
import java.util.List;

/**
 * The gated delta rule of Gated DeltaNet (transformers' torch_recurrent_gated_delta_rule with use_qk_l2norm_in_kernel),
 * composed of differentiable ops so that its backward is autograd's. Per head, with q and k L2-normalized (eps 1e-6
 * inside the root, as FLA) and q scaled by Dk^-1/2, the state S [Dk, Dv] evolves token by token:
 * <pre>
 *   S ← exp(g_t) · S                  (decay; g ≤ 0)
 *   S ← S + k_t (β_t (v_t − S^T k_t))^T  (delta rule: write the part of v_t that S does not already predict)
 *   o_t = S^T q_t
 * </pre>
 * transformers' chunked form (torch_chunk_gated_delta_rule, chunks of 64) computes the same outputs with matmuls over
 * chunks; this token loop is exactly the recurrence both implement. Dims: B batch, T tokens, H heads (value heads; q and
 * k already repeated to them), Dk key dim, Dv value dim.
 */
public final class GatedDeltaRule {
    private GatedDeltaRule() {}

    /** The outputs [B, T, H, Dv] and the state after the last token [B, H, Dk, Dv]. */
    public record Result(Variable output, Variable state) {}

    /**
     * q, k [B, T, H, Dk], v [B, T, H, Dv], g (log decay) and beta [B, T, H]; {@code initialState} [B, H, Dk, Dv] or null
     * (zeros); {@code keep} [B, T] (1: continue the previous token's state, 0: start from zero, i.e. a new packed sample
     * or the first token after left padding) or null (always continue).
     */
    public static Result apply(Variable q, Variable k, Variable v, Variable g, Variable beta, Tensor initialState, Tensor keep) {
        int b = v.size(0), t = v.size(1), h = v.size(2), dk = k.size(3);
        Variable query = Views.transpose(Elementwise.scale(l2norm(q), 1 / Math.sqrt(dk)), 1, 2); // [B, H, T, Dk]
        Variable key = Views.transpose(l2norm(k), 1, 2);
        Variable value = Views.transpose(v, 1, 2);                                              // [B, H, T, Dv]
        Variable decay = Elementwise.unary(UnaryOp.EXP, g);                                     // [B, T, H]
        if (keep != null) decay = Elementwise.mul(decay, Variable.constant(keep.reshape(b, t, 1).to(g.value().dtype())));
        decay = Views.reshape(Views.transpose(decay, 1, 2), b, h, t, 1, 1);
        Variable rate = Views.reshape(Views.transpose(beta, 1, 2), b, h, t, 1, 1);
        Variable state = initialState == null ? null : Variable.constant(initialState);
        List<Variable> outputs = new ArrayList<>(t);
        for (int i = 0; i < t; i++) {
            Variable qi = Views.narrow(query, 2, i, 1), ki = Views.narrow(key, 2, i, 1), vi = Views.narrow(value, 2, i, 1); // [B, H, 1, D]
            Variable betaI = Views.reshape(Views.narrow(rate, 2, i, 1), b, h, 1, 1);
            Variable delta;
            if (state == null) { // a zero state: nothing to decay or predict
                delta = Elementwise.mul(vi, betaI);
                state = LinearAlgebra.matmul(ki, delta, true, false);
            } else {
                state = Elementwise.mul(state, Views.reshape(Views.narrow(decay, 2, i, 1), b, h, 1, 1));
                Variable predicted = LinearAlgebra.matmul(ki, state, false, false);          // [B, H, 1, Dv]
                delta = Elementwise.mul(Elementwise.sub(vi, predicted), betaI);
                state = Elementwise.add(state, LinearAlgebra.matmul(ki, delta, true, false)); // [B, H, Dk, Dv]
            }
            outputs.add(LinearAlgebra.matmul(qi, state, false, false));                       // [B, H, 1, Dv]
        }
        Variable out = Views.transpose(Views.concat(outputs, 2), 1, 2);                       // [B, T, H, Dv]
        return new Result(out, state);
    }

    /** x / sqrt(sum(x²) + 1e-6) over the last dim (transformers' l2norm, FLA's convention). */
    static Variable l2norm(Variable x) {
        Variable sum = Reductions.sum(Elementwise.mul(x, x), new int[]{x.shape().length - 1}, true);
        return Elementwise.mul(x, Elementwise.unary(UnaryOp.RSQRT, Elementwise.addScalar(sum, 1e-6)));
    }
}
