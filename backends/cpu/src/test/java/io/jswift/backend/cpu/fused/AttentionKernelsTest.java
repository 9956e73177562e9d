package io.jswift.backend.cpu.fused;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.testing.NaiveFused;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The f32 attention kernels against the float64 loops of NaiveFused at sizes around the kernels' block
 * edges (query and key blocks are multiples of 16): every pair of T, S in {1, 15, 16, 17, 63, 64, 65, 130},
 * with head dims 8, 64, 80 and GQA groups 1, 2, 7 rotating through the pairs, under causal (offset S - T,
 * so T > S leaves rows that see no key), bidirectional and packed-segment masks.
 */
class AttentionKernelsTest {
    private static final double FWD_TOL = 2e-5, BWD_TOL = 1e-4;
    private static final int[] SIZES = {1, 15, 16, 17, 63, 64, 65, 130};
    private static final int[] DIMS = {8, 64, 80};
    private static final int[] GROUPS = {1, 2, 7};

    enum Masking { CAUSAL, FULL, SEGMENTS, CAUSAL_SEGMENTS }

    static Stream<Arguments> blockBoundaries() {
        List<Arguments> cases = new ArrayList<>();
        int n = 0;
        for (int t : SIZES) {
            for (int s : SIZES) {
                int d = DIMS[n % 3], group = GROUPS[(n / 3) % 3];
                Masking m = n % 5 == 4 ? Masking.FULL : n % 7 == 3 ? Masking.SEGMENTS : n % 7 == 5 ? Masking.CAUSAL_SEGMENTS : Masking.CAUSAL;
                int b = m == Masking.SEGMENTS || m == Masking.CAUSAL_SEGMENTS || n % 11 == 0 ? 2 : 1;
                int hkv = n % 2 == 0 ? 2 : 1;
                cases.add(Arguments.of(b, group * hkv, hkv, t, s, d, m, n % 3 == 1));
                n++;
            }
        }
        for (int d : DIMS) for (int group : GROUPS) cases.add(Arguments.of(1, 2 * group, 2, 65, 65, d, Masking.CAUSAL, false));
        return cases.stream();
    }

    @ParameterizedTest(name = "B={0} Hq={1} Hkv={2} T={3} S={4} D={5} {6} strided={7}")
    @MethodSource("blockBoundaries")
    void forwardAndBackwardMatchTheFloat64Oracle(int b, int hq, int hkv, int t, int s, int d, Masking masking, boolean strided) {
        Tensor q = input(1, strided, b, hq, t, d), k = input(2, strided, b, hkv, s, d), v = input(3, strided, b, hkv, s, d);
        Tensor dOut = input(4, strided, b, hq, t, d);
        long[] qSeg = null, kSeg = null;
        if (masking == Masking.SEGMENTS || masking == Masking.CAUSAL_SEGMENTS) {
            qSeg = segments(b, t, s - t);
            kSeg = segments(b, s, 0);
        }
        boolean causal = masking == Masking.CAUSAL || masking == Masking.CAUSAL_SEGMENTS;
        double scale = 1 / Math.sqrt(d);
        AttentionSpec spec = new AttentionSpec(scale, causal, qSeg == null ? null : Tensor.ofLongs(qSeg, b, t),
                kSeg == null ? null : Tensor.ofLongs(kSeg, b, s));
        NaiveFused.AttentionShape shape = new NaiveFused.AttentionShape(b, hq, hkv, t, s, d);
        NaiveFused.AttentionMask mask = new NaiveFused.AttentionMask(scale, causal, qSeg, kSeg);
        double[] qs = q.toDoubleArray(), ks = k.toDoubleArray(), vs = v.toDoubleArray();

        FusedResults.Attention got = FusedTesting.KERNELS.attention(q, k, v, spec);
        NaiveFused.Attention want = NaiveFused.attention(qs, ks, vs, shape, mask);
        assertClose(want.out(), got.output(), FWD_TOL, FWD_TOL, "attention out");
        assertClose(want.lse(), got.logSumExp(), FWD_TOL, FWD_TOL, "attention lse");

        FusedResults.AttentionGrads g = FusedTesting.KERNELS.attentionBackward(dOut, q, k, v, got.output(), got.logSumExp(), spec);
        NaiveFused.AttentionGrads gw = NaiveFused.attentionBackward(dOut.toDoubleArray(), qs, ks, vs, shape, mask);
        assertClose(gw.dq(), g.dq(), BWD_TOL, BWD_TOL, "dq");
        assertClose(gw.dk(), g.dk(), BWD_TOL, BWD_TOL, "dk");
        assertClose(gw.dv(), g.dv(), BWD_TOL, BWD_TOL, "dv");
    }

    static Stream<Arguments> slidingWindows() {
        List<Arguments> cases = new ArrayList<>();
        int n = 0;
        for (int[] ts : new int[][]{{1, 1}, {1, 130}, {17, 17}, {16, 65}, {65, 65}, {130, 130}, {64, 200}}) {
            for (int window : new int[]{1, 5, 16, 63, 64, 100, 300}) {
                cases.add(Arguments.of(ts[0], ts[1], window, n % 3 == 2, n % 2 == 1));
                n++;
            }
        }
        return cases.stream();
    }

    /** Mistral-style sliding windows (a key at most W - 1 positions back), whole-tile skips and per-key masks, with segments. */
    @ParameterizedTest(name = "T={0} S={1} W={2} segments={3} strided={4}")
    @MethodSource("slidingWindows")
    void slidingWindowMatchesTheFloat64Oracle(int t, int s, int window, boolean segmented, boolean strided) {
        int b = segmented ? 2 : 1, hq = 4, hkv = 2, d = 24;
        Tensor q = input(31, strided, b, hq, t, d), k = input(32, strided, b, hkv, s, d), v = input(33, strided, b, hkv, s, d);
        Tensor dOut = input(34, strided, b, hq, t, d);
        long[] qSeg = segmented ? segments(b, t, s - t) : null, kSeg = segmented ? segments(b, s, 0) : null;
        double scale = 1 / Math.sqrt(d);
        AttentionSpec spec = new AttentionSpec(scale, true, segmented ? Tensor.ofLongs(qSeg, b, t) : null,
                segmented ? Tensor.ofLongs(kSeg, b, s) : null, window);
        NaiveFused.AttentionShape shape = new NaiveFused.AttentionShape(b, hq, hkv, t, s, d);
        NaiveFused.AttentionMask mask = new NaiveFused.AttentionMask(scale, true, qSeg, kSeg, window);
        double[] qs = q.toDoubleArray(), ks = k.toDoubleArray(), vs = v.toDoubleArray();

        FusedResults.Attention got = FusedTesting.KERNELS.attention(q, k, v, spec);
        NaiveFused.Attention want = NaiveFused.attention(qs, ks, vs, shape, mask);
        assertClose(want.out(), got.output(), FWD_TOL, FWD_TOL, "attention out");
        assertClose(want.lse(), got.logSumExp(), FWD_TOL, FWD_TOL, "attention lse");

        FusedResults.AttentionGrads g = FusedTesting.KERNELS.attentionBackward(dOut, q, k, v, got.output(), got.logSumExp(), spec);
        NaiveFused.AttentionGrads gw = NaiveFused.attentionBackward(dOut.toDoubleArray(), qs, ks, vs, shape, mask);
        assertClose(gw.dq(), g.dq(), BWD_TOL, BWD_TOL, "dq");
        assertClose(gw.dk(), g.dk(), BWD_TOL, BWD_TOL, "dk");
        assertClose(gw.dv(), g.dv(), BWD_TOL, BWD_TOL, "dv");
        // the reference composition (the fallback of backends without the kernel) agrees too
        FusedResults.Attention ref = FusedReference.attention(FusedTesting.KERNELS, q, k, v, spec);
        assertClose(want.out(), ref.output(), FWD_TOL, FWD_TOL, "reference out");
    }

    /** Gemma 2's soft-capped scores: the CPU backend routes them to the reference composition, which equals the oracle. */
    @ParameterizedTest(name = "T={0} S={1} W={2}")
    @CsvSource({"1, 9, 0", "7, 7, 0", "5, 70, 4", "65, 65, 16"})
    void softCappedScoresMatchTheFloat64Oracle(int t, int s, int window) {
        int b = 1, hq = 4, hkv = 2, d = 16;
        Tensor q = input(41, true, b, hq, t, d), k = input(42, false, b, hkv, s, d), v = input(43, false, b, hkv, s, d);
        Tensor dOut = input(44, false, b, hq, t, d);
        AttentionSpec spec = new AttentionSpec(0.5, true, null, null, window, 1.5);
        NaiveFused.AttentionShape shape = new NaiveFused.AttentionShape(b, hq, hkv, t, s, d);
        NaiveFused.AttentionMask mask = new NaiveFused.AttentionMask(0.5, true, null, null, window, 1.5);
        FusedResults.Attention got = FusedTesting.KERNELS.attention(q, k, v, spec);
        NaiveFused.Attention want = NaiveFused.attention(q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), shape, mask);
        assertClose(want.out(), got.output(), FWD_TOL, FWD_TOL, "soft-capped out");
        FusedResults.AttentionGrads g = FusedTesting.KERNELS.attentionBackward(dOut, q, k, v, got.output(), got.logSumExp(), spec);
        NaiveFused.AttentionGrads gw = NaiveFused.attentionBackward(dOut.toDoubleArray(), q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), shape, mask);
        assertClose(gw.dq(), g.dq(), BWD_TOL, BWD_TOL, "soft-capped dq");
        assertClose(gw.dk(), g.dk(), BWD_TOL, BWD_TOL, "soft-capped dk");
        assertClose(gw.dv(), g.dv(), BWD_TOL, BWD_TOL, "soft-capped dv");
        assertThrows(IllegalArgumentException.class, () -> AttentionKernels.forward(q, k, v, spec), "the kernel refuses what it cannot do");
    }

    /**
     * GPT-OSS's sinks (one learned logit per head in every row's softmax) on the tiled and decode kernels: output, lse and
     * the q/k/v gradients against the float64 oracle, the sinks' gradient (FusedReference.attentionSinksBackward on the
     * kernel's results) too; with windows shorter than the keys, packed segments, and T > S rows that see no key.
     */
    @ParameterizedTest(name = "T={0} S={1} W={2} segments={3}")
    @CsvSource({"1, 9, 0, false", "1, 70, 5, false", "7, 7, 0, false", "17, 40, 16, true", "65, 65, 3, false", "20, 12, 0, false", "130, 130, 0, true"})
    void sinksMatchTheFloat64Oracle(int t, int s, int window, boolean segmented) {
        int b = segmented ? 2 : 1, hq = 4, hkv = 2, d = 16;
        Tensor q = input(51, true, b, hq, t, d), k = input(52, false, b, hkv, s, d), v = input(53, false, b, hkv, s, d);
        Tensor dOut = input(54, false, b, hq, t, d);
        double[] sinks = {0.5, -1.0, 2.0, 3.5}; // large enough to take a visible share of each row
        long[] qSeg = segmented ? segments(b, t, s - t) : null, kSeg = segmented ? segments(b, s, 0) : null;
        AttentionSpec spec = new AttentionSpec(0.25, true, segmented ? Tensor.ofLongs(qSeg, b, t) : null,
                segmented ? Tensor.ofLongs(kSeg, b, s) : null, window, 0, Tensor.of(sinks, hq).to(DType.F32));
        NaiveFused.AttentionShape shape = new NaiveFused.AttentionShape(b, hq, hkv, t, s, d);
        NaiveFused.AttentionMask mask = new NaiveFused.AttentionMask(0.25, true, qSeg, kSeg, window, 0, sinks);
        double[] qs = q.toDoubleArray(), ks = k.toDoubleArray(), vs = v.toDoubleArray();
        FusedResults.Attention got = AttentionKernels.forward(q, k, v, spec);
        NaiveFused.Attention want = NaiveFused.attention(qs, ks, vs, shape, mask);
        assertClose(want.out(), got.output(), FWD_TOL, FWD_TOL, "sinks out");
        assertClose(want.lse(), got.logSumExp(), FWD_TOL, FWD_TOL, "sinks lse");
        FusedResults.AttentionGrads g = AttentionKernels.backward(dOut, q, k, v, got.output(), got.logSumExp(), spec);
        NaiveFused.AttentionGrads gw = NaiveFused.attentionBackward(dOut.toDoubleArray(), qs, ks, vs, shape, mask);
        assertClose(gw.dq(), g.dq(), BWD_TOL, BWD_TOL, "sinks dq");
        assertClose(gw.dk(), g.dk(), BWD_TOL, BWD_TOL, "sinks dk");
        assertClose(gw.dv(), g.dv(), BWD_TOL, BWD_TOL, "sinks dv");
        Tensor dSinks = FusedReference.attentionSinksBackward(FusedTesting.KERNELS, dOut, got.output(), got.logSumExp(), spec.sinks());
        assertClose(NaiveFused.attentionSinksBackward(dOut.toDoubleArray(), qs, ks, vs, shape, mask), dSinks, BWD_TOL, BWD_TOL, "dsinks");
        FusedResults.Attention ref = FusedReference.attention(FusedTesting.KERNELS, q, k, v, spec);
        assertClose(want.out(), ref.output(), FWD_TOL, FWD_TOL, "reference out");
        assertClose(want.lse(), ref.logSumExp(), FWD_TOL, FWD_TOL, "reference lse");
    }

    /**
     * DeepSeek's latent attention: values (and the output) of head dim Dv other than the queries' and keys' D (128 vs 192
     * there), on the tiled kernel (forward, backward with slices), the decode kernel (T = 1) and the reference, with GQA,
     * causal or not, sliding windows, packed segments and sinks, against the float64 oracle.
     */
    @ParameterizedTest(name = "T={0} S={1} D={2} Dv={3} causal={4} W={5} segments={6} sinks={7}")
    @CsvSource({"7, 7, 12, 8, true, 0, false, false", "1, 40, 24, 16, true, 0, false, false", "1, 70, 10, 18, true, 5, false, true",
            "65, 65, 24, 16, true, 0, false, false", "17, 40, 8, 20, true, 16, true, false", "20, 12, 16, 8, false, 0, false, false",
            "130, 130, 40, 24, true, 33, false, true", "66, 70, 9, 31, false, 0, true, true"})
    void valueHeadDimOtherThanQueryKeyMatchesTheFloat64Oracle(int t, int s, int d, int dv, boolean causal, int window, boolean segmented,
                                                                boolean withSinks) {
        int b = segmented ? 2 : 1, hq = 6, hkv = 2;
        Tensor q = input(61, true, b, hq, t, d), k = input(62, true, b, hkv, s, d), v = input(63, true, b, hkv, s, dv);
        Tensor dOut = input(64, false, b, hq, t, dv);
        double[] sinks = withSinks ? new double[]{0.5, -1.0, 2.0, 3.5, 0, 1} : null;
        long[] qSeg = segmented ? segments(b, t, s - t) : null, kSeg = segmented ? segments(b, s, 0) : null;
        double scale = 1 / Math.sqrt(d);
        AttentionSpec spec = new AttentionSpec(scale, causal, segmented ? Tensor.ofLongs(qSeg, b, t) : null,
                segmented ? Tensor.ofLongs(kSeg, b, s) : null, window, 0, withSinks ? Tensor.of(sinks, hq).to(DType.F32) : null);
        NaiveFused.AttentionShape shape = new NaiveFused.AttentionShape(b, hq, hkv, t, s, d, dv);
        NaiveFused.AttentionMask mask = new NaiveFused.AttentionMask(scale, causal, qSeg, kSeg, window, 0, sinks);
        double[] qs = q.toDoubleArray(), ks = k.toDoubleArray(), vs = v.toDoubleArray();

        FusedResults.Attention got = AttentionKernels.forward(q, k, v, spec);
        assertArrayEquals(new int[]{b, hq, t, dv}, got.output().shape());
        NaiveFused.Attention want = NaiveFused.attention(qs, ks, vs, shape, mask);
        assertClose(want.out(), got.output(), FWD_TOL, FWD_TOL, "out");
        assertClose(want.lse(), got.logSumExp(), FWD_TOL, FWD_TOL, "lse");
        NaiveFused.AttentionGrads gw = NaiveFused.attentionBackward(dOut.toDoubleArray(), qs, ks, vs, shape, mask);
        for (int slices : new int[]{1, 3}) {
            FusedResults.AttentionGrads g = AttentionKernels.backward(dOut, q, k, v, got.output(), got.logSumExp(), spec, slices);
            assertClose(gw.dq(), g.dq(), BWD_TOL, BWD_TOL, "dq, slices " + slices);
            assertClose(gw.dk(), g.dk(), BWD_TOL, BWD_TOL, "dk, slices " + slices);
            assertClose(gw.dv(), g.dv(), BWD_TOL, BWD_TOL, "dv, slices " + slices);
        }
        FusedResults.Attention ref = FusedReference.attention(FusedTesting.KERNELS, q, k, v, spec);
        assertClose(want.out(), ref.output(), FWD_TOL, FWD_TOL, "reference out");
        FusedResults.AttentionGrads rg = FusedReference.attentionBackward(FusedTesting.KERNELS, dOut, q, k, v, ref.output(), ref.logSumExp(), spec);
        assertClose(gw.dq(), rg.dq(), BWD_TOL, BWD_TOL, "reference dq");
        assertClose(gw.dv(), rg.dv(), BWD_TOL, BWD_TOL, "reference dv");
    }

    /** Position p (shifted by {@code shift}, the causal offset for queries) of sample b: segments of 3, 20, then the rest. */
    private static long[] segments(int b, int n, int shift) {
        long[] ids = new long[b * n];
        for (int bi = 0; bi < b; bi++) {
            for (int i = 0; i < n; i++) {
                int p = i + shift + bi * 5; // the second sample has its boundaries elsewhere
                ids[bi * n + i] = p < 3 ? 0 : p < 23 ? 1 : 2;
            }
        }
        return ids;
    }

    /** A [B, H, N, D] tensor; strided: the [B, N, H, D] projection layout viewed as [B, H, N, D], as models pass it. */
    private static Tensor input(long seed, boolean strided, int b, int h, int n, int d) {
        return strided ? random(seed, b, n, h, d).transpose(1, 2) : random(seed, b, h, n, d);
    }

    @ParameterizedTest(name = "slices={0} causal={1}")
    @CsvSource({"1, true", "2, true", "3, true", "7, true", "3, false"})
    void backwardSplitOverQueryBlocksMatchesTheOracle(int slices, boolean causal) {
        // with fewer (batch, kv head) pairs than cores, query blocks are dealt to slices whose dK/dV partials are
        // summed; forced here so machines of any core count run it
        int b = 1, hq = 6, hkv = 2, t = 200, s = 230, d = 24;
        Tensor q = input(21, true, b, hq, t, d), k = input(22, false, b, hkv, s, d), v = input(23, false, b, hkv, s, d);
        Tensor dOut = input(24, false, b, hq, t, d);
        AttentionSpec spec = new AttentionSpec(1 / Math.sqrt(d), causal, null, null);
        FusedResults.Attention fwd = AttentionKernels.forward(q, k, v, spec);
        FusedResults.AttentionGrads g = AttentionKernels.backward(dOut, q, k, v, fwd.output(), fwd.logSumExp(), spec, slices);
        NaiveFused.AttentionGrads want = NaiveFused.attentionBackward(dOut.toDoubleArray(), q.toDoubleArray(), k.toDoubleArray(),
                v.toDoubleArray(), new NaiveFused.AttentionShape(b, hq, hkv, t, s, d), new NaiveFused.AttentionMask(1 / Math.sqrt(d), causal, null, null));
        assertClose(want.dq(), g.dq(), BWD_TOL, BWD_TOL, "dq");
        assertClose(want.dk(), g.dk(), BWD_TOL, BWD_TOL, "dk");
        assertClose(want.dv(), g.dv(), BWD_TOL, BWD_TOL, "dv");
    }

    @Test
    void keysAndValuesViewedFromALargerCacheGiveTheSameResult() {
        // decoding reads the first S positions of [B, Hkv, capacity, D] cache buffers in place
        int b = 2, hq = 4, hkv = 2, t = 1, s = 37, cap = 50, d = 64;
        Tensor q = random(1, b, hq, t, d);
        Tensor kCache = random(2, b, hkv, cap, d), vCache = random(3, b, hkv, cap, d);
        Tensor k = kCache.narrow(2, 0, s), v = vCache.narrow(2, 0, s);
        AttentionSpec spec = new AttentionSpec(1 / Math.sqrt(d), true, null, null);
        FusedResults.Attention viewed = FusedTesting.KERNELS.attention(q, k, v, spec);
        FusedResults.Attention copied = FusedTesting.KERNELS.attention(q, k.contiguous(), v.contiguous(), spec);
        assertArrayEquals(copied.output().toFloatArray(), viewed.output().toFloatArray());
        assertArrayEquals(copied.logSumExp().toFloatArray(), viewed.logSumExp().toFloatArray());
    }

    @Test
    void largeScoresStayFinite() {
        // scores of ±80: the online softmax must rescale the running sum instead of overflowing exp
        int t = 40, s = 70, d = 16;
        Tensor q = random(5, 1, 2, t, d), k = random(6, 1, 1, s, d), v = random(7, 1, 1, s, d), dOut = random(8, 1, 2, t, d);
        AttentionSpec spec = new AttentionSpec(20.0, true, null, null);
        NaiveFused.AttentionShape shape = new NaiveFused.AttentionShape(1, 2, 1, t, s, d);
        NaiveFused.AttentionMask mask = new NaiveFused.AttentionMask(20.0, true, null, null);
        FusedResults.Attention got = FusedTesting.KERNELS.attention(q, k, v, spec);
        NaiveFused.Attention want = NaiveFused.attention(q.toDoubleArray(), k.toDoubleArray(), v.toDoubleArray(), shape, mask);
        assertClose(want.out(), got.output(), 1e-4, 1e-4, "out");
        assertClose(want.lse(), got.logSumExp(), 1e-4, 1e-5, "lse");
        FusedResults.AttentionGrads g = FusedTesting.KERNELS.attentionBackward(dOut, q, k, v, got.output(), got.logSumExp(), spec);
        NaiveFused.AttentionGrads gw = NaiveFused.attentionBackward(dOut.toDoubleArray(), q.toDoubleArray(), k.toDoubleArray(),
                v.toDoubleArray(), shape, mask);
        assertClose(gw.dq(), g.dq(), 2e-3, 2e-3, "dq");
        assertClose(gw.dk(), g.dk(), 2e-3, 2e-3, "dk");
        assertClose(gw.dv(), g.dv(), 1e-4, 1e-4, "dv");
    }

    @Test
    void rowsBeforeTheFirstKeyOutputZeroAndGetNoGradient() {
        // causal with T > S: queries 0..T-S-1 precede every key (offset S - T < 0)
        int t = 37, s = 20, d = 8;
        Tensor q = random(9, 1, 3, t, d), k = random(10, 1, 3, s, d), v = random(11, 1, 3, s, d), dOut = random(12, 1, 3, t, d);
        AttentionSpec spec = new AttentionSpec(0.3, true, null, null);
        FusedResults.Attention got = FusedTesting.KERNELS.attention(q, k, v, spec);
        FusedResults.AttentionGrads g = FusedTesting.KERNELS.attentionBackward(dOut, q, k, v, got.output(), got.logSumExp(), spec);
        for (int h = 0; h < 3; h++) {
            for (int i = 0; i < t; i++) {
                boolean none = i < t - s;
                assertEquals(none, got.logSumExp().getDouble(0, h, i) == Double.NEGATIVE_INFINITY, "lse row " + i);
                for (int x = 0; x < d && none; x++) {
                    assertEquals(0.0, got.output().getDouble(0, h, i, x), "out row " + i);
                    assertEquals(0.0, g.dq().getDouble(0, h, i, x), "dq row " + i);
                }
            }
        }
    }

    @Test
    void mismatchedShapesAreRejectedWithBothShapes() {
        Tensor q = random(1, 1, 3, 4, 8), k = random(2, 1, 2, 4, 8), v = random(3, 1, 2, 4, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FusedTesting.KERNELS.attention(q, k, v, AttentionSpec.causal(8)));
        assertTrue(e.getMessage().contains("[1, 3, 4, 8]") && e.getMessage().contains("[1, 2, 4, 8]"), e.getMessage());
    }
}
