// out[i] = OP(a[i], b[i]) with broadcasting folded into the strides (0 along broadcast dims); out contiguous.
// meta = shape[rank], a strides[rank], b strides[rank]. With SCALAR the kernel binary_scalar takes b as one
// value of type R instead. R is the compute type: float, double, or i64 with INTEGRAL (integer arithmetic
// is exact in 64 bits, as on the CPU backend). Comparisons return 0/1 (stored as BOOL).

DEVICE_FN R b_add(R a, R b) { return a + b; }
DEVICE_FN R b_sub(R a, R b) { return a - b; }
DEVICE_FN R b_mul(R a, R b) { return a * b; }
DEVICE_FN R b_div(R a, R b) { return a / b; }
DEVICE_FN R b_eq(R a, R b) { return (R) (a == b); }
DEVICE_FN R b_ne(R a, R b) { return (R) (a != b); }
DEVICE_FN R b_lt(R a, R b) { return (R) (a < b); }
DEVICE_FN R b_le(R a, R b) { return (R) (a <= b); }
DEVICE_FN R b_gt(R a, R b) { return (R) (a > b); }
DEVICE_FN R b_ge(R a, R b) { return (R) (a >= b); }
#ifdef INTEGRAL
DEVICE_FN R b_max(R a, R b) { return a > b ? a : b; }
DEVICE_FN R b_min(R a, R b) { return a < b ? a : b; }
// square and multiply; the host rejects negative exponents first (ElementwiseRules.checkExponent)
DEVICE_FN R b_pow(R a, R b) {
    R r = 1, base = a;
    for (R e = b; e > 0; e >>= 1) {
        if (e & 1) r *= base;
        base *= base;
    }
    return r;
}
#else
// NaN in either operand gives NaN (torch.maximum), where fmax would drop it
DEVICE_FN R b_max(R a, R b) { return a != a ? a : b != b ? b : fmax(a, b); }
DEVICE_FN R b_min(R a, R b) { return a != a ? a : b != b ? b : fmin(a, b); }
DEVICE_FN R b_pow(R a, R b) { return pow(a, b); }
#endif

#ifdef SCALAR
KERNEL void binary_scalar(GLOBAL const A_T* a, idx_t aOffset, R b, GLOBAL OUT_T* out, const Meta meta, int rank, idx_t n) {
    idx_t i = GID(0);
    if (i >= n) return;
    R va = (R) A_LOAD(a, aOffset + strided_offset(i, rank, &meta, 0, rank));
    OUT_STORE(out, i, OP(va, b));
}
#else
KERNEL void binary(GLOBAL const A_T* a, idx_t aOffset, GLOBAL const B_T* b, idx_t bOffset, GLOBAL OUT_T* out,
                   const Meta meta, int rank, idx_t n) {
    idx_t i = GID(0);
    if (i >= n) return;
    R va = (R) A_LOAD(a, aOffset + strided_offset(i, rank, &meta, 0, rank));
    R vb = (R) B_LOAD(b, bOffset + strided_offset(i, rank, &meta, 0, 2 * rank));
    OUT_STORE(out, i, OP(va, vb));
}
#endif
