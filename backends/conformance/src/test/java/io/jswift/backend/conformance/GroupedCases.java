package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.function.UnaryOperator;

import static io.jswift.backend.conformance.Target.host;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The grouped (MoE expert) products against one matmul per expert on the CPU: uneven groups, groups of no rows, and
 * group sizes that take each of the CPU's per-expert paths (1-4 rows, a few rows, a big group), odd K and N (vector
 * tails), x·W[e]ᵀ and x·W[e], the weight gradient, f32 / bf16 / f64 and a strided weight view.
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

    private void checkWeightGrad(DType type, int[] counts, int n, int k, Tolerance tol) {
        int m = rows(counts);
        Tensor dy = random(21, type, m, n), x = random(22, type, m, k);
        DType acc = type == DType.F64 ? DType.F64 : DType.F32;
        Tensor expected = Tensor.zeros(acc, counts.length, n, k);
        int off = 0;
        for (int e = 0; e < counts.length; e++) {
            if (counts[e] > 0) cpu.copy(cpu.matmul(host(dy).narrow(0, off, counts[e]), host(x).narrow(0, off, counts[e]), true, false), expected.select(0, e));
            off += counts[e];
        }
        Tensor dw = dev.allocate(acc, counts.length, n, k);
        dev.fill(dw, 7); // an expert of no rows must come out zero, whatever the buffer held
        dev.groupedWeightGrad(t.put(dy), t.put(x), counts, dw);
        t.same("grouped weight gradient " + type + " counts " + Arrays.toString(counts), expected, dw, tol);
    }

    @Test
    void weightGradientPerExpertZeroForUnusedExperts() {
        checkWeightGrad(DType.F32, COUNTS, 45, 37, F32);
        checkWeightGrad(DType.BF16, COUNTS, 16, 40, Tolerance.accumulated(DType.BF16));
        checkWeightGrad(DType.F64, COUNTS, 9, 13, Tolerance.accumulated(DType.F64));
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
