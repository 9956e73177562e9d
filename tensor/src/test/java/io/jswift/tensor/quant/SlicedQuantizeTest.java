package io.jswift.tensor.quant;

import io.jswift.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Quantizing a weight read in slices (Linear4bit at load) gives the bytes of quantizing it whole, which
 * Bnb4bitGoldenTest checks against bitsandbytes: odd sizes, a partial last block, slices that are not a multiple of
 * the blocksize (rounded down to whole blocks) and slices larger than the weight.
 */
class SlicedQuantizeTest {
    @ParameterizedTest
    @CsvSource({"NF4, 1001, 64, true", "NF4, 1001, 100, false", "FP4, 777, 192, true", "NF4, 4096, 1000000, true",
            "FP4, 65, 1, false", "NF4, 64000, 6400, true"})
    void slicesGiveTheWholeWeightsBytes(FourBitType type, int n, int slice, boolean doubleQuant) {
        Random r = new Random(n * 31L + slice);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) r.nextGaussian() * (i % 300 == 0 ? 4 : 0.3f);
        Arrays.fill(w, Math.min(128, n), Math.min(192, n), 0f); // an all-zero block
        int[] shape = {n};
        QuantState4bit.Quantized whole = QuantState4bit.quantize(w, shape, DType.BF16, type, doubleQuant);
        int[] calls = {0};
        QuantState4bit.Quantized sliced = QuantState4bit.quantize((from, count) -> {
            calls[0]++;
            return Arrays.copyOfRange(w, from, from + count);
        }, shape, DType.BF16, type, doubleQuant, slice);
        assertArrayEquals(whole.packed(), sliced.packed(), "packed bytes");
        assertArrayEquals(whole.state().absmax(), sliced.state().absmax(), "absmax");
        if (doubleQuant) {
            assertArrayEquals(whole.state().nested().codes(), sliced.state().nested().codes(), "nested codes");
            assertArrayEquals(whole.state().nested().absmax(), sliced.state().nested().absmax(), "nested absmax");
            assertEquals(whole.state().nested().offset(), sliced.state().nested().offset(), "nested offset");
        }
        int step = Math.max(64, slice / 64 * 64);
        assertEquals((n + step - 1) / step, calls[0], "slices read");
    }
}
