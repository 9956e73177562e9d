package io.jswift.backend.gpu;

import java.util.Arrays;

/**
 * One kernel argument, by the kind of its parameter in the dialect: {@code GLOBAL T*} ({@link Buf}; element
 * offsets travel as separate {@code i64} arguments, never inside the pointer), {@code i32}, {@code i64},
 * {@code float}, {@code double} (only where {@link DeviceInfo#fp64()}), and {@code Meta} ({@link Meta}: a struct
 * of 64-bit words passed by value, the shapes and strides of a launch).
 */
public sealed interface KernelArg {
    record Buf(DeviceBuffer buffer) implements KernelArg {}

    record I32(int value) implements KernelArg {}

    record I64(long value) implements KernelArg {}

    record F32(float value) implements KernelArg {}

    record F64(double value) implements KernelArg {}

    /**
     * The dialect's {@code Meta} struct by value: exactly {@link Dialect#META_WORDS} signed 64-bit words
     * ({@code typedef struct { i64 w[META_WORDS]; } Meta;}), so {@code META_WORDS * 8} bytes in host byte order.
     */
    record Meta(long[] words) implements KernelArg {
        public Meta {
            if (words.length != Dialect.META_WORDS) {
                throw new IllegalArgumentException("Meta holds " + Dialect.META_WORDS + " words, not " + words.length);
            }
        }

        /** {@code values} padded with zeros to {@link Dialect#META_WORDS}; more values than that are refused. */
        public static Meta of(long... values) {
            if (values.length > Dialect.META_WORDS) {
                throw new IllegalArgumentException("launch metadata of " + values.length + " words exceeds the "
                        + Dialect.META_WORDS + " a kernel takes by value (a tensor of too many non-mergeable dims)");
            }
            return new Meta(Arrays.copyOf(values, Dialect.META_WORDS));
        }
    }
}
