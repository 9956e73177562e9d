package io.jswift.backend.opencl;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.ReduceOp;

/** Reductions and argmax (not yet implemented). */
final class ClReduce {
    private final ClContext ctx;

    ClReduce(ClContext ctx) { this.ctx = ctx; }

    Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) { throw new UnsupportedOperationException("opencl: reduce not implemented yet"); }

    Tensor argmax(Tensor x, int dim, boolean keepDim) { throw new UnsupportedOperationException("opencl: argmax not implemented yet"); }
}
