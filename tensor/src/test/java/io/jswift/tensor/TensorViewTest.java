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
