package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * C = X·Wᵀ for tens of rows of X (batched decoding: GRPO's 64 completions, a server's running streams) and a
 * row-major weight W [N, K] in f32 or bf16, computed as Cᵀ = W·Xᵀ so that W is read as stored. Dims: M = rows of X,
 * N = rows of W (C's columns), K = the shared dim.
 *
 * <p>The blocked GEMM ({@code Gemm.block}) needs B = Wᵀ as NR-wide column panels, i.e. W transposed: it copies and
 * transposes every weight block before the arithmetic, on every call — for the frozen weights of a decode step, a
 * quarter of GRPO generation's time (docs/BENCHMARKS.md, session 23), because each block is first fetched and
 * transposed, then multiplied, the memory stream and the FMAs taking turns. Here the roles swap: X (small) is packed
 * once per product as 2V-row panels [K][2V], and the register tile is 4 weight rows × 2V rows of X, each step
 * broadcasting one weight of each of the 4 rows (read along their rows, as stored) against two vectors of X.
 * The weight rows of a tile are only copied to a heap array (bf16 widened, f32 a plain copy; no transpose) and
 * consumed at once, so W streams front to back, prefetched while the FMAs run.
 *
 * <p>K runs in blocks of {@link Gemm#KC}, each block's sum added to the running one, in k order within a block by FMAs
 * from zero, as the blocked GEMM's tile does: the result has the blocked GEMM's bits.
 */
final class WeightRowsGemm {
    private static final VectorSpecies<Float> S = MicroKernel.S;
    private static final int V = S.length();
    /** Rows of X per panel: two vectors. */
    static final int NX = 2 * V;
    /** Weight rows per register tile: 4 x 2 accumulators + 2 X vectors + 1 broadcast fit AVX2's 16 registers. */
    static final int TW = 4;
    /**
     * Tiles of weight rows a core takes at a time; their Cᵀ [64 weight rows, M] (16 KiB at M = 64) stays in a heap
     * array across the K blocks, added to by whole vectors, and goes to C once at the end.
     */
    private static final int CHUNK = 16;

    /** X packed, per calling thread, kept between calls: up to 128 padded rows × K floats (4 MiB for K = 8,192). */
    private static final ThreadLocal<float[]> X_PANELS = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> W_ROWS = ThreadLocal.withInitial(() -> new float[TW * Gemm.KC]);
    private static final ThreadLocal<short[]> W_HALVES = ThreadLocal.withInitial(() -> new short[Gemm.KC]);
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[TW * NX]);
    private static final ThreadLocal<float[]> C_CHUNK = ThreadLocal.withInitial(() -> new float[0]);

    private WeightRowsGemm() {}

    /** C = A·B, or C += A·B when {@code accumulate}, for B = Wᵀ ({@link Operand#isWeightRows}). */
    static void multiply(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        int panels = (m + NX - 1) / NX, width = panels * NX;
        float[] xs = xPanels(panels * k * NX);
        Packing.packB(a.transposed(), 0, k, 0, m, xs, 0, NX); // Xᵀ [K, M] as NX-wide panels: panel p at p·K·NX
        int tiles = (n + TW - 1) / TW, chunks = (tiles + CHUNK - 1) / CHUNK;
        Parallel.dynamic(chunks, 1, (from, to) -> {
            float[] w = W_ROWS.get(), scratch = SCRATCH.get(), ct = cChunk(CHUNK * TW * width);
            for (int ch = from; ch < to; ch++) {
                int j0 = ch * CHUNK * TW, cols = Math.min(CHUNK * TW, n - j0);
                if (accumulate) transpose(c, cOff, ldc, m, j0, cols, ct, width, true);
                for (int pc = 0; pc < k; pc += Gemm.KC) {
                    int kc = Math.min(Gemm.KC, k - pc);
                    boolean add = accumulate || pc > 0;
                    for (int t = 0; t * TW < cols; t++) {
                        loadRows(b, j0 + t * TW, Math.min(TW, cols - t * TW), pc, kc, w);
                        for (int p = 0; p < panels; p++) {
                            tile(kc, w, xs, p * k * NX + pc * NX, scratch);
                            addTile(scratch, ct, t * TW * width + p * NX, width, add);
                        }
                    }
                }
                transpose(c, cOff, ldc, m, j0, cols, ct, width, false);
            }
        });
    }

    private static float[] xPanels(int size) {
        float[] xs = X_PANELS.get();
        if (xs.length < size) {
            xs = new float[size];
            X_PANELS.set(xs);
        }
        return xs;
    }

    private static float[] cChunk(int size) {
        float[] ct = C_CHUNK.get();
        if (ct.length < size) {
            ct = new float[size];
            C_CHUNK.set(ct);
        }
        return ct;
    }

    /** w[r·kc + q] = W[j0 + r, pc + q] as f32 for r < rows, zeros for the rows of a last partial tile. */
    private static void loadRows(Operand b, int j0, int rows, int pc, int kc, float[] w) {
        MemorySegment seg = b.segment();
        boolean bf16 = b.type() == DType.BF16;
        for (int r = 0; r < rows; r++) {
            long start = b.offset() + pc + (long) (j0 + r) * b.colStride();
            if (bf16) widen(seg, start, kc, w, r * kc);
            else MemorySegment.copy(seg, HostAccess.F32, start * 4, w, r * kc, kc);
        }
        for (int i = rows * kc; i < TW * kc; i++) w[i] = 0;
    }

    /** kc bf16 weights from element {@code start} of seg → f32 at dst[at]: 8 at a time (the f32 bits are the bf16 bits << 16). */
    private static void widen(MemorySegment seg, long start, int kc, float[] dst, int at) {
        short[] halves = W_HALVES.get();
        MemorySegment.copy(seg, HostAccess.I16, start * 2, halves, 0, kc);
        int q = 0;
        if (PanelTranspose.SUPPORTED) {
            for (; q + 8 <= kc; q += 8) PanelTranspose.widen(halves, q).intoArray(dst, at + q);
        }
        for (; q < kc; q++) dst[at + q] = Float.intBitsToFloat(halves[q] << 16);
    }

    /**
     * out[r·NX + i] = Σ_q w[r·kc + q] · x[xi + q·NX + i] for the tile's 4 weight rows r and NX rows i of X, the sum
     * in q order from zero. Heap arrays only, as {@link MicroKernel}'s tiles (segment accesses in the FMA loop made
     * C2 box the vectors there).
     */
    private static void tile(int kc, float[] w, float[] x, int xi, float[] out) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        int w1 = kc, w2 = 2 * kc, w3 = 3 * kc;
        for (int q = 0; q < kc; q++) {
            int xq = xi + NX * q;
            FloatVector x0 = FloatVector.fromArray(S, x, xq);
            FloatVector x1 = FloatVector.fromArray(S, x, xq + V);
            FloatVector b0 = FloatVector.broadcast(S, w[q]);
            c0_0 = x0.fma(b0, c0_0);
            c0_1 = x1.fma(b0, c0_1);
            FloatVector b1 = FloatVector.broadcast(S, w[w1 + q]);
            c1_0 = x0.fma(b1, c1_0);
            c1_1 = x1.fma(b1, c1_1);
            FloatVector b2 = FloatVector.broadcast(S, w[w2 + q]);
            c2_0 = x0.fma(b2, c2_0);
            c2_1 = x1.fma(b2, c2_1);
            FloatVector b3 = FloatVector.broadcast(S, w[w3 + q]);
            c3_0 = x0.fma(b3, c3_0);
            c3_1 = x1.fma(b3, c3_1);
        }
        c0_0.intoArray(out, 0);
        c0_1.intoArray(out, V);
        c1_0.intoArray(out, NX);
        c1_1.intoArray(out, NX + V);
        c2_0.intoArray(out, 2 * NX);
        c2_1.intoArray(out, 2 * NX + V);
        c3_0.intoArray(out, 3 * NX);
        c3_1.intoArray(out, 3 * NX + V);
    }

    /**
     * ct[at + r·width + i] (+)= out[r·NX + i] for the tile's 4 weight rows r and NX rows i of X: Cᵀ of the chunk, kept
     * on the heap across the K blocks and written to C once ({@link #transpose}); tile + C as {@link MicroKernel}'s
     * flush adds.
     */
    private static void addTile(float[] out, float[] ct, int at, int width, boolean accumulate) {
        for (int r = 0; r < TW; r++) {
            for (int v = 0; v < NX; v += V) {
                FloatVector t = FloatVector.fromArray(S, out, r * NX + v);
                if (accumulate) t = t.add(FloatVector.fromArray(S, ct, at + r * width + v));
                t.intoArray(ct, at + r * width + v);
            }
        }
    }

    /** C[i, j0 + j] = ct[j·width + i] for i < m, j < cols ({@code intoCt}: the other way, to start from C). */
    private static void transpose(MemorySegment c, long cOff, long ldc, int m, int j0, int cols, float[] ct, int width, boolean intoCt) {
        for (int i = 0; i < m; i++) {
            long row = cOff + i * ldc + j0;
            for (int j = 0; j < cols; j++) {
                if (intoCt) ct[j * width + i] = c.getAtIndex(HostAccess.F32, row + j);
                else c.setAtIndex(HostAccess.F32, row + j, ct[j * width + i]);
            }
        }
    }
}
