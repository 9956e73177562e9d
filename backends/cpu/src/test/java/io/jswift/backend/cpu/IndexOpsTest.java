package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.jswift.tensor.testing.RandomTensors.random;
import static io.jswift.tensor.testing.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Index ops on strided views, dims other than 0, several dtypes, zero sizes and bad indices, against plain loops. */
class IndexOpsTest {
    private final CpuBackend cpu = new CpuBackend();

    private Tensor randomIndex(long seed, int bound, DType t, int... shape) {
        Random r = new Random(seed);
        Tensor idx = Tensor.zeros(t, shape);
        long[] v = new long[(int) idx.numel()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(bound);
        cpu.copy(Tensor.ofLongs(v, shape), idx);
        return idx;
    }

    @Test
    void indexSelectAlongEveryDimOfAView() {
        Tensor x = random(1, DType.F64, 6, 5, 7).permute(2, 0, 1); // [7, 6, 5] strided
        double[][][] v = new double[7][6][5];
        for (int i = 0; i < 7; i++) for (int j = 0; j < 6; j++) for (int k = 0; k < 5; k++) v[i][j][k] = x.getDouble(i, j, k);
        for (int dim = 0; dim < 3; dim++) {
            Tensor idx = randomIndex(dim, x.size(dim), dim == 1 ? DType.I32 : DType.I64, 9);
            Tensor r = cpu.indexSelect(x, dim, idx);
            int[] shape = x.shape();
            shape[dim] = 9;
            assertArrayEquals(shape, r.shape());
            double[] expected = new double[(int) r.numel()];
            int p = 0;
            for (int i = 0; i < shape[0]; i++) for (int j = 0; j < shape[1]; j++) for (int k = 0; k < shape[2]; k++) {
                int[] c = {i, j, k};
                c[dim] = (int) idx.getLong(c[dim]);
                expected[p++] = v[c[0]][c[1]][c[2]];
            }
            assertClose(expected, r, 0, 0, "index_select dim " + dim);
        }
        assertArrayEquals(new int[]{0, 6, 5}, cpu.indexSelect(x, 0, Tensor.zeros(DType.I64, 0)).shape());
    }

    @Test
    void gatherAndScatterAddAgreeWithLoopsOnViews() {
        Tensor x = random(2, 5, 8).transpose(0, 1);               // [8, 5] strided
        Tensor idx = randomIndex(3, 8, DType.I64, 5, 3).transpose(0, 1); // [3, 5] strided index, values < 8
        Tensor g = cpu.gather(x, 0, idx);
        double[] expected = new double[15];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) expected[i * 5 + j] = x.getDouble((int) idx.getLong(i, j), j);
        assertClose(expected, g, 0, 0, "gather dim 0");

        Tensor base = Tensor.zeros(DType.F64, 5, 10);
        Tensor dst = base.slice(1, 0, 10, 2).transpose(0, 1);     // [5, 5] view, strides (2, 10)
        Tensor src = random(4, DType.F64, 3, 5);
        Tensor scatterIdx = randomIndex(5, 5, DType.I32, 3, 5);
        cpu.scatterAdd(dst, 0, scatterIdx, src);
        double[] want = new double[25];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 5; j++) want[(int) scatterIdx.getLong(i, j) * 5 + j] += src.getDouble(i, j);
        assertClose(want, dst, 1e-15, 0, "scatter_add into a view");
        for (int r = 0; r < 5; r++) for (int c = 1; c < 10; c += 2) assertEquals(0.0, base.getDouble(r, c), "outside the view");
        assertArrayEquals(new int[]{0, 5}, cpu.gather(x, 0, Tensor.zeros(DType.I64, 0, 5)).shape());
    }

    @Test
    void indexAddAccumulatesRepeatedTargetsInEveryFloatType() {
        Tensor idx = Tensor.ofLongs(new long[]{2, 0, 2, 2}, 4);
        for (DType t : new DType[]{DType.F32, DType.F64, DType.BF16}) {
            for (int dim = 0; dim < 2; dim++) {
                Tensor dst = random(6, t, 3, 3);
                Tensor src = random(7, t, 4, 3);
                if (dim == 1) src = random(7, t, 4, 3).transpose(0, 1); // [3, 4] strided
                // the definition: dst.select(dim, idx[k]) += src.select(dim, k) for k in order, rounding after each add
                double[][] want = new double[3][3];
                for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) want[r][c] = dst.getDouble(r, c);
                for (int k = 0; k < 4; k++) {
                    int target = (int) idx.getLong(k);
                    for (int e = 0; e < 3; e++) {
                        int r = dim == 0 ? target : e, c = dim == 0 ? e : target;
                        double add = dim == 0 ? src.getDouble(k, e) : src.getDouble(e, k);
                        want[r][c] = Tensor.scalar(t, want[r][c] + add).getDouble();
                    }
                }
                cpu.indexAdd(dst, dim, idx, src);
                double[] expected = new double[9];
                for (int r = 0; r < 3; r++) System.arraycopy(want[r], 0, expected, r * 3, 3);
                assertClose(expected, dst, 0, 0, "index_add " + t + " dim " + dim);
            }
        }
    }

    @Test
    void outOfRangeAndNonIntegerIndicesAreNamed() {
        Tensor x = random(1, 4, 5);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> cpu.gather(x, 1, Tensor.ofLongs(new long[]{0, 5}, 1, 2)));
        assertTrue(e.getMessage().contains("index 5") && e.getMessage().contains("dim 1") && e.getMessage().contains("size 5"), e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> cpu.indexSelect(x, 0, Tensor.ofLongs(new long[]{-1}, 1)));
        assertTrue(e.getMessage().contains("index -1") && e.getMessage().contains("size 4"), e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> cpu.scatterAdd(Tensor.zeros(DType.F32, 4, 5), 0, Tensor.ofLongs(new long[]{4}, 1, 1), random(2, 1, 1)));
        assertTrue(e.getMessage().contains("index 4") && e.getMessage().contains("dim 0"), e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class, () -> cpu.indexAdd(Tensor.zeros(DType.F32, 4, 5), 1, Tensor.ofInts(new int[]{7}, 1), random(2, 4, 1)));
        assertTrue(e.getMessage().contains("index 7") && e.getMessage().contains("dim 1") && e.getMessage().contains("size 5"), e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> cpu.gather(x, 1, Tensor.of(new float[]{1}, 1, 1)));
        assertTrue(f.getMessage().contains("integer"), f.getMessage());
        f = assertThrows(IllegalArgumentException.class, () -> cpu.indexAdd(Tensor.zeros(DType.F32, 4, 5), 0, Tensor.ofLongs(new long[]{1}, 1), random(2, 2, 5)));
        assertTrue(f.getMessage().contains("[2, 5]") && f.getMessage().contains("[4, 5]"), f.getMessage());
        // the other dims must match too (the contiguous f32 path would otherwise read past src's rows)
        f = assertThrows(IllegalArgumentException.class, () -> cpu.indexAdd(Tensor.zeros(DType.F32, 4, 5), 0, Tensor.ofLongs(new long[]{1, 2}, 2), random(2, 2, 3)));
        assertTrue(f.getMessage().contains("[2, 3]") && f.getMessage().contains("[4, 5]"), f.getMessage());
    }

    @Test
    void concatPromotesSkipsEmptyPiecesAndTakesNegativeDims() {
        Tensor a = random(1, DType.I32, 2, 3), b = Tensor.zeros(DType.F32, 2, 0), c = random(2, DType.BF16, 3, 2).transpose(0, 1);
        Tensor r = cpu.concat(List.of(a, b, c), -1);
        assertEquals(DType.F32, r.dtype());
        assertArrayEquals(new int[]{2, 6}, r.shape());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) assertEquals(a.getDouble(i, j), r.getDouble(i, j));
            for (int j = 0; j < 3; j++) assertEquals(c.getDouble(i, j), r.getDouble(i, 3 + j));
        }
        long big = (1L << 53) + 1;
        assertArrayEquals(new long[]{big, 1, 2}, cpu.concat(List.of(Tensor.ofLongs(new long[]{big}, 1), Tensor.ofInts(new int[]{1, 2}, 2)), 0).toLongArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.concat(List.of(a, random(3, 3, 3)), 1));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 3]"), e.getMessage());
    }
}
