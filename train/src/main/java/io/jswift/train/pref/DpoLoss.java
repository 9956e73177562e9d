package io.jswift.train.pref;

import java.util.List;
import java.util.Locale;

/**
 * TRL 1.13 DPOTrainer's loss of one batch from the per-sequence completion log-probabilities x = [chosen (B) ...,
 * rejected (B) ...] of the policy, the reference's ref, and the completion token counts n: with
 * Δᵢ = (cᵢ - refcᵢ) - (rᵢ - refrᵢ) and z = β·Δ (reverse KL, TRL's default f-divergence),
 * loss = Σ over terms of weight · mean over pairs of:
 * <ul>
 *   <li>sigmoid: -log σ(z) (label_smoothing not used, as in TRL 1.13)</li>
 *   <li>hinge: relu(1 - z)</li>
 *   <li>ipo: ((cᵢ - refcᵢ)/n_cᵢ - (rᵢ - refrᵢ)/n_rᵢ - 1/(2β))² (log-ratios averaged per token, counts clamped to >= 1)</li>
 *   <li>robust: (-(1-ε)·log σ(z) + ε·log σ(-z)) / (1 - 2ε), ε = label_smoothing in [0, 0.5)</li>
 *   <li>sft: the token-averaged NLL of the chosen completions, -Σcᵢ / Σn_cᵢ (TRL's "sft" term: ms-swift's rpo_alpha
 *       is this term with weight α)</li>
 * </ul>
 */
public record DpoLoss(List<Term> terms, double beta, double labelSmoothing) {
    public enum Type {
        SIGMOID, HINGE, IPO, ROBUST, SFT;

        public static Type parse(String name) {
            return switch (name) {
                case "sigmoid" -> SIGMOID;
                case "hinge" -> HINGE;
                case "ipo" -> IPO;
                case "robust" -> ROBUST;
                case "sft" -> SFT;
                default -> throw new IllegalArgumentException("--loss_type for dpo must be sigmoid, hinge, ipo or robust, got '" + name + "'");
            };
        }

        public String flag() { return name().toLowerCase(Locale.ROOT); }
    }

    public record Term(Type type, double weight) {}

    public DpoLoss {
        if (terms.isEmpty()) throw new IllegalArgumentException("a DPO loss needs at least one term");
        if (!(beta > 0)) throw new IllegalArgumentException("--beta must be > 0, got " + beta);
        terms = List.copyOf(terms);
        for (Term t : terms) {
            if (t.type() == Type.ROBUST && !(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
                throw new IllegalArgumentException("--loss_type robust needs 0 <= --label_smoothing < 0.5, got " + labelSmoothing);
            }
        }
        if (!(labelSmoothing >= 0 && labelSmoothing <= 0.5)) throw new IllegalArgumentException("--label_smoothing must be in [0, 0.5], got " + labelSmoothing);
    }

    /** ms-swift's DPO: --loss_type (default sigmoid), plus TRL's "sft" term weighted by --rpo_alpha when given. */
    public static DpoLoss of(String lossType, double beta, double labelSmoothing, Double rpoAlpha) {
        Type main = Type.parse(lossType);
        if (main == Type.SFT) throw new IllegalArgumentException("--loss_type sft is given as --rpo_alpha ALPHA");
        List<Term> terms = rpoAlpha == null ? List.of(new Term(main, 1.0)) : List.of(new Term(main, 1.0), new Term(Type.SFT, rpoAlpha));
        return new DpoLoss(terms, beta, labelSmoothing);
    }

    /** The loss and its gradient with respect to x, for {@link VectorLoss}. */
    VectorLoss.Value evaluate(double[] x, double[] ref, long[] counts) {
        int b = x.length / 2;
        if (x.length != 2 * b || ref.length != x.length || counts.length != x.length) {
            throw new IllegalArgumentException("a DPO batch is [chosen..., rejected...]: " + x.length + " log-probs, " + ref.length + " reference, "
                    + counts.length + " counts");
        }
        double loss = 0;
        double[] grad = new double[x.length];
        for (Term term : terms) {
            double w = term.weight();
            if (term.type() == Type.SFT) {
                long tokens = 0;
                double sum = 0;
                for (int i = 0; i < b; i++) {
                    tokens += counts[i];
                    sum += x[i];
                }
                loss += w * -sum / tokens;
                for (int i = 0; i < b; i++) grad[i] += w * -1.0 / tokens;
                continue;
            }
            for (int i = 0; i < b; i++) {
                double chosen = x[i] - ref[i], rejected = x[b + i] - ref[b + i];
                double value, dChosen, dRejected; // per pair, and its derivative by the chosen / rejected log-prob
                switch (term.type()) {
                    case SIGMOID -> {
                        double z = beta * (chosen - rejected);
                        value = softplus(-z);
                        dChosen = -beta * sigmoid(-z);
                        dRejected = -dChosen;
                    }
                    case HINGE -> {
                        double z = beta * (chosen - rejected);
                        value = Math.max(0, 1 - z);
                        dChosen = 1 - z > 0 ? -beta : 0; // torch.relu's gradient is 0 at 0
                        dRejected = -dChosen;
                    }
                    case IPO -> {
                        double nc = Math.max(1, counts[i]), nr = Math.max(1, counts[b + i]);
                        double d = chosen / nc - rejected / nr - 1 / (2 * beta);
                        value = d * d;
                        dChosen = 2 * d / nc;
                        dRejected = -2 * d / nr;
                    }
                    case ROBUST -> {
                        double z = beta * (chosen - rejected), e = labelSmoothing;
                        value = ((1 - e) * softplus(-z) - e * softplus(z)) / (1 - 2 * e);
                        double dz = (-(1 - e) * sigmoid(-z) - e * sigmoid(z)) / (1 - 2 * e);
                        dChosen = beta * dz;
                        dRejected = -dChosen;
                    }
                    default -> throw new IllegalStateException(term.type().toString());
                }
                loss += w * value / b;
                grad[i] += w * dChosen / b;
                grad[b + i] += w * dRejected / b;
            }
        }
        return new VectorLoss.Value(loss, grad);
    }

    /** log(1 + e^x) without overflow: -log σ(-x). */
    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }
}
