// In-place accumulation into a strided dst, deterministic without atomics: each work item owns a disjoint set
// of dst elements and adds into them sequentially, in the CPU backend's order. ACC is the type of the
// addition (see ClIndex); each step is stored, so it rounds to dst's dtype like the CPU backend.

// scatter_add (torch.scatter_add_): dst[p with dim coordinate idx[p]] += src[p] for every index position p.
// One work item per column (index positions sharing all coordinates but dim): a column's targets differ from
// every other column's in the other coordinates. meta = index shape[rank], dst strides[rank], src strides[rank];
// idx is the index in row-major order.
__kernel void scatter_add(__global DST_T* dst, long dstOffset, __global const long* idx, __global const SRC_T* src,
                          long srcOffset, __global const long* meta, int rank, int dim, long columns) {
    long col = get_global_id(0);
    if (col >= columns) return;
    long rem = col, d0 = dstOffset, s0 = srcOffset, i0 = 0, istride = 1, idimStride = 1;
    for (int k = rank - 1; k >= 0; k--) {
        long s = meta[k];
        if (k == dim) {
            idimStride = istride;
        } else {
            long c = rem % s;
            rem /= s;
            d0 += c * meta[rank + k];
            s0 += c * meta[2 * rank + k];
            i0 += c * istride;
        }
        istride *= s;
    }
    long m = meta[dim], dstStep = meta[rank + dim], srcStep = meta[2 * rank + dim];
    for (long j = 0; j < m; j++) {
        long o = d0 + idx[i0 + j * idimStride] * dstStep;
        DST_STORE(dst, o, (ACC) DST_LOAD(dst, o) + (ACC) SRC_LOAD(src, s0 + j * srcStep));
    }
}

// index_add (torch.index_add_): dst.select(dim, idx[r]) += src.select(dim, r). The host groups the rows by
// target: plan = targets[groups], starts[groups + 1], rows[...] (each group's rows in ascending order). One work
// item per (group, column), column = a position of every coordinate but dim, fastest varying.
// meta = dst shape[rank], dst strides[rank], src strides[rank].
__kernel void index_add(__global DST_T* dst, long dstOffset, __global const SRC_T* src, long srcOffset,
                        __global const long* plan, long groups, __global const long* meta, int rank, int dim,
                        long columns) {
    long g = get_global_id(0);
    if (g >= groups * columns) return;
    long t = g / columns, rem = g % columns;
    long d0 = dstOffset, s0 = srcOffset;
    for (int k = rank - 1; k >= 0; k--) {
        if (k == dim) continue;
        long s = meta[k];
        long c = rem % s;
        rem /= s;
        d0 += c * meta[rank + k];
        s0 += c * meta[2 * rank + k];
    }
    __global const long* starts = plan + groups;
    __global const long* rows = plan + 2 * groups + 1;
    long o = d0 + plan[t] * meta[rank + dim], srcStep = meta[2 * rank + dim];
    for (long k = starts[t]; k < starts[t + 1]; k++) {
        DST_STORE(dst, o, (ACC) DST_LOAD(dst, o) + (ACC) SRC_LOAD(src, s0 + rows[k] * srcStep));
    }
}
