// Index of the first maximum along one dim, as torch.argmax: NaN counts as the maximum (the first NaN wins).
// CMP is the compared type: i64 for integers (I64 above 2^53 stays exact), float, or double for f64.
// meta = keptShape[kr], keptStrides[kr]; the argmax dim has n elements at stride step.

#ifdef INTEGRAL
#define IS_NAN(v) 0
#else
#define IS_NAN(v) isnan(v)
#endif

KERNEL void argmax_each(GLOBAL const X_T* x, i64 xOffset, GLOBAL i64* out, const Meta meta,
                          int kr, i64 n, i64 step, i64 outputs) {
    i64 o = GID(0);
    if (o >= outputs) return;
    i64 base = xOffset + strided_offset(o, kr, &meta, 0, kr);
    CMP best = (CMP) X_LOAD(x, base);
    i64 at = 0;
    for (i64 i = 1; i < n && !IS_NAN(best); i++) {
        CMP v = (CMP) X_LOAD(x, base + i * step);
        if (v > best || IS_NAN(v)) {
            best = v;
            at = i;
        }
    }
    out[o] = at;
}

// whether candidate (v, i) beats (bv, bi) in argmax order; index -1 means none yet
DEVICE_FN bool beats(CMP v, i64 i, CMP bv, i64 bi) {
    if (i < 0) return false;
    if (bi < 0) return true;
    bool nan = IS_NAN(v), bnan = IS_NAN(bv);
    if (nan || bnan) return nan && (!bnan || i < bi);
    return v > bv || (v == bv && i < bi);
}

// One work group per output: each item scans a strided subset in index order, then a tree keeps the winner.
KERNEL void argmax_part(GLOBAL const X_T* x, i64 xOffset, GLOBAL i64* out, const Meta meta,
                        int kr, i64 n, i64 step) {
    SHARED CMP values[GROUP];
    SHARED i64 indices[GROUP];
    i64 o = GROUP_ID(0);
    int lid = LID(0), size = LOCAL_SIZE(0);
    i64 base = xOffset + strided_offset(o, kr, &meta, 0, kr);
    CMP bv = 0;
    i64 bi = -1;
    for (i64 i = lid; i < n; i += size) {
        CMP v = (CMP) X_LOAD(x, base + i * step);
        if (beats(v, i, bv, bi)) {
            bv = v;
            bi = i;
        }
    }
    values[lid] = bv;
    indices[lid] = bi;
    BARRIER();
    for (int h = size / 2; h > 0; h >>= 1) {
        if (lid < h && beats(values[lid + h], indices[lid + h], values[lid], indices[lid])) {
            values[lid] = values[lid + h];
            indices[lid] = indices[lid + h];
        }
        BARRIER();
    }
    if (lid == 0) out[o] = indices[0];
}
