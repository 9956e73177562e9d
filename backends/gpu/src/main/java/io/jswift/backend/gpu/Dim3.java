package io.jswift.backend.gpu;

/** Sizes along x, y, z: a launch's blocks per grid or threads per block. Every size is >= 0 (0: nothing to launch). */
public record Dim3(int x, int y, int z) {
    public Dim3 {
        if (x < 0 || y < 0 || z < 0) throw new IllegalArgumentException("negative launch size (" + x + ", " + y + ", " + z + ")");
    }

    public static Dim3 of(int x) { return new Dim3(x, 1, 1); }

    public static Dim3 of(int x, int y) { return new Dim3(x, y, 1); }

    public boolean isEmpty() { return x == 0 || y == 0 || z == 0; }

    /** x * y * z. */
    public long count() { return (long) x * y * z; }
}
