// RMSNorm (HF LlamaRMSNorm) and LayerNorm (torch.nn.LayerNorm, biased variance) over rows of C, forward and
// backward, as llm.c's layernorm_forward / layernorm_backward: the forward saves mean / rstd per row for the
// backward. Dims: N rows, C channels. Row kernels run one work-group per row (rows.cl reductions); the weight and
// bias gradients sum over rows in two steps without atomics: column partials over chunks of rows, then a column sum.
// Defines: REAL, X_ROUND; operand types X, W, B, Y, M (mean), S (rstd), DY, DX, O (dw, db). Whether there is a
// weight / bias and which norm runs the backward are uniform runtime flags, so that they share one program.

#define WEIGHT(i) (hasWeight ? (REAL) W_LOAD(w, i) : (REAL) 1)
#define BIAS(i) (hasBias ? (REAL) B_LOAD(b, i) : (REAL) 0)
#define MEAN(r) (rms ? (REAL) 0 : (REAL) M_LOAD(mean, r))

#ifdef Y_T
// y = X_ROUND(x·rstd)·w: HF casts the normalized value back to the input dtype before the weight multiply.
__kernel void rms_norm_forward(__global const X_T* x, __global const W_T* w, int hasWeight, __global Y_T* y,
                               __global S_T* rstd, int c, REAL eps, __local REAL* scratch) {
    long row = get_group_id(0), base = row * c;
    int lid = get_local_id(0), ls = get_local_size(0);
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
__kernel void layer_norm_forward(__global const X_T* x, __global const W_T* w, int hasWeight, __global const B_T* b,
                                 int hasBias, __global Y_T* y, __global M_T* mean, __global S_T* rstd, int c, REAL eps,
                                 __local REAL* scratch) {
    long row = get_group_id(0), base = row * c;
    int lid = get_local_id(0), ls = get_local_size(0);
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
__kernel void norm_backward_dx(__global const DY_T* dy, __global const X_T* x, __global const W_T* w, int hasWeight,
                               __global const M_T* mean, __global const S_T* rstd, int rms, __global DX_T* dx, int c,
                               __local REAL* sa, __local REAL* sb) {
    long row = get_group_id(0), base = row * c;
    int lid = get_local_id(0), ls = get_local_size(0);
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
__kernel void norm_param_partials(__global const DY_T* dy, __global const X_T* x, __global const M_T* mean,
                                  __global const S_T* rstd, int rms, __global REAL* dwPart, int hasWeight,
                                  __global REAL* dbPart, int hasBias, int c, long n, long chunk) {
    int col = get_global_id(0);
    long p = get_global_id(1);
    if (col >= c) return;
    long r0 = p * chunk, r1 = min(n, r0 + chunk);
    REAL sw = 0, sbias = 0;
    for (long r = r0; r < r1; r++) {
        REAL d = DY_LOAD(dy, r * c + col);
        sw += d * ((X_LOAD(x, r * c + col) - MEAN(r)) * (REAL) S_LOAD(rstd, r));
        sbias += d;
    }
    if (hasWeight) dwPart[p * c + col] = sw;
    if (hasBias) dbPart[p * c + col] = sbias;
}

// out[col] = Σ_p part[p, col]; global [>= C].
__kernel void column_sum(__global const REAL* part, __global O_T* out, int c, long parts) {
    int col = get_global_id(0);
    if (col >= c) return;
    REAL s = 0;
    for (long p = 0; p < parts; p++) s += part[p * c + col];
    O_STORE(out, col, s);
}
#endif
