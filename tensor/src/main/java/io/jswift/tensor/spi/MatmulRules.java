package io.jswift.tensor.spi;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;

import java.util.Arrays;

/**
 * The dtype rules of {@link Backend#matmul} and its {@code out} forms, shared by every backend (shapes:
 * {@link MatmulShapes}). Operands are F32, BF16, F16 or F64; the product takes {@code DType.promote} of the two
 * (torch.matmul); an {@code out} tensor holds the accumulator: F64 for F64 products, else F32.
 */
public final class MatmulRules {
    private MatmulRules() {}

    /** Whether {@code type} is a matmul operand type. */
    public static boolean isOperand(DType type) {
        return type == DType.F32 || type == DType.BF16 || type == DType.F16 || type == DType.F64;
    }

    /** Throws unless {@code type} is a matmul operand type. */
    public static void checkOperand(DType type) {
        if (!isOperand(type)) {
            throw new IllegalArgumentException("matmul operands must be F32, BF16, F16 or F64, got " + type);
        }
    }

    /** The product's dtype, after checking both operand types. */
    public static DType resultType(Tensor a, Tensor b) {
        checkOperand(a.dtype());
        checkOperand(b.dtype());
        return DType.promote(a.dtype(), b.dtype());
    }

    /** The dtype of an {@code out} tensor (and of the kernels' accumulation): F64 for F64 products, else F32. */
    public static DType accumulatorType(Tensor a, Tensor b) {
        return accumulatorType(resultType(a, b));
    }

    /** The accumulator dtype of a product of dtype {@code product}: F64 for F64, else F32. */
    public static DType accumulatorType(DType product) {
        return product == DType.F64 ? DType.F64 : DType.F32;
    }

    /** The product's shape, after checking that {@code out} is a contiguous tensor of it in {@link #accumulatorType}. */
    public static int[] checkInto(Tensor a, Tensor b, boolean transA, boolean transB, Tensor out) {
        int[] shape = MatmulShapes.productShape(a, b, transA, transB);
        DType acc = accumulatorType(a, b);
        if (!Arrays.equals(out.shape(), shape) || !out.isContiguous() || out.dtype() != acc) {
            throw new IllegalArgumentException("matmul out must be a contiguous " + acc + Arrays.toString(shape) + " tensor, got " + out);
        }
        return shape;
    }
}
