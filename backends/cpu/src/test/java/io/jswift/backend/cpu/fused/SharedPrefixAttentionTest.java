package io.jswift.backend.cpu.fused;

import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.FusedReference;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.testing.NaiveFused;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;

/**
 * {@link AttentionSpec#sharedPrefix()}: a row [prompt | completion A | completion B | padding] with segments 0, 1, 2, 3
 * attends as the two separate sequences [prompt | A] and [prompt | B] under plain causal attention (the float64 loops
 * of NaiveFused, which know nothing of the rule): outputs and log-sum-exps row for row, and gradients with the
 * prompt's key/value gradients summed over both sequences. Sizes cross the kernel's 64-row blocks; the second batch
 * row has another layout and trailing padding. The f32 kernel and the reference composition (the fallback of the
 * device backends) both. And the padding segments (-1 - s): no query sees a padding key, a padding query sees as s.
 */
class SharedPrefixAttentionTest {
    private static final double FWD_TOL = 2e-5, BWD_TOL = 1e-4;

    /** Lengths of one packed row: prompt, A, B, then padding to the batch width. */
    private record Layout(int p, int a, int b, int width) {
        int used() { return p + a + b; }

        long segment(int i) { return i < p ? 0 : i < p + a ? 1 : i < used() ? 2 : 3; }

        /** Packed positions of sequence 1 ([prompt | A]) or 2 ([prompt | B]), in order. */
        int[] rows(int seq) {
            int n = p + (seq == 1 ? a : b), from = seq == 1 ? p : p + a;
            int[] r = new int[n];
            for (int i = 0; i < n; i++) r[i] = i < p ? i : from + i - p;
            return r;
        }
    }

    @ParameterizedTest(name = "prompt={0} A={1} B={2} / prompt={3} A={4} B={5}, GQA {6}, D={7}")
    @CsvSource({
            "3, 2, 2, 1, 3, 1, 1, 8",
            "40, 17, 30, 64, 1, 1, 2, 16",
            "70, 65, 5, 20, 70, 40, 7, 24",
            "130, 1, 64, 63, 66, 3, 2, 64"})
    void aPackedRowAttendsAsItsSeparateSequences(int p0, int a0, int b0, int p1, int a1, int b1, int group, int d) {
        int width = Math.max(p0 + a0 + b0, p1 + a1 + b1) + 3, hkv = 2, hq = group * hkv;
        Layout[] rows = {new Layout(p0, a0, b0, width), new Layout(p1, a1, b1, width)};
        Tensor q = random(51, 2, hq, width, d), k = random(52, 2, hkv, width, d), v = random(53, 2, hkv, width, d);
        // padding rows attend the prefix too, but nothing reads their outputs: no gradient comes from them
        float[] g = random(54, 2, hq, width, d).toFloatArray();
        for (int bi = 0; bi < 2; bi++) {
            for (int h = 0; h < hq; h++) Arrays.fill(g, ((bi * hq + h) * width + rows[bi].used()) * d, ((bi * hq + h) * width + width) * d, 0);
        }
        Tensor dOut = Tensor.of(g, 2, hq, width, d);
        long[] seg = new long[2 * width];
        for (int bi = 0; bi < 2; bi++) for (int i = 0; i < width; i++) seg[bi * width + i] = rows[bi].segment(i);
        Tensor segments = Tensor.ofLongs(seg, 2, width);
        double scale = 1 / Math.sqrt(d);
        AttentionSpec spec = new AttentionSpec(scale, true, segments, segments, 0, 0, true);

        Backend be = FusedTesting.KERNELS;
        FusedResults.Attention got = be.attention(q, k, v, spec);
        FusedResults.AttentionGrads grads = be.attentionBackward(dOut, q, k, v, got.output(), got.logSumExp(), spec);
        FusedResults.Attention ref = FusedReference.attention(be, q, k, v, spec);
        FusedResults.AttentionGrads refGrads = FusedReference.attentionBackward(be, dOut, q, k, v, ref.output(), ref.logSumExp(), spec);

        double[] qs = q.toDoubleArray(), ks = k.toDoubleArray(), vs = v.toDoubleArray(), gs = dOut.toDoubleArray();
        double[] out = got.output().toDoubleArray(), lse = got.logSumExp().toDoubleArray();
        double[] dq = grads.dq().toDoubleArray(), dk = grads.dk().toDoubleArray(), dv = grads.dv().toDoubleArray();
        double[] rOut = ref.output().toDoubleArray(), rLse = ref.logSumExp().toDoubleArray();
        double[] rdq = refGrads.dq().toDoubleArray(), rdk = refGrads.dk().toDoubleArray(), rdv = refGrads.dv().toDoubleArray();
        for (int bi = 0; bi < 2; bi++) {
            Layout lay = rows[bi];
            double[] wantDk = new double[hkv * width * d], wantDv = new double[hkv * width * d];
            for (int seq = 1; seq <= 2; seq++) {
                int[] r = lay.rows(seq);
                NaiveFused.AttentionShape shape = new NaiveFused.AttentionShape(1, hq, hkv, r.length, r.length, d);
                NaiveFused.AttentionMask causal = new NaiveFused.AttentionMask(scale, true, null, null);
                double[] sq = gather(qs, bi, hq, width, d, r), sk = gather(ks, bi, hkv, width, d, r), sv = gather(vs, bi, hkv, width, d, r);
                double[] sg = gather(gs, bi, hq, width, d, r);
                // the prompt's outputs are computed once, in the packed row: sequence 2 sends them no gradient
                if (seq == 2) for (int h = 0; h < hq; h++) Arrays.fill(sg, h * r.length * d, (h * r.length + lay.p()) * d, 0);
                NaiveFused.Attention want = NaiveFused.attention(sq, sk, sv, shape, causal);
                NaiveFused.AttentionGrads wg = NaiveFused.attentionBackward(sg, sq, sk, sv, shape, causal);
                int from = seq == 1 ? 0 : lay.p(); // sequence 2's prompt rows are sequence 1's
                String what = "row " + bi + " sequence " + seq;
                check(want.out(), out, rOut, bi, hq, width, d, r, from, FWD_TOL, what + " out");
                check(want.lse(), lse, rLse, bi, hq, width, 1, r, from, FWD_TOL, what + " lse");
                check(wg.dq(), dq, rdq, bi, hq, width, d, r, from, BWD_TOL, what + " dq");
                scatterAdd(wg.dk(), wantDk, hkv, width, d, r);
                scatterAdd(wg.dv(), wantDv, hkv, width, d, r);
            }
            int[] used = new int[lay.used()];
            for (int i = 0; i < used.length; i++) used[i] = i;
            double[] usedDk = gather(wantDk, 0, hkv, width, d, used), usedDv = gather(wantDv, 0, hkv, width, d, used);
            check(usedDk, dk, rdk, bi, hkv, width, d, used, 0, BWD_TOL, "row " + bi + " dk");
            check(usedDv, dv, rdv, bi, hkv, width, d, used, 0, BWD_TOL, "row " + bi + " dv");
        }
    }

    @Test
    void paddingKeysAreSeenByNoQueryAndAPaddingQuerySeesAsItsSequence() {
        // [prompt 0 0 | A 1 1 | B 2 | A's padding -1-1 | B's padding -1-2 -1-2]: what each query sees, written out
        int[][] sees = {{0}, {0, 1}, {0, 1, 2}, {0, 1, 2, 3}, {0, 1, 4}, {0, 1, 2, 3}, {0, 1, 4}, {0, 1, 4}};
        int t = sees.length, hq = 4, hkv = 2, d = 8;
        Tensor segments = Tensor.ofInts(new int[]{0, 0, 1, 1, 2, -2, -3, -3}, 1, t);
        double scale = 1 / Math.sqrt(d);
        AttentionSpec spec = new AttentionSpec(scale, true, segments, segments, 0, 0, true);
        Tensor q = random(61, 1, hq, t, d), k = random(62, 1, hkv, t, d), v = random(63, 1, hkv, t, d), dOut = random(64, 1, hq, t, d);
        Backend be = FusedTesting.KERNELS;
        FusedResults.Attention got = be.attention(q, k, v, spec);
        FusedResults.Attention ref = FusedReference.attention(be, q, k, v, spec);
        double[] qs = q.toDoubleArray(), ks = k.toDoubleArray(), vs = v.toDoubleArray();
        double[] want = new double[hq * t * d];
        for (int h = 0; h < hq; h++) {
            int kv = h / (hq / hkv);
            for (int i = 0; i < t; i++) {
                double[] w = new double[sees[i].length];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int n = 0; n < w.length; n++) {
                    for (int e = 0; e < d; e++) w[n] += qs[(h * t + i) * d + e] * ks[(kv * t + sees[i][n]) * d + e] * scale;
                    max = Math.max(max, w[n]);
                }
                for (int n = 0; n < w.length; n++) sum += w[n] = Math.exp(w[n] - max);
                for (int n = 0; n < w.length; n++) {
                    for (int e = 0; e < d; e++) want[(h * t + i) * d + e] += w[n] / sum * vs[(kv * t + sees[i][n]) * d + e];
                }
            }
        }
        assertClose(want, got.output(), FWD_TOL, FWD_TOL, "kernel");
        assertClose(want, ref.output(), FWD_TOL, FWD_TOL, "reference");
        FusedResults.AttentionGrads grads = be.attentionBackward(dOut, q, k, v, got.output(), got.logSumExp(), spec);
        FusedResults.AttentionGrads refGrads = FusedReference.attentionBackward(be, dOut, q, k, v, ref.output(), ref.logSumExp(), spec);
        assertClose(refGrads.dq().toDoubleArray(), grads.dq(), BWD_TOL, BWD_TOL, "dq");
        assertClose(refGrads.dk().toDoubleArray(), grads.dk(), BWD_TOL, BWD_TOL, "dk");
        assertClose(refGrads.dv().toDoubleArray(), grads.dv(), BWD_TOL, BWD_TOL, "dv");
        double[] dk = grads.dk().toDoubleArray(), dv = grads.dv().toDoubleArray();
        for (int h = 0; h < hkv; h++) {
            for (int j = 5; j < t; j++) { // no query sees a padding key: it gets no gradient
                for (int e = 0; e < d; e++) {
                    if (dk[(h * t + j) * d + e] != 0 || dv[(h * t + j) * d + e] != 0) throw new AssertionError("padding key " + j + " has a gradient");
                }
            }
        }
    }

    /** Rows {@code r} of batch row bi of x [B, H, width, d] → [1, H, r.length, d]. */
    private static double[] gather(double[] x, int bi, int heads, int width, int d, int[] r) {
        double[] out = new double[heads * r.length * d];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < r.length; i++) {
                System.arraycopy(x, ((bi * heads + h) * width + r[i]) * d, out, (h * r.length + i) * d, d);
            }
        }
        return out;
    }

    /** x [1, H, r.length, d] added into rows r of acc [1, H, width, d]. */
    private static void scatterAdd(double[] x, double[] acc, int heads, int width, int d, int[] r) {
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < r.length; i++) {
                for (int e = 0; e < d; e++) acc[(h * width + r[i]) * d + e] += x[(h * r.length + i) * d + e];
            }
        }
    }

    /** Rows {@code r[from..]} of want [1, H, r.length, d] against the kernel's and the reference's batch row bi. */
    private static void check(double[] want, double[] kernel, double[] reference, int bi, int heads, int width, int d, int[] r,
                              int from, double tol, String what) {
        int[] rows = Arrays.copyOfRange(r, from, r.length);
        double[] expected = new double[heads * rows.length * d];
        for (int h = 0; h < heads; h++) {
            System.arraycopy(want, (h * r.length + from) * d, expected, h * rows.length * d, rows.length * d);
        }
        assertClose(expected, Tensor.of(toFloats(gather(kernel, bi, heads, width, d, rows)), expected.length), tol, tol, what + " (kernel)");
        assertClose(expected, Tensor.of(toFloats(gather(reference, bi, heads, width, d, rows)), expected.length), tol, tol, what + " (reference)");
    }

    private static float[] toFloats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }
}
