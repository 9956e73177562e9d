package io.jswift.bench;

import com.sun.management.OperatingSystemMXBean;
import io.jswift.autograd.GradMode;
import io.jswift.autograd.Variable;
import io.jswift.autograd.ops.Views;
import io.jswift.models.CausalLm;
import io.jswift.models.decoder.BatchKvCache;
import io.jswift.models.decoder.DecoderInput;
import io.jswift.models.decoder.KvBlockPool;
import io.jswift.models.decoder.PackedKvCache;
import io.jswift.models.decoder.PagedKvCache;
import io.jswift.models.load.LoadedModel;
import io.jswift.models.load.ModelLoader;
import io.jswift.nn.Parameter;
import io.jswift.tensor.Backends;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * One serving engine step without the server: DECODES sequences each decoding one token (CONTEXT positions cached,
 * shared prefix blocks) next to one CHUNK-token prompt chunk, run three ways in turn, REPS times:
 * <ul>
 *   <li>fused: the step as one packed forward (what the engine runs since session 24: rows [DECODES + CHUNK, 1] over a
 *   PackedKvCache, the LM head on the DECODES + 1 rows that need a token);</li>
 *   <li>two forwards: the decode batch [DECODES, 1] over a BatchKvCache, then the chunk [1, CHUNK] (session 23's step);</li>
 *   <li>GEMM only: the fused step's products alone, x·Wᵀ with the model's own weights at the step's row counts (every
 *   linear of every layer at DECODES + CHUNK rows, the LM head at DECODES + 1): the GEMM's time for the step's work;</li>
 *   <li>dense GEMM: the layers' products at 512 rows (a prefill's shape), the rate the GEMM reaches on large products.</li>
 * </ul>
 * Prints per way the median wall and process CPU time and GFLOPS (2 · rows · weights of the products, attention not
 * counted), and each way's CPU time over the GEMM-only one: what the step spends beyond its products. CPU time counts
 * every core, so on a busy machine the CPU columns are the ones to compare.
 * <pre>java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:MaxDirectMemorySize=8g -cp bench/target/benchmarks.jar \
 *     io.jswift.bench.ServeStepQuick MODEL_DIR [DECODES=16] [CHUNK=112] [CONTEXT=192] [REPS=5]</pre>
 */
public final class ServeStepQuick {
    private static final int DENSE_ROWS = 512; // a prefill-sized product: the dense GEMM's rate on this machine
    private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int decodes = args.length > 1 ? Integer.parseInt(args[1]) : 16, chunk = args.length > 2 ? Integer.parseInt(args[2]) : 112;
        int context = args.length > 3 ? Integer.parseInt(args[3]) : 192, reps = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        if (!(ModelLoader.load(dir, false) instanceof LoadedModel.CausalLm lm)) throw new IllegalArgumentException(dir + " is not a causal LM");
        CausalLm model = lm.model();
        model.train(false);
        int bs = 16, capacity = context + 2 * reps + 2 * chunk * reps + bs;
        // per side: each decode sequence's own blocks past the shared context, and the chunk sequence's
        KvBlockPool pool = KvBlockPool.forModel(model, null, context / bs + 2 * (decodes * (reps / bs + 3) + capacity / bs + 2), bs, capacity);
        Random random = new Random(1);
        int[] shared = new int[context];
        for (int i = 0; i < context; i++) shared[i] = random.nextInt(model.vocabSize());
        try (var g = GradMode.noGrad()) {
            // two sets of sequences (fused and two-forward sides) over one pool: every decode sequence shares the context's
            // full blocks and prefills only what is left past them
            List<List<PagedKvCache>> sides = new ArrayList<>();
            List<PagedKvCache> chunks = new ArrayList<>();
            for (int side = 0; side < 2; side++) {
                List<PagedKvCache> caches = new ArrayList<>();
                for (int s = 0; s < decodes; s++) {
                    int[] prompt = Arrays.copyOf(shared, context + 1);
                    prompt[context] = s;
                    PagedKvCache c = PagedKvCache.open(pool, prompt, capacity);
                    int from = c.length();
                    model.forward(new DecoderInput(ids(Arrays.copyOfRange(prompt, from, prompt.length)), null, null, c, false), 1);
                    c.registerPrompt(prompt, prompt.length);
                    caches.add(c);
                }
                sides.add(caches);
                chunks.add(PagedKvCache.open(pool, new int[]{side}, capacity));
            }
            long[][] weights = products(model, decodes, chunk);
            double flop = 0;
            for (long[] w : weights) flop += 2.0 * w[0] * w[1] * w[2];
            String[] names = {"fused (one packed forward)", "two forwards (decode, chunk)", "GEMM only (the step's products)",
                    "dense GEMM (the layers at " + DENSE_ROWS + " rows)"};
            double[][] wall = new double[4][reps], cpu = new double[4][reps];
            Backend backend = Backends.forDevice(model.device());
            List<Tensor[]> operands = operands(model, decodes + chunk, decodes + 1), dense = operands(model, DENSE_ROWS, 0);
            double denseFlop = 0;
            for (Tensor[] o : dense) denseFlop += 2.0 * o[0].size(0) * o[1].size(0) * o[1].size(1);
            for (int r = 0; r < reps; r++) {
                for (int way = 0; way < 4; way++) {
                    long c0 = OS.getProcessCpuTime(), t0 = System.nanoTime();
                    switch (way) {
                        case 0 -> fused(model, sides.get(0), chunks.get(0), chunk, random);
                        case 1 -> twoForwards(model, sides.get(1), chunks.get(1), chunk, random);
                        case 2 -> { for (Tensor[] o : operands) backend.matmul(o[0], o[1], false, true, o[2]); }
                        default -> { for (Tensor[] o : dense) backend.matmul(o[0], o[1], false, true, o[2]); }
                    }
                    wall[way][r] = (System.nanoTime() - t0) / 1e9;
                    cpu[way][r] = (OS.getProcessCpuTime() - c0) / 1e9;
                }
            }
            System.out.printf(Locale.ROOT, "%d decodes (context %d+) + a %d-token chunk; the step's products %.1f GFLOP; %d reps, medians%n",
                    decodes, context, chunk, flop / 1e9, reps);
            double gemmCpu = median(cpu[2]);
            for (int way = 0; way < 4; way++) {
                double w = median(wall[way]), c = median(cpu[way]), f = way == 3 ? denseFlop : flop;
                System.out.printf(Locale.ROOT, "%-38s wall %7.2f s  cpu %7.2f s  %6.1f GFLOPS (wall)  %6.1f GFLOP per cpu-s%s%n",
                        names[way], w, c, f / w / 1e9, f / c / 1e9, way == 3 ? "" : String.format(Locale.ROOT, "  cpu / GEMM-only %.2f", c / gemmCpu));
            }
        }
    }

    /** One sequence's tokens [1, T]. */
    private static Tensor ids(int[] tokens) {
        long[] out = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) out[i] = tokens[i];
        return Tensor.ofLongs(out, 1, tokens.length);
    }

    /** The fused step: decode rows then the chunk's rows, packed [N, 1]; the LM head on each decode row and the chunk's last. */
    private static void fused(CausalLm model, List<PagedKvCache> decodes, PagedKvCache chunk, int n, Random random) {
        int d = decodes.size(), rows = d + n;
        long[] ids = new long[rows], pos = new long[rows];
        int[] spans = new int[d + 1];
        List<PagedKvCache> caches = new ArrayList<>(decodes);
        caches.add(chunk);
        for (int r = 0; r < d; r++) {
            ids[r] = random.nextInt(model.vocabSize());
            pos[r] = decodes.get(r).length();
            spans[r] = 1;
        }
        for (int i = 0; i < n; i++) {
            ids[d + i] = random.nextInt(model.vocabSize());
            pos[d + i] = chunk.length() + i;
        }
        spans[d] = n;
        long[] select = new long[d + 1];
        for (int r = 0; r < d; r++) select[r] = r;
        select[d] = rows - 1;
        Variable hidden = model.hiddenStates(new DecoderInput(Tensor.ofLongs(ids, rows, 1), Tensor.ofLongs(pos, rows, 1), null,
                new PackedKvCache(caches, spans), false));
        model.logitsFromHidden(Views.indexSelect(hidden, 0, Tensor.ofLongs(select, d + 1))).value();
    }

    /** Session 23's step: the decode batch, then the chunk as a forward of its own. */
    private static void twoForwards(CausalLm model, List<PagedKvCache> decodes, PagedKvCache chunk, int n, Random random) {
        int d = decodes.size();
        long[] ids = new long[d], pos = new long[d], chunkIds = new long[n];
        for (int r = 0; r < d; r++) {
            ids[r] = random.nextInt(model.vocabSize());
            pos[r] = decodes.get(r).length();
        }
        for (int i = 0; i < n; i++) chunkIds[i] = random.nextInt(model.vocabSize());
        model.forward(new DecoderInput(Tensor.ofLongs(ids, d, 1), Tensor.ofLongs(pos, d, 1), null, new BatchKvCache(decodes), false), 1).value();
        model.forward(new DecoderInput(Tensor.ofLongs(chunkIds, 1, n), null, null, chunk, false), 1).value();
    }

    /** {rows, out, in} of every product of the fused step: each 2-D weight of the layers at d + n rows, the LM head at d + 1. */
    private static long[][] products(CausalLm model, int d, int n) {
        List<long[]> out = new ArrayList<>();
        for (var e : layerWeights(model).entrySet()) out.add(new long[]{d + n, e.getValue().size(0), e.getValue().size(1)});
        Tensor head = headWeight(model);
        out.add(new long[]{d + 1, head.size(0), head.size(1)});
        return out.toArray(long[][]::new);
    }

    /** x [rows, in] (random f32), the weight, out [rows, out] f32 per product: the layers' at layerRows, the LM head at headRows (0: none). */
    private static List<Tensor[]> operands(CausalLm model, int layerRows, int headRows) {
        List<Tensor[]> out = new ArrayList<>();
        List<Tensor> ws = new ArrayList<>(layerWeights(model).values());
        if (headRows > 0) ws.add(headWeight(model));
        for (int i = 0; i < ws.size(); i++) {
            Tensor w = ws.get(i);
            int rows = headRows > 0 && i == ws.size() - 1 ? headRows : layerRows;
            float[] v = new float[rows * w.size(1)];
            Random r = new Random(i);
            for (int j = 0; j < v.length; j++) v[j] = (float) r.nextGaussian();
            out.add(new Tensor[]{Tensor.of(v, rows, w.size(1)), w, Tensor.zeros(DType.F32, rows, w.size(0))});
        }
        return out;
    }

    /** The decoder layers' linear weights [out, in] by name. */
    private static Map<String, Tensor> layerWeights(CausalLm model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            if (e.getKey().contains(".layers.") && e.getKey().endsWith("proj.weight") && e.getValue().value().rank() == 2) out.put(e.getKey(), e.getValue().value());
        }
        return out;
    }

    /** lm_head.weight, or the tied embedding matrix. */
    private static Tensor headWeight(CausalLm model) {
        Map<String, Parameter> p = model.namedParameters();
        return (p.containsKey("lm_head.weight") ? p.get("lm_head.weight") : p.get("model.embed_tokens.weight")).value();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
