package io.jswift.backend.opencl;

import static io.jswift.tensor.spi.MatmulShapes.batchStrides;
import static io.jswift.tensor.spi.MatmulShapes.productShape;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_kernel;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import static org.jocl.CL.CL_KERNEL_WORK_GROUP_SIZE;
import static org.jocl.CL.clGetKernelWorkGroupInfo;

/**
 * Batched matmul on the device (torch.matmul with transpose flags, like the CPU backend's Matmul): a is
 * [..., M, K] ([..., K, M] when transA), b is [..., K, N] ([..., N, K] when transB), batch dims broadcast.
 * bf16/f16 operands are widened as the kernel stages them; f32 accumulation (f64 for F64). Operands are read in
 * place through their strides: a transpose flag, a transposed or narrowed view and a broadcast (stride 0) dim only
 * change the strides the kernel gets, and the load order follows the unit-stride dim, so nothing is copied.
 * M ≤ {@value #SMALL_M} (decode steps) runs gemm.cl's gemv_small_m, the rest its tiled kernel.
 */
final class ClGemm {
    /** Products with at most this many rows use the small-M kernel: a 64-row tile would idle 15/16 of its work items. */
    static final int SMALL_M = 4;

    private final ClContext ctx;

    ClGemm(ClContext ctx) { this.ctx = ctx; }

    Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        int[] shape = productShape(a, b, transA, transB);
        Tensor out = ClTensors.allocate(ctx, resultType(a, b), shape);
        run(a, b, transA, transB, out);
        return out;
    }

    void matmulInto(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) {
        int[] shape = productShape(a, b, transA, transB);
        DType acc = resultType(a, b) == DType.F64 ? DType.F64 : DType.F32;
        if (!Arrays.equals(out.shape(), shape) || !out.isContiguous() || out.dtype() != acc) {
            throw new IllegalArgumentException("matmul out must be a contiguous " + acc + Arrays.toString(shape) + " tensor, got " + out);
        }
        ClTensors.storage(ctx, out);
        run(a, b, transA, transB, out);
    }

    /** The result dtype: DType.promote of the operands, which must be floating point (as the CPU backend). */
    private static DType resultType(Tensor a, Tensor b) {
        for (Tensor t : new Tensor[]{a, b}) {
            DType type = t.dtype();
            if (type != DType.F32 && type != DType.BF16 && type != DType.F16 && type != DType.F64) {
                throw new IllegalArgumentException("matmul operands must be F32, BF16, F16 or F64, got " + type);
            }
        }
        return DType.promote(a.dtype(), b.dtype());
    }

    private void run(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) {
        ClTensors.storage(ctx, a);
        ClTensors.storage(ctx, b);
        int m = out.size(-2), n = out.size(-1), k = transA ? a.size(-2) : a.size(-1);
        int[] batch = Arrays.copyOf(out.shape(), out.rank() - 2);
        long batches = Shapes.numel(batch);
        if (batches == 0 || m == 0 || n == 0) return;

        Operand opA = Operand.of(a, transA), opB = Operand.of(b, transB);
        boolean f64 = resultType(a, b) == DType.F64;
        boolean wide = opA.extent() > Integer.MAX_VALUE || opB.extent() > Integer.MAX_VALUE;
        // a fresh builder per try: the tiling is defined last
        Supplier<ClSource> source = () -> ClSource.of("gemm.cl")
                .type("A", a.dtype()).type("B", b.dtype()).type("C", out.dtype())
                .real("REAL", f64 ? DType.F64 : DType.F32).define("IDX", wide ? "long" : "int");
        Object[] args = {a, a.offset(), b, b.offset(), out, out.offset(), m, n, k,
                opA.rowStride(), opA.colStride(), opB.rowStride(), opB.colStride(),
                opA.colsContiguous() ? 1 : 0, opB.colsContiguous() ? 1 : 0,
                ClTensors.meta(batch, batchStrides(a, batch), batchStrides(b, batch)), batch.length};
        int realBytes = f64 ? 8 : 4;
        if (m <= SMALL_M) gemv(source, n, batches, opB.colsContiguous(), realBytes, args);
        else tiled(source, m, n, batches, realBytes, args);
    }

    private void tiled(Supplier<ClSource> source, int m, int n, long batches, int realBytes, Object[] args) {
        List<ClGemmTiling> candidates = ClGemmTiling.candidates(ctx, realBytes);
        for (ClGemmTiling t : candidates) {
            String text = tiled(source, t);
            // a compiler may cap a kernel below the device limit (registers): then try the next smaller tiling
            if (kernelLimit(text, "gemm_tiled") < t.threads() && t != candidates.getLast()) continue;
            long[] global = {(long) ceilDiv(n, t.tn()) * t.cols(), (long) ceilDiv(m, t.tm()) * t.rows(), batches};
            ClLaunch.run(ctx, text, "gemm_tiled", global, new long[]{t.cols(), t.rows(), 1}, args);
            return;
        }
    }

    private void gemv(Supplier<ClSource> source, int n, long batches, boolean bColumnsContiguous, int realBytes, Object[] args) {
        // same program as the tiled kernel (one build per dtype combination)
        String text = tiled(source, ClGemmTiling.candidates(ctx, realBytes).getFirst());
        long threads = Math.min(ctx.maxWorkGroupSize(), kernelLimit(text, "gemv_small_m"));
        int[] shape = ClGemmTiling.gemvShape(threads, bColumnsContiguous);
        int cols = shape[0], slices = shape[1];
        long[] local = bColumnsContiguous ? new long[]{cols, slices, 1} : new long[]{slices, cols, 1};
        long[] global = {ceilDiv(n, cols) * local[0], local[1], batches};
        ClLaunch.run(ctx, text, "gemv_small_m", global, local,
                concat(args, new Object[]{new ClLaunch.Local((long) cols * slices * SMALL_M * realBytes)}));
    }

    private static String tiled(Supplier<ClSource> source, ClGemmTiling t) {
        return source.get().define("TM", t.tm()).define("TN", t.tn()).define("TK", t.tk())
                .define("WM", t.wm()).define("WN", t.wn()).text();
    }

    /** CL_KERNEL_WORK_GROUP_SIZE of a kernel (the most work items it can run per group on this device). */
    private long kernelLimit(String source, String name) {
        cl_kernel kernel = ctx.kernel(source, name);
        long[] v = new long[1];
        clGetKernelWorkGroupInfo(kernel, null, CL_KERNEL_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(v), null);
        return v[0];
    }

    private static int ceilDiv(int x, int d) { return (x + d - 1) / d; }

    private static Object[] concat(Object[]... parts) {
        int len = 0;
        for (Object[] p : parts) len += p.length;
        Object[] out = new Object[len];
        int at = 0;
        for (Object[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /**
     * How the kernels read op(X), a rows×cols matrix of {@code tensor}: element (r, c) at r·rowStride + c·colStride
     * from the batch offset. {@code colsContiguous} picks the coalesced load order; {@code extent} bounds the offsets.
     */
    private record Operand(long rowStride, long colStride, boolean colsContiguous, long extent) {
        static Operand of(Tensor t, boolean trans) {
            int rows = trans ? t.size(-1) : t.size(-2), cols = trans ? t.size(-2) : t.size(-1);
            long rs = trans ? t.stride(-1) : t.stride(-2), cs = trans ? t.stride(-2) : t.stride(-1);
            long extent = Math.max(0, rows - 1) * Math.abs(rs) + Math.max(0, cols - 1) * Math.abs(cs) + 1;
            return new Operand(rs, cs, cs == 1 || (cols == 1 && rs != 1), extent);
        }
    }
}
