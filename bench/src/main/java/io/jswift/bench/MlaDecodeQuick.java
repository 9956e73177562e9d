package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.RandomSpec;

import java.util.Arrays;
import java.util.Locale;

/**
 * One decoded token's latent attention (DeepSeek MLA) at DeepSeek-V2-Lite's heads (H = 16, qk_nope N = 128, qk_rope
 * R = 64, v_head_dim V = 128, kv_lora_rank L = 512) against S cached positions, per layer, three ways, alternately:
 * <ul>
 *   <li>padded: keys and values zero-padded to max(N + R, V) = 192 per head (jswift before issue 19's Dv ≠ D rule);</li>
 *   <li>expanded: per-head keys of N + R and values of V, unpadded (the server's paged pool);</li>
 *   <li>latent: one kv head of L + R (values its first L dims), the up-projection absorbed: q_nope·W_UK before and
 *       ·W_UVᵀ after the attention (the dense cache of {@code newCache}).</li>
 * </ul>
 * Prints microseconds per call and cached floats per position. Speed is the lead's to measure on an idle machine.
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.bench.MlaDecodeQuick [S [CALLS]]</pre>
 */
public final class MlaDecodeQuick {
    private static final int H = 16, N = 128, R = 64, V = 128, L = 512;

    public static void main(String[] args) {
        int s = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : Math.max(20, 40_000 / s);
        CpuBackend cpu = new CpuBackend();
        int padded = Math.max(N + R, V);
        AttentionSpec spec = AttentionSpec.causal(N + R);
        Tensor qp = random(cpu, 1, 1, H, 1, padded), kp = random(cpu, 2, 1, H, s, padded), vp = random(cpu, 3, 1, H, s, padded);
        Tensor qe = random(cpu, 4, 1, H, 1, N + R), ke = random(cpu, 5, 1, H, s, N + R), ve = random(cpu, 6, 1, H, s, V);
        Tensor qNope = random(cpu, 7, 1, H, 1, N), qRot = random(cpu, 8, 1, H, 1, R), latent = random(cpu, 9, 1, 1, s, L + R);
        Tensor wUk = random(cpu, 10, H, N, L), wUv = random(cpu, 11, H, V, L);
        Runnable[] ways = {
                () -> cpu.attention(qp, kp, vp, spec),
                () -> cpu.attention(qe, ke, ve, spec),
                () -> {
                    Tensor qLatent = cpu.matmul(qNope, wUk, false, false);                         // [1, H, 1, L]
                    Tensor q = Tensor.zeros(DType.F32, 1, H, 1, L + R);
                    cpu.copy(qLatent, q.narrow(3, 0, L));
                    cpu.copy(qRot, q.narrow(3, L, R));
                    Tensor out = cpu.attention(q, latent, latent.narrow(3, 0, L), spec).output(); // [1, H, 1, L]
                    cpu.matmul(out, wUv, false, true);                                              // [1, H, 1, V]
                }};
        String[] names = {"padded to " + padded, "expanded (unpadded)", "latent, absorbed"};
        long[] floats = {2L * H * padded, (long) H * (N + R + V), L + R};
        double[][] micros = new double[ways.length][10];
        for (int round = 0; round < 3 + 10; round++) { // three untimed rounds: C2 compiles the loops
            for (int w = 0; w < ways.length; w++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < calls; i++) ways[w].run();
                if (round >= 3) micros[w][round - 3] = (System.nanoTime() - t0) / 1e3 / calls;
            }
        }
        for (int w = 0; w < ways.length; w++) {
            Arrays.sort(micros[w]);
            System.out.printf(Locale.ROOT, "MLA decode H=%d N=%d R=%d V=%d L=%d S=%d %-20s: median %.1f us, best %.1f us per call; %d cached floats per position%n",
                    H, N, R, V, L, s, names[w], micros[w][5], micros[w][0], floats[w]);
        }
    }

    private static Tensor random(CpuBackend cpu, long seed, int... shape) {
        Tensor x = Tensor.zeros(DType.F32, shape);
        cpu.fillRandom(x, new RandomSpec.Normal(0, 1), new Generator(seed));
        return x;
    }
}
