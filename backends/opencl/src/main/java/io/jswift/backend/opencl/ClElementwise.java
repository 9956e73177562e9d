package io.jswift.backend.opencl;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.UnaryOp;

/** Elementwise ops with broadcasting and dtype promotion (not yet implemented). */
final class ClElementwise {
    private final ClContext ctx;

    ClElementwise(ClContext ctx) { this.ctx = ctx; }

    Tensor unary(UnaryOp op, Tensor x) { throw new UnsupportedOperationException("opencl: unary not implemented yet"); }

    Tensor binary(BinaryOp op, Tensor a, Tensor b) { throw new UnsupportedOperationException("opencl: binary not implemented yet"); }

    Tensor binaryScalar(BinaryOp op, Tensor a, double s) { throw new UnsupportedOperationException("opencl: binaryScalar not implemented yet"); }

    Tensor where(Tensor c, Tensor a, Tensor b) { throw new UnsupportedOperationException("opencl: where not implemented yet"); }
}
