package io.jswift.backend.cpu.kernels;

import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Shapes;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.ElementwiseRules;
import io.jswift.tensor.spi.UnaryOp;

import java.lang.foreign.MemorySegment;

/**
 * Unary, binary (broadcast), scalar and where ops. F32 rows whose operands are contiguous (stride 1) or
 * broadcast along the row (stride 0) run with the Vector API; everything else (other dtypes, strided
 * rows) runs the scalar definition in {@link ScalarMath}, in double for floats and in long for integers.
 */
public final class ElementwiseKernels {
    private ElementwiseKernels() {}

    public static Tensor unary(UnaryOp op, Tensor x) {
        DType outType = ElementwiseRules.unaryType(op, x.dtype());
        Tensor out = Tensor.zeros(outType, x.shape());
        if (x.numel() == 0) return out;
        MemorySegment xs = x.hostSegment(), os = out.hostSegment();
        DType xt = x.dtype();
        RowPlan plan = new RowPlan(x.shape(), x, out);
        long xStride = plan.innerStride(0);
        boolean simd = xt == DType.F32 && outType == DType.F32 && xStride == 1 && VectorUnaryRows.supports(op);
        boolean integral = !outType.isFloatingPoint();
        CopyKernels.parallelRows(plan, (row, off) -> {
            if (simd) {
                VectorUnaryRows.row(op, xs, off[0], os, off[1], plan.inner);
                return;
            }
            long xo = off[0], oo = off[1];
            for (int i = 0; i < plan.inner; i++, xo += xStride, oo++) {
                if (integral) {
                    long v = HostAccess.readLong(xs, xt, xo);
                    long r = switch (op) {
                        case NEG -> -v;
                        case ABS -> Math.abs(v);
                        case SIGN -> Long.signum(v);
                        default -> v * v;
                    };
                    HostAccess.writeLong(os, outType, oo, r);
                } else {
                    HostAccess.write(os, outType, oo, ScalarMath.unary(op, HostAccess.read(xs, xt, xo)));
                }
            }
        });
        return out;
    }

    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        Tensor out = Tensor.zeros(ElementwiseRules.binaryType(op, a.dtype(), b.dtype()), Shapes.broadcast(a.shape(), b.shape()));
        compute(op, a, b, out);
        return out;
    }

    /**
     * a op b into {@code out} (broadcast shape, result dtype). {@code out} may be {@code a} itself: every element
     * is read before it is written at the same position, so in place is safe when out has no repeated elements.
     */
    public static void binaryInto(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        ElementwiseRules.checkInto(op, a, b, out);
        if (out.rank() > 0 && out.stride(-1) != 1 && out.size(-1) > 1) {
            CopyKernels.copy(binary(op, a, b), out); // the row kernels write unit-stride rows
            return;
        }
        compute(op, a, b, out);
    }

    private static void compute(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        int[] shape = out.shape();
        DType compute = DType.promote(a.dtype(), b.dtype());
        DType outType = out.dtype();
        if (out.numel() == 0) return;
        MemorySegment as = a.hostSegment(), bs = b.hostSegment(), os = out.hostSegment();
        DType at = a.dtype(), bt = b.dtype();
        RowPlan plan = new RowPlan(shape, a, b, out);
        long sa = plan.innerStride(0), sb = plan.innerStride(1);
        boolean simd = at == DType.F32 && bt == DType.F32 && outType == DType.F32 && (sa == 0 || sa == 1)
                && (sb == 0 || sb == 1) && VectorBinaryRows.supports(op);
        boolean integral = !compute.isFloatingPoint() && op != BinaryOp.DIV;
        CopyKernels.parallelRows(plan, (row, off) -> {
            if (simd) {
                VectorBinaryRows.row(op, as, off[0], sa, bs, off[1], sb, os, off[2], plan.inner);
                return;
            }
            long ao = off[0], bo = off[1], oo = off[2];
            for (int i = 0; i < plan.inner; i++, ao += sa, bo += sb, oo++) {
                if (integral) {
                    HostAccess.writeLong(os, outType, oo, ScalarMath.binaryLong(op, HostAccess.readLong(as, at, ao), HostAccess.readLong(bs, bt, bo)));
                } else {
                    HostAccess.write(os, outType, oo, ScalarMath.binary(op, HostAccess.read(as, at, ao), HostAccess.read(bs, bt, bo)));
                }
            }
        });
    }

    /** a op s, typed by {@link ElementwiseRules#binaryScalarType}: the scalar takes its {@link ElementwiseRules#scalarType}. */
    public static Tensor binaryScalar(BinaryOp op, Tensor a, double s) {
        Tensor r = binary(op, a, Tensor.scalar(ElementwiseRules.scalarType(a.dtype(), s), s));
        DType type = ElementwiseRules.binaryScalarType(op, a.dtype(), s);
        return r.dtype() == type ? r : r.to(type);
    }

    /** cond ? a : b with broadcasting of all three; the value type is promote(a, b). */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        int[] shape = ElementwiseRules.whereShape(cond, a, b);
        DType outType = ElementwiseRules.whereType(a.dtype(), b.dtype());
        Tensor out = Tensor.zeros(outType, shape);
        if (out.numel() == 0) return out;
        MemorySegment cs = cond.hostSegment(), as = a.hostSegment(), bs = b.hostSegment(), os = out.hostSegment();
        DType ct = cond.dtype(), at = a.dtype(), bt = b.dtype();
        RowPlan plan = new RowPlan(shape, cond, a, b, out);
        long sc = plan.innerStride(0), sa = plan.innerStride(1), sb = plan.innerStride(2);
        boolean integral = !outType.isFloatingPoint();
        CopyKernels.parallelRows(plan, (row, off) -> {
            long co = off[0], ao = off[1], bo = off[2], oo = off[3];
            for (int i = 0; i < plan.inner; i++, co += sc, ao += sa, bo += sb, oo++) {
                boolean c = HostAccess.read(cs, ct, co) != 0;
                if (integral) HostAccess.writeLong(os, outType, oo, c ? HostAccess.readLong(as, at, ao) : HostAccess.readLong(bs, bt, bo));
                else HostAccess.write(os, outType, oo, c ? HostAccess.read(as, at, ao) : HostAccess.read(bs, bt, bo));
            }
        });
        return out;
    }
}
