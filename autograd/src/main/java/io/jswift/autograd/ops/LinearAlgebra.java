package io.jswift.autograd.ops;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ReduceOp;

/** Differentiable matrix products and the Linear layer's y = x·Wᵀ + b. */
public final class LinearAlgebra {
    private LinearAlgebra() {}

    /** op(a)·op(b) batched, op = transpose when the flag is set (see Backend#matmul). */
    public static Variable matmul(Variable a, Variable b, boolean transA, boolean transB) {
        return Autograd.apply(new Matmul(transA, transB), a, b);
    }

    /** HF nn.Linear: x [..., in], weight [out, in], bias [out] or null → [..., out]. */
    public static Variable linear(Variable x, Variable weight, Variable bias) {
        return Autograd.apply(new Linear(), x, weight, bias);
    }

    /**
     * C = op(A)·op(B). dop(A) = dC·op(B)ᵀ and dop(B) = op(A)ᵀ·dC, transposed back when the flag was set;
     * batch dims that were broadcast are summed.
     */
    record Matmul(boolean transA, boolean transB) implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            ctx.save(in[0], in[1]);
            return in[0].backend().matmul(in[0], in[1], transA, transB);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Backend be = ctx.backend();
            Tensor a = ctx.saved(0), b = ctx.saved(1);
            Tensor da = null, db = null;
            if (ctx.needsInputGrad(0)) {
                da = transA ? be.matmul(b, g, transB, true) : be.matmul(g, b, false, !transB);
                da = Broadcast.sumToShape(be, da, ctx.inputShape(0));
            }
            if (ctx.needsInputGrad(1)) {
                db = transB ? be.matmul(g, a, true, transA) : be.matmul(a, g, !transA, false);
                db = Broadcast.sumToShape(be, db, ctx.inputShape(1));
            }
            return new Tensor[]{da, db};
        }
    }

    /**
     * Flattens x to [N, in] so the weight gradient is one GEMM dWᵀ = dYᵀ·X instead of a per-batch
     * product summed afterwards.
     */
    record Linear() implements Function {
        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor x = in[0], w = in[1], bias = in[2];
            int[] shape = x.shape();
            Tensor x2 = x.reshape(-1, shape[shape.length - 1]);
            ctx.save(x2, w);
            Tensor y = x.backend().matmul(x2, w, false, true);
            if (bias != null) y = x.backend().binary(BinaryOp.ADD, y, bias);
            int[] out = shape.clone();
            out[out.length - 1] = w.size(0);
            return y.reshape(out);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Backend be = ctx.backend();
            Tensor x2 = ctx.saved(0), w = ctx.saved(1);
            Tensor g2 = g.reshape(-1, g.size(-1));
            Tensor dx = ctx.needsInputGrad(0) ? be.matmul(g2, w, false, false).reshape(ctx.inputShape(0)) : null;
            Tensor dw = ctx.needsInputGrad(1) ? be.matmul(g2, x2, true, false) : null;
            Tensor db = ctx.needsInputGrad(2) ? be.reduce(ReduceOp.SUM, g2, new int[]{0}, false) : null;
            return new Tensor[]{dx, dw, db};
        }
    }
}
