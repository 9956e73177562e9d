package io.jswift.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Reads and writes single elements of host memory as double / long, whatever the dtype. The
 * generic (slow, exact) path used by reference kernels, element accessors and tests; fast kernels
 * work on segments directly. Layouts are unaligned so heap- and file-backed segments work too.
 */
public final class HostAccess {
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    public static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    private HostAccess() {}

    /** Element {@code index} (in elements from the segment start) as a double. */
    public static double read(MemorySegment s, DType t, long index) {
        return switch (t) {
            case F64 -> s.getAtIndex(F64, index);
            case F32 -> s.getAtIndex(F32, index);
            case F16 -> Half.f16ToFloat(s.getAtIndex(I16, index));
            case BF16 -> Half.bf16ToFloat(s.getAtIndex(I16, index));
            case I64 -> s.getAtIndex(I64, index);
            case I32 -> s.getAtIndex(I32, index);
            case U8 -> s.get(ValueLayout.JAVA_BYTE, index) & 0xFF;
            case BOOL -> s.get(ValueLayout.JAVA_BYTE, index) != 0 ? 1 : 0;
        };
    }

    /** Element {@code index} as a long (exact for integer types; truncated toward zero for floats). */
    public static long readLong(MemorySegment s, DType t, long index) {
        return switch (t) {
            case I64 -> s.getAtIndex(I64, index);
            case I32 -> s.getAtIndex(I32, index);
            default -> (long) read(s, t, index);
        };
    }

    /** Writes {@code v} converted to {@code t} (round-to-nearest-even for halves; saturating truncation for ints). */
    public static void write(MemorySegment s, DType t, long index, double v) {
        switch (t) {
            case F64 -> s.setAtIndex(F64, index, v);
            case F32 -> s.setAtIndex(F32, index, (float) v);
            case F16 -> s.setAtIndex(I16, index, Half.floatToF16((float) v));
            case BF16 -> s.setAtIndex(I16, index, Half.floatToBf16((float) v));
            case I64 -> s.setAtIndex(I64, index, (long) v);
            case I32 -> s.setAtIndex(I32, index, (int) v);
            case U8 -> s.set(ValueLayout.JAVA_BYTE, index, (byte) (int) v);
            case BOOL -> s.set(ValueLayout.JAVA_BYTE, index, (byte) (v != 0 ? 1 : 0));
        }
    }

    /**
     * Writes the integer {@code v} converted to {@code t}. F32 rounds from the long directly: going through
     * double first rounds twice, and above 2^53 that can land one ulp away from the correctly rounded
     * float (PyTorch's static_cast rounds once). The 16-bit types go through float, as PyTorch's do.
     */
    public static void writeLong(MemorySegment s, DType t, long index, long v) {
        switch (t) {
            case I64 -> s.setAtIndex(I64, index, v);
            case I32 -> s.setAtIndex(I32, index, (int) v);
            case U8 -> s.set(ValueLayout.JAVA_BYTE, index, (byte) v); // wraps modulo 256 like C's cast
            case F32 -> s.setAtIndex(F32, index, (float) v);
            case F16 -> s.setAtIndex(I16, index, Half.floatToF16((float) v));
            case BF16 -> s.setAtIndex(I16, index, Half.floatToBf16((float) v));
            default -> write(s, t, index, v);
        }
    }
}
