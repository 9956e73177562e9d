package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.PagedKv;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scaled-dot-product attention forward and backward against the reference composition on the CPU: prefill, decode and
 * prefix shapes, GQA, causal or not, sliding windows, soft-capping, segment masks (packing, left padding, a prompt shared
 * by the completions packed after it, with their padding segments), GPT-OSS's sinks, values of another head dim than q/k (DeepSeek's latent
 * attention), rows that see no key, transposed inputs, expanded gradients. Dims: B batch, Hq / Hkv heads, T queries,
 * S keys, D head dim of q and k, Dv of v and the output.
 */
public abstract class AttentionCases {
    /** Which query row {@link Mask#MASKED_ROW} hides from every key. */
    private static final int MASKED_ROW = 2;

    private final Target t;
    private final Backend dev, cpu;

    protected AttentionCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    enum Mask { NONE, PACKED, LEFT_PAD, MASKED_ROW, SHARED_PREFIX, PADDED_PREFIX }

    /** {@code dv}: the values' head dim; {@code sinks}: with per-head sink logits ({@link #sinks(int, DType)}). */
    record Case(String name, int b, int hq, int hkv, int t, int s, int d, boolean causal, Mask mask, DType dtype,
                boolean strided, int window, double softcap, int dv, boolean sinks) {
        Case(String name, int b, int hq, int hkv, int t, int s, int d, boolean causal, Mask mask, DType dtype,
             boolean strided, int window, double softcap) {
            this(name, b, hq, hkv, t, s, d, causal, mask, dtype, strided, window, softcap, d, false);
        }

        Case(String name, int b, int hq, int hkv, int t, int s, int d, boolean causal, Mask mask, DType dtype, boolean strided) {
            this(name, b, hq, hkv, t, s, d, causal, mask, dtype, strided, 0, 0);
        }

        /** This case named {@code n}, with values of head dim {@code valueDim} and sinks or not. */
        Case with(String n, int valueDim, boolean withSinks) {
            return new Case(n, b, hq, hkv, t, s, d, causal, mask, dtype, strided, window, softcap, valueDim, withSinks);
        }

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
                new Case("shared prefix, GQA 2, T=37", 2, 4, 2, 37, 37, 16, true, Mask.SHARED_PREFIX, DType.F32, true),
                new Case("shared prefix, T=130, D=64", 1, 2, 1, 130, 130, 64, true, Mask.SHARED_PREFIX, DType.F32, false),
                new Case("shared prefix with padding segments, GQA 2, T=70", 2, 4, 2, 70, 70, 16, true, Mask.PADDED_PREFIX, DType.F32, false),
                new Case("left padding, T=130", 2, 2, 1, 130, 130, 16, true, Mask.LEFT_PAD, DType.F32, true),
                new Case("a row that sees no key", 1, 2, 1, 5, 9, 8, false, Mask.MASKED_ROW, DType.F32, false),
                new Case("sliding window 8, GQA 2, T=37", 1, 4, 2, 37, 37, 16, true, Mask.NONE, DType.F32, false, 8, 0),
                new Case("sliding window 4, decode T=1 of S=40", 2, 2, 1, 1, 40, 16, true, Mask.NONE, DType.F32, false, 4, 0),
                new Case("sliding window 5, packed, prefix T=9 of S=37", 2, 2, 2, 9, 37, 8, true, Mask.PACKED, DType.F32, false, 5, 0),
                new Case("soft-cap 5 (Gemma 2), GQA 2", 1, 4, 2, 37, 37, 16, true, Mask.NONE, DType.F32, true, 0, 5),
                // windows shorter than the sequence over several key / query tiles (whole tiles skipped), with GQA and segments
                new Case("sliding window 7 < T=70, GQA 2, packed", 2, 4, 2, 70, 70, 16, true, Mask.PACKED, DType.F32, false, 7, 0),
                new Case("sliding window 40 < T=130, transposed", 1, 2, 1, 130, 130, 16, true, Mask.NONE, DType.F32, true, 40, 0),
                new Case("sliding window 3, GQA 2, left padding, prefix T=5 of S=37", 2, 4, 2, 5, 37, 8, true, Mask.LEFT_PAD, DType.F32, false, 3, 0),
                // soft-caps small enough to bend most scores (the backward's 1 - tanh² factor matters)
                new Case("soft-cap 1.5, non-causal, GQA 4, T=9 of S=13", 1, 4, 1, 9, 13, 16, false, Mask.NONE, DType.F32, false, 0, 1.5),
                new Case("soft-cap 2 and window 9, GQA 2, left padding, T=70", 2, 4, 2, 70, 70, 16, true, Mask.LEFT_PAD, DType.F32, true, 9, 2),
                new Case("soft-cap 1.5 and window 6, decode T=1 of S=40", 2, 4, 2, 1, 40, 32, true, Mask.NONE, DType.F32, false, 6, 1.5),
                new Case("bf16, GQA 2, packed, transposed", 1, 4, 2, 37, 37, 64, true, Mask.PACKED, DType.BF16, true),
                new Case("bf16, sliding window 6", 1, 2, 1, 21, 21, 16, true, Mask.NONE, DType.BF16, false, 6, 0),
                new Case("bf16, soft-cap 3 and window 10, GQA 2, packed, transposed", 1, 4, 2, 37, 37, 64, true, Mask.PACKED, DType.BF16, true, 10, 3),
                new Case("f16, soft-cap 2, GQA 2, left padding, T=21", 2, 4, 2, 21, 21, 32, true, Mask.LEFT_PAD, DType.F16, false, 0, 2),
                new Case("f16, sliding window 5, GQA 2, packed, T=37", 1, 4, 2, 37, 37, 16, true, Mask.PACKED, DType.F16, true, 5, 0),
                new Case("f16, non-causal", 1, 2, 1, 5, 9, 16, false, Mask.NONE, DType.F16, false),
                new Case("f16, GQA 2, left padding, T=37", 2, 4, 2, 37, 37, 32, true, Mask.LEFT_PAD, DType.F16, true),
                new Case("f64, GQA 4, D=24, left padding", 1, 4, 1, 37, 37, 24, true, Mask.LEFT_PAD, DType.F64, false),
                new Case("f64, soft-cap 1.5 and window 5, GQA 2", 1, 4, 2, 37, 37, 24, true, Mask.NONE, DType.F64, false, 5, 1.5),
                new Case("bf16, shared prefix", 2, 2, 1, 21, 21, 16, true, Mask.SHARED_PREFIX, DType.BF16, false),
                // DeepSeek's latent attention: values (and the output) of another head dim than q and k
                new Case("", 1, 4, 2, 37, 37, 24, true, Mask.NONE, DType.F32, false).with("Dv=8 < D=24, GQA 2, T=37", 8, false),
                new Case("", 1, 4, 1, 9, 13, 16, false, Mask.NONE, DType.F32, true).with("Dv=40 > D=16, non-causal, GQA 4, transposed", 40, false),
                new Case("", 2, 4, 2, 70, 70, 24, true, Mask.PACKED, DType.F32, false, 7, 0).with("Dv=16 < D=24, window 7 < T=70, packed", 16, false),
                new Case("", 2, 4, 2, 1, 40, 24, true, Mask.NONE, DType.F32, false, 6, 0).with("Dv=8 < D=24, window 6, decode T=1 of S=40", 8, false),
                new Case("", 1, 2, 1, 130, 130, 48, true, Mask.LEFT_PAD, DType.F32, true).with("Dv=32 < D=48, T=130, left padding", 32, false),
                new Case("", 1, 4, 2, 37, 37, 48, true, Mask.PACKED, DType.BF16, true).with("bf16, Dv=32 < D=48, packed, transposed", 32, false),
                new Case("", 1, 4, 2, 21, 21, 24, true, Mask.NONE, DType.F64, false, 5, 1.5).with("f64, Dv=16 < D=24, soft-cap 1.5, window 5", 16, false),
                // GPT-OSS's sinks on the device kernels (the backward reads the joined lse; the sinks' gradient is checked too)
                new Case("", 1, 4, 2, 37, 37, 16, true, Mask.NONE, DType.F32, true).with("sinks, GQA 2, T=37, transposed", 16, true),
                new Case("", 2, 4, 2, 70, 70, 16, true, Mask.PACKED, DType.F32, false, 7, 0).with("sinks, window 7 < T=70, packed", 16, true),
                new Case("", 2, 4, 2, 5, 37, 8, true, Mask.LEFT_PAD, DType.F32, false, 3, 0).with("sinks, window 3, left padding, prefix T=5 of S=37", 8, true),
                new Case("", 2, 4, 2, 1, 40, 64, true, Mask.NONE, DType.F32, false, 4, 0).with("sinks, window 4, decode T=1 of S=40", 64, true),
                new Case("", 1, 4, 2, 7, 3, 8, true, Mask.NONE, DType.F32, false).with("sinks, causal T=7 > S=3: rows that see no key", 8, true),
                new Case("", 1, 4, 1, 9, 13, 16, false, Mask.NONE, DType.F32, false, 0, 1.5).with("sinks, soft-cap 1.5, non-causal", 16, true),
                new Case("", 1, 4, 2, 37, 37, 64, true, Mask.PACKED, DType.BF16, true, 10, 0).with("sinks, bf16, window 10, packed, transposed", 64, true),
                new Case("", 1, 4, 2, 37, 37, 24, true, Mask.LEFT_PAD, DType.F64, false).with("sinks, f64, left padding", 24, true),
                new Case("", 2, 4, 2, 37, 37, 24, true, Mask.PACKED, DType.F32, false, 6, 0).with("sinks and Dv=8 < D=24, window 6, packed", 8, true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void forwardAndBackward(Case c) {
        Tensor q = input(1, c, c.hq(), c.t()), k = input(2, c, c.hkv(), c.s()), v = input(3, c, c.hkv(), c.s(), c.dv());
        Tensor dOut = random(4, c.dtype(), c.b(), c.hq(), c.t(), c.dv());
        Tensor sinks = c.sinks() ? sinks(c.hq(), c.dtype()) : null;
        AttentionSpec spec = spec(c).withSinks(sinks), onDev = spec(c).withSinks(sinks == null ? null : t.put(sinks)); // sinks held on the device

        FusedResults.Attention expected = FusedReference.attention(cpu, q, k, v, spec);
        FusedResults.AttentionGrads expectedGrads = FusedReference.attentionBackward(cpu, dOut, q, k, v, expected.output(), expected.logSumExp(), spec);

        Tensor qd = onDevice(q, c), kd = onDevice(k, c), vd = onDevice(v, c), dOutD = t.put(dOut);
        FusedResults.Attention actual = dev.attention(qd, kd, vd, onDev);
        FusedResults.AttentionGrads grads = dev.attentionBackward(dOutD, qd, kd, vd, actual.output(), actual.logSumExp(), onDev);
        if (c.sinks()) {
            Tensor want = FusedReference.attentionSinksBackward(cpu, dOut, expected.output(), expected.logSumExp(), sinks);
            t.same(c + " dsinks", want, FusedReference.attentionSinksBackward(dev, dOutD, actual.output(), actual.logSumExp(), t.put(sinks)),
                    Tolerance.gradient(c.dtype()));
        }

        t.same(c + " output", expected.output(), actual.output(), Tolerance.accumulated(c.dtype()));
        // the log-sum-exp is computed in f32 (f64) from the same rounded inputs
        t.same(c + " lse", expected.logSumExp(), actual.logSumExp(), Tolerance.accumulated(expected.logSumExp().dtype()));
        t.same(c + " dq", expectedGrads.dq(), grads.dq(), Tolerance.gradient(c.dtype()));
        t.same(c + " dk", expectedGrads.dk(), grads.dk(), Tolerance.gradient(c.dtype()));
        t.same(c + " dv", expectedGrads.dv(), grads.dv(), Tolerance.gradient(c.dtype()));
    }

    @Test
    void rowThatSeesNoKeyHasZeroOutputAndMinusInfinityLse() {
        Case c = new Case("masked", 1, 1, 1, 3, 4, 8, false, Mask.MASKED_ROW, DType.F32, false);
        FusedResults.Attention r = dev.attention(t.put(input(1, c, 1, 3)), t.put(input(2, c, 1, 4)), t.put(input(3, c, 1, 4)), spec(c));
        double[] out = r.output().toDoubleArray(), lse = r.logSumExp().toDoubleArray();
        assertEquals(Double.NEGATIVE_INFINITY, lse[MASKED_ROW]);
        for (int x = 0; x < c.d(); x++) assertEquals(0.0, out[MASKED_ROW * c.d() + x]);
        assertTrue(Double.isFinite(lse[0]));
    }

    @Test
    void segmentIdsOnTheDevice() {
        // I32 ids already on the device (the reference reads host I64 ids)
        Case c = new Case("device segments", 3, 2, 1, 9, 9, 16, true, Mask.PACKED, DType.F32, false);
        Tensor q = input(1, c, 2, 9), k = input(2, c, 1, 9), v = input(3, c, 1, 9);
        AttentionSpec host = spec(c);
        AttentionSpec onDevice = new AttentionSpec(host.scale(), true, t.put(host.querySegments()), t.put(host.keySegments().to(DType.I32)));
        FusedResults.Attention expected = FusedReference.attention(cpu, q, k, v, host);
        FusedResults.Attention actual = dev.attention(t.put(q), t.put(k), t.put(v), onDevice);
        t.same("device segments output", expected.output(), actual.output(), Tolerance.accumulated(DType.F32));
        t.same("device segments lse", expected.logSumExp(), actual.logSumExp(), Tolerance.accumulated(DType.F32));
    }

    @Test
    void expandedGradientAndStridedLse() {
        // autograd hands the backward an expanded gradient (stride 0) when the loss sums the output
        Case c = new Case("expanded dOut", 2, 4, 2, 9, 9, 16, true, Mask.NONE, DType.F32, false);
        Tensor q = input(1, c, 4, 9), k = input(2, c, 2, 9), v = input(3, c, 2, 9);
        Tensor dOutRow = random(4, DType.F32, 1, 1, 1, 16);
        AttentionSpec spec = spec(c);
        FusedResults.Attention expected = FusedReference.attention(cpu, q, k, v, spec);
        FusedResults.AttentionGrads want = FusedReference.attentionBackward(cpu, dOutRow.expand(2, 4, 9, 16), q, k, v,
                expected.output(), expected.logSumExp(), spec);
        Tensor qd = t.put(q), kd = t.put(k), vd = t.put(v);
        FusedResults.Attention actual = dev.attention(qd, kd, vd, spec);
        // the log-sum-exp as a view: a slice of a wider buffer
        Tensor wideLse = dev.allocate(DType.F32, 2, 4, 9, 3);
        dev.copy(actual.logSumExp(), wideLse.select(3, 1));
        FusedResults.AttentionGrads got = dev.attentionBackward(t.put(dOutRow).expand(2, 4, 9, 16), qd, kd, vd,
                actual.output(), wideLse.select(3, 1), spec);
        t.same("expanded dOut dq", want.dq(), got.dq(), Tolerance.accumulated(DType.F32));
        t.same("expanded dOut dk", want.dk(), got.dk(), Tolerance.accumulated(DType.F32));
        t.same("expanded dOut dv", want.dv(), got.dv(), Tolerance.accumulated(DType.F32));
    }

    /**
     * GPT-OSS's sinks (AttentionSpec#sinks, held on the device): output, lse, the q/k/v gradients and the sinks' own
     * (FusedReference#attentionSinksBackward on the device's results), with packed samples and a window.
     */
    @ParameterizedTest(name = "window={0}")
    @CsvSource({"0", "5"})
    void sinksOnTheDevice(int window) {
        Case c = new Case("sinks", 2, 4, 2, 9, 37, 16, true, Mask.PACKED, DType.F32, false, window, 0);
        Tensor q = input(1, c, 4, 9), k = input(2, c, 2, 37), v = input(3, c, 2, 37), dOut = random(4, DType.F32, 2, 4, 9, 16);
        Tensor sinks = SINKS.to(DType.F32);
        AttentionSpec host = spec(c).withSinks(sinks), device = spec(c).withSinks(t.put(sinks));
        FusedResults.Attention expected = FusedReference.attention(cpu, q, k, v, host);
        FusedResults.AttentionGrads want = FusedReference.attentionBackward(cpu, dOut, q, k, v, expected.output(), expected.logSumExp(), host);
        Tensor wantSinks = FusedReference.attentionSinksBackward(cpu, dOut, expected.output(), expected.logSumExp(), sinks);
        Tensor qd = t.put(q), kd = t.put(k), vd = t.put(v), dOutD = t.put(dOut);
        FusedResults.Attention actual = dev.attention(qd, kd, vd, device);
        FusedResults.AttentionGrads got = dev.attentionBackward(dOutD, qd, kd, vd, actual.output(), actual.logSumExp(), device);
        t.same("sinks output", expected.output(), actual.output(), Tolerance.accumulated(DType.F32));
        t.same("sinks lse", expected.logSumExp(), actual.logSumExp(), Tolerance.accumulated(DType.F32));
        t.same("sinks dq", want.dq(), got.dq(), Tolerance.gradient(DType.F32));
        t.same("sinks dk", want.dk(), got.dk(), Tolerance.gradient(DType.F32));
        t.same("sinks dv", want.dv(), got.dv(), Tolerance.gradient(DType.F32));
        t.same("dsinks", wantSinks, FusedReference.attentionSinksBackward(dev, dOutD, actual.output(), actual.logSumExp(), t.put(sinks)),
                Tolerance.gradient(DType.F32));
    }

    /** Per-head sink logits large enough to take a visible share of every softmax. */
    private static final Tensor SINKS = Tensor.of(new double[]{0.5, -1.0, 2.0, 3.5}, 4);

    /** {@link #SINKS}' values repeated over {@code hq} heads, in {@code dtype}. */
    private static Tensor sinks(int hq, DType dtype) {
        double[] base = SINKS.toDoubleArray(), s = new double[hq];
        for (int h = 0; h < hq; h++) s[h] = base[h % base.length];
        return Tensor.of(s, hq).to(dtype);
    }

    /**
     * Backend#pagedAttention (a default method: a backend without a kernel gathers each row's blocks and runs its own
     * attention; the GPU backends read decode rows in place) over ragged rows whose blocks are scattered and partly
     * shared in a pool on the device: decode (T = 1: plain, sliding window, soft-cap, GQA 4, rows longer than a tile of
     * the GPU kernel (a window then skips whole tiles), bf16 / f16 / f64 blocks) and prefill chunks (T = 3, 4: causal within the chunk after the row's earlier positions), against the reference on the CPU; with GPT-OSS's sinks (held on the device) as well.
     */
    @ParameterizedTest(name = "T={0} window={1} softcap={2} {3} Hq={4} spans tiles={5} sinks={6} Dv={7}")
    @CsvSource({"1, 0, 0, F32, 4, false, false, 16", "1, 5, 0, F32, 4, false, false, 16", "3, 0, 0, F32, 4, false, false, 16",
            "1, 6, 1.5, F32, 8, false, false, 16", "1, 0, 0, F32, 2, true, false, 16", "1, 20, 2, F32, 4, true, false, 16",
            "1, 0, 0, BF16, 4, true, false, 16", "1, 3, 2, F16, 8, false, false, 16", "1, 7, 1.5, F64, 4, false, false, 16",
            "3, 4, 2, F32, 4, false, false, 16", "4, 3, 0, F32, 4, false, false, 16", "4, 0, 1.5, F32, 4, false, false, 16",
            "1, 5, 0, F32, 4, false, true, 16", "3, 0, 0, F32, 4, false, true, 16", "1, 20, 0, F32, 4, true, true, 16",
            "1, 0, 0, F32, 4, false, false, 8", "1, 5, 0, F32, 8, true, true, 24", "3, 0, 0, F32, 4, false, false, 8"})
    void pagedAttentionOverScatteredBlocks(int queries, int window, double softcap, DType dtype, int hq, boolean spansTiles,
                                          boolean withSinks, int dv) {
        int hkv = 2, d = 16, bs = spansTiles ? 32 : 4, blocks = 12;
        int[][] tables = {{7, 2, 9}, {3}, {7, 0, 11, 5, 1}};  // row 2 shares row 0's first block
        int[] lengths = spansTiles ? new int[]{90, 9, 150} : new int[]{10, 4, 17};  // 150: past one 128-key tile
        Tensor keys = random(11, dtype, blocks, hkv, bs, d), values = random(12, dtype, blocks, hkv, bs, dv);
        // block 1 holds row 2's keys past the first 128: larger ones raise the running max there (the output rescales)
        if (spansTiles) cpu.copy(cpu.binaryScalar(BinaryOp.MUL, keys.narrow(0, 1, 1), 4), keys.narrow(0, 1, 1));
        Tensor q = random(13, dtype, tables.length, hq, queries, d);
        AttentionSpec spec = new AttentionSpec(1 / Math.sqrt(d), true, null, null, window, softcap);
        Tensor sinks = sinks(hq, dtype);
        Tensor expected = FusedReference.pagedAttention(cpu, q, new PagedKv(keys, values, tables, lengths), withSinks ? spec.withSinks(sinks) : spec);
        Tensor actual = dev.pagedAttention(t.put(q), new PagedKv(t.put(keys), t.put(values), tables, lengths),
                withSinks ? spec.withSinks(t.put(sinks)) : spec);
        t.same("paged attention T=" + queries + " window=" + window + " softcap=" + softcap + " " + dtype + " Hq=" + hq + " sinks=" + withSinks + " Dv=" + dv,
                expected, actual, Tolerance.accumulated(dtype));
    }

    @Test
    void badInputsFailClearly() {
        Tensor q = t.put(random(1, DType.F32, 1, 3, 4, 8)), k = t.put(random(2, DType.F32, 1, 2, 4, 8));
        AttentionSpec spec = AttentionSpec.causal(8);
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class, () -> dev.attention(q, k, k, spec));
        assertTrue(heads.getMessage().contains("multiple of Hkv"), heads.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dev.attention(q, k, t.put(random(3, DType.F32, 1, 2, 5, 8)), spec));
    }

    @Test
    void segmentIdsOfOneRowAreSharedByTheBatch() {
        // ids [1, len] apply to every sample (AttentionRules), as the same ids repeated [B, len] do
        Case c = new Case("shared segments", 3, 2, 1, 9, 9, 16, true, Mask.PACKED, DType.F32, false);
        Tensor q = input(1, c, 2, 9), k = input(2, c, 1, 9), v = input(3, c, 1, 9), dOut = random(4, DType.F32, 3, 2, 9, 16);
        long[] ids = {0, 0, 0, 1, 1, 2, 2, 2, 2}, repeated = new long[3 * 9];
        for (int b = 0; b < 3; b++) System.arraycopy(ids, 0, repeated, b * 9, 9);
        Tensor one = Tensor.ofLongs(ids, 1, 9), all = Tensor.ofLongs(repeated, 3, 9);
        AttentionSpec shared = new AttentionSpec(0.25, true, one, one), each = new AttentionSpec(0.25, true, all, all);
        FusedResults.Attention expected = FusedReference.attention(cpu, q, k, v, each);
        FusedResults.AttentionGrads want = FusedReference.attentionBackward(cpu, dOut, q, k, v, expected.output(), expected.logSumExp(), each);
        Tensor qd = t.put(q), kd = t.put(k), vd = t.put(v);
        FusedResults.Attention actual = dev.attention(qd, kd, vd, shared);
        FusedResults.AttentionGrads got = dev.attentionBackward(t.put(dOut), qd, kd, vd, actual.output(), actual.logSumExp(), shared);
        t.same("shared segments output", expected.output(), actual.output(), Tolerance.accumulated(DType.F32));
        t.same("shared segments lse", expected.logSumExp(), actual.logSumExp(), Tolerance.accumulated(DType.F32));
        t.same("shared segments dq", want.dq(), got.dq(), Tolerance.gradient(DType.F32));
        t.same("shared segments dk", want.dk(), got.dk(), Tolerance.gradient(DType.F32));
        t.same("shared segments dv", want.dv(), got.dv(), Tolerance.gradient(DType.F32));
    }

    @Test
    void segmentIdsOfTheWrongShapeFailClearly() {
        Tensor q = t.put(random(5, DType.F32, 1, 2, 4, 8)), k = t.put(random(2, DType.F32, 1, 2, 4, 8));
        Tensor seg = Tensor.ofLongs(new long[]{0, 0, 1}, 1, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.attention(q, k, k, new AttentionSpec(0.3, true, seg, seg)));
        assertTrue(e.getMessage().contains("querySegments") && e.getMessage().contains("[1, 3]"), e.getMessage());
    }

    // ------------------------------------------------------------------ inputs

    /** [B, H, len, D]; a transposed view of [B, len, H, D] when the case is strided (as q/k/v after the projections). */
    private static Tensor input(long seed, Case c, int heads, int len) {
        return input(seed, c, heads, len, c.d());
    }

    /** {@link #input(long, Case, int, int)} of head dim {@code d}. */
    private static Tensor input(long seed, Case c, int heads, int len, int d) {
        if (!c.strided()) return random(seed, c.dtype(), c.b(), heads, len, d);
        return random(seed, c.dtype(), c.b(), len, heads, d).transpose(1, 2);
    }

    /** The same view on the device: the base moves, the transpose is redone there. */
    private Tensor onDevice(Tensor x, Case c) {
        return c.strided() ? t.put(x.transpose(1, 2)).transpose(1, 2) : t.put(x);
    }

    private static AttentionSpec spec(Case c) {
        double scale = 1.0 / Math.sqrt(c.d());
        if (c.mask() == Mask.NONE) return new AttentionSpec(scale, c.causal(), null, null, c.window(), c.softcap());
        long[] ks = new long[c.b() * c.s()], qs = new long[c.b() * c.t()];
        for (int b = 0; b < c.b(); b++) {
            for (int j = 0; j < c.s(); j++) {
                ks[b * c.s() + j] = switch (c.mask()) {
                    case PACKED -> j < (c.s() / 3 + b) ? 0 : j < (2 * c.s() / 3 + b) ? 1 : 2;  // three samples, per-batch cuts
                    case LEFT_PAD -> j < (3 + 7 * b) % c.s() ? 0 : 1;                        // padding is a segment of its own
                    // prompt (0), two completions that see it (1, 2), right padding (3)
                    case SHARED_PREFIX -> j < c.s() / 2 - b ? 0 : j < 3 * c.s() / 4 ? 1 : j < c.s() - 2 ? 2 : 3;
                    // the same with each completion's padding after both (-1 - 1, -1 - 2): seen by no query, attending as its completion
                    case PADDED_PREFIX -> j < c.s() / 2 - b ? 0 : j < 5 * c.s() / 8 ? 1 : j < 3 * c.s() / 4 ? 2 : j < 7 * c.s() / 8 ? -2 : -3;
                    default -> 1;
                };
            }
            // queries are the last T positions of the keys
            for (int i = 0; i < c.t(); i++) qs[b * c.t() + i] = ks[b * c.s() + i + c.s() - c.t()];
            if (c.mask() == Mask.MASKED_ROW) qs[b * c.t() + MASKED_ROW] = 99;
        }
        // the decoder builds its segment ids on the host as I32; device kernels upload and widen them
        return new AttentionSpec(scale, c.causal(), Tensor.ofLongs(qs, c.b(), c.t()).to(DType.I32), Tensor.ofLongs(ks, c.b(), c.s()),
                c.window(), c.softcap(), c.mask() == Mask.SHARED_PREFIX || c.mask() == Mask.PADDED_PREFIX);
    }
}
