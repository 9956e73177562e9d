// Softmax and log-softmax over the last dim (torch.softmax / log_softmax), forward and backward. Dims: N rows,
// V row length. One work-group per row: an online (max, sum of exp) pair per work item, merged across the group
// (rows.cl), then one writing pass. An all -inf row has shift 0 (x - shift stays -inf, not NaN).
// Defines: REAL; operand types X, Y (forward), DY, Y, DX (backward). logSoftmax is a uniform runtime flag.

#ifdef X_T
__kernel void softmax_forward(__global const X_T* x, __global Y_T* y, int v, int logSoftmax,
                              __local REAL* sm, __local REAL* ss) {
    long row = get_group_id(0), base = row * v;
    int lid = get_local_id(0), ls = get_local_size(0);
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
__kernel void softmax_backward(__global const DY_T* dy, __global const Y_T* y, __global DX_T* dx, int v,
                               int logSoftmax, __local REAL* scratch) {
    long row = get_group_id(0), base = row * v;
    int lid = get_local_id(0), ls = get_local_size(0);
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
