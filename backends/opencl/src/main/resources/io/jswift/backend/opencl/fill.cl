// Every element of a strided destination set to value (meta = shape[rank], strides[rank]).
__kernel void fill_strided(__global DST_T* dst, long dstOffset, VALUE_T value, __global const long* meta, int rank, long n) {
    long i = get_global_id(0);
    if (i >= n) return;
    DST_STORE(dst, dstOffset + strided_offset(i, rank, meta, meta + rank), value);
}
