package io.jswift.backend.opencl;

import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.RandomSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static io.jswift.backend.opencl.OpenClTesting.assertSameAsCpu;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CopyAndTransferTest {
    private final Backend cl = OpenClTesting.backend();
    private final Backend cpu = OpenClTesting.cpu();

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F64", "F32", "F16", "BF16", "I64", "I32", "U8", "BOOL"})
    void roundTripIsBitExact(DType t) {
        Tensor h = random(1, t, 3, 5, 7);
        Tensor d = h.to(OpenClTesting.DEVICE);
        assertEquals(OpenClTesting.DEVICE, d.device());
        Tensor back = d.to(Device.CPU);
        assertArrayEquals(h.toDoubleArray(), back.toDoubleArray());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F64", "F32", "F16", "BF16", "I64", "I32", "U8", "BOOL"})
    void castsEqualCpu(DType to) {
        for (DType from : new DType[]{DType.F64, DType.F32, DType.F16, DType.BF16, DType.I64, DType.I32, DType.BOOL}) {
            Tensor h = random(2, from, 4, 9);
            Tensor expected = cpu.cast(h, to);
            Tensor actual = cl.cast(h.to(OpenClTesting.DEVICE), to);
            assertSameAsCpu(expected, actual, 0, 0);
        }
    }

    @Test
    void stridedViewsCopyIntoStridedViews() {
        Tensor h = random(3, DType.F32, 4, 6, 5);
        Tensor d = h.to(OpenClTesting.DEVICE);
        // a permuted, narrowed source into the odd columns of a wider destination
        Tensor srcH = h.permute(2, 0, 1).narrow(1, 1, 3), srcD = d.permute(2, 0, 1).narrow(1, 1, 3);
        Tensor dstH = Tensor.zeros(DType.BF16, 5, 3, 12), dstD = cl.allocate(DType.BF16, 5, 3, 12);
        cpu.copy(srcH, dstH.slice(2, 1, 12, 2));
        cl.copy(srcD, dstD.slice(2, 1, 12, 2));
        assertSameAsCpu(dstH, dstD, 0, 0);
        // broadcast source (stride 0)
        Tensor row = random(4, DType.F32, 1, 12);
        Tensor bh = Tensor.zeros(DType.F32, 3, 12), bd = cl.allocate(DType.F32, 3, 12);
        cpu.copy(row.expand(3, 12), bh);
        cl.copy(row.to(OpenClTesting.DEVICE).expand(3, 12), bd);
        assertSameAsCpu(bh, bd, 0, 0);
        // a non-contiguous device tensor comes back to the host in logical order
        assertArrayEquals(srcH.toDoubleArray(), srcD.toDoubleArray());
    }

    @Test
    void fillArangeAndRandomEqualCpu() {
        for (DType t : new DType[]{DType.F32, DType.BF16, DType.F16, DType.I64, DType.BOOL, DType.F64}) {
            Tensor hd = Tensor.zeros(t, 4, 6), dd = cl.allocate(t, 4, 6);
            cpu.fill(hd.narrow(1, 2, 3), 2.75);
            cl.fill(dd.narrow(1, 2, 3), 2.75);
            assertSameAsCpu(hd, dd, 0, 0);
        }
        assertSameAsCpu(cpu.arange(0, 10, 1.5, DType.F32), cl.arange(0, 10, 1.5, DType.F32), 0, 0);
        Tensor rh = Tensor.zeros(DType.F32, 33), rd = cl.allocate(DType.F32, 33);
        cpu.fillRandom(rh, new RandomSpec.Normal(0, 1), new Generator(7));
        cl.fillRandom(rd, new RandomSpec.Normal(0, 1), new Generator(7));
        assertSameAsCpu(rh, rd, 0, 0);
    }

    @Test
    void allocationIsZeroAndEmptyTensorsWork() {
        Tensor z = cl.allocate(DType.F32, 1000);
        for (double v : z.toDoubleArray()) assertEquals(0.0, v);
        Tensor e = cl.allocate(DType.F32, 0, 3);
        assertEquals(0, e.toDoubleArray().length);
    }

    @Test
    void hostTensorGivenToTheDeviceFailsClearly() {
        Tensor h = random(5, DType.F32, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cl.copy(h, cl.allocate(DType.F32, 2, 2)));
        assertTrue(e.getMessage().contains("is on cpu") && e.getMessage().contains("opencl:0"), e.getMessage());
    }
}
