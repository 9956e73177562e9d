package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;

import java.util.Arrays;
import java.util.Locale;

/**
 * Prefill-shaped products of Llama-3.2-1B: f32 activations [m, k] × Wᵀ for W [n, k] in bf16 (or f32), the case where
 * B is packed per call through the transposing packer; prints best and median GFLOPS per shape.
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.PrefillGemmQuick [M=128] [bf16|f32] [REPS=30]</pre>
 */
public final class PrefillGemmQuick {
    private static final int[][] SHAPES = {{2048, 2048}, {8192, 2048}, {2048, 8192}}; // q/o, gate/up, down: {n, k}

    public static void main(String[] args) {
        CpuBackend backend = new CpuBackend();
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        DType weightType = args.length > 1 && args[1].equals("f32") ? DType.F32 : DType.BF16;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        Generator gen = new Generator(1);
        for (int[] s : SHAPES) {
            Tensor x = Tensor.zeros(DType.F32, m, s[1]);
            backend.fillRandom(x, new RandomSpec.Normal(0, 1), gen);
            Tensor w = Tensor.zeros(DType.F32, s[0], s[1]);
            backend.fillRandom(w, new RandomSpec.Normal(0, 1), gen);
            w = w.to(weightType);
            Tensor out = Tensor.zeros(DType.F32, m, s[0]);
            double flop = 2.0 * m * s[0] * s[1];
            double[] seconds = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                backend.matmul(x, w, false, true, out);
                seconds[r] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(seconds);
            System.out.printf(Locale.ROOT, "m=%d n=%d k=%d %s: best %.1f GFLOPS, median %.1f GFLOPS%n", m, s[0], s[1], weightType,
                    flop / seconds[0] / 1e9, flop / seconds[reps / 2] / 1e9);
        }
    }
}
