package io.jswift.backend.cpu.kernels;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.ElementwiseRules;
import io.jswift.tensor.spi.RandomSpec;

import java.lang.foreign.MemorySegment;

/** Strided copy with dtype conversion, fill, arange and random fills on host tensors. */
public final class CopyKernels {
    private static final int GRAIN = 1 << 15;

    private CopyKernels() {}

    /** dst[i] = convert(src[i]); shapes must match exactly. */
    public static void copy(Tensor src, Tensor dst) {
        ElementwiseRules.checkCopy(src, dst);
        if (src.numel() == 0) return;
        MemorySegment s = src.hostSegment(), d = dst.hostSegment();
        DType st = src.dtype(), dt = dst.dtype();
        if (src.isContiguous() && dst.isContiguous()) {
            long n = src.numel();
            if (st == dt) {
                MemorySegment.copy(s, src.offset() * st.byteSize(), d, dst.offset() * dt.byteSize(), n * st.byteSize());
                return;
            }
            if (Conversions.contiguous(s, src.offset(), st, d, dst.offset(), dt, n)) return;
        }
        RowPlan plan = new RowPlan(dst.shape(), src, dst);
        long ss = plan.innerStride(0), ds = plan.innerStride(1);
        // integer sources go through long: exact into I64 above 2^53, and rounded once into F32
        boolean integral = !st.isFloatingPoint();
        parallelRows(plan, (row, off) -> {
            long so = off[0], dO = off[1];
            if (st == dt && ss == 1 && ds == 1) {
                MemorySegment.copy(s, so * st.byteSize(), d, dO * dt.byteSize(), (long) plan.inner * st.byteSize());
                return;
            }
            for (int i = 0; i < plan.inner; i++, so += ss, dO += ds) {
                if (integral) HostAccess.writeLong(d, dt, dO, HostAccess.readLong(s, st, so));
                else HostAccess.write(d, dt, dO, HostAccess.read(s, st, so));
            }
        });
    }

    public static void fill(Tensor dst, double value) {
        MemorySegment d = dst.hostSegment();
        DType dt = dst.dtype();
        if (dst.isContiguous() && dt == DType.F32) {
            float v = (float) value;
            long off = dst.offset();
            Parallel.range((int) Math.min(Integer.MAX_VALUE, (dst.numel() + 4095) / 4096), 16, (from, to) -> {
                long lo = off + (long) from * 4096, hi = Math.min(off + dst.numel(), off + (long) to * 4096);
                if (v == 0 && Float.floatToRawIntBits(v) == 0) d.asSlice(lo * 4, (hi - lo) * 4).fill((byte) 0);
                else for (long i = lo; i < hi; i++) d.setAtIndex(HostAccess.F32, i, v);
            });
            return;
        }
        RowPlan plan = new RowPlan(dst.shape(), dst);
        long ds = plan.innerStride(0);
        parallelRows(plan, (row, off) -> {
            long o = off[0];
            for (int i = 0; i < plan.inner; i++, o += ds) HostAccess.write(d, dt, o, value);
        });
    }

    public static Tensor arange(double start, double end, double step, DType dtype) {
        if (step == 0 || !Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange(" + start + ", " + end + ", " + step + "): step must be non-zero and bounds finite");
        }
        long n = Math.max(0, (long) Math.ceil((end - start) / step));
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("arange of " + n + " elements is too large");
        Tensor out = Tensor.zeros(dtype, (int) n);
        MemorySegment d = out.hostSegment();
        for (long i = 0; i < n; i++) {
            if (dtype.isFloatingPoint()) HostAccess.write(d, dtype, i, start + i * step);
            else HostAccess.writeLong(d, dtype, i, Math.round(start + i * step));
        }
        return out;
    }

    /** Values come from {@link Generator#fill} in row-major order of dst, so every backend draws the same numbers. */
    public static void fillRandom(Tensor dst, RandomSpec spec, Generator generator) {
        long n = dst.numel();
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("random fill of " + n + " elements: fill it in slices");
        float[] values = new float[(int) n];
        // Philox is counter-based: slices of whole 4-element blocks fill in parallel with the sequential result
        // (dropout masks of a LoRA step were 6% of its time on the main thread alone)
        long start = generator.reserveBlocks((n + 3) / 4);
        int chunk = 1 << 14;
        Parallel.range((int) ((n + chunk - 1) / chunk), 1, (c0, c1) ->
                Generator.fillFrom(generator.seed(), start, values, c0 * chunk, (int) Math.min(n, (long) c1 * chunk), spec));
        copy(Tensor.of(values, dst.shape().length == 0 ? new int[0] : dst.shape()), dst);
    }

    /** Row visitor receiving the row index and the operands' storage offsets of that row. */
    interface RowBody {
        void run(long row, long[] offsets);
    }

    /** Runs {@code body} over every row of {@code plan}, split across cores when the work is large. */
    static void parallelRows(RowPlan plan, RowBody body) {
        long rows = plan.rows;
        int operands = plan.base.length;
        if (rows > Integer.MAX_VALUE) throw new IllegalArgumentException("too many rows: " + rows);
        int grain = Math.max(1, GRAIN / Math.max(1, plan.inner));
        Parallel.range((int) rows, grain, (from, to) -> {
            long[] off = new long[operands];
            for (int r = from; r < to; r++) {
                plan.rowOffsets(r, off);
                body.run(r, off);
            }
        });
    }
}
