package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static io.jswift.backend.opencl.OpenClTesting.DEVICE;
import static io.jswift.backend.opencl.OpenClTesting.assertSameAsCpu;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Flash attention forward and backward on the device against the CPU backend (its f32 kernel, or the reference
 * composition for bf16 and f64) on random inputs: prefill, decode and prefix shapes, GQA, causal or not,
 * segment masks, rows that see no key, strided (transposed) inputs. Dims: B, Hq, Hkv, T, S, D.
 */
class FlashAttentionTest {
    private final Backend cl = OpenClTesting.backend();
    private final Backend cpu = OpenClTesting.cpu();

    enum Mask { NONE, PACKED, LEFT_PAD, MASKED_ROW }

    record Case(String name, int b, int hq, int hkv, int t, int s, int d, boolean causal, Mask mask, DType dtype,
                boolean strided) {
        @Override
        public String toString() { return name; }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("single query and key", 1, 1, 1, 1, 1, 8, true, Mask.NONE, DType.F32, false),
                new Case("prefill T=5 D=8", 1, 2, 2, 5, 5, 8, true, Mask.NONE, DType.F32, false),
                new Case("GQA 2, T=37, D=16, transposed inputs", 2, 4, 2, 37, 37, 16, true, Mask.NONE, DType.F32, true),
                new Case("GQA 4, non-causal, D=80", 1, 4, 1, 37, 37, 80, false, Mask.NONE, DType.F32, false),
                new Case("GQA 2, T=130, D=64, transposed inputs", 1, 2, 1, 130, 130, 64, true, Mask.NONE, DType.F32, true),
                new Case("decode T=1 of S=40", 2, 4, 2, 1, 40, 64, true, Mask.NONE, DType.F32, false),
                new Case("causal prefix T=5 of S=37", 1, 4, 2, 5, 37, 16, true, Mask.NONE, DType.F32, false),
                new Case("causal T=7 > S=3: first rows see no key", 1, 2, 1, 7, 3, 8, true, Mask.NONE, DType.F32, false),
                new Case("packed samples", 2, 2, 1, 37, 37, 16, true, Mask.PACKED, DType.F32, false),
                new Case("left padding, prefix T=5 of S=37", 2, 2, 2, 5, 37, 8, true, Mask.LEFT_PAD, DType.F32, false),
                new Case("left padding, T=130", 2, 2, 1, 130, 130, 16, true, Mask.LEFT_PAD, DType.F32, true),
                new Case("a row that sees no key", 1, 2, 1, 5, 9, 8, false, Mask.MASKED_ROW, DType.F32, false),
                new Case("bf16, GQA 2, packed, transposed", 1, 4, 2, 37, 37, 64, true, Mask.PACKED, DType.BF16, true),
                new Case("f16, non-causal", 1, 2, 1, 5, 9, 16, false, Mask.NONE, DType.F16, false),
                new Case("f64, GQA 4, D=80, left padding", 1, 4, 1, 37, 37, 80, true, Mask.LEFT_PAD, DType.F64, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndBackwardMatchCpu(Case c) {
        Tensor q = input(1, c, c.hq(), c.t()), k = input(2, c, c.hkv(), c.s()), v = input(3, c, c.hkv(), c.s());
        Tensor dOut = random(4, c.dtype(), c.b(), c.hq(), c.t(), c.d());
        AttentionSpec spec = spec(c);

        FusedResults.Attention expected = cpu.attention(q, k, v, spec);
        FusedResults.AttentionGrads expectedGrads = cpu.attentionBackward(dOut, q, k, v, expected.output(), expected.logSumExp(), spec);

        Tensor qd = onDevice(q, c), kd = onDevice(k, c), vd = onDevice(v, c);
        FusedResults.Attention actual = cl.attention(qd, kd, vd, spec);
        FusedResults.AttentionGrads grads = cl.attentionBackward(dOut.to(DEVICE), qd, kd, vd, actual.output(), actual.logSumExp(), spec);

        double tol = switch (c.dtype()) { case F64 -> 1e-12; case BF16 -> 1e-2; case F16 -> 2e-3; default -> 1e-5; };
        assertSameAsCpu(expected.output(), actual.output(), tol, tol);
        // the log-sum-exp is computed in f32 from the same (rounded) inputs for bf16 too
        assertSameAsCpu(expected.logSumExp(), actual.logSumExp(), Math.min(tol, 1e-5), Math.min(tol, 1e-5));
        double gradTol = c.dtype() == DType.BF16 ? 2e-2 : c.dtype() == DType.F16 ? 4e-3 : tol;
        assertSameAsCpu(expectedGrads.dq(), grads.dq(), gradTol, gradTol);
        assertSameAsCpu(expectedGrads.dk(), grads.dk(), gradTol, gradTol);
        assertSameAsCpu(expectedGrads.dv(), grads.dv(), gradTol, gradTol);
    }

    @Test
    void rowThatSeesNoKeyHasZeroOutputAndMinusInfinityLse() {
        Case c = new Case("masked", 1, 1, 1, 3, 4, 8, false, Mask.MASKED_ROW, DType.F32, false);
        FusedResults.Attention r = cl.attention(input(1, c, 1, 3).to(DEVICE), input(2, c, 1, 4).to(DEVICE),
                input(3, c, 1, 4).to(DEVICE), spec(c));
        double[] out = r.output().toDoubleArray(), lse = r.logSumExp().toDoubleArray();
        assertEquals(Double.NEGATIVE_INFINITY, lse[MASKED_ROW]);
        for (int x = 0; x < c.d(); x++) assertEquals(0.0, out[MASKED_ROW * c.d() + x]);
        assertTrue(Double.isFinite(lse[0]));
    }

    @Test
    void segmentsOnTheDeviceAndBroadcastOverTheBatch() {
        Case c = new Case("broadcast segments", 3, 2, 1, 9, 9, 16, true, Mask.PACKED, DType.F32, false);
        Tensor q = input(1, c, 2, 9).to(DEVICE), k = input(2, c, 1, 9).to(DEVICE), v = input(3, c, 1, 9).to(DEVICE);
        long[] ids = {0, 0, 0, 1, 1, 2, 2, 2, 2};
        long[] repeated = new long[3 * 9];
        for (int b = 0; b < 3; b++) System.arraycopy(ids, 0, repeated, b * 9, 9);
        Tensor one = Tensor.ofLongs(ids, 1, 9).to(DType.I32).to(DEVICE), all = Tensor.ofLongs(repeated, 3, 9);
        FusedResults.Attention broadcast = cl.attention(q, k, v, new AttentionSpec(0.25, true, one, one));
        FusedResults.Attention expected = cpu.attention(q.to(io.jswift.tensor.Device.CPU), k.to(io.jswift.tensor.Device.CPU),
                v.to(io.jswift.tensor.Device.CPU), new AttentionSpec(0.25, true, all, all));
        assertSameAsCpu(expected.output(), broadcast.output(), 1e-5, 1e-5);
        assertSameAsCpu(expected.logSumExp(), broadcast.logSumExp(), 1e-5, 1e-5);
    }

    @Test
    void broadcastGradientAndStridedLse() {
        // autograd hands the backward an expanded gradient (stride 0) when the loss sums the output
        Case c = new Case("expanded dOut", 2, 4, 2, 9, 9, 16, true, Mask.NONE, DType.F32, false);
        Tensor q = input(1, c, 4, 9), k = input(2, c, 2, 9), v = input(3, c, 2, 9);
        Tensor dOutRow = random(4, DType.F32, 1, 1, 1, 16), dOut = dOutRow.expand(2, 4, 9, 16);
        AttentionSpec spec = spec(c);
        FusedResults.Attention expected = cpu.attention(q, k, v, spec);
        FusedResults.AttentionGrads want = cpu.attentionBackward(dOut, q, k, v, expected.output(), expected.logSumExp(), spec);
        Tensor qd = q.to(DEVICE), kd = k.to(DEVICE), vd = v.to(DEVICE);
        FusedResults.Attention actual = cl.attention(qd, kd, vd, spec);
        // the log-sum-exp as a view: a slice of a wider buffer
        Tensor wideLse = cl.allocate(DType.F32, 2, 4, 9, 3);
        cl.copy(actual.logSumExp(), wideLse.select(3, 1));
        FusedResults.AttentionGrads got = cl.attentionBackward(dOutRow.to(DEVICE).expand(2, 4, 9, 16), qd, kd, vd,
                actual.output(), wideLse.select(3, 1), spec);
        assertSameAsCpu(want.dq(), got.dq(), 1e-5, 1e-5);
        assertSameAsCpu(want.dk(), got.dk(), 1e-5, 1e-5);
        assertSameAsCpu(want.dv(), got.dv(), 1e-5, 1e-5);
    }

    @Test
    void badInputsFailClearly() {
        Tensor q = random(1, DType.F32, 1, 3, 4, 8).to(DEVICE), k = random(2, DType.F32, 1, 2, 4, 8).to(DEVICE);
        AttentionSpec spec = AttentionSpec.causal(8);
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class, () -> cl.attention(q, k, k, spec));
        assertTrue(heads.getMessage().contains("multiple of Hkv"), heads.getMessage());
        Tensor host = random(3, DType.F32, 1, 2, 4, 8);
        IllegalArgumentException device = assertThrows(IllegalArgumentException.class, () -> cl.attention(host, k, k, spec));
        assertTrue(device.getMessage().contains("is on cpu"), device.getMessage());
        Tensor ints = random(4, DType.I32, 1, 2, 4, 8).to(DEVICE);
        IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class, () -> cl.attention(ints, k, k, spec));
        assertTrue(dtype.getMessage().contains("I32"), dtype.getMessage());
        Tensor seg = Tensor.ofLongs(new long[]{0, 0, 1}, 1, 3);
        Tensor q2 = random(5, DType.F32, 1, 2, 4, 8).to(DEVICE);
        IllegalArgumentException segs = assertThrows(IllegalArgumentException.class,
                () -> cl.attention(q2, k, k, new AttentionSpec(0.3, true, seg, seg)));
        assertTrue(segs.getMessage().contains("querySegments"), segs.getMessage());
    }

    // ------------------------------------------------------------------ inputs

    /** Which query row {@link Mask#MASKED_ROW} hides from every key. */
    private static final int MASKED_ROW = 2;

    /** [B, H, len, D]; a transposed view of [B, len, H, D] when the case is strided (as q/k/v after the projections). */
    private static Tensor input(long seed, Case c, int heads, int len) {
        if (!c.strided()) return random(seed, c.dtype(), c.b(), heads, len, c.d());
        return random(seed, c.dtype(), c.b(), len, heads, c.d()).transpose(1, 2);
    }

    /** The same view on the device: the base moves, the transpose is redone there. */
    private static Tensor onDevice(Tensor x, Case c) {
        return c.strided() ? x.transpose(1, 2).to(DEVICE).transpose(1, 2) : x.to(DEVICE);
    }

    private static AttentionSpec spec(Case c) {
        double scale = 1.0 / Math.sqrt(c.d());
        if (c.mask() == Mask.NONE) return new AttentionSpec(scale, c.causal(), null, null);
        long[] ks = new long[c.b() * c.s()], qs = new long[c.b() * c.t()];
        for (int b = 0; b < c.b(); b++) {
            for (int j = 0; j < c.s(); j++) {
                ks[b * c.s() + j] = switch (c.mask()) {
                    case PACKED -> j < (c.s() / 3 + b) ? 0 : j < (2 * c.s() / 3 + b) ? 1 : 2;  // three samples, per-batch cuts
                    case LEFT_PAD -> j < (3 + 7 * b) % c.s() ? 0 : 1;                        // padding is a segment of its own
                    default -> 1;
                };
            }
            // queries are the last T positions of the keys
            for (int i = 0; i < c.t(); i++) qs[b * c.t() + i] = ks[b * c.s() + i + c.s() - c.t()];
            if (c.mask() == Mask.MASKED_ROW) qs[b * c.t() + MASKED_ROW] = 99;
        }
        // the decoder builds its segment ids on the host as I32; the kernels upload and widen them
        return new AttentionSpec(scale, c.causal(), Tensor.ofLongs(qs, c.b(), c.t()).to(DType.I32), Tensor.ofLongs(ks, c.b(), c.s()));
    }
}
