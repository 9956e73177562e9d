package io.jswift.models.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model of tokenizer.json (HF tokenizers models/bpe), for both families it serves:
 * byte-level BPE (GPT-2, Llama 3, Qwen2/3: words arrive as GPT-2 byte chars, every byte is in the vocabulary)
 * and SentencePiece-style BPE (Llama 2: words carry ▁ for spaces; a char missing from the vocabulary becomes its
 * UTF-8 bytes as {@code <0xNN>} tokens with byte_fallback, else the unk token, consecutive unks fused with fuse_unk).
 * A word starts as one symbol per char; then, as Word::merge_all, the adjacent pair with the lowest merge rank
 * (leftmost on ties) is merged until no pair merges. Results of words up to 256 chars are cached.
 */
final class BpeModel {
    private static final int CACHE_WORD_MAX = 256, CACHE_ENTRIES_MAX = 200_000;

    private final Map<String, Integer> vocab;
    private final MergeTable merges;
    private final int unkId;             // -1: no unk token (an unknown char is dropped, as HF does)
    private final boolean fuseUnk, byteFallback, ignoreMerges;
    private final String prefix, suffix; // continuing_subword_prefix / end_of_word_suffix ("" when absent)
    private final int[] bmpIds;           // vocab id of each single BMP char, -1 if none
    private final int[] byteIds = new int[256]; // id of <0xNN>, -1 if none
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    record Options(String unkToken, boolean fuseUnk, boolean byteFallback, boolean ignoreMerges, String prefix, String suffix) {}

    /** {@code merges}: pairs of tokens, in rank order; {@code where} locates merge i for errors. */
    BpeModel(Map<String, Integer> vocab, List<String[]> merges, Options o, JsonSpec where) {
        this.vocab = vocab;
        this.fuseUnk = o.fuseUnk();
        this.byteFallback = o.byteFallback();
        this.ignoreMerges = o.ignoreMerges();
        this.prefix = o.prefix() == null ? "" : o.prefix();
        this.suffix = o.suffix() == null ? "" : o.suffix();
        if (o.unkToken() != null && !vocab.containsKey(o.unkToken())) {
            throw where.get("unk_token").error("'" + o.unkToken() + "' is not in model.vocab");
        }
        this.unkId = o.unkToken() == null ? -1 : vocab.get(o.unkToken());
        bmpIds = new int[0x10000];
        Arrays.fill(bmpIds, -1);
        vocab.forEach((token, id) -> {
            if (token.length() == 1) bmpIds[token.charAt(0)] = id;
        });
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        this.merges = new MergeTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] pair = merges.get(rank);
            Integer left = vocab.get(pair[0]), right = vocab.get(pair[1]), joined = vocab.get(pair[0] + pair[1].substring(prefixLength(pair[1])));
            if (left == null || right == null || joined == null) {
                String missing = left == null ? pair[0] : right == null ? pair[1] : pair[0] + pair[1];
                throw where.get("merges[" + rank + "]").error("['" + pair[0] + "', '" + pair[1] + "'] uses '" + missing + "', which is not in model.vocab");
            }
            this.merges.put(left, right, rank, joined);
        }
    }

    /** HF merges "a ##b" into "a" + "b" minus the continuing_subword_prefix. */
    private int prefixLength(String right) {
        return !prefix.isEmpty() && right.startsWith(prefix) ? prefix.length() : 0;
    }

    /** The ids of one pre-tokenized word, appended to {@code out}. */
    void encode(String word, IntList out) {
        if (word.isEmpty()) return;
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int[] ids = cache.get(word);
        if (ids == null) {
            ids = mergeWord(word);
            if (word.length() <= CACHE_WORD_MAX && cache.size() < CACHE_ENTRIES_MAX) cache.put(word, ids);
        }
        out.addAll(ids);
    }

    private int id(String symbol) {
        if (symbol.length() == 1) return bmpIds[symbol.charAt(0)];
        Integer id = vocab.get(symbol);
        return id == null ? -1 : id;
    }

    /** Initial symbols (HF BPE::merge_word) then Word::merge_all. */
    private int[] mergeWord(String word) {
        IntList symbols = new IntList(word.length() + 4);
        int pendingUnk = -1; // HF holds back an unk so that it can fuse the next one into it
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i), n = Character.charCount(cp);
            boolean first = i == 0, last = i + n == word.length();
            String s = word.substring(i, i + n);
            if (!first) s = prefix + s;
            if (last) s = s + suffix;
            i += n;
            int id = id(s);
            if (id >= 0) {
                if (pendingUnk >= 0) symbols.add(pendingUnk);
                pendingUnk = -1;
                symbols.add(id);
                continue;
            }
            if (byteFallback && addBytes(s, symbols)) continue; // HF adds the bytes before a held-back unk
            if (unkId >= 0) {
                if (pendingUnk >= 0 && !fuseUnk) symbols.add(pendingUnk);
                pendingUnk = unkId;
            }
        }
        if (pendingUnk >= 0) symbols.add(pendingUnk);
        return mergeAll(symbols.toArray());
    }

    private boolean addBytes(String s, IntList symbols) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : bytes) if (byteIds[b & 0xFF] < 0) return false;
        for (byte b : bytes) symbols.add(byteIds[b & 0xFF]);
        return true;
    }

    /**
     * Word::merge_all: a min-heap of candidate merges ordered by (rank, position); a popped candidate is used only
     * if its pair is still there and still merges into the same token; each merge queues the new pairs it forms.
     */
    private int[] mergeAll(int[] c) {
        int n = c.length;
        if (n < 2) return c;
        int[] prev = new int[n], next = new int[n];
        boolean[] gone = new boolean[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        MergeHeap heap = new MergeHeap(n);
        for (int i = 0; i + 1 < n; i++) queue(heap, c, i, i + 1);
        while (!heap.isEmpty()) {
            int pos = heap.topPos(), newId = heap.topMerged();
            heap.pop();
            if (gone[pos] || next[pos] < 0) continue;
            int right = next[pos];
            int slot = merges.find(c[pos], c[right]);
            if (slot < 0 || merges.merged(slot) != newId) continue; // expired candidate
            c[pos] = newId;
            gone[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) queue(heap, c, prev[pos], pos);
            if (next[pos] >= 0) queue(heap, c, pos, next[pos]);
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) out.add(c[i]);
        return out.toArray();
    }

    private void queue(MergeHeap heap, int[] c, int left, int right) {
        int slot = merges.find(c[left], c[right]);
        if (slot >= 0) heap.push(merges.rank(slot), left, merges.merged(slot));
    }

    /** Binary min-heap of (rank, pos) packed in a long, with the merged id alongside. */
    private static final class MergeHeap {
        private long[] keys;
        private int[] mergedIds;
        private int size;

        MergeHeap(int capacity) {
            keys = new long[Math.max(4, capacity)];
            mergedIds = new int[keys.length];
        }

        boolean isEmpty() { return size == 0; }

        int topPos() { return (int) keys[0]; }

        int topMerged() { return mergedIds[0]; }

        void push(int rank, int pos, int merged) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                mergedIds = Arrays.copyOf(mergedIds, size * 2);
            }
            long k = ((long) rank << 32) | pos;
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (keys[parent] <= k) break;
                keys[i] = keys[parent];
                mergedIds[i] = mergedIds[parent];
                i = parent;
            }
            keys[i] = k;
            mergedIds[i] = merged;
        }

        void pop() {
            long k = keys[--size];
            int m = mergedIds[size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && keys[child + 1] < keys[child]) child++;
                if (keys[child] >= k) break;
                keys[i] = keys[child];
                mergedIds[i] = mergedIds[child];
                i = child;
            }
            keys[i] = k;
            mergedIds[i] = m;
        }
    }
}
