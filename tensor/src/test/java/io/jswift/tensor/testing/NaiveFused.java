package io.jswift.tensor.testing;

/**
 * The float64 oracle of every fused op of the Backend SPI and its backward, as plain loops over row-major
 * double[] (no tensors, no SIMD, no cleverness): what every backend's fused kernels and the reference
 * compositions are tested against. The backward oracles are themselves proven by finite differences.
 *
 * <p>Dims: N rows, C channels, V vocabulary, B batch, H heads, Hq / Hkv query / key-value heads, T queries,
 * S keys, D head dim, R rotary dims (the first R of D rotate).
 */
public final class NaiveFused {
    private NaiveFused() {}

    /** Normalization results: y [N, C], mean [N] (null for RMSNorm), rstd [N]. */
    public record Norm(double[] y, double[] mean, double[] rstd) {}

    /** Gradients of a normalization: dx [N, C], dw [C] (null without weight), db [C] (null without bias). */
    public record NormGrads(double[] dx, double[] dw, double[] db) {}

    // ------------------------------------------------------------------ RMSNorm (HF LlamaRMSNorm)

    /** y = w · x / sqrt(mean(x²) + eps) per row of C; w may be null. */
    public static Norm rmsNorm(double[] x, double[] w, int n, int c, double eps) {
        double[] y = new double[n * c], rstd = new double[n];
        for (int r = 0; r < n; r++) {
            double ss = 0;
            for (int i = 0; i < c; i++) ss += x[r * c + i] * x[r * c + i];
            rstd[r] = 1 / Math.sqrt(ss / c + eps);
            for (int i = 0; i < c; i++) y[r * c + i] = x[r * c + i] * rstd[r] * (w == null ? 1 : w[i]);
        }
        return new Norm(y, null, rstd);
    }

    /** dx = rstd · (g - xhat · mean(g · xhat)) with g = dy · w, xhat = x · rstd; dw = Σ_rows dy · xhat. */
    public static NormGrads rmsNormBackward(double[] dy, double[] x, double[] w, int n, int c, double eps) {
        double[] rstd = rmsNorm(x, null, n, c, eps).rstd();
        double[] dx = new double[n * c], dw = w == null ? null : new double[c];
        for (int r = 0; r < n; r++) {
            double dot = 0;
            for (int i = 0; i < c; i++) {
                double xhat = x[r * c + i] * rstd[r], g = dy[r * c + i] * (w == null ? 1 : w[i]);
                dot += g * xhat;
                if (dw != null) dw[i] += dy[r * c + i] * xhat;
            }
            for (int i = 0; i < c; i++) {
                double xhat = x[r * c + i] * rstd[r], g = dy[r * c + i] * (w == null ? 1 : w[i]);
                dx[r * c + i] = rstd[r] * (g - xhat * dot / c);
            }
        }
        return new NormGrads(dx, dw, null);
    }

    // ------------------------------------------------------------------ LayerNorm (torch.nn.LayerNorm, biased variance)

    public static Norm layerNorm(double[] x, double[] w, double[] b, int n, int c, double eps) {
        double[] y = new double[n * c], mean = new double[n], rstd = new double[n];
        for (int r = 0; r < n; r++) {
            double m = 0, var = 0;
            for (int i = 0; i < c; i++) m += x[r * c + i];
            m /= c;
            for (int i = 0; i < c; i++) var += (x[r * c + i] - m) * (x[r * c + i] - m);
            mean[r] = m;
            rstd[r] = 1 / Math.sqrt(var / c + eps);
            for (int i = 0; i < c; i++) {
                y[r * c + i] = (x[r * c + i] - m) * rstd[r] * (w == null ? 1 : w[i]) + (b == null ? 0 : b[i]);
            }
        }
        return new Norm(y, mean, rstd);
    }

    /** dx = rstd · (g - mean(g) - xhat · mean(g · xhat)); dw = Σ dy · xhat; db = Σ dy. */
    public static NormGrads layerNormBackward(double[] dy, double[] x, double[] w, boolean hasBias, int n, int c, double eps) {
        Norm stats = layerNorm(x, null, null, n, c, eps);
        double[] dx = new double[n * c], dw = w == null ? null : new double[c], db = hasBias ? new double[c] : null;
        for (int r = 0; r < n; r++) {
            double sumG = 0, sumGx = 0;
            double[] xhat = new double[c], g = new double[c];
            for (int i = 0; i < c; i++) {
                xhat[i] = (x[r * c + i] - stats.mean()[r]) * stats.rstd()[r];
                g[i] = dy[r * c + i] * (w == null ? 1 : w[i]);
                sumG += g[i];
                sumGx += g[i] * xhat[i];
                if (dw != null) dw[i] += dy[r * c + i] * xhat[i];
                if (db != null) db[i] += dy[r * c + i];
            }
            for (int i = 0; i < c; i++) dx[r * c + i] = stats.rstd()[r] * (g[i] - sumG / c - xhat[i] * sumGx / c);
        }
        return new NormGrads(dx, dw, db);
    }

    // ------------------------------------------------------------------ RoPE (HF apply_rotary_pos_emb, rotate_half)

    /**
     * x [B, H, T, D]; cos/sin [tableBatch, T, R] with tableBatch 1 (shared) or B. For i < R/2:
     * y[i] = x[i]·cos[i] - x[i + R/2]·sin[i], y[i + R/2] = x[i + R/2]·cos[i + R/2] + x[i]·sin[i + R/2]; dims ≥ R pass.
     */
    public static double[] rope(double[] x, double[] cos, double[] sin, int b, int h, int t, int d, int r, boolean tableBatched) {
        return rotate(x, cos, sin, b, h, t, d, r, tableBatched, false);
    }

    /** The transpose of {@link #rope}: dx[i] = dy[i]·cos[i] + dy[i + R/2]·sin[i + R/2], dx[i + R/2] = dy[i + R/2]·cos[i + R/2] - dy[i]·sin[i]. */
    public static double[] ropeBackward(double[] dy, double[] cos, double[] sin, int b, int h, int t, int d, int r, boolean tableBatched) {
        return rotate(dy, cos, sin, b, h, t, d, r, tableBatched, true);
    }

    private static double[] rotate(double[] x, double[] cos, double[] sin, int b, int h, int t, int d, int r,
                                   boolean tableBatched, boolean transpose) {
        double[] y = x.clone();
        int half = r / 2;
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                for (int ti = 0; ti < t; ti++) {
                    int row = ((bi * h + hi) * t + ti) * d, tab = ((tableBatched ? bi : 0) * t + ti) * r;
                    for (int i = 0; i < half; i++) {
                        double x1 = x[row + i], x2 = x[row + i + half];
                        double c1 = cos[tab + i], c2 = cos[tab + i + half], s1 = sin[tab + i], s2 = sin[tab + i + half];
                        if (transpose) {
                            y[row + i] = x1 * c1 + x2 * s2;
                            y[row + i + half] = x2 * c2 - x1 * s1;
                        } else {
                            y[row + i] = x1 * c1 - x2 * s1;
                            y[row + i + half] = x2 * c2 + x1 * s2;
                        }
                    }
                }
            }
        }
        return y;
    }

    // ------------------------------------------------------------------ SwiGLU

    public static double silu(double g) {
        return g / (1 + Math.exp(-g));
    }

    public static double[] siluMul(double[] gate, double[] up) {
        double[] y = new double[gate.length];
        for (int i = 0; i < y.length; i++) y[i] = silu(gate[i]) * up[i];
        return y;
    }

    /** {dGate, dUp}: dGate = dy · up · σ(g)(1 + g(1 - σ(g))), dUp = dy · silu(g). */
    public static double[][] siluMulBackward(double[] dy, double[] gate, double[] up) {
        double[] dg = new double[gate.length], du = new double[gate.length];
        for (int i = 0; i < dg.length; i++) {
            double s = 1 / (1 + Math.exp(-gate[i]));
            dg[i] = dy[i] * up[i] * s * (1 + gate[i] * (1 - s));
            du[i] = dy[i] * silu(gate[i]);
        }
        return new double[][]{dg, du};
    }

    // ------------------------------------------------------------------ softmax / log-softmax over rows of V

    public static double[] softmax(double[] x, int n, int v) {
        double[] y = logSoftmax(x, n, v);
        for (int i = 0; i < y.length; i++) y[i] = Math.exp(y[i]);
        return y;
    }

    public static double[] logSoftmax(double[] x, int n, int v) {
        double[] y = new double[n * v];
        for (int r = 0; r < n; r++) {
            double lse = logSumExp(x, r * v, v);
            for (int i = 0; i < v; i++) y[r * v + i] = x[r * v + i] - lse;
        }
        return y;
    }

    /** log Σ exp(x[off .. off + len)), -inf when every entry is -inf. */
    public static double logSumExp(double[] x, int off, int len) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) m = Math.max(m, x[off + i]);
        if (m == Double.NEGATIVE_INFINITY) return m;
        double s = 0;
        for (int i = 0; i < len; i++) s += Math.exp(x[off + i] - m);
        return m + Math.log(s);
    }

    /** dx = y · (dy - Σ dy·y), y the softmax output. */
    public static double[] softmaxBackward(double[] dy, double[] y, int n, int v) {
        double[] dx = new double[n * v];
        for (int r = 0; r < n; r++) {
            double dot = 0;
            for (int i = 0; i < v; i++) dot += dy[r * v + i] * y[r * v + i];
            for (int i = 0; i < v; i++) dx[r * v + i] = y[r * v + i] * (dy[r * v + i] - dot);
        }
        return dx;
    }

    /** dx = dy - exp(y) · Σ dy, y the log-softmax output. */
    public static double[] logSoftmaxBackward(double[] dy, double[] y, int n, int v) {
        double[] dx = new double[n * v];
        for (int r = 0; r < n; r++) {
            double sum = 0;
            for (int i = 0; i < v; i++) sum += dy[r * v + i];
            for (int i = 0; i < v; i++) dx[r * v + i] = dy[r * v + i] - Math.exp(y[r * v + i]) * sum;
        }
        return dx;
    }

    // ------------------------------------------------------------------ cross-entropy over logits [N, V]

    /** Per-row losses [N] (0 for ignored rows) and log-sum-exp [N]. */
    public record CrossEntropy(double[] losses, double[] lse) {}

    public static CrossEntropy crossEntropy(double[] logits, long[] targets, long ignoreIndex, int n, int v) {
        double[] losses = new double[n], lse = new double[n];
        for (int r = 0; r < n; r++) {
            lse[r] = logSumExp(logits, r * v, v);
            if (targets[r] != ignoreIndex) losses[r] = lse[r] - logits[r * v + (int) targets[r]];
        }
        return new CrossEntropy(losses, lse);
    }

    /** dlogits = dLoss · (softmax - onehot(target)); zero rows for ignored targets. */
    public static double[] crossEntropyBackward(double[] dLosses, double[] logits, long[] targets, long ignoreIndex, int n, int v) {
        double[] p = softmax(logits, n, v), dx = new double[n * v];
        for (int r = 0; r < n; r++) {
            if (targets[r] == ignoreIndex) continue;
            for (int i = 0; i < v; i++) dx[r * v + i] = dLosses[r] * (p[r * v + i] - (i == targets[r] ? 1 : 0));
        }
        return dx;
    }

    // ------------------------------------------------------------------ attention (softmax(q·kᵀ·scale + mask)·v, GQA)

    /** q [B, Hq, T, D], k [B, Hkv, S, D], v [B, Hkv, S, Dv] (output [B, Hq, T, Dv]); query head h reads kv head h / (Hq / Hkv). */
    public record AttentionShape(int b, int hq, int hkv, int t, int s, int d, int dv) {
        /** Values of the query/key head dim. */
        public AttentionShape(int b, int hq, int hkv, int t, int s, int d) {
            this(b, hq, hkv, t, s, d, d);
        }
    }

    /**
     * Causal with offset S - T, a sliding window (0: none) and equal segments ([B, T] / [B, S], or null), scores
     * soft-capped by {@code softcap} (0: none); {@code sinks} [Hq]: one more softmax logit per head with no value (null:
     * none); see AttentionSpec.
     */
    public record AttentionMask(double scale, boolean causal, long[] querySegments, long[] keySegments, int window, double softcap, double[] sinks) {
        public AttentionMask(double scale, boolean causal, long[] querySegments, long[] keySegments, int window, double softcap) {
            this(scale, causal, querySegments, keySegments, window, softcap, null);
        }

        public AttentionMask(double scale, boolean causal, long[] querySegments, long[] keySegments) {
            this(scale, causal, querySegments, keySegments, 0, 0);
        }

        public AttentionMask(double scale, boolean causal, long[] querySegments, long[] keySegments, int window) {
            this(scale, causal, querySegments, keySegments, window, 0);
        }

        double cap(double s) { return softcap > 0 ? softcap * Math.tanh(s / softcap) : s; }

        /** d cap(s) / ds at the capped value c. */
        double capSlope(double c) { return softcap > 0 ? 1 - (c / softcap) * (c / softcap) : 1; }

        boolean allowed(AttentionShape a, int bi, int i, int j) {
            int pos = i + a.s() - a.t();
            if (causal && j > pos) return false;
            if (window > 0 && pos - j >= window) return false;
            return querySegments == null || querySegments[bi * a.t() + i] == keySegments[bi * a.s() + j];
        }
    }

    /** Output [B, Hq, T, Dv] (0 for rows that see no key) and log-sum-exp [B, Hq, T] (-inf for those rows). */
    public record Attention(double[] out, double[] lse) {}

    public record AttentionGrads(double[] dq, double[] dk, double[] dv) {}

    /** The capped score of query i and key j (recomputed: this is the oracle, not a fast path). */
    private static double capped(double[] q, double[] k, AttentionShape a, AttentionMask m, int bi, int h, int i, int j) {
        int d = a.d(), kvh = h / (a.hq() / a.hkv());
        double dot = 0;
        for (int x = 0; x < d; x++) dot += q[(((bi * a.hq() + h) * a.t()) + i) * d + x] * k[(((bi * a.hkv() + kvh) * a.s()) + j) * d + x];
        return m.cap(dot * m.scale());
    }

    /** Probabilities of one query row over all S keys (materialized: this is the oracle). */
    private static double[] probabilities(double[] q, double[] k, AttentionShape a, AttentionMask m, int bi, int h, int i) {
        int d = a.d(), kvh = h / (a.hq() / a.hkv());
        double[] scores = new double[a.s()];
        for (int j = 0; j < a.s(); j++) {
            if (!m.allowed(a, bi, i, j)) {
                scores[j] = Double.NEGATIVE_INFINITY;
                continue;
            }
            double dot = 0;
            for (int x = 0; x < d; x++) dot += q[(((bi * a.hq() + h) * a.t()) + i) * d + x] * k[(((bi * a.hkv() + kvh) * a.s()) + j) * d + x];
            scores[j] = m.cap(dot * m.scale());
        }
        double lse = logSumExp(scores, 0, a.s());
        if (m.sinks() != null) lse = logSumExp(new double[]{lse, m.sinks()[h]}, 0, 2); // the sink: one more term of the denominator
        double[] p = new double[a.s() + 1];
        for (int j = 0; j < a.s(); j++) p[j] = lse == Double.NEGATIVE_INFINITY ? 0 : Math.exp(scores[j] - lse);
        p[a.s()] = lse; // last slot carries the log-sum-exp
        return p;
    }

    public static Attention attention(double[] q, double[] k, double[] v, AttentionShape a, AttentionMask m) {
        int d = a.dv();
        double[] out = new double[a.b() * a.hq() * a.t() * d], lse = new double[a.b() * a.hq() * a.t()];
        for (int bi = 0; bi < a.b(); bi++) {
            for (int h = 0; h < a.hq(); h++) {
                int kvh = h / (a.hq() / a.hkv());
                for (int i = 0; i < a.t(); i++) {
                    int row = (bi * a.hq() + h) * a.t() + i;
                    double[] p = probabilities(q, k, a, m, bi, h, i);
                    lse[row] = p[a.s()];
                    for (int j = 0; j < a.s(); j++) {
                        for (int x = 0; x < d; x++) out[row * d + x] += p[j] * v[(((bi * a.hkv() + kvh) * a.s()) + j) * d + x];
                    }
                }
            }
        }
        return new Attention(out, lse);
    }

    /** The sinks' gradient [Hq]: the sink column's probability exp(sink_h - lse) times -(dO·O) of each row, summed. */
    public static double[] attentionSinksBackward(double[] dOut, double[] q, double[] k, double[] v, AttentionShape a, AttentionMask m) {
        Attention f = attention(q, k, v, a, m);
        double[] ds = new double[a.hq()];
        for (int bi = 0; bi < a.b(); bi++) {
            for (int h = 0; h < a.hq(); h++) {
                for (int i = 0; i < a.t(); i++) {
                    int row = (bi * a.hq() + h) * a.t() + i;
                    double dot = 0;
                    for (int x = 0; x < a.dv(); x++) dot += dOut[row * a.dv() + x] * f.out()[row * a.dv() + x];
                    ds[h] -= Math.exp(m.sinks()[h] - f.lse()[row]) * dot;
                }
            }
        }
        return ds;
    }

    /** dv = Pᵀ·dO, dP = dO·vᵀ, dS = P ∘ (dP - rowsum(P ∘ dP)), dq = scale·dS·k, dk = scale·dSᵀ·q; dk/dv summed over the GQA group. */
    public static AttentionGrads attentionBackward(double[] dOut, double[] q, double[] k, double[] v, AttentionShape a, AttentionMask m) {
        int d = a.d(), dvh = a.dv();
        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        for (int bi = 0; bi < a.b(); bi++) {
            for (int h = 0; h < a.hq(); h++) {
                int kvh = h / (a.hq() / a.hkv());
                for (int i = 0; i < a.t(); i++) {
                    int rowIndex = (bi * a.hq() + h) * a.t() + i, row = rowIndex * d, outRow = rowIndex * dvh;
                    double[] p = probabilities(q, k, a, m, bi, h, i);
                    double[] dp = new double[a.s()];
                    double rowDot = 0;
                    for (int j = 0; j < a.s(); j++) {
                        int kvv = (((bi * a.hkv() + kvh) * a.s()) + j) * dvh;
                        for (int x = 0; x < dvh; x++) dp[j] += dOut[outRow + x] * v[kvv + x];
                        rowDot += p[j] * dp[j];
                    }
                    for (int j = 0; j < a.s(); j++) {
                        int kv = (((bi * a.hkv() + kvh) * a.s()) + j) * d, kvv = (((bi * a.hkv() + kvh) * a.s()) + j) * dvh;
                        double ds = p[j] * (dp[j] - rowDot) * m.scale() * (p[j] == 0 ? 1 : m.capSlope(capped(q, k, a, m, bi, h, i, j)));
                        for (int x = 0; x < dvh; x++) dv[kvv + x] += p[j] * dOut[outRow + x];
                        for (int x = 0; x < d; x++) {
                            dq[row + x] += ds * k[kv + x];
                            dk[kv + x] += ds * q[row + x];
                        }
                    }
                }
            }
        }
        return new AttentionGrads(dq, dk, dv);
    }

    // ------------------------------------------------------------------ AdamW (torch.optim.AdamW, in place)

    public static void adamwStep(double[] p, double[] g, double[] m, double[] v, double lr, double beta1, double beta2,
                                 double eps, double weightDecay, long step) {
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        for (int i = 0; i < p.length; i++) {
            p[i] *= 1 - lr * weightDecay;
            m[i] = beta1 * m[i] + (1 - beta1) * g[i];
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
            p[i] -= lr / bc1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(bc2) + eps);
        }
    }
}
