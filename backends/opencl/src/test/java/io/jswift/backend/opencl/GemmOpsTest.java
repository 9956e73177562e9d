package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.jswift.backend.opencl.OpenClTesting.DEVICE;
import static io.jswift.backend.opencl.OpenClTesting.assertSameAsCpu;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OpenCL matmul against the CPU backend: odd sizes, transposes, batch broadcasting, strided views, dtypes. */
class GemmOpsTest {
    private final Backend cl = OpenClTesting.backend();
    private final Backend cpu = OpenClTesting.cpu();
    private long seed = 1;

    /** op(a) [M, K] · op(b) [K, N] from host inputs, each transpose flag honoured by the stored layout. */
    private void check(DType ta, DType tb, int m, int k, int n, boolean transA, boolean transB, double atol, double rtol) {
        Tensor a = transA ? random(seed++, ta, k, m) : random(seed++, ta, m, k);
        Tensor b = transB ? random(seed++, tb, n, k) : random(seed++, tb, k, n);
        checkPair(a, b, transA, transB, atol, rtol);
    }

    private void checkPair(Tensor a, Tensor b, boolean transA, boolean transB, double atol, double rtol) {
        Tensor expected = cpu.matmul(a, b, transA, transB);
        Tensor actual = cl.matmul(a.to(DEVICE), b.to(DEVICE), transA, transB);
        assertSameAsCpu(expected, actual, atol, rtol);
    }

    @ParameterizedTest(name = "M={0} K={1} N={2}")
    @CsvSource({"1,1,1", "7,7,7", "33,65,7", "65,33,130", "130,7,65", "1,130,33", "4,65,130", "5,33,65", "130,130,1", "64,64,64", "2,1,7"})
    void oddSizesAllTransposesF32(int m, int k, int n) {
        for (boolean ta : new boolean[]{false, true}) {
            for (boolean tb : new boolean[]{false, true}) check(DType.F32, DType.F32, m, k, n, ta, tb, 1e-4, 1e-5);
        }
    }

    @Test
    void zeroInnerDimensionGivesZeros() {
        checkPair(random(1, 3, 0), random(2, 0, 5), false, false, 0, 0);
        checkPair(random(1, 2, 0), random(2, 0, 5), false, false, 0, 0);
    }

    @Test
    void batchDimsBroadcast() {
        checkPair(random(1, 2, 3, 33, 17), random(2, 17, 9), false, false, 1e-4, 1e-5);     // [2,3,M,K] x [K,N]
        checkPair(random(3, 1, 65, 17), random(4, 4, 17, 9), false, false, 1e-4, 1e-5);     // [1,M,K] x [4,K,N]
        checkPair(random(5, 3, 1, 7, 9), random(6, 1, 2, 9, 33), false, false, 1e-4, 1e-5);  // [3,1]·[1,2] batch
        checkPair(random(7, 2, 1, 9, 3), random(8, 5, 33, 9), true, true, 1e-4, 1e-5);       // small M, batched
        checkPair(random(9, 6, 2, 40), random(10, 6, 40, 70), false, false, 1e-4, 1e-5);     // batched decode rows
    }

    @Test
    void stridedViewsAreReadInPlace() {
        Tensor big = random(11, 6, 70, 90);
        // a transposed view (unit stride on the other dim), with and without the transpose flag
        Tensor at = random(12, 40, 70).transpose(0, 1);               // [70, 40] with strides (1, 70)
        Tensor b = random(13, 40, 33);
        checkPair(at, b, false, false, 1e-4, 1e-5);
        checkPair(random(14, 33, 70), at, false, false, 1e-4, 1e-5);
        checkPair(at, random(15, 70, 9), true, false, 1e-4, 1e-5);
        // narrowed rows and columns of a bigger matrix (leading dimension 90), batched
        Tensor narrowA = big.narrow(1, 3, 65).narrow(2, 5, 33);          // [6, 65, 33]
        Tensor narrowB = big.narrow(1, 0, 33).narrow(2, 1, 7);           // [6, 33, 7]
        checkPair(narrowA, narrowB, false, false, 1e-4, 1e-5);
        checkPair(narrowA, big.narrow(2, 0, 33).select(0, 2), false, true, 1e-4, 1e-5); // b [70, 33]ᵀ
        // neither matrix dim unit-stride: a step-2 column slice
        Tensor stepped = random(16, 20, 66).slice(1, 0, 66, 2);         // [20, 33], strides (66, 2)
        checkPair(stepped, random(17, 33, 12), false, false, 1e-4, 1e-5);
        checkPair(random(18, 3, 20), stepped, false, false, 1e-4, 1e-5); // M = 3: small-M kernel
        // a broadcast (stride 0) operand along a matrix dim and along batch
        Tensor row = random(19, 1, 17).expand(9, 17);
        checkPair(row, random(20, 17, 5), false, false, 1e-4, 1e-5);
        checkPair(random(21, 9, 17), random(22, 17, 5).unsqueeze(0).expand(3, 17, 5), false, false, 1e-4, 1e-5);
    }

    @Test
    void halfPrecisionOperandsAccumulateInF32() {
        for (DType t : new DType[]{DType.BF16, DType.F16}) {
            for (int m : new int[]{3, 65}) {
                // f32 results (mixed with f32): the same f32 sums as the CPU up to ordering
                check(t, DType.F32, m, 130, 33, false, true, 1e-4, 1e-5);
                check(DType.F32, t, m, 33, 65, true, false, 1e-4, 1e-5);
                // both half: the f32 sum is rounded once to the dtype; order can flip the last bit
                check(t, t, m, 65, 7, false, false, 1e-6, t == DType.BF16 ? 1e-2 : 1e-3);
                Tensor a = random(seed++, t, m, 65), b = random(seed++, t, 7, 65);
                Tensor out = cl.allocate(DType.F32, m, 7);
                cl.matmul(a.to(DEVICE), b.to(DEVICE), false, true, out);
                assertSameAsCpu(cpu.matmul(a.to(DType.F32), b.to(DType.F32), false, true), out, 1e-4, 1e-5);
            }
        }
        check(DType.BF16, DType.F16, 9, 17, 5, false, false, 1e-4, 1e-5); // promotes to F32
    }

    @Test
    void f64AccumulatesInDouble() {
        for (int m : new int[]{2, 33}) {
            check(DType.F64, DType.F64, m, 130, 65, false, false, 1e-11, 1e-12);
            check(DType.F64, DType.F32, m, 65, 7, true, true, 1e-11, 1e-12);
        }
    }

    @Test
    void matmulIntoWritesTheGivenTensor() {
        Tensor a = random(30, 2, 33, 65), b = random(31, 65, 7);
        Tensor out = cl.allocate(DType.F32, 2, 33, 7);
        cl.fill(out, 123);                                           // stale values must be overwritten
        cl.matmul(a.to(DEVICE), b.to(DEVICE), false, false, out);
        assertSameAsCpu(cpu.matmul(a, b, false, false), out, 1e-4, 1e-5);
        Tensor out64 = cl.allocate(DType.F64, 3, 4);
        Tensor a64 = random(32, DType.F64, 3, 5), b64 = random(33, DType.F64, 5, 4);
        cl.matmul(a64.to(DEVICE), b64.to(DEVICE), false, false, out64);
        assertSameAsCpu(cpu.matmul(a64, b64, false, false), out64, 1e-12, 1e-12);
    }

    @Test
    void matmulAccumulateAndBinaryIntoAddInPlace() {
        // the weight-gradient accumulation of the fused linear cross-entropy and in-place gradient sums
        Tensor a = random(34, 40, 33), b = random(35, 40, 7), c = random(36, 33, 7);
        Tensor expected = cpu.allocate(DType.F32, 33, 7);
        cpu.copy(c, expected);
        cpu.matmulAccumulate(a, b, true, false, expected);
        Tensor out = c.to(DEVICE);
        cl.matmulAccumulate(a.to(DEVICE), b.to(DEVICE), true, false, out);
        assertSameAsCpu(expected, out, 1e-4, 1e-5);
        Tensor x = random(37, 5, 9), y = random(38, 9);
        Tensor sum = cpu.binary(io.jswift.tensor.spi.BinaryOp.ADD, x, y);
        Tensor xd = x.to(DEVICE);
        cl.binaryInto(io.jswift.tensor.spi.BinaryOp.ADD, xd, y.to(DEVICE), xd);
        assertSameAsCpu(sum, xd, 1e-6, 1e-6);
    }

    @Test
    void badShapesAndOutputsFailClearly() {
        Tensor v = random(40, 5).to(DEVICE), m = random(41, 5, 3).to(DEVICE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cl.matmul(v, m, false, false));
        assertTrue(e.getMessage().contains("rank >= 2") && e.getMessage().contains("[5]"), e.getMessage());
        Tensor a = random(42, 4, 6).to(DEVICE);
        e = assertThrows(IllegalArgumentException.class, () -> cl.matmul(a, m, false, false));
        assertTrue(e.getMessage().contains("inner dimensions differ") && e.getMessage().contains("6 vs 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cl.matmul(random(43, 2, 4, 5).to(DEVICE), random(44, 3, 5, 2).to(DEVICE), false, false));
        assertTrue(e.getMessage().contains("broadcast"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cl.matmul(a, m, true, false, cl.allocate(DType.F32, 6, 3)));
        assertTrue(e.getMessage().contains("4 vs 5"), e.getMessage());
        Tensor good = random(45, 6, 3).to(DEVICE);
        e = assertThrows(IllegalArgumentException.class, () -> cl.matmul(a, good, false, false, cl.allocate(DType.F32, 3, 4)));
        assertTrue(e.getMessage().contains("contiguous F32[4, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cl.matmul(a, good, false, false, cl.allocate(DType.BF16, 4, 3)));
        assertTrue(e.getMessage().contains("F32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cl.matmul(random(46, DType.I32, 2, 2).to(DEVICE), random(47, 2, 2).to(DEVICE), false, false));
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cl.matmul(random(48, 2, 2), random(49, 2, 2).to(DEVICE), false, false));
        assertTrue(e.getMessage().contains("is on cpu"), e.getMessage());
    }
}
