package io.jswift.models.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.autograd.GradMode;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.CausalLm;
import io.jswift.models.load.ModelWriter;
import io.jswift.nn.CausalLmLoss;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.nn.lora.LoraLinear;
import io.jswift.nn.lora.LoraMerge;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Adapters that PEFT saved, loaded by jswift: logits, loss, adapter gradients and merged logits equal PEFT's. */
class PeftGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static Tensor logits(CausalLm model, Tensor ids) {
        try (var s = GradMode.noGrad()) {
            Tensor out = model.forward(DecoderInput.of(ids)).value();
            return out.reshape(out.size(1), out.size(2));
        }
    }

    @ParameterizedTest
    @CsvSource({"peft-lora-llama, llama-f32, 14", "peft-dora-qwen2, qwen2-f32, 10", "peft-dora-qwen3, qwen3-f32, 6",
            "peft-lora-qwen3-bf16, qwen3-bf16, 6"})
    void logitsLossAndAdapterGradientsEqualPeft(String adapter, String base, int wrapped) throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model(base));
        PeftAdapter.load(AdapterFixtures.adapter(adapter), model);
        assertEquals(wrapped, LoraInjector.find(model).size());
        SafetensorsFile exp = SafetensorsFile.open(AdapterFixtures.adapter(adapter).resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids");
        double err = relL2(logits(model, ids), exp.tensor("logits"));
        assertTrue(err < 1e-4, adapter + " logits rel. L2 error " + err);

        var loss = CausalLmLoss.apply(model.forward(DecoderInput.of(ids)), ids, null);
        assertEquals(exp.tensor("loss").item(), loss.value().item(), 1e-5 * exp.tensor("loss").item(), "loss");
        loss.backward();
        int checked = 0;
        for (var e : LoraInjector.find(model).entrySet()) {
            for (var p : e.getValue().adapterParameters().entrySet()) {
                String key = "grad.base_model.model." + e.getKey() + "." + p.getKey();
                double g = relL2(p.getValue().grad(), exp.tensor(key));
                assertTrue(g < 1e-4, key + " rel. L2 error " + g);
                checked++;
            }
        }
        assertEquals(exp.names().stream().filter(n -> n.startsWith("grad.")).count(), checked, "every adapter gradient PEFT recorded");
        assertTrue(model.namedParameters().get("model.layers.0.self_attn.q_proj.weight").grad() == null, "the base weight stays frozen");
    }

    /** merge_and_unload() equals PEFT's; bf16 weights round once (PEFT's reference merged in f32). */
    @ParameterizedTest
    @CsvSource({"peft-lora-llama, llama-f32, 1e-5", "peft-dora-qwen2, qwen2-f32, 1e-5", "peft-dora-qwen3, qwen3-f32, 1e-5",
            "peft-lora-qwen3-bf16, qwen3-bf16, 1e-2"})
    void mergedModelAndItsExportEqualPeftMergeAndUnload(String adapter, String base, double tolerance) throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model(base));
        PeftAdapter.load(AdapterFixtures.adapter(adapter), model);
        SafetensorsFile exp = SafetensorsFile.open(AdapterFixtures.adapter(adapter).resolve("expected.safetensors"));
        Tensor ids = exp.tensor("input_ids");
        List<String> merged = LoraMerge.mergeAndUnload(model);
        assertFalse(merged.isEmpty());
        assertTrue(LoraInjector.find(model).isEmpty());
        double err = relL2(logits(model, ids), exp.tensor("merged_logits"));
        assertTrue(err < tolerance, adapter + " merged logits rel. L2 error " + err);

        Path out = tmp.resolve("export");
        ModelWriter.write(out, AdapterFixtures.model(base), model, model.config().dtype());
        CausalLm reloaded = AdapterFixtures.load(out);
        assertEquals(model.config().dtype(), reloaded.namedParameters().get("model.layers.0.mlp.down_proj.weight").value().dtype());
        double reloadErr = relL2(logits(reloaded, ids), logits(model, ids));
        assertTrue(reloadErr < 1e-6, "the export holds the merged weights: rel. L2 " + reloadErr);
    }

    @Test
    void rsloraScalingAndDoraMagnitudesComeFromTheFile() throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model("qwen2-f32"));
        LoraConfig c = PeftAdapter.load(AdapterFixtures.adapter("peft-dora-qwen2"), model);
        assertTrue(c.useRslora() && c.useDora());
        assertEquals(6 / Math.sqrt(4), c.scaling(), 1e-12);
        LoraLinear q = LoraInjector.find(model).get("model.layers.1.self_attn.q_proj");
        assertEquals(6 / Math.sqrt(4), q.scaling(), 1e-12);
        Tensor stored = SafetensorsFile.open(AdapterFixtures.adapter("peft-dora-qwen2").resolve(PeftAdapter.WEIGHTS))
                .tensor("base_model.model.model.layers.1.self_attn.q_proj.lora_magnitude_vector");
        assertEquals(0, relL2(q.adapterParameters().get("lora_magnitude_vector").value(), stored));
        assertEquals(DType.F32, q.adapterParameters().get("lora_A.weight").value().dtype());
    }

    @Test
    void regexTargetModulesSelectWholePaths() throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model("qwen3-f32"));
        PeftAdapter.load(AdapterFixtures.adapter("peft-dora-qwen3"), model);
        assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.0.mlp.up_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj", "model.layers.1.mlp.up_proj"),
                List.copyOf(LoraInjector.find(model).keySet()));
    }

    /**
     * PEFT keeps target_modules as a set and writes it in a different order on each run: the order in the file picks
     * neither other layers nor other weights (the same adapter with its list reversed gives the same layers and logits).
     */
    @Test
    void targetModulesAreReadAsASet() throws Exception {
        Path src = AdapterFixtures.adapter("peft-lora-llama"), reversed = tmp.resolve("reversed");
        Files.createDirectories(reversed);
        Files.copy(src.resolve(PeftAdapter.WEIGHTS), reversed.resolve(PeftAdapter.WEIGHTS));
        ObjectNode config = (ObjectNode) JSON.readTree(src.resolve(PeftAdapterConfig.FILE).toFile());
        List<JsonNode> targets = new ArrayList<>();
        config.get("target_modules").forEach(targets::add);
        Collections.reverse(targets);
        config.set("target_modules", JSON.createArrayNode().addAll(targets));
        Files.writeString(reversed.resolve(PeftAdapterConfig.FILE), config.toString());

        CausalLm asSaved = AdapterFixtures.load(AdapterFixtures.model("llama-f32")), asReversed = AdapterFixtures.load(AdapterFixtures.model("llama-f32"));
        PeftAdapter.load(src, asSaved);
        PeftAdapter.load(reversed, asReversed);
        assertEquals(List.copyOf(LoraInjector.find(asSaved).keySet()), List.copyOf(LoraInjector.find(asReversed).keySet()));
        Tensor ids = SafetensorsFile.open(src.resolve("expected.safetensors")).tensor("input_ids");
        assertEquals(0, relL2(logits(asReversed, ids), logits(asSaved, ids)));
    }

    @Test
    void loadingKeepsTheBaseWeightsMemoryMappedAndInTheirDtype() throws Exception {
        CausalLm model = AdapterFixtures.load(AdapterFixtures.model("qwen3-bf16"));
        Tensor before = model.namedParameters().get("model.layers.0.self_attn.q_proj.weight").value();
        PeftAdapter.load(AdapterFixtures.adapter("peft-lora-qwen3-bf16"), model);
        Tensor after = model.namedParameters().get("model.layers.0.self_attn.q_proj.weight").value();
        assertTrue(before == after, "the same tensor object");
        assertEquals(DType.BF16, after.dtype());
    }
}
