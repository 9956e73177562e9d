package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;

import java.lang.foreign.MemorySegment;

/**
 * RMSNorm (HF LlamaRMSNorm) forward and backward over rows of C, f32. Dims: N rows, C channels.
 * Forward saves rstd per row; backward: xhat = x·rstd, g = dy·w,
 * dx = rstd·(g - xhat·mean(g·xhat)), dw = Σ_rows dy·xhat (per-thread partial sums, then added).
 */
public final class NormKernels {
    private NormKernels() {}

    public static FusedResults.RmsNorm rmsNorm(Tensor x, Tensor weight, double eps) {
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
}
