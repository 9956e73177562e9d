package io.jswift.nn.lora;

import io.jswift.nn.Linear;
import io.jswift.nn.LinearLayer;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.nn.RMSNorm;
import io.jswift.nn.Activation;
import io.jswift.nn.GatedMlp;
import io.jswift.tensor.Generator;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoraInjectorTest {
    /** Shaped like a one-layer causal LM: model.layers.0.{self_attn.{q,k,v,o}_proj, mlp, input_layernorm}, lm_head. */
    static final class TinyLm extends Module {
        TinyLm(Generator gen) {
            Module model = registerModule("model", new Container());
            Module layers = ((Container) model).add("layers", new Container());
            Container layer = ((Container) layers).add("0", new Container());
            Container attn = layer.add("self_attn", new Container());
            for (String p : List.of("q_proj", "k_proj", "v_proj", "o_proj")) attn.add(p, new Linear(8, 8, true, gen));
            layer.add("mlp", new GatedMlp(8, 12, false, Activation.SILU, gen));
            layer.add("input_layernorm", new RMSNorm(8, 1e-6));
            registerModule("lm_head", new Linear(8, 16, false, gen));
        }
    }

    static final class Container extends Module {
        <M extends Module> M add(String name, M m) { return registerModule(name, m); }
    }

    static LoraConfig targets(String... names) {
        return new LoraConfig(2, 4, 0, false, false, List.of(names));
    }

    @Test
    void allLinearWrapsEveryLinearButTheOutputLayerAndFreezesTheRest() {
        TinyLm m = new TinyLm(new Generator(1));
        Map<String, Parameter> before = m.namedParameters();
        List<String> wrapped = LoraInjector.inject(m, targets("all-linear"), new Generator(2));
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.0.self_attn.o_proj", "model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj",
                "model.layers.0.mlp.down_proj"), wrapped);
        assertInstanceOf(Linear.class, m.children().get("lm_head"));
        Map<String, Parameter> after = m.namedParameters();
        for (var e : before.entrySet()) {
            assertTrue(after.get(e.getKey()) == e.getValue(), "base parameter kept under its HF name: " + e.getKey());
            assertFalse(e.getValue().requiresGrad(), "frozen: " + e.getKey());
        }
        assertEquals(7 * 2, m.trainableParameters().size());
        assertTrue(after.containsKey("model.layers.0.mlp.down_proj.lora_A.weight"));
        assertEquals(LoraInjector.find(m).keySet().stream().toList(), wrapped);
        Module attn = m.namedModules().get("model.layers.0.self_attn");
        assertInstanceOf(LoraLinear.class, LinearLayer.child(attn, "q_proj"), "parents see the wrapper at forward time");
    }

    @Test
    void namedTargetsMatchPathSuffixesAndMayNameTheOutputLayer() {
        TinyLm m = new TinyLm(new Generator(1));
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "lm_head"),
                LoraInjector.inject(m, targets("v_proj", "q_proj", "lm_head"), new Generator(2)));
        TinyLm n = new TinyLm(new Generator(1));
        assertEquals(List.of("model.layers.0.mlp.up_proj"), LoraInjector.inject(n, targets("model.layers.0.mlp.up_proj"), new Generator(2)));
    }

    @Test
    void unmatchedOrNonLinearTargetsAreClearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoraInjector.inject(new TinyLm(new Generator(1)), targets("q_proj", "qproj"), new Generator(2)));
        assertEquals("target_modules: 'qproj' matches no linear layer; available: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, "
                + "down_proj, lm_head", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LoraInjector.inject(new TinyLm(new Generator(1)), targets("mlp"), new Generator(2)));
        assertTrue(e.getMessage().startsWith("target_modules names 'model.layers.0.mlp', a GatedMlp: LoRA wraps linear layers only"),
                e.getMessage());
        TinyLm lenient = new TinyLm(new Generator(1));
        assertEquals(List.of("model.layers.0.self_attn.q_proj"),
                LoraInjector.inject(lenient, targets("q_proj", "c_attn"), new Generator(2), false), "PEFT's rule when loading");
        e = assertThrows(IllegalArgumentException.class,
                () -> LoraInjector.inject(new TinyLm(new Generator(1)), targets("c_attn"), new Generator(2), false));
        assertTrue(e.getMessage().startsWith("target_modules [c_attn] match no linear layer; available: q_proj"), e.getMessage());
    }

    @Test
    void aSecondAdapterIsRefused() {
        TinyLm m = new TinyLm(new Generator(1));
        LoraInjector.inject(m, targets("q_proj"), new Generator(2));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> LoraInjector.inject(m, targets("v_proj"), new Generator(2)));
        assertTrue(e.getMessage().contains("already has LoRA adapters"), e.getMessage());
    }
}
