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
        if (out.numel() == 0 && lse.numel() == 0) return new FusedResults.Attention(out, lse);
        MemorySegment qs = q.hostSegment(), os = out.hostSegment(), ls = lse.hostSegment();
        long qo = q.offset();
        float[][] kt = new float[g.b * g.hkv][], vp = new float[g.b * g.hkv][];
        Parallel.range(g.b * g.hkv, 1, (from, to) -> {
            for (int kv = from; kv < to; kv++) {
                long base = (long) kv * g.s * d;
                kt[kv] = AttentionBlocks.transposed(k.hostSegment(), k.offset() + base, g.s, d, g.sp);
                vp[kv] = AttentionBlocks.rows(v.hostSegment(), v.offset() + base, g.s, d, g.sp, dp);
            }
        });
        int heads = g.b * g.hq;
        // Later query blocks see more keys: hand them out first so the cores finish together.
        dynamic(heads * g.qBlocks, () -> new ForwardScratch(dp), (task, w) -> {
            int qb = g.qBlocks - 1 - task / heads, bh = task % heads;
            int batch = bh / g.hq, kv = batch * g.hkv + (bh % g.hq) / g.group;
            int q0 = qb * BQ, rows = Math.min(BQ, g.t - q0);
            Arrays.fill(w.q, 0);
            for (int r = 0; r < rows; r++) {
                MemorySegment.copy(qs, HostAccess.F32, (qo + ((long) bh * g.t + q0 + r) * d) * 4, w.q, r * dp, d);
            }
            Arrays.fill(w.o, 0);
            Arrays.fill(w.max, Float.NEGATIVE_INFINITY);
            Arrays.fill(w.sum, 0);
            int m = AttentionBlocks.roundTo(rows, TileGemm.MR);
            for (int kb = 0, n = g.keyBlocksFor(qb); kb < n; kb++) {
                int k0 = kb * BK;
                if (!g.visibleKeys(batch, q0, k0, w.visible)) continue;
                TileGemm.mul(m, BK, d, w.q, 0, dp, 1, kt[kv], k0, g.sp, w.p, 0, BK, false);        // S = Q·Kᵀ
                for (int r = 0; r < m; r++) onlineSoftmax(g, batch, q0 + r, k0, w, r, dp);
                TileGemm.mul(m, dp, BK, w.p, 0, BK, 1, vp[kv], k0 * dp, dp, w.o, 0, dp, true);       // O += P·V
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

    /** Per-thread tiles of the forward. */
    private static final class ForwardScratch {
        final float[] q, o, p = new float[BQ * BK], max = new float[BQ], sum = new float[BQ];
        final int[] visible = new int[BQ];

        ForwardScratch(int dp) {
            q = new float[BQ * dp];
            o = new float[BQ * dp];
        }
    }

    /**
     * Row r of the score tile (query i, keys k0 ..) becomes probabilities against the row's running max:
     * masked keys get -inf, and when the max grows the sum and the output row so far are rescaled by
     * exp(m_old - m_new). A row with no visible key yet keeps m = -inf, l = 0 and a zero P row.
     */
    private static void onlineSoftmax(AttentionBlocks g, int batch, int i, int k0, ForwardScratch w, int r, int dp) {
        float[] p = w.p;
        int base = r * BK, n = w.visible[r];
        FloatVector rowMax = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < BK; j += V) {
            FloatVector x = FloatVector.fromArray(S, p, base + j).mul(g.scale);
            x = x.blend(Float.NEGATIVE_INFINITY, S.indexInRange(j, n).not());
            x.intoArray(p, base + j);
            rowMax = rowMax.max(x);
        }
        float blockMax = rowMax.reduceLanes(VectorOperators.MAX);
        if (g.hasSegments()) {
            blockMax = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                if (!g.sameSegment(batch, i, k0 + j)) p[base + j] = Float.NEGATIVE_INFINITY;
                blockMax = Math.max(blockMax, p[base + j]);
            }
        }
        float mOld = w.max[r], mNew = Math.max(mOld, blockMax);
        if (mNew == Float.NEGATIVE_INFINITY) {
            Arrays.fill(p, base, base + BK, 0);
            return;
        }
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < BK; j += V) {
            FloatVector e = FloatVector.fromArray(S, p, base + j).sub(mNew).lanewise(VectorOperators.EXP);
            e.intoArray(p, base + j);
            sum = sum.add(e);
        }
        float alpha = mOld == Float.NEGATIVE_INFINITY ? 0 : (float) Math.exp(mOld - mNew);
        w.sum[r] = w.sum[r] * alpha + sum.reduceLanes(VectorOperators.ADD);
        w.max[r] = mNew;
        if (alpha != 1) scaleRow(w.o, r * dp, dp, alpha);
    }

    public static FusedResults.AttentionGrads backward(Tensor dOutIn, Tensor qIn, Tensor kIn, Tensor vIn, Tensor outIn,
                                                      Tensor lseIn, AttentionSpec spec) {
        checkShapes(qIn, kIn, vIn);
        Tensor dO = Contig.of(dOutIn), q = Contig.of(qIn), k = Contig.of(kIn), v = Contig.of(vIn), o = Contig.of(outIn), l = Contig.of(lseIn);
        AttentionBlocks g = new AttentionBlocks(q, k, spec);
        int d = g.d, dp = g.dp, heads = g.b * g.hq, kvHeads = g.b * g.hkv;
        Tensor dq = Tensor.zeros(DType.F32, q.shape()), dk = Tensor.zeros(DType.F32, k.shape()), dv = Tensor.zeros(DType.F32, v.shape());
        if (q.numel() == 0 && k.numel() == 0) return new FusedResults.AttentionGrads(dq, dk, dv);
        // Heap copies, padded: per query head Q, dO, lse (-inf on padding rows) and D = rowsum(dO ∘ O); per kv head K, Kᵀ, Vᵀ.
        float[][] qp = new float[heads][], dop = new float[heads][], lse = new float[heads][], delta = new float[heads][];
        float[][] kp = new float[kvHeads][], kt = new float[kvHeads][], vt = new float[kvHeads][];
        Parallel.range(heads + kvHeads, 1, (from, to) -> {
            for (int u = from; u < to; u++) {
                if (u < heads) {
                    long base = (long) u * g.t * d;
                    qp[u] = AttentionBlocks.rows(q.hostSegment(), q.offset() + base, g.t, d, g.tp, dp);
                    dop[u] = AttentionBlocks.rows(dO.hostSegment(), dO.offset() + base, g.t, d, g.tp, dp);
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
                    kt[kv] = AttentionBlocks.transposed(k.hostSegment(), k.offset() + base, g.s, d, g.sp);
                    vt[kv] = AttentionBlocks.transposed(v.hostSegment(), v.offset() + base, g.s, d, g.sp);
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
                        TileGemm.mul(BQ, BK, d, qp[bh], q0 * dp, dp, 1, kt[kv], k0, g.sp, w.p, 0, BK, false);   // S = Q·Kᵀ
                        TileGemm.mul(BQ, BK, d, dop[bh], q0 * dp, dp, 1, vt[kv], k0, g.sp, w.ds, 0, BK, false); // dP = dO·Vᵀ
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
