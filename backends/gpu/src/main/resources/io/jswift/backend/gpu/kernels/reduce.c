// SUM / MEAN / MAX / MIN of each output's reduced positions.
// meta = keptShape[kr], keptStrides[kr], redShape[rr], redStrides[rr] (Reductions.meta).
// ACC accumulates (float for f32/f16/bf16, double for f64, i64 for integers) starting from IDENT; MEAN
// divides the sum by count in R. MAX/MIN propagate NaN like the CPU backend (fmax would drop it). KAHAN
// compensates float sums within each work item (the CPU backend sums in double or compensated f32 lanes).

#ifdef INTEGRAL
#define IS_NAN(v) 0
#else
#define IS_NAN(v) isnan(v)
#endif

#if defined(OP_MAX)
#define COMBINE(acc, v) (((v) > (acc) || IS_NAN(v)) ? (v) : (acc))
#elif defined(OP_MIN)
#define COMBINE(acc, v) (((v) < (acc) || IS_NAN(v)) ? (v) : (acc))
#else
#define COMBINE(acc, v) ((acc) + (v))
#endif

#ifdef KAHAN
// c holds minus the low part lost so far; an infinite term makes it NaN, which would poison the sum: drop it
#define ACCUMULATE(s, c, v) { ACC y_ = (v) - c; ACC t_ = s + y_; ACC e_ = (t_ - s) - y_; c = isfinite(e_) ? e_ : (ACC) 0; s = t_; }
#define TOTAL(s, c) ((s) - (c))
#else
#define ACCUMULATE(s, c, v) { s = COMBINE(s, (v)); }
#define TOTAL(s, c) (s)
#endif

#ifdef MEAN
#define FINISH(v, count) ((R) (v) / (R) (count))
#else
#define FINISH(v, count) (v)
#endif

DEVICE_FN i64 reduced_offset(i64 r, int kr, int rr, const Meta* meta) {
    return strided_offset(r, rr, meta, 2 * kr, 2 * kr + rr);
}

// One work item per output, sequential over its reduced positions: small reductions, or many outputs whose
// kept dim is innermost (neighbouring items then read neighbouring elements).
KERNEL void reduce_each(GLOBAL const X_T* x, i64 xOffset, GLOBAL OUT_T* out, const Meta meta,
                          int kr, int rr, i64 count, i64 outputs) {
    i64 o = GID(0);
    if (o >= outputs) return;
    i64 base = xOffset + strided_offset(o, kr, &meta, 0, kr);
    ACC s = IDENT, c = 0;
    for (i64 r = 0; r < count; r++) ACCUMULATE(s, c, (ACC) X_LOAD(x, base + reduced_offset(r, kr, rr, &meta)));
    OUT_STORE(out, o, FINISH(TOTAL(s, c), count));
}

// One work group per (output, part): the items stride over the part's chunk of reduced positions, then combine
// in a tree in shared memory (GROUP threads, a power of two). With parts == 1 the group stores the output; otherwise it writes its partial to
// part[o * parts + p] and reduce_finish combines them (a large reduction into few outputs fills the device).
KERNEL void reduce_part(GLOBAL const X_T* x, i64 xOffset, GLOBAL OUT_T* out, GLOBAL ACC* part,
                        const Meta meta, int kr, int rr, i64 count, i64 chunk, int parts) {
    SHARED ACC scratch[GROUP];
    i64 g = GROUP_ID(0);
    i64 o = g / parts, p = g % parts;
    int lid = LID(0), size = LOCAL_SIZE(0);
    i64 base = xOffset + strided_offset(o, kr, &meta, 0, kr);
    i64 from = p * chunk, to = count < from + chunk ? count : from + chunk;
    ACC s = IDENT, c = 0;
    for (i64 r = from + lid; r < to; r += size) ACCUMULATE(s, c, (ACC) X_LOAD(x, base + reduced_offset(r, kr, rr, &meta)));
    scratch[lid] = TOTAL(s, c);
    BARRIER();
    for (int h = size / 2; h > 0; h >>= 1) {
        if (lid < h) scratch[lid] = COMBINE(scratch[lid], scratch[lid + h]);
        BARRIER();
    }
    if (lid == 0) {
        if (parts == 1) OUT_STORE(out, o, FINISH(scratch[0], count));
        else part[g] = scratch[0];
    }
}

KERNEL void reduce_finish(GLOBAL const ACC* part, GLOBAL OUT_T* out, int parts, i64 count, i64 outputs) {
    i64 o = GID(0);
    if (o >= outputs) return;
    ACC s = part[o * parts];
    for (int p = 1; p < parts; p++) s = COMBINE(s, part[o * parts + p]);
    OUT_STORE(out, o, FINISH(s, count));
}
