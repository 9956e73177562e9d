package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.PagedKv;
import io.jswift.tensor.spi.RandomSpec;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * One batched decode step's attention for one layer, as the server runs it: B sequences of S cached positions each in
 * a paged KV pool (blocks of 16, dealt out of order), Llama-3.2-1B's heads (Hq = 32, Hkv = 8, D = 64); with T > 1 a
 * chunked-prefill step instead (each row's last T positions are the chunk's queries, causal within it). Three ways,
 * microseconds per call: the paged kernel reading the blocks in place (Backend#pagedAttention on the CPU), the copy path
 * it replaced (each row's blocks gathered into a contiguous buffer, then attention: FusedReference.pagedAttention), and
 * attention over keys already contiguous (the lower bound: no paging at all).
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.bench.PagedAttentionQuick [B [S [CALLS [T]]]]</pre>
 * e.g. {@code 1 1024 20 256}: one 256-token prefill chunk after 768 cached positions.
 */
public final class PagedAttentionQuick {
    private static final int HQ = 32, HKV = 8, D = 64, BLOCK = 16;

    public static void main(String[] args) {
        int b = args.length > 0 ? Integer.parseInt(args[0]) : 16, s = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int t = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        int calls = args.length > 2 ? Integer.parseInt(args[2]) : Math.max(20, 200_000 / (b * s * t));
        CpuBackend cpu = new CpuBackend();
        int perRow = (s + BLOCK - 1) / BLOCK, blocks = b * perRow;
        int[][] tables = new int[b][perRow];
        for (int i = 0; i < blocks; i++) tables[i % b][i / b] = (int) ((i * 7919L) % blocks); // rows interleaved, scattered
        int[] lengths = new int[b];
        Arrays.fill(lengths, s);
        PagedKv kv = new PagedKv(random(cpu, 1, blocks, HKV, BLOCK, D), random(cpu, 2, blocks, HKV, BLOCK, D), tables, lengths);
        Tensor q = random(cpu, 3, b, HQ, t, D), k = random(cpu, 4, b, HKV, s, D), v = random(cpu, 5, b, HKV, s, D);
        AttentionSpec spec = AttentionSpec.causal(D);
        String what = String.format(Locale.ROOT, "B=%d S=%d T=%d Hq=%d Hkv=%d D=%d", b, s, t, HQ, HKV, D);
        time("paged, in place        " + what, calls, () -> cpu.pagedAttention(q, kv, spec));
        time("paged, gather + attend " + what, calls, () -> FusedReference.pagedAttention(cpu, q, kv, spec));
        time("contiguous keys        " + what, calls, () -> cpu.attention(q, k, v, spec).output());
    }

    private static void time(String label, int calls, Supplier<Tensor> call) {
        double[] micros = new double[7];
        for (int round = 0; round < 3 + micros.length; round++) { // three untimed rounds: C2 compiles the loops
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) call.get();
            if (round >= 3) micros[round - 3] = (System.nanoTime() - t0) / 1e3 / calls;
        }
        Arrays.sort(micros);
        System.out.printf(Locale.ROOT, "%s: median %.1f us, best %.1f us per call (%d calls per round)%n", label, micros[micros.length / 2], micros[0], calls);
    }

    private static Tensor random(CpuBackend cpu, long seed, int... shape) {
        Tensor x = Tensor.zeros(DType.F32, shape);
        cpu.fillRandom(x, new RandomSpec.Normal(0, 1), new Generator(seed));
        return x;
    }
}
