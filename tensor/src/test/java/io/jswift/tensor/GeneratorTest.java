package io.jswift.tensor;

import io.jswift.tensor.spi.RandomSpec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Philox generator: its state is (seed, offset), fills are reproducible and split-able, and the
 * distributions have the asked moments. Statistical bounds are 5+ standard errors wide, so a correct
 * generator fails them with negligible probability while a wrong scale or shift fails them surely.
 */
class GeneratorTest {
    private static float[] fill(Generator g, int n, RandomSpec spec) {
        float[] out = new float[n];
        g.fill(out, spec);
        return out;
    }

    @Test
    void sameSeedSameValuesAndOffsetsAdvanceByBlocks() {
        RandomSpec spec = new RandomSpec.Uniform(0, 1);
        Generator a = new Generator(42), b = new Generator(42);
        assertArrayEquals(fill(a, 1001, spec), fill(b, 1001, spec));
        assertEquals(251, a.offset()); // ceil(1001 / 4) blocks
        float[] second = fill(a, 8, spec);
        assertArrayEquals(second, fill(new Generator(42, 251), 8, spec), "(seed, offset) is the whole state");
        assertFalse(java.util.Arrays.equals(fill(new Generator(42, 0), 8, spec), second), "a new offset gives new values");
        assertFalse(java.util.Arrays.equals(fill(new Generator(43), 8, spec), fill(new Generator(42), 8, spec)), "seeds differ");
    }

    @Test
    void aFillSplitAtBlockBoundariesEqualsOneFill() {
        // what a device backend relies on: element i is lane i % 4 of block start + i / 4
        RandomSpec spec = new RandomSpec.Normal(0, 1);
        float[] whole = new float[40];
        Generator.fillFrom(7, 100, whole, spec);
        float[] head = new float[12], tail = new float[28];
        Generator.fillFrom(7, 100, head, spec);
        Generator.fillFrom(7, 103, tail, spec);
        for (int i = 0; i < 12; i++) assertEquals(whole[i], head[i]);
        for (int i = 0; i < 28; i++) assertEquals(whole[12 + i], tail[i]);
        float[] odd = new float[5]; // a ragged last block holds the same leading lanes
        Generator.fillFrom(7, 100, odd, spec);
        for (int i = 0; i < 5; i++) assertEquals(whole[i], odd[i]);
    }

    @Test
    void normalHasTheAskedMeanAndStd() {
        int n = 200_000;
        float[] v = fill(new Generator(1), n, new RandomSpec.Normal(3, 0.5));
        double mean = 0, m2 = 0, m4 = 0;
        for (float x : v) mean += x;
        mean /= n;
        for (float x : v) {
            double d = x - mean;
            m2 += d * d;
            m4 += d * d * d * d;
        }
        m2 /= n;
        m4 /= n;
        assertEquals(3, mean, 5 * 0.5 / Math.sqrt(n));
        assertEquals(0.5, Math.sqrt(m2), 5 * 0.5 / Math.sqrt(2.0 * n));
        assertEquals(3, m4 / (m2 * m2), 0.1, "kurtosis of a normal"); // a uniform would give 1.8
        for (float x : v) assertTrue(Float.isFinite(x));
    }

    @Test
    void uniformStaysInRangeAndIsFlat() {
        int n = 100_000;
        float[] v = fill(new Generator(2), n, new RandomSpec.Uniform(-2, 6));
        int[] bins = new int[8];
        for (float x : v) {
            assertTrue(x >= -2 && x < 6, "out of range: " + x);
            bins[(int) Math.floor(x + 2)]++;
        }
        double expected = n / 8.0, sd = Math.sqrt(n * (1 / 8.0) * (7 / 8.0));
        for (int b : bins) assertEquals(expected, b, 5 * sd, java.util.Arrays.toString(bins));
    }

    @Test
    void bernoulliRateAndNextDouble() {
        int n = 100_000;
        float[] v = fill(new Generator(3), n, new RandomSpec.Bernoulli(0.1));
        int ones = 0;
        for (float x : v) {
            assertTrue(x == 0 || x == 1);
            if (x == 1) ones++;
        }
        assertEquals(0.1 * n, ones, 5 * Math.sqrt(n * 0.1 * 0.9));
        Generator g = new Generator(4);
        double sum = 0;
        for (int i = 0; i < 10_000; i++) {
            double d = g.nextDouble();
            assertTrue(d >= 0 && d < 1);
            sum += d;
        }
        assertEquals(0.5, sum / 10_000, 5 * Math.sqrt(1 / 12.0 / 10_000));
        assertEquals(10_000, g.offset());
        assertThrows(IllegalArgumentException.class, () -> g.setOffset(-1));
    }
}
