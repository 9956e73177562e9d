package io.jswift.cli;

import static io.jswift.tensor.testing.TensorAssert.relL2;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * --adapters on logits / infer and jswift export --merge_lora, against the PEFT / transformers numbers committed with
 * the adapter fixtures (tools/fixtures/make_peft_adapters.py, models/src/test/resources/adapters).
 */
class AdapterCommandsTest {
    private static final Path RESOURCES = Path.of("../models/src/test/resources").toAbsolutePath().normalize();
    private static final Path MODELS = RESOURCES.resolve("models"), ADAPTERS = RESOURCES.resolve("adapters");

    @TempDir
    Path dir;

    private static String ids(SafetensorsFile f) {
        return String.join(",", Arrays.stream(f.tensor("input_ids").toLongArray()).mapToObj(Long::toString).toList());
    }

    private Tensor logits(String... args) throws Exception {
        Path out = dir.resolve("logits-" + System.nanoTime() + ".safetensors");
        String[] all = Stream.concat(Stream.of("logits"), Stream.concat(Arrays.stream(args), Stream.of("--output", out.toString())))
                .toArray(String[]::new);
        assertEquals(0, Main.run(all));
        return SafetensorsFile.open(out).tensor("logits");
    }

    @Test
    void logitsWithPeftAndJswiftAdaptersEqualPeft() throws Exception {
        SafetensorsFile peft = SafetensorsFile.open(ADAPTERS.resolve("peft-dora-qwen2/expected.safetensors"));
        Tensor l = logits("--model", MODELS.resolve("qwen2-f32").toString(), "--adapters", ADAPTERS.resolve("peft-dora-qwen2").toString(),
                "--input_ids", ids(peft));
        assertTrue(relL2(l, peft.tensor("logits")) < 1e-4);
        SafetensorsFile read = SafetensorsFile.open(ADAPTERS.resolve("jswift-lora-qwen3/peft_expected.safetensors"));
        l = logits("--model", MODELS.resolve("qwen3-f32").toString(), "--adapters", ADAPTERS.resolve("jswift-lora-qwen3").toString(),
                "--input_ids", ids(read));
        assertTrue(relL2(l, read.tensor("logits")) < 1e-4);
    }

    @Test
    void exportWritesAMergedModelThatTransformersAndJswiftRead() throws Exception {
        Path out = dir.resolve("merged");
        assertEquals(0, Main.run("export", "--model", MODELS.resolve("llama-f32").toString(), "--adapters",
                ADAPTERS.resolve("jswift-dora-llama").toString(), "--merge_lora", "true", "--output_dir", out.toString()));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("config.json", "generation_config.json", "model.safetensors"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        Path committed = ADAPTERS.resolve("jswift-merged-dora-llama");
        assertEquals(Files.readString(MODELS.resolve("llama-f32/config.json")), Files.readString(out.resolve("config.json")));
        SafetensorsFile mine = SafetensorsFile.open(out.resolve("model.safetensors"));
        SafetensorsFile reference = SafetensorsFile.open(committed.resolve("model.safetensors"));
        assertEquals(reference.names().stream().sorted().toList(), mine.names().stream().sorted().toList());
        assertTrue(mine.names().stream().noneMatch(n -> n.contains("lora") || n.equals("lm_head.weight")), "plain HF names, lm_head tied");
        SafetensorsFile hf = SafetensorsFile.open(committed.resolve("transformers_expected.safetensors"));
        assertTrue(relL2(logits("--model", out.toString(), "--input_ids", ids(hf)), hf.tensor("logits")) < 1e-4);
        SafetensorsFile peft = SafetensorsFile.open(ADAPTERS.resolve("jswift-dora-llama/peft_expected.safetensors"));
        assertTrue(relL2(logits("--model", out.toString(), "--input_ids", ids(peft)), peft.tensor("merged_logits")) < 1e-4);
    }

    @Test
    void exportCastsToTorchDtypeAndSaysSoInConfigJson() throws Exception {
        Path out = dir.resolve("bf16");
        assertEquals(0, Main.run("export", "--model", MODELS.resolve("qwen3-f32").toString(), "--adapters",
                ADAPTERS.resolve("jswift-lora-qwen3").toString(), "--merge_lora", "--output_dir", out.toString(), "--torch_dtype", "bfloat16"));
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"dtype\": \"bfloat16\""));
        SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"));
        for (String n : f.names()) assertEquals(DType.BF16, f.tensor(n).dtype(), n);
        SafetensorsFile peft = SafetensorsFile.open(ADAPTERS.resolve("jswift-lora-qwen3/peft_expected.safetensors"));
        double err = relL2(logits("--model", out.toString(), "--input_ids", ids(peft)), peft.tensor("merged_logits"));
        assertTrue(err < 3e-2, "bf16 export vs PEFT f32 merged: rel. L2 " + err); // every weight, not only the merged ones, rounds to bf16
    }

    @Test
    void inferWithAnAdapterAnswersDifferently() throws Exception {
        Path model = TinyModels.llamaWithTinyTokenizer(dir);
        String plain = infer("--model", model.toString());
        String adapted = infer("--model", model.toString(), "--adapters", ADAPTERS.resolve("jswift-dora-llama").toString());
        assertNotEquals(plain, adapted);
        Path merged = dir.resolve("merged");
        assertEquals(0, Main.run("export", "--model", model.toString(), "--adapters", ADAPTERS.resolve("jswift-dora-llama").toString(),
                "--merge_lora", "true", "--output_dir", merged.toString()));
        assertTrue(Files.exists(merged.resolve("tokenizer.json")) && Files.exists(merged.resolve("tokenizer_config.json")), "tokenizer copied");
        assertEquals(adapted, infer("--model", merged.toString()), "the merged export answers as base + adapter");
    }

    private static String infer(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            String[] all = Stream.concat(Stream.of("infer"), Stream.concat(Arrays.stream(args),
                    Stream.of("--prompt", "hi there", "--max_new_tokens", "12", "--temperature", "0"))).toArray(String[]::new);
            assertEquals(0, Main.run(all));
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void exportErrorsAreOneClearLine() throws Exception {
        String base = MODELS.resolve("llama-f32").toString(), adapter = ADAPTERS.resolve("jswift-dora-llama").toString();
        Path full = dir.resolve("full");
        Files.createDirectories(full);
        Files.writeString(full.resolve("keep.txt"), "x");
        assertError(full + " exists and is not empty: choose a new output directory", "--model", base, "--adapters", adapter,
                "--merge_lora", "true", "--output_dir", full.toString());
        assertEquals("x", Files.readString(full.resolve("keep.txt")));
        assertError("jswift export writes merged or quantized models: pass --merge_lora true", "--model", base, "--adapters", adapter,
                "--output_dir", dir.resolve("o").toString());
        assertError("--model is needed: " + Path.of(adapter, "adapter_config.json") + " names base model 'llama-f32', which is not a directory here",
                "--adapters", adapter, "--merge_lora", "true", "--output_dir", dir.resolve("o").toString());
        assertError("--torch_dtype must be float32, bfloat16 or float16, got 'int8'", "--model", base, "--adapters", adapter,
                "--merge_lora", "true", "--output_dir", dir.resolve("o").toString(), "--torch_dtype", "int8");
        assertError("target_modules [q_proj, v_proj, o_proj, down_proj] match no linear layer",
                "--model", MODELS.resolve("vit-classifier-f32").toString(), "--adapters", ADAPTERS.resolve("jswift-lora-qwen3").toString(),
                "--merge_lora", "true", "--output_dir", dir.resolve("o").toString());
        assertTrue(Files.notExists(dir.resolve("o")), "nothing written on errors");
    }

    private static void assertError(String fragment, String... args) {
        StringWriter err = new StringWriter();
        String[] all = Stream.concat(Stream.of("export"), Arrays.stream(args)).toArray(String[]::new);
        int code = Main.run(new PrintWriter(err, true), all);
        assertEquals(ErrorReporter.EXIT_ERROR, code, err.toString());
        String first = err.toString().lines().findFirst().orElse("");
        assertTrue(first.startsWith("export: error: ") && first.contains(fragment), first);
    }

    @Test
    void defaultOutputDirIsTheAdapterDirWithMergedAppended() throws Exception {
        Path adapter = dir.resolve("checkpoint-5");
        Files.createDirectories(adapter);
        for (String f : List.of("adapter_config.json", "adapter_model.safetensors")) {
            Files.copy(ADAPTERS.resolve("jswift-lora-qwen3").resolve(f), adapter.resolve(f));
        }
        assertEquals(0, Main.run("export", "--model", MODELS.resolve("qwen3-f32").toString(), "--adapters", adapter.toString(), "--merge_lora", "true"));
        assertArrayEquals(new int[]{128, 64}, SafetensorsFile.open(dir.resolve("checkpoint-5-merged/model.safetensors")).tensor("lm_head.weight").shape());
    }
}
