package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.jswift.backend.opencl.OpenClTesting.DEVICE;
import static io.jswift.backend.opencl.OpenClTesting.assertSameAsCpu;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Index ops and concat against the CPU backend: strided views, repeated indices, every element size. */
class IndexOpsTest {
    private final Backend cl = OpenClTesting.backend();
    private final Backend cpu = OpenClTesting.cpu();

    /** n indices in [0, bound) (with repeats), as I64 or I32. */
    private static Tensor indices(long seed, int n, int bound, DType t) {
        Random r = new Random(seed);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(bound);
        return t == DType.I64 ? Tensor.ofLongs(v, n) : Tensor.ofInts(java.util.Arrays.stream(v).mapToInt(x -> (int) x).toArray(), n);
    }

    /** An index for gather/scatter: shape, values in [0, bound) along every position. */
    private static Tensor indexOfShape(long seed, int bound, int... shape) {
        Random r = new Random(seed);
        Tensor t = Tensor.zeros(DType.I64, shape);
        long[] v = new long[(int) t.numel()];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(bound);
        return Tensor.ofLongs(v, shape);
    }

    @Test
    void indexSelectEveryElementSizeAndDim() {
        DType[] types = {DType.F32, DType.BF16, DType.I64, DType.BOOL};
        for (int ti = 0; ti < types.length; ti++) {
            Tensor h = random(ti, types[ti], 9, 13, 6);
            // a permuted view at an offset: [6, 9, 11]
            Tensor v = h.narrow(1, 2, 11).permute(2, 0, 1), dv = h.to(DEVICE).narrow(1, 2, 11).permute(2, 0, 1);
            for (int dim = -1; dim < 3; dim++) {
                int size = v.size(dim);
                Tensor idx = indices(10 + dim, 7, size, dim % 2 == 0 ? DType.I64 : DType.I32);
                assertSameAsCpu(cpu.indexSelect(v, dim, idx), cl.indexSelect(dv, dim, idx.to(DEVICE)), 0, 0);
            }
        }
        // an embedding lookup: [37, 33] rows by 130 token ids
        Tensor table = random(5, DType.F32, 37, 33), ids = indices(6, 130, 37, DType.I32);
        assertSameAsCpu(cpu.indexSelect(table, 0, ids), cl.indexSelect(table.to(DEVICE), 0, ids.to(DEVICE)), 0, 0);
    }

    @Test
    void gatherAlongEachDim() {
        for (DType t : new DType[]{DType.F32, DType.F16}) {
            Tensor h = random(20, t, 7, 13, 5);
            Tensor v = h.transpose(0, 2), dv = h.to(DEVICE).transpose(0, 2); // [5, 13, 7], strided
            for (int dim = 0; dim < 3; dim++) {
                int[] shape = {4, 9, 6};
                shape[dim] = 11; // longer than x along dim: fine, indices repeat
                Tensor idx = indexOfShape(21 + dim, v.size(dim), shape);
                Tensor expected = cpu.gather(v, dim, idx);
                assertSameAsCpu(expected, cl.gather(dv, dim, idx.to(DEVICE)), 0, 0);
            }
        }
        // the cross-entropy use: logits [N, V] gather targets [N, 1] along -1
        Tensor logits = random(22, DType.F32, 33, 130), targets = indexOfShape(23, 130, 33, 1);
        assertSameAsCpu(cpu.gather(logits, -1, targets), cl.gather(logits.to(DEVICE), -1, targets.to(DEVICE)), 0, 0);
    }

    @Test
    void scatterAddAccumulatesRepeatedTargets() {
        Object[][] cases = {{DType.F32, DType.F32}, {DType.BF16, DType.F32}, {DType.I64, DType.I64}, {DType.I32, DType.F32}};
        int seed = 30;
        for (Object[] c : cases) {
            DType dt = (DType) c[0], st = (DType) c[1];
            for (int dim = 0; dim < 2; dim++) {
                Tensor dstH = random(seed++, dt, 7, 9);
                Tensor dstD = dstH.to(DEVICE);
                Tensor src = random(seed++, st, 20, 12);
                int[] ishape = dim == 0 ? new int[]{20, 8} : new int[]{6, 12};
                Tensor idx = indexOfShape(seed++, dstH.narrow(1, 1, 8).size(dim), ishape);
                // into a narrowed view of dst (nonzero offset, row stride 9)
                cpu.scatterAdd(dstH.narrow(1, 1, 8), dim, idx, src);
                cl.scatterAdd(dstD.narrow(1, 1, 8), dim, idx.to(DEVICE), src.to(DEVICE));
                assertSameAsCpu(dstH, dstD, dt == DType.BF16 ? 1e-2 : 1e-6, dt == DType.BF16 ? 1e-2 : 1e-6);
            }
        }
    }

    @Test
    void indexAddIsTheEmbeddingBackward() {
        // dim 0: [37, 33] += 130 rows with repeated ids (the F32 fast path of the CPU backend)
        Tensor gH = random(40, DType.F32, 37, 33), gD = gH.to(DEVICE);
        Tensor rows = random(41, DType.F32, 130, 33), ids = indices(42, 130, 37, DType.I64);
        cpu.indexAdd(gH, 0, ids, rows);
        cl.indexAdd(gD, 0, ids.to(DEVICE), rows.to(DEVICE));
        assertSameAsCpu(gH, gD, 1e-5, 1e-5);
        // dim 1 of a transposed dst, BF16 dst with F32 src, and I32 dst with F32 src (added in float, truncated)
        Object[][] cases = {{DType.F32, DType.F32}, {DType.BF16, DType.F32}, {DType.I32, DType.F32}};
        int seed = 43;
        for (Object[] c : cases) {
            Tensor base = random(seed++, (DType) c[0], 11, 6, 5);
            Tensor dH = base.transpose(0, 2), dD = base.to(DEVICE).transpose(0, 2); // [5, 6, 11]
            Tensor src = random(seed++, (DType) c[1], 5, 9, 11);
            Tensor idx = indices(seed++, 9, 6, DType.I32);
            cpu.indexAdd(dH, 1, idx, src);
            cl.indexAdd(dD, 1, idx.to(DEVICE), src.to(DEVICE));
            double tol = c[0] == DType.BF16 ? 1e-2 : c[0] == DType.F32 ? 1e-6 : 0;
            assertSameAsCpu(base, dD.transpose(0, 2), tol, tol);
        }
    }

    @Test
    void concatMixedLayoutsAndDtypes() {
        Tensor a = random(50, DType.F32, 4, 7, 3);
        Tensor b = random(51, DType.BF16, 3, 5, 4).permute(2, 1, 0); // [4, 5, 3] strided
        Tensor c = random(52, DType.F32, 4, 1, 3);
        Tensor expected = cpu.concat(List.of(a, b, c), 1);
        Tensor actual = cl.concat(List.of(a.to(DEVICE), b.to(DEVICE).contiguous().permute(0, 1, 2), c.to(DEVICE)), 1);
        assertSameAsCpu(expected, actual, 0, 0);
        Tensor bd = random(51, DType.BF16, 3, 5, 4).to(DEVICE).permute(2, 1, 0);
        assertSameAsCpu(expected, cl.concat(List.of(a.to(DEVICE), bd, c.to(DEVICE)), -2), 0, 0);
        Tensor i = random(53, DType.I32, 2, 7, 3), l = random(54, DType.I64, 1, 7, 3);
        assertSameAsCpu(cpu.concat(List.of(i, l), 0), cl.concat(List.of(i.to(DEVICE), l.to(DEVICE)), 0), 0, 0);
        assertSameAsCpu(cpu.concat(List.of(a, a), -1), cl.concat(List.of(a.to(DEVICE), a.to(DEVICE)), -1), 0, 0);
    }

    @Test
    void badIndicesAndShapesFailClearly() {
        Tensor x = cl.allocate(DType.F32, 4, 5);
        IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class,
                () -> cl.indexSelect(x, 1, Tensor.ofLongs(new long[]{0, 5}, 2).to(DEVICE)));
        assertTrue(oob.getMessage().contains("index 5") && oob.getMessage().contains("size 5"), oob.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> cl.gather(x, 0, Tensor.ofLongs(new long[]{-1}, 1, 1).to(DEVICE)));
        assertThrows(IndexOutOfBoundsException.class,
                () -> cl.indexAdd(x, 0, Tensor.ofLongs(new long[]{4}, 1).to(DEVICE), cl.allocate(DType.F32, 1, 5)));
        assertThrows(IndexOutOfBoundsException.class,
                () -> cl.scatterAdd(x, 1, Tensor.ofLongs(new long[]{7}, 1, 1).to(DEVICE), cl.allocate(DType.F32, 1, 1)));
        IllegalArgumentException twoD = assertThrows(IllegalArgumentException.class,
                () -> cl.indexSelect(x, 0, Tensor.ofLongs(new long[]{0, 1}, 1, 2).to(DEVICE)));
        assertTrue(twoD.getMessage().contains("1-D"), twoD.getMessage());
        IllegalArgumentException floats = assertThrows(IllegalArgumentException.class, () -> cl.indexSelect(x, 0, cl.allocate(DType.F32, 2)));
        assertTrue(floats.getMessage().contains("integer"), floats.getMessage());
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> cl.indexAdd(x, 0, Tensor.ofLongs(new long[]{1}, 1).to(DEVICE), cl.allocate(DType.F32, 1, 4)));
        assertTrue(mismatch.getMessage().contains("[1, 4]") && mismatch.getMessage().contains("[4, 5]"), mismatch.getMessage());
        IllegalArgumentException cat = assertThrows(IllegalArgumentException.class,
                () -> cl.concat(List.of(x, cl.allocate(DType.F32, 4, 6)), 0));
        assertTrue(cat.getMessage().contains("[4, 5]") && cat.getMessage().contains("[4, 6]"), cat.getMessage());
        IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
                () -> cl.indexSelect(x, 0, Tensor.ofLongs(new long[]{0}, 1)));
        assertTrue(host.getMessage().contains("is on cpu"), host.getMessage());
        assertEquals(0, cl.indexSelect(x, 0, cl.allocate(DType.I64, 0)).numel());
    }
}
