package io.jswift.models.load;

import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.CausalLm;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.Module;
import io.jswift.nn.Parameter;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.nn.quant.Linear4bit;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.io.SafetensorsWriter;
import io.jswift.tensor.quant.QuantStateTensors;
import io.jswift.tensor.spi.BinaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tiny bnb-4bit Llama checkpoints in transformers' save layout (tools/fixtures/bnb4bit_fixtures.py): they load as they
 * are, give the logits of a float64 forward over their dequantized weights, and one QLoRA SGD step equals torch
 * autograd on the dequantized base.
 */
class Bnb4bitLoadTest {
    private static final String Q_PROJ = "model.layers.0.self_attn.q_proj.weight";

    @ParameterizedTest
    @ValueSource(strings = {"llama-bnb-nf4", "llama-bnb-fp4"})
    void loadsAsItIsAndMatchesTheDequantizedFloat64Forward(String name) throws Exception {
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(HfGoldenTest.fixture(name), false)).model();
        Map<String, Module> modules = model.namedModules();
        assertTrue(modules.get("model.layers.1.mlp.down_proj") instanceof Linear4bit, "packed weights load as 4-bit layers");
        assertEquals(DType.U8, model.namedParameters().get(Q_PROJ).value().dtype());
        assertEquals(DType.F32, model.namedParameters().get("model.embed_tokens.weight").value().dtype());
        SafetensorsFile exp = HfGoldenTest.expected(name);
        Tensor ids = exp.tensor("input_ids");
        try (var s = GradMode.noGrad()) {
            Tensor logits = model.forward(DecoderInput.of(ids)).value().reshape(ids.size(1), -1);
            double err = relL2(logits, exp.tensor("logits"));
            assertTrue(err < 1e-5, name + " logits rel. L2 error " + err);
        }
        // the state dict is the checkpoint's, tensor for tensor (what an export writes back)
        Map<String, Tensor> file = SafetensorsFile.open(HfGoldenTest.fixture(name).resolve("model.safetensors")).tensors();
        Map<String, Tensor> state = model.stateDict();
        for (var e : file.entrySet()) {
            if (e.getValue().dtype() == DType.U8) {
                assertTrue(Arrays.equals(QuantStateTensors.toBytes(e.getValue()), QuantStateTensors.toBytes(state.get(e.getKey()))), e.getKey());
            }
        }
    }

    @Test
    void oneQloraStepEqualsTorchAutogradOnTheDequantizedBase() throws Exception {
        Path dir = HfGoldenTest.fixture("llama-bnb-nf4");
        CausalLm model = ((LoadedModel.CausalLm) ModelLoader.load(dir, false)).model();
        List<String> wrapped = LoraInjector.inject(model, new LoraConfig(4, 8, 0.0, false, false, List.of("q_proj", "v_proj", "down_proj")),
                new Generator(1));
        assertEquals(6, wrapped.size());
        Map<String, Tensor> adapter = SafetensorsFile.open(dir.resolve("qlora_adapter/adapter_model.safetensors")).tensors();
        Map<String, LoraLinear> loras = LoraInjector.find(model);
        loras.forEach((path, l) -> l.adapterParameters().forEach((n, p) -> p.setValue(adapter.get("base_model.model." + path + "." + n).copy())));
        assertTrue(loras.values().iterator().next().base() instanceof Linear4bit);
        SafetensorsFile exp = HfGoldenTest.expected("llama-bnb-nf4");
        Tensor ids = exp.tensor("input_ids");
        Variable loss = CausalLmLoss.apply(model.forward(DecoderInput.of(ids)), ids, null);
        assertEquals(exp.tensor("loss").item(), loss.value().item(), 1e-5 * Math.abs(exp.tensor("loss").item()));
        loss.backward();
        double lr = 0.5;
        for (Parameter p : model.trainableParameters()) {
            p.setValue(p.value().backend().binary(BinaryOp.SUB, p.value(),
                    p.value().backend().binaryScalar(BinaryOp.MUL, p.grad(), lr)));
        }
        int checked = 0;
        for (var e : loras.entrySet()) {
            for (var a : e.getValue().adapterParameters().entrySet()) {
                double err = relL2(a.getValue().value(), exp.tensor("step." + e.getKey() + "." + a.getKey()));
                assertTrue(err < 1e-5, e.getKey() + "." + a.getKey() + " after one SGD step: rel. L2 error " + err);
                checked++;
            }
        }
        assertEquals(12, checked);
        assertEquals(12, model.trainableParameters().size(), "only the adapters train; the 4-bit base is frozen");
    }

    @Test
    void fullTrainingOfA4bitCheckpointIsRefused() throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(HfGoldenTest.fixture("llama-bnb-nf4"), true));
        assertTrue(e.getMessage().contains("QLoRA"), e.getMessage());
    }

    @Test
    void corruptQuantStateJsonNamesTheTensor(@TempDir Path tmp) throws Exception {
        String key = Q_PROJ + ".quant_state.bitsandbytes__nf4";
        Path dir = corrupted(tmp, t -> t.put(key, QuantStateTensors.bytes("{\"quant_type\": \"nf4\", \"blocksi".getBytes(StandardCharsets.UTF_8), 30)));
        assertErrorNames(dir, key, "corrupt quant_state JSON");
    }

    @Test
    void absmaxOfTheWrongLengthNamesTheTensor(@TempDir Path tmp) throws Exception {
        String key = Q_PROJ + ".absmax";
        Path dir = corrupted(tmp, t -> t.put(key, t.get(key).narrow(0, 0, 10).contiguous()));
        assertErrorNames(dir, key, "expected 64");
    }

    @Test
    void unknownQuantTypeNamesTheTensor(@TempDir Path tmp) throws Exception {
        String key = Q_PROJ + ".quant_state.bitsandbytes__nf4", bad = Q_PROJ + ".quant_state.bitsandbytes__int3";
        Path dir = corrupted(tmp, t -> t.put(bad, t.remove(key)));
        assertErrorNames(dir, bad, "unknown quant type 'int3'");
    }

    private static void assertErrorNames(Path dir, String tensor, String what) {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(dir, false));
        assertTrue(e.getMessage().contains(tensor) && e.getMessage().contains(what) && e.getMessage().contains(dir.toString()), e.getMessage());
    }

    private static Path corrupted(Path tmp, Consumer<Map<String, Tensor>> change) throws Exception {
        Path src = HfGoldenTest.fixture("llama-bnb-nf4"), dir = tmp.resolve("model");
        Files.createDirectories(dir);
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        Map<String, Tensor> tensors = new LinkedHashMap<>(SafetensorsFile.open(src.resolve("model.safetensors")).tensors());
        change.accept(tensors);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        return dir;
    }
}
