package io.jswift.train.grpo;

import io.jswift.models.CausalLm;
import io.jswift.models.generate.SamplingParams;
import io.jswift.models.generate.SequenceState;
import io.jswift.models.generate.TextGenerator;
import io.jswift.models.generate.TextGenerator.FinishReason;

import java.util.ArrayList;
import java.util.List;

/**
 * GRPO's generation phase (TRL's _generate_and_score_completions, sampling part): every prompt repeated
 * {@code numGenerations} times, all of them sampled in one batch with the KV cache from the policy as it is now
 * (its LoRA applied), in evaluation mode (no dropout while sampling, as HF generate under TRL's unwrapped model in
 * eval). Row r of the batch draws from its own stream seeded {@code seed + r}: a step's rollouts are reproducible
 * from (weights, prompts, seed).
 */
public final class Rollouts {
    private Rollouts() {}

    /**
     * @param params sampling knobs (max_completion_length as maxNewTokens, temperature, top_p, top_k,
     *               repetition_penalty); its seed is replaced by {@code seed}
     */
    public static List<Rollout> sample(CausalLm policy, int[] eosIds, List<int[]> prompts, int numGenerations, SamplingParams params, long seed) {
        if (numGenerations < 1) throw new IllegalArgumentException("--num_generations must be >= 1, got " + numGenerations);
        if (params.maxNewTokens() < 1) throw new IllegalArgumentException("--max_completion_length must be >= 1, got " + params.maxNewTokens());
        List<int[]> batch = new ArrayList<>();
        for (int[] p : prompts) for (int g = 0; g < numGenerations; g++) batch.add(p);
        boolean wasTraining = policy.isTraining();
        policy.train(false);
        List<SequenceState> rows;
        try {
            rows = new TextGenerator(policy, eosIds, null).run(batch, params.withSeed(seed), null);
        } finally {
            policy.train(wasTraining);
        }
        List<Rollout> out = new ArrayList<>(rows.size());
        for (int r = 0; r < rows.size(); r++) {
            SequenceState s = rows.get(r);
            out.add(new Rollout(r / numGenerations, batch.get(r), s.sampledTokens(), s.finish() == FinishReason.EOS));
        }
        return out;
    }
}
