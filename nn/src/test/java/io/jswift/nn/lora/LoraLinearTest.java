package io.jswift.nn.lora;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Reductions;
import io.jswift.nn.DrawsRandom;
import io.jswift.nn.Init;
import io.jswift.nn.Linear;
import io.jswift.nn.Module;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoraLinearTest {
    private static final int IN = 6, OUT = 5;

    static LoraConfig config(boolean dora, double dropout) {
        return new LoraConfig(3, 6, dropout, false, dora, List.of("proj"));
    }

    static Tensor forward(LinearLike l, Tensor x) {
        try (var s = GradMode.noGrad()) {
            return l.apply(Variable.constant(x)).value();
        }
    }

    interface LinearLike { Variable apply(Variable x); }

    static double maxAbsDiff(Tensor a, Tensor b) {
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        assertEquals(x.length, y.length);
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    /** B random so that the adapter changes the output (as after training). */
    static void trainB(LoraLinear l, long seed) {
        l.adapterParameters().get("lora_B.weight").setValue(Init.normal(new Generator(seed), 0, 0.3, OUT, 3));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void freshAdapterIsANoOpWithPeftInitialization(boolean dora) {
        Linear base = new Linear(IN, OUT, true, new Generator(1));
        Tensor x = Init.normal(new Generator(2), 0, 1, 2, 4, IN);
        Tensor before = forward(base::forward, x);
        LoraLinear l = new LoraLinear(base, config(dora, 0), new Generator(3));
        assertTrue(maxAbsDiff(before, forward(l::forward, x)) < 1e-6);
        double[] b = l.adapterParameters().get("lora_B.weight").value().toDoubleArray();
        for (double v : b) assertEquals(0, v);
        double[] a = l.adapterParameters().get("lora_A.weight").value().toDoubleArray();
        double bound = 1 / Math.sqrt(IN), maxA = 0;
        for (double v : a) {
            assertTrue(Math.abs(v) <= bound, "A within Kaiming-uniform bound");
            maxA = Math.max(maxA, Math.abs(v));
        }
        assertTrue(maxA > bound / 2, "A is not zero");
        if (dora) {
            double[] m = l.adapterParameters().get("lora_magnitude_vector").value().toDoubleArray();
            double[] w = base.weight().value().toDoubleArray();
            for (int o = 0; o < OUT; o++) {
                double sq = 0;
                for (int i = 0; i < IN; i++) sq += w[o * IN + i] * w[o * IN + i];
                assertEquals(Math.sqrt(sq), m[o], 1e-6, "magnitude = row norm of W");
            }
        }
    }

    @Test
    void baseParametersKeepTheirNamesObjectsAndDtype() {
        Linear base = new Linear(IN, OUT, true, new Generator(1));
        Tensor bf16 = base.weight().value().to(DType.BF16);
        base.weight().setValue(bf16);
        base.requiresGrad(false);
        LoraLinear l = new LoraLinear(base, config(true, 0), new Generator(3));
        assertEquals(List.of("weight", "bias", "lora_magnitude_vector", "lora_A.weight", "lora_B.weight"), List.copyOf(l.namedParameters().keySet()));
        assertSame(base.weight(), l.namedParameters().get("weight"));
        assertSame(bf16, l.namedParameters().get("weight").value(), "the frozen base weight is shared, not copied");
        assertFalse(l.namedParameters().get("weight").requiresGrad());
        assertFalse(l.namedParameters().get("bias").requiresGrad());
        assertEquals(3, l.trainableParameters().size());
        for (var p : l.trainableParameters()) assertEquals(DType.F32, p.value().dtype());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void gradientsReachOnlyTheAdapter(boolean dora) {
        Linear base = new Linear(IN, OUT, true, new Generator(1));
        LoraLinear l = new LoraLinear(base, config(dora, 0), new Generator(3));
        trainB(l, 4);
        Tensor x = Init.normal(new Generator(2), 0, 1, 3, IN);
        Reductions.sum(l.forward(Variable.constant(x))).backward();
        assertNull(base.weight().grad());
        assertNull(base.bias().grad());
        for (var e : l.adapterParameters().entrySet()) assertNotNull(e.getValue().grad(), e.getKey());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void mergedForwardEqualsTheAdapterForwardAndUnmergeRestoresTheWeight(boolean dora) {
        Linear base = new Linear(IN, OUT, true, new Generator(1));
        Tensor original = base.weight().value();
        LoraLinear l = new LoraLinear(base, config(dora, 0), new Generator(3));
        trainB(l, 4);
        Tensor x = Init.normal(new Generator(2), 0, 1, 2, 4, IN);
        Tensor unmerged = forward(l::forward, x);
        assertTrue(maxAbsDiff(unmerged, forward(base::forward, x)) > 1e-2, "the adapter changes the output");
        l.merge();
        assertTrue(l.merged());
        assertTrue(maxAbsDiff(unmerged, forward(l::forward, x)) < 1e-5, "merged forward of the wrapper");
        assertTrue(maxAbsDiff(unmerged, forward(base::forward, x)) < 1e-5, "merged forward of the plain base layer");
        assertThrows(IllegalStateException.class, l::merge);
        l.unmerge();
        assertSame(original, base.weight().value());
        assertTrue(maxAbsDiff(unmerged, forward(l::forward, x)) < 1e-7);
        assertThrows(IllegalStateException.class, l::unmerge);
    }

    @Test
    void mergedWeightKeepsTheBaseDtype() {
        Linear base = new Linear(IN, OUT, false, new Generator(1));
        base.requiresGrad(false);
        base.weight().setValue(base.weight().value().to(DType.BF16));
        LoraLinear l = new LoraLinear(base, config(true, 0), new Generator(3));
        trainB(l, 4);
        Tensor x = Init.normal(new Generator(2), 0, 1, 3, IN);
        Tensor unmerged = forward(l::forward, x);
        Tensor merged = l.mergedWeight();
        assertEquals(DType.BF16, merged.dtype());
        assertArrayEquals(new int[]{OUT, IN}, merged.shape());
        l.merge();
        assertTrue(maxAbsDiff(unmerged, forward(l::forward, x)) < 2e-2, "equal up to bf16 rounding of the merged weight");
    }

    @Test
    void dropoutDrawsFromTheGivenGeneratorInTrainingOnly() {
        Linear base = new Linear(IN, OUT, false, new Generator(1));
        Generator gen = new Generator(3);
        LoraLinear l = new LoraLinear(base, config(false, 0.5), gen);
        trainB(l, 4);
        assertSame(gen, l.generator());
        assertSame(gen, DrawsRandom.of(l));
        assertNull(new LoraLinear(new Linear(IN, OUT, false, new Generator(1)), config(false, 0), gen).generator());
        Tensor x = Init.normal(new Generator(2), 0, 1, 4, IN);
        l.train(false);
        Tensor eval = forward(l::forward, x);
        l.train(true);
        long offset = gen.offset();
        Tensor first = forward(l::forward, x);
        assertNotEquals(offset, gen.offset(), "a mask was drawn");
        assertTrue(maxAbsDiff(eval, first) > 1e-3);
        gen.setOffset(offset);
        assertTrue(maxAbsDiff(first, forward(l::forward, x)) < 1e-6, "same generator state, same mask");
        assertThrows(IllegalArgumentException.class, () -> new LoraLinear(base, config(false, 0.1), null));
    }

    static final class Holder extends Module {
        Holder(Linear l) { registerModule("proj", l); }
    }

    @Test
    void mergeAndUnloadPutsPlainLinearsBackOrChangesNothingWhenAWeightIsNotFinite() {
        Linear base = new Linear(IN, OUT, true, new Generator(1));
        Holder h = new Holder(base);
        LoraInjector.inject(h, config(false, 0), new Generator(3));
        LoraLinear l = LoraInjector.find(h).get("proj");
        Tensor b = Init.normal(new Generator(4), 0, 0.3, OUT, 3);
        b.setDouble(Double.NaN, 1, 2);
        l.adapterParameters().get("lora_B.weight").setValue(b);
        Tensor original = base.weight().value();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LoraMerge.mergeAndUnload(h));
        assertTrue(e.getMessage().startsWith("proj: merging the adapter gives non-finite values"), e.getMessage());
        assertSame(l, h.children().get("proj"));
        assertSame(original, base.weight().value());
        trainB(l, 5);
        Tensor x = Init.normal(new Generator(2), 0, 1, 3, IN);
        Tensor expected = forward(l::forward, x);
        assertEquals(List.of("proj"), LoraMerge.mergeAndUnload(h));
        assertSame(base, h.children().get("proj"));
        assertEquals(List.of("proj.weight", "proj.bias"), List.copyOf(h.namedParameters().keySet()));
        assertTrue(maxAbsDiff(expected, forward(base::forward, x)) < 1e-5);
    }
}
