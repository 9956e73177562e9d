// Work-group reductions of the row kernels (one work-group per row, REAL = float or double). Every work item of
// the group calls them, in uniform control flow, since they hold barriers; the group size is a power of two and
// each shared array holds LOCAL_SIZE(0) values. Every work item gets the result.

DEVICE_FN REAL group_sum(REAL v, SHARED_PTR REAL* scratch) {
    int lid = LID(0);
    scratch[lid] = v;
    BARRIER();
    for (int s = LOCAL_SIZE(0) / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        BARRIER();
    }
    REAL r = scratch[0];
    BARRIER(); // the caller may reuse scratch at once
    return r;
}

// Two sums at once (one barrier chain for both).
DEVICE_FN void group_sum2(REAL* a, REAL* b, SHARED_PTR REAL* sa, SHARED_PTR REAL* sb) {
    int lid = LID(0);
    sa[lid] = *a;
    sb[lid] = *b;
    BARRIER();
    for (int s = LOCAL_SIZE(0) / 2; s > 0; s >>= 1) {
        if (lid < s) {
            sa[lid] += sa[lid + s];
            sb[lid] += sb[lid + s];
        }
        BARRIER();
    }
    *a = sa[0];
    *b = sb[0];
    BARRIER();
}

// Online log-sum-exp (Milakov & Gimelshein): m is the running max, s = sum of exp(x - m). -inf elements add
// nothing (so an all -inf row keeps m = -inf, s = 0); NaN propagates into s.
DEVICE_FN void lse_push(REAL* m, REAL* s, REAL x) {
    if (x > *m) {
        *s = *s * exp(*m - x) + 1;
        *m = x;
    } else if (x != -INFINITY) {
        *s += exp(x - *m);
    }
}

DEVICE_FN void lse_merge(REAL* m, REAL* s, REAL m2, REAL s2) {
    REAL mx = *m > m2 ? *m : m2;
    if (mx == -INFINITY) return; // both empty: s stays 0
    *s = *s * exp(*m - mx) + s2 * exp(m2 - mx);
    *m = mx;
}

// The (max, sum) pair of the whole row.
DEVICE_FN void group_lse(REAL* m, REAL* s, SHARED_PTR REAL* sm, SHARED_PTR REAL* ss) {
    int lid = LID(0);
    sm[lid] = *m;
    ss[lid] = *s;
    BARRIER();
    for (int k = LOCAL_SIZE(0) / 2; k > 0; k >>= 1) {
        if (lid < k) {
            REAL mm = sm[lid], sv = ss[lid];
            lse_merge(&mm, &sv, sm[lid + k], ss[lid + k]);
            sm[lid] = mm;
            ss[lid] = sv;
        }
        BARRIER();
    }
    *m = sm[0];
    *s = ss[0];
    BARRIER();
}

// v rounded to the nearest f16 value (ties to even) and widened back: the HF cast of an intermediate to half.
DEVICE_FN float f16_round(float v) {
    u32 u = AS_U32(v);
    u32 a = u & 0x7FFFFFFFu;
    if (a >= 0x7F800000u) return v;                                  // inf, NaN
    if (a < 0x38800000u) return rint(v * 16777216.0f) * 5.9604644775390625e-8f; // subnormal half: steps of 2^-24
    a += 0xFFFu + ((a >> 13) & 1u);
    a &= 0xFFFFE000u;
    if (a > 0x477FE000u) a = 0x7F800000u;                            // past 65504: inf
    return AS_FLOAT((u & 0x80000000u) | a);
}
