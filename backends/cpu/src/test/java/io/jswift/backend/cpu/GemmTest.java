package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packed GEMM, the GEMV decode path and batching against a float64 triple loop. */
class GemmTest {
    private final CpuBackend cpu = new CpuBackend();

    private void check(int m, int k, int n, boolean ta, boolean tb, DType dtype) {
        Tensor a = random(m * 31L + k, dtype, ta ? k : m, ta ? m : k);
        Tensor b = random(n * 17L + k, dtype, tb ? n : k, tb ? k : n);
        // 16-bit × 16-bit products come back in that dtype (as torch), so allow its rounding (2^-8 relative)
        double tol = dtype == DType.F64 ? 1e-12 : dtype == DType.F32 ? 2e-5 * Math.sqrt(k + 1) : 8e-3;
        assertClose(NaiveOracle.matmul(a, b, ta, tb), cpu.matmul(a, b, ta, tb), tol, tol,
                "matmul " + m + "x" + k + "x" + n + " ta=" + ta + " tb=" + tb + " " + dtype);
    }

    @ParameterizedTest
    @CsvSource({"1,1,1", "3,7,5", "7,33,3", "33,65,31", "65,257,129", "257,33,65", "2,300,513", "4,1023,9", "129,3,1"})
    void allTransposesOnOddSizes(int m, int k, int n) {
        for (boolean ta : new boolean[]{false, true}) for (boolean tb : new boolean[]{false, true}) check(m, k, n, ta, tb, DType.F32);
    }

    @Test
    void sixteenBitOperandsConvertOnTheFly() {
        check(37, 70, 45, false, true, DType.BF16); // Linear layer shape: x·Wᵀ
        check(3, 64, 40, false, true, DType.BF16);  // decode path (GEMV) with bf16 weights
        // GEMV over bf16 pairs: main loop of 64 weights, a 32-weight step, odd and short tails
        for (int k : new int[]{1, 2, 31, 33, 63, 95, 97, 130, 2049}) check(1, k, 5, false, true, DType.BF16);
        for (int k : new int[]{4096, 4097, 8200}) { // eight rows per pass: fewer rows than one pass, two passes + a remainder
            check(1, k, 7, false, true, DType.BF16);
            check(1, k, 19, false, true, DType.BF16);
        }
        check(2, 4104, 9, false, true, DType.BF16);
        check(20, 19, 23, true, false, DType.F16);
        Tensor x = random(1, 3, 64), w = random(2, DType.BF16, 40, 64);
        assertEquals(DType.F32, cpu.matmul(x, w, false, true).dtype());
        assertClose(NaiveOracle.matmul(x, w, false, true), cpu.matmul(x, w, false, true), 1e-4, 1e-4, "f32 x bf16");
    }

    @Test
    void bf16WeightPanelsTransposeAcrossBlockEdges() {
        // f32 activations × bf16 Wᵀ in the blocked GEMM (prefill): whole 8 × 8 transposes, k tails (k % 8 != 0),
        // a second KC block, full and partial NR panels, a weight view starting mid-row (odd element offset)
        // (the same for f32 weights, which take the same transposes without the widening)
        for (DType type : new DType[]{DType.BF16, DType.F32}) {
            for (int[] s : new int[][]{{37, 1100, 70}, {5, 8, 16}, {9, 13, 33}, {64, 2051, 35}}) {
                Tensor x = random(s[0] + 3L * s[1], s[0], s[1]);
                Tensor w = random(s[2] + 5L * s[1], type, s[2], s[1]);
                assertClose(NaiveOracle.matmul(x, w, false, true), cpu.matmul(x, w, false, true), 1e-5 * Math.sqrt(s[1]), 1e-4,
                        "f32 x " + type + " " + java.util.Arrays.toString(s));
            }
            Tensor wide = random(7, type, 40, 301), w = wide.narrow(1, 3, 290);
            Tensor x = random(8, 20, 290);
            assertClose(NaiveOracle.matmul(x, w, false, true), cpu.matmul(x, w, false, true), 2e-4, 1e-4, type + " view at an odd offset");
        }
    }

    @Test
    void weightRowsOffCacheLineBoundariesAreSummedExactly() {
        // a checkpoint's tensors start anywhere on an 8-byte grid: the GEMV sums up to the first cache line one by
        // one, then runs aligned; every element offset of a 64-byte line, short and long rows, bf16 and f32
        for (DType t : new DType[]{DType.BF16, DType.F32}) {
            for (int k : new int[]{64, 100, 2049, 4096, 8200}) {
                Tensor big = random(k, t, 9 * k + 64);
                for (int skip = 0; skip < 40; skip += 3) {
                    Tensor w = big.narrow(0, skip, 9 * k).view(9, k);
                    Tensor x = random(skip + 1, 1, k);
                    double tol = t == DType.F32 ? 2e-5 * Math.sqrt(k + 1) : 1e-4 * Math.sqrt(k + 1);
                    assertClose(NaiveOracle.matmul(x, w.contiguous(), false, true), cpu.matmul(x, w, false, true), tol, tol,
                            t + " k=" + k + " offset " + skip);
                }
            }
        }
    }

    @Test
    void bf16RowsNeverReadIntoTheNextRowOrPastTheStorage() {
        // the GEMV's vector loads must stop at each row's end: an infinite weight just after the matrix must not
        // leak in (0·inf = NaN), and the last row of a storage must not be read past its end
        int n = 5;
        for (int k : new int[]{33, 96, 130, 2049}) {
            for (int skip : new int[]{0, 5, 12}) {
                float[] values = random(k + skip, (n + 1) * k + skip).toFloatArray();
                for (int i = skip + n * k; i < values.length; i++) values[i] = Float.POSITIVE_INFINITY;
                Tensor padded = Tensor.of(values, values.length).to(DType.BF16);
                Tensor x = random(skip + 7, 2, k);
                double tol = 1e-4 * Math.sqrt(k + 1);
                Tensor beforeInf = padded.narrow(0, skip, n * k).view(n, k);
                assertClose(NaiveOracle.matmul(x, beforeInf.contiguous(), false, true), cpu.matmul(x, beforeInf, false, true), tol, tol,
                        "k=" + k + " offset " + skip + " before infinite weights");
                Tensor atEnd = random(k * 3L + skip, DType.BF16, n * k + skip).narrow(0, skip, n * k).view(n, k);
                assertClose(NaiveOracle.matmul(x, atEnd.contiguous(), false, true), cpu.matmul(x, atEnd, false, true), tol, tol,
                        "k=" + k + " offset " + skip + " ending the storage");
            }
        }
    }

    @Test
    void bf16RowEdgesMaskTheirOtherLanes() {
        // the GEMV starts each row's sum with a masked vector from the row start (weights before the first cache
        // line) and one ending at the row end (what the vector loop left): a row of infinite weights must sum to
        // +inf (a lane counted twice or unmasked would meet a zero activation: 0·inf = NaN), and its neighbours,
        // whose edge vectors end and start next to it, must stay finite and exact
        for (int k : new int[]{32, 64, 100, 2049, 4097, 8200}) {
            for (int skip : new int[]{0, 5, 12, 20}) {
                int n = 9;
                float[] values = random(k + 3L * skip, n * k + skip).toFloatArray();
                for (int i = 0; i < values.length; i++) values[i] = Math.abs(values[i]) + 0.25f;
                for (int i = skip + 2 * k; i < skip + 3 * k; i++) values[i] = Float.POSITIVE_INFINITY;
                Tensor w = Tensor.of(values, values.length).to(DType.BF16).narrow(0, skip, n * k).view(n, k);
                float[] xs = random(skip + 11, 1, k).toFloatArray();
                for (int i = 0; i < k; i++) xs[i] = Math.abs(xs[i]) + 0.5f;
                Tensor x = Tensor.of(xs, 1, k);
                float[] got = cpu.matmul(x, w, false, true).toFloatArray();
                float[] finite = w.contiguous().to(DType.F32).toFloatArray();
                java.util.Arrays.fill(finite, 2 * k, 3 * k, 0f);
                double[] want = NaiveOracle.matmul(x, Tensor.of(finite, n, k), false, true);
                for (int r = 0; r < n; r++) {
                    String where = "k=" + k + " offset " + skip + " row " + r;
                    if (r == 2) assertEquals(Float.POSITIVE_INFINITY, got[r], where);
                    else assertEquals(want[r], got[r], 1e-4 * Math.abs(want[r]), where);
                }
            }
        }
    }

    @Test
    void fewRowsAgainstWeightRowsUseDotTilesWithEveryRemainder() {
        // 5..16 rows of x against Wᵀ: 4 x 2 tiles, the rows of x past the last whole tile, an odd last weight row,
        // and K past the last whole vector (summed element by element); accumulate (C += A·B) as well
        for (DType t : new DType[]{DType.BF16, DType.F32}) {
            for (int m : new int[]{5, 8, 13, 16}) {
                for (int k : new int[]{31, 64, 100, 2049}) {
                    Tensor x = random(m * 7L + k, m, k), w = random(k * 3L + m, t, 9, k);
                    double tol = 1e-4 * Math.sqrt(k + 1);
                    assertClose(NaiveOracle.matmul(x, w, false, true), cpu.matmul(x, w, false, true), tol, tol, t + " m=" + m + " k=" + k);
                }
            }
            Tensor x = random(3, 6, 40), w = random(4, t, 7, 40), out = random(5, 6, 7);
            double[] sum = NaiveOracle.matmul(x, w, false, true), base = out.toDoubleArray();
            for (int i = 0; i < sum.length; i++) sum[i] += base[i];
            cpu.matmulAccumulate(x, w, false, true, out);
            assertClose(sum, out, 1e-4, 1e-4, t + " accumulate");
        }
    }

    @Test
    void float64IsAccurate() {
        check(17, 40, 9, false, false, DType.F64);
        check(9, 40, 17, true, true, DType.F64);
    }

    @Test
    void largeEnoughToUseEveryBlockLoop() {
        check(300, 1100, 200, false, false, DType.F32); // K > KC, M > MC, several threads
        check(130, 1030, 70, false, true, DType.F32);
    }

    @Test
    void nonContiguousViewsAndZeroSizes() {
        Tensor a = random(1, 40, 30).slice(0, 1, 40, 3);        // [13, 30] row step 3
        Tensor b = random(2, 30, 50).slice(1, 0, 50, 2);        // [30, 25] column step 2
        assertClose(NaiveOracle.matmul(a.contiguous(), b.contiguous(), false, false), cpu.matmul(a, b, false, false), 1e-4, 1e-4, "views");
        assertArrayEquals(new int[]{0, 5}, cpu.matmul(Tensor.zeros(DType.F32, 0, 3), random(1, 3, 5), false, false).shape());
        Tensor kZero = cpu.matmul(Tensor.zeros(DType.F32, 4, 0), Tensor.zeros(DType.F32, 0, 6), false, false);
        assertArrayEquals(new double[24], kZero.toDoubleArray(), 0);
    }

    @Test
    void batchedWithBroadcastBatchDims() {
        Tensor a = random(1, 2, 3, 5, 7), b = random(2, 3, 7, 4); // [2,3,5,7] · [3,7,4] → [2,3,5,4]
        Tensor c = cpu.matmul(a, b, false, false);
        assertArrayEquals(new int[]{2, 3, 5, 4}, c.shape());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                double[] expected = NaiveOracle.matmul(a.select(0, i).select(0, j).contiguous(), b.select(0, j).contiguous(), false, false);
                assertClose(expected, c.select(0, i).select(0, j), 1e-5, 1e-5, "batch " + i + "," + j);
            }
        }
        Tensor out = Tensor.zeros(DType.F32, 2, 3, 5, 4);
        cpu.matmul(a, b, false, false, out);
        assertArrayEquals(c.toDoubleArray(), out.toDoubleArray(), 0);
    }

    @Test
    void matmulAccumulateAddsToTheOutput() {
        // the blocked path (several K blocks), the GEMV path (M <= 4) and F64, each added onto a non-zero output
        int[][] sizes = {{300, 1100, 70}, {3, 64, 40}, {17, 5, 9}};
        for (int[] s : sizes) {
            for (DType t : new DType[]{DType.F32, DType.F64}) {
                Tensor a = random(s[0], t, s[1], s[0]), b = random(s[2], t, s[1], s[2]); // a transposed: dW = dYᵀ·X
                Tensor out = random(7, t, s[0], s[2]);
                double[] before = out.toDoubleArray(), product = NaiveOracle.matmul(a, b, true, false);
                cpu.matmulAccumulate(a, b, true, false, out);
                double[] expected = new double[before.length];
                for (int i = 0; i < expected.length; i++) expected[i] = before[i] + product[i];
                double tol = t == DType.F64 ? 1e-12 : 2e-5 * Math.sqrt(s[1] + 1);
                assertClose(expected, out, tol, tol, "accumulate " + java.util.Arrays.toString(s) + " " + t);
            }
        }
        Tensor out = random(3, DType.F32, 4, 6);
        double[] before = out.toDoubleArray();
        cpu.matmulAccumulate(Tensor.zeros(DType.F32, 4, 0), Tensor.zeros(DType.F32, 0, 6), false, false, out);
        assertArrayEquals(before, out.toDoubleArray(), 0, "K = 0 adds nothing");
    }

    @Test
    void shapeErrorsNameBothOperands() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.matmul(random(1, 3, 4), random(2, 5, 6), false, false));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[5, 6]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cpu.matmul(random(1, 3), random(2, 3, 6), false, false));
        assertThrows(IllegalArgumentException.class, () -> cpu.matmul(random(1, 3, 4), random(2, 4, 6), false, false, Tensor.zeros(DType.F32, 3, 5)));
    }
}
