// HF rotary position embedding (transformers apply_rotary_pos_emb with rotate_half) and its transpose. Dims:
// B batch, H heads, T positions, D head dim, R rotary dims (the first R of D rotate, the rest pass through),
// hr = R / 2 ("half" is an OpenCL type name). With x1 = x[:hr], x2 = x[hr:R]:
// forward  y1 = x1·cos1 - x2·sin1,  y2 = x2·cos2 + x1·sin2;
// backward dx1 = dy1·cos1 + dy2·sin2, dx2 = dy2·cos2 - dy1·sin1.
// x [B, H, T, D] is read through its strides (q/k projections transposed from [B, T, H, D]); y is contiguous;
// cos/sin are contiguous [1 or B, T, R]. Defines: REAL; operand types X, C (cos), S (sin); transpose is a runtime flag.

// One work item per rotated pair or passed-through element: D - hr of them per row, total = B·H·T·(D - hr).
KERNEL void rope(GLOBAL const X_T* x, i64 xOff, i64 sb, i64 sh, i64 st, i64 sd,
                   GLOBAL const C_T* cosT, GLOBAL const S_T* sinT, GLOBAL X_T* y,
                   int h, int t, int d, int r, int batchedTable, int transpose, i64 total) {
    i64 idx = GID(0);
    if (idx >= total) return;
    int hr = r / 2, per = d - hr;
    i64 row = idx / per;
    int k = (int) (idx - row * per);
    int ti = (int) (row % t);
    i64 bh = row / t;
    int hi = (int) (bh % h);
    i64 bi = bh / h;
    i64 in = xOff + bi * sb + hi * sh + ti * st, out = row * d;
    if (k < hr) {
        i64 tab = ((batchedTable ? bi : 0) * t + ti) * r;
        REAL x1 = X_LOAD(x, in + k * sd), x2 = X_LOAD(x, in + (k + hr) * sd);
        REAL c1 = C_LOAD(cosT, tab + k), c2 = C_LOAD(cosT, tab + hr + k);
        REAL s1 = S_LOAD(sinT, tab + k), s2 = S_LOAD(sinT, tab + hr + k);
        if (transpose) {
            X_STORE(y, out + k, x1 * c1 + x2 * s2);
            X_STORE(y, out + hr + k, x2 * c2 - x1 * s1);
        } else {
            X_STORE(y, out + k, x1 * c1 - x2 * s1);
            X_STORE(y, out + hr + k, x2 * c2 + x1 * s2);
        }
    } else {
        int i = k + hr; // in [R, D)
        X_STORE(y, out + i, X_LOAD(x, in + i * sd));
    }
}
