package io.jswift.train.grpo;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.nn.lora.AdaptersDisabled;
import io.jswift.train.encode.Batch;
import io.jswift.train.pref.CompletionLogProbs;

/**
 * Where GRPO's reference per-token log-probs come from (beta > 0): the policy with its adapters disabled (the base
 * model, ms-swift's default for LoRA, also when training continues --adapters), or a separate frozen model (the base
 * with --ref_adapters DIR applied).
 */
public interface GrpoReference {
    /** Per completion token of {@code batch} (on the model's device), log softmax(logits / temperature)[token], no gradients. */
    double[] perToken(Batch batch, double temperature);

    static GrpoReference adaptersDisabled(CausalLm policy) {
        try (AdaptersDisabled off = AdaptersDisabled.in(policy)) {
            if (off.layers() == 0) {
                throw new IllegalArgumentException("--beta > 0 needs a reference (the model with its adapter disabled): train LoRA / DoRA, or give --beta 0");
            }
        }
        return (batch, temperature) -> {
            try (GradMode.Scope ignored = GradMode.noGrad(); AdaptersDisabled off = AdaptersDisabled.in(policy)) {
                return CompletionLogProbs.perToken(policy, batch, false, temperature).value().toDoubleArray();
            }
        };
    }

    /** A separate model, frozen and in evaluation mode. */
    static GrpoReference frozen(CausalLm model) {
        model.requiresGrad(false);
        model.train(false);
        return (batch, temperature) -> {
            try (GradMode.Scope ignored = GradMode.noGrad()) {
                return CompletionLogProbs.perToken(model, batch, false, temperature).value().toDoubleArray();
            }
        };
    }
}
