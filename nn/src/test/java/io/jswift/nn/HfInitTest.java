package io.jswift.nn;

import io.jswift.tensor.Generator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HfInitTest {
    /** A layer with a parameter that no HF init rule covers. */
    static final class Custom extends Module {
        Custom() {
            registerModule("proj", new Linear(4, 3, true, null));
            registerParameter("scale", new Parameter(Init.constant(2, 3)));
        }
    }

    @Test
    void aParameterWithoutAnInitRuleIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfInit.apply(new Custom(), 0.02, new Generator(1)));
        assertEquals("no Hugging Face init rule for parameters [scale]", e.getMessage());
    }

    @Test
    void metaLayersBecomeRealTensors() {
        Linear l = new Linear(8, 5, true, null);
        RMSNorm n = new RMSNorm(5, 1e-6);
        assertTrue(l.weight().value().isMeta());
        HfInit.apply(l, 0.02, new Generator(1));
        HfInit.apply(n, 0.02, new Generator(1));
        assertFalse(l.weight().value().isMeta());
        for (double v : l.bias().value().toDoubleArray()) assertEquals(0.0, v);
        for (double v : n.weight().value().toDoubleArray()) assertEquals(1.0, v);
        double max = 0;
        for (double v : l.weight().value().toDoubleArray()) max = Math.max(max, Math.abs(v));
        assertTrue(max > 0 && max < 0.02 * 6, "40 draws of N(0, 0.02) stay within 6 sigma: " + max);
    }
}
