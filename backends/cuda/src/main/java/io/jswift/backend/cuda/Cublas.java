package io.jswift.backend.cuda;

import io.jswift.tensor.DType;
import io.jswift.tensor.spi.MatmulRules;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * GEMM through cuBLAS, reached with java.lang.foreign: libcublas.so.13, else .so.12 (JCublas 12.6 would need
 * CUDA 12 exactly, and current GPU servers run CUDA 13). One handle per device, bound to the driver's stream.
 * Numerics as PyTorch's defaults: bf16/f16 operands with f32 accumulation on tensor cores (CUBLAS_COMPUTE_32F);
 * f32 exact, TF32 off (torch.backends.cuda.matmul.allow_tf32 = False) unless JSWIFT_CUDA_TF32=1; f64 in f64.
 * The handle must be used on a thread where the device's context is current (CudaDriver sees to it).
 */
final class Cublas implements AutoCloseable {
    // cudaDataType_t, cublasComputeType_t, cublasMath_t, cublasGemmAlgo_t (cublas_api.h, library_types.h)
    static final int CUDA_R_32F = 0, CUDA_R_64F = 1, CUDA_R_16F = 2, CUDA_R_16BF = 14;
    static final int COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77, COMPUTE_64F = 70;
    static final int DEFAULT_MATH = 0, GEMM_DEFAULT = -1;

    private record Api(NativeLibrary lib, MethodHandle create, MethodHandle destroy, MethodHandle setStream,
                       MethodHandle setMathMode, MethodHandle getVersion, MethodHandle gemmEx, MethodHandle gemmStridedBatchedEx) {}

    private static volatile Object api; // Api, or the String reason it is absent

    private final Arena arena = Arena.ofShared();
    private final MemorySegment handle;
    private final boolean tf32;
    private final MemorySegment one32, zero32, one64, zero64;

    /** A handle on {@code stream} (a CUstream's address; 0 = the legacy default stream). */
    Cublas(long stream) {
        Api a = api();
        MemorySegment cell = arena.allocate(ADDRESS);
        status(invoke(a.create(), cell), "cublasCreate");
        handle = cell.get(ADDRESS, 0);
        status(invoke(a.setStream(), handle, MemorySegment.ofAddress(stream)), "cublasSetStream");
        status(invoke(a.setMathMode(), handle, DEFAULT_MATH), "cublasSetMathMode");
        tf32 = "1".equals(System.getenv("JSWIFT_CUDA_TF32"));
        one32 = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        zero32 = arena.allocateFrom(ValueLayout.JAVA_FLOAT, 0f);
        one64 = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 1d);
        zero64 = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, 0d);
    }

    /** "libcublas.so.13 (cuBLAS 130100)"-like text, or why cuBLAS is absent. */
    static String status() {
        Object a = load();
        return a instanceof Api x ? x.lib().file() : "unavailable (" + a + ")";
    }

    static boolean available() { return load() instanceof Api; }

    /** Whether cuBLAS writes a product of {@code ab} operands as {@code c}: the same dtype, or f32 for bf16/f16 (cublasGemmEx's table). */
    static boolean supports(DType ab, DType c) {
        // the matmul rules' operand types, C the product's dtype or its accumulator (matmul-into)
        return MatmulRules.isOperand(ab) && (c == ab || c == MatmulRules.accumulatorType(ab));
    }

    /** {@link #gemm(GemmPlan, DType, DType, long, long, long, boolean)} with C in the operands' dtype. */
    void gemm(GemmPlan plan, DType dtype, long a, long b, long c, boolean accumulate) {
        gemm(plan, dtype, dtype, a, b, c, accumulate);
    }

    /**
     * C = A·B (beta 0) or C += A·B (accumulate) per {@code plan}, A and B of {@code dtype}, C of {@code cType}
     * ({@link #supports(DType, DType)}); a, b, c are device addresses of element 0 of the first batch. Enqueued on
     * the handle's stream.
     */
    void gemm(GemmPlan plan, DType dtype, DType cType, long a, long b, long c, boolean accumulate) {
        if (!supports(dtype, cType)) throw new IllegalArgumentException("cuBLAS GEMM has no " + dtype + " x " + dtype + " -> " + cType + " path");
        int type = cudaType(dtype), ctype = cudaType(cType);
        boolean f64 = dtype == DType.F64;
        int compute = f64 ? COMPUTE_64F : dtype == DType.F32 && tf32 ? COMPUTE_32F_FAST_TF32 : COMPUTE_32F;
        MemorySegment alpha = f64 ? one64 : one32, beta = accumulate ? alpha : f64 ? zero64 : zero32;
        Api x = api();
        // cuBLAS's first operand is our B (see GemmPlan); invokeExact: no boxing on the per-GEMM path
        MemorySegment pa = MemorySegment.ofAddress(b), pb = MemorySegment.ofAddress(a), pc = MemorySegment.ofAddress(c);
        int s;
        try {
            if (plan.batch() == 1) {
                s = (int) x.gemmEx().invokeExact(handle, plan.transa(), plan.transb(), plan.m(), plan.n(), plan.k(), alpha,
                        pa, type, (int) plan.lda(), pb, type, (int) plan.ldb(), beta, pc, ctype, (int) plan.ldc(), compute, GEMM_DEFAULT);
            } else {
                s = (int) x.gemmStridedBatchedEx().invokeExact(handle, plan.transa(), plan.transb(), plan.m(), plan.n(), plan.k(),
                        alpha, pa, type, (int) plan.lda(), plan.strideA(), pb, type, (int) plan.ldb(), plan.strideB(), beta,
                        pc, ctype, (int) plan.ldc(), plan.strideC(), plan.batch(), compute, GEMM_DEFAULT);
            }
        } catch (Throwable t) {
            throw new IllegalStateException("cuBLAS GEMM call failed", t);
        }
        status(s, plan.batch() == 1 ? "cublasGemmEx" : "cublasGemmStridedBatchedEx");
    }

    private static int cudaType(DType dtype) {
        return switch (dtype) {
            case F32 -> CUDA_R_32F;
            case BF16 -> CUDA_R_16BF;
            case F16 -> CUDA_R_16F;
            case F64 -> CUDA_R_64F;
            default -> throw new IllegalArgumentException("cuBLAS GEMM has no " + dtype + " path");
        };
    }

    @Override
    public void close() {
        invoke(api().destroy(), handle);
        arena.close();
    }

    // ------------------------------------------------------------------ binding

    private static Api api() {
        Object a = load();
        if (a instanceof Api x) return x;
        throw new IllegalStateException("cuBLAS " + a);
    }

    private static Object load() {
        Object a = api;
        if (a == null) {
            synchronized (Cublas.class) {
                if (api == null) api = bind();
                a = api;
            }
        }
        return a;
    }

    private static Object bind() {
        NativeLibrary.Found f = NativeLibrary.open(List.of("libcublas.so.13", "libcublas.so.12"), List.of("libcublasLt"));
        if (f.library() == null) return "libcublas.so.13 / .so.12 " + f.reason();
        NativeLibrary lib = f.library();
        try {
            FunctionDescriptor gemm = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
            FunctionDescriptor batched = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                    ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT,
                    JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT);
            return new Api(lib,
                    lib.require(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cublasCreate_v2", "cublasCreate"),
                    lib.require(FunctionDescriptor.of(JAVA_INT, ADDRESS), "cublasDestroy_v2", "cublasDestroy"),
                    lib.require(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cublasSetStream_v2", "cublasSetStream"),
                    lib.require(FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), "cublasSetMathMode"),
                    lib.require(FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), "cublasGetVersion_v2", "cublasGetVersion"),
                    lib.require(gemm, "cublasGemmEx"),
                    lib.require(batched, "cublasGemmStridedBatchedEx"));
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    private static int invoke(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** cublasStatus_t names (cublas_api.h). */
    static void status(int s, String call) {
        if (s == 0) return;
        String name = switch (s) {
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cublasStatus " + s;
        };
        throw new IllegalStateException(call + " failed: " + name);
    }
}
