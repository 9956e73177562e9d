package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.Blockwise4bit;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.Weight4bit;

import java.util.Arrays;
import java.util.List;

/**
 * The 4-bit op family of {@link Backend} (bitsandbytes' dequantize_4bit; later fused 4-bit GEMV / GEMM) as a
 * composition of primitives: the reference the tests use and what a backend without a kernel runs. Dims: n =
 * elements of the weight, P = ceil(n / 2) packed bytes, blocks = ceil(n / blocksize).
 */
public final class QuantReference {
    private QuantReference() {}

    /** The op's argument rules, one definition for every backend. */
    public static void checkDequantize4bit(Tensor packed, Tensor absmax, int blocksize, int[] shape, DType dtype) {
        if (absmax.dtype() != DType.F32) throw new IllegalArgumentException("dequantize4bit: absmax must be F32, got " + absmax.dtype());
        checkLayout(packed, absmax, blocksize, shape, dtype);
    }

    /** packed holds ceil(n/2) bytes and absmax (values or nested codes) one element a block of the shape's n elements. */
    private static void checkLayout(Tensor packed, Tensor absmax, int blocksize, int[] shape, DType dtype) {
        long n = 1;
        for (int d : shape) {
            if (d <= 0) throw new IllegalArgumentException("dequantize4bit: bad shape " + Arrays.toString(shape));
            n *= d;
        }
        if (packed.dtype() != DType.U8) throw new IllegalArgumentException("dequantize4bit: packed data must be U8, got " + packed.dtype());
        if (blocksize <= 0) throw new IllegalArgumentException("dequantize4bit: blocksize " + blocksize);
        if (packed.numel() != Blockwise4bit.packedBytes(n)) {
            throw new IllegalArgumentException("dequantize4bit: " + Arrays.toString(shape) + " packs into " + Blockwise4bit.packedBytes(n)
                    + " bytes, got " + packed.numel());
        }
        if (absmax.numel() != Blockwise4bit.blocks(n, blocksize)) {
            throw new IllegalArgumentException("dequantize4bit: " + Arrays.toString(shape) + " in blocks of " + blocksize + " needs "
                    + Blockwise4bit.blocks(n, blocksize) + " absmax values, got " + absmax.numel());
        }
        if (!dtype.isFloatingPoint()) throw new IllegalArgumentException("dequantize4bit: output dtype must be floating, got " + dtype);
    }

    /**
     * value[i] = table[nibble i] · absmax[i / blocksize] in f32, rounded once to {@code dtype}: two 256-entry lookups
     * (one per nibble of a byte, built on the host from the 16-entry table) select the values, the pairs interleave,
     * and full blocks and the partial last block are scaled by their absmax.
     */
    public static Tensor dequantize4bit(Backend b, Tensor packed, Tensor absmax, FourBitType type, int blocksize, int[] shape, DType dtype) {
        checkDequantize4bit(packed, absmax, blocksize, shape, dtype);
        int n = Math.toIntExact(numel(shape));
        int pairs = Math.toIntExact(packed.numel());
        float[] hi = new float[256], lo = new float[256];
        for (int v = 0; v < 256; v++) {
            hi[v] = type.value(v >> 4);
            lo[v] = type.value(v & 0xF);
        }
        Tensor index = b.cast(packed.reshape(pairs), DType.I32);
        Tensor high = b.indexSelect(b.fromHost(Tensor.of(hi)), 0, index).reshape(pairs, 1);
        Tensor low = b.indexSelect(b.fromHost(Tensor.of(lo)), 0, index).reshape(pairs, 1);
        Tensor values = b.concat(List.of(high, low), 1).reshape(2 * pairs).narrow(0, 0, n);
        Tensor out = scaleBlocks(b, values, absmax, blocksize).reshape(shape);
        return dtype == DType.F32 ? out : b.cast(out, dtype);
    }

    /** values [n] times scale[i / blocksize]: full blocks as one broadcast product, the partial last block apart. */
    private static Tensor scaleBlocks(Backend b, Tensor values, Tensor scale, int blocksize) {
        int n = Math.toIntExact(values.numel());
        int full = n / blocksize, rem = n % blocksize;
        Tensor scaled = null;
        if (full > 0) {
            Tensor head = values.narrow(0, 0, full * blocksize).reshape(full, blocksize);
            scaled = b.binary(BinaryOp.MUL, head, scale.narrow(0, 0, full).reshape(full, 1)).reshape(full * blocksize);
        }
        if (rem > 0) {
            Tensor tail = b.binary(BinaryOp.MUL, values.narrow(0, full * blocksize, rem), scale.narrow(0, full, 1));
            scaled = scaled == null ? tail : b.concat(List.of(scaled, tail), 0);
        }
        return scaled;
    }

    /** x [M, K] · dequantize4bit(W)ᵀ: the dequantized weight [N, K] (the backend's op) then one matmul. */
    public static Tensor matmul4bit(Backend b, Tensor x, Tensor packed, Tensor absmax, FourBitType type, int blocksize, int[] shape,
                                    DType weightDtype) {
        checkMatmul4bit(x, shape);
        return b.matmul(x, b.dequantize4bit(packed, absmax, type, blocksize, shape, weightDtype), false, true);
    }

    /** The rules of the {@link Weight4bit} ops: the stored tensors fit the shape and blocksize. */
    public static void checkWeight4bit(Weight4bit w, DType dtype) {
        if (w.absmax() instanceof Weight4bit.Plain p && p.values().dtype() != DType.F32) {
            throw new IllegalArgumentException("dequantize4bit: absmax must be F32, got " + p.values().dtype());
        }
        checkLayout(w.packed(), w.absmaxTensor(), w.blocksize(), w.shape(), dtype);
    }

    /**
     * Each block's float32 absmax: the plain values, or the double-quantized ones decoded as bitsandbytes'
     * dequantize_blockwise does, code[q] · absmax2[b / blocksize2] (one rounding), then + offset (another).
     */
    public static Tensor absmax(Backend b, Weight4bit w) {
        if (w.absmax() instanceof Weight4bit.Plain p) return p.values();
        Weight4bit.Nested n = (Weight4bit.Nested) w.absmax();
        int blocks = Math.toIntExact(n.codes().numel());
        Tensor values = b.indexSelect(n.code(), 0, b.cast(n.codes().reshape(blocks), DType.I32));
        Tensor scaled = scaleBlocks(b, values, n.absmax2(), n.blocksize());
        return b.binary(BinaryOp.ADD, scaled, b.fromHost(Tensor.of(new float[]{n.offset()})));
    }

    public static Tensor dequantize4bit(Backend b, Weight4bit w, DType dtype) {
        checkWeight4bit(w, dtype);
        return b.dequantize4bit(w.packed(), absmax(b, w), w.type(), w.blocksize(), w.shape(), dtype);
    }

    /** x · Wᵀ by the op with a float32 absmax, or x · W as one matmul with the dequantized weight. */
    public static Tensor matmul4bit(Backend b, Tensor x, Weight4bit w, boolean transW, DType weightDtype) {
        checkMatmul4bit(x, w, transW);
        checkWeight4bit(w, weightDtype);
        if (transW) return b.matmul4bit(x, w.packed(), absmax(b, w), w.type(), w.blocksize(), w.shape(), weightDtype);
        return b.matmul(x, b.dequantize4bit(w, weightDtype), false, false);
    }

    /** x [M, K] for x · Wᵀ, x [M, N] for x · W. */
    public static void checkMatmul4bit(Tensor x, Weight4bit w, boolean transW) {
        int inner = transW ? w.cols() : w.rows();
        if (x.rank() != 2 || x.size(1) != inner) {
            throw new IllegalArgumentException("matmul4bit: x must be [M, " + inner + "] to multiply " + (transW ? "Wᵀ" : "W") + " of W "
                    + Arrays.toString(w.shape()) + ", got " + Arrays.toString(x.shape()));
        }
    }

    public static void checkMatmul4bit(Tensor x, int[] shape) {
        if (shape.length != 2) throw new IllegalArgumentException("matmul4bit: the weight must be 2-D [N, K], got " + Arrays.toString(shape));
        if (x.rank() != 2 || x.size(1) != shape[1]) {
            throw new IllegalArgumentException("matmul4bit: x must be [M, " + shape[1] + "], got " + Arrays.toString(x.shape()));
        }
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }
}
