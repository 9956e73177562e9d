package io.jswift.backend.cpu.fused;

import io.jswift.backend.cpu.Parallel;
import io.jswift.backend.cpu.gemm.BlockScales;
import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.FourBitType;
import io.jswift.tensor.quant.Weight4bit;
import io.jswift.tensor.spi.QuantReference;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * bitsandbytes' dequantize_4bit on the host: per packed byte two table lookups (high nibble first) times the block's
 * absmax, in f32, stored once in the output dtype; blocks split across cores. Same values as
 * {@link QuantReference#dequantize4bit}, without its temporaries. A double-quantized absmax is decoded block by block
 * ({@link BlockScales}), never expanded.
 */
public final class Dequant4bitKernels {
    private static final int GRAIN = 1 << 16; // output elements per task

    private Dequant4bitKernels() {}

    /** Whether this kernel handles the output dtype (others take the reference composition). */
    public static boolean supports(DType dtype) {
        return dtype == DType.F32 || dtype == DType.BF16 || dtype == DType.F16;
    }

    /** The op with a float32 absmax tensor (any shape). */
    public static Tensor dequantize(Tensor packed, Tensor absmax, FourBitType type, int blocksize, int[] shape, DType dtype) {
        QuantReference.checkDequantize4bit(packed, absmax, blocksize, shape, dtype);
        return dequantize(packed, new BlockScales(new Weight4bit.Plain(absmax)), type, blocksize, shape, dtype);
    }

    /** The op on a stored weight, plain or double quantized. */
    public static Tensor dequantize(Weight4bit w, DType dtype) {
        QuantReference.checkWeight4bit(w, dtype);
        return dequantize(w.packed(), new BlockScales(w.absmax()), w.type(), w.blocksize(), w.shape(), dtype);
    }

    private static Tensor dequantize(Tensor packedIn, BlockScales scales, FourBitType type, int blocksize, int[] shape, DType dtype) {
        Tensor packed = packedIn.contiguous();
        Tensor out = Tensor.zeros(dtype, shape);
        long n = out.numel();
        float[] lut = type.table();
        MemorySegment ps = packed.hostSegment(), os = out.hostSegment();
        long po = packed.offset();
        int pairs = Math.toIntExact((n + 1) / 2);
        Parallel.range(pairs, GRAIN / 2, (from, to) -> {
            long block = -1;
            float a = 0;
            for (int p = from; p < to; p++) {
                int b = ps.get(ValueLayout.JAVA_BYTE, po + p) & 0xFF;
                for (long i = 2L * p; i < Math.min(n, 2L * p + 2); i++) {
                    if (i / blocksize != block) {
                        block = i / blocksize;
                        a = scales.at(block);
                    }
                    store(os, dtype, i, lut[(i & 1) == 0 ? b >> 4 : b & 0xF] * a);
                }
            }
        });
        return out;
    }

    private static void store(MemorySegment os, DType dtype, long i, float v) {
        switch (dtype) {
            case F32 -> os.set(ValueLayout.JAVA_FLOAT_UNALIGNED, i * 4, v);
            case BF16 -> os.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, Half.floatToBf16(v));
            default -> os.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, Half.floatToF16(v));
        }
    }
}
