package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.VecMath;
import io.jswift.tensor.spi.NormRules;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

/**
 * RMSNorm (HF LlamaRMSNorm) and LayerNorm (torch.nn.LayerNorm, biased variance) forward and backward over
 * rows of C, in the style of llm.c's layernorm_forward/backward: the forward saves per-row statistics
 * (mean, rstd) that the backward reuses. Dims: N rows, C channels.
 * RMSNorm backward: xhat = x·rstd, g = dy·w, dx = rstd·(g - xhat·mean(g·xhat)), dw = Σ_rows dy·xhat.
 * LayerNorm backward: xhat = (x - mean)·rstd, dx = rstd·(g - mean(g) - xhat·mean(g·xhat)), db = Σ_rows dy.
 * Weight gradients use per-chunk partial sums added at the end (no races). F32 x runs the SIMD paths;
 * F64 and 16-bit x take {@link NormGeneric} (double arithmetic; 16-bit RMSNorm rounds the normalized value
 * to the input dtype before the weight multiply, as HF does).
 */
public final class NormKernels {
    private NormKernels() {}

    private static boolean fast(Tensor x, Tensor... others) {
        if (x.dtype() != DType.F32) return false;
        for (Tensor t : others) if (t != null && t.dtype() == DType.F64) return false;
        return true;
    }

    public static FusedResults.RmsNorm rmsNorm(Tensor x, Tensor weight, double eps) {
        NormRules.checkForward("rmsNorm", x, weight, null);
        if (!fast(x, weight)) return NormGeneric.rmsNorm(x, weight, eps);
        Tensor xc = Contig.of(x), w = Contig.f32Weight(weight);
        int c = x.size(-1);
        int n = (int) (x.numel() / Math.max(1, c));
        Tensor y = Tensor.zeros(DType.F32, x.shape()), rstd = Tensor.zeros(DType.F32, n);
        MemorySegment xs = xc.hostSegment(), ys = y.hostSegment(), rs = rstd.hostSegment(), ws = w == null ? null : w.hostSegment();
        long xo = xc.offset(), wo = w == null ? 0 : w.offset();
        Parallel.range(n, Math.max(1, 8192 / Math.max(1, c)), (from, to) -> {
            for (int r = from; r < to; r++) {
                long row = xo + (long) r * c, out = (long) r * c;
                float inv = (float) (1 / Math.sqrt(Vec.dot(xs, row, xs, row, c) / c + eps));
                Vec.set(rs, r, inv);
                int i = 0, bound = Vec.F.loopBound(c);
                // separate loops: a vector assigned under a condition inside the loop makes C2 box it (~20x slower)
                if (ws != null) {
                    for (; i < bound; i += Vec.L) Vec.store(Vec.load(xs, row + i).mul(inv).mul(Vec.load(ws, wo + i)), ys, out + i);
                } else {
                    for (; i < bound; i += Vec.L) Vec.store(Vec.load(xs, row + i).mul(inv), ys, out + i);
                }
                for (; i < c; i++) Vec.set(ys, out + i, Vec.get(xs, row + i) * inv * (ws == null ? 1 : Vec.get(ws, wo + i)));
            }
        });
        return new FusedResults.RmsNorm(y, rstd);
    }

    public static FusedResults.NormGrads rmsNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor rstd) {
        NormRules.checkBackward("rmsNormBackward", dy, x, weight, null, rstd);
        if (!fast(x, dy, weight, rstd) || dy.dtype() != DType.F32) return NormGeneric.rmsNormBackward(dy, x, weight, rstd);
        Tensor xc = Contig.of(x), dyc = Contig.of(dy), w = Contig.f32Weight(weight), rc = Contig.of(rstd);
        int c = x.size(-1);
        int n = (int) (x.numel() / Math.max(1, c));
        Tensor dx = Tensor.zeros(DType.F32, x.shape());
        MemorySegment xs = xc.hostSegment(), gs = dyc.hostSegment(), rs = rc.hostSegment(), dxs = dx.hostSegment();
        MemorySegment ws = w == null ? null : w.hostSegment();
        long xo = xc.offset(), go = dyc.offset(), ro = rc.offset(), wo = w == null ? 0 : w.offset();
        int chunks = Math.max(1, Math.min(Parallel.threads(), n));
        float[][] dwPartial = new float[chunks][w == null ? 0 : c];
        Parallel.range(chunks, 1, (c0, c1) -> {
            for (int chunk = c0; chunk < c1; chunk++) {
                int from = (int) ((long) n * chunk / chunks), to = (int) ((long) n * (chunk + 1) / chunks);
                float[] dw = dwPartial[chunk];
                float[] g = new float[c];
                for (int r = from; r < to; r++) {
                    long xr = xo + (long) r * c, gr = go + (long) r * c, out = (long) r * c;
                    float inv = Vec.get(rs, ro + r);
                    double dot = 0;
                    for (int i = 0; i < c; i++) {
                        float xhat = Vec.get(xs, xr + i) * inv;
                        float dyi = Vec.get(gs, gr + i);
                        g[i] = ws == null ? dyi : dyi * Vec.get(ws, wo + i);
                        dot += g[i] * xhat;
                        if (ws != null) dw[i] += dyi * xhat;
                    }
                    float mean = (float) (dot / c);
                    for (int i = 0; i < c; i++) Vec.set(dxs, out + i, inv * (g[i] - Vec.get(xs, xr + i) * inv * mean));
                }
            }
        });
        Tensor dWeight = null;
        if (w != null) {
            float[] sum = new float[c];
            for (float[] part : dwPartial) for (int i = 0; i < c; i++) sum[i] += part[i];
            dWeight = Tensor.of(sum, c);
        }
        return new FusedResults.NormGrads(dx, dWeight, null);
    }

    // ------------------------------------------------------------------ LayerNorm

    /** Ones / zeros standing in for a missing weight / bias, so the SIMD loop has a single form. */
    private static Tensor orConstant(Tensor t, int c, float value) {
        if (t != null) return Contig.f32Weight(t);
        float[] a = new float[c];
        java.util.Arrays.fill(a, value);
        return Tensor.of(a, c);
    }

    public static FusedResults.LayerNorm layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        NormRules.checkForward("layerNorm", x, weight, bias);
        if (!fast(x, weight, bias)) return NormGeneric.layerNorm(x, weight, bias, eps);
        Tensor xc = Contig.of(x);
        int c = x.size(-1), n = Rows.rows(x);
        Tensor w = orConstant(weight, c, 1), bi = orConstant(bias, c, 0);
        Tensor y = Tensor.zeros(DType.F32, x.shape()), mean = Tensor.zeros(DType.F32, n), rstd = Tensor.zeros(DType.F32, n);
        MemorySegment xs = xc.hostSegment(), ys = y.hostSegment(), ws = w.hostSegment(), bs = bi.hostSegment();
        long xo = xc.offset(), wo = w.offset(), bo = bi.offset();
        Parallel.range(n, Math.max(1, 8192 / Math.max(1, c)), (from, to) -> {
            for (int r = from; r < to; r++) {
                long row = xo + (long) r * c, out = (long) r * c;
                float m = Vec.sum(xs, row, c) / c;
                FloatVector acc = FloatVector.zero(Vec.F);
                int i = 0, bound = Vec.F.loopBound(c);
                for (; i < bound; i += Vec.L) {
                    FloatVector z = Vec.load(xs, row + i).sub(m);
                    acc = z.fma(z, acc);
                }
                float var = VecMath.sum(acc);
                for (; i < c; i++) var += (Vec.get(xs, row + i) - m) * (Vec.get(xs, row + i) - m);
                float inv = (float) (1 / Math.sqrt(var / c + eps));
                Vec.set(mean.hostSegment(), r, m);
                Vec.set(rstd.hostSegment(), r, inv);
                for (i = 0; i < bound; i += Vec.L) {
                    Vec.store(Vec.load(xs, row + i).sub(m).mul(inv).fma(Vec.load(ws, wo + i), Vec.load(bs, bo + i)), ys, out + i);
                }
                for (; i < c; i++) Vec.set(ys, out + i, (Vec.get(xs, row + i) - m) * inv * Vec.get(ws, wo + i) + Vec.get(bs, bo + i));
            }
        });
        return new FusedResults.LayerNorm(y, mean, rstd);
    }

    public static FusedResults.NormGrads layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) {
        NormRules.checkLayerNormBackward(dy, x, weight, mean, rstd);
        if (!fast(x, dy, weight, mean, rstd) || dy.dtype() != DType.F32) {
            return NormGeneric.layerNormBackward(dy, x, weight, mean, rstd, hasBias);
        }
        Tensor xc = Contig.of(x), dyc = Contig.of(dy), w = orConstant(weight, x.size(-1), 1);
        float[] mu = mean.toFloatArray(), inv = rstd.toFloatArray();
        int c = x.size(-1), n = Rows.rows(x);
        Tensor dx = Tensor.zeros(DType.F32, x.shape());
        MemorySegment xs = xc.hostSegment(), gs = dyc.hostSegment(), ws = w.hostSegment(), dxs = dx.hostSegment();
        long xo = xc.offset(), go = dyc.offset(), wo = w.offset();
        int chunks = Math.max(1, Math.min(Parallel.threads(), n));
        float[][] dwPart = new float[chunks][c], dbPart = new float[chunks][c];
        Parallel.range(chunks, 1, (c0, c1) -> {
            float[] xhat = new float[c], g = new float[c];
            for (int chunk = c0; chunk < c1; chunk++) {
                int from = (int) ((long) n * chunk / chunks), to = (int) ((long) n * (chunk + 1) / chunks);
                for (int r = from; r < to; r++) {
                    long xr = xo + (long) r * c, gr = go + (long) r * c, out = (long) r * c;
                    double sumG = 0, sumGx = 0;
                    for (int i = 0; i < c; i++) {
                        float dyi = Vec.get(gs, gr + i);
                        xhat[i] = (Vec.get(xs, xr + i) - mu[r]) * inv[r];
                        g[i] = dyi * Vec.get(ws, wo + i);
                        sumG += g[i];
                        sumGx += g[i] * xhat[i];
                        dwPart[chunk][i] += dyi * xhat[i];
                        dbPart[chunk][i] += dyi;
                    }
                    float mg = (float) (sumG / c), mgx = (float) (sumGx / c);
                    for (int i = 0; i < c; i++) Vec.set(dxs, out + i, inv[r] * (g[i] - mg - xhat[i] * mgx));
                }
            }
        });
        return new FusedResults.NormGrads(dx, weight == null ? null : Tensor.of(addUp(dwPart, c), c), hasBias ? Tensor.of(addUp(dbPart, c), c) : null);
    }

    private static float[] addUp(float[][] parts, int c) {
        float[] sum = new float[c];
        for (float[] part : parts) for (int i = 0; i < c; i++) sum[i] += part[i];
        return sum;
    }
}
