package io.jswift.nn.deltanet;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Reductions;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
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
 * {@link #recurrent} runs that loop; {@link #chunked} computes the same outputs with matrix products over chunks of
 * tokens (transformers' torch_chunk_gated_delta_rule). Dims: B batch, T tokens, H heads (value heads; q and
 * k already repeated to them), Dk key dim, Dv value dim.
 */
public final class GatedDeltaRule {
    private GatedDeltaRule() {}

    /** The outputs [B, T, H, Dv] and the state after the last token [B, H, Dk, Dv]. */
    public record Result(Variable output, Variable state) {}

    /** transformers' chunk_size. */
    public static final int CHUNK = 64;

    /**
     * q, k [B, T, H, Dk], v [B, T, H, Dv], g (log decay) and beta [B, T, H]; {@code initialState} [B, H, Dk, Dv] or null
     * (zeros); {@code keep} [B, T] (1: continue the previous token's state, 0: start from zero, i.e. a new packed sample
     * or the first token after left padding) or null (always continue). Several tokens without resets run in chunks of
     * {@link #CHUNK} ({@link #chunked}: what autograd keeps for backward is per chunk, not per token); a single token or
     * a call with resets runs token by token ({@link #recurrent}).
     */
    public static Result apply(Variable q, Variable k, Variable v, Variable g, Variable beta, Tensor initialState, Tensor keep) {
        int t = v.size(1);
        return keep == null && t > 1 ? chunked(q, k, v, g, beta, initialState, Math.min(CHUNK, t)) : recurrent(q, k, v, g, beta, initialState, keep);
    }

    /** The recurrence token by token (transformers' torch_recurrent_gated_delta_rule); arguments as {@link #apply}. */
    public static Result recurrent(Variable q, Variable k, Variable v, Variable g, Variable beta, Tensor initialState, Tensor keep) {
        int b = v.size(0), t = v.size(1), h = v.size(2), dk = k.size(3);
        Variable query = Views.transpose(Elementwise.scale(l2norm(q), 1 / Math.sqrt(dk)), 1, 2); // [B, H, T, Dk]
        Variable key = Views.transpose(l2norm(k), 1, 2);
        Variable value = Views.transpose(v, 1, 2);                                              // [B, H, T, Dv]
        Variable decay = Elementwise.unary(UnaryOp.EXP, g);                                     // [B, T, H]
        if (keep != null) decay = Elementwise.mul(decay, Variable.constant(keep.reshape(b, t, 1).to(g.value().dtype())));
        decay = Views.reshape(Views.transpose(decay, 1, 2), b, h, t, 1, 1);
        Variable rate = Views.reshape(Views.transpose(beta, 1, 2), b, h, t, 1, 1);
        Variable state = initialState == null ? null : Variable.constant(initialState.to(v.value().dtype()));
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

    /**
     * The same outputs chunk by chunk, as transformers' torch_chunk_gated_delta_rule (no resets; arguments as
     * {@link #apply}). Within a chunk of C tokens, with γ the cumulative log decay from the chunk start and
     * Γ[i, j] = exp(γ_i - γ_j) for j ≤ i (0 above): the UT system L = I + strictly-lower((βK)Kᵀ ⊙ Γ) turns the C delta
     * updates into u = L⁻¹(βV) and w = L⁻¹(βK ⊙ exp(γ)); then per chunk, from the state S entering it:
     * v' = u - wS, o = (Q ⊙ exp(γ))S + (QKᵀ ⊙ Γ)v', S ← exp(γ_C)·S + (K ⊙ exp(γ_C - γ))ᵀv'. The padded tail (zeros) changes
     * nothing. L⁻¹ is the product (I + N)(I + N²)(I + N⁴)... of N = I - L, which is nilpotent (N^C = 0): matrix products
     * only, instead of transformers' triangular solve. Dims: M = B·H·(chunks), C chunk, Dk, Dv.
     */
    public static Result chunked(Variable q, Variable k, Variable v, Variable g, Variable beta, Tensor initialState, int chunk) {
        int b = v.size(0), t = v.size(1), h = v.size(2), dk = k.size(3), dv = v.size(3);
        int pad = (chunk - t % chunk) % chunk, n = (t + pad) / chunk, bh = b * h, m = bh * n;
        DType dtype = v.value().dtype();
        Device device = v.value().device();
        Variable query = padded(Views.transpose(Elementwise.scale(l2norm(q), 1 / Math.sqrt(dk)), 1, 2), pad); // [B, H, T', Dk]
        Variable key = padded(Views.transpose(l2norm(k), 1, 2), pad);
        Variable value = padded(Views.transpose(v, 1, 2), pad);
        Variable rate = padded(Views.reshape(Views.transpose(beta, 1, 2), b, h, t, 1), pad);   // [B, H, T', 1]
        Variable logDecay = padded(Views.reshape(Views.transpose(g, 1, 2), b, h, t, 1), pad);

        Variable q3 = Views.reshape(query, m, chunk, dk), k3 = Views.reshape(key, m, chunk, dk);
        Variable beta3 = Views.reshape(rate, m, chunk, 1);
        Variable kBeta = Elementwise.mul(k3, beta3), vBeta = Elementwise.mul(Views.reshape(value, m, chunk, dv), beta3);
        // γ: cumulative sums within each chunk, as a product with the upper triangle of ones
        Variable cum = LinearAlgebra.matmul(Views.reshape(logDecay, m, chunk),
                Variable.constant(constant(triangle(chunk, true, true), dtype, device, chunk, chunk)), false, false);
        Variable cum3 = Views.reshape(cum, m, chunk, 1);
        Tensor lower = constant(triangle(chunk, false, true), dtype, device, chunk, chunk), strict = constant(triangle(chunk, false, false), dtype, device, chunk, chunk);
        Variable lowerMask = Variable.constant(lower);
        // Γ: exp of (γ_i - γ_j), zeroed before the exp above the diagonal (where it is >= 0 and may overflow)
        Variable diff = Elementwise.sub(cum3, Views.reshape(cum, m, 1, chunk));               // [M, C, C]
        Variable gamma = Elementwise.mul(Elementwise.unary(UnaryOp.EXP, Elementwise.mul(diff, lowerMask)), lowerMask);
        Variable strictA = Elementwise.mul(Elementwise.mul(LinearAlgebra.matmul(kBeta, k3, false, true), gamma), Variable.constant(strict));
        Variable inverse = unitLowerInverse(strictA, chunk, dtype, device);                   // L⁻¹ [M, C, C]
        Variable expCum = Elementwise.unary(UnaryOp.EXP, cum3);                               // [M, C, 1]
        Variable u = LinearAlgebra.matmul(inverse, vBeta, false, false);                      // [M, C, Dv]
        Variable w = LinearAlgebra.matmul(inverse, Elementwise.mul(kBeta, expCum), false, false); // [M, C, Dk]
        Variable intra = Elementwise.mul(LinearAlgebra.matmul(q3, k3, false, true), gamma);   // [M, C, C]
        Variable last = Views.narrow(cum3, 1, chunk - 1, 1);                                  // γ_C [M, 1, 1]
        Variable qDecayed = Elementwise.mul(q3, expCum);
        Variable kDecayed = Elementwise.mul(k3, Elementwise.unary(UnaryOp.EXP, Elementwise.sub(last, cum3)));
        Variable chunkDecay = Views.reshape(Elementwise.unary(UnaryOp.EXP, last), bh, n, 1, 1);

        Variable state = Variable.constant(initialState != null ? initialState.to(dtype).reshape(bh, dk, dv)
                : Tensor.zeros(dtype, bh, dk, dv).to(device));
        List<Variable> outputs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Variable ui = chunkOf(u, bh, n, i), wi = chunkOf(w, bh, n, i), qi = chunkOf(qDecayed, bh, n, i), ki = chunkOf(kDecayed, bh, n, i);
            Variable vNew = Elementwise.sub(ui, LinearAlgebra.matmul(wi, state, false, false));           // [BH, C, Dv]
            outputs.add(Elementwise.add(LinearAlgebra.matmul(qi, state, false, false), LinearAlgebra.matmul(chunkOf(intra, bh, n, i), vNew, false, false)));
            Variable decayI = Views.reshape(Views.narrow(chunkDecay, 1, i, 1), bh, 1, 1);
            state = Elementwise.add(Elementwise.mul(state, decayI), LinearAlgebra.matmul(ki, vNew, true, false)); // [BH, Dk, Dv]
        }
        Variable out = Views.narrow(Views.concat(outputs, 1), 1, 0, t);                     // [BH, T, Dv]
        return new Result(Views.transpose(Views.reshape(out, b, h, t, dv), 1, 2), Views.reshape(state, b, h, dk, dv));
    }

    /** Chunk i of x [M = BH·N, C, D] as [BH, C, D]. */
    private static Variable chunkOf(Variable x, int bh, int n, int i) {
        int c = x.size(1), d = x.size(2);
        return Views.reshape(Views.narrow(Views.reshape(x, bh, n, c, d), 1, i, 1), bh, c, d);
    }

    /** (I + A)⁻¹ for strictly lower triangular A [M, C, C]: with N = -A (N^C = 0), the product of (I + N^(2^s)) while 2^s < C. */
    static Variable unitLowerInverse(Variable strictA, int c, DType dtype, Device device) {
        Variable eye = Variable.constant(constant(identity(c), dtype, device, c, c));
        Variable power = Elementwise.unary(UnaryOp.NEG, strictA);
        Variable inverse = Elementwise.add(eye, power);
        for (int span = 2; span < c; span *= 2) {
            power = LinearAlgebra.matmul(power, power, false, false);
            inverse = LinearAlgebra.matmul(inverse, Elementwise.add(eye, power), false, false);
        }
        return inverse;
    }

    /** x [B, H, T, D] with {@code pad} zero positions appended. */
    private static Variable padded(Variable x, int pad) {
        if (pad == 0) return x;
        int[] shape = x.shape().clone();
        shape[2] = pad;
        return Views.concat(List.of(x, Variable.constant(Tensor.zeros(x.value().dtype(), shape).to(x.value().device()))), 2);
    }

    /** [C, C] of ones where j <= i (lower) or i <= j (upper, transposed), the diagonal included or not. */
    private static float[] triangle(int c, boolean upper, boolean diagonal) {
        float[] out = new float[c * c];
        for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) {
                boolean below = upper ? i < j : j < i;
                out[i * c + j] = below || (diagonal && i == j) ? 1 : 0;
            }
        }
        return out;
    }

    private static float[] identity(int c) {
        float[] out = new float[c * c];
        for (int i = 0; i < c; i++) out[i * c + i] = 1;
        return out;
    }

    private static Tensor constant(float[] values, DType dtype, Device device, int... shape) {
        return Tensor.of(values, shape).to(dtype).to(device);
    }

    /** x / sqrt(sum(x²) + 1e-6) over the last dim (transformers' l2norm, FLA's convention). */
    static Variable l2norm(Variable x) {
        Variable sum = Reductions.sum(Elementwise.mul(x, x), new int[]{x.shape().length - 1}, true);
        return Elementwise.mul(x, Elementwise.unary(UnaryOp.RSQRT, Elementwise.addScalar(sum, 1e-6)));
    }
}
