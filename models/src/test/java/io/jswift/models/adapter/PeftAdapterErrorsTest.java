package io.jswift.models.adapter;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.models.CausalLm;
import io.jswift.nn.StateDictException;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every way an adapter directory can be unusable gives one clear message naming the file and the key. */
class PeftAdapterErrorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** A copy of the jswift-lora-qwen3 fixture (targets q_proj, v_proj, o_proj, down_proj of qwen3-f32). */
    private Path copy() throws IOException {
        Path dir = tmp.resolve("adapter");
        Files.createDirectories(dir);
        Path src = AdapterFixtures.adapter("jswift-lora-qwen3");
        for (String f : List.of(PeftAdapterConfig.FILE, PeftAdapter.WEIGHTS)) Files.copy(src.resolve(f), dir.resolve(f));
        return dir;
    }

    private Path withConfig(String key, String jsonValue) throws IOException {
        Path dir = copy();
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve(PeftAdapterConfig.FILE).toFile());
        if (jsonValue == null) config.remove(key);
        else config.set(key, JSON.readTree(jsonValue));
        Files.writeString(dir.resolve(PeftAdapterConfig.FILE), config.toString());
        return dir;
    }

    private static CausalLm qwen3() throws IOException {
        return AdapterFixtures.load(AdapterFixtures.model("qwen3-f32"));
    }

    private static String message(Class<? extends Exception> type, Executable e) {
        return assertThrows(type, e).getMessage();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "modules_to_save | [\"lm_head\"] | 'modules_to_save' = [\"lm_head\"] is not supported by jswift",
            "rank_pattern | {\"q_proj\": 8} | 'rank_pattern' = {\"q_proj\":8} is not supported by jswift",
            "alpha_pattern | {\"q_proj\": 8} | 'alpha_pattern' = {\"q_proj\":8} is not supported by jswift: jswift applies rank / alpha patterns to target_parameters only",
            "target_parameters | \"down_proj\" | 'target_parameters' = \"down_proj\" is not supported by jswift: expected a list of parameter names",
            "layers_to_transform | [0] | 'layers_to_transform' = [0] is not supported by jswift",
            "layers_pattern | \"layers\" | 'layers_pattern' = \"layers\" is not supported by jswift",
            "lora_bias | true | 'lora_bias' = true is not supported by jswift",
            "trainable_token_indices | [5] | 'trainable_token_indices' = [5] is not supported by jswift",
            "bias | \"all\" | 'bias' = \"all\" is not supported by jswift: only bias \"none\"",
            "fan_in_fan_out | true | 'fan_in_fan_out' = true is not supported by jswift",
            "init_lora_weights | \"pissa\" | 'init_lora_weights' = \"pissa\" is not supported by jswift: this initialization changes the base weights",
            "peft_type | \"IA3\" | 'peft_type' is \"IA3\": jswift loads LORA adapters",
            "target_modules | 5 | 'target_modules' must be a non-empty list of module names or a string, got 5",
            "target_modules | [] | 'target_modules' must be a non-empty list",
            "target_modules | \"(q_proj\" | 'target_modules' \"(q_proj\" is not a valid regular expression",
            "r | 0 | LoRA rank r must be positive, got 0",
            "r | 2.5 | 'r' must be an integer, got 2.5",
            "lora_dropout | 1.5 | lora_dropout must be in [0, 1), got 1.5"})
    void unsupportedOrInvalidConfigFieldsAreRefusedByName(String key, String value, String expected) throws IOException {
        Path dir = withConfig(key, value);
        String m = message(IllegalArgumentException.class, () -> PeftAdapter.load(dir, qwen3()));
        assertTrue(m.startsWith(dir.resolve(PeftAdapterConfig.FILE) + ": "), m);
        assertTrue(m.contains(expected), m);
    }

    @Test
    void missingTargetModulesIsNamed() throws IOException {
        Path dir = withConfig("target_modules", null);
        assertTrue(message(IllegalArgumentException.class, () -> PeftAdapter.load(dir, qwen3())).contains("'target_modules' is missing"));
    }

    @Test
    void plainInitializationsAndNullsAreAccepted() throws IOException {
        for (String init : List.of("\"gaussian\"", "false", "\"eva\"")) {
            CausalLm model = qwen3();
            PeftAdapter.load(withConfigReplacing("init_lora_weights", init), model);
            assertEquals(8, LoraInjector.find(model).size());
        }
    }

    private Path withConfigReplacing(String key, String value) throws IOException {
        Path dir = tmp.resolve("adapter");
        if (Files.exists(dir)) {
            for (Path f : Files.list(dir).toList()) Files.delete(f);
            Files.delete(dir);
        }
        return withConfig(key, value);
    }

    @Test
    void targetsMatchingNothingNameTheConfigAndTheAvailableLayers() throws IOException {
        Path dir = withConfig("target_modules", "[\"c_attn\"]");
        String m = message(IllegalArgumentException.class, () -> PeftAdapter.load(dir, qwen3()));
        assertEquals(dir.resolve(PeftAdapterConfig.FILE) + ": target_modules [c_attn] match no linear layer; available: q_proj, k_proj, "
                + "v_proj, o_proj, gate_proj, up_proj, down_proj, lm_head", m);
        Path regex = withConfigReplacing("target_modules", "\".*\\\\.c_attn\"");
        assertEquals(regex.resolve(PeftAdapterConfig.FILE) + ": 'target_modules' \".*\\.c_attn\" matches no linear layer of the model",
                message(IllegalArgumentException.class, () -> PeftAdapter.load(regex, qwen3())));
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Path dir = copy();
        Files.delete(dir.resolve(PeftAdapter.WEIGHTS));
        assertEquals(dir.resolve(PeftAdapter.WEIGHTS) + " does not exist", message(IOException.class, () -> PeftAdapter.load(dir, qwen3())));
        Files.writeString(dir.resolve("adapter_model.bin"), "pickle");
        assertTrue(message(IOException.class, () -> PeftAdapter.load(dir, qwen3())).contains("adapter_model.bin, PyTorch pickle, is not read"));
        Files.delete(dir.resolve(PeftAdapterConfig.FILE));
        assertTrue(message(NoSuchFileException.class, () -> PeftAdapter.load(dir, qwen3())).startsWith(dir.resolve(PeftAdapterConfig.FILE) + " does not exist"));
        Path notDir = tmp.resolve("nothing");
        assertTrue(message(IOException.class, () -> PeftAdapter.load(notDir, qwen3())).startsWith(notDir + " is not a directory"));
        Files.writeString(dir.resolve(PeftAdapterConfig.FILE), "{\"r\": ");
        assertTrue(message(IOException.class, () -> PeftAdapter.load(dir, qwen3())).startsWith(dir.resolve(PeftAdapterConfig.FILE) + ": not valid JSON"));
    }

    @Test
    void weightsAreCheckedStrictlyAndAFailedLoadLeavesNoAdapter() throws IOException {
        Path dir = copy();
        Path weights = dir.resolve(PeftAdapter.WEIGHTS);
        Map<String, Tensor> t = new LinkedHashMap<>();
        SafetensorsFile.open(weights).tensors().forEach((k, v) -> t.put(k, v.copy()));
        String a = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";
        String b = "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight";
        t.remove(a);
        t.put(b, Tensor.zeros(DType.F32, 64, 3));
        t.put("base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight", Tensor.zeros(DType.F32, 4, 64));
        SafetensorsWriter.write(weights, t, Map.of("format", "pt"));
        CausalLm model = qwen3();
        StateDictException e = assertThrows(StateDictException.class, () -> PeftAdapter.load(dir, model));
        assertEquals(List.of(a), e.missing());
        assertEquals(List.of("base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight"), e.unexpected());
        assertEquals(List.of(b + " [64, 3] vs expected [64, 4]"), e.mismatched());
        assertTrue(e.getMessage().startsWith("cannot load weights from " + weights + ":"), e.getMessage());
        assertTrue(LoraInjector.find(model).isEmpty(), "the adapters were removed again");
        assertTrue(model.namedParameters().keySet().stream().noneMatch(k -> k.contains("lora")));
    }

    @Test
    void sixteenBitAdapterWeightsBecomeF32MasterCopies() throws IOException {
        Path dir = copy();
        Path weights = dir.resolve(PeftAdapter.WEIGHTS);
        Map<String, Tensor> t = new LinkedHashMap<>();
        SafetensorsFile.open(weights).tensors().forEach((k, v) -> t.put(k, v.to(DType.BF16)));
        SafetensorsWriter.write(weights, t, Map.of("format", "pt"));
        CausalLm model = qwen3();
        PeftAdapter.load(dir, model);
        var p = LoraInjector.find(model).get("model.layers.0.self_attn.q_proj").adapterParameters().get("lora_B.weight");
        assertEquals(DType.F32, p.value().dtype());
        assertTrue(p.requiresGrad());
    }

    @Test
    void savingNeedsAdaptersMatchingTheConfig() throws IOException {
        CausalLm model = qwen3();
        LoraConfig config = new LoraConfig(4, 8, 0, false, false, List.of("q_proj"));
        assertEquals("the model has no LoRA adapters to save",
                message(IllegalArgumentException.class, () -> PeftAdapter.save(tmp.resolve("a"), model, config, "base")));
        LoraInjector.inject(model, config, new Generator(1));
        LoraConfig other = new LoraConfig(8, 8, 0, false, false, List.of("q_proj"));
        assertTrue(message(IllegalArgumentException.class, () -> PeftAdapter.save(tmp.resolve("a"), model, other, "base"))
                .startsWith("model.layers.0.self_attn.q_proj has an adapter with r=4"));
    }
}
