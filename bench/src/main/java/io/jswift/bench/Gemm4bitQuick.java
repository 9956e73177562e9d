package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.backend.cpu.gemm.Gemm4bit;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.QuantState4bit;
import io.jswift.tensor.quant.QuantStateTensors;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.RandomSpec;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * QLoRA's many-row products with NF4 weights (prefill and training: the forward x·Wᵀ and the input gradient dY·W)
 * through {@link Gemm4bit}, with the C-block touch ({@code Gemm.touchRows}) off and on, alternated in one process,
 * timed as the calling thread's CPU time (meant for {@code -Djswift.threads=1} on a busy machine). Shapes: the
 * projections of Qwen2.5-0.5B (896 / 4864 / 128) or Qwen2.5-7B (3584 / 18944 / 512). The bits of both sides are
 * compared. <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djswift.threads=1 \
 *     -cp bench/target/benchmarks.jar io.jswift.bench.Gemm4bitQuick [qwen05b|qwen7b] [M=512] [REPS=5]</pre>
 */
public final class Gemm4bitQuick {
    public static void main(String[] args) {
        boolean big = args.length > 0 && args[0].equals("qwen7b");
        int m = args.length > 1 ? Integer.parseInt(args[1]) : 512, reps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int[][] shapes = big ? new int[][]{{3584, 3584}, {512, 3584}, {18944, 3584}, {3584, 18944}}
                : new int[][]{{896, 896}, {128, 896}, {4864, 896}, {896, 4864}}; // {n, k}: q/o, k/v, gate/up, down
        CpuBackend be = new CpuBackend();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Generator gen = new Generator(3);
        double[] total = new double[2];
        for (int[] s : shapes) {
            Tensor w = Tensor.zeros(DType.F32, s[0], s[1]);
            be.fillRandom(w, new RandomSpec.Normal(0, 0.02), gen);
            Weight4bit q = weight4bit(QuantState4bit.quantize(w.toFloatArray(), s, DType.F32, FourBitType.NF4, true));
            for (boolean transW : new boolean[]{true, false}) {
                Tensor x = Tensor.zeros(DType.F32, m, transW ? s[1] : s[0]);
                be.fillRandom(x, new RandomSpec.Normal(0, 1), gen);
                double[][] ms = new double[2][reps];
                Tensor[] outs = new Tensor[2];
                for (int r = -1; r < reps; r++) {
                    for (int j = 0; j < 2; j++) {
                        int side = (j + Math.max(r, 0)) % 2; // off/on, order swapped every repeat
                        long t0 = mx.getCurrentThreadCpuTime();
                        outs[side] = Gemm4bit.multiply(x, q, transW, DType.F32, side == 1);
                        if (r >= 0) ms[side][r] = (mx.getCurrentThreadCpuTime() - t0) / 1e6;
                    }
                }
                double off = median(ms[0]), on = median(ms[1]);
                total[0] += off;
                total[1] += on;
                boolean same = Arrays.equals(outs[0].toFloatArray(), outs[1].toFloatArray());
                System.out.printf(Locale.ROOT, "%s m=%d n=%d k=%d  touch off %.1f ms  on %.1f ms  on/off %.3f  same bits %s%n",
                        transW ? "x.Wt " : "dY.W ", m, transW ? s[0] : s[1], transW ? s[1] : s[0], off, on, on / off, same);
            }
        }
        System.out.printf(Locale.ROOT, "sum: off %.1f ms, on %.1f ms, on/off %.3f (thread CPU time)%n", total[0], total[1], total[1] / total[0]);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** The weight as a bnb checkpoint stores it (double-quantized absmax). */
    private static Weight4bit weight4bit(QuantState4bit.Quantized q) {
        Map<String, Tensor> t = QuantStateTensors.toTensors("weight", q);
        QuantState4bit.Nested n = q.state().nested();
        return new Weight4bit(t.get("weight"), new Weight4bit.Nested(t.get("weight.absmax"), t.get("weight.nested_absmax"),
                t.get("weight.nested_quant_map"), n.blocksize(), n.offset()), q.state().type(), q.state().blocksize(), q.state().shape());
    }
}
