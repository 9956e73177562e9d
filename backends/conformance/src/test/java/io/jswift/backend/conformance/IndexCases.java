package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;

import static io.jswift.backend.conformance.Target.host;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** indexSelect, gather, scatterAdd, indexAdd and concat: strided views, repeated indices, every element size. */
public abstract class IndexCases {
    private final Target t;
    private final Backend dev, cpu;

    protected IndexCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    /** n indices in [0, bound) (with repeats), as I64 or I32. */
    private static Tensor indices(long seed, int n, int bound, DType dt) {
        Random r = new Random(seed);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = r.nextInt(bound);
        return dt == DType.I64 ? Tensor.ofLongs(v, n) : Tensor.ofInts(Arrays.stream(v).mapToInt(x -> (int) x).toArray(), n);
    }

    /** An index for gather/scatter of the given shape, values in [0, bound). */
    private static Tensor indexOfShape(long seed, int bound, int... shape) {
        Random r = new Random(seed);
        long[] v = new long[Math.toIntExact(Tensor.zeros(DType.I64, shape).numel())];
        for (int i = 0; i < v.length; i++) v[i] = r.nextInt(bound);
        return Tensor.ofLongs(v, shape);
    }

    @Test
    void indexSelectEveryElementSizeAndDim() {
        DType[] types = {DType.F32, DType.BF16, DType.F16, DType.F64, DType.I64, DType.I32, DType.BOOL, DType.U8};
        UnaryOperator<Tensor> view = x -> x.narrow(1, 2, 11).permute(2, 0, 1); // [9, 13, 6] -> [6, 9, 11] at an offset
        for (int ti = 0; ti < types.length; ti++) {
            Tensor h = random(ti, types[ti], 9, 13, 6);
            for (int dim = -1; dim < 3; dim++) {
                Tensor idx = indices(10 + dim, 7, view.apply(h).size(dim), dim % 2 == 0 ? DType.I64 : DType.I32);
                t.same("indexSelect " + types[ti] + " dim " + dim, cpu.indexSelect(host(view.apply(h)), dim, idx),
                        dev.indexSelect(t.put(h, view), dim, t.put(idx)), Tolerance.EXACT);
            }
        }
        // an embedding lookup: [37, 33] rows by 130 token ids
        Tensor table = random(5, DType.F32, 37, 33), ids = indices(6, 130, 37, DType.I32);
        t.same("embedding lookup", cpu.indexSelect(table, 0, ids), dev.indexSelect(t.put(table), 0, t.put(ids)), Tolerance.EXACT);
    }

    @Test
    void gatherAlongEachDim() {
        UnaryOperator<Tensor> view = x -> x.transpose(0, 2); // [7, 13, 5] -> [5, 13, 7], strided
        for (DType dt : new DType[]{DType.F32, DType.F16, DType.BF16}) {
            Tensor h = random(20, dt, 7, 13, 5);
            for (int dim = 0; dim < 3; dim++) {
                int[] shape = {4, 9, 6};
                shape[dim] = 11; // longer than x along dim: fine, indices repeat
                Tensor idx = indexOfShape(21 + dim, view.apply(h).size(dim), shape);
                t.same("gather " + dt + " dim " + dim, cpu.gather(host(view.apply(h)), dim, idx),
                        dev.gather(t.put(h, view), dim, t.put(idx)), Tolerance.EXACT);
            }
        }
        // the cross-entropy use: logits [N, V] gather targets [N, 1] along -1
        Tensor logits = random(22, DType.F32, 33, 130), targets = indexOfShape(23, 130, 33, 1);
        t.same("gather targets", cpu.gather(logits, -1, targets), dev.gather(t.put(logits), -1, t.put(targets)), Tolerance.EXACT);
    }

    @Test
    void scatterAddAccumulatesRepeatedTargets() {
        Object[][] cases = {{DType.F32, DType.F32}, {DType.BF16, DType.F32}, {DType.I64, DType.I64}, {DType.I32, DType.F32}};
        UnaryOperator<Tensor> narrow = x -> x.narrow(1, 1, 8); // a nonzero offset, row stride 9
        int seed = 30;
        for (Object[] c : cases) {
            DType dt = (DType) c[0], st = (DType) c[1];
            for (int dim = 0; dim < 2; dim++) {
                Tensor dstH = random(seed++, dt, 7, 9);
                Tensor dstD = t.put(dstH);
                Tensor src = random(seed++, st, 20, 12);
                int[] ishape = dim == 0 ? new int[]{20, 8} : new int[]{6, 12};
                Tensor idx = indexOfShape(seed++, narrow.apply(dstH).size(dim), ishape);
                cpu.scatterAdd(narrow.apply(dstH), dim, idx, src);
                dev.scatterAdd(narrow.apply(dstD), dim, t.put(idx), t.put(src));
                t.same("scatterAdd " + dt + " += " + st + " dim " + dim, dstH, dstD, dt == DType.BF16 ? Tolerance.of(1e-2) : Tolerance.of(1e-6));
            }
        }
    }

    @Test
    void indexAddIsTheEmbeddingBackward() {
        // dim 0: [37, 33] += 130 rows with repeated ids
        Tensor gH = random(40, DType.F32, 37, 33), gD = t.put(gH);
        Tensor rows = random(41, DType.F32, 130, 33), ids = indices(42, 130, 37, DType.I64);
        cpu.indexAdd(gH, 0, ids, rows);
        dev.indexAdd(gD, 0, t.put(ids), t.put(rows));
        t.same("indexAdd rows", gH, gD, Tolerance.of(1e-5));
        // dim 1 of a transposed dst, BF16 dst with F32 src, and I32 dst with F32 src (added in float, truncated)
        Object[][] cases = {{DType.F32, DType.F32}, {DType.BF16, DType.F32}, {DType.I32, DType.F32}, {DType.F16, DType.F16}};
        int seed = 43;
        for (Object[] c : cases) {
            Tensor base = random(seed++, (DType) c[0], 11, 6, 5);
            Tensor dD = t.put(base).transpose(0, 2); // [5, 6, 11]
            Tensor src = random(seed++, (DType) c[1], 5, 9, 11);
            Tensor idx = indices(seed++, 9, 6, DType.I32);
            cpu.indexAdd(base.transpose(0, 2), 1, idx, src);
            dev.indexAdd(dD, 1, t.put(idx), t.put(src));
            t.same("indexAdd " + c[0] + " += " + c[1], base, dD.transpose(0, 2), Tolerance.rounding(base.dtype()));
        }
    }

    @Test
    void concatMixedLayoutsAndDtypes() {
        Tensor a = random(50, DType.F32, 4, 7, 3), c = random(52, DType.F32, 4, 1, 3);
        UnaryOperator<Tensor> permuted = x -> x.permute(2, 1, 0); // [3, 5, 4] -> [4, 5, 3] strided
        Tensor b = random(51, DType.BF16, 3, 5, 4);
        Tensor expected = cpu.concat(List.of(a, host(permuted.apply(b)), c), 1);
        t.same("concat dim 1", expected, dev.concat(List.of(t.put(a), t.put(b, permuted), t.put(c)), 1), Tolerance.EXACT);
        t.same("concat dim -2", expected, dev.concat(List.of(t.put(a), t.put(b, permuted), t.put(c)), -2), Tolerance.EXACT);
        Tensor i = random(53, DType.I32, 2, 7, 3), l = random(54, DType.I64, 1, 7, 3);
        t.same("concat I32 I64", cpu.concat(List.of(i, l), 0), dev.concat(List.of(t.put(i), t.put(l)), 0), Tolerance.EXACT);
        t.same("concat last dim", cpu.concat(List.of(a, a), -1), dev.concat(List.of(t.put(a), t.put(a)), -1), Tolerance.EXACT);
        Tensor h = random(55, DType.F16, 2, 3);
        t.same("concat F16 one", cpu.concat(List.of(h), 0), dev.concat(List.of(t.put(h)), 0), Tolerance.EXACT);
    }

    @Test
    void badIndicesAndShapesFailClearly() {
        Tensor x = dev.allocate(DType.F32, 4, 5);
        IndexOutOfBoundsException oob = assertThrows(IndexOutOfBoundsException.class,
                () -> dev.indexSelect(x, 1, t.put(Tensor.ofLongs(new long[]{0, 5}, 2))));
        assertTrue(oob.getMessage().contains("index 5") && oob.getMessage().contains("size 5"), oob.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> dev.gather(x, 0, t.put(Tensor.ofLongs(new long[]{-1}, 1, 1))));
        assertThrows(IndexOutOfBoundsException.class,
                () -> dev.indexAdd(x, 0, t.put(Tensor.ofLongs(new long[]{4}, 1)), dev.allocate(DType.F32, 1, 5)));
        assertThrows(IndexOutOfBoundsException.class,
                () -> dev.scatterAdd(x, 1, t.put(Tensor.ofLongs(new long[]{7}, 1, 1)), dev.allocate(DType.F32, 1, 1)));
        IllegalArgumentException twoD = assertThrows(IllegalArgumentException.class,
                () -> dev.indexSelect(x, 0, t.put(Tensor.ofLongs(new long[]{0, 1}, 1, 2))));
        assertTrue(twoD.getMessage().contains("1-D"), twoD.getMessage());
        IllegalArgumentException floats = assertThrows(IllegalArgumentException.class, () -> dev.indexSelect(x, 0, dev.allocate(DType.F32, 2)));
        assertTrue(floats.getMessage().contains("integer"), floats.getMessage());
        IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                () -> dev.indexAdd(x, 0, t.put(Tensor.ofLongs(new long[]{1}, 1)), dev.allocate(DType.F32, 1, 4)));
        assertTrue(mismatch.getMessage().contains("[1, 4]") && mismatch.getMessage().contains("[4, 5]"), mismatch.getMessage());
        IllegalArgumentException cat = assertThrows(IllegalArgumentException.class,
                () -> dev.concat(List.of(x, dev.allocate(DType.F32, 4, 6)), 0));
        assertTrue(cat.getMessage().contains("[4, 5]") && cat.getMessage().contains("[4, 6]"), cat.getMessage());
        assertEquals(0, dev.indexSelect(x, 0, dev.allocate(DType.I64, 0)).numel());
    }
}
