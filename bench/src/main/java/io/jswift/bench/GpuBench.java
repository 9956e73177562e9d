package io.jswift.bench;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.RandomSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * jswift's side of the GPU benchmarks of bench/gpu/check.sh (bench/gpu/torch_bench.py is PyTorch's, same shapes, same
 * GPU, same run): GEMM (bf16 and f32, TF32 off as PyTorch's default), causal attention forward and forward+backward
 * (bf16, Qwen2.5-0.5B's GQA and a 128-dim MHA shape), and greedy decode tokens/s of a model directory, with the device
 * copy bandwidth for the decode's bandwidth utilization. One JSON line per result into OUT/jswift_bench.jsonl.
 * Timings: {@code reps} launches back to back, then one element read back (the device queue is in order), averaged;
 * the first round warms up (program loads, JIT) and is not counted.
 * <pre>java ... -cp jswift-cli.jar:jswift-bench-gpu.jar io.jswift.bench.GpuBench cuda:0 OUT [MODEL_DIR ...]</pre>
 * Each MODEL_DIR is decoded in turn (a bnb-4bit directory loads as stored: the device's 4-bit GEMV, issue 21's NF4 vs
 * bf16 decode). {@code -Djswift.bench.decodeOnly=1} skips the GEMM and attention shapes (the copy bandwidth still runs:
 * it is the decode's reference).
 */
public final class GpuBench {
    private static final int REPS = 20;

    private final Device device;
    private final Backend backend;
    private final Path out;
    private final Generator gen = new Generator(7);

    private GpuBench(Device device, Path out) {
        this.device = device;
        this.backend = Backends.forDevice(device);
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        Device device = Device.parse(args[0]);
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        GpuBench b = new GpuBench(device, out);
        // -Djswift.bench.small=1: shapes a CPU OpenCL device finishes in seconds (rehearsing check.sh without a GPU)
        boolean small = "1".equals(System.getProperty("jswift.bench.small"));
        boolean decodeOnly = "1".equals(System.getProperty("jswift.bench.decodeOnly"));
        if (!decodeOnly) b.kernels(small);
        double bandwidth = b.copyBandwidth(small ? 1L << 22 : 1L << 28);
        for (int i = 2; i < args.length; i++) b.decode(Path.of(args[i]), bandwidth);
    }

    /** The GEMM and attention shapes, jswift's side of torch_bench.py's. */
    private void kernels(boolean small) throws IOException {
        int[][] gemms = small ? new int[][]{{256, 256, 256}, {1, 512, 512}}
                : new int[][]{{4096, 4096, 4096}, {8192, 8192, 8192}, {1, 4096, 4096}, {2048, 151936, 896}};
        for (DType dt : List.of(DType.BF16, DType.F32)) for (int[] mnk : gemms) gemm(dt, mnk[0], mnk[1], mnk[2]);
        // B, Hq, Hkv, T (= S), D
        int[][] attns = small ? new int[][]{{1, 4, 2, 128, 64}} : new int[][]{{1, 14, 2, 4096, 64}, {2, 16, 16, 2048, 128}, {4, 32, 8, 1024, 128}};
        for (int[] s : attns) attention(s[0], s[1], s[2], s[3], s[4]);
    }

    private void gemm(DType dtype, int m, int n, int k) throws IOException {
        Tensor a = random(dtype, m, k), bt = random(dtype, k, n);
        Tensor c = backend.matmul(a, bt, false, false);
        sync(c);
        double ms = Double.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < REPS; r++) c = backend.matmul(a, bt, false, false);
            sync(c);
            ms = Math.min(ms, (System.nanoTime() - t0) / 1e6 / REPS);
        }
        write(String.format(Locale.ROOT, "{\"bench\": \"gemm\", \"dtype\": \"%s\", \"m\": %d, \"n\": %d, \"k\": %d, \"ms\": %.4f, \"tflops\": %.2f}",
                name(dtype), m, n, k, ms, 2.0 * m * n * k / ms / 1e9));
    }

    private void attention(int bsz, int hq, int hkv, int t, int d) throws IOException {
        Tensor q = random(DType.BF16, bsz, hq, t, d), k = random(DType.BF16, bsz, hkv, t, d), v = random(DType.BF16, bsz, hkv, t, d);
        Tensor dOut = random(DType.BF16, bsz, hq, t, d);
        AttentionSpec spec = AttentionSpec.causal(d);
        double fwd = Double.MAX_VALUE, both = Double.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long t0 = System.nanoTime();
            FusedResults.Attention f = null;
            for (int r = 0; r < REPS; r++) f = backend.attention(q, k, v, spec);
            sync(f.logSumExp());
            double fw = (System.nanoTime() - t0) / 1e6 / REPS;
            t0 = System.nanoTime();
            FusedResults.AttentionGrads g = null;
            for (int r = 0; r < REPS; r++) {
                f = backend.attention(q, k, v, spec);
                g = backend.attentionBackward(dOut, q, k, v, f.output(), f.logSumExp(), spec);
            }
            sync(g.dv());
            double bw = (System.nanoTime() - t0) / 1e6 / REPS;
            if (round == 0) continue;
            fwd = Math.min(fwd, fw);
            both = Math.min(both, bw);
        }
        // causal: half of the T x S scores; forward 2 products (QKᵀ, PV), backward 5 (as FlashAttention-2 counts)
        double fwdFlop = 4.0 * bsz * hq * (double) t * t * d / 2, bothFlop = fwdFlop * 3.5;
        write(String.format(Locale.ROOT, "{\"bench\": \"attention\", \"dtype\": \"bf16\", \"b\": %d, \"hq\": %d, \"hkv\": %d, \"t\": %d, \"d\": %d, "
                + "\"fwd_ms\": %.4f, \"fwd_bwd_ms\": %.4f, \"fwd_tflops\": %.2f, \"fwd_bwd_tflops\": %.2f}",
                bsz, hq, hkv, t, d, fwd, both, fwdFlop / fwd / 1e9, bothFlop / both / 1e9));
    }

    /** Device-to-device copy of n floats (1 GiB): bytes read + written per second (the decode's bandwidth reference). */
    private double copyBandwidth(long n) throws IOException {
        Tensor src = Tensor.zeros(DType.F32, (int) n).to(device), dst = Tensor.zeros(DType.F32, (int) n).to(device);
        backend.copy(src, dst);
        sync(dst);
        double best = Double.MAX_VALUE;
        for (int r = 0; r < 5; r++) {
            long t0 = System.nanoTime();
            backend.copy(src, dst);
            sync(dst);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        double bw = 2.0 * n * 4 / best;
        write(String.format(Locale.ROOT, "{\"bench\": \"copy\", \"bytes\": %d, \"gbps\": %.1f}", n * 4, bw / 1e9));
        return bw;
    }

    /** Greedy decode of 128 tokens after a 16-token prompt: tokens/s from the difference to a 1-token generation. */
    private void decode(Path modelDir, double bandwidth) throws IOException {
        LoadedModel loaded = ModelLoader.load(modelDir, false);
        if (!(loaded instanceof LoadedModel.CausalLm lm)) throw new IllegalArgumentException(modelDir + " is not a causal LM");
        CausalLm model = lm.model();
        model.train(false);
        model.to(device);
        long weightBytes = 0;
        boolean quantized = false; // a bnb 4-bit layer's packed weight is a U8 parameter
        for (Parameter p : model.namedParameters().values()) {
            weightBytes += p.value().dtype().byteSize(p.numel());
            quantized |= p.value().dtype() == DType.U8;
        }
        int[] ids = {9, 41, 7, 300, 12, 5, 77, 18, 3, 1000, 64, 2, 90, 31, 8, 400};
        for (int i = 0; i < ids.length; i++) ids[i] %= model.vocabSize(); // the same ids at any real vocabulary; tiny rehearsal models wrap
        List<int[]> prompt = List.of(ids);
        TextGenerator g = new TextGenerator(model, new int[0], null);
        int tokens = 128;
        double full = Double.MAX_VALUE, one = Double.MAX_VALUE;
        try (var noGrad = GradMode.noGrad()) {
            for (int r = 0; r < 3; r++) {
                long t0 = System.nanoTime();
                g.generate(prompt, SamplingParams.greedy(1), null);
                one = Math.min(one, (System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                g.generate(prompt, SamplingParams.greedy(tokens + 1), null);
                full = Math.min(full, (System.nanoTime() - t0) / 1e9);
            }
        }
        double rate = tokens / (full - one);
        write(String.format(Locale.ROOT, "{\"bench\": \"decode\", \"model\": \"%s\", \"dtype\": \"%s\", \"quantized\": %b, \"tokens\": %d, "
                + "\"tok_s\": %.2f, \"weights_gb\": %.3f, \"copy_gbps\": %.1f, \"bandwidth_utilization\": %.3f}",
                modelDir.getFileName(), name(model.config().dtype()), quantized, tokens, rate, weightBytes / 1e9, bandwidth / 1e9,
                weightBytes * rate / bandwidth));
    }

    private Tensor random(DType dtype, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        Backends.forDevice(Device.CPU).fillRandom(t, new RandomSpec.Normal(0, 1), gen);
        return (dtype == DType.F32 ? t : t.to(dtype)).to(device);
    }

    private static String name(DType d) {
        return d.toString().toLowerCase(Locale.ROOT);
    }

    private static void sync(Tensor deviceTensor) {
        deviceTensor.reshape(-1).narrow(0, 0, 1).toDoubleArray();
    }

    private void write(String json) throws IOException {
        System.out.println(json);
        Files.writeString(out.resolve("jswift_bench.jsonl"), json + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
