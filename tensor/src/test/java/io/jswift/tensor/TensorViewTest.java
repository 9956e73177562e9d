package io.jswift.tensor;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Views share storage and only change shape/strides/offset; element reads go through them. */
class TensorViewTest {
    private static Tensor iota(int... shape) {
        double[] v = new double[(int) Shapes.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return Tensor.of(v, shape);
    }

    @Test
    void viewReshapeAndInference() {
        Tensor t = iota(2, 3, 4);
        Tensor v = t.view(6, -1);
        assertArrayEquals(new int[]{6, 4}, v.shape());
        assertSame(t.storage(), v.storage());
        assertEquals(13.0, v.getDouble(3, 1));
        assertThrows(IllegalArgumentException.class, () -> t.view(5, -1));
        assertThrows(IllegalArgumentException.class, () -> t.view(-1, -1));
        // a transposed tensor cannot be flattened without a copy, but splitting a dim is fine
        Tensor tr = t.transpose(1, 2);                      // [2, 4, 3]
        assertThrows(IllegalStateException.class, () -> tr.view(2, 12));
        Tensor split = t.transpose(0, 2).view(2, 2, 3, 2);  // [4,3,2] → split the first dim
        assertEquals(t.getDouble(1, 2, 3), split.getDouble(1, 1, 2, 1));
        assertEquals(19.0, t.narrow(1, 1, 1).view(2, 4).getDouble(1, 3)); // size-1 dims never block a view
    }

    @Test
    void floatArraysOfViewsReadThroughOffsetAndStrides() {
        float[] v = new float[12];
        for (int i = 0; i < v.length; i++) v[i] = i;
        Tensor t = Tensor.of(v, 3, 4);
        assertArrayEquals(new float[]{4, 5, 6, 7}, t.select(0, 1).toFloatArray());          // contiguous, offset 4: bulk copy
        assertArrayEquals(new float[]{1, 5, 9}, t.select(1, 1).toFloatArray());             // strided column
        assertArrayEquals(new float[]{6, 7, 10, 11}, t.narrow(0, 1, 2).narrow(1, 2, 2).toFloatArray());
        assertArrayEquals(new float[]{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t.transpose(0, 1).toFloatArray());
        assertArrayEquals(new float[]{9, 10}, iota(3, 4).narrow(1, 1, 2).select(0, 2).toFloatArray()); // F64 source
    }

    @Test
    void permuteTransposeAndStrides() {
        Tensor t = iota(2, 3, 4);
        Tensor p = t.permute(2, 0, 1);
        assertArrayEquals(new int[]{4, 2, 3}, p.shape());
        assertArrayEquals(new long[]{1, 12, 4}, p.strides());
        assertEquals(t.getDouble(1, 2, 3), p.getDouble(3, 1, 2));
        assertFalse(p.isContiguous());
        assertThrows(IllegalArgumentException.class, () -> t.permute(0, 0, 1));
        assertEquals(t.getDouble(0, 2, 1), t.transpose(-1, -2).getDouble(0, 1, 2));
    }

    @Test
    void narrowSliceSelect() {
        Tensor t = iota(5, 6);
        Tensor n = t.narrow(1, 2, 3);
        assertArrayEquals(new int[]{5, 3}, n.shape());
        assertEquals(2, n.offset());
        assertEquals(t.getDouble(4, 4), n.getDouble(4, 2));
        Tensor s = t.slice(0, 1, -1, 2);                    // rows 1, 3
        assertArrayEquals(new int[]{2, 6}, s.shape());
        assertEquals(t.getDouble(3, 5), s.getDouble(1, 5));
        Tensor row = t.select(0, -1);
        assertArrayEquals(new int[]{6}, row.shape());
        assertEquals(29.0, row.getDouble(5));
        assertThrows(IndexOutOfBoundsException.class, () -> t.narrow(0, 4, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> t.select(1, 6));
        assertEquals(0, t.narrow(0, 5, 0).numel());        // zero-size views are legal
    }

    @Test
    void expandSqueezeUnsqueeze() {
        Tensor t = iota(3, 1);
        Tensor e = t.expand(2, 3, 4);
        assertArrayEquals(new long[]{0, 1, 0}, e.strides());
        assertEquals(2.0, e.getDouble(1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> t.expand(4)); // fewer dims
        assertThrows(IllegalArgumentException.class, () -> iota(3, 2).expand(3, 4));
        Tensor u = t.unsqueeze(0);
        assertArrayEquals(new int[]{1, 3, 1}, u.shape());
        assertArrayEquals(new int[]{3}, u.squeeze().shape());
        assertArrayEquals(new int[]{1, 3}, u.squeeze(2).shape());
        assertThrows(IllegalArgumentException.class, () -> u.squeeze(1));
        assertArrayEquals(new int[]{3, 1, 1}, t.unsqueeze(-1).shape());
    }

    @Test
    void viewsOfNonContiguousLayoutsFollowPyTorchsRule() {
        Tensor cols = iota(4, 6).narrow(1, 0, 3);               // [4, 3], strides (6, 1): rows have gaps
        assertFalse(cols.isContiguous());
        assertThrows(IllegalStateException.class, () -> cols.view(12));
        Tensor split = cols.view(2, 2, 3);                       // splitting the gapped dim is a view
        assertArrayEquals(new long[]{12, 6, 1}, split.strides());
        assertEquals(cols.getDouble(3, 2), split.getDouble(1, 1, 2));
        assertArrayEquals(new long[]{6, 1, 1}, cols.view(4, 3, 1).strides());
        Tensor t = iota(2, 3, 4).permute(1, 0, 2);               // [3, 2, 4], strides (4, 12, 1)
        Tensor merged = t.view(3, 2, 4);                         // the same shape stays a view
        assertSame(t.storage(), merged.storage());
        assertThrows(IllegalStateException.class, () -> t.view(6, 4)); // dims 0 and 1 are not adjacent in memory
        assertArrayEquals(new long[]{4, 12, 2, 1}, t.view(3, 2, 2, 2).strides());
        Tensor e = iota(3).unsqueeze(0).expand(4, 3);            // stride 0 rows
        assertArrayEquals(new long[]{0, 1}, e.strides());
        assertArrayEquals(new long[]{0, 0, 1}, e.view(2, 2, 3).strides()); // a broadcast dim splits into broadcast dims
        assertThrows(IllegalStateException.class, () -> e.view(12));
        Tensor odd = new Tensor(t.storage(), DType.F64, new int[]{1, 3, 1}, new long[]{99, 1, 7}, 2);
        assertTrue(odd.isContiguous(), "size-1 dims may have any stride");
        assertArrayEquals(new long[]{1}, odd.view(3).strides());
        assertEquals(4.0, odd.view(3).getDouble(2));
    }

    @Test
    void sliceSelectAndExpandEdgeCases() {
        Tensor t = iota(10);
        Tensor s = t.slice(0, -7, 10, 3);                        // 3, 6, 9
        assertArrayEquals(new int[]{3}, s.shape());
        assertArrayEquals(new long[]{3}, s.strides());
        assertEquals(9.0, s.getDouble(2));
        assertEquals(0, t.slice(0, 8, 2, 1).numel());             // empty, not negative
        assertEquals(10, t.slice(0, -100, 100, 1).numel());       // clamped like Python
        assertThrows(IllegalArgumentException.class, () -> t.slice(0, 0, 5, 0));
        Tensor m = iota(3, 4);
        assertEquals(7.0, m.select(1, -1).getDouble(1));
        assertArrayEquals(new int[]{}, m.select(0, 2).select(0, 3).shape()); // down to a scalar
        assertEquals(11.0, m.select(0, 2).select(0, 3).getDouble());
        Tensor e = iota(3, 1).expand(-1, 5);
        assertArrayEquals(new int[]{3, 5}, e.shape());
        assertArrayEquals(new long[]{1, 0}, e.strides());
        assertArrayEquals(new int[]{3}, e.narrow(1, 0, 1).squeeze(1).shape());
        Tensor u = iota(2, 3).unsqueeze(2);                      // [2, 3, 1] stride 1 at the end
        assertArrayEquals(new long[]{3, 1, 1}, u.strides());
        assertArrayEquals(new long[]{3, 3, 1}, iota(2, 3).unsqueeze(1).strides());
    }

    @Test
    void dtypesAndSizes() {
        assertEquals(6, DType.BF16.byteSize(3));
        assertEquals(DType.F32, DType.promote(DType.BF16, DType.F16));
        assertEquals(DType.F64, DType.promote(DType.F32, DType.F64));
        assertEquals(DType.F32, DType.promote(DType.I64, DType.F32));
        assertEquals(DType.I64, DType.promote(DType.I32, DType.I64));
        assertEquals(DType.BF16, DType.fromSafetensorsName("BF16"));
        assertEquals(null, DType.fromSafetensorsName("F8_E5M2"));
        Tensor meta = Tensor.meta(DType.BF16, 1 << 20, 1 << 12); // 8 GiB described, nothing allocated
        assertEquals(8L << 30, meta.storage().byteSize());
        assertTrue(meta.isMeta());
        IllegalStateException e = assertThrows(IllegalStateException.class, meta::copy);
        assertTrue(e.getMessage().contains("no data"), e.getMessage());
    }

    @Test
    void deviceParsing() {
        assertEquals(Device.CPU, Device.parse("cpu"));
        assertEquals(new Device("opencl", 1), Device.parse("OpenCL:1"));
        assertEquals("cuda:0", Device.parse("cuda").toString());
        assertThrows(IllegalArgumentException.class, () -> Device.parse("cuda:x"));
    }
}
