package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.MatmulRules;
import io.jswift.tensor.spi.MatmulShapes;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Batched matmul on the device (torch.matmul with transpose flags, like the CPU backend's Matmul): a is
 * [..., M, K] ([..., K, M] when transA), b is [..., K, N] ([..., N, K] when transB), batch dims broadcast.
 * bf16/f16 operands are widened as the kernel stages them; f32 accumulation (f64 for F64). Operands are read in
 * place through their strides: a transpose flag, a transposed or narrowed view and a broadcast (stride 0) dim only
 * change the strides the kernel gets, and the load order follows the unit-stride dim, so nothing is copied.
 * M <= {@value #SMALL_M} (decode steps) runs gemm.c's gemv_small_m, the rest its tiled kernel.
 */
final class Gemm {
    /** Products with at most this many rows use the small-M kernel: a 64-row tile would idle 15/16 of its threads. */
    static final int SMALL_M = 4;

    private final GpuDevice dev;
    private final FastPaths.Matmul fast;

    /** {@code fast}: the driver's GEMM (cuBLAS), tried first; null for none. */
    Gemm(GpuDevice dev, FastPaths.Matmul fast) {
        this.dev = dev;
        this.fast = fast;
    }

    Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        int[] shape = MatmulShapes.productShape(a, b, transA, transB);
        Tensor out = GpuTensors.empty(dev, MatmulRules.resultType(a, b), shape);
        run(a, b, transA, transB, out);
        return out;
    }

    void matmulInto(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) {
        MatmulRules.checkInto(a, b, transA, transB, out);
        dev.storage(out);
        run(a, b, transA, transB, out);
    }

    private void run(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) {
        dev.storage(a);
        dev.storage(b);
        int m = out.size(-2), n = out.size(-1), k = transA ? a.size(-2) : a.size(-1);
        int[] batch = Arrays.copyOf(out.shape(), out.rank() - 2);
        long batches = Shapes.numel(batch);
        if (batches == 0 || m == 0 || n == 0) return;
        if (fast != null && fast.matmul(dev, a, b, transA, transB, out)) return;

        Operand opA = Operand.of(a, transA), opB = Operand.of(b, transB);
        boolean f64 = MatmulRules.resultType(a, b) == DType.F64;
        boolean wide = opA.extent() > Integer.MAX_VALUE || opB.extent() > Integer.MAX_VALUE;
        Supplier<KernelSource> source = () -> KernelSource.of("gemm.c")
                .type("A", a.dtype()).type("B", b.dtype()).type("C", out.dtype())
                .real("REAL", f64 ? DType.F64 : DType.F32).define("IDX", wide ? "i64" : "i32");
        Object[] args = {a, a.offset(), b, b.offset(), out, out.offset(), m, n, k,
                opA.rowStride(), opA.colStride(), opB.rowStride(), opB.colStride(),
                opA.colsContiguous() ? 1 : 0, opB.colsContiguous() ? 1 : 0,
                GpuTensors.meta(batch, MatmulShapes.batchStrides(a, batch), MatmulShapes.batchStrides(b, batch)), batch.length};
        int realBytes = f64 ? 8 : 4;
        if (m <= SMALL_M) gemv(source, n, batches, opB.colsContiguous(), args);
        else tiled(source, m, n, batches, realBytes, args);
    }

    private void tiled(Supplier<KernelSource> source, int m, int n, long batches, int realBytes, Object[] args) {
        GemmTiling t = GemmTiling.candidates(dev, realBytes).getFirst();
        ProgramSource text = source.get().define("TM", t.tm()).define("TN", t.tn()).define("TK", t.tk())
                .define("WM", t.wm()).define("WN", t.wn()).build();
        Dim3 block = Dim3.of(t.cols(), t.rows());
        for (long z0 = 0; z0 < batches; z0 += GpuDevice.MAX_GRID_YZ) {
            Dim3 grid = new Dim3(ceilDiv(n, t.tn()), ceilDiv(m, t.tm()), (int) Math.min(GpuDevice.MAX_GRID_YZ, batches - z0));
            dev.launch(text, "gemm_tiled", grid, block, with(args, z0));
        }
    }

    /**
     * The small-M block: COLS columns × SLICES k-slices, at most 256 threads, a power of two. Many slices when B is
     * read along k (nn.Linear weights with transB), few when adjacent columns are adjacent in memory.
     */
    private void gemv(Supplier<KernelSource> source, int n, long batches, boolean bColumnsContiguous, Object[] args) {
        int threads = Launches.block(dev, 256);
        int slices = bColumnsContiguous ? Math.min(8, threads) : threads / Math.min(4, threads);
        int cols = threads / slices;
        ProgramSource text = source.get().define("GEMV_COLS", cols).define("GEMV_SLICES", slices).build();
        Dim3 block = bColumnsContiguous ? Dim3.of(cols, slices) : Dim3.of(slices, cols);
        for (long z0 = 0; z0 < batches; z0 += GpuDevice.MAX_GRID_YZ) {
            Dim3 grid = new Dim3(ceilDiv(n, cols), 1, (int) Math.min(GpuDevice.MAX_GRID_YZ, batches - z0));
            dev.launch(text, "gemv_small_m", grid, block, with(args, z0));
        }
    }

    private static Object[] with(Object[] args, long z0) {
        Object[] all = Arrays.copyOf(args, args.length + 1);
        all[args.length] = z0;
        return all;
    }

    private static int ceilDiv(int x, int d) { return (x + d - 1) / d; }

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
