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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Batched-decode products X [m, k] · Wᵀ for W [n, k] (f32 or bf16) at the shapes of Qwen2.5-0.5B and Llama-3.2-1B
 * (q/o, k/v, gate/up, down, a rank-8 LoRA's x·Aᵀ and h·Bᵀ, and with {@code head} the LM head), each through several
 * {@link Route}s of the CPU GEMM alternated in one process (route order rotated every repeat), so that a busy
 * machine's load hits all sides alike. Prints each route's median time and its ratio to the first route, and the
 * largest difference between the routes' results (0 where they have the same bits). With {@code cpu} it times the
 * calling thread's CPU time (meant for {@code -Djswift.threads=1}); with {@code wall} wall time.
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:MaxDirectMemorySize=8g \
 *     -Djswift.threads=1 -cp bench/target/benchmarks.jar io.jswift.bench.SmallMGemmQuick \
 *     [MODELS=qwen,llama] [DTYPES=f32,bf16] [M=16,32,64,128] [REPS=5] [ROUTES=BLOCKED,ROW_DOTS,WEIGHT_ROWS] [cpu|wall] [head|nohead]</pre>
 */
public final class SmallMGemmQuick {
    private record Shape(String model, String name, int n, int k) {}

    private static List<Shape> shapes(String model, boolean head) {
        int[][] dims = model.equals("llama")
                ? new int[][]{{2048, 2048}, {512, 2048}, {8192, 2048}, {2048, 8192}, {8, 2048}, {2048, 8}, {128256, 2048}}
                : new int[][]{{896, 896}, {128, 896}, {4864, 896}, {896, 4864}, {8, 896}, {896, 8}, {151936, 896}};
        String[] names = {"q,o", "k,v", "gate,up", "down", "lora_A", "lora_B", "lm_head"}; // LoRA r 8: x·Aᵀ, h·Bᵀ
        List<Shape> out = new ArrayList<>();
        for (int i = 0; i < (head ? 7 : 6); i++) out.add(new Shape(model, names[i], dims[i][0], dims[i][1]));
        return out;
    }

    public static void main(String[] args) {
        String[] models = (args.length > 0 ? args[0] : "qwen,llama").split(",");
        String[] dtypes = (args.length > 1 ? args[1] : "f32,bf16").split(",");
        int[] ms = Arrays.stream((args.length > 2 ? args[2] : "16,32,64,128").split(",")).mapToInt(Integer::parseInt).toArray();
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        Route[] routes = Arrays.stream((args.length > 4 ? args[4] : "BLOCKED,ROW_DOTS,WEIGHT_ROWS").split(",")).map(Route::valueOf).toArray(Route[]::new);
        boolean cpu = args.length <= 5 || args[5].equals("cpu");
        boolean head = args.length > 6 && args[6].equals("head");
        CpuBackend backend = new CpuBackend();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Generator gen = new Generator(1);
        System.out.printf(Locale.ROOT, "threads %s, %s time; ratios = route / %s%n", System.getProperty("jswift.threads", "all"),
                cpu ? "thread CPU" : "wall", routes[0]);
        for (String model : models) {
            for (Shape s : shapes(model, head)) {
                for (String dt : dtypes) {
                    DType type = dt.equals("bf16") ? DType.BF16 : DType.F32;
                    Tensor w = Tensor.zeros(DType.F32, s.n, s.k);
                    backend.fillRandom(w, new RandomSpec.Normal(0, 1), gen);
                    if (type != DType.F32) w = w.to(type);
                    Operand b = new Operand(w.hostSegment(), type, w.offset(), 1, s.k); // B = Wᵀ
                    for (int m : ms) {
                        Tensor x = Tensor.zeros(DType.F32, m, s.k);
                        backend.fillRandom(x, new RandomSpec.Normal(0, 1), gen);
                        Operand a = new Operand(x.hostSegment(), DType.F32, x.offset(), s.k, 1);
                        Tensor[] outs = new Tensor[routes.length];
                        double[][] ms2 = new double[routes.length][reps];
                        for (int q = 0; q < routes.length; q++) outs[q] = Tensor.zeros(DType.F32, m, s.n);
                        for (int r = -1; r < reps; r++) { // one warm-up round
                            for (int j = 0; j < routes.length; j++) {
                                int q = Math.floorMod(j + r, routes.length);
                                long t0 = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
                                Gemm.sgemm(routes[q], m, s.n, s.k, a, b, outs[q].hostSegment(), outs[q].offset(), s.n, false);
                                if (r >= 0) ms2[q][r] = ((cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - t0) / 1e6;
                            }
                        }
                        double base = median(ms2[0]);
                        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-5s %-7s %-4s m=%3d n=%6d k=%4d", model, s.name, dt, m, s.n, s.k));
                        float[] ref = outs[0].toFloatArray();
                        double diff = 0;
                        for (int q = 0; q < routes.length; q++) {
                            double med = median(ms2[q]);
                            line.append(String.format(Locale.ROOT, "  %s %.2f ms %.1f GF%s", routes[q], med, 2.0 * m * s.n * s.k / med / 1e6,
                                    q == 0 ? "" : String.format(Locale.ROOT, " (%.2fx)", med / base)));
                            float[] got = outs[q].toFloatArray();
                            for (int i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(got[i] - ref[i]));
                        }
                        System.out.println(line.append(String.format(Locale.ROOT, "  maxdiff %.2g", diff)));
                        Reference.reachabilityFence(x); // the operands read its memory, which goes back to the allocator once x is unreachable
                        Reference.reachabilityFence(w);
                    }
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
