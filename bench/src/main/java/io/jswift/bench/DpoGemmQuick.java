package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * The matrix products of one decoder layer in a LoRA DPO step at the Qwen2.5-0.5B shape (hidden 896, MLP 4,864, 2 KV
 * heads of 64, LoRA rank 8 on all seven projections), M = 1,032 packed rows (2 pairs of 430 + 2 × 43 tokens): the
 * reference and policy forwards x·Wᵀ, the adapters' x·Aᵀ and h·Bᵀ, the backward's dX = dY·W and the adapters'
 * gradient products. Prints the median milliseconds per shape and the layer's total weighted by how often each shape
 * occurs. With {@code cpu} it times the calling thread's CPU time (meant for {@code -Djswift.threads=1} on a busy
 * machine, where wall time is mostly waiting for a core). For A/B runs of a Gemm knob, alternate processes:
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djswift.threads=1 \
 *     -Djswift.gemm.touchC=false -cp bench/target/benchmarks.jar io.jswift.bench.DpoGemmQuick [REPS=7] [cpu|wall] [ROWS=1032]</pre>
 */
public final class DpoGemmQuick {
    /** One product C[m, n] = A·B with A [m, k] (or its transpose stored [k, m]) and B = Wᵀ of W [n, k] or B [k, n]. */
    private record Shape(String name, int m, int n, int k, boolean transA, boolean weightRows, int perLayer) {}

    private static Shape[] shapes(int t) {
        return new Shape[]{
            new Shape("fwd q,o x.Wt", t, 896, 896, false, true, 4),      // reference + policy
            new Shape("fwd k,v x.Wt", t, 128, 896, false, true, 4),
            new Shape("fwd gate,up x.Wt", t, 4864, 896, false, true, 4),
            new Shape("fwd down x.Wt", t, 896, 4864, false, true, 2),
            new Shape("lora x.At k=896", t, 8, 896, false, true, 6),       // policy only
            new Shape("lora x.At k=4864", t, 8, 4864, false, true, 1),
            new Shape("lora h.Bt n=896", t, 896, 8, false, true, 3),
            new Shape("lora h.Bt n=128", t, 128, 8, false, true, 2),
            new Shape("lora h.Bt n=4864", t, 4864, 8, false, true, 2),
            new Shape("bwd dX q,o dY.W", t, 896, 896, false, false, 2),
            new Shape("bwd dX k,v dY.W", t, 896, 128, false, false, 2),
            new Shape("bwd dX gate,up dY.W", t, 896, 4864, false, false, 2),
            new Shape("bwd dX down dY.W", t, 4864, 896, false, false, 1),
            new Shape("lora dh=g.B k=896", t, 8, 896, false, false, 3),
            new Shape("lora dh=g.B k=128", t, 8, 128, false, false, 2),
            new Shape("lora dh=g.B k=4864", t, 8, 4864, false, false, 2),
            new Shape("lora dB=gt.h m=896", 896, 8, t, true, false, 3),
            new Shape("lora dB=gt.h m=128", 128, 8, t, true, false, 2),
            new Shape("lora dB=gt.h m=4864", 4864, 8, t, true, false, 2),
            new Shape("lora dx=dh.A n=896", t, 896, 8, false, false, 6),
            new Shape("lora dx=dh.A n=4864", t, 4864, 8, false, false, 1),
            new Shape("lora dA=dht.x n=896", 8, 896, t, true, false, 6),
            new Shape("lora dA=dht.x n=4864", 8, 4864, t, true, false, 1),
        };
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        boolean cpu = args.length > 1 && args[1].equals("cpu");
        int rows = args.length > 2 ? Integer.parseInt(args[2]) : 1032;
        CpuBackend backend = new CpuBackend();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Generator gen = new Generator(1);
        double layer = 0;
        for (Shape s : shapes(rows)) {
            Tensor a = s.transA ? Tensor.zeros(DType.F32, s.k, s.m) : Tensor.zeros(DType.F32, s.m, s.k);
            Tensor b = s.weightRows ? Tensor.zeros(DType.F32, s.n, s.k) : Tensor.zeros(DType.F32, s.k, s.n);
            backend.fillRandom(a, new RandomSpec.Normal(0, 1), gen);
            backend.fillRandom(b, new RandomSpec.Normal(0, 1), gen);
            Tensor out = Tensor.zeros(DType.F32, s.m, s.n);
            double[] ms = new double[reps];
            for (int r = -2; r < reps; r++) { // two warm-up calls
                long t0 = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
                backend.matmul(a, b, s.transA, s.weightRows, out);
                if (r >= 0) ms[r] = ((cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / 1e6;
            }
            Arrays.sort(ms);
            double median = ms[reps / 2];
            layer += s.perLayer * median;
            System.out.printf(Locale.ROOT, "%-22s m=%5d n=%5d k=%5d x%d  %8.2f ms  %6.1f GFLOPS%n", s.name, s.m, s.n, s.k, s.perLayer,
                    median, 2.0 * s.m * s.n * s.k / median / 1e6);
        }
        System.out.printf(Locale.ROOT, "one layer's products (weighted): %.1f ms (%s)%n", layer, cpu ? "thread CPU time" : "wall time");
    }
}
