// dst[i] = convert(src[i]) over a strided source and a strided destination of the same shape.
// meta = shape[rank], src strides[rank], dst strides[rank].
KERNEL void copy_strided(GLOBAL const SRC_T* src, idx_t srcOffset, GLOBAL DST_T* dst, idx_t dstOffset,
                         const Meta meta, int rank, idx_t n) {
    idx_t i = GID(0);
    if (i >= n) return;
    idx_t s = srcOffset + strided_offset(i, rank, &meta, 0, rank);
    idx_t d = dstOffset + strided_offset(i, rank, &meta, 0, 2 * rank);
    DST_STORE(dst, d, SRC_LOAD(src, s));
}

// Contiguous conversion: dst[dstOffset + i] = convert(src[srcOffset + i]).
KERNEL void copy_contiguous(GLOBAL const SRC_T* src, idx_t srcOffset, GLOBAL DST_T* dst, idx_t dstOffset, idx_t n) {
    idx_t i = GID(0);
    if (i >= n) return;
    DST_STORE(dst, dstOffset + i, SRC_LOAD(src, srcOffset + i));
}
