package io.jswift.backend.cpu.fused;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

/** Fast-path eligibility: the fused kernels run on contiguous f32 data; anything else takes the reference. */
final class Contig {
    private Contig() {}

    static boolean f32(Tensor... ts) {
        for (Tensor t : ts) if (t != null && t.dtype() != DType.F32) return false;
        return true;
    }

    /** f32 and contiguous (copying a strided f32 view first). */
    static Tensor of(Tensor t) {
        return t == null ? null : t.contiguous();
    }

    /** A weight as contiguous f32 (16-bit frozen weights are widened once; they are small vectors). */
    static Tensor f32Weight(Tensor w) {
        return w == null ? null : (w.dtype() == DType.F32 ? w : w.to(DType.F32)).contiguous();
    }
}
