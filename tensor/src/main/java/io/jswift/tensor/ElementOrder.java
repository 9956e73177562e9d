package io.jswift.tensor;

/** Walks the elements of a strided layout in row-major order. */
public final class ElementOrder {
    private ElementOrder() {}

    /** Receives the row-major position of an element and its offset (in elements) into storage. */
    @FunctionalInterface
    public interface OffsetConsumer {
        void accept(long position, long offset);
    }

    public static void forEachOffset(int[] shape, long[] strides, long baseOffset, OffsetConsumer consumer) {
        long n = Shapes.numel(shape);
        if (n == 0) return;
        int rank = shape.length;
        int[] idx = new int[rank];
        long off = baseOffset;
        for (long pos = 0; pos < n; pos++) {
            consumer.accept(pos, off);
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    off += strides[d];
                    break;
                }
                off -= (long) (shape[d] - 1) * strides[d];
                idx[d] = 0;
            }
        }
    }

    /** Offset of the element at row-major {@code position}. */
    public static long offsetOf(int[] shape, long[] strides, long baseOffset, long position) {
        long off = baseOffset;
        for (int d = shape.length - 1; d >= 0; d--) {
            int s = shape[d];
            off += (position % s) * strides[d];
            position /= s;
        }
        return off;
    }
}
