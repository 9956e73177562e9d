// RMSNorm (HF LlamaRMSNorm) and LayerNorm (torch.nn.LayerNorm, biased variance) over rows of C, forward and
// backward, as llm.c's layernorm_forward / layernorm_backward: the forward saves mean / rstd per row for the
// backward. Dims: N rows, C channels. Row kernels run one work-group per row (rows.c reductions); the weight and
// bias gradients sum over rows in two steps without atomics: column partials over chunks of rows, then a column sum.
// Defines: REAL, X_ROUND; operand types X, W, B, Y, M (mean), S (rstd), DY, DX, O (dw, db). Whether there is a
// weight / bias and which norm runs the backward are uniform runtime flags, so that they share one program.

#define WEIGHT(i) (hasWeight ? (REAL) W_LOAD(w, i) : (REAL) 1)
#define BIAS(i) (hasBias ? (REAL) B_LOAD(b, i) : (REAL) 0)
#define MEAN(r) (rms ? (REAL) 0 : (REAL) M_LOAD(mean, r))

#ifdef Y_T
// y = X_ROUND(x·rstd)·w: HF casts the normalized value back to the input dtype before the weight multiply.
KERNEL void rms_norm_forward(GLOBAL const X_T* x, GLOBAL const W_T* w, int hasWeight, GLOBAL Y_T* y,
                               GLOBAL S_T* rstd, int c, REAL eps) {
    SHARED REAL scratch[GROUP];
    i64 row = GROUP_ID(0), base = row * c;
    int lid = LID(0), ls = LOCAL_SIZE(0);
    REAL ss = 0;
    for (int i = lid; i < c; i += ls) {
        REAL v = X_LOAD(x, base + i);
        ss += v * v;
    }
    REAL inv = 1 / sqrt(group_sum(ss, scratch) / c + eps);
    if (lid == 0) S_STORE(rstd, row, inv);
    for (int i = lid; i < c; i += ls) Y_STORE(y, base + i, X_ROUND(X_LOAD(x, base + i) * inv) * WEIGHT(i));
}

// Two passes over the row (mean, then the centered sum of squares) as torch does, not E[x²] - E[x]².
KERNEL void layer_norm_forward(GLOBAL const X_T* x, GLOBAL const W_T* w, int hasWeight, GLOBAL const B_T* b,
                                 int hasBias, GLOBAL Y_T* y, GLOBAL M_T* mean, GLOBAL S_T* rstd, int c, REAL eps) {
    SHARED REAL scratch[GROUP];
    i64 row = GROUP_ID(0), base = row * c;
    int lid = LID(0), ls = LOCAL_SIZE(0);
    REAL sum = 0;
    for (int i = lid; i < c; i += ls) sum += X_LOAD(x, base + i);
    REAL m = group_sum(sum, scratch) / c;
    REAL var = 0;
    for (int i = lid; i < c; i += ls) {
        REAL z = X_LOAD(x, base + i) - m;
        var += z * z;
    }
    REAL inv = 1 / sqrt(group_sum(var, scratch) / c + eps);
    if (lid == 0) {
        M_STORE(mean, row, m);
        S_STORE(rstd, row, inv);
    }
    for (int i = lid; i < c; i += ls) Y_STORE(y, base + i, (X_LOAD(x, base + i) - m) * inv * WEIGHT(i) + BIAS(i));
}
#endif

#ifdef DX_T

// xhat = (x - mean)·rstd, g = dy·w; dx = rstd·(g - mean(g) - xhat·mean(g·xhat)); RMSNorm (rms = 1) has mean 0
// and no mean(g) term.
KERNEL void norm_backward_dx(GLOBAL const DY_T* dy, GLOBAL const X_T* x, GLOBAL const W_T* w, int hasWeight,
                               GLOBAL const M_T* mean, GLOBAL const S_T* rstd, int rms, GLOBAL DX_T* dx, int c) {
    SHARED REAL sa[GROUP];
    SHARED REAL sb[GROUP];
    i64 row = GROUP_ID(0), base = row * c;
    int lid = LID(0), ls = LOCAL_SIZE(0);
    REAL inv = S_LOAD(rstd, row), mu = MEAN(row);
    REAL sg = 0, sgx = 0;
    for (int i = lid; i < c; i += ls) {
        REAL xhat = (X_LOAD(x, base + i) - mu) * inv, g = DY_LOAD(dy, base + i) * WEIGHT(i);
        sg += g;
        sgx += g * xhat;
    }
    group_sum2(&sg, &sgx, sa, sb);
    REAL mg = rms ? 0 : sg / c, mgx = sgx / c;
    for (int i = lid; i < c; i += ls) {
        REAL xhat = (X_LOAD(x, base + i) - mu) * inv, g = DY_LOAD(dy, base + i) * WEIGHT(i);
        DX_STORE(dx, base + i, inv * (g - mg - xhat * mgx));
    }
}

// dwPart[p, col] = Σ dy·xhat and dbPart[p, col] = Σ dy over rows [p·chunk, (p+1)·chunk) ∩ [0, n); global [>= C, P].
KERNEL void norm_param_partials(GLOBAL const DY_T* dy, GLOBAL const X_T* x, GLOBAL const M_T* mean,
                                  GLOBAL const S_T* rstd, int rms, GLOBAL REAL* dwPart, int hasWeight,
                                  GLOBAL REAL* dbPart, int hasBias, int c, i64 n, i64 chunk) {
    int col = GID(0);
    i64 p = GID(1);
    if (col >= c) return;
    i64 r0 = p * chunk, r1 = n < r0 + chunk ? n : r0 + chunk;
    REAL sw = 0, sbias = 0;
    for (i64 r = r0; r < r1; r++) {
        REAL d = DY_LOAD(dy, r * c + col);
        sw += d * ((X_LOAD(x, r * c + col) - MEAN(r)) * (REAL) S_LOAD(rstd, r));
        sbias += d;
    }
    if (hasWeight) dwPart[p * c + col] = sw;
    if (hasBias) dbPart[p * c + col] = sbias;
}

// out[col] = Σ_p part[p, col]; global [>= C].
KERNEL void column_sum(GLOBAL const REAL* part, GLOBAL O_T* out, int c, i64 parts) {
    int col = GID(0);
    if (col >= c) return;
    REAL s = 0;
    for (i64 p = 0; p < parts; p++) s += part[p * c + col];
    O_STORE(out, col, s);
}
#endif
