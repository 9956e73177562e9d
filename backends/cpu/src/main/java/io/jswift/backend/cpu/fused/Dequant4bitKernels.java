package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.Parallel;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.spi.QuantReference;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * bitsandbytes' dequantize_4bit on the host: per packed byte two table lookups (high nibble first) times the block's
 * absmax, in f32, stored once in the output dtype; blocks split across cores. Same values as
 * {@link QuantReference#dequantize4bit}, without its temporaries (a 256-entry pair table replaces the nibble split).
 */
public final class Dequant4bitKernels {
    private static final int GRAIN = 1 << 16; // output elements per task

    private Dequant4bitKernels() {}

    /** Whether this kernel handles the output dtype (others take the reference composition). */
    public static boolean supports(DType dtype) {
        return dtype == DType.F32 || dtype == DType.BF16 || dtype == DType.F16;
    }

    public static Tensor dequantize(Tensor packedIn, Tensor absmaxIn, FourBitType type, int blocksize, int[] shape, DType dtype) {
        QuantReference.checkDequantize4bit(packedIn, absmaxIn, blocksize, shape, dtype);
        Tensor packed = packedIn.contiguous(), absmax = absmaxIn.contiguous();
        Tensor out = Tensor.zeros(dtype, shape);
        long n = out.numel();
        float[] lut = type.table();
        MemorySegment ps = packed.hostSegment(), as = absmax.hostSegment(), os = out.hostSegment();
        long po = packed.offset(), ao = absmax.offset();
        int pairs = Math.toIntExact((n + 1) / 2);
        Parallel.range(pairs, GRAIN / 2, (from, to) -> {
            for (int p = from; p < to; p++) {
                int b = ps.get(ValueLayout.JAVA_BYTE, po + p) & 0xFF;
                long i = 2L * p;
                store(os, dtype, i, lut[b >> 4] * absmaxAt(as, ao, i / blocksize));
                if (i + 1 < n) store(os, dtype, i + 1, lut[b & 0xF] * absmaxAt(as, ao, (i + 1) / blocksize));
            }
        });
        return out;
    }

    private static float absmaxAt(MemorySegment as, long offset, long block) {
        return as.get(ValueLayout.JAVA_FLOAT_UNALIGNED, (offset + block) * 4);
    }

    private static void store(MemorySegment os, DType dtype, long i, float v) {
        switch (dtype) {
            case F32 -> os.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4, v);
            case BF16 -> os.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, Half.floatToBf16(v));
            default -> os.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, Half.floatToF16(v));
        }
    }
}
