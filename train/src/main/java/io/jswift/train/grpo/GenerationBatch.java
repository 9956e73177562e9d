package io.jswift.train.grpo;

import java.util.ArrayList;
import java.util.List;

/**
 * The scored completions of one generation batch: prompts, their {@code numGenerations} rollouts each (adjacent,
 * {@link Rollout#prompt} indexing {@code prompts}), the decoded texts, each reward function's scores [function][completion]
 * and their weighted sum.
 */
record GenerationBatch(List<GrpoPrompt> prompts, List<Rollout> rollouts, List<String> texts, double[][] perFunction, double[] total) {
    GenerationBatch {
        prompts = List.copyOf(prompts);
        rollouts = List.copyOf(rollouts);
        texts = List.copyOf(texts);
        if (rollouts.size() != texts.size() || rollouts.size() != total.length) throw new IllegalArgumentException("one text and one reward per rollout");
    }

    int groups() { return prompts.size(); }

    /** Whether every completion of group {@code g} got the same reward (std 0: no advantage, nothing to learn). */
    boolean constant(int g, int numGenerations) {
        for (int i = g * numGenerations + 1; i < (g + 1) * numGenerations; i++) if (total[i] != total[g * numGenerations]) return false;
        return true;
    }

    /** The batch of the given groups of several batches, in order; rollouts re-indexed to the new prompt list. */
    static GenerationBatch of(List<Group> groups, int numGenerations, int functions) {
        List<GrpoPrompt> prompts = new ArrayList<>();
        List<Rollout> rollouts = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        double[][] perFunction = new double[functions][groups.size() * numGenerations];
        double[] total = new double[groups.size() * numGenerations];
        for (int g = 0; g < groups.size(); g++) {
            GenerationBatch from = groups.get(g).batch();
            int src = groups.get(g).index() * numGenerations, dst = g * numGenerations;
            prompts.add(from.prompts().get(groups.get(g).index()));
            for (int k = 0; k < numGenerations; k++) {
                Rollout r = from.rollouts().get(src + k);
                rollouts.add(new Rollout(g, r.promptIds(), r.completionIds(), r.endedByEos()));
                texts.add(from.texts().get(src + k));
                for (int f = 0; f < functions; f++) perFunction[f][dst + k] = from.perFunction()[f][src + k];
                total[dst + k] = from.total()[src + k];
            }
        }
        return new GenerationBatch(prompts, rollouts, texts, perFunction, total);
    }

    /** Group {@code index} of {@code batch}. */
    record Group(GenerationBatch batch, int index) {}
}
