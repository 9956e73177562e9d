// out[i] = cond[i] != 0 ? a[i] : b[i] with all three broadcast through their strides; out contiguous.
// meta = shape[rank], cond strides[rank], a strides[rank], b strides[rank]. Values pass through OUT_C, the
// output's compute type (i64 for integers), so integers are exact.
KERNEL void where_select(GLOBAL const C_T* c, idx_t cOffset, GLOBAL const A_T* a, idx_t aOffset,
                         GLOBAL const B_T* b, idx_t bOffset, GLOBAL OUT_T* out, const Meta meta, int rank, idx_t n) {
    idx_t i = GID(0);
    if (i >= n) return;
    bool take = C_LOAD(c, cOffset + strided_offset(i, rank, &meta, 0, rank)) != 0;
    OUT_C v = take ? (OUT_C) A_LOAD(a, aOffset + strided_offset(i, rank, &meta, 0, 2 * rank))
                   : (OUT_C) B_LOAD(b, bOffset + strided_offset(i, rank, &meta, 0, 3 * rank));
    OUT_STORE(out, i, v);
}
