package io.jswift.train.grpo;

import io.jswift.models.decoder.DecoderInput;
import io.jswift.tensor.Tensor;
import io.jswift.train.encode.Collator;
import io.jswift.train.pref.ScoredTokens;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GRPO's completions with their prompt computed once: one row per distinct prompt of a micro-batch,
 * [prompt | completion a | completion b | ... | padding], instead of TRL's one row [prompt + completion] per completion.
 * Segment 0 is the prompt, segment k ≥ 1 the row's k-th completion, the padding the segment after the last; with a
 * shared prefix ({@link DecoderInput#sharedPrefix()}) each completion attends the prompt and itself, and its positions
 * continue from the prompt's end (every completion restarts at the prompt length). Under causal attention every hidden
 * state is the one of its unshared sequence, so the per-token log-probs (policy, old policy, reference) and the loss's
 * gradients are TRL's up to float rounding, for (prompt + Σ completions) instead of Σ (prompt + completion) positions.
 * The tokens are scored in the order of the rollouts given (the loss's flattened order); completion token j is
 * predicted from the packed position of its token j - 1 (the prompt's last token for j = 0).
 */
public final class SharedPromptRows {
    private SharedPromptRows() {}

    public static ScoredTokens collate(List<Rollout> rollouts) {
        if (rollouts.isEmpty()) throw new IllegalArgumentException("cannot collate an empty batch");
        Map<List<Integer>, List<Integer>> byPrompt = new LinkedHashMap<>(); // prompt ids → the rollouts sharing it, in order
        for (int i = 0; i < rollouts.size(); i++) {
            byPrompt.computeIfAbsent(Arrays.stream(rollouts.get(i).promptIds()).boxed().toList(), k -> new ArrayList<>()).add(i);
        }
        int b = byPrompt.size(), width = 0, n = 0;
        long tokens = 0;
        int[] offset = new int[rollouts.size()]; // where each rollout's tokens start in the flattened order of all completions
        for (int i = 0; i < rollouts.size(); i++) {
            Rollout r = rollouts.get(i);
            offset[i] = n;
            n += r.completionIds().length;
            tokens += r.promptIds().length + r.completionIds().length; // as the unshared batch counts them (num_tokens)
        }
        List<List<Integer>> rows = new ArrayList<>(byPrompt.values());
        for (List<Integer> members : rows) {
            int used = rollouts.get(members.getFirst()).promptIds().length;
            for (int i : members) used += rollouts.get(i).completionIds().length;
            width = Math.max(width, used);
        }
        long[] ids = new long[b * width], positions = new long[b * width];
        int[] segments = new int[b * width];
        long[] hiddenRows = new long[n], targets = new long[n];
        int[] sequence = new int[n];
        int[] start = new int[rollouts.size()]; // packed index of each rollout's first completion token
        for (int row = 0; row < b; row++) {
            List<Integer> members = rows.get(row);
            int base = row * width;
            int[] prompt = rollouts.get(members.getFirst()).promptIds();
            int p = prompt.length, at = p;
            for (int j = 0; j < p; j++) {
                ids[base + j] = prompt[j];
                positions[base + j] = j;
                segments[base + j] = 0;
            }
            for (int k = 0; k < members.size(); k++) {
                int i = members.get(k);
                int[] c = rollouts.get(i).completionIds();
                start[i] = at;
                for (int j = 0; j < c.length; j++) {
                    ids[base + at + j] = c[j];
                    positions[base + at + j] = p + j;
                    segments[base + at + j] = k + 1;
                }
                at += c.length;
            }
            for (int j = at; j < width; j++) { // padding: its own segment, positions counting on
                ids[base + j] = Collator.PAD_ID;
                positions[base + j] = j;
                segments[base + j] = members.size() + 1;
            }
            for (int i : members) {
                // the prompt's last token predicts completion token 0, token j - 1 predicts token j
                int first = base + p - 1;
                for (int j = 0, k = offset[i]; j < rollouts.get(i).completionIds().length; j++, k++) {
                    hiddenRows[k] = j == 0 ? first : base + start[i] + j - 1;
                    targets[k] = rollouts.get(i).completionIds()[j];
                    sequence[k] = i;
                }
            }
        }
        DecoderInput input = new DecoderInput(Tensor.ofLongs(ids, b, width), Tensor.ofLongs(positions, b, width),
                Tensor.ofInts(segments, b, width), null, false, null, true);
        return new ScoredTokens(input, hiddenRows, targets, sequence, rollouts.size(), tokens);
    }

}
