package io.jswift.backend.cuda;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.backend.gpu.GpuBackend;
import io.jswift.backend.gpu.GpuDevice;
import io.jswift.backend.gpu.GpuTensors;
import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AdamWConfig;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.UnaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA fast paths as GpuBackend calls them, on tensors: each covers the cases the model's training and decoding
 * produce (a Linear's transposed weight, batched products, [B, T, H, D] views of q/k/v, host segment ids, f32 master
 * weights with bf16 gradients) and declines what it does not, equal to the CPU where it runs. The conformance suite
 * checks the results through the Backend; this test checks that the fast path is the one that ran. Skipped with the
 * reason without a GPU (failed with -Djswift.test.device.required=true).
 */
class CudaFastPathsTest {
    private static CudaDriver driver;
    private static GpuBackend backend;
    private final Backend cpu = new CpuBackend();
    private final Generator gen = new Generator(21);

    @BeforeAll
    static void open() {
        CudaProbe.Result r = CudaRuntime.probe();
        if (!r.available() && Boolean.getBoolean("jswift.test.device.required")) fail("CUDA must be tested but: " + r.reason());
        assumeTrue(r.available(), "CUDA unavailable: " + r.reason());
        driver = new CudaDriver(0, r.usable().get(0), r.driverVersion(), PtxManifest.load());
        backend = new GpuBackend(driver);
    }

    @AfterAll
    static void close() {
        if (driver != null) driver.close();
    }

    private Tensor random(DType dtype, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        cpu.fillRandom(t, new RandomSpec.Normal(0, 1), gen);
        return dtype == DType.F32 ? t : t.to(dtype);
    }

    private GpuDevice dev() { return backend.gpu(); }

    @Test
    void cublasTakesLinearAndBatchedProductsAndDeclinesMixedDtypes() {
        assumeTrue(Cublas.available(), "cuBLAS " + Cublas.status());
        CublasMatmul mm = new CublasMatmul(driver);
        // x [2, 7, 64] · Wᵀ with W [48, 64] (nn.Linear), bf16 -> bf16
        Tensor x = random(DType.BF16, 2, 7, 64), w = random(DType.BF16, 48, 64);
        Tensor out = GpuTensors.empty(dev(), DType.BF16, 2, 7, 48);
        assertTrue(mm.matmul(dev(), backend.fromHost(x), backend.fromHost(w), false, true, out));
        Tensor want = cpu.matmul(x.to(DType.F32), w.to(DType.F32), false, true);
        assertTrue(relL2(backend.toHost(out).to(DType.F32), want) < 1e-2);
        // batched [3, 2, 5, 16] · [3, 2, 16, 9] into an f32 out (matmul-into of bf16 operands)
        Tensor a = random(DType.BF16, 3, 2, 5, 16), b = random(DType.BF16, 3, 2, 16, 9);
        Tensor into = GpuTensors.empty(dev(), DType.F32, 3, 2, 5, 9);
        assertTrue(mm.matmul(dev(), backend.fromHost(a), backend.fromHost(b), false, false, into));
        assertTrue(relL2(backend.toHost(into), cpu.matmul(a.to(DType.F32), b.to(DType.F32), false, false)) < 1e-2);
        // mixed operand dtypes: the portable kernel's
        assertFalse(mm.matmul(dev(), backend.fromHost(a), backend.fromHost(b.to(DType.F32)), false, false, into));
    }

    @Test
    void flashAttentionTakesTransposedViewsWithHostSegmentsAndDeclinesOddHeadDims() {
        FlashAttentionPath fa = new FlashAttentionPath(driver);
        int bsz = 2, t = 45, hq = 4, hkv = 2, d = 64;
        // the decoder's layout: [B, T, H, D] projections viewed as [B, H, T, D]
        Tensor q = random(DType.BF16, bsz, t, hq, d), k = random(DType.BF16, bsz, t, hkv, d), v = random(DType.BF16, bsz, t, hkv, d);
        long[] ids = new long[bsz * t];
        for (int i = 0; i < ids.length; i++) ids[i] = (i % t) < 20 ? 0 : 1;
        Tensor seg = Tensor.ofLongs(ids, bsz, t);
        AttentionSpec spec = new AttentionSpec(1 / Math.sqrt(d), true, seg, seg);
        Tensor qd = backend.fromHost(q).transpose(1, 2), kd = backend.fromHost(k).transpose(1, 2), vd = backend.fromHost(v).transpose(1, 2);
        FusedResults.Attention got = fa.forward(dev(), qd, kd, vd, spec);
        assertNotNull(got, "bf16, D 64, head dim contiguous: covered");
        FusedResults.Attention want = cpu.attention(q.transpose(1, 2).to(DType.F32), k.transpose(1, 2).to(DType.F32),
                v.transpose(1, 2).to(DType.F32), spec);
        assertTrue(relL2(backend.toHost(got.output()).to(DType.F32), want.output()) < 2e-2);
        Tensor dOut = backend.fromHost(random(DType.BF16, bsz, hq, t, d));
        assertNotNull(fa.backward(dev(), dOut, qd, kd, vd, got.output(), got.logSumExp(), spec));

        Tensor odd = backend.fromHost(random(DType.BF16, 1, 2, 9, 80));
        assertNull(fa.forward(dev(), odd, odd, odd, AttentionSpec.causal(80)), "D 80 has no tensor-core kernel");
        Tensor f32 = backend.fromHost(random(DType.F32, 1, 2, 9, 64));
        assertNull(fa.forward(dev(), f32, f32, f32, AttentionSpec.causal(64)), "f32 stays with the portable kernel");
    }

    @Test
    void fusedAdamWTakesF32MasterWeightsWithBf16GradientsAndDeclinesStridedOnes() {
        FusedAdamWPath path = new FusedAdamWPath(driver);
        int n = 4100;
        Tensor p = random(DType.F32, n), g = random(DType.BF16, n), m = random(DType.F32, n), v = cpu.unary(UnaryOp.ABS, random(DType.F32, n));
        AdamWConfig c = new AdamWConfig(1e-3, 0.9, 0.999, 1e-8, 0.01);
        Tensor pd = backend.fromHost(p), md = backend.fromHost(m), vd = backend.fromHost(v);
        assertTrue(path.step(dev(), pd, backend.fromHost(g), md, vd, c, 5));
        Tensor pc = p.copy(), mc = m.copy(), vc = v.copy();
        cpu.adamwStep(pc, g.to(DType.F32), mc, vc, c, 5);
        assertArrayEquals(pc.toFloatArray(), backend.toHost(pd).toFloatArray(), 1e-6f);
        assertArrayEquals(vc.toFloatArray(), backend.toHost(vd).toFloatArray(), 1e-6f);

        Tensor wide = backend.fromHost(random(DType.BF16, n, 2));
        assertFalse(path.step(dev(), pd, wide.select(1, 0), md, vd, c, 6), "a strided gradient takes the portable kernel");
    }
}
