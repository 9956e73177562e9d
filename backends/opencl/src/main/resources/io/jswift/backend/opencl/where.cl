// out[i] = cond[i] != 0 ? a[i] : b[i] with all three broadcast through their strides; out contiguous.
// meta = shape[rank], cond strides[rank], a strides[rank], b strides[rank]. Values pass through OUT_C, the
// output's compute type (long for integers), so integers are exact.
__kernel void where_select(__global const C_T* c, long cOffset, __global const A_T* a, long aOffset,
                           __global const B_T* b, long bOffset, __global OUT_T* out,
                           __global const long* meta, int rank, long n) {
    long i = get_global_id(0);
    if (i >= n) return;
    bool take = C_LOAD(c, cOffset + strided_offset(i, rank, meta, meta + rank)) != 0;
    OUT_C v = take ? (OUT_C) A_LOAD(a, aOffset + strided_offset(i, rank, meta, meta + 2 * rank))
                   : (OUT_C) B_LOAD(b, bOffset + strided_offset(i, rank, meta, meta + 3 * rank));
    OUT_STORE(out, i, v);
}
