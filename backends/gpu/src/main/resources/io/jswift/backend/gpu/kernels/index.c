// Index lookups that move elements unchanged: E_T is an unsigned integer of the element's size, so one program
// serves every dtype of that size. idx holds the (host-checked) indices as longs, in the index's row-major order.
// Outputs are contiguous; meta = out shape[rank], x strides[rank].

// index_select: out[.., i, ..] = x[.., idx[i], ..] along dim
KERNEL void index_select(GLOBAL const E_T* x, i64 xOffset, GLOBAL const i64* idx, GLOBAL E_T* out,
                           const Meta meta, int rank, int dim, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    i64 rem = i, off = xOffset;
    for (int d = rank - 1; d >= 0; d--) {
        i64 s = meta.w[d];
        i64 c = rem % s;
        rem /= s;
        off += (d == dim ? idx[c] : c) * meta.w[rank + d];
    }
    out[i] = x[off];
}

// gather (torch.gather): out[p] = x[p with its dim coordinate replaced by idx[p]]; out has the index's shape
KERNEL void gather(GLOBAL const E_T* x, i64 xOffset, GLOBAL const i64* idx, GLOBAL E_T* out,
                     const Meta meta, int rank, int dim, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    i64 rem = i, off = xOffset;
    for (int d = rank - 1; d >= 0; d--) {
        i64 s = meta.w[d];
        i64 c = rem % s;
        rem /= s;
        off += (d == dim ? idx[i] : c) * meta.w[rank + d];
    }
    out[i] = x[off];
}
