// Index lookups that move elements unchanged: E_T is an unsigned integer of the element's size, so one program
// serves every dtype of that size. idx holds the (host-checked) indices as longs, in the index's row-major order.
// Outputs are contiguous; meta = out shape[rank], x strides[rank].

// Offset in x of output element i (row-major over meta's shape) with its `dim` coordinate c replaced by an index:
// idx[c] (index_select: one index per position along dim) or, when perElement, idx[i] (gather: one per element).
DEVICE_FN i64 lookup_offset(i64 i, int rank, int dim, const Meta* m, i64 off, GLOBAL const i64* idx, int perElement) {
    i64 rem = i;
    for (int d = rank - 1; d >= 0; d--) {
        i64 s = m->w[d];
        i64 c = rem % s;
        rem /= s;
        off += (d == dim ? idx[perElement ? i : c] : c) * m->w[rank + d];
    }
    return off;
}

// index_select: out[.., i, ..] = x[.., idx[i], ..] along dim
KERNEL void index_select(GLOBAL const E_T* x, i64 xOffset, GLOBAL const i64* idx, GLOBAL E_T* out,
                           const Meta meta, int rank, int dim, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    out[i] = x[lookup_offset(i, rank, dim, &meta, xOffset, idx, 0)];
}

// gather (torch.gather): out[p] = x[p with its dim coordinate replaced by idx[p]]; out has the index's shape
KERNEL void gather(GLOBAL const E_T* x, i64 xOffset, GLOBAL const i64* idx, GLOBAL E_T* out,
                     const Meta meta, int rank, int dim, i64 n) {
    i64 i = GID(0);
    if (i >= n) return;
    out[i] = x[lookup_offset(i, rank, dim, &meta, xOffset, idx, 1)];
}
