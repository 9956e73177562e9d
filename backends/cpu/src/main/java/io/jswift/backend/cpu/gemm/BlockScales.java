package io.jswift.backend.cpu.gemm;

import io.jswift.tensor.HostAccess;
import io.jswift.tensor.Tensor;
import io.jswift.tensor.quant.Weight4bit;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The float32 absmax of each 4-bit block, read where the kernels need it: plain values as stored, or bitsandbytes'
 * double quantization decoded on the fly, code[q] · absmax2[b / blocksize2] + offset, two float32 roundings in that
 * order (dequantize_blockwise, then + offset, as QuantState4bit.absmax does), so the weight stays 8 bits a block in memory.
 */
public final class BlockScales {
    private final MemorySegment values;  // plain: F32 [blocks]; nested: U8 codes [blocks]
    private final long valuesOffset;     // in elements
    private final boolean nested;
    private final float[] absmax2, code; // nested only
    private final int blocksize2;
    private final float offset;

    public BlockScales(Weight4bit.Absmax absmax) {
        switch (absmax) {
            case Weight4bit.Plain p -> {
                Tensor v = p.values().contiguous();
                values = v.hostSegment();
                valuesOffset = v.offset();
                nested = false;
                absmax2 = code = null;
                blocksize2 = 0;
                offset = 0;
            }
            case Weight4bit.Nested n -> {
                Tensor c = n.codes().contiguous();
                values = c.hostSegment();
                valuesOffset = c.offset();
                nested = true;
                absmax2 = n.absmax2().toFloatArray(); // ceil(blocks / 256) floats: 1/64 of a byte a weight
                code = n.code().toFloatArray();
                blocksize2 = n.blocksize();
                offset = n.offset();
            }
        }
    }

    /** The absmax of block {@code b}. */
    public float at(long b) {
        if (!nested) return values.getAtIndex(HostAccess.F32, valuesOffset + b);
        int q = values.get(ValueLayout.JAVA_BYTE, valuesOffset + b) & 0xFF;
        return code[q] * absmax2[(int) (b / blocksize2)] + offset;
    }

    /** out[c] = the absmax of the block holding element {@code first + c·step}, for c in [0, count). */
    void fill(long first, int step, int count, int blocksize, float[] out) {
        long prev = -1;
        float a = 0;
        for (int c = 0; c < count; c++) {
            long b = (first + (long) c * step) / blocksize;
            if (b != prev) {
                a = at(b);
                prev = b;
            }
            out[c] = a;
        }
    }
}
