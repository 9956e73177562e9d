package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.FusedRules;
import io.jswift.tensor.spi.NormRules;

/**
 * RMSNorm and LayerNorm forward and backward on the device (kernels in norm.c). Dims: N rows, C channels.
 * Dtypes and checks are {@link NormRules}'; with an F64 operand everything computes in double, 16-bit inputs in f32.
 */
final class Norms {
    /** Aim for this many threads in the column-partials kernel: C columns times P row chunks. */
    private static final long PARTIAL_ITEMS = 1 << 16;

    private final GpuDevice dev;

    Norms(GpuDevice dev) { this.dev = dev; }

    FusedResults.RmsNorm rmsNorm(Tensor x, Tensor weight, double eps) {
        int c = NormRules.checkForward("rmsNorm", x, weight, null), n = FusedRules.rows(x);
        DType out = NormRules.outType(x, weight, null), real = FusedRules.computeType(x, weight);
        Tensor xd = GpuTensors.dense(dev, x), wd = weight == null ? xd : GpuTensors.dense(dev, weight);
        Tensor y = GpuTensors.empty(dev, out, x.shape()), rstd = GpuTensors.empty(dev, real, n);
        int group = Launches.rowGroup(dev, c);
        ProgramSource src = forwardSource(x, weight, null, out, real, group);
        Launches.rows(dev, src, "rms_norm_forward", n, group, xd, wd, flag(weight), y, rstd, c, GpuTensors.scalar(real, eps));
        return new FusedResults.RmsNorm(y, rstd);
    }

    FusedResults.LayerNorm layerNorm(Tensor x, Tensor weight, Tensor bias, double eps) {
        int c = NormRules.checkForward("layerNorm", x, weight, bias), n = FusedRules.rows(x);
        DType out = NormRules.outType(x, weight, bias), real = FusedRules.computeType(x, weight, bias);
        Tensor xd = GpuTensors.dense(dev, x);
        Tensor wd = weight == null ? xd : GpuTensors.dense(dev, weight), bd = bias == null ? xd : GpuTensors.dense(dev, bias);
        Tensor y = GpuTensors.empty(dev, out, x.shape());
        Tensor mean = GpuTensors.empty(dev, real, n), rstd = GpuTensors.empty(dev, real, n);
        int group = Launches.rowGroup(dev, c);
        ProgramSource src = forwardSource(x, weight, bias, out, real, group);
        Launches.rows(dev, src, "layer_norm_forward", n, group, xd, wd, flag(weight), bd, flag(bias), y, mean, rstd, c,
                GpuTensors.scalar(real, eps));
        return new FusedResults.LayerNorm(y, mean, rstd);
    }

    FusedResults.NormGrads rmsNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor rstd) {
        return backward("rmsNormBackward", dy, x, weight, null, rstd, false);
    }

    FusedResults.NormGrads layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) {
        NormRules.checkLayerNormBackward(dy, x, weight, mean, rstd);
        return backward("layerNormBackward", dy, x, weight, mean, rstd, hasBias);
    }

    // ------------------------------------------------------------------ backward

    /** Both norms: RMSNorm is LayerNorm without centering (mean 0, no mean(g) term) and without bias. */
    private FusedResults.NormGrads backward(String op, Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd, boolean hasBias) {
        int c = NormRules.checkBackward(op, dy, x, weight, mean, rstd), n = FusedRules.rows(x);
        boolean rms = mean == null;
        DType real = FusedRules.computeType(dy, x, weight, mean, rstd), gradType = FusedRules.computeType(x, dy, weight);
        Tensor xd = GpuTensors.dense(dev, x), dyd = GpuTensors.dense(dev, dy), rd = GpuTensors.dense(dev, rstd);
        Tensor wd = weight == null ? xd : GpuTensors.dense(dev, weight), md = rms ? rd : GpuTensors.dense(dev, mean);
        int group = Launches.rowGroup(dev, c);
        ProgramSource src = KernelSource.of("norm.c").include("rows.c").real("REAL", real).define("GROUP", group)
                .type("DY", dy.dtype()).type("X", x.dtype()).type("W", wd.dtype()).type("M", md.dtype()).type("S", rstd.dtype())
                .type("DX", x.dtype()).type("O", gradType).build();
        Tensor dx = GpuTensors.empty(dev, x.dtype(), x.shape());
        Launches.rows(dev, src, "norm_backward_dx", n, group, dyd, xd, wd, flag(weight), md, rd, rms ? 1 : 0, dx, c);
        // zeros: with no rows there is nothing to sum, and the gradient of an unused weight is 0
        Tensor dw = weight == null ? null : GpuTensors.zeros(dev, gradType, c);
        Tensor db = hasBias ? GpuTensors.zeros(dev, gradType, c) : null;
        if ((dw != null || db != null) && n > 0 && c > 0) paramGrads(src, real, dyd, xd, md, rd, rms, dw, db, n, c);
        return new FusedResults.NormGrads(dx, dw, db);
    }

    /** dw = Σ_rows dy·xhat, db = Σ_rows dy: partial sums over P chunks of rows, then a sum over the P partials. */
    private void paramGrads(ProgramSource src, DType real, Tensor dy, Tensor x, Tensor mean, Tensor rstd, boolean rms, Tensor dw,
                            Tensor db, int n, int c) {
        long parts = Math.min(GpuDevice.MAX_GRID_YZ, Math.min(n, Math.max(1, PARTIAL_ITEMS / c)));
        long chunk = (n + parts - 1) / parts;
        parts = (n + chunk - 1) / chunk;
        Tensor dwPart = dw == null ? null : GpuTensors.empty(dev, real, (int) parts, c);
        Tensor dbPart = db == null ? null : GpuTensors.empty(dev, real, (int) parts, c);
        Tensor any = dwPart != null ? dwPart : dbPart;
        Launches.columns(dev, src, "norm_param_partials", c, parts,
                dy, x, mean, rstd, rms ? 1 : 0, dwPart != null ? dwPart : any, flag(dwPart), dbPart != null ? dbPart : any, flag(dbPart),
                c, (long) n, chunk);
        if (dw != null) Launches.elements(dev, src, "column_sum", c, dwPart, dw, c, parts);
        if (db != null) Launches.elements(dev, src, "column_sum", c, dbPart, db, c, parts);
    }

    // ------------------------------------------------------------------ helpers

    private static ProgramSource forwardSource(Tensor x, Tensor weight, Tensor bias, DType out, DType real, int group) {
        return KernelSource.of("norm.c").include("rows.c").real("REAL", real).define("GROUP", group)
                .type("X", x.dtype()).type("W", weight == null ? x.dtype() : weight.dtype()).type("B", bias == null ? x.dtype() : bias.dtype())
                .type("Y", out).type("M", real).type("S", real)
                .define("X_ROUND(v)", roundTo(x.dtype())).build();
    }

    /** A kernel's runtime flag for an optional operand (a uniform branch, so both cases share one program). */
    private static int flag(Tensor optional) {
        return optional != null ? 1 : 0;
    }

    /** An expression rounding a REAL to {@code t} and back (HF casts the normalized value to the input dtype). */
    private static String roundTo(DType t) {
        return switch (t) {
            case F64 -> "(v)";
            case F32 -> "((float) (v))";
            case BF16 -> "bf16_to_float(float_to_bf16((float) (v)))";
            case F16 -> "f16_round((float) (v))";
            default -> throw new IllegalArgumentException("not a floating dtype: " + t);
        };
    }
}
