package io.jswift.backend.cpu;

import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.jswift.tensor.testing.RandomTensors.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** copy/cast between dtypes: contiguous fast paths and strided paths agree bit for bit with independent rules. */
class CopyCastTest {
    private final CpuBackend cpu = new CpuBackend();

    /**
     * bf16 by its definition, independent of Half's bit trick: the nearer of the two bf16 values that
     * bracket f (truncation and the next one away from zero), ties to the even one; NaN stays NaN.
     */
    private static float bf16Oracle(float f) {
        if (Float.isNaN(f)) return Float.NaN;
        int bits = Float.floatToRawIntBits(f);
        float down = Float.intBitsToFloat(bits & 0xFFFF0000);
        float up = Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000); // next magnitude (may be inf)
        double dDown = Math.abs((double) f - down), dUp = Math.abs((double) f - up);
        if (Float.isInfinite(up) && !Float.isInfinite(f)) dUp = Math.abs((double) f - Math.copySign(0x1p128, f));
        if (dDown != dUp) return dDown < dUp ? down : up;
        return ((bits >>> 16) & 1) == 0 ? down : up;
    }

    @Test
    void f32ToBf16RoundsToNearestEvenOnContiguousAndStridedPaths() {
        Random r = new Random(5);
        int n = 4099;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (i % 4) {
                case 0 -> Float.intBitsToFloat(r.nextInt());                          // any bit pattern
                case 1 -> Float.intBitsToFloat((r.nextInt() & 0xFFFF0000) | 0x8000); // exact ties
                case 2 -> (float) r.nextGaussian();
                default -> Float.intBitsToFloat(0x7F7F0000 | (r.nextInt() & 0xFFFF)); // near the largest bf16
            };
        }
        Tensor src = Tensor.of(v, n);
        Tensor contiguous = cpu.cast(src, DType.BF16);
        Tensor strided = Tensor.zeros(DType.BF16, 2 * n);
        cpu.copy(src, strided.slice(0, 0, 2 * n, 2));
        for (int i = 0; i < n; i++) {
            float want = bf16Oracle(v[i]);
            float got = contiguous.getFloat(i), gotStrided = strided.getFloat(2 * i);
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(got) && Float.isNaN(gotStrided), "NaN stays NaN at " + i);
            } else {
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "bf16 of " + v[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(v[i])) + ")");
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(gotStrided), "strided bf16 of " + v[i]);
            }
        }
    }

    @Test
    void every16BitPatternWidensExactlyAndNarrowsBack() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        for (DType t : new DType[]{DType.BF16, DType.F16}) {
            Tensor h = Tensor.zeros(t, all.length);
            java.lang.foreign.MemorySegment.copy(all, 0, h.hostSegment(), HostAccess.I16, 0, all.length);
            Tensor wide = cpu.cast(h, DType.F32);
            Tensor wideStrided = cpu.cast(h.slice(0, 1, all.length, 2), DType.F32);
            Tensor back = cpu.cast(wide, t);
            for (int i = 0; i < all.length; i++) {
                float f = wide.getFloat(i);
                float want = t == DType.BF16 ? Float.intBitsToFloat(i << 16) : Float.float16ToFloat((short) i);
                if (Float.isNaN(want)) { // NaN payloads may be quieted on the way; NaN-ness must survive
                    assertTrue(Float.isNaN(f) && (i % 2 == 0 || Float.isNaN(wideStrided.getFloat(i / 2))), t + " NaN " + Integer.toHexString(i));
                    continue;
                }
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(f), t + " pattern " + Integer.toHexString(i));
                if (i % 2 == 1) assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(wideStrided.getFloat(i / 2)));
                assertEquals((short) i, back.hostSegment().getAtIndex(HostAccess.I16, i), t + " round trip " + Integer.toHexString(i));
            }
        }
        assertEquals(Float.floatToRawIntBits(Half.bf16ToFloat(Half.floatToBf16(1f))), Float.floatToRawIntBits(1f));
    }

    @Test
    void integersConvertExactlyOrRoundOnce() {
        // 2^60 + 2^36 + 1 lies just above the midpoint of two floats; via double the +1 is lost and the
        // tie then rounds to even, one float ulp below the correctly rounded value
        long tricky = (1L << 60) + (1L << 36) + 1;
        long big = (1L << 53) + 1;
        Tensor ints = Tensor.ofLongs(new long[]{tricky, big, -big, 300, -1}, 5);
        Tensor f32 = cpu.cast(ints, DType.F32);
        Tensor f32Strided = Tensor.zeros(DType.F32, 5, 2);
        cpu.copy(ints, f32Strided.select(1, 1));
        for (int i = 0; i < 5; i++) {
            assertEquals((float) ints.getLong(i), f32.getFloat(i), "I64 -> F32 at " + i);
            assertEquals((float) ints.getLong(i), f32Strided.getFloat(i, 1), "I64 -> strided F32 at " + i);
        }
        assertArrayEquals(ints.toLongArray(), cpu.cast(cpu.cast(ints, DType.I64).transpose(0, 0), DType.I64).toLongArray());
        assertEquals(big, cpu.cast(Tensor.ofLongs(new long[]{big}, 1), DType.I64).getLong(0));
        assertArrayEquals(new long[]{(int) tricky, (int) big, (int) -big, 300, -1}, cpu.cast(ints, DType.I32).toLongArray(), "I64 -> I32 wraps");
        assertArrayEquals(new long[]{tricky & 0xFF, big & 0xFF, -big & 0xFF, 300 & 0xFF, 255}, cpu.cast(ints, DType.U8).toLongArray(), "U8 wraps");
        assertArrayEquals(new long[]{1, 1, 1, 1, 1}, cpu.cast(ints, DType.BOOL).toLongArray());
        Tensor floats = Tensor.of(new float[]{2.9f, -2.9f, 0.4f, -0f, 1e10f}, 5);
        assertArrayEquals(new long[]{2, -2, 0, 0, 10_000_000_000L}, cpu.cast(floats, DType.I64).toLongArray(), "truncation toward zero");
        assertArrayEquals(new long[]{1, 1, 1, 0, 1}, cpu.cast(floats, DType.BOOL).toLongArray());
    }

    @Test
    void copyIntoViewsOfEveryDtypeLeavesTheRestAlone() {
        for (DType t : DType.values()) {
            Tensor src = random(9, DType.F64, 3, 5);
            Tensor dst = Tensor.zeros(t, 5, 7);
            cpu.fill(dst, 1);
            Tensor window = dst.narrow(1, 2, 3).transpose(0, 1); // [3, 5] view with strides (1, 7)
            cpu.copy(src, window);
            Tensor expected = cpu.cast(src, t);
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 7; j++) {
                    double want = j >= 2 && j < 5 ? expected.getDouble(j - 2, i) : 1;
                    assertEquals(want, dst.getDouble(i, j), t + " at " + i + "," + j);
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.copy(random(1, 3, 4), Tensor.zeros(DType.F32, 4, 3)));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[4, 3]"), e.getMessage());
        cpu.copy(Tensor.zeros(DType.F32, 0, 3), Tensor.zeros(DType.BF16, 0, 3)); // zero-size copies are no-ops
    }
}
