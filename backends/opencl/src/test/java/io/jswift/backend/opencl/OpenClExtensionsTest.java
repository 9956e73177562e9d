package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import org.junit.jupiter.api.Test;

import static io.jswift.backend.opencl.OpenClTesting.DEVICE;
import static io.jswift.backend.opencl.OpenClTesting.assertSameAsCpu;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the OpenCL backend does beyond the Backend contract, so the conformance suite (OpenClConformanceTest, which
 * replaced the op tests) does not check it: segment ids of batch 1 broadcast over the batch, integer attention inputs
 * and non-contiguous AdamW state rejected (the CPU computes the first through its reference and accepts the others).
 */
class OpenClExtensionsTest {
    private final Backend cl = OpenClTesting.backend();
    private final Backend cpu = OpenClTesting.cpu();

    @Test
    void segmentIdsOfBatchOneBroadcastOverTheBatch() {
        Tensor q = random(1, DType.F32, 3, 2, 9, 16), k = random(2, DType.F32, 3, 1, 9, 16), v = random(3, DType.F32, 3, 1, 9, 16);
        long[] ids = {0, 0, 0, 1, 1, 2, 2, 2, 2};
        long[] repeated = new long[3 * 9];
        for (int b = 0; b < 3; b++) System.arraycopy(ids, 0, repeated, b * 9, 9);
        Tensor one = Tensor.ofLongs(ids, 1, 9).to(DType.I32).to(DEVICE), all = Tensor.ofLongs(repeated, 3, 9);
        FusedResults.Attention broadcast = cl.attention(q.to(DEVICE), k.to(DEVICE), v.to(DEVICE), new AttentionSpec(0.25, true, one, one));
        FusedResults.Attention expected = cpu.attention(q, k, v, new AttentionSpec(0.25, true, all, all));
        assertSameAsCpu(expected.output(), broadcast.output(), 1e-5, 1e-5);
        assertSameAsCpu(expected.logSumExp(), broadcast.logSumExp(), 1e-5, 1e-5);
    }

    @Test
    void integerAttentionInputsFailClearly() {
        Tensor k = random(2, DType.F32, 1, 2, 4, 8).to(DEVICE), ints = random(4, DType.I32, 1, 2, 4, 8).to(DEVICE);
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> cl.attention(ints, k, k, AttentionSpec.causal(8)));
        assertTrue(dtype.getMessage().contains("I32"), dtype.getMessage());
    }

    @Test
    void adamwNeedsContiguousState() {
        AdamWConfig config = new AdamWConfig(3e-3, 0.9, 0.95, 1e-8, 0.01);
        Tensor p = cl.allocate(DType.F32, 13, 17), m = cl.allocate(DType.F32, 13, 17), v = cl.allocate(DType.F32, 13, 17);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cl.adamwStep(p.transpose(0, 1), p.transpose(0, 1), m.transpose(0, 1), v.transpose(0, 1), config, 4));
        assertTrue(e.getMessage().contains("contiguous"), e.getMessage());
    }
}
