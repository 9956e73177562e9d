package io.jswift.backend.cpu.gemm;

import com.sun.management.OperatingSystemMXBean;
import io.jswift.nn.moe.Routing;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Kernel lab for the MoE experts' six grouped products at MoeQuick's shape (E = 128 experts, N·k = 2048 rows routed
 * top-8 at random, C = 1024, I = 384): each product over all experts as the grouped MLP runs it (one expert per core
 * at a time), the kernel variants of one product alternating rep by rep in one JVM; best wall and process CPU time.
 * Lives in the kernels' package to reach their package-private entry points (STYLE: variants in bench).
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar io.jswift.backend.cpu.gemm.GroupedKernelsLab [REPS=7] [PRODUCTS=all]</pre>
 */
public final class GroupedKernelsLab {
    private static final int E = 128, TOP_K = 8, TOKENS = 256, C = 1024, I = 384;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /** One expert's product C (+)= A·B with everything it needs bound. */
    @FunctionalInterface
    interface Kernel {
        void run(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate);
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        String which = args.length > 1 ? args[1] : "all";
        Generator gen = new Generator(1);
        double[] scores = new double[TOKENS * E];
        Random r = new Random(7);
        for (int i = 0; i < scores.length; i++) scores[i] = r.nextGaussian();
        int[] counts = Routing.topK(scores, TOKENS, E, TOP_K).counts();
        int rows = TOKENS * TOP_K;
        Tensor x = random(gen, rows, C), dy = random(gen, rows, C), dh = random(gen, rows, 2 * I), gated = random(gen, rows, I);
        Tensor gateUp = random(gen, E, 2 * I, C), down = random(gen, E, C, I);
        Tensor dGateUp = random(gen, E, 2 * I, C), dDown = random(gen, E, C, I);
        Tensor h = Tensor.zeros(DType.F32, rows, 2 * I), y = Tensor.zeros(DType.F32, rows, C), dGated = Tensor.zeros(DType.F32, rows, I),
                dx = Tensor.zeros(DType.F32, rows, C);
        int[] off = GroupedGemm.offsets(counts);

        Map<String, Runnable[]> products = new LinkedHashMap<>();
        Map<String, String[]> names = new LinkedHashMap<>();
        // forward x·gate_upᵀ, gated·downᵀ
        Kernel[] fw = {ExpertRowDots::multiply, (m, n, k, a, b, c, co, ldc, acc) -> rowDots(m, n, k, a, b, c, co, ldc, acc, 1, 16),
                (m, n, k, a, b, c, co, ldc, acc) -> rowDots(m, n, k, a, b, c, co, ldc, acc, 1, 64), GroupedKernelsLab::rowDotsCopied};
        String[] fwNames = {"ExpertRowDots", "next block touched, every line", "every 4th line", "block copied to heap, interleaved"};
        add(products, names, "fwd x.gate_up^T", counts, off, x, h, 2 * I, C, e -> transposed(gateUp, e), false, fwNames, fw);
        add(products, names, "fwd gated.down^T", counts, off, gated, y, C, I, e -> transposed(down, e), false, fwNames, fw);
        // backward input products dy·down, dh·gate_up
        // session 23's RowMajorTiles = 48-row blocks, no touch; session 24's = 96-row blocks touched first, each strip
        // copied by the first panel's tile for the others
        Kernel[] rm = {(m, n, k, a, b, c, co, ldc, acc) -> rowMajor(m, n, k, a, b, c, co, ldc, acc, 48, false),
                (m, n, k, a, b, c, co, ldc, acc) -> rowMajor(m, n, k, a, b, c, co, ldc, acc, 96, true), RowMajorTiles::multiply,
                (m, n, k, a, b, c, co, ldc, acc) -> rowMajor(m, n, k, a, b, c, co, ldc, acc, 24, false),
                (m, n, k, a, b, c, co, ldc, acc) -> rowMajorPacked(m, n, k, a, b, c, co, ldc, acc, 96)};
        String[] rmNames = {"kb48 (session 23)", "kb96+touch", "RowMajorTiles (kb96+touch, strip copied)", "kb24", "packed kb96"};
        add(products, names, "bwd dy.down", counts, off, dy, dGated, I, C, e -> plain(down, e), false, rmNames, rm);
        add(products, names, "bwd dh.gate_up", counts, off, dh, dx, C, 2 * I, e -> plain(gateUp, e), false, rmNames, rm);
        // weight gradients (accumulated): dDown[e] += dyᵀ·gated, dGateUp[e] += dhᵀ·x
        Kernel[] wg = {Gemm::shortK, ExpertWeightGrads::multiply, (m, n, k, a, b, c, co, ldc, acc) -> wgrad42(m, n, k, a, b, c, co, ldc, acc, true),
                (m, n, k, a, b, c, co, ldc, acc) -> wgradPacked(m, n, k, a, b, c, co, ldc, acc, false),
                (m, n, k, a, b, c, co, ldc, acc) -> wgradPacked(m, n, k, a, b, c, co, ldc, acc, true)};
        String[] wgNames = {"shortK (session 23)", "ExpertWeightGrads", "4x2 x in place+touch", "4x2 x packed, C from registers", "same + C touched"};
        addWeight(products, names, "wgrad dDown", counts, off, dy, gated, dDown, C, I, wgNames, wg);
        addWeight(products, names, "wgrad dGateUp", counts, off, dh, x, dGateUp, 2 * I, C, wgNames, wg);

        // the dense products of the same FLOPs as the gate_up ones: all rows against expert 0's weight
        Tensor dw0 = Tensor.zeros(DType.F32, 2 * I, C);
        products.put("dense gate_up", new Runnable[]{
                () -> Gemm.sgemm(rows, 2 * I, C, GroupedGemm.rows(x, 0), transposed(gateUp, 0), h.hostSegment(), 0, 2 * I, false),
                () -> Gemm.sgemm(rows, C, 2 * I, GroupedGemm.rows(dh, 0), plain(gateUp, 0), dx.hostSegment(), 0, C, false),
                () -> Gemm.sgemm(2 * I, C, rows, rowsTransposed(dh, 0), GroupedGemm.rows(x, 0), dw0.hostSegment(), 0, C, true)});
        names.put("dense gate_up", new String[]{"x.W^T", "dh.W", "dW+=dh^T.x"});
        var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (var entry : products.entrySet()) {
            if (!which.equals("all") && !entry.getKey().contains(which)) continue;
            Runnable[] variants = entry.getValue();
            double[][] wall = new double[variants.length][reps];
            double[] cpu = new double[variants.length];
            for (Runnable v : variants) v.run();
            for (int rep = 0; rep < reps; rep++) {
                for (int j = 0; j < variants.length; j++) {
                    long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                    variants[j].run();
                    wall[j][rep] = (System.nanoTime() - t0) / 1e6;
                    cpu[j] += (os.getProcessCpuTime() - c0) / 1e6 / reps;
                }
            }
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-18s", entry.getKey()));
            for (int j = 0; j < variants.length; j++) {
                double[] w = wall[j].clone();
                java.util.Arrays.sort(w);
                sb.append(String.format(Locale.ROOT, " | %s: best %.1f, median %.1f ms wall, mean cpu %.0f ms", names.get(entry.getKey())[j], w[0], w[reps / 2], cpu[j]));
            }
            System.out.println(sb);
        }
        checkAgreement(counts, off, dh, x, gateUp);
    }

    private interface WeightOf {
        Operand of(int e);
    }

    private static void add(Map<String, Runnable[]> products, Map<String, String[]> names, String name, int[] counts, int[] off,
                            Tensor a, Tensor out, int n, int k, WeightOf w, boolean accumulate, String[] vn, Kernel[] kernels) {
        List<Runnable> list = new ArrayList<>();
        for (Kernel kernel : kernels) {
            list.add(() -> GroupedGemm.run(counts, e -> kernel.run(counts[e], n, k, GroupedGemm.rows(a, off[e]), w.of(e), out.hostSegment(),
                    (long) off[e] * n, n, accumulate)));
        }
        products.put(name, list.toArray(Runnable[]::new));
        names.put(name, vn);
    }

    private static void addWeight(Map<String, Runnable[]> products, Map<String, String[]> names, String name, int[] counts, int[] off,
                                  Tensor dyT, Tensor b, Tensor dw, int n, int k, String[] vn, Kernel[] kernels) {
        List<Runnable> list = new ArrayList<>();
        for (Kernel kernel : kernels) {
            list.add(() -> GroupedGemm.run(counts, e -> kernel.run(n, k, counts[e], rowsTransposed(dyT, off[e]), GroupedGemm.rows(b, off[e]),
                    dw.hostSegment(), (long) e * n * k, k, true)));
        }
        products.put(name, list.toArray(Runnable[]::new));
        names.put(name, vn);
    }

    /** Each variant's result against the current kernels' on the gate_up products (max abs difference). */
    private static void checkAgreement(int[] counts, int[] off, Tensor dh, Tensor x, Tensor gateUp) {
        int rows = dh.size(0);
        Tensor ref = Tensor.zeros(DType.F32, rows, C), got = Tensor.zeros(DType.F32, rows, C);
        GroupedGemm.run(counts, e -> RowMajorTiles.multiply(counts[e], C, 2 * I, GroupedGemm.rows(dh, off[e]), plain(gateUp, e), ref.hostSegment(), (long) off[e] * C, C, false));
        for (boolean touch : new boolean[]{false, true}) {
            GroupedGemm.run(counts, e -> rowMajor(counts[e], C, 2 * I, GroupedGemm.rows(dh, off[e]), plain(gateUp, e), got.hostSegment(), (long) off[e] * C, C, false, 48, touch));
            System.out.println("rowMajor 48-row blocks, touch=" + touch + ", vs RowMajorTiles' 96-row blocks (partial sums round differently): max |diff| " + maxDiff(ref, got));
        }
        GroupedGemm.run(counts, e -> RowMajorTiles.multiply(counts[e], C, 2 * I, GroupedGemm.rows(dh, off[e]), plain(gateUp, e), ref.hostSegment(), (long) off[e] * C, C, false));
        GroupedGemm.run(counts, e -> rowMajor(counts[e], C, 2 * I, GroupedGemm.rows(dh, off[e]), plain(gateUp, e), got.hostSegment(), (long) off[e] * C, C, false, 96, true));
        System.out.println("96-row blocks read in place vs RowMajorTiles' strip copies: max |diff| " + maxDiff(ref, got));
        Tensor wRef = Tensor.zeros(DType.F32, E, 2 * I, C), wGot = Tensor.zeros(DType.F32, E, 2 * I, C);
        GroupedGemm.run(counts, e -> Gemm.shortK(2 * I, C, counts[e], rowsTransposed(dh, off[e]), GroupedGemm.rows(x, off[e]), wRef.hostSegment(), (long) e * 2 * I * C, C, false));
        GroupedGemm.run(counts, e -> wgrad42(2 * I, C, counts[e], rowsTransposed(dh, off[e]), GroupedGemm.rows(x, off[e]), wGot.hostSegment(), (long) e * 2 * I * C, C, false, true));
        System.out.println("wgrad42 max |diff| " + maxDiff(wRef, wGot));
        GroupedGemm.run(counts, e -> ExpertWeightGrads.multiply(2 * I, C, counts[e], rowsTransposed(dh, off[e]), GroupedGemm.rows(x, off[e]), wGot.hostSegment(), (long) e * 2 * I * C, C, false));
        System.out.println("ExpertWeightGrads max |diff| " + maxDiff(wRef, wGot));
    }

    private static double maxDiff(Tensor a, Tensor b) {
        double d = 0;
        long n = a.numel();
        for (long i = 0; i < n; i++) d = Math.max(d, Math.abs(a.hostSegment().getAtIndex(HostAccess.F32, i) - b.hostSegment().getAtIndex(HostAccess.F32, i)));
        return d;
    }

    // ---------------------------------------------------------------- variants

    /** RowMajorTiles with its block height as a parameter, and the block optionally read row by row first (into L2). */
    static void rowMajor(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate, int kbRows, boolean touch) {
        int mr = 4, nr = 2 * L;
        int panels = (m + mr - 1) / mr;
        float[] packed = new float[panels * mr * k];
        Packing.packA(a, 0, m, 0, k, packed, mr);
        float[] tile = new float[mr * nr];
        MemorySegment seg = b.segment();
        long ldb = b.rowStride();
        int nv = n / nr * nr;
        for (int pb = 0; pb < k; pb += kbRows) {
            int kb = Math.min(kbRows, k - pb);
            boolean add = accumulate || pb > 0;
            if (touch) tile[0] = touch(seg, b.offset() + (long) pb * ldb, ldb, kb, n);
            for (int j = 0; j < nv; j += nr) {
                long bAt = (b.offset() + (long) pb * ldb + j) * 4;
                for (int p = 0; p < panels; p++) {
                    tile4(kb, packed, p * mr * k + pb * mr, seg, bAt, ldb * 4, tile);
                    store(tile, c, cOff + (long) p * mr * ldc + j, ldc, Math.min(mr, m - p * mr), add);
                }
            }
        }
        if (nv < n) throw new IllegalStateException("lab: whole strips only");
    }

    /** ExpertRowDots with the weight block {@code ahead} blocks on touched first, one float per {@code stride}. */
    static void rowDots(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate, int ahead, int stride) {
        float[][] x = new float[m][k];
        for (int i = 0; i < m; i++) a.readRun(i, 0, k, true, x[i], 0, 1);
        MemorySegment w = b.segment();
        long stride4 = b.colStride() * 4;
        float[] tile = new float[8];
        float sink = 0;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            long w0 = (b.offset() + j * b.colStride()) * 4;
            if (j + 4 * ahead + 4 <= n) sink += touch(w, b.offset() + (j + 4L * ahead) * b.colStride(), b.colStride(), 4, k, stride);
            int i = 0;
            for (; i + 2 <= m; i += 2) {
                dots2x4(x[i], x[i + 1], w, w0, stride4, k, tile);
                for (int q = 0; q < 4; q++) {
                    Gemv.store(c, cOff + i * ldc + j + q, tile[q], accumulate);
                    Gemv.store(c, cOff + (i + 1) * ldc + j + q, tile[4 + q], accumulate);
                }
            }
            for (; i < m; i++) for (int q = 0; q < 4; q++) Gemv.store(c, cOff + i * ldc + j + q, Gemv.dotF32(x[i], w, w0 / 4 + q * (stride4 / 4), k), accumulate);
        }
        if (j < n) throw new IllegalStateException("lab: whole blocks only");
        if (sink == 1e30f) System.out.print("");
    }

    /** ExpertRowDots with each 4-row weight block copied into a heap array first, the 4 rows' vectors interleaved. */
    static void rowDotsCopied(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        float[][] x = new float[m][k];
        for (int i = 0; i < m; i++) a.readRun(i, 0, k, true, x[i], 0, 1);
        MemorySegment w = b.segment();
        long stride4 = b.colStride() * 4;
        float[] tile = new float[8], blk = new float[4 * k];
        if (k % L != 0 || n % 4 != 0) throw new IllegalStateException("lab: whole blocks only");
        for (int j = 0; j + 4 <= n; j += 4) {
            long w0 = (b.offset() + j * b.colStride()) * 4;
            for (int q = 0; q < 4; q++) {
                for (int p = 0; p < k; p += L) {
                    FloatVector.fromMemorySegment(S, w, w0 + q * stride4 + p * 4L, NATIVE).intoArray(blk, p * 4 + q * L);
                }
            }
            int i = 0;
            for (; i + 2 <= m; i += 2) {
                dots2x4Heap(x[i], x[i + 1], blk, k, tile);
                for (int q = 0; q < 4; q++) {
                    Gemv.store(c, cOff + i * ldc + j + q, tile[q], accumulate);
                    Gemv.store(c, cOff + (i + 1) * ldc + j + q, tile[4 + q], accumulate);
                }
            }
            for (; i < m; i++) for (int q = 0; q < 4; q++) Gemv.store(c, cOff + i * ldc + j + q, Gemv.dotF32(x[i], w, w0 / 4 + q * (stride4 / 4), k), accumulate);
        }
    }

    private static void dots2x4Heap(float[] x0, float[] x1, float[] w, int k, float[] out) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        for (int p = 0, wi = 0; p < k; p += L, wi += 4 * L) {
            FloatVector u = FloatVector.fromArray(S, x0, p), v = FloatVector.fromArray(S, x1, p);
            FloatVector r = FloatVector.fromArray(S, w, wi);
            c00 = u.fma(r, c00);
            c10 = v.fma(r, c10);
            r = FloatVector.fromArray(S, w, wi + L);
            c01 = u.fma(r, c01);
            c11 = v.fma(r, c11);
            r = FloatVector.fromArray(S, w, wi + 2 * L);
            c02 = u.fma(r, c02);
            c12 = v.fma(r, c12);
            r = FloatVector.fromArray(S, w, wi + 3 * L);
            c03 = u.fma(r, c03);
            c13 = v.fma(r, c13);
        }
        out[0] = io.jswift.backend.cpu.VecMath.sum(c00);
        out[1] = io.jswift.backend.cpu.VecMath.sum(c01);
        out[2] = io.jswift.backend.cpu.VecMath.sum(c02);
        out[3] = io.jswift.backend.cpu.VecMath.sum(c03);
        out[4] = io.jswift.backend.cpu.VecMath.sum(c10);
        out[5] = io.jswift.backend.cpu.VecMath.sum(c11);
        out[6] = io.jswift.backend.cpu.VecMath.sum(c12);
        out[7] = io.jswift.backend.cpu.VecMath.sum(c13);
    }

    private static float touch(MemorySegment s, long off, long ld, int rows, int cols, int stride) {
        float sink = 0;
        for (int r = 0; r < rows; r++) {
            long row = off + r * ld;
            for (int j = 0; j < cols; j += stride) sink += s.getAtIndex(HostAccess.F32, row + j);
        }
        return sink;
    }

    private static void dots2x4(float[] x0, float[] x1, MemorySegment w, long w0, long stride, int k, float[] out) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        long b0 = w0, b1 = w0 + stride, b2 = w0 + 2 * stride, b3 = w0 + 3 * stride;
        for (int p = 0; p < k; p += L) {
            FloatVector u = FloatVector.fromArray(S, x0, p), v = FloatVector.fromArray(S, x1, p);
            FloatVector r = FloatVector.fromMemorySegment(S, w, b0 + p * 4L, NATIVE);
            c00 = u.fma(r, c00);
            c10 = v.fma(r, c10);
            r = FloatVector.fromMemorySegment(S, w, b1 + p * 4L, NATIVE);
            c01 = u.fma(r, c01);
            c11 = v.fma(r, c11);
            r = FloatVector.fromMemorySegment(S, w, b2 + p * 4L, NATIVE);
            c02 = u.fma(r, c02);
            c12 = v.fma(r, c12);
            r = FloatVector.fromMemorySegment(S, w, b3 + p * 4L, NATIVE);
            c03 = u.fma(r, c03);
            c13 = v.fma(r, c13);
        }
        out[0] = io.jswift.backend.cpu.VecMath.sum(c00);
        out[1] = io.jswift.backend.cpu.VecMath.sum(c01);
        out[2] = io.jswift.backend.cpu.VecMath.sum(c02);
        out[3] = io.jswift.backend.cpu.VecMath.sum(c03);
        out[4] = io.jswift.backend.cpu.VecMath.sum(c10);
        out[5] = io.jswift.backend.cpu.VecMath.sum(c11);
        out[6] = io.jswift.backend.cpu.VecMath.sum(c12);
        out[7] = io.jswift.backend.cpu.VecMath.sum(c13);
    }

    /** Each block of B's rows packed into NR-wide panels first (contiguous strips: no 4 KiB set aliasing), then tiles. */
    static void rowMajorPacked(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate, int kbRows) {
        int mr = MicroKernel.MR, nr = MicroKernel.NR;
        int panels = (m + mr - 1) / mr;
        float[] packed = new float[panels * mr * k];
        Packing.packA(a, 0, m, 0, k, packed, mr);
        float[] buf = new float[kbRows * ((n + nr - 1) / nr * nr)], scratch = new float[mr * nr];
        for (int pb = 0; pb < k; pb += kbRows) {
            int kb = Math.min(kbRows, k - pb);
            boolean add = accumulate || pb > 0;
            Packing.packB(b, pb, kb, 0, n, buf, 0, nr);
            for (int j = 0; j < n; j += nr) {
                for (int p = 0; p < panels; p++) {
                    MicroKernel.tile(kb, packed, p * mr * k + pb * mr, buf, (j / nr) * kb * nr, c, cOff + (long) p * mr * ldc + j, ldc,
                            Math.min(mr, m - p * mr), Math.min(nr, n - j), add, scratch);
                }
            }
        }
    }

    /** One load per cache line of rows [rows × cols] from element {@code off}, {@code ld} apart, row after row. */
    static float touch(MemorySegment s, long off, long ld, int rows, int cols) {
        float sink = 0;
        for (int r = 0; r < rows; r++) {
            long row = off + r * ld;
            for (int j = 0; j < cols; j += 16) sink += s.getAtIndex(HostAccess.F32, row + j);
        }
        return sink;
    }

    private static void tile4(int kb, float[] a, int ai, MemorySegment b, long bAt, long ldbBytes, float[] tile) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int p = 0; p < kb; p++, ai += 4, bAt += ldbBytes) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bAt, NATIVE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bAt + 4L * L, NATIVE);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
        }
        int nr = 2 * L;
        c0_0.intoArray(tile, 0);
        c0_1.intoArray(tile, L);
        c1_0.intoArray(tile, nr);
        c1_1.intoArray(tile, nr + L);
        c2_0.intoArray(tile, 2 * nr);
        c2_1.intoArray(tile, 2 * nr + L);
        c3_0.intoArray(tile, 3 * nr);
        c3_1.intoArray(tile, 3 * nr + L);
    }

    private static void store(float[] tile, MemorySegment c, long at, long ldc, int rows, boolean add) {
        int nr = 2 * L;
        for (int r = 0; r < rows; r++, at += ldc) {
            for (int j = 0; j < nr; j += L) {
                FloatVector t = FloatVector.fromArray(S, tile, r * nr + j);
                if (add) t = t.add(FloatVector.fromMemorySegment(S, c, (at + j) * 4, NATIVE));
                t.intoMemorySegment(c, (at + j) * 4, NATIVE);
            }
        }
    }

    /**
     * Weight gradient C[n, k] (+)= A[n, r]·B[r, k] (A = dyᵀ, B = x rows), 4 rows of C × 2 vectors a tile, x read from a
     * heap copy in place, the tile's sum added to C straight from registers; optionally C's 4 rows touched first.
     */
    static void wgrad42(int n, int k, int r, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate, boolean touch) {
        float[] x = new float[r * k];
        for (int i = 0; i < r; i++) b.readRun(i, 0, k, true, x, i * k, 1);
        float[] ap = new float[4 * r];
        int nr = 2 * L;
        for (int row = 0; row < n; row += 4) {
            if (row + 4 > n || k % nr != 0) throw new IllegalStateException("lab: whole tiles only");
            for (int i = 0; i < r; i++) for (int q = 0; q < 4; q++) ap[4 * i + q] = a.get(row + q, i);
            long c0 = cOff + (long) row * ldc;
            float sink = touch ? touch(c, c0, ldc, 4, k) : 0;
            for (int j = 0; j < k; j += nr) tile42(x, k, j, ap, r, c, (c0 + j) * 4, ldc * 4, accumulate);
            if (sink == 1e30f) System.out.print("");
        }
    }

    private static void tile42(float[] x, int k, int j, float[] a, int r, MemorySegment c, long cAt, long ldcBytes, boolean accumulate) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int i = 0, xi = j, ai = 0; i < r; i++, xi += k, ai += 4) {
            FloatVector b0 = FloatVector.fromArray(S, x, xi);
            FloatVector b1 = FloatVector.fromArray(S, x, xi + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
        }
        put(c, cAt, c0_0, accumulate);
        put(c, cAt + 4L * L, c0_1, accumulate);
        put(c, cAt + ldcBytes, c1_0, accumulate);
        put(c, cAt + ldcBytes + 4L * L, c1_1, accumulate);
        put(c, cAt + 2 * ldcBytes, c2_0, accumulate);
        put(c, cAt + 2 * ldcBytes + 4L * L, c2_1, accumulate);
        put(c, cAt + 3 * ldcBytes, c3_0, accumulate);
        put(c, cAt + 3 * ldcBytes + 4L * L, c3_1, accumulate);
    }

    private static void put(MemorySegment c, long at, FloatVector v, boolean accumulate) {
        if (accumulate) v = v.add(FloatVector.fromMemorySegment(S, c, at, NATIVE));
        v.intoMemorySegment(c, at, NATIVE);
    }

    /** As {@link #wgrad42} with X packed into NR-wide panels (contiguous per tile: no 4 KiB set aliasing). */
    static void wgradPacked(int n, int k, int r, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate, boolean touch) {
        int nr = 2 * L;
        float[] x = new float[r * ((k + nr - 1) / nr * nr)];
        Packing.packB(b, 0, r, 0, k, x, 0, nr);
        float[] ap = new float[(n + 3) / 4 * 4 * r];
        Packing.packA(a, 0, n, 0, r, ap, 4);
        float sink = 0;
        for (int row = 0; row < n; row += 4) {
            if (row + 4 > n || k % nr != 0) throw new IllegalStateException("lab: whole tiles only");
            long c0 = cOff + (long) row * ldc;
            if (touch) sink += touch(c, c0, ldc, 4, k);
            for (int j = 0; j < k; j += nr) tilePacked(x, (j / nr) * r * nr, ap, row * r, r, c, (c0 + j) * 4, ldc * 4, accumulate);
        }
        if (sink == 1e30f) System.out.print("");
    }

    private static void tilePacked(float[] x, int xi, float[] a, int ai, int r, MemorySegment c, long cAt, long ldcBytes, boolean accumulate) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int i = 0; i < r; i++, xi += 2 * L, ai += 4) {
            FloatVector b0 = FloatVector.fromArray(S, x, xi);
            FloatVector b1 = FloatVector.fromArray(S, x, xi + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ai]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
        }
        put(c, cAt, c0_0, accumulate);
        put(c, cAt + 4L * L, c0_1, accumulate);
        put(c, cAt + ldcBytes, c1_0, accumulate);
        put(c, cAt + ldcBytes + 4L * L, c1_1, accumulate);
        put(c, cAt + 2 * ldcBytes, c2_0, accumulate);
        put(c, cAt + 2 * ldcBytes + 4L * L, c2_1, accumulate);
        put(c, cAt + 3 * ldcBytes, c3_0, accumulate);
        put(c, cAt + 3 * ldcBytes + 4L * L, c3_1, accumulate);
    }

    // ---------------------------------------------------------------- operands

    private static Operand transposed(Tensor w, int e) {
        return new Operand(w.hostSegment(), w.dtype(), w.offset() + e * w.stride(0), w.stride(2), w.stride(1));
    }

    private static Operand plain(Tensor w, int e) {
        return new Operand(w.hostSegment(), w.dtype(), w.offset() + e * w.stride(0), w.stride(1), w.stride(2));
    }

    private static Operand rowsTransposed(Tensor t, int first) {
        return new Operand(t.hostSegment(), t.dtype(), t.offset() + (long) first * t.stride(0), t.stride(1), t.stride(0));
    }

    private static Tensor random(Generator gen, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        t.backend().fillRandom(t, new RandomSpec.Normal(0, 1), gen);
        return t;
    }
}
