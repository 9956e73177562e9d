package io.jswift.backend.cpu.fused;

import io.jswift.tensor.DType;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The in-register widening of half-precision KV rows (the paged kernels' loads) against the JDK's exact scalar
 * conversions, over every 16-bit pattern: zeros of both signs, subnormals, normals, infinities and NaNs.
 */
class VecHalfTest {
    @Test
    void everyF16AndBf16BitPatternWidensExactly() {
        int n = 1 << 16;
        Tensor bits = Tensor.zeros(DType.F16, n);
        MemorySegment seg = bits.hostSegment();
        for (int i = 0; i < n; i++) seg.setAtIndex(HostAccess.I16, i, (short) i);
        for (int i = 0; i + Vec.L <= n; i += Vec.L) {
            float[] f16 = Vec.load(seg, i, DType.F16).toArray(), bf16 = Vec.load(seg, i, DType.BF16).toArray();
            for (int l = 0; l < Vec.L; l++) {
                short h = (short) (i + l);
                assertEquals(bitsOf(Float.float16ToFloat(h)), bitsOf(f16[l]), "f16 0x" + Integer.toHexString(i + l));
                assertEquals(bitsOf(Float.float16ToFloat(h)), bitsOf(Vec.get(seg, i + l, DType.F16)), "scalar f16 0x" + Integer.toHexString(i + l));
                assertEquals(bitsOf(Float.intBitsToFloat((i + l) << 16)), bitsOf(bf16[l]), "bf16 0x" + Integer.toHexString(i + l));
            }
        }
    }

    /** The raw bits, except that every NaN is one NaN (the widening keeps NaN-ness, its payload is not compared). */
    private static int bitsOf(float f) { return Float.isNaN(f) ? 0x7FC00000 : Float.floatToRawIntBits(f); }
}
