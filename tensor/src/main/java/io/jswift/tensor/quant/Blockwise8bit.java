package io.jswift.tensor.quant;

/**
 * bitsandbytes' blockwise 8-bit quantization with a 256-entry code ({@code functional.quantize_blockwise} /
 * {@code dequantize_blockwise}, CUDA path): absmax per block, values scaled by the float reciprocal of the block's
 * absmax and looked up with {@link DynamicMap#quantize}. Used for the nested absmax of double quantization.
 */
public final class Blockwise8bit {
    /** The blocksize bitsandbytes' quantize_4bit uses for the nested absmax. */
    public static final int NESTED_BLOCKSIZE = 256;

    private Blockwise8bit() {}

    /** One code index per value [n] and one absmax per block. */
    public record Quantized(byte[] codes, float[] absmax) {}

    public static Quantized quantize(float[] a, float[] code, int blocksize) {
        float[] absmax = Blockwise4bit.absmax(a, blocksize);
        byte[] q = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            float recip = 1.0f / absmax[i / blocksize];
            q[i] = (byte) DynamicMap.quantize(code, a[i] * recip);
        }
        return new Quantized(q, absmax);
    }

    /** code[q] · absmax of its block, in float32. */
    public static float[] dequantize(byte[] q, float[] absmax, float[] code, int blocksize) {
        if (absmax.length != Blockwise4bit.blocks(q.length, blocksize)) {
            throw new IllegalArgumentException(q.length + " values in blocks of " + blocksize + " need "
                    + Blockwise4bit.blocks(q.length, blocksize) + " absmax values, got " + absmax.length);
        }
        float[] out = new float[q.length];
        for (int i = 0; i < q.length; i++) out[i] = code[q[i] & 0xFF] * absmax[i / blocksize];
        return out;
    }
}
