// Paged decode attention (vLLM's PagedAttention, Kwon et al. 2023), one query per row (its last position): one
// work-group per (query head, row) reads the row's keys and values in place through its block table, never a gathered
// copy. Keys go a tile of WG at a time: one key per thread for the score (masks and soft-cap of attention.h), the
// tile's max and sum by group reductions (online softmax: the running output is rescaled when the max grows), then
// the threads split the head dim for P·V; a head's sink logit (GPT-OSS) joins the softmax at the end (attention.h).
// Same results as attention over the gathered keys (FusedReference).
// Compile-time: D head dim of q and k, DV of v and the output, WG threads (a power of two), DPTV = ceil(DV / WG)
// output columns per thread, REAL, and the operand types Q, K, V, O. Dims: B rows, HQ query heads, GQA = HQ / HKV, N blocks of BS positions, TB table entries
// per row.

// meta = layouts of q [B, HQ, 1, D], key blocks [N, HKV, BS, D] and value blocks [N, HKV, BS, DV] (5 longs each); out
// is contiguous [B, HQ, 1, DV]; table is dense i32 [B, TB]; lens i32 [B] (each >= 1, checked by PagedKv); sinks [HQ]
// dense in the compute type (used when hasSinks).
KERNEL void attn_paged_decode(GLOBAL const Q_T* q, GLOBAL const K_T* k, GLOBAL const V_T* v, GLOBAL O_T* out,
                              GLOBAL const i32* table, GLOBAL const i32* lens, const Meta meta,
                              int HQ, int GQA, int BS, int TB, REAL scale, int causal, int window, REAL softcap,
                              GLOBAL const REAL* sinks, int hasSinks) {
    SHARED REAL qs[D];
    SHARED REAL ps[WG];
    SHARED REAL red[WG];

    const int lid = LID(0), h = GROUP_ID(0), b = GROUP_ID(1), kvh = h / GQA;
    const int len = lens[b], off = len - 1;  // the query is position len - 1 of its row
    GLOBAL const i32* blocks = table + (i64) b * TB;
    i64 mq[5], mk[5], mv[5];
    for (int x = 0; x < 5; x++) { mq[x] = meta.w[x]; mk[x] = meta.w[5 + x]; mv[x] = meta.w[10 + x]; }
    for (int d = lid; d < D; d += WG) qs[d] = (REAL) Q_LOAD(q, AT(mq, b, h, 0, d));
    BARRIER();

    REAL m = NEG_INF, l = 0;
    REAL acc[DPTV];
    for (int c = 0; c < DPTV; c++) acc[c] = 0;
    // a window starts the loop at the tile of its first key; the bounds are uniform across the work-group
    for (int k0 = attn_first_key(0, off, causal, window, WG); k0 < len; k0 += WG) {
        const int j = k0 + lid;
        REAL s = NEG_INF;
        if (j < len && attn_visible(0, j, off, causal, window)) {
            const int blk = blocks[j / BS], slot = j % BS;
            REAL dot = 0;
            for (int d = 0; d < D; d++) dot += qs[d] * (REAL) K_LOAD(k, AT(mk, blk, kvh, slot, d));
            s = attn_cap(dot * scale, softcap);
        }
        red[lid] = s;
        BARRIER();
        for (int w = WG / 2; w > 0; w >>= 1) {
            if (lid < w) red[lid] = fmax(red[lid], red[lid + w]);
            BARRIER();
        }
        const REAL mx = fmax(m, red[0]);
        BARRIER();  // every thread has read the max before red is reused
        const REAL p = s == NEG_INF ? (REAL) 0 : exp(s - mx);
        ps[lid] = p;
        red[lid] = p;
        BARRIER();
        for (int w = WG / 2; w > 0; w >>= 1) {
            if (lid < w) red[lid] += red[lid + w];
            BARRIER();
        }
        // rescale what was accumulated under the old max; nothing was accumulated while m was -inf
        const REAL alpha = m == NEG_INF ? (REAL) 0 : exp(m - mx);
        l = l * alpha + red[0];
        const int n = min(WG, len - k0);
        for (int c = 0; c < DPTV; c++) {
            const int d = lid + c * WG;
            if (d < DV) {
                REAL a = acc[c] * alpha;
                for (int jj = 0; jj < n; jj++) {
                    const REAL pj = ps[jj];
                    if (pj != 0) a += pj * (REAL) V_LOAD(v, AT(mv, blocks[(k0 + jj) / BS], kvh, (k0 + jj) % BS, d));
                }
                acc[c] = a;
            }
        }
        m = mx;
        BARRIER();  // ps and red are consumed before the next tile overwrites them
    }

    // a row that saw no key (not possible by position, kept for parity with attention_forward.c): output 0; with a
    // sink the output is acc / l · exp(m + log l - joined) = acc · exp(m - joined)
    REAL inv = l == 0 ? (REAL) 0 : 1 / l;
    if (hasSinks && l != 0) inv = exp(m - attn_join_sink(m + log(l), sinks[h]));
    const i64 row = (i64) b * HQ + h;
    for (int c = 0; c < DPTV; c++) {
        const int d = lid + c * WG;
        if (d < DV) O_STORE(out, row * DV + d, acc[c] * inv);
    }
}
