package io.jswift.train.pref;

/**
 * TRL 1.13 ORPOTrainer's loss (trl.experimental.orpo), which ms-swift runs for {@code --rlhf_type orpo}; no reference
 * model. Input x = [chosen completion sums (B)..., rejected completion sums (B)..., chosen whole-sequence sums (B)...]
 * with the matching token counts. With c, r the mean completion log-probs (x / n) and L(p) = log(1 - e^p):
 * log_odds = (c - r) - (L(c) - L(r)), loss = NLL - β · mean(log σ(log_odds)), where the NLL is the token-averaged
 * cross-entropy of the whole chosen sequences, prompt included (TRL 1.13's ORPO; ms-swift's own template would mask
 * the prompt).
 */
public record OrpoLoss(double beta) {
    public OrpoLoss {
        if (!(beta > 0)) throw new IllegalArgumentException("--beta must be > 0, got " + beta);
    }

    /** Per pair: log_odds (logged as log_odds_chosen) from the mean completion log-probs. */
    static double logOdds(double chosen, double rejected) {
        return (chosen - rejected) - (log1mexp(chosen) - log1mexp(rejected));
    }

    /** log(1 - e^x) for x < 0, branching at -ln 2 as TRL's log1mexp does to avoid cancellation. */
    static double log1mexp(double x) {
        return x < -0.6931471805599453 ? Math.log1p(-Math.exp(x)) : Math.log(-Math.expm1(x));
    }

    /** The NLL over whole chosen sequences: -Σ wide sums / Σ wide counts. */
    static double nll(double[] x, long[] wideCounts, int b) {
        double sum = 0;
        long tokens = 0;
        for (int i = 0; i < b; i++) {
            sum += x[2 * b + i];
            tokens += wideCounts[i];
        }
        return -sum / tokens;
    }

    /** @param counts completion tokens [2B]; wideCounts whole chosen sequence tokens [B] */
    VectorLoss.Value evaluate(double[] x, long[] counts, long[] wideCounts) {
        int b = x.length / 3;
        if (x.length != 3 * b || counts.length != 2 * b || wideCounts.length != b) throw new IllegalArgumentException("an ORPO batch is [chosen, rejected, chosen whole]");
        double[] grad = new double[x.length];
        double loss = nll(x, wideCounts, b);
        long tokens = 0;
        for (int i = 0; i < b; i++) tokens += wideCounts[i];
        for (int i = 0; i < b; i++) grad[2 * b + i] = -1.0 / tokens;
        for (int i = 0; i < b; i++) {
            double c = x[i] / counts[i], r = x[b + i] / counts[b + i];
            double odds = logOdds(c, r);
            loss -= beta * -DpoLoss.softplus(-odds) / b; // log σ(odds) = -softplus(-odds)
            double dOdds = -beta * DpoLoss.sigmoid(-odds) / b;
            // d log_odds / dc = 1 - L'(c), L'(p) = -1 / expm1(-p); d / dr = -1 + L'(r)
            double dc = 1 + 1 / Math.expm1(-c), dr = -1 - 1 / Math.expm1(-r);
            grad[i] += dOdds * dc / counts[i];
            grad[b + i] += dOdds * dr / counts[b + i];
        }
        return new VectorLoss.Value(loss, grad);
    }
}
