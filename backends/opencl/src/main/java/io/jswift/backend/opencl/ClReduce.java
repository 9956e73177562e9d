package io.jswift.backend.opencl;

import io.jswift.tensor.spi.ReduceRules;
import io.jswift.tensor.ReduceLayout;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.ReduceOp;


/**
 * Reductions over any set of dims, and argmax, shaped and typed by {@link ReduceRules}. Floats accumulate in f32 (f64 for F64),
 * integers in 64 bits. Small reductions run one work item per output; larger ones a work group per output
 * (or several per output, combined by a second kernel, when there are few outputs).
 */
final class ClReduce {
    /** Below this many reduced positions per output a tree reduction is not worth its barriers. */
    private static final int SMALL = 64;
    /** Enough work groups to fill a large GPU (a few per compute unit). */
    private static final int TARGET_GROUPS = 256;

    private final ClContext ctx;
    private final int groupSize;

    ClReduce(ClContext ctx) {
        this.ctx = ctx;
        this.groupSize = Integer.highestOneBit((int) Math.max(1, Math.min(256, ctx.maxWorkGroupSize())));
    }

    Tensor reduce(ReduceOp op, Tensor x, int[] dims, boolean keepDim) {
        ClTensors.storage(ctx, x);
        ReduceRules.Reduction r = ReduceRules.reduction(op, x, dims, keepDim);
        ReduceLayout layout = r.layout();
        long count = layout.count();
        DType xt = x.dtype();
        boolean integral = !xt.isFloatingPoint();
        DType outType = r.outType();
        Tensor out = ClTensors.allocate(ctx, outType, r.outShape());
        long outputs = layout.outputs();
        if (outputs == 0) return out;

        DType acc = integral ? DType.I64 : xt == DType.F64 ? DType.F64 : DType.F32;
        ClSource src = ClSource.of("reduce.cl").type("X", xt).type("OUT", outType)
                .define("ACC", ClTypes.computeType(acc))
                .define("IDENT", identity(op, acc))
                .define(op == ReduceOp.MEAN ? "OP_SUM" : "OP_" + op.name(), 1);
        // MEAN divides in double where it can (the CPU backend's integer MEAN divides a double sum)
        src.real("R", acc == DType.F64 || (integral && ctx.supportsFp64()) ? DType.F64 : DType.F32);
        if (op == ReduceOp.MEAN) src.define("MEAN", 1);
        if (integral) src.define("INTEGRAL", 1);
        if (!integral && op != ReduceOp.MAX && op != ReduceOp.MIN) src.define("KAHAN", 1);
        String text = src.text();
        long[] meta = meta(layout);
        int kr = layout.keptShape().length, rr = layout.redShape().length;

        boolean keptInnermost = !innerReducedContiguous(layout);
        if (count < SMALL || (keptInnermost && outputs >= 1024)) {
            ClGrid.run(ctx, text, "reduce_each", outputs, x, x.offset(), out, meta, kr, rr, count, outputs);
            return out;
        }
        int parts = (int) Math.max(1, Math.min(count / ((long) groupSize * 16), TARGET_GROUPS / outputs));
        long chunk = (count + parts - 1) / parts;
        long groups = Math.multiplyExact(outputs, (long) parts);
        Tensor part = parts == 1 ? out : ClTensors.allocate(ctx, acc, Math.toIntExact(groups));
        ClLaunch.run(ctx, text, "reduce_part", new long[]{groups * groupSize}, new long[]{groupSize},
                x, x.offset(), out, part, meta, kr, rr, count, chunk, parts, new ClLaunch.Local((long) groupSize * acc.byteSize()));
        if (parts > 1) ClGrid.run(ctx, text, "reduce_finish", outputs, part, out, parts, count, outputs);
        return out;
    }

    private static String identity(ReduceOp op, DType acc) {
        return switch (op) {
            case SUM, MEAN -> "0";
            case MAX -> acc == DType.I64 ? "LONG_MIN" : "(-INFINITY)";
            case MIN -> acc == DType.I64 ? "LONG_MAX" : "INFINITY";
        };
    }

    /** Index of the first maximum along dim (NaN counts as the maximum, as in PyTorch), as I64. */
    Tensor argmax(Tensor x, int dim, boolean keepDim) {
        ClTensors.storage(ctx, x);
        ReduceRules.Argmax a = ReduceRules.argmax(x, dim, keepDim);
        long n = a.n();
        int[] kept = a.keptShape();
        long[] keptStrides = a.keptStrides();
        int d = a.dim();
        Tensor out = ClTensors.allocate(ctx, DType.I64, a.outShape());
        long outputs = out.numel();
        if (outputs == 0) return out;
        DType xt = x.dtype();
        DType cmp = xt.isFloatingPoint() ? (xt == DType.F64 ? DType.F64 : DType.F32) : DType.I64;
        ClSource src = ClSource.of("argmax.cl").type("X", xt).define("CMP", ClTypes.computeType(cmp));
        if (cmp == DType.I64) src.define("INTEGRAL", 1);
        String text = src.text();
        ClDims dims = ClDims.of(kept, keptStrides);
        long step = x.stride(d);
        if (n < SMALL || (step != 1 && outputs >= 1024)) {
            ClGrid.run(ctx, text, "argmax_each", outputs, x, x.offset(), out, dims.meta(), dims.rank(), n, step, outputs);
        } else {
            ClLaunch.run(ctx, text, "argmax_part", new long[]{outputs * groupSize}, new long[]{groupSize},
                    x, x.offset(), out, dims.meta(), dims.rank(), n, step,
                    new ClLaunch.Local((long) groupSize * cmp.byteSize()), new ClLaunch.Local((long) groupSize * 8));
        }
        return out;
    }

    /** Whether the innermost reduced dim is contiguous (stride 1): a work group then reads each output's run coalesced. */
    private static boolean innerReducedContiguous(ReduceLayout l) {
        return l.redShape().length > 0 && l.redStrides()[l.redStrides().length - 1] == 1;
    }

    /** keptShape, keptStrides, redShape, redStrides: the reduce kernels' metadata buffer. */
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
