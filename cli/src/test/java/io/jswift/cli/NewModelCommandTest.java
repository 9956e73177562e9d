package io.jswift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.CheckpointDir;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NewModelCommandTest {
    private static final Path MODELS = TinyModels.MODELS;

    @TempDir
    Path dir;

    /** The tensors transformers' save_pretrained wrote for the same config: same names, shapes and dtypes. */
    @ParameterizedTest
    @ValueSource(strings = {"llama-f32", "qwen2-f32", "qwen3-f32", "qwen3-bf16", "llama-bf16-sharded"})
    void writesTheTensorsTransformersWritesForTheConfig(String name) throws Exception {
        Path out = dir.resolve(name);
        assertEquals(0, Main.run("new-model", "--config", MODELS.resolve(name + "/config.json").toString(), "--output_dir", out.toString()));
        Map<String, Tensor> hf = CheckpointDir.load(MODELS.resolve(name));
        SafetensorsFile ours = SafetensorsFile.open(out.resolve("model.safetensors"));
        assertEquals(new TreeSet<>(hf.keySet()), new TreeSet<>(ours.names()));
        for (String p : ours.names()) {
            assertArrayEquals(hf.get(p).shape(), ours.tensor(p).shape(), p);
            assertEquals(hf.get(p).dtype(), ours.tensor(p).dtype(), p);
        }
        assertEquals(Files.readString(MODELS.resolve(name + "/config.json")), Files.readString(out.resolve("config.json")));
    }

    /** HF _init_weights: Linear / Embedding ~ N(0, initializer_range), biases 0, RMSNorm 1; the pad row of the embedding is 0. */
    @Test
    void weightsFollowTransformersInit() throws Exception {
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(MODELS.resolve("qwen2-f32/config.json").toFile());
        cfg.put("initializer_range", 0.05);
        cfg.put("pad_token_id", 7);
        Path config = dir.resolve("qwen2.json");
        new ObjectMapper().writeValue(config.toFile(), cfg);
        Path out = dir.resolve("m");
        assertEquals(0, Main.run("new-model", "--config", config.toString(), "--output_dir", out.toString(), "--seed", "5"));
        SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"));
        int matrices = 0, biases = 0, norms = 0;
        for (String p : f.names()) {
            double[] w = f.tensor(p).toDoubleArray();
            if (p.endsWith("norm.weight")) {
                norms++;
                for (double v : w) assertEquals(1.0, v, p);
            } else if (p.endsWith(".bias")) {
                biases++;
                for (double v : w) assertEquals(0.0, v, p);
            } else {
                matrices++;
                if (p.equals("model.embed_tokens.weight")) {
                    int hidden = f.tensor(p).shape()[1];
                    for (int j = 0; j < hidden; j++) assertEquals(0.0, w[7 * hidden + j], "pad row");
                    w = Arrays.copyOfRange(w, 8 * hidden, w.length); // rows after the pad row
                }
                double mean = Arrays.stream(w).average().orElseThrow();
                double std = Math.sqrt(Arrays.stream(w).map(v -> (v - mean) * (v - mean)).sum() / (w.length - 1));
                // standard errors: 0.05/sqrt(n) for the mean, 0.05/sqrt(2n) for the std (n >= 4096 here)
                assertEquals(0.0, mean, 5 * 0.05 / Math.sqrt(w.length), p + " mean");
                assertEquals(0.05, std, 5 * 0.05 / Math.sqrt(2.0 * w.length), p + " std");
            }
        }
        assertEquals(1 + 2 * 7, matrices);      // embedding + per layer q k v o gate up down (tied: no lm_head)
        assertEquals(2 * 3, biases);            // Qwen2: q/k/v biases
        assertEquals(2 * 2 + 1, norms);
    }

    @Test
    void theSeedDecidesTheWeights() throws Exception {
        String config = MODELS.resolve("qwen3-f32/config.json").toString();
        Path a = dir.resolve("a"), b = dir.resolve("b"), c = dir.resolve("c");
        assertEquals(0, Main.run("new-model", "--config", config, "--output_dir", a.toString(), "--seed", "1"));
        assertEquals(0, Main.run("new-model", "--config", config, "--output_dir", b.toString(), "--seed", "1"));
        assertEquals(0, Main.run("new-model", "--config", config, "--output_dir", c.toString(), "--seed", "2"));
        assertArrayEquals(Files.readAllBytes(a.resolve("model.safetensors")), Files.readAllBytes(b.resolve("model.safetensors")));
        assertFalse(Arrays.equals(Files.readAllBytes(a.resolve("model.safetensors")), Files.readAllBytes(c.resolve("model.safetensors"))));
    }

    /**
     * At HF init the logits are near zero (std about initializer_range·sqrt(hidden) = 0.16 here), so the first loss is
     * ln(vocab_size) plus about half their variance: the model trains from chance level.
     */
    @Test
    void theNewModelTrainsFromChanceLevelWithItsTokenizer() throws Exception {
        Path tok = TinyModels.llamaWithTinyTokenizer(dir);
        Path out = dir.resolve("fresh");
        assertEquals(0, Main.run("new-model", "--config", MODELS.resolve("llama-f32/config.json").toString(), "--output_dir", out.toString(),
                "--tokenizer_dir", tok.toString()));
        for (String f : new String[]{"tokenizer.json", "tokenizer_config.json"}) {
            assertArrayEquals(Files.readAllBytes(tok.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
        JsonNode gen = new ObjectMapper().readTree(out.resolve("generation_config.json").toFile());
        JsonNode cfg = new ObjectMapper().readTree(MODELS.resolve("llama-f32/config.json").toFile());
        assertEquals(cfg.get("bos_token_id"), gen.get("bos_token_id"));
        assertEquals(cfg.get("eos_token_id"), gen.get("eos_token_id"));
        assertFalse(gen.has("pad_token_id")); // null in the config

        Path data = dir.resolve("text.jsonl");
        Files.writeString(data, "{\"text\": \"the quick brown fox jumps over the lazy dog\"}\n");
        Path runs = dir.resolve("runs");
        assertEquals(0, Main.run("pt", "--model", out.toString(), "--dataset", data.toString(), "--output_dir", runs.toString(),
                "--max_steps", "1", "--logging_steps", "1"));
        Path run;
        try (Stream<Path> s = Files.list(runs)) {
            run = s.findFirst().orElseThrow();
        }
        double loss = new ObjectMapper().readTree(Files.readAllLines(run.resolve("logging.jsonl")).get(0)).get("loss").asDouble();
        assertEquals(Math.log(cfg.get("vocab_size").asInt()), loss, 0.1);
    }

    @Test
    void aTokenizerLargerThanTheVocabularyOrMissingIsOneClearError() throws Exception {
        Path tok = TinyModels.llamaWithTinyTokenizer(dir); // ids up to 127
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(MODELS.resolve("llama-f32/config.json").toFile());
        cfg.put("vocab_size", 100);
        Path config = dir.resolve("small.json");
        new ObjectMapper().writeValue(config.toFile(), cfg);
        Path out = dir.resolve("never");
        String err = runForError("new-model", "--config", config.toString(), "--output_dir", out.toString(), "--tokenizer_dir", tok.toString());
        assertTrue(err.contains(tok.resolve("tokenizer.json") + ": 128 token ids do not fit vocab_size 100 of " + config), err);
        assertTrue(Files.notExists(out), "nothing is written when the check fails");

        err = runForError("new-model", "--config", config.toString(), "--output_dir", out.toString(), "--tokenizer_dir", dir.toString());
        assertTrue(err.contains("--tokenizer_dir " + dir + " has no tokenizer.json"), err);

        err = runForError("new-model", "--config", MODELS.resolve("vit-model-f32/config.json").toString(), "--output_dir", out.toString());
        assertTrue(err.contains("new-model makes causal LMs"), err);

        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"architectures\": [\"Qwen2ForCausalLM\"], \"vocab_size\": 64}");
        err = runForError("new-model", "--config", broken.toString(), "--output_dir", out.toString());
        assertTrue(err.contains(broken + ": missing key 'hidden_size'"), err);
    }

    private static String runForError(String... args) {
        StringWriter err = new StringWriter();
        assertEquals(ErrorReporter.EXIT_ERROR, Main.run(new PrintWriter(err, true), args));
        return err.toString();
    }
}
