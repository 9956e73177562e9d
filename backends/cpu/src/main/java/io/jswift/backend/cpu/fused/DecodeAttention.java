package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.VecMath;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.PagedKv;
import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

/**
 * Attention of a single query per head (token-by-token decoding) against keys and values read in place from
 * the KV cache: scores K·q, a softmax, and Σ p·V per head, in plain vector loops. The tiled kernel of
 * {@link AttentionKernels} pads the query block to {@link AttentionBlocks#BQ} rows and packs K and V first,
 * 64 times the arithmetic for one query plus a copy of the cache per layer and token. A single query at the
 * last position sees every key, causal or not; segment masks take the tiled kernel. The same loops serve paged
 * attention: key rows are addressed through a block table ({@link HeadRows}) rather than from one start, so serving
 * reads a paged KV cache in place instead of gathering it per layer and step.
 * <p>
 * The loops: the query heads of one kv head (GQA group) together, so the cache is read once per group; scores four
 * keys at a time (the query chunk loaded once for four rows, four independent sums, so neither the FMA latency nor
 * the horizontal sums serialize); exp over all scores as one vector pass; Σ p·V in blocks of {@link #KEY_BLOCK} keys
 * whose V rows stay in L1 for every query of the group while each D-chunk of an output accumulates in four registers
 * (no load/store of an accumulator per key). The species is always the static {@link Vec#F}: a species
 * held in a local and captured by the parallel lambda is a field of the lambda object, not a constant, and C2
 * then runs every vector op through its boxed Java fallback (JFR: rvOp frames; ~15% of Llama-3.2-1B decode).
 */
final class DecodeAttention {
    /** Keys per Σ p·V block: 32 rows of D = 128 floats are 16 KiB, within every L1 data cache. */
    private static final int KEY_BLOCK = 32;

    private DecodeAttention() {}

    /** q [B, Hq, 1, D] contiguous; k [B, Hkv, S, D], v [B, Hkv, S, Dv] with contiguous rows per head ({@link Contig#headRows}). */
    static FusedResults.Attention forward(Tensor q, Tensor k, Tensor v, float scale) {
        int b = q.size(0), hq = q.size(1), d = q.size(3), dv = v.size(3), hkv = k.size(1), s = k.size(2);
        Tensor out = Tensor.zeros(DType.F32, b, hq, 1, dv), lse = Tensor.zeros(DType.F32, b, hq, 1);
        forEachGroup(b, hq, hkv, (batch, kvHead, head0, nq) -> attendGroup(q, head0, nq, scale, s,
                HeadRows.contiguous(Contig.headOffset(k, batch, kvHead), d), k.hostSegment(),
                HeadRows.contiguous(Contig.headOffset(v, batch, kvHead), dv), v.hostSegment(), DType.F32, out, lse, 0));
        return new FusedResults.Attention(out, lse);
    }

    /**
     * Paged attention of one query per row (its last position) read in place from the blocks of {@code kv} through
     * each row's block table (vLLM's paged attention): the same loops as {@link #forward} over row addresses from the
     * table, so the result is bit for bit that of gathering the blocks first. q [B, Hq, 1, D] contiguous; the blocks
     * [N, Hkv, blockSize, D] contiguous, f32, bf16 or f16 (a bf16 or f16 pool's rows are widened in registers as they are read, no
     * copy); a sliding {@code window} > 0 keeps each row's last {@code window} keys; a {@code softcap} > 0 bounds the
     * scaled scores (Gemma 2).
     */
    static Tensor forwardPaged(Tensor q, PagedKv kv, int window, float scale, float softcap) {
        int b = q.size(0), hq = q.size(1), d = q.size(3), hkv = kv.kvHeads(), bs = kv.blockSize();
        Tensor keys = kv.keyBlocks(), values = kv.valueBlocks();
        DType stored = keys.dtype();
        Tensor out = Tensor.zeros(DType.F32, b, hq, 1, kv.valueHeadDim());
        forEachGroup(b, hq, hkv, (batch, kvHead, head0, nq) -> {
            int len = kv.contextLens()[batch], keep = window > 0 ? Math.min(len, window) : len;
            int[] table = kv.blockTables()[batch];
            attendGroup(q, head0, nq, scale, keep, HeadRows.paged(keys, table, kvHead, bs, len - keep), keys.hostSegment(),
                    HeadRows.paged(values, table, kvHead, bs, len - keep), values.hostSegment(), stored, out, null, softcap);
        });
        return out;
    }

    /** The query heads head0 .. head0 + nq of one kv head of one batch row (a GQA group or part of one). */
    private interface GroupTask {
        void run(int batch, int kvHead, int head0, int nq);
    }

    /**
     * One task per (batch, kv head), its group's query heads together so that every K and V row is read from memory
     * once for all of them (one task per query head re-read its kv head's cache for every query of the group: 1.2-1.8x
     * slower at S = 160..8192); the group is split into parts only when kv heads are fewer than cores.
     */
    private static void forEachGroup(int b, int hq, int hkv, GroupTask task) {
        int group = hq / hkv, pairs = b * hkv, parts = Math.min(group, Math.max(1, (Parallel.threads() + pairs - 1) / pairs));
        Parallel.range(pairs * parts, 1, (from, to) -> {
            for (int t = from; t < to; t++) {
                int pair = t / parts, part = t % parts, batch = pair / hkv, kvHead = pair % hkv;
                int g0 = group * part / parts, nq = group * (part + 1) / parts - g0;
                task.run(batch, kvHead, batch * hq + kvHead * group + g0, nq);
            }
        });
    }

    /**
     * Softmax attention of query heads head0 .. head0 + nq (rows of q, out and lse) over the s keys and values at
     * {@code k} / {@code v} (rows of D and of Dv values of the {@code stored} dtype: f32, bf16 or f16); writes their outputs (rows of Dv)
     * and, when {@code lse} is given, their log-sum-exps.
     */
    private static void attendGroup(Tensor q, int head0, int nq, float scale, int s, HeadRows k, MemorySegment ks, HeadRows v,
                                    MemorySegment vs, DType stored, Tensor out, Tensor lse, float softcap) {
        int d = q.size(3);
        if (s == 0) { // no key: output 0, lse -inf (as the tiled kernel)
            if (lse != null) for (int i = 0; i < nq; i++) Vec.set(lse.hostSegment(), head0 + i, Float.NEGATIVE_INFINITY);
            return;
        }
        MemorySegment qs = q.hostSegment();
        float[][] queries = new float[nq][d], scores = new float[nq][s];
        float[] max = new float[nq], inv = new float[nq], total = new float[nq];
        for (int i = 0; i < nq; i++) {
            long qOff = q.offset() + (long) (head0 + i) * d;
            for (int x = 0; x < d; x++) queries[i][x] = Vec.get(qs, qOff + x) * scale;
        }
        scores(queries, ks, k.rows(s), s, d, stored, scores);
        if (softcap > 0) for (float[] row : scores) softcap(row, s, softcap);
        for (int i = 0; i < nq; i++) {
            max[i] = max(scores[i], s);
            total[i] = expInPlace(scores[i], s, max[i]);
            inv[i] = 1 / total[i];
        }
        weightedValues(scores, vs, v.rows(s), s, v.d(), stored, inv, out.hostSegment(), (long) head0 * v.d());
        if (lse != null) for (int i = 0; i < nq; i++) Vec.set(lse.hostSegment(), head0 + i, (float) (Math.log(total[i]) + max[i]));
    }

    /** scores[i][j] = Σ_x queries[i][x]·K[j, x] for the S rows of K starting at kRows[j]; keys outer, queries inner. */
    private static void scores(float[][] queries, MemorySegment ks, long[] kRows, int s, int d, DType stored, float[][] scores) {
        int full = Vec.F.loopBound(d), j = 0;
        for (; j + 4 <= s; j += 4) {
            long r0 = kRows[j], r1 = kRows[j + 1], r2 = kRows[j + 2], r3 = kRows[j + 3];
            for (int i = 0; i < queries.length; i++) {
                float[] query = queries[i], out = scores[i];
                FloatVector a0 = FloatVector.zero(Vec.F), a1 = a0, a2 = a0, a3 = a0;
                int x = 0;
                for (; x < full; x += Vec.L) {
                    FloatVector qv = FloatVector.fromArray(Vec.F, query, x);
                    a0 = qv.fma(Vec.load(ks, r0 + x, stored), a0);
                    a1 = qv.fma(Vec.load(ks, r1 + x, stored), a1);
                    a2 = qv.fma(Vec.load(ks, r2 + x, stored), a2);
                    a3 = qv.fma(Vec.load(ks, r3 + x, stored), a3);
                }
                float s0 = VecMath.sum(a0), s1 = VecMath.sum(a1);
                float s2 = VecMath.sum(a2), s3 = VecMath.sum(a3);
                for (; x < d; x++) {
                    float qx = query[x];
                    s0 += qx * Vec.get(ks, r0 + x, stored);
                    s1 += qx * Vec.get(ks, r1 + x, stored);
                    s2 += qx * Vec.get(ks, r2 + x, stored);
                    s3 += qx * Vec.get(ks, r3 + x, stored);
                }
                out[j] = s0;
                out[j + 1] = s1;
                out[j + 2] = s2;
                out[j + 3] = s3;
            }
        }
        for (; j < s; j++) {
            long row = kRows[j];
            for (int i = 0; i < queries.length; i++) {
                float[] query = queries[i];
                FloatVector acc = FloatVector.zero(Vec.F);
                int x = 0;
                for (; x < full; x += Vec.L) acc = FloatVector.fromArray(Vec.F, query, x).fma(Vec.load(ks, row + x, stored), acc);
                float dot = VecMath.sum(acc);
                for (; x < d; x++) dot += query[x] * Vec.get(ks, row + x, stored);
                scores[i][j] = dot;
            }
        }
    }

    /** a[i] = cap·tanh(a[i] / cap) over the first n scaled scores (Gemma 2's attention soft-cap). */
    private static void softcap(float[] a, int n, float cap) {
        int i = 0, bound = Vec.F.loopBound(n);
        for (; i < bound; i += Vec.L) VecMath.tanh(FloatVector.fromArray(Vec.F, a, i).div(cap)).mul(cap).intoArray(a, i);
        for (; i < n; i++) a[i] = VecMath.tanh(a[i] / cap) * cap;
    }

    private static float max(float[] a, int n) {
        FloatVector m = FloatVector.broadcast(Vec.F, Float.NEGATIVE_INFINITY);
        int i = 0, bound = Vec.F.loopBound(n);
        for (; i < bound; i += Vec.L) m = m.max(FloatVector.fromArray(Vec.F, a, i));
        float r = VecMath.max(m);
        for (; i < n; i++) r = Math.max(r, a[i]);
        return r;
    }

    /** a[i] = exp(a[i] - max) over the first n elements; returns their sum. */
    private static float expInPlace(float[] a, int n, float max) {
        int i = 0, bound = Vec.F.loopBound(n);
        FloatVector sum = FloatVector.zero(Vec.F);
        for (; i < bound; i += Vec.L) {
            FloatVector e = VecMath.exp(FloatVector.fromArray(Vec.F, a, i).sub(max));
            e.intoArray(a, i);
            sum = sum.add(e);
        }
        float total = VecMath.sum(sum);
        for (; i < n; i++) {
            a[i] = VecMath.exp(a[i] - max);
            total += a[i];
        }
        return total;
    }

    /**
     * out_i[x] = inv[i] · Σ_j p[i][j]·V[j, x] for each query i, written at element {@code oOff + i·d} of {@code os}:
     * blocks of keys outer, queries inner, so each block of V rows is read once for the whole group.
     */
    private static void weightedValues(float[][] p, MemorySegment vs, long[] vRows, int s, int d, DType stored, float[] inv, MemorySegment os, long oOff) {
        int full = Vec.F.loopBound(d), nq = p.length;
        for (int x = 0; x < nq * d; x++) Vec.set(os, oOff + x, 0);
        for (int j0 = 0; j0 < s; j0 += KEY_BLOCK) {
            int j1 = Math.min(s, j0 + KEY_BLOCK);
            for (int i = 0; i < nq; i++) accumulateBlock(p[i], j0, j1, vs, vRows, d, full, stored, os, oOff + (long) i * d);
        }
        for (int i = 0; i < nq; i++) {
            long o = oOff + (long) i * d;
            int x = 0;
            for (; x < full; x += Vec.L) Vec.store(Vec.load(os, o + x).mul(inv[i]), os, o + x);
            for (; x < d; x++) Vec.set(os, o + x, Vec.get(os, o + x) * inv[i]);
        }
    }

    /**
     * out[x] += Σ_{j in [j0, j1)} p[j]·V[j, x], each D-chunk of out accumulated in four registers (keys j mod 4): with
     * two, the chains of dependent FMAs bounded the loop at half an FMA per cycle, and Σ p·V was 2/3 of the profile.
     */
    private static void accumulateBlock(float[] p, int j0, int j1, MemorySegment vs, long[] rows, int d, int full, DType stored, MemorySegment os, long o) {
        int x = 0;
        for (; x < full; x += Vec.L) {
            FloatVector a0 = Vec.load(os, o + x), a1 = FloatVector.zero(Vec.F), a2 = a1, a3 = a1;
            int j = j0;
            for (; j + 4 <= j1; j += 4) {
                a0 = Vec.load(vs, rows[j] + x, stored).fma(FloatVector.broadcast(Vec.F, p[j]), a0);
                a1 = Vec.load(vs, rows[j + 1] + x, stored).fma(FloatVector.broadcast(Vec.F, p[j + 1]), a1);
                a2 = Vec.load(vs, rows[j + 2] + x, stored).fma(FloatVector.broadcast(Vec.F, p[j + 2]), a2);
                a3 = Vec.load(vs, rows[j + 3] + x, stored).fma(FloatVector.broadcast(Vec.F, p[j + 3]), a3);
            }
            for (; j < j1; j++) a0 = Vec.load(vs, rows[j] + x, stored).fma(FloatVector.broadcast(Vec.F, p[j]), a0);
            Vec.store(a0.add(a1).add(a2.add(a3)), os, o + x);
        }
        for (; x < d; x++) {
            float acc = Vec.get(os, o + x);
            for (int j = j0; j < j1; j++) acc += p[j] * Vec.get(vs, rows[j] + x, stored);
            Vec.set(os, o + x, acc);
        }
    }
}
