package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.tensor.spi.UnaryOp;

/**
 * HF `hidden_act` names: silu/swish, gelu (exact erf), gelu_pytorch_tanh / gelu_new (tanh), relu, and quick_gelu
 * (x · sigmoid(1.702 x), CLIP's and Qwen2-VL's vision MLP; composed from primitives, so it has no op of its own).
 */
public enum Activation {
    SILU(UnaryOp.SILU), GELU(UnaryOp.GELU), GELU_TANH(UnaryOp.GELU_TANH), RELU(UnaryOp.RELU), QUICK_GELU(null);

    private final UnaryOp op;

    Activation(UnaryOp op) { this.op = op; }

    public Variable apply(Variable x) {
        if (op == null) return Elementwise.mul(x, Elementwise.unary(UnaryOp.SIGMOID, Elementwise.scale(x, 1.702))); // quick_gelu
        return Elementwise.unary(op, x);
    }

    public static Activation fromHf(String name) {
        return switch (name) {
            case "silu", "swish" -> SILU;
            case "gelu" -> GELU;
            case "gelu_pytorch_tanh", "gelu_new", "gelu_fast" -> GELU_TANH;
            case "relu" -> RELU;
            case "quick_gelu" -> QUICK_GELU;
            default -> throw new IllegalArgumentException("unsupported hidden_act '" + name
                    + "' (supported: silu, swish, gelu, gelu_pytorch_tanh, gelu_new, gelu_fast, relu, quick_gelu)");
        };
    }
}
