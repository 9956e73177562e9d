// Flash attention forward (FlashAttention-2, Dao 2023): one work-group per (query tile, query head, batch);
// K/V tiles staged in shared memory, softmax online (running max m and sum l), the [T, S] scores never exist.
// Masks: causal, sliding window, segments; scores optionally soft-capped; optional per-head sink logits (attention.h,
// AttentionSpec). Dims: B batch, HQ query heads, GROUP = HQ / HKV query heads per kv head, T queries, S keys, D head dim
// of q and k, DV of v and the output (DV != D: DeepSeek's latent attention).
// Compile-time: D, DV, LD and LDV (local row strides D + 1, DV + 1: rows read down a column fall in distinct banks), BQ
// and BK (query / key tile rows), TPR (threads per query row), DPTV (= ceil(DV / TPR) output columns per thread),
// REAL (float, or double for F64). Thread (r, lane) owns query row r: it scores keys lane, lane + TPR, ...
// and accumulates output columns lane, lane + TPR, ... Every loop that holds a barrier has bounds that are
// uniform across the work-group.

// The masks and the soft-cap are attention.h's (included before this file).

// meta = layouts of q, k, v (5 longs each); out is contiguous [B, HQ, T, DV], lse contiguous [B, HQ, T].
// qseg [B or 1, T] and kseg [B or 1, S] are dense longs with batch strides qsb / ksb (used when hasSeg); sinks [HQ]
// dense in the compute type (used when hasSinks).
KERNEL void attn_forward(GLOBAL const Q_T* q, GLOBAL const K_T* k, GLOBAL const V_T* v,
                           GLOBAL O_T* out, GLOBAL LSE_T* lse,
                           GLOBAL const i64* qseg, i64 qsb, GLOBAL const i64* kseg, i64 ksb,
                           const Meta meta, int T, int S, int HQ, int GROUP, REAL scale, int causal, int hasSeg,
                           int window, REAL softcap, GLOBAL const REAL* sinks, int hasSinks) {
    SHARED REAL qs[BQ * LD];
    SHARED REAL ks[BK * LD];
    SHARED REAL vs[BK * LDV];
    SHARED REAL sc[BQ * BK];
    SHARED i64 ksg[BK];

    const int lid = LID(0), r = lid / TPR, lane = lid % TPR;
    const int q0 = GROUP_ID(0) * BQ, h = GID(1), b = GID(2), kvh = h / GROUP;
    const int i = q0 + r, off = S - T;
    i64 mq[5], mk[5], mv[5];
    for (int x = 0; x < 5; x++) { mq[x] = meta.w[x]; mk[x] = meta.w[5 + x]; mv[x] = meta.w[10 + x]; }

    for (int x = lid; x < BQ * D; x += BQ * TPR) {
        int rr = x / D, dd = x % D;
        qs[rr * LD + dd] = q0 + rr < T ? (REAL) Q_LOAD(q, AT(mq, b, h, q0 + rr, dd)) : (REAL) 0;
    }
    const i64 mySeg = hasSeg && i < T ? qseg[b * qsb + i] : 0;

    REAL m = NEG_INF, l = 0;
    REAL acc[DPTV];
    for (int c = 0; c < DPTV; c++) acc[c] = 0;

    // causal: keys past the last row's horizon are masked for the whole tile, so the loop stops there; a sliding
    // window also starts it at the first row's window
    const int kend = causal ? min(max(q0 + BQ + off, 0), S) : S;
    for (int k0 = attn_first_key(q0, off, causal, window, BK); k0 < kend; k0 += BK) {
        BARRIER();  // the previous tile has been consumed
        for (int x = lid; x < BK * D; x += BQ * TPR) {
            int jj = x / D, dd = x % D, j = k0 + jj;
            ks[jj * LD + dd] = j < S ? (REAL) K_LOAD(k, AT(mk, b, kvh, j, dd)) : (REAL) 0;
        }
        for (int x = lid; x < BK * DV; x += BQ * TPR) {
            int jj = x / DV, dd = x % DV, j = k0 + jj;
            vs[jj * LDV + dd] = j < S ? (REAL) V_LOAD(v, AT(mv, b, kvh, j, dd)) : (REAL) 0;
        }
        if (hasSeg) for (int x = lid; x < BK; x += BQ * TPR) ksg[x] = k0 + x < S ? kseg[b * ksb + k0 + x] : 0;
        BARRIER();

        for (int c = 0; c < BK / TPR; c++) {
            int jj = lane + c * TPR, j = k0 + jj;
            REAL s = NEG_INF;
            if (i < T && j < S && attn_visible(i, j, off, causal, window) && (!hasSeg || ksg[jj] == mySeg)) {
                REAL dot = 0;
                for (int d = 0; d < D; d++) dot += qs[r * LD + d] * ks[jj * LD + d];
                s = attn_cap(dot * scale, softcap);
            }
            sc[r * BK + jj] = s;
        }
        BARRIER();
        REAL mx = m;
        for (int jj = 0; jj < BK; jj++) mx = fmax(mx, sc[r * BK + jj]);
        BARRIER();  // every lane has read the scores before they become probabilities
        for (int c = 0; c < BK / TPR; c++) {
            int jj = lane + c * TPR;
            REAL s = sc[r * BK + jj];
            sc[r * BK + jj] = s == NEG_INF ? (REAL) 0 : exp(s - mx);
        }
        BARRIER();
        // rescale what was accumulated under the old max; nothing was accumulated while m was -inf
        REAL alpha = m == NEG_INF ? (REAL) 0 : exp(m - mx);
        REAL rowSum = 0;
        for (int jj = 0; jj < BK; jj++) rowSum += sc[r * BK + jj];
        l = l * alpha + rowSum;
        for (int c = 0; c < DPTV; c++) {
            int d = lane + c * TPR;
            if (d < DV) {
                REAL a = acc[c] * alpha;
                for (int jj = 0; jj < BK; jj++) a += sc[r * BK + jj] * vs[jj * LDV + d];
                acc[c] = a;
            }
        }
        m = mx;
    }

    if (i < T) {
        i64 row = ((i64) b * HQ + h) * T + i;
        // a row that saw no key: output 0 and lse -inf (the sink alone with sinks), as the CPU kernel and the reference
        // composition; with a sink the output is acc / l · exp(m + log l - joined) = acc · exp(m - joined)
        REAL rowLse = l == 0 ? NEG_INF : m + log(l), inv = l == 0 ? (REAL) 0 : 1 / l;
        if (hasSinks) {
            rowLse = attn_join_sink(rowLse, sinks[h]);
            inv = l == 0 ? (REAL) 0 : exp(m - rowLse);
        }
        for (int c = 0; c < DPTV; c++) {
            int d = lane + c * TPR;
            if (d < DV) O_STORE(out, row * DV + d, acc[c] * inv);
        }
        if (lane == 0) LSE_STORE(lse, row, rowLse);
    }
}
