package io.jswift.tensor.quant;

import java.util.Arrays;

/**
 * bitsandbytes' signed 8-bit "dynamic" map ({@code functional.create_dynamic_map(signed=True, max_exponent_bits=7,
 * total_bits=8)}): the code of the nested (double) quantization of 4-bit absmax values, and its quantizer
 * ({@code dQuantize<0>} of csrc/kernels.cu).
 */
public final class DynamicMap {
    private DynamicMap() {}

    /**
     * The 256 sorted values: for exponent i = 0..6, the 2^i midpoints of {@code torch.linspace(0.1, 1, 2^i + 1)} times
     * ±10^(i-6), then 0 and 1. torch's float32 linspace on the CPU computes {@code start + step * k} (and
     * {@code end - step * (steps - k - 1)} past the middle) with a fused multiply-add; without the fma 12 of the 256
     * values differ by an ulp (checked against torch in the golden file).
     */
    public static float[] create() {
        float[] data = new float[256];
        int n = 0;
        for (int i = 0; i < 7; i++) {
            int steps = (1 << i) + 1;
            float[] boundaries = linspace(0.1f, 1f, steps);
            float scale = (float) Math.pow(10, i - 6); // Python's 10 ** (i - 6), then float32 as torch's scalar multiply
            for (int k = 0; k + 1 < steps; k++) {
                float mean = (boundaries[k] + boundaries[k + 1]) / 2.0f;
                data[n++] = scale * mean;
                data[n++] = -scale * mean;
            }
        }
        data[n++] = 0f;
        data[n++] = 1f;
        if (n != 256) throw new AssertionError(n);
        Arrays.sort(data);
        return data;
    }

    private static float[] linspace(float start, float end, int steps) {
        float[] out = new float[steps];
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int k = 0; k < steps; k++) {
            out[k] = k < halfway ? Math.fma(step, (float) k, start) : Math.fma(-step, (float) (steps - k - 1), end);
        }
        return out;
    }

    /**
     * The index of {@code x} (already scaled into [-1, 1]) in a sorted 256-entry {@code code}: kernels.cu's
     * dQuantize&lt;0&gt;, a 7-step binary search from the middle, then the nearer of the two neighbours by their float
     * midpoint (a tie goes towards the pivot). NaN walks to the bottom and returns the pivot there.
     */
    public static int quantize(float[] code, float x) {
        int pivot = 127, upperPivot = 255, lowerPivot = 0;
        float lower = -1.0f, upper = 1.0f;
        float val = code[pivot];
        for (int i = 64; i > 0; i >>= 1) {
            if (x > val) {
                lowerPivot = pivot;
                lower = val;
                pivot += i;
            } else {
                upperPivot = pivot;
                upper = val;
                pivot -= i;
            }
            val = code[pivot];
        }
        if (upperPivot == 255) upper = code[upperPivot];
        if (lowerPivot == 0) lower = code[lowerPivot];
        if (x > val) {
            float midpoint = (upper + val) * 0.5f;
            return x > midpoint ? upperPivot : pivot;
        }
        float midpoint = (lower + val) * 0.5f;
        return x < midpoint ? lowerPivot : pivot;
    }
}
