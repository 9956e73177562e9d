package io.jswift.backend.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * VecMath against the correctly rounded f32 value of Java's double functions, over a sweep of the float range
 * (every 211th bit pattern: ~20 million floats over the full range, ~8 million over exp's) plus the edges; and the vector lanes against the
 * scalar twins, bit for bit. Measured worst cases: exp 0.89 ulp, log 0.83, tanh 1.87, sigmoid 2.29. Whether the interpreter gives the same bits as C2 is {@link TierIndependenceTest}'s.
 */
class VecMathTest {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int STRIDE = 211;

    @Test
    void expIsWithinOneUlpOverTheFloatRange() {
        assertAccuracy("exp", VecMath::exp, VecMath::exp, Math::exp, -110f, 90f, 1.0);
    }

    @Test
    void sigmoidIsWithinTwoAndAHalfUlp() {
        assertAccuracy("sigmoid", VecMath::sigmoid, VecMath::sigmoid, x -> 1 / (1 + Math.exp(-x)), -120f, 120f, 2.5);
    }

    @Test
    void tanhIsWithinTwoUlp() {
        assertAccuracy("tanh", VecMath::tanh, VecMath::tanh, Math::tanh, -Float.MAX_VALUE, Float.MAX_VALUE, 2.0);
    }

    @Test
    void logIsWithinOneUlpOverThePositiveFloats() {
        assertAccuracy("log", VecMath::log, VecMath::log, Math::log, 0f, Float.MAX_VALUE, 1.0);
    }

    @Test
    void specialValuesFollowMath() {
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE,
                Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f, 88.72283f, 88.72284f, -87.33655f, -103.2789f, -103.97208f,
                -103.97209f, 1e-30f, -1e-30f, 0.5f, 20f, -20f, 9.010913f, 7f / 3};
        for (float x : specials) {
            assertSpecial("exp", VecMath.exp(x), Math.exp(x), x);
            assertSpecial("tanh", VecMath.tanh(x), Math.tanh(x), x);
            assertSpecial("log", VecMath.log(x), Math.log(x), x);
            assertSpecial("sigmoid", VecMath.sigmoid(x), 1 / (1 + Math.exp(-x)), x);
            float[] lanes = new float[F.length()];
            java.util.Arrays.fill(lanes, x);
            FloatVector v = FloatVector.fromArray(F, lanes, 0);
            assertEquals(Float.floatToRawIntBits(VecMath.exp(x)), Float.floatToRawIntBits(VecMath.exp(v).lane(0)), "exp lane of " + x);
            assertEquals(Float.floatToRawIntBits(VecMath.tanh(x)), Float.floatToRawIntBits(VecMath.tanh(v).lane(0)), "tanh lane of " + x);
            assertEquals(Float.floatToRawIntBits(VecMath.log(x)), Float.floatToRawIntBits(VecMath.log(v).lane(0)), "log lane of " + x);
        }
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(VecMath.tanh(-0f)));
        assertEquals(1f, VecMath.exp(0f));
        assertEquals(0f, VecMath.log(1f));
    }

    /** Lane i of the sum is v[i] + v[i + L/2], then + lane i + L/4, ...: the same bits in every run and tier. */
    @Test
    void reductionsFollowTheFixedTree() {
        Random rnd = new Random(7);
        float[] x = new float[F.length()];
        for (int rep = 0; rep < 2000; rep++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
            FloatVector v = FloatVector.fromArray(F, x, 0);
            assertEquals(Float.floatToRawIntBits(tree(x, Float::sum)), Float.floatToRawIntBits(VecMath.sum(v)));
            assertEquals(Float.floatToRawIntBits(tree(x, Math::max)), Float.floatToRawIntBits(VecMath.max(v)));
            assertEquals(Float.floatToRawIntBits(tree(x, Math::min)), Float.floatToRawIntBits(VecMath.min(v)));
        }
        x[1] = Float.NaN;
        assertTrue(Float.isNaN(VecMath.max(FloatVector.fromArray(F, x, 0))));
        assertTrue(Float.isNaN(VecMath.min(FloatVector.fromArray(F, x, 0))));
        java.util.Arrays.fill(x, -0f);
        x[x.length - 1] = 0f;
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(VecMath.max(FloatVector.fromArray(F, x, 0))));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(VecMath.min(FloatVector.fromArray(F, x, 0))));
    }

    @Test
    void narrowerSpeciesAndDoublesReduceInTheSameTree() {
        Random rnd = new Random(8);
        for (VectorSpecies<Float> s : java.util.List.of(FloatVector.SPECIES_64, FloatVector.SPECIES_128, FloatVector.SPECIES_256)) {
            float[] x = new float[s.length()];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            assertEquals(tree(x, Float::sum), VecMath.sum(FloatVector.fromArray(s, x, 0)), s.toString());
        }
        VectorSpecies<Double> d = DoubleVector.SPECIES_PREFERRED;
        double[] y = new double[d.length()];
        for (int i = 0; i < y.length; i++) y[i] = rnd.nextGaussian();
        double[] w = y.clone();
        for (int h = w.length / 2; h >= 1; h /= 2) {
            double[] next = new double[w.length];
            for (int i = 0; i < w.length; i++) next[i] = w[i] + w[(i + h) % w.length];
            w = next;
        }
        assertEquals(w[0], VecMath.sum(DoubleVector.fromArray(d, y, 0)));
    }

    private static float tree(float[] lanes, java.util.function.BinaryOperator<Float> op) {
        float[] w = lanes.clone();
        for (int h = w.length / 2; h >= 1; h /= 2) {
            float[] next = new float[w.length];
            for (int i = 0; i < w.length; i++) next[i] = op.apply(w[i], w[(i + h) % w.length]);
            w = next;
        }
        return w[0];
    }

    /**
     * Sweeps the floats in [lo, hi] (every STRIDE-th bit pattern of each sign, plus lo and hi) through the vector
     * form, checks each lane equals the scalar twin bit for bit and is within maxUlp of the exact value.
     */
    private static void assertAccuracy(String name, UnaryOperator<FloatVector> vector, FloatUnary scalar, DoubleUnaryOperator exact,
                                       float lo, float hi, double maxUlp) {
        int n = F.length();
        float[] in = new float[n], out = new float[n];
        int filled = 0;
        double worst = 0;
        float worstAt = 0;
        long count = 0;
        for (long bits = 0; bits <= 0xffffffffL; bits += STRIDE) {
            float x = Float.intBitsToFloat((int) bits);
            if (!(x >= lo && x <= hi)) continue;
            in[filled++] = x;
            if (filled < n) continue;
            vector.apply(FloatVector.fromArray(F, in, 0)).intoArray(out, 0);
            for (int i = 0; i < n; i++) {
                float s = scalar.apply(in[i]);
                if (Float.floatToRawIntBits(s) != Float.floatToRawIntBits(out[i])) {
                    throw new AssertionError(name + "(" + in[i] + "): lane " + out[i] + " != scalar twin " + s);
                }
                double err = ulpError(out[i], exact.applyAsDouble(in[i]));
                if (err > worst) {
                    worst = err;
                    worstAt = in[i];
                }
            }
            count += n;
            filled = 0;
        }
        assertTrue(count > 5_000_000, name + " swept only " + count);
        assertTrue(worst <= maxUlp, name + ": " + worst + " ulp at " + worstAt + " (" + Float.floatToRawIntBits(worstAt) + ")");
    }

    /** |got - exact| in units of the f32 ulp at the exact value (inf counts as 2^128, subnormal ulps are 2^-149). */
    private static double ulpError(float got, double exact) {
        if (Double.isNaN(exact)) return Float.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
        double g = Float.isInfinite(got) ? Math.copySign(Math.scalb(1.0, 128), got) : got;
        double e = Math.abs(exact) > Float.MAX_VALUE ? Math.copySign(Math.min(Math.abs(exact), Math.scalb(1.0, 128)), exact) : exact;
        float rounded = (float) e;
        double ulp = Float.isInfinite(rounded) ? Math.ulp(Float.MAX_VALUE) : Math.ulp(rounded);
        if (Math.abs(e) < Math.abs(rounded) && Math.getExponent(rounded) > Math.getExponent(Math.nextDown(Math.abs(rounded)))) {
            ulp = Math.ulp(Math.nextDown(Math.abs(rounded))); // exact just under a power of two: the finer ulp below
        }
        return Math.abs(g - e) / ulp;
    }

    private static void assertSpecial(String name, float got, double exact, float x) {
        if (Double.isNaN(exact)) {
            assertTrue(Float.isNaN(got), name + "(" + x + ") = " + got);
        } else if (Double.isInfinite(exact) || exact == 0) {
            assertEquals((float) exact, got, name + "(" + x + ")");
        } else {
            assertTrue(ulpError(got, exact) <= 2, name + "(" + x + ") = " + got + ", exact " + exact);
        }
    }

    @FunctionalInterface
    private interface FloatUnary {
        float apply(float x);
    }
}
