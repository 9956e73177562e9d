// Flash attention backward (FlashAttention-2, Dao 2023, Algorithm 2 split in two kernels so that no float
// atomics are needed): P = exp(s - lse) is recomputed from the saved log-sum-exp, delta_i = dO_i . O_i,
// dS = P * (dP - delta) * scale with dP = dO . V; dq = dS K (parallel over query tiles), dk = dS^T Q and
// dv = P^T dO (parallel over key tiles of a kv head, looping over the GROUP query heads that share it).
// Dims and compile-time constants as in attention_forward.c (DPT = ceil(D / TPR) columns of dq / dk per thread, DPTV
// of dv); the sinks need nothing here: the saved lse already joins them (attention.h). BQ_Q / BK_Q are the dq kernel's tiles (its
// threads own query rows), BQ_K / BK_K the dk/dv kernel's (its threads own key rows). Every loop that holds
// a barrier has bounds that are uniform across the work-group.

// Layouts (AT), masks and the soft-cap are attention.h's (included before this file). With a soft-cap c the scores
// are capped = c * tanh(s / c), P = exp(capped - lse), and dS gains the factor 1 - (capped / c)².

// lse layout l = {offset, stride b, stride h, stride t}.
#define AT3(l, b, h, t) ((l)[0] + (i64) (b) * (l)[1] + (i64) (h) * (l)[2] + (i64) (t) * (l)[3])

// meta = layouts of q, k, v, out, dOut (5 longs each), then lse (4 longs).
#define META_Q 0
#define META_K 5
#define META_V 10
#define META_O 15
#define META_G 20
#define META_L 25

// delta[row] = dOut[row] . out[row] over the rows (b, h, i), row-major.
KERNEL void attn_delta(GLOBAL const G_T* g, GLOBAL const O_T* o, GLOBAL REAL* delta,
                         const Meta meta, int HQ, int T, i64 rows) {
    i64 row = GID(0);
    if (row >= rows) return;
    int i = row % T, h = (row / T) % HQ, b = row / ((i64) T * HQ);
    i64 mg[5], mo[5];
    for (int x = 0; x < 5; x++) { mg[x] = meta.w[META_G + x]; mo[x] = meta.w[META_O + x]; }
    REAL sum = 0;
    for (int d = 0; d < DV; d++) sum += (REAL) G_LOAD(g, AT(mg, b, h, i, d)) * (REAL) O_LOAD(o, AT(mo, b, h, i, d));
    delta[row] = sum;
}

// dq [B, HQ, T, D] contiguous; one work-group per (query tile, query head, batch).
KERNEL void attn_backward_dq(GLOBAL const Q_T* q, GLOBAL const K_T* k, GLOBAL const V_T* v,
                               GLOBAL const G_T* g, GLOBAL const L_T* lse, GLOBAL const REAL* delta,
                               GLOBAL DQ_T* dq,
                               GLOBAL const i64* qseg, i64 qsb, GLOBAL const i64* kseg, i64 ksb,
                               const Meta meta, int T, int S, int HQ, int GROUP, REAL scale, int causal, int hasSeg,
                               int window, REAL softcap) {
    SHARED REAL qs[BQ_Q * LD];
    SHARED REAL gs[BQ_Q * LDV];
    SHARED REAL ks[BK_Q * LD];
    SHARED REAL vs[BK_Q * LDV];
    SHARED REAL ds[BQ_Q * BK_Q];
    SHARED i64 ksg[BK_Q];

    const int lid = LID(0), r = lid / TPR, lane = lid % TPR, wg = BQ_Q * TPR;
    const int q0 = GROUP_ID(0) * BQ_Q, h = GID(1), b = GID(2), kvh = h / GROUP;
    const int i = q0 + r, off = S - T;
    i64 mq[5], mk[5], mv[5], mg[5], ml[4];
    for (int x = 0; x < 5; x++) {
        mq[x] = meta.w[META_Q + x]; mk[x] = meta.w[META_K + x]; mv[x] = meta.w[META_V + x]; mg[x] = meta.w[META_G + x];
    }
    for (int x = 0; x < 4; x++) ml[x] = meta.w[META_L + x];

    for (int x = lid; x < BQ_Q * D; x += wg) {
        int rr = x / D, dd = x % D;
        qs[rr * LD + dd] = q0 + rr < T ? (REAL) Q_LOAD(q, AT(mq, b, h, q0 + rr, dd)) : (REAL) 0;
    }
    for (int x = lid; x < BQ_Q * DV; x += wg) {
        int rr = x / DV, dd = x % DV;
        gs[rr * LDV + dd] = q0 + rr < T ? (REAL) G_LOAD(g, AT(mg, b, h, q0 + rr, dd)) : (REAL) 0;
    }
    const REAL rowLse = i < T ? (REAL) L_LOAD(lse, AT3(ml, b, h, i)) : NEG_INF;
    const REAL rowDelta = i < T ? delta[((i64) b * HQ + h) * T + i] : (REAL) 0;
    const bool live = rowLse != NEG_INF;  // a row that saw no key has P = 0 everywhere
    const i64 mySeg = hasSeg && i < T ? qseg[b * qsb + i] : 0;

    REAL acc[DPT];
    for (int c = 0; c < DPT; c++) acc[c] = 0;
    const int kend = causal ? min(max(q0 + BQ_Q + off, 0), S) : S;
    for (int k0 = attn_first_key(q0, off, causal, window, BK_Q); k0 < kend; k0 += BK_Q) {
        BARRIER();
        for (int x = lid; x < BK_Q * D; x += wg) {
            int jj = x / D, dd = x % D, j = k0 + jj;
            ks[jj * LD + dd] = j < S ? (REAL) K_LOAD(k, AT(mk, b, kvh, j, dd)) : (REAL) 0;
        }
        for (int x = lid; x < BK_Q * DV; x += wg) {
            int jj = x / DV, dd = x % DV, j = k0 + jj;
            vs[jj * LDV + dd] = j < S ? (REAL) V_LOAD(v, AT(mv, b, kvh, j, dd)) : (REAL) 0;
        }
        if (hasSeg) for (int x = lid; x < BK_Q; x += wg) ksg[x] = k0 + x < S ? kseg[b * ksb + k0 + x] : 0;
        BARRIER();

        for (int c = 0; c < BK_Q / TPR; c++) {
            int jj = lane + c * TPR, j = k0 + jj;
            REAL dsij = 0;
            if (live && j < S && attn_visible(i, j, off, causal, window) && (!hasSeg || ksg[jj] == mySeg)) {
                REAL qk = 0, gv = 0;
                for (int d = 0; d < D; d++) qk += qs[r * LD + d] * ks[jj * LD + d];
                for (int d = 0; d < DV; d++) gv += gs[r * LDV + d] * vs[jj * LDV + d];
                REAL capped = attn_cap(qk * scale, softcap);
                REAL p = exp(capped - rowLse);
                dsij = p * (gv - rowDelta) * attn_cap_grad(capped, softcap) * scale;
            }
            ds[r * BK_Q + jj] = dsij;
        }
        BARRIER();
        for (int c = 0; c < DPT; c++) {
            int d = lane + c * TPR;
            if (d < D) {
                REAL a = acc[c];
                for (int jj = 0; jj < BK_Q; jj++) a += ds[r * BK_Q + jj] * ks[jj * LD + d];
                acc[c] = a;
            }
        }
    }
    if (i < T) {
        i64 row = ((i64) b * HQ + h) * T + i;
        for (int c = 0; c < DPT; c++) {
            int d = lane + c * TPR;
            if (d < D) DQ_STORE(dq, row * D + d, acc[c]);
        }
    }
}

// dk [B, HKV, S, D], dv [B, HKV, S, DV] contiguous; one work-group per (key tile, kv head, batch), summing over the GROUP query
// heads of the kv head (GQA) in registers.
KERNEL void attn_backward_dkdv(GLOBAL const Q_T* q, GLOBAL const K_T* k, GLOBAL const V_T* v,
                                 GLOBAL const G_T* g, GLOBAL const L_T* lse, GLOBAL const REAL* delta,
                                 GLOBAL DK_T* dk, GLOBAL DV_T* dv,
                                 GLOBAL const i64* qseg, i64 qsb, GLOBAL const i64* kseg, i64 ksb,
                                 const Meta meta, int T, int S, int HQ, int GROUP, REAL scale, int causal, int hasSeg,
                               int window, REAL softcap) {
    SHARED REAL ks[BK_K * LD];
    SHARED REAL vs[BK_K * LDV];
    SHARED REAL qs[BQ_K * LD];
    SHARED REAL gs[BQ_K * LDV];
    SHARED REAL ps[BK_K * BQ_K];
    SHARED REAL ds[BK_K * BQ_K];
    SHARED REAL ls[BQ_K];
    SHARED REAL dl[BQ_K];
    SHARED i64 qsg[BQ_K];

    const int lid = LID(0), jr = lid / TPR, lane = lid % TPR, wg = BK_K * TPR;
    const int k0 = GROUP_ID(0) * BK_K, kvh = GID(1), b = GID(2);
    const int j = k0 + jr, off = S - T, HKV = HQ / GROUP;
    i64 mq[5], mk[5], mv[5], mg[5], ml[4];
    for (int x = 0; x < 5; x++) {
        mq[x] = meta.w[META_Q + x]; mk[x] = meta.w[META_K + x]; mv[x] = meta.w[META_V + x]; mg[x] = meta.w[META_G + x];
    }
    for (int x = 0; x < 4; x++) ml[x] = meta.w[META_L + x];

    for (int x = lid; x < BK_K * D; x += wg) {
        int jj = x / D, dd = x % D;
        ks[jj * LD + dd] = k0 + jj < S ? (REAL) K_LOAD(k, AT(mk, b, kvh, k0 + jj, dd)) : (REAL) 0;
    }
    for (int x = lid; x < BK_K * DV; x += wg) {
        int jj = x / DV, dd = x % DV;
        vs[jj * LDV + dd] = k0 + jj < S ? (REAL) V_LOAD(v, AT(mv, b, kvh, k0 + jj, dd)) : (REAL) 0;
    }
    const i64 mySeg = hasSeg && j < S ? kseg[b * ksb + j] : 0;

    REAL accK[DPT], accV[DPTV];
    for (int c = 0; c < DPT; c++) accK[c] = 0;
    for (int c = 0; c < DPTV; c++) accV[c] = 0;
    // causal: key j is seen by queries i >= j - off, so query tiles wholly before k0 - off are skipped; a sliding
    // window also ends the loop after the last query whose window reaches the tile
    const int qstart = causal ? max(0, k0 - off) / BQ_K * BQ_K : 0;
    const int qend = attn_query_end(k0, BK_K, off, T, causal, window);
    for (int grp = 0; grp < GROUP; grp++) {
        const int h = kvh * GROUP + grp;
        for (int q0 = qstart; q0 < qend; q0 += BQ_K) {
            BARRIER();
            for (int x = lid; x < BQ_K * D; x += wg) {
                int ii = x / D, dd = x % D;
                qs[ii * LD + dd] = q0 + ii < T ? (REAL) Q_LOAD(q, AT(mq, b, h, q0 + ii, dd)) : (REAL) 0;
            }
            for (int x = lid; x < BQ_K * DV; x += wg) {
                int ii = x / DV, dd = x % DV;
                gs[ii * LDV + dd] = q0 + ii < T ? (REAL) G_LOAD(g, AT(mg, b, h, q0 + ii, dd)) : (REAL) 0;
            }
            for (int x = lid; x < BQ_K; x += wg) {
                bool inside = q0 + x < T;
                ls[x] = inside ? (REAL) L_LOAD(lse, AT3(ml, b, h, q0 + x)) : NEG_INF;
                dl[x] = inside ? delta[((i64) b * HQ + h) * T + q0 + x] : (REAL) 0;
                qsg[x] = inside && hasSeg ? qseg[b * qsb + q0 + x] : 0;
            }
            BARRIER();

            for (int c = 0; c < BQ_K / TPR; c++) {
                int ii = lane + c * TPR, i = q0 + ii;
                REAL p = 0, dsij = 0;
                if (j < S && i < T && ls[ii] != NEG_INF && attn_visible(i, j, off, causal, window) && (!hasSeg || qsg[ii] == mySeg)) {
                    REAL qk = 0, gv = 0;
                    for (int d = 0; d < D; d++) qk += qs[ii * LD + d] * ks[jr * LD + d];
                    for (int d = 0; d < DV; d++) gv += gs[ii * LDV + d] * vs[jr * LDV + d];
                    REAL capped = attn_cap(qk * scale, softcap);
                    p = exp(capped - ls[ii]);
                    dsij = p * (gv - dl[ii]) * attn_cap_grad(capped, softcap) * scale;
                }
                ps[jr * BQ_K + ii] = p;
                ds[jr * BQ_K + ii] = dsij;
            }
            BARRIER();
            for (int c = 0; c < DPTV; c++) {
                int d = lane + c * TPR;
                if (d < DV) {
                    REAL av = accV[c];
                    for (int ii = 0; ii < BQ_K; ii++) av += ps[jr * BQ_K + ii] * gs[ii * LDV + d];
                    accV[c] = av;
                }
            }
            for (int c = 0; c < DPT; c++) {
                int d = lane + c * TPR;
                if (d < D) {
                    REAL ak = accK[c];
                    for (int ii = 0; ii < BQ_K; ii++) ak += ds[jr * BQ_K + ii] * qs[ii * LD + d];
                    accK[c] = ak;
                }
            }
        }
    }
    if (j < S) {
        i64 row = ((i64) b * HKV + kvh) * S + j;
        for (int c = 0; c < DPT; c++) {
            int d = lane + c * TPR;
            if (d < D) DK_STORE(dk, row * D + d, accK[c]);
        }
        for (int c = 0; c < DPTV; c++) {
            int d = lane + c * TPR;
            if (d < DV) DV_STORE(dv, row * DV + d, accV[c]);
        }
    }
}
