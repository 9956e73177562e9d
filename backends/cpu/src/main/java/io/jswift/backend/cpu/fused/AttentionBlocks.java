package io.jswift.backend.cpu.fused;

import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The block geometry of one attention call and the heap copies its tiles read. Queries are cut into blocks
 * of BQ rows, keys into blocks of BK; the last blocks and the head dim D are zero-padded (keys to Sp, D to Dp,
 * a multiple of the vector length, and the value head dim Dv to Dvp likewise) so every tile product is full-sized and padded keys score exactly 0
 * before masking. Masks (AttentionSpec): causal query i sees keys j <= i + S - T, within a sliding window
 * also i + S - T - j < W, and segments must match (or, with a shared prefix, the key be of segment 0). The causal bound cuts tiles off whole or in bands; the window
 * and segments are masked key by key ({@link #masksEach()}), and key blocks wholly before the window are skipped.
 * Dims: B batch, Hq/Hkv heads, T queries, S keys, D head dim of queries and keys, Dv of values and outputs.
 */
final class AttentionBlocks {
    private static final int ALIGN = Math.max(TileGemm.MR, TileGemm.V);
    // Measured with io.jswift.bench.AttentionQuick; tunable with -Djswift.attn.bq / .bk.
    static final int BQ = roundTo(Integer.getInteger("jswift.attn.bq", 64), ALIGN);
    static final int BK = roundTo(Integer.getInteger("jswift.attn.bk", 64), ALIGN);

    final int b, hq, hkv, t, s, d, dv, group, dp, dvp, sp, qBlocks, offset, window;
    final boolean causal;
    final float scale;
    /** The segment rule ({@link AttentionSpec#segmentSees}). */
    private final AttentionSpec spec;
    /** Soft-cap of the scaled scores (Gemma 2), 0 for none: only the forward of paged attention applies it. */
    final float softcap;
    private final long[] qSeg, kSeg;
    /** Where sample b's segment ids start in qSeg / kSeg: 0 for ids [1, len] shared by the batch. */
    private final int qSegStride, kSegStride;

    AttentionBlocks(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        this(q.size(0), q.size(1), k.size(1), q.size(2), k.size(2), q.size(3), v.size(3), spec);
    }

    /** The geometry of B samples of Hq query heads, T queries, Hkv kv heads of S keys, head dims D (q, k) and Dv (v). */
    AttentionBlocks(int b, int hq, int hkv, int t, int s, int d, int dv, AttentionSpec spec) {
        this.b = b;
        this.hq = hq;
        this.t = t;
        this.d = d;
        this.dv = dv;
        dvp = roundTo(dv, TileGemm.V);
        this.hkv = hkv;
        this.s = s;
        group = hq / hkv;
        dp = roundTo(d, TileGemm.V);
        sp = roundTo(s, BK);
        qBlocks = roundTo(t, BQ) / BQ;
        offset = s - t;
        causal = spec.causal();
        window = spec.window();
        scale = (float) spec.scale();
        this.spec = spec;
        softcap = (float) spec.softcap();
        qSeg = spec.hasSegments() ? spec.querySegments().toLongArray() : null;
        kSeg = spec.hasSegments() ? spec.keySegments().toLongArray() : null;
        qSegStride = spec.hasSegments() && spec.querySegments().size(0) > 1 ? t : 0;
        kSegStride = spec.hasSegments() && spec.keySegments().size(0) > 1 ? s : 0;
    }

    static int roundTo(int x, int multiple) {
        return Math.max(multiple, (x + multiple - 1) / multiple * multiple);
    }

    /** Keys [0, end) pass the causal bound for query i (0 for padding rows i >= T). */
    int keyEnd(int i) {
        if (i >= t) return 0;
        return causal ? Math.max(0, Math.min(s, i + offset + 1)) : s;
    }

    /** The largest {@link #keyEnd(int)} over queries first .. last (0 when all are padding rows). */
    int keyEnd(int first, int last) {
        return first >= t ? 0 : keyEnd(Math.min(last, t - 1));
    }

    /** Whether the causal bound cuts through the tile at (q0, k0): its first query does not see its last key. */
    boolean diagonal(int q0, int k0) {
        return causal && k0 + BK - 1 > q0 + offset;
    }

    /** Key blocks before this one hold no key that a row of query block qb may see (they are before its window). */
    int firstKeyBlockFor(int qb) {
        return window == 0 ? 0 : Math.max(0, qb * BQ + offset - window + 1) / BK;
    }

    /** Key blocks [0, n) hold a key some row of query block qb may see: later blocks are skipped. */
    int keyBlocksFor(int qb) {
        int end = keyEnd(Math.min(t, (qb + 1) * BQ) - 1);
        return (end + BK - 1) / BK;
    }

    /** Whether keys are masked one by one (segments or a sliding window), beyond the causal bound. */
    boolean masksEach() {
        return qSeg != null || window > 0;
    }

    /** The per-key masks: query i sees key j (causal bound aside) when in the window and in its segment. */
    boolean sees(int batch, int i, int j) {
        if (window > 0 && i + offset - j >= window) return false;
        return qSeg == null || spec.segmentSees(qSeg[batch * qSegStride + i], kSeg[batch * kSegStride + j]);
    }

    /**
     * Per row r of the tile (query q0 + r, keys k0 ..): how many leading keys pass the causal bound, into
     * {@code visible}; returns false when the per-key masks leave no visible key in the whole tile (it can be skipped).
     */
    boolean visibleKeys(int batch, int q0, int k0, int[] visible) {
        boolean any = false;
        for (int r = 0; r < BQ; r++) {
            int n = Math.max(0, Math.min(BK, keyEnd(q0 + r) - k0));
            visible[r] = n;
            if (n > 0 && !any) {
                if (!masksEach()) any = true;
                else for (int j = n - 1; j >= 0 && !any; j--) any = sees(batch, q0 + r, k0 + j); // the window keeps the last keys
            }
        }
        return any;
    }

    // ------------------------------------------------------------------ heap copies

    /** n rows of d floats at element {@code off} of seg → [np, dp] zero-padded. */
    static float[] rows(MemorySegment seg, long off, int n, int d, int np, int dp) {
        float[] out = new float[np * dp];
        if (d == dp) MemorySegment.copy(seg, HostAccess.F32, off * 4, out, 0, n * d);
        else for (int i = 0; i < n; i++) MemorySegment.copy(seg, HostAccess.F32, (off + (long) i * d) * 4, out, i * dp, d);
        return out;
    }

    /**
     * n rows of d floats at element {@code off} of seg, transposed per block of {@code block} rows:
     * [np/block][d][block] zero-padded, so the d × block panel of one block is contiguous (a [d][np] transpose
     * would put its rows a power of two apart, all in the same few L1 sets).
     */
    static float[] transposedBlocks(MemorySegment seg, long off, int n, int d, int np, int block) {
        float[] out = new float[d * np], row = new float[d];
        for (int i = 0; i < n; i++) {
            MemorySegment.copy(seg, HostAccess.F32, (off + (long) i * d) * 4, row, 0, d);
            int base = (i / block) * d * block + i % block;
            for (int x = 0; x < d; x++) out[base + x * block] = row[x];
        }
        return out;
    }

    /**
     * The rows at element offsets {@code starts} of seg (a paged head, {@link HeadRows}) → [np, dp] zero-padded; the rows
     * are of the pool's {@code stored} dtype, f32, or bf16 / f16 widened to f32 (packed straight into the f32 panels).
     */
    static float[] rows(MemorySegment seg, long[] starts, int d, int np, int dp, DType stored) {
        float[] out = new float[np * dp];
        for (int i = 0; i < starts.length; i++) readRow(seg, starts[i], d, stored, out, i * dp);
        return out;
    }

    /** The rows at element offsets {@code starts} of seg (f32, bf16 or f16), transposed per block as {@link #transposedBlocks(MemorySegment, long, int, int, int, int)}. */
    static float[] transposedBlocks(MemorySegment seg, long[] starts, int d, int np, int block, DType stored) {
        float[] out = new float[d * np], row = new float[d];
        for (int i = 0; i < starts.length; i++) {
            readRow(seg, starts[i], d, stored, row, 0);
            int base = (i / block) * d * block + i % block;
            for (int x = 0; x < d; x++) out[base + x * block] = row[x];
        }
        return out;
    }

    /** d elements at element {@code start} of seg (f32, or bf16 / f16 widened) → dst[at, at + d). */
    private static void readRow(MemorySegment seg, long start, int d, DType stored, float[] dst, int at) {
        switch (stored) {
            case F32 -> MemorySegment.copy(seg, HostAccess.F32, start * 4, dst, at, d);
            case BF16 -> { for (int x = 0; x < d; x++) dst[at + x] = Half.bf16ToFloat(seg.getAtIndex(HostAccess.I16, start + x)); }
            case F16 -> { for (int x = 0; x < d; x++) dst[at + x] = Half.f16ToFloat(seg.getAtIndex(HostAccess.I16, start + x)); }
            default -> throw new IllegalArgumentException("KV blocks of " + stored + ": f32, bf16 or f16 expected");
        }
    }

    /**
     * One block of {@code rows} rows of d floats at element {@code off} of seg → dst [BQ, dp] and its transpose
     * times {@code scaleT} dstT [d, BQ], zero beyond the rows and columns given ({@code row}: d floats of scratch).
     */
    static void block(MemorySegment seg, long off, int rows, int d, int dp, float[] dst, float[] dstT, float scaleT, float[] row) {
        if (rows < BQ || d < dp) Arrays.fill(dst, 0);
        if (rows < BQ) Arrays.fill(dstT, 0);
        for (int i = 0; i < rows; i++) {
            MemorySegment.copy(seg, HostAccess.F32, (off + (long) i * d) * 4, row, 0, d);
            System.arraycopy(row, 0, dst, i * dp, d);
            for (int x = 0; x < d; x++) dstT[x * BQ + i] = row[x] * scaleT;
        }
    }

    /** Rows [0, n) of a [.., dp] heap block from row {@code from} → n rows of d floats at element {@code off} of seg. */
    static void writeRows(float[] src, int from, int n, int d, int dp, MemorySegment seg, long off) {
        if (d == dp) MemorySegment.copy(src, from * dp, seg, HostAccess.F32, off * 4, n * d);
        else for (int i = 0; i < n; i++) MemorySegment.copy(src, (from + i) * dp, seg, HostAccess.F32, (off + (long) i * d) * 4, d);
    }
}
