// The CUDA prelude of jswift's kernel dialect (backends/gpu DIALECT.md): the portable kernels compile behind it
// unchanged, with nvcc at build time (build-ptx.sh) or NVRTC at run time. It includes no header, so NVRTC needs
// no CUDA include directory: f16 conversions are single PTX cvt instructions, the constants are spelled out.
// Dims: GID/LID/GROUP_ID/LOCAL_SIZE/NUM_GROUPS take a literal 0, 1 or 2, pasted onto .x/.y/.z.
#define KERNEL extern "C" __global__
#define BOUNDS(x, y) __launch_bounds__((x) * (y))
#define GLOBAL
#define SHARED __shared__
#define SHARED_PTR
#define DEVICE_FN static __device__ __forceinline__
#define BARRIER() __syncthreads()

#define JSW_X0 x
#define JSW_X1 y
#define JSW_X2 z
#define JSW_CAT(a, b) a##b
#define JSW_DIM(d) JSW_CAT(JSW_X, d)
#define GID(d) ((idx_t) blockIdx.JSW_DIM(d) * blockDim.JSW_DIM(d) + threadIdx.JSW_DIM(d))
#define LID(d) ((int) threadIdx.JSW_DIM(d))
#define GROUP_ID(d) ((idx_t) blockIdx.JSW_DIM(d))
#define LOCAL_SIZE(d) ((int) blockDim.JSW_DIM(d))
#define NUM_GROUPS(d) ((idx_t) gridDim.JSW_DIM(d))

typedef unsigned char u8;
typedef unsigned short u16;
typedef int i32;
typedef unsigned int u32;
typedef long long i64;
typedef unsigned long long u64;
typedef long long idx_t;
typedef unsigned short f16_t;

#define AS_FLOAT(u) __uint_as_float(u)
#define AS_U32(f) __float_as_uint(f)
DEVICE_FN float jsw_f16_to_float(unsigned short h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
DEVICE_FN unsigned short jsw_float_to_f16(float f) { unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
#define LOAD_F16(p, i) jsw_f16_to_float((p)[i])
#define STORE_F16(p, i, v) ((p)[i] = jsw_float_to_f16(v))
#define ATOMIC_MIN_I32(p, v) atomicMin((p), (v))

// OpenCL C's math names (exp log sqrt rsqrt fabs fmax fmin pow tanh erf erfc rint sin cos floor ceil isnan isinf
// isfinite, min/max on int and i64) are overloaded for float and double in CUDA device code already; only the
// constants may be missing (NVRTC has no math.h or float.h).
#ifndef INFINITY
#define INFINITY __int_as_float(0x7f800000)
#endif
#ifndef NAN
#define NAN __int_as_float(0x7fffffff)
#endif
#ifndef FLT_MAX
#define FLT_MAX 3.402823466e+38f
#endif
