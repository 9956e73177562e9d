package io.jswift.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding of one pre-token (Sennrich et al. 2016, as HF tokenizers' BPE model): start from single
 * characters and repeatedly merge the adjacent pair with the lowest merge rank. With {@code ignoreMerges}
 * (Llama 3) a word already in the vocabulary is returned whole.
 */
final class Bpe {
    private final Map<String, Integer> vocab;
    private final Map<String, Integer> ranks; // "left right" → rank
    private final boolean ignoreMerges;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    Bpe(Map<String, Integer> vocab, Map<String, Integer> ranks, boolean ignoreMerges) {
        this.vocab = vocab;
        this.ranks = ranks;
        this.ignoreMerges = ignoreMerges;
    }

    int[] encode(String word) {
        int[] cached = cache.get(word);
        if (cached != null) return cached;
        int[] ids = compute(word);
        if (cache.size() < 200_000) cache.put(word, ids);
        return ids;
    }

    private int[] compute(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[]{whole};
        }
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int n = Character.charCount(cp);
            parts.add(word.substring(i, i + n));
            i += n;
        }
        while (parts.size() > 1) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < parts.size(); i++) {
                Integer r = ranks.get(parts.get(i) + " " + parts.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) break;
            String merged = parts.get(best) + parts.get(best + 1);
            // merge every occurrence of this pair, left to right, as HF does for the chosen rank
            List<String> next = new ArrayList<>(parts.size());
            String left = parts.get(best), right = parts.get(best + 1);
            for (int i = 0; i < parts.size(); i++) {
                if (i + 1 < parts.size() && parts.get(i).equals(left) && parts.get(i + 1).equals(right)) {
                    next.add(merged);
                    i++;
                } else {
                    next.add(parts.get(i));
                }
            }
            parts = next;
        }
        int[] ids = new int[parts.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.get(parts.get(i));
            if (id == null) {
                throw new IllegalArgumentException("cannot tokenize: piece '" + parts.get(i) + "' of '" + word
                        + "' is not in the vocabulary and the BPE model has no unk token");
            }
            ids[i] = id;
        }
        return ids;
    }
}
