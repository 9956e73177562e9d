package io.jswift.nn.lora;

import io.jswift.autograd.Variable;
import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inside the scope the adapted model answers as the base model; after it, as the adapted one again. */
class AdaptersDisabledTest {
    private static Tensor input() {
        Random r = new Random(3);
        float[] v = new float[3 * 8];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, 3, 8);
    }

    private static void nonZeroB(LoraInjectorTest.TinyLm m) {
        Random r = new Random(5);
        for (LoraLinear l : LoraInjector.find(m).values()) {
            Tensor b = l.adapterParameters().get("lora_B.weight").value();
            float[] v = new float[(int) b.numel()];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            l.adapterParameters().get("lora_B.weight").setValue(Tensor.of(v, b.shape()));
        }
    }

    /** The output of model.layers.0.self_attn.q_proj (plain or adapted) for {@code x}. */
    private static float[] qProj(LoraInjectorTest.TinyLm m, Tensor x) {
        LinearLayer layer = (LinearLayer) m.namedModules().get("model.layers.0.self_attn.q_proj");
        return layer.forward(Variable.constant(x)).value().toFloatArray();
    }

    @Test
    void theScopeGivesTheBaseLayersOutputsForLoraAndDora() {
        for (boolean dora : new boolean[]{false, true}) {
            LoraInjectorTest.TinyLm base = new LoraInjectorTest.TinyLm(new Generator(1));
            Tensor x = input();
            float[] plain = qProj(base, x);
            LoraInjector.inject(base, new LoraConfig(2, 4, 0, false, dora, List.of("all-linear")), new Generator(2));
            nonZeroB(base);
            float[] adapted = qProj(base, x);
            assertFalse(java.util.Arrays.equals(plain, adapted), "the adapter changes the output");
            try (AdaptersDisabled scope = AdaptersDisabled.in(base)) {
                assertEquals(7, scope.layers());
                assertArrayEquals(plain, qProj(base, x), 0f, "dora=" + dora);
                try (AdaptersDisabled inner = AdaptersDisabled.in(base)) {
                    assertEquals(0, inner.layers());
                }
                assertArrayEquals(plain, qProj(base, x), 0f, "a nested scope leaves the outer one in effect");
            }
            assertArrayEquals(adapted, qProj(base, x), 0f, "adapters back on after the scope");
        }
    }

    @Test
    void aMergedAdapterCannotBeDisabled() {
        LoraInjectorTest.TinyLm m = new LoraInjectorTest.TinyLm(new Generator(1));
        LoraInjector.inject(m, new LoraConfig(2, 4, 0, false, false, List.of("q_proj", "v_proj")), new Generator(2));
        LoraInjector.find(m).get("model.layers.0.self_attn.v_proj").merge();
        var e = assertThrows(IllegalStateException.class, () -> AdaptersDisabled.in(m));
        assertTrue(e.getMessage().contains("merged"), e.getMessage());
        assertFalse(LoraInjector.find(m).get("model.layers.0.self_attn.q_proj").disabled(), "a failed scope switches nothing off");
    }

    @Test
    void aModelWithoutAdaptersIsUntouched() {
        try (AdaptersDisabled scope = AdaptersDisabled.in(new Linear(4, 4, false, new Generator(1)))) {
            assertEquals(0, scope.layers());
        }
    }
}
