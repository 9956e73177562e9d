package io.jswift.train.pref;

import java.util.Locale;

/**
 * TRL 1.13 CPOTrainer's loss (trl.experimental.cpo), which ms-swift runs for {@code --rlhf_type cpo} and, with
 * loss_type simpo, for {@code --rlhf_type simpo}. No reference model. From the per-sequence completion log-prob sums
 * x = [chosen (B) ..., rejected (B) ...] and token counts n: the sequence log-probs are the sums, or for ipo and simpo
 * the means x/n; with l = logp_c - logp_r (minus γ/β for simpo), per pair:
 * <ul>
 *   <li>sigmoid, simpo: -(1-ε)·log σ(β·l) - ε·log σ(-β·l)</li>
 *   <li>hinge: relu(1 - β·l)</li>
 *   <li>ipo: (l - 1/(2β))²</li>
 * </ul>
 * loss = mean over pairs + cpo_alpha · NLL, the NLL being the token-averaged cross-entropy of the chosen
 * completions (-Σ x_c / Σ n_c; 0 when cpo_alpha is 0). Rewards for logging: β · logp.
 */
public record CpoLoss(Type type, double beta, double labelSmoothing, double simpoGamma, double cpoAlpha) {
    public enum Type {
        SIGMOID, HINGE, IPO, SIMPO;

        public static Type parse(String name) {
            return switch (name) {
                case "sigmoid" -> SIGMOID;
                case "hinge" -> HINGE;
                case "ipo" -> IPO;
                case "simpo" -> SIMPO;
                default -> throw new IllegalArgumentException("--loss_type for cpo / simpo must be sigmoid, hinge, ipo or simpo, got '" + name + "'");
            };
        }

        public String flag() { return name().toLowerCase(Locale.ROOT); }
    }

    public CpoLoss {
        if (!(beta > 0)) throw new IllegalArgumentException("--beta must be > 0, got " + beta);
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) throw new IllegalArgumentException("--label_smoothing must be in [0, 0.5), got " + labelSmoothing);
        if (!(cpoAlpha >= 0)) throw new IllegalArgumentException("--cpo_alpha must be >= 0, got " + cpoAlpha);
    }

    /** ipo and simpo compare mean log-probs per token; sigmoid and hinge the sums. */
    public boolean averaged() { return type == Type.IPO || type == Type.SIMPO; }

    /** The sequence log-probs the loss and the rewards use: sums, or means per token. */
    double[] logps(double[] sums, long[] counts) {
        double[] out = sums.clone();
        if (averaged()) for (int i = 0; i < out.length; i++) out[i] /= counts[i];
        return out;
    }

    /** The NLL term alone (logged as nll_loss): -Σ chosen sums / Σ chosen counts. */
    static double nll(double[] sums, long[] counts) {
        int b = sums.length / 2;
        double sum = 0;
        long tokens = 0;
        for (int i = 0; i < b; i++) {
            sum += sums[i];
            tokens += counts[i];
        }
        return -sum / tokens;
    }

    VectorLoss.Value evaluate(double[] x, long[] counts) {
        int b = x.length / 2;
        if (x.length != 2 * b || counts.length != x.length) throw new IllegalArgumentException("a CPO batch is [chosen..., rejected...]");
        double[] lp = logps(x, counts);
        double loss = 0;
        double[] grad = new double[x.length];
        double gamma = type == Type.SIMPO ? simpoGamma / beta : 0;
        for (int i = 0; i < b; i++) {
            double l = lp[i] - lp[b + i] - gamma, value, dl;
            switch (type) {
                case SIGMOID, SIMPO -> {
                    double z = beta * l, e = labelSmoothing;
                    value = (1 - e) * DpoLoss.softplus(-z) + e * DpoLoss.softplus(z);
                    dl = beta * (-(1 - e) * DpoLoss.sigmoid(-z) + e * DpoLoss.sigmoid(z));
                }
                case HINGE -> {
                    value = Math.max(0, 1 - beta * l);
                    dl = 1 - beta * l > 0 ? -beta : 0;
                }
                case IPO -> {
                    double d = l - 1 / (2 * beta);
                    value = d * d;
                    dl = 2 * d;
                }
                default -> throw new IllegalStateException(type.toString());
            }
            loss += value / b;
            double scaleC = averaged() ? 1.0 / counts[i] : 1, scaleR = averaged() ? 1.0 / counts[b + i] : 1;
            grad[i] += dl / b * scaleC;
            grad[b + i] -= dl / b * scaleR;
        }
        if (cpoAlpha != 0) {
            long tokens = 0;
            for (int i = 0; i < b; i++) tokens += counts[i];
            loss += cpoAlpha * nll(x, counts);
            for (int i = 0; i < b; i++) grad[i] -= cpoAlpha / tokens;
        }
        return new VectorLoss.Value(loss, grad);
    }
}
