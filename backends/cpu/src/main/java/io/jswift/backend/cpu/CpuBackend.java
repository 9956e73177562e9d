package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.HostStorage;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.UnaryOp;

import java.util.List;

/**
 * The CPU backend: the reference and the fast path. This class only dispatches; each op family lives in
 * its own kernel class (elementwise, reductions, GEMM, indexing, norms, attention, ...).
 */
public final class CpuBackend implements Backend {
    @Override
    public Device device() { return Device.CPU; }

    // ------------------------------------------------------------------ memory

    @Override
    public Tensor allocate(DType dtype, int... shape) { return Tensor.zeros(dtype, shape); }

    @Override
    public Tensor fromHost(Tensor host) { return host.contiguous(); }

    @Override
    public Tensor toHost(Tensor tensor) { return tensor.contiguous(); }

    @Override
    public void copy(Tensor src, Tensor dst) { throw pending(); }

    @Override
    public void fill(Tensor dst, double value) { throw pending(); }

    @Override
    public Tensor arange(double start, double end, double step, DType dtype) { throw pending(); }

    @Override
    public void fillRandom(Tensor dst, RandomSpec spec, Generator generator) { throw pending(); }

    // ------------------------------------------------------------------ elementwise

    @Override
    public Tensor unary(UnaryOp op, Tensor x) { throw pending(); }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) { throw pending(); }

    @Override
    public Tensor binaryScalar(BinaryOp op, Tensor a, double scalar) { throw pending(); }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b) { throw pending(); }

    // ------------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) { throw pending(); }

    @Override
    public Tensor argmax(Tensor x, int dim, boolean keepDim) { throw pending(); }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) { throw pending(); }

    // ------------------------------------------------------------------ indexing

    @Override
    public Tensor indexSelect(Tensor x, int dim, Tensor index) { throw pending(); }

    @Override
    public Tensor gather(Tensor x, int dim, Tensor index) { throw pending(); }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) { throw pending(); }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { throw pending(); }

    @Override
    public Tensor concat(List<Tensor> tensors, int dim) { throw pending(); }

    // ------------------------------------------------------------------ fused ops (CPU kernels)

    // Placeholder for the skeleton commit only: the primitives and GEMM work replace every use.
    private static UnsupportedOperationException pending() {
        return new UnsupportedOperationException("CPU kernel not written yet");
    }
}
