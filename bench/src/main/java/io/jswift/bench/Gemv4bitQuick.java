package io.jswift.bench;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.QuantState4bit;
import io.jswift.tensor.quant.QuantStateTensors;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.RandomSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Decode GEMVs with 4-bit weights against bf16 ones, same run, same shapes: the seven projections of LAYERS
 * Llama-3.2-1B layers (q/o 2048x2048, k/v 512x2048, gate/up 8192x2048, down 2048x8192; random N(0, 0.02) weights),
 * x [1, K] · Wᵀ each, as one token's linear layers without lm_head (which bnb leaves in 16 bits). The 4-bit weights are
 * held as a bnb checkpoint holds them (NF4 or FP4, double-quantized absmax as 8-bit codes, Backend.matmul4bit over a
 * Weight4bit). Prints ms per token and weight GB/s for: bf16 (the backend's GEMV), NF4 fused with f32 x and weights,
 * NF4 fused with bf16 x and bf16-rounded weights (a bf16 compute dtype), FP4 fused (f32), and the ratios to bf16.
 * With {@code -Djswift.threads=1} it times one core, less sensitive to other jobs on the machine.
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.Gemv4bitQuick [LAYERS=4] [REPS=10]</pre>
 */
public final class Gemv4bitQuick {
    private static final int[][] LAYER = {{2048, 2048}, {512, 2048}, {512, 2048}, {2048, 2048}, {8192, 2048}, {8192, 2048}, {2048, 8192}};

    public static void main(String[] args) {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 4, reps = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        CpuBackend be = new CpuBackend();
        Generator gen = new Generator(7);
        List<Tensor> bf16 = new ArrayList<>(), xs = new ArrayList<>(), xsBf16 = new ArrayList<>();
        List<Weight4bit> nf4 = new ArrayList<>(), fp4 = new ArrayList<>();
        long bf16Bytes = 0, nf4Bytes = 0;
        for (int l = 0; l < layers; l++) {
            for (int[] nk : LAYER) {
                Tensor w = Tensor.zeros(DType.F32, nk[0], nk[1]);
                be.fillRandom(w, new RandomSpec.Normal(0, 0.02), gen);
                Tensor wb = be.cast(w, DType.BF16);
                float[] values = wb.toFloatArray();
                nf4.add(weight4bit(QuantState4bit.quantize(values, nk, DType.F32, FourBitType.NF4, true)));
                fp4.add(weight4bit(QuantState4bit.quantize(values, nk, DType.F32, FourBitType.FP4, true)));
                bf16.add(wb);
                Tensor x = Tensor.zeros(DType.F32, 1, nk[1]);
                be.fillRandom(x, new RandomSpec.Normal(0, 1), gen);
                xs.add(x);
                xsBf16.add(be.cast(x, DType.BF16));
                bf16Bytes += 2L * nk[0] * nk[1];
                nf4Bytes += nf4.getLast().bytes();
            }
        }
        System.out.printf(Locale.ROOT, "%d layers, %d matrices: bf16 %.3f GB, nf4 %.3f GB (%.4f bytes a weight: packed + absmax codes)%n", layers,
                bf16.size(), bf16Bytes / 1e9, nf4Bytes / 1e9, nf4Bytes / (bf16Bytes / 2.0));
        Runnable[] variants = {
                () -> { for (int i = 0; i < bf16.size(); i++) be.matmul(xs.get(i), bf16.get(i), false, true); },
                () -> { for (int i = 0; i < nf4.size(); i++) be.matmul4bit(xs.get(i), nf4.get(i), true, DType.F32); },
                () -> { for (int i = 0; i < nf4.size(); i++) be.matmul4bit(xsBf16.get(i), nf4.get(i), true, DType.BF16); },
                () -> { for (int i = 0; i < fp4.size(); i++) be.matmul4bit(xs.get(i), fp4.get(i), true, DType.F32); }};
        for (int round = 0; round < 3; round++) {
            // the variants take turns rep by rep, so a burst of load elsewhere on the machine hits them alike
            double[][] t = new double[variants.length][reps];
            for (int r = 0; r < reps; r++) {
                for (int v = 0; v < variants.length; v++) t[v][r] = seconds(variants[v]);
            }
            for (double[] ts : t) Arrays.sort(ts);
            double bf = t[0][reps / 2], fused = t[1][reps / 2], fusedBf16 = t[2][reps / 2], fusedFp4 = t[3][reps / 2];
            System.out.printf(Locale.ROOT, "median ms per token: bf16 %.2f (%.1f GB/s) | nf4 %.2f (%.1f GB/s, %.2fx bf16) | nf4, bf16 compute %.2f "
                            + "(%.2fx bf16) | fp4 %.2f (%.2fx bf16)%n",
                    bf * 1e3, bf16Bytes / bf / 1e9, fused * 1e3, nf4Bytes / fused / 1e9, bf / fused, fusedBf16 * 1e3, bf / fusedBf16,
                    fusedFp4 * 1e3, bf / fusedFp4);
            System.out.printf(Locale.ROOT, "best ms per token:   bf16 %.2f | nf4 %.2f (%.2fx bf16) | nf4, bf16 compute %.2f (%.2fx) | fp4 %.2f (%.2fx)%n",
                    t[0][0] * 1e3, t[1][0] * 1e3, t[0][0] / t[1][0], t[2][0] * 1e3, t[0][0] / t[2][0], t[3][0] * 1e3, t[0][0] / t[3][0]);
        }
    }

    /** The weight as a bnb checkpoint stores it (the tensors transformers' save_pretrained writes). */
    private static Weight4bit weight4bit(QuantState4bit.Quantized q) {
        Map<String, Tensor> t = QuantStateTensors.toTensors("weight", q);
        QuantState4bit.Nested n = q.state().nested();
        return new Weight4bit(t.get("weight"), new Weight4bit.Nested(t.get("weight.absmax"), t.get("weight.nested_absmax"),
                t.get("weight.nested_quant_map"), n.blocksize(), n.offset()), q.state().type(), q.state().blocksize(), q.state().shape());
    }
    private static double seconds(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }
}
