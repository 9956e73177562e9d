package io.jswift.train.testing;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one closeness rule of the trainers' golden tests: a gradient (or other array) against the reference's. */
public final class GradAssert {
    private GradAssert() {}

    /** Each element within 1e-5 of the largest |want| plus 1e-4 of its own |want|. */
    public static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        double scale = 0;
        for (float w : want) scale = Math.max(scale, Math.abs(w));
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(want[i] - got[i]) > 1e-5 * scale + 1e-4 * Math.abs(want[i])) {
                throw new AssertionError(what + " element " + i + ": TRL " + want[i] + ", jswift " + got[i] + " (max |grad| " + scale + ") "
                        + Arrays.toString(Arrays.copyOf(got, Math.min(6, got.length))));
            }
        }
    }
}
