package io.jswift.tensor.quant;

import io.jswift.tensor.DType;

import java.util.Arrays;

/**
 * What dequantizes one bnb-4bit weight (bitsandbytes' {@code QuantState}): the code type, blocksize, the original
 * dtype and shape, the {@code quant_map} as stored, and the absmax per block, either plain float32 or double
 * quantized ({@link Nested}). Arrays are owned by the record: do not modify them.
 */
public record QuantState4bit(FourBitType type, int blocksize, DType dtype, int[] shape, float[] quantMap,
                             float[] plainAbsmax, Nested nested) {

    /**
     * Double quantization of the absmax: {@code codes[b]} indexes {@code code} (the 8-bit dynamic map), scaled per
     * block of {@code blocksize} by {@code absmax}, plus {@code offset} (the mean of the original absmax).
     */
    public record Nested(byte[] codes, float[] absmax, float[] code, int blocksize, float offset) {}

    public QuantState4bit {
        if ((plainAbsmax == null) == (nested == null)) throw new IllegalArgumentException("exactly one of plain or nested absmax");
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("bnb-4bit weights come from float32, bfloat16 or float16, not " + dtype);
        }
    }

    /** The quantized weight and its state, what {@code functional.quantize_4bit} returns. */
    public record Quantized(byte[] packed, QuantState4bit state) {}

    /**
     * bitsandbytes' quantize_4bit of a row-major weight {@code w} (already rounded to {@code dtype}, whose name the
     * state records) with blocksize 64; with {@code doubleQuant} (compress_statistics) the absmax minus its mean is
     * quantized to 8 bits with the dynamic map in blocks of 256. The mean is the float32 rounding of the float64 mean
     * (torch's float32 reduction order differs between CPU and CUDA anyway; the offset is stored, so loading is exact).
     */
    public static Quantized quantize(float[] w, int[] shape, DType dtype, FourBitType type, boolean doubleQuant) {
        if ((long) w.length != numel(shape)) throw new IllegalArgumentException(w.length + " values for shape " + Arrays.toString(shape));
        return withState(Blockwise4bit.quantize(w, type, Blockwise4bit.BLOCKSIZE), shape, dtype, type, doubleQuant);
    }

    /**
     * As {@link #quantize(float[], int[], DType, FourBitType, boolean)} on a weight read in slices of at most
     * {@code sliceElements} ({@link Blockwise4bit#quantize(Blockwise4bit.Slices, int, FourBitType, int, int)}): the
     * same result, without the whole weight as floats in memory.
     */
    public static Quantized quantize(Blockwise4bit.Slices w, int[] shape, DType dtype, FourBitType type, boolean doubleQuant, int sliceElements) {
        int n = Math.toIntExact(numel(shape));
        return withState(Blockwise4bit.quantize(w, n, type, Blockwise4bit.BLOCKSIZE, sliceElements), shape, dtype, type, doubleQuant);
    }

    private static Quantized withState(Blockwise4bit.Packed p, int[] shape, DType dtype, FourBitType type, boolean doubleQuant) {
        float[] absmax = p.absmax();
        if (!doubleQuant) {
            return new Quantized(p.data(), new QuantState4bit(type, Blockwise4bit.BLOCKSIZE, dtype, shape.clone(), type.quantMap(), absmax, null));
        }
        double sum = 0;
        for (float a : absmax) sum += a;
        float offset = (float) (sum / absmax.length);
        float[] centered = new float[absmax.length];
        for (int i = 0; i < absmax.length; i++) centered[i] = absmax[i] - offset;
        float[] code = DynamicMap.create();
        Blockwise8bit.Quantized q = Blockwise8bit.quantize(centered, code, Blockwise8bit.NESTED_BLOCKSIZE);
        Nested nested = new Nested(q.codes(), q.absmax(), code, Blockwise8bit.NESTED_BLOCKSIZE, offset);
        return new Quantized(p.data(), new QuantState4bit(type, Blockwise4bit.BLOCKSIZE, dtype, shape.clone(), type.quantMap(), null, nested));
    }

    public long numel() { return numel(shape); }

    public int blocks() { return Blockwise4bit.blocks(numel(), blocksize); }

    /** The float32 absmax per block that dequantization multiplies by (nested: code[q]·absmax2 + offset). */
    public float[] absmax() {
        if (nested == null) return plainAbsmax;
        float[] a = Blockwise8bit.dequantize(nested.codes(), nested.absmax(), nested.code(), nested.blocksize());
        for (int i = 0; i < a.length; i++) a[i] += nested.offset();
        return a;
    }

    /** The weight in float32 (before rounding to {@link #dtype()}). */
    public float[] dequantize(byte[] packed) {
        return Blockwise4bit.dequantize(packed, absmax(), type, blocksize, Math.toIntExact(numel()));
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }
}
