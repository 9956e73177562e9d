// out[i] = OP(x[i]) over a strided x; out is contiguous. meta = shape[rank], x strides[rank].
// R is the compute type: float (f32/f16/bf16 and integer inputs of float ops), double (F64), or long with
// INTEGRAL (NEG/ABS/SIGN/SQUARE of integers stay integers, as on the CPU backend). LIT(v) spells a
// floating literal in R. Each definition mirrors ScalarMath.unary of the CPU backend.

#ifdef INTEGRAL
inline R u_neg(R x) { return -x; }
inline R u_abs(R x) { return x < 0 ? -x : x; }
inline R u_sign(R x) { return (R) ((x > 0) - (x < 0)); }
inline R u_square(R x) { return x * x; }
#else
#ifdef R_IS_DOUBLE
#define LIT(v) v
#else
#define LIT(v) v##f
#endif
inline R u_neg(R x) { return -x; }
inline R u_abs(R x) { return fabs(x); }
// Math.signum: keeps NaN and the sign of zero (OpenCL's sign() maps NaN to 0)
inline R u_sign(R x) { return x > 0 ? LIT(1.0) : x < 0 ? LIT(-1.0) : x; }
inline R u_exp(R x) { return exp(x); }
inline R u_log(R x) { return log(x); }
inline R u_sqrt(R x) { return sqrt(x); }
inline R u_rsqrt(R x) { return LIT(1.0) / sqrt(x); }
inline R u_reciprocal(R x) { return LIT(1.0) / x; }
inline R u_square(R x) { return x * x; }
inline R u_sin(R x) { return sin(x); }
inline R u_cos(R x) { return cos(x); }
inline R u_tanh(R x) { return tanh(x); }
// the form that never overflows exp
inline R u_sigmoid(R x) { return x >= 0 ? LIT(1.0) / (LIT(1.0) + exp(-x)) : exp(x) / (LIT(1.0) + exp(x)); }
inline R u_silu(R x) { return x * u_sigmoid(x); }
inline R u_relu(R x) { return x > 0 ? x : (x == x ? LIT(0.0) : x); }
// exact GELU (torch approximate='none'); erfc, not 1 + erf, which cancels to 0 below x = -5.9
inline R u_gelu(R x) { return LIT(0.5) * x * erfc(-x * LIT(0.70710678118654752440)); }
inline R u_gelu_tanh(R x) {
    return LIT(0.5) * x * (LIT(1.0) + tanh(LIT(0.79788456080286535588) * (x + LIT(0.044715) * x * x * x)));
}
inline R u_erf(R x) { return erf(x); }
#endif

__kernel void unary(__global const X_T* x, long xOffset, __global OUT_T* out, __global const long* meta, int rank, long n) {
    long i = get_global_id(0);
    if (i >= n) return;
    R v = (R) X_LOAD(x, xOffset + strided_offset(i, rank, meta, meta + rank));
    OUT_STORE(out, i, OP(v));
}
