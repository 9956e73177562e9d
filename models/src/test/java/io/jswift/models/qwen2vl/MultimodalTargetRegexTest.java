package io.jswift.models.qwen2vl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jswift.models.adapter.PeftAdapter;
import io.jswift.models.adapter.PeftAdapterConfig;
import io.jswift.models.qwen2vl.Qwen2VlForConditionalGeneration.Part;
import io.jswift.nn.lora.LoraConfig;
import io.jswift.nn.lora.LoraInjector;
import io.jswift.tensor.Generator;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * all-linear on Qwen2-VL / Qwen2.5-VL written as ms-swift writes it: a target_modules regex over the unfrozen parts
 * (vl-target-regex/regexes.json, ms-swift's get_multimodal_target_regex for these module trees), and PEFT, given that
 * regex, adapts exactly the layers jswift adapts (vl-target-regex/peft_targets.json, from
 * tools/fixtures/qwen2vl_target_regex_fixtures.py). A jswift adapter saved with the regex loads back onto the same layers.
 */
class MultimodalTargetRegexTest {
    private static final Path DATA = Path.of("src/test/resources/vl-target-regex");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-vl-f32", "qwen2_5-vl-f32"})
    void regexIsMsSwiftsAndSelectsPeftsModules(String name) throws Exception {
        JsonNode regexes = JSON.readTree(DATA.resolve("regexes.json").toFile()).get(name);
        JsonNode peft = JSON.readTree(DATA.resolve("peft_targets.json").toFile()).get(name);
        Qwen2VlForConditionalGeneration model = Qwen2VlGoldenTest.load(name);
        int cases = 0;
        for (var e : regexes.properties()) {
            Set<Part> parts = parts(e.getKey());
            String regex = MultimodalTargetRegex.of(model, parts);
            assertEquals(e.getValue().asText(), regex, "the regex for " + parts);
            List<String> selected = PeftAdapterConfig.regexTargets(model, regex);
            List<String> expected = new ArrayList<>();
            peft.get(e.getKey()).forEach(n -> expected.add(n.asText()));
            assertEquals(expected, List.copyOf(new TreeSet<>(selected)), "the layers PEFT adapts for " + parts);
            assertEquals(new TreeSet<>(model.linears(parts)), new TreeSet<>(selected), "the linears of " + parts);
            cases++;
        }
        assertEquals(4, cases);
    }

    @Test
    void savedAdapterKeepsTheRegexAndLoadsOntoTheSameLayers() throws Exception {
        Qwen2VlForConditionalGeneration model = Qwen2VlGoldenTest.load("qwen2_5-vl-f32");
        Set<Part> parts = EnumSet.of(Part.LANGUAGE_MODEL, Part.ALIGNER);
        String regex = MultimodalTargetRegex.of(model, parts);
        LoraConfig config = new LoraConfig(2, 4, 0, false, false, PeftAdapterConfig.regexTargets(model, regex));
        LoraInjector.inject(model, config, new Generator(5));
        PeftAdapter.save(tmp, model, config, "qwen2_5-vl-f32", regex);
        assertEquals(regex, JSON.readTree(tmp.resolve(PeftAdapterConfig.FILE).toFile()).get("target_modules").asText());

        Qwen2VlForConditionalGeneration fresh = Qwen2VlGoldenTest.load("qwen2_5-vl-f32");
        PeftAdapter.load(tmp, fresh);
        assertEquals(LoraInjector.find(model).keySet(), LoraInjector.find(fresh).keySet());
        assertTrue(LoraInjector.find(fresh).keySet().stream().anyMatch(p -> p.startsWith("model.visual.merger.")));
        SafetensorsFile saved = SafetensorsFile.open(tmp.resolve(PeftAdapter.WEIGHTS));
        for (var e : LoraInjector.find(fresh).entrySet()) {
            for (var p : e.getValue().adapterParameters().entrySet()) {
                String key = "base_model.model." + e.getKey() + "." + p.getKey();
                assertArrayEquals(saved.tensor(key).toFloatArray(), p.getValue().value().toFloatArray(), key);
            }
        }
    }

    /** A PEFT adapter whose target_modules is a regex (another than ms-swift's), loaded and saved again, keeps it. */
    @Test
    void aLoadedRegexAdapterIsSavedWithItsRegex() throws Exception {
        Path peft = Qwen2VlGoldenTest.fixture("qwen2-vl-f32").resolve("lora");
        String regex = PeftAdapterConfig.read(peft.resolve(PeftAdapterConfig.FILE)).targetRegex();
        Qwen2VlForConditionalGeneration model = Qwen2VlGoldenTest.load("qwen2-vl-f32");
        LoraConfig config = PeftAdapter.load(peft, model);
        assertEquals(new TreeSet<>(LoraInjector.find(model).keySet()), new TreeSet<>(PeftAdapterConfig.regexTargets(model, regex)),
                "after injection the regex selects the LoRA wrappers, not the layers inside them");
        PeftAdapter.save(tmp, model, config, "qwen2-vl-f32", regex);
        assertEquals(regex, JSON.readTree(tmp.resolve(PeftAdapterConfig.FILE).toFile()).get("target_modules").asText());
    }

    @Test
    void aRegexThatMissesAnAdapterIsNotSaved() throws Exception {
        Qwen2VlForConditionalGeneration model = Qwen2VlGoldenTest.load("qwen2-vl-f32");
        String languageModelOnly = MultimodalTargetRegex.of(model, EnumSet.of(Part.LANGUAGE_MODEL));
        LoraConfig config = new LoraConfig(2, 4, 0, false, false, model.linears(EnumSet.of(Part.LANGUAGE_MODEL, Part.ALIGNER)));
        LoraInjector.inject(model, config, new Generator(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PeftAdapter.save(tmp, model, config, "qwen2-vl-f32", languageModelOnly));
        assertTrue(e.getMessage().contains("selects 14 layers") && e.getMessage().contains("model.visual.merger.mlp.0"), e.getMessage());
    }

    @Test
    void pythonEscape() {
        assertEquals("model\\.language_model", MultimodalTargetRegex.pythonEscape("model.language_model"));
        assertEquals("a\\(b\\)\\*", MultimodalTargetRegex.pythonEscape("a(b)*"));
    }

    private static Set<Part> parts(String names) {
        Set<Part> out = EnumSet.noneOf(Part.class);
        for (String n : names.split(",")) out.add(Part.valueOf(n));
        return out;
    }
}
