package io.jswift.backend.gpu;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;

/**
 * A driver's own implementations of some ops (CUDA: cuBLAS GEMM, tensor-core flash attention), which
 * {@link GpuBackend} tries before its portable kernels. Each is optional (null); each returns false or null for a
 * case it does not cover, and the portable kernel runs. Arguments arrive checked by the op's rules (tensor/spi);
 * a path reads buffers with {@code dev.storage(t).buffer()} and element offsets with {@code t.offset()}, and
 * allocates outputs with {@link GpuTensors#empty}.
 */
public record FastPaths(Matmul matmul, Attention attention, AdamW adamw) {
    public static final FastPaths NONE = new FastPaths(null, null, null);

    public interface Matmul {
        /** out = op(a)·op(b) into the contiguous {@code out} of the product's shape and dtype; false: not covered. */
        boolean matmul(GpuDevice dev, Tensor a, Tensor b, boolean transA, boolean transB, Tensor out);
    }

    public interface Attention {
        /** The forward, or null when not covered. */
        FusedResults.Attention forward(GpuDevice dev, Tensor q, Tensor k, Tensor v, AttentionSpec spec);

        /** The backward, or null when not covered. */
        FusedResults.AttentionGrads backward(GpuDevice dev, Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, AttentionSpec spec);
    }

    public interface AdamW {
        /** One in-place step; false: not covered. */
        boolean step(GpuDevice dev, Tensor p, Tensor g, Tensor m, Tensor v, AdamWConfig config, long step);
    }
}
