// Shared by attention_forward.c and attention_backward.c: operand layouts and the masks and score transform of
// AttentionSpec, stated once. REAL is the compute type (float, or double for F64).

#define NEG_INF ((REAL) -INFINITY)

// Element offset of [b, h, t, d] in a tensor whose layout is m = {offset, stride b, stride h, stride t, stride d}.
#define AT(m, b, h, t, d) ((m)[0] + (i64) (b) * (m)[1] + (i64) (h) * (m)[2] + (i64) (t) * (m)[3] + (i64) (d) * (m)[4])

// Whether query i sees key j by position (AttentionSpec.visible), off = S - T: with causal, j <= i + off and, with a
// sliding window > 0, i + off - j < window (transformers' kv_idx > q_idx - sliding_window). Segments are checked apart.
DEVICE_FN bool attn_visible(int i, int j, int off, int causal, int window) {
    return !causal || (j <= i + off && (window == 0 || i + off - j < window));
}

// The scaled score soft-capped as Gemma 2 (cap * tanh(s / cap), before masking); cap 0 means none.
DEVICE_FN REAL attn_cap(REAL s, REAL cap) {
    return cap > 0 ? cap * tanh(s / cap) : s;
}

// d capped / d s given the capped score: 1 - tanh² = 1 - (capped / cap)²; 1 without a cap.
DEVICE_FN REAL attn_cap_grad(REAL capped, REAL cap) {
    if (cap <= 0) return (REAL) 1;
    REAL r = capped / cap;
    return 1 - r * r;
}

// GPT-OSS's sink logit joins a row's log-sum-exp over its keys (AttentionSpec.sinks): logaddexp(lse, sink), which is
// the sink itself for a row that sees no key (lse -inf). The output is then scaled by exp(lse - joined); the backward
// reads the joined value, so P = exp(s - lse) there is already the probability with the sink in the denominator.
DEVICE_FN REAL attn_join_sink(REAL lse, REAL sink) {
    REAL mx = fmax(lse, sink);
    return mx + log(exp(lse - mx) + exp(sink - mx));
}

// The first key a tile of queries starting at q0 may see: 0, or with a window the first key of the first row's
// window rounded down to a tile of bk keys (keys before it are outside every row's window).
DEVICE_FN int attn_first_key(int q0, int off, int causal, int window, int bk) {
    if (!causal || window == 0) return 0;
    return max(0, q0 + off - window + 1) / bk * bk;
}

// One past the last query that may see a key of the tile starting at k0 of bk keys: T, or with a window the queries
// whose window still reaches the tile's last key k0 + bk - 1 (i + off - j < window).
DEVICE_FN int attn_query_end(int k0, int bk, int off, int T, int causal, int window) {
    if (!causal || window == 0) return T;
    return max(0, min(T, k0 + bk - 1 - off + window));
}
