package io.jswift.nn.moe;

import io.jswift.tensor.Device;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * Where a router sends each token, and the grouped order the experts read it in: the k (token, slot) pairs of every
 * token, sorted by expert (a counting sort, token order kept within an expert), so expert e's rows are one block of
 * {@code counts[e]} rows. Decided on the host from the router's scores (they are [N, E], small next to the experts).
 * Dims: N tokens, E experts, k slots per token, M = N·k grouped rows.
 *
 * @param experts    [N·k] token-major: the expert of slot j of token n at n·k + j
 * @param counts     [E] rows per expert
 * @param slotOrder  [M] the flat slot (n·k + j) of each grouped row
 * @param tokenOrder [M] the token of each grouped row
 */
public record Routing(int tokens, int topK, int numExperts, int[] experts, int[] counts, long[] slotOrder, long[] tokenOrder) {
    /**
     * The {@code k} largest of each row of {@code scores} [N, E] (row-major), largest first as torch.topk, the lower
     * expert first on a tie.
     */
    public static Routing topK(double[] scores, int tokens, int numExperts, int k) {
        if (k <= 0 || k > numExperts) throw new IllegalArgumentException("num_experts_per_tok must be in [1, " + numExperts + "], got " + k);
        if (scores.length != (long) tokens * numExperts) {
            throw new IllegalArgumentException("router scores have " + scores.length + " values for " + tokens + " tokens x " + numExperts + " experts");
        }
        int[] experts = new int[tokens * k];
        for (int n = 0; n < tokens; n++) {
            int base = n * numExperts;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int e = 0; e < numExperts; e++) {
                    if (taken(experts, n * k, j, e)) continue;
                    if (best < 0 || scores[base + e] > scores[base + best]) best = e;
                }
                experts[n * k + j] = best;
            }
        }
        return of(experts, tokens, numExperts, k);
    }

    /** How a group of experts scores for the group-limited choice. */
    public enum GroupScore {
        /** GLM-4.5 / DeepSeek-V3 (sigmoid routers): the sum of the group's two best scores. */
        TOP_TWO_SUM,
        /** DeepSeek-V2's group_limited_greedy (softmax router): the group's best score. */
        MAX
    }

    /** {@link #groupLimitedTopK(double[], int, int, int, int, int, GroupScore)} with groups scored by their best two. */
    public static Routing groupLimitedTopK(double[] scores, int tokens, int numExperts, int k, int nGroup, int topkGroup) {
        return groupLimitedTopK(scores, tokens, numExperts, k, nGroup, topkGroup, GroupScore.TOP_TWO_SUM);
    }

    /**
     * The group-limited choice: the experts form {@code nGroup} equal groups, a group scores by {@code rule}, only the
     * {@code topkGroup} best groups stay eligible (the others' scores become -inf; DeepSeek-V2 masks with 0, the same
     * choice for its positive softmax scores), then the top {@code k} eligible experts.
     */
    public static Routing groupLimitedTopK(double[] scores, int tokens, int numExperts, int k, int nGroup, int topkGroup, GroupScore rule) {
        if (nGroup == 1) return topK(scores, tokens, numExperts, k);
        int size = numExperts / nGroup;
        double[] masked = scores.clone();
        double[] groupScores = new double[nGroup];
        int[] best = new int[topkGroup];
        for (int n = 0; n < tokens; n++) {
            int base = n * numExperts;
            for (int g = 0; g < nGroup; g++) {
                double first = Double.NEGATIVE_INFINITY, second = Double.NEGATIVE_INFINITY;
                for (int e = g * size; e < (g + 1) * size; e++) {
                    double v = scores[base + e];
                    if (v > first) {
                        second = first;
                        first = v;
                    } else if (v > second) {
                        second = v;
                    }
                }
                groupScores[g] = rule == GroupScore.MAX ? first : first + second;
            }
            for (int j = 0; j < topkGroup; j++) {
                int b = -1;
                for (int g = 0; g < nGroup; g++) {
                    if (taken(best, 0, j, g)) continue;
                    if (b < 0 || groupScores[g] > groupScores[b]) b = g;
                }
                best[j] = b;
            }
            for (int g = 0; g < nGroup; g++) {
                if (taken(best, 0, topkGroup, g)) continue;
                for (int e = g * size; e < (g + 1) * size; e++) masked[base + e] = Double.NEGATIVE_INFINITY;
            }
        }
        return topK(masked, tokens, numExperts, k);
    }

    /** The grouped order of given choices ({@code experts} [N·k] token-major). */
    public static Routing of(int[] experts, int tokens, int numExperts, int k) {
        int[] counts = new int[numExperts];
        for (int e : experts) counts[e]++;
        int[] next = new int[numExperts];
        for (int e = 1; e < numExperts; e++) next[e] = next[e - 1] + counts[e - 1];
        long[] slotOrder = new long[experts.length], tokenOrder = new long[experts.length];
        for (int s = 0; s < experts.length; s++) {
            int at = next[experts[s]]++;
            slotOrder[at] = s;
            tokenOrder[at] = s / k;
        }
        return new Routing(tokens, k, numExperts, experts, counts, slotOrder, tokenOrder);
    }

    private static boolean taken(int[] experts, int from, int j, int e) {
        for (int i = 0; i < j; i++) if (experts[from + i] == e) return true;
        return false;
    }

    /** Flat indices n·E + expert of every slot, token-major [N·k]: picks the chosen scores out of a flattened [N·E]. */
    public Tensor chosenFlat(Device device) {
        long[] flat = new long[experts.length];
        for (int s = 0; s < experts.length; s++) flat[s] = (long) (s / topK) * numExperts + experts[s];
        return Tensor.ofLongs(flat, flat.length).to(device);
    }

    public Tensor slotIndex(Device device) { return Tensor.ofLongs(slotOrder, slotOrder.length).to(device); }

    public Tensor tokenIndex(Device device) { return Tensor.ofLongs(tokenOrder, tokenOrder.length).to(device); }

    @Override
    public String toString() { return "Routing[" + tokens + " tokens, top-" + topK + ", counts " + Arrays.toString(counts) + "]"; }
}
