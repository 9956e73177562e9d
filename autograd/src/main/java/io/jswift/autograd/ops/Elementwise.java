package io.jswift.autograd.ops;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.UnaryOp;

/** Differentiable elementwise ops with broadcasting; each Function's backward sits under its forward. */
public final class Elementwise {
    private Elementwise() {}

    public static Variable add(Variable a, Variable b) { return Autograd.apply(new Binary(BinaryOp.ADD), a, b); }

    public static Variable sub(Variable a, Variable b) { return Autograd.apply(new Binary(BinaryOp.SUB), a, b); }

    public static Variable mul(Variable a, Variable b) { return Autograd.apply(new Binary(BinaryOp.MUL), a, b); }

    public static Variable div(Variable a, Variable b) { return Autograd.apply(new Binary(BinaryOp.DIV), a, b); }

    /** x * s */
    public static Variable scale(Variable x, double s) { return Autograd.apply(new Scalar(BinaryOp.MUL, s), x); }

    /** x + s */
    public static Variable addScalar(Variable x, double s) { return Autograd.apply(new Scalar(BinaryOp.ADD, s), x); }

    /** x ^ p */
    public static Variable pow(Variable x, double p) { return Autograd.apply(new Scalar(BinaryOp.POW, p), x); }

    public static Variable unary(UnaryOp op, Variable x) { return Autograd.apply(new Unary(op), x); }

    /** a op b, broadcast; dA and dB are summed back to each input's shape. */
    record Binary(BinaryOp op) implements Function {
        Binary {
            if (op != BinaryOp.ADD && op != BinaryOp.SUB && op != BinaryOp.MUL && op != BinaryOp.DIV) {
                throw new IllegalArgumentException(op + " is not differentiable here");
            }
        }

        @Override
        public String name() { return op.name().toLowerCase(java.util.Locale.ROOT); }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            if (op == BinaryOp.MUL || op == BinaryOp.DIV) ctx.save(in[0], in[1]);
            return in[0].backend().binary(op, in[0], in[1]);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Backend b = ctx.backend();
            Tensor da = null, db = null;
            switch (op) {
                case ADD, SUB -> {
                    if (ctx.needsInputGrad(0)) da = g;
                    if (ctx.needsInputGrad(1)) db = op == BinaryOp.ADD ? g : b.unary(UnaryOp.NEG, g);
                }
                case MUL -> {
                    if (ctx.needsInputGrad(0)) da = b.binary(BinaryOp.MUL, g, ctx.saved(1));
                    if (ctx.needsInputGrad(1)) db = b.binary(BinaryOp.MUL, g, ctx.saved(0));
                }
                default -> { // DIV: d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
                    Tensor y = ctx.saved(1);
                    if (ctx.needsInputGrad(0)) da = b.binary(BinaryOp.DIV, g, y);
                    if (ctx.needsInputGrad(1)) {
                        Tensor q = b.binary(BinaryOp.DIV, b.binary(BinaryOp.MUL, g, ctx.saved(0)), b.unary(UnaryOp.SQUARE, y));
                        db = b.unary(UnaryOp.NEG, q);
                    }
                }
            }
            return new Tensor[]{
                    da == null ? null : Broadcast.sumToShape(b, da, ctx.inputShape(0)),
                    db == null ? null : Broadcast.sumToShape(b, db, ctx.inputShape(1))};
        }
    }

    /** x op s for a constant scalar s (ADD, MUL, POW). */
    record Scalar(BinaryOp op, double s) implements Function {
        @Override
        public String name() { return op.name().toLowerCase(java.util.Locale.ROOT); }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            if (op == BinaryOp.POW) ctx.save(in[0]);
            return in[0].backend().binaryScalar(op, in[0], s);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Backend b = ctx.backend();
            return new Tensor[]{switch (op) {
                case ADD -> g;
                case MUL -> b.binaryScalar(BinaryOp.MUL, g, s);
                case POW -> b.binary(BinaryOp.MUL, g,
                        b.binaryScalar(BinaryOp.MUL, b.binaryScalar(BinaryOp.POW, ctx.saved(0), s - 1), s));
                default -> throw new IllegalStateException(op + " has no gradient here");
            }};
        }
    }

    /** Unary functions; the backward uses the saved input x or output y, whichever the derivative needs. */
    record Unary(UnaryOp op) implements Function {
        @Override
        public String name() { return op.name().toLowerCase(java.util.Locale.ROOT); }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            Tensor y = in[0].backend().unary(op, in[0]);
            ctx.save(in[0], y);
            return y;
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            Backend b = ctx.backend();
            Tensor x = ctx.saved(0), y = ctx.saved(1);
            Tensor d = switch (op) {
                case NEG -> b.unary(UnaryOp.NEG, g);
                case EXP -> b.binary(BinaryOp.MUL, g, y);
                case LOG -> b.binary(BinaryOp.DIV, g, x);
                case SQRT -> b.binary(BinaryOp.DIV, b.binaryScalar(BinaryOp.MUL, g, 0.5), y);
                case RSQRT -> b.binary(BinaryOp.MUL, g, b.binaryScalar(BinaryOp.MUL, b.binaryScalar(BinaryOp.POW, y, 3), -0.5));
                case RECIPROCAL -> b.unary(UnaryOp.NEG, b.binary(BinaryOp.MUL, g, b.unary(UnaryOp.SQUARE, y)));
                case SQUARE -> b.binary(BinaryOp.MUL, g, b.binaryScalar(BinaryOp.MUL, x, 2));
                case SIN -> b.binary(BinaryOp.MUL, g, b.unary(UnaryOp.COS, x));
                case COS -> b.unary(UnaryOp.NEG, b.binary(BinaryOp.MUL, g, b.unary(UnaryOp.SIN, x)));
                case TANH -> b.binary(BinaryOp.MUL, g, oneMinus(b, b.unary(UnaryOp.SQUARE, y)));
                case SIGMOID -> b.binary(BinaryOp.MUL, g, b.binary(BinaryOp.MUL, y, oneMinus(b, y)));
                case SILU -> { // s(x) * (1 + x * (1 - s(x)))
                    Tensor s = b.unary(UnaryOp.SIGMOID, x);
                    Tensor inner = b.binaryScalar(BinaryOp.ADD, b.binary(BinaryOp.MUL, x, oneMinus(b, s)), 1);
                    yield b.binary(BinaryOp.MUL, g, b.binary(BinaryOp.MUL, s, inner));
                }
                case RELU -> b.binary(BinaryOp.MUL, g, b.cast(b.binaryScalar(BinaryOp.GT, x, 0), g.dtype()));
                case GELU -> b.binary(BinaryOp.MUL, g, geluDerivative(b, x));
                case GELU_TANH -> b.binary(BinaryOp.MUL, g, geluTanhDerivative(b, x));
                case ABS -> b.binary(BinaryOp.MUL, g, b.unary(UnaryOp.SIGN, x));
                case SIGN -> b.binaryScalar(BinaryOp.MUL, g, 0);
                case ERF -> b.binary(BinaryOp.MUL, g, b.binaryScalar(BinaryOp.MUL,
                        b.unary(UnaryOp.EXP, b.unary(UnaryOp.NEG, b.unary(UnaryOp.SQUARE, x))), 2 / Math.sqrt(Math.PI)));
            };
            return new Tensor[]{d};
        }

        private static Tensor oneMinus(Backend b, Tensor t) {
            return b.binaryScalar(BinaryOp.ADD, b.unary(UnaryOp.NEG, t), 1);
        }

        /** d/dx [x Φ(x)] = Φ(x) + x φ(x) with Φ(x) = (1 + erf(x/√2))/2, φ(x) = exp(-x²/2)/√(2π). */
        private static Tensor geluDerivative(Backend b, Tensor x) {
            Tensor cdf = b.binaryScalar(BinaryOp.MUL, b.binaryScalar(BinaryOp.ADD,
                    b.unary(UnaryOp.ERF, b.binaryScalar(BinaryOp.MUL, x, 1 / Math.sqrt(2))), 1), 0.5);
            Tensor pdf = b.binaryScalar(BinaryOp.MUL, b.unary(UnaryOp.EXP,
                    b.binaryScalar(BinaryOp.MUL, b.unary(UnaryOp.SQUARE, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
            return b.binary(BinaryOp.ADD, cdf, b.binary(BinaryOp.MUL, x, pdf));
        }

        /** d/dx of 0.5 x (1 + tanh(u)), u = √(2/π)(x + 0.044715 x³). */
        private static Tensor geluTanhDerivative(Backend b, Tensor x) {
            double c = Math.sqrt(2 / Math.PI);
            Tensor x2 = b.unary(UnaryOp.SQUARE, x);
            Tensor u = b.binaryScalar(BinaryOp.MUL, b.binary(BinaryOp.MUL, x, b.binaryScalar(BinaryOp.ADD,
                    b.binaryScalar(BinaryOp.MUL, x2, 0.044715), 1)), c);
            Tensor t = b.unary(UnaryOp.TANH, u);
            Tensor du = b.binaryScalar(BinaryOp.MUL, b.binaryScalar(BinaryOp.ADD, b.binaryScalar(BinaryOp.MUL, x2, 3 * 0.044715), 1), c);
            Tensor sech2 = oneMinus(b, b.unary(UnaryOp.SQUARE, t));
            Tensor left = b.binaryScalar(BinaryOp.MUL, b.binaryScalar(BinaryOp.ADD, t, 1), 0.5);
            Tensor right = b.binaryScalar(BinaryOp.MUL, b.binary(BinaryOp.MUL, x, b.binary(BinaryOp.MUL, sech2, du)), 0.5);
            return b.binary(BinaryOp.ADD, left, right);
        }
    }
}
