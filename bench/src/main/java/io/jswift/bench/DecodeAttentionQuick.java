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
 * The attention of one decoded token (a single query per head) against S cached keys and values, Llama-3.2-1B's
 * heads (Hq = 32, Hkv = 8, D = 64): microseconds per call, once per layer and token in decoding.
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.bench.DecodeAttentionQuick [S [CALLS]]</pre>
 */
public final class DecodeAttentionQuick {
    public static void main(String[] args) {
        int s = args.length > 0 ? Integer.parseInt(args[0]) : 160;
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : Math.max(200, 320_000 / s);
        CpuBackend cpu = new CpuBackend();
        Tensor q = random(cpu, 1, 1, 32, 1, 64), k = random(cpu, 2, 1, 8, s, 64), v = random(cpu, 3, 1, 8, s, 64);
        AttentionSpec spec = AttentionSpec.causal(64);
        double[] micros = new double[10];
        for (int round = 0; round < 3 + micros.length; round++) { // three untimed rounds: C2 compiles the loops
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) cpu.attention(q, k, v, spec);
            if (round >= 3) micros[round - 3] = (System.nanoTime() - t0) / 1e3 / calls;
        }
        Arrays.sort(micros);
        System.out.printf(Locale.ROOT, "decode attention Hq=32 Hkv=8 D=64 S=%d: median %.1f us, best %.1f us per call (%d calls per round)%n",
                s, micros[micros.length / 2], micros[0], calls);
    }

    private static Tensor random(CpuBackend cpu, long seed, int... shape) {
        Tensor x = Tensor.zeros(DType.F32, shape);
        cpu.fillRandom(x, new RandomSpec.Normal(0, 1), new Generator(seed));
        return x;
    }
}
