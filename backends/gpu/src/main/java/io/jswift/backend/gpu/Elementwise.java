package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ElementwiseRules;
import io.jswift.tensor.spi.UnaryOp;

import java.util.Locale;

/**
 * Unary, binary (NumPy broadcasting), tensor-scalar and where ops. One strided kernel per family; each
 * (op, dtypes) pair is its own small program (the op is a #define), built once per device. Result dtypes
 * are {@link ElementwiseRules}'; integer arithmetic is exact in 64 bits, floats compute in float (double for F64).
 */
final class Elementwise {
    private final GpuDevice dev;

    Elementwise(GpuDevice dev) { this.dev = dev; }

    Tensor unary(UnaryOp op, Tensor x) {
        dev.storage(x);
        DType outType = ElementwiseRules.unaryType(op, x.dtype());
        Tensor out = GpuTensors.empty(dev, outType, x.shape());
        long n = out.numel();
        if (n == 0) return out;
        KernelSource src = KernelSource.of("unary.c").type("X", x.dtype()).type("OUT", outType).define("OP", "u_" + name(op));
        computeType(src, outType.isFloatingPoint() ? outType : null);
        LaunchDims dims = LaunchDims.of(x.shape(), x.strides());
        Launches.elements(dev, src.build(), "unary", n, x, x.offset(), out, dims.meta(), dims.rank(), n);
        return out;
    }

    Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        dev.storage(a);
        dev.storage(b);
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        DType promoted = DType.promote(a.dtype(), b.dtype());
        Tensor out = GpuTensors.empty(dev, ElementwiseRules.binaryType(op, a.dtype(), b.dtype()), shape);
        long n = out.numel();
        if (n == 0) return out;
        if (op == BinaryOp.POW && !promoted.isFloatingPoint()) {
            // exponent tensors of integer powers are small, so reading b back is cheap
            for (long e : b.toLongArray()) ElementwiseRules.checkExponent(e);
        }
        KernelSource src = KernelSource.of("binary.c").type("A", a.dtype()).type("B", b.dtype()).type("OUT", out.dtype())
                .define("OP", "b_" + name(op));
        computeType(src, arithmeticType(op, promoted));
        LaunchDims dims = LaunchDims.of(shape, GpuTensors.broadcastStrides(a, shape), GpuTensors.broadcastStrides(b, shape));
        Launches.elements(dev, src.build(), "binary", n, a, a.offset(), b, b.offset(), out, dims.meta(), dims.rank(), n);
        return out;
    }

    /** a op s typed by {@link ElementwiseRules#binaryScalarType}; the scalar is applied in its {@link ElementwiseRules#scalarType}. */
    Tensor binaryScalar(BinaryOp op, Tensor a, double s) {
        dev.storage(a);
        DType at = a.dtype();
        DType promoted = DType.promote(at, ElementwiseRules.scalarType(at, s));
        DType outType = ElementwiseRules.binaryScalarType(op, at, s);
        Tensor out = GpuTensors.empty(dev, outType, a.shape());
        long n = out.numel();
        if (n == 0) return out;
        DType compute = arithmeticType(op, promoted);
        if (op == BinaryOp.POW && compute == null) ElementwiseRules.checkExponent((long) s);
        KernelSource src = KernelSource.of("binary.c").type("A", at).type("OUT", outType).define("SCALAR", 1)
                .define("OP", "b_" + name(op));
        computeType(src, compute);
        Object scalar = compute == null ? (Object) (long) s : compute == DType.F64 ? (Object) s : (Object) (float) s;
        LaunchDims dims = LaunchDims.of(a.shape(), a.strides());
        Launches.elements(dev, src.build(), "binary_scalar", n, a, a.offset(), scalar, out, dims.meta(), dims.rank(), n);
        return out;
    }

    Tensor where(Tensor cond, Tensor a, Tensor b) {
        dev.storage(cond);
        dev.storage(a);
        dev.storage(b);
        int[] shape = ElementwiseRules.whereShape(cond, a, b);
        Tensor out = GpuTensors.empty(dev, ElementwiseRules.whereType(a.dtype(), b.dtype()), shape);
        long n = out.numel();
        if (n == 0) return out;
        ProgramSource src = KernelSource.of("where.c").type("C", cond.dtype()).type("A", a.dtype()).type("B", b.dtype())
                .type("OUT", out.dtype()).build();
        LaunchDims dims = LaunchDims.of(shape, GpuTensors.broadcastStrides(cond, shape), GpuTensors.broadcastStrides(a, shape),
                GpuTensors.broadcastStrides(b, shape));
        Launches.elements(dev, src, "where_select", n, cond, cond.offset(), a, a.offset(), b, b.offset(), out,
                dims.meta(), dims.rank(), n);
        return out;
    }

    /**
     * The floating type a binary op computes in, or null for exact 64-bit integer arithmetic. Integer DIV
     * divides in double like the CPU backend (float on a device without fp64).
     */
    private DType arithmeticType(BinaryOp op, DType promoted) {
        boolean wide = promoted == DType.F64 || (!promoted.isFloatingPoint() && op == BinaryOp.DIV);
        if (wide) return dev.info().fp64() ? DType.F64 : DType.F32;
        return promoted.isFloatingPoint() ? DType.F32 : null;
    }

    /** Defines R (and INTEGRAL / R_IS_DOUBLE): i64 for null, else float, or double for F64. */
    private static void computeType(KernelSource src, DType real) {
        if (real == null) {
            src.define("R", "i64").define("INTEGRAL", 1);
        } else {
            src.real("R", real);
            if (real == DType.F64) src.define("R_IS_DOUBLE", 1);
        }
    }

    private static String name(Enum<?> op) { return op.name().toLowerCase(Locale.ROOT); }
}
