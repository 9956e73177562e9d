package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedResults;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

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
 * (TileGemm), an online softmax per query row (running max m and sum l, the output rescaled when m grows)
 * and P·V as a second product; key blocks beyond the causal bound are never touched, and only [T, BK]-sized
 * tiles exist, never a [T, S] matrix. The forward saves the log-sum-exp m + log l (-inf, with output 0, for
 * rows that see no key). The backward recomputes P = exp(S - lse) per tile, D_i = dO_i·O_i,
 * dS = P ∘ (dP - D)·scale, and accumulates dV += Pᵀ·dO, dK += dSᵀ·Q (summed over the GQA group) and
 * dQ += dS·K as tile products. Work splits over (batch, head, query block) forward and over
 * (batch, kv head, key blocks) backward, so no two threads write the same rows.
 * Dims: B batch, Hq/Hkv heads, T queries, S keys, D head dim.
 */
public final class AttentionKernels {
    private AttentionKernels() {}

    public static FusedResults.Attention forward(Tensor qIn, Tensor kIn, Tensor vIn, AttentionSpec spec) {
        checkShapes(qIn, kIn, vIn);
        Tensor q = Contig.of(qIn), k = Contig.of(kIn), v = Contig.of(vIn);
        AttentionBlocks g = new AttentionBlocks(q, k, spec);
        int d = g.d, dp = g.dp;
        Tensor out = Tensor.zeros(DType.F32, g.b, g.hq, g.t, d), lse = Tensor.zeros(DType.F32, g.b, g.hq, g.t);
        if (lse.numel() == 0) return new FusedResults.Attention(out, lse);
        MemorySegment qs = q.hostSegment(), os = out.hostSegment(), ls = lse.hostSegment();
        long qo = q.offset();
        float[][] kt = new float[g.b * g.hkv][], vp = new float[g.b * g.hkv][];
        Parallel.range(g.b * g.hkv, 1, (from, to) -> {
            for (int kv = from; kv < to; kv++) {
                long base = (long) kv * g.s * d;
                kt[kv] = AttentionBlocks.transposedBlocks(k.hostSegment(), k.offset() + base, g.s, d, g.sp, BK);
                vp[kv] = AttentionBlocks.rows(v.hostSegment(), v.offset() + base, g.s, d, g.sp, dp);
            }
        });
        int heads = g.b * g.hq;
        // Later query blocks see more keys: hand them out first so the cores finish together.
        dynamic(heads * g.qBlocks, () -> new ForwardScratch(d, dp), (task, w) -> {
            int qb = g.qBlocks - 1 - task / heads, bh = task % heads;
            int batch = bh / g.hq, kv = batch * g.hkv + (bh % g.hq) / g.group;
            int q0 = qb * BQ, rows = Math.min(BQ, g.t - q0), m = AttentionBlocks.roundTo(rows, TileGemm.MR);
            if (rows < BQ) Arrays.fill(w.qT, 0);
            for (int r = 0; r < rows; r++) { // Qᵀ: the block's queries along each row, the lanes of the score tile
                MemorySegment.copy(qs, HostAccess.F32, (qo + ((long) bh * g.t + q0 + r) * d) * 4, w.row, 0, d);
                for (int x = 0; x < d; x++) w.qT[x * BQ + r] = w.row[x];
            }
            Arrays.fill(w.o, 0);
            Arrays.fill(w.max, Float.NEGATIVE_INFINITY);
            Arrays.fill(w.sum, 0);
            for (int kb = 0, n = g.keyBlocksFor(qb); kb < n; kb++) {
                int k0 = kb * BK, keys = Math.min(BK, g.s - k0);
                if (g.hasSegments() && !g.visibleKeys(batch, q0, k0, w.visible)) continue;
                TileGemm.mul(AttentionBlocks.roundTo(keys, TileGemm.MR), BQ, d, kt[kv], kb * d * BK, 1, BK, w.qT, 0, BQ,
                        w.p, 0, BQ, false);                                                                // Sᵀ = K·Qᵀ
                for (int c = 0; c < BQ; c += V) onlineSoftmax(g, batch, q0, k0, keys, c, w);
                for (int r = 0; r < m; r++) if (w.alpha[r] != 1) scaleRow(w.o, r * dp, dp, w.alpha[r]);
                TileGemm.mul(m, dp, keys, w.p, 0, 1, BQ, vp[kv], k0 * dp, dp, w.o, 0, dp, true);     // O += P·V
            }
            for (int r = 0; r < rows; r++) {
                long row = (long) bh * g.t + q0 + r;
                if (w.sum[r] == 0) { // no visible key: output 0, lse -inf
                    Arrays.fill(w.o, r * dp, (r + 1) * dp, 0);
                    Vec.set(ls, row, Float.NEGATIVE_INFINITY);
                    continue;
                }
                scaleRow(w.o, r * dp, dp, 1 / w.sum[r]);
                Vec.set(ls, row, (float) (Math.log(w.sum[r]) + w.max[r]));
            }
            AttentionBlocks.writeRows(w.o, 0, rows, d, dp, os, ((long) bh * g.t + q0) * d);
        });
        return new FusedResults.Attention(out, lse);
    }

    /** Per-thread tiles of the forward: Qᵀ [D, BQ], the score tile Sᵀ/Pᵀ [BK, BQ], O [BQ, Dp] and row statistics. */
    private static final class ForwardScratch {
        final float[] qT, o, row, p = new float[BK * BQ], max = new float[BQ], sum = new float[BQ], alpha = new float[BQ];
        final int[] visible = new int[BQ];

        ForwardScratch(int d, int dp) {
            qT = new float[d * BQ];
            o = new float[BQ * dp];
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
        for (int j = 0, at = c; j < end; j++, at += BQ) {
            FloatVector x = FloatVector.fromArray(S, p, at).mul(g.scale);
            int need = k0 + j - g.offset;                  // causal: a query sees key k0 + j iff query >= need
            if (g.causal && need > first) x = x.blend(Float.NEGATIVE_INFINITY, query.lt((float) need));
            x.intoArray(p, at);
            rowMax = rowMax.max(x);
        }
        if (g.hasSegments()) {
            rowMax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int j = 0, at = c; j < end; j++, at += BQ) {
                for (int lane = 0; lane < V && first + lane < g.t; lane++) {
                    if (!g.sameSegment(batch, first + lane, k0 + j)) p[at + lane] = Float.NEGATIVE_INFINITY;
                }
                rowMax = rowMax.max(FloatVector.fromArray(S, p, at));
            }
        }
        FloatVector mOld = FloatVector.fromArray(S, w.max, c), mNew = mOld.max(rowMax);
        FloatVector mSafe = mNew.blend(0, mNew.eq(Float.NEGATIVE_INFINITY));   // exp(-inf - 0) = 0, never -inf - -inf
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0, at = c; j < end; j++, at += BQ) {
            FloatVector e = FloatVector.fromArray(S, p, at).sub(mSafe).lanewise(VectorOperators.EXP);
            e.intoArray(p, at);
            sum = sum.add(e);
        }
        for (int j = end, at = c + end * BQ; j < keys; j++, at += BQ) FloatVector.zero(S).intoArray(p, at);
        FloatVector alpha = mOld.sub(mSafe).lanewise(VectorOperators.EXP);
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
        checkShapes(qIn, kIn, vIn);
        Tensor dO = Contig.of(dOutIn), q = Contig.of(qIn), k = Contig.of(kIn), v = Contig.of(vIn), o = Contig.of(outIn), l = Contig.of(lseIn);
        AttentionBlocks g = new AttentionBlocks(q, k, spec);
        int d = g.d, dp = g.dp, heads = g.b * g.hq, kvHeads = g.b * g.hkv;
        Tensor dq = Tensor.zeros(DType.F32, q.shape()), dk = Tensor.zeros(DType.F32, k.shape()), dv = Tensor.zeros(DType.F32, v.shape());
        if (q.numel() == 0 && k.numel() == 0) return new FusedResults.AttentionGrads(dq, dk, dv);
        // Heap copies, padded: per query head Q, dO and their block transposes, lse (-inf on padding rows) and
        // D = rowsum(dO ∘ O); per kv head K and the block transposes of K and V.
        float[][] qp = new float[heads][], dop = new float[heads][], lse = new float[heads][], delta = new float[heads][];
        float[][] qt = new float[heads][], dot = new float[heads][];
        float[][] kp = new float[kvHeads][], kt = new float[kvHeads][], vt = new float[kvHeads][];
        Parallel.range(heads + kvHeads, 1, (from, to) -> {
            for (int u = from; u < to; u++) {
                if (u < heads) {
                    long base = (long) u * g.t * d;
                    qp[u] = AttentionBlocks.rows(q.hostSegment(), q.offset() + base, g.t, d, g.tp, dp);
                    dop[u] = AttentionBlocks.rows(dO.hostSegment(), dO.offset() + base, g.t, d, g.tp, dp);
                    qt[u] = AttentionBlocks.transposedBlocks(q.hostSegment(), q.offset() + base, g.t, d, g.tp, BQ);
                    dot[u] = AttentionBlocks.transposedBlocks(dO.hostSegment(), dO.offset() + base, g.t, d, g.tp, BQ);
                    lse[u] = new float[g.tp];
                    delta[u] = new float[g.tp];
                    Arrays.fill(lse[u], Float.NEGATIVE_INFINITY);
                    for (int i = 0; i < g.t; i++) {
                        lse[u][i] = Vec.get(l.hostSegment(), l.offset() + (long) u * g.t + i);
                        delta[u][i] = Vec.dot(dO.hostSegment(), dO.offset() + base + (long) i * d, o.hostSegment(), o.offset() + base + (long) i * d, d);
                    }
                } else {
                    int kv = u - heads;
                    long base = (long) kv * g.s * d;
                    kp[kv] = AttentionBlocks.rows(k.hostSegment(), k.offset() + base, g.s, d, g.sp, dp);
                    kt[kv] = AttentionBlocks.transposedBlocks(k.hostSegment(), k.offset() + base, g.s, d, g.sp, BK);
                    vt[kv] = AttentionBlocks.transposedBlocks(v.hostSegment(), v.offset() + base, g.s, d, g.sp, BK);
                }
            }
        });
        // Each unit owns the dK/dV rows of its key blocks and writes dQ into its own slice dqParts[slice]: with
        // fewer (batch, kv head) pairs than cores, the key blocks of a pair are dealt round-robin to `slices`
        // units whose dQ slices are summed in a fixed order at the end.
        int slices = kvHeads >= 2 * Parallel.threads() || kvHeads % Parallel.threads() == 0 ? 1
                : Math.min(g.kBlocks, (2 * Parallel.threads() + kvHeads - 1) / kvHeads);
        float[][][] dqParts = new float[slices][heads][];
        MemorySegment dks = dk.hostSegment(), dvs = dv.hostSegment();
        dynamic(kvHeads * slices, () -> new BackwardScratch(dp), (unit, w) -> {
            int kv = unit / slices, slice = unit % slices, batch = kv / g.hkv;
            for (int kb = slice; kb < g.kBlocks; kb += slices) {
                int k0 = kb * BK;
                Arrays.fill(w.dk, 0);
                Arrays.fill(w.dv, 0);
                for (int bh = batch * g.hq + (kv % g.hkv) * g.group, last = bh + g.group; bh < last; bh++) {
                    if (dqParts[slice][bh] == null) dqParts[slice][bh] = new float[g.tp * dp];
                    float[] dqh = dqParts[slice][bh];
                    for (int qb = g.firstQueryBlock(kb); qb < g.qBlocks; qb++) {
                        int q0 = qb * BQ;
                        if (!g.visibleKeys(batch, q0, k0, w.visible)) continue;
                        TileGemm.mul(BQ, BK, d, qt[bh], qb * d * BQ, 1, BQ, kt[kv], kb * d * BK, BK, w.p, 0, BK, false);   // S = Q·Kᵀ
                        TileGemm.mul(BQ, BK, d, dot[bh], qb * d * BQ, 1, BQ, vt[kv], kb * d * BK, BK, w.ds, 0, BK, false); // dP = dO·Vᵀ
                        for (int r = 0; r < BQ; r++) probabilitiesAndScoreGrads(g, batch, q0 + r, k0, lse[bh][q0 + r], delta[bh][q0 + r], w, r);
                        TileGemm.mul(BK, dp, BQ, w.p, 0, 1, BK, dop[bh], q0 * dp, dp, w.dv, 0, dp, true);       // dV += Pᵀ·dO
                        TileGemm.mul(BK, dp, BQ, w.ds, 0, 1, BK, qp[bh], q0 * dp, dp, w.dk, 0, dp, true);       // dK += dSᵀ·Q
                        TileGemm.mul(BQ, dp, BK, w.ds, 0, BK, 1, kp[kv], k0 * dp, dp, dqh, q0 * dp, dp, true);  // dQ += dS·K
                    }
                }
                int rows = Math.min(BK, g.s - k0);
                long at = ((long) kv * g.s + k0) * d;
                AttentionBlocks.writeRows(w.dk, 0, rows, d, dp, dks, dk.offset() + at);
                AttentionBlocks.writeRows(w.dv, 0, rows, d, dp, dvs, dv.offset() + at);
            }
        });
        MemorySegment dqs = dq.hostSegment();
        Parallel.range(heads, 1, (from, to) -> {
            for (int bh = from; bh < to; bh++) {
                float[] total = dqParts[0][bh];
                for (int sl = 1; sl < slices; sl++) {
                    float[] part = dqParts[sl][bh];
                    if (part == null) continue;
                    if (total == null) total = part;
                    else for (int x = 0; x < total.length; x++) total[x] += part[x];
                }
                if (total != null) AttentionBlocks.writeRows(total, 0, g.t, d, dp, dqs, dq.offset() + (long) bh * g.t * d);
            }
        });
        return new FusedResults.AttentionGrads(dq, dk, dv);
    }

    /** Per-thread tiles of the backward: P and dP/dS of one (query block, key block) pair, dK/dV of a key block. */
    private static final class BackwardScratch {
        final float[] p = new float[BQ * BK], ds = new float[BQ * BK], dk, dv;
        final int[] visible = new int[BQ];

        BackwardScratch(int dp) {
            dk = new float[BK * dp];
            dv = new float[BK * dp];
        }
    }

    /**
     * Row r of the tile (query i, keys k0 ..): w.p holds scores and becomes P = exp(s·scale - lse) (0 where
     * masked, and on rows with lse = -inf that see no key); w.ds holds dP and becomes dS = P ∘ (dP - D)·scale.
     */
    private static void probabilitiesAndScoreGrads(AttentionBlocks g, int batch, int i, int k0, float lse, float delta,
                                                   BackwardScratch w, int r) {
        float[] p = w.p, ds = w.ds;
        int base = r * BK, n = lse == Float.NEGATIVE_INFINITY ? 0 : w.visible[r];
        for (int j = 0; j < BK; j += V) {
            VectorMask<Float> visible = S.indexInRange(j, n);
            FloatVector pj = FloatVector.fromArray(S, p, base + j).mul(g.scale).sub(lse).lanewise(VectorOperators.EXP);
            pj = FloatVector.zero(S).blend(pj, visible);
            pj.intoArray(p, base + j);
            FloatVector.fromArray(S, ds, base + j).sub(delta).mul(pj).mul(g.scale).intoArray(ds, base + j);
        }
        if (g.hasSegments()) {
            for (int j = 0; j < n; j++) {
                if (!g.sameSegment(batch, i, k0 + j)) {
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

    /** The shape contract of FusedReference.attention (which the f64 path checks), with both shapes in the message. */
    static void checkShapes(Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4 || k.size(0) != q.size(0) || v.size(0) != q.size(0)
                || k.size(3) != q.size(3) || v.size(3) != q.size(3) || k.size(1) != v.size(1) || k.size(2) != v.size(2)
                || k.size(1) == 0 || q.size(1) % k.size(1) != 0) {
            throw new IllegalArgumentException("attention expects q [B, Hq, T, D] and k, v [B, Hkv, S, D] with Hq a multiple of Hkv; got q "
                    + Arrays.toString(q.shape()) + ", k " + Arrays.toString(k.shape()) + ", v " + Arrays.toString(v.shape()));
        }
    }
}
