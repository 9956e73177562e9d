package io.jswift.tensor;

/**
 * Element types. Plain types hold one element per block; packed block-quantized types (NF4,
 * int8 blockwise: a later issue) hold {@code elementsPerBlock} elements in {@code bytesPerBlock}
 * bytes, so byte sizes are always computed through {@link #byteSize(long)}.
 *
 * <p>{@code safetensorsName} is the dtype string used in safetensors headers.
 */
public enum DType {
    F64("F64", 8, true),
    F32("F32", 4, true),
    F16("F16", 2, true),
    BF16("BF16", 2, true),
    I64("I64", 8, false),
    I32("I32", 4, false),
    U8("U8", 1, false),
    BOOL("BOOL", 1, false);

    private final String safetensorsName;
    private final int elementsPerBlock;
    private final int bytesPerBlock;
    private final boolean floating;

    DType(String safetensorsName, int bytesPerElement, boolean floating) {
        this.safetensorsName = safetensorsName;
        this.elementsPerBlock = 1;
        this.bytesPerBlock = bytesPerElement;
        this.floating = floating;
    }

    public String safetensorsName() { return safetensorsName; }

    public boolean isFloatingPoint() { return floating; }

    /** True for block-packed types whose elements cannot be addressed one by one through strides. */
    public boolean isPacked() { return elementsPerBlock > 1; }

    public int elementsPerBlock() { return elementsPerBlock; }

    public int bytesPerBlock() { return bytesPerBlock; }

    /** Bytes of one element for plain types; throws for packed types. */
    public int byteSize() {
        if (isPacked()) throw new UnsupportedOperationException(this + " is block-packed: use byteSize(numel)");
        return bytesPerBlock;
    }

    /** Bytes needed to store {@code numel} elements (rounded up to whole blocks). */
    public long byteSize(long numel) {
        long blocks = (numel + elementsPerBlock - 1) / elementsPerBlock;
        return Math.multiplyExact(blocks, (long) bytesPerBlock);
    }

    /** The dtype named {@code name} in a safetensors header, or null when jswift does not know it. */
    public static DType fromSafetensorsName(String name) {
        for (DType t : values()) if (t.safetensorsName.equals(name)) return t;
        return null;
    }

    /** The wider of two dtypes for mixed arithmetic (float beats int, wider beats narrower; BF16+F16 gives F32). */
    public static DType promote(DType a, DType b) {
        if (a == b) return a;
        if (a.floating != b.floating) return a.floating ? a : b;
        if (a.floating) {
            if (a == F64 || b == F64) return F64;
            return F32; // F32 with anything, or F16 with BF16
        }
        if (a == BOOL) return b;
        if (b == BOOL) return a;
        return a.bytesPerBlock >= b.bytesPerBlock ? a : b;
    }
}
