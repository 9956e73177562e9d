package io.jswift.backend.conformance;

import io.jswift.tensor.DType;
import io.jswift.tensor.Device;
import io.jswift.tensor.Generator;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.spi.AttentionSpec;
import io.jswift.tensor.spi.Backend;
import io.jswift.tensor.spi.RandomSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.function.UnaryOperator;

import static io.jswift.backend.conformance.Target.host;
import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Transfers, copies between views, casts between every dtype, fill, arange, seeded random fills, allocation. */
public abstract class CopyCases {
    private final Target t;
    private final Backend dev, cpu;

    protected CopyCases(Target target) {
        this.t = target;
        this.dev = target.backend();
        this.cpu = target.cpu();
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F64", "F32", "F16", "BF16", "I64", "I32", "U8", "BOOL"})
    void roundTripIsBitExact(DType dt) {
        Tensor h = random(1, dt, 3, 5, 7);
        Tensor d = dev.fromHost(h);
        assertEquals(t.device(), d.device());
        Tensor back = dev.toHost(d);
        assertEquals(Device.CPU, back.device());
        assertArrayEquals(h.toDoubleArray(), back.toDoubleArray());
        // a non-contiguous device tensor comes back in logical order
        assertArrayEquals(h.permute(2, 0, 1).narrow(1, 1, 2).toDoubleArray(), dev.toHost(d.permute(2, 0, 1).narrow(1, 1, 2)).toDoubleArray());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F64", "F32", "F16", "BF16", "I64", "I32", "U8", "BOOL"})
    void castsFromEveryDtype(DType to) {
        UnaryOperator<Tensor> view = x -> x.transpose(0, 1).narrow(0, 1, 7); // [4, 9] -> [7, 4] at an offset
        for (DType from : new DType[]{DType.F64, DType.F32, DType.F16, DType.BF16, DType.I64, DType.I32, DType.U8, DType.BOOL}) {
            Tensor h = random(2, from, 4, 9);
            if (from.isFloatingPoint()) h.setDouble(2.5, 1, 2); // a tie: rounding to integers truncates toward zero, as torch
            t.same("cast " + from + " -> " + to, cpu.cast(host(view.apply(h)), to), dev.cast(t.put(h, view), to), Tolerance.EXACT);
        }
    }

    @Test
    void floatCastsRoundToNearestEvenAndKeepSpecials() {
        // values between representable 16-bit numbers, halfway cases, overflow, subnormals, NaN and ±inf
        double[] v = {1 + 1.0 / 512, 1 + 3.0 / 512, 1 + 1.0 / 4096, 70000, -70000, 1e-6, -3e-8, 1e-40, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 65519, 65520, 3.0e38, 0.333333333333};
        Tensor h = Tensor.zeros(DType.F64, v.length);
        for (int i = 0; i < v.length; i++) h.setDouble(v[i], i);
        for (DType from : new DType[]{DType.F64, DType.F32}) {
            Tensor src = cpu.cast(h, from);
            for (DType to : new DType[]{DType.F32, DType.F16, DType.BF16}) {
                t.same("cast " + from + " -> " + to, cpu.cast(src, to), dev.cast(t.put(src), to), Tolerance.EXACT);
            }
        }
    }

    @Test
    void stridedViewsCopyIntoStridedViews() {
        Tensor h = random(3, DType.F32, 4, 6, 5);
        // a permuted, narrowed source into the odd columns of a wider destination, converting to bf16
        UnaryOperator<Tensor> src = x -> x.permute(2, 0, 1).narrow(1, 1, 3);
        Tensor dstH = Tensor.zeros(DType.BF16, 5, 3, 12), dstD = dev.allocate(DType.BF16, 5, 3, 12);
        cpu.copy(host(src.apply(h)), dstH.slice(2, 1, 12, 2));
        dev.copy(t.put(h, src), dstD.slice(2, 1, 12, 2));
        t.same("copy into a strided view", dstH, dstD, Tolerance.EXACT);
        // broadcast source (stride 0)
        Tensor row = random(4, DType.F32, 1, 12);
        Tensor bh = Tensor.zeros(DType.F32, 3, 12), bd = dev.allocate(DType.F32, 3, 12);
        cpu.copy(row.expand(3, 12), bh);
        dev.copy(t.put(row).expand(3, 12), bd);
        t.same("copy of an expanded row", bh, bd, Tolerance.EXACT);
        // a transposed f16 view into a contiguous i32 tensor
        Tensor f = random(5, DType.F16, 6, 7);
        Tensor ih = Tensor.zeros(DType.I32, 7, 6), id = dev.allocate(DType.I32, 7, 6);
        cpu.copy(f.transpose(0, 1), ih);
        dev.copy(t.put(f).transpose(0, 1), id);
        t.same("copy f16ᵀ into i32", ih, id, Tolerance.EXACT);
    }

    @Test
    void fillArangeAndRandom() {
        for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16, DType.I64, DType.I32, DType.U8, DType.BOOL, DType.F64}) {
            Tensor hd = Tensor.zeros(dt, 4, 6), dd = dev.allocate(dt, 4, 6);
            cpu.fill(hd.narrow(1, 2, 3), 2.75);
            dev.fill(dd.narrow(1, 2, 3), 2.75);
            t.same("fill " + dt, hd, dd, Tolerance.EXACT);
        }
        t.same("arange f32", cpu.arange(0, 10, 1.5, DType.F32), dev.arange(0, 10, 1.5, DType.F32), Tolerance.EXACT);
        t.same("arange i64", cpu.arange(-3, 40, 7, DType.I64), dev.arange(-3, 40, 7, DType.I64), Tolerance.EXACT);
        t.same("arange bf16", cpu.arange(5, 0, -0.25, DType.BF16), dev.arange(5, 0, -0.25, DType.BF16), Tolerance.EXACT);
        for (RandomSpec spec : new RandomSpec[]{new RandomSpec.Normal(0, 1), new RandomSpec.Uniform(-2, 3), new RandomSpec.Bernoulli(0.3)}) {
            Tensor rh = Tensor.zeros(DType.F32, 33), rd = dev.allocate(DType.F32, 33);
            cpu.fillRandom(rh, spec, new Generator(7));
            dev.fillRandom(rd, spec, new Generator(7));
            t.same("fillRandom " + spec, rh, rd, Tolerance.EXACT);
        }
    }

    @Test
    void allocationIsZeroAndEmptyTensorsWork() {
        for (double v : dev.allocate(DType.F32, 1000).toDoubleArray()) assertEquals(0.0, v);
        for (double v : dev.allocate(DType.BF16, 3, 77).toDoubleArray()) assertEquals(0.0, v);
        Tensor e = dev.allocate(DType.F32, 0, 3);
        assertEquals(0, e.toDoubleArray().length);
        assertEquals(0, dev.cast(e, DType.F16).numel());
    }

    @Test
    void hostTensorGivenToTheDeviceFailsClearly() {
        assumeFalse(t.isCpu(), "host tensors are the CPU backend's own");
        Tensor h = random(5, DType.F32, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dev.copy(h, dev.allocate(DType.F32, 2, 2)));
        assertTrue(e.getMessage().contains("is on cpu") && e.getMessage().contains(t.device().toString()), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.matmul(h, t.put(h), false, false));
        assertTrue(e.getMessage().contains("is on cpu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.indexSelect(t.put(h), 0, Tensor.ofLongs(new long[]{0}, 1)));
        assertTrue(e.getMessage().contains("is on cpu"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> dev.layerNorm(h, null, null, 1e-5));
        assertTrue(e.getMessage().contains("is on cpu"), e.getMessage());
        Tensor q = random(6, DType.F32, 1, 2, 4, 8), k = t.put(q);
        e = assertThrows(IllegalArgumentException.class, () -> dev.attention(q, k, k, AttentionSpec.causal(8)));
        assertTrue(e.getMessage().contains("is on cpu"), e.getMessage());
    }
}
