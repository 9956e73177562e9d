package io.jswift.backend.cpu.gemm;

import io.jswift.tensor.HostAccess;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * C = A·B for a few rows of A and a row-major f32 B [K, N] read where it lies — the MoE input gradient
 * dX_e = dY_e · W_e of an expert's handful of rows against its [O, K] weight. The blocked GEMM copies all of B into
 * packed panels per product, which for 8-30 rows costs about as much as the arithmetic (a third of a 128-expert
 * backward went to packing). Here only A (rows × K, small) is packed into 4-row panels; B is walked in blocks of
 * {@link #KB} rows across its whole width (L2-resident) and, within a block, in strips two vectors wide that every
 * 4-row panel of A passes over. C accumulates across the K blocks. Each block is first read row after row, one load
 * per cache line, by the GEMM's own C-block touch ({@link Gemm#touchRows}): the strips walk down the
 * block's rows, a page apart, a pattern the hardware prefetcher does not follow, so each strip's first pass waited on
 * a cache miss per row; read along its rows the block streams into L2. With it the 128 experts' dX = dH·gate_up and
 * dGated = dY·down at MoeQuick's shape took 185 / 85 ms of one core instead of 238 / 119 (GroupedKernelsLab,
 * docs/BENCHMARKS.md, session 24). The bits do not change with the touch. A strip's rows still lie a page apart, all in
 * one L1 set (8 ways for up to 96 rows), so the first panel's tile copies the strip into a contiguous buffer as it
 * reads it and the other panels read the buffer: dX 178 vs 209 ms of one core, same bits.
 */
final class RowMajorTiles {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final int NR = 2 * V, MR = 4;
    // KB rows of B per block at most: each row of a weight of 1024 f32 columns lies on its own 4 KiB page, and a strip
    // pass over more rows than the L1 TLB holds (64 entries on Zen 3) missed it on every load — with 256 rows the dX
    // products ran at half the forward's rate (MoeQuick profile). With the block touched into L2 first, 96 rows beat
    // 48 (fewer passes over C); a block spans B's whole width and is kept within BLOCK_BYTES of L2 (512 KiB on Zen 3).
    private static final int KB = Integer.getInteger("jswift.grouped.kb", 96);
    private static final long BLOCK_BYTES = 384 << 10;
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private RowMajorTiles() {}

    /** Whether B is a row-major f32 matrix this kernel reads in place. */
    static boolean supports(Operand b) {
        return b.colStride() == 1 && b.type() == io.jswift.tensor.DType.F32;
    }

    /** C[m, n] = A[m, k]·B[k, n], or C += A·B when {@code accumulate}; B {@link #supports supported}. */
    static void multiply(int m, int n, int k, Operand a, Operand b, MemorySegment c, long cOff, long ldc, boolean accumulate) {
        if (m == 0) return;
        int panels = (m + MR - 1) / MR;
        float[] packed = new float[panels * MR * k];
        Packing.packA(a, 0, m, 0, k, packed, MR);
        float[] tile = new float[MR * NR];
        MemorySegment seg = b.segment();
        long ldb = b.rowStride();
        int nv = n / NR * NR;
        int block = (int) Math.max(4, Math.min(KB, BLOCK_BYTES / (4L * Math.max(1, n))));
        float[] strip = new float[Math.max(1, Math.min(block, k)) * NR];
        for (int pb = 0; pb < k; pb += block) {
            int kb = Math.min(block, k - pb);
            boolean add = accumulate || pb > 0;
            Gemm.touchRows(seg, b.offset() + (long) pb * ldb, ldb, kb, n, tile); // its sink lands in tile[0], overwritten next
            for (int j = 0; j < nv; j += NR) {
                long bAt = (b.offset() + (long) pb * ldb + j) * 4;
                tileCopying(kb, packed, pb * MR, seg, bAt, ldb * 4, tile, strip);
                store(tile, c, cOff + j, ldc, Math.min(MR, m), add);
                for (int p = 1; p < panels; p++) {
                    tile4(kb, packed, p * MR * k + pb * MR, strip, tile);
                    store(tile, c, cOff + (long) p * MR * ldc + j, ldc, Math.min(MR, m - p * MR), add);
                }
            }
        }
        for (int j = nv; j < n; j++) { // columns past the last whole strip
            for (int i = 0; i < m; i++) {
                float s = 0;
                for (int p = 0; p < k; p++) s += a.get(i, p) * b.get(p, j);
                long at = cOff + i * ldc + j;
                c.setAtIndex(HostAccess.F32, at, accumulate ? c.getAtIndex(HostAccess.F32, at) + s : s);
            }
        }
    }

    /**
     * tile [4][NR] = the 4-row panel of A at {@code ai} (k-major, 4 values per k) times {@code kb} rows of a strip of B
     * starting at byte {@code bAt}, rows {@code ldbBytes} apart, each row's NR floats also copied into {@code strip}
     * ([kb][NR]) for the other panels. Only the B loads touch a segment, the accumulators stay in registers (as
     * {@link MicroKernel}'s 4-row tile).
     */
    private static void tileCopying(int kb, float[] a, int ai, MemorySegment b, long bAt, long ldbBytes, float[] tile, float[] strip) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int p = 0, si = 0; p < kb; p++, ai += MR, bAt += ldbBytes, si += NR) {
            FloatVector b0 = FloatVector.fromMemorySegment(S, b, bAt, NATIVE);
            FloatVector b1 = FloatVector.fromMemorySegment(S, b, bAt + 4L * V, NATIVE);
            b0.intoArray(strip, si);
            b1.intoArray(strip, si + V);
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
        c0_0.intoArray(tile, 0);
        c0_1.intoArray(tile, V);
        c1_0.intoArray(tile, NR);
        c1_1.intoArray(tile, NR + V);
        c2_0.intoArray(tile, 2 * NR);
        c2_1.intoArray(tile, 2 * NR + V);
        c3_0.intoArray(tile, 3 * NR);
        c3_1.intoArray(tile, 3 * NR + V);
    }

    /** As {@link #tileCopying} with the strip read from the contiguous copy ([kb][NR]). */
    private static void tile4(int kb, float[] a, int ai, float[] strip, float[] tile) {
        FloatVector z = FloatVector.zero(S);
        FloatVector c0_0 = z, c0_1 = z, c1_0 = z, c1_1 = z, c2_0 = z, c2_1 = z, c3_0 = z, c3_1 = z;
        for (int p = 0, si = 0; p < kb; p++, ai += MR, si += NR) {
            FloatVector b0 = FloatVector.fromArray(S, strip, si);
            FloatVector b1 = FloatVector.fromArray(S, strip, si + V);
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
        c0_0.intoArray(tile, 0);
        c0_1.intoArray(tile, V);
        c1_0.intoArray(tile, NR);
        c1_1.intoArray(tile, NR + V);
        c2_0.intoArray(tile, 2 * NR);
        c2_1.intoArray(tile, 2 * NR + V);
        c3_0.intoArray(tile, 3 * NR);
        c3_1.intoArray(tile, 3 * NR + V);
    }

    /** The first {@code rows} rows of the tile into C (NR columns each), added to C when {@code add}. */
    private static void store(float[] tile, MemorySegment c, long at, long ldc, int rows, boolean add) {
        for (int r = 0; r < rows; r++, at += ldc) {
            for (int j = 0; j < NR; j += V) {
                FloatVector t = FloatVector.fromArray(S, tile, r * NR + j);
                if (add) t = t.add(FloatVector.fromMemorySegment(S, c, (at + j) * 4, NATIVE));
                t.intoMemorySegment(c, (at + j) * 4, NATIVE);
            }
        }
    }
}
