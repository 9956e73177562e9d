package io.jswift.backend.gpu;

import java.util.List;

/**
 * Constants of the kernel dialect shared by host and kernels; the contract of a prelude is
 * {@code DIALECT.md} (in this package's resources).
 */
public final class Dialect {
    /** Words of the by-value {@code Meta} struct ({@code common.h} defines it with the same number). */
    public static final int META_WORDS = 48;

    /** The names every prelude must define (macros, types or functions; see {@code DIALECT.md}). */
    public static final List<String> REQUIRED = List.of(
            "KERNEL", "GLOBAL", "SHARED", "SHARED_PTR", "DEVICE_FN", "BARRIER", "BOUNDS",
            "GID", "LID", "GROUP_ID", "LOCAL_SIZE", "NUM_GROUPS",
            "u8", "u16", "i32", "u32", "i64", "u64", "idx_t", "f16_t",
            "AS_FLOAT", "AS_U32", "LOAD_F16", "STORE_F16", "ATOMIC_MIN_I32");

    private Dialect() {}
}
