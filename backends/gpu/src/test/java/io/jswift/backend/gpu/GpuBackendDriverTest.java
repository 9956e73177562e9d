package io.jswift.backend.gpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.PagedKv;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link GpuBackend} asks of its {@link Driver}, seen through a recording driver without a device: outputs that a
 * kernel writes whole are not zero-filled, unreachable tensors give their buffers back to the pool, and a driver's
 * {@link FastPaths} run first, after the op's checks, with the portable kernels for what they decline.
 */
class GpuBackendDriverTest {
    private final RecordingDriver driver = new RecordingDriver(1L << 30);

    @Test
    void kernelWrittenOutputsAreNotZeroFilled() {
        GpuBackend gpu = new GpuBackend(driver);
        Tensor a = gpu.fromHost(random(1, DType.F32, 4, 8)), b = gpu.fromHost(random(2, DType.F32, 8));
        driver.fills.clear();
        Tensor sum = gpu.binary(BinaryOp.ADD, a, b);
        assertEquals(List.of("binary"), driver.launches);
        assertEquals(List.of(), driver.fills, "the binary kernel writes every element: no fill before it");
        assertArrayEquals(new int[]{4, 8}, sum.shape());
        gpu.allocate(DType.F32, 3, 5);
        assertEquals(List.of(60L), driver.fills, "Backend.allocate promises zeros");
    }

    @Test
    void unreachableTensorsReturnTheirBuffersToThePool() throws InterruptedException {
        GpuBackend gpu = new GpuBackend(driver);
        BufferPool pool = gpu.gpu().pool();
        Tensor kept = gpu.allocate(DType.F32, 1000);
        for (int i = 0; i < 4; i++) gpu.allocate(DType.F32, 1000); // dropped at once
        for (int i = 0; i < 500 && pool.cachedBytes() < 4 * 4096; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(4 * 4096, pool.cachedBytes(), "the four dropped 4000-byte tensors are cached in the 4 KiB class");
        int before = driver.allocations;
        gpu.allocate(DType.F32, 900);
        assertEquals(before, driver.allocations, "a cached buffer of the class serves the next allocation");
        Reference.reachabilityFence(kept); // live: its buffer is not among the cached ones
    }

    @Test
    void fastMatmulRunsFirstAndDeclinedCasesTakeThePortableGemm() {
        List<String> seen = new ArrayList<>();
        FastPaths.Matmul f32Only = (dev, a, b, ta, tb, out) -> {
            seen.add(a.dtype() + Arrays.toString(out.shape()) + out.dtype());
            return a.dtype() == DType.F32;
        };
        GpuBackend gpu = new GpuBackend(driver, new FastPaths(f32Only, null, null));
        Tensor out = gpu.matmul(gpu.fromHost(random(1, DType.F32, 3, 4)), gpu.fromHost(random(2, DType.F32, 4, 5)), false, false);
        assertArrayEquals(new int[]{3, 5}, out.shape());
        assertEquals(List.of("F32[3, 5]F32"), seen);
        assertTrue(driver.launches.stream().noneMatch(k -> k.startsWith("gem")), "covered: no portable GEMM " + driver.launches);

        gpu.matmul(gpu.fromHost(random(3, DType.BF16, 3, 4)), gpu.fromHost(random(4, DType.BF16, 4, 5)), false, false);
        assertEquals("BF16[3, 5]BF16", seen.get(1), "the product takes the operands' dtype");
        assertTrue(driver.launches.contains("gemv_small_m"), "declined: the portable kernel ran " + driver.launches);
    }

    @Test
    void fastAttentionSeesCheckedArgumentsAndMayDecline() {
        List<AttentionSpec> seen = new ArrayList<>();
        FastPaths.Attention declining = decliningAttention(seen);
        GpuBackend gpu = new GpuBackend(driver, new FastPaths(null, declining, null));
        Tensor q = gpu.fromHost(random(1, DType.F32, 1, 2, 4, 8)), k = gpu.fromHost(random(2, DType.F32, 1, 2, 4, 8));
        Tensor badIds = Tensor.ofLongs(new long[]{0, 0, 1}, 1, 3);
        assertThrows(IllegalArgumentException.class, () -> gpu.attention(q, k, k, new AttentionSpec(0.3, true, badIds, badIds)));
        assertEquals(List.of(), seen, "segment ids of the wrong shape are refused before the fast path");

        gpu.attention(q, k, k, AttentionSpec.causal(8));
        assertEquals(1, seen.size());
        assertEquals(List.of("attn_forward"), driver.launches, "declined: the portable kernel ran");
    }

    @Test
    void windowedAndSoftCappedAttentionRunTheKernelsNotTheReference() {
        List<AttentionSpec> seen = new ArrayList<>();
        FastPaths.Attention declining = decliningAttention(seen);
        GpuBackend gpu = new GpuBackend(driver, new FastPaths(null, declining, null));
        Tensor q = gpu.fromHost(random(1, DType.F32, 1, 4, 6, 8)), k = gpu.fromHost(random(2, DType.F32, 1, 2, 6, 8));
        AttentionSpec spec = AttentionSpec.causal(8).withWindow(3).withScores(0.3, 2.5);
        driver.launches.clear();
        FusedResults.Attention r = gpu.attention(q, k, k, spec);
        gpu.attentionBackward(q, q, k, k, r.output(), r.logSumExp(), spec);
        assertEquals(List.of(spec, spec), seen, "the fast path is offered the call (and may decline it)");
        assertEquals(List.of("attn_forward", "attn_delta", "attn_backward_dq", "attn_backward_dkdv"), driver.launches,
                "the flash kernels only: no reference composition");
        Tensor seg = Tensor.ofLongs(new long[]{0, 1}, 1, 2);
        assertTrue(Attention.covers(spec) && Attention.covers(AttentionSpec.causal(8))
                && Attention.covers(new AttentionSpec(0.3, true, seg, seg, 1, 1)) && Attention.covers(spec.withSinks(random(6, DType.F32, 4))));
        assertFalse(Attention.covers(new AttentionSpec(0.3, true, seg, seg, 0, 0, true)), "a shared prefix takes the reference");
        // sinks (GPT-OSS) and values of another head dim (DeepSeek's latent attention) run the kernels too
        Tensor v = gpu.fromHost(random(3, DType.F32, 1, 2, 6, 5));
        AttentionSpec sinks = spec.withSinks(gpu.fromHost(random(5, DType.F32, 4)));
        driver.launches.clear();
        FusedResults.Attention rv = gpu.attention(q, k, v, sinks);
        assertArrayEquals(new int[]{1, 4, 6, 5}, rv.output().shape());
        gpu.attentionBackward(gpu.fromHost(random(4, DType.F32, 1, 4, 6, 5)), q, k, v, rv.output(), rv.logSumExp(), sinks);
        assertEquals(List.of("attn_forward", "attn_delta", "attn_backward_dq", "attn_backward_dkdv"), driver.launches);
    }

    @Test
    void pagedDecodeReadsTheBlocksInPlaceAndPrefillGathers() {
        GpuBackend gpu = new GpuBackend(driver);
        Tensor keys = gpu.fromHost(random(1, DType.F32, 5, 2, 4, 8));
        PagedKv kv = new PagedKv(keys, keys, new int[][]{{3, 1}, {4}}, new int[]{6, 3});
        AttentionSpec spec = AttentionSpec.causal(8).withWindow(4).withScores(0.3, 2.5);
        driver.launches.clear();
        Tensor out = gpu.pagedAttention(gpu.fromHost(random(2, DType.F32, 2, 4, 1, 8)), kv, spec);
        assertArrayEquals(new int[]{2, 4, 1, 8}, out.shape());
        assertEquals(List.of("attn_paged_decode"), driver.launches, "decode: one kernel over the blocks, no gathered copy");
        driver.launches.clear();
        gpu.pagedAttention(gpu.fromHost(random(3, DType.F32, 2, 4, 3, 8)), kv, spec);
        assertTrue(driver.launches.contains("attn_forward") && !driver.launches.contains("attn_paged_decode"),
                "prefill chunks gather, then attend " + driver.launches);
    }

    @Test
    void fastAdamWReplacesThePortableStep() {
        int[] calls = {0};
        FastPaths.AdamW fused = (dev, p, g, m, v, config, step) -> ++calls[0] > 0;
        GpuBackend gpu = new GpuBackend(driver, new FastPaths(null, null, fused));
        Tensor p = gpu.fromHost(random(1, DType.F32, 16)), g = gpu.fromHost(random(2, DType.F32, 16));
        Tensor m = gpu.allocate(DType.F32, 16), v = gpu.allocate(DType.F32, 16);
        gpu.adamwStep(p, g, m, v, new AdamWConfig(1e-3, 0.9, 0.999, 1e-8, 0.01), 1);
        assertEquals(1, calls[0]);
        assertTrue(driver.launches.stream().noneMatch(k -> k.startsWith("adamw")), driver.launches.toString());
        assertThrows(IllegalArgumentException.class, () -> gpu.adamwStep(p, g, m, gpu.allocate(DType.F32, 15), new AdamWConfig(1e-3, 0.9, 0.999, 1e-8, 0.01), 1));
        assertEquals(1, calls[0], "mismatched moments are refused before the fast path");
    }

    /** A fast attention path that records each spec it is offered (forward and backward) and declines every call. */
    private static FastPaths.Attention decliningAttention(List<AttentionSpec> seen) {
        return new FastPaths.Attention() {
            @Override
            public FusedResults.Attention forward(GpuDevice dev, Tensor q, Tensor k, Tensor v, AttentionSpec spec) {
                seen.add(spec);
                return null;
            }

            @Override
            public FusedResults.AttentionGrads backward(GpuDevice dev, Tensor dOut, Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, AttentionSpec spec) {
                seen.add(spec);
                return null;
            }
        };
    }
}
