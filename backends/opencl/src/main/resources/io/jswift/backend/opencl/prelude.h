// The kernel dialect in OpenCL C 1.2 words (contract: backends/gpu DIALECT.md).
#ifdef HAS_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
#define KERNEL __kernel
#define BOUNDS(x, y) __attribute__((reqd_work_group_size(x, y, 1)))
#define GLOBAL __global
#define SHARED __local
#define SHARED_PTR __local
#define DEVICE_FN inline
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define GID(d) ((idx_t) get_global_id(d))
#define LID(d) ((int) get_local_id(d))
#define GROUP_ID(d) ((idx_t) get_group_id(d))
#define LOCAL_SIZE(d) ((int) get_local_size(d))
#define NUM_GROUPS(d) ((idx_t) get_num_groups(d))
typedef uchar u8;
typedef ushort u16;
typedef int i32;
typedef uint u32;
typedef long i64;
typedef ulong u64;
typedef long idx_t;
#define f16_t half
#define AS_FLOAT(u) as_float(u)
#define AS_U32(f) as_uint(f)
#define LOAD_F16(p, i) vload_half((i), (p))
#define STORE_F16(p, i, v) vstore_half_rte((v), (i), (p))
#define ATOMIC_MIN_I32(p, v) atomic_min((p), (v))
