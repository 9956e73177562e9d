package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.RandomSpec;
import io.jswift.tensor.spi.ReduceOp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReduceIndexTest {
    private final CpuBackend cpu = new CpuBackend();

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void reductionsOverEverySubsetOfDims(ReduceOp op) {
        for (int[] shape : new int[][]{{3, 7, 33}, {1, 1, 1023}, {5, 1, 3}}) {
            Tensor x = random(shape[2], shape);
            for (Tensor in : new Tensor[]{x, x.permute(0, 1, 2).contiguous()}) {
                for (int mask = 1; mask < 8; mask++) {
                    boolean[] red = {(mask & 1) != 0, (mask & 2) != 0, (mask & 4) != 0};
                    int[] dims = java.util.stream.IntStream.range(0, 3).filter(d -> red[d]).map(d -> d - 3).toArray(); // negative dims
                    Tensor r = cpu.reduce(op, in, dims, true);
                    assertClose(NaiveOracle.reduce(op, in, red), r, 1e-5, 1e-5, op + " over " + java.util.Arrays.toString(dims));
                }
            }
        }
        Tensor strided = random(9, 6, 10).transpose(0, 1).slice(0, 0, 10, 3); // [4, 6] non-contiguous
        Tensor as3 = strided.unsqueeze(0);
        assertClose(NaiveOracle.reduce(op, as3.contiguous(), new boolean[]{false, false, true}), cpu.reduce(op, as3, new int[]{2}, true), 1e-5, 1e-5, "strided");
    }

    @Test
    void emptyReductionsAndKeepDim() {
        Tensor empty = Tensor.zeros(DType.F32, 0, 3);
        assertArrayEquals(new double[]{0, 0, 0}, cpu.reduce(ReduceOp.SUM, empty, new int[]{0}, false).toDoubleArray());
        assertTrue(Double.isNaN(cpu.reduce(ReduceOp.MEAN, empty, new int[]{0}, false).getDouble(0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.reduce(ReduceOp.MAX, empty, new int[]{0}, false));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        assertArrayEquals(new int[]{4}, cpu.reduce(ReduceOp.SUM, random(1, 4, 5), new int[]{1}, false).shape());
        assertArrayEquals(new int[]{}, cpu.reduce(ReduceOp.SUM, random(1, 4, 5), new int[0], false).shape());
        assertEquals(DType.I64, cpu.reduce(ReduceOp.SUM, Tensor.ofInts(new int[]{1, 2}, 2), new int[0], false).dtype());
    }

    @Test
    void argmaxTakesTheFirstMaximum() {
        Tensor x = Tensor.of(new float[]{1, 5, 5, 2, 9, 9, 0, 9}, 2, 4);
        assertArrayEquals(new long[]{1, 0}, cpu.argmax(x, 1, false).toLongArray());
        assertArrayEquals(new long[]{1, 1, 0, 1}, cpu.argmax(x.transpose(0, 1), 1, false).toLongArray());
        assertArrayEquals(new int[]{2, 1}, cpu.argmax(x, -1, true).shape());
    }

    @Test
    void indexSelectGatherScatterAndIndexAdd() {
        Tensor x = random(1, 5, 4);
        double[] xv = x.toDoubleArray();
        Tensor idx = Tensor.ofLongs(new long[]{4, 0, 4}, 3);
        double[] rows = new double[12];
        for (int r = 0; r < 3; r++) System.arraycopy(xv, (int) idx.getLong(r) * 4, rows, r * 4, 4);
        assertClose(rows, cpu.indexSelect(x, 0, idx), 0, 0, "index_select dim 0");
        Tensor cols = cpu.indexSelect(x.transpose(0, 1), 1, Tensor.ofInts(new int[]{2, 2}, 2)); // strided input
        assertArrayEquals(new double[]{xv[8], xv[8], xv[9], xv[9], xv[10], xv[10], xv[11], xv[11]}, cols.toDoubleArray(), 0);
        IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class, () -> cpu.indexSelect(x, 0, Tensor.ofLongs(new long[]{5}, 1)));
        assertTrue(oob.getMessage().contains("index 5 is out of range for dim 0 of size 5"), oob.getMessage());

        Tensor gi = Tensor.ofLongs(new long[]{3, 0, 1, 1, 2, 3, 0, 0, 3, 2}, 5, 2);
        Tensor g = cpu.gather(x, 1, gi);
        for (int r = 0; r < 5; r++) for (int c = 0; c < 2; c++) assertEquals(xv[r * 4 + (int) gi.getLong(r, c)], g.getDouble(r, c), 0);

        Tensor dst = Tensor.zeros(DType.F32, 5, 4);
        Tensor src = random(2, 5, 2);
        cpu.scatterAdd(dst, 1, gi, src);
        double[] expected = new double[20];
        for (int r = 0; r < 5; r++) for (int c = 0; c < 2; c++) expected[r * 4 + (int) gi.getLong(r, c)] += src.getDouble(r, c);
        assertClose(expected, dst, 1e-7, 1e-6, "scatter_add");

        Tensor acc = Tensor.zeros(DType.F32, 5, 4);
        Tensor rowsSrc = random(3, 3, 4);
        cpu.indexAdd(acc, 0, idx, rowsSrc); // index 4 twice: accumulates
        double[] e2 = new double[20];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) e2[(int) idx.getLong(r) * 4 + c] += rowsSrc.getDouble(r, c);
        assertClose(e2, acc, 1e-7, 1e-6, "index_add");
    }

    @Test
    void concatAlongAnyDim() {
        Tensor a = random(1, 2, 3), b = random(2, 2, 1), c = random(3, 2, 3).transpose(0, 1).contiguous().transpose(0, 1);
        Tensor r = cpu.concat(List.of(a, b, c), 1);
        assertArrayEquals(new int[]{2, 7}, r.shape());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) assertEquals(a.getDouble(i, j), r.getDouble(i, j));
            assertEquals(b.getDouble(i, 0), r.getDouble(i, 3));
            for (int j = 0; j < 3; j++) assertEquals(c.getDouble(i, j), r.getDouble(i, 4 + j));
        }
        assertThrows(IllegalArgumentException.class, () -> cpu.concat(List.of(a, random(4, 3, 3)), 1));
    }

    @Test
    void fillArangeAndCopyIntoViews() {
        Tensor t = Tensor.zeros(DType.F32, 4, 6);
        cpu.fill(t.slice(1, 1, 6, 2), 7);
        for (int j = 0; j < 6; j++) assertEquals(j % 2 == 1 ? 7.0 : 0.0, t.getDouble(2, j));
        assertArrayEquals(new long[]{3, 5, 7}, cpu.arange(3, 8, 2, DType.I64).toLongArray());
        assertArrayEquals(new double[]{1, 0.5, 0}, cpu.arange(1, -0.25, -0.5, DType.F64).toDoubleArray(), 0);
        Tensor src = random(4, 6, 4);
        Tensor dst = Tensor.zeros(DType.BF16, 4, 6);
        cpu.copy(src.transpose(0, 1), dst);
        Tensor expected = src.transpose(0, 1);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 6; j++) {
            assertEquals(io.jswift.tensor.Half.bf16ToFloat(io.jswift.tensor.Half.floatToBf16(expected.getFloat(i, j))), dst.getFloat(i, j));
        }
        assertThrows(IllegalArgumentException.class, () -> cpu.copy(random(1, 3), Tensor.zeros(DType.F32, 4)));
    }

    @Test
    void randomFillsAreSeededAndDistributedAsAsked() {
        Tensor a = Tensor.zeros(DType.F32, 100_000), b = Tensor.zeros(DType.F32, 100_000);
        cpu.fillRandom(a, new RandomSpec.Normal(1, 2), new Generator(5));
        cpu.fillRandom(b, new RandomSpec.Normal(1, 2), new Generator(5));
        assertArrayEquals(a.toDoubleArray(), b.toDoubleArray(), 0);
        double[] v = a.toDoubleArray();
        double mean = 0, sq = 0;
        for (double x : v) mean += x;
        mean /= v.length;
        for (double x : v) sq += (x - mean) * (x - mean);
        assertEquals(1, mean, 0.03);
        assertEquals(2, Math.sqrt(sq / v.length), 0.03);
        Generator g = new Generator(5);
        Tensor u = Tensor.zeros(DType.F64, 50_000);
        cpu.fillRandom(u, new RandomSpec.Uniform(-1, 3), g);
        double[] uv = u.toDoubleArray();
        double um = 0;
        for (double x : uv) {
            assertTrue(x >= -1 && x < 3);
            um += x;
        }
        assertEquals(1, um / uv.length, 0.03);
        Tensor mask = Tensor.zeros(DType.F32, 50_000);
        cpu.fillRandom(mask, new RandomSpec.Bernoulli(0.3), g);
        double ones = 0;
        for (double x : mask.toDoubleArray()) ones += x;
        assertEquals(0.3, ones / 50_000, 0.01);
        Tensor replay = Tensor.zeros(DType.F32, 50_000);
        cpu.fillRandom(replay, new RandomSpec.Bernoulli(0.3), new Generator(5, 12_500)); // (seed, offset) is the whole state
        assertArrayEquals(mask.toDoubleArray(), replay.toDoubleArray(), 0);
        assertEquals(25_000, g.offset());
        assertNotEquals(a.getDouble(0), cpu.binaryScalar(io.jswift.tensor.spi.BinaryOp.ADD, a, 0).getDouble(1));
    }
}
