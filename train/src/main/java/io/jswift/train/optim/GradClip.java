package io.jswift.train.optim;

import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;

import java.util.Collection;

/** torch.nn.utils.clip_grad_norm_: scale all gradients by max_norm / (total_norm + 1e-6) when that is < 1. */
public final class GradClip {
    private GradClip() {}

    /** The global L2 norm of every gradient (accumulated in double across tensors). */
    public static double globalNorm(Collection<Parameter> params) {
        double sumSq = 0;
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            Backend b = g.backend();
            sumSq += b.reduce(ReduceOp.SUM, b.unary(UnaryOp.SQUARE, g), new int[0], false).item();
        }
        return Math.sqrt(sumSq);
    }

    /** Clips in place when {@code maxNorm > 0}; returns the norm before clipping. */
    public static double clip(Collection<Parameter> params, double maxNorm) {
        double norm = globalNorm(params);
        if (maxNorm <= 0) return norm;
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            for (Parameter p : params) {
                Tensor g = p.grad();
                if (g != null) p.variable().setGrad(g.backend().binaryScalar(BinaryOp.MUL, g, coef));
            }
        }
        return norm;
    }
}
