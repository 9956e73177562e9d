// Cross-entropy of logits [N, V] against integer targets [N] (torch.nn.functional.cross_entropy, reduction='none'),
// forward and backward. Dims: N rows (tokens), V vocabulary. loss[n] = lse[n] - x[n, t[n]], 0 where t[n] equals
// ignoreIndex; dlogits = dLoss·(softmax - onehot), zero rows for ignored targets. A target outside [0, V) records
// its row in *badRow (atomic_min: the first bad row) so that the host can name it.
// Defines: REAL; operand types X (logits), T (targets), S (losses, lse) forward; DL, L (lse), DX backward.

#ifdef S_T
// One work-group per row.
__kernel void cross_entropy_forward(__global const X_T* x, __global const T_T* targets, __global S_T* losses,
                                    __global S_T* lse, __global int* badRow, int v, long ignoreIndex,
                                    __local REAL* sm, __local REAL* ss) {
    long row = get_group_id(0), base = row * v;
    int lid = get_local_id(0), ls = get_local_size(0);
    REAL m = -INFINITY, s = 0;
    for (int i = lid; i < v; i += ls) lse_push(&m, &s, X_LOAD(x, base + i));
    group_lse(&m, &s, sm, ss);
    if (lid == 0) {
        REAL l = log(s) + (m == -INFINITY ? 0 : m);
        long t = (long) T_LOAD(targets, row);
        S_STORE(lse, row, l);
        if (t == ignoreIndex) {
            S_STORE(losses, row, 0);
        } else if (t < 0 || t >= v) {
            atomic_min(badRow, (int) row);
            S_STORE(losses, row, NAN);
        } else {
            S_STORE(losses, row, l - X_LOAD(x, base + t));
        }
    }
}
#endif

#ifdef DX_T
// One work item per logit, global [>= V, N]; dx starts zeroed, so ignored rows are left as they are.
__kernel void cross_entropy_backward(__global const DL_T* dLoss, __global const X_T* x, __global const T_T* targets,
                                     __global const L_T* lse, __global DX_T* dx, __global int* badRow, int v,
                                     long ignoreIndex) {
    int i = get_global_id(0);
    if (i >= v) return;
    long row = get_global_id(1), at = row * v + i;
    long t = (long) T_LOAD(targets, row);
    if (t == ignoreIndex) return;
    if (t < 0 || t >= v) {
        if (i == 0) atomic_min(badRow, (int) row);
        return;
    }
    REAL scale = DL_LOAD(dLoss, row), shift = L_LOAD(lse, row);
    REAL g = exp(X_LOAD(x, at) - shift) * scale;
    DX_STORE(dx, at, i == t ? g - scale : g);
}
#endif
