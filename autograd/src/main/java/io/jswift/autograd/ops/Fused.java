package io.jswift.autograd.ops;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.FusedResults;

/**
 * The fused LLM ops as autograd functions: each forward calls the backend's fused kernel and saves what
 * the matching backward kernel needs (Backend documents shapes and semantics).
 */
public final class Fused {
    private Fused() {}

    /** HF LlamaRMSNorm over the last dim; weight may be null. */
    public static Variable rmsNorm(Variable x, Variable weight, double eps) {
        return Autograd.apply(new RmsNorm(eps), x, weight);
    }

    /** nn.LayerNorm over the last dim; weight and bias may be null. */
    public static Variable layerNorm(Variable x, Variable weight, Variable bias, double eps) {
        return Autograd.apply(new LayerNorm(eps), x, weight, bias);
    }

    /** HF rotary embedding (rotate_half) of x [B, H, T, D] with constant cos/sin [T, R] or [B, T, R]. */
    public static Variable rope(Variable x, Tensor cos, Tensor sin) {
        return Autograd.apply(new Rope(cos, sin), x);
    }

    /** silu(gate) * up (SwiGLU). */
    public static Variable siluMul(Variable gate, Variable up) {
        return Autograd.apply(new SiluMul(), gate, up);
    }

    public static Variable softmax(Variable x) { return Autograd.apply(new Softmax(false), x); }

    public static Variable logSoftmax(Variable x) { return Autograd.apply(new Softmax(true), x); }

    /** Grouped-query scaled-dot-product attention: q [B, Hq, T, D], k/v [B, Hkv, S, D] → [B, Hq, T, D]. */
    public static Variable attention(Variable q, Variable k, Variable v, AttentionSpec spec) {
        return Autograd.apply(new Attention(spec), q, k, v);
    }

    /**
     * {@link #attention} with GPT-OSS's learned per-head sink logits {@code sinks} [Hq] in every row's softmax
     * (AttentionSpec#sinks; the spec's own sinks are replaced by these).
     */
    public static Variable attention(Variable q, Variable k, Variable v, Variable sinks, AttentionSpec spec) {
        return Autograd.apply(new Attention(spec), q, k, v, sinks);
    }

    record RmsNorm(double eps) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            FusedResults.RmsNorm r = in[0].backend().rmsNorm(in[0], in[1], eps);
            ctx.save(in[0], in[1], r.rstd());
            return r.output();
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            FusedResults.NormGrads d = ctx.backend().rmsNormBackward(g, ctx.saved(0), ctx.saved(1), ctx.saved(2));
            return new Tensor[]{d.dInput(), d.dWeight()};
        }
    }

    record LayerNorm(double eps) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            FusedResults.LayerNorm r = in[0].backend().layerNorm(in[0], in[1], in[2], eps);
            ctx.save(in[0], in[1], r.mean(), r.rstd());
            return r.output();
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            FusedResults.NormGrads d = ctx.backend().layerNormBackward(g, ctx.saved(0), ctx.saved(1), ctx.saved(2),
                    ctx.saved(3), ctx.hasInput(2));
            return new Tensor[]{d.dInput(), d.dWeight(), d.dBias()};
        }
    }

    record Rope(Tensor cos, Tensor sin) implements Function {
        @Override
        public Tensor[] constants() { return new Tensor[]{cos, sin}; }

        @Override
        public Tensor forward(Context ctx, Tensor... in) { return in[0].backend().rope(in[0], cos, sin); }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) { return new Tensor[]{ctx.backend().ropeBackward(g, cos, sin)}; }
    }

    record SiluMul() implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return in[0].backend().siluMul(in[0], in[1]);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            FusedResults.SiluMulGrads d = ctx.backend().siluMulBackward(g, ctx.saved(0), ctx.saved(1));
            return new Tensor[]{d.dGate(), d.dUp()};
        }
    }

    /** Softmax or log-softmax over the last dim; both backwards need only the output. */
    record Softmax(boolean log) implements Function {
        @Override
        public String name() { return log ? "logSoftmax" : "softmax"; }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor y = log ? in[0].backend().logSoftmax(in[0]) : in[0].backend().softmax(in[0]);
            ctx.save(y);
            return y;
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Tensor y = ctx.saved(0);
            return new Tensor[]{log ? ctx.backend().logSoftmaxBackward(g, y) : ctx.backend().softmaxBackward(g, y)};
        }
    }

    /** Saves q, k, v, the output and the row log-sum-exp; the backward recomputes probabilities (FlashAttention-2). */
    record Attention(AttentionSpec spec) implements Function {
        @Override
        public Tensor[] constants() { return new Tensor[]{spec.querySegments(), spec.keySegments()}; }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            AttentionSpec s = in.length > 3 ? spec.withSinks(in[3]) : spec;
            FusedResults.Attention r = in[0].backend().attention(in[0], in[1], in[2], s);
            if (in.length > 3) ctx.save(in[0], in[1], in[2], r.output(), r.logSumExp(), in[3]);
            else ctx.save(in[0], in[1], in[2], r.output(), r.logSumExp());
            return r.output();
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            boolean sinks = ctx.inputCount() > 3;
            AttentionSpec s = sinks ? spec.withSinks(ctx.saved(5)) : spec;
            FusedResults.AttentionGrads d = ctx.backend().attentionBackward(g, ctx.saved(0), ctx.saved(1), ctx.saved(2),
                    ctx.saved(3), ctx.saved(4), s);
            if (!sinks) return new Tensor[]{d.dq(), d.dk(), d.dv()};
            Tensor dSinks = ctx.needsInputGrad(3) ? FusedReference.attentionSinksBackward(ctx.backend(), g, ctx.saved(3), ctx.saved(4), ctx.saved(5)) : null;
            return new Tensor[]{d.dq(), d.dk(), d.dv(), dSinks};
        }
    }
}
