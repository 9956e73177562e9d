package io.jswift.backend.cuda;

import io.jswift.backend.gpu.DeviceBuffer;
import io.jswift.backend.gpu.Dim3;
import io.jswift.tensor.DType;
import jcuda.Pointer;

/**
 * Host side of the tensor-core flash attention (flash_attention.cu): which cases it covers, the launch geometry and
 * the by-value {@link FlashParams}. The kernels cover bf16 or f16 q, k, v, dO and out of one dtype, head dims
 * {@link #HEAD_DIMS}, head rows 16-byte aligned (element offsets and row strides multiples of 8) with the head dim
 * contiguous, and no soft-cap; every other case stays with the portable kernels (as the CPU backend falls back for
 * soft-capping). Results follow the portable path's rules: output and gradients in q's dtype, log-sum-exp f32,
 * -inf (with output 0) on a row that sees no key.
 * Dims: B batch, Hq/Hkv heads, T queries, S keys, D head dim.
 */
final class CudaFlashAttention {
    static final int[] HEAD_DIMS = {64, 128};

    /** A [B, H, rows, D] operand on the device: buffer, element offset and element strides of b, h and row. */
    record View(DeviceBuffer buffer, long offset, long sb, long sh, long st) {}

    /** Segment ids (I64) of queries [B, T] and keys [B, S] with their batch strides (0 for a batch of 1). */
    record Segments(DeviceBuffer q, long qOffset, long qStride, DeviceBuffer k, long kOffset, long kStride) {}

    /** The masks: {@code window} 0 for none (a window needs causal). */
    record Mask(double scale, boolean causal, int window, Segments segments) {}

    /** The sizes of one call. */
    record Shape(int b, int hq, int hkv, int t, int s, int d) {
        int group() { return hq / hkv; }
    }

    private final CudaDriver driver;

    CudaFlashAttention(CudaDriver driver) { this.driver = driver; }

    /** Whether the kernels cover this case (see the class comment); {@code views} are q, k, v (and dO, out). */
    static boolean supports(DType dtype, int d, boolean softcap, View... views) {
        if (softcap || (dtype != DType.BF16 && dtype != DType.F16)) return false;
        boolean dim = false;
        for (int h : HEAD_DIMS) dim |= h == d;
        if (!dim) return false;
        for (View v : views) {
            if (v.offset() % 8 != 0 || v.st() % 8 != 0 || v.sh() % 8 != 0 || v.sb() % 8 != 0) return false;
        }
        return true;
    }

    /** out [B, Hq, T, D] (dense, dtype) and lse [B, Hq, T] (dense f32) from q, k, v. */
    void forward(DType dtype, Shape sh, View q, View k, View v, Mask mask, DeviceBuffer out, DeviceBuffer lse) {
        CudaDriver.Module m = driver.module("flash_attention");
        FlashParams p = common(sh, mask).operand("q", address(q, dtype)).operand("k", address(k, dtype)).operand("v", address(v, dtype))
                .set("out", addr(out)).set("lse", addr(lse));
        int bq = (int) driver.global(m, "flash_fwd_bq");
        launch(m, "flash_fwd_" + tag(dtype) + "_d" + sh.d(), new Dim3(ceilDiv(sh.t(), bq), sh.hq(), sh.b()),
                (int) driver.global(m, "flash_smem_fwd_d" + sh.d()), p);
    }

    /**
     * dq, dk, dv (dense, dtype) from dO and the forward's out and lse ([B, Hq, T] f32, any strides as the view gives);
     * {@code scratch} supplies the f32 delta [B, Hq, T] and dq accumulator [B, Hq, T, D].
     */
    void backward(DType dtype, Shape sh, View q, View k, View v, View out, View dOut, View lse, Mask mask,
                  DeviceBuffer dq, DeviceBuffer dk, DeviceBuffer dv) {
        CudaDriver.Module m = driver.module("flash_attention");
        long rows = (long) sh.b() * sh.hq() * sh.t();
        DeviceBuffer delta = driver.allocate(Math.max(4, rows * 4)), dqAcc = driver.allocate(Math.max(4, rows * sh.d() * 4));
        try {
            driver.fill(dqAcc, 0, rows * sh.d() * 4, (byte) 0);
            FlashParams p = common(sh, mask).operand("q", address(q, dtype)).operand("k", address(k, dtype)).operand("v", address(v, dtype))
                    .operand("o", address(out, dtype)).operand("dout", address(dOut, dtype))
                    .operand("lse", new FlashParams.Operand(addr(lse.buffer()) + 4 * lse.offset(), lse.sb(), lse.sh(), lse.st()))
                    .set("delta", addr(delta)).set("dq_acc", addr(dqAcc)).set("dq", addr(dq)).set("dk", addr(dk)).set("dv", addr(dv));
            int threads = (int) driver.global(m, "flash_threads"), bk = (int) driver.global(m, "flash_bwd_bk");
            String suffix = tag(dtype) + "_d" + sh.d();
            launch(m, "flash_delta_" + suffix, Dim3.of(ceilDiv(rows * 32, threads)), 0, p);
            launch(m, "flash_bwd_" + suffix, new Dim3(ceilDiv(sh.s(), bk), sh.hkv(), sh.b()), (int) driver.global(m, "flash_smem_bwd_d" + sh.d()), p);
            long n = rows * sh.d();
            int blocks = (int) Math.min(ceilDiv(n, threads), 65535);
            driver.launch(m, "flash_dq_convert_" + tag(dtype), Dim3.of(blocks), Dim3.of(threads), 0,
                    Pointer.to(Pointer.to(p.words()), Pointer.to(new long[]{n})));
        } finally {
            driver.free(delta);   // cuMemFree waits for the kernels that use them
            driver.free(dqAcc);
        }
    }

    private void launch(CudaDriver.Module m, String kernel, Dim3 grid, int sharedBytes, FlashParams p) {
        int threads = (int) driver.global(m, "flash_threads");
        driver.launch(m, kernel, grid, Dim3.of(threads), sharedBytes, Pointer.to(Pointer.to(p.words())));
    }

    private static FlashParams common(Shape sh, Mask mask) {
        FlashParams p = new FlashParams().set("B", sh.b()).set("Hq", sh.hq()).set("group", sh.group()).set("T", sh.t()).set("S", sh.s())
                .set("causal", mask.causal() ? 1 : 0).set("window", mask.window()).scale(mask.scale());
        Segments seg = mask.segments();
        if (seg != null) {
            p.set("has_seg", 1).set("qseg", addr(seg.q()) + 8 * seg.qOffset()).set("kseg", addr(seg.k()) + 8 * seg.kOffset())
                    .set("qseg_sb", seg.qStride()).set("kseg_sb", seg.kStride());
        }
        return p;
    }

    private static FlashParams.Operand address(View v, DType dtype) {
        return new FlashParams.Operand(addr(v.buffer()) + v.offset() * dtype.byteSize(), v.sb(), v.sh(), v.st());
    }

    private static long addr(DeviceBuffer b) {
        return ((CudaDriver.Buffer) b).address();
    }

    private static String tag(DType dtype) {
        return dtype == DType.BF16 ? "bf16" : "f16";
    }

    private static int ceilDiv(long a, long b) {
        return (int) ((a + b - 1) / b);
    }
}
