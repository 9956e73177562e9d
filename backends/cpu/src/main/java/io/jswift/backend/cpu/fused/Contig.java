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

    /**
     * A [B, H, S, D] tensor whose rows are contiguous within each head (strides D and 1), as is, else a
     * contiguous copy: the KV cache's first positions are such a view of its [B, H, capacity, D] buffers, and
     * copying them whole for every decoded token cost more than the attention itself.
     */
    static Tensor headRows(Tensor t) {
        if (t == null) return null;
        return t.rank() == 4 && (t.stride(3) == 1 || t.size(3) == 1) && (t.stride(2) == t.size(3) || t.size(2) == 1) ? t : t.contiguous();
    }

    /** Element offset of head {@code h} of batch {@code b} in a {@link #headRows} tensor. */
    static long headOffset(Tensor t, int b, int h) {
        return t.offset() + b * t.stride(0) + h * t.stride(1);
    }

    /** A weight as contiguous f32 (16-bit frozen weights are widened once; they are small vectors). */
    static Tensor f32Weight(Tensor w) {
        return w == null ? null : (w.dtype() == DType.F32 ? w : w.to(DType.F32)).contiguous();
    }
}
