package io.jswift.train.pref;

import io.jswift.autograd.GradMode;
import io.jswift.models.CausalLm;
import io.jswift.nn.lora.AdaptersDisabled;
import io.jswift.train.encode.Batch;

/**
 * Where the reference log-probabilities of a preference batch come from (TRL's ref_model): the trained model with
 * its new LoRA / DoRA adapter disabled (TRL's use_adapter for PEFT models: the base model, no second copy), or a
 * separate frozen model (full training: a frozen copy of the starting weights, or --ref_model). Both run without
 * building an autograd graph.
 */
public interface Reference {
    /** The completion log-prob sums [S] of the scored tokens (input already on the model's device), without gradients. */
    double[] logProbs(ScoredTokens scored);

    /** The completion log-prob sums [S] of the batch (already on the model's device), without gradients. */
    default double[] logProbs(Batch batch) { return logProbs(ScoredTokens.of(batch)); }

    /** Whether the reference model takes shared-prefix inputs ({@link CausalLm#sharesPrefixes()}). */
    boolean sharesPrefixes();

    /** The policy itself inside {@link AdaptersDisabled}. */
    static Reference adaptersDisabled(CausalLm policy) {
        return new Reference() {
            @Override
            public double[] logProbs(ScoredTokens scored) {
                try (GradMode.Scope ignored = GradMode.noGrad(); AdaptersDisabled off = AdaptersDisabled.in(policy)) {
                    if (off.layers() == 0) throw new IllegalStateException("the model has no adapter to disable for the reference");
                    return CompletionLogProbs.of(policy, scored, false, false).sums().value().toDoubleArray();
                }
            }

            @Override
            public boolean sharesPrefixes() { return policy.sharesPrefixes(); }
        };
    }

    /** A separate model, frozen and in evaluation mode (TRL prepares its ref_model for evaluation). */
    static Reference frozen(CausalLm model) {
        model.requiresGrad(false);
        model.train(false);
        return new Reference() {
            @Override
            public double[] logProbs(ScoredTokens scored) {
                try (GradMode.Scope ignored = GradMode.noGrad()) {
                    return CompletionLogProbs.of(model, scored, false, false).sums().value().toDoubleArray();
                }
            }

            @Override
            public boolean sharesPrefixes() { return model.sharesPrefixes(); }
        };
    }
}
