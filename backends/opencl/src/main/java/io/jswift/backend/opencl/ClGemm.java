package io.jswift.backend.opencl;

import io.jswift.tensor.Tensor;

/** Batched GEMM (not yet implemented). */
final class ClGemm {
    private final ClContext ctx;

    ClGemm(ClContext ctx) { this.ctx = ctx; }

    Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) { throw new UnsupportedOperationException("opencl: matmul not implemented yet"); }

    void matmulInto(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) { throw new UnsupportedOperationException("opencl: matmul not implemented yet"); }
}
