package io.jswift.backend.opencl;

import io.jswift.tensor.Tensor;
import java.util.List;

/** Indexing ops and concatenation (not yet implemented). */
final class ClIndex {
    private final ClContext ctx;

    ClIndex(ClContext ctx) { this.ctx = ctx; }

    Tensor indexSelect(Tensor x, int dim, Tensor index) { throw new UnsupportedOperationException("opencl: indexSelect not implemented yet"); }

    Tensor gather(Tensor x, int dim, Tensor index) { throw new UnsupportedOperationException("opencl: gather not implemented yet"); }

    void scatterAdd(Tensor dst, int dim, Tensor index, Tensor src) { throw new UnsupportedOperationException("opencl: scatterAdd not implemented yet"); }

    void indexAdd(Tensor dst, int dim, Tensor index, Tensor src) { throw new UnsupportedOperationException("opencl: indexAdd not implemented yet"); }

    Tensor concat(List<Tensor> tensors, int dim) { throw new UnsupportedOperationException("opencl: concat not implemented yet"); }
}
