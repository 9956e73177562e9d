// In-place accumulation into a strided dst, deterministic without atomics: each work item owns a disjoint set
// of dst elements and adds into them sequentially, in the CPU backend's order. ACC is the type of the
// addition (see Indexing.java); each step is stored, so it rounds to dst's dtype like the CPU backend.

// scatter_add (torch.scatter_add_): dst[p with dim coordinate idx[p]] += src[p] for every index position p.
// One work item per column (index positions sharing all coordinates but dim): a column's targets differ from
// every other column's in the other coordinates. meta = index shape[rank], dst strides[rank], src strides[rank];
// idx is the index in row-major order.
KERNEL void scatter_add(GLOBAL DST_T* dst, i64 dstOffset, GLOBAL const i64* idx, GLOBAL const SRC_T* src,
                          i64 srcOffset, const Meta meta, int rank, int dim, i64 columns) {
    i64 col = GID(0);
    if (col >= columns) return;
    i64 rem = col, d0 = dstOffset, s0 = srcOffset, i0 = 0, istride = 1, idimStride = 1;
    for (int k = rank - 1; k >= 0; k--) {
        i64 s = meta.w[k];
        if (k == dim) {
            idimStride = istride;
        } else {
            i64 c = rem % s;
            rem /= s;
            d0 += c * meta.w[rank + k];
            s0 += c * meta.w[2 * rank + k];
            i0 += c * istride;
        }
        istride *= s;
    }
    i64 m = meta.w[dim], dstStep = meta.w[rank + dim], srcStep = meta.w[2 * rank + dim];
    for (i64 j = 0; j < m; j++) {
        i64 o = d0 + idx[i0 + j * idimStride] * dstStep;
        DST_STORE(dst, o, (ACC) DST_LOAD(dst, o) + (ACC) SRC_LOAD(src, s0 + j * srcStep));
    }
}

// index_add (torch.index_add_): dst.select(dim, idx[r]) += src.select(dim, r). The host groups the rows by
// target: plan = targets[groups], starts[groups + 1], rows[...] (each group's rows in ascending order). One work
// item per (group, column), column = a position of every coordinate but dim, fastest varying.
// meta = dst shape[rank], dst strides[rank], src strides[rank].
KERNEL void index_add(GLOBAL DST_T* dst, i64 dstOffset, GLOBAL const SRC_T* src, i64 srcOffset,
                        GLOBAL const i64* plan, i64 groups, const Meta meta, int rank, int dim,
                        i64 columns) {
    i64 g = GID(0);
    if (g >= groups * columns) return;
    i64 t = g / columns, rem = g % columns;
    i64 d0 = dstOffset, s0 = srcOffset;
    for (int k = rank - 1; k >= 0; k--) {
        if (k == dim) continue;
        i64 s = meta.w[k];
        i64 c = rem % s;
        rem /= s;
        d0 += c * meta.w[rank + k];
        s0 += c * meta.w[2 * rank + k];
    }
    GLOBAL const i64* starts = plan + groups;
    GLOBAL const i64* rows = plan + 2 * groups + 1;
    i64 o = d0 + plan[t] * meta.w[rank + dim], srcStep = meta.w[2 * rank + dim];
    for (i64 k = starts[t]; k < starts[t + 1]; k++) {
        DST_STORE(dst, o, (ACC) DST_LOAD(dst, o) + (ACC) SRC_LOAD(src, s0 + rows[k] * srcStep));
    }
}
