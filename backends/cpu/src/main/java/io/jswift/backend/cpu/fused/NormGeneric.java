package io.jswift.backend.cpu.fused;

import io.jswift.tensor.spi.FusedRules;
import io.jswift.tensor.spi.NormRules;
import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;

/**
 * The any-dtype path of {@link NormKernels}: rows read as double, statistics in double, one rounding per
 * written value. Used for F64 (finite-difference gradient checks) and bf16/f16 activations. Dims: N rows,
 * C channels. Outputs take promote(x, weight[, bias]); statistics and weight gradients are f32 (f64 when
 * any input is F64); dx takes x's dtype.
 */
final class NormGeneric {
    private NormGeneric() {}

    private static int grain(int c) {
        return Math.max(1, 4096 / Math.max(1, c));
    }

    static FusedResults.RmsNorm rmsNorm(Tensor x, Tensor weight, double eps) {
        Tensor xc = x.contiguous();
        int c = x.size(-1), n = Rows.rows(x);
        double[] w = Rows.all(weight);
        Tensor y = Tensor.zeros(NormRules.outType(x, weight, null), x.shape()), rstd = Tensor.zeros(FusedRules.computeType(x, weight), n);
        Parallel.range(n, grain(c), (from, to) -> {
            double[] buf = new double[c];
            for (int r = from; r < to; r++) {
                Rows.read(xc, r, c, buf);
                double ss = 0;
                for (int i = 0; i < c; i++) ss += buf[i] * buf[i];
                double inv = 1 / Math.sqrt(ss / c + eps);
                rstd.setDouble(inv, r);
                // HF: hidden.to(f32) * rsqrt(var + eps), cast back to the input dtype, then weight * hidden
                for (int i = 0; i < c; i++) buf[i] = Rows.round(x.dtype(), buf[i] * inv) * (w == null ? 1 : w[i]);
                Rows.write(y, r, c, buf);
            }
        });
        return new FusedResults.RmsNorm(y, rstd);
    }

    static FusedResults.NormGrads rmsNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor rstd) {
        return backward(dy, x, weight, null, rstd, false, true);
    }

    static FusedResults.LayerNorm layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        Tensor xc = x.contiguous();
        int c = x.size(-1), n = Rows.rows(x);
        double[] w = Rows.all(weight), b = Rows.all(bias);
        DType st = FusedRules.computeType(x, weight, bias);
        Tensor y = Tensor.zeros(NormRules.outType(x, weight, bias), x.shape()), mean = Tensor.zeros(st, n), rstd = Tensor.zeros(st, n);
        Parallel.range(n, grain(c), (from, to) -> {
            double[] buf = new double[c];
            for (int r = from; r < to; r++) {
                Rows.read(xc, r, c, buf);
                double m = 0, var = 0;
                for (int i = 0; i < c; i++) m += buf[i];
                m /= c;
                for (int i = 0; i < c; i++) var += (buf[i] - m) * (buf[i] - m);
                double inv = 1 / Math.sqrt(var / c + eps);
                mean.setDouble(m, r);
                rstd.setDouble(inv, r);
                for (int i = 0; i < c; i++) buf[i] = (buf[i] - m) * inv * (w == null ? 1 : w[i]) + (b == null ? 0 : b[i]);
                Rows.write(y, r, c, buf);
            }
        });
        return new FusedResults.LayerNorm(y, mean, rstd);
    }

    static FusedResults.NormGrads layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) {
        return backward(dy, x, weight, mean, rstd, hasBias, false);
    }

    /** Both norms: RMSNorm is LayerNorm without centering (mean 0, no mean(g) term). */
    private static FusedResults.NormGrads backward(Tensor dy, Tensor x, Tensor weight, Tensor meanT, Tensor rstdT, boolean hasBias, boolean rms) {
        Tensor xc = x.contiguous(), dyc = dy.contiguous();
        int c = x.size(-1), n = Rows.rows(x);
        double[] w = Rows.all(weight), mean = rms ? null : Rows.all(meanT), rstd = Rows.all(rstdT);
        Tensor dx = Tensor.zeros(x.dtype(), x.shape());
        int chunks = Math.max(1, Math.min(Parallel.threads(), n));
        double[][] dwPart = new double[chunks][c], dbPart = new double[chunks][c];
        Parallel.range(chunks, 1, (c0, c1) -> {
            double[] xb = new double[c], gb = new double[c], dyb = new double[c];
            for (int chunk = c0; chunk < c1; chunk++) {
                int from = (int) ((long) n * chunk / chunks), to = (int) ((long) n * (chunk + 1) / chunks);
                for (int r = from; r < to; r++) {
                    Rows.read(xc, r, c, xb);
                    Rows.read(dyc, r, c, dyb);
                    double sumG = 0, sumGx = 0;
                    for (int i = 0; i < c; i++) {
                        xb[i] = (xb[i] - (rms ? 0 : mean[r])) * rstd[r];            // xhat
                        gb[i] = dyb[i] * (w == null ? 1 : w[i]);
                        sumG += gb[i];
                        sumGx += gb[i] * xb[i];
                        dwPart[chunk][i] += dyb[i] * xb[i];
                        dbPart[chunk][i] += dyb[i];
                    }
                    double mg = rms ? 0 : sumG / c, mgx = sumGx / c;
                    for (int i = 0; i < c; i++) gb[i] = rstd[r] * (gb[i] - mg - xb[i] * mgx);
                    Rows.write(dx, r, c, gb);
                }
            }
        });
        DType st = FusedRules.computeType(x, dy, weight);
        return new FusedResults.NormGrads(dx, weight == null ? null : sum(dwPart, c, st), hasBias ? sum(dbPart, c, st) : null);
    }

    private static Tensor sum(double[][] parts, int c, DType dtype) {
        Tensor out = Tensor.zeros(dtype, c);
        for (int i = 0; i < c; i++) {
            double s = 0;
            for (double[] p : parts) s += p[i];
            out.setDouble(s, i);
        }
        return out;
    }
}
