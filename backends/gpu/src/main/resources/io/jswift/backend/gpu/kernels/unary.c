// out[i] = OP(x[i]) over a strided x; out is contiguous. meta = shape[rank], x strides[rank].
// R is the compute type: float (f32/f16/bf16 and integer inputs of float ops), double (F64), or i64 with
// INTEGRAL (NEG/ABS/SIGN/SQUARE of integers stay integers, as on the CPU backend). LIT(v) spells a
// floating literal in R. Each definition mirrors ScalarMath.unary of the CPU backend.

#ifdef INTEGRAL
DEVICE_FN R u_neg(R x) { return -x; }
DEVICE_FN R u_abs(R x) { return x < 0 ? -x : x; }
DEVICE_FN R u_sign(R x) { return (R) ((x > 0) - (x < 0)); }
DEVICE_FN R u_square(R x) { return x * x; }
#else
#ifdef R_IS_DOUBLE
#define LIT(v) v
#else
#define LIT(v) v##f
#endif
DEVICE_FN R u_neg(R x) { return -x; }
DEVICE_FN R u_abs(R x) { return fabs(x); }
// Math.signum: keeps NaN and the sign of zero (OpenCL's sign() maps NaN to 0)
DEVICE_FN R u_sign(R x) { return x > 0 ? LIT(1.0) : x < 0 ? LIT(-1.0) : x; }
DEVICE_FN R u_exp(R x) { return exp(x); }
DEVICE_FN R u_log(R x) { return log(x); }
DEVICE_FN R u_sqrt(R x) { return sqrt(x); }
DEVICE_FN R u_rsqrt(R x) { return LIT(1.0) / sqrt(x); }
DEVICE_FN R u_reciprocal(R x) { return LIT(1.0) / x; }
DEVICE_FN R u_square(R x) { return x * x; }
DEVICE_FN R u_sin(R x) { return sin(x); }
DEVICE_FN R u_cos(R x) { return cos(x); }
DEVICE_FN R u_tanh(R x) { return tanh(x); }
// the form that never overflows exp
DEVICE_FN R u_sigmoid(R x) { return x >= 0 ? LIT(1.0) / (LIT(1.0) + exp(-x)) : exp(x) / (LIT(1.0) + exp(x)); }
DEVICE_FN R u_silu(R x) { return x * u_sigmoid(x); }
DEVICE_FN R u_relu(R x) { return x > 0 ? x : (x == x ? LIT(0.0) : x); }
// exact GELU (torch approximate='none'); erfc, not 1 + erf, which cancels to 0 below x = -5.9
DEVICE_FN R u_gelu(R x) { return LIT(0.5) * x * erfc(-x * LIT(0.70710678118654752440)); }
DEVICE_FN R u_gelu_tanh(R x) {
    return LIT(0.5) * x * (LIT(1.0) + tanh(LIT(0.79788456080286535588) * (x + LIT(0.044715) * x * x * x)));
}
DEVICE_FN R u_erf(R x) { return erf(x); }
#endif

KERNEL void unary(GLOBAL const X_T* x, idx_t xOffset, GLOBAL OUT_T* out, const Meta meta, int rank, idx_t n) {
    idx_t i = GID(0);
    if (i >= n) return;
    R v = (R) X_LOAD(x, xOffset + strided_offset(i, rank, &meta, 0, rank));
    OUT_STORE(out, i, OP(v));
}
