// Index lookups that move elements unchanged: E_T is an unsigned integer of the element's size, so one program
// serves every dtype of that size. idx holds the (host-checked) indices as longs, in the index's row-major order.
// Outputs are contiguous; meta = out shape[rank], x strides[rank].

// index_select: out[.., i, ..] = x[.., idx[i], ..] along dim
__kernel void index_select(__global const E_T* x, long xOffset, __global const long* idx, __global E_T* out,
                           __global const long* meta, int rank, int dim, long n) {
    long i = get_global_id(0);
    if (i >= n) return;
    long rem = i, off = xOffset;
    for (int d = rank - 1; d >= 0; d--) {
        long s = meta[d];
        long c = rem % s;
        rem /= s;
        off += (d == dim ? idx[c] : c) * meta[rank + d];
    }
    out[i] = x[off];
}

// gather (torch.gather): out[p] = x[p with its dim coordinate replaced by idx[p]]; out has the index's shape
__kernel void gather(__global const E_T* x, long xOffset, __global const long* idx, __global E_T* out,
                     __global const long* meta, int rank, int dim, long n) {
    long i = get_global_id(0);
    if (i >= n) return;
    long rem = i, off = xOffset;
    for (int d = rank - 1; d >= 0; d--) {
        long s = meta[d];
        long c = rem % s;
        rem /= s;
        off += (d == dim ? idx[i] : c) * meta[rank + d];
    }
    out[i] = x[off];
}
