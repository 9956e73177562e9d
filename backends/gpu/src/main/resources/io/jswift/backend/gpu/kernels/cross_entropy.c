// Cross-entropy of logits [N, V] against integer targets [N] (torch.nn.functional.cross_entropy, reduction='none'),
// forward and backward. Dims: N rows (tokens), V vocabulary. loss[n] = lse[n] - x[n, t[n]], 0 where t[n] equals
// ignoreIndex; dlogits = dLoss·(softmax - onehot), zero rows for ignored targets. A target outside [0, V) records
// its row in *badRow (atomic_min: the first bad row) so that the host can name it.
// Defines: REAL; operand types X (logits), T (targets), S (losses, lse) forward; DL, L (lse), DX backward.

#ifdef S_T
// One work-group per row.
KERNEL void cross_entropy_forward(GLOBAL const X_T* x, GLOBAL const T_T* targets, GLOBAL S_T* losses,
                                    GLOBAL S_T* lse, GLOBAL int* badRow, int v, i64 ignoreIndex) {
    SHARED REAL sm[GROUP];
    SHARED REAL ss[GROUP];
    i64 row = GROUP_ID(0), base = row * v;
    int lid = LID(0), ls = LOCAL_SIZE(0);
    REAL m = -INFINITY, s = 0;
    for (int i = lid; i < v; i += ls) lse_push(&m, &s, X_LOAD(x, base + i));
    group_lse(&m, &s, sm, ss);
    if (lid == 0) {
        REAL l = log(s) + (m == -INFINITY ? 0 : m);
        i64 t = (i64) T_LOAD(targets, row);
        S_STORE(lse, row, l);
        if (t == ignoreIndex) {
            S_STORE(losses, row, 0);
        } else if (t < 0 || t >= v) {
            ATOMIC_MIN_I32(badRow, (int) row);
            S_STORE(losses, row, NAN);
        } else {
            S_STORE(losses, row, l - X_LOAD(x, base + t));
        }
    }
}
#endif

#ifdef DX_T
// One thread per logit over [>= V, rows] (rows strided by the grid); ignored rows get zeros.
KERNEL void cross_entropy_backward(GLOBAL const DL_T* dLoss, GLOBAL const X_T* x, GLOBAL const T_T* targets,
                                     GLOBAL const L_T* lse, GLOBAL DX_T* dx, GLOBAL int* badRow, int v,
                                   i64 ignoreIndex, i64 n) {
    int i = GID(0);
    if (i >= v) return;
    for (i64 row = GROUP_ID(1); row < n; row += NUM_GROUPS(1)) {
        i64 at = row * v + i;
        i64 t = (i64) T_LOAD(targets, row);
        if (t < 0 || t >= v) {
            if (t != ignoreIndex && i == 0) ATOMIC_MIN_I32(badRow, (int) row);
            DX_STORE(dx, at, 0);
            continue;
        }
        if (t == ignoreIndex) {
            DX_STORE(dx, at, 0);
            continue;
        }
        REAL scale = DL_LOAD(dLoss, row), shift = L_LOAD(lse, row);
        REAL g = exp(X_LOAD(x, at) - shift) * scale;
        DX_STORE(dx, at, i == t ? g - scale : g);
    }
}
#endif
