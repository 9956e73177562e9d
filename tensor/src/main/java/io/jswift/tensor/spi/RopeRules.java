package io.jswift.tensor.spi;

import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * The checks of {@link Backend#rope} and its backward (HF rotate_half RoPE). Dims: B batch, H heads,
 * T positions, D head dim, R rotary dims. x [B, H, T, D]; cos/sin [T, R] or [B, T, R], equal shapes, R even
 * and <= D; all floating. The result takes x's dtype.
 */
public final class RopeRules {
    private RopeRules() {}

    public static void check(Tensor x, Tensor cos, Tensor sin) {
        boolean ok = x.rank() == 4 && (cos.rank() == 2 || (cos.rank() == 3 && cos.size(0) == x.size(0)))
                && Arrays.equals(cos.shape(), sin.shape()) && cos.size(-2) == x.size(2)
                && cos.size(-1) % 2 == 0 && cos.size(-1) <= x.size(3);
        if (!ok) {
            throw new IllegalArgumentException("rope: x must be [B, H, T, D] and cos/sin [T, R] or [B, T, R] with even R <= D and matching T; got x "
                    + Arrays.toString(x.shape()) + ", cos " + Arrays.toString(cos.shape()) + ", sin " + Arrays.toString(sin.shape()));
        }
        FusedRules.requireFloating("rope", "x", x);
        FusedRules.requireFloating("rope", "cos", cos);
        FusedRules.requireFloating("rope", "sin", sin);
    }
}
