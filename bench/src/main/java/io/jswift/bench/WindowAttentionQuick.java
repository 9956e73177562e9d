package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.RandomSpec;

/**
 * Sliding-window against full causal attention in the CPU kernels, same shape as AttentionQuick (B = 1, Hq = 14,
 * Hkv = 2, D = 64): the windowed call should cost about the share of score tiles its window keeps, since key blocks
 * wholly before a query block's window are skipped and only the tiles the window edge cuts are masked key by key.
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.bench.WindowAttentionQuick [T [W [reps]]]}
 * (default T = 2048, W = 512). FLOPs count the visible (query, key) pairs: 4·D·Hq per pair forward, 3.5x that for
 * forward+backward, as AttentionQuick.
 */
public final class WindowAttentionQuick {
    private static final int WARMUP = 10;

    public static void main(String[] args) throws InterruptedException {
        int t = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int w = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        int b = 1, hq = 14, hkv = 2, d = 64;
        CpuBackend cpu = new CpuBackend();
        Tensor q = random(cpu, 1, b, hq, t, d), k = random(cpu, 2, b, hkv, t, d), v = random(cpu, 3, b, hkv, t, d);
        Tensor dOut = random(cpu, 4, b, hq, t, d);
        AttentionSpec causal = AttentionSpec.causal(d), windowed = causal.withWindow(w);
        for (AttentionSpec spec : new AttentionSpec[]{causal, windowed}) {
            double pairs = 0;
            for (int i = 0; i < t; i++) pairs += spec.hasWindow() ? Math.min(i + 1, w) : i + 1;
            double fwdFlop = 4.0 * d * hq * b * pairs;
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
            System.out.printf("attention T=S=%d %s, best of %d: forward %.2f ms (%.1f GFLOPS), forward+backward %.2f ms (%.1f GFLOPS)%n",
                    t, spec.hasWindow() ? "window " + w : "causal", reps, bestFwd / 1e6, fwdFlop / bestFwd, bestBoth / 1e6,
                    3.5 * fwdFlop / bestBoth);
        }
    }

    private static Tensor random(CpuBackend cpu, long seed, int... shape) {
        Tensor x = Tensor.zeros(DType.F32, shape);
        cpu.fillRandom(x, new RandomSpec.Normal(0, 1), new Generator(seed));
        return x;
    }
}
