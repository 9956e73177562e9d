package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * The fused ops of {@link Backend} composed from its primitives only (mlx's fast.cpp fallbacks): the
 * reference every fused kernel is tested against, and what a backend without a kernel runs. Clarity over
 * speed. Dims: B batch, H heads, T queries, S keys, D head dim, R rotary dims, N rows, V vocabulary.
 */
public final class FusedReference {
    private FusedReference() {}

    /** The compute dtype of a floating input: F64 stays F64, everything else computes in F32. */
    private static DType compute(Tensor x) {
        return x.dtype() == DType.F64 ? DType.F64 : DType.F32;
    }

    private static Tensor up(Backend b, Tensor x) {
        return x.dtype() == compute(x) ? x : b.cast(x, compute(x));
    }

    private static int[] lastDim() {
        return new int[]{-1};
    }

    /** Per-row statistic [..., 1] flattened to [rows]. */
    private static Tensor rows(Tensor stat) {
        return stat.reshape(-1);
    }

    /** [rows] back to [..., 1] for broadcasting against x. */
    private static Tensor perRow(Tensor stat, Tensor x) {
        int[] s = x.shape();
        s[s.length - 1] = 1;
        return stat.reshape(s);
    }

    // ------------------------------------------------------------------ RMSNorm (HF LlamaRMSNorm)

    public static FusedResults.RmsNorm rmsNorm(Backend b, Tensor x, Tensor weight, double eps) {
        NormRules.checkForward("rmsNorm", x, weight, null);
        Tensor x32 = up(b, x);
        Tensor ms = b.reduce(ReduceOp.MEAN, b.unary(UnaryOp.SQUARE, x32), lastDim(), true);
        Tensor rstd = b.unary(UnaryOp.RSQRT, b.binaryScalar(BinaryOp.ADD, ms, eps));
        Tensor y = b.cast(b.binary(BinaryOp.MUL, x32, rstd), x.dtype()); // HF: normalized value back to the input dtype
        if (weight != null) y = b.binary(BinaryOp.MUL, weight, y);
        return new FusedResults.RmsNorm(y, rows(rstd));
    }

    public static FusedResults.NormGrads rmsNormBackward(Backend b, Tensor dy, Tensor x, Tensor weight, Tensor rstd) {
        NormRules.checkBackward("rmsNormBackward", dy, x, weight, null, rstd);
        Tensor x32 = up(b, x), dy32 = up(b, dy);
        Tensor r = perRow(rstd, x32);
        Tensor xhat = b.binary(BinaryOp.MUL, x32, r);
        Tensor g = weight == null ? dy32 : b.binary(BinaryOp.MUL, dy32, up(b, weight));
        Tensor dot = b.reduce(ReduceOp.MEAN, b.binary(BinaryOp.MUL, g, xhat), lastDim(), true);
        Tensor dx = b.binary(BinaryOp.MUL, r, b.binary(BinaryOp.SUB, g, b.binary(BinaryOp.MUL, xhat, dot)));
        Tensor dw = weight == null ? null : sumRows(b, b.binary(BinaryOp.MUL, dy32, xhat));
        return new FusedResults.NormGrads(b.cast(dx, x.dtype()), dw, null);
    }

    /** Sum over every dim but the last: [..., C] → [C]. */
    private static Tensor sumRows(Backend b, Tensor t) {
        return b.reduce(ReduceOp.SUM, t.reshape(-1, t.size(-1)), new int[]{0}, false);
    }

    // ------------------------------------------------------------------ LayerNorm

    public static FusedResults.LayerNorm layerNorm(Backend b, Tensor x, Tensor weight, Tensor bias, double eps) {
        NormRules.checkForward("layerNorm", x, weight, bias);
        Tensor x32 = up(b, x);
        Tensor mean = b.reduce(ReduceOp.MEAN, x32, lastDim(), true);
        Tensor xc = b.binary(BinaryOp.SUB, x32, mean);
        Tensor var = b.reduce(ReduceOp.MEAN, b.unary(UnaryOp.SQUARE, xc), lastDim(), true);
        Tensor rstd = b.unary(UnaryOp.RSQRT, b.binaryScalar(BinaryOp.ADD, var, eps));
        Tensor y = b.binary(BinaryOp.MUL, xc, rstd);
        if (weight != null) y = b.binary(BinaryOp.MUL, y, up(b, weight));
        if (bias != null) y = b.binary(BinaryOp.ADD, y, up(b, bias));
        // one rounding to promote(x, weight, bias), as the kernels and the Backend contract (mixed dtypes promote)
        DType out = x.dtype();
        if (weight != null) out = DType.promote(out, weight.dtype());
        if (bias != null) out = DType.promote(out, bias.dtype());
        return new FusedResults.LayerNorm(b.cast(y, out), rows(mean), rows(rstd));
    }

    public static FusedResults.NormGrads layerNormBackward(Backend b, Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) {
        NormRules.checkLayerNormBackward(dy, x, weight, mean, rstd);
        Tensor x32 = up(b, x), dy32 = up(b, dy);
        Tensor r = perRow(rstd, x32);
        Tensor xhat = b.binary(BinaryOp.MUL, b.binary(BinaryOp.SUB, x32, perRow(mean, x32)), r);
        Tensor g = weight == null ? dy32 : b.binary(BinaryOp.MUL, dy32, up(b, weight));
        Tensor meanG = b.reduce(ReduceOp.MEAN, g, lastDim(), true);
        Tensor meanGx = b.reduce(ReduceOp.MEAN, b.binary(BinaryOp.MUL, g, xhat), lastDim(), true);
        Tensor dx = b.binary(BinaryOp.MUL, r, b.binary(BinaryOp.SUB, b.binary(BinaryOp.SUB, g, meanG), b.binary(BinaryOp.MUL, xhat, meanGx)));
        Tensor dw = weight == null ? null : sumRows(b, b.binary(BinaryOp.MUL, dy32, xhat));
        Tensor db = hasBias ? sumRows(b, dy32) : null;
        return new FusedResults.NormGrads(b.cast(dx, x.dtype()), dw, db);
    }

    // ------------------------------------------------------------------ RoPE (HF rotate_half)

    /** cos/sin [T, R] or [B, T, R] (checked by {@link RopeRules}) → [1 or B, 1, T, R] to broadcast over heads. */
    private static Tensor ropeTable(Tensor t) {
        return t.rank() == 2 ? t.unsqueeze(0).unsqueeze(0) : t.unsqueeze(1);
    }

    /** rotate_half(x) = cat(-x2, x1), or its transpose cat(x2, -x1). */
    private static Tensor rotateHalf(Backend b, Tensor x, boolean transpose) {
        int half = x.size(-1) / 2;
        Tensor x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
        return transpose ? b.concat(List.of(x2, b.unary(UnaryOp.NEG, x1)), -1) : b.concat(List.of(b.unary(UnaryOp.NEG, x2), x1), -1);
    }

    private static Tensor ropeApply(Backend b, Tensor x, Tensor cos, Tensor sin, boolean transpose) {
        RopeRules.check(x, cos, sin);
        int d = x.size(-1), r = cos.size(-1);
        Tensor x32 = up(b, x);
        Tensor c = ropeTable(up(b, cos)), s = ropeTable(up(b, sin));
        Tensor rot = x32.narrow(-1, 0, r);
        Tensor y = b.binary(BinaryOp.ADD, b.binary(BinaryOp.MUL, rot, c),
                transpose ? rotateHalf(b, b.binary(BinaryOp.MUL, rot, s), true) : b.binary(BinaryOp.MUL, rotateHalf(b, rot, false), s));
        if (r < d) y = b.concat(List.of(y, x32.narrow(-1, r, d - r)), -1);
        return b.cast(y, x.dtype());
    }

    public static Tensor rope(Backend b, Tensor x, Tensor cos, Tensor sin) {
        return ropeApply(b, x, cos, sin, false);
    }

    public static Tensor ropeBackward(Backend b, Tensor dy, Tensor cos, Tensor sin) {
        return ropeApply(b, dy, cos, sin, true);
    }

    // ------------------------------------------------------------------ SwiGLU

    public static Tensor siluMul(Backend b, Tensor gate, Tensor up) {
        FusedRules.checkSiluMul("siluMul", gate, up, null);
        return b.binary(BinaryOp.MUL, b.unary(UnaryOp.SILU, gate), up);
    }

    public static FusedResults.SiluMulGrads siluMulBackward(Backend b, Tensor dy, Tensor gate, Tensor up) {
        FusedRules.checkSiluMul("siluMulBackward", gate, up, dy);
        Tensor s = b.unary(UnaryOp.SIGMOID, gate);
        Tensor silu = b.binary(BinaryOp.MUL, gate, s);
        // silu'(g) = s · (1 + g · (1 - s))
        Tensor oneMinusS = b.binaryScalar(BinaryOp.ADD, b.unary(UnaryOp.NEG, s), 1);
        Tensor dsilu = b.binary(BinaryOp.MUL, s, b.binaryScalar(BinaryOp.ADD, b.binary(BinaryOp.MUL, gate, oneMinusS), 1));
        Tensor dGate = b.binary(BinaryOp.MUL, b.binary(BinaryOp.MUL, dy, up), dsilu);
        Tensor dUp = b.binary(BinaryOp.MUL, dy, silu);
        return new FusedResults.SiluMulGrads(dGate, dUp);
    }

    // ------------------------------------------------------------------ softmax / log-softmax

    public static Tensor softmax(Backend b, Tensor x) {
        FusedRules.checkSoftmax("softmax", x);
        Tensor x32 = up(b, x);
        Tensor e = b.unary(UnaryOp.EXP, b.binary(BinaryOp.SUB, x32, safeMax(b, x32)));
        return b.cast(b.binary(BinaryOp.DIV, e, b.reduce(ReduceOp.SUM, e, lastDim(), true)), x.dtype());
    }

    public static Tensor softmaxBackward(Backend b, Tensor dy, Tensor y) {
        FusedRules.checkSoftmaxBackward("softmaxBackward", dy, y);
        Tensor dot = b.reduce(ReduceOp.SUM, b.binary(BinaryOp.MUL, dy, y), lastDim(), true);
        return b.binary(BinaryOp.MUL, y, b.binary(BinaryOp.SUB, dy, dot));
    }

    public static Tensor logSoftmax(Backend b, Tensor x) {
        FusedRules.checkSoftmax("logSoftmax", x);
        Tensor x32 = up(b, x);
        return b.cast(b.binary(BinaryOp.SUB, x32, logSumExp(b, x32)), x.dtype());
    }

    public static Tensor logSoftmaxBackward(Backend b, Tensor dy, Tensor y) {
        FusedRules.checkSoftmaxBackward("logSoftmaxBackward", dy, y);
        Tensor sum = b.reduce(ReduceOp.SUM, dy, lastDim(), true);
        return b.binary(BinaryOp.SUB, dy, b.binary(BinaryOp.MUL, b.unary(UnaryOp.EXP, y), sum));
    }

    /** Row max [..., 1], with -inf rows (everything masked) replaced by 0 so x - max stays -inf, not NaN. */
    private static Tensor safeMax(Backend b, Tensor x) {
        Tensor m = b.reduce(ReduceOp.MAX, x, lastDim(), true);
        Tensor zero = b.allocate(m.dtype(), m.shape());
        return b.where(b.binaryScalar(BinaryOp.EQ, m, Double.NEGATIVE_INFINITY), zero, m);
    }

    /** log Σ exp(x) over the last dim, keeping it: -inf for an all -inf row. */
    private static Tensor logSumExp(Backend b, Tensor x) {
        Tensor m = safeMax(b, x);
        Tensor s = b.reduce(ReduceOp.SUM, b.unary(UnaryOp.EXP, b.binary(BinaryOp.SUB, x, m)), lastDim(), true);
        return b.binary(BinaryOp.ADD, b.unary(UnaryOp.LOG, s), m);
    }

    // ------------------------------------------------------------------ attention

    /** k/v [B, Hkv, S, D or Dv] repeated to [B, Hq, S, D or Dv] (HF repeat_kv). */
    private static Tensor repeatKv(Tensor kv, int hq) {
        int bsz = kv.size(0), hkv = kv.size(1), s = kv.size(2), d = kv.size(3);
        if (hq % hkv != 0) throw new IllegalArgumentException("query heads " + hq + " are not a multiple of key/value heads " + hkv);
        return kv.unsqueeze(2).expand(bsz, hkv, hq / hkv, s, d).reshape(bsz, hq, s, d);
    }

    /** [B, Hq, S, D] gradient of repeated heads summed back to [B, Hkv, S, D]. */
    private static Tensor sumGroups(Backend b, Tensor g, int hkv) {
        int bsz = g.size(0), hq = g.size(1), s = g.size(2), d = g.size(3);
        return b.reduce(ReduceOp.SUM, g.reshape(bsz, hkv, hq / hkv, s, d), new int[]{2}, false);
    }

    /** Boolean mask [B or 1, 1, T, S]: causal with offset S - T, within the sliding window, and segments that see each other. */
    private static Tensor allowed(Backend b, int t, int s, AttentionSpec spec) {
        Tensor mask = null;
        if (spec.causal()) {
            Tensor i = b.arange(s - t, s, 1, DType.I64).reshape(t, 1);
            Tensor j = b.arange(0, s, 1, DType.I64).reshape(1, s);
            mask = b.binary(BinaryOp.LE, j, i).reshape(1, 1, t, s);
            if (spec.hasWindow()) { // i - j < window
                Tensor near = b.binaryScalar(BinaryOp.LT, b.binary(BinaryOp.SUB, i, j), spec.window()).reshape(1, 1, t, s);
                mask = b.where(mask, near, mask);
            }
        }
        if (spec.hasSegments()) {
            // segment ids may be host tensors (the decoder builds them there), as the device kernels accept
            // AttentionSpec.segmentSees: with a shared prefix a padding query (-1 - s) sees as segment s
            Tensor qs = onBackend(b, spec.sharedPrefix() ? paddingAsItsSegment(spec.querySegments()) : spec.querySegments());
            Tensor ks = onBackend(b, spec.keySegments());
            Tensor same = b.binary(BinaryOp.EQ, qs.reshape(qs.size(0), 1, t, 1), ks.reshape(ks.size(0), 1, 1, s));
            if (spec.sharedPrefix()) { // a key of segment 0 is visible to every segment, a padding key (< 0) to none
                Tensor prefix = b.binaryScalar(BinaryOp.EQ, ks, 0).reshape(ks.size(0), 1, 1, s);
                Tensor real = b.binaryScalar(BinaryOp.GE, ks, 0).reshape(ks.size(0), 1, 1, s);
                same = b.where(real, b.where(same, same, prefix), real);
            }
            mask = mask == null ? same : b.where(mask, same, mask);
        }
        return mask;
    }

    /** Segment ids with each padding id -1 - s replaced by s, on the host (a few ids, not worth a kernel). */
    private static Tensor paddingAsItsSegment(Tensor segments) {
        long[] ids = segments.toLongArray();
        boolean any = false;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                ids[i] = -1 - ids[i];
                any = true;
            }
        }
        return any ? Tensor.ofLongs(ids, segments.shape()).to(segments.dtype()) : segments;
    }

    private static Tensor onBackend(Backend b, Tensor t) {
        return t.device().equals(b.device()) ? t : b.fromHost(t.to(Device.CPU));
    }

    /** scale·q·kᵀ, soft-capped when the spec says so (before masking, as transformers' Gemma 2 eager attention). */
    private static Tensor scores(Backend b, Tensor q, Tensor kRep, AttentionSpec spec) {
        Tensor scores = b.binaryScalar(BinaryOp.MUL, b.matmul(q, kRep, false, true), spec.scale());
        if (!spec.hasSoftcap()) return scores;
        Tensor t = b.unary(UnaryOp.TANH, b.binaryScalar(BinaryOp.MUL, scores, 1 / spec.softcap()));
        return b.binaryScalar(BinaryOp.MUL, t, spec.softcap());
    }

    private static Tensor maskedScores(Backend b, Tensor q, Tensor kRep, AttentionSpec spec) {
        return masked(b, scores(b, q, kRep, spec), q.size(2), kRep.size(2), spec);
    }

    private static Tensor masked(Backend b, Tensor scores, int t, int s, AttentionSpec spec) {
        Tensor mask = allowed(b, t, s, spec);
        if (mask == null) return scores;
        Tensor minusInf = b.allocate(scores.dtype());
        b.fill(minusInf, Double.NEGATIVE_INFINITY);
        return b.where(mask, scores, minusInf);
    }

    public static FusedResults.Attention attention(Backend b, Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
        AttentionRules.check(q, k, v, spec);
        Tensor q32 = up(b, q);
        int hq = q.size(1);
        Tensor scores = maskedScores(b, q32, repeatKv(up(b, k), hq), spec);
        Tensor lse = withSinks(b, logSumExp(b, scores), spec);                  // [B, Hq, T, 1]
        Tensor p = probabilities(b, scores, lse);
        Tensor out = b.matmul(p, repeatKv(up(b, v), hq), false, false);
        return new FusedResults.Attention(b.cast(out, q.dtype()), lse.reshape(q.size(0), hq, q.size(2)));
    }

    /**
     * GPT-OSS's sinks: the log-sum-exp over the keys [B, Hq, T, 1] joined by each head's sink logit, logaddexp(lse,
     * sink_h) (a row that sees no key gets sink_h, and its probabilities stay 0); unchanged without sinks.
     */
    private static Tensor withSinks(Backend b, Tensor lse, AttentionSpec spec) {
        if (!spec.hasSinks()) return lse;
        Tensor sink = b.cast(onBackend(b, spec.sinks()), lse.dtype()).reshape(1, lse.size(1), 1, 1);
        Tensor m = b.binary(BinaryOp.MAX, lse, sink);
        Tensor sum = b.binary(BinaryOp.ADD, b.unary(UnaryOp.EXP, b.binary(BinaryOp.SUB, lse, m)), b.unary(UnaryOp.EXP, b.binary(BinaryOp.SUB, sink, m)));
        return b.binary(BinaryOp.ADD, m, b.unary(UnaryOp.LOG, sum));
    }

    /**
     * The gradient of the sink logits [Hq] (any backend; the attention backward itself is unchanged, since the saved
     * log-sum-exp already holds the sinks): the sink is a softmax column with no value, so dsink_h = -Σ_{b,i}
     * p_sink · (dO_i·O_i) with p_sink = exp(sink_h - lse_i).
     */
    public static Tensor attentionSinksBackward(Backend b, Tensor dOut, Tensor out, Tensor lse, Tensor sinks) {
        int hq = out.size(1);
        if (sinks.rank() != 1 || sinks.size(0) != hq) {
            throw new IllegalArgumentException("attention sinks must be [" + hq + "], got " + Arrays.toString(sinks.shape()));
        }
        Tensor rowDot = b.reduce(ReduceOp.SUM, b.binary(BinaryOp.MUL, up(b, dOut), up(b, out)), lastDim(), false); // [B, Hq, T]
        Tensor l = b.cast(lse, rowDot.dtype());
        Tensor pSink = b.unary(UnaryOp.EXP, b.binary(BinaryOp.SUB, b.cast(onBackend(b, sinks), l.dtype()).reshape(1, hq, 1), l));
        Tensor d = b.reduce(ReduceOp.SUM, b.binary(BinaryOp.MUL, pSink, rowDot), new int[]{0, 2}, false);         // [Hq]
        return b.cast(b.unary(UnaryOp.NEG, d), sinks.dtype());
    }

    /** Each row's blocks gathered in position order ({@link PagedKv#gather}), then {@link Backend#attention} per row. */
    public static Tensor pagedAttention(Backend b, Tensor q, PagedKv kv, AttentionSpec spec) {
        kv.check(q, spec);
        Tensor out = b.allocate(q.dtype(), q.size(0), q.size(1), q.size(2), kv.valueHeadDim());
        for (int r = 0; r < kv.rows(); r++) {
            PagedKv.Row row = kv.gather(b, r);
            b.copy(b.attention(q.narrow(0, r, 1), row.keys(), row.values(), spec).output(), out.narrow(0, r, 1));
        }
        return out;
    }

    /** exp(scores - lse), 0 on rows that saw no key (lse = -inf). */
    private static Tensor probabilities(Backend b, Tensor scores, Tensor lse) {
        Tensor zero = b.allocate(lse.dtype(), lse.shape());
        Tensor safe = b.where(b.binaryScalar(BinaryOp.EQ, lse, Double.NEGATIVE_INFINITY), zero, lse);
        Tensor p = b.unary(UnaryOp.EXP, b.binary(BinaryOp.SUB, scores, safe));
        Tensor none = b.binaryScalar(BinaryOp.EQ, lse, Double.NEGATIVE_INFINITY);
        return b.where(none, b.allocate(p.dtype(), 1), p);
    }

    public static FusedResults.AttentionGrads attentionBackward(Backend b, Tensor dOut, Tensor q, Tensor k, Tensor v,
                                                        Tensor out, Tensor lse, AttentionSpec spec) {
        AttentionRules.checkBackward(dOut, q, k, v, out, lse, spec);
        int hq = q.size(1), hkv = k.size(1);
        Tensor q32 = up(b, q), kRep = repeatKv(up(b, k), hq), vRep = repeatKv(up(b, v), hq), dO = up(b, dOut);
        Tensor capped = scores(b, q32, kRep, spec);
        Tensor p = probabilities(b, masked(b, capped, q.size(2), k.size(2), spec), lse.reshape(q.size(0), hq, q.size(2), 1));
        Tensor dvRep = b.matmul(p, dO, true, false);                          // [B, Hq, S, D]
        Tensor dp = b.matmul(dO, vRep, false, true);                          // [B, Hq, T, S]
        Tensor rowDot = b.reduce(ReduceOp.SUM, b.binary(BinaryOp.MUL, dO, up(b, out)), lastDim(), true);
        Tensor dsCapped = b.binary(BinaryOp.MUL, p, b.binary(BinaryOp.SUB, dp, rowDot));
        if (spec.hasSoftcap()) { // d(c·tanh(s/c))/ds = 1 - tanh² = 1 - (capped / c)²
            Tensor ratio = b.binaryScalar(BinaryOp.MUL, capped, 1 / spec.softcap());
            dsCapped = b.binary(BinaryOp.MUL, dsCapped, b.binaryScalar(BinaryOp.ADD, b.unary(UnaryOp.NEG, b.unary(UnaryOp.SQUARE, ratio)), 1));
        }
        Tensor ds = b.binaryScalar(BinaryOp.MUL, dsCapped, spec.scale());
        Tensor dq = b.matmul(ds, kRep, false, false);
        Tensor dkRep = b.matmul(ds, q32, true, false);
        return new FusedResults.AttentionGrads(b.cast(dq, q.dtype()), b.cast(sumGroups(b, dkRep, hkv), k.dtype()),
                b.cast(sumGroups(b, dvRep, hkv), v.dtype()));
    }

    // ------------------------------------------------------------------ cross-entropy

    private static Tensor validTargets(Backend b, Tensor targets, long ignoreIndex, int vocab) {
        CrossEntropyRules.checkTargets(targets.toLongArray(), ignoreIndex, vocab);
        return b.binaryScalar(BinaryOp.NE, targets, ignoreIndex);
    }

    /** ignored targets replaced by 0 so they can index, as [N, 1]. */
    private static Tensor safeIndex(Backend b, Tensor targets, Tensor valid) {
        Tensor zero = b.allocate(DType.I64, targets.shape());
        return b.where(valid, b.cast(targets, DType.I64), zero).reshape(-1, 1);
    }

    public static FusedResults.CrossEntropy crossEntropy(Backend b, Tensor logits, Tensor targets, long ignoreIndex) {
        CrossEntropyRules.check(logits, targets);
        Tensor x = up(b, logits);
        Tensor valid = validTargets(b, targets, ignoreIndex, logits.size(1));
        Tensor lse = logSumExp(b, x);                                            // [N, 1]
        Tensor picked = b.gather(x, 1, safeIndex(b, targets, valid));            // [N, 1]
        Tensor losses = b.binary(BinaryOp.SUB, lse, picked).reshape(-1);
        Tensor zero = b.allocate(losses.dtype(), losses.shape());
        return new FusedResults.CrossEntropy(b.where(valid, losses, zero), lse.reshape(-1));
    }

    public static Tensor crossEntropyBackward(Backend b, Tensor dLosses, Tensor logits, Tensor targets, Tensor lse, long ignoreIndex) {
        CrossEntropyRules.checkBackward(dLosses, logits, targets, lse);
        Tensor x = up(b, logits);
        int vocab = x.size(1);
        Tensor valid = validTargets(b, targets, ignoreIndex, vocab);
        Tensor softmax = b.unary(UnaryOp.EXP, b.binary(BinaryOp.SUB, x, lse.reshape(-1, 1)));
        Tensor onehot = b.cast(b.binary(BinaryOp.EQ, b.arange(0, vocab, 1, DType.I64).reshape(1, vocab),
                safeIndex(b, targets, valid)), x.dtype());
        Tensor scale = b.where(valid, up(b, dLosses), b.allocate(x.dtype(), dLosses.shape())).reshape(-1, 1);
        return b.cast(b.binary(BinaryOp.MUL, b.binary(BinaryOp.SUB, softmax, onehot), scale), logits.dtype());
    }

    // ------------------------------------------------------------------ AdamW (torch.optim.AdamW, single tensor)

    public static void adamwStep(Backend b, Tensor p, Tensor g, Tensor m, Tensor v, AdamWConfig c, long step) {
        FusedRules.checkAdamW(p, g, m, v, step);
        Tensor g32 = b.cast(g, m.dtype());
        Tensor decayed = b.binaryScalar(BinaryOp.MUL, p, 1 - c.lr() * c.weightDecay());
        Tensor m2 = b.binary(BinaryOp.ADD, b.binaryScalar(BinaryOp.MUL, m, c.beta1()), b.binaryScalar(BinaryOp.MUL, g32, 1 - c.beta1()));
        Tensor v2 = b.binary(BinaryOp.ADD, b.binaryScalar(BinaryOp.MUL, v, c.beta2()),
                b.binaryScalar(BinaryOp.MUL, b.unary(UnaryOp.SQUARE, g32), 1 - c.beta2()));
        double bc1 = 1 - Math.pow(c.beta1(), step), bc2 = 1 - Math.pow(c.beta2(), step);
        Tensor denom = b.binaryScalar(BinaryOp.ADD, b.binaryScalar(BinaryOp.MUL, b.unary(UnaryOp.SQRT, v2), 1 / Math.sqrt(bc2)), c.eps());
        Tensor update = b.binaryScalar(BinaryOp.MUL, b.binary(BinaryOp.DIV, m2, denom), c.lr() / bc1);
        b.copy(b.binary(BinaryOp.SUB, decayed, update), p);
        b.copy(m2, m);
        b.copy(v2, v);
    }
}
