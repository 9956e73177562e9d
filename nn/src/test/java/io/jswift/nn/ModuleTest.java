package io.jswift.nn;

import io.jswift.autograd.Variable;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleTest {
    /** A two-level module shaped like part of a decoder layer. */
    static final class Block extends Module {
        Block(Generator gen) {
            registerModule("mlp", new GatedMlp(4, 6, false, Activation.SILU, gen));
            registerModule("input_layernorm", new RMSNorm(4, 1e-6));
        }
    }

    @Test
    void parameterNamesAreHfStateDictPaths() {
        Block b = new Block(new Generator(1));
        assertEquals(List.of("mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight", "input_layernorm.weight"),
                List.copyOf(b.namedParameters().keySet()));
        assertEquals(4 * 6 * 3 + 4, b.parameterCount());
        assertTrue(b.namedModules().containsKey("mlp.gate_proj"));
    }

    @Test
    void strictLoadListsMissingUnexpectedAndMisshapen() {
        Block b = new Block(new Generator(1));
        Map<String, Tensor> sd = new LinkedHashMap<>(b.stateDict());
        sd.remove("mlp.up_proj.weight");
        sd.put("mlp.extra.weight", Tensor.zeros(DType.F32, 2));
        sd.put("input_layernorm.weight", Tensor.zeros(DType.F32, 5));
        StateDictException e = assertThrows(StateDictException.class, () -> b.loadStateDict(sd, true, "model.safetensors"));
        assertEquals(List.of("mlp.up_proj.weight"), e.missing());
        assertEquals(List.of("mlp.extra.weight"), e.unexpected());
        assertEquals(1, e.mismatched().size());
        assertTrue(e.getMessage().startsWith("cannot load weights from model.safetensors:"), e.getMessage());
        assertTrue(e.getMessage().contains("input_layernorm.weight [5] vs expected [4]"), e.getMessage());
    }

    @Test
    void loadKeepsFrozenDtypeAndMakesTrainableF32() {
        Block b = new Block(new Generator(1));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        b.stateDict().forEach((k, v) -> sd.put(k, v.to(DType.BF16)));
        b.requiresGrad(false);
        b.loadStateDict(sd, true, "test");
        assertEquals(DType.BF16, b.namedParameters().get("mlp.gate_proj.weight").value().dtype());
        Block c = new Block(new Generator(2));
        c.loadStateDict(sd, true, "test");
        assertEquals(DType.F32, c.namedParameters().get("mlp.gate_proj.weight").value().dtype());
        assertThrows(IllegalStateException.class, () -> b.namedParameters().get("mlp.gate_proj.weight").setRequiresGrad(true));
    }

    @Test
    void replacingAChildChangesTheForward() {
        Block b = new Block(new Generator(1));
        Module mlp = b.children().get("mlp");
        Linear replacement = new Linear(4, 6, true, new Generator(3));
        assertSame(replacement, mlp.replaceModule("up_proj", replacement));
        assertTrue(b.namedParameters().containsKey("mlp.up_proj.bias"));
    }

    @Test
    void linearRejectsAWrongInputWidth() {
        Linear l = new Linear(4, 3, false, new Generator(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> l.forward(Variable.constant(Tensor.zeros(DType.F32, 2, 5))));
        assertTrue(e.getMessage().contains("last dim 5"), e.getMessage());
    }

    @Test
    void embeddingRejectsOutOfVocabularyIds() {
        Embedding emb = new Embedding(10, 3, new Generator(1));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> emb.forward(Tensor.ofLongs(new long[]{1, 10}, 2)));
        assertTrue(e.getMessage().contains("token id 10"), e.getMessage());
    }

    @Test
    void activationNamesFollowHf() {
        assertEquals(Activation.SILU, Activation.fromHf("silu"));
        assertEquals(Activation.GELU_TANH, Activation.fromHf("gelu_pytorch_tanh"));
        assertThrows(IllegalArgumentException.class, () -> Activation.fromHf("mish"));
    }
}
