// Softmax and log-softmax over the last dim (torch.softmax / log_softmax), forward and backward. Dims: N rows,
// V row length. One work-group per row: an online (max, sum of exp) pair per work item, merged across the group
// (rows.cl), then one writing pass. An all -inf row has shift 0 (x - shift stays -inf, not NaN).
// Defines: REAL, LOG (1 = log-softmax); operand types X, Y (forward), DY, Y, DX (backward).

#ifdef X_T
__kernel void softmax_forward(__global const X_T* x, __global Y_T* y, int v, __local REAL* sm, __local REAL* ss) {
    long row = get_group_id(0), base = row * v;
    int lid = get_local_id(0), ls = get_local_size(0);
    REAL m = -INFINITY, s = 0;
    for (int i = lid; i < v; i += ls) lse_push(&m, &s, X_LOAD(x, base + i));
    group_lse(&m, &s, sm, ss);
    REAL shift = m == -INFINITY ? 0 : m;
#if LOG
    REAL lse = log(s) + shift;
    for (int i = lid; i < v; i += ls) Y_STORE(y, base + i, X_LOAD(x, base + i) - lse);
#else
    REAL inv = 1 / s;
    for (int i = lid; i < v; i += ls) Y_STORE(y, base + i, exp(X_LOAD(x, base + i) - shift) * inv);
#endif
}
#endif

#ifdef DX_T
// softmax: dx = y·(dy - Σ dy·y); log-softmax: dx = dy - exp(y)·Σ dy.
__kernel void softmax_backward(__global const DY_T* dy, __global const Y_T* y, __global DX_T* dx, int v,
                               __local REAL* scratch) {
    long row = get_group_id(0), base = row * v;
    int lid = get_local_id(0), ls = get_local_size(0);
    REAL acc = 0;
    for (int i = lid; i < v; i += ls) {
#if LOG
        acc += DY_LOAD(dy, base + i);
#else
        acc += DY_LOAD(dy, base + i) * Y_LOAD(y, base + i);
#endif
    }
    REAL s = group_sum(acc, scratch);
    for (int i = lid; i < v; i += ls) {
        REAL g = DY_LOAD(dy, base + i), yv = Y_LOAD(y, base + i);
#if LOG
        DX_STORE(dx, base + i, g - exp(yv) * s);
#else
        DX_STORE(dx, base + i, yv * (g - s));
#endif
    }
}
#endif
