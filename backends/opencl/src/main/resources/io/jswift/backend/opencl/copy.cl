// dst[i] = convert(src[i]) over a strided source and a strided destination of the same shape.
// meta = shape[rank], src strides[rank], dst strides[rank].
__kernel void copy_strided(__global const SRC_T* src, long srcOffset, __global DST_T* dst, long dstOffset,
                           __global const long* meta, int rank, long n) {
    long i = get_global_id(0);
    if (i >= n) return;
    long s = srcOffset + strided_offset(i, rank, meta, meta + rank);
    long d = dstOffset + strided_offset(i, rank, meta, meta + 2 * rank);
    DST_STORE(dst, d, SRC_LOAD(src, s));
}

// Contiguous conversion: dst[dstOffset + i] = convert(src[srcOffset + i]).
__kernel void copy_contiguous(__global const SRC_T* src, long srcOffset, __global DST_T* dst, long dstOffset, long n) {
    long i = get_global_id(0);
    if (i >= n) return;
    DST_STORE(dst, dstOffset + i, SRC_LOAD(src, srcOffset + i));
}
