package io.jswift.autograd;

import io.jswift.autograd.ops.Dropout;
import io.jswift.autograd.ops.Elementwise;
import io.jswift.autograd.ops.Fused;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Losses;
import io.jswift.autograd.ops.Reductions;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.UnaryOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every differentiable op: analytic gradient vs float64 central differences. */
class GradCheckTest {
    private static final double EPS = 1e-6, ATOL = 1e-7, RTOL = 1e-5;

    static Tensor rand(long seed, int... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (int d : shape) n *= d;
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return Tensor.of(v, shape);
    }

    /** Values bounded away from 0 (for log, sqrt, division, abs kinks). */
    static Tensor positive(long seed, int... shape) {
        Tensor t = rand(seed, shape);
        double[] v = t.toDoubleArray();
        for (int i = 0; i < v.length; i++) v[i] = 0.5 + Math.abs(v[i]);
        return Tensor.of(v, shape);
    }

    static void assertGrad(GradCheck.Fn fn, Tensor... inputs) {
        GradCheck.Report r = GradCheck.check(fn, inputs, EPS, ATOL, RTOL, 7);
        assertTrue(r.passed(), r.detail());
    }

    @ParameterizedTest
    @EnumSource(value = UnaryOp.class, names = {"SIGN"}, mode = EnumSource.Mode.EXCLUDE)
    void unary(UnaryOp op) {
        boolean needsPositive = switch (op) {
            case LOG, SQRT, RSQRT, RECIPROCAL, ABS, RELU -> true;
            default -> false;
        };
        Tensor x = needsPositive ? positive(1, 3, 5) : rand(1, 3, 5);
        if (op == UnaryOp.ABS || op == UnaryOp.RELU) { // test both sides of the kink, away from it
            double[] v = x.toDoubleArray();
            for (int i = 0; i < v.length; i += 2) v[i] = -v[i];
            x = Tensor.of(v, 3, 5);
        }
        assertGrad(in -> Elementwise.unary(op, in[0]), x);
    }

    @Test
    void binaryWithBroadcasting() {
        assertGrad(in -> Elementwise.add(in[0], in[1]), rand(1, 2, 3, 4), rand(2, 3, 1));
        assertGrad(in -> Elementwise.sub(in[0], in[1]), rand(3, 4), rand(4, 2, 3, 4));
        assertGrad(in -> Elementwise.mul(in[0], in[1]), rand(5, 1, 4), rand(6, 3, 1));
        assertGrad(in -> Elementwise.div(in[0], in[1]), rand(7, 3, 4), positive(8, 4));
        assertGrad(in -> Elementwise.mul(in[0], in[0]), rand(9, 5)); // same variable twice: gradients add
    }

    @Test
    void scalarOps() {
        assertGrad(in -> Elementwise.scale(in[0], -1.5), rand(1, 4, 3));
        assertGrad(in -> Elementwise.addScalar(in[0], 2.0), rand(2, 4));
        assertGrad(in -> Elementwise.pow(in[0], 3.0), rand(3, 7));
        assertGrad(in -> Elementwise.pow(in[0], -0.5), positive(4, 7));
    }

    @Test
    void reductions() {
        assertGrad(in -> Reductions.sum(in[0], new int[]{1}, false), rand(1, 3, 4, 5));
        assertGrad(in -> Reductions.sum(in[0], new int[]{0, -1}, true), rand(2, 3, 4, 5));
        assertGrad(in -> Reductions.mean(in[0], new int[]{2}, true), rand(3, 3, 4, 5));
        assertGrad(in -> Reductions.mean(in[0]), rand(4, 6, 7));
    }

    @Test
    void views() {
        assertGrad(in -> Views.reshape(Views.permute(in[0], 2, 0, 1), 4, -1), rand(1, 2, 3, 4));
        assertGrad(in -> Views.transpose(in[0], 0, 1), rand(2, 3, 5));
        assertGrad(in -> Views.narrow(in[0], 1, 1, 2), rand(3, 3, 4));
        assertGrad(in -> Views.expand(in[0], 2, 3, 4), rand(4, 3, 1));
        assertGrad(in -> Views.concat(List.of(in[0], in[1], in[0]), 1), rand(5, 2, 3), rand(6, 2, 1));
        Tensor ids = Tensor.ofLongs(new long[]{2, 0, 2, 4, 1}, 5); // repeated ids accumulate
        assertGrad(in -> Views.embedding(in[0], ids.reshape(1, 5)), rand(7, 5, 3));
        assertGrad(in -> Views.indexSelect(in[0], 1, Tensor.ofInts(new int[]{3, 3, 0}, 3)), rand(8, 2, 4));
    }

    @Test
    void matmulAllTransposesAndBroadcastBatches() {
        for (boolean ta : new boolean[]{false, true}) {
            for (boolean tb : new boolean[]{false, true}) {
                Tensor a = ta ? rand(1, 2, 4, 3) : rand(1, 2, 3, 4);
                Tensor b = tb ? rand(2, 5, 4) : rand(2, 4, 5); // batch dim of b broadcasts
                assertGrad(in -> LinearAlgebra.matmul(in[0], in[1], ta, tb), a, b);
            }
        }
    }

    @Test
    void linear() {
        assertGrad(in -> LinearAlgebra.linear(in[0], in[1], in[2]), rand(1, 2, 3, 4), rand(2, 5, 4), rand(3, 5));
        assertGrad(in -> LinearAlgebra.linear(in[0], in[1], null), rand(4, 3, 4), rand(5, 2, 4));
    }

    @Test
    void norms() {
        assertGrad(in -> Fused.rmsNorm(in[0], in[1], 1e-6), rand(1, 2, 3, 8), rand(2, 8));
        assertGrad(in -> Fused.rmsNorm(in[0], null, 1e-5), rand(3, 5, 7));
        assertGrad(in -> Fused.layerNorm(in[0], in[1], in[2], 1e-5), rand(4, 3, 6), rand(5, 6), rand(6, 6));
        assertGrad(in -> Fused.layerNorm(in[0], null, null, 1e-5), rand(7, 4, 5));
    }

    @Test
    void ropeSiluMulSoftmax() {
        Tensor cos = rand(1, 3, 4), sin = rand(2, 3, 4);
        assertGrad(in -> Fused.rope(in[0], cos, sin), rand(3, 2, 2, 3, 4));
        Tensor cosPartial = rand(4, 3, 2), sinPartial = rand(5, 3, 2); // partial rotary: 2 of 6 dims rotate
        assertGrad(in -> Fused.rope(in[0], cosPartial, sinPartial), rand(6, 1, 2, 3, 6));
        assertGrad(in -> Fused.siluMul(in[0], in[1]), rand(7, 3, 5), rand(8, 3, 5));
        assertGrad(in -> Fused.softmax(in[0]), rand(9, 3, 7));
        assertGrad(in -> Fused.logSoftmax(in[0]), rand(10, 4, 5));
    }

    @Test
    void attentionCausalGqaAndSegments() {
        // q [B=2, Hq=4, T=3, D=4], k/v [B, Hkv=2, S=5, D]: causal with cache offset S - T = 2.
        AttentionSpec causal = new AttentionSpec(0.5, true, null, null);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], causal), rand(1, 2, 4, 3, 4), rand(2, 2, 2, 5, 4), rand(3, 2, 2, 5, 4));
        Tensor seg = Tensor.ofInts(new int[]{0, 0, 1, 1, 1, 0, 1, 1, 2, 2}, 2, 5);
        AttentionSpec packed = new AttentionSpec(0.4, true, seg, seg);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], packed), rand(4, 2, 2, 5, 3), rand(5, 2, 1, 5, 3), rand(6, 2, 1, 5, 3));
        AttentionSpec full = new AttentionSpec(0.3, false, null, null);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], full), rand(7, 1, 2, 4, 3), rand(8, 1, 2, 6, 3), rand(9, 1, 2, 6, 3));
    }

    @Test
    void attentionWithSharedPrefix() {
        // [prompt 0 0 | completion 1 1 | completion 2 2 | padding 3]: both completions see the prompt, not each other
        Tensor seg = Tensor.ofInts(new int[]{0, 0, 1, 1, 2, 2, 3, 0, 1, 2, 2, 2, 3, 3}, 2, 7);
        AttentionSpec shared = new AttentionSpec(0.4, true, seg, seg, 0, 0, true);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], shared), rand(23, 2, 4, 7, 3), rand(24, 2, 2, 7, 3), rand(25, 2, 2, 7, 3));
        // with padding segments -1 - s: padding keys seen by no query, a padding query sees as its segment s
        Tensor padded = Tensor.ofInts(new int[]{0, 0, 1, 1, 2, -2, -3, 0, 1, 2, 2, -3, -2, 3}, 2, 7);
        AttentionSpec masked = new AttentionSpec(0.4, true, padded, padded, 0, 0, true);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], masked), rand(26, 2, 4, 7, 3), rand(27, 2, 2, 7, 3), rand(28, 2, 2, 7, 3));
    }

    @Test
    void attentionWithSlidingWindow() {
        // T=4 queries at positions 3..6 of S=7 keys, window 3: each sees itself and the two keys before it
        AttentionSpec window = new AttentionSpec(0.5, true, null, null, 3);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], window), rand(11, 2, 4, 4, 3), rand(12, 2, 2, 7, 3), rand(13, 2, 2, 7, 3));
        Tensor seg = Tensor.ofInts(new int[]{0, 0, 0, 1, 1, 1}, 1, 6); // a packed sample boundary inside the window
        AttentionSpec packed = new AttentionSpec(0.4, true, seg, seg, 2);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], packed), rand(14, 1, 2, 6, 3), rand(15, 1, 1, 6, 3), rand(16, 1, 1, 6, 3));
    }

    @Test
    void attentionWithSoftCappedScores() {
        // Gemma 2: cap·tanh(scores / cap) before the mask; a cap of 0.7 is active for these scores
        AttentionSpec capped = new AttentionSpec(0.8, true, null, null, 0, 0.7);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], capped), rand(17, 2, 4, 3, 4), rand(18, 2, 2, 5, 4), rand(19, 2, 2, 5, 4));
        AttentionSpec windowed = new AttentionSpec(0.8, true, null, null, 2, 0.7);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], windowed), rand(20, 1, 2, 4, 3), rand(21, 1, 1, 6, 3), rand(22, 1, 1, 6, 3));
    }

    @Test
    void attentionWithSinks() {
        // GPT-OSS: one learned logit per head joins each row's softmax; gradients reach q, k, v and the sinks [Hq]
        AttentionSpec causal = new AttentionSpec(0.5, true, null, null);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], in[3], causal), rand(23, 2, 4, 3, 4), rand(24, 2, 2, 5, 4), rand(25, 2, 2, 5, 4),
                rand(26, 4));
        // window 2 shorter than the 6 keys, T = 7 > S = 6 (the first query sees no key: its gradient stays 0)
        AttentionSpec window = new AttentionSpec(0.7, true, null, null, 2);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], in[3], window), rand(27, 1, 2, 7, 3), rand(28, 1, 1, 6, 3), rand(29, 1, 1, 6, 3),
                rand(30, 2));
        Tensor seg = Tensor.ofInts(new int[]{0, 0, 0, 1, 1, 1}, 1, 6);
        AttentionSpec packed = new AttentionSpec(0.4, true, seg, seg, 3);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], in[3], packed), rand(31, 1, 2, 6, 3), rand(32, 1, 1, 6, 3), rand(33, 1, 1, 6, 3),
                rand(34, 2));
    }

    @Test
    void attentionWithValueHeadDimOtherThanQueryKey() {
        // DeepSeek's latent attention: q, k of D = 3, v and the output of Dv = 5 (and Dv = 2 < D), GQA, causal with offset
        AttentionSpec causal = new AttentionSpec(0.5, true, null, null);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], causal), rand(41, 2, 4, 3, 3), rand(42, 2, 2, 5, 3), rand(43, 2, 2, 5, 5));
        AttentionSpec window = new AttentionSpec(0.7, true, null, null, 2);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], window), rand(44, 1, 2, 6, 4), rand(45, 1, 1, 6, 4), rand(46, 1, 1, 6, 2));
        Tensor seg = Tensor.ofInts(new int[]{0, 0, 0, 1, 1, 1}, 1, 6);
        AttentionSpec packed = new AttentionSpec(0.4, true, seg, seg, 3);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], in[3], packed), rand(47, 1, 2, 6, 3), rand(48, 1, 1, 6, 3), rand(49, 1, 1, 6, 5),
                rand(50, 2));
        AttentionSpec full = new AttentionSpec(0.3, false, null, null);
        assertGrad(in -> Fused.attention(in[0], in[1], in[2], full), rand(51, 1, 2, 4, 3), rand(52, 1, 2, 6, 3), rand(53, 1, 2, 6, 4));
    }

    @Test
    void crossEntropyMeanOverValidTargets() {
        Tensor targets = Tensor.ofLongs(new long[]{3, -100, 0, 6, -100}, 5);
        assertGrad(in -> Losses.crossEntropy(in[0], targets, Losses.IGNORE_INDEX), rand(1, 5, 7));
        assertGrad(in -> Losses.crossEntropyRows(in[0], targets, Losses.IGNORE_INDEX), rand(2, 5, 7));
    }

    @Test
    void fusedLinearCrossEntropyAcrossChunks() {
        // 5 rows in chunks of 2 (jswift.linearCeChunk defaults to 256: the op is built directly here)
        Tensor targets = Tensor.ofLongs(new long[]{3, -100, 0, 6, 2}, 5);
        Tensor weight = rand(4, 7, 3);
        assertGrad(in -> Losses.linearCrossEntropy(in[0], Variable.constant(weight), targets, Losses.IGNORE_INDEX, 4.0, 2), rand(3, 5, 3));
        // a trainable head: dW accumulated chunk by chunk
        assertGrad(in -> Losses.linearCrossEntropy(in[0], in[1], targets, Losses.IGNORE_INDEX, 4.0, 2), rand(3, 5, 3), rand(5, 7, 3));
        // the vocabulary in slices of 3, 2 and 1 weight rows (targets in other slices take the softmax alone)
        for (int slice : new int[]{3, 2, 1}) {
            assertGrad(in -> Losses.linearCrossEntropy(in[0], Variable.constant(weight), targets, Losses.IGNORE_INDEX, 4.0, 2, slice), rand(3, 5, 3));
            assertGrad(in -> Losses.linearCrossEntropy(in[0], in[1], targets, Losses.IGNORE_INDEX, 4.0, 2, slice), rand(3, 5, 3), rand(5, 7, 3));
        }
    }

    @Test
    void dropoutWithAFixedMaskIsLinear() {
        // Rewind the generator before each evaluation so every call draws the same mask.
        Generator gen = new Generator(11);
        assertGrad(in -> {
            gen.setOffset(0);
            return Dropout.apply(in[0], 0.3, gen);
        }, rand(1, 4, 9));
    }
}
