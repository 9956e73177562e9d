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
import io.jswift.backend.cpu.gemm.Matmul;
import io.jswift.backend.cpu.kernels.CopyKernels;
import io.jswift.backend.cpu.kernels.ElementwiseKernels;
import io.jswift.backend.cpu.kernels.IndexKernels;
import io.jswift.backend.cpu.kernels.ReduceKernels;

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
    public void copy(Tensor src, Tensor dst) { CopyKernels.copy(src, dst); }

    @Override
    public void fill(Tensor dst, double value) { CopyKernels.fill(dst, value); }

    @Override
    public Tensor arange(double start, double end, double step, DType dtype) { return CopyKernels.arange(start, end, step, dtype); }

    @Override
    public void fillRandom(Tensor dst, RandomSpec spec, Generator generator) { CopyKernels.fillRandom(dst, spec, generator); }

    // ------------------------------------------------------------------ elementwise

    @Override
    public Tensor unary(UnaryOp op, Tensor x) { return ElementwiseKernels.unary(op, x); }

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) { return ElementwiseKernels.binary(op, a, b); }

    @Override
    public Tensor binaryScalar(BinaryOp op, Tensor a, double scalar) { return ElementwiseKernels.binaryScalar(op, a, scalar); }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b) { return ElementwiseKernels.where(cond, a, b); }

    // ------------------------------------------------------------------ reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) { return ReduceKernels.reduce(op, x, dims, keepDim); }

    @Override
    public Tensor argmax(Tensor x, int dim, boolean keepDim) { return ReduceKernels.argmax(x, dim, keepDim); }

    // ------------------------------------------------------------------ linear algebra

    @Override
    public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) { return Matmul.matmul(a, b, transA, transB); }

    @Override
    public void matmul(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) { Matmul.into(a, b, transA, transB, out); }

    // ------------------------------------------------------------------ indexing

    @Override
    public Tensor indexSelect(Tensor x, int dim, Tensor index) { return IndexKernels.indexSelect(x, dim, index); }

    @Override
    public Tensor gather(Tensor x, int dim, Tensor index) { return IndexKernels.gather(x, dim, index); }

    @Override
    public void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) { IndexKernels.scatterAdd(dst, dim, index, src); }

    @Override
    public void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { IndexKernels.indexAdd(dst, dim, index, src); }

    @Override
    public Tensor concat(List<Tensor> tensors, int dim) { return IndexKernels.concat(tensors, dim); }

    // ------------------------------------------------------------------ fused ops (CPU kernels)

}
