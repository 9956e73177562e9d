package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.function.UnaryOperator;

import static io.jswift.backend.conformance.Target.host;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** matmul (GEMM, GEMV and batched): odd sizes, every transpose, batch broadcasting, strided and broadcast views, dtypes. */
public abstract class GemmCases {
    private static final Tolerance F32 = new Tolerance(1e-4, 1e-5);
    private static final UnaryOperator<Tensor> AS_IS = x -> x;

    private final Target t;
    private final Backend dev, cpu;
    private long seed = 1;

    protected GemmCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    /** op(a) [M, K] · op(b) [K, N] from random inputs, each transpose flag honoured by the stored layout. */
    private void check(DType ta, DType tb, int m, int k, int n, boolean transA, boolean transB, Tolerance tol) {
        Tensor a = transA ? random(seed++, ta, k, m) : random(seed++, ta, m, k);
        Tensor b = transB ? random(seed++, tb, n, k) : random(seed++, tb, k, n);
        checkPair(a, b, transA, transB, tol);
    }

    private void checkPair(Tensor a, Tensor b, boolean transA, boolean transB, Tolerance tol) {
        checkViews(a, AS_IS, b, AS_IS, transA, transB, tol);
    }

    /** The product of views of a and b; the device reads the same views of its own copies. */
    private void checkViews(Tensor a, UnaryOperator<Tensor> va, Tensor b, UnaryOperator<Tensor> vb, boolean transA, boolean transB,
                            Tolerance tol) {
        Tensor expected = cpu.matmul(host(va.apply(a)), host(vb.apply(b)), transA, transB);
        Tensor actual = dev.matmul(t.put(a, va), t.put(b, vb), transA, transB);
        t.same("matmul " + a.dtype() + Arrays.toString(va.apply(a).shape()) + (transA ? "ᵀ" : "") + " · " + b.dtype()
                + Arrays.toString(vb.apply(b).shape()) + (transB ? "ᵀ" : ""), expected, actual, tol);
    }

    @ParameterizedTest(name = "M={0} K={1} N={2}")
    @CsvSource({"1,1,1", "7,7,7", "33,65,7", "65,33,130", "130,7,65", "1,130,33", "4,65,130", "5,33,65", "130,130,1", "64,64,64", "2,1,7"})
    void oddSizesAllTransposesF32(int m, int k, int n) {
        for (boolean ta : new boolean[]{false, true}) {
            for (boolean tb : new boolean[]{false, true}) check(DType.F32, DType.F32, m, k, n, ta, tb, F32);
        }
    }

    @Test
    void zeroInnerDimensionGivesZeros() {
        checkPair(random(1, 3, 0), random(2, 0, 5), false, false, Tolerance.EXACT);
        checkPair(random(1, 2, 0), random(2, 0, 5), false, false, Tolerance.EXACT);
    }

    @Test
    void batchDimsBroadcast() {
        checkPair(random(1, 2, 3, 33, 17), random(2, 17, 9), false, false, F32);     // [2,3,M,K] x [K,N]
        checkPair(random(3, 1, 65, 17), random(4, 4, 17, 9), false, false, F32);     // [1,M,K] x [4,K,N]
        checkPair(random(5, 3, 1, 7, 9), random(6, 1, 2, 9, 33), false, false, F32);  // [3,1]·[1,2] batch
        checkPair(random(7, 2, 1, 9, 3), random(8, 5, 33, 9), true, true, F32);       // small M, batched
        checkPair(random(9, 6, 2, 40), random(10, 6, 40, 70), false, false, F32);     // batched decode rows
    }

    @Test
    void stridedViewsAreReadInPlace() {
        // a transposed view (unit stride on the other dim), with and without the transpose flag
        UnaryOperator<Tensor> transposed = x -> x.transpose(0, 1);     // [40, 70] -> [70, 40] with strides (1, 70)
        Tensor at = random(12, 40, 70);
        checkViews(at, transposed, random(13, 40, 33), AS_IS, false, false, F32);
        checkViews(random(14, 33, 70), AS_IS, at, transposed, false, false, F32);
        checkViews(at, transposed, random(15, 70, 9), AS_IS, true, false, F32);
        // narrowed rows and columns of a bigger matrix (leading dimension 90), batched
        Tensor big = random(11, 6, 70, 90);
        UnaryOperator<Tensor> narrowA = x -> x.narrow(1, 3, 65).narrow(2, 5, 33);   // [6, 65, 33]
        checkViews(big, narrowA, big, x -> x.narrow(1, 0, 33).narrow(2, 1, 7), false, false, F32);
        checkViews(big, narrowA, big, x -> x.narrow(2, 0, 33).select(0, 2), false, true, F32); // b [70, 33]ᵀ
        // neither matrix dim unit-stride: a step-2 column slice
        UnaryOperator<Tensor> stepped = x -> x.slice(1, 0, 66, 2);     // [20, 66] -> [20, 33], strides (66, 2)
        Tensor s = random(16, 20, 66);
        checkViews(s, stepped, random(17, 33, 12), AS_IS, false, false, F32);
        checkViews(random(18, 3, 20), AS_IS, s, stepped, false, false, F32); // M = 3: the small-M kernel
        // a broadcast (stride 0) operand along a matrix dim and along batch
        checkViews(random(19, 1, 17), x -> x.expand(9, 17), random(20, 17, 5), AS_IS, false, false, F32);
        checkViews(random(21, 9, 17), AS_IS, random(22, 17, 5), x -> x.unsqueeze(0).expand(3, 17, 5), false, false, F32);
    }

    @Test
    void halfPrecisionOperandsAccumulateInF32() {
        for (DType h : new DType[]{DType.BF16, DType.F16}) {
            for (int m : new int[]{3, 65}) {
                // f32 results (mixed with f32): the same f32 sums up to ordering
                check(h, DType.F32, m, 130, 33, false, true, F32);
                check(DType.F32, h, m, 33, 65, true, false, F32);
                // both half: the f32 sum is rounded once to the dtype; order can flip the last bit
                check(h, h, m, 65, 7, false, false, new Tolerance(1e-6, h == DType.BF16 ? 1e-2 : 1e-3));
                Tensor a = random(seed++, h, m, 65), b = random(seed++, h, 7, 65);
                Tensor out = dev.allocate(DType.F32, m, 7);
                dev.matmul(t.put(a), t.put(b), false, true, out);
                t.same("matmul " + h + " into f32", cpu.matmul(a.to(DType.F32), b.to(DType.F32), false, true), out, F32);
            }
        }
        check(DType.BF16, DType.F16, 9, 17, 5, false, false, F32); // promotes to F32
    }

    @Test
    void f64AccumulatesInDouble() {
        for (int m : new int[]{2, 33}) {
            check(DType.F64, DType.F64, m, 130, 65, false, false, new Tolerance(1e-11, 1e-12));
            check(DType.F64, DType.F32, m, 65, 7, true, true, new Tolerance(1e-11, 1e-12));
        }
    }

    @Test
    void matmulIntoWritesTheGivenTensor() {
        Tensor a = random(30, 2, 33, 65), b = random(31, 65, 7);
        Tensor out = dev.allocate(DType.F32, 2, 33, 7);
        dev.fill(out, 123);                                           // stale values must be overwritten
        dev.matmul(t.put(a), t.put(b), false, false, out);
        t.same("matmul into", cpu.matmul(a, b, false, false), out, F32);
        Tensor out64 = dev.allocate(DType.F64, 3, 4);
        Tensor a64 = random(32, DType.F64, 3, 5), b64 = random(33, DType.F64, 5, 4);
        dev.matmul(t.put(a64), t.put(b64), false, false, out64);
        t.same("matmul into f64", cpu.matmul(a64, b64, false, false), out64, Tolerance.of(1e-12));
    }

    @Test
    void matmulAccumulateAddsInPlace() {
        // the weight-gradient accumulation of the fused linear cross-entropy
        Tensor a = random(34, 40, 33), b = random(35, 40, 7), c = random(36, 33, 7);
        Tensor expected = c.copy();
        cpu.matmulAccumulate(a, b, true, false, expected);
        Tensor out = t.put(c);
        dev.matmulAccumulate(t.put(a), t.put(b), true, false, out);
        t.same("matmulAccumulate", expected, out, F32);
    }

    @Test
    void badShapesFailClearly() {
        Tensor v = t.put(random(40, 5)), m = t.put(random(41, 5, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.matmul(v, m, false, false));
        assertTrue(e.getMessage().contains("rank >= 2") && e.getMessage().contains("[5]"), e.getMessage());
        Tensor a = t.put(random(42, 4, 6));
        e = assertThrows(IllegalArgumentException.class, () -> dev.matmul(a, m, false, false));
        assertTrue(e.getMessage().contains("inner dimensions differ") && e.getMessage().contains("6 vs 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.matmul(t.put(random(43, 2, 4, 5)), t.put(random(44, 3, 5, 2)), false, false));
        assertTrue(e.getMessage().contains("broadcast"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.matmul(a, m, true, false, dev.allocate(DType.F32, 6, 3)));
        assertTrue(e.getMessage().contains("4 vs 5"), e.getMessage());
        Tensor good = t.put(random(45, 6, 3));
        e = assertThrows(IllegalArgumentException.class, () -> dev.matmul(a, good, false, false, dev.allocate(DType.F32, 3, 4)));
        assertTrue(e.getMessage().contains("contiguous F32[4, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.matmul(a, good, false, false, dev.allocate(DType.BF16, 4, 3)));
        assertTrue(e.getMessage().contains("F32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.matmul(t.put(random(46, DType.I32, 2, 2)), t.put(random(47, 2, 2)), false, false));
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
    }
}
