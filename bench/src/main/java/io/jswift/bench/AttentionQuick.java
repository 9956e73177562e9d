package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.RandomSpec;

/**
 * A fast check of the CPU attention kernels for kernel development (JMH's AttentionBenchmark is the number
 * of record): causal GQA attention of Qwen2.5-0.5B shape (B = 1, Hq = 14, Hkv = 2, D = 64, T = S = 512),
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.bench.AttentionQuick [T [reps]]}.
 * Uses only the public API, so the same source also runs against an older jar as a source-file program.
 * A collection and a pause before each call let the host-memory cache recycle the previous outputs (as in UnaryQuick).
 * FLOPs follow FlashAttention's count: forward 4·T·S·D·Hq (halved when causal), backward 2.5x the
 * forward (five products of the same size against the forward's two), so forward+backward is 3.5x.
 */
public final class AttentionQuick {
    /** Untimed calls first: C2 needs a few hundred milliseconds of calls to compile the tile kernels. */
    private static final int WARMUP = 15;

    public static void main(String[] args) throws InterruptedException {
        int t = args.length > 0 ? Integer.parseInt(args[0]) : 512;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int b = 1, hq = 14, hkv = 2, d = 64;
        CpuBackend cpu = new CpuBackend();
        Tensor q = random(cpu, 1, b, hq, t, d), k = random(cpu, 2, b, hkv, t, d), v = random(cpu, 3, b, hkv, t, d);
        Tensor dOut = random(cpu, 4, b, hq, t, d);
        AttentionSpec spec = AttentionSpec.causal(d);
        double fwdFlop = 4.0 * t * t * d * hq * b / 2;
        long bestFwd = Long.MAX_VALUE, bestBoth = Long.MAX_VALUE;
        for (int i = 0; i < reps + WARMUP; i++) {
            System.gc();
            Thread.sleep(20);
            long t0 = System.nanoTime();
            FusedResults.Attention fwd = cpu.attention(q, k, v, spec);
            long t1 = System.nanoTime();
            cpu.attentionBackward(dOut, q, k, v, fwd.output(), fwd.logSumExp(), spec);
            long t2 = System.nanoTime();
            if (i >= WARMUP) {
                bestFwd = Math.min(bestFwd, t1 - t0);
                bestBoth = Math.min(bestBoth, t2 - t0);
            }
        }
        System.out.printf("attention B=%d Hq=%d Hkv=%d D=%d T=S=%d causal, best of %d: forward %.2f ms (%.1f GFLOPS), "
                        + "forward+backward %.2f ms (%.1f GFLOPS)%n", b, hq, hkv, d, t, reps,
                bestFwd / 1e6, fwdFlop / bestFwd, bestBoth / 1e6, 3.5 * fwdFlop / bestBoth);
    }

    private static Tensor random(CpuBackend cpu, long seed, int... shape) {
        Tensor x = Tensor.zeros(DType.F32, shape);
        cpu.fillRandom(x, new RandomSpec.Normal(0, 1), new Generator(seed));
        return x;
    }
}
