package io.jswift.backend.cuda;

import io.jswift.backend.gpu.FastPaths;
import io.jswift.backend.gpu.GpuDevice;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.MatmulShapes;

import java.util.Arrays;

/**
 * GpuBackend's GEMM fast path on CUDA: cuBLAS for operands of one dtype (f32, bf16, f16, f64) whose matrices
 * have a unit stride along rows or columns ({@link GemmPlan}) and whose batch dims fold into one batch stride
 * (contiguous batches, or a broadcast operand with stride 0). Anything else (mixed dtypes, a matrix strided both
 * ways, batch dims that do not fold) returns false and the portable kernel runs.
 * Dims: out [..., M, N] = op(a) [..., M, K] · op(b) [..., K, N].
 */
final class CublasMatmul implements FastPaths.Matmul {
    static final long NO_FOLD = -1;

    private final CudaDriver driver;

    CublasMatmul(CudaDriver driver) { this.driver = driver; }

    @Override
    public boolean matmul(GpuDevice dev, Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) {
        if (a.dtype() != b.dtype() || !Cublas.supports(a.dtype(), out.dtype()) || !Cublas.available()) return false;
        int m = out.size(-2), n = out.size(-1), k = transA ? a.size(-2) : a.size(-1);
        int[] batch = Arrays.copyOf(out.shape(), out.rank() - 2);
        long sa = folded(batch, MatmulShapes.batchStrides(a, batch)), sb = folded(batch, MatmulShapes.batchStrides(b, batch));
        long batches = 1;
        for (int x : batch) batches *= x;
        if (k == 0 || sa == NO_FOLD || sb == NO_FOLD || batches > Integer.MAX_VALUE) return false;
        GemmPlan plan = GemmPlan.of(m, n, k, operand(a, transA, sa), operand(b, transB, sb),
                new GemmPlan.Operand(n, 1, (long) m * n), (int) batches);
        if (plan == null) return false;
        driver.cublas().gemm(plan, a.dtype(), out.dtype(), address(dev, a), address(dev, b), address(dev, out), false);
        return true;
    }

    /** op(t) as a [rows, cols] view: a transpose flag only swaps which stride walks rows. */
    private static GemmPlan.Operand operand(Tensor t, boolean trans, long batchStride) {
        long rs = trans ? t.stride(-1) : t.stride(-2), cs = trans ? t.stride(-2) : t.stride(-1);
        return new GemmPlan.Operand(rs, cs, batchStride);
    }

    /**
     * The one stride that steps through the batch dims {@code batch} in row-major order, or {@link #NO_FOLD} when they
     * do not fold (a permuted batch, a negative stride). Size-1 dims are skipped; all-zero strides (a broadcast
     * operand) fold to 0; no batch at all folds to 0.
     */
    static long folded(int[] batch, long[] strides) {
        long step = 0, expected = -1;
        for (int i = batch.length - 1; i >= 0; i--) {
            if (batch[i] == 1) continue;
            if (strides[i] < 0 || (expected >= 0 && strides[i] != expected)) return NO_FOLD;
            if (expected < 0) step = strides[i];
            expected = strides[i] * batch[i];
        }
        return step;
    }

    private static long address(GpuDevice dev, Tensor t) {
        return ((CudaDriver.Buffer) dev.storage(t).buffer()).address() + t.dtype().byteSize(t.offset());
    }
}
