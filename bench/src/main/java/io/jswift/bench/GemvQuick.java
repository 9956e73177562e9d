package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.io.CheckpointDir;
import io.jswift.tensor.spi.RandomSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The decode GEMVs alone: every 2-D weight of a checkpoint (memory-mapped, in its dtype) multiplied once by a random
 * activation row (x [1, k] · Wᵀ), as one token's weight stream; prints the GB/s of the weights per repetition's
 * best and median, to set against {@link InferenceBench}'s decode and {@link ReadBandwidth}; then the same per kind
 * of matrix (the name without its layer index: {@code mlp.down_proj.weight}), each call timed, which is how a slow
 * shape shows (session 17: down_proj, K = 8192, streamed at 2/3 of the others' rate).
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.GemvQuick MODEL_DIR [REPS]</pre>
 */
public final class GemvQuick {
    public static void main(String[] args) throws Exception {
        CpuBackend backend = new CpuBackend();
        Map<String, Tensor> weights = new TreeMap<>(CheckpointDir.load(Path.of(args[0])));
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        List<Tensor> mats = new ArrayList<>(), xs = new ArrayList<>(), outs = new ArrayList<>();
        List<String> kinds = new ArrayList<>();
        long bytes = 0;
        Generator gen = new Generator(1);
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            Tensor w = e.getValue();
            if (w.shape().length != 2) continue;
            mats.add(w);
            kinds.add(e.getKey().replaceAll("^.*\\.layers\\.\\d+\\.|^model\\.", ""));
            bytes += w.dtype().byteSize(w.numel());
            Tensor x = Tensor.zeros(DType.F32, 1, w.shape()[1]);
            backend.fillRandom(x, new RandomSpec.Normal(0, 1), gen);
            xs.add(x);
            outs.add(Tensor.zeros(DType.F32, 1, w.shape()[0]));
        }
        for (int round = 0; round < 3; round++) {
            double[] rates = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < mats.size(); i++) backend.matmul(xs.get(i), mats.get(i), false, true, outs.get(i));
                rates[r] = bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
            }
            Arrays.sort(rates);
            System.out.printf(Locale.ROOT, "%d matrices, %.2f GB: best %.1f GB/s, median %.1f GB/s (%.1f ms per token at the median)%n",
                    mats.size(), bytes / 1e9, rates[reps - 1], rates[reps / 2], bytes / rates[reps / 2] / 1e6);
        }
        Map<String, double[]> seconds = new TreeMap<>();
        Map<String, Long> kindBytes = new TreeMap<>();
        for (int i = 0; i < mats.size(); i++) {
            seconds.putIfAbsent(kinds.get(i), new double[reps]);
            kindBytes.merge(kinds.get(i), mats.get(i).dtype().byteSize(mats.get(i).numel()), Long::sum);
        }
        for (int r = 0; r < reps; r++) {
            for (int i = 0; i < mats.size(); i++) {
                long t0 = System.nanoTime();
                backend.matmul(xs.get(i), mats.get(i), false, true, outs.get(i));
                seconds.get(kinds.get(i))[r] += (System.nanoTime() - t0) / 1e9;
            }
        }
        for (Map.Entry<String, double[]> e : seconds.entrySet()) {
            double[] s = e.getValue();
            Arrays.sort(s);
            long b = kindBytes.get(e.getKey());
            System.out.printf(Locale.ROOT, "  %-32s %8.1f MB  median %5.1f GB/s  %6.2f ms per token%n", e.getKey(), b / 1e6, b / s[reps / 2] / 1e9, s[reps / 2] * 1e3);
        }
    }
}
