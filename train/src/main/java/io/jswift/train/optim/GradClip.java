package io.jswift.train.optim;

import io.jswift.nn.Parameter;
import io.jswift.tensor.HostStorage;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;

import java.util.Collection;

/**
 * torch.nn.utils.clip_grad_norm_: scale all gradients by max_norm / (total_norm + 1e-6) when that is < 1.
 * Neither the norm nor the scaling makes a copy of a gradient (as torch's foreach kernels): a copy of the
 * largest one (a 152k-token embedding: 545 MB) would add to the peak memory of a full fine-tuning step.
 */
public final class GradClip {
    /** Elements squared at a time: the temporary is 4 MiB, reused from the allocator's cache. */
    private static final int CHUNK = 1 << 20;

    private GradClip() {}

    /** The global L2 norm of every gradient (accumulated in double across tensors and chunks). */
    public static double globalNorm(Collection<Parameter> params) {
        double sumSq = 0;
        for (Parameter p : params) {
            Tensor g = p.grad();
            if (g != null) sumSq += sumOfSquares(g);
        }
        return Math.sqrt(sumSq);
    }

    private static double sumOfSquares(Tensor g) {
        Backend b = g.backend();
        if (!g.isContiguous() || g.numel() <= CHUNK) return b.reduce(ReduceOp.SUM, b.unary(UnaryOp.SQUARE, g), new int[0], false).item();
        Tensor flat = g.view((int) g.numel());
        double sum = 0;
        for (long start = 0; start < flat.numel(); start += CHUNK) {
            long mark = HostStorage.allocationMark();
            Tensor sq = b.unary(UnaryOp.SQUARE, flat.narrow(0, (int) start, (int) Math.min(CHUNK, flat.numel() - start)));
            sum += b.reduce(ReduceOp.SUM, sq, new int[0], false).item();
            HostStorage.releaseIfNewer(sq.storage(), mark); // used up: back to the cache now, not at the next collection
        }
        return sum;
    }

    /** Clips in place when {@code maxNorm > 0}; returns the norm before clipping. */
    public static double clip(Collection<Parameter> params, double maxNorm) {
        double norm = globalNorm(params);
        if (maxNorm <= 0) return norm;
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            for (Parameter p : params) if (p.grad() != null) p.variable().scaleGrad(coef);
        }
        return norm;
    }
}
