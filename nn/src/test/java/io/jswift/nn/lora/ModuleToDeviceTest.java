package io.jswift.nn.lora;

import io.jswift.nn.Embedding;
import io.jswift.nn.LayerNorm;
import io.jswift.nn.Linear;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.testing.DeviceTesting;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Module.to(device) moves a model as a whole, in place (torch's Module.to): the same Parameter objects (so optimizers
 * and LoRA wrappers made before the move keep working), requiresGrad and frozen state kept, gradients moved, tied
 * parameters moved once, LoRA's stashed weight moved; back on the cpu every value is bit-identical.
 */
class ModuleToDeviceTest {
    private static LoraInjectorTest.TinyLm tiny() {
        return new LoraInjectorTest.TinyLm(new Generator(11));
    }

    private static Map<String, double[]> values(Module m) {
        Map<String, double[]> out = new LinkedHashMap<>();
        m.namedParameters().forEach((n, p) -> out.put(n, p.value().toDoubleArray()));
        return out;
    }

    private static void assertAllOn(Device device, Module m) {
        m.namedParameters().forEach((n, p) -> assertEquals(device, p.device(), n));
        assertEquals(device, m.device());
    }

    @Test
    void movesEveryParameterInPlaceAndBackBitIdentical() {
        Device cl = DeviceTesting.openCl();
        LoraInjectorTest.TinyLm m = tiny();
        Map<String, Parameter> params = m.namedParameters();
        Map<String, double[]> before = values(m);
        Parameter frozen = params.get("model.layers.0.input_layernorm.weight");
        frozen.setRequiresGrad(false);
        Parameter withGrad = params.get("lm_head.weight");
        withGrad.variable().setGrad(Tensor.of(new float[16 * 8], 16, 8));

        assertSame(m, m.to(cl));
        assertAllOn(cl, m);
        Map<String, Parameter> moved = m.namedParameters();
        for (var e : params.entrySet()) {
            assertSame(e.getValue(), moved.get(e.getKey()), "same Parameter object: " + e.getKey());
            assertEquals(e.getValue() != frozen, e.getValue().requiresGrad(), "requiresGrad kept: " + e.getKey());
        }
        assertEquals(cl, withGrad.grad().device(), "the gradient moves with its parameter");

        m.to(Device.CPU);
        assertAllOn(Device.CPU, m);
        Map<String, double[]> after = values(m);
        before.forEach((n, v) -> assertArrayEquals(v, after.get(n), 0, n));
        assertFalse(frozen.requiresGrad());
    }

    /** One Parameter under two paths (tied input and output embeddings) moves once and stays shared. */
    @Test
    void tiedParametersStayShared() {
        Device cl = DeviceTesting.openCl();
        Tied m = new Tied();
        Parameter shared = m.embed.weight();
        double[] values = shared.value().toDoubleArray();
        assertEquals(List.of("embed.weight", "head.weight", "norm.weight", "norm.bias"), List.copyOf(m.namedParameters().keySet()));
        m.to(cl);
        assertSame(shared, m.namedParameters().get("head.weight"));
        assertEquals(cl, shared.device());
        assertEquals(cl, m.namedParameters().get("norm.bias").device());
        assertArrayEquals(values, shared.value().toDoubleArray(), 0);
    }

    static final class Tied extends Module {
        final Embedding embed;

        Tied() {
            embed = registerModule("embed", new Embedding(10, 4, new Generator(3)));
            registerModule("head", new Holder(embed.weight()));
            registerModule("norm", new LayerNorm(4, 1e-5));
        }
    }

    static final class Holder extends Module {
        Holder(Parameter weight) { registerParameter("weight", weight); }
    }

    /** Adapters injected before the move travel with the model; base weights stay shared with the wrapped Linear. */
    @Test
    void loraInjectedOnTheHostMovesWithTheModel() {
        Device cl = DeviceTesting.openCl();
        LoraInjectorTest.TinyLm m = tiny();
        LoraInjector.inject(m, LoraInjectorTest.targets("all-linear"), new Generator(5));
        List<Parameter> trainable = m.trainableParameters();
        m.to(cl);
        assertAllOn(cl, m);
        assertEquals(trainable, m.trainableParameters(), "the optimizer's parameters are still the trainable ones");
        LoraLinear q = LoraInjector.find(m).get("model.layers.0.self_attn.q_proj");
        assertSame(q.namedParameters().get("weight"), ((Linear) q.unwrapped()).weight());
        assertFalse(q.namedParameters().get("weight").requiresGrad());
    }

    /** Adapters injected into a model already on a device are created there (LoRA A and B, never on the host). */
    @Test
    void loraInjectedOnTheDeviceLivesThere() {
        Device cl = DeviceTesting.openCl();
        LoraInjectorTest.TinyLm m = tiny();
        m.to(cl);
        LoraInjector.inject(m, LoraInjectorTest.targets("q_proj", "v_proj"), new Generator(5));
        assertAllOn(cl, m);
        LoraInjectorTest.TinyLm host = tiny();
        LoraInjector.inject(host, LoraInjectorTest.targets("q_proj", "v_proj"), new Generator(5));
        Map<String, double[]> expected = values(host), actual = values(m);
        expected.forEach((n, v) -> assertArrayEquals(v, actual.get(n), 0, n));
    }

    /** merge() keeps the unmerged base weight aside; it moves with the module, so unmerge restores it on the device. */
    @Test
    void aMergedAdapterUnmergesOnTheDevice() {
        Device cl = DeviceTesting.openCl();
        Linear base = new Linear(6, 5, true, new Generator(1));
        double[] original = base.weight().value().toDoubleArray();
        LoraLinear l = new LoraLinear(base, new LoraConfig(2, 4, 0, false, false, List.of("x")), new Generator(2));
        l.adapterParameters().get("lora_B.weight").setValue(Tensor.of(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5, 2));
        l.merge();
        l.to(cl);
        l.unmerge();
        assertEquals(cl, base.weight().device());
        assertArrayEquals(original, base.weight().value().toDoubleArray(), 0);
    }

    /** Loading weights into a moved module puts them on its device (torch's load_state_dict copies into the tensor). */
    @Test
    void loadStateDictKeepsTheDevice() {
        Device cl = DeviceTesting.openCl();
        LoraInjectorTest.TinyLm m = tiny(), other = new LoraInjectorTest.TinyLm(new Generator(12));
        m.to(cl);
        m.loadStateDict(other.stateDict(), true, "test");
        assertAllOn(cl, m);
        Map<String, double[]> expected = values(other), actual = values(m);
        expected.forEach((n, v) -> assertArrayEquals(v, actual.get(n), 0, n));
    }

    @Test
    void anUnknownDeviceFailsBeforeMovingAnything() {
        LoraInjectorTest.TinyLm m = tiny();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.to(new Device("nope", 0)));
        assertTrue(e.getMessage().startsWith("no backend for device 'nope:0'"), e.getMessage());
        assertAllOn(Device.CPU, m);
    }
}
