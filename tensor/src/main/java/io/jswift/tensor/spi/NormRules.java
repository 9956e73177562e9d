package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import static io.jswift.tensor.spi.FusedRules.requireFloating;
import static io.jswift.tensor.spi.FusedRules.requireNumel;
import static io.jswift.tensor.spi.FusedRules.requireShape;

/**
 * Checks and dtypes of RMSNorm and LayerNorm (forward and backward) over the last dim. Dims: N rows, C channels.
 * y takes promote(x, weight[, bias]) (HF normalizes in f32, casts to x's dtype, then multiplies by the weight);
 * statistics and weight/bias gradients are f32, f64 when an operand is F64 ({@link FusedRules#computeType});
 * dx takes x's dtype.
 */
public final class NormRules {
    private NormRules() {}

    /** y's dtype: promote(x, weight, bias) over the operands present. */
    public static DType outType(Tensor x, Tensor weight, Tensor bias) {
        DType t = x.dtype();
        if (weight != null) t = DType.promote(t, weight.dtype());
        if (bias != null) t = DType.promote(t, bias.dtype());
        return t;
    }

    /** C, after checking that x is floating point with rank >= 1 and that weight and bias (optional) have C elements. */
    public static int checkForward(String op, Tensor x, Tensor weight, Tensor bias) {
        if (x.rank() == 0) throw new IllegalArgumentException(op + ": x must have at least one dim, got a scalar");
        requireFloating(op, "x", x);
        requireFloating(op, "weight", weight);
        requireFloating(op, "bias", bias);
        int c = x.size(-1);
        requireNumel(op, "weight", weight, c);
        requireNumel(op, "bias", bias, c);
        return c;
    }

    /** C, after the forward's checks and: dy floating and shaped like x, rstd (and mean when given) one per row. */
    public static int checkBackward(String op, Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd) {
        int c = checkForward(op, x, weight, null);
        int n = FusedRules.rows(x);
        requireFloating(op, "dy", dy);
        requireShape(op, "dy", dy, x.shape());
        if (rstd == null) throw new IllegalArgumentException(op + ": rstd is null");
        requireNumel(op, "rstd", rstd, n);
        requireNumel(op, "mean", mean, n);
        return c;
    }

    /** C, after {@link #checkBackward} with the mean LayerNorm's backward needs. */
    public static int checkLayerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor mean, Tensor rstd) {
        if (mean == null) throw new IllegalArgumentException("layerNormBackward: mean is null");
        return checkBackward("layerNormBackward", dy, x, weight, mean, rstd);
    }
}
