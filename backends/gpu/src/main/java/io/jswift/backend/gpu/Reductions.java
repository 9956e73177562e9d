package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.ReduceLayout;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.ReduceOp;
import io.jswift.tensor.spi.ReduceRules;

/**
 * Reductions over any set of dims, and argmax, shaped and typed by {@link ReduceRules}. Floats accumulate in f32
 * (f64 for F64), integers in 64 bits. Small reductions run one thread per output; larger ones a block per output
 * (or several per output, combined by a second kernel, when there are few outputs).
 */
final class Reductions {
    /** Below this many reduced positions per output a tree reduction is not worth its barriers. */
    private static final int SMALL = 64;
    /** Enough blocks to fill a large GPU (a few per compute unit). */
    private static final int TARGET_GROUPS = 256;

    private final GpuDevice dev;
    private final int group;

    Reductions(GpuDevice dev) {
        this.dev = dev;
        this.group = Launches.block(dev, 256);
    }

    Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        dev.storage(x);
        ReduceRules.Reduction r = ReduceRules.reduction(op, x, dims, keepDim);
        ReduceLayout layout = r.layout();
        long count = layout.count();
        DType xt = x.dtype();
        boolean integral = !xt.isFloatingPoint();
        DType outType = r.outType();
        Tensor out = GpuTensors.empty(dev, outType, r.outShape());
        long outputs = layout.outputs();
        if (outputs == 0) return out;

        DType acc = integral ? DType.I64 : xt == DType.F64 ? DType.F64 : DType.F32;
        KernelSource src = KernelSource.of("reduce.c").type("X", xt).type("OUT", outType)
                .define("ACC", KernelTypes.computeType(acc))
                .define("IDENT", identity(op, acc))
                .define(op == ReduceOp.MEAN ? "OP_SUM" : "OP_" + op.name(), 1)
                .define("GROUP", group);
        // MEAN divides in double where it can (the CPU backend's integer MEAN divides a double sum)
        src.real("R", acc == DType.F64 || (integral && dev.info().fp64()) ? DType.F64 : DType.F32);
        if (op == ReduceOp.MEAN) src.define("MEAN", 1);
        if (integral) src.define("INTEGRAL", 1);
        if (!integral && op != ReduceOp.MAX && op != ReduceOp.MIN) src.define("KAHAN", 1);
        ProgramSource text = src.build();
        long[] meta = meta(layout);
        int kr = layout.keptShape().length, rr = layout.redShape().length;

        boolean keptInnermost = !innerReducedContiguous(layout);
        if (count < SMALL || (keptInnermost && outputs >= 1024)) {
            Launches.elements(dev, text, "reduce_each", outputs, x, x.offset(), out, meta, kr, rr, count, outputs);
            return out;
        }
        int parts = (int) Math.max(1, Math.min(count / ((long) group * 16), TARGET_GROUPS / outputs));
        long chunk = (count + parts - 1) / parts;
        long groups = Math.multiplyExact(outputs, (long) parts);
        Tensor part = parts == 1 ? out : GpuTensors.empty(dev, acc, Math.toIntExact(groups));
        Launches.rows(dev, text, "reduce_part", groups, group, x, x.offset(), out, part, meta, kr, rr, count, chunk, parts);
        if (parts > 1) Launches.elements(dev, text, "reduce_finish", outputs, part, out, parts, count, outputs);
        return out;
    }

    private static String identity(ReduceOp op, DType acc) {
        return switch (op) {
            case SUM, MEAN -> "0";
            case MAX -> acc == DType.I64 ? "I64_MIN" : "(-INFINITY)";
            case MIN -> acc == DType.I64 ? "I64_MAX" : "INFINITY";
        };
    }

    /** Index of the first maximum along dim (NaN counts as the maximum, as in PyTorch), as I64. */
    Tensor argmax(Tensor x, int dim, boolean keepDim) {
        dev.storage(x);
        ReduceRules.Argmax a = ReduceRules.argmax(x, dim, keepDim);
        long n = a.n();
        Tensor out = GpuTensors.empty(dev, DType.I64, a.outShape());
        long outputs = out.numel();
        if (outputs == 0) return out;
        DType xt = x.dtype();
        DType cmp = xt.isFloatingPoint() ? (xt == DType.F64 ? DType.F64 : DType.F32) : DType.I64;
        KernelSource src = KernelSource.of("argmax.c").type("X", xt).define("CMP", KernelTypes.computeType(cmp)).define("GROUP", group);
        if (cmp == DType.I64) src.define("INTEGRAL", 1);
        ProgramSource text = src.build();
        LaunchDims dims = LaunchDims.of(a.keptShape(), a.keptStrides());
        long step = x.stride(a.dim());
        if (n < SMALL || (step != 1 && outputs >= 1024)) {
            Launches.elements(dev, text, "argmax_each", outputs, x, x.offset(), out, dims.meta(), dims.rank(), n, step, outputs);
        } else {
            Launches.rows(dev, text, "argmax_part", outputs, group, x, x.offset(), out, dims.meta(), dims.rank(), n, step);
        }
        return out;
    }

    /** Whether the innermost reduced dim is contiguous (stride 1): a block then reads each output's run coalesced. */
    private static boolean innerReducedContiguous(ReduceLayout l) {
        return l.redShape().length > 0 && l.redStrides()[l.redStrides().length - 1] == 1;
    }

    /** keptShape, keptStrides, redShape, redStrides: the reduce kernels' metadata. */
    private static long[] meta(ReduceLayout l) {
        long[] m = new long[2 * l.keptShape().length + 2 * l.redShape().length];
        int at = 0;
        for (int s : l.keptShape()) m[at++] = s;
        for (long s : l.keptStrides()) m[at++] = s;
        for (int s : l.redShape()) m[at++] = s;
        for (long s : l.redStrides()) m[at++] = s;
        return m;
    }
}
