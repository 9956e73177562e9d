package io.jswift.tensor.quant;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * A bnb-4bit weight as a backend takes it, in the tensors a checkpoint stores (nothing decoded ahead of use): the
 * packed nibbles U8 [P] (any shape with P = ceil(n/2) elements, the first element of a byte in its high nibble), the
 * absmax per block ({@link Plain} float32, or {@link Nested}: bitsandbytes' double quantization kept as 8-bit codes,
 * which kernels decode block by block), the code type, the blocksize and the weight's shape [N, K].
 *
 * <p>Bytes per weight held: 0.5 packed, plus 4/blocksize for a plain absmax or (1 + 4/256)/blocksize nested (bnb's
 * layout, blocksize 64: 0.5625 plain, ~0.5158 nested).
 */
public record Weight4bit(Tensor packed, Absmax absmax, FourBitType type, int blocksize, int[] shape) {
    /** Where each block's float32 absmax comes from. */
    public sealed interface Absmax permits Plain, Nested {}

    /** absmax[b] as float32 values [blocks]. */
    public record Plain(Tensor values) implements Absmax {}

    /**
     * absmax[b] = code[codes[b]] · absmax2[b / blocksize] + offset in float32 (bitsandbytes' dequantize_blockwise of
     * the nested state, then + offset): codes U8 [blocks], absmax2 F32 [ceil(blocks / blocksize)], code F32 [256].
     */
    public record Nested(Tensor codes, Tensor absmax2, Tensor code, int blocksize, float offset) implements Absmax {}

    public Weight4bit {
        if (shape.length != 2) throw new IllegalArgumentException("a 4-bit weight is 2-D [N, K], got " + Arrays.toString(shape));
        if (packed.dtype() != DType.U8) throw new IllegalArgumentException("packed 4-bit data must be U8, got " + packed.dtype());
        shape = shape.clone();
        if (absmax instanceof Nested n) {
            if (n.codes().dtype() != DType.U8) throw new IllegalArgumentException("nested absmax codes must be U8, got " + n.codes().dtype());
            if (n.absmax2().dtype() != DType.F32 || n.code().dtype() != DType.F32 || n.code().numel() != 256) {
                throw new IllegalArgumentException("nested absmax needs F32 absmax2 and an F32 [256] code");
            }
            if (n.blocksize() <= 0 || n.absmax2().numel() != Blockwise4bit.blocks(n.codes().numel(), n.blocksize())) {
                throw new IllegalArgumentException(n.codes().numel() + " absmax codes in nested blocks of " + n.blocksize() + " need "
                        + Blockwise4bit.blocks(n.codes().numel(), Math.max(1, n.blocksize())) + " nested absmax values, got " + n.absmax2().numel());
            }
        }
    }

    public int rows() { return shape[0]; }

    public int cols() { return shape[1]; }

    public long numel() { return (long) shape[0] * shape[1]; }

    public int blocks() { return Blockwise4bit.blocks(numel(), blocksize); }

    /** The absmax tensor checked by the op rules: the plain values, or the nested codes (one per block either way). */
    public Tensor absmaxTensor() {
        return absmax instanceof Plain p ? p.values() : ((Nested) absmax).codes();
    }

    /** Bytes these tensors hold (packed, absmax or codes + nested absmax + code), for memory accounting. */
    public long bytes() {
        long b = packed.numel() + switch (absmax) {
            case Plain p -> 4 * p.values().numel();
            case Nested n -> n.codes().numel() + 4 * n.absmax2().numel() + 4 * n.code().numel();
        };
        return b;
    }
}
