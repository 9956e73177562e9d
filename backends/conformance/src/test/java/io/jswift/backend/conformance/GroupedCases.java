package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.BinaryOp;
import io.jswift.tensor.spi.FusedResults;
import io.jswift.tensor.spi.GradTarget;
import io.jswift.tensor.spi.GroupedReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.function.UnaryOperator;

import static io.jswift.backend.conformance.Target.host;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The grouped (MoE expert) products against one matmul per expert on the CPU: uneven groups, groups of no rows, and
 * group sizes that take each of the CPU's per-expert paths (1-4 rows, a few rows, a big group), odd K and N (vector
 * tails), x·W[e]ᵀ and x·W[e], the weight gradient written or accumulated, the SwiGLU MLP's backward targets, the
 * inference combine (gather, MLP, weighted sum), f32 / bf16 / f64 and a strided weight view.
 */
public abstract class GroupedCases {
    private static final Tolerance F32 = new Tolerance(1e-4, 1e-4);
    /** Empty experts, 1-4 rows, a few rows, more rows than a 4-row tile multiple, a big expert. */
    private static final int[] COUNTS = {0, 3, 17, 0, 9, 100, 1, 30, 0, 5};

    private final Target t;
    private final Backend dev, cpu;

    protected GroupedCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    private static int rows(int[] counts) { return Arrays.stream(counts).sum(); }

    /** One matmul per expert on the CPU: rows of e times op(w[e]), stacked. */
    private Tensor expected(Tensor x, Tensor w, int[] counts, boolean transW) {
        Tensor xh = host(x), wh = host(w);
        int n = w.size(transW ? 1 : 2);
        Tensor out = Tensor.zeros(x.dtype() == DType.F64 ? DType.F64 : DType.F32, rows(counts), n);
        int off = 0;
        for (int e = 0; e < counts.length; e++) {
            if (counts[e] > 0) cpu.copy(cpu.matmul(xh.narrow(0, off, counts[e]), wh.select(0, e), false, transW), out.narrow(0, off, counts[e]));
            off += counts[e];
        }
        return out;
    }

    private void checkMatmul(DType type, int[] counts, int k, int n, boolean transW, UnaryOperator<Tensor> wView, Tolerance tol) {
        Tensor x = random(11, type, rows(counts), k);
        Tensor wBase = random(12, type, counts.length, transW ? n : k, transW ? k : n);
        Tensor w = wView.apply(wBase);
        Tensor out = dev.allocate(type == DType.F64 ? DType.F64 : DType.F32, rows(counts), n);
        dev.groupedMatmul(t.put(x), t.put(wBase, wView), counts, transW, out);
        t.same("grouped matmul " + type + " counts " + Arrays.toString(counts) + " K=" + k + " N=" + n + (transW ? " x·W[e]ᵀ" : " x·W[e]"),
                expected(x, w, counts, transW), out, tol);
    }

    @ParameterizedTest(name = "transW={0}")
    @ValueSource(booleans = {true, false})
    void unevenGroupsEqualPerExpertMatmulsF32(boolean transW) {
        checkMatmul(DType.F32, COUNTS, 37, 45, transW, w -> w, F32);
        checkMatmul(DType.F32, COUNTS, 64, 96, transW, w -> w, F32);       // whole vectors, no tails
        checkMatmul(DType.F32, COUNTS, 128, 70, transW, w -> w, F32);      // whole vectors of K, N past the last 4 weight rows
        checkMatmul(DType.F32, new int[]{0, 0, 7}, 300, 70, transW, w -> w, F32); // K longer than one block
    }

    @ParameterizedTest(name = "transW={0}")
    @ValueSource(booleans = {true, false})
    void bf16AndF64(boolean transW) {
        checkMatmul(DType.BF16, COUNTS, 40, 33, transW, w -> w, Tolerance.accumulated(DType.BF16));
        checkMatmul(DType.F64, COUNTS, 13, 9, transW, w -> w, Tolerance.accumulated(DType.F64));
    }

    @Test
    void stridedWeightView() {
        // w[e] stored transposed: x·W[e] reads a column-major W[e], x·W[e]ᵀ a row-major one through swapped strides
        checkMatmul(DType.F32, COUNTS, 24, 40, false, w -> w.transpose(1, 2).contiguous().transpose(1, 2), F32);
        checkMatmul(DType.F32, COUNTS, 24, 40, true, w -> w.transpose(1, 2).contiguous().transpose(1, 2), F32);
    }

    private void checkWeightGrad(DType type, int[] counts, int n, int k, boolean accumulate, Tolerance tol) {
        int m = rows(counts);
        Tensor dy = random(21, type, m, n), x = random(22, type, m, k);
        DType acc = type == DType.F64 ? DType.F64 : DType.F32;
        // the buffer's old values: an expert of no rows must come out zero when written, keep them when accumulated
        Tensor before = random(23, acc, counts.length, n, k);
        Tensor expected = accumulate ? before.copy() : Tensor.zeros(acc, counts.length, n, k);
        int off = 0;
        for (int e = 0; e < counts.length; e++) {
            if (counts[e] > 0) {
                Tensor product = cpu.matmul(host(dy).narrow(0, off, counts[e]), host(x).narrow(0, off, counts[e]), true, false);
                cpu.copy(accumulate ? cpu.binary(BinaryOp.ADD, expected.select(0, e), product) : product, expected.select(0, e));
            }
            off += counts[e];
        }
        Tensor dw = t.put(before);
        dev.groupedWeightGrad(t.put(dy), t.put(x), counts, dw, accumulate);
        t.same("grouped weight gradient " + type + " counts " + Arrays.toString(counts) + (accumulate ? " accumulated" : ""), expected, dw, tol);
    }

    @ParameterizedTest(name = "accumulate={0}")
    @ValueSource(booleans = {false, true})
    void weightGradientPerExpertZeroOrKeptForUnusedExperts(boolean accumulate) {
        checkWeightGrad(DType.F32, COUNTS, 45, 37, accumulate, F32);
        checkWeightGrad(DType.BF16, COUNTS, 16, 40, accumulate, Tolerance.accumulated(DType.BF16));
        checkWeightGrad(DType.F64, COUNTS, 9, 13, accumulate, Tolerance.accumulated(DType.F64));
    }

    /** The experts' SwiGLU MLP of counts on rows x, f32 (f64), one composed grouped product at a time on the CPU. */
    private static final int[] MLP_COUNTS = {0, 3, 17, 0, 5, 100, 1, 9};

    /**
     * The backward's gradient targets: the input skipped or new, gate_up_proj added into an old gradient (experts of
     * no rows keep it), down_proj new or skipped — each against the composition of per-expert products on the CPU.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F32", "F64"})
    void siluMlpBackwardTargetsAgreeWithTheComposition(String typeName) {
        DType type = DType.valueOf(typeName);
        Tolerance tol = type == DType.F64 ? Tolerance.accumulated(DType.F64) : new Tolerance(1e-4, 1e-4);
        int[] counts = MLP_COUNTS;
        int m = rows(counts), c = 37, inter = 21, e = counts.length;
        Tensor x = random(31, type, m, c), gateUp = random(32, type, e, 2 * inter, c), down = random(33, type, e, c, inter), dy = random(34, type, m, c);
        Tensor h = GroupedReference.siluMlp(cpu, x, gateUp, down, counts).gateUp();
        FusedResults.GroupedMlpGrads want = GroupedReference.siluMlpBackward(cpu, dy, x, gateUp, down, h, counts, GradTarget.NEW, GradTarget.NEW, GradTarget.NEW);
        Tensor old = random(35, want.dGateUp().dtype(), gateUp.shape());
        Tensor into = t.put(old);
        FusedResults.GroupedMlpGrads got = dev.groupedSiluMlpBackward(t.put(dy), t.put(x), t.put(gateUp), t.put(down), t.put(h), counts,
                GradTarget.NEW, GradTarget.into(into), GradTarget.NEW);
        t.same("grouped MLP d rows " + type, want.dInput(), got.dInput(), tol);
        t.same("grouped MLP d gate_up_proj added into the old gradient " + type, cpu.binary(BinaryOp.ADD, old, want.dGateUp()), into, tol);
        t.same("grouped MLP d down_proj " + type, want.dDown(), got.dDown(), tol);
        FusedResults.GroupedMlpGrads some = dev.groupedSiluMlpBackward(t.put(dy), t.put(x), t.put(gateUp), t.put(down), t.put(h), counts,
                GradTarget.SKIP, GradTarget.NEW, GradTarget.SKIP);
        assertNull(some.dInput());
        assertNull(some.dDown());
        t.same("grouped MLP d gate_up_proj alone " + type, want.dGateUp(), some.dGateUp(), tol);
    }

    /**
     * The inference combine against gather → grouped MLP → weighted index_add on the CPU: tokens picked by several
     * experts and twice by none, one token's rows spread over experts of every row-count path; f32, bf16, f64.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F32", "BF16", "F64"})
    void siluMlpCombineEqualsGatherMlpScatter(String typeName) {
        DType type = DType.valueOf(typeName);
        Tolerance tol = type == DType.F32 ? new Tolerance(1e-4, 1e-4) : Tolerance.accumulated(type);
        int[] counts = MLP_COUNTS;
        int m = rows(counts), n = 45, c = 37, inter = 21, e = counts.length;
        java.util.Random r = new java.util.Random(5);
        int[] tokens = new int[m];
        float[] weights = new float[m];
        for (int i = 0; i < m; i++) {
            tokens[i] = r.nextInt(n - 2); // tokens n-2 and n-1: no expert, a zero row
            weights[i] = r.nextFloat();
        }
        Tensor x = random(41, type, n, c), gateUp = random(42, type, e, 2 * inter, c), down = random(43, type, e, c, inter);
        Tensor want = GroupedReference.siluMlpCombine(cpu, x, gateUp, down, counts, tokens, weights);
        Tensor got = dev.groupedSiluMlpCombine(t.put(x), t.put(gateUp), t.put(down), counts, tokens, weights);
        t.same("grouped MLP combine " + type, want, got, tol);
        // K of both products whole vectors (the f32 dot tiles without tails)
        Tensor x64 = random(47, type, n, 64), gu64 = random(48, type, e, 64, 64), down64 = random(49, type, e, 64, 32);
        t.same("grouped MLP combine, C 64, I 32 " + type, GroupedReference.siluMlpCombine(cpu, x64, gu64, down64, counts, tokens, weights),
                dev.groupedSiluMlpCombine(t.put(x64), t.put(gu64), t.put(down64), counts, tokens, weights), tol);
        // one decode token: eight rows of one token, an expert each
        int[] one = {1, 1, 0, 1, 1, 1, 1, 1, 1, 0};
        int[] zeros = new int[8];
        float[] w8 = {0.3f, 0.1f, 0.05f, 0.2f, 0.1f, 0.1f, 0.1f, 0.05f};
        Tensor gu10 = random(44, type, one.length, 2 * inter, c), down10 = random(45, type, one.length, c, inter), x1 = random(46, type, 1, c);
        t.same("grouped MLP combine, one token " + type, GroupedReference.siluMlpCombine(cpu, x1, gu10, down10, one, zeros, w8),
                dev.groupedSiluMlpCombine(t.put(x1), t.put(gu10), t.put(down10), one, zeros, w8), tol);
        assertThrows(IllegalArgumentException.class, () -> dev.groupedSiluMlpCombine(t.put(x1), t.put(gu10), t.put(down10), one, new int[]{0, 0, 0, 0, 0, 0, 0, 1}, w8));
    }

    @Test
    void badGroupSizesFailWithTheShapes() {
        Tensor x = t.put(random(1, 5, 4)), w = t.put(random(2, 2, 3, 4));
        Tensor out = dev.allocate(DType.F32, 5, 3);
        assertThrows(IllegalArgumentException.class, () -> dev.groupedMatmul(x, w, new int[]{2, 2}, true, out));
        assertThrows(IllegalArgumentException.class, () -> dev.groupedMatmul(x, w, new int[]{6, -1}, true, out));
        assertThrows(IllegalArgumentException.class, () -> dev.groupedMatmul(x, w, new int[]{1, 1, 3}, true, out));
    }
}
