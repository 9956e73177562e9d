// Softmax and log-softmax over the last dim (torch.softmax / log_softmax), forward and backward. Dims: N rows,
// V row length. One work-group per row: an online (max, sum of exp) pair per work item, merged across the group
// (rows.c), then one writing pass. An all -inf row has shift 0 (x - shift stays -inf, not NaN).
// Defines: REAL; operand types X, Y (forward), DY, Y, DX (backward). logSoftmax is a uniform runtime flag.

#ifdef X_T
KERNEL void softmax_forward(GLOBAL const X_T* x, GLOBAL Y_T* y, int v, int logSoftmax) {
    SHARED REAL sm[GROUP];
    SHARED REAL ss[GROUP];
    i64 row = GROUP_ID(0), base = row * v;
    int lid = LID(0), ls = LOCAL_SIZE(0);
    REAL m = -INFINITY, s = 0;
    for (int i = lid; i < v; i += ls) lse_push(&m, &s, X_LOAD(x, base + i));
    group_lse(&m, &s, sm, ss);
    REAL shift = m == -INFINITY ? 0 : m;
    if (logSoftmax) {
        REAL lse = log(s) + shift;
        for (int i = lid; i < v; i += ls) Y_STORE(y, base + i, X_LOAD(x, base + i) - lse);
    } else {
        REAL inv = 1 / s;
        for (int i = lid; i < v; i += ls) Y_STORE(y, base + i, exp(X_LOAD(x, base + i) - shift) * inv);
    }
}
#endif

#ifdef DX_T
// softmax: dx = y·(dy - Σ dy·y); log-softmax: dx = dy - exp(y)·Σ dy.
KERNEL void softmax_backward(GLOBAL const DY_T* dy, GLOBAL const Y_T* y, GLOBAL DX_T* dx, int v,
                               int logSoftmax) {
    SHARED REAL scratch[GROUP];
    i64 row = GROUP_ID(0), base = row * v;
    int lid = LID(0), ls = LOCAL_SIZE(0);
    REAL acc = 0;
    for (int i = lid; i < v; i += ls) {
        REAL g = DY_LOAD(dy, base + i);
        acc += logSoftmax ? g : g * Y_LOAD(y, base + i);
    }
    REAL s = group_sum(acc, scratch);
    for (int i = lid; i < v; i += ls) {
        REAL g = DY_LOAD(dy, base + i), yv = Y_LOAD(y, base + i);
        DX_STORE(dx, base + i, logSoftmax ? g - exp(yv) * s : yv * (g - s));
    }
}
#endif
