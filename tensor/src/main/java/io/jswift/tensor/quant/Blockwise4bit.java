package io.jswift.tensor.quant;

import java.util.stream.IntStream;

/**
 * bitsandbytes' blockwise 4-bit quantization ({@code functional.quantize_4bit} / {@code dequantize_4bit}) on host
 * arrays, following the CUDA kernels ({@code kQuantizeBlockwise}, {@code kDequantizeBlockwise}) bit for bit. Dims:
 * n = elements of the (row-major, flattened) weight, blocks = ceil(n / blocksize).
 *
 * <ul>
 * <li>absmax[b] = max |w| over block b (the last block may be partial); each element is scaled by the float
 *     reciprocal {@code 1.0f / absmax} (a multiplication, not a division, and no clamp) and mapped to its nibble by
 *     {@link FourBitType#quantize}.
 * <li>Two elements per byte, the first in the high nibble; an odd n is padded with a 0 element scaled like the last
 *     block.
 * <li>An all-zero block: 1/0 = inf and 0·inf = NaN, which the trees map to nibble 0 (NF4 -1.0, FP4 +0) with absmax
 *     0, so the block dequantizes to ±0. bitsandbytes' CPU/default path differs here (it clamps absmax to 1e-38 and
 *     picks NF4's 0.0) and at FP4's zero sign (argsort order of ±0) and divides in the last partial block; we follow
 *     CUDA, which wrote nearly every published bnb-4bit checkpoint.
 * <li>Dequantization: table value (float) times absmax (float), rounded once to the output dtype.
 * </ul>
 */
public final class Blockwise4bit {
    /** bitsandbytes' (and transformers') default 4-bit blocksize. */
    public static final int BLOCKSIZE = 64;

    private Blockwise4bit() {}

    /** The packed nibbles [ceil(n / 2)] and one absmax per block [blocks]. */
    public record Packed(byte[] data, float[] absmax) {}

    public static int blocks(long n, int blocksize) {
        return Math.toIntExact((n + blocksize - 1) / blocksize);
    }

    /** Bytes of the packed data of n elements: two per byte. */
    public static int packedBytes(long n) {
        return Math.toIntExact((n + 1) / 2);
    }

    public static Packed quantize(float[] w, FourBitType type, int blocksize) {
        if (blocksize % 2 != 0) throw new IllegalArgumentException("blocksize must be even, got " + blocksize);
        int n = w.length;
        float[] absmax = absmax(w, blocksize);
        byte[] out = new byte[packedBytes(n)];
        // blocks are independent and (blocksize even) own whole bytes: quantized in parallel, same bytes in any order
        IntStream.range(0, absmax.length).parallel().forEach(b -> {
            float recip = 1.0f / absmax[b];
            int end = Math.min(n, (b + 1) * blocksize);
            for (int i = b * blocksize; i < end; i++) {
                int q = type.quantize(w[i] * recip);
                out[i >> 1] |= (byte) ((i & 1) == 0 ? q << 4 : q);
            }
        });
        if ((n & 1) == 1) out[n >> 1] |= (byte) type.quantize(0f * (1.0f / absmax[absmax.length - 1]));
        return new Packed(out, absmax);
    }

    /** Elements [from, from + count) of a weight as float32, for quantizing a large weight one slice at a time. */
    @FunctionalInterface
    public interface Slices {
        float[] read(int from, int count);
    }

    /**
     * As {@link #quantize(float[], FourBitType, int)} on the n elements {@code w} reads, asked for in slices of whole
     * blocks (at most {@code sliceElements}, at least one block): the same bytes, since blocks are independent and a
     * block of even size owns whole bytes, with one slice of floats in memory instead of the whole weight.
     */
    public static Packed quantize(Slices w, int n, FourBitType type, int blocksize, int sliceElements) {
        if (blocksize % 2 != 0) throw new IllegalArgumentException("blocksize must be even, got " + blocksize);
        int step = Math.max(blocksize, sliceElements / blocksize * blocksize);
        byte[] out = new byte[packedBytes(n)];
        float[] absmax = new float[blocks(n, blocksize)];
        for (int from = 0; from < n; from += step) {
            int count = Math.min(step, n - from);
            float[] part = w.read(from, count);
            if (part.length != count) throw new IllegalStateException("asked for " + count + " elements from " + from + ", got " + part.length);
            Packed p = quantize(part, type, blocksize);
            System.arraycopy(p.data(), 0, out, from / 2, p.data().length);
            System.arraycopy(p.absmax(), 0, absmax, from / blocksize, p.absmax().length);
        }
        return new Packed(out, absmax);
    }

    /** max |w| per block of {@code blocksize} (the last block may be partial). */
    public static float[] absmax(float[] w, int blocksize) {
        float[] absmax = new float[blocks(w.length, blocksize)];
        IntStream.range(0, absmax.length).parallel().forEach(b -> {
            float m = 0;
            for (int i = b * blocksize, end = Math.min(w.length, (b + 1) * blocksize); i < end; i++) m = Math.max(m, Math.abs(w[i]));
            absmax[b] = m;
        });
        return absmax;
    }

    /** The n float32 values of packed 4-bit data: table value times the block's absmax. */
    public static float[] dequantize(byte[] packed, float[] absmax, FourBitType type, int blocksize, int n) {
        if (packed.length != packedBytes(n)) {
            throw new IllegalArgumentException(n + " elements take " + packedBytes(n) + " packed bytes, got " + packed.length);
        }
        if (absmax.length != blocks(n, blocksize)) {
            throw new IllegalArgumentException(n + " elements in blocks of " + blocksize + " need " + blocks(n, blocksize)
                    + " absmax values, got " + absmax.length);
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            int q = (i & 1) == 0 ? (packed[i >> 1] >> 4) & 0xF : packed[i >> 1] & 0xF;
            out[i] = type.value(q) * absmax[i / blocksize];
        }
        return out;
    }
}
