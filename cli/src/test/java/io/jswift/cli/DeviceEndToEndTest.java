package io.jswift.cli;

import static io.jswift.tensor.testing.TensorAssert.relL2;

import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.tensor.Backends;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.SafetensorsFile;
import io.jswift.tensor.io.SafetensorsWriter;
import io.jswift.tensor.spi.BackendProvider;
import io.jswift.tensor.testing.DeviceTesting;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --device opencl} end to end on the tiny transformers checkpoints: the same logits, the same training step,
 * the same greedy generation as {@code --device cpu}. Skipped without OpenCL (failed in CI, which installs PoCL).
 * {@code -Djswift.test.device=cuda:0} runs the same checks on that device instead (bench/gpu/check.sh).
 */
class DeviceEndToEndTest {
    private static final Path MODELS = TinyModels.MODELS;

    @TempDir
    Path dir;

    private Tensor logits(String device, String... input) throws Exception {
        Path out = dir.resolve("logits-" + device.replace(':', '_') + ".safetensors");
        String[] args = Stream.concat(Stream.of("logits", "--device", device, "--output", out.toString()), Arrays.stream(input)).toArray(String[]::new);
        assertEquals(0, Main.run(args));
        return SafetensorsFile.open(out).tensor("logits");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-f32", "qwen2-f32", "qwen3-f32", "qwen3-bf16"})
    void causalLmLogitsOnOpenClEqualTheCpu(String name) throws Exception {
        String accel = DeviceTesting.accelerator().toString();
        long[] ids = SafetensorsFile.open(MODELS.resolve(name.replace("-bf16", "-f32")).resolve("expected.safetensors")).tensor("input_ids").toLongArray();
        String list = String.join(",", Arrays.stream(ids).mapToObj(Long::toString).toList());
        String[] input = {"--model", MODELS.resolve(name).toString(), "--input_ids", list};
        Tensor cpu = logits("cpu", input), cl = logits(accel, input);
        assertArrayEquals(new int[]{ids.length, 128}, cl.shape());
        double err = relL2(cl, cpu);
        assertTrue(err < 1e-4, name + ": relative L2 error " + err);
        assertTrue(err > 0, "bit-identical to the cpu: did the forward run on the device?");
    }

    @Test
    void vitClassifierLogitsOnOpenClEqualTheCpu() throws Exception {
        String accel = DeviceTesting.accelerator().toString();
        SafetensorsFile expected = SafetensorsFile.open(MODELS.resolve("vit-classifier-f32/expected.safetensors"));
        Path pixels = dir.resolve("pixels.safetensors");
        SafetensorsWriter.write(pixels, Map.of("pixel_values", expected.tensor("pixel_values")), null);
        String[] input = {"--model", MODELS.resolve("vit-classifier-f32").toString(), "--pixel_values", pixels.toString()};
        Tensor cpu = logits("cpu", input), cl = logits(accel, input);
        double err = relL2(cl, cpu);
        assertTrue(err < 1e-4, "vit: relative L2 error " + err);
    }

    private static Path onlyRun(Path output) throws Exception {
        try (Stream<Path> s = Files.list(output)) {
            List<Path> runs = s.toList();
            assertEquals(1, runs.size(), runs.toString());
            return runs.get(0);
        }
    }

    /** One SGD step (forward, loss, backward, update, checkpoint from host copies) on the device equals the cpu's. */
    @Test
    void oneSgdStepOfPtOnOpenClEqualsTheCpuStep() throws Exception {
        String accel = DeviceTesting.accelerator().toString();
        Path model = MODELS.resolve("qwen3-f32");
        Path data = dir.resolve("rows.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 5, 9, 14, 20, 7, 100, 3]}\n{\"input_ids\": [3, 8, 2], \"labels\": [-100, 8, 2]}\n");
        Path[] runs = new Path[2];
        String[] devices = {"cpu", accel};
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("pt-" + devices[i].replace(':', '_'));
            assertEquals(0, Main.run("pt", "--model", model.toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                    "--device", devices[i], "--optim", "sgd", "--learning_rate", "0.1", "--lr_scheduler_type", "constant", "--weight_decay", "0",
                    "--max_grad_norm", "1.0", "--max_steps", "1", "--per_device_train_batch_size", "2", "--logging_steps", "1"));
            runs[i] = onlyRun(out).resolve("checkpoint-1");
        }
        SafetensorsFile base = SafetensorsFile.open(model.resolve("model.safetensors"));
        SafetensorsFile cpu = SafetensorsFile.open(runs[0].resolve("model.safetensors")), cl = SafetensorsFile.open(runs[1].resolve("model.safetensors"));
        assertEquals(cpu.names(), cl.names());
        for (String p : cpu.names()) {
            double[] w0 = base.tensor(p).toDoubleArray(), a = cpu.tensor(p).toDoubleArray(), b = cl.tensor(p).toDoubleArray();
            double maxStep = 0;
            for (int i = 0; i < w0.length; i++) maxStep = Math.max(maxStep, Math.abs(a[i] - w0[i]));
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-7 + 1e-3 * maxStep, p + "[" + i + "]");
        }
        String cpuLog = Files.readAllLines(runs[0].getParent().resolve("logging.jsonl")).get(0);
        String clLog = Files.readAllLines(runs[1].getParent().resolve("logging.jsonl")).get(0);
        assertEquals(loss(cpuLog), loss(clLog), 1e-5);
    }

    private static double loss(String logLine) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(logLine).get("loss").asDouble();
    }

    /** A LoRA step with the adapter created on the host and moved with the model; dropout draws replay identically. */
    @Test
    void oneLoraStepOfSftOnOpenClEqualsTheCpuStep() throws Exception {
        String accel = DeviceTesting.accelerator().toString();
        Path data = dir.resolve("ids.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 5, 9, 14, 20, 7, 100, 3], \"labels\": [-100, -100, -100, 14, 20, 7, 100, 3]}\n");
        Path[] ckpts = new Path[2];
        String[] devices = {"cpu", accel};
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("sft-" + devices[i].replace(':', '_'));
            assertEquals(0, Main.run("sft", "--model", MODELS.resolve("llama-f32").toString(), "--dataset", data.toString(), "--output_dir", out.toString(),
                    "--device", devices[i], "--optim", "sgd", "--learning_rate", "0.5", "--lr_scheduler_type", "constant", "--max_steps", "1",
                    "--lora_rank", "4", "--lora_dropout", "0.1"));
            ckpts[i] = onlyRun(out).resolve("checkpoint-1");
        }
        SafetensorsFile cpu = SafetensorsFile.open(ckpts[0].resolve("adapter_model.safetensors"));
        SafetensorsFile cl = SafetensorsFile.open(ckpts[1].resolve("adapter_model.safetensors"));
        assertEquals(cpu.names(), cl.names());
        for (String p : cpu.names()) assertArrayEquals(cpu.tensor(p).toDoubleArray(), cl.tensor(p).toDoubleArray(), 1e-5, p);
    }

    /**
     * QLoRA on the device: the base quantized to NF4 at load (double quant) on the host and moved; the step's forward
     * runs the device's 4-bit GEMV (8 tokens), its input gradients dequantize + GEMM. Same logits and adapter as the CPU's
     * up to the summation order.
     */
    @Test
    void qloraLogitsAndOneSftStepOnTheDeviceEqualTheCpu() throws Exception {
        String accel = DeviceTesting.accelerator().toString();
        String[] quant = {"--quant_method", "bnb", "--quant_bits", "4", "--bnb_4bit_quant_type", "nf4", "--bnb_4bit_use_double_quant", "true"};
        String[] input = Stream.concat(Stream.of("--model", MODELS.resolve("llama-f32").toString(), "--input_ids", "1,5,9,14,20,7"), Arrays.stream(quant))
                .toArray(String[]::new);
        double logitsErr = relL2(logits(accel, input), logits("cpu", input));
        assertTrue(logitsErr < 1e-5 && logitsErr > 0, "NF4 logits: relative L2 error " + logitsErr);

        Path data = dir.resolve("ids.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 5, 9, 14, 20, 7, 100, 3], \"labels\": [-100, -100, -100, 14, 20, 7, 100, 3]}\n");
        Path[] ckpts = new Path[2];
        String[] devices = {"cpu", accel};
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("qlora-" + devices[i].replace(':', '_'));
            String[] args = Stream.concat(Stream.of("sft", "--model", MODELS.resolve("llama-f32").toString(), "--dataset", data.toString(),
                    "--output_dir", out.toString(), "--device", devices[i], "--optim", "sgd", "--learning_rate", "0.5", "--lr_scheduler_type",
                    "constant", "--max_steps", "1", "--lora_rank", "4", "--lora_dropout", "0"), Arrays.stream(quant)).toArray(String[]::new);
            assertEquals(0, Main.run(args));
            ckpts[i] = onlyRun(out).resolve("checkpoint-1");
        }
        SafetensorsFile cpu = SafetensorsFile.open(ckpts[0].resolve("adapter_model.safetensors"));
        SafetensorsFile dev = SafetensorsFile.open(ckpts[1].resolve("adapter_model.safetensors"));
        assertEquals(cpu.names(), dev.names());
        for (String p : cpu.names()) assertArrayEquals(cpu.tensor(p).toDoubleArray(), dev.tensor(p).toDoubleArray(), 1e-5, p);
    }

    /** Batched greedy generation (left padding: segment ids in the KV cache) reads back one logits row per step. */
    @Test
    void greedyGenerationOnOpenClEqualsTheCpu() throws Exception {
        Device cl = DeviceTesting.accelerator();
        Path model = MODELS.resolve("qwen2-f32");
        List<int[]> prompts = List.of(new int[]{5, 17, 90, 3, 44, 2}, new int[]{8, 1});
        CausalLm host = ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model();
        CausalLm device = ((LoadedModel.CausalLm) ModelLoader.load(model, false)).model();
        device.to(cl);
        List<TextGenerator.Result> a = new TextGenerator(host, new int[0], null).generate(prompts, SamplingParams.greedy(4), null);
        List<TextGenerator.Result> b = new TextGenerator(device, new int[0], null).generate(prompts, SamplingParams.greedy(4), null);
        for (int r = 0; r < prompts.size(); r++) assertArrayEquals(a.get(r).tokens(), b.get(r).tokens(), "row " + r);

        Path chat = TinyModels.llamaWithTinyTokenizer(dir);
        assertEquals(infer(chat, "cpu"), infer(chat, cl.toString()));
    }

    private static String infer(Path model, String device) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run("infer", "--model", model.toString(), "--prompt", "hi there", "--max_new_tokens", "4", "--temperature", "0",
                    "--device", device));
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    /** jswift --list_devices prints what jswift env prints: every backend, available or with its reason. */
    @Test
    void listDevicesNamesEveryBackend() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("--list_devices");
        } finally {
            System.setOut(original);
        }
        assertEquals(0, code);
        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("cpu: available, 1 device(s)")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("opencl: available, ") || l.startsWith("opencl: unavailable: ")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("cuda: available, ") || l.startsWith("cuda: unavailable: ")), lines.toString());
        assertEquals(ErrorReporter.EXIT_USAGE, Main.run(new PrintWriter(new StringWriter(), true)), "bare jswift: usage");
    }

    /** Unknown device types and indices fail before loading anything, in one line naming the flag. */
    @Test
    void unknownDevicesFailWithOneLine() {
        String model = MODELS.resolve("llama-f32").toString();
        assertError("logits", "--device rocm:0: no backend for device 'rocm:0' (backends found: [",
                "logits", "--model", model, "--input_ids", "1", "--device", "rocm:0", "--output", dir.resolve("o").toString());
        assertError("pt", "--device gpu: no backend for device 'gpu:0'",
                "pt", "--model", model, "--dataset", dir.resolve("none.jsonl").toString(), "--device", "gpu", "--output_dir", dir.resolve("o").toString());
        assertError("infer", "--device opencl:x: bad device 'opencl:x'",
                "infer", "--model", model, "--prompt", "hi", "--device", "opencl:x");
    }

    /** Where CUDA cannot run (no driver, no device, no PTX), --device cuda fails at once with the backend's one-line reason. */
    @Test
    void cudaWithoutAUsableDeviceFailsWithTheReason() {
        BackendProvider cuda = Backends.providers().stream().filter(p -> p.type().equals("cuda")).findFirst().orElseThrow();
        BackendProvider.Availability a = cuda.availability();
        Assumptions.assumeFalse(a.available(), "this machine has a usable CUDA device");
        String model = MODELS.resolve("llama-f32").toString();
        assertError("logits", "--device cuda: cuda backend unavailable: " + a.reason(),
                "logits", "--model", model, "--input_ids", "1", "--device", "cuda", "--output", dir.resolve("o").toString());
        assertError("sft", "--device cuda:1: cuda backend unavailable: ",
                "sft", "--model", model, "--dataset", dir.resolve("none.jsonl").toString(), "--device", "cuda:1");
    }

    @Test
    void aMissingDeviceIndexNamesTheDeviceCount() {
        DeviceTesting.openCl();
        assertError("sft", "--device opencl:99: no device opencl:99: the opencl backend has ",
                "sft", "--model", MODELS.resolve("llama-f32").toString(), "--dataset", dir.resolve("none.jsonl").toString(), "--device", "opencl:99");
    }

    private static void assertError(String command, String fragment, String... args) {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(err, true), args);
        assertEquals(ErrorReporter.EXIT_ERROR, code, err.toString());
        String first = err.toString().lines().findFirst().orElse("");
        assertTrue(first.startsWith(command + ": error: ") && first.contains(fragment), first);
    }
}
