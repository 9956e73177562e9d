package io.jswift.train.pref;

/**
 * TRL 1.13 RewardTrainer.compute_loss on the 2B rewards of a batch, x = [chosen (B)..., rejected (B)...]:
 * mean over pairs of -log σ(r_c - r_r - margin) (margin 0 unless the rows carry one), plus, when
 * {@code centerRewardsCoefficient} is set, coefficient · mean((r_c + r_r)²) (Eisenstein et al.'s auxiliary loss that
 * centres rewards on zero). Value and gradient together, in float64.
 *
 * @param centerRewardsCoefficient null: no centring term (TRL's and ms-swift's default)
 */
public record RewardLoss(Double centerRewardsCoefficient) {
    public RewardLoss {
        if (centerRewardsCoefficient != null && !(centerRewardsCoefficient >= 0)) {
            throw new IllegalArgumentException("--center_rewards_coefficient must be >= 0, got " + centerRewardsCoefficient);
        }
    }

    /** @param margins per pair (null: none) */
    public VectorLoss.Value evaluate(double[] x, double[] margins) {
        if (x.length % 2 != 0) throw new IllegalArgumentException("rewards come in chosen / rejected halves, got " + x.length);
        int b = x.length / 2;
        if (margins != null && margins.length != b) throw new IllegalArgumentException(margins.length + " margins for " + b + " pairs");
        double loss = 0;
        double[] grad = new double[x.length];
        for (int i = 0; i < b; i++) {
            double d = x[i] - x[b + i] - (margins == null ? 0 : margins[i]);
            loss += DpoLoss.softplus(-d) / b; // -log σ(d)
            double dd = -DpoLoss.sigmoid(-d) / b;
            grad[i] += dd;
            grad[b + i] -= dd;
            if (centerRewardsCoefficient != null) {
                double s = x[i] + x[b + i];
                loss += centerRewardsCoefficient * s * s / b;
                grad[i] += centerRewardsCoefficient * 2 * s / b;
                grad[b + i] += centerRewardsCoefficient * 2 * s / b;
            }
        }
        return new VectorLoss.Value(loss, grad);
    }
}
