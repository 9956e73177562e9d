package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.UnaryOp;

import java.util.Locale;

/**
 * Unary, binary (NumPy broadcasting), tensor-scalar and where ops. One strided kernel per family; each
 * (op, dtypes) pair is its own small program (the op is a #define), built once per device. Result dtypes
 * follow the CPU backend exactly (ElementwiseKernels): comparisons give BOOL, integer arithmetic stays in
 * 64-bit integers, integer DIV gives F32, floats compute in float (double for F64).
 */
final class ClElementwise {
    private final ClContext ctx;

    ClElementwise(ClContext ctx) { this.ctx = ctx; }

    /** Floats keep their dtype; integer inputs of float functions give F32; NEG/ABS/SIGN/SQUARE keep integers (BOOL/U8 widen to I64). */
    static DType unaryType(UnaryOp op, DType in) {
        if (in.isFloatingPoint()) return in;
        return switch (op) {
            case NEG, ABS, SIGN, SQUARE -> in == DType.BOOL || in == DType.U8 ? DType.I64 : in;
            default -> DType.F32;
        };
    }

    /** BOOL for comparisons; F32 for integer division; arithmetic on BOOL/U8 widens to I64 (not MAX/MIN); else the promoted type. */
    static DType binaryType(BinaryOp op, DType a, DType b) {
        if (op.isComparison()) return DType.BOOL;
        DType p = DType.promote(a, b);
        if (op == BinaryOp.DIV && !p.isFloatingPoint()) return DType.F32;
        if (p == DType.BOOL || p == DType.U8) return op == BinaryOp.MAX || op == BinaryOp.MIN ? p : DType.I64;
        return p;
    }

    Tensor unary(UnaryOp op, Tensor x) {
        ClTensors.storage(ctx, x);
        DType outType = unaryType(op, x.dtype());
        Tensor out = ClTensors.allocate(ctx, outType, x.shape());
        long n = out.numel();
        if (n == 0) return out;
        ClSource src = ClSource.of("unary.cl").type("X", x.dtype()).type("OUT", outType).define("OP", "u_" + name(op));
        computeType(src, outType.isFloatingPoint() ? outType : null);
        ClDims dims = ClDims.of(x.shape(), x.strides());
        ClGrid.run(ctx, src.text(), "unary", n, x, x.offset(), out, dims.meta(), dims.rank(), n);
        return out;
    }

    Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        ClTensors.storage(ctx, a);
        ClTensors.storage(ctx, b);
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        DType promoted = DType.promote(a.dtype(), b.dtype());
        Tensor out = ClTensors.allocate(ctx, binaryType(op, a.dtype(), b.dtype()), shape);
        long n = out.numel();
        if (n == 0) return out;
        if (op == BinaryOp.POW && !promoted.isFloatingPoint()) {
            // the CPU backend's check; exponent tensors of integer powers are small, so reading b back is cheap
            for (long e : b.toLongArray()) checkExponent(e);
        }
        ClSource src = ClSource.of("binary.cl").type("A", a.dtype()).type("B", b.dtype()).type("OUT", out.dtype())
                .define("OP", "b_" + name(op));
        computeType(src, arithmeticType(op, promoted));
        ClDims dims = ClDims.of(shape, ClTensors.broadcastStrides(a, shape), ClTensors.broadcastStrides(b, shape));
        ClGrid.run(ctx, src.text(), "binary", n, a, a.offset(), b, b.offset(), out, dims.meta(), dims.rank(), n);
        return out;
    }

    /**
     * a op s with the CPU backend's (and PyTorch's) typing: a floating tensor keeps its dtype and sees the
     * scalar rounded to its compute type (f32 for f16/bf16/f32); an integer tensor with an integral scalar
     * computes in I64, with a fractional one in double and gives F32; comparisons give BOOL.
     */
    Tensor binaryScalar(BinaryOp op, Tensor a, double s) {
        ClTensors.storage(ctx, a);
        DType at = a.dtype();
        // every double of magnitude >= 2^53 is an integer; below 2^63 it also fits a long exactly
        boolean integral = s == Math.rint(s) && Math.abs(s) < 0x1p63;
        DType scalarType = at == DType.F64 ? DType.F64 : at.isFloatingPoint() ? DType.F32 : integral ? DType.I64 : DType.F64;
        DType promoted = DType.promote(at, scalarType);
        DType outType = binaryType(op, at, scalarType);
        if (!op.isComparison() && at.isFloatingPoint()) outType = at;
        if (!at.isFloatingPoint() && outType == DType.F64) outType = DType.F32;
        Tensor out = ClTensors.allocate(ctx, outType, a.shape());
        long n = out.numel();
        if (n == 0) return out;
        DType compute = arithmeticType(op, promoted);
        if (op == BinaryOp.POW && compute == null) checkExponent((long) s);
        ClSource src = ClSource.of("binary.cl").type("A", at).type("OUT", outType).define("SCALAR", 1)
                .define("OP", "b_" + name(op));
        computeType(src, compute);
        Object scalar = compute == null ? (Object) (long) s : compute == DType.F64 ? (Object) s : (Object) (float) s;
        ClDims dims = ClDims.of(a.shape(), a.strides());
        ClGrid.run(ctx, src.text(), "binary_scalar", n, a, a.offset(), scalar, out, dims.meta(), dims.rank(), n);
        return out;
    }

    Tensor where(Tensor cond, Tensor a, Tensor b) {
        ClTensors.storage(ctx, cond);
        ClTensors.storage(ctx, a);
        ClTensors.storage(ctx, b);
        int[] shape = Shapes.broadcast(Shapes.broadcast(cond.shape(), a.shape()), b.shape());
        Tensor out = ClTensors.allocate(ctx, DType.promote(a.dtype(), b.dtype()), shape);
        long n = out.numel();
        if (n == 0) return out;
        String src = ClSource.of("where.cl").type("C", cond.dtype()).type("A", a.dtype()).type("B", b.dtype())
                .type("OUT", out.dtype()).text();
        ClDims dims = ClDims.of(shape, ClTensors.broadcastStrides(cond, shape), ClTensors.broadcastStrides(a, shape),
                ClTensors.broadcastStrides(b, shape));
        ClGrid.run(ctx, src, "where_select", n, cond, cond.offset(), a, a.offset(), b, b.offset(), out,
                dims.meta(), dims.rank(), n);
        return out;
    }

    /**
     * The floating type a binary op computes in, or null for exact 64-bit integer arithmetic. Integer DIV
     * divides in double like the CPU backend (float on a device without fp64).
     */
    private DType arithmeticType(BinaryOp op, DType promoted) {
        boolean wide = promoted == DType.F64 || (!promoted.isFloatingPoint() && op == BinaryOp.DIV);
        if (wide) return ctx.supportsFp64() ? DType.F64 : DType.F32;
        return promoted.isFloatingPoint() ? DType.F32 : null;
    }

    /** Defines R (and INTEGRAL / R_IS_DOUBLE): long for null, else float, or double for F64. */
    private static void computeType(ClSource src, DType real) {
        if (real == null) {
            src.define("R", "long").define("INTEGRAL", 1);
        } else {
            src.real("R", real);
            if (real == DType.F64) src.define("R_IS_DOUBLE", 1);
        }
    }

    private static void checkExponent(long e) {
        if (e < 0) throw new ArithmeticException("integer power with a negative exponent " + e);
    }

    private static String name(Enum<?> op) { return op.name().toLowerCase(Locale.ROOT); }
}
