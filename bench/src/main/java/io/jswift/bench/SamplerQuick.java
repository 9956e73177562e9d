package io.jswift.bench;

import io.jswift.models.generate.Sampler;
import io.jswift.models.generate.SamplingParams;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * One thread's cost of picking a token from a row of logits over the Qwen2 vocabulary with the GRPO bench's
 * sampling (temperature 0.9, top-k 50, top-p 0.9; or the knobs given): {@code ROWS} rows of Gaussian logits
 * (standard deviation {@code SD}), each sampled {@code REPEATS} times after a warm-up pass; prints wall and CPU ms per row and a
 * checksum of the tokens (equal for equal arguments: the draws are seeded).
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.bench.SamplerQuick \
 *     [VOCAB=151936] [ROWS=64] [REPEATS=5] [TOP_K=50] [TOP_P=0.9] [SD=2]</pre>
 */
public final class SamplerQuick {
    public static void main(String[] args) {
        int vocab = args.length > 0 ? Integer.parseInt(args[0]) : 151936;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int topK = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        double topP = args.length > 4 ? Double.parseDouble(args[4]) : 0.9;
        double sd = args.length > 5 ? Double.parseDouble(args[5]) : 2;
        Random r = new Random(0);
        float[][] logits = new float[rows][vocab];
        for (float[] row : logits) for (int i = 0; i < vocab; i++) row[i] = (float) (r.nextGaussian() * sd);
        Sampler sampler = new Sampler(new SamplingParams(1, 0.9, topK, topP, 1.0, 0, List.of()));
        int[] none = new int[0];
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean(); // CPU time: the wall clock of a busy machine counts other processes
        long checksum = 0;
        for (int pass = 0; pass <= repeats; pass++) {
            long t0 = System.nanoTime(), c0 = cpu.getCurrentThreadCpuTime();
            for (float[] row : logits) checksum = checksum * 31 + sampler.next(row.clone(), none, 0);
            double ms = (System.nanoTime() - t0) / 1e6 / rows, cpuMs = (cpu.getCurrentThreadCpuTime() - c0) / 1e6 / rows;
            System.out.printf(Locale.ROOT, "%s: %.3f ms per row, %.3f ms of this thread's CPU time (vocab %d, top_k %d, top_p %.2f, %d rows)%n",
                    pass == 0 ? "warm-up" : "pass " + pass, ms, cpuMs, vocab, topK, topP, rows);
        }
        System.out.printf(Locale.ROOT, "tokens checksum %016x%n", checksum);
    }
}
