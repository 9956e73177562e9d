package io.jswift.backend.cpu.gemm;

import static io.jswift.tensor.spi.MatmulShapes.batchStrides;
import static io.jswift.tensor.spi.MatmulShapes.productShape;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.ElementOrder;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.MatmulRules;

import java.util.Arrays;

/** Backend matmul: batch broadcasting, transpose flags and dtype handling around {@link Gemm}. */
public final class Matmul {
    private Matmul() {}

    public static Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
        DType type = MatmulRules.resultType(a, b);
        Tensor out = Tensor.zeros(MatmulRules.accumulatorType(a, b), productShape(a, b, transA, transB));
        into(a, b, transA, transB, out);
        return type == out.dtype() ? out : out.to(type);
    }

    /** The product written into {@code out} (contiguous, F32 or F64 as the operands require). */
    public static void into(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) {
        into(a, b, transA, transB, out, false);
    }

    /** As {@link #into}, adding to {@code out} when {@code accumulate} (addmm_ with beta = 1). */
    public static void into(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out, boolean accumulate) {
        int[] outShape = MatmulRules.checkInto(a, b, transA, transB, out);
        int m = outShape[outShape.length - 2], n = outShape[outShape.length - 1];
        int k = transA ? a.size(-2) : a.size(-1);
        int[] batch = Arrays.copyOf(outShape, outShape.length - 2);
        boolean f64 = out.dtype() == DType.F64;
        long batches = Shapes.numel(batch);
        if (batches == 0 || m == 0 || n == 0) return;
        long[] strideA = batchStrides(a, batch), strideB = batchStrides(b, batch);
        long aRow = a.stride(-2), aCol = a.stride(-1), bRow = b.stride(-2), bCol = b.stride(-1);
        Parallel.RangeBody body = (from, to) -> {
            for (int i = from; i < to; i++) {
                long ao = ElementOrder.offsetOf(batch, strideA, a.offset(), i);
                long bo = ElementOrder.offsetOf(batch, strideB, b.offset(), i);
                Operand opA = new Operand(a.hostSegment(), a.dtype(), ao, transA ? aCol : aRow, transA ? aRow : aCol);
                Operand opB = new Operand(b.hostSegment(), b.dtype(), bo, transB ? bCol : bRow, transB ? bRow : bCol);
                long co = out.offset() + (long) i * m * n;
                if (f64) Gemm.dgemm(m, n, k, opA, opB, out.hostSegment(), co, n, accumulate);
                else Gemm.sgemm(m, n, k, opA, opB, out.hostSegment(), co, n, accumulate);
            }
        };
        long perGemm = (long) m * n * Math.max(1, k);
        if (batches > 1 && perGemm < (1L << 20)) Parallel.range((int) batches, 1, body); // many small products
        else body.run(0, (int) batches);
    }

}
