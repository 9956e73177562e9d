package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.VecMath;
import io.jswift.tensor.spi.AttentionRules;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.PagedKv;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static io.jswift.backend.cpu.fused.AttentionBlocks.BK;
import static io.jswift.backend.cpu.fused.AttentionBlocks.BQ;
import static io.jswift.backend.cpu.fused.TileGemm.S;
import static io.jswift.backend.cpu.fused.TileGemm.V;

/**
 * Grouped-query scaled-dot-product attention in f32, tiled as FlashAttention-2 (Dao 2023) on the CPU:
 * a block of BQ queries against blocks of BK keys, each score tile a small register-blocked product
 * (TileGemm), an online softmax per query (running max m and sum l, the output rescaled when m grows) and
 * P·V as a second product; key blocks past the causal bound are never touched, tiles the bound cuts through
 * are computed in bands, and only tiles exist, never a [T, S] matrix. The forward saves the log-sum-exp
 * m + log l (-inf, with output 0, for rows that see no key), as FusedReference does; GPT-OSS's sinks then rescale each
 * row and join its log-sum-exp ({@link AttentionSinks}), and the backward needs nothing more (it reads that lse).
 * The backward recomputes P = exp(S - lse) per tile, D_i = dO_i·O_i, dS = P ∘ (dP - D)·scale, and
 * accumulates dV += Pᵀ·dO, dK += dSᵀ·Q (summed over the GQA group) and dQ += dS·K as tile products.
 * Work splits over (batch, head, query block) forward and over (batch, kv head[, slice of query blocks])
 * backward, so no two threads write the same rows.
 * Dims: B batch, Hq/Hkv heads, T queries, S keys, D head dim of queries and keys, Dv of values and outputs (Dv ≠ D:
 * DeepSeek's latent attention; the score products run over D, the value and output products over Dv).
 */
public final class AttentionKernels {
    /** Rows per band when a tile on the causal diagonal is computed piecewise. */
    private static final int BAND = 2 * TileGemm.MR;
    /** Heap the backward may spend on per-slice dK/dV partials. */
    private static final long PARTIALS_BYTES = 256L << 20;

    private AttentionKernels() {}

    public static FusedResults.Attention forward(Tensor qIn, Tensor kIn, Tensor vIn, AttentionSpec spec) {
        AttentionRules.check(qIn, kIn, vIn, spec);
        noSoftcap(spec);
        Tensor q = Contig.of(qIn);
        if (q.size(2) == 1 && !spec.hasSegments() && q.numel() > 0) return AttentionSinks.apply(decode(q, kIn, vIn, spec), spec);
        return AttentionSinks.apply(tiled(q, kIn, vIn, spec), spec);
    }

    /** The tiled forward (any number of queries), without sinks. */
    private static FusedResults.Attention tiled(Tensor q, Tensor kIn, Tensor vIn, AttentionSpec spec) {
        Tensor k = Contig.headRows(kIn), v = Contig.headRows(vIn);
        AttentionBlocks g = new AttentionBlocks(q, k, v, spec);
        int d = g.d;
        Tensor out = Tensor.zeros(DType.F32, g.b, g.hq, g.t, g.dv), lse = Tensor.zeros(DType.F32, g.b, g.hq, g.t);
        if (lse.numel() == 0) return new FusedResults.Attention(out, lse);
        float[][] kt = new float[g.b * g.hkv][], vp = new float[g.b * g.hkv][];
        Parallel.range(g.b * g.hkv, 1, (from, to) -> {
            for (int kv = from; kv < to; kv++) {
                int batch = kv / g.hkv, head = kv % g.hkv;
                kt[kv] = AttentionBlocks.transposedBlocks(k.hostSegment(), Contig.headOffset(k, batch, head), g.s, d, g.sp, BK);
                vp[kv] = AttentionBlocks.rows(v.hostSegment(), Contig.headOffset(v, batch, head), g.s, g.dv, g.sp, g.dvp);
            }
        });
        tiles(q, g, kt, vp, out, lse);
        return new FusedResults.Attention(out, lse);
    }

    /**
     * The tiled forward over packed keys and values: kt / vp [B·Hkv] hold each kv head's keys as block transposes and
     * its values as padded rows; q [B, Hq, T, D] contiguous; writes out [B, Hq, T, Dv] and lse [B, Hq, T] (contiguous
     * views, possibly at an offset). Soft-capping ({@link AttentionBlocks#softcap}) is applied to the scaled scores.
     */
    private static void tiles(Tensor q, AttentionBlocks g, float[][] kt, float[][] vp, Tensor out, Tensor lse) {
        int d = g.d, dv = g.dv, dvp = g.dvp;
        MemorySegment qs = q.hostSegment(), os = out.hostSegment(), ls = lse.hostSegment();
        long qo = q.offset(), oo = out.offset(), lo = lse.offset();
        int heads = g.b * g.hq;
        // Later query blocks see more keys: hand them out first so the cores finish together.
        dynamic(heads * g.qBlocks, () -> new ForwardScratch(d, dvp), (task, w) -> {
            int qb = g.qBlocks - 1 - task / heads, bh = task % heads;
            int batch = bh / g.hq, kv = batch * g.hkv + (bh % g.hq) / g.group;
            int q0 = qb * BQ, rows = Math.min(BQ, g.t - q0), m = AttentionBlocks.roundTo(rows, TileGemm.MR);
            if (rows < BQ) Arrays.fill(w.qT, 0);
            for (int r = 0; r < rows; r++) { // scale·Qᵀ: the block's queries along each row, the lanes of the score tile
                MemorySegment.copy(qs, HostAccess.F32, (qo + ((long) bh * g.t + q0 + r) * d) * 4, w.row, 0, d);
                for (int x = 0; x < d; x++) w.qT[x * BQ + r] = w.row[x] * g.scale;
            }
            Arrays.fill(w.o, 0);
            Arrays.fill(w.max, Float.NEGATIVE_INFINITY);
            Arrays.fill(w.sum, 0);
            for (int kb = g.firstKeyBlockFor(qb), blocks = g.keyBlocksFor(qb); kb < blocks; kb++) {
                int k0 = kb * BK, keys = Math.min(BK, g.s - k0);
                if (g.masksEach() && !g.visibleKeys(batch, q0, k0, w.visible)) continue;
                int mk = AttentionBlocks.roundTo(keys, TileGemm.MR);
                boolean diagonal = g.diagonal(q0, k0);
                // Sᵀ = K·Qᵀ; on the causal diagonal, per band of keys only the queries that see one of them
                for (int j = 0; j < mk; j += BAND) {
                    int band = diagonal ? Math.min(BAND, mk - j) : mk;
                    int c0 = diagonal ? Math.clamp(k0 + j - g.offset - q0, 0, BQ) / V * V : 0;
                    if (c0 < BQ) TileGemm.mul(band, BQ - c0, d, kt[kv], kb * d * BK + j, 1, BK, w.qT, c0, BQ, w.p, j * BQ + c0, BQ, false);
                    if (!diagonal) break;
                }
                for (int c = 0; c < BQ; c += V) onlineSoftmax(g, batch, q0, k0, keys, c, w);
                for (int r = 0; r < m; r++) if (w.alpha[r] != 1) scaleRow(w.o, r * dvp, dvp, w.alpha[r]);
                // O += P·V; on the diagonal, per band of queries only the keys they see
                for (int i = 0; i < m; i += BAND) {
                    int band = diagonal ? Math.min(BAND, m - i) : m;
                    int kEnd = diagonal ? Math.min(keys, g.keyEnd(q0 + i, q0 + i + band - 1) - k0) : keys;
                    if (kEnd > 0) TileGemm.mul(band, dvp, kEnd, w.p, i, 1, BQ, vp[kv], k0 * dvp, dvp, w.o, i * dvp, dvp, true);
                    if (!diagonal) break;
                }
            }
            for (int r = 0; r < rows; r++) {
                long row = (long) bh * g.t + q0 + r;
                if (w.sum[r] == 0) { // no visible key: output 0, lse -inf
                    Arrays.fill(w.o, r * dvp, (r + 1) * dvp, 0);
                    Vec.set(ls, lo + row, Float.NEGATIVE_INFINITY);
                    continue;
                }
                scaleRow(w.o, r * dvp, dvp, 1 / w.sum[r]);
                Vec.set(ls, lo + row, (float) (Math.log(w.sum[r]) + w.max[r]));
            }
            AttentionBlocks.writeRows(w.o, 0, rows, dv, dvp, os, oo + ((long) bh * g.t + q0) * dv);
        });
    }

    /**
     * Paged attention (see Backend#pagedAttention) read in place from the blocks through each row's block table; null
     * when this kernel does not cover the call (sinks, blocks other than f32, bf16 or f16, keys and values of two dtypes, or
     * blocks whose rows are not contiguous per head), which the caller answers with the reference composition. bf16
     * and f16 blocks (vLLM's kv_cache_dtype "auto" for a bf16 or f16 model) are widened to f32 as they are read, and a bf16
     * or f16 q is widened first; the result has q's dtype, as the reference's. One query per row (decode) takes the decode loops; a prefill
     * chunk (T > 1: causal within the chunk, after the row's earlier positions) takes the tiled kernel with its key and
     * value panels packed straight from the blocks, row by row. Both give the floats of attention over the gathered
     * copy (the same loops over the same values); soft-capped scores (Gemma 2), which the gathered path leaves to the
     * reference composition, are capped in the kernels' own score loops (forward only: serving has no backward).
     */
    public static Tensor paged(Tensor q, PagedKv kv, AttentionSpec spec) {
        kv.check(q, spec);
        Tensor keys = kv.keyBlocks(), values = kv.valueBlocks();
        if (spec.hasSinks() || !pagedDtypes(q, keys, values) || Contig.headRows(keys) != keys || Contig.headRows(values) != values) return null;
        Tensor q32 = Contig.of(q.dtype() == DType.F32 ? q : q.to(DType.F32));
        Tensor out = q.size(2) == 1 ? DecodeAttention.forwardPaged(q32, kv, spec.window(), (float) spec.scale(), (float) spec.softcap())
                : pagedChunks(q32, kv, spec);
        return out.dtype() == q.dtype() ? out : out.to(q.dtype());
    }

    /** Blocks both f32, both bf16 or both f16 (what the loops read in place); q any floating type of up to 32 bits (widened once). */
    private static boolean pagedDtypes(Tensor q, Tensor keys, Tensor values) {
        DType kv = keys.dtype();
        return (kv == DType.F32 || kv == DType.BF16 || kv == DType.F16) && values.dtype() == kv
                && (q.dtype() == DType.F32 || q.dtype() == DType.BF16 || q.dtype() == DType.F16);
    }

    /**
     * T > 1 queries per row, the row's last T positions: per row, its kv heads' keys and values packed from the blocks
     * (the panels the tiled forward packs from a contiguous cache anyway, so paging costs no extra copy), then the tiles.
     */
    private static Tensor pagedChunks(Tensor q, PagedKv kv, AttentionSpec spec) {
        int rows = kv.rows(), hq = q.size(1), t = q.size(2), d = q.size(3), dv = kv.valueHeadDim(), hkv = kv.kvHeads(), bs = kv.blockSize();
        Tensor keys = kv.keyBlocks(), values = kv.valueBlocks();
        DType stored = keys.dtype();
        Tensor out = Tensor.zeros(DType.F32, rows, hq, t, dv), lse = Tensor.zeros(DType.F32, rows, hq, t);
        if (out.numel() == 0) return out;
        for (int r = 0; r < rows; r++) {
            int len = kv.contextLens()[r];
            int[] table = kv.blockTables()[r];
            AttentionBlocks g = new AttentionBlocks(1, hq, hkv, t, len, d, dv, spec);
            float[][] kt = new float[hkv][], vp = new float[hkv][];
            Parallel.range(hkv, 1, (from, to) -> {
                for (int h = from; h < to; h++) {
                    kt[h] = AttentionBlocks.transposedBlocks(keys.hostSegment(), HeadRows.paged(keys, table, h, bs, 0).rows(len), d, g.sp, BK, stored);
                    vp[h] = AttentionBlocks.rows(values.hostSegment(), HeadRows.paged(values, table, h, bs, 0).rows(len), dv, g.sp, g.dvp, stored);
                }
            });
            tiles(q.narrow(0, r, 1), g, kt, vp, out.narrow(0, r, 1), lse.narrow(0, r, 1));
        }
        return out;
    }

    /** One query, the last position: it sees every key, or with a window exactly the last W of them. */
    private static FusedResults.Attention decode(Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        int s = k.size(2), keep = spec.hasWindow() ? Math.min(s, spec.window()) : s;
        return DecodeAttention.forward(q, Contig.headRows(k.narrow(2, s - keep, keep)), Contig.headRows(v.narrow(2, s - keep, keep)),
                (float) spec.scale());
    }

    /** Per-thread tiles of the forward: Qᵀ [D, BQ], the score tile Sᵀ/Pᵀ [BK, BQ], O [BQ, Dvp] and row statistics. */
    private static final class ForwardScratch {
        final float[] qT, o, row, p = new float[BK * BQ], max = new float[BQ], sum = new float[BQ], alpha = new float[BQ];
        final int[] visible = new int[BQ];

        ForwardScratch(int d, int dvp) {
            qT = new float[d * BQ];
            o = new float[BQ * dvp];
            row = new float[d];
        }
    }

    /**
     * Queries c .. c+V of the transposed score tile (one per lane, keys k0 .. down the rows) become probabilities
     * against their running max m: masked keys get -inf; the running sum l takes the factor
     * alpha = exp(m_old - m_new), which the output rows get before this tile's P·V. A query with no visible key
     * yet keeps m = -inf, l = 0 and a zero column of P.
     */
    private static void onlineSoftmax(AttentionBlocks g, int batch, int q0, int k0, int keys, int c, ForwardScratch w) {
        float[] p = w.p;
        int first = q0 + c, end = keys;                    // lanes are queries first .. first+V-1
        if (g.causal) end = Math.max(0, Math.min(keys, first + V - 1 + g.offset - k0 + 1)); // rows beyond: no lane sees them
        FloatVector query = FloatVector.broadcast(S, (float) first).add(IOTA);
        FloatVector rowMax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        boolean capped = g.softcap > 0;
        for (int j = 0, at = c; j < end; j++, at += BQ) {
            FloatVector x = FloatVector.fromArray(S, p, at);
            if (capped) x = VecMath.tanh(x.div(g.softcap)).mul(g.softcap); // Gemma 2: before masking
            int need = k0 + j - g.offset;                  // causal: a query sees key k0 + j iff query >= need
            if (g.causal && need > first) x = x.blend(Float.NEGATIVE_INFINITY, query.lt((float) need));
            if (capped || g.causal && need > first) x.intoArray(p, at);
            rowMax = rowMax.max(x);
        }
        if (g.masksEach()) {
            rowMax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int j = 0, at = c; j < end; j++, at += BQ) {
                for (int lane = 0; lane < V && first + lane < g.t; lane++) {
                    if (!g.sees(batch, first + lane, k0 + j)) p[at + lane] = Float.NEGATIVE_INFINITY;
                }
                rowMax = rowMax.max(FloatVector.fromArray(S, p, at));
            }
        }
        FloatVector mOld = FloatVector.fromArray(S, w.max, c), mNew = mOld.max(rowMax);
        FloatVector mSafe = mNew.blend(0, mNew.eq(Float.NEGATIVE_INFINITY));   // exp(-inf - 0) = 0, never -inf - -inf
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0, at = c; j < end; j++, at += BQ) {
            FloatVector e = VecMath.exp(FloatVector.fromArray(S, p, at).sub(mSafe));
            e.intoArray(p, at);
            sum = sum.add(e);
        }
        for (int j = end, at = c + end * BQ; j < keys; j++, at += BQ) FloatVector.zero(S).intoArray(p, at);
        FloatVector alpha = VecMath.exp(mOld.sub(mSafe));
        alpha.intoArray(w.alpha, c);
        FloatVector.fromArray(S, w.sum, c).mul(alpha).add(sum).intoArray(w.sum, c);
        mNew.intoArray(w.max, c);
    }

    private static final FloatVector IOTA = iota();

    private static FloatVector iota() {
        float[] lanes = new float[V];
        for (int i = 0; i < V; i++) lanes[i] = i;
        return FloatVector.fromArray(S, lanes, 0);
    }

    public static FusedResults.AttentionGrads backward(Tensor dOutIn, Tensor qIn, Tensor kIn, Tensor vIn, Tensor outIn,
                                                      Tensor lseIn, AttentionSpec spec) {
        AttentionRules.checkBackward(dOutIn, qIn, kIn, vIn, outIn, lseIn, spec);
        noSoftcap(spec);
        Tensor dO = Contig.of(dOutIn), q = Contig.of(qIn), k = Contig.of(kIn), v = Contig.of(vIn), o = Contig.of(outIn), l = Contig.of(lseIn);
        AttentionBlocks g = new AttentionBlocks(q, k, v, spec);
        // A unit is a (batch, kv head) pair and owns its dK/dV; it walks the query blocks of every head of its group,
        // finishing each block's dQ. With fewer than two pairs per core, a pair's query blocks are dealt to `slices`
        // units whose dK/dV partials (at most PARTIALS_BYTES of them) are summed in a fixed order at the end:
        // deterministic for a given core count.
        int kvHeads = g.b * g.hkv, wanted = (2 * Parallel.threads() + kvHeads - 1) / kvHeads;
        long bytesPerSlice = (long) kvHeads * g.sp * (g.dp + g.dvp) * Float.BYTES;
        return backward(dO, q, k, v, o, l, g, (int) Math.min(wanted, Math.max(1, PARTIALS_BYTES / bytesPerSlice)));
    }

    /** The backward with a pair's query blocks dealt to {@code slices} units (tests force several on any machine). */
    static FusedResults.AttentionGrads backward(Tensor dOutIn, Tensor qIn, Tensor kIn, Tensor vIn, Tensor outIn,
                                                Tensor lseIn, AttentionSpec spec, int slicesWanted) {
        AttentionRules.checkBackward(dOutIn, qIn, kIn, vIn, outIn, lseIn, spec);
        Tensor dO = Contig.of(dOutIn), q = Contig.of(qIn), k = Contig.of(kIn), v = Contig.of(vIn), o = Contig.of(outIn), l = Contig.of(lseIn);
        return backward(dO, q, k, v, o, l, new AttentionBlocks(q, k, v, spec), slicesWanted);
    }

    private static FusedResults.AttentionGrads backward(Tensor dO, Tensor q, Tensor k, Tensor v, Tensor o, Tensor l,
                                                        AttentionBlocks g, int slicesWanted) {
        int d = g.d, dp = g.dp, dvh = g.dv, dvp = g.dvp, kvHeads = g.b * g.hkv, slices = Math.clamp(slicesWanted, 1, g.qBlocks);
        Tensor dq = Tensor.zeros(DType.F32, q.shape()), dk = Tensor.zeros(DType.F32, k.shape()), dv = Tensor.zeros(DType.F32, v.shape());
        if (q.numel() == 0 || k.numel() == 0) return new FusedResults.AttentionGrads(dq, dk, dv);
        // Per kv head, padded heap copies: K, and the block transposes of K and V.
        float[][] kp = new float[kvHeads][], kt = new float[kvHeads][], vt = new float[kvHeads][];
        Parallel.range(kvHeads, 1, (from, to) -> {
            for (int kv = from; kv < to; kv++) {
                long base = (long) kv * g.s * d;
                kp[kv] = AttentionBlocks.rows(k.hostSegment(), k.offset() + base, g.s, d, g.sp, dp);
                kt[kv] = AttentionBlocks.transposedBlocks(k.hostSegment(), k.offset() + base, g.s, d, g.sp, BK);
                vt[kv] = AttentionBlocks.transposedBlocks(v.hostSegment(), v.offset() + (long) kv * g.s * dvh, g.s, dvh, g.sp, BK);
            }
        });
        int[] sliceOf = dealQueryBlocks(g.qBlocks, slices);
        float[][] dkParts = new float[kvHeads * slices][], dvParts = new float[kvHeads * slices][];
        MemorySegment qs = q.hostSegment(), dos = dO.hostSegment(), os = o.hostSegment(), ls = l.hostSegment(), dqs = dq.hostSegment();
        dynamic(kvHeads * slices, () -> new BackwardScratch(d, dp, dvh, dvp), (unit, w) -> {
            int kv = unit / slices, slice = unit % slices, batch = kv / g.hkv;
            float[] dkAcc = new float[g.sp * dp], dvAcc = new float[g.sp * dvp];
            for (int bh = batch * g.hq + (kv % g.hkv) * g.group, last = bh + g.group; bh < last; bh++) {
                for (int qb = 0; qb < g.qBlocks; qb++) {
                    if (sliceOf[qb] != slice) continue;
                    int q0 = qb * BQ, rows = Math.min(BQ, g.t - q0), m = AttentionBlocks.roundTo(rows, TileGemm.MR);
                    long at = ((long) bh * g.t + q0) * d, atv = ((long) bh * g.t + q0) * dvh; // rows of q / dq and of out / dOut
                    AttentionBlocks.block(qs, q.offset() + at, rows, d, dp, w.q, w.qT, g.scale, w.row);  // scale·Qᵀ as in the forward
                    AttentionBlocks.block(dos, dO.offset() + atv, rows, dvh, dvp, w.dO, w.dOT, 1, w.row);
                    Arrays.fill(w.lse, Float.NEGATIVE_INFINITY);
                    for (int r = 0; r < rows; r++) {
                        w.lse[r] = Vec.get(ls, l.offset() + (long) bh * g.t + q0 + r);
                        w.delta[r] = Vec.dot(dos, dO.offset() + atv + (long) r * dvh, os, o.offset() + atv + (long) r * dvh, dvh); // D = dO·O
                    }
                    Arrays.fill(w.dq, 0);
                    for (int kb = g.firstKeyBlockFor(qb), blocks = g.keyBlocksFor(qb); kb < blocks; kb++) {
                        int k0 = kb * BK;
                        if (!g.visibleKeys(batch, q0, k0, w.visible)) continue;
                        // On the causal diagonal each product runs per band of 16 rows over the part of the tile
                        // that band can see; the rest of the P and dS tiles is masked to 0 before it is read.
                        boolean diagonal = g.diagonal(q0, k0);
                        for (int i = 0; i < m; i += BAND) {                                                   // S = Q·Kᵀ, dP = dO·Vᵀ
                            int band = diagonal ? Math.min(BAND, m - i) : m;
                            int n = diagonal ? Math.min(BK, AttentionBlocks.roundTo(g.keyEnd(q0 + i, q0 + i + band - 1) - k0, V)) : BK;
                            TileGemm.mul(band, n, d, w.qT, i, 1, BQ, kt[kv], kb * d * BK, BK, w.p, i * BK, BK, false);
                            TileGemm.mul(band, n, dvh, w.dOT, i, 1, BQ, vt[kv], kb * dvh * BK, BK, w.ds, i * BK, BK, false);
                            if (!diagonal) break;
                        }
                        for (int r = 0; r < m; r++) probabilitiesAndScoreGrads(g, batch, q0 + r, k0, w, r);
                        for (int j = 0; j < BK; j += BAND) {                                                  // dV += Pᵀ·dO, dK += dSᵀ·Q
                            int band = diagonal ? BAND : BK;
                            int i0 = diagonal ? Math.clamp(k0 + j - g.offset - q0, 0, m) : 0;  // queries before i0 see none of these keys
                            if (i0 == m) break;
                            TileGemm.mul(band, dvp, m - i0, w.p, j + i0 * BK, 1, BK, w.dO, i0 * dvp, dvp, dvAcc, (k0 + j) * dvp, dvp, true);
                            TileGemm.mul(band, dp, m - i0, w.ds, j + i0 * BK, 1, BK, w.q, i0 * dp, dp, dkAcc, (k0 + j) * dp, dp, true);
                            if (!diagonal) break;
                        }
                        for (int i = 0; i < m; i += BAND) {                                                   // dQ += dS·K
                            int band = diagonal ? Math.min(BAND, m - i) : m;
                            int kEnd = diagonal ? Math.min(BK, g.keyEnd(q0 + i, q0 + i + band - 1) - k0) : BK;
                            if (kEnd > 0) TileGemm.mul(band, dp, kEnd, w.ds, i * BK, BK, 1, kp[kv], k0 * dp, dp, w.dq, i * dp, dp, true);
                            if (!diagonal) break;
                        }
                    }
                    AttentionBlocks.writeRows(w.dq, 0, rows, d, dp, dqs, dq.offset() + at);
                }
            }
            if (slices == 1) {
                AttentionBlocks.writeRows(dkAcc, 0, g.s, d, dp, dk.hostSegment(), dk.offset() + (long) kv * g.s * d);
                AttentionBlocks.writeRows(dvAcc, 0, g.s, dvh, dvp, dv.hostSegment(), dv.offset() + (long) kv * g.s * dvh);
            } else {
                dkParts[unit] = dkAcc;
                dvParts[unit] = dvAcc;
            }
        });
        if (slices > 1) {
            Parallel.range(kvHeads, 1, (from, to) -> {
                for (int kv = from; kv < to; kv++) {
                    float[] dkSum = dkParts[kv * slices], dvSum = dvParts[kv * slices];
                    for (int sl = 1; sl < slices; sl++) {
                        float[] pk = dkParts[kv * slices + sl], pv = dvParts[kv * slices + sl];
                        for (int x = 0; x < dkSum.length; x++) dkSum[x] += pk[x];
                        for (int x = 0; x < dvSum.length; x++) dvSum[x] += pv[x];
                    }
                    AttentionBlocks.writeRows(dkSum, 0, g.s, d, dp, dk.hostSegment(), dk.offset() + (long) kv * g.s * d);
                    AttentionBlocks.writeRows(dvSum, 0, g.s, dvh, dvp, dv.hostSegment(), dv.offset() + (long) kv * g.s * dvh);
                }
            });
        }
        return new FusedResults.AttentionGrads(dq, dk, dv);
    }

    /**
     * Which slice takes each query block: blocks in decreasing causal cost (later blocks see more keys) dealt
     * in snake order 0, 1, .., n-1, n-1, .., 0, so the slices' loads stay within one block of each other.
     */
    private static int[] dealQueryBlocks(int blocks, int slices) {
        int[] slice = new int[blocks];
        for (int i = 0; i < blocks; i++) {
            int round = i / slices, pos = i % slices;
            slice[blocks - 1 - i] = round % 2 == 0 ? pos : slices - 1 - pos;
        }
        return slice;
    }

    /** Per-thread tiles of the backward: one query block (Q, dO, their transposes, lse, D, dQ) and a P, dP/dS tile. */
    private static final class BackwardScratch {
        final float[] q, qT, dO, dOT, dq, row, p = new float[BQ * BK], ds = new float[BQ * BK];
        final float[] lse = new float[BQ], delta = new float[BQ];
        final int[] visible = new int[BQ];

        BackwardScratch(int d, int dp, int dv, int dvp) {
            q = new float[BQ * dp];
            dO = new float[BQ * dvp];
            dq = new float[BQ * dp];
            qT = new float[d * BQ];
            dOT = new float[dv * BQ];
            row = new float[Math.max(d, dv)];
        }
    }

    /**
     * Row r of the tile (query i, keys k0 ..): w.p holds scaled scores s and becomes P = exp(s - lse) (0 where
     * masked, and on rows with lse = -inf that see no key); w.ds holds dP and becomes dS = P ∘ (dP - D)·scale.
     */
    private static void probabilitiesAndScoreGrads(AttentionBlocks g, int batch, int i, int k0, BackwardScratch w, int r) {
        float[] p = w.p, ds = w.ds;
        float lse = w.lse[r], delta = w.delta[r];
        int base = r * BK, n = lse == Float.NEGATIVE_INFINITY ? 0 : w.visible[r];
        for (int j = 0; j < BK; j += V) {
            VectorMask<Float> visible = S.indexInRange(j, n);
            FloatVector pj = VecMath.exp(FloatVector.fromArray(S, p, base + j).sub(lse));
            pj = FloatVector.zero(S).blend(pj, visible);
            pj.intoArray(p, base + j);
            FloatVector dsj = FloatVector.fromArray(S, ds, base + j).sub(delta).mul(pj).mul(g.scale);
            FloatVector.zero(S).blend(dsj, visible).intoArray(ds, base + j); // masked lanes may hold stale values
        }
        if (g.masksEach()) {
            for (int j = 0; j < n; j++) {
                if (!g.sees(batch, i, k0 + j)) {
                    p[base + j] = 0;
                    ds[base + j] = 0;
                }
            }
        }
    }

    private static void scaleRow(float[] x, int from, int n, float factor) {
        for (int j = from; j < from + n; j += V) FloatVector.fromArray(S, x, j).mul(factor).intoArray(x, j);
    }

    /** A per-thread context for {@link #dynamic}. */
    private interface TaskBody<W> {
        void run(int task, W scratch);
    }

    /**
     * Runs tasks [0, n) on all cores, each core taking the next task when it is done (causal tasks differ in
     * cost, so the static chunks of Parallel.range would leave cores idle); each core makes one scratch.
     */
    private static <W> void dynamic(int n, Supplier<W> scratch, TaskBody<W> body) {
        AtomicInteger next = new AtomicInteger();
        Parallel.range(Math.min(n, Parallel.threads()), 1, (from, to) -> {
            W w = scratch.get();
            for (int task; (task = next.getAndIncrement()) < n; ) body.run(task, w);
        });
    }

    /** Soft-capped scores (Gemma 2) take the reference composition (CpuBackend routes them there). */
    private static void noSoftcap(AttentionSpec spec) {
        if (spec.hasSoftcap()) throw new IllegalArgumentException("the fused attention kernels have no soft-capping: use FusedReference.attention");
    }
}
