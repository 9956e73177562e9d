package io.jswift.train.grpo;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.nn.lora.AdaptersDisabled;
import io.jswift.train.pref.CompletionLogProbs;
import io.jswift.train.pref.ScoredTokens;

/**
 * Where GRPO's reference per-token log-probs come from (beta > 0): the policy with its adapters disabled (the base
 * model, ms-swift's default for LoRA, also when training continues --adapters), or a separate frozen model (the base
 * with --ref_adapters DIR applied).
 */
public interface GrpoReference {
    /** Per scored token of {@code tokens} (on the model's device), log softmax(logits / temperature)[token], no gradients. */
    double[] perToken(ScoredTokens tokens, double temperature);

    /** Whether the reference model takes shared-prefix rows ({@link CausalLm#sharesPrefixes()}). */
    boolean sharesPrefixes();

    static GrpoReference adaptersDisabled(CausalLm policy) {
        try (AdaptersDisabled off = AdaptersDisabled.in(policy)) {
            if (off.layers() == 0) {
                throw new IllegalArgumentException("--beta > 0 needs a reference (the model with its adapter disabled): train LoRA / DoRA, or give --beta 0");
            }
        }
        return new GrpoReference() {
            @Override
            public double[] perToken(ScoredTokens tokens, double temperature) {
                try (GradMode.Scope ignored = GradMode.noGrad(); AdaptersDisabled off = AdaptersDisabled.in(policy)) {
                    return CompletionLogProbs.perToken(policy, tokens, false, temperature).value().toDoubleArray();
                }
            }

            @Override
            public boolean sharesPrefixes() { return policy.sharesPrefixes(); }
        };
    }

    /** A separate model, frozen and in evaluation mode. */
    static GrpoReference frozen(CausalLm model) {
        model.requiresGrad(false);
        model.train(false);
        return new GrpoReference() {
            @Override
            public double[] perToken(ScoredTokens tokens, double temperature) {
                try (GradMode.Scope ignored = GradMode.noGrad()) {
                    return CompletionLogProbs.perToken(model, tokens, false, temperature).value().toDoubleArray();
                }
            }

            @Override
            public boolean sharesPrefixes() { return model.sharesPrefixes(); }
        };
    }
}
