package io.jswift.backend.cuda;

import io.jswift.backend.cpu.CpuBackend;
import io.jswift.backend.gpu.DeviceBuffer;
import io.jswift.backend.gpu.Dim3;
import io.jswift.backend.gpu.Event;
import io.jswift.backend.gpu.KernelArg;
import io.jswift.backend.gpu.Program;
import io.jswift.backend.gpu.ProgramSource;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static io.jswift.tensor.testing.TensorAssert.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * CudaDriver and the CUDA-only paths on a real GPU, the CPU backend as the oracle: copies, a dialect program,
 * cuBLAS GEMM, tensor-core flash attention forward and backward, fused AdamW. Skipped with the backend's reason
 * where no CUDA device is usable (failed instead with -Djswift.test.device.required=true, as bench/gpu/check.sh runs
 * it on a GPU machine).
 */
class CudaDeviceTest {
    private static CudaDriver driver;
    private final Backend cpu = new CpuBackend();
    private final Generator gen = new Generator(20);

    @BeforeAll
    static void open() {
        CudaProbe.Result r = CudaRuntime.probe();
        if (!r.available() && Boolean.getBoolean("jswift.test.device.required")) fail("CUDA must be tested but: " + r.reason());
        assumeTrue(r.available(), "CUDA unavailable: " + r.reason());
        driver = new CudaDriver(0, r.usable().get(0), r.driverVersion(), PtxManifest.load());
    }

    @AfterAll
    static void close() {
        if (driver != null) driver.close();
    }

    // ------------------------------------------------------------------ host <-> device

    private DeviceBuffer upload(Tensor t) {
        Tensor c = t.contiguous();
        MemorySegment host = c.hostSegment().asSlice(c.offset() * c.dtype().byteSize(), c.dtype().byteSize(c.numel()));
        DeviceBuffer b = driver.allocate(Math.max(1, host.byteSize()));
        driver.copyFromHost(host, b, 0);
        return b;
    }

    private static Tensor download(DeviceBuffer b, DType dtype, int... shape) {
        Tensor t = Tensor.zeros(dtype, shape);
        driver.copyToHost(b, 0, t.hostSegment().asSlice(0, dtype.byteSize(t.numel())));
        return t;
    }

    private Tensor random(DType dtype, int... shape) {
        Tensor t = Tensor.zeros(DType.F32, shape);
        cpu.fillRandom(t, new RandomSpec.Normal(0, 1), gen);
        return dtype == DType.F32 ? t : t.to(dtype);
    }

    @Test
    void copiesFillsAndEvents() {
        float[] data = {1, 2, 3, 4, 5, 6, 7, 8};
        DeviceBuffer a = driver.allocate(32), b = driver.allocate(32);
        driver.copyFromHost(MemorySegment.ofArray(data), a, 0);                  // heap: through the bounce buffer
        driver.fill(b, 0, 32, (byte) 0);
        Event start = driver.record();
        driver.copy(a, 8, b, 0, 16);
        Event end = driver.record();
        assertTrue(driver.elapsedMillis(start, end) >= 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment back = arena.allocate(32);                           // native: direct
            driver.copyToHost(b, 0, back);
            assertArrayEquals(new float[]{3, 4, 5, 6, 0, 0, 0, 0}, back.toArray(ValueLayout.JAVA_FLOAT));
        }
        driver.free(a);
        driver.free(b);
    }

    /** A dialect program behind the CUDA prelude (prebuilt PTX or NVRTC): Meta by value, offsets, every scalar kind. */
    @Test
    void dialectProgramRuns() {
        assumeTrue(Nvrtc.status().equals("available"), "NVRTC " + Nvrtc.status());
        String body = """
                #define META_WORDS 48
                typedef struct { i64 w[META_WORDS]; } Meta;
                KERNEL void BOUNDS(64, 1) axpb(GLOBAL float* y, idx_t yOffset, GLOBAL const f16_t* x, float a, double b, i32 n, i64 m, Meta meta) {
                    idx_t i = GID(0);
                    if (i >= n) return;
                    y[yOffset + i] = a * LOAD_F16(x, i) + (float) b + (float) (m + meta.w[1]);
                }
                """;
        Program p = driver.compile(new ProgramSource("axpb.cl", List.of(), body));
        Tensor x = Tensor.of(new float[]{1, -2, 3, 0.5f, 7}, 5).to(DType.F16);
        DeviceBuffer xd = upload(x), yd = driver.allocate(4 * 7);
        driver.fill(yd, 0, 28, (byte) 0);
        driver.launch(p, "axpb", Dim3.of(1), Dim3.of(64), new KernelArg.Buf(yd), new KernelArg.I64(2), new KernelArg.Buf(xd),
                new KernelArg.F32(2f), new KernelArg.F64(0.25), new KernelArg.I32(5), new KernelArg.I64(10), KernelArg.Meta.of(0, 100));
        assertArrayEquals(new float[]{0, 0, 112.25f, 106.25f, 116.25f, 111.25f, 124.25f}, download(yd, DType.F32, 7).toFloatArray());
    }

    @ParameterizedTest
    @CsvSource({"BF16, false", "F16, false", "F32, false", "BF16, true", "F32, true"})
    void cublasGemmEqualsTheCpu(DType dtype, boolean transposedB) {
        assumeTrue(Cublas.available(), "cuBLAS " + Cublas.status());
        int m = 67, n = 45, k = 96;
        Tensor a = random(dtype, m, k), b = transposedB ? random(dtype, n, k) : random(dtype, k, n);
        Tensor want = cpu.matmul(a.to(DType.F32), b.to(DType.F32), false, transposedB);
        GemmPlan plan = GemmPlan.of(m, n, k, new GemmPlan.Operand(k, 1, 0),
                transposedB ? new GemmPlan.Operand(1, k, 0) : new GemmPlan.Operand(n, 1, 0), new GemmPlan.Operand(n, 1, 0), 1);
        DeviceBuffer ad = upload(a), bd = upload(b), cd = driver.allocate(dtype.byteSize((long) m * n));
        driver.cublas().gemm(plan, dtype, ((CudaDriver.Buffer) ad).address(), ((CudaDriver.Buffer) bd).address(), ((CudaDriver.Buffer) cd).address(), false);
        Tensor got = download(cd, dtype, m, n).to(DType.F32);
        double tol = dtype == DType.F32 ? 1e-6 : 1e-2;
        assertTrue(relL2(got, want) < tol, dtype + ": relative L2 " + relL2(got, want));
    }

    /** B, Hq, Hkv, T, S, D, causal, window, segments: GQA, decode-like T < S, odd sizes, both head dims. */
    @ParameterizedTest
    @CsvSource({
            "BF16, 2, 4, 2, 37, 37, 64, true, 0, false",
            "BF16, 1, 14, 2, 130, 130, 64, true, 0, false",
            "F16, 1, 4, 4, 70, 100, 128, true, 0, false",
            "BF16, 2, 4, 1, 65, 65, 128, false, 0, false",
            "BF16, 1, 2, 2, 90, 90, 64, true, 20, false",
            "BF16, 2, 2, 1, 50, 50, 64, true, 0, true"})
    void flashAttentionEqualsTheCpu(DType dtype, int b, int hq, int hkv, int t, int s, int d, boolean causal, int window, boolean segments) {
        Tensor q = random(dtype, b, hq, t, d), k = random(dtype, b, hkv, s, d), v = random(dtype, b, hkv, s, d), dOut = random(dtype, b, hq, t, d);
        Tensor qs = null, ks = null;
        CudaFlashAttention.Segments seg = null;
        if (segments) { // two packed samples per row, split at different places per batch
            long[] sq = new long[b * t], sk = new long[b * s];
            for (int i = 0; i < b * t; i++) sq[i] = (i % t) < (t / 3 + 5 * (i / t)) ? 0 : 1;
            for (int i = 0; i < b * s; i++) sk[i] = (i % s) < (s / 3 + 5 * (i / s)) ? 0 : 1;
            qs = Tensor.ofLongs(sq, b, t);
            ks = Tensor.ofLongs(sk, b, s);
            seg = new CudaFlashAttention.Segments(upload(qs), 0, t, upload(ks), 0, s);
        }
        AttentionSpec spec = new AttentionSpec(1 / Math.sqrt(d), causal, qs, ks, window);
        Tensor q32 = q.to(DType.F32), k32 = k.to(DType.F32), v32 = v.to(DType.F32), dO32 = dOut.to(DType.F32);
        FusedResults.Attention want = cpu.attention(q32, k32, v32, spec);
        FusedResults.AttentionGrads wantGrads = cpu.attentionBackward(dO32, q32, k32, v32, want.output(), want.logSumExp(), spec);

        CudaFlashAttention fa = new CudaFlashAttention(driver);
        CudaFlashAttention.Shape shape = new CudaFlashAttention.Shape(b, hq, hkv, t, s, d);
        CudaFlashAttention.View qv = dense(upload(q), hq, t, d), kv = dense(upload(k), hkv, s, d), vv = dense(upload(v), hkv, s, d);
        CudaFlashAttention.Mask mask = new CudaFlashAttention.Mask(spec.scale(), causal, window, seg);
        assertTrue(CudaFlashAttention.supports(dtype, d, false, qv, kv, vv));
        DeviceBuffer out = driver.allocate(dtype.byteSize(q.numel())), lse = driver.allocate(4L * b * hq * t);
        fa.forward(dtype, shape, qv, kv, vv, mask, out, lse);
        Tensor gotOut = download(out, dtype, b, hq, t, d), gotLse = download(lse, DType.F32, b, hq, t);
        assertTrue(relL2(gotOut.to(DType.F32), want.output()) < 2e-2, "output: relative L2 " + relL2(gotOut.to(DType.F32), want.output()));
        assertArrayEquals(want.logSumExp().toFloatArray(), gotLse.toFloatArray(), 2e-2f, "logSumExp");

        DeviceBuffer dq = driver.allocate(dtype.byteSize(q.numel())), dk = driver.allocate(dtype.byteSize(k.numel())), dv = driver.allocate(dtype.byteSize(v.numel()));
        fa.backward(dtype, shape, qv, kv, vv, dense(out, hq, t, d), dense(upload(dOut), hq, t, d),
                new CudaFlashAttention.View(lse, 0, (long) hq * t, t, 1), mask, dq, dk, dv);
        Tensor[] got = {download(dq, dtype, q.shape()), download(dk, dtype, k.shape()), download(dv, dtype, v.shape())};
        Tensor[] exp = {wantGrads.dq(), wantGrads.dk(), wantGrads.dv()};
        String[] names = {"dq", "dk", "dv"};
        for (int i = 0; i < 3; i++) {
            double err = relL2(got[i].to(DType.F32), exp[i]);
            assertTrue(err < 3e-2, names[i] + ": relative L2 " + err);
        }
    }

    private static CudaFlashAttention.View dense(DeviceBuffer buf, int heads, int rows, int d) {
        return new CudaFlashAttention.View(buf, 0, (long) heads * rows * d, (long) rows * d, d);
    }

    @ParameterizedTest
    @CsvSource({"F32, 1001", "BF16, 4096", "F16, 7"})
    void fusedAdamWEqualsTheCpu(DType gradDtype, int n) {
        Tensor p = random(DType.F32, n), g = random(gradDtype, n), m = random(DType.F32, n), v = random(DType.F32, n);
        v = cpu.unary(UnaryOp.ABS, v);
        AdamWConfig c = new AdamWConfig(1e-2, 0.9, 0.999, 1e-8, 0.1);
        DeviceBuffer pd = upload(p), gd = upload(g), md = upload(m), vd = upload(v);
        Tensor pc = p.copy(), mc = m.copy(), vc = v.copy();
        cpu.adamwStep(pc, g.to(DType.F32), mc, vc, c, 3);
        assertTrue(CudaAdamW.supports(DType.F32, gradDtype, DType.F32, DType.F32, 0, 0, 0, 0));
        new CudaAdamW(driver).step(new CudaAdamW.Run(pd, 0), new CudaAdamW.Run(gd, 0), gradDtype, new CudaAdamW.Run(md, 0),
                new CudaAdamW.Run(vd, 0), n, c, 3);
        assertArrayEquals(pc.toFloatArray(), download(pd, DType.F32, n).toFloatArray(), 1e-6f);
        assertArrayEquals(mc.toFloatArray(), download(md, DType.F32, n).toFloatArray(), 1e-6f);
        assertArrayEquals(vc.toFloatArray(), download(vd, DType.F32, n).toFloatArray(), 1e-6f);
        assertEquals(n, p.numel());
    }
}
