package io.jswift.autograd.ops;

import io.jswift.autograd.Autograd;
import io.jswift.autograd.Context;
import io.jswift.autograd.Function;
import io.jswift.autograd.Variable;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ReduceOp;

/** Differentiable sum and mean over dims (empty dims = all). */
public final class Reductions {
    private Reductions() {}

    public static Variable sum(Variable x, int[] dims, boolean keepDim) {
        return Autograd.apply(new Reduce(ReduceOp.SUM, dims.clone(), keepDim), x);
    }

    public static Variable mean(Variable x, int[] dims, boolean keepDim) {
        return Autograd.apply(new Reduce(ReduceOp.MEAN, dims.clone(), keepDim), x);
    }

    /** Sum of all elements as a 0-d variable. */
    public static Variable sum(Variable x) { return sum(x, new int[0], false); }

    public static Variable mean(Variable x) { return mean(x, new int[0], false); }

    /** The gradient broadcasts back over the reduced dims (divided by their size for the mean). */
    record Reduce(ReduceOp op, int[] dims, boolean keepDim) implements Function {
        @Override
        public String name() { return op.name().toLowerCase(java.util.Locale.ROOT); }

        @Override
        public Tensor forward(Context ctx, Tensor... in) {
            return in[0].backend().reduce(op, in[0], dims, keepDim);
        }

        @Override
        public Tensor[] backward(Context ctx, Tensor g) {
            int[] shape = ctx.inputShape(0);
            boolean[] reduced = new boolean[shape.length];
            if (dims.length == 0) java.util.Arrays.fill(reduced, true);
            for (int d : dims) reduced[Shapes.wrapDim(d, shape.length)] = true;
            int[] kept = shape.clone();
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                if (reduced[i]) {
                    kept[i] = 1;
                    count *= shape[i];
                }
            }
            Tensor grad = g.reshape(kept).expand(shape);
            if (op == ReduceOp.MEAN) grad = ctx.backend().binaryScalar(BinaryOp.MUL, grad, 1.0 / count);
            else grad = grad.contiguous();
            return new Tensor[]{grad};
        }
    }
}
