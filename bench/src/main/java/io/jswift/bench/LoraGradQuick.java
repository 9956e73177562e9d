package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.backend.cpu.gemm.Gemm;
import io.jswift.backend.cpu.gemm.Gemm.Route;
import io.jswift.backend.cpu.gemm.Operand;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;

import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * LoRA's weight gradient dB = dYᵀ·h [out, r] (dY [T, out], h = x·Aᵀ [T, r]) at the Qwen2.5-0.5B projections' widths,
 * through the routes given (default: the blocked GEMM on A = dYᵀ, and the same product as Cᵀ = hᵀ·dY), alternated in
 * one process, timed as the calling thread's CPU time ({@code cpu}, meant for {@code -Djswift.threads=1}) or wall time.
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djswift.threads=1 \
 *     -cp bench/target/benchmarks.jar io.jswift.bench.LoraGradQuick [REPS=7] [ROUTES=BLOCKED,TRANSPOSED] [cpu|wall]</pre>
 */
public final class LoraGradQuick {
    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Route[] routes = Arrays.stream((args.length > 1 ? args[1] : "BLOCKED,TRANSPOSED").split(",")).map(Route::valueOf).toArray(Route[]::new);
        boolean cpu = args.length <= 2 || args[2].equals("cpu");
        CpuBackend backend = new CpuBackend();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Generator gen = new Generator(5);
        for (int t : new int[]{512, 1032}) {
            for (int out : new int[]{896, 128, 4864}) {
                for (int r : new int[]{8, 16}) {
                    Tensor dy = Tensor.zeros(DType.F32, t, out), h = Tensor.zeros(DType.F32, t, r);
                    backend.fillRandom(dy, new RandomSpec.Normal(0, 1), gen);
                    backend.fillRandom(h, new RandomSpec.Normal(0, 1), gen);
                    Operand a = new Operand(dy.hostSegment(), DType.F32, dy.offset(), 1, out); // dYᵀ
                    Operand b = new Operand(h.hostSegment(), DType.F32, h.offset(), r, 1);
                    Tensor[] outs = new Tensor[routes.length];
                    double[][] ms = new double[routes.length][reps];
                    for (int q = 0; q < routes.length; q++) outs[q] = Tensor.zeros(DType.F32, out, r);
                    for (int rep = -2; rep < reps; rep++) {
                        for (int j = 0; j < routes.length; j++) {
                            int q = Math.floorMod(j + rep, routes.length);
                            long t0 = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
                            Gemm.sgemm(routes[q], out, r, t, a, b, outs[q].hostSegment(), outs[q].offset(), r, false);
                            if (rep >= 0) ms[q][rep] = ((cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / 1e6;
                        }
                    }
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "dB=dYt.h T=%4d out=%4d r=%2d", t, out, r));
                    double base = median(ms[0]);
                    for (int q = 0; q < routes.length; q++) {
                        double med = median(ms[q]);
                        line.append(String.format(Locale.ROOT, "  %s %.2f ms %.1f GF", routes[q], med, 2.0 * t * out * r / med / 1e6));
                        if (q > 0) line.append(String.format(Locale.ROOT, " (%.2fx)", med / base));
                    }
                    boolean same = true;
                    for (int q = 1; q < routes.length; q++) same &= Arrays.equals(outs[0].toFloatArray(), outs[q].toFloatArray());
                    System.out.println(line.append("  same bits ").append(same));
                    Reference.reachabilityFence(dy); // the operands read their memory
                    Reference.reachabilityFence(h);
                }
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
