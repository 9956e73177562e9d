// Index of the first maximum along one dim, as torch.argmax: NaN counts as the maximum (the first NaN wins).
// CMP is the compared type: long for integers (I64 above 2^53 stays exact), float, or double for f64.
// meta = keptShape[kr], keptStrides[kr]; the argmax dim has n elements at stride step.

#ifdef INTEGRAL
#define IS_NAN(v) 0
#else
#define IS_NAN(v) isnan(v)
#endif

__kernel void argmax_each(__global const X_T* x, long xOffset, __global long* out, __global const long* meta,
                          int kr, long n, long step, long outputs) {
    long o = get_global_id(0);
    if (o >= outputs) return;
    long base = xOffset + strided_offset(o, kr, meta, meta + kr);
    CMP best = (CMP) X_LOAD(x, base);
    long at = 0;
    for (long i = 1; i < n && !IS_NAN(best); i++) {
        CMP v = (CMP) X_LOAD(x, base + i * step);
        if (v > best || IS_NAN(v)) {
            best = v;
            at = i;
        }
    }
    out[o] = at;
}

// whether candidate (v, i) beats (bv, bi) in argmax order; index -1 means none yet
inline bool beats(CMP v, long i, CMP bv, long bi) {
    if (i < 0) return false;
    if (bi < 0) return true;
    bool nan = IS_NAN(v), bnan = IS_NAN(bv);
    if (nan || bnan) return nan && (!bnan || i < bi);
    return v > bv || (v == bv && i < bi);
}

// One work group per output: each item scans a strided subset in index order, then a tree keeps the winner.
__kernel void argmax_part(__global const X_T* x, long xOffset, __global long* out, __global const long* meta,
                          int kr, long n, long step, __local CMP* values, __local long* indices) {
    long o = get_group_id(0);
    int lid = get_local_id(0), size = get_local_size(0);
    long base = xOffset + strided_offset(o, kr, meta, meta + kr);
    CMP bv = 0;
    long bi = -1;
    for (long i = lid; i < n; i += size) {
        CMP v = (CMP) X_LOAD(x, base + i * step);
        if (beats(v, i, bv, bi)) {
            bv = v;
            bi = i;
        }
    }
    values[lid] = bv;
    indices[lid] = bi;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int h = size / 2; h > 0; h >>= 1) {
        if (lid < h && beats(values[lid + h], indices[lid + h], values[lid], indices[lid])) {
            values[lid] = values[lid + h];
            indices[lid] = indices[lid + h];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) out[o] = indices[0];
}
