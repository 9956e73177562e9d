package io.jswift.backend.cpu.gemm;

import io.jswift.tensor.DType;
import io.jswift.tensor.Half;
import io.jswift.tensor.HostAccess;
import io.jswift.tensor.spi.MatmulRules;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * A matrix operand in host memory: element (r, c) lives at {@code offset + r·rowStride + c·colStride}
 * (in elements of {@code type}). Transposes and non-contiguous views are just other strides.
 */
public record Operand(MemorySegment segment, DType type, long offset, long rowStride, long colStride) {
    public Operand {
        MatmulRules.checkOperand(type);
    }

    /**
     * Whether this is B = Wᵀ of a row-major f32 or (little-endian) bf16 weight W [N, K]: every column of B is a
     * contiguous weight row, which the dot-product kernels ({@link Gemv}, {@link RowDotTiles}) read in place.
     */
    boolean isWeightRows() {
        return rowStride == 1 && (type == DType.F32 || (type == DType.BF16 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN));
    }

    /** The same matrix transposed (a view: strides swap). */
    public Operand transposed() {
        return new Operand(segment, type, offset, colStride, rowStride);
    }

    float get(long r, long c) {
        long i = offset + r * rowStride + c * colStride;
        return switch (type) {
            case F32 -> segment.getAtIndex(HostAccess.F32, i);
            case BF16 -> Half.bf16ToFloat(segment.getAtIndex(HostAccess.I16, i));
            case F16 -> Half.f16ToFloat(segment.getAtIndex(HostAccess.I16, i));
            default -> (float) segment.getAtIndex(HostAccess.F64, i);
        };
    }

    double getDouble(long r, long c) {
        long i = offset + r * rowStride + c * colStride;
        return type == DType.F64 ? segment.getAtIndex(HostAccess.F64, i) : get(r, c);
    }

    /**
     * Reads {@code n} elements starting at (r, c) stepping along columns (alongColumns) or rows into
     * {@code dst[dstIndex + i·dstStep]}, converting to f32.
     */
    void readRun(long r, long c, int n, boolean alongColumns, float[] dst, int dstIndex, int dstStep) {
        long step = alongColumns ? colStride : rowStride;
        long i = offset + r * rowStride + c * colStride;
        if (type == DType.F32) {
            if (step == 1 && dstStep == 1) {
                MemorySegment.copy(segment, HostAccess.F32, i * 4, dst, dstIndex, n);
                return;
            }
            for (int k = 0; k < n; k++, i += step, dstIndex += dstStep) dst[dstIndex] = segment.getAtIndex(HostAccess.F32, i);
        } else if (type == DType.BF16) {
            for (int k = 0; k < n; k++, i += step, dstIndex += dstStep) dst[dstIndex] = Half.bf16ToFloat(segment.getAtIndex(HostAccess.I16, i));
        } else if (type == DType.F16) {
            for (int k = 0; k < n; k++, i += step, dstIndex += dstStep) dst[dstIndex] = Half.f16ToFloat(segment.getAtIndex(HostAccess.I16, i));
        } else {
            for (int k = 0; k < n; k++, i += step, dstIndex += dstStep) dst[dstIndex] = (float) segment.getAtIndex(HostAccess.F64, i);
        }
    }
}
