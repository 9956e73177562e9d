package io.jswift.backend.cuda;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which attention calls the CUDA tensor-core fast path takes, decided on the host (no GPU needed): it must never
 * silently drop a mask or the soft-cap. Sliding windows reach its kernels in the mask; soft-capped calls are declined,
 * so GpuBackend runs the portable kernels, which apply the cap. Dims: B, H, T, D.
 */
class FlashAttentionRoutingTest {
    private static final Tensor Q = Tensor.zeros(DType.BF16, 1, 4, 16, 64), KV = Tensor.zeros(DType.BF16, 1, 2, 16, 64);

    @Test
    void softCappedCallsAreDeclined() {
        AttentionSpec capped = AttentionSpec.causal(64).withScores(0.125, 30);
        assertFalse(FlashAttentionPath.covered(capped, Q, KV, KV));
        assertFalse(FlashAttentionPath.covered(capped.withWindow(8), Q, KV, KV));
        CudaFlashAttention.View aligned = new CudaFlashAttention.View(null, 0, 4096, 1024, 64);
        assertFalse(CudaFlashAttention.supports(DType.BF16, 64, true, aligned, aligned, aligned));
        assertTrue(CudaFlashAttention.supports(DType.BF16, 64, false, aligned, aligned, aligned));
        // the public entry declines before touching the device (none here)
        FlashAttentionPath path = new FlashAttentionPath(null);
        assertNull(path.forward(null, Q, KV, KV, capped));
        assertNull(path.backward(null, Q, Q, KV, KV, Q, Tensor.zeros(DType.F32, 1, 4, 16), capped));
    }

    @Test
    void slidingWindowsAreCoveredAndReachTheKernelsMask() {
        AttentionSpec windowed = AttentionSpec.causal(64).withWindow(8);
        assertTrue(FlashAttentionPath.covered(windowed, Q, KV, KV));
        CudaFlashAttention.Mask mask = FlashAttentionPath.mask(null, windowed, 1, 16, 16);
        assertEquals(8, mask.window());
        assertTrue(mask.causal());
        assertEquals(0.125, mask.scale());
        assertEquals(0, FlashAttentionPath.mask(null, AttentionSpec.causal(64), 1, 16, 16).window());
    }

    @Test
    void otherDtypesAndEmptyOperandsStayWithThePortableKernels() {
        Tensor q32 = Tensor.zeros(DType.F32, 1, 4, 16, 64), kv32 = Tensor.zeros(DType.F32, 1, 2, 16, 64);
        assertFalse(FlashAttentionPath.covered(AttentionSpec.causal(64), q32, kv32, kv32));
        assertFalse(FlashAttentionPath.covered(AttentionSpec.causal(64), Q, KV.to(DType.F16), KV));
        assertFalse(FlashAttentionPath.covered(AttentionSpec.causal(64), Tensor.zeros(DType.BF16, 1, 4, 0, 64), KV, KV));
        // DeepSeek's latent attention (values of 32 against q/k of 64) takes the portable kernels, which have a DV
        assertFalse(FlashAttentionPath.covered(AttentionSpec.causal(64), Q, KV, Tensor.zeros(DType.BF16, 1, 2, 16, 32)));
    }
}
