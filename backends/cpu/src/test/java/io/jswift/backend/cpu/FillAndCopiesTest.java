package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;
import org.junit.jupiter.api.Test;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Tensor copies made through the CPU backend only when a layout needs them; fill, arange and random fills into any dtype and view. */
class FillAndCopiesTest {
    private final CpuBackend cpu = new CpuBackend();

    @Test
    void contiguousAndReshapeCopyOnlyWhenTheLayoutNeedsIt() {
        Tensor x = random(1, 4, 6);
        assertSame(x, x.contiguous());
        Tensor rows = x.narrow(0, 1, 2);                    // still contiguous, offset 6
        assertSame(rows, rows.contiguous());
        assertSame(x.storage(), x.reshape(3, 8).storage());
        Tensor t = x.transpose(0, 1);
        Tensor c = t.contiguous();
        assertNotSame(t.storage(), c.storage());
        assertArrayEquals(t.toDoubleArray(), c.toDoubleArray(), 0);
        Tensor flat = t.reshape(-1);                         // needs a copy: row-major order of the transpose
        assertNotSame(x.storage(), flat.storage());
        assertArrayEquals(t.toDoubleArray(), flat.toDoubleArray(), 0);
        assertSame(x.storage(), t.reshape(6, 2, 2).storage()); // splitting the strided dim is a view
        Tensor copy = x.copy();
        assertNotSame(x.storage(), copy.storage());
        assertEquals(DType.BF16, x.to(DType.BF16).dtype());
        assertSame(x, x.to(DType.F32));
    }

    @Test
    void fillWritesEveryDtypeThroughViewsOnly() {
        for (DType t : DType.values()) {
            Tensor base = Tensor.zeros(t, 5, 6);
            cpu.fill(base.slice(0, 1, 5, 2).narrow(1, 2, 3), 3);   // rows 1 and 3, columns 2..4
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 6; j++) {
                    boolean inside = (i == 1 || i == 3) && j >= 2 && j < 5;
                    assertEquals(inside ? (t == DType.BOOL ? 1 : 3) : 0, base.getDouble(i, j), t + " at " + i + "," + j);
                }
            }
        }
        Tensor big = Tensor.zeros(DType.F32, 3, 100_003);            // the parallel contiguous path, ragged end
        cpu.fill(big, -0.5);
        for (double v : big.toDoubleArray()) assertEquals(-0.5, v);
        cpu.fill(big, 0);
        for (double v : big.toDoubleArray()) assertEquals(0.0, v);
        Tensor bf = Tensor.zeros(DType.BF16, 2);
        cpu.fill(bf, 1 + 0x1p-8);                                     // a bf16 tie: rounds to even
        assertEquals(1.0, bf.getDouble(0));
    }

    @Test
    void arangeMatchesStartPlusIStep() {
        for (double[] a : new double[][]{{0, 1, 0.1}, {-3, 4, 0.7}, {5, -5, -1.5}, {2, 2, 1}, {3, 1, 1}, {0.5, 3, 1}}) {
            int n = (int) Math.max(0, Math.ceil((a[1] - a[0]) / a[2]));
            double[] expected = new double[n];
            for (int i = 0; i < n; i++) expected[i] = a[0] + i * a[2];
            assertArrayEquals(expected, cpu.arange(a[0], a[1], a[2], DType.F64).toDoubleArray(), 0, java.util.Arrays.toString(a));
        }
        assertEquals(10, cpu.arange(0, 1, 0.1, DType.F32).numel());
        assertArrayEquals(new long[]{-2, 0, 2}, cpu.arange(-2, 3, 2, DType.I32).toLongArray());
        assertThrows(IllegalArgumentException.class, () -> cpu.arange(0, 1, 0, DType.F32));
        assertThrows(IllegalArgumentException.class, () -> cpu.arange(0, Double.POSITIVE_INFINITY, 1, DType.F32));
    }

    @Test
    void randomFillsEqualTheGeneratorsValuesInAnyDtypeAndView() {
        RandomSpec spec = new RandomSpec.Normal(0, 2);
        float[] values = new float[12];
        Generator.fillFrom(9, 0, values, spec);
        for (DType t : new DType[]{DType.F32, DType.F64, DType.BF16, DType.F16, DType.I32}) {
            Tensor base = Tensor.zeros(t, 4, 6);
            Tensor view = base.slice(1, 0, 6, 2).transpose(0, 1);    // [3, 4], filled in its own row-major order
            Generator g = new Generator(9);
            cpu.fillRandom(view, spec, g);
            assertEquals(3, g.offset());
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < 4; j++) {
                    assertEquals(Tensor.scalar(t, values[i * 4 + j]).getDouble(), view.getDouble(i, j), t + " at " + i + "," + j);
                    assertEquals(0.0, base.getDouble(j, 2 * i + 1), "untouched column");
                }
            }
        }
        Tensor empty = Tensor.zeros(DType.F32, 0, 4);
        Generator g = new Generator(1);
        cpu.fillRandom(empty, spec, g);
        assertEquals(0, g.offset());
    }

    @Test
    void largeRandomFillsSplitAcrossCoresEqualTheSequentialStream() {
        // sizes across the 16384-element slices: an exact multiple, a ragged last slice, a last block of 1-3 lanes
        for (int n : new int[]{1 << 16, 100_003, 16_385, 49_154}) {
            for (RandomSpec spec : new RandomSpec[]{new RandomSpec.Normal(1, 3), new RandomSpec.Bernoulli(0.9), new RandomSpec.Uniform(-1, 2)}) {
                Generator sequential = new Generator(77);
                sequential.setOffset(5);
                float[] expected = new float[n];
                sequential.fill(expected, spec);
                Generator g = new Generator(77);
                g.setOffset(5);
                Tensor t = Tensor.zeros(DType.F32, n);
                cpu.fillRandom(t, spec, g);
                assertArrayEquals(expected, t.toFloatArray(), spec + " n=" + n);
                assertEquals(sequential.offset(), g.offset(), "generator advanced by the same blocks");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Generator.fillFrom(1, 0, new float[8], 2, 8, new RandomSpec.Uniform(0, 1)));
    }
}
