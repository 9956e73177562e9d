package io.jswift.backend.cuda;

import io.jswift.backend.gpu.DeviceBuffer;
import io.jswift.backend.gpu.Dim3;
import io.jswift.tensor.DType;
import io.jswift.tensor.spi.AdamWConfig;
import jcuda.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Host side of the fused AdamW kernel (adamw.cu) for f32 master weights and moments with an f32, bf16 or f16
 * gradient, all contiguous: the bias corrections in double on the host as PyTorch does, one grid-stride launch
 * sized to the device. The vector path needs param, moments and gradient 16-byte aligned; the portable kernel
 * takes every other case.
 */
final class CudaAdamW {
    private static final int THREADS = 256, MAX_BLOCKS = 4096;

    private final CudaDriver driver;

    CudaAdamW(CudaDriver driver) { this.driver = driver; }

    /** A contiguous run of elements: buffer and element offset. */
    record Run(DeviceBuffer buffer, long offset) {}

    static boolean supports(DType param, DType grad, DType m, DType v, long pOff, long gOff, long mOff, long vOff) {
        boolean dtypes = param == DType.F32 && m == DType.F32 && v == DType.F32 && (grad == DType.F32 || grad == DType.BF16 || grad == DType.F16);
        return dtypes && pOff % 4 == 0 && mOff % 4 == 0 && vOff % 4 == 0 && gOff % (grad == DType.F32 ? 4 : 8) == 0;
    }

    void step(Run p, Run g, DType gradDtype, Run m, Run v, long n, AdamWConfig c, long step) {
        if (n == 0) return;
        double bc1 = 1 - Math.pow(c.beta1(), step), bc2 = 1 - Math.pow(c.beta2(), step);
        // struct AdamWArgs { float* p; const void* g; float* m; float* v; long long n; 6 floats } = 64 bytes
        ByteBuffer args = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
        args.putLong(addr(p, 4)).putLong(addr(g, gradDtype.byteSize())).putLong(addr(m, 4)).putLong(addr(v, 4)).putLong(n)
                .putFloat((float) (1 - c.lr() * c.weightDecay())).putFloat((float) c.beta1()).putFloat((float) c.beta2())
                .putFloat((float) c.eps()).putFloat((float) (c.lr() / bc1)).putFloat((float) (1 / Math.sqrt(bc2)));
        String kernel = "adamw_f32_grad_" + switch (gradDtype) {
            case F32 -> "f32";
            case BF16 -> "bf16";
            case F16 -> "f16";
            default -> throw new IllegalArgumentException("fused AdamW: gradient dtype " + gradDtype);
        };
        int blocks = (int) Math.min(MAX_BLOCKS, Math.max(1, (n / 4 + THREADS - 1) / THREADS));
        driver.launch(driver.module("adamw"), kernel, Dim3.of(blocks), Dim3.of(THREADS), 0, Pointer.to(Pointer.to(args.array())));
    }

    private static long addr(Run r, int elementBytes) {
        return ((CudaDriver.Buffer) r.buffer()).address() + r.offset() * elementBytes;
    }
}
