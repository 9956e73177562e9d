// Every element of a strided destination set to value (meta = shape[rank], strides[rank]).
KERNEL void fill_strided(GLOBAL DST_T* dst, idx_t dstOffset, VALUE_T value, const Meta meta, int rank, idx_t n) {
    idx_t i = GID(0);
    if (i >= n) return;
    DST_STORE(dst, dstOffset + strided_offset(i, rank, &meta, 0, rank), value);
}
