package io.jswift.autograd;

import io.jswift.autograd.ops.Grouped;
import io.jswift.autograd.ops.LinearAlgebra;
import io.jswift.autograd.ops.Views;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static io.jswift.autograd.GradCheckTest.rand;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The grouped-by-expert ops of the MoE block: float64 finite differences, and the forward against per-group linears. */
class GroupedOpsTest {
    private static final double EPS = 1e-6, ATOL = 1e-7, RTOL = 1e-5;

    private static void assertGrad(GradCheck.Fn fn, Tensor... inputs) {
        GradCheck.Report r = GradCheck.check(fn, inputs, EPS, ATOL, RTOL, 11);
        assertTrue(r.passed(), r.detail());
    }

    /** Groups of 3, 0 (an expert nobody picked: zero gradient) and 4 rows; x [7, 5], weight [3, 6, 5]. */
    @Test
    void groupedLinearGradients() {
        int[] counts = {3, 0, 4};
        assertGrad(in -> Grouped.linear(in[0], in[1], counts), rand(1, 7, 5), rand(2, 3, 6, 5));
    }

    @Test
    void groupedLinearEqualsOneLinearPerGroup() {
        int[] counts = {2, 3, 0, 1};
        Tensor x = rand(3, 6, 4), w = rand(4, 4, 5, 4);
        double[] y = Grouped.linear(Variable.constant(x), Variable.constant(w), counts).value().toDoubleArray();
        int off = 0;
        for (int e = 0; e < counts.length; e++) {
            if (counts[e] == 0) continue;
            Variable xe = Variable.constant(x.narrow(0, off, counts[e]).contiguous());
            Variable we = Variable.constant(w.select(0, e).contiguous());
            double[] ref = LinearAlgebra.linear(xe, we, null).value().toDoubleArray();
            double[] got = java.util.Arrays.copyOfRange(y, off * 5, (off + counts[e]) * 5);
            assertArrayEquals(ref, got, 1e-12, "group " + e);
            off += counts[e];
        }
    }

    /** GPT-OSS's layout x @ W[e] (weight [E, K, O]): groups of 2, 0 and 5 rows; x [7, 4], weight [3, 4, 6]. */
    @Test
    void groupedMatmulGradientsAndValues() {
        int[] counts = {2, 0, 5};
        assertGrad(in -> Grouped.matmul(in[0], in[1], counts), rand(11, 7, 4), rand(12, 3, 4, 6));
        Tensor x = rand(13, 7, 4), w = rand(14, 3, 4, 6);
        double[] y = Grouped.matmul(Variable.constant(x), Variable.constant(w), counts).value().toDoubleArray();
        double[] xs = x.toDoubleArray(), ws = w.toDoubleArray();
        int off = 0;
        for (int e = 0; e < counts.length; e++) {
            for (int r = off; r < off + counts[e]; r++) {
                for (int o = 0; o < 6; o++) {
                    double want = 0;
                    for (int k = 0; k < 4; k++) want += xs[r * 4 + k] * ws[(e * 4 + k) * 6 + o];
                    assertTrue(Math.abs(want - y[r * 6 + o]) < 1e-12, "row " + r + " out " + o);
                }
            }
            off += counts[e];
        }
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Grouped.matmul(Variable.constant(x), Variable.constant(rand(15, 3, 6, 4)), counts));
        assertTrue(bad.getMessage().contains("weight [E, K, O]"), bad.getMessage());
    }

    /** The fused experts' SwiGLU MLP in float64: groups of 3, 0 and 4 rows; x [7, 5], gate_up [3, 8, 5], down [3, 5, 4]. */
    @Test
    void groupedSiluMlpGradients() {
        int[] counts = {3, 0, 4};
        assertGrad(in -> Grouped.siluMlp(in[0], in[1], in[2], counts), rand(11, 7, 5), rand(12, 3, 8, 5), rand(13, 3, 5, 4));
    }

    /**
     * The fused op in f32 (the CPU's one-task-per-expert kernel) equals grouped linear → silu·up → grouped linear,
     * values and all three gradients, on uneven groups: empty experts, 1-4 rows (GEMV), a few rows (dot / broadcast
     * tiles), more than 96 rows (the blocked GEMM), and odd sizes (vector tails).
     */
    @Test
    void groupedSiluMlpEqualsTheComposition() {
        int[] counts = {0, 2, 17, 0, 5, 100, 1, 9};
        int m = java.util.Arrays.stream(counts).sum(), c = 37, inter = 21, e = counts.length;
        Tensor x = rand(21, m, c).to(io.jswift.tensor.DType.F32), gu = rand(22, e, 2 * inter, c).to(io.jswift.tensor.DType.F32);
        Tensor down = rand(23, e, c, inter).to(io.jswift.tensor.DType.F32), dy = rand(24, m, c).to(io.jswift.tensor.DType.F32);
        Variable[] fused = {Variable.leaf(x, true), Variable.leaf(gu, true), Variable.leaf(down, true)};
        Variable[] comp = {Variable.leaf(x, true), Variable.leaf(gu, true), Variable.leaf(down, true)};
        Variable yf = Grouped.siluMlp(fused[0], fused[1], fused[2], counts);
        Variable both = Grouped.linear(comp[0], comp[1], counts);
        Variable yc = Grouped.linear(io.jswift.autograd.ops.Fused.siluMul(Views.narrow(both, 1, 0, inter), Views.narrow(both, 1, inter, inter)), comp[2], counts);
        assertClose(yc.value(), yf.value(), "output");
        yf.backward(dy, false);
        yc.backward(dy, false);
        String[] names = {"d rows", "d gate_up_proj", "d down_proj"};
        for (int i = 0; i < 3; i++) assertClose(comp[i].grad(), fused[i].grad(), names[i]);
    }

    /**
     * Gradient accumulation over two backwards: the experts' weight gradients are added into the parameters' own
     * .grad in place (the same tensor afterwards) and equal the sum of the two separate gradients, an expert of no
     * rows keeping its zeros; x's gradient accumulates as usual. Both the f32 kernels and the f64 composition.
     */
    @Test
    void weightGradientsAccumulateInPlace() {
        for (io.jswift.tensor.DType type : new io.jswift.tensor.DType[]{io.jswift.tensor.DType.F32, io.jswift.tensor.DType.F64}) {
            int[] counts = {0, 2, 17, 0, 5, 1, 9};
            int m = java.util.Arrays.stream(counts).sum(), c = 13, inter = 7, e = counts.length;
            Tensor x = rand(31, m, c).to(type), gu = rand(32, e, 2 * inter, c).to(type), down = rand(33, e, c, inter).to(type);
            Tensor dy1 = rand(34, m, c).to(type), dy2 = rand(35, m, c).to(type);
            Variable[] twice = {Variable.leaf(x, true), Variable.leaf(gu, true), Variable.leaf(down, true)};
            Grouped.siluMlp(twice[0], twice[1], twice[2], counts).backward(dy1, false);
            Tensor[] first = {twice[0].grad(), twice[1].grad(), twice[2].grad()};
            Grouped.siluMlp(twice[0], twice[1], twice[2], counts).backward(dy2, false);
            assertTrue(twice[1].grad() == first[1] && twice[2].grad() == first[2], type + ": weight gradients added in place");
            Variable[] one = {Variable.leaf(x, true), Variable.leaf(gu, true), Variable.leaf(down, true)};
            Variable[] other = {Variable.leaf(x, true), Variable.leaf(gu, true), Variable.leaf(down, true)};
            Grouped.siluMlp(one[0], one[1], one[2], counts).backward(dy1, false);
            Grouped.siluMlp(other[0], other[1], other[2], counts).backward(dy2, false);
            String[] names = {"d rows", "d gate_up_proj", "d down_proj"};
            for (int i = 0; i < 3; i++) {
                Tensor sum = one[i].grad().backend().binary(io.jswift.tensor.spi.BinaryOp.ADD, one[i].grad(), other[i].grad());
                assertClose(sum, twice[i].grad(), type + " accumulated " + names[i]);
            }
            double[] unused = twice[1].grad().select(0, 0).contiguous().toDoubleArray();
            for (double v : unused) assertTrue(v == 0, type + ": an expert of no rows keeps a zero gradient");
            // the grouped linear alone (GPT-OSS's layout too)
            Variable w = Variable.leaf(down, true), xi = Variable.leaf(rand(36, m, inter).to(type), false);
            Grouped.linear(xi, w, counts).backward(dy1, false);
            Tensor wFirst = w.grad(), wOnce = wFirst.copy();
            Grouped.linear(xi, w, counts).backward(dy2, false);
            assertTrue(w.grad() == wFirst, type + ": grouped linear weight gradient added in place");
            Variable w2 = Variable.leaf(down, true);
            Grouped.linear(xi, w2, counts).backward(dy2, false);
            assertClose(wOnce.backend().binary(io.jswift.tensor.spi.BinaryOp.ADD, wOnce, w2.grad()), w.grad(), type + " grouped linear accumulated");
        }
    }

    /** Frozen experts (LoRA training elsewhere): no weight gradient is made, the rows' gradient is unchanged. */
    @Test
    void frozenExpertWeightsTakeNoGradient() {
        int[] counts = {3, 0, 4};
        Tensor x = rand(41, 7, 5).to(io.jswift.tensor.DType.F32), gu = rand(42, 3, 8, 5).to(io.jswift.tensor.DType.F32);
        Tensor down = rand(43, 3, 5, 4).to(io.jswift.tensor.DType.F32), dy = rand(44, 7, 5).to(io.jswift.tensor.DType.F32);
        Variable frozenX = Variable.leaf(x, true), frozenGu = Variable.leaf(gu, false), frozenDown = Variable.leaf(down, true);
        Grouped.siluMlp(frozenX, frozenGu, frozenDown, counts).backward(dy, false);
        Variable[] all = {Variable.leaf(x, true), Variable.leaf(gu, true), Variable.leaf(down, true)};
        Grouped.siluMlp(all[0], all[1], all[2], counts).backward(dy, false);
        assertTrue(frozenGu.grad() == null);
        assertClose(all[0].grad(), frozenX.grad(), "d rows with gate_up_proj frozen");
        assertClose(all[2].grad(), frozenDown.grad(), "d down_proj with gate_up_proj frozen");
    }

    private static void assertClose(Tensor expected, Tensor actual, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what);
        double[] a = expected.toDoubleArray(), b = actual.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs(a[i] - b[i]) <= 1e-4 + 1e-4 * Math.abs(a[i]), what + " at " + i + ": " + a[i] + " vs " + b[i]);
        }
    }

    @Test
    void groupSizesMustCoverTheRows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Grouped.linear(Variable.constant(rand(1, 5, 4)), Variable.constant(rand(2, 2, 3, 4)), new int[]{2, 2}));
        assertTrue(e.getMessage().contains("group sizes sum to 4, x has 5 rows"), e.getMessage());
    }

    /** Repeated targets accumulate (a token's top-k slots); a row no source hits stays 0. */
    @Test
    void scatterRowsGradientsAndValues() {
        Tensor index = Tensor.ofLongs(new long[]{2, 0, 2, 3, 0}, 5);
        assertGrad(in -> Grouped.scatterRows(in[0], index, 5), rand(5, 5, 3));
        Tensor src = rand(6, 5, 3);
        double[] out = Grouped.scatterRows(Variable.constant(src), index, 5).value().toDoubleArray();
        double[] s = src.toDoubleArray();
        for (int j = 0; j < 3; j++) {
            assertTrue(Math.abs(out[2 * 3 + j] - (s[j] + s[2 * 3 + j])) < 1e-12);
            assertTrue(out[1 * 3 + j] == 0 && out[4 * 3 + j] == 0);
        }
    }

    /** The MoE data flow end to end: gather rows, grouped GEMM, scatter back. */
    @Test
    void gatherGroupedScatterChain() {
        Tensor order = Tensor.ofLongs(new long[]{1, 3, 0, 1, 2, 3}, 6);
        int[] counts = {2, 4};
        assertGrad(in -> Grouped.scatterRows(Grouped.linear(Views.indexSelect(in[0], 0, order), in[1], counts), order, 4),
                rand(7, 4, 3), rand(8, 2, 5, 3));
    }
}
