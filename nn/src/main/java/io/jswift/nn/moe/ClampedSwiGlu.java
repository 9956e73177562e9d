package io.jswift.nn.moe;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.UnaryOp;

/**
 * GPT-OSS's expert activation (transformers' GptOssExperts._apply_gate): g = min(gate, limit), u = clamp(up, -limit,
 * limit), out = (u + 1) · g · sigmoid(alpha · g), with alpha 1.702 and limit 7.0 (fixed in transformers 5.18, which
 * ignores config.json's swiglu_limit). Backward as torch's clamp: the gradient passes where gate ≤ limit and
 * -limit ≤ up ≤ limit (the bounds included), 0 elsewhere.
 */
public record ClampedSwiGlu(double alpha, double limit) implements Function {
    /** transformers' GptOssExperts constants. */
    public static final double ALPHA = 1.702, LIMIT = 7.0;

    public ClampedSwiGlu {
        if (!(limit > 0)) throw new IllegalArgumentException("swiglu limit must be > 0, got " + limit);
    }

    /** gate and up of the same shape → their clamped SwiGLU. */
    public static Variable apply(Variable gate, Variable up) {
        return Autograd.apply(new ClampedSwiGlu(ALPHA, LIMIT), gate, up);
    }

    @Override
    public Tensor forward(Context ctx, Tensor... in) {
        Backend b = in[0].backend();
        Tensor g = b.binaryScalar(BinaryOp.MIN, in[0], limit);
        Tensor u = b.binaryScalar(BinaryOp.MAX, b.binaryScalar(BinaryOp.MIN, in[1], limit), -limit);
        Tensor sig = b.unary(UnaryOp.SIGMOID, b.binaryScalar(BinaryOp.MUL, g, alpha));
        ctx.save(in[0], in[1]);
        return b.binary(BinaryOp.MUL, b.binaryScalar(BinaryOp.ADD, u, 1), b.binary(BinaryOp.MUL, g, sig));
    }

    /** d/dg [g·σ(αg)] = σ + α·g·σ·(1 - σ); d out/d u = g·σ(αg). */
    @Override
    public Tensor[] backward(Context ctx, Tensor grad) {
        Backend b = ctx.backend();
        Tensor gate = ctx.saved(0), up = ctx.saved(1);
        Tensor g = b.binaryScalar(BinaryOp.MIN, gate, limit);
        Tensor u = b.binaryScalar(BinaryOp.MAX, b.binaryScalar(BinaryOp.MIN, up, limit), -limit);
        Tensor sig = b.unary(UnaryOp.SIGMOID, b.binaryScalar(BinaryOp.MUL, g, alpha));
        Tensor zero = b.allocate(grad.dtype(), 1);
        b.fill(zero, 0);
        Tensor dGate = null, dUp = null;
        if (ctx.needsInputGrad(0)) {
            Tensor oneMinus = b.binaryScalar(BinaryOp.ADD, b.unary(UnaryOp.NEG, sig), 1);
            Tensor slope = b.binary(BinaryOp.ADD, sig, b.binaryScalar(BinaryOp.MUL, b.binary(BinaryOp.MUL, b.binary(BinaryOp.MUL, g, sig), oneMinus), alpha));
            Tensor d = b.binary(BinaryOp.MUL, b.binary(BinaryOp.MUL, grad, b.binaryScalar(BinaryOp.ADD, u, 1)), slope);
            dGate = b.where(b.binaryScalar(BinaryOp.LE, gate, limit), d, zero);
        }
        if (ctx.needsInputGrad(1)) {
            Tensor d = b.binary(BinaryOp.MUL, grad, b.binary(BinaryOp.MUL, g, sig));
            Tensor inside = b.binary(BinaryOp.MUL, b.cast(b.binaryScalar(BinaryOp.GE, up, -limit), grad.dtype()),
                    b.cast(b.binaryScalar(BinaryOp.LE, up, limit), grad.dtype()));
            dUp = b.binary(BinaryOp.MUL, d, inside);
        }
        return new Tensor[]{dGate, dUp};
    }
}
