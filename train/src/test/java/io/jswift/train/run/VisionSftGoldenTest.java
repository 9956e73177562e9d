package io.jswift.train.run;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jswift.autograd.Variable;
import io.jswift.models.CausalLm;
import io.jswift.models.chat.ChatTemplate;
import io.jswift.models.config.Qwen2VlConfig;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.models.qwen2vl.MropeIndex;
import io.jswift.models.qwen2vl.Qwen2VlForConditionalGeneration;
import io.jswift.models.tokenizer.Tokenizer;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.train.data.DatasetException;
import io.jswift.train.data.DatasetSpec;
import io.jswift.train.encode.ChatEncoder;
import io.jswift.train.encode.ChatImages;
import io.jswift.train.encode.Encoded;
import io.jswift.train.encode.EncodedDataset;
import io.jswift.train.encode.LossScale;
import io.jswift.train.encode.Packer;
import io.jswift.train.encode.Truncation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code jswift sft} on ms-swift multimodal rows (messages with {@code <image>} tags + "images") for Qwen2-VL and
 * Qwen2.5-VL against transformers (tools/fixtures/qwen2vl_sft_fixtures.py, train/src/test/resources/vl-sft): the rows'
 * ids and labels as ms-swift's qwen2_vl template encodes them, the batch's loss and language-model gradients with the
 * vision tower and merger frozen (ms-swift's defaults), the same loss and gradients from the rows packed into one (M-RoPE
 * positions restarting per sample, as ms-swift's packing_row), and the rows'
 * errors located as file:line.
 */
class VisionSftGoldenTest {
    private static final Path DATA = Path.of("src/test/resources/vl-sft").toAbsolutePath();

    @TempDir
    Path tmp;

    private static Path model(String name) {
        return Path.of("../models/src/test/resources/models", name).toAbsolutePath().normalize();
    }

    private static ChatEncoder encoder(Path dir, boolean images) throws IOException {
        Tokenizer tokenizer = Tokenizer.fromDirectory(dir);
        return new ChatEncoder(tokenizer, ChatTemplate.fromDirectory(dir), LossScale.parse("default"), null, null,
                images ? ChatImages.fromDirectory(dir, tokenizer) : null);
    }

    private static EncodedDataset dataset(Path file, ChatEncoder encoder, int maxLength, Truncation.Strategy truncation, boolean packing) {
        return EncodedDataset.load(List.of(new DatasetSpec(file, null)), List.of(), encoder,
                new EncodedDataset.Options(maxLength, truncation, packing, false, 42, 0, 272)).train();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2-vl-f32", "qwen2_5-vl-f32"})
    void lossAndGradientsEqualTransformers(String name) throws Exception {
        Path dir = model(name);
        SafetensorsFile exp = SafetensorsFile.open(DATA.resolve(name + ".safetensors"));
        EncodedDataset data = dataset(DATA.resolve("dataset.jsonl"), encoder(dir, true), 4096, Truncation.Strategy.DELETE, false);
        assertEquals(3, data.size());
        List<Encoded> rows = new ArrayList<>();
        for (int i = 0; i < data.size(); i++) {
            Encoded e = data.get(i);
            assertArrayEquals(ints(exp.tensor("input_ids." + i)), e.inputIds(), "input ids of row " + i);
            assertArrayEquals(ints(exp.tensor("labels." + i)), e.labels(), "labels of row " + i);
            assertNotNull(e.images(), "row " + i + " carries its images");
            rows.add(e);
        }
        CausalLm lm = ((LoadedModel.CausalLm) ModelLoader.load(dir, true)).model();
        VisionLanguageTuning.freezeParts(lm, FreezeArgs.DEFAULTS);
        CausalLmObjective objective = new CausalLmObjective(lm, false);
        double normalizer = objective.normalizer(List.of(rows));
        assertEquals(exp.tensor("targets").toLongArray()[0], (long) normalizer);
        Objective.Step step = objective.forward(rows, normalizer);
        double loss = exp.tensor("loss").item();
        assertEquals(loss, step.loss().value().item(), 1e-4 * loss, "loss");
        step.loss().backward();
        Map<String, Parameter> params = lm.namedParameters();
        int compared = 0;
        for (String key : exp.names()) {
            if (!key.startsWith("grad.")) continue;
            Parameter p = params.get(key.substring("grad.".length()));
            double err = relL2(p.grad(), exp.tensor(key));
            assertTrue(err < 1e-4, key + " rel. L2 error " + err);
            compared++;
        }
        assertTrue(compared >= 3, "gradients compared: " + compared);
        params.forEach((n, p) -> {
            if (n.startsWith("model.visual.")) assertNull(p.grad(), n + " is frozen (freeze_vit / freeze_aligner)");
        });

        // --packing: the three samples in one row give the same loss and the same gradients (transformers' unpacked ones)
        Encoded packed = Packer.pack(rows);
        CausalLm fresh = ((LoadedModel.CausalLm) ModelLoader.load(dir, true)).model();
        VisionLanguageTuning.freezeParts(fresh, FreezeArgs.DEFAULTS);
        CausalLmObjective packedObjective = new CausalLmObjective(fresh, false);
        double packedNormalizer = packedObjective.normalizer(List.of(List.of(packed)));
        assertEquals(normalizer, packedNormalizer, "packing keeps every sample's targets");
        Variable packedLoss = packedObjective.forward(List.of(packed), packedNormalizer).loss();
        assertEquals(loss, packedLoss.value().item(), 1e-4 * loss, "packed loss");
        packedLoss.backward();
        Map<String, Parameter> packedParams = fresh.namedParameters();
        for (String key : exp.names()) {
            if (!key.startsWith("grad.")) continue;
            double err = relL2(packedParams.get(key.substring("grad.".length())).grad(), exp.tensor(key));
            assertTrue(err < 1e-4, "packed " + key + " rel. L2 error " + err);
        }
        assertMropeRestartsPerSample(rows, packed, ((Qwen2VlForConditionalGeneration) lm).vlConfig());
    }

    /**
     * ms-swift's Qwen2VLTemplate.packing_row runs get_rope_index on each sample alone and concatenates the results: the
     * packed row's M-RoPE positions (from its segment ids) are the samples' own, each starting again at 0.
     */
    private static void assertMropeRestartsPerSample(List<Encoded> rows, Encoded packed, Qwen2VlConfig c) {
        int merge = c.vision().spatialMergeSize();
        List<long[]> alone = new ArrayList<>();
        for (Encoded e : rows) {
            long[] ids = longs(e.inputIds());
            alone.add(MropeIndex.of(ids, null, 1, ids.length, c.imageTokenId(), e.images().grids(), merge).positions());
        }
        long[] ids = longs(packed.inputIds());
        long[] together = MropeIndex.of(ids, packed.segmentIds(), 1, ids.length, c.imageTokenId(), packed.images().grids(), merge).positions();
        int t = ids.length, at = 0;
        for (long[] one : alone) {
            int n = one.length / 3;
            for (int axis = 0; axis < 3; axis++) {
                long[] expected = Arrays.copyOfRange(one, axis * n, (axis + 1) * n);
                long[] actual = Arrays.copyOfRange(together, axis * t + at, axis * t + at + n);
                assertArrayEquals(expected, actual, "M-RoPE axis " + axis + " of the sample at packed token " + at);
                assertEquals(0, actual[0], "each packed sample starts at position 0");
            }
            at += n;
        }
        assertEquals(t, at);
    }

    private static long[] longs(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    @Test
    void freezeFlagsPickTheTrainedParts() throws Exception {
        CausalLm lm = ((LoadedModel.CausalLm) ModelLoader.load(model("qwen2_5-vl-f32"), true)).model();
        VisionLanguageTuning.freezeParts(lm, new FreezeArgs(true, false, true));
        lm.namedParameters().forEach((n, p) -> assertEquals(n.startsWith("model.visual.") && !n.startsWith("model.visual.merger."),
                p.requiresGrad(), n));
        CausalLm lora = ((LoadedModel.CausalLm) ModelLoader.load(model("qwen2_5-vl-f32"), false)).model();
        var all = new io.jswift.nn.lora.LoraConfig(4, 8, 0, false, false, List.of("all-linear"));
        List<String> defaults = VisionLanguageTuning.adapterConfig(lora, all, FreezeArgs.DEFAULTS).config().targetModules();
        assertTrue(defaults.stream().allMatch(p -> p.startsWith("model.language_model.")), defaults.toString());
        assertEquals(14, defaults.size(), "7 linear layers in each of 2 decoder layers");
        List<String> withAligner = VisionLanguageTuning.adapterConfig(lora, all, new FreezeArgs(false, true, false)).config().targetModules();
        assertTrue(withAligner.containsAll(defaults) && withAligner.stream().anyMatch(p -> p.startsWith("model.visual.merger.")), withAligner.toString());
        assertTrue(withAligner.stream().noneMatch(p -> p.startsWith("model.visual.blocks.")), "the tower stays frozen");
    }

    @Test
    void missingImageIsLocated() throws Exception {
        Path file = tmp.resolve("rows.jsonl");
        Files.writeString(file, Files.readString(DATA.resolve("dataset.jsonl")).replace("rgb8_pil.png", "nowhere.png"));
        Files.createDirectories(tmp.resolve("images"));
        Files.copy(DATA.resolve("images/grid28x42.png"), tmp.resolve("images/grid28x42.png"));
        DatasetException e = assertThrows(DatasetException.class,
                () -> dataset(file, encoder(model("qwen2-vl-f32"), true), 4096, Truncation.Strategy.DELETE, false));
        assertTrue(e.getMessage().startsWith(file + ":2: ") && e.getMessage().contains("nowhere.png"), e.getMessage());
    }

    @Test
    void rowErrorsAreLocated() throws Exception {
        Path file = tmp.resolve("rows.jsonl");
        Files.createDirectories(tmp.resolve("images"));
        Files.copy(DATA.resolve("images/grid28x42.png"), tmp.resolve("images/grid28x42.png"));
        Files.writeString(tmp.resolve("images/broken.png"), "not a png");
        Files.writeString(file, """
                {"messages": [{"role": "user", "content": "<image>Hi"}, {"role": "assistant", "content": "Yo."}], "images": ["images/grid28x42.png"]}
                {"messages": [{"role": "user", "content": "<image><image>Hi"}, {"role": "assistant", "content": "Yo."}], "images": ["images/grid28x42.png"]}
                {"messages": [{"role": "user", "content": "<image>Hi"}, {"role": "assistant", "content": "Yo."}], "images": ["images/broken.png"]}
                """);
        Path dir = model("qwen2-vl-f32");
        DatasetException tags = assertThrows(DatasetException.class, () -> dataset(file, encoder(dir, true), 4096, Truncation.Strategy.DELETE, false));
        assertTrue(tags.getMessage().startsWith(file + ":2: the messages hold 2 <image> tags but 1 images are given"), tags.getMessage());
        Files.writeString(file, Files.readAllLines(file).get(2) + "\n");
        DatasetException broken = assertThrows(DatasetException.class, () -> dataset(file, encoder(dir, true), 4096, Truncation.Strategy.DELETE, false));
        assertTrue(broken.getMessage().startsWith(file + ":1: ") && broken.getMessage().contains("broken.png"), broken.getMessage());
        DatasetException textOnly = assertThrows(DatasetException.class,
                () -> dataset(DATA.resolve("dataset.jsonl"), encoder(dir, false), 4096, Truncation.Strategy.DELETE, false));
        assertTrue(textOnly.getMessage().contains(":1: the row has images but the model is text-only"), textOnly.getMessage());
        DatasetException cut = assertThrows(DatasetException.class,
                () -> dataset(DATA.resolve("dataset.jsonl"), encoder(dir, true), 64, Truncation.Strategy.LEFT, false));
        assertTrue(cut.getMessage().contains(":1: a row with images is longer than --max_length 64"), cut.getMessage());
        assertEquals(1, dataset(DATA.resolve("dataset.jsonl"), encoder(dir, true), 95, Truncation.Strategy.DELETE, false).size(),
                "under delete, rows longer than max_length are dropped");
    }

    private static int[] ints(Tensor t) {
        long[] v = t.toLongArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }
}
