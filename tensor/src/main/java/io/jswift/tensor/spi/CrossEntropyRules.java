package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * Checks and dtypes of {@link Backend#crossEntropy} (reduction 'none', torch.nn.functional.cross_entropy):
 * logits [N, V] floating, integer targets [N], each target ignoreIndex or in [0, V). losses and lse are f32
 * (f64 for F64 logits); dlogits take the logits' dtype.
 */
public final class CrossEntropyRules {
    private CrossEntropyRules() {}

    public static void check(Tensor logits, Tensor targets) {
        if (logits.rank() != 2 || targets.rank() != 1 || targets.size(0) != logits.size(0)
                || targets.dtype().isFloatingPoint() || targets.dtype().isPacked()) {
            throw new IllegalArgumentException("cross-entropy expects logits [N, V] and integer targets [N]; got logits "
                    + Arrays.toString(logits.shape()) + " and targets " + targets.dtype() + Arrays.toString(targets.shape()));
        }
        FusedRules.requireFloating("cross-entropy", "logits", logits);
    }

    /** The forward's checks, and dLosses and lse floating with one value per row. */
    public static void checkBackward(Tensor dLosses, Tensor logits, Tensor targets, Tensor lse) {
        check(logits, targets);
        int n = logits.size(0);
        FusedRules.requireFloating("crossEntropyBackward", "dLosses", dLosses);
        FusedRules.requireFloating("crossEntropyBackward", "lse", lse);
        FusedRules.requireNumel("crossEntropyBackward", "dLosses", dLosses, n);
        FusedRules.requireNumel("crossEntropyBackward", "lse", lse, n);
    }

    /** losses' and lse's dtype. */
    public static DType statsType(Tensor logits) {
        return logits.dtype() == DType.F64 ? DType.F64 : DType.F32;
    }

    /** Each target is ignoreIndex or in [0, vocab); the first that is not is named with its row. */
    public static void checkTargets(long[] targets, long ignoreIndex, int vocab) {
        for (int i = 0; i < targets.length; i++) checkTarget(targets[i], i, ignoreIndex, vocab);
    }

    public static void checkTarget(long target, long row, long ignoreIndex, int vocab) {
        if (target != ignoreIndex && (target < 0 || target >= vocab)) {
            throw new IndexOutOfBoundsException("cross-entropy target " + target + " at row " + row + " is outside [0, " + vocab + ")");
        }
    }
}
