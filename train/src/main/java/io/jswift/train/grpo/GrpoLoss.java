package io.jswift.train.grpo;

import io.jswift.train.pref.VectorLoss;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * TRL 1.13's GRPO loss (GRPOTrainer._compute_loss) over the per-token log-probabilities of a batch of completions,
 * with its value and gradient computed together ({@link VectorLoss}). Per completion token t of completion i, with
 * w = log π(t) - log π_old(t) (token level) or the mean of those over completion i (sequence level: GSPO), ratio
 * r = exp(w), advantage A_i:
 * <pre>
 *   L_it = -min(r·A_i, clamp(r, 1 - ε, 1 + ε_high)·A_i) + β·(exp(ref - logπ) - (ref - logπ) - 1)
 * </pre>
 * The KL term is the plain k3 estimator per token, as ms-swift computes it (TRL's use_bias_correction_kl off). The
 * loss types differ in how the L_it are summed: grpo = mean over completions of each one's token mean; bnpo = sum /
 * tokens of the batch; dr_grpo = sum / (completions × max_completion_length); dapo = sum / {@code dapoTokens} (the
 * completion tokens of the whole accumulated step: TRL's num_items_in_batch). With no old log-probs
 * (num_iterations 1) π_old is the detached policy: r = 1, gradient -A_i.
 *
 * @param epsilonHigh ε_high (ms-swift: null epsilon_high means ε)
 */
public record GrpoLoss(Type type, double beta, double epsilon, double epsilonHigh, boolean sequenceLevel, int maxCompletionLength) {
    public enum Type {
        GRPO, BNPO, DR_GRPO, DAPO;

        public static Type parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "grpo" -> GRPO;
                case "bnpo" -> BNPO;
                case "dr_grpo" -> DR_GRPO;
                case "dapo" -> DAPO;
                default -> throw new IllegalArgumentException("--loss_type for grpo must be grpo, bnpo, dr_grpo or dapo, got " + s);
            };
        }
    }

    public GrpoLoss {
        if (!(beta >= 0)) throw new IllegalArgumentException("--beta must be >= 0, got " + beta);
        if (!(epsilon >= 0 && epsilon < 1)) throw new IllegalArgumentException("--epsilon must be in [0, 1), got " + epsilon);
        if (!(epsilonHigh >= 0)) throw new IllegalArgumentException("--epsilon_high must be >= 0, got " + epsilonHigh);
        if (maxCompletionLength < 1) throw new IllegalArgumentException("--max_completion_length must be >= 1, got " + maxCompletionLength);
    }

    /** --importance_sampling_level token | sequence. */
    public static boolean parseSequenceLevel(String level) {
        return switch (level) {
            case "token" -> false;
            case "sequence" -> true;
            default -> throw new IllegalArgumentException("--importance_sampling_level must be token or sequence, got " + level);
        };
    }

    /**
     * A micro-batch's completions, their tokens flattened in order: completion i owns tokens [offsets[i], offsets[i+1]).
     *
     * @param old        π_old per token (num_iterations > 1), or null: the policy itself, detached
     * @param ref        the reference per token (beta > 0), or null
     * @param advantages one per completion
     */
    public record Batch(int[] offsets, double[] old, double[] ref, double[] advantages) {
        public Batch {
            if (advantages.length != offsets.length - 1) throw new IllegalArgumentException("one advantage per completion");
            for (int i = 0; i + 1 < offsets.length; i++) {
                if (offsets[i + 1] <= offsets[i]) throw new IllegalArgumentException("completion " + i + " has no tokens");
            }
        }

        public int completions() { return advantages.length; }

        public int tokens() { return offsets[offsets.length - 1]; }
    }

    /** The loss (not yet divided for gradient accumulation) and d loss / d logps. */
    public VectorLoss.Value evaluate(double[] logps, Batch b, double dapoTokens) {
        int n = b.tokens(), m = b.completions();
        if (logps.length != n) throw new IllegalArgumentException(logps.length + " log-probs for " + n + " completion tokens");
        if (b.ref() == null && beta != 0) throw new IllegalArgumentException("beta > 0 needs the reference log-probs");
        double[] old = b.old() == null ? logps : b.old();
        double[] grad = new double[n];
        double loss = 0;
        for (int i = 0; i < m; i++) {
            int from = b.offsets()[i], to = b.offsets()[i + 1], count = to - from;
            double weight = switch (type) {
                case GRPO -> 1.0 / ((double) m * count);
                case BNPO -> 1.0 / n;
                case DR_GRPO -> 1.0 / ((double) m * maxCompletionLength);
                case DAPO -> 1.0 / Math.max(dapoTokens, 1);
            };
            double a = b.advantages()[i];
            double seqW = 0;
            if (sequenceLevel) {
                for (int t = from; t < to; t++) seqW += (logps[t] - old[t]) / count;
            }
            for (int t = from; t < to; t++) {
                double w = sequenceLevel ? seqW : logps[t] - old[t];
                double r = Math.exp(w);
                double clipped = Math.min(Math.max(r, 1 - epsilon), 1 + epsilonHigh);
                double unclippedTerm = r * a, clippedTerm = clipped * a;
                // -min(r·A, clip(r)·A): the gradient flows through r unless the clipped term is the smaller one and
                // r lies outside the clip range (where clamp has no gradient)
                double dPolicyDw = unclippedTerm <= clippedTerm || clipped == r ? -a * r : 0;
                loss += weight * -Math.min(unclippedTerm, clippedTerm);
                // sequence level: each of the count tokens carries the same policy term, and dw/dlogπ(t) = 1/count
                if (sequenceLevel) {
                    for (int u = from; u < to; u++) grad[u] += weight * dPolicyDw / count;
                } else {
                    grad[t] += weight * dPolicyDw;
                }
                if (beta != 0) {
                    double d = b.ref()[t] - logps[t];
                    loss += weight * beta * (Math.exp(d) - d - 1);
                    grad[t] += weight * beta * (1 - Math.exp(d));
                }
            }
        }
        return new VectorLoss.Value(loss, grad);
    }

    /**
     * What TRL logs of the loss: kl (token mean of the k3 estimate, beta > 0 only) and the clip ratios
     * clip_ratio/{low_mean, high_mean, region_mean} (token means; per completion at sequence level), low_min and
     * high_max (over the per-completion means).
     */
    public Map<String, Double> metrics(double[] logps, Batch b) {
        int m = b.completions();
        double[] old = b.old() == null ? logps : b.old();
        double kl = 0, low = 0, high = 0, region = 0, lowMin = Double.POSITIVE_INFINITY, highMax = Double.NEGATIVE_INFINITY;
        int units = 0;
        for (int i = 0; i < m; i++) {
            int from = b.offsets()[i], to = b.offsets()[i + 1], count = to - from;
            double a = b.advantages()[i], seqW = 0;
            for (int t = from; t < to; t++) {
                seqW += (logps[t] - old[t]) / count;
                if (beta != 0) {
                    double d = b.ref()[t] - logps[t];
                    kl += Math.exp(d) - d - 1;
                }
            }
            double seqLow = 0, seqHigh = 0;
            for (int t = from; t < (sequenceLevel ? from + 1 : to); t++) {
                double r = Math.exp(sequenceLevel ? seqW : logps[t] - old[t]);
                boolean isLow = r < 1 - epsilon && a < 0, isHigh = r > 1 + epsilonHigh && a > 0;
                seqLow += isLow ? 1 : 0;
                seqHigh += isHigh ? 1 : 0;
                units++;
            }
            low += seqLow;
            high += seqHigh;
            region += seqLow + seqHigh;
            int per = sequenceLevel ? 1 : count;
            lowMin = Math.min(lowMin, seqLow / per);
            highMax = Math.max(highMax, seqHigh / per);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        if (beta != 0) out.put("kl", kl / b.tokens());
        out.put("clip_ratio/low_mean", low / units);
        out.put("clip_ratio/high_mean", high / units);
        out.put("clip_ratio/region_mean", region / units);
        out.put("clip_ratio/low_min", lowMin);
        out.put("clip_ratio/high_max", highMax);
        return out;
    }
}
