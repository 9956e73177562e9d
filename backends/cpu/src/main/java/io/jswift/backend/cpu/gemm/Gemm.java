package io.jswift.backend.cpu.gemm;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

/**
 * C[M, N] = A[M, K] · B[K, N] in f32 with C row-major (leading dimension ldc). BLIS-style blocking
 * (Goto & van de Geijn 2008; Van Zee & van de Geijn 2015): KC×NC blocks of B are packed into NR-wide
 * panels (L3), MC×KC blocks of A into MR-row panels (L2), and the {@link MicroKernel} runs MR×NR tiles
 * whose B panel stays in L1. Cores split C by columns.
 */
public final class Gemm {
    // Block sizes, tunable with -Djswift.gemm.kc / .mc / .nc. Measured on the 2-core AVX-512 dev machine
    // (docs/BENCHMARKS.md): a long KC (1024) beat the textbook L1-sized 256 by ~30%, because each pass over
    // K re-reads and re-writes all of C and the hardware prefetcher streams the longer B panels from L2.
    // With the 4-row AVX2 kernel (Zen 3, 512 KiB L2) a 128-row A block (256 KiB) and a 1 MiB B block read
    // the packed B once for a 128-token prefill: 40-48 -> 50-57 tok/s on Llama-3.2-1B, square f32 unchanged.
    static final int KC = Integer.getInteger("jswift.gemm.kc", MicroKernel.WIDE_REGISTER_FILE ? 1024 : 512);
    static final int MC = roundTo(Integer.getInteger("jswift.gemm.mc", MicroKernel.WIDE_REGISTER_FILE ? 48 : 128), MicroKernel.MR);
    static final int NC = roundTo(Integer.getInteger("jswift.gemm.nc", MicroKernel.WIDE_REGISTER_FILE ? 2048 : 512), MicroKernel.NR);

    /**
     * From 5 up to this many rows of A, products with B = Wᵀ of a row-major weight take {@link RowDotTiles} (no
     * packing of Wᵀ); up to 4 rows take {@link Gemv}. Measured on Llama-3.2-1B's projections (AVX-512 Zen 4,
     * PrefillGemmQuick): 2-3x the blocked GEMM's GFLOPS for m = 5..8, ahead or level to 16, level at 24, behind from
     * 32 on, where the packed 12-row tiles pay. Tunable with -Djswift.gemm.smallM.
     */
    static final int SMALL_M = Integer.getInteger("jswift.gemm.smallM", 16);

    /**
     * Past {@link #SMALL_M} and up to this many rows of A, products with B = Wᵀ of a row-major weight take
     * {@link WeightRowsGemm} (W read as stored, X packed) instead of the blocked GEMM, which transposes every weight
     * block on every call. Measured on Zen 3 (AVX2, one thread, Qwen2.5-0.5B's and Llama-3.2-1B's projections, f32 and
     * bf16 weights, LM heads: docs/BENCHMARKS.md, session 24): 0.55-0.9x the blocked GEMM's time for m = 16..128
     * (m = 8: {@link RowDotTiles} is faster still). Tunable with -Djswift.gemm.weightRowsM (0 turns it off).
     */
    static final int WEIGHT_ROWS_M = Integer.getInteger("jswift.gemm.weightRowsM", 128);

    /**
     * Products whose C is at most this many columns wide and {@link #NARROW_M} rows or more tall run as Cᵀ = Bᵀ·Aᵀ
     * ({@link Route#TRANSPOSED}): LoRA's dB = dYᵀ·h [out, r]. See {@link #transposed}. Measured on Zen 3 (one thread,
     * r 8 and 16, T 512 and 1,032 tokens; docs/BENCHMARKS.md, session 24): 0.37-0.49x the blocked product's time at
     * out = 4,864, 0.65-1.03x at 896; at out = 128 (under a millisecond either way) it lost at T = 512, hence the
     * height bound. Tunable with -Djswift.gemm.narrowN (0 turns it off).
     */
    static final int NARROW_N = Integer.getInteger("jswift.gemm.narrowN", 16);
    static final int NARROW_M = 512;

    /** Which kernel takes a product: {@link #AUTO} picks by shape; the others force one (benchmarks, tests). */
    public enum Route {
        AUTO, GEMV, ROW_DOTS, WEIGHT_ROWS, BLOCKED, TRANSPOSED;

        /** The route {@link #AUTO} takes for C [m, n] with B = Wᵀ of a weight ({@code weightRows}) or not. */
        static Route of(int m, int n, boolean weightRows) {
            if (m <= 4) return GEMV;
            if (!weightRows) return n <= NARROW_N && m >= NARROW_M ? TRANSPOSED : BLOCKED;
            if (m <= SMALL_M) return ROW_DOTS;
            return m <= WEIGHT_ROWS_M ? WEIGHT_ROWS : BLOCKED;
        }
    }

    /** Floats in a 64-byte cache line (see {@link #touchRows}). */
    private static final int LINE_FLOATS = 16;
    /** Whether {@link #block} streams each C block into cache first; -Djswift.gemm.touchC=false for A/B runs. */
    static final boolean TOUCH_C = !"false".equals(System.getProperty("jswift.gemm.touchC"));

    private static final ThreadLocal<float[]> A_BUFFER = ThreadLocal.withInitial(() -> new float[MC * KC]);
    private static final ThreadLocal<float[]> B_BUFFER = ThreadLocal.withInitial(() -> new float[NC * KC]);
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[MicroKernel.MR * MicroKernel.NR]);

    private Gemm() {}

    private static int roundTo(int x, int multiple) {
        return Math.max(multiple, (x + multiple - 1) / multiple * multiple);
    }

    /** C = A·B (overwrites C). */
    public static void sgemm(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc) {
        sgemm(m, n, k, a, b, c, cOff, ldc, false);
    }

    /** C = A·B, or C += A·B when {@code accumulate} (BLAS beta = 1). */
    public static void sgemm(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        sgemm(Route.AUTO, m, n, k, a, b, c, cOff, ldc, accumulate);
    }

    /**
     * {@link #sgemm} through the given route: ROW_DOTS and WEIGHT_ROWS need B = Wᵀ of an f32 or bf16 weight
     * ({@link Operand#isWeightRows}) (A/B benchmarks and tests; the product is the same up to rounding).
     */
    public static void sgemm(Route route, int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        if (m == 0 || n == 0 || (k == 0 && accumulate)) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) c.asSlice((cOff + i * ldc) * 4, n * 4L).fill((byte) 0);
            return;
        }
        Route r = route == Route.AUTO ? Route.of(m, n, b.isWeightRows()) : route;
        if ((r == Route.ROW_DOTS || r == Route.WEIGHT_ROWS) && !b.isWeightRows()) {
            throw new IllegalArgumentException(r + " needs B = Wᵀ of a row-major f32 or bf16 weight");
        }
        switch (r) {
            case GEMV -> Gemv.rows(m, n, k, a, b, c, cOff, ldc, accumulate);
            case ROW_DOTS -> RowDotTiles.multiply(m, n, k, a, b, c, cOff, ldc, accumulate);
            case WEIGHT_ROWS -> WeightRowsGemm.multiply(m, n, k, a, b, c, cOff, ldc, accumulate);
            case TRANSPOSED -> transposed(m, n, k, a, b, c, cOff, ldc, accumulate);
            default -> blocked(m, n, k, a, b, c, cOff, ldc, accumulate);
        }
    }

    /**
     * C (+)= A·B computed as Cᵀ = Bᵀ·Aᵀ into a temporary [n, m], then written to C transposed. For a narrow, tall
     * C (LoRA's dB = dYᵀ·h: m = out features, n = rank, k = tokens, A = dYᵀ) the BLIS loops would pack A =
     * dYᵀ from its columns, 4 elements of a row of dY at a time, and run NR-wide tiles of which n columns count;
     * swapped, dY is B read along its rows in runs of NR and the tall side fills the tiles. The temporary starts
     * as Cᵀ when accumulating, so the bits are those of the blocked product either way (same K blocks, same order).
     */
    private static void transposed(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        // off-heap like every other C, so the micro-kernel's write-back sees one kind of segment
        Tensor ct = Tensor.zeros(DType.F32, n, m);
        MemorySegment t = ct.hostSegment();
        long off = ct.offset();
        if (accumulate) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) t.setAtIndex(HostAccess.F32, off + (long) j * m + i, c.getAtIndex(HostAccess.F32, cOff + i * ldc + j));
            }
        }
        blocked(n, m, k, b.transposed(), a.transposed(), t, off, m, accumulate);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) c.setAtIndex(HostAccess.F32, cOff + i * ldc + j, t.getAtIndex(HostAccess.F32, off + (long) j * m + i));
        }
        Reference.reachabilityFence(ct); // its storage is returned to the allocator once ct is unreachable
    }

    /** The BLIS loops, cores splitting C by columns (or by row blocks when C is too narrow). */
    private static void blocked(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        int nr = MicroKernel.NR;
        long work = (long) m * n * k;
        int threads = work < (1L << 18) ? 1 : Parallel.threads();
        int nPanels = (n + nr - 1) / nr;
        if (threads > 1 && nPanels >= threads) {
            // One parallel region per product, no barriers inside: each core owns a slice of C's columns and
            // packs its own blocks (parked workers wake slowly on VMs, so per-block fork/join made timings erratic).
            Parallel.range(nPanels, 1, (p0, p1) -> block(0, m, p0 * nr, Math.min(n, p1 * nr), k, a, b, c, cOff, ldc, accumulate));
        } else if (threads > 1 && m >= 2 * MC) {
            int blocks = (m + MC - 1) / MC;
            Parallel.range(blocks, 1, (b0, b1) -> block(b0 * MC, Math.min(m, b1 * MC), 0, n, k, a, b, c, cOff, ldc, accumulate));
        } else {
            block(0, m, 0, n, k, a, b, c, cOff, ldc, accumulate);
        }
    }

    /**
     * C (+)= A·B on the calling thread for a short K (an expert's weight gradient dYᵀ·X, K = the expert's few rows):
     * B packed once for all of C's width, then C swept MR rows at a time from left to right. The BLIS order of
     * {@link #block} walks down a 128-row block of C one NR-wide panel at a time, a row 4 KiB further each tile:
     * harmless when K is long and C is touched once per KC, but with K ~16 C is the whole traffic, and adding into
     * it there waited on a cache miss per tile (the weight gradients of 128 experts in place ran slower than written
     * to a zeroed temporary and added in a second, streaming pass); swept along its rows, C streams like that pass.
     * Needs k <= KC.
     */
    static void shortK(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        int mr = MicroKernel.MR, nr = MicroKernel.NR;
        float[] packedA = A_BUFFER.get(), packedB = B_BUFFER.get(), scratch = SCRATCH.get();
        int width = Math.max(nr, packedB.length / Math.max(1, k) / nr * nr); // columns of B that fit the buffer
        for (int jc = 0; jc < n; jc += width) {
            int nc = Math.min(width, n - jc);
            Packing.packB(b, 0, k, jc, nc, packedB, 0, nr);
            for (int ic = 0; ic < m; ic += mr) {
                int rows = Math.min(mr, m - ic);
                Packing.packA(a, ic, rows, 0, k, packedA, mr);
                for (int jr = 0; jr < nc; jr += nr) {
                    MicroKernel.tile(k, packedA, 0, packedB, (jr / nr) * k * nr, c, cOff + (long) ic * ldc + jc + jr, ldc,
                            rows, Math.min(nr, nc - jr), accumulate, scratch);
                }
            }
        }
    }

    /** The BLIS loops over C[i0..i1) × [j0..j1) on the current thread. */
    private static void block(int i0, int i1, int j0, int j1, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc,
                              boolean accumulate) {
        int mr = MicroKernel.MR, nr = MicroKernel.NR;
        float[] packedA = A_BUFFER.get(), packedB = B_BUFFER.get(), scratch = SCRATCH.get();
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                Packing.packB(b, pc, kc, jc, nc, packedB, 0, nr);
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    Packing.packA(a, ic, mc, pc, kc, packedA, mr);
                    if (TOUCH_C) touchRows(c, cOff + (long) ic * ldc + jc, ldc, mc, nc, scratch);
                    for (int jr = 0; jr < nc; jr += nr) {
                        int cols = Math.min(nr, nc - jr);
                        int bi = (jr / nr) * kc * nr;
                        for (int ir = 0; ir < mc; ir += mr) {
                            long off = cOff + (long) (ic + ir) * ldc + jc + jr;
                            MicroKernel.tile(kc, packedA, (ir / mr) * kc * mr, packedB, bi, c, off, ldc,
                                    Math.min(mr, mc - ir), cols, accumulate || pc > 0, scratch);
                        }
                    }
                }
            }
        }
    }

    /**
     * Reads one float per cache line of the C block [rows × cols] (row r at off + r·ldc), row after row, before
     * {@link #block}'s tiles write it back. Those tiles walk down the block one NR-wide column panel at a time, each
     * tile's rows ldc apart (a page or more for the MLP's widths), a pattern the hardware prefetcher does not follow:
     * every write-back ({@code MicroKernel.flush}) waited on its own 4 cache misses, once per KC pass — 15-20 % of
     * the GEMM time at a LoRA DPO step's shapes (M = 1,032, K = 896 / 4,864; docs/BENCHMARKS.md, session 23).
     * Read along its rows, the block streams into L2 at memory bandwidth, and the write-backs hit. Java has no
     * prefetch instruction, so these are plain loads; their sum lands in {@code scratch} (the tile buffer, overwritten
     * by the next tile) so that the JIT keeps them. The product's bits do not change. {@link RowMajorTiles} reads its
     * weight blocks into L2 the same way.
     */
    static void touchRows(MemorySegment c, long off, long ldc, int rows, int cols, float[] scratch) {
        float sink = 0;
        for (int r = 0; r < rows; r++) {
            long row = off + r * ldc;
            for (int j = 0; j < cols; j += LINE_FLOATS) sink += c.getAtIndex(HostAccess.F32, row + j);
        }
        scratch[0] = sink;
    }

    /** Double-precision product for F64 operands (gradient checks): plain i-k-j loops accumulating in double. */
    public static void dgemm(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        Parallel.range(m, Math.max(1, (1 << 16) / Math.max(1, n * Math.max(1, k))), (from, to) -> {
            double[] row = new double[n];
            for (int i = from; i < to; i++) {
                for (int j = 0; j < n; j++) row[j] = accumulate ? c.getAtIndex(HostAccess.F64, cOff + i * ldc + j) : 0;
                for (int p = 0; p < k; p++) {
                    double av = a.getDouble(i, p);
                    for (int j = 0; j < n; j++) row[j] += av * b.getDouble(p, j);
                }
                for (int j = 0; j < n; j++) c.setAtIndex(HostAccess.F64, cOff + i * ldc + j, row[j]);
            }
        });
    }
}
