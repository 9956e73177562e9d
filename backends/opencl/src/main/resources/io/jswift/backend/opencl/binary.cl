// out[i] = OP(a[i], b[i]) with broadcasting folded into the strides (0 along broadcast dims); out contiguous.
// meta = shape[rank], a strides[rank], b strides[rank]. With SCALAR the kernel binary_scalar takes b as one
// value of type R instead. R is the compute type: float, double, or long with INTEGRAL (integer arithmetic
// is exact in 64 bits, as on the CPU backend). Comparisons return 0/1 (stored as BOOL).

inline R b_add(R a, R b) { return a + b; }
inline R b_sub(R a, R b) { return a - b; }
inline R b_mul(R a, R b) { return a * b; }
inline R b_div(R a, R b) { return a / b; }
inline R b_eq(R a, R b) { return (R) (a == b); }
inline R b_ne(R a, R b) { return (R) (a != b); }
inline R b_lt(R a, R b) { return (R) (a < b); }
inline R b_le(R a, R b) { return (R) (a <= b); }
inline R b_gt(R a, R b) { return (R) (a > b); }
inline R b_ge(R a, R b) { return (R) (a >= b); }
#ifdef INTEGRAL
inline R b_max(R a, R b) { return a > b ? a : b; }
inline R b_min(R a, R b) { return a < b ? a : b; }
// square and multiply; the host rejects negative exponents first, as the CPU backend does
inline R b_pow(R a, R b) {
    R r = 1, base = a;
    for (R e = b; e > 0; e >>= 1) {
        if (e & 1) r *= base;
        base *= base;
    }
    return r;
}
#else
// NaN in either operand gives NaN (torch.maximum), where fmax would drop it
inline R b_max(R a, R b) { return a != a ? a : b != b ? b : fmax(a, b); }
inline R b_min(R a, R b) { return a != a ? a : b != b ? b : fmin(a, b); }
inline R b_pow(R a, R b) { return pow(a, b); }
#endif

#ifdef SCALAR
__kernel void binary_scalar(__global const A_T* a, long aOffset, R b, __global OUT_T* out,
                            __global const long* meta, int rank, long n) {
    long i = get_global_id(0);
    if (i >= n) return;
    R va = (R) A_LOAD(a, aOffset + strided_offset(i, rank, meta, meta + rank));
    OUT_STORE(out, i, OP(va, b));
}
#else
__kernel void binary(__global const A_T* a, long aOffset, __global const B_T* b, long bOffset, __global OUT_T* out,
                     __global const long* meta, int rank, long n) {
    long i = get_global_id(0);
    if (i >= n) return;
    R va = (R) A_LOAD(a, aOffset + strided_offset(i, rank, meta, meta + rank));
    R vb = (R) B_LOAD(b, bOffset + strided_offset(i, rank, meta, meta + 2 * rank));
    OUT_STORE(out, i, OP(va, vb));
}
#endif
