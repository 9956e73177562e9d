package io.jswift.tensor.testing;

import io.jswift.tensor.Tensor;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Elementwise comparison with |a - e| <= atol + rtol·|e| that names the worst element on failure. */
public final class TensorAssert {
    private TensorAssert() {}

    public static void assertClose(double[] expected, Tensor actual, double atol, double rtol, String what) {
        double[] a = actual.toDoubleArray();
        if (a.length != expected.length) fail(what + ": " + a.length + " elements, expected " + expected.length);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < a.length; i++) {
            double e = expected[i];
            boolean bothNaN = Double.isNaN(e) && Double.isNaN(a[i]);
            boolean sameInf = Double.isInfinite(e) && e == a[i];
            if (bothNaN || sameInf) continue;
            double excess = Math.abs(a[i] - e) - (atol + rtol * Math.abs(e));
            if (Double.isNaN(excess) || excess > worstExcess) {
                worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
                worst = i;
            }
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " of shape " + Arrays.toString(actual.shape()) + " is " + a[worst]
                    + ", expected " + expected[worst] + " (atol " + atol + ", rtol " + rtol + ")");
        }
    }

    public static void assertShape(int[] expected, Tensor actual) {
        assertArrayEquals(expected, actual.shape(), "shape");
    }

    /** Relative L2 error ||a - b|| / ||b|| over all elements (b is the reference); the element counts must agree. */
    public static double relL2(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        org.junit.jupiter.api.Assertions.assertEquals(y.length, x.length, "element count");
        double num = 0, den = 0;
        for (int i = 0; i < x.length; i++) {
            num += (x[i] - y[i]) * (x[i] - y[i]);
            den += y[i] * y[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }
}
